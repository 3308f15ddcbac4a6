import XCTest

@testable import TensorCore

/// The tests' own finite-difference checker (the kit's `numericalGradient` is exercise 1.3, so
/// the core's tests must not depend on it). The loss is Σ f(x)·w for a fixed random w, so every
/// output element's gradient is checked; it is evaluated in Double.
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
  let w = Tensor(weights.map { Float($0) }, shape: out.shape)
  (out * w).sum().backward()
  var worst = 0.0
  var worstAt = ""
  for (k, x) in inputs.enumerated() {
    let analytic = x.grad?.data ?? [Float](repeating: 0, count: x.count)
    for i in 0..<x.count {
      let saved = x.data[i]
      x.data[i] = saved + epsilon
      let plus = loss()
      x.data[i] = saved - epsilon
      let minus = loss()
      x.data[i] = saved
      let numeric = (plus - minus) / (2 * Double(epsilon))
      let a = Double(analytic[i])
      let error = abs(a - numeric) / max(1, abs(a), abs(numeric))
      if error > worst {
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

/// Element-wise closeness.
func assertClose(
  _ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5, file: StaticString = #filePath,
  line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, "element count", file: file, line: line)
  for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= tolerance * max(1, abs(e))) {
    XCTFail("element \(i): \(a) != \(e)", file: file, line: line)
    return
  }
}
