// The fine-tuning runs of Lesson 7 and the helpers that format their numbers: every neural
// model here is the GPT-style checkpoint's architecture, pre-trained or from random weights,
// fine-tuned with the same recipe (TrainingArguments + Trainer, as in Lesson 5).

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// One fine-tuning run: the model's logits on validation, its accuracy on its own training
/// examples, and how long it took.
struct Run {
  var validationLogits: [[Float]]
  var trainAccuracy: Double
  var seconds: Double
  var trainer: SequenceClassificationTrainer

  var predictions: [Int] { validationLogits.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 } }
}

/// The GPT-style checkpoint's pieces, loaded once.
struct GPTKit {
  let directory: URL
  var config: GPT2Config
  let collator: DataCollatorWithPadding

  init(directory: URL, labelNames: [String]) throws {
    self.directory = directory
    config = try JSONDecoder().decode(
      GPT2Config.self, from: Data(contentsOf: directory.appendingPathComponent("config.json")))
    config.setLabels(labelNames)
    config.padTokenId = config.eosTokenId
    // GPT-2 has no padding token: batches are padded with end-of-text, which the head skips.
    collator = DataCollatorWithPadding(
      tokenizer: try ByteLevelBPETokenizer(
        vocabularyFile: directory.appendingPathComponent("vocab.json"),
        mergesFile: directory.appendingPathComponent("merges.txt")),
      padID: config.eosTokenId, maxLength: 64)
  }

  /// A classifier: the pre-trained checkpoint with a new head, or the same architecture drawn at random.
  func model(pretrained: Bool, seed: UInt64) throws -> GPT2ForSequenceClassification {
    pretrained
      ? try GPT2ForSequenceClassification.fromPretrained(
        directory, labelNames: config.labelNames ?? [], padTokenId: config.padTokenId,
        generator: Generator(seed: seed))
      : GPT2ForSequenceClassification(config, generator: Generator(seed: seed))
  }
}

/// The recipe of every run: AdamW, warm-up then linear decay, `maxSteps` optimizer steps.
func recipe(outputDirectory: URL, maxSteps: Int, learningRate: Double, seed: UInt64) -> TrainingArguments {
  var args = TrainingArguments(
    outputDir: outputDirectory.path, numTrainEpochs: 1, perDeviceTrainBatchSize: 32,
    learningRate: learningRate)
  args.maxSteps = maxSteps
  args.warmupRatio = 0.1
  args.weightDecay = 0.01
  args.saveStrategy = .no
  args.loggingStrategy = .no
  args.seed = seed
  args.perDeviceEvalBatchSize = 64
  args.disableTqdm = true
  return args
}

/// Fine-tunes `model` on `train` and scores it on `validation` (logits kept) and, with
/// `scoreTrain`, on `train`.
func fineTune(
  _ model: any SequenceClassifier, collator: DataCollatorWithPadding, args: TrainingArguments,
  train: TextClassificationDataset, validation: TextClassificationDataset, scoreTrain: Bool = true
) throws -> Run {
  let trainer = try Trainer(
    model: model, args: args, trainDataset: train, evalDataset: validation, dataCollator: collator,
    computeMetrics: classificationMetrics)
  let output = try trainer.train()
  let logits = try trainer.predict(validation, metricKeyPrefix: "eval").predictions.logits
  let fitted = scoreTrain ? try trainer.evaluate(train, metricKeyPrefix: "train") : [:]
  return Run(
    validationLogits: logits, trainAccuracy: fitted["train_accuracy"] ?? .nan,
    seconds: output.metrics["train_runtime"] ?? .nan, trainer: trainer)
}

func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
func interval(_ i: ConfidenceInterval) -> String { "[\(percent(i.low)), \(percent(i.high))]" }
func meanAndSpread(_ values: [Double]) -> (mean: Double, std: Double) {
  let mean = values.reduce(0, +) / Double(max(1, values.count))
  let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, values.count - 1))
  return (mean, variance.squareRoot())
}
