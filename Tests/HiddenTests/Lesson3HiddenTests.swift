// Hidden tests of Lesson 3's exercises.

import ExerciseTesting
import Foundation
import Models
import TensorCore
import XCTest

final class ScaledDotProductAttentionHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "3.2" }

  func testBatchedHeadsWithABroadcastMaskAndGradients() {
    let g = Generator(seed: 11)
    let q = Tensor.randn([2, 2, 3, 4], generator: g, requiresGrad: true)
    let k = Tensor.randn([2, 2, 3, 4], generator: g, requiresGrad: true)
    let v = Tensor.randn([2, 2, 3, 4], generator: g, requiresGrad: true)
    let mask = paddingMask([[1, 1, 0], [1, 1, 1]])
    let result = scaledDotProductAttention(query: q, key: k, value: v, mask: mask)
    guard result.output.shape == [2, 2, 3, 4], result.weights.shape == [2, 2, 3, 3] else {
      return XCTFail("shapes \(result.output.shape), \(result.weights.shape)")
    }
    for head in 0..<2 {
      for query in 0..<3 { XCTAssertEqual(result.weights.data[(head * 3 + query) * 3 + 2], 0) }
    }
    result.output.sum().backward()
    for t in [q, k, v] {
      XCTAssertTrue((t.grad?.data ?? []).contains { $0 != 0 }, "gradients reach query, key and value")
    }
  }

  func testDropoutOnlyWhileTraining() {
    let g = Generator(seed: 12)
    let x = Tensor.randn([1, 6, 4], generator: g)
    let eval = scaledDotProductAttention(query: x, key: x, value: x, dropout: 0.5, training: false)
    let again = scaledDotProductAttention(query: x, key: x, value: x)
    XCTAssertEqual(eval.output.data, again.output.data, "no dropout in evaluation")
    let trained = scaledDotProductAttention(
      query: x, key: x, value: x, dropout: 0.5, training: true, generator: Generator(seed: 1))
    XCTAssertNotEqual(trained.output.data, eval.output.data, "dropout changes the mix while training")
    XCTAssertEqual(
      trained.weights.data, eval.weights.data, "the weights themselves are returned before dropout")
  }

  /// Dropout drops attention weights, so every feature of a query's output loses the same keys:
  /// with values all ones, the features of an output row stay equal to each other.
  func testDropoutDropsWeightsNotOutputs() {
    let x = Tensor.randn([1, 8, 4], generator: Generator(seed: 15))
    let ones = Tensor([Float](repeating: 1, count: 8 * 3), shape: [1, 8, 3])
    let result = scaledDotProductAttention(
      query: x, key: x, value: ones, dropout: 0.5, training: true, generator: Generator(seed: 2))
    guard result.output.shape == [1, 8, 3] else { return XCTFail("output shape \(result.output.shape)") }
    let rows = (0..<8).map { Array(result.output.data[($0 * 3)..<($0 * 3 + 3)]) }
    XCTAssertTrue(rows.contains { abs($0[0] - 1) > 1e-3 }, "dropout while training changes the output")
    for (query, row) in rows.enumerated() {
      XCTAssertEqual(
        row[0], row[1], accuracy: 1e-5,
        "query \(query): apply dropout to the attention weights, before multiplying by value, not to the output"
      )
      XCTAssertEqual(row[0], row[2], accuracy: 1e-5)
    }
  }
}

final class CausalMaskHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "3.1" }

  func testLargerMasks() {
    let mask = causalMask(6)
    guard mask.shape == [6, 6] else { return XCTFail("shape \(mask.shape), expected [6, 6]") }
    XCTAssertEqual(mask.data.reduce(0, +), 15)
    for i in 0..<6 {
      for j in 0...i { XCTAssertEqual(mask.data[i * 6 + j], 0, "(\(i), \(j)) is not the future") }
    }
  }
}

final class SplitHeadsHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "3.3" }

  func testThreeHeadsAndTheGradient() {
    let x = Tensor((0..<24).map(Float.init), shape: [1, 2, 12], requiresGrad: true)
    let heads = splitHeads(x, heads: 3)
    guard heads.shape == [1, 3, 2, 4] else { return XCTFail("shape \(heads.shape)") }
    XCTAssertEqual(Array(heads.data[8..<12]), [4, 5, 6, 7], "head 1, token 0")
    (heads * Tensor((0..<24).map(Float.init), shape: [1, 3, 2, 4])).sum().backward()
    XCTAssertEqual(x.grad?.data.count, 24)
    XCTAssertEqual(x.grad?.data[4], 8, "feature 4 of token 0 went to position 8 of the heads")
  }
}

final class SamplingHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "3.4" }

  func testLowTemperatureSharpens() {
    // softmax([0, ln 2] / 0.5) = [1, 4] / 5.
    let g = Generator(seed: 13)
    let draws = (0..<4000).map { _ in sampleToken([0, Float(log(2.0))], temperature: 0.5, generator: g) }
    XCTAssertEqual(Double(draws.filter { $0 == 1 }.count) / 4000, 0.8, accuracy: 0.03)
  }

  func testTopKRenormalisesOverTheKept() {
    // Top 2 of [2, 1, 0, 0, 0, 0]: softmax over [2, 1] only, p(0) = e² / (e² + e) ≈ 0.731.
    let g = Generator(seed: 16)
    let draws = (0..<4000).map { _ in sampleToken([2, 1, 0, 0, 0, 0], temperature: 1, topK: 2, generator: g) }
    XCTAssertEqual(
      Double(draws.filter { $0 == 0 }.count) / 4000, exp(2) / (exp(2) + exp(1)), accuracy: 0.03,
      "the softmax is taken over the top k logits only, so their probabilities sum to 1")
  }

  func testTopKNeverPicksOthers() {
    let g = Generator(seed: 14)
    let picks = Set(
      (0..<500).map { _ in sampleToken([0, 5, 1, 4.9], temperature: 2, topK: 2, generator: g) })
    XCTAssertEqual(picks, [1, 3])
  }
}
