// The fine-tuning loop, as transformers' `Trainer`: batches, the loss, AdamW with a schedule,
// gradient clipping and accumulation, evaluation, logs, checkpoints and resuming.
//
// A run is reproducible: the data order of epoch e comes from `seed + e`, dropout draws from
// `Generator.default` (seeded with `seed`, saved in every checkpoint), so a run resumed from a
// checkpoint takes exactly the steps the uninterrupted run would have taken.

import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers

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

/// Fine-tunes a `SequenceClassifier` (transformers' `Trainer`).
public final class Trainer {
  public let model: any SequenceClassifier
  public let args: TrainingArguments
  public let dataCollator: DataCollatorWithPadding
  /// Turns an evaluation's logits and labels into metrics (`accuracy`, …); they are logged with
  /// an `eval_` prefix. Without it, evaluation reports the loss only.
  public var computeMetrics: ((EvalPrediction) -> [String: Double])?
  public var callbacks: [TrainerCallback]
  /// Writes the tokenizer's files into a checkpoint directory, so every checkpoint is a
  /// complete model directory that `fromPretrained` and `course predict` can read.
  public var saveTokenizer: ((URL) throws -> Void)?
  /// The run so far (`trainer_state.json`).
  public internal(set) var state = TrainerState()
  /// The training loss of every optimizer step of the last `train` call, for plots.
  public private(set) var stepLosses: [Double] = []

  let trainDataset: TextClassificationDataset?
  let evalDataset: TextClassificationDataset?
  var trainEncodings: [Encoding] = []
  var evalEncodings: [Encoding] = []

  /// A trainer for `model`. The datasets are tokenized once here; each batch is padded only to
  /// its longest row by `dataCollator`.
  public init(
    model: any SequenceClassifier, args: TrainingArguments, trainDataset: TextClassificationDataset? = nil,
    evalDataset: TextClassificationDataset? = nil, dataCollator: DataCollatorWithPadding,
    computeMetrics: ((EvalPrediction) -> [String: Double])? = nil, callbacks: [TrainerCallback] = []
  ) throws {
    try args.validate()
    if callbacks.contains(where: { $0 is EarlyStoppingCallback }) && !args.loadBestModelAtEnd {
      throw TrainerError(
        "EarlyStoppingCallback needs load_best_model_at_end = true (and evaluation), so the run ends on its best weights"
      )
    }
    for (name, dataset) in [("train", trainDataset), ("eval", evalDataset)] {
      guard let dataset else { continue }
      if let bad = dataset.labels.firstIndex(where: { $0 < 0 || $0 >= model.numLabels }) {
        throw TrainerError(
          "\(name) dataset, example \(bad + 1): label id \(dataset.labels[bad]) but the model has \(model.numLabels) labels"
        )
      }
    }
    self.model = model
    self.args = args
    self.trainDataset = trainDataset
    self.evalDataset = evalDataset
    self.dataCollator = dataCollator
    self.computeMetrics = computeMetrics
    self.callbacks = callbacks
    trainEncodings = trainDataset?.texts.map(dataCollator.encode) ?? []
    evalEncodings = evalDataset?.texts.map(dataCollator.encode) ?? []
  }

  /// A trainer for a BERT-style model, padding with `tokenizer` (whose vocab.txt goes into
  /// every checkpoint).
  public convenience init(
    model: any SequenceClassifier, args: TrainingArguments, trainDataset: TextClassificationDataset? = nil,
    evalDataset: TextClassificationDataset? = nil, tokenizer: WordPieceTokenizer, maxLength: Int = 128,
    computeMetrics: ((EvalPrediction) -> [String: Double])? = nil, callbacks: [TrainerCallback] = []
  ) throws {
    try self.init(
      model: model, args: args, trainDataset: trainDataset, evalDataset: evalDataset,
      dataCollator: DataCollatorWithPadding(tokenizer: tokenizer, maxLength: maxLength),
      computeMetrics: computeMetrics, callbacks: callbacks)
    saveTokenizer = { try tokenizer.write(to: $0.appendingPathComponent("vocab.txt")) }
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
    if args.groupByLength && !trainEncodings.isEmpty {
      let megabatch = max(1, min(examples / (size * 4), 50)) * size
      var groups = stride(from: 0, to: examples, by: megabatch).map { start in
        order[start..<min(start + megabatch, examples)].sorted {
          trainEncodings[$0].ids.count > trainEncodings[$1].ids.count
        }
      }
      if let longest = groups.indices.max(by: {
        trainEncodings[groups[$0][0]].ids.count < trainEncodings[groups[$1][0]].ids.count
      }) {
        (groups[0][0], groups[longest][0]) = (groups[longest][0], groups[0][0])
      }
      order = groups.flatMap { $0 }
    }
    return stride(from: 0, to: examples, by: size).map { Array(order[$0..<min($0 + size, examples)]) }
  }

  /// Trains the model; with `resumeFrom` (a `checkpoint-N` directory), continues that run
  /// with its weights, optimizer state, schedule position, random state and data order.
  @discardableResult
  public func train(resumeFrom checkpoint: URL? = nil) throws -> TrainOutput {
    guard let dataset = trainDataset, dataset.count > 0 else {
      throw TrainerError("train() needs a non-empty trainDataset")
    }
    let perEpoch = updatesPerEpoch(examples: dataset.count)
    let totalSteps =
      args.maxSteps > 0 ? args.maxSteps : Int((args.numTrainEpochs * Double(perEpoch)).rounded(.up))
    let warmup = args.warmupSteps(totalSteps: totalSteps)
    let optimizer = makeAdamW(
      model, learningRate: Float(args.learningRate), weightDecay: Float(args.weightDecay),
      betas: (Float(args.adamBeta1), Float(args.adamBeta2)), eps: Float(args.adamEpsilon))
    let parameters = model.parameters()
    manualSeed(args.seed)
    state = TrainerState()
    if let checkpoint { try restore(from: checkpoint, optimizer: optimizer) }
    state.maxSteps = totalSteps
    state.numTrainEpochs = args.maxSteps > 0 ? Double(totalSteps) / Double(perEpoch) : args.numTrainEpochs
    state.trainBatchSize = args.perDeviceTrainBatchSize
    stepLosses = []

    var control = TrainerControl()
    let bar = args.disableTqdm ? nil : ProgressBar(label: "train", total: totalSteps)
    let start = Date()
    var (tokens, examplesSeen) = (0, 0)
    var logged = (loss: 0.0, steps: 0)
    model.train()
    defer { model.eval() }
    training: while state.globalStep < totalSteps {
      let epoch = state.globalStep / perEpoch
      let epochBatches = batches(epoch: epoch, examples: dataset.count)
      for update in (state.globalStep - epoch * perEpoch)..<perEpoch {
        let step = state.globalStep
        let group = epochBatches[
          (update * args.gradientAccumulationSteps)..<min(
            (update + 1) * args.gradientAccumulationSteps, epochBatches.count)]
        let learningRate =
          args.learningRate
          * args.lrSchedulerType.factor(step: step, totalSteps: totalSteps, warmupSteps: warmup)
        optimizer.learningRate = Float(learningRate)
        optimizer.zeroGrad()
        // Each batch's mean loss is weighted by its share of the group's examples, so the summed
        // gradient is the mean over all of them: k accumulated batches = one k-times batch.
        let groupSize = group.map(\.count).reduce(0, +)
        var loss = 0.0
        for batch in group {
          let (ids, mask) = dataCollator.pad(batch.map { trainEncodings[$0] })
          let logits = try model.logits(inputIds: ids, attentionMask: mask)  // (batch, numLabels)
          let batchLoss = classificationLoss(
            logits: logits, labels: batch.map { dataset.labels[$0] },
            labelSmoothing: Float(args.labelSmoothingFactor))
          guard batchLoss.item.isFinite else {
            throw TrainerError(
              "step \(step + 1): the loss is \(batchLoss.item). Likely cause: the learning rate (\(learningRate)) is too high for this model; try a smaller one, warm-up, or max_grad_norm. Training stopped; the last checkpoint is unaffected."
            )
          }
          (batchLoss * (Float(batch.count) / Float(groupSize))).backward()
          loss += Double(batchLoss.item) * Double(batch.count) / Double(groupSize)
          tokens += mask.joined().reduce(0, +)
        }
        examplesSeen += groupSize
        let gradNorm = clipGradNorm(
          parameters, maxNorm: args.maxGradNorm > 0 ? Float(args.maxGradNorm) : .infinity)
        optimizer.step()
        state.globalStep += 1
        state.epoch = Double(epoch) + Double(update + 1) / Double(perEpoch)
        stepLosses.append(loss)
        logged = (logged.loss + loss, logged.steps + 1)
        for callback in callbacks { callback.onStepEnd(args: args, state: state, control: &control) }

        let endOfEpoch = update == perEpoch - 1
        let now = state.globalStep
        if (args.loggingStrategy == .steps && now % args.loggingSteps == 0)
          || (args.loggingStrategy == .epoch && endOfEpoch)
        {
          log([
            "loss": logged.loss / Double(logged.steps), "learning_rate": learningRate,
            "grad_norm": Double(gradNorm),
          ])
          logged = (0, 0)
        }
        if (args.evalStrategy == .steps && now % args.evaluationInterval == 0)
          || (args.evalStrategy == .epoch && endOfEpoch)
        {
          let metrics = try evaluate()
          for callback in callbacks {
            callback.onEvaluate(args: args, state: state, metrics: metrics, control: &control)
          }
          updateBest(metrics)
        }
        if (args.saveStrategy == .steps && now % args.saveSteps == 0)
          || (args.saveStrategy == .epoch && endOfEpoch)
        {
          try saveCheckpoint(optimizer: optimizer)
        }
        bar?.update(step: now, metrics: ["loss": loss, "lr": learningRate])
        if control.shouldTrainingStop || now >= totalSteps { break training }
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

  /// Runs the model over `dataset` (default: the eval dataset) without gradients: the loss and
  /// `computeMetrics`' figures, each prefixed `prefix_`; logged in the state's history.
  public func evaluate(_ dataset: TextClassificationDataset? = nil, metricKeyPrefix prefix: String = "eval")
    throws
    -> [String: Double]
  {
    let output = try run(dataset, prefix: prefix)
    log(output.metrics)
    return output.metrics
  }

  /// Predictions for `dataset`: logits, labels and metrics (`test_…`).
  public func predict(_ dataset: TextClassificationDataset, metricKeyPrefix prefix: String = "test") throws
    -> PredictionOutput
  {
    try run(dataset, prefix: prefix)
  }

  func run(_ given: TextClassificationDataset?, prefix: String) throws -> PredictionOutput {
    guard let dataset = given ?? evalDataset else {
      throw TrainerError("evaluate() needs an evalDataset (given to the Trainer or to evaluate)")
    }
    // The eval dataset was tokenized once, in init; another dataset is tokenized now.
    let encodings = given == nil ? evalEncodings : dataset.texts.map(dataCollator.encode)
    let wasTraining = model.training
    model.eval()
    defer { if wasTraining { model.train() } }
    let start = Date()
    var logits: [[Float]] = []
    var totalLoss = 0.0
    for first in stride(from: 0, to: dataset.count, by: args.perDeviceEvalBatchSize) {
      let rows = Array(first..<min(first + args.perDeviceEvalBatchSize, dataset.count))
      let (inputIds, mask) = dataCollator.pad(rows.map { encodings[$0] })
      let batchLogits = try noGrad { try model.logits(inputIds: inputIds, attentionMask: mask) }
      let labels = rows.map { dataset.labels[$0] }
      if labels.allSatisfy({ $0 >= 0 && $0 < model.numLabels }) {
        totalLoss += Double(classificationLoss(logits: batchLogits, labels: labels).item) * Double(rows.count)
      }
      let width = batchLogits.shape[1]
      for r in rows.indices { logits.append(Array(batchLogits.data[(r * width)..<((r + 1) * width)])) }
    }
    let prediction = EvalPrediction(logits: logits, labels: dataset.labels)
    var metrics = [
      "\(prefix)_loss": totalLoss / Double(max(1, dataset.count)),
      "\(prefix)_runtime": Date().timeIntervalSince(start),
    ]
    for (key, value) in computeMetrics?(prediction) ?? [:] { metrics["\(prefix)_\(key)"] = value }
    return PredictionOutput(predictions: prediction, metrics: metrics)
  }
}
