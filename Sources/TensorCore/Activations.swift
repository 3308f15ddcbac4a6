// Activation functions: the nonlinearities between linear layers.

import Foundation

extension Tensor {
  /// tanh elementwise. d/dx = 1 - tanh²(x).
  public func tanh() -> Tensor {
    unary("tanh", Foundation.tanh, derivative: { _, y in 1 - y * y })
  }

  /// max(0, x) elementwise. d/dx = 1 where x > 0, else 0 (PyTorch's choice at 0).
  public func relu() -> Tensor {
    unary("relu", { Swift.max($0, 0) }, derivative: { x, _ in x > 0 ? 1 : 0 })
  }

  /// The logistic function 1/(1+e⁻ˣ), computed without overflow for large |x|.
  /// d/dx = σ(x)(1 - σ(x)).
  public func sigmoid() -> Tensor {
    unary("sigmoid", stableSigmoid, derivative: { _, y in y * (1 - y) })
  }

  /// GELU in its exact erf form, x·Φ(x), as BERT uses (`hidden_act: "gelu"`).
  /// d/dx = Φ(x) + x·φ(x), with φ the standard normal density.
  public func gelu() -> Tensor {
    unary(
      "gelu", { 0.5 * $0 * (1 + erf($0 * 0.70710678)) },
      derivative: { x, _ in
        0.5 * (1 + erf(x * 0.70710678)) + x * Foundation.exp(-0.5 * x * x) * 0.39894228
      })
  }

  /// GELU's tanh approximation, GPT-2's `gelu_new`:
  /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
  public func geluTanh() -> Tensor {
    let c: Float = 0.7978845608  // √(2/π)
    return unary(
      "geluTanh", { x in 0.5 * x * (1 + Foundation.tanh(c * (x + 0.044715 * x * x * x))) },
      derivative: { x, _ in
        let t = Foundation.tanh(c * (x + 0.044715 * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
      })
  }
}

/// 1/(1+e⁻ˣ) without overflow: for negative x use eˣ/(1+eˣ).
@inline(__always)
func stableSigmoid(_ x: Float) -> Float {
  if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
  let e = Foundation.exp(x)
  return e / (1 + e)
}
