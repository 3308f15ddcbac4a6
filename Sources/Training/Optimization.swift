// The optimisation pieces of fine-tuning, as transformers' Trainer sets them up: AdamW with weight
// decay on weights only, and gradient clipping by the global norm (`max_grad_norm`).

import Foundation
import TensorCore

/// Whether the parameter `name` of `module` (its property name there: `"weight"`, `"bias"`)
/// gets weight decay, as transformers' Trainer decides (`get_decay_parameter_names`), for any
/// model whatever it calls its layers.
public func isDecayed(parameterName name: String, in module: Module) -> Bool {
  // BEGIN EXERCISE 5.2 "Which parameters get weight decay" points=2
  // hint: transformers' Trainer leaves two kinds of parameters without weight decay
  // hint: (get_decay_parameter_names): which, and why would shrinking them towards zero not make the model
  // hint: simpler?
  // hint 2: `module` is the layer that declares the parameter and `name` its property there ("weight",
  // hint 2: "bias"). Decide by the layer's type (Swift's `is`), not by a path or a name, so any model's norms
  // hint 2: count whatever it calls them.
  // hint 3: No decay for any parameter of a normalisation layer, nor for any bias; decay for everything else,
  // hint 3: embedding tables included.
  if module is LayerNorm { return false }
  return name != "bias"
  // END EXERCISE 5.2
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
  // Without weight decay the split changes nothing, so it is not asked for (Lesson 4's runs
  // train before Lesson 5's exercise 5.2 is written).
  let decay = weightDecay == 0 ? [] : Set(decayParameterNames(model))
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
  // BEGIN EXERCISE 5.4 "Gradient clipping by global norm" points=2
  // hint: Global: one norm over every gradient together, and one scale factor for all of them.
  // hint 2: The global norm is the square root of the sum of the squares of every gradient entry
  // hint 2: (equivalently of the per-parameter norms); parameters without a gradient are skipped. PyTorch
  // hint 2: scales by maxNorm / (norm + 1e-6), and only when that is below 1.
  // hint 3: Add up the squared per-parameter norms in Double; take the root; if the scale is below 1,
  // hint 3: multiply every gradient's data in place by it; return the norm from before clipping.
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
  // END EXERCISE 5.4
}
