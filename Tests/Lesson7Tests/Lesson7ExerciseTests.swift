import ExerciseTesting
import Foundation
import TensorCore
import Training
import XCTest

/// Exercise 7.1: `confusionMatrix` (Sources/Training/ConfusionMatrix.swift).
final class ConfusionMatrixTests: ExerciseTestCase {
  override class var exerciseID: String { "7.1" }

  func testRowsAreTrueClassesColumnsPredictions() {
    // Two examples of class 0 predicted as 1: row 0, column 1.
    let matrix = confusionMatrix(labels: [0, 0, 1, 2, 2], predictions: [1, 1, 1, 2, 0], numClasses: 3)
    XCTAssertEqual(matrix, [[0, 2, 0], [0, 1, 0], [1, 0, 1]])
  }

  func testClassesNobodyUsesStillHaveARowAndAColumn() {
    XCTAssertEqual(
      confusionMatrix(labels: [1, 1], predictions: [1, 0], numClasses: 4),
      [[0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    XCTAssertEqual(confusionMatrix(labels: [], predictions: [], numClasses: 2), [[0, 0], [0, 0]])
  }
}

/// Exercise 7.2: `macroF1` (Sources/Training/ConfusionMatrix.swift).
final class MacroF1Tests: ExerciseTestCase {
  override class var exerciseID: String { "7.2" }

  func testMeanOfPerClassF1() {
    // Class 0: tp 8, fp 2, fn 1 → F1 16/19. Class 1: tp 3, fp 1, fn 2 → 6/9.
    let matrix = [[8, 1], [2, 3]]
    XCTAssertEqual(macroF1(matrix), (16.0 / 19 + 6.0 / 9) / 2, accuracy: 1e-12)
  }

  func testNotTheF1OfAveragedPrecisionAndRecall() {
    // scikit-learn: f1_score([0]*9 + [1] + [2]*5, [0]*9 + [0] + [2]*3 + [1]*2, average="macro").
    let matrix = [[9, 0, 0], [1, 0, 0], [0, 2, 3]]
    XCTAssertEqual(macroF1(matrix), (0.9473684210526315 + 0 + 0.75) / 3, accuracy: 1e-12)
  }

  func testAClassNeverSeenCountsAsZeroNotNaN() {
    // Class 2 has no examples and no predictions: its F1 is 0 (scikit-learn's zero_division=0).
    let f1 = macroF1([[3, 0, 0], [0, 2, 0], [0, 0, 0]])
    XCTAssertFalse(f1.isNaN)
    XCTAssertEqual(f1, 2.0 / 3, accuracy: 1e-12)
  }
}

/// Exercise 7.3: `bootstrapInterval` (Sources/Training/Significance.swift).
final class BootstrapIntervalTests: ExerciseTestCase {
  override class var exerciseID: String { "7.3" }

  /// 400 examples, 320 right: accuracy 0.8, standard error √(0.8 · 0.2 / 400) = 0.02.
  let correct = (0..<400).map { $0 % 5 != 0 }

  func testWidthMatchesTheStandardError() {
    let interval = bootstrapInterval(count: 400, resamples: 4000, generator: Generator(seed: 1)) {
      accuracy(of: correct, at: $0)
    }
    // A 95% interval spans about ±1.96 standard errors.
    XCTAssertEqual(interval.high - interval.low, 2 * 1.96 * 0.02, accuracy: 0.006)
    XCTAssertEqual((interval.high + interval.low) / 2, 0.8, accuracy: 0.006)
    XCTAssertLessThan(interval.low, 0.8)
    XCTAssertGreaterThan(interval.high, 0.8)
  }

  func testHigherConfidenceIsWider() {
    func width(_ confidence: Double) -> Double {
      let i = bootstrapInterval(
        count: 400, resamples: 2000, confidence: confidence, generator: Generator(seed: 2)
      ) {
        accuracy(of: correct, at: $0)
      }
      return i.high - i.low
    }
    let (w80, w99) = (width(0.8), width(0.99))
    // ±1.28 against ±2.58 standard errors.
    XCTAssertEqual(w99 / w80, 2.576 / 1.282, accuracy: 0.3)
  }

  func testEachResampleHasTheTestSetsSize() {
    var sizes = Set<Int>()
    _ = bootstrapInterval(count: 37, resamples: 50, generator: Generator(seed: 3)) { indices in
      sizes.insert(indices.count)
      return 0
    }
    XCTAssertEqual(sizes, [37])
  }

  func testSameSeedSameInterval() {
    let a = bootstrapInterval(count: 100, resamples: 200, generator: Generator(seed: 4)) {
      accuracy(of: correct, at: $0)
    }
    let b = bootstrapInterval(count: 100, resamples: 200, generator: Generator(seed: 4)) {
      accuracy(of: correct, at: $0)
    }
    XCTAssertEqual(a, b)
  }
}

/// Exercise 7.4: `mcnemarTest` (Sources/Training/Significance.swift).
final class McNemarTests: ExerciseTestCase {
  override class var exerciseID: String { "7.4" }

  func testCountsOnlyTheDiscordantExamples() {
    // Example 0: both right; 1: both wrong; 2, 3: only the first right; 4: only the second.
    let result = mcnemarTest(labels: [0, 0, 1, 1, 2], first: [0, 1, 1, 1, 0], second: [0, 2, 0, 2, 2])
    XCTAssertEqual(result.b, 2)
    XCTAssertEqual(result.c, 1)
    // Binomial(3, 1/2): P(X ≤ 1) = 4/8, two-sided 1.
    XCTAssertEqual(result.pValue, 1, accuracy: 1e-12)
  }

  func testExactTwoSidedPValue() {
    // 9 discordant examples, all the first model's: 2 · (1/2)^9.
    let labels = Array(repeating: 0, count: 9)
    let result = mcnemarTest(labels: labels, first: labels, second: Array(repeating: 1, count: 9))
    XCTAssertEqual(result.pValue, 2.0 / 512, accuracy: 1e-12)
    // b 3, c 9: scipy.stats.binomtest(3, 12, 0.5).pvalue = 0.14599609375.
    let first = Array(repeating: 0, count: 3) + Array(repeating: 1, count: 9)
    let second = Array(repeating: 1, count: 3) + Array(repeating: 0, count: 9)
    XCTAssertEqual(
      mcnemarTest(labels: Array(repeating: 0, count: 12), first: first, second: second).pValue, 0.14599609375,
      accuracy: 1e-12)
  }

  func testNoDisagreementMeansNoEvidence() {
    XCTAssertEqual(mcnemarTest(labels: [0, 1], first: [0, 0], second: [0, 0]).pValue, 1)
  }
}

/// Exercise 7.5: `calibration` (Sources/Training/Calibration.swift).
final class CalibrationTests: ExerciseTestCase {
  override class var exerciseID: String { "7.5" }

  func testWeightedGapOverBins() {
    // Three predictions at 0.9, two right: bin (13/15, 14/15], gap 0.9 - 2/3, weight 3/4.
    // One at 0.35, right: bin (5/15, 6/15], gap 0.65, weight 1/4.
    let report = calibration(confidences: [0.9, 0.9, 0.9, 0.35], correct: [true, true, false, true])
    XCTAssertEqual(report.ece, 0.75 * (0.9 - 2.0 / 3) + 0.25 * 0.65, accuracy: 1e-12)
    guard report.bins.count == 15 else {
      return XCTFail("15 bins, empty ones included: got \(report.bins.count)")
    }
    XCTAssertEqual(report.bins[13].count, 3)
    XCTAssertEqual(report.bins[5].count, 1)
    XCTAssertEqual(report.bins[13].accuracy, 2.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(report.bins[13].confidence, 0.9, accuracy: 1e-12)
  }

  func testFullConfidenceLandsInTheLastBin() {
    let report = calibration(confidences: [1, 1], correct: [true, false], bins: 10)
    XCTAssertEqual(report.bins.count, 10)
    XCTAssertEqual(report.bins.last?.count, 2)
    XCTAssertEqual(report.ece, 0.5, accuracy: 1e-12)
  }

  func testPerfectlyCalibratedIsZero() {
    // Half right at confidence 0.5, all right at 1.
    let report = calibration(confidences: [0.5, 0.5, 1, 1], correct: [true, false, true, true])
    XCTAssertEqual(report.ece, 0, accuracy: 1e-12)
  }
}
