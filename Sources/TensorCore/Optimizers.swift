// Optimizers: how parameters move after `backward()` has filled their gradients.
// The semantics (and defaults) are PyTorch's `torch.optim.SGD` and `torch.optim.AdamW`.

import Exercises
import Foundation

/// Parameters that share hyperparameters (PyTorch's param groups), e.g. no weight decay on
/// biases and LayerNorm weights, or a smaller learning rate for lower layers.
public struct ParameterGroup {
  public var parameters: [Tensor]
  public var learningRate: Float
  public var weightDecay: Float

  public init(_ parameters: [Tensor], learningRate: Float, weightDecay: Float = 0) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.weightDecay = weightDecay
  }
}

/// What every optimizer can do.
public protocol Optimizer: AnyObject {
  /// The parameter groups, whose learning rates a scheduler may change between steps.
  var groups: [ParameterGroup] { get set }
  /// Updates every parameter that has a gradient. One without (a frozen parameter never gets
  /// one) is skipped entirely, as PyTorch skips `p.grad is None`: no step, no weight decay, no
  /// state. So an optimizer given every parameter follows freezing and unfreezing between
  /// steps (gradual unfreezing).
  func step()
}

extension Optimizer {
  /// Clears the gradients of all parameters (PyTorch's `zero_grad(set_to_none=True)`).
  public func zeroGrad() {
    for group in groups { for p in group.parameters { p.grad = nil } }
  }

  /// Sets the learning rate of every group.
  public var learningRate: Float {
    get { groups.first?.learningRate ?? 0 }
    set { for i in groups.indices { groups[i].learningRate = newValue } }
  }
}

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight
/// decay, with the semantics and defaults of PyTorch's `torch.optim.SGD` (whose documentation
/// gives the algorithm). Used full-batch, as in Lesson 1, it is plain gradient descent.
public final class SGD: Optimizer {
  public var groups: [ParameterGroup]
  public let momentum: Float
  public let dampening: Float
  public let nesterov: Bool
  /// One velocity buffer per parameter, created on its first step.
  var velocity: [ObjectIdentifier: [Float]] = [:]

  public init(
    _ parameters: [Tensor], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
    weightDecay: Float = 0, nesterov: Bool = false
  ) {
    self.groups = [ParameterGroup(parameters, learningRate: learningRate, weightDecay: weightDecay)]
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
  }

  public func step() {
    for group in groups {
      for p in group.parameters {
        guard let grad = p.grad else { continue }
        update(p, grad: grad.data, learningRate: group.learningRate, weightDecay: group.weightDecay)
      }
    }
  }

  /// One parameter's update.
  func update(_ p: Tensor, grad: [Float], learningRate lr: Float, weightDecay: Float) {
    // BEGIN EXERCISE 1.3 "An SGD step with momentum" points=2
    // hint: PyTorch's torch.optim.SGD documentation has the algorithm: weight decay, momentum and Nesterov
    // hint: each change the gradient before the step p ← p − lr · direction.
    // hint 2: Weight decay joins the gradient first, so momentum sees it. The velocity is per parameter and
    // hint 2: lives across steps in `velocity[ObjectIdentifier(p)]`; a parameter's first step starts it
    // hint 2: differently from later steps, and dampening does not apply then. Nesterov looks ahead with the
    // hint 2: velocity just updated.
    // hint 3: Start from the gradient plus the decay term. With momentum: fetch the velocity (or start it),
    // hint 3: update it by the momentum rule, store it. The direction is the velocity, or with Nesterov the
    // hint 3: gradient plus momentum times the velocity. Move p.data against the direction by the learning
    // hint 3: rate.
    var g = grad
    if weightDecay != 0 { for i in 0..<g.count { g[i] += weightDecay * p.data[i] } }
    if momentum != 0 {
      let key = ObjectIdentifier(p)
      var v = velocity[key] ?? g
      if velocity[key] != nil { for i in 0..<v.count { v[i] = momentum * v[i] + (1 - dampening) * g[i] } }
      velocity[key] = v
      if nesterov { for i in 0..<g.count { g[i] += momentum * v[i] } } else { g = v }
    }
    for i in 0..<g.count { p.data[i] -= lr * g[i] }
    // END EXERCISE 1.3
  }
}

/// Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch's `torch.optim.AdamW`),
/// with PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
///
/// Each step t, for parameter p with gradient g:
///   p ← p - lr·weightDecay·p                      (decay, not added to g: "decoupled")
///   m ← β₁m + (1-β₁)g,  v ← β₂v + (1-β₂)g²       (moving averages)
///   p ← p - (lr / (1-β₁ᵗ)) · m / (√v / √(1-β₂ᵗ) + eps)   (bias-corrected, as PyTorch computes it)
public final class AdamW: Optimizer {
  public var groups: [ParameterGroup]
  public let beta1: Float
  public let beta2: Float
  public let eps: Float

  /// Per-parameter state: step count and the two moving averages.
  struct State {
    var step = 0
    var m: [Float]
    var v: [Float]
  }
  var state: [ObjectIdentifier: State] = [:]

  /// One group of parameters sharing `learningRate` and `weightDecay`.
  public convenience init(
    _ parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
    eps: Float = 1e-8, weightDecay: Float = 0.01
  ) {
    self.init(
      groups: [ParameterGroup(parameters, learningRate: learningRate, weightDecay: weightDecay)],
      betas: betas,
      eps: eps)
  }

  /// Several groups, each with its own learning rate and weight decay.
  public init(groups: [ParameterGroup], betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8) {
    self.groups = groups
    self.beta1 = betas.0
    self.beta2 = betas.1
    self.eps = eps
  }

  /// One parameter's saved state: its step count and Adam's two moving averages.
  public struct ParameterState: Codable, Equatable, Sendable {
    public var step: Int
    public var m: [Float]
    public var v: [Float]

    public init(step: Int, m: [Float], v: [Float]) {
      self.step = step
      self.m = m
      self.v = v
    }
  }

  /// The state of every parameter, in group order (`nil` for one that has not stepped yet): what
  /// a checkpoint saves so that a resumed run takes exactly the steps an uninterrupted one would.
  public var parameterStates: [ParameterState?] {
    get {
      groups.flatMap(\.parameters).map { p in
        state[ObjectIdentifier(p)].map { ParameterState(step: $0.step, m: $0.m, v: $0.v) }
      }
    }
    set {
      let parameters = groups.flatMap(\.parameters)
      precondition(newValue.count == parameters.count, "one state per parameter")
      state = [:]
      for (p, saved) in zip(parameters, newValue) {
        guard let saved else { continue }
        precondition(saved.m.count == p.count && saved.v.count == p.count, "state sized like its parameter")
        state[ObjectIdentifier(p)] = State(step: saved.step, m: saved.m, v: saved.v)
      }
    }
  }

  /// The number of steps taken so far: the largest step count of any parameter.
  public var stepCount: Int { state.values.map(\.step).max() ?? 0 }

  public func step() {
    for group in groups {
      let lr = group.learningRate
      for p in group.parameters {
        guard let grad = p.grad else { continue }
        let key = ObjectIdentifier(p)
        var s =
          state[key]
          ?? State(m: [Float](repeating: 0, count: p.count), v: [Float](repeating: 0, count: p.count))
        state[key] = nil  // keep the buffers uniquely referenced while updating in place
        s.step += 1
        let correction1 = 1 - Foundation.pow(beta1, Float(s.step))
        let correction2 = 1 - Foundation.pow(beta2, Float(s.step))
        let stepSize = lr / correction1
        let correction2Root = correction2.squareRoot()
        let decay = 1 - lr * group.weightDecay
        let (b1, b2, eps) = (beta1, beta2, self.eps)
        let count = p.count
        grad.data.withUnsafeBufferPointer { g in
          p.data.withUnsafeMutableBufferPointer { x in
            s.m.withUnsafeMutableBufferPointer { m in
              s.v.withUnsafeMutableBufferPointer { v in
                guard count > 0 else { return }
                nonisolated(unsafe) let (g, x, m, v) = (
                  g.baseAddress!, x.baseAddress!, m.baseAddress!, v.baseAddress!
                )
                // Each value's update is independent: a large table (a real vocabulary's
                // embeddings) is split between the cores, with the same result. Eight values
                // at a time in SIMD registers (the compiler does not vectorise it by itself,
                // as x, m, v and g might overlap), then the rest one by one, the same math.
                parallelParts(work: 8 * count, maxParts: count) { part, parts in
                  let range = partRange(count, part: part, parts: parts, granule: 8)
                  var i = range.lowerBound
                  while i + 8 <= range.upperBound {
                    let gi = SIMD8<Float>(load: g + i)
                    let mi = b1 * SIMD8<Float>(load: m + i) + (1 - b1) * gi
                    let vi = b2 * SIMD8<Float>(load: v + i) + (1 - b2) * gi * gi
                    let xi = SIMD8<Float>(load: x + i) * decay
                    (xi - stepSize * mi / (vi.squareRoot() / correction2Root + eps)).store(to: x + i)
                    mi.store(to: m + i)
                    vi.store(to: v + i)
                    i += 8
                  }
                  for i in i..<range.upperBound {
                    x[i] *= decay
                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                    x[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + eps)
                  }
                }
              }
            }
          }
        }
        state[key] = s
      }
    }
  }
}
