// The training loop, as transformers' `Trainer`: batches, a loss hook, an optimizer with a
// schedule, gradient clipping and accumulation, evaluation, logs, callbacks, checkpoints and
// resuming. One loop for every task: sequence classification (Classification.swift) and
// masked or causal language modelling (Pretraining.swift) are configurations of it, and a
// new task brings its own example and batch types, collator and loss.
//
// A run is reproducible: the data order of epoch e comes from `seed + e`, dropout (and MLM
// masking) draws from `Generator.default` (seeded with `seed`, saved in every checkpoint), so a
// run resumed from a checkpoint takes exactly the steps the uninterrupted run would have taken.

import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers

/// A model the Trainer can train and checkpoint (transformers' `PreTrainedModel`): it writes a
/// Hugging Face model directory and names its base model, for loading checkpoints. Every
/// `PretrainedModel` has both.
public protocol TrainerModel: Module {
  /// Writes `config.json` and `model.safetensors` (Hugging Face layout) to `directory`.
  func save(to directory: URL) throws
  /// The prefix of the encoder's tensor names (`bert`, `transformer`), for loading checkpoints.
  var basePrefix: String { get }
}

extension BertForMaskedLM: TrainerModel {}
extension GPT2LMHeadModel: TrainerModel {}

/// What a loss hook returns for one batch (transformers' `compute_loss(model, inputs,
/// return_outputs=True)`): the loss to minimise and what evaluation needs.
public struct LossOutput {
  /// The mean loss over the batch's scored items (a scalar with a graph when training).
  public var loss: Tensor
  /// How many items `loss` is the mean of: examples for a classifier, scored tokens for a
  /// language model. Evaluation weighs each batch by it, so `eval_loss` is the mean over every
  /// item of the set (0: nothing scored, the batch is skipped).
  public var count: Int
  /// (items, classes) logits, one row per label, for `computeMetrics` (nil when not kept).
  public var logits: Tensor?
  /// The true class of each item.
  public var labels: [Int]
  /// The predicted class of each item, when `logits` are not kept.
  public var predictions: [Int]?

  /// A batch's loss and, for metrics, its logits or predictions and labels.
  public init(loss: Tensor, count: Int, logits: Tensor? = nil, labels: [Int] = [], predictions: [Int]? = nil)
  {
    self.loss = loss
    self.count = count
    self.logits = logits
    self.labels = labels
    self.predictions = predictions
  }
}

/// The multiplier of each parameter group's initial learning rate at optimizer step `step`
/// (0-based) of `totalSteps` (PyTorch's `LambdaLR`, the `lr_scheduler` of transformers'
/// `optimizers=(optimizer, lr_scheduler)`).
public typealias LRLambda = (_ step: Int, _ totalSteps: Int) -> Double

/// What `Trainer.train` reports at the end (transformers' `TrainOutput`).
public struct TrainOutput: Sendable {
  public var globalStep: Int
  /// The mean training loss over the steps of this call.
  public var trainingLoss: Double
  /// `train_runtime` (s), `train_samples_per_second`, `train_tokens_per_second`, `epoch`.
  public var metrics: [String: Double]
}

/// What `Trainer.predict` returns: the logits, the labels, and the metrics (`test_…`).
public struct PredictionOutput: Sendable {
  public var predictions: EvalPrediction
  public var metrics: [String: Double]
}

/// Trains and evaluates a model on examples of type `Example`, which `dataCollator` turns into
/// batches of type `Batch` and `computeLoss` scores (transformers' `Trainer`).
///
/// `SequenceClassificationTrainer` and `LanguageModelingTrainer` are the configurations the
/// course uses; build one with `Trainer(model:args:trainDataset:evalDataset:…)`.
public final class Trainer<Example, Batch> {
  public let model: any TrainerModel
  public let args: TrainingArguments
  public let trainDataset: [Example]?
  public let evalDataset: [Example]?
  /// Turns a list of examples into one batch (transformers' `data_collator`).
  public var dataCollator: ([Example]) throws -> Batch
  /// The loss of one batch (transformers' `compute_loss`). Runs in training mode with
  /// gradients during training, in evaluation mode without them in `evaluate` and `predict`.
  public var computeLoss: (any TrainerModel, Batch) throws -> LossOutput
  /// Turns an evaluation's logits and labels into metrics (`accuracy`, …); they are logged with
  /// an `eval_` prefix. Without it, evaluation reports the loss only.
  public var computeMetrics: ((EvalPrediction) -> [String: Double])?
  public var callbacks: [TrainerCallback]
  /// The learning-rate multiplier per step; nil: `args.lrSchedulerType` with the arguments'
  /// warm-up (transformers' `create_scheduler`).
  public var lrScheduler: LRLambda?
  /// The tokenizer whose files (`save(to:)`) go into every checkpoint and `saveModel`, so each
  /// is a complete model directory that `fromPretrained` and `course predict` can read
  /// (transformers' `tokenizer=` / `processing_class=`).
  public var tokenizer: (any Tokenizer)?
  /// The length of an example in tokens, for `groupByLength` (transformers' `length` column).
  public var exampleLength: ((Example) -> Int)?
  /// The number of real tokens in a batch, for `train_tokens_per_second`.
  public var tokenCount: ((Batch) -> Int)?
  /// Adds `eval_perplexity` = exp(`eval_loss`) to evaluations, as run_mlm.py and run_clm.py
  /// report it (set by the language-modelling configurations).
  public var reportsPerplexity = false
  /// The optimizer of the current (or last) run: the one given in `optimizers`, or AdamW as
  /// `makeAdamW` builds it for each `train` call.
  public private(set) var optimizer: (any Optimizer)?
  /// The run so far (`trainer_state.json`).
  public internal(set) var state = TrainerState()
  /// The flags callbacks set (transformers' `trainer.control`).
  public internal(set) var control = TrainerControl()
  /// The training loss of every optimizer step of the last `train` call, for plots.
  public private(set) var stepLosses: [Double] = []

  let injectedOptimizer: (any Optimizer)?
  /// The learning rates of the injected optimizer's groups when it was given: the schedule's
  /// multiplier applies to these.
  let injectedLearningRates: [Double]
  /// Turns a classification dataset into examples (set by the classification configuration).
  var makeExamples: ((TextClassificationDataset) -> [Example])?

  /// A trainer for `model` on `trainDataset` (and `evalDataset` for evaluations), with
  /// `optimizers` as transformers': an optimizer over the model's parameters (default: AdamW
  /// from `args` via `makeAdamW`) and a learning-rate schedule (default: `args.lrSchedulerType`).
  public init(
    model: any TrainerModel, args: TrainingArguments, trainDataset: [Example]? = nil,
    evalDataset: [Example]? = nil, dataCollator: @escaping ([Example]) throws -> Batch,
    computeLoss: @escaping (any TrainerModel, Batch) throws -> LossOutput,
    computeMetrics: ((EvalPrediction) -> [String: Double])? = nil, callbacks: [TrainerCallback] = [],
    optimizers: (optimizer: (any Optimizer)?, lrScheduler: LRLambda?) = (nil, nil)
  ) throws {
    try args.validate()
    if callbacks.contains(where: { $0 is EarlyStoppingCallback }) && !args.loadBestModelAtEnd {
      throw TrainerError(
        "EarlyStoppingCallback needs load_best_model_at_end = true (and evaluation), so the run ends on its best weights"
      )
    }
    self.model = model
    self.args = args
    if args.gradientCheckpointing { model.gradientCheckpointingEnable() }
    self.trainDataset = trainDataset
    self.evalDataset = evalDataset
    self.dataCollator = dataCollator
    self.computeLoss = computeLoss
    self.computeMetrics = computeMetrics
    self.callbacks = callbacks
    injectedOptimizer = optimizers.optimizer
    injectedLearningRates = optimizers.optimizer?.groups.map { Double($0.learningRate) } ?? []
    lrScheduler = optimizers.lrScheduler
  }

  var outputDirectory: URL { URL(fileURLWithPath: args.outputDir) }

  // MARK: - Training

  /// Optimizer steps per epoch: batches grouped `gradientAccumulationSteps` at a time (the last
  /// group of an epoch may be smaller).
  func updatesPerEpoch(examples: Int) -> Int {
    let batches = (examples + args.perDeviceTrainBatchSize - 1) / args.perDeviceTrainBatchSize
    return max(1, (batches + args.gradientAccumulationSteps - 1) / args.gradientAccumulationSteps)
  }

  /// The batches of epoch `epoch`, as lists of example indices: a permutation seeded by
  /// `seed + epoch`, so any epoch's order can be rebuilt when resuming. With `groupByLength`,
  /// as transformers' `LengthGroupedSampler`: the permutation is cut into megabatches of up to
  /// 50 batches, each sorted longest first, so a batch holds texts of similar length and
  /// padding costs little; the longest batch goes first (memory problems show at once).
  func batches(epoch: Int, examples: Int) -> [[Int]] {
    var order = Generator(seed: args.seed &+ UInt64(epoch)).shuffled(Array(0..<examples))
    let size = args.perDeviceTrainBatchSize
    if args.groupByLength, let exampleLength, let dataset = trainDataset, dataset.count == examples {
      let lengths = dataset.map(exampleLength)
      let megabatch = max(1, min(examples / (size * 4), 50)) * size
      var groups = stride(from: 0, to: examples, by: megabatch).map { start in
        order[start..<min(start + megabatch, examples)].sorted { lengths[$0] > lengths[$1] }
      }
      if let longest = groups.indices.max(by: { lengths[groups[$0][0]] < lengths[groups[$1][0]] }) {
        (groups[0][0], groups[longest][0]) = (groups[longest][0], groups[0][0])
      }
      order = groups.flatMap { $0 }
    }
    return stride(from: 0, to: examples, by: size).map { Array(order[$0..<min($0 + size, examples)]) }
  }

  /// The optimizer for a run and the learning rates its schedule multiplies.
  func makeOptimizer() throws -> (optimizer: any Optimizer, baseRates: [Double]) {
    if let injected = injectedOptimizer {
      guard injected.groups.count == injectedLearningRates.count else {
        throw TrainerError(
          "the optimizer had \(injectedLearningRates.count) parameter groups when given to the Trainer and has \(injected.groups.count) now"
        )
      }
      return (injected, injectedLearningRates)
    }
    let adamW = makeAdamW(
      model, learningRate: Float(args.learningRate), weightDecay: Float(args.weightDecay),
      betas: (Float(args.adamBeta1), Float(args.adamBeta2)), eps: Float(args.adamEpsilon))
    return (adamW, adamW.groups.map { _ in args.learningRate })
  }

  /// Calls `event` on every callback with the trainer's control.
  func notify(_ event: (TrainerCallback, inout TrainerControl) -> Void) {
    for callback in callbacks { event(callback, &control) }
  }

  /// Trains the model; with `resumeFrom` (a `checkpoint-N` directory), continues that run
  /// with its weights, optimizer state, schedule position, random state and data order.
  @discardableResult
  public func train(resumeFrom checkpoint: URL? = nil) throws -> TrainOutput {
    guard let dataset = trainDataset, !dataset.isEmpty else {
      throw TrainerError("train() needs a non-empty trainDataset")
    }
    let perEpoch = updatesPerEpoch(examples: dataset.count)
    let totalSteps =
      args.maxSteps > 0 ? args.maxSteps : Int((args.numTrainEpochs * Double(perEpoch)).rounded(.up))
    let warmup = args.warmupSteps(totalSteps: totalSteps)
    let schedule =
      lrScheduler ?? { [args] step, total in
        args.lrSchedulerType.factor(step: step, totalSteps: total, warmupSteps: warmup)
      }
    let (optimizer, baseRates) = try makeOptimizer()
    self.optimizer = optimizer
    let parameters = model.parameters()
    manualSeed(args.seed)
    state = TrainerState()
    control = TrainerControl()
    if let checkpoint { try restore(from: checkpoint, optimizer: optimizer) }
    state.maxSteps = totalSteps
    state.numTrainEpochs = args.maxSteps > 0 ? Double(totalSteps) / Double(perEpoch) : args.numTrainEpochs
    state.trainBatchSize = args.perDeviceTrainBatchSize
    stepLosses = []

    let bar = args.disableTqdm ? nil : ProgressBar(label: "train", total: totalSteps)
    let start = Date()
    var (tokens, examplesSeen) = (0, 0)
    var logged = (loss: 0.0, steps: 0)
    var learningRate = 0.0
    var gradNorm: Float? = nil  // nil when clipping is off: transformers then logs no grad_norm
    model.train()
    defer { model.eval() }
    notify { $0.onTrainBegin(args: args, state: state, control: &$1) }

    /// Logs, evaluates and saves as the control flags say (transformers'
    /// `_maybe_log_save_evaluate`), then clears them.
    func logEvaluateSave() throws {
      if control.shouldLog && logged.steps > 0 {
        var entry = ["loss": logged.loss / Double(logged.steps), "learning_rate": learningRate]
        if let gradNorm { entry["grad_norm"] = Double(gradNorm) }
        log(entry)
        logged = (0, 0)
      }
      if control.shouldEvaluate { updateBest(try evaluate()) }
      if control.shouldSave { try saveCheckpoint(optimizer: optimizer) }
      (control.shouldLog, control.shouldEvaluate, control.shouldSave) = (false, false, false)
    }

    training: while state.globalStep < totalSteps {
      let epoch = state.globalStep / perEpoch
      let epochBatches = batches(epoch: epoch, examples: dataset.count)
      notify { $0.onEpochBegin(args: args, state: state, control: &$1) }
      for update in (state.globalStep - epoch * perEpoch)..<perEpoch {
        let step = state.globalStep
        let group = epochBatches[
          (update * args.gradientAccumulationSteps)..<min(
            (update + 1) * args.gradientAccumulationSteps, epochBatches.count)]
        notify { $0.onStepBegin(args: args, state: state, control: &$1) }
        let factor = schedule(step, totalSteps)
        learningRate = baseRates.first.map { $0 * factor } ?? 0
        for i in optimizer.groups.indices { optimizer.groups[i].learningRate = Float(baseRates[i] * factor) }
        optimizer.zeroGrad()
        // Each batch's mean loss is weighted by its share of the group's examples, so the summed
        // gradient is the mean over all of them: k accumulated batches = one k-times batch.
        let groupSize = group.map(\.count).reduce(0, +)
        var loss = 0.0
        for indices in group {
          let batch = try dataCollator(indices.map { dataset[$0] })
          let output = try computeLoss(model, batch)
          let value = output.loss.item
          guard value.isFinite else {
            throw TrainerError(
              "step \(step + 1): the loss is \(value). Likely cause: the learning rate (\(learningRate)) is too high for this model; try a smaller one, warm-up, or max_grad_norm. Training stopped; the last checkpoint is unaffected."
            )
          }
          let share = Float(indices.count) / Float(groupSize)
          if output.loss.requiresGrad { (output.loss * share).backward() }  // no graph: nothing scored
          loss += Double(value) * Double(indices.count) / Double(groupSize)
          tokens += tokenCount?(batch) ?? 0
        }
        examplesSeen += groupSize
        // max_grad_norm 0 turns clipping off, as in transformers (which then skips the norm too);
        // Lesson 4's runs rely on that, so they need none of Lesson 5's recipe exercises.
        gradNorm = args.maxGradNorm > 0 ? clipGradNorm(parameters, maxNorm: Float(args.maxGradNorm)) : nil
        if !(gradNorm?.isFinite ?? false), let name = firstNonFiniteGradient(in: model) {
          throw TrainerError(
            "step \(step + 1): the gradient of \(name) is not finite (NaN or infinite) although the loss (\(loss)) is. Likely cause: the learning rate (\(learningRate)) is too high or the inputs overflow; try a smaller rate, warm-up, or max_grad_norm. Training stopped before the optimizer step; the last checkpoint is unaffected."
          )
        }
        optimizer.step()
        state.globalStep += 1
        state.epoch = Double(epoch) + Double(update + 1) / Double(perEpoch)
        stepLosses.append(loss)
        logged = (logged.loss + loss, logged.steps + 1)

        let endOfEpoch = update == perEpoch - 1
        let now = state.globalStep
        // transformers' DefaultFlowCallback: the step strategies after each step, the epoch
        // strategies at the end of a whole epoch.
        control.shouldLog = args.loggingStrategy == .steps && now % args.loggingSteps == 0
        control.shouldEvaluate = args.evalStrategy == .steps && now % args.evaluationInterval == 0
        control.shouldSave = args.saveStrategy == .steps && now % args.saveSteps == 0
        if now >= totalSteps { control.shouldTrainingStop = true }
        notify { $0.onStepEnd(args: args, state: state, control: &$1) }
        try logEvaluateSave()
        bar?.update(step: now, metrics: ["loss": loss, "lr": learningRate])
        if endOfEpoch || control.shouldTrainingStop {
          control.shouldLog = args.loggingStrategy == .epoch && endOfEpoch
          control.shouldEvaluate = args.evalStrategy == .epoch && endOfEpoch
          control.shouldSave = args.saveStrategy == .epoch && endOfEpoch
          notify { $0.onEpochEnd(args: args, state: state, control: &$1) }
          try logEvaluateSave()
        }
        if control.shouldTrainingStop { break training }
      }
    }
    bar?.finish()
    let seconds = Date().timeIntervalSince(start)
    let metrics = [
      "train_runtime": seconds, "train_samples_per_second": Double(examplesSeen) / max(seconds, 1e-9),
      "train_tokens_per_second": Double(tokens) / max(seconds, 1e-9),
      "train_loss": stepLosses.isEmpty ? 0 : stepLosses.reduce(0, +) / Double(stepLosses.count),
      "epoch": state.epoch,
    ]
    log(metrics)
    if args.loadBestModelAtEnd, let best = state.bestModelCheckpoint {
      try loadWeights(from: URL(fileURLWithPath: best))
    }
    // The run's history beside its checkpoints (transformers' `trainer.save_state()`).
    do {
      try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
      try writeJSON(state, to: outputDirectory.appendingPathComponent("trainer_state.json"))
    } catch {
      throw TrainerError(
        "\(outputDirectory.path): cannot write trainer_state.json (\(error.localizedDescription))")
    }
    notify { $0.onTrainEnd(args: args, state: state, control: &$1) }
    return TrainOutput(
      globalStep: state.globalStep, trainingLoss: metrics["train_loss"]!, metrics: metrics)
  }

  /// Appends a log entry (with `step` and `epoch`) and tells the callbacks.
  func log(_ entry: [String: Double]) {
    var entry = entry
    entry["step"] = Double(state.globalStep)
    entry["epoch"] = state.epoch
    state.logHistory.append(entry)
    for callback in callbacks { callback.onLog(args: args, state: state, logs: entry) }
  }

  /// Records `metrics` as the best so far if `metric_for_best_model` improved.
  func updateBest(_ metrics: [String: Double]) {
    guard let value = metrics[args.bestMetricKey] else { return }
    let better = state.bestMetric.map { args.largerMetricIsBetter ? value > $0 : value < $0 } ?? true
    if better {
      state.bestMetric = value
      state.bestModelCheckpoint =
        outputDirectory.appendingPathComponent("checkpoint-\(state.globalStep)").path
    }
  }

  // MARK: - Evaluation

  /// Runs the model over `examples` (default: the eval dataset) without gradients: the loss
  /// (mean over every scored item), `eval_perplexity` for language models, and
  /// `computeMetrics`' figures, each prefixed `prefix_`; logged in the state's history and
  /// passed to the callbacks' `onEvaluate`.
  @discardableResult
  public func evaluate(_ examples: [Example]? = nil, metricKeyPrefix prefix: String = "eval") throws
    -> [String: Double]
  {
    guard let examples = examples ?? evalDataset else {
      throw TrainerError("evaluate() needs an evalDataset (given to the Trainer or to evaluate)")
    }
    let metrics = try evaluationLoop(examples, prefix: prefix, keepPredictions: computeMetrics != nil).metrics
    log(metrics)
    notify { $0.onEvaluate(args: args, state: state, metrics: metrics, control: &$1) }
    return metrics
  }

  /// Predictions for `examples`: logits (or predicted classes), labels and metrics (`test_…`).
  public func predict(_ examples: [Example], metricKeyPrefix prefix: String = "test") throws
    -> PredictionOutput
  {
    try evaluationLoop(examples, prefix: prefix, keepPredictions: true)
  }

  func evaluationLoop(_ examples: [Example], prefix: String, keepPredictions: Bool) throws -> PredictionOutput
  {
    let wasTraining = model.training
    model.eval()
    defer { if wasTraining { model.train() } }
    let start = Date()
    var (logits, predictions, labels) = ([[Float]](), [Int](), [Int]())
    var (totalLoss, count) = (0.0, 0)
    for first in stride(from: 0, to: examples.count, by: args.perDeviceEvalBatchSize) {
      let batch = try dataCollator(
        Array(examples[first..<min(first + args.perDeviceEvalBatchSize, examples.count)]))
      let output = try noGrad { try computeLoss(model, batch) }
      if output.count > 0 {
        totalLoss += Double(output.loss.item) * Double(output.count)
        count += output.count
      }
      guard keepPredictions else { continue }
      labels += output.labels
      if let batchLogits = output.logits {
        let width = batchLogits.shape.last ?? 1  // (items, classes)
        for r in 0..<(batchLogits.count / max(1, width)) {
          logits.append(Array(batchLogits.data[(r * width)..<((r + 1) * width)]))
        }
      } else if let batchPredictions = output.predictions {
        predictions += batchPredictions
      }
    }
    let prediction =
      logits.isEmpty
      ? EvalPrediction(predictions: predictions, labels: labels)
      : EvalPrediction(logits: logits, labels: labels)
    let loss = totalLoss / Double(max(1, count))
    var metrics = ["\(prefix)_loss": loss, "\(prefix)_runtime": Date().timeIntervalSince(start)]
    if reportsPerplexity { metrics["\(prefix)_perplexity"] = exp(loss) }
    if keepPredictions {
      for (key, value) in computeMetrics?(prediction) ?? [:] { metrics["\(prefix)_\(key)"] = value }
    }
    return PredictionOutput(predictions: prediction, metrics: metrics)
  }
}

/// The name of the first parameter (in `namedParameters()` order) whose gradient holds a NaN or
/// an infinity, or nil: which layer a diverging run blew up in.
func firstNonFiniteGradient(in model: any TrainerModel) -> String? {
  model.namedParameters().first { $0.tensor.grad?.data.contains { !$0.isFinite } ?? false }?.name
}
