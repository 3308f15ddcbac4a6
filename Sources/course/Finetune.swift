// `course finetune`: fine-tunes any BERT- or GPT-style checkpoint directory on a labelled file
// with the Trainer, and prints validation (and test) accuracy and macro-F1, time and tokens/s.
// `course predict`: classifies new text with a fine-tuned checkpoint.

import CourseTools
import Datasets
import Foundation
import Models
import TensorCore
import Training

/// `course finetune`'s options: transformers' `run_glue.py` arguments, as the Trainer takes them.
struct Finetune: CourseCommand {
  @Option("--model", value: "DIR", help: "the checkpoint directory to start from")
  var model: String
  @Option("--train", value: "FILE", help: "the labelled training file")
  var train: String
  @Option("--validation", value: "FILE", help: "the labelled validation file")
  var validation: String
  @Option("--test", value: "FILE", help: "a labelled test file, evaluated once at the end")
  var test: String? = nil
  @Option(
    "--format",
    help: "the files' format (default: from each file's name: .csv, .jsonl/.json/.ndjson, else tsv)")
  var format: DataFormat? = nil
  @Option(
    "--text-column", value: "NAME",
    help: "the text column (default: found as run_glue.py does: sentence, text, sentence1, ...)")
  var textColumn: String? = nil
  @Option("--text-pair-column", value: "NAME", help: "the second text of a pair (default: found; none)")
  var textPairColumn: String? = nil
  @Option("--label-column", value: "NAME", help: "the label column (default: label, labels, gold_label, ...)")
  var labelColumn: String? = nil
  @Option("--text-field", value: "NAME", help: "the same as --text-column")
  var textField: String? = nil
  @Option("--label-field", value: "NAME", help: "the same as --label-column")
  var labelField: String? = nil
  @Option("--labels", value: "A,B,...", help: "the classes, in order (default: the training labels, sorted)")
  var labels: String? = nil
  @Option("--epochs", .atLeast(0), help: "passes over the training data")
  var epochs = 3.0
  @Option("--max-steps", .atLeast(-1), help: "optimizer steps; -1: as many as --epochs give")
  var maxSteps = -1
  @Option("--batch-size", .atLeast(1), help: "examples per training batch")
  var batchSize = 32
  @Option("--eval-batch-size", .atLeast(1), help: "examples per evaluation batch")
  var evalBatchSize = 64
  @Option("--lr", .atLeast(0), help: "the peak learning rate")
  var lr = 5e-5
  @Option("--scheduler", help: "the learning-rate schedule")
  var scheduler = LearningRateSchedule.linear
  @Option("--lr-scheduler-type", help: "the same as --scheduler (Hugging Face's name)")
  var lrSchedulerType: LearningRateSchedule? = nil
  @Option("--warmup-ratio", .atLeast(0), help: "the share of the steps spent warming up")
  var warmupRatio = 0.0
  @Option("--weight-decay", .atLeast(0), help: "AdamW's weight decay")
  var weightDecay = 0.0
  @Option("--grad-accum", .atLeast(1), help: "batches per optimizer step")
  var gradAccum = 1
  @Option("--max-grad-norm", .atLeast(0), help: "clip the gradients to this norm")
  var maxGradNorm = 1.0
  @Option("--label-smoothing", .atLeast(0), help: "smooth the training targets by this much (below 1)")
  var labelSmoothing = 0.0
  @Flag("--freeze-base", help: "train the new head only: the pre-trained encoder stays frozen")
  var freezeBase: Bool
  @Option("--freeze-layers", .atLeast(0), help: "freeze the embeddings and the first N encoder layers")
  var freezeLayers: Int? = nil
  @Option(
    "--layerwise-lr-decay", .above(0),
    help: "each layer down gets this times the rate of the one above (ULMFiT: 1/2.6; at most 1)")
  var layerwiseLRDecay: Double? = nil
  @Flag(
    "--gradual-unfreezing", help: "train the head alone, then unfreeze one more layer each epoch (ULMFiT)")
  var gradualUnfreezing: Bool
  @Option(
    "--gradual-unfreezing-steps", .atLeast(1),
    help:
      "with --gradual-unfreezing: unfreeze one more layer every N optimizer steps, not each epoch (a run of fewer epochs than layers + 2)"
  )
  var gradualUnfreezingSteps: Int? = nil
  @Option(
    "--early-stopping-patience", .atLeast(1),
    help: "stop after N evaluations without improvement of the validation loss; the best epoch is kept")
  var earlyStoppingPatience: Int? = nil
  @Option(
    "--early-stopping-threshold", .atLeast(0),
    help: "how much the loss must improve to count (with the patience)")
  var earlyStoppingThreshold = 0.0
  @Flag(
    "--gradient-checkpointing",
    help: "recompute each layer's activations in the backward pass: less memory, about a third more time")
  var gradientCheckpointing: Bool
  @Option("--group-by-length", help: "batch examples of similar length together")
  var groupByLength = false
  @Option("--max-length", .atLeast(2), help: "tokens per example, longer ones truncated")
  var maxLength = 128
  @Option(
    "--pooling",
    help:
      "what a BERT or RoBERTa head reads (default: the checkpoint's classifier_pooling, cls if absent); mean is a kit extension transformers does not reproduce"
  )
  var pooling: ClassifierPooling? = nil
  @Option("--seed", help: "the seed of the weights drawn and of the data order")
  var seed: UInt64 = 42
  @Option("--threads", .atLeast(1), help: "threads for the kernels")
  var threads = Threads.count
  @Option("--output", value: "DIR", help: "save the fine-tuned model here (default: not saved)")
  var output: String? = nil
  @Option(
    "--save-steps", .atLeast(0),
    help: "save a checkpoint-N in --output every N steps, keeping the newest (0: none)")
  var saveSteps = 0
  @Flag("--resume", help: "continue from the newest checkpoint-N in --output (same options as the first run)")
  var resume: Bool
  /// `--peft lora|prompt|prefix` and its options (PeftOptions.swift).
  var peftOptions = PeftOptions()

  func run() throws -> Int32 { try runFinetune(self) }
}

/// What a BERT classification head reads: the [CLS] state (BERT's pooler, what transformers
/// computes) or the mean of the token states (a kit extension).
enum ClassifierPooling: String, CaseIterable, OptionValue { case cls, mean }

/// How the columns read were chosen, for the report: `text=sentence1 pair=sentence2 label=label`.
func describe(_ columns: TextColumns) -> String {
  "text column \"\(columns.text)\"" + (columns.textPair.map { ", pair column \"\($0)\"" } ?? "")
    + ", label column \"\(columns.label)\""
}

func runFinetune(_ options: Finetune) throws -> Int32 {
  let (modelPath, trainPath, validationPath) = (options.model, options.train, options.validation)
  Threads.count = options.threads

  // The training file's columns are named or found (run_glue.py's rules); the validation and
  // test files are read from the same columns.
  var columns: TextColumns? = nil
  func read(_ path: String) throws -> [Example] {
    let format = options.format ?? DataFormat(inferredFrom: path)
    let named: [(String, String?)] = [
      ("--text-column", options.textColumn), ("--text-pair-column", options.textPairColumn),
      ("--label-column", options.labelColumn), ("--text-field", options.textField),
      ("--label-field", options.labelField),
    ]
    if format == .labelText, let (option, _) = named.first(where: { $0.1 != nil }) {
      throw CourseToolError("\(option): a label-text file (\(path)) has no columns, only LABEL TEXT lines")
    }
    let loaded = try readExamples(
      URL(fileURLWithPath: path), format: format,
      textField: columns?.text ?? options.textColumn ?? options.textField,
      textPairField: columns?.textPair ?? options.textPairColumn,
      labelField: columns?.label ?? options.labelColumn ?? options.labelField)
    if columns == nil { columns = loaded.columns }
    return loaded.examples
  }
  let train = try read(trainPath)
  let validation = try read(validationPath)
  let test = try options.test.map(read)
  let labelNames =
    options.labels?.split(separator: ",").map(String.init) ?? LabelMap(from: train).labels
  guard labelNames.count >= 2 else {
    throw CourseToolError("\(trainPath): needs at least two labels, found \(labelNames)")
  }
  func dataset(_ examples: [Example], _ path: String) throws -> TextClassificationDataset {
    do {
      if columns?.textPair != nil {
        return try TextClassificationDataset(
          examples.map { ($0.text, $0.textPair ?? "", $0.label) }, labelNames: labelNames)
      }
      return try TextClassificationDataset(examples.map { ($0.text, $0.label) }, labelNames: labelNames)
    } catch {
      throw CourseToolError("\(path): \(error) (set the classes with --labels a,b,...)")
    }
  }

  var args = TrainingArguments(
    outputDir: options.output
      ?? FileManager.default.temporaryDirectory.appendingPathComponent(
        "finetune-\(ProcessInfo.processInfo.processIdentifier)"
      ).path,
    numTrainEpochs: options.epochs, perDeviceTrainBatchSize: options.batchSize, learningRate: options.lr)
  let scratchOutput = args.outputDir
  defer {  // without --output, output_dir is scratch (only trainer_state.json lands there)
    if options.output == nil { try? FileManager.default.removeItem(atPath: scratchOutput) }
  }
  args.maxSteps = options.maxSteps
  args.perDeviceEvalBatchSize = options.evalBatchSize
  args.seed = options.seed
  args.warmupRatio = options.warmupRatio
  args.weightDecay = options.weightDecay
  args.gradientAccumulationSteps = options.gradAccum
  args.maxGradNorm = options.maxGradNorm
  if let named = options.lrSchedulerType, options.scheduler != .linear, named != options.scheduler {
    throw CourseToolError(
      "--lr-scheduler-type \(named.rawValue) and --scheduler \(options.scheduler.rawValue) disagree; give one"
    )
  }
  args.lrSchedulerType = options.lrSchedulerType ?? options.scheduler
  args.labelSmoothingFactor = options.labelSmoothing
  try checkFreezingOptions(options)
  args.groupByLength = options.groupByLength
  args.gradientCheckpointing = options.gradientCheckpointing
  args.evalStrategy = .epoch
  args.saveStrategy = .no
  if options.saveSteps > 0 || options.resume {
    guard options.output != nil else {
      throw CourseToolError(
        "\(options.resume ? "--resume" : "--save-steps"): needs --output DIR (where checkpoints go)")
    }
  }
  if options.saveSteps > 0 {
    (args.saveStrategy, args.saveSteps, args.saveTotalLimit) = (.steps, options.saveSteps, 1)
  }
  args.loggingStrategy = .epoch
  if options.earlyStoppingPatience != nil {
    // Hugging Face's EarlyStoppingCallback needs the best checkpoint: one saved per evaluation.
    (args.saveStrategy, args.saveTotalLimit, args.loadBestModelAtEnd) = (.epoch, 1, true)
  }
  try args.validate()

  manualSeed(args.seed)
  let loaded = try PretrainedClassifier.fromPretrained(
    URL(fileURLWithPath: modelPath), labelNames: labelNames,
    maxLength: options.maxLength, classifierPooling: options.pooling?.rawValue)
  let trained = try options.peftOptions.adapt(loaded, modelPath: modelPath, seed: args.seed)
  // The freezing options are checked against the model before anything is printed.
  let (optimizer, callbacks, strategyReport) = try fineTuningStrategy(
    trained, options: options, args: args)
  print(loaded.report)
  let bert = loaded.model as? BertForSequenceClassification
  let mismatch =
    bert?.bert.config.transformersMismatch
    ?? (loaded.model as? RobertaForSequenceClassification)?.roberta.config.transformersMismatch
  if let mismatch { FileHandle.standardError.write(Data((mismatch + "\n").utf8)) }
  if bert?.bert.config.classifierPooling == "cls",
    loaded.report.newlyInitialized.contains("bert.pooler.dense.weight")
  {
    // A checkpoint without a pooler was pre-trained without a sentence objective: its [CLS] state
    // was never trained (the History of bert-mini's model card measures the cost).
    print(
      "note: \(modelPath) has no trained pooler, so its [CLS] state was never trained (MLM alone); [CLS] pooling, the default and what transformers computes, may transfer little. --pooling mean reads the mean of the token states instead, a kit extension transformers does not reproduce."
    )
  }
  if let columns { print("\(trainPath): \(describe(columns))") }
  strategyReport.forEach { print($0) }
  let trainer = try Trainer(
    model: trained, args: args, trainDataset: try dataset(train, trainPath),
    evalDataset: try dataset(validation, validationPath), dataCollator: loaded.collator,
    computeMetrics: classificationMetrics, callbacks: callbacks, optimizers: (optimizer, nil))
  trainer.tokenizer = loaded.tokenizer
  print(
    "fine-tuning \(loaded.modelType) from \(modelPath) on \(train.count) \(columns?.textPair == nil ? "examples" : "sentence pairs") (\(labelNames.joined(separator: ", "))), \(Threads.count) threads"
  )
  // A run killed at any point leaves complete checkpoints only (each is written aside and
  // renamed into place); --resume continues from the newest to the same final weights.
  let checkpoint = options.resume ? trainer.lastCheckpoint : nil
  if options.resume && checkpoint == nil {
    throw CourseToolError(
      "--resume: no checkpoint-N directory in \(args.outputDir) (save them with --save-steps N)")
  }
  if let checkpoint { print("resuming from \(checkpoint.path)") }
  let output = try trainer.train(resumeFrom: checkpoint)
  if let gradual = callbacks.first(where: { $0 is GradualUnfreezingCallback }) as? GradualUnfreezingCallback {
    print(gradualUnfreezingReport(gradual, steps: output.globalStep))
  }
  if let stopper = callbacks.first(where: { $0 is EarlyStoppingCallback }) as? EarlyStoppingCallback,
    output.globalStep < trainer.state.maxSteps
  {
    print(
      "early stopping: stopped at step \(output.globalStep) of \(trainer.state.maxSteps) after \(stopper.patience) evaluation(s) without improvement; the best checkpoint was loaded"
    )
  }
  for entry in trainer.state.logHistory where entry["eval_loss"] != nil {
    print(
      String(
        format: "epoch %.2f  eval loss %.4f  accuracy %.4f  macro-F1 %.4f", entry["epoch"] ?? 0,
        entry["eval_loss"]!,
        entry["eval_accuracy"] ?? .nan, entry["eval_f1"] ?? .nan))
  }
  let seconds = output.metrics["train_runtime"]!
  print(
    String(
      format: "training: %d steps in %.1f s, %.0f tokens/s, %.1f examples/s, mean loss %.4f",
      output.globalStep,
      seconds, output.metrics["train_tokens_per_second"]!, output.metrics["train_samples_per_second"]!,
      output.trainingLoss))
  // The epoch-end evaluation already measured the final weights unless max_steps ended mid-epoch.
  // With early stopping the best checkpoint was loaded: its weights are measured again.
  let final =
    try options.earlyStoppingPatience != nil
    ? trainer.evaluate()
    : trainer.state.logHistory.last { $0["eval_loss"] != nil && $0["step"] == Double(output.globalStep) }
      ?? trainer.evaluate()
  print(
    String(
      format: "validation: accuracy %.4f  macro-F1 %.4f  (%d examples)", final["eval_accuracy"]!,
      final["eval_f1"]!,
      validation.count))
  if let test, let testPath = options.test {
    let result = try trainer.predict(try dataset(test, testPath))
    print(
      String(
        format: "test: accuracy %.4f  macro-F1 %.4f  (%d examples)", result.metrics["test_accuracy"]!,
        result.metrics["test_f1"]!, test.count))
  }
  if let out = options.output {
    let directory = URL(fileURLWithPath: out)
    // trainer_state.json is already there (Trainer.train)
    try options.peftOptions.save(trained, loaded: loaded, to: directory)
    if options.peftOptions.peft == .none || options.peftOptions.merge {
      try writeModelCard(
        to: directory, options: options, modelType: loaded.modelType, labelNames: labelNames,
        validation: (final["eval_accuracy"]!, final["eval_f1"]!, validation.count), mismatch: mismatch)
    }
  }
  return 0
}

/// README.md of a fine-tuned checkpoint (as the Trainer's `create_model_card`): the command that
/// made it, the validation figures, and, for a mean-pooled BERT, that transformers computes
/// other probabilities.
func writeModelCard(
  to directory: URL, options: Finetune, modelType: String, labelNames: [String],
  validation: (accuracy: Double, f1: Double, count: Int), mismatch: String?
) throws {
  var command = "swift run course finetune --model \(options.model) --train \(options.train)"
  command += " --validation \(options.validation) --epochs \(options.epochs) --max-steps \(options.maxSteps)"
  command += " --batch-size \(options.batchSize) --lr \(options.lr) --seed \(options.seed)"
  if let pooling = options.pooling { command += " --pooling \(pooling.rawValue)" }
  let compatibility =
    mismatch.map {
      "**Not reproduced by transformers.** " + $0.replacingOccurrences(of: "WARNING: ", with: "")
    }
    ?? "transformers' `AutoModelForSequenceClassification.from_pretrained` loads this directory and computes the same probabilities as `course predict` (the kit's tests check this to 1e-4)."
  let card = """
    # \(directory.lastPathComponent): a \(modelType) sequence classifier fine-tuned by the kit

    Classes: \(labelNames.joined(separator: ", ")). Fine-tuned from `\(options.model)` with

    ```sh
    \(command)
    ```

    (other options at their defaults). Validation: accuracy \(String(format: "%.4f", validation.accuracy)), macro-F1 \
    \(String(format: "%.4f", validation.f1)) on \(validation.count) examples.

    ## Hugging Face transformers

    \(compatibility)

    """
  try Data(card.utf8).write(to: directory.appendingPathComponent("README.md"), options: .atomic)
}

/// Refuses freezing options that contradict each other or `--early-stopping-*`, naming them.
func checkFreezingOptions(_ options: Finetune) throws {
  let freezing = [
    ("--freeze-base", options.freezeBase), ("--freeze-layers", options.freezeLayers != nil),
    ("--gradual-unfreezing", options.gradualUnfreezing),
  ].filter(\.1).map(\.0)
  if options.peftOptions.peft != .none,
    let first = freezing.first ?? (options.layerwiseLRDecay != nil ? "--layerwise-lr-decay" : nil)
  {
    throw CourseToolError(
      "\(first) cannot be combined with --peft \(options.peftOptions.peft.rawValue): PEFT freezes the base model itself"
    )
  }
  if freezing.count > 1 {
    throw CourseToolError(
      "\(freezing.joined(separator: " and ")) cannot be combined: choose one way to freeze")
  }
  if let decay = options.layerwiseLRDecay, decay > 1 {
    throw CourseToolError(
      "--layerwise-lr-decay: expected a number in (0, 1], got \(decay) (lower layers learn slower, not faster)"
    )
  }
  if options.layerwiseLRDecay != nil && options.freezeBase {
    throw CourseToolError(
      "--layerwise-lr-decay has nothing to decay with --freeze-base (only the head trains)")
  }
  if !(options.labelSmoothing < 1) {
    throw CourseToolError("--label-smoothing: expected a number in [0, 1), got \(options.labelSmoothing)")
  }
  if options.gradualUnfreezingSteps != nil && !options.gradualUnfreezing {
    throw CourseToolError("--gradual-unfreezing-steps needs --gradual-unfreezing")
  }
  if options.earlyStoppingPatience == nil && options.earlyStoppingThreshold != 0 {
    throw CourseToolError("--early-stopping-threshold needs --early-stopping-patience N")
  }
  if options.earlyStoppingPatience != nil && (options.saveSteps > 0 || options.resume) {
    throw CourseToolError(
      "--early-stopping-patience saves a checkpoint per epoch and cannot be combined with --save-steps or --resume"
    )
  }
}

/// The optimizer (nil: the Trainer's AdamW) and callbacks that `--freeze-*`,
/// `--layerwise-lr-decay`, `--gradual-unfreezing` and `--early-stopping-*` ask for, with the
/// model frozen as they say, and the lines to report (the trainable parameters when anything is
/// frozen, the layer-wise rates).
func fineTuningStrategy(_ model: any SequenceClassifier, options: Finetune, args: TrainingArguments) throws
  -> (
    (any Optimizer)?, [TrainerCallback], [String]
  )
{
  let layers = encoderLayerCount(model)
  if options.freezeBase { Training.freezeBase(model, basePrefix: model.basePrefix) }
  if let count = options.freezeLayers {
    guard count <= layers else {
      throw CourseToolError("--freeze-layers \(count): the model has \(layers) encoder layers")
    }
    Training.freezeLayers(model, count: count)
  }
  var callbacks: [TrainerCallback] = []
  if options.gradualUnfreezing {
    callbacks.append(GradualUnfreezingCallback(model: model, stepsPerStage: options.gradualUnfreezingSteps))
  }
  if let patience = options.earlyStoppingPatience {
    callbacks.append(
      EarlyStoppingCallback(
        earlyStoppingPatience: patience, earlyStoppingThreshold: options.earlyStoppingThreshold))
  }
  var report: [String] = []
  if options.freezeBase || options.freezeLayers != nil { report.append(model.trainableParametersSummary()) }
  guard let decay = options.layerwiseLRDecay else { return (nil, callbacks, report) }
  let optimizer = makeLayerwiseAdamW(
    model, learningRate: Float(args.learningRate), decay: Float(decay), weightDecay: Float(args.weightDecay),
    includeFrozen: options.gradualUnfreezing, betas: (Float(args.adamBeta1), Float(args.adamBeta2)),
    eps: Float(args.adamEpsilon))
  report.append(
    "layer-wise learning rates: \(optimizer.groups.map { String(format: "%.3g", $0.learningRate) }.uniqued().joined(separator: ", ")) (head first)"
  )
  return (optimizer, callbacks, report)
}

/// How far gradual unfreezing got in a run of `steps` optimizer steps: every depth, or which
/// stayed frozen and the `--gradual-unfreezing-steps` that would open them all.
func gradualUnfreezingReport(_ gradual: GradualUnfreezingCallback, steps: Int) -> String {
  let stages = gradual.layers + 2
  let opened = stages - gradual.trainableDepth
  guard gradual.trainableDepth > 0 else {
    return "gradual unfreezing: all \(stages) stages opened (head, \(gradual.layers) layers, embeddings)"
  }
  let perStage = GradualUnfreezingCallback.stepsPerStage(totalSteps: steps, layers: gradual.layers)
  return
    "note: gradual unfreezing opened \(opened) of \(stages) stages in \(steps) steps: the embeddings and the lowest \(gradual.trainableDepth - 1) layer(s) never trained; --gradual-unfreezing-steps \(perStage) would open them all in this run"
}

extension Array where Element: Hashable {
  /// The elements in order, each once.
  func uniqued() -> [Element] {
    var seen = Set<Element>()
    return filter { seen.insert($0).inserted }
  }
}

/// `predict --model DIR --input FILE`: one JSON object per input (line or row), the text (and
/// `text_pair`), the label and the probability of every class.
struct Predict: CourseCommand {
  /// How `--input` is read: one text per line, or a table's text (and pair) columns.
  enum InputFormat: String, CaseIterable, OptionValue { case lines, tsv, csv, jsonl }

  @Option(
    "--model", value: "DIR",
    help: "a checkpoint saved by course finetune --output (a model, an adapter, or course quantize's int8)")
  var model: String
  @Option(
    "--input", value: "FILE", help: "the texts: one per line, or a tsv/csv/jsonl table (- for standard input)"
  )
  var input: String
  @Option(
    "--format",
    help: "how the input is read (default: a table for .tsv/.csv/.jsonl/.json/.ndjson names, else lines)")
  var format: InputFormat? = nil
  @Option(
    "--text-column", value: "NAME", help: "the text column of a table (default: found as finetune does)")
  var textColumn: String? = nil
  @Option("--text-pair-column", value: "NAME", help: "the second text of a pair (default: found; none)")
  var textPairColumn: String? = nil
  @Option("--max-length", .atLeast(2), help: "tokens per text, longer ones truncated")
  var maxLength = 128

  func run() throws -> Int32 { try runPredict(self) }
}

/// What `predict` classifies: the text and, for sentence-pair models, the second text.
struct PredictInput {
  let text: String
  let textPair: String?
}

/// `predict`'s inputs: one text per line (`--format lines`, the default for names other than
/// .tsv/.csv/.jsonl, and for `-`), or the text (and pair) columns of a TSV, CSV or JSONL file,
/// named with `--text-column`/`--text-pair-column` or found as `finetune` finds them. A label
/// column, if there, is not read.
func predictInputs(_ path: String, options: Predict) throws -> [PredictInput] {
  let extensionFormat = ["tsv", "csv", "jsonl", "json", "ndjson"].contains(
    URL(fileURLWithPath: path).pathExtension.lowercased())
  let chosen = options.format ?? (extensionFormat && path != "-" ? nil : .lines)
  if chosen == .lines {
    guard options.textColumn == nil, options.textPairColumn == nil else {
      throw CourseToolError(
        "--text-column and --text-pair-column need a table: --format tsv, csv or jsonl (one text per line has no columns)"
      )
    }
    return try inputLines(path).map { PredictInput(text: $0.text, textPair: nil) }
  }
  let format = chosen.flatMap { DataFormat(rawValue: $0.rawValue) } ?? DataFormat(inferredFrom: path)
  let loaded = try readExamples(
    URL(fileURLWithPath: path), format: format, textField: options.textColumn,
    textPairField: options.textPairColumn, requireLabels: false)
  return loaded.examples.map { PredictInput(text: $0.text, textPair: $0.textPair) }
}

func runPredict(_ options: Predict) throws -> Int32 {
  let (modelPath, input) = (options.model, options.input)
  let inputs = try predictInputs(input, options: options)  // the input's problems first: no model load
  // A full checkpoint, or an adapter directory on the base model it names (PeftOptions.swift).
  let (model, loaded) = try loadClassifierOrAdapter(
    URL(fileURLWithPath: modelPath), maxLength: options.maxLength)
  if model === loaded.model, !loaded.report.newlyInitialized.isEmpty {
    throw CourseToolError(
      "\(modelPath): has no trained classification head (\(loaded.report.newlyInitialized.joined(separator: ", "))); fine-tune it first with course finetune --output"
    )
  }
  let names = loaded.labelNames ?? (0..<model.numLabels).map { "LABEL_\($0)" }
  model.eval()
  for first in stride(from: 0, to: inputs.count, by: 64) {
    let batch = Array(inputs[first..<min(first + 64, inputs.count)])
    let padded = loaded.collator(batch.map { loaded.collator.encode($0.text, pair: $0.textPair) })
    let probabilities = try noGrad {
      try model.logits(
        inputIds: padded.inputIds, attentionMask: padded.attentionMask, tokenTypeIds: padded.tokenTypeIds)
    }.softmax(axis: -1)
    for (row, input) in batch.enumerated() {
      let p = (0..<names.count).map { Double(probabilities.data[row * names.count + $0]) }
      let best = p.indices.max { p[$0] < p[$1] }!
      var object: [String: Any] = [
        "text": input.text, "label": names[best], "scores": Dictionary(uniqueKeysWithValues: zip(names, p)),
      ]
      if let pair = input.textPair { object["text_pair"] = pair }
      print(try jsonLine(object))
    }
  }
  return 0
}
