// Gradient checking: comparing backward()'s gradients with finite differences.
//
// If f is smooth, (f(x + ε) - f(x - ε)) / 2ε approaches df/dx with an error of order ε²
// (central differences). Checking every op's backward against it is how we know autodiff is
// right; Lesson 1 has you write the numerical side.

import Exercises

/// The gradient of the scalar `f()` with respect to each element of `x`, estimated by central
/// differences with step `epsilon`. `f` must read `x`'s current data; `x` is left as it was.
/// Runs without recording a graph.
public func numericalGradient(of f: () -> Tensor, wrt x: Tensor, epsilon: Float = 1e-2) -> [Float] {
  // BEGIN EXERCISE 1.1 "Numerical gradient by central differences" points=2
  // hint: One element at a time: how does f() change when you move only x.data[i] a little up, and a little
  // hint: down?
  // hint 2: f() reads x's current data, so change x.data in place and call it again; put each element back
  // hint 2: before the next one, and work inside noGrad so no graph is recorded.
  // hint 3: For each index: remember the value, evaluate f a step ε above it and a step ε below it, restore
  // hint 3: it, and divide the change in f by the distance between the two points. Subtract in Double: Float
  // hint 3: rounding swamps a small difference.
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
  // END EXERCISE 1.1
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
