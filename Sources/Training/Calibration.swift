// Calibration: when a model says 90%, is it right 90% of the time? The reliability diagram
// bins the predictions by confidence and compares each bin's confidence with its accuracy; the
// expected calibration error (ECE) is the gap, weighted by how many predictions fall in each
// bin (exercise 7.5, 15 equal-width bins as Guo et al. 2017). Temperature scaling divides the
// logits by one number fitted on validation, which changes the confidences and not the
// predictions.

import Exercises
import Foundation

/// One bin of a reliability diagram.
public struct ReliabilityBin: Equatable, Sendable {
  /// The bin's confidence range, (lower, upper].
  public var lower: Double
  public var upper: Double
  /// How many predictions have a confidence in the range.
  public var count: Int
  /// Their mean confidence (0 for an empty bin).
  public var confidence: Double
  /// The share of them that are right (0 for an empty bin).
  public var accuracy: Double

  public init(lower: Double, upper: Double, count: Int, confidence: Double, accuracy: Double) {
    (self.lower, self.upper, self.count) = (lower, upper, count)
    (self.confidence, self.accuracy) = (confidence, accuracy)
  }
}

/// A reliability diagram and the expected calibration error it gives.
public struct CalibrationReport: Equatable, Sendable, ExercisePlaceholder {
  /// Σ over bins of (bin count / all predictions) · |bin accuracy − bin confidence|.
  public var ece: Double
  /// Every bin, empty ones included, from the lowest confidences up.
  public var bins: [ReliabilityBin]

  public init(ece: Double, bins: [ReliabilityBin]) { (self.ece, self.bins) = (ece, bins) }

  /// What an unfinished exercise returns.
  public static var exercisePlaceholder: CalibrationReport { CalibrationReport(ece: .nan, bins: []) }
}

/// The reliability diagram and ECE of predictions with the given confidences (the probability of
/// the predicted class, in 0...1) and correctness, in `bins` equal-width bins (0, 1/bins],
/// (1/bins, 2/bins], …, as in Guo et al.'s code: a confidence exactly on an edge belongs to the
/// bin below it, and a confidence of 1 to the last bin.
public func calibration(confidences: [Double], correct: [Bool], bins: Int = 15) -> CalibrationReport {
  precondition(confidences.count == correct.count && bins > 0)
  // BEGIN EXERCISE 7.5 "Expected calibration error" points=3
  // hint: Group the predictions by how confident they were; in each group compare the average
  // hint: confidence with the share that was right. A group of many predictions should count
  // hint: for more than a group of two.
  // hint 2: The bins have equal width, not equal counts, and are closed on the right: (lo, hi].
  // hint 2: A confidence of exactly 1 must land in the last bin, not past it. Empty bins stay in
  // hint 2: the list (count 0) and add nothing to the error.
  // hint 3: A confidence c goes to the smallest bin k with c ≤ (k + 1) / bins (bin 0 for c = 0); the
  // hint 3: error sums, over the bins, the bin's share of all predictions times |accuracy − confidence|.
  var counts = Array(repeating: 0, count: bins)
  var confidenceSums = Array(repeating: 0.0, count: bins)
  var rightCounts = Array(repeating: 0, count: bins)
  for (confidence, isRight) in zip(confidences, correct) {
    let bin = min(bins - 1, max(0, Int((confidence * Double(bins)).rounded(.up)) - 1))
    counts[bin] += 1
    confidenceSums[bin] += confidence
    if isRight { rightCounts[bin] += 1 }
  }
  var ece = 0.0
  var result: [ReliabilityBin] = []
  for bin in 0..<bins {
    let n = counts[bin]
    let meanConfidence = n == 0 ? 0 : confidenceSums[bin] / Double(n)
    let binAccuracy = n == 0 ? 0 : Double(rightCounts[bin]) / Double(n)
    if n > 0 { ece += Double(n) / Double(confidences.count) * abs(binAccuracy - meanConfidence) }
    result.append(
      ReliabilityBin(
        lower: Double(bin) / Double(bins), upper: Double(bin + 1) / Double(bins), count: n,
        confidence: meanConfidence, accuracy: binAccuracy))
  }
  return CalibrationReport(ece: ece, bins: result)
  // END EXERCISE 7.5
}

/// The softmax of each row of logits divided by `temperature`, (items, classes).
public func softmax(_ logits: [[Float]], temperature: Double = 1) -> [[Double]] {
  logits.map { row in
    let scaled = row.map { Double($0) / temperature }
    let top = scaled.max() ?? 0
    let e = scaled.map { exp($0 - top) }
    let sum = e.reduce(0, +)
    return e.map { $0 / sum }
  }
}

/// The mean negative log-likelihood of the true labels (the cross-entropy loss, natural log).
public func negativeLogLikelihood(_ logits: [[Float]], labels: [Int], temperature: Double = 1) -> Double {
  var total = 0.0
  for (row, label) in zip(logits, labels) {
    let scaled = row.map { Double($0) / temperature }
    let top = scaled.max() ?? 0
    let logSum = top + log(scaled.map { exp($0 - top) }.reduce(0, +))
    total += logSum - scaled[label]
  }
  return labels.isEmpty ? 0 : total / Double(labels.count)
}

/// Confidence (the largest probability) and correctness of each row of logits at a temperature.
public func confidences(_ logits: [[Float]], labels: [Int], temperature: Double = 1) -> (
  confidences: [Double], correct: [Bool]
) {
  let probabilities = softmax(logits, temperature: temperature)
  let confidence = probabilities.map { $0.max() ?? 0 }
  let correct = zip(probabilities, labels).map { row, label in row.indices.max { row[$0] < row[$1] } == label
  }
  return (confidence, correct)
}

/// Temperature scaling (Guo et al. 2017): the temperature T > 0 that minimises the negative
/// log-likelihood of `labels` under softmax(logits / T), found by golden-section search on log T
/// in [log 0.05, log 20] (the NLL is convex in 1/T). Fit it on validation, never on test.
public func fitTemperature(_ logits: [[Float]], labels: [Int], tolerance: Double = 1e-6) -> Double {
  var (a, b) = (log(0.05), log(20.0))
  let ratio = (5.0.squareRoot() - 1) / 2
  func loss(_ logT: Double) -> Double {
    negativeLogLikelihood(logits, labels: labels, temperature: exp(logT))
  }
  var (c, d) = (b - ratio * (b - a), a + ratio * (b - a))
  var (fc, fd) = (loss(c), loss(d))
  while b - a > tolerance {
    if fc < fd {
      (b, d, fd) = (d, c, fc)
      c = b - ratio * (b - a)
      fc = loss(c)
    } else {
      (a, c, fc) = (c, d, fd)
      d = a + ratio * (b - a)
      fd = loss(d)
    }
  }
  return exp((a + b) / 2)
}
