// Elementwise math: + - * / with broadcasting, and unary functions (exp, log, sqrt, pow, abs).
//
// Each op computes its forward values, then hands `Tensor` a closure with its local backward:
// given the gradient of the output `g`, add `g * d(out)/d(input)` into each input's gradient.
// Broadcast inputs get the gradient summed back to their own shape (see Broadcasting.swift).

import Foundation

// MARK: - Binary ops with broadcasting

extension Tensor {
  /// `a + b`, broadcasting. d/da = 1, d/db = 1.
  public static func + (a: Tensor, b: Tensor) -> Tensor {
    let out = a.broadcastShape(with: b, op: "add")
    return Tensor(
      broadcastMap(a.data, a.shape, b.data, b.shape, out: out, +), shape: out, op: "add",
      parents: [a, b]
    ) { y in
      let g = y.grad!.data
      if a.requiresGrad { a.addGrad(sumToShape(g, from: out, to: a.shape)) }
      if b.requiresGrad { b.addGrad(sumToShape(g, from: out, to: b.shape)) }
    }
  }

  /// `a - b`, broadcasting. d/da = 1, d/db = -1.
  public static func - (a: Tensor, b: Tensor) -> Tensor {
    let out = a.broadcastShape(with: b, op: "sub")
    return Tensor(
      broadcastMap(a.data, a.shape, b.data, b.shape, out: out, -), shape: out, op: "sub",
      parents: [a, b]
    ) { y in
      let g = y.grad!.data
      if a.requiresGrad { a.addGrad(sumToShape(g, from: out, to: a.shape)) }
      if b.requiresGrad { b.addGrad(sumToShape(g.map { -$0 }, from: out, to: b.shape)) }
    }
  }

  /// `a * b` elementwise, broadcasting. d/da = b, d/db = a.
  public static func * (a: Tensor, b: Tensor) -> Tensor {
    let out = a.broadcastShape(with: b, op: "mul")
    return Tensor(
      broadcastMap(a.data, a.shape, b.data, b.shape, out: out, *), shape: out, op: "mul",
      parents: [a, b]
    ) { y in
      let g = y.grad!.data
      if a.requiresGrad {
        let ga = broadcastMap(g, out, b.data, b.shape, out: out, *)
        a.addGrad(sumToShape(ga, from: out, to: a.shape))
      }
      if b.requiresGrad {
        let gb = broadcastMap(g, out, a.data, a.shape, out: out, *)
        b.addGrad(sumToShape(gb, from: out, to: b.shape))
      }
    }
  }

  /// `a / b` elementwise, broadcasting. d/da = 1/b, d/db = -a/b².
  public static func / (a: Tensor, b: Tensor) -> Tensor {
    let out = a.broadcastShape(with: b, op: "div")
    let result = broadcastMap(a.data, a.shape, b.data, b.shape, out: out, /)
    return Tensor(result, shape: out, op: "div", parents: [a, b]) { y in
      let g = y.grad!.data
      if a.requiresGrad {
        let ga = broadcastMap(g, out, b.data, b.shape, out: out, /)
        a.addGrad(sumToShape(ga, from: out, to: a.shape))
      }
      if b.requiresGrad {
        // -a/b² · g = -(a/b) / b · g = -result / b · g
        let q = broadcastMap(result, out, b.data, b.shape, out: out, /)
        var gb = q
        for i in 0..<gb.count { gb[i] = -q[i] * g[i] }
        b.addGrad(sumToShape(gb, from: out, to: b.shape))
      }
    }
  }

  /// `-a`.
  public static prefix func - (a: Tensor) -> Tensor { a * -1 }

  // Scalars broadcast like 0-dimensional tensors.
  /// `a + s`.
  public static func + (a: Tensor, s: Float) -> Tensor { a + Tensor(s) }
  /// `s + a`.
  public static func + (s: Float, a: Tensor) -> Tensor { Tensor(s) + a }
  /// `a - s`.
  public static func - (a: Tensor, s: Float) -> Tensor { a - Tensor(s) }
  /// `s - a`.
  public static func - (s: Float, a: Tensor) -> Tensor { Tensor(s) - a }
  /// `a * s`.
  public static func * (a: Tensor, s: Float) -> Tensor { a * Tensor(s) }
  /// `s * a`.
  public static func * (s: Float, a: Tensor) -> Tensor { Tensor(s) * a }
  /// `a / s`.
  public static func / (a: Tensor, s: Float) -> Tensor { a / Tensor(s) }
  /// `s / a`.
  public static func / (s: Float, a: Tensor) -> Tensor { Tensor(s) / a }
}

// MARK: - Unary ops

extension Tensor {
  /// Applies `f` to every element. `derivative(x, y)` is d(out)/d(in) at input `x`, output `y`;
  /// the backward multiplies it by the output gradient.
  @inline(__always)
  func unary(
    _ op: String, _ f: (Float) -> Float, derivative: @escaping (_ x: Float, _ y: Float) -> Float
  ) -> Tensor {
    var result = data
    result.withUnsafeMutableBufferPointer { r in
      for i in 0..<r.count { r[i] = f(r[i]) }
    }
    return Tensor(result, shape: shape, op: op, parents: [self]) { y in
      let x = self.data
      let out = y.data
      let g = y.grad!.data
      self.addGrad { dx in
        for i in 0..<dx.count { dx[i] += g[i] * derivative(x[i], out[i]) }
      }
    }
  }

  /// eˣ elementwise. d/dx = eˣ.
  public func exp() -> Tensor { unary("exp", Foundation.exp, derivative: { _, y in y }) }

  /// Natural logarithm elementwise. d/dx = 1/x.
  public func log() -> Tensor { unary("log", Foundation.log, derivative: { x, _ in 1 / x }) }

  /// Square root elementwise. d/dx = 1/(2√x).
  public func sqrt() -> Tensor {
    unary("sqrt", Foundation.sqrt, derivative: { _, y in 0.5 / y })
  }

  /// xᵖ elementwise for a constant exponent. d/dx = p·xᵖ⁻¹.
  public func pow(_ p: Float) -> Tensor {
    if p == 2 { return unary("pow", { $0 * $0 }, derivative: { x, _ in 2 * x }) }
    return unary("pow", { Foundation.pow($0, p) }, derivative: { x, _ in p * Foundation.pow(x, p - 1) })
  }

  /// |x| elementwise. d/dx = sign(x) (0 at 0, as PyTorch).
  public func abs() -> Tensor {
    unary("abs", Swift.abs, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) })
  }
}
