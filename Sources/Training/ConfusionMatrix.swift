// Every classification metric the course reports comes from one table: the confusion matrix,
// how many examples of each true class were predicted as each class (exercise 7.1). Precision,
// recall and F1 per class, their micro, macro and weighted averages (macro-F1 is exercise 7.2)
// and Matthews' correlation are read off it, as scikit-learn's `sklearn.metrics` computes them.
//
// Convention for a class that never occurs in the labels or is never predicted (scikit-learn
// warns and uses 0, `zero_division=0`): an ill-defined precision or recall (0/0) counts as 0,
// and so does that class's F1. A model that never predicts a class gets no credit for it; a
// class named in the config but absent from the data still counts in the macro average, because
// the matrix covers every class the model can predict.

import Exercises
import Foundation

/// The confusion matrix of `predictions` against `labels` over classes `0..<numClasses`, as
/// scikit-learn's `confusion_matrix(y_true, y_pred, labels=range(numClasses))`: row `i` is the
/// true class, column `j` the predicted one, `matrix[i][j]` how many examples of class `i` were
/// predicted as `j`. `(numClasses, numClasses)`; labels and predictions have the same length and
/// every value is in `0..<numClasses`.
public func confusionMatrix(labels: [Int], predictions: [Int], numClasses: Int) -> [[Int]] {
  precondition(labels.count == predictions.count, "labels and predictions differ in length")
  // BEGIN EXERCISE 7.1 "The confusion matrix" points=2
  // hint: One table of counts, one row per true class and one column per predicted class: each
  // hint: example adds one to exactly one cell. Which index is the row is the whole convention.
  // hint 2: Start from a numClasses x numClasses table of zeros and walk the examples in pairs
  // hint 2: (true, predicted). Classes no example uses still get their row and column.
  // hint 3: Each (label, prediction) pair adds one to the cell in the label's row and the
  // hint 3: prediction's column; rows are the true classes, as scikit-learn's.
  var matrix = Array(repeating: Array(repeating: 0, count: numClasses), count: numClasses)
  for (label, prediction) in zip(labels, predictions) {
    matrix[label][prediction] += 1
  }
  return matrix
  // END EXERCISE 7.1
}

/// Precision, recall, F1 and support of one class (a row of scikit-learn's classification_report).
public struct ClassMetrics: Equatable, Sendable {
  /// Of the examples predicted as this class, the share that are: tp / (tp + fp).
  public var precision: Double
  /// Of the examples of this class, the share predicted as it: tp / (tp + fn).
  public var recall: Double
  /// The harmonic mean of precision and recall: 2tp / (2tp + fp + fn).
  public var f1: Double
  /// How many examples have this class as their true label.
  public var support: Int

  public init(precision: Double, recall: Double, f1: Double, support: Int) {
    (self.precision, self.recall, self.f1, self.support) = (precision, recall, f1, support)
  }
}

/// `numerator / denominator`, or 0 when the denominator is 0 (scikit-learn's zero_division=0).
func ratio(_ numerator: Int, _ denominator: Int) -> Double {
  denominator == 0 ? 0 : Double(numerator) / Double(denominator)
}

/// Each class's precision, recall, F1 and support, from a confusion matrix (rows true classes).
public func perClassMetrics(_ matrix: [[Int]]) -> [ClassMetrics] {
  matrix.indices.map { c in
    let tp = matrix[c][c]
    let support = matrix[c].reduce(0, +)
    let predicted = matrix.map { $0[c] }.reduce(0, +)
    return ClassMetrics(
      precision: ratio(tp, predicted), recall: ratio(tp, support),
      f1: ratio(2 * tp, support + predicted), support: support)
  }
}

/// Macro-averaged F1: the unweighted mean over every class of the matrix of that class's F1
/// (scikit-learn's `f1_score(average="macro")`, `evaluate`'s `f1` with `average="macro"`). Each
/// class counts as much as any other, however rare: this is the figure accuracy hides on an
/// imbalanced task.
public func macroF1(_ matrix: [[Int]]) -> Double {
  // BEGIN EXERCISE 7.2 "Macro-F1 from the confusion matrix" points=2
  // hint: Compute F1 for each class on its own (that class against all the others), then average
  // hint: the classes with equal weight. Which cells of the matrix are a class's true positives,
  // hint: false positives and false negatives?
  // hint 2: A class's false positives are the rest of its column, its false negatives the rest of
  // hint 2: its row. F1 of the averaged precision and recall is a different number (and not
  // hint 2: scikit-learn's). A class with no examples and no predictions must not give NaN.
  // hint 3: F1 = 2tp / (2tp + fp + fn), 0 when that denominator is 0; the mean over all rows.
  guard !matrix.isEmpty else { return 0 }
  var total = 0.0
  for c in matrix.indices {
    let tp = matrix[c][c]
    let fn = matrix[c].reduce(0, +) - tp
    let fp = matrix.map { $0[c] }.reduce(0, +) - tp
    total += ratio(2 * tp, 2 * tp + fp + fn)
  }
  return total / Double(matrix.count)
  // END EXERCISE 7.2
}

/// Precision, recall and F1 averaged over classes in scikit-learn's three ways.
public struct AveragedMetrics: Equatable, Sendable {
  /// Micro: from the summed counts; for single-label classification all three equal accuracy.
  public var micro: ClassMetrics
  /// Macro: the plain mean over classes.
  public var macro: ClassMetrics
  /// Weighted: the mean over classes weighted by support.
  public var weighted: ClassMetrics
}

/// The micro, macro and weighted averages of `perClassMetrics(matrix)` (support: the total).
public func averagedMetrics(_ matrix: [[Int]]) -> AveragedMetrics {
  let rows = perClassMetrics(matrix)
  let total = rows.map(\.support).reduce(0, +)
  let k = Double(max(1, rows.count))
  let correct = matrix.indices.map { matrix[$0][$0] }.reduce(0, +)
  let predicted = matrix.flatMap { $0 }.reduce(0, +)
  let micro = ClassMetrics(
    precision: ratio(correct, predicted), recall: ratio(correct, total),
    f1: ratio(2 * correct, total + predicted), support: total)
  let macro = ClassMetrics(
    precision: rows.map(\.precision).reduce(0, +) / k, recall: rows.map(\.recall).reduce(0, +) / k,
    f1: rows.map(\.f1).reduce(0, +) / k, support: total)
  func weightedMean(_ value: KeyPath<ClassMetrics, Double>) -> Double {
    total == 0 ? 0 : rows.map { $0[keyPath: value] * Double($0.support) }.reduce(0, +) / Double(total)
  }
  let weighted = ClassMetrics(
    precision: weightedMean(\.precision), recall: weightedMean(\.recall), f1: weightedMean(\.f1),
    support: total)
  return AveragedMetrics(micro: micro, macro: macro, weighted: weighted)
}

/// The share of examples on the matrix's diagonal (scikit-learn's `accuracy_score`).
public func accuracyScore(_ matrix: [[Int]]) -> Double {
  ratio(matrix.indices.map { matrix[$0][$0] }.reduce(0, +), matrix.flatMap { $0 }.reduce(0, +))
}

/// Matthews' correlation coefficient in its multi-class form (Gorodkin 2004), as scikit-learn's
/// `matthews_corrcoef`: 1 for perfect predictions, 0 for chance (or a constant prediction, where
/// the formula's denominator is 0), -1 at worst for two classes.
public func matthewsCorrelation(_ matrix: [[Int]]) -> Double {
  let s = Double(matrix.flatMap { $0 }.reduce(0, +))
  let c = Double(matrix.indices.map { matrix[$0][$0] }.reduce(0, +))
  let t = matrix.map { Double($0.reduce(0, +)) }  // true counts per class
  let p = matrix.indices.map { j in Double(matrix.map { $0[j] }.reduce(0, +)) }  // predicted counts
  let covariance = c * s - zip(t, p).map(*).reduce(0, +)
  let predictedSpread = s * s - p.map { $0 * $0 }.reduce(0, +)
  let trueSpread = s * s - t.map { $0 * $0 }.reduce(0, +)
  let denominator = (predictedSpread * trueSpread).squareRoot()
  return denominator == 0 ? 0 : covariance / denominator
}

/// The confusion matrix as rows of text for `renderTable` or a notebook table: a header of
/// predicted classes and one row per true class.
public func confusionMatrixRows(_ matrix: [[Int]], names: [String]) -> (headers: [String], rows: [[String]]) {
  let headers = ["true \\ predicted"] + names
  let rows = matrix.indices.map { i in [names[i]] + matrix[i].map(String.init) }
  return (headers, rows)
}
