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

/// The int8-weight linear op against dequantize-then-`linear`.
final class Int8LinearTests: XCTestCase {
  /// y = x·(scale ⊙ W)ᵀ + b within 1e-5 of the terms' magnitude (the sums run in another order),
  /// for shapes with ragged edges: odd row counts, a partial tile of outputs, a column tail.
  func testMatchesDequantizeThenLinear() throws {
    try skipUnlessQuantizeExerciseDone()
    let generator = Generator(seed: 5)
    for (batch, rows, inFeatures, outFeatures) in [
      (1, 1, 1, 1), (3, 5, 37, 10), (2, 67, 96, 67), (1, 130, 8, 4),
    ] {
      let x = Tensor.randn([batch, rows, inFeatures], generator: generator)
      let weight = QuantizedWeight(quantizing: Tensor.randn([outFeatures, inFeatures], generator: generator))
      let bias = Tensor.randn([outFeatures], generator: generator)
      let w = weight.dequantized()
      for b in [bias, nil] {
        let y = linear(x, weight: weight, bias: b)
        let reference = linear(x, weight: w, bias: b)
        XCTAssertEqual(y.shape, [batch, rows, outFeatures])
        for r in 0..<(batch * rows) {
          for o in 0..<outFeatures {
            var magnitude = Swift.abs(b?.data[o] ?? 0)
            for i in 0..<inFeatures {
              magnitude += Swift.abs(x.data[r * inFeatures + i] * w.data[o * inFeatures + i])
            }
            let (got, want) = (y.data[r * outFeatures + o], reference.data[r * outFeatures + o])
            XCTAssertLessThanOrEqual(
              Swift.abs(got - want), 1e-5 * magnitude, "\(rows)×\(inFeatures)→\(outFeatures) [\(r), \(o)]")
          }
        }
      }
    }
  }

  /// The result does not depend on the thread count (each output is one thread's fixed sum).
  func testSameResultOnOneThreadAndMany() throws {
    try skipUnlessQuantizeExerciseDone()
    let generator = Generator(seed: 6)
    let x = Tensor.randn([300, 128], generator: generator)
    let weight = QuantizedWeight(quantizing: Tensor.randn([200, 128], generator: generator))
    let saved = Threads.count
    defer { Threads.count = saved }
    Threads.count = 1
    let serial = linear(x, weight: weight).data
    Threads.count = 4
    XCTAssertEqual(linear(x, weight: weight).data, serial)
  }

  /// Gradients reach x and the bias (as through the dequantized weight), not the int8 weight.
  func testBackwardGivesInputAndBiasGradients() throws {
    try skipUnlessQuantizeExerciseDone()
    let generator = Generator(seed: 7)
    let weight = QuantizedWeight(quantizing: Tensor.randn([6, 9], generator: generator))
    let x = Tensor.randn([4, 9], generator: generator, requiresGrad: true)
    let bias = Tensor.randn([6], generator: generator, requiresGrad: true)
    let upstream = Tensor.randn([4, 6], generator: generator)
    (linear(x, weight: weight, bias: bias) * upstream).sum().backward()
    let (x2, bias2) = (x.detached(), bias.detached())
    x2.requiresGrad = true
    bias2.requiresGrad = true
    (linear(x2, weight: weight.dequantized(), bias: bias2) * upstream).sum().backward()
    for (a, b) in zip(x.grad!.data, x2.grad!.data) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    XCTAssertEqual(bias.grad!.data, bias2.grad!.data)
  }

  /// With no input features the sum is empty and y is the bias.
  func testNoInputFeatures() {
    let weight = QuantizedWeight(values: Int8Tensor([], shape: [3, 0]), scales: [1, 1, 1])
    let y = linear(Tensor(zeros: [2, 0]), weight: weight, bias: Tensor([1, 2, 3]))
    XCTAssertEqual(y.shape, [2, 3])
    XCTAssertEqual(y.data, [1, 2, 3, 1, 2, 3])
  }
}
