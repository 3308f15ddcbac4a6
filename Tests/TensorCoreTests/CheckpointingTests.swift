import XCTest

@testable import TensorCore

/// Gradient checkpointing gives the gradients of the plain graph, dropout included, and keeps
/// fewer activations.
final class CheckpointingTests: XCTestCase {
  /// Two layers with dropout between them, as a segment.
  func segment(_ w1: Tensor, _ w2: Tensor, _ generator: Generator) -> (Tensor) -> Tensor {
    { x in x.matmul(w1).gelu().dropout(0.3, training: true, generator: generator).matmul(w2).tanh() }
  }

  func run(checkpointed: Bool) -> (grads: [[Float]], loss: Float, bytes: Int, after: Generator.State) {
    let x = Tensor((0..<24).map { Float($0 % 7) / 7 - 0.4 }, shape: [4, 6], requiresGrad: true)
    let w1 = Tensor((0..<48).map { Float(($0 * 5) % 11) / 11 - 0.5 }, shape: [6, 8], requiresGrad: true)
    let w2 = Tensor((0..<48).map { Float(($0 * 3) % 13) / 13 - 0.5 }, shape: [8, 6], requiresGrad: true)
    let w3 = Tensor((0..<36).map { Float(($0 * 7) % 5) / 5 - 0.4 }, shape: [6, 6], requiresGrad: true)
    let dropoutRNG = Generator(seed: 9)
    var h = x
    for w in [w1, w3] {  // two segments, the second reading the first's output
      let layer = w === w1 ? segment(w1, w2, dropoutRNG) : { $0.matmul(w).relu() }
      let parameters = w === w1 ? [w1, w2] : [w]
      h = checkpointed ? checkpoint(h, parameters: parameters, generator: dropoutRNG, layer) : layer(h)
      if w === w1 && checkpointed { XCTAssertEqual(h.op, "checkpoint") }
    }
    let loss = (h * h).sum()
    let bytes = graphActivationBytes(loss)
    loss.backward()
    return ([x.grad!.data, w1.grad!.data, w2.grad!.data, w3.grad!.data], loss.item, bytes, dropoutRNG.state)
  }

  func testSameGradientsAsWithout() {
    let plain = run(checkpointed: false)
    let saved = run(checkpointed: true)
    XCTAssertEqual(plain.loss, saved.loss)
    for (a, b) in zip(plain.grads, saved.grads) {
      XCTAssertEqual(a.count, b.count)
      for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-6) }
    }
    XCTAssertLessThan(saved.bytes, plain.bytes, "fewer activations kept")
    XCTAssertEqual(plain.after, saved.after, "the recomputation leaves the random stream where it was")
  }

  func testWithoutGradientsItIsThePlainSegment() {
    let x = Tensor([1, 2], shape: [1, 2])
    let y = noGrad { checkpoint(x, parameters: []) { $0 * 2 } }
    XCTAssertEqual(y.data, [2, 4])
    XCTAssertNotEqual(y.op, "checkpoint")
  }
}
