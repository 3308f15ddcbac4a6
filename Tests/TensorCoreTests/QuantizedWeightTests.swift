import Exercises
import XCTest

@testable import TensorCore

/// `QuantizedWeight(quantizing:)` runs Lesson 8's exercise 8.3 (`quantizePerChannel`): in the
/// student edition, the tests that quantize are skipped until it is written.
func skipUnlessQuantizeExerciseDone() throws {
  let missing = Exercise.unfinishedExercises { _ = quantizePerChannel(Tensor(zeros: [1, 1])) }
  if !missing.isEmpty { throw XCTSkip("needs exercise \(missing.joined(separator: ", ")), not done yet") }
}

/// Per-channel symmetric int8 quantization: the error bound, zero rows, the stored range.
final class QuantizedWeightTests: XCTestCase {
  /// Every element comes back within half a step (scale/2) of its row, and the row's largest
  /// magnitude maps to ±127 exactly.
  func testDequantizedIsWithinHalfAStep() throws {
    try skipUnlessQuantizeExerciseDone()
    let weight = Tensor.randn([7, 33], generator: Generator(seed: 3))
    // Rows of different sizes.
    for r in 0..<7 { for i in 0..<33 { weight.data[r * 33 + i] *= Float(r + 1) * 0.3 } }
    let q = QuantizedWeight(quantizing: weight)
    XCTAssertEqual(q.shape, [7, 33])
    let back = q.dequantized()
    XCTAssertEqual(back.shape, [7, 33])
    for r in 0..<7 {
      let row = weight.data[(r * 33)..<(r * 33 + 33)]
      let absMax = row.map(Swift.abs).max()!
      XCTAssertEqual(q.scales[r], absMax / 127)
      let levels = q.values.values[(r * 33)..<(r * 33 + 33)]
      XCTAssertEqual(levels.map { Swift.abs(Int($0)) }.max(), 127, "row \(r) uses the full range")
      for i in 0..<33 {
        let error = Swift.abs(back.data[r * 33 + i] - weight.data[r * 33 + i])
        // scale/2, plus a few ulps for w·(1/scale) and scale·q in Float arithmetic.
        XCTAssertLessThanOrEqual(error, q.scales[r] / 2 * (1 + 1e-5), "row \(r), column \(i)")
      }
    }
  }

  /// A zero row gets the floor scale (PyTorch's eps) and stays exactly zero; values never
  /// leave -127...127, and rounding is half to even.
  func testZeroRowsRangeAndTies() throws {
    try skipUnlessQuantizeExerciseDone()
    let weight = Tensor([[0, 0, 0, 0], [127, -127, 0.5, 1.5], [-2, 1, 0.5, -0.25]])
    let q = QuantizedWeight(quantizing: weight)
    XCTAssertEqual(q.scales[0], Float.ulpOfOne)
    XCTAssertEqual(Array(q.values.values[0..<4]), [0, 0, 0, 0])
    XCTAssertEqual(Array(q.dequantized().data[0..<4]), [0, 0, 0, 0])
    XCTAssertEqual(q.scales[1], 1)
    XCTAssertEqual(Array(q.values.values[4..<8]), [127, -127, 0, 2], "0.5 → 0 and 1.5 → 2: ties to even")
    XCTAssertEqual(q.values.values[8], -127, "a negative extreme maps to -127, not -128")
    XCTAssertFalse(q.values.values.contains(-128))
  }

  /// Stored values and scales build the same weight; dequantizing is scale·q.
  func testStoredValuesAndScales() throws {
    try skipUnlessQuantizeExerciseDone()
    let q = QuantizedWeight(
      values: Int8Tensor([1, -2, -127, 127, 0, -127], shape: [2, 3]), scales: [0.5, 2])
    XCTAssertEqual(q.outFeatures, 2)
    XCTAssertEqual(q.inFeatures, 3)
    XCTAssertEqual(q.dequantized().data, [0.5, -1, -63.5, 254, 0, -254])
    XCTAssertEqual(q.values.toFloat().data, [1, -2, -127, 127, 0, -127])
    XCTAssertEqual(
      QuantizedWeight(quantizing: q.dequantized()), q,
      "a dequantized weight whose rows reach ±127 quantizes back to itself")
  }
}
