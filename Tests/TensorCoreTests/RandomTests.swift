import XCTest

@testable import TensorCore

/// The seeded generator. The statistical checks use fixed seeds, so they are deterministic.
final class RandomTests: XCTestCase {
  func testSameSeedSameNumbers() {
    let a = Generator(seed: 5)
    let b = Generator(seed: 5)
    XCTAssertEqual((0..<10).map { _ in a.next() }, (0..<10).map { _ in b.next() })
    XCTAssertEqual((0..<10).map { _ in a.normal() }, (0..<10).map { _ in b.normal() })
    XCTAssertEqual(a.shuffled(Array(0..<20)), b.shuffled(Array(0..<20)))
    var buffer = [Float](repeating: 0, count: 5)
    let c = Generator(seed: 9)
    buffer.withUnsafeMutableBufferPointer { c.fillUniform($0) }
    let d = Generator(seed: 9)
    XCTAssertEqual(buffer, (0..<5).map { _ in d.uniform() }, "bulk and one-by-one draws agree")
    XCTAssertEqual(c.next(), d.next(), "and leave the generator in the same state")
  }

  func testDifferentSeedsDiffer() {
    let a = Generator(seed: 5)
    let b = Generator(seed: 6)
    let first = (0..<10).map { _ in a.next() }
    let second = (0..<10).map { _ in b.next() }
    XCTAssertTrue(zip(first, second).allSatisfy { $0 != $1 })
    XCTAssertNotEqual(
      Generator(seed: 0).next(), 0, "seed 0 is a valid seed (SplitMix64 spreads it)")
  }

  func testReseedRestartsTheSequence() {
    let g = Generator(seed: 11)
    let first = (0..<5).map { _ in g.normal() }  // an odd count: the pair's second is pending
    g.reseed(11)
    XCTAssertEqual((0..<5).map { _ in g.normal() }, first)
    XCTAssertEqual(g.seed, 11)
    g.reseed(12)
    XCTAssertEqual(g.seed, 12)
  }

  func testUniformDistribution() {
    let g = Generator(seed: 1)
    let uniform = (0..<100_000).map { _ in g.uniform() }
    XCTAssertTrue(uniform.allSatisfy { $0 >= 0 && $0 < 1 })
    let mean = uniform.reduce(0, +) / Float(uniform.count)
    XCTAssertEqual(mean, 0.5, accuracy: 0.005)
    var buckets = [Int](repeating: 0, count: 10)
    for u in uniform { buckets[Int(u * 10)] += 1 }
    XCTAssertTrue(buckets.allSatisfy { (9_500...10_500).contains($0) }, "\(buckets)")
    let shifted = (0..<1000).map { _ in g.uniform(-2, 3) }
    XCTAssertTrue(shifted.allSatisfy { $0 >= -2 && $0 < 3 })
    XCTAssertLessThan(shifted.min()!, -1.9)
    XCTAssertGreaterThan(shifted.max()!, 2.9)
  }

  func testNormalDistribution() {
    let g = Generator(seed: 1)
    let normal = (0..<100_000).map { _ in Double(g.normal()) }
    let mean = normal.reduce(0, +) / Double(normal.count)
    let std = (normal.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(normal.count))
      .squareRoot()
    XCTAssertEqual(mean, 0, accuracy: 0.02)
    XCTAssertEqual(std, 1, accuracy: 0.02)
    XCTAssertTrue(normal.allSatisfy(\.isFinite))
    let withinOne = Double(normal.filter { abs($0) < 1 }.count) / Double(normal.count)
    XCTAssertEqual(withinOne, 0.6827, accuracy: 0.01)
    let scaled = Tensor.randn([20_000], mean: 3, std: 0.5, generator: Generator(seed: 2))
    XCTAssertEqual(scaled.mean().item, 3, accuracy: 0.02)
    let spread = ((scaled - 3) * (scaled - 3)).mean().item.squareRoot()
    XCTAssertEqual(spread, 0.5, accuracy: 0.02)
  }

  func testIntegersAndShuffles() {
    let g = Generator(seed: 3)
    let ints = (0..<7000).map { _ in g.int(below: 7) }
    XCTAssertTrue(ints.allSatisfy { (0..<7).contains($0) })
    for v in 0..<7 {
      XCTAssertTrue(
        (800...1200).contains(ints.filter { $0 == v }.count), "value \(v) drawn about 1000 times")
    }
    XCTAssertEqual((0..<10).map { _ in g.int(below: 1) }, [Int](repeating: 0, count: 10))
    let big = (0..<1000).map { _ in g.int(below: Int.max) }
    XCTAssertTrue(big.allSatisfy { $0 >= 0 })
    let shuffled = g.shuffled(Array(0..<50))
    XCTAssertEqual(shuffled.sorted(), Array(0..<50), "a permutation")
    XCTAssertNotEqual(shuffled, Array(0..<50))
    XCTAssertEqual(g.shuffled([Int]()), [])
    XCTAssertEqual(g.shuffled([4]), [4])
  }

  func testTensorSamplers() {
    let u = Tensor.uniform(
      [2, 500], low: -0.5, high: 0.5, generator: Generator(seed: 4), requiresGrad: true)
    XCTAssertEqual(u.shape, [2, 500])
    XCTAssertTrue(u.requiresGrad)
    XCTAssertTrue(u.data.allSatisfy { $0 >= -0.5 && $0 < 0.5 })
    let draws = Generator(seed: 4)
    XCTAssertEqual(
      u.data[0], draws.uniform(-0.5, 0.5), "the tensor's first element is the first draw")
    XCTAssertEqual(
      Tensor.randn([3], generator: Generator(seed: 5)).data,
      Tensor.randn([3], generator: Generator(seed: 5)).data)
  }

  func testManualSeedResetsTheDefaultGenerator() {
    let saved = Generator.default.seed
    defer { manualSeed(saved) }
    manualSeed(123)
    let first = Tensor.randn([4]).data
    let next = Tensor.randn([4]).data
    XCTAssertNotEqual(first, next)
    manualSeed(123)
    XCTAssertEqual(Tensor.randn([4]).data, first)
    XCTAssertEqual(Generator.default.seed, 123)
    XCTAssertEqual(
      Tensor.uniform([3]).data, Tensor.uniform([3], generator: freshAfterFourNormals(123)).data)
  }

  /// A generator seeded with `seed` that has drawn four normals (two Box-Muller pairs).
  func freshAfterFourNormals(_ seed: UInt64) -> Generator {
    let g = Generator(seed: seed)
    for _ in 0..<4 { _ = g.normal() }
    return g
  }
}
