// `course finetune`: fine-tunes any BERT- or GPT-style checkpoint directory on a labelled file
// with the Trainer, and prints validation (and test) accuracy and macro-F1, time and tokens/s.
// `course predict`: classifies new text with a fine-tuned checkpoint.

import CourseTools
import Datasets
import Foundation
import Models
import TensorCore
import Training

let finetuneOptions: Set<String> = [
  "--model", "--train", "--validation", "--test", "--format", "--epochs", "--max-steps", "--batch-size",
  "--eval-batch-size", "--lr", "--max-length", "--output", "--seed", "--warmup-ratio", "--weight-decay",
  "--scheduler", "--grad-accum", "--max-grad-norm", "--text-field", "--label-field", "--labels", "--threads",
  "--group-by-length", "--text-column", "--text-pair-column", "--label-column",
]

/// `--format NAME`, or the format each file's name suggests (`.csv`, `.jsonl`, else TSV).
func dataFormat(_ options: [String: String], for path: String) throws -> DataFormat {
  guard let name = options["--format"] else { return DataFormat(inferredFrom: path) }
  guard let format = DataFormat(rawValue: name) else {
    throw CourseToolError(
      "--format must be one of \(DataFormat.allCases.map(\.rawValue).joined(separator: ", ")), got \(name)")
  }
  return format
}

/// How the columns read were chosen, for the report: `text=sentence1 pair=sentence2 label=label`.
func describe(_ columns: TextColumns) -> String {
  "text column \"\(columns.text)\"" + (columns.textPair.map { ", pair column \"\($0)\"" } ?? "")
    + ", label column \"\(columns.label)\""
}

func runFinetune(_ arguments: [String]) throws -> Int32 {
  let (options, positional) = try parseArguments(arguments)
  try rejectUnknown(options, allowed: finetuneOptions)
  guard positional.isEmpty else { throw CourseToolError("unexpected argument \(positional[0])") }
  guard let modelPath = options["--model"], let trainPath = options["--train"],
    let validationPath = options["--validation"]
  else {
    throw CourseToolError("finetune needs --model DIR --train FILE --validation FILE")
  }
  func number<T: LosslessStringConvertible & Comparable>(_ name: String, _ fallback: T, min: T) throws -> T {
    guard let text = options[name] else { return fallback }
    guard let value = T(text), value >= min else {
      throw CourseToolError("\(name) needs a number ≥ \(min), got \(text)")
    }
    return value
  }
  Threads.count = try number("--threads", Threads.count, min: 1)

  // The training file's columns are named or found (run_glue.py's rules); the validation and
  // test files are read from the same columns.
  var columns: TextColumns? = nil
  func read(_ path: String) throws -> [Example] {
    let format = try dataFormat(options, for: path)
    let named = ["--text-column", "--text-pair-column", "--label-column", "--text-field", "--label-field"]
    if format == .labelText, let option = named.first(where: { options[$0] != nil }) {
      throw CourseToolError("\(option): a label-text file (\(path)) has no columns, only LABEL TEXT lines")
    }
    let loaded = try readExamples(
      URL(fileURLWithPath: path), format: format,
      textField: columns?.text ?? options["--text-column"] ?? options["--text-field"],
      textPairField: columns?.textPair ?? options["--text-pair-column"],
      labelField: columns?.label ?? options["--label-column"] ?? options["--label-field"])
    if columns == nil { columns = loaded.columns }
    return loaded.examples
  }
  let train = try read(trainPath)
  let validation = try read(validationPath)
  let test = try options["--test"].map(read)
  let labelNames =
    options["--labels"]?.split(separator: ",").map(String.init) ?? LabelMap(from: train).labels
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
    outputDir: options["--output"]
      ?? FileManager.default.temporaryDirectory.appendingPathComponent(
        "finetune-\(ProcessInfo.processInfo.processIdentifier)"
      ).path,
    numTrainEpochs: try number("--epochs", 3.0, min: 0.0),
    perDeviceTrainBatchSize: try number("--batch-size", 32, min: 1),
    learningRate: try number("--lr", 5e-5, min: 0.0))
  let scratchOutput = args.outputDir
  defer {  // without --output, output_dir is scratch (only trainer_state.json lands there)
    if options["--output"] == nil { try? FileManager.default.removeItem(atPath: scratchOutput) }
  }
  args.maxSteps = try number("--max-steps", -1, min: -1)
  args.perDeviceEvalBatchSize = try number("--eval-batch-size", 64, min: 1)
  args.seed = try number("--seed", 42, min: 0)
  args.warmupRatio = try number("--warmup-ratio", 0.0, min: 0.0)
  args.weightDecay = try number("--weight-decay", 0.0, min: 0.0)
  args.gradientAccumulationSteps = try number("--grad-accum", 1, min: 1)
  args.maxGradNorm = try number("--max-grad-norm", 1.0, min: 0.0)
  if let name = options["--scheduler"] {
    guard let schedule = LearningRateSchedule(rawValue: name) else {
      throw CourseToolError(
        "--scheduler must be one of \(LearningRateSchedule.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    args.lrSchedulerType = schedule
  }
  if let group = options["--group-by-length"] {
    guard let value = Bool(group) else {
      throw CourseToolError("--group-by-length needs true or false, got \(group)")
    }
    args.groupByLength = value
  }
  args.evalStrategy = .epoch
  args.saveStrategy = .no
  args.loggingStrategy = .epoch
  try args.validate()

  manualSeed(args.seed)
  let loaded = try PretrainedClassifier.fromPretrained(
    URL(fileURLWithPath: modelPath), labelNames: labelNames,
    maxLength: try number("--max-length", 128, min: 2))
  print(loaded.report)
  if let columns { print("\(trainPath): \(describe(columns))") }
  let trainer = try Trainer(
    model: loaded.model, args: args, trainDataset: try dataset(train, trainPath),
    evalDataset: try dataset(validation, validationPath), dataCollator: loaded.collator,
    computeMetrics: classificationMetrics)
  trainer.tokenizer = loaded.tokenizer
  print(
    "fine-tuning \(loaded.modelType) from \(modelPath) on \(train.count) \(columns?.textPair == nil ? "examples" : "sentence pairs") (\(labelNames.joined(separator: ", "))), \(Threads.count) threads"
  )
  let output = try trainer.train()
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
  let final =
    try trainer.state.logHistory.last { $0["eval_loss"] != nil && $0["step"] == Double(output.globalStep) }
    ?? trainer.evaluate()
  print(
    String(
      format: "validation: accuracy %.4f  macro-F1 %.4f  (%d examples)", final["eval_accuracy"]!,
      final["eval_f1"]!,
      validation.count))
  if let test, let testPath = options["--test"] {
    let result = try trainer.predict(try dataset(test, testPath))
    print(
      String(
        format: "test: accuracy %.4f  macro-F1 %.4f  (%d examples)", result.metrics["test_accuracy"]!,
        result.metrics["test_f1"]!, test.count))
  }
  if let out = options["--output"] {
    let directory = URL(fileURLWithPath: out)
    try loaded.model.save(to: directory)
    try loaded.tokenizer.save(to: directory)  // trainer_state.json is already there (Trainer.train)
    print("saved the fine-tuned model to \(out)")
  }
  return 0
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
func predictInputs(_ path: String, options: [String: String]) throws -> [PredictInput] {
  let extensionFormat = ["tsv", "csv", "jsonl", "json", "ndjson"].contains(
    URL(fileURLWithPath: path).pathExtension.lowercased())
  let name = options["--format"] ?? (extensionFormat && path != "-" ? nil : "lines")
  if name == "lines" {
    guard options["--text-column"] == nil, options["--text-pair-column"] == nil else {
      throw CourseToolError(
        "--text-column and --text-pair-column need a table: --format tsv, csv or jsonl (one text per line has no columns)"
      )
    }
    return try inputLines(path).map { PredictInput(text: $0.text, textPair: nil) }
  }
  guard name == nil || [.tsv, .csv, .jsonl].contains(DataFormat(rawValue: name!)) else {
    throw CourseToolError("--format must be one of lines, tsv, csv, jsonl, got \(name!)")
  }
  let format = name.flatMap(DataFormat.init(rawValue:)) ?? DataFormat(inferredFrom: path)
  let loaded = try readExamples(
    URL(fileURLWithPath: path), format: format, textField: options["--text-column"],
    textPairField: options["--text-pair-column"], requireLabels: false)
  return loaded.examples.map { PredictInput(text: $0.text, textPair: $0.textPair) }
}

/// `predict --model DIR --input FILE [--format lines|tsv|csv|jsonl] [--text-column C]
/// [--text-pair-column C]`: one JSON object per input (line or row), the text (and
/// `text_pair`), the label and the probability of every class.
func runPredict(_ arguments: [String]) throws -> Int32 {
  let (options, _) = try parseArguments(arguments)
  try rejectUnknown(
    options,
    allowed: ["--model", "--input", "--max-length", "--format", "--text-column", "--text-pair-column"])
  guard let modelPath = options["--model"], let input = options["--input"] else {
    throw CourseToolError("predict needs --model DIR and --input FILE")
  }
  let inputs = try predictInputs(input, options: options)  // the input's problems first: no model load
  let loaded = try PretrainedClassifier.fromPretrained(
    URL(fileURLWithPath: modelPath), maxLength: Int(options["--max-length"] ?? "128") ?? 128)
  if !loaded.report.newlyInitialized.isEmpty {
    throw CourseToolError(
      "\(modelPath): has no trained classification head (\(loaded.report.newlyInitialized.joined(separator: ", "))); fine-tune it first with course finetune --output"
    )
  }
  let names = loaded.labelNames ?? (0..<loaded.model.numLabels).map { "LABEL_\($0)" }
  loaded.model.eval()
  for first in stride(from: 0, to: inputs.count, by: 64) {
    let batch = Array(inputs[first..<min(first + 64, inputs.count)])
    let padded = loaded.collator(batch.map { loaded.collator.encode($0.text, pair: $0.textPair) })
    let probabilities = try noGrad {
      try loaded.model.logits(
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
