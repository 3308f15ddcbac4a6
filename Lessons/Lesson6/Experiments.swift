// The pieces Lesson 6's experiments share: one fine-tuning run with its figures, and the
// summaries of several seeds.

import Foundation
import Models
import TensorCore
import Tokenizers
import Training

/// What one fine-tuning run measured.
struct RunResult {
  /// Validation accuracy and loss at the end (or of the best checkpoint, when loaded).
  var accuracy: Double
  var validationLoss: Double
  /// Accuracy on the run's own training examples: whether it fitted them at all.
  var trainAccuracy: Double
  var trainLoss: Double
  /// Seconds of training (`train_runtime`).
  var seconds: Double
  var steps: Int
  /// The trainable share when training started.
  var trainable: Int
  var history: [[String: Double]]
}

/// How a run is set up beyond its arguments.
struct RunSetup {
  var optimizer: (any Optimizer)? = nil
  var callbacks: [TrainerCallback] = []
  var regularizer: L2SPRegularizer? = nil
  /// General text replayed through the MLM head at every training batch (section 5).
  var replay: MaskedLMReplay? = nil
}

/// Fine-tunes `model` on `train` with `args`, then measures validation and training accuracy,
/// the latter on `fitted` when given (an augmented set's labelled originals: its copies and
/// variants would only repeat or blur that figure, at several times the cost).
func fineTune(
  _ model: BertForSequenceClassification, args: TrainingArguments, train: TextClassificationDataset,
  validation: TextClassificationDataset, tokenizer: any Tokenizer, setup: RunSetup = RunSetup(),
  fitted: TextClassificationDataset? = nil
) throws -> RunResult {
  let trainable = model.parameterCount(trainableOnly: true)
  let trainer = try Trainer(
    model: model, args: args, trainDataset: train, evalDataset: validation, tokenizer: tokenizer,
    maxLength: 32, computeMetrics: classificationMetrics, callbacks: setup.callbacks,
    optimizers: (setup.optimizer, nil))
  if let regularizer = setup.regularizer { trainer.addPenalty(regularizer) }
  if let replay = setup.replay { trainer.addReplay(replay, encoder: model.bert) }
  let output = try trainer.train()
  let history = trainer.state.logHistory
  let metrics = try trainer.evaluate()
  let fitted = try trainer.evaluate(fitted ?? train, metricKeyPrefix: "train")
  return RunResult(
    accuracy: metrics["eval_accuracy"] ?? .nan, validationLoss: metrics["eval_loss"] ?? .nan,
    trainAccuracy: fitted["train_accuracy"] ?? .nan, trainLoss: fitted["train_loss"] ?? .nan,
    seconds: output.metrics["train_runtime"] ?? .nan, steps: output.globalStep,
    trainable: trainable, history: history)
}

/// Mean and sample standard deviation.
func meanAndSpread(_ values: [Double]) -> (mean: Double, std: Double) {
  let mean = values.reduce(0, +) / Double(max(1, values.count))
  let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, values.count - 1))
  return (mean, variance.squareRoot())
}

func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }

/// "81.0% ± 2.1" over the runs (just the value for one run).
func summary(_ values: [Double]) -> String {
  let (mean, std) = meanAndSpread(values)
  return values.count < 2 ? percent(mean) : "\(percent(mean)) ± \(String(format: "%.1f", 100 * std))"
}

func fixed(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }

/// `after` against `before`, one figure per seed of each: the mean of the per-seed differences
/// (after − before), worded with both means, and whether it exceeds twice the larger spread
/// between seeds of the two.
/// Accuracies are worded in points (×100, one decimal); `scale: 1, digits: 3, unit: ""` words
/// a loss.
func pairedComparison(
  _ before: [Double], _ after: [Double], seedCount: Int, scale: Double = 100, digits: Int = 1,
  unit: String = " points"
) -> (verdict: String, difference: Double, isClear: Bool) {
  let difference = meanAndSpread(zip(after, before).map { $0 - $1 }).mean
  let spread = max(meanAndSpread(before).std, meanAndSpread(after).std)
  let number = { (x: Double) in String(format: "%.\(digits)f", scale * x) }
  let change =
    "\(number(meanAndSpread(before).mean)) → \(number(meanAndSpread(after).mean)) (\(String(format: "%+.\(digits)f", scale * difference))\(unit)"
  if seedCount < 2 { return ("\(change), one seed)", difference, false) }
  let isClear = abs(difference) > 2 * spread
  return (
    "\(change), \(isClear ? "beyond" : "within") twice the spread of \(number(spread)))", difference, isClear
  )
}

/// Copies into `target` the values of the parameters of `source` with the same names, among
/// those whose names start with `prefix`: `"bert."` moves an encoder between a classifier and
/// a masked-LM model (or between two classifiers with different heads), `""` copies everything.
func copyParameters(from source: Module, to target: Module, prefix: String = "") {
  let values = Dictionary(uniqueKeysWithValues: source.namedParameters().map { ($0.name, $0.tensor) })
  for (name, tensor) in target.namedParameters() where name.hasPrefix(prefix) {
    if let value = values[name], value.shape == tensor.shape { tensor.data = value.data }
  }
}

/// Accuracy of `model` on `dataset`, evaluated as `fineTune` evaluates (no training; `args`
/// gives the batch size).
func accuracy(
  of model: BertForSequenceClassification, on dataset: TextClassificationDataset, args: TrainingArguments,
  tokenizer: any Tokenizer
) throws -> Double {
  let trainer = try Trainer(
    model: model, args: args, evalDataset: dataset, tokenizer: tokenizer, maxLength: 32,
    computeMetrics: classificationMetrics)
  return try trainer.evaluate()["eval_accuracy"] ?? .nan
}

// cell: with-dropout
/// The same classifier with dropout probability `p` everywhere (hidden and attention), and the
/// weights of `model`: a dropout layer's rate is fixed when it is built, as in PyTorch.
func withDropout(_ model: BertForSequenceClassification, _ p: Float, seed: UInt64)
  -> BertForSequenceClassification
{
  var config = model.bert.config
  config.hiddenDropoutProb = p
  config.attentionProbsDropoutProb = p
  let copy = BertForSequenceClassification(config, generator: Generator(seed: seed))
  copyParameters(from: model, to: copy)
  return copy
}
// end cell: with-dropout
