// Sequence classification: the models the Trainer fine-tunes, the labelled text they learn
// from, the collator that pads each batch, the loss, and the metrics that judge them.

import Foundation
import Models
import TensorCore
import Tokenizers

/// A model that reads a padded batch of token ids and gives one row of logits per sequence:
/// `BertForSequenceClassification` and `GPT2ForSequenceClassification`.
public protocol SequenceClassifier: Module {
  /// The number of classes (the width of the logits).
  var numLabels: Int { get }
  /// (batch, numLabels) logits. `attentionMask` is 1 for tokens and 0 for padding.
  func logits(inputIds: [[Int]], attentionMask: [[Int]]) throws -> Tensor
  /// Writes `config.json` and `model.safetensors` (Hugging Face layout) to `directory`.
  func save(to directory: URL) throws
  /// The prefix of the encoder's tensor names (`bert`, `transformer`), for loading checkpoints.
  var basePrefix: String { get }
}

extension BertForSequenceClassification: SequenceClassifier {
  public var numLabels: Int { bert.config.numLabels }
  public var basePrefix: String { "bert" }
  public func logits(inputIds: [[Int]], attentionMask: [[Int]]) throws -> Tensor {
    try self(inputIds: inputIds, attentionMask: attentionMask)
  }
}

extension GPT2ForSequenceClassification: SequenceClassifier {
  public var numLabels: Int { transformer.config.numLabels }
  public var basePrefix: String { "transformer" }
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
  // hint: Build a constant (batch, classes) target table: ε/classes everywhere, plus 1 − ε at each row's label.
  // hint: The loss is −(targets · logSoftmax(logits)) summed over classes and averaged over the batch; with ε = 0 it is plain cross-entropy.
  let (batch, classes) = (logits.shape[0], logits.shape[1])
  var targets = [Float](repeating: labelSmoothing / Float(classes), count: batch * classes)
  for (row, label) in labels.enumerated() { targets[row * classes + label] += 1 - labelSmoothing }
  let table = Tensor(targets, shape: [batch, classes])
  return -(table * logits.logSoftmax(axis: -1)).sum() / Float(batch)
  // END EXERCISE 5.3
}

/// Labelled text for classification: texts, their class ids, and the class names.
public struct TextClassificationDataset: Sendable {
  public var texts: [String]
  public var labels: [Int]
  /// Class names in id order (`["negative", "positive"]`).
  public var labelNames: [String]

  public init(texts: [String], labels: [Int], labelNames: [String]) {
    precondition(texts.count == labels.count, "one label per text")
    self.texts = texts
    self.labels = labels
    self.labelNames = labelNames
  }

  /// Pairs of (text, label name); names not in `labelNames` are refused, naming the row.
  public init(_ rows: [(text: String, label: String)], labelNames: [String]) throws {
    let ids = Dictionary(uniqueKeysWithValues: labelNames.enumerated().map { ($1, $0) })
    var labels: [Int] = []
    for (i, row) in rows.enumerated() {
      guard let id = ids[row.label] else {
        throw TrainerError(
          "example \(i + 1): label \"\(row.label)\" is not one of \(labelNames.joined(separator: ", "))")
      }
      labels.append(id)
    }
    self.init(texts: rows.map(\.text), labels: labels, labelNames: labelNames)
  }

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

  /// Encodings padded to the longest: (input ids, attention mask), each (batch, longest).
  public func pad(_ rows: [Encoding]) -> (inputIds: [[Int]], attentionMask: [[Int]]) {
    let longest = max(1, rows.map(\.ids.count).max() ?? 1)
    let padded = rows.map { Tokenizers.pad($0, to: longest, padID: padID, padToken: padToken) }
    return (padded.map(\.ids), padded.map(\.attentionMask))
  }
}

/// What `evaluate` and `predict` hand to `computeMetrics`: the logits and the true labels.
public struct EvalPrediction: Sendable {
  /// (examples, numLabels), row-major.
  public var logits: [[Float]]
  public var labels: [Int]
  /// The arg-max class of each row.
  public var predictions: [Int] { logits.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 } }
}

/// Accuracy and macro-averaged F1 (the mean over classes of each class's F1), the figures the
/// course reports for every classifier.
public func classificationMetrics(_ prediction: EvalPrediction) -> [String: Double] {
  let predicted = prediction.predictions
  let labels = prediction.labels
  guard !labels.isEmpty else { return [:] }
  let classes = Set(labels).union(predicted).sorted()  // as scikit-learn: the classes seen
  let accuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
  var f1s: [Double] = []
  for c in classes {
    let tp = Double(zip(predicted, labels).filter { $0 == c && $1 == c }.count)
    let fp = Double(zip(predicted, labels).filter { $0 == c && $1 != c }.count)
    let fn = Double(zip(predicted, labels).filter { $0 != c && $1 == c }.count)
    f1s.append(tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn))
  }
  return ["accuracy": accuracy, "f1": f1s.reduce(0, +) / Double(classes.count)]
}
