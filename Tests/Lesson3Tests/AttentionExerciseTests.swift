import ExerciseTesting
import Foundation
import Models
import TensorCore
import XCTest

/// Exercise 3.2: `scaledDotProductAttention` (Sources/Models/Attention.swift).
final class ScaledDotProductAttentionTests: ExerciseTestCase {
  override class var exerciseID: String { "3.2" }

  func testScoresAreScaledByRootD() {
    // One query [1, 0] against keys [1, 0] and [0, 1]: scores 1/√2 and 0.
    let q = Tensor([1, 0], shape: [1, 2])
    let k = Tensor([1, 0, 0, 1], shape: [2, 2])
    let v = Tensor([10, 0, 0, 10], shape: [2, 2])
    let result = scaledDotProductAttention(query: q, key: k, value: v)
    guard result.weights.shape == [1, 2] else {
      return XCTFail("weights shape \(result.weights.shape), expected [1, 2]")
    }
    let e = Float(exp(1 / 2.0.squareRoot()))
    XCTAssertEqual(result.weights.data[0], e / (e + 1), accuracy: 1e-5)
    XCTAssertEqual(result.output.data[0], 10 * e / (e + 1), accuracy: 1e-4)
  }

  /// d is the size of each query and key vector, not the number of keys or of queries, nor the
  /// size of the values.
  func testTheScaleIsTheQueryAndKeySize() {
    // One query of size 4 against 3 keys, values of size 2: scores (2, 0, 1) / √4 = (1, 0, 0.5).
    let q = Tensor([1, 1, 0, 0], shape: [1, 4])
    let k = Tensor([1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], shape: [3, 4])
    let v = Tensor([1, 0, 0, 1, 1, 1], shape: [3, 2])
    let result = scaledDotProductAttention(query: q, key: k, value: v)
    guard result.weights.shape == [1, 3] else {
      return XCTFail("weights shape \(result.weights.shape), expected [1, 3]")
    }
    let e: [Float] = [1, 0, 0.5].map { Float(exp($0)) }
    let total = e.reduce(0, +)
    for (index, weight) in result.weights.data.enumerated() {
      XCTAssertEqual(
        weight, e[index] / total, accuracy: 1e-5,
        "divide the scores by √d with d = 4, the size of each query and key (the last axis of query)")
    }
  }

  func testRowsSumToOneAndOutputMixesValues() {
    let g = Generator(seed: 1)
    let q = Tensor.randn([1, 3, 4], generator: g)
    let k = Tensor.randn([1, 5, 4], generator: g)
    let v = Tensor.randn([1, 5, 2], generator: g)
    let result = scaledDotProductAttention(query: q, key: k, value: v)
    guard result.weights.shape == [1, 3, 5], result.output.shape == [1, 3, 2] else {
      return XCTFail(
        "shapes \(result.weights.shape) and \(result.output.shape), expected [1, 3, 5] and [1, 3, 2]")
    }
    for row in 0..<3 {
      XCTAssertEqual(result.weights.data[(row * 5)..<(row * 5 + 5)].reduce(0, +), 1, accuracy: 1e-5)
      for c in 0..<2 {
        let mixed = (0..<5).reduce(Float(0)) { $0 + result.weights.data[row * 5 + $1] * v.data[$1 * 2 + c] }
        XCTAssertEqual(result.output.data[row * 2 + c], mixed, accuracy: 1e-5)
      }
    }
  }

  func testMaskedKeysGetZeroWeight() {
    let g = Generator(seed: 2)
    let x = Tensor.randn([2, 3, 4], generator: g)
    let mask = Tensor([0, 0, 1, 0, 1, 1], shape: [2, 1, 3])  // batch 0 hides key 2; batch 1 keys 1, 2
    let result = scaledDotProductAttention(query: x, key: x, value: x, mask: mask)
    guard result.weights.shape == [2, 3, 3] else { return XCTFail("weights shape \(result.weights.shape)") }
    for query in 0..<3 {
      XCTAssertEqual(result.weights.data[query * 3 + 2], 0)
      XCTAssertEqual(result.weights.data[9 + query * 3 + 1], 0)
      XCTAssertEqual(result.weights.data[9 + query * 3], 1, accuracy: 1e-6)
    }
  }
}

/// Exercise 3.1: `causalMask` (Sources/Models/Attention.swift).
final class CausalMaskTests: ExerciseTestCase {
  override class var exerciseID: String { "3.1" }

  func testMasksExactlyTheFuture() {
    let mask = causalMask(3)
    XCTAssertEqual(mask.shape, [3, 3])
    XCTAssertEqual(mask.data, [0, 1, 1, 0, 0, 1, 0, 0, 0])
  }

  func testOneTokenSeesItself() {
    XCTAssertEqual(causalMask(1).data, [0])
  }
}

/// Exercise 3.3: `splitHeads` (Sources/Models/Attention.swift).
final class SplitHeadsTests: ExerciseTestCase {
  override class var exerciseID: String { "3.3" }

  func testEachHeadGetsItsSlice() {
    let x = Tensor((0..<16).map(Float.init), shape: [1, 2, 8])  // 2 tokens of 8 features
    let heads = splitHeads(x, heads: 2)
    guard heads.shape == [1, 2, 2, 4] else { return XCTFail("shape \(heads.shape), expected [1, 2, 2, 4]") }
    XCTAssertEqual(heads.data, [0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15])
  }

  func testMergeHeadsUndoesIt() {
    let x = Tensor.randn([2, 3, 6], generator: Generator(seed: 3))
    let heads = splitHeads(x, heads: 3)
    guard heads.shape == [2, 3, 3, 2] else { return XCTFail("shape \(heads.shape), expected [2, 3, 3, 2]") }
    XCTAssertEqual(mergeHeads(heads).data, x.data)
  }
}

/// Exercise 3.4: `sampleToken` (Sources/Models/GPT2.swift).
final class SamplingTests: ExerciseTestCase {
  override class var exerciseID: String { "3.4" }

  func testGreedyTakesTheFirstLargest() {
    XCTAssertEqual(sampleToken([0.5, 2, 2, -1], temperature: 0, generator: Generator(seed: 1)), 1)
  }

  func testTemperatureOneSamplesTheSoftmax() {
    // p = softmax([0, ln 3]) = [0.25, 0.75].
    let g = Generator(seed: 4)
    let draws = (0..<4000).map { _ in sampleToken([0, Float(log(3.0))], temperature: 1, generator: g) }
    XCTAssertEqual(Double(draws.filter { $0 == 1 }.count) / 4000, 0.75, accuracy: 0.03)
  }

  func testTopOneIsGreedyAtAnyTemperature() {
    let g = Generator(seed: 5)
    XCTAssertTrue(
      (0..<200).allSatisfy { _ in sampleToken([1, 3, 2], temperature: 5, topK: 1, generator: g) == 1 })
  }
}
