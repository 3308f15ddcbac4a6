// The optimisation pieces of fine-tuning, as transformers' Trainer sets them up: AdamW with weight
// decay on weights only, and gradient clipping by the global norm (`max_grad_norm`).

import Foundation
import TensorCore

/// Whether the parameter called `name` gets weight decay. transformers' Trainer decays every
/// weight matrix and embedding table, but not biases and LayerNorm weights: shrinking those
/// towards zero does not simplify the model, it only shifts or rescales activations.
public func isDecayed(parameterName name: String) -> Bool {
  // BEGIN EXERCISE 5.4 "Which parameters get weight decay" points=2
  // hint: Hugging Face names end in "bias" for biases; BERT's LayerNorm modules are called "LayerNorm", GPT-2's are "ln_1", "ln_2" and "ln_f". Everything else is decayed.
  let parts = name.split(separator: ".")
  if parts.last == "bias" { return false }
  return !parts.contains { $0.contains("LayerNorm") || $0.hasPrefix("ln_") }
  // END EXERCISE 5.4
}

/// AdamW with weight decay on weights only: biases and LayerNorm weights are not decayed, as
/// transformers' Trainer does. Parameters listed in `frozen` are left out.
public func makeAdamW(
  _ model: Module, learningRate: Float, weightDecay: Float, betas: (Float, Float) = (0.9, 0.999),
  eps: Float = 1e-8
) -> AdamW {
  var decayed: [Tensor] = []
  var plain: [Tensor] = []
  for (name, p) in model.namedParameters() {
    if isDecayed(parameterName: name) { decayed.append(p) } else { plain.append(p) }
  }
  return AdamW(
    groups: [
      ParameterGroup(decayed, learningRate: learningRate, weightDecay: weightDecay),
      ParameterGroup(plain, learningRate: learningRate, weightDecay: 0),
    ], betas: betas, eps: eps)
}

/// Scales all gradients together so that their global L2 norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_`; returns the norm before clipping. One large gradient (a
/// rare token, an early step) then cannot throw the weights far, and the direction is kept.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
  // BEGIN EXERCISE 5.2 "Gradient clipping by global norm" points=2
  // hint: The global norm is the L2 norm of every gradient entry of every parameter taken together (skip parameters without a gradient): the square root of the sum of the squared per-parameter norms, grad.norm().item.
  // hint: If it exceeds maxNorm, multiply every gradient by maxNorm / (norm + 1e-6), as PyTorch does; return the norm measured before clipping.
  // The norm of the per-parameter norms, as torch.nn.utils.clip_grad_norm_ computes it.
  var sumOfSquares: Double = 0
  for p in parameters {
    guard let grad = p.grad else { continue }
    let n = Double(grad.norm().item)
    sumOfSquares += n * n
  }
  let norm = Float(sumOfSquares.squareRoot())
  let scale = maxNorm / (norm + 1e-6)
  if scale < 1 {
    for p in parameters {
      guard let grad = p.grad else { continue }
      grad.data.withUnsafeMutableBufferPointer { g in
        for i in g.indices { g[i] *= scale }
      }
    }
  }
  return norm
  // END EXERCISE 5.2
}
