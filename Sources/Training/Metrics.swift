// What an evaluation hands to `computeMetrics`, and the metrics the course reports:
// accuracy and macro-F1 for classifiers, token accuracy for language models (the figure
// transformers' run_mlm.py reports beside the perplexity).

import Foundation

/// What `evaluate` and `predict` hand to `computeMetrics` (transformers' `EvalPrediction`):
/// one row of logits (or only the predicted class) per scored item, and the true labels.
///
/// An item is an example for a classifier and a scored token for a language model; for the
/// latter the Trainer keeps only the arg-max (`init(predictions:labels:)`), as run_mlm.py's
/// `preprocess_logits_for_metrics` does, since vocabulary-wide logits for every token of an
/// evaluation set would be large.
public struct EvalPrediction: Sendable {
  /// (items, classes), row-major; empty when only the predictions were kept.
  public var logits: [[Float]]
  /// The true class of each item.
  public var labels: [Int]
  /// The predicted class of each item: the arg-max of its logits.
  public var predictions: [Int]

  /// A prediction from logits, (items, classes), and the true labels.
  public init(logits: [[Float]], labels: [Int]) {
    self.logits = logits
    self.labels = labels
    predictions = logits.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
  }

  /// A prediction from the predicted classes alone (no logits kept).
  public init(predictions: [Int], labels: [Int]) {
    logits = []
    self.labels = labels
    self.predictions = predictions
  }
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

/// The share of scored tokens predicted exactly (`accuracy`), as run_mlm.py's
/// `compute_metrics`: labels of -100 (not scored) are skipped.
public func languageModelingMetrics(_ prediction: EvalPrediction) -> [String: Double] {
  let scored = zip(prediction.predictions, prediction.labels).filter { $0.1 != -100 }
  guard !scored.isEmpty else { return [:] }
  return ["accuracy": Double(scored.filter { $0.0 == $0.1 }.count) / Double(scored.count)]
}
