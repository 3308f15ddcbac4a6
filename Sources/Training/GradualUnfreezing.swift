// Gradual unfreezing (ULMFiT, Howard and Ruder 2018, section 3.3): the first epoch trains the
// new head only, each later epoch unfreezes the next layer down, until the whole model trains.
// The top layers, closest to the task, adapt first; the general lower layers join last, when
// the head no longer sends large random gradients through them.

import Foundation
import TensorCore

/// A Trainer callback that unfreezes one more depth of the model at the start of each epoch:
/// epoch 0 trains what is above the layers (the head), epoch 1 adds the top layer, …, and
/// epoch `layers + 1` adds the embeddings. The optimizer must hold every parameter, frozen ones
/// included (`makeAdamW` leaves frozen ones out, so give the Trainer one built with
/// `makeLayerwiseAdamW(..., includeFrozen: true)` or build it before freezing); a frozen
/// parameter gets no gradient and the optimizer skips it.
public final class GradualUnfreezingCallback: TrainerCallback {
  public let model: Module
  /// The model's number of encoder layers.
  public let layers: Int
  /// The lowest depth trainable now (`layerDepth`): `layers + 1` is the head only.
  public private(set) var trainableDepth: Int

  /// Unfreezes `model` gradually; it starts with the head alone trainable.
  public init(model: Module) {
    self.model = model
    layers = encoderLayerCount(model)
    trainableDepth = layers + 1
  }

  public func onTrainBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
    trainableDepth = layers + 1
    trainOnlyFromDepth(model, depth: trainableDepth)
  }

  public func onEpochBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
    // Epoch e (0-based) trains depths ≥ layers + 1 − e.
    let epoch = Int(state.epoch.rounded())
    trainableDepth = max(0, layers + 1 - epoch)
    trainOnlyFromDepth(model, depth: trainableDepth)
  }
}
