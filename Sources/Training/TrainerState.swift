// What a run has done so far (transformers' `TrainerState`, saved as `trainer_state.json`), and
// the callbacks that watch it (`TrainerCallback`, `EarlyStoppingCallback`).

import Foundation

/// The progress of a `Trainer` run, written to `trainer_state.json` in every checkpoint.
public struct TrainerState: Codable, Sendable, Equatable {
  /// Optimizer steps taken.
  public var globalStep = 0
  /// Epochs done, fractional within an epoch.
  public var epoch: Double = 0
  /// Optimizer steps the run will take.
  public var maxSteps = 0
  public var numTrainEpochs: Double = 0
  public var trainBatchSize = 0
  /// Every log line: training entries (`loss`, `learning_rate`, `grad_norm`) and evaluations
  /// (`eval_loss`, `eval_accuracy`, …), each with its `step` and `epoch`.
  public var logHistory: [[String: Double]] = []
  /// The best value so far of `metric_for_best_model`, and the checkpoint that had it.
  public var bestMetric: Double?
  public var bestModelCheckpoint: String?

  public init() {}

  enum CodingKeys: String, CodingKey {
    case globalStep = "global_step", epoch, maxSteps = "max_steps", numTrainEpochs = "num_train_epochs"
    case trainBatchSize = "train_batch_size", logHistory = "log_history", bestMetric = "best_metric"
    case bestModelCheckpoint = "best_model_checkpoint"
  }
}

/// What callbacks can ask of the training loop (transformers' `TrainerControl`). Before
/// `onStepEnd` (and `onEpochEnd`) the loop sets the flags its strategies call for; a callback
/// may set more, and the loop then logs, evaluates and saves (in that order) and clears them.
public struct TrainerControl: Sendable {
  /// Stop after the current step (its evaluation and checkpoint still happen).
  public var shouldTrainingStop = false
  /// Write a training log entry (`loss`, `learning_rate`, `grad_norm`) now.
  public var shouldLog = false
  /// Evaluate on the eval dataset now.
  public var shouldEvaluate = false
  /// Save a checkpoint now.
  public var shouldSave = false
  public init() {}
}

/// Code that runs at fixed points of training (transformers' `TrainerCallback`, the same
/// events in the same order: `onTrainBegin`, then per epoch `onEpochBegin`, per optimizer step
/// `onStepBegin` and `onStepEnd` (followed by `onLog`, `onEvaluate`, `onSave` when they
/// happen), `onEpochEnd`, and finally `onTrainEnd`). Every method has an empty default, so a
/// callback implements only what it needs.
public protocol TrainerCallback: AnyObject {
  /// Before the first step (after a checkpoint has been restored, when resuming).
  func onTrainBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl)
  /// After the last step, the final log and the loading of the best model.
  func onTrainEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl)
  /// Before the first step of each epoch.
  func onEpochBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl)
  /// After the last step of each epoch (or the step that stopped training).
  func onEpochEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl)
  /// Before each optimizer step's batches are run.
  func onStepBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl)
  /// After each optimizer step.
  func onStepEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl)
  /// After each evaluation, with its metrics (`eval_loss`, …).
  func onEvaluate(
    args: TrainingArguments, state: TrainerState, metrics: [String: Double], control: inout TrainerControl)
  /// After each checkpoint is saved.
  func onSave(args: TrainingArguments, state: TrainerState, control: inout TrainerControl)
  /// After each log entry.
  func onLog(args: TrainingArguments, state: TrainerState, logs: [String: Double])
}

extension TrainerCallback {
  public func onTrainBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {}
  public func onTrainEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {}
  public func onEpochBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {}
  public func onEpochEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {}
  public func onStepBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {}
  public func onStepEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {}
  public func onEvaluate(
    args: TrainingArguments, state: TrainerState, metrics: [String: Double], control: inout TrainerControl
  ) {}
  public func onSave(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {}
  public func onLog(args: TrainingArguments, state: TrainerState, logs: [String: Double]) {}
}

/// Stops training when `metric_for_best_model` has not improved by more than `threshold` for
/// `patience` evaluations in a row (transformers' `EarlyStoppingCallback`; it needs
/// `load_best_model_at_end`, so that the run ends on the best weights, not the last).
public final class EarlyStoppingCallback: TrainerCallback {
  public let patience: Int
  public let threshold: Double
  /// Evaluations in a row without improvement.
  public private(set) var patienceCounter = 0

  public init(earlyStoppingPatience: Int = 1, earlyStoppingThreshold: Double = 0) {
    patience = earlyStoppingPatience
    threshold = earlyStoppingThreshold
  }

  public func onEvaluate(
    args: TrainingArguments, state: TrainerState, metrics: [String: Double], control: inout TrainerControl
  ) {
    guard let value = metrics[args.bestMetricKey] else { return }
    // `state.bestMetric` is still the best before this evaluation: the checkpoint that may
    // update it is saved after the callbacks run.
    if let best = state.bestMetric {
      let better = args.largerMetricIsBetter ? value > best : value < best
      patienceCounter = better && abs(value - best) > threshold ? 0 : patienceCounter + 1
    } else {
      patienceCounter = 0
    }
    if patienceCounter >= patience { control.shouldTrainingStop = true }
  }
}
