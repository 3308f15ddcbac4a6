// transformers' `model.gradient_checkpointing_enable()`: every transformer layer of the model
// runs under TensorCore's `checkpoint` while training, so the backward pass recomputes a layer's
// activations instead of keeping them (Lesson 6 measures the memory and the time).
import TensorCore

extension Module {
  /// Checkpoints every BERT, RoBERTa and GPT-2 layer of this model while it trains (transformers'
  /// `gradient_checkpointing_enable()`). Gradients are unchanged; activation memory falls to
  /// about one layer's, for a second forward pass per layer. Layers given prefix-tuning key/value
  /// prefixes run as usual.
  public func gradientCheckpointingEnable() { setGradientCheckpointing(true) }

  /// Turns gradient checkpointing off again (transformers' `gradient_checkpointing_disable()`).
  public func gradientCheckpointingDisable() { setGradientCheckpointing(false) }

  /// Whether any layer stack of this model is checkpointed (transformers'
  /// `is_gradient_checkpointing`).
  public var isGradientCheckpointing: Bool {
    namedModules().contains {
      ($0.module as? BertEncoder)?.gradientCheckpointing == true
        || ($0.module as? GPT2Model)?.gradientCheckpointing == true
    }
  }

  func setGradientCheckpointing(_ on: Bool) {
    for (_, module) in namedModules() {
      (module as? BertEncoder)?.gradientCheckpointing = on
      (module as? GPT2Model)?.gradientCheckpointing = on
    }
  }
}

/// Runs one transformer layer, under `checkpoint` when `enabled`: `body` maps the layer's input
/// to its output and attention weights. The weights come from the first (unrecorded) pass.
func runLayer(
  _ layer: Module, _ hidden: Tensor, checkpointed enabled: Bool,
  _ body: @escaping (Tensor) -> (Tensor, Tensor)
) -> (Tensor, Tensor) {
  guard enabled else { return body(hidden) }
  // The layers' dropouts draw from the default generator (Dropout's default), replayed in the
  // recomputation.
  nonisolated(unsafe) var weights: Tensor?
  let output = checkpoint(hidden, parameters: layer.parameters(), generator: .default) { x in
    let (next, attention) = body(x)
    if weights == nil { weights = attention }
    return next
  }
  return (output, weights!)
}
