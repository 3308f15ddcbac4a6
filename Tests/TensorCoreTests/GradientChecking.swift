import XCTest

@testable import TensorCore

/// The tests' own finite-difference checker (the kit's `numericalGradient` is exercise 1.1, so
/// the core's tests must not depend on it).
///
/// The loss is Σ f(x)·w for a fixed random w, so every output element's gradient is checked;
/// it is evaluated in Double. Each input element is nudged by ±`epsilon` in turn, and the slope
/// is taken over the step actually represented in Float. Passes when the largest
/// |backward - finite differences| / max(1, |backward|, |finite differences|) is below
/// `tolerance`. Inputs must stay away from kinks (relu, abs, max) by more than `epsilon`.
func assertGradientsMatch(
  _ inputs: [Tensor], epsilon: Float = 1e-2, tolerance: Double = 2e-3, seed: UInt64 = 7,
  file: StaticString = #filePath, line: UInt = #line, _ f: () -> Tensor
) {
  let generator = Generator(seed: seed)
  let weights = (0..<noGrad { f() }.count).map { _ in Double(generator.normal()) }
  func loss() -> Double {
    let out = noGrad { f() }
    return zip(out.data, weights).reduce(0) { $0 + Double($1.0) * $1.1 }
  }
  for x in inputs { x.grad = nil }
  let out = f()
  XCTAssertTrue(out.requiresGrad, "the result must be part of the graph", file: file, line: line)
  guard out.requiresGrad else { return }
  let w = Tensor(weights.map { Float($0) }, shape: out.shape)
  (out * w).sum().backward()
  var worst = 0.0
  var worstAt = "nowhere"
  for (k, x) in inputs.enumerated() {
    let analytic = x.grad?.data ?? [Float](repeating: 0, count: x.count)
    for i in 0..<x.count {
      let saved = x.data[i]
      x.data[i] = saved + epsilon
      let plus = loss()
      let high = Double(x.data[i])
      x.data[i] = saved - epsilon
      let minus = loss()
      let low = Double(x.data[i])
      x.data[i] = saved
      let numeric = (plus - minus) / (high - low)
      let a = Double(analytic[i])
      let error = abs(a - numeric) / max(1, abs(a), abs(numeric))
      if !(error <= worst) {  // NaN counts as the worst
        worst = error
        worstAt = "input \(k), element \(i): backward \(a), finite differences \(numeric)"
      }
    }
  }
  XCTAssertLessThan(worst, tolerance, "gradient mismatch at \(worstAt)", file: file, line: line)
}

/// A leaf of random values (fixed seed) that requires grad.
func random(_ shape: [Int], seed: UInt64 = 1, scale: Float = 1) -> Tensor {
  Tensor.randn(shape, std: scale, generator: Generator(seed: seed), requiresGrad: true)
}

/// A leaf that requires grad, with every value moved at least `margin` away from 0: for the
/// ops with a kink at 0 (relu, abs).
func awayFromZero(_ shape: [Int], seed: UInt64, margin: Float = 0.2) -> Tensor {
  let x = Tensor.randn(shape, generator: Generator(seed: seed))
  return Tensor(x.data.map { $0 + ($0 >= 0 ? margin : -margin) }, shape: shape, requiresGrad: true)
}

/// Element-wise closeness: |actual - expected| ≤ tolerance·max(1, |expected|).
func assertClose(
  _ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5, file: StaticString = #filePath,
  line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, "element count", file: file, line: line)
  for (i, (a, e)) in zip(actual, expected).enumerated()
  where !(abs(a - e) <= tolerance * max(1, abs(e))) {
    XCTFail("element \(i): \(a) != \(e)", file: file, line: line)
    return
  }
}

/// C = A·B for row-major A (m×k) and B (k×n), accumulated in Double: the reference for the
/// blocked kernel.
func referenceProduct(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
  var c = [Double](repeating: 0, count: m * n)
  a.withUnsafeBufferPointer { a in
    b.withUnsafeBufferPointer { b in
      c.withUnsafeMutableBufferPointer { c in
        for i in 0..<m {
          for p in 0..<k {
            let av = Double(a[i * k + p])
            for j in 0..<n { c[i * n + j] += av * Double(b[p * n + j]) }
          }
        }
      }
    }
  }
  return c.map { Float($0) }
}

/// The transpose of a row-major rows×columns matrix.
func transposed(_ x: [Float], rows: Int, columns: Int) -> [Float] {
  var t = [Float](repeating: 0, count: x.count)
  for i in 0..<rows {
    for j in 0..<columns { t[j * rows + i] = x[i * columns + j] }
  }
  return t
}
