// `course evaluate`: the figures of Lesson 7 for any fine-tuned checkpoint on any labelled file:
// scikit-learn's classification report, the confusion matrix (terminal table, and SVG with
// --svg), accuracy and macro-F1 with bootstrap intervals, Matthews' correlation and the expected
// calibration error. With --compare, a second checkpoint on the same examples and the paired
// tests (paired bootstrap, McNemar's exact test). --json writes the numbers under the names
// Hugging Face `evaluate` gives its metrics (accuracy, f1, precision, recall,
// matthews_correlation).

import CourseTools
import Datasets
import Foundation
import Notebook
import PEFT
import TensorCore
import Training

/// `evaluate --model DIR --data FILE [--compare DIR2] [--json OUT] [--svg OUT]`.
struct Evaluate: CourseCommand {
  @Option("--model", value: "DIR", help: "a checkpoint saved by course finetune --output")
  var model: String
  @Option("--data", value: "FILE", help: "the labelled examples to score (tsv, csv, jsonl or label-text)")
  var data: String
  @Option(
    "--format",
    help: "the file's format (default: from its name: .csv, .jsonl/.json/.ndjson, else tsv)")
  var format: DataFormat? = nil
  @Option("--text-column", value: "NAME", help: "the text column (default: found as finetune does)")
  var textColumn: String? = nil
  @Option("--text-pair-column", value: "NAME", help: "the second text of a pair (default: found; none)")
  var textPairColumn: String? = nil
  @Option("--label-column", value: "NAME", help: "the label column (default: label, labels, gold_label, ...)")
  var labelColumn: String? = nil
  @Option("--compare", value: "DIR", help: "a second checkpoint: the paired tests between the two")
  var compare: String? = nil
  @Option("--json", value: "FILE", help: "write every number to this JSON file")
  var json: String? = nil
  @Option("--svg", value: "FILE", help: "write the confusion matrix as an SVG figure")
  var svg: String? = nil
  @Option("--bootstrap", .atLeast(1), help: "bootstrap resamples for the intervals")
  var bootstrap = 1000
  @Option("--bins", .atLeast(1), help: "equal-width confidence bins of the calibration error")
  var bins = 15
  @Option("--seed", help: "the seed of the bootstrap")
  var seed: UInt64 = 42
  @Option("--max-length", .atLeast(2), help: "tokens per text, longer ones truncated")
  var maxLength = 128

  func run() throws -> Int32 { try runEvaluate(self) }
}

/// One checkpoint's logits on the examples, (examples, classes), and its class names.
struct ScoredModel {
  let path: String
  let modelType: String
  let names: [String]
  let logits: [[Float]]
  var predictions: [Int] { logits.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 } }
}

func scoreCheckpoint(_ path: String, examples: [Example], maxLength: Int) throws -> ScoredModel {
  let directory = URL(fileURLWithPath: path)
  if !isAdapterDirectory(directory) {
    _ = try checkpointDirectory(path, command: "evaluate", files: ["config.json", "model.safetensors"])
  }
  // A full checkpoint, an int8 one (course quantize) or an adapter on its base, as predict reads.
  let (model, loaded) = try loadClassifierOrAdapter(directory, maxLength: maxLength)
  if model === loaded.model, !loaded.report.newlyInitialized.isEmpty {
    throw CourseToolError(
      "\(path): has no trained classification head (\(loaded.report.newlyInitialized.joined(separator: ", "))); fine-tune it first with course finetune --output"
    )
  }
  let classes = model.numLabels
  let names = loaded.labelNames ?? (0..<classes).map { "LABEL_\($0)" }
  model.eval()
  var logits: [[Float]] = []
  for first in stride(from: 0, to: examples.count, by: 64) {
    let batch = examples[first..<min(first + 64, examples.count)]
    let padded = loaded.collator(batch.map { loaded.collator.encode($0.text, pair: $0.textPair) })
    let output = try noGrad {
      try model.logits(
        inputIds: padded.inputIds, attentionMask: padded.attentionMask, tokenTypeIds: padded.tokenTypeIds)
    }  // (batch, classes)
    for row in 0..<batch.count {
      logits.append(Array(output.data[(row * classes)..<((row + 1) * classes)]))
    }
  }
  return ScoredModel(path: path, modelType: loaded.modelType, names: names, logits: logits)
}

/// The example labels as class indices of the model, or an error naming the file and the label.
func labelIndices(_ examples: [Example], names: [String], file: String) throws -> [Int] {
  let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
  return try examples.enumerated().map { i, example in
    if let k = index[example.label] { return k }
    // A checkpoint without id2label names its classes LABEL_k; a file may give k.
    if let k = Int(example.label), names.indices.contains(k), names[k] == "LABEL_\(k)" { return k }
    throw CourseToolError(
      "\(file): example \(i + 1) has label \"\(example.label)\", which the model does not know (its classes: \(names.joined(separator: ", ")))"
    )
  }
}

/// Every number of one model, as a JSON object with `evaluate`'s metric names.
func evaluationSummary(
  _ scored: ScoredModel, labels: [Int], options: Evaluate
) -> (json: [String: Any], text: String) {
  let k = scored.names.count
  let predictions = scored.predictions
  let matrix = confusionMatrix(labels: labels, predictions: predictions, numClasses: k)
  let averages = averagedMetrics(matrix)
  let correct = zip(labels, predictions).map { $0 == $1 }
  let accuracyCI = bootstrapInterval(
    count: labels.count, resamples: options.bootstrap, generator: Generator(seed: options.seed)
  ) { accuracy(of: correct, at: $0) }
  let f1CI = bootstrapInterval(
    count: labels.count, resamples: options.bootstrap, generator: Generator(seed: options.seed)
  ) { macroF1(labels: labels, predictions: predictions, numClasses: k, at: $0) }
  let (confidence, right) = confidences(scored.logits, labels: labels)
  let ece = calibration(confidences: confidence, correct: right, bins: options.bins).ece
  let (headers, rows) = confusionMatrixRows(matrix, names: scored.names)
  let f = { (x: Double) in String(format: "%.4f", x) }
  let text = """
    \(scored.path) (\(scored.modelType)) on \(options.data): \(labels.count) examples

    \(classificationReport(matrix, names: scored.names, digits: 4))
    \(renderTable(headers: headers, rows: rows, title: "confusion matrix (rows: true class)"))

    accuracy  \(f(accuracyScore(matrix)))  95% bootstrap interval [\(f(accuracyCI.low)), \(f(accuracyCI.high))]
    macro-F1  \(f(averages.macro.f1))  95% bootstrap interval [\(f(f1CI.low)), \(f(f1CI.high))]
    Matthews correlation  \(f(matthewsCorrelation(matrix)))
    expected calibration error (\(options.bins) equal-width bins)  \(f(ece))
    loss (mean negative log-likelihood)  \(f(negativeLogLikelihood(scored.logits, labels: labels)))
    """
  let perClass = zip(scored.names, perClassMetrics(matrix)).map { name, m -> [String: Any] in
    ["label": name, "precision": m.precision, "recall": m.recall, "f1": m.f1, "support": m.support]
  }
  let json: [String: Any] = [
    "model": scored.path, "model_type": scored.modelType, "examples": labels.count, "labels": scored.names,
    "accuracy": accuracyScore(matrix), "accuracy_ci": [accuracyCI.low, accuracyCI.high],
    "f1": averages.macro.f1, "f1_ci": [f1CI.low, f1CI.high], "precision": averages.macro.precision,
    "recall": averages.macro.recall, "f1_weighted": averages.weighted.f1,
    "matthews_correlation": matthewsCorrelation(matrix), "ece": ece, "ece_bins": options.bins,
    "loss": negativeLogLikelihood(scored.logits, labels: labels), "confusion_matrix": matrix,
    "per_class": perClass, "bootstrap_resamples": options.bootstrap, "confidence_level": 0.95,
  ]
  return (json, text)
}

func runEvaluate(_ options: Evaluate) throws -> Int32 {
  let path = options.data
  let format = options.format ?? DataFormat(inferredFrom: path)
  if format == .labelText,
    let option = [
      ("--text-column", options.textColumn), ("--text-pair-column", options.textPairColumn),
      ("--label-column", options.labelColumn),
    ].first(where: { $0.1 != nil })?.0
  {
    throw CourseToolError("\(option): a label-text file (\(path)) has no columns, only LABEL TEXT lines")
  }
  let examples = try readExamples(
    URL(fileURLWithPath: path), format: format, textField: options.textColumn,
    textPairField: options.textPairColumn, labelField: options.labelColumn
  ).examples
  guard !examples.isEmpty else { throw CourseToolError("\(path): no examples to evaluate") }
  let first = try scoreCheckpoint(options.model, examples: examples, maxLength: options.maxLength)
  let labels = try labelIndices(examples, names: first.names, file: path)
  let (firstJSON, firstText) = evaluationSummary(first, labels: labels, options: options)
  print(firstText)
  var json = firstJSON
  if let svg = options.svg {
    let matrix = confusionMatrix(
      labels: labels, predictions: first.predictions, numClasses: first.names.count)
    try SVGFigure.heatmap(
      values: matrix.map { $0.map(Double.init) }, rowLabels: first.names.map { "true \($0)" },
      columnLabels: first.names.map { "predicted \($0)" }, title: "Confusion matrix: \(first.path)"
    ).write(to: URL(fileURLWithPath: svg))
    print("confusion matrix written to \(svg)")
  }
  if let comparePath = options.compare {
    let second = try scoreCheckpoint(comparePath, examples: examples, maxLength: options.maxLength)
    guard second.names == first.names else {
      throw CourseToolError(
        "--compare \(comparePath): its classes (\(second.names.joined(separator: ", "))) differ from --model's (\(first.names.joined(separator: ", "))); the paired tests need the same classes"
      )
    }
    let (secondJSON, secondText) = evaluationSummary(second, labels: labels, options: options)
    print("\n" + secondText)
    let (p1, p2) = (first.predictions, second.predictions)
    let (c1, c2) = (zip(labels, p1).map { $0 == $1 }, zip(labels, p2).map { $0 == $1 })
    let accuracyDifference = pairedBootstrap(
      count: labels.count, resamples: options.bootstrap, generator: Generator(seed: options.seed)
    ) { accuracy(of: c1, at: $0) - accuracy(of: c2, at: $0) }
    let k = first.names.count
    let f1Difference = pairedBootstrap(
      count: labels.count, resamples: options.bootstrap, generator: Generator(seed: options.seed)
    ) {
      macroF1(labels: labels, predictions: p1, numClasses: k, at: $0)
        - macroF1(labels: labels, predictions: p2, numClasses: k, at: $0)
    }
    let mcnemar = mcnemarTest(labels: labels, first: p1, second: p2)
    let f = { (x: Double) in String(format: "%+.4f", x) }
    print(
      """

      --model minus --compare, on the same \(labels.count) examples:
      accuracy  \(f(accuracyDifference.difference))  95% paired bootstrap interval [\(f(accuracyDifference.interval.low)), \(f(accuracyDifference.interval.high))]  p = \(String(format: "%.4f", accuracyDifference.pValue))
      macro-F1  \(f(f1Difference.difference))  95% paired bootstrap interval [\(f(f1Difference.interval.low)), \(f(f1Difference.interval.high))]  p = \(String(format: "%.4f", f1Difference.pValue))
      McNemar's exact test: \(mcnemar.b) examples only --model gets right, \(mcnemar.c) only --compare; p = \(String(format: "%.4g", mcnemar.pValue))
      """)
    json["compare"] = secondJSON
    json["paired"] = [
      "accuracy_difference": accuracyDifference.difference,
      "accuracy_difference_ci": [accuracyDifference.interval.low, accuracyDifference.interval.high],
      "accuracy_bootstrap_p_value": accuracyDifference.pValue,
      "f1_difference": f1Difference.difference,
      "f1_difference_ci": [f1Difference.interval.low, f1Difference.interval.high],
      "f1_bootstrap_p_value": f1Difference.pValue,
      "mcnemar_b": mcnemar.b, "mcnemar_c": mcnemar.c, "mcnemar_p_value": mcnemar.pValue,
    ]
  }
  if let output = options.json {
    let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
    do {
      try data.write(to: URL(fileURLWithPath: output))
    } catch {
      throw CourseToolError("--json \(output): cannot write the file (\(error.localizedDescription))")
    }
    print("numbers written to \(output)")
  }
  return 0
}
