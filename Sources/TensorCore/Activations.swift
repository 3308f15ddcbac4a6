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
  public func gelu() -> Tensor { elementwise("gelu", GELU.self) }

  /// GELU's tanh approximation, GPT-2's `gelu_new`.
  public func geluTanh() -> Tensor { elementwise("geluTanh", GELUTanh.self) }

  /// An elementwise op given as a type, so that its function and derivative are inlined into
  /// both loops (a closure stored for the backward pass would be called per element, and
  /// would stop vectorisation). For the hot activations; `unary` is the simple general form.
  func elementwise<F: ElementwiseFunction>(_ op: String, _: F.Type) -> Tensor {
    let x = data
    let y = [Float](unsafeUninitializedCapacity: count) { y, initialized in
      x.withUnsafeBufferPointer { x in
        nonisolated(unsafe) let (x, y) = (x, y)
        parallelFor(x.count, cost: 64) { range in
          for i in range { y[i] = F.value(x[i]) }
        }
      }
      initialized = x.count
    }
    return Tensor(y, shape: shape, op: op, parents: [self]) { out in
      let g = out.grad!.data
      g.withUnsafeBufferPointer { g in
        x.withUnsafeBufferPointer { x in
          self.addGrad { dx, accumulate in
            nonisolated(unsafe) let (g, x, dx) = (g, x, dx)
            parallelFor(dx.count, cost: 64) { range in
              for i in range { dx[i] = (accumulate ? dx[i] : 0) + g[i] * F.derivative(x[i]) }
            }
          }
        }
      }
    }
  }
}

/// A function of one number and its derivative, for `Tensor.elementwise`.
protocol ElementwiseFunction: Sendable {
  static func value(_ x: Float) -> Float
  static func derivative(_ x: Float) -> Float
}

/// GELU = x·Φ(x); d/dx = Φ(x) + x·φ(x), with φ the standard normal density.
enum GELU: ElementwiseFunction {
  @inline(__always) static func value(_ x: Float) -> Float { 0.5 * x * (1 + fastErf(x * 0.707_106_78)) }
  @inline(__always) static func derivative(_ x: Float) -> Float {
    0.5 * (1 + fastErf(x * 0.707_106_78)) + x * fastExp(-0.5 * x * x) * 0.398_942_28
  }
}

/// gelu_new = 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³).
enum GELUTanh: ElementwiseFunction {
  @inline(__always) static func inner(_ x: Float) -> Float { 0.797_884_56 * (x + 0.044715 * x * x * x) }
  @inline(__always) static func value(_ x: Float) -> Float { 0.5 * x * (1 + fastTanh(inner(x))) }
  @inline(__always) static func derivative(_ x: Float) -> Float {
    let t = fastTanh(inner(x))
    let slope = 0.797_884_56 * (1 + 0.134_145 * x * x)  // du/dx = √(2/π)(1 + 3·0.044715·x²)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * slope
  }
}

/// 1/(1+e⁻ˣ) without overflow: for negative x use eˣ/(1+eˣ).
@inline(__always)
func stableSigmoid(_ x: Float) -> Float {
  if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
  let e = Foundation.exp(x)
  return e / (1 + e)
}
