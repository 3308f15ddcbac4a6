import ExerciseTesting
import Foundation
import TensorCore
import Training
import XCTest

/// Every metric against scikit-learn's on the fixtures that scripts/golden_metrics.py writes:
/// a binary imbalanced case, a class absent from the predictions and one absent from the labels
/// (zero_division=0), six classes with probabilities (log loss, ECE, McNemar), a perfect and a
/// constant prediction. These tests need exercises 7.1-7.5 and skip until they are done.
final class MetricsGoldenTests: XCTestCase {
  struct Averages: Decodable { var precision, recall, f1: Double }
  struct McNemar: Decodable {
    var b, c: Int
    var p_value: Double
  }
  struct Case: Decodable {
    var name: String
    var labels, predictions: [Int]
    var names: [String]
    var confusion_matrix: [[Int]]
    var precision, recall, f1: [Double]
    var support: [Int]
    var accuracy, matthews_correlation: Double
    var report, report_digits4: String
    var micro, macro, weighted: Averages
    var probabilities: [[Double]]?
    var log_loss, ece_15, ece_10: Double?
    var other_predictions: [Int]?
    var mcnemar: McNemar?
  }
  struct Golden: Decodable {
    var cases: [Case]
    var mcnemar: [McNemar]
  }

  static let golden: Golden = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/metrics_golden.json")
    return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
  }()

  override func setUpWithError() throws {
    try skipUnlessExercisesDone {
      let m = confusionMatrix(labels: [0, 1], predictions: [1, 1], numClasses: 2)
      _ = macroF1([[1, 0], [0, 1]])
      _ = bootstrapInterval(count: 2, resamples: 2, generator: Generator(seed: 0)) { _ in 0 }
      _ = mcnemarTest(labels: [0], first: [0], second: [1])
      _ = calibration(confidences: [0.5], correct: [true])
      _ = m
    }
  }

  func testConfusionMatrixAndPerClassMetrics() {
    for c in Self.golden.cases {
      let matrix = confusionMatrix(labels: c.labels, predictions: c.predictions, numClasses: c.names.count)
      XCTAssertEqual(matrix, c.confusion_matrix, c.name)
      let rows = perClassMetrics(matrix)
      XCTAssertEqual(rows.map(\.support), c.support, c.name)
      for (i, row) in rows.enumerated() {
        XCTAssertEqual(row.precision, c.precision[i], accuracy: 1e-12, "\(c.name) precision \(i)")
        XCTAssertEqual(row.recall, c.recall[i], accuracy: 1e-12, "\(c.name) recall \(i)")
        XCTAssertEqual(row.f1, c.f1[i], accuracy: 1e-12, "\(c.name) f1 \(i)")
      }
      XCTAssertEqual(accuracyScore(matrix), c.accuracy, accuracy: 1e-12, c.name)
      XCTAssertEqual(matthewsCorrelation(matrix), c.matthews_correlation, accuracy: 1e-12, c.name)
      XCTAssertEqual(macroF1(matrix), c.macro.f1, accuracy: 1e-12, c.name)
    }
  }

  func testAverages() {
    for c in Self.golden.cases {
      let matrix = confusionMatrix(labels: c.labels, predictions: c.predictions, numClasses: c.names.count)
      let averages = averagedMetrics(matrix)
      for (ours, theirs, kind) in [
        (averages.micro, c.micro, "micro"), (averages.macro, c.macro, "macro"),
        (averages.weighted, c.weighted, "weighted"),
      ] {
        XCTAssertEqual(ours.precision, theirs.precision, accuracy: 1e-12, "\(c.name) \(kind)")
        XCTAssertEqual(ours.recall, theirs.recall, accuracy: 1e-12, "\(c.name) \(kind)")
        XCTAssertEqual(ours.f1, theirs.f1, accuracy: 1e-12, "\(c.name) \(kind)")
      }
    }
  }

  func testClassificationReportTextIsScikitLearns() {
    for c in Self.golden.cases {
      let matrix = confusionMatrix(labels: c.labels, predictions: c.predictions, numClasses: c.names.count)
      XCTAssertEqual(classificationReport(matrix, names: c.names), c.report, c.name)
      XCTAssertEqual(classificationReport(matrix, names: c.names, digits: 4), c.report_digits4, c.name)
    }
  }

  func testCalibrationAndLogLoss() throws {
    for c in Self.golden.cases {
      guard let probabilities = c.probabilities else { continue }
      let confidence = probabilities.map { $0.max()! }
      let correct = zip(probabilities, c.labels).map { row, label in row.firstIndex(of: row.max()!) == label }
      XCTAssertEqual(calibration(confidences: confidence, correct: correct).ece, c.ece_15!, accuracy: 1e-9)
      XCTAssertEqual(
        calibration(confidences: confidence, correct: correct, bins: 10).ece, c.ece_10!, accuracy: 1e-9)
      let logits = probabilities.map { $0.map { Float(log($0)) } }
      XCTAssertEqual(negativeLogLikelihood(logits, labels: c.labels), c.log_loss!, accuracy: 1e-5)
    }
  }

  func testMcNemarIsScipysBinomialTest() {
    for c in Self.golden.cases {
      guard let expected = c.mcnemar, let other = c.other_predictions else { continue }
      let result = mcnemarTest(labels: c.labels, first: c.predictions, second: other)
      XCTAssertEqual([result.b, result.c], [expected.b, expected.c])
      XCTAssertEqual(result.pValue, expected.p_value, accuracy: 1e-9 * max(1e-300, expected.p_value) + 1e-15)
    }
    for expected in Self.golden.mcnemar {
      // b examples only the first model gets right, c only the second, and 3 both get right.
      let labels = Array(repeating: 0, count: expected.b + expected.c + 3)
      let first = Array(repeating: 0, count: expected.b) + Array(repeating: 1, count: expected.c) + [0, 0, 0]
      let second =
        Array(repeating: 1, count: expected.b) + Array(repeating: 0, count: expected.c) + [0, 0, 0]
      let result = mcnemarTest(labels: labels, first: first, second: second)
      XCTAssertEqual(
        result.pValue, expected.p_value, accuracy: 1e-9 * expected.p_value, "b \(expected.b) c \(expected.c)")
    }
  }

  func testTemperatureScalingMinimisesTheNegativeLogLikelihood() {
    // Over-confident logits: scaled up three times, the best temperature is near 3.
    let c = Self.golden.cases.first { $0.probabilities != nil }!
    let logits = c.probabilities!.map { $0.map { Float(3 * log($0)) } }
    let t = fitTemperature(logits, labels: c.labels)
    let best = negativeLogLikelihood(logits, labels: c.labels, temperature: t)
    for other in [t * 0.9, t * 1.1, 1, 3] {
      XCTAssertLessThanOrEqual(
        best, negativeLogLikelihood(logits, labels: c.labels, temperature: other) + 1e-12)
    }
    XCTAssertEqual(
      t, fitTemperature(c.probabilities!.map { $0.map { Float(log($0)) } }, labels: c.labels) * 3,
      accuracy: 1e-3)
  }

  func testBaselines() {
    XCTAssertEqual(majorityClass([2, 0, 2, 1, 0]), 0, "a tie goes to the smaller class")
    XCTAssertEqual(majorityClass([1, 1, 0]), 1)
    var vectorizer = TfidfVectorizer()
    // scikit-learn: TfidfVectorizer().fit(["the cat sat", "the dog", "a cat"]) — "a" is one character
    // and dropped; idf(the) = ln(4/3) + 1, idf(cat) = ln(4/3) + 1, idf(sat) = idf(dog) = ln(2) + 1.
    vectorizer.fit(["the cat sat", "the dog", "a cat"])
    XCTAssertEqual(vectorizer.vocabulary, ["cat": 0, "dog": 1, "sat": 2, "the": 3])
    let row = vectorizer.transform(["The cat, the CAT!"]).data
    let (cat, the) = (2 * (log(4.0 / 3) + 1), 2 * (log(4.0 / 3) + 1))
    let norm = (cat * cat + the * the).squareRoot()
    assertClose(row.map(Double.init), [cat / norm, 0, 0, the / norm], accuracy: 1e-6)
    let model = TfidfLogisticRegression(numClasses: 2)
    model.fit(["good great", "great fine", "bad awful", "awful poor"], labels: [1, 1, 0, 0], steps: 100)
    XCTAssertEqual(model.predict(["great", "awful", "good fine", "poor bad"]), [1, 0, 1, 0])
  }
}

extension MetricsGoldenTests {
  func assertClose(
    _ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssert(
      a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= accuracy }, "\(a) != \(b)", file: file,
      line: line)
  }
}
