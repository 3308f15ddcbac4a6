import XCTest

@testable import TensorCore

/// The int8 linear op (dynamic quantization: activations quantized per row at run time, int8 × int8
/// summed in Int32): against the float product with the dequantized weight, within the bound the
/// activations' rounding allows (Int8Linear.swift's header), and against the exact integer sum.
final class Int8LinearTests: XCTestCase {
  /// Shapes with ragged edges: one element, odd `in` (not a multiple of 2 or of 8), `out` not a
  /// multiple of 16 (odd, and 1), row counts not a multiple of 6, several blocks of 96 rows.
  let shapes: [(batch: Int, rows: Int, inFeatures: Int, outFeatures: Int)] = [
    (1, 1, 1, 1), (3, 5, 37, 10), (2, 67, 96, 67), (1, 130, 8, 4), (1, 7, 33, 17), (2, 101, 130, 1),
    (1, 200, 384, 40),
  ]

  /// |y − x·Ŵᵀ − b| ≤ sx[r]/2 · Σ_k |Ŵ[o, k]| (each x moves by at most half its row's step), plus
  /// 1e-5 of the terms' magnitude for Float rounding; Ŵ is the dequantized weight.
  func testWithinTheActivationStepOfTheDequantizedProduct() throws {
    try skipUnlessQuantizeExerciseDone()
    let generator = Generator(seed: 5)
    for (batch, rows, inFeatures, outFeatures) in shapes {
      let x = Tensor.randn([batch, rows, inFeatures], generator: generator)
      let weight = QuantizedWeight(quantizing: Tensor.randn([outFeatures, inFeatures], generator: generator))
      let bias = Tensor.randn([outFeatures], generator: generator)
      let w = weight.dequantized()
      for b in [bias, nil] {
        let y = linear(x, weight: weight, bias: b)
        let reference = linear(x, weight: w, bias: b)
        XCTAssertEqual(y.shape, [batch, rows, outFeatures])
        var largestShare: Float = 0  // the error as a share of the bound, over all outputs
        for r in 0..<(batch * rows) {
          let row = x.data[(r * inFeatures)..<((r + 1) * inFeatures)]
          let step = row.map(Swift.abs).max()! / 127
          for o in 0..<outFeatures {
            let wRow = w.data[(o * inFeatures)..<((o + 1) * inFeatures)]
            let bound = step / 2 * wRow.map(Swift.abs).reduce(0, +)
            var magnitude = Swift.abs(b?.data[o] ?? 0)
            for (xi, wi) in zip(row, wRow) { magnitude += Swift.abs(xi * wi) }
            let error = Swift.abs(y.data[r * outFeatures + o] - reference.data[r * outFeatures + o])
            XCTAssertLessThanOrEqual(
              error, bound + 1e-5 * magnitude, "\(rows)×\(inFeatures)→\(outFeatures) [\(r), \(o)]")
            largestShare = Swift.max(largestShare, error / bound)
          }
        }
        // The bound is a worst case; random errors cancel, so the typical error is far below it.
        XCTAssertLessThan(largestShare, 0.8, "\(rows)×\(inFeatures)→\(outFeatures)")
      }
    }
  }

  /// Each output is sx·sw·(an exact integer sum) + b: compared with that sum in Double from the
  /// levels `quantizeActivationRow` gives, to a few Float roundings.
  func testIsTheExactIntegerSumRescaled() throws {
    try skipUnlessQuantizeExerciseDone()
    let generator = Generator(seed: 8)
    for (batch, rows, inFeatures, outFeatures) in shapes {
      let x = Tensor.randn([batch * rows, inFeatures], generator: generator)
      let weight = QuantizedWeight(quantizing: Tensor.randn([outFeatures, inFeatures], generator: generator))
      let bias = Tensor.randn([outFeatures], generator: generator)
      let y = linear(x, weight: weight, bias: bias)
      var levels = [Int16](repeating: 0, count: inFeatures)
      for r in 0..<(batch * rows) {
        let scale = x.data.withUnsafeBufferPointer { xp in
          levels.withUnsafeMutableBufferPointer {
            quantizeActivationRow(xp.baseAddress! + r * inFeatures, count: inFeatures, into: $0.baseAddress!)
          }
        }
        for o in 0..<outFeatures {
          var sum = 0
          for k in 0..<inFeatures { sum += Int(levels[k]) * Int(weight.values.values[o * inFeatures + k]) }
          let scaled = Double(scale) * Double(weight.scales[o]) * Double(sum)
          let want = scaled + Double(bias.data[o])
          let got = Double(y.data[r * outFeatures + o])
          XCTAssertEqual(
            got, want, accuracy: 1e-6 * (Swift.abs(scaled) + Swift.abs(Double(bias.data[o]))) + 1e-30)
        }
      }
    }
  }

  /// Activation levels: in -127...127, the row's largest magnitude at ±127, ties to even, the same
  /// in the 8-wide loop and the scalar tail; a zero row has scale 0, a NaN row scale NaN.
  func testActivationQuantization() {
    func quantize(_ values: [Float]) -> (scale: Float, levels: [Int16]) {
      var levels = [Int16](repeating: 99, count: values.count)
      let scale = values.withUnsafeBufferPointer { xp in
        levels.withUnsafeMutableBufferPointer {
          quantizeActivationRow(xp.baseAddress!, count: values.count, into: $0.baseAddress!)
        }
      }
      return (scale, levels)
    }
    // 0.5 and 1.5 steps (scale 1), in the vector part (first 8) and the tail (last 3).
    let values: [Float] = [127, 0.5, 1.5, -0.5, -2.5, 3, -127, 126.5, 0.5, -1.5, 2.5]
    let (scale, levels) = quantize(values)
    XCTAssertEqual(scale, 1)
    XCTAssertEqual(levels, [127, 0, 2, 0, -2, 3, -127, 126, 0, -2, 2])
    let generator = Generator(seed: 9)
    let row = Tensor.randn([45], generator: generator).data
    let q = quantize(row)
    XCTAssertEqual(q.levels.map { Swift.abs(Int($0)) }.max(), 127)
    for (value, level) in zip(row, q.levels) {
      XCTAssertEqual(Float(level), (value / q.scale).rounded(.toNearestOrEven), accuracy: 1)
      XCTAssertLessThanOrEqual(Swift.abs(Float(level) * q.scale - value), q.scale / 2 * (1 + 1e-5))
    }
    XCTAssertEqual(quantize([0, 0, 0]).scale, 0)
    XCTAssertEqual(quantize([0, 0, 0]).levels, [0, 0, 0])
    XCTAssertTrue(quantize([1, .nan, 2, 3, 4, 5, 6, 7, 8]).scale.isNaN)
    XCTAssertTrue(quantize([1, 2, .infinity]).scale.isNaN)
  }

  /// A NaN in a row makes that row's outputs NaN (as in the Float product) and leaves the others.
  func testNaNStaysInItsRow() throws {
    try skipUnlessQuantizeExerciseDone()
    let x = Tensor.randn([3, 20], generator: Generator(seed: 10))
    x.data[25] = .nan
    let weight = QuantizedWeight(quantizing: Tensor.randn([5, 20], generator: Generator(seed: 11)))
    let y = linear(x, weight: weight)
    XCTAssertTrue(y.data[5..<10].allSatisfy(\.isNaN))
    XCTAssertTrue((y.data[0..<5] + y.data[10..<15]).allSatisfy(\.isFinite))
  }

  /// No rows: an empty result of the right shape.
  func testNoRows() throws {
    try skipUnlessQuantizeExerciseDone()
    let weight = QuantizedWeight(quantizing: Tensor.randn([3, 5], generator: Generator(seed: 12)))
    let y = linear(Tensor(zeros: [0, 5]), weight: weight, bias: Tensor([1, 2, 3]))
    XCTAssertEqual(y.shape, [0, 3])
    XCTAssertEqual(y.data, [])
  }

  /// The result does not depend on the thread count: the sums are integers, and each output is
  /// rescaled once by the block that owns it. The product is big enough to use the threads.
  func testSameResultOnOneThreadAndMany() throws {
    try skipUnlessQuantizeExerciseDone()
    let generator = Generator(seed: 6)
    let x = Tensor.randn([500, 259], generator: generator)
    let weight = QuantizedWeight(quantizing: Tensor.randn([203, 259], generator: generator))
    let bias = Tensor.randn([203], generator: generator)
    let saved = Threads.count
    defer { Threads.count = saved }
    Threads.count = 1
    let serial = linear(x, weight: weight, bias: bias).data
    for threads in [2, 3] {
      Threads.count = threads
      XCTAssertEqual(linear(x, weight: weight, bias: bias).data, serial, "\(threads) threads")
    }
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
