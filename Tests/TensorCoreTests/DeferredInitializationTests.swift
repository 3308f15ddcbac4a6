import XCTest

@testable import TensorCore

/// A model built to be loaded does not draw the weights the checkpoint overwrites, yet every
/// number drawn afterwards, and every fill done later, is the one an eager build gives.
final class DeferredInitializationTests: XCTestCase {
  func testSkippingNormalsLeavesTheGeneratorWhereDrawingThemWould() {
    for count in 0..<7 {
      for spare in [false, true] {
        let (drawn, skipped) = (Generator(seed: 7), Generator(seed: 7))
        if spare { (_, _) = (drawn.normal(), skipped.normal()) }  // leaves a spare normal
        for _ in 0..<count { _ = drawn.normal() }
        skipped.skipNormals(count)
        XCTAssertEqual(skipped.state, drawn.state, "\(count) normals, spare \(spare)")
        XCTAssertEqual(skipped.normal(), drawn.normal())
      }
    }
    let (drawn, skipped) = (Generator(seed: 3), Generator(seed: 3))
    for _ in 0..<5 { _ = drawn.uniform() }
    skipped.skipSteps(5)
    XCTAssertEqual(skipped.state, drawn.state)
  }

  func testDeferredFillsGiveTheEagerNumbersAndSkipLoadedTensors() {
    func build(_ generator: Generator) -> (Linear, Embedding, Tensor) {
      let linear = Linear(4, 3, generator: generator)
      let embedding = Embedding(5, 2, generator: generator)
      let ones = Tensor(zeros: [3])
      DeferredInitialization.fill(ones) { t, _ in t.data = [1, 1, 1] }
      return (linear, embedding, ones)
    }
    let eagerGenerator = Generator(seed: 11)
    let eager = build(eagerGenerator)
    let lazyGenerator = Generator(seed: 11)
    let (lazy, deferred) = DeferredInitialization.record { build(lazyGenerator) }
    XCTAssertFalse(DeferredInitialization.isRecording, "recording ends with record")
    XCTAssertEqual(lazy.0.weight.data, [Float](repeating: 0, count: 12), "not drawn yet")
    XCTAssertEqual(lazyGenerator.state, eagerGenerator.state, "the generator moved on as if it had")
    XCTAssertEqual(deferred.skippedDraws, 12 + 3 + 10)
    deferred.finish(loaded: [lazy.1.weight])  // as if the checkpoint held the embedding
    XCTAssertEqual(lazy.0.weight.data, eager.0.weight.data)
    XCTAssertEqual(lazy.0.bias?.data, eager.0.bias?.data)
    XCTAssertEqual(lazy.2.data, [1, 1, 1])
    XCTAssertEqual(lazy.1.weight.data, [Float](repeating: 0, count: 10), "a loaded tensor is never drawn")
    XCTAssertEqual(lazyGenerator.normal(), eagerGenerator.normal(), "later draws are unchanged")
  }
}
