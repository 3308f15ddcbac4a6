import ExerciseTesting
import Foundation
import TensorCore
import Training
import XCTest

/// Hidden checks of exercise 7.1: many examples, counted another way.
final class ConfusionMatrixHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "7.1" }

  func testMatchesCountingEachCell() {
    let generator = Generator(seed: 11)
    let labels = (0..<300).map { _ in generator.int(below: 5) }
    let predictions = labels.map { generator.int(below: 3) == 0 ? generator.int(below: 5) : $0 }
    let matrix = confusionMatrix(labels: labels, predictions: predictions, numClasses: 5)
    XCTAssertEqual(matrix.count, 5)
    for i in 0..<5 {
      for j in 0..<5 {
        let expected = zip(labels, predictions).filter { $0 == i && $1 == j }.count
        XCTAssertEqual(
          matrix.count > i && matrix[i].count > j ? matrix[i][j] : -1, expected, "cell \(i), \(j)")
      }
    }
  }
}

/// Hidden checks of exercise 7.2: imbalance, where macro, micro and weighted differ.
final class MacroF1HiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "7.2" }

  func testImbalancedClassesCountEqually() {
    // 95 of class 0 all right, 5 of class 1 all predicted 0: accuracy 0.95, macro-F1 ≈ 0.487.
    let f1 = macroF1([[95, 0], [5, 0]])
    XCTAssertEqual(f1, (190.0 / 195) / 2, accuracy: 1e-12)
  }

  func testEmptyMatrixIsZero() {
    XCTAssertEqual(macroF1([[0, 0], [0, 0]]), 0)
  }

  func testThreeClasses() {
    // scikit-learn: f1_score(average="macro") of this matrix's examples.
    let matrix = [[5, 2, 1], [0, 7, 3], [4, 0, 1]]
    let expected = (10.0 / (10 + 4 + 3) + 14.0 / (14 + 2 + 3) + 2.0 / (2 + 4 + 4)) / 3
    XCTAssertEqual(macroF1(matrix), expected, accuracy: 1e-12)
  }
}

/// Hidden checks of exercise 7.3: the interval is the percentiles of the resampled statistics.
final class BootstrapIntervalHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "7.3" }

  func testEndsAreThePercentilesOfTheResamples() {
    let values = (0..<50).map { Double(($0 * 37) % 11) }
    var seen: [Double] = []
    var repeats = 0
    let interval = bootstrapInterval(
      count: 50, resamples: 300, confidence: 0.9, generator: Generator(seed: 5)
    ) {
      indices in
      if Set(indices).count < indices.count { repeats += 1 }
      XCTAssertTrue(indices.allSatisfy { (0..<50).contains($0) })
      let mean = indices.map { values[$0] }.reduce(0, +) / Double(max(1, indices.count))
      seen.append(mean)
      return mean
    }
    // An unfinished exercise computes nothing: stop before taking percentiles of no values.
    guard seen.count == 300 else {
      return XCTFail("one statistic per resample: got \(seen.count), expected 300")
    }
    XCTAssertGreaterThan(repeats, 290, "drawn with replacement, examples repeat")
    let sorted = seen.sorted()
    XCTAssertEqual(interval.low, percentile(sorted, 0.05), accuracy: 1e-12)
    XCTAssertEqual(interval.high, percentile(sorted, 0.95), accuracy: 1e-12)
  }
}

/// Hidden checks of exercise 7.4: many discordant examples, and each side's tail.
final class McNemarHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "7.4" }

  func pValue(b: Int, c: Int) -> Double {
    let labels = Array(repeating: 0, count: b + c + 4)
    let first = Array(repeating: 0, count: b) + Array(repeating: 1, count: c) + [0, 0, 1, 1]
    let second = Array(repeating: 1, count: b) + Array(repeating: 0, count: c) + [0, 0, 1, 1]
    return mcnemarTest(labels: labels, first: first, second: second).pValue
  }

  func testHundredsOfDiscordantExamples() {
    // scipy.stats.binomtest(700, 1460, 0.5).pvalue and binomtest(40, 101, 0.5).pvalue.
    XCTAssertEqual(pValue(b: 700, c: 760), 0.12253442205251179, accuracy: 1e-9)
    XCTAssertEqual(pValue(b: 40, c: 61), 0.046044066929342785, accuracy: 1e-10)
  }

  func testSymmetricAndCapped() {
    XCTAssertEqual(pValue(b: 30, c: 1), pValue(b: 1, c: 30), accuracy: 1e-15)
    XCTAssertEqual(pValue(b: 1, c: 30), 2.9802322387695312e-08, accuracy: 1e-15)
    XCTAssertEqual(pValue(b: 10, c: 10), 1, accuracy: 1e-12)
  }
}

/// Hidden checks of exercise 7.5: edges, and the number of bins.
final class CalibrationHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "7.5" }

  func testAConfidenceOnAnEdgeBelongsToTheBinBelow() {
    let report = calibration(confidences: [0.5, 0.75], correct: [true, false], bins: 4)
    XCTAssertEqual(report.bins.map(\.count), [0, 1, 1, 0])
    XCTAssertEqual(report.ece, 0.5 * 0.5 + 0.5 * 0.75, accuracy: 1e-12)
  }

  func testManyPredictions() {
    let generator = Generator(seed: 9)
    let confidence = (0..<500).map { _ in 0.3 + 0.7 * Double(generator.uniform()) }
    let correct = confidence.map { Double(generator.uniform()) < $0 * $0 }
    var expected = 0.0
    for bin in 0..<15 {
      let inside = confidence.indices.filter {
        confidence[$0] > Double(bin) / 15 && confidence[$0] <= Double(bin + 1) / 15
      }
      guard !inside.isEmpty else { continue }
      let conf = inside.map { confidence[$0] }.reduce(0, +) / Double(inside.count)
      let acc = Double(inside.filter { correct[$0] }.count) / Double(inside.count)
      expected += Double(inside.count) / 500 * abs(acc - conf)
    }
    XCTAssertEqual(calibration(confidences: confidence, correct: correct).ece, expected, accuracy: 1e-9)
  }
}
