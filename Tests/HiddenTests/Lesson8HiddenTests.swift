import ExerciseTesting
import Foundation
import PEFT
import TensorCore
import XCTest

/// Hidden checks of exercise 8.1: rank 1, α ≠ r, a layer without bias, and a merged layer.
final class LoRAForwardHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "8.1" }

  func testRankOneWithoutBias() {
    let base = Linear(weight: Tensor([[1, 0], [0, 1], [1, 1]]), bias: nil)
    let lora = LoraLinear(wrapping: base, r: 1, loraAlpha: 4)
    lora.loraA.weight.data = [2, -1]  // (1, 2)
    lora.loraB.weight.data = [1, 0, 3]  // (3, 1)
    // x = (1, 2): W·x = (1, 2, 3); A·x = 0, so the update is 0 here…
    XCTAssertEqual(lora(Tensor([[1, 2]])).data, [1, 2, 3])
    // x = (1, 0): W·x = (1, 0, 1); A·x = 2; B·A·x = (2, 0, 6); scaled by α/r = 4: (8, 0, 24).
    XCTAssertEqual(lora(Tensor([[1, 0]])).data, [9, 0, 25])
  }

  func testMergedLayerAddsTheUpdateOnce() {
    let base = Linear(weight: Tensor([[1, 0], [0, 1]]), bias: Tensor([0.5, -0.5]))
    let lora = LoraLinear(wrapping: base, r: 1, loraAlpha: 2)
    lora.loraA.weight.data = [1, 1]
    lora.loraB.weight.data = [1, 2]
    let before = lora(Tensor([[1, 1]])).data  // (1.5, 0.5) + 2·(2, 4) = (5.5, 8.5)
    XCTAssertEqual(before, [5.5, 8.5])
    lora.merge()
    XCTAssertEqual(lora(Tensor([[1, 1]])).data, before)
  }
}

/// Hidden checks of exercise 8.2: a wide layer, the scale, the current values.
final class LoRAMergeHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "8.2" }

  func testByHandRankTwo() {
    let lora = LoraLinear(wrapping: Linear(weight: Tensor(zeros: [2, 3]), bias: nil), r: 2, loraAlpha: 1)
    lora.loraA.weight.data = [1, 0, 2, 0, 1, 0]  // (2, 3)
    lora.loraB.weight.data = [1, 2, 3, 4]  // (2, 2)
    // B·A = [[1, 2, 2], [3, 4, 6]], times α/r = 0.5.
    XCTAssertEqual(lora.deltaWeight().shape, [2, 3])
    XCTAssertEqual(lora.deltaWeight().data, [0.5, 1, 1, 1.5, 2, 3])
  }

  func testFollowsTheCurrentWeights() {
    let lora = LoraLinear(wrapping: Linear(weight: Tensor(zeros: [2, 2]), bias: nil), r: 1, loraAlpha: 1)
    lora.loraA.weight.data = [1, 2]
    XCTAssertEqual(lora.deltaWeight().data, [0, 0, 0, 0], "B is still zero")
    lora.loraB.weight.data = [3, -1]
    XCTAssertEqual(lora.deltaWeight().data, [3, 6, -1, -2])
  }
}

/// Hidden checks of exercise 8.3: a column vector, ties, a wide row.
final class QuantizePerChannelHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "8.3" }

  func testTiesRoundToEven() {
    // Scale 1: levels are the values themselves; 2.5 → 2, 3.5 → 4, -0.5 → -0.
    let q = quantizePerChannel(Tensor([[127, 2.5, 3.5, -0.5]]))
    guard q.values.count == 4 else { return XCTFail("values \(q.values.shape), expected [1, 4]") }
    XCTAssertEqual(q.scales, [1])
    XCTAssertEqual(q.values.values, [127, 2, 4, 0])
  }

  func testOneColumn() {
    let q = quantizePerChannel(Tensor([[-0.5], [4], [0]]))
    guard q.values.count == 3 else { return XCTFail("values \(q.values.shape), expected [3, 1]") }
    XCTAssertEqual(q.values.values, [-127, 127, 0])
    XCTAssertEqual(q.scales[0], 0.5 / 127, accuracy: 1e-9)
  }
}

/// Hidden checks of exercise 8.4: negative weights, one entry, sparsity near 1.
final class MagnitudeMaskHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "8.4" }

  func testLargeNegativeWeightsAreKept() {
    XCTAssertEqual(magnitudeMask([-9, 0.1, -0.2, 8], sparsity: 0.5), [1, 0, 0, 1])
  }

  func testSmallSets() {
    XCTAssertEqual(magnitudeMask([3], sparsity: 0.4), [1], "round(0.4) = 0")
    XCTAssertEqual(magnitudeMask([3], sparsity: 0.6), [0], "round(0.6) = 1")
    XCTAssertEqual(magnitudeMask([], sparsity: 0.5), [])
    XCTAssertEqual(magnitudeMask([4, -1, 2, 0.5, -3], sparsity: 0.9), [1, 0, 0, 0, 0], "round(4.5) = 4")
  }
}
