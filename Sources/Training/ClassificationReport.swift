// scikit-learn's `classification_report`, character for character: a student who moves to
// Python sees the same table. The numbers come from the confusion matrix (ConfusionMatrix.swift).

import Foundation

/// The text of scikit-learn's `classification_report(y_true, y_pred, labels=range(k),
/// target_names=names, digits=digits, zero_division=0)` for a confusion matrix: a row per class
/// (precision, recall, f1-score, support), then accuracy (micro-averaged F1 equals accuracy when
/// every class is listed) and the macro and weighted averages. `names` has one name per row of
/// the matrix.
public func classificationReport(_ matrix: [[Int]], names: [String], digits: Int = 2) -> String {
  precondition(names.count == matrix.count, "one name per class")
  let rows = perClassMetrics(matrix)
  let averages = averagedMetrics(matrix)
  let width = max(names.map(\.count).max() ?? 0, "weighted avg".count, digits)
  func right(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
  }
  func number(_ x: Double) -> String { right(String(format: "%.\(digits)f", x), 9) }
  func line(_ name: String, _ m: ClassMetrics) -> String {
    right(name, width) + " " + [m.precision, m.recall, m.f1].map { " " + number($0) }.joined() + " "
      + right(String(m.support), 9) + "\n"
  }
  var report =
    right("", width) + " "
    + ["precision", "recall", "f1-score", "support"].map { " " + right($0, 9) }
    .joined() + "\n\n"
  for (name, m) in zip(names, rows) { report += line(name, m) }
  report += "\n"
  report +=
    right("accuracy", width) + " " + " " + right("", 9) + " " + right("", 9) + " "
    + number(accuracyScore(matrix)) + " " + right(String(averages.micro.support), 9) + "\n"
  report += line("macro avg", averages.macro)
  report += line("weighted avg", averages.weighted)
  return report
}
