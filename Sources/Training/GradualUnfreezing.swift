// Gradual unfreezing (ULMFiT, Howard and Ruder 2018, section 3.3): the first epoch trains the
// new head only, each later epoch unfreezes the next layer down, until the whole model trains.
// The top layers, closest to the task, adapt first; the general lower layers join last, when
// the head no longer sends large random gradients through them.
//
// A run of a single epoch (one pass over a large set, as on SST-2) would never leave the head
// under that rule, so the callback can also advance every `stepsPerStage` optimizer steps: the
// same order of stages, spread over the steps instead of the epochs.

import Foundation
import TensorCore

/// A Trainer callback that unfreezes one more depth of the model at the start of each epoch
/// (or of each stage of `stepsPerStage` steps): stage 0 trains what is above the layers (the
/// head), stage 1 adds the top layer, …, and stage `layers + 1` adds the embeddings. The
/// optimizer must hold every parameter, frozen ones included (`makeAdamW` leaves frozen ones
/// out, so give the Trainer one built with `makeLayerwiseAdamW(..., includeFrozen: true)` or
/// build it before freezing); a frozen parameter gets no gradient and the optimizer skips it.
public final class GradualUnfreezingCallback: TrainerCallback {
  public let model: Module
  /// The model's number of encoder layers.
  public let layers: Int
  /// Optimizer steps per stage; nil: one stage per epoch, as ULMFiT does.
  public let stepsPerStage: Int?
  /// The lowest depth trainable now (`layerDepth`): `layers + 1` is the head only.
  public private(set) var trainableDepth: Int

  /// Unfreezes `model` gradually, one depth per epoch, or per `stepsPerStage` steps when given
  /// (at least 1); it starts with the head alone trainable.
  public init(model: Module, stepsPerStage: Int? = nil) {
    self.model = model
    layers = encoderLayerCount(model)
    self.stepsPerStage = stepsPerStage.map { max(1, $0) }
    trainableDepth = layers + 1
  }

  /// The steps per stage that spread all `layers + 2` stages (head, each layer, embeddings)
  /// evenly over a run of `totalSteps` optimizer steps, so the last stage trains everything:
  /// ⌈totalSteps / (layers + 2)⌉, or the floor when the ceiling would start the last stage after
  /// the run's end (a short run: 5 steps, 2 layers). At least 1; a run of fewer steps than
  /// stages cannot open them all.
  public static func stepsPerStage(totalSteps: Int, layers: Int) -> Int {
    let stages = layers + 2
    let ceiling = (totalSteps + stages - 1) / stages
    // Stage `layers + 1` (everything) begins at step (layers + 1) · n, 0-based.
    return max(1, (layers + 1) * ceiling < totalSteps ? ceiling : totalSteps / stages)
  }

  public func onTrainBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
    trainableDepth = layers + 1
    trainOnlyFromDepth(model, depth: trainableDepth)
  }

  public func onEpochBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
    guard stepsPerStage == nil else { return }
    // Epoch e (0-based) trains depths ≥ layers + 1 − e.
    unfreeze(stage: Int(state.epoch.rounded()))
  }

  public func onStepBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
    guard let stepsPerStage else { return }
    // Steps [s·n, (s+1)·n) (0-based, n = stepsPerStage) train depths ≥ layers + 1 − s.
    unfreeze(stage: state.globalStep / stepsPerStage)
  }

  /// Makes depths ≥ `layers + 1 − stage` trainable (only when that changes anything).
  private func unfreeze(stage: Int) {
    let depth = max(0, layers + 1 - stage)
    guard depth != trainableDepth else { return }
    trainableDepth = depth
    trainOnlyFromDepth(model, depth: depth)
  }
}
