// The fine-tuning runs of Lesson 7 and the helpers that format their numbers: the neural models
// of sections 2-6 are the GPT-style checkpoint, and a smaller model of its architecture from
// random weights, fine-tuned with one recipe (TrainingArguments + Trainer, as in Lesson 5).

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

  /// The model from scratch: the checkpoint's architecture and vocabulary at a quarter of the
  /// width and half the depth (hidden 64, 1 layer, 2 heads, FFN 256), so that it can be trained
  /// until it fits its training set within the lesson's time.
  var scratchConfig: GPT2Config {
    var small = config
    (small.nEmbd, small.nLayer, small.nHead, small.nInner) = (64, 1, 2, 256)
    return small
  }

  /// A classifier: the pre-trained checkpoint with a new head, or the smaller model of the same
  /// architecture drawn at random (`scratchConfig`).
  func model(pretrained: Bool, seed: UInt64) throws -> GPT2ForSequenceClassification {
    pretrained
      ? try GPT2ForSequenceClassification.fromPretrained(
        directory, labelNames: config.labelNames ?? [], padTokenId: config.padTokenId,
        generator: Generator(seed: seed))
      : GPT2ForSequenceClassification(scratchConfig, generator: Generator(seed: seed))
  }
}

/// The recipe of every run: AdamW, warm-up then linear decay, `maxSteps` optimizer steps of
/// `batchSize` examples.
func recipe(
  outputDirectory: URL, maxSteps: Int, learningRate: Double, seed: UInt64, batchSize: Int = 32
) -> TrainingArguments {
  var args = TrainingArguments(
    outputDir: outputDirectory.path, numTrainEpochs: 1, perDeviceTrainBatchSize: batchSize,
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
