import ExerciseTesting
import Foundation
import PEFT
import TensorCore
import XCTest

/// A LoRA layer on a random (out 3, in 5) Linear with rank 2, α 6 (scaling 3) and random B.
func randomLoRA(seed: UInt64 = 7, inFeatures: Int = 5, outFeatures: Int = 3) -> LoraLinear {
  let generator = Generator(seed: seed)
  return LoraLinear(
    wrapping: Linear(inFeatures, outFeatures, generator: generator), r: 2, loraAlpha: 6,
    initLoraWeights: false,
    generator: generator)
}

/// x·Wᵀ (+ b) by hand, W (out, in), x (rows, in).
func reference(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> [Float] {
  let (rows, inF, outF) = (x.shape[0], x.shape[1], w.shape[0])
  var y = [Float](repeating: 0, count: rows * outF)
  for r in 0..<rows {
    for o in 0..<outF {
      var s = b?.data[o] ?? 0
      for i in 0..<inF { s += x.data[r * inF + i] * w.data[o * inF + i] }
      y[r * outF + o] = s
    }
  }
  return y
}

/// B·A·scaling by hand: (out, in).
func deltaByHand(_ layer: LoraLinear) -> [Float] {
  let (a, b) = (layer.loraA.weight, layer.loraB.weight)
  let (r, inF, outF) = (a.shape[0], a.shape[1], b.shape[0])
  var d = [Float](repeating: 0, count: outF * inF)
  for o in 0..<outF {
    for i in 0..<inF { for k in 0..<r { d[o * inF + i] += b.data[o * r + k] * a.data[k * inF + i] } }
  }
  return d.map { $0 * layer.scaling }
}

/// Exercise 8.1: `LoraLinear.callAsFunction` (Sources/PEFT/LoRA.swift).
final class LoRAForwardTests: ExerciseTestCase {
  override class var exerciseID: String { "8.1" }

  func testBZeroGivesTheFrozenLayer() {
    let generator = Generator(seed: 1)
    let base = Linear(5, 3, generator: generator)
    let x = Tensor.randn([4, 5], generator: generator)
    let expected = base(x).data
    let lora = LoraLinear(wrapping: base, r: 2, loraAlpha: 16, generator: generator)
    XCTAssertEqual(lora(x).shape, [4, 3])
    XCTAssertEqual(lora(x).data, expected, "B starts at zero: the adapted layer is the base layer")
  }

  func testTheUpdateIsScaledByAlphaOverR() {
    let lora = randomLoRA()
    XCTAssertEqual(lora.scaling, 3)
    let x = Tensor.randn([4, 5], generator: Generator(seed: 2))
    let delta = Tensor(deltaByHand(lora), shape: [3, 5])
    let w = Tensor(zip(lora.weight.data, delta.data).map { $0 + $1 }, shape: [3, 5])
    let expected = reference(x, w, lora.bias)
    let y = lora(x)
    XCTAssertEqual(y.shape, [4, 3])
    guard y.count == expected.count else { return XCTFail("output \(y.shape), expected [4, 3]") }
    for (a, b) in zip(y.data, expected) { XCTAssertEqual(a, b, accuracy: 1e-4, "W·x + b + (α/r)·B·A·x") }
  }

  func testWorksOnBatchesOfSequences() {
    let lora = randomLoRA()
    let x = Tensor.randn([2, 3, 5], generator: Generator(seed: 4))
    let flat = lora(x.reshape(6, 5))
    let y = lora(x)
    XCTAssertEqual(y.shape, [2, 3, 3])
    guard y.count == flat.count else { return }
    for (a, b) in zip(y.data, flat.data) { XCTAssertEqual(a, b, accuracy: 1e-5) }
  }

  func testOnlyAAndBGetGradientsWhenTheBaseIsFrozen() {
    let lora = randomLoRA()
    lora.weight.requiresGrad = false
    lora.bias?.requiresGrad = false
    let x = Tensor.randn([4, 5], generator: Generator(seed: 5))
    lora(x).sum().backward()
    XCTAssertNotNil(lora.loraA.weight.grad, "A learns")
    XCTAssertNotNil(lora.loraB.weight.grad, "B learns")
    XCTAssertNil(lora.weight.grad, "W stays frozen")
  }
}

/// Exercise 8.2: `LoraLinear.deltaWeight` (Sources/PEFT/LoRA.swift), and merging.
final class LoRAMergeTests: ExerciseTestCase {
  override class var exerciseID: String { "8.2" }

  func testDeltaIsBTimesATimesScaling() {
    for (inF, outF) in [(5, 3), (4, 4)] {
      let lora = randomLoRA(inFeatures: inF, outFeatures: outF)
      let delta = lora.deltaWeight()
      XCTAssertEqual(delta.shape, [outF, inF], "the update has the weight's shape (out, in)")
      guard delta.count == outF * inF else { continue }
      for (a, b) in zip(delta.data, deltaByHand(lora)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }
  }

  func testMergedLayerGivesTheSameOutput() {
    let lora = randomLoRA()
    let x = Tensor.randn([4, 5], generator: Generator(seed: 6))
    let unmerged = lora(x).data
    let plain = lora.mergedLinear()
    XCTAssertFalse(plain is LoraLinear)
    let merged = plain(x).data
    XCTAssertEqual(merged.count, unmerged.count)
    for (a, b) in zip(merged, unmerged) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    lora.merge()
    XCTAssertTrue(lora.merged)
    let inPlace = lora(x).data
    for (a, b) in zip(inPlace, unmerged) {
      XCTAssertEqual(a, b, accuracy: 1e-5, "merged in place, added once")
    }
    lora.unmerge()
    for (a, b) in zip(lora(x).data, unmerged) { XCTAssertEqual(a, b, accuracy: 1e-5) }
  }

  func testDeltaHasNoGraph() {
    let lora = randomLoRA()
    XCTAssertFalse(lora.deltaWeight().requiresGrad, "merging is arithmetic on values, not a training step")
  }
}

/// Exercise 8.3: `quantizePerChannel` (Sources/TensorCore/Quantization.swift).
final class QuantizePerChannelTests: ExerciseTestCase {
  override class var exerciseID: String { "8.3" }

  func testEachRowHasItsOwnScale() {
    let q = quantizePerChannel(Tensor([[1, -2, 0.5], [0.1, 0.05, -0.02]]))
    XCTAssertEqual(q.scales.count, 2, "one scale per output channel")
    guard q.scales.count == 2, q.values.count == 6 else { return }
    XCTAssertEqual(q.scales[0], 2 / 127, accuracy: 1e-9)
    XCTAssertEqual(q.scales[1], 0.1 / 127, accuracy: 1e-9, "a row of small weights keeps its precision")
    XCTAssertEqual(
      Array(q.values.values[0..<3]), [64, -127, 32],
      "round(1·127/2) = 64 (63.5 to even), 0.5·63.5 = 31.75 → 32")
    XCTAssertEqual(Array(q.values.values[3..<6]), [127, 64, -25])
  }

  func testDequantizedIsWithinHalfAStep() {
    let weight = Tensor.randn([6, 40], generator: Generator(seed: 9))
    for r in 0..<6 { for i in 0..<40 { weight.data[r * 40 + i] *= Float(r + 1) } }
    let q = quantizePerChannel(weight)
    XCTAssertEqual(q.shape, [6, 40])
    guard q.shape == [6, 40] else { return }
    let back = q.dequantized()
    for r in 0..<6 {
      for i in 0..<40 {
        XCTAssertLessThanOrEqual(
          abs(back.data[r * 40 + i] - weight.data[r * 40 + i]), q.scales[r] / 2 * (1 + 1e-5),
          "error ≤ scale/2")
      }
    }
    XCTAssertEqual(
      q.values.values.map { abs(Int($0)) }.max(), 127, "the largest magnitude uses the full range")
  }

  func testZeroRowAndRange() {
    let q = quantizePerChannel(Tensor([[0, 0], [-3, 3]]))
    guard q.values.count == 4 else { return XCTFail("values \(q.values.shape), expected [2, 2]") }
    XCTAssertEqual(Array(q.values.values[0..<2]), [0, 0], "a zero row stays zero")
    XCTAssertTrue(q.scales[0] > 0 && q.scales[0].isFinite, "…with a finite positive scale")
    XCTAssertEqual(Array(q.values.values[2..<4]), [-127, 127], "symmetric: -127, never -128")
  }
}

/// Exercise 8.4: `magnitudeMask` (Sources/TensorCore/Pruning.swift).
final class MagnitudeMaskTests: ExerciseTestCase {
  override class var exerciseID: String { "8.4" }

  func testPrunesTheSmallestMagnitudes() {
    let mask = magnitudeMask([0.5, -0.1, 2, -3, 0.2, 0.05], sparsity: 0.5)
    XCTAssertEqual(mask, [1, 0, 1, 1, 0, 0], "|−0.1|, 0.2 and 0.05 are the 3 smallest magnitudes")
  }

  func testCountIsRoundedHalfToEven() {
    let values: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    XCTAssertEqual(magnitudeMask(values, sparsity: 0.25).filter { $0 == 0 }.count, 2, "round(2.5) = 2")
    XCTAssertEqual(magnitudeMask(values, sparsity: 0.35).filter { $0 == 0 }.count, 4, "round(3.5) = 4")
    XCTAssertEqual(magnitudeMask(values, sparsity: 0), [Float](repeating: 1, count: 10))
    XCTAssertEqual(magnitudeMask(values, sparsity: 1), [Float](repeating: 0, count: 10))
  }

  func testTiesPruneTheEarlierEntryFirst() {
    XCTAssertEqual(magnitudeMask([1, -1, 1, 5], sparsity: 0.5), [0, 0, 1, 1])
  }
}
