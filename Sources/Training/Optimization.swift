// The optimisation pieces of fine-tuning, as transformers' Trainer sets them up: AdamW with weight
// decay on weights only, and gradient clipping by the global norm (`max_grad_norm`).

import Foundation
import TensorCore

/// Whether the parameter `name` of `module` (its property name there: `"weight"`, `"bias"`)
/// gets weight decay. transformers' Trainer decays every weight matrix and embedding table, but
/// not biases and no parameter of a LayerNorm (`get_decay_parameter_names`: `ALL_LAYERNORM_LAYERS`
/// and names containing "bias"): shrinking those towards zero does not simplify the model, it
/// only shifts or rescales activations. Deciding by the layer's type, not by its name, works for
/// any model, whatever it calls its norms (`LayerNorm`, `ln_1`, `ln_f`, `norm`).
public func isDecayed(parameterName name: String, in module: Module) -> Bool {
  // BEGIN EXERCISE 5.4 "Which parameters get weight decay" points=2
  // hint: `module` is the layer that declares the parameter and `name` its property there; Swift's `is` tests what kind of layer a module is.
  // hint: Two kinds of parameter are left alone: biases, whatever layer holds them, and everything that belongs to a normalisation layer. All others, embedding tables included, are decayed.
  if module is LayerNorm { return false }
  return name != "bias"
  // END EXERCISE 5.4
}

/// The names of the parameters that get weight decay, in `namedParameters()` order, frozen ones
/// included (transformers' `get_decay_parameter_names`): each module's own parameters judged by
/// `isDecayed(parameterName:in:)`, as minGPT's `configure_optimizers` walks them.
public func decayParameterNames(_ model: Module) -> [String] {
  var decayed = Set<String>()
  for (path, module) in model.namedModules() {
    for (name, _) in module.namedParameters(recurse: false) where isDecayed(parameterName: name, in: module) {
      decayed.insert(path.isEmpty ? name : path + "." + name)
    }
  }
  return model.namedParameters().map(\.name).filter(decayed.contains)
}

/// AdamW as transformers' Trainer builds it (`create_optimizer`): two groups, weight decay on
/// the parameters `decayParameterNames` lists and none on the others. Frozen parameters
/// (`requiresGrad == false`) are left out, so they get no optimizer state: freeze before
/// building the optimizer (and build a new one after unfreezing).
public func makeAdamW(
  _ model: Module, learningRate: Float, weightDecay: Float, betas: (Float, Float) = (0.9, 0.999),
  eps: Float = 1e-8
) -> AdamW {
  let decay = Set(decayParameterNames(model))
  var decayed: [Tensor] = []
  var plain: [Tensor] = []
  for (name, p) in model.namedParameters() where p.requiresGrad {
    if decay.contains(name) { decayed.append(p) } else { plain.append(p) }
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
