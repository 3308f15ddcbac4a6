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

/// Copies the encoder weights (`bert.…`) of a fine-tuned classifier into a masked-LM model with
/// the pre-trained MLM head, so the pre-training objective can be measured on them.
func copyEncoder(from classifier: BertForSequenceClassification, to mlm: BertForMaskedLM) {
  let source = Dictionary(uniqueKeysWithValues: classifier.namedParameters().map { ($0.name, $0.tensor) })
  for (name, tensor) in mlm.namedParameters() where name.hasPrefix("bert.") {
    if let weights = source[name] { tensor.data = weights.data }
  }
}

/// The same classifier with dropout probability `p` everywhere (hidden and attention), and the
/// weights of `model`: a dropout layer's rate is fixed when it is built, as in PyTorch.
func withDropout(_ model: BertForSequenceClassification, _ p: Float, seed: UInt64)
  -> BertForSequenceClassification
{
  var config = model.bert.config
  config.hiddenDropoutProb = p
  config.attentionProbsDropoutProb = p
  let copy = BertForSequenceClassification(config, generator: Generator(seed: seed))
  let source = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor) })
  for (name, tensor) in copy.namedParameters() { tensor.data = source[name]?.data ?? tensor.data }
  return copy
}
