// The settings of a fine-tuning run, as transformers' `TrainingArguments`: the same names (in
// Swift's camelCase; `training_args.json` uses Hugging Face's snake_case) and the same defaults,
// so a recipe reads the same in both. Settings that contradict each other are refused by
// `validate()` with a message that names them, before any work is done.

import Foundation

/// When something happens during training: never, every `…Steps` optimizer steps, or at the end
/// of every epoch (Hugging Face's `IntervalStrategy`).
public enum IntervalStrategy: String, Codable, Sendable, CaseIterable {
  case no, steps, epoch
}

/// What `Trainer` does and how (Hugging Face's `TrainingArguments`).
public struct TrainingArguments: Codable, Sendable, Equatable {
  /// Where checkpoints, `trainer_state.json` and the final model go.
  public var outputDir: String
  /// Epochs to train for (a fraction trains part of the last epoch).
  public var numTrainEpochs: Double = 3
  /// If positive, the number of optimizer steps to take; overrides `numTrainEpochs`.
  public var maxSteps: Int = -1
  public var perDeviceTrainBatchSize = 8
  public var perDeviceEvalBatchSize = 8
  /// Batches whose gradients are summed before each optimizer step: the effective batch is
  /// `perDeviceTrainBatchSize × gradientAccumulationSteps`.
  public var gradientAccumulationSteps = 1
  public var learningRate: Double = 5e-5
  /// AdamW's decoupled weight decay, applied to weights but not to biases and LayerNorm weights.
  public var weightDecay: Double = 0
  public var adamBeta1: Double = 0.9
  public var adamBeta2: Double = 0.999
  public var adamEpsilon: Double = 1e-8
  /// Gradients are rescaled so that their global norm is at most this (0: no clipping).
  public var maxGradNorm: Double = 1
  public var lrSchedulerType = LearningRateSchedule.linear
  /// Share of the optimizer steps spent warming up (use this or `warmupSteps`, not both).
  public var warmupRatio: Double = 0
  public var warmupSteps = 0
  /// Batch texts of similar length together (less padding, faster; transformers'
  /// `LengthGroupedSampler`).
  public var groupByLength = false
  /// Cross-entropy against targets smoothed by this much (0: plain cross-entropy).
  public var labelSmoothingFactor: Double = 0
  public var evalStrategy = IntervalStrategy.no
  /// Evaluate every this many steps with `evalStrategy == .steps` (default: `loggingSteps`).
  public var evalSteps: Int?
  public var saveStrategy = IntervalStrategy.steps
  public var saveSteps = 500
  /// Keep at most this many checkpoints (the best one is always kept).
  public var saveTotalLimit: Int?
  public var loggingStrategy = IntervalStrategy.steps
  public var loggingSteps = 500
  /// After training, load the weights of the best checkpoint (needs evaluation and saving on
  /// the same schedule).
  public var loadBestModelAtEnd = false
  /// Recompute each transformer layer's activations in the backward pass: less memory, a second
  /// forward pass (the Trainer calls the model's `gradientCheckpointingEnable()`).
  public var gradientCheckpointing = false
  /// The metric that decides the best checkpoint (default `"loss"`); `eval_` is added if missing.
  public var metricForBestModel: String?
  /// Whether a larger `metricForBestModel` is better (default: false for losses, true otherwise).
  public var greaterIsBetter: Bool?
  /// Seeds the model's new head, dropout and the data order.
  public var seed: UInt64 = 42
  /// No progress bar (Hugging Face's `disable_tqdm`).
  public var disableTqdm = false

  /// The arguments for a run writing to `outputDir`; everything else keeps the default.
  public init(
    outputDir: String, numTrainEpochs: Double = 3, perDeviceTrainBatchSize: Int = 8,
    learningRate: Double = 5e-5
  ) {
    self.outputDir = outputDir
    self.numTrainEpochs = numTrainEpochs
    self.perDeviceTrainBatchSize = perDeviceTrainBatchSize
    self.learningRate = learningRate
  }

  /// The metric name as it appears in evaluation results (`"eval_accuracy"`).
  public var bestMetricKey: String {
    let name = metricForBestModel ?? "loss"
    return name.hasPrefix("eval_") ? name : "eval_" + name
  }

  /// Whether a larger best-model metric is better.
  public var largerMetricIsBetter: Bool { greaterIsBetter ?? !bestMetricKey.hasSuffix("loss") }

  /// The warm-up length in optimizer steps for a run of `totalSteps`.
  public func warmupSteps(totalSteps: Int) -> Int {
    warmupSteps > 0 ? warmupSteps : Int((warmupRatio * Double(totalSteps)).rounded(.up))
  }

  /// How often to evaluate under `.steps`.
  public var evaluationInterval: Int { evalSteps ?? loggingSteps }

  /// Refuses settings that cannot work or that contradict each other, naming them.
  public func validate() throws {
    func fail(_ message: String) -> TrainingArgumentsError { TrainingArgumentsError(message) }
    if outputDir.isEmpty { throw fail("output_dir must name a directory") }
    if maxSteps <= 0 && !(numTrainEpochs > 0 && numTrainEpochs.isFinite) {
      throw fail("num_train_epochs must be a positive number (got \(numTrainEpochs)) unless max_steps is set")
    }
    for (name, value) in [
      ("per_device_train_batch_size", perDeviceTrainBatchSize),
      ("per_device_eval_batch_size", perDeviceEvalBatchSize),
      ("gradient_accumulation_steps", gradientAccumulationSteps),
      ("save_steps", saveSteps), ("logging_steps", loggingSteps),
    ] where value < 1 {
      throw fail("\(name) must be at least 1 (got \(value))")
    }
    if let evalSteps, evalSteps < 1 { throw fail("eval_steps must be at least 1 (got \(evalSteps))") }
    if let saveTotalLimit, saveTotalLimit < 1 {
      throw fail(
        "save_total_limit must be at least 1 (got \(saveTotalLimit)); leave it unset to keep every checkpoint"
      )
    }
    if !(learningRate > 0 && learningRate.isFinite) {
      throw fail("learning_rate must be a positive number (got \(learningRate))")
    }
    if !(weightDecay >= 0 && weightDecay.isFinite) {
      throw fail("weight_decay must be ≥ 0 (got \(weightDecay))")
    }
    for (name, value) in [("adam_beta1", adamBeta1), ("adam_beta2", adamBeta2)]
    where !(value >= 0 && value < 1) {
      throw fail("\(name) must be in [0, 1) (got \(value))")
    }
    if !(adamEpsilon > 0) { throw fail("adam_epsilon must be positive (got \(adamEpsilon))") }
    if !(maxGradNorm >= 0 && maxGradNorm.isFinite) {
      throw fail("max_grad_norm must be ≥ 0 (got \(maxGradNorm)); 0 turns clipping off")
    }
    if !(warmupRatio >= 0 && warmupRatio <= 1) {
      throw fail("warmup_ratio must be in [0, 1] (got \(warmupRatio))")
    }
    if warmupSteps < 0 { throw fail("warmup_steps must be ≥ 0 (got \(warmupSteps))") }
    if warmupSteps > 0 && warmupRatio > 0 {
      throw fail("warmup_steps (\(warmupSteps)) and warmup_ratio (\(warmupRatio)) are both set; choose one")
    }
    if !(labelSmoothingFactor >= 0 && labelSmoothingFactor < 1) {
      throw fail("label_smoothing_factor must be in [0, 1) (got \(labelSmoothingFactor))")
    }
    if loadBestModelAtEnd {
      if evalStrategy == .no {
        throw fail("load_best_model_at_end needs evaluation: set eval_strategy to steps or epoch")
      }
      if evalStrategy != saveStrategy {
        throw fail(
          "load_best_model_at_end needs eval_strategy and save_strategy to match (got \(evalStrategy.rawValue) and \(saveStrategy.rawValue))"
        )
      }
      if saveStrategy == .steps && saveSteps % evaluationInterval != 0 {
        throw fail(
          "load_best_model_at_end needs save_steps (\(saveSteps)) to be a multiple of eval_steps (\(evaluationInterval))"
        )
      }
    }
  }

  // training_args.json uses Hugging Face's names; an unknown one is an error, not ignored.
  enum CodingKeys: String, CodingKey, CaseIterable {
    case outputDir = "output_dir", numTrainEpochs = "num_train_epochs", maxSteps = "max_steps"
    case perDeviceTrainBatchSize = "per_device_train_batch_size"
    case perDeviceEvalBatchSize = "per_device_eval_batch_size"
    case gradientAccumulationSteps = "gradient_accumulation_steps", learningRate = "learning_rate"
    case weightDecay = "weight_decay", adamBeta1 = "adam_beta1", adamBeta2 = "adam_beta2"
    case adamEpsilon = "adam_epsilon", maxGradNorm = "max_grad_norm", lrSchedulerType = "lr_scheduler_type"
    case warmupRatio = "warmup_ratio", warmupSteps = "warmup_steps"
    case labelSmoothingFactor = "label_smoothing_factor", evalStrategy = "eval_strategy"
    case evalSteps = "eval_steps", saveStrategy = "save_strategy", saveSteps = "save_steps"
    case saveTotalLimit = "save_total_limit", loggingStrategy = "logging_strategy"
    case loggingSteps = "logging_steps", loadBestModelAtEnd = "load_best_model_at_end"
    case metricForBestModel = "metric_for_best_model", greaterIsBetter = "greater_is_better", seed
    case disableTqdm = "disable_tqdm", groupByLength = "group_by_length"
    case gradientCheckpointing = "gradient_checkpointing"
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let known = Set(CodingKeys.allCases.map(\.stringValue))
    let any = try decoder.container(keyedBy: AnyKey.self)
    if let unknown = any.allKeys.map(\.stringValue).filter({ !known.contains($0) }).sorted().first {
      throw TrainingArgumentsError("unknown training argument \"\(unknown)\"")
    }
    self.init(outputDir: try c.decode(String.self, forKey: .outputDir))
    func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
      if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
    }
    try read(.numTrainEpochs, &numTrainEpochs)
    try read(.maxSteps, &maxSteps)
    try read(.perDeviceTrainBatchSize, &perDeviceTrainBatchSize)
    try read(.perDeviceEvalBatchSize, &perDeviceEvalBatchSize)
    try read(.gradientAccumulationSteps, &gradientAccumulationSteps)
    try read(.learningRate, &learningRate)
    try read(.weightDecay, &weightDecay)
    try read(.adamBeta1, &adamBeta1)
    try read(.adamBeta2, &adamBeta2)
    try read(.adamEpsilon, &adamEpsilon)
    try read(.maxGradNorm, &maxGradNorm)
    try read(.lrSchedulerType, &lrSchedulerType)
    try read(.warmupRatio, &warmupRatio)
    try read(.warmupSteps, &warmupSteps)
    try read(.labelSmoothingFactor, &labelSmoothingFactor)
    try read(.evalStrategy, &evalStrategy)
    evalSteps = try c.decodeIfPresent(Int.self, forKey: .evalSteps)
    try read(.saveStrategy, &saveStrategy)
    try read(.saveSteps, &saveSteps)
    saveTotalLimit = try c.decodeIfPresent(Int.self, forKey: .saveTotalLimit)
    try read(.loggingStrategy, &loggingStrategy)
    try read(.loggingSteps, &loggingSteps)
    try read(.loadBestModelAtEnd, &loadBestModelAtEnd)
    metricForBestModel = try c.decodeIfPresent(String.self, forKey: .metricForBestModel)
    greaterIsBetter = try c.decodeIfPresent(Bool.self, forKey: .greaterIsBetter)
    try read(.seed, &seed)
    try read(.disableTqdm, &disableTqdm)
    try read(.groupByLength, &groupByLength)
    try read(.gradientCheckpointing, &gradientCheckpointing)
  }

  struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }
}

/// Training arguments that cannot work together.
public struct TrainingArgumentsError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
