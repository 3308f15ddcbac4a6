// Sequence classification: the models the Trainer fine-tunes, the labelled text they learn
// from, the collator that pads each batch, the loss, and the Trainer's configuration for them
// (its metrics are in Metrics.swift).

import Foundation
import Models
import TensorCore
import Tokenizers

/// A model that reads a padded batch of token ids and gives one row of logits per sequence:
/// `BertForSequenceClassification` and `GPT2ForSequenceClassification`.
public protocol SequenceClassifier: TrainerModel {
  /// The number of classes (the width of the logits).
  var numLabels: Int { get }
  /// (batch, numLabels) logits. `attentionMask` is 1 for tokens and 0 for padding.
  func logits(inputIds: [[Int]], attentionMask: [[Int]]) throws -> Tensor
  /// (batch, numLabels) logits of a batch that may hold sentence pairs: `tokenTypeIds` (batch,
  /// seq) is 0 for the first text and 1 for the second (`token_type_ids`). Models without
  /// segment embeddings (GPT-2, RoBERTa) ignore it, as their transformers tokenizers do not
  /// return it; that is the default.
  func logits(inputIds: [[Int]], attentionMask: [[Int]], tokenTypeIds: [[Int]]?) throws -> Tensor
}

extension SequenceClassifier {
  /// Ignores `tokenTypeIds`: the model has no segment embeddings.
  public func logits(inputIds: [[Int]], attentionMask: [[Int]], tokenTypeIds: [[Int]]?) throws -> Tensor {
    try logits(inputIds: inputIds, attentionMask: attentionMask)
  }
}

extension BertForSequenceClassification: SequenceClassifier {
  public var numLabels: Int { bert.config.numLabels }
  public func logits(inputIds: [[Int]], attentionMask: [[Int]]) throws -> Tensor {
    try self(inputIds: inputIds, attentionMask: attentionMask)
  }
  /// BERT adds segment embeddings: the second text of a pair reads `token_type_embeddings[1]`.
  public func logits(inputIds: [[Int]], attentionMask: [[Int]], tokenTypeIds: [[Int]]?) throws -> Tensor {
    try self(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds)
  }
}

extension GPT2ForSequenceClassification: SequenceClassifier {
  public var numLabels: Int { transformer.config.numLabels }
  public func logits(inputIds: [[Int]], attentionMask: [[Int]]) throws -> Tensor {
    try self(inputIds: inputIds, attentionMask: attentionMask)
  }
}

/// The classification loss: cross-entropy of `logits` (batch, classes) against class ids,
/// with the targets optionally smoothed (transformers' `label_smoothing_factor`, PyTorch's
/// `CrossEntropyLoss(label_smoothing:)`): the true class gets 1 − ε + ε/classes and every
/// other class ε/classes, so the model is not pushed to infinite confidence.
public func classificationLoss(logits: Tensor, labels: [Int], labelSmoothing: Float = 0) -> Tensor {
  // BEGIN EXERCISE 5.3 "The classification loss" points=2
  // hint: Cross-entropy is the negative log-probability of the right class, averaged over the batch; with
  // hint: smoothing the target is a distribution instead of one class.
  // hint 2: logits.logSoftmax(axis: -1) gives log-probabilities with a gradient. A constant (batch, classes)
  // hint 2: target table multiplied by them, summed and negated, is the cross-entropy against a distribution;
  // hint 2: average over rows, not over every entry.
  // hint 3: Fill batch·classes floats with the smoothing share, add the rest of the mass at each row's label,
  // hint 3: make a Tensor of it, multiply with the log-softmax, sum, negate, divide by the batch size.
  let (batch, classes) = (logits.shape[0], logits.shape[1])
  var targets = [Float](repeating: labelSmoothing / Float(classes), count: batch * classes)
  for (row, label) in labels.enumerated() { targets[row * classes + label] += 1 - labelSmoothing }
  let table = Tensor(targets, shape: [batch, classes])
  return -(table * logits.logSoftmax(axis: -1)).sum() / Float(batch)
  // END EXERCISE 5.3
}

/// Labelled text for classification: texts (or pairs of texts), their class ids, and the class
/// names.
public struct TextClassificationDataset: Sendable {
  public var texts: [String]
  /// The second text of each pair (`text_pair`: the hypothesis, the second question), or `nil`
  /// for single-text tasks.
  public var textPairs: [String]?
  public var labels: [Int]
  /// Class names in id order (`["negative", "positive"]`).
  public var labelNames: [String]

  public init(texts: [String], textPairs: [String]? = nil, labels: [Int], labelNames: [String]) {
    precondition(texts.count == labels.count, "one label per text")
    precondition(textPairs == nil || textPairs?.count == texts.count, "one second text per text")
    self.texts = texts
    self.textPairs = textPairs
    self.labels = labels
    self.labelNames = labelNames
  }

  /// Pairs of (text, label name); names not in `labelNames` are refused, naming the row.
  public init(_ rows: [(text: String, label: String)], labelNames: [String]) throws {
    try self.init(
      texts: rows.map(\.text), textPairs: nil, labelNames: rows.map(\.label), classes: labelNames)
  }

  /// Rows of (text, second text, label name) for a sentence-pair task; names not in
  /// `labelNames` are refused, naming the row.
  public init(_ rows: [(text: String, textPair: String, label: String)], labelNames: [String]) throws {
    try self.init(
      texts: rows.map(\.text), textPairs: rows.map(\.textPair), labelNames: rows.map(\.label),
      classes: labelNames)
  }

  init(texts: [String], textPairs: [String]?, labelNames names: [String], classes: [String]) throws {
    let ids = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    var labels: [Int] = []
    for (i, name) in names.enumerated() {
      guard let id = ids[name] else {
        throw TrainerError(
          "example \(i + 1): label \"\(name)\" is not one of \(classes.joined(separator: ", "))")
      }
      labels.append(id)
    }
    self.init(texts: texts, textPairs: textPairs, labels: labels, labelNames: classes)
  }

  /// The `i`th example's second text, `nil` for single texts.
  public func textPair(_ i: Int) -> String? { textPairs?[i] }

  public var count: Int { texts.count }
}

/// Turns text into the encodings a classifier reads, and pads batches to their longest row
/// (transformers' `DataCollatorWithPadding`, built on Lesson 2's `pad`): each text is
/// tokenized once, each batch padded only as far as it needs, so short batches cost little.
public struct DataCollatorWithPadding: Sendable {
  /// Encodes each text: `[CLS] text [SEP]` for WordPiece, the bare tokens for GPT-2's BPE.
  public let tokenizer: any Tokenizer
  /// Texts are truncated to this many tokens (special tokens included).
  public let maxLength: Int
  /// The id used for padding, and its token.
  public let padID: Int
  let padToken: String

  /// Encodes with `tokenizer`, truncated to `maxLength` tokens, and pads with `padID`: by
  /// default the tokenizer's padding token or, when it has none (GPT-2), its end-of-text token,
  /// as transformers users set `tokenizer.pad_token = tokenizer.eos_token`. The attention mask
  /// hides the padding either way.
  public init(tokenizer: any Tokenizer, padID: Int? = nil, maxLength: Int = 128) {
    guard let id = padID ?? tokenizer.padTokenId ?? tokenizer.eosTokenId else {
      preconditionFailure(
        "DataCollatorWithPadding: the tokenizer has no padding or end-of-text token; pass padID:")
    }
    self.tokenizer = tokenizer
    self.maxLength = maxLength
    self.padID = id
    padToken = id >= 0 && id < tokenizer.tokens.count ? tokenizer.tokens[id] : ""
  }

  /// The encoding of one text.
  public func encode(_ text: String) -> Encoding { tokenizer(text, maxLength: maxLength) }

  /// The encoding of a sentence pair (`[CLS] text [SEP] pair [SEP]` for WordPiece, token type
  /// ids 0 then 1), truncated longest-first to `maxLength`; a `nil` pair encodes `text` alone.
  public func encode(_ text: String, pair: String?) -> Encoding {
    tokenizer(text, pair: pair, maxLength: maxLength)
  }

  /// Encodings padded to the longest: (input ids, attention mask), each (batch, longest).
  public func pad(_ rows: [Encoding]) -> (inputIds: [[Int]], attentionMask: [[Int]]) {
    let batch = self(rows)
    return (batch.inputIds, batch.attentionMask)
  }

  /// Encodings padded to the longest, as transformers' collator returns them: `input_ids`,
  /// `attention_mask` and `token_type_ids` (0 on padding), each (batch, longest).
  public func callAsFunction(_ rows: [Encoding]) -> PaddedInputs {
    let longest = max(1, rows.map(\.ids.count).max() ?? 1)
    let padded = rows.map { Tokenizers.pad($0, to: longest, padID: padID, padToken: padToken) }
    return PaddedInputs(
      inputIds: padded.map(\.ids), attentionMask: padded.map(\.attentionMask),
      tokenTypeIds: padded.map(\.typeIds))
  }
}

/// A padded batch of encodings: what a model reads.
public struct PaddedInputs: Equatable, Sendable {
  /// (batch, longest) token ids, padding included.
  public var inputIds: [[Int]]
  /// (batch, longest): 1 for tokens, 0 for padding.
  public var attentionMask: [[Int]]
  /// (batch, longest): 0 for the first text, 1 for the second of a pair, 0 for padding.
  public var tokenTypeIds: [[Int]]
}

/// One labelled text, tokenized once: what a classification Trainer's datasets hold.
public struct ClassificationExample: Sendable {
  public var encoding: Encoding
  /// The class id.
  public var label: Int

  public init(encoding: Encoding, label: Int) {
    self.encoding = encoding
    self.label = label
  }
}

/// A padded batch for a classifier: what the classification loss hook reads.
public struct ClassificationBatch: Sendable {
  /// (batch, longest) ids and attention mask.
  public var inputIds: [[Int]]
  public var attentionMask: [[Int]]
  /// (batch, longest) segment ids, 1 on the second text of a pair (`token_type_ids`); `nil`
  /// reads as all 0.
  public var tokenTypeIds: [[Int]]?
  /// One class id per row.
  public var labels: [Int]

  public init(inputIds: [[Int]], attentionMask: [[Int]], tokenTypeIds: [[Int]]? = nil, labels: [Int]) {
    self.inputIds = inputIds
    self.attentionMask = attentionMask
    self.tokenTypeIds = tokenTypeIds
    self.labels = labels
  }
}

/// The Trainer that fine-tunes a `SequenceClassifier` on labelled text (or sentence pairs).
public typealias SequenceClassificationTrainer = Trainer<ClassificationExample, ClassificationBatch>

extension Trainer where Example == ClassificationExample, Batch == ClassificationBatch {
  /// A trainer for `model`. The datasets are tokenized once here; each batch is padded only to
  /// its longest row by `dataCollator`. The loss is `classificationLoss`, with
  /// `args.labelSmoothingFactor` in training (evaluation reports the plain cross-entropy).
  public convenience init(
    model: any SequenceClassifier, args: TrainingArguments, trainDataset: TextClassificationDataset? = nil,
    evalDataset: TextClassificationDataset? = nil, dataCollator: DataCollatorWithPadding,
    computeMetrics: ((EvalPrediction) -> [String: Double])? = nil, callbacks: [TrainerCallback] = [],
    optimizers: (optimizer: (any Optimizer)?, lrScheduler: LRLambda?) = (nil, nil)
  ) throws {
    for (name, dataset) in [("train", trainDataset), ("eval", evalDataset)] {
      guard let dataset else { continue }
      if let bad = dataset.labels.firstIndex(where: { $0 < 0 || $0 >= model.numLabels }) {
        throw TrainerError(
          "\(name) dataset, example \(bad + 1): label id \(dataset.labels[bad]) but the model has \(model.numLabels) labels"
        )
      }
    }
    let encodeAll: (TextClassificationDataset) -> [ClassificationExample] = { dataset in
      dataset.texts.indices.map { i in
        ClassificationExample(
          encoding: dataCollator.encode(dataset.texts[i], pair: dataset.textPair(i)), label: dataset.labels[i]
        )
      }
    }
    try self.init(
      model: model, args: args, trainDataset: trainDataset.map(encodeAll),
      evalDataset: evalDataset.map(encodeAll),
      dataCollator: { examples in
        let padded = dataCollator(examples.map(\.encoding))
        return ClassificationBatch(
          inputIds: padded.inputIds, attentionMask: padded.attentionMask, tokenTypeIds: padded.tokenTypeIds,
          labels: examples.map(\.label))
      },
      computeLoss: Self.classificationLossHook(model, labelSmoothing: Float(args.labelSmoothingFactor)),
      computeMetrics: computeMetrics, callbacks: callbacks, optimizers: optimizers)
    exampleLength = { $0.encoding.ids.count }
    tokenCount = { $0.attentionMask.joined().reduce(0, +) }
    makeExamples = encodeAll
  }

  /// A trainer that encodes and pads with `tokenizer` (whose files go into every checkpoint);
  /// a tokenizer without a pad token (GPT-2's) pads with its end-of-text token.
  public convenience init(
    model: any SequenceClassifier, args: TrainingArguments, trainDataset: TextClassificationDataset? = nil,
    evalDataset: TextClassificationDataset? = nil, tokenizer: any Tokenizer, maxLength: Int = 128,
    computeMetrics: ((EvalPrediction) -> [String: Double])? = nil, callbacks: [TrainerCallback] = [],
    optimizers: (optimizer: (any Optimizer)?, lrScheduler: LRLambda?) = (nil, nil)
  ) throws {
    try self.init(
      model: model, args: args, trainDataset: trainDataset, evalDataset: evalDataset,
      dataCollator: DataCollatorWithPadding(tokenizer: tokenizer, maxLength: maxLength),
      computeMetrics: computeMetrics, callbacks: callbacks, optimizers: optimizers)
    self.tokenizer = tokenizer
  }

  /// The default loss hook of a classifier: its logits and `classificationLoss` against the
  /// batch's labels, smoothed by `labelSmoothing` in training mode only. A batch with a label
  /// outside the model's classes (in `predict`) is not scored.
  public static func classificationLossHook(_ classifier: any SequenceClassifier, labelSmoothing: Float = 0)
    -> (any TrainerModel, ClassificationBatch) throws -> LossOutput
  {
    { model, batch in
      // (batch, numLabels)
      let logits = try classifier.logits(
        inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds)
      guard batch.labels.allSatisfy({ $0 >= 0 && $0 < classifier.numLabels }) else {
        return LossOutput(loss: Tensor(0), count: 0, logits: logits, labels: batch.labels)
      }
      let loss = classificationLoss(
        logits: logits, labels: batch.labels, labelSmoothing: model.training ? labelSmoothing : 0)
      return LossOutput(loss: loss, count: batch.labels.count, logits: logits, labels: batch.labels)
    }
  }

  /// The examples of a labelled dataset, tokenized as the trainer's own.
  func examples(_ dataset: TextClassificationDataset) -> [ClassificationExample] {
    makeExamples?(dataset) ?? []
  }

  /// Evaluates on `dataset` (tokenized now): the loss and `computeMetrics`' figures, each
  /// prefixed `prefix_`; logged in the state's history.
  @discardableResult
  public func evaluate(_ dataset: TextClassificationDataset, metricKeyPrefix prefix: String = "eval") throws
    -> [String: Double]
  {
    try evaluate(examples(dataset), metricKeyPrefix: prefix)
  }

  /// Predictions for `dataset`: logits, labels and metrics (`test_…`).
  public func predict(_ dataset: TextClassificationDataset, metricKeyPrefix prefix: String = "test") throws
    -> PredictionOutput
  {
    try predict(examples(dataset), metricKeyPrefix: prefix)
  }
}
