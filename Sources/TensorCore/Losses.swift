// Loss functions: how wrong a prediction is, as one number to minimise.

import Exercises
import Foundation

extension Tensor {
  /// (a - b)², elementwise with broadcasting: the building block of the squared error.
  ///
  /// Lesson 1 has you write this op by hand, forward and backward, instead of composing
  /// `(a - b) * (a - b)`: one node in the graph with its own local backward, whose gradients
  /// have the shapes of `self` and `other` even when one of them was broadcast.
  public func squaredDifference(_ other: Tensor) -> Tensor {
    // BEGIN EXERCISE 1.2 "Squared difference, forward and backward" points=2
    // hint: An op is a forward value plus a closure that sends the incoming gradient to each parent:
    // hint: differentiate (a − b)² with respect to a and to b.
    // hint 2: broadcastMap computes an elementwise function of two broadcast inputs. In the backward closure
    // hint 2: y.grad holds the incoming gradient in the output's shape; addGrad adds into a parent (a tensor
    // hint 2: used twice gets both contributions), and a broadcast input needs its gradient summed back to
    // hint 2: its own shape (sumToShape).
    // hint 3: Forward: the difference over the broadcast shape (keep it for the backward), squared. Backward:
    // hint 3: each element's incoming gradient times the derivative for a; b's has the opposite sign; reduce
    // hint 3: each to its input's shape and add it to the inputs that require a gradient.
    let a = self
    let b = other
    let out = a.broadcastShape(with: b, op: "squaredDifference")
    let difference = broadcastMap(a.data, a.shape, b.data, b.shape, out: out, -)
    return Tensor(difference.map { $0 * $0 }, shape: out, op: "squaredDifference", parents: [a, b]) { y in
      let g = y.grad!.data
      var da = [Float](repeating: 0, count: g.count)
      for i in 0..<g.count { da[i] = 2 * difference[i] * g[i] }
      if a.requiresGrad { a.addGrad(sumToShape(da, from: out, to: a.shape)) }
      if b.requiresGrad { b.addGrad(sumToShape(da.map { -$0 }, from: out, to: b.shape)) }
    }
    // END EXERCISE 1.2
  }
}

/// The mean squared error, PyTorch's `F.mse_loss` with `reduction="mean"`.
public func mseLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
  prediction.squaredDifference(target).mean()
}

/// Binary cross-entropy on logits (PyTorch's `F.binary_cross_entropy_with_logits`, mean):
/// -[y·log σ(z) + (1-y)·log(1-σ(z))], averaged. `targets` (0 or 1, or probabilities) has the
/// logits' shape.
///
/// Computed without ever taking the log of 0 or overflowing `exp`, whatever the logits: a
/// logit of ±100 gives a finite loss and gradient.
public func binaryCrossEntropyWithLogits(_ logits: Tensor, _ targets: Tensor) -> Tensor {
  check(
    logits.shape == targets.shape,
    "binaryCrossEntropyWithLogits: logits \(logits.shape) and targets \(targets.shape) differ")
  // BEGIN EXERCISE 1.4 "Binary cross-entropy on logits" points=2
  // hint: log σ(z) taken literally fails for large |z| (the log of 0, exp overflowing): write each element's
  // hint: loss in a form that is stable for any z, then differentiate it.
  // hint 2: log(1 + e^t) is log1p(exp(t)), safe while t ≤ 0: split the loss on the sign of z (or use |z|) so
  // hint 2: exp never sees a large positive number. The derivative of one element's loss with respect to its
  // hint 2: logit is short in terms of σ(z) (stableSigmoid) and y; the mean divides it by the count.
  // hint 3: Forward: add up the stable per-element losses in Double, divide by the count, return a scalar
  // hint 3: Tensor whose parent is logits. Backward: read the scalar incoming gradient, and in logits.addGrad
  // hint 3: { dz in ... } add each element's derivative times that gradient.
  let z = logits.data
  let y = targets.data
  let n = Float(z.count)
  var total: Double = 0
  for i in 0..<z.count {
    total += Double(max(z[i], 0) - z[i] * y[i] + log1p(exp(-abs(z[i]))))
  }
  return Tensor([Float(total) / n], shape: [], op: "bceWithLogits", parents: [logits]) { out in
    let g = out.grad!.data[0]
    logits.addGrad { dz in
      for i in 0..<dz.count { dz[i] += g * (stableSigmoid(z[i]) - y[i]) / n }
    }
  }
  // END EXERCISE 1.4
}

/// Cross-entropy between logits and class indices (PyTorch's `F.cross_entropy`), averaged over
/// the targets that are not `ignoreIndex`: masked language modelling marks every position that
/// is not masked with -100 so it does not count.
///
/// `logits` is (..., classes) and `targets` has one class index per row. Fused with log-softmax:
/// the loss of a row is logsumexp(z) - z[target], and its gradient is softmax(z) - onehot(target),
/// divided by the number of counted rows. With every target ignored the mean is 0/0 = NaN, as
/// in PyTorch.
public func crossEntropy(_ logits: Tensor, targets: [Int], ignoreIndex: Int = -100) -> Tensor {
  let classes = logits.shape.last ?? 0
  check(logits.rank >= 1 && classes > 0, "crossEntropy: logits must be (..., classes), got \(logits.shape)")
  let rows = logits.count / classes
  check(
    targets.count == rows,
    "crossEntropy: \(targets.count) targets for \(rows) rows of logits \(logits.shape)")
  if let bad = targets.first(where: { $0 != ignoreIndex && ($0 < 0 || $0 >= classes) }) {
    fatalError("TensorCore: crossEntropy: target \(bad) is not a class index in 0..<\(classes)")
  }
  let z = logits.data
  var probabilities = [Float](repeating: 0, count: logits.count)
  var total: Double = 0
  var counted = 0
  for r in 0..<rows where targets[r] != ignoreIndex {
    let base = r * classes
    var m = -Float.infinity
    for j in 0..<classes { m = max(m, z[base + j]) }
    var sum: Float = 0
    for j in 0..<classes {
      let e = exp(z[base + j] - m)
      probabilities[base + j] = e
      sum += e
    }
    for j in 0..<classes { probabilities[base + j] /= sum }
    total += Double(m + log(sum) - z[base + targets[r]])
    counted += 1
  }
  let n = Float(counted)
  let softmax = probabilities
  return Tensor([Float(total) / n], shape: [], op: "crossEntropy", parents: [logits]) { out in
    let g = out.grad!.data[0] / n
    logits.addGrad { dz in
      for r in 0..<rows where targets[r] != ignoreIndex {
        let base = r * classes
        for j in 0..<classes { dz[base + j] += g * softmax[base + j] }
        dz[base + targets[r]] -= g
      }
    }
  }
}
