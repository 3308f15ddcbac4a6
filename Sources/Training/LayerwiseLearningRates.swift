// Discriminative fine-tuning (ULMFiT, Howard and Ruder 2018, section 3.2), known for BERT as
// layer-wise learning-rate decay (LLRD): the top of the stack gets the full learning rate and
// each layer below it `decay` times its upper neighbour's, so the lower layers, which hold the
// most general features, move least. ULMFiT divides by 2.6 per layer (decay ≈ 0.38); BERT
// recipes use 0.8–0.95.

import Foundation
import TensorCore

/// AdamW parameter groups with layer-wise decayed learning rates: a parameter at depth d
/// (`layerDepth`: 0 the embeddings, i + 1 layer i, `layers + 1` the head and anything else
/// above the layers) gets `learningRate · decay^(layers + 1 − d)`, so the head trains at the
/// full rate, the top layer at `learningRate · decay`, and the embeddings at
/// `learningRate · decay^(layers + 1)`. Within each depth the parameters are split as
/// `makeAdamW` splits them: `weightDecay` on the names `decayParameterNames` lists, none on
/// the others. Groups are ordered from the head down, decayed group first at each depth;
/// empty groups are left out. With `includeFrozen`, frozen parameters are placed in their
/// groups too (the optimizer skips them until they are unfrozen: gradual unfreezing).
public func layerwiseLearningRateGroups(
  _ model: Module, learningRate: Float, decay: Float, weightDecay: Float, includeFrozen: Bool = false
) -> [ParameterGroup] {
  // BEGIN EXERCISE 6.2 "Layer-wise learning-rate groups" points=3
  // hint: The head learns at the full rate and every step down the stack multiplies the rate by `decay`
  // hint: once more. `layerDepth(ofParameter:layers:)` and `encoderLayerCount` tell you where a name sits.
  // hint 2: Count the steps down from the top: the head is at depth layers + 1 and gets decay^0; the
  // hint 2: embeddings are at depth 0 and get the most factors. Keep makeAdamW's rule for weight decay
  // hint 2: (decayParameterNames): biases and LayerNorm weights get none, at every depth.
  // hint 3: Loop over depths from layers + 1 down to 0; for each, collect the (trainable, unless
  // hint 3: includeFrozen) parameters at that depth into a decayed and a plain list, in namedParameters()
  // hint 3: order; append a ParameterGroup for each non-empty list with rate learningRate · decay^(steps
  // hint 3: from the top) and weight decay weightDecay or 0.
  let layers = encoderLayerCount(model)
  let decayed = Set(decayParameterNames(model))
  let named = model.namedParameters().filter { includeFrozen || $0.tensor.requiresGrad }
  var groups: [ParameterGroup] = []
  for depth in stride(from: layers + 1, through: 0, by: -1) {
    let rate = learningRate * Foundation.pow(decay, Float(layers + 1 - depth))
    let here = named.filter { layerDepth(ofParameter: $0.name, layers: layers) == depth }
    let withDecay = here.filter { decayed.contains($0.name) }.map(\.tensor)
    let without = here.filter { !decayed.contains($0.name) }.map(\.tensor)
    if !withDecay.isEmpty {
      groups.append(ParameterGroup(withDecay, learningRate: rate, weightDecay: weightDecay))
    }
    if !without.isEmpty { groups.append(ParameterGroup(without, learningRate: rate, weightDecay: 0)) }
  }
  return groups
  // END EXERCISE 6.2
}

/// AdamW over `layerwiseLearningRateGroups`: give it to the Trainer as
/// `optimizers: (optimizer, nil)`, and the schedule multiplies every group's own rate.
public func makeLayerwiseAdamW(
  _ model: Module, learningRate: Float, decay: Float, weightDecay: Float, includeFrozen: Bool = false,
  betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8
) -> AdamW {
  AdamW(
    groups: layerwiseLearningRateGroups(
      model, learningRate: learningRate, decay: decay, weightDecay: weightDecay, includeFrozen: includeFrozen),
    betas: betas, eps: eps)
}
