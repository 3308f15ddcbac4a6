// Gradient checking: comparing backward()'s gradients with finite differences.
//
// If f is smooth, (f(x + ε) - f(x - ε)) / 2ε approaches df/dx with an error of order ε²
// (central differences). Checking every op's backward against it is how we know autodiff is
// right; Lesson 1 has you write the numerical side.

import Exercises

/// The gradient of the scalar `f()` with respect to each element of `x`, by central
/// differences: nudge one element by ±ε, re-evaluate, and take the slope. `f` must read `x`'s
/// current data (it is changed and restored in place). Runs without recording a graph.
public func numericalGradient(of f: () -> Tensor, wrt x: Tensor, epsilon: Float = 1e-2) -> [Float] {
  // BEGIN EXERCISE 1.3 "Numerical gradient by central differences" points=2
  // hint: For each index i: save x.data[i], set it to +ε and evaluate f().item, then to -ε, then restore it.
  // hint: The slope is (f₊ - f₋) / 2ε; compute it in Double so rounding does not swamp the small difference.
  noGrad {
    var gradient = [Float](repeating: 0, count: x.count)
    for i in 0..<x.count {
      let saved = x.data[i]
      x.data[i] = saved + epsilon
      let plus = Double(f().item)
      x.data[i] = saved - epsilon
      let minus = Double(f().item)
      x.data[i] = saved
      gradient[i] = Float((plus - minus) / (2 * Double(epsilon)))
    }
    return gradient
  }
  // END EXERCISE 1.3
}

/// The largest relative error between `backward()`'s gradient of `f()` with respect to each
/// input and the numerical gradient: |a - n| / max(1, |a|, |n|). Below ~1e-2 in Float32 means
/// the backward is right.
public func gradientCheck(of f: () -> Tensor, inputs: [Tensor], epsilon: Float = 1e-2) -> Float {
  for x in inputs { x.grad = nil }
  f().backward()
  var worst: Float = 0
  for x in inputs {
    let analytic = x.grad?.data ?? [Float](repeating: 0, count: x.count)
    let numeric = numericalGradient(of: f, wrt: x, epsilon: epsilon)
    for (a, n) in zip(analytic, numeric) {
      worst = max(worst, Swift.abs(a - n) / max(1, Swift.abs(a), Swift.abs(n)))
    }
  }
  return worst
}
