// How sure are we? A score on a test set of a few hundred examples is itself uncertain: another
// test set drawn the same way would give another score. The bootstrap (Efron 1979) estimates
// that spread by re-drawing the test set from itself, with replacement (exercise 7.3); two
// models scored on the same examples are compared pair by pair: the paired bootstrap, and
// McNemar's exact test on the examples where exactly one of them is right (exercise 7.4).

import Exercises
import Foundation
import TensorCore

/// The `q`-th quantile (0...1) of sorted values, interpolating linearly between neighbours as
/// numpy's `percentile` does by default (`method="linear"`).
public func percentile(_ sorted: [Double], _ q: Double) -> Double {
  precondition(!sorted.isEmpty, "no values")
  let position = q * Double(sorted.count - 1)
  let below = Int(position.rounded(.down))
  let above = min(below + 1, sorted.count - 1)
  let fraction = position - Double(below)
  return sorted[below] + (sorted[above] - sorted[below]) * fraction
}

/// An interval of plausible values of a statistic.
public struct ConfidenceInterval: Equatable, Sendable, ExercisePlaceholder {
  public var low: Double
  public var high: Double

  public init(low: Double, high: Double) { (self.low, self.high) = (low, high) }

  /// What an unfinished exercise returns.
  public static var exercisePlaceholder: ConfidenceInterval { ConfidenceInterval(low: .nan, high: .nan) }
}

/// The percentile bootstrap interval of a statistic of `count` examples: `resamples` times,
/// draw `count` example indices with replacement (`generator.int(below: count)`), compute
/// `statistic` on those indices; the interval runs from the `(1 - confidence) / 2` to the
/// `(1 + confidence) / 2` quantile (`percentile`) of the resampled statistics.
///
/// `statistic` receives a list of indices, repeats included, and scores the examples at them:
/// `{ indices in Double(indices.filter { correct[$0] }.count) / Double(indices.count) }` for
/// accuracy.
public func bootstrapInterval(
  count: Int, resamples: Int = 1000, confidence: Double = 0.95, generator: Generator,
  statistic: ([Int]) -> Double
) -> ConfidenceInterval {
  precondition(count > 0 && resamples > 0 && confidence > 0 && confidence < 1)
  // BEGIN EXERCISE 7.3 "A bootstrap confidence interval" points=3
  // hint: Pretend the test set is the population: draw many new test sets of the same size from
  // hint: it and see how much the statistic varies from one draw to the next.
  // hint 2: Each resample has `count` indices drawn *with* replacement (some examples twice, some
  // hint 2: not at all); a permutation of the test set scores exactly the same every time. The
  // hint 2: interval cuts off equal tails on both sides.
  // hint 3: For each resample: count draws of generator.int(below: count), then the statistic;
  // hint 3: sort the statistics; low and high are percentile(sorted, (1 ∓ confidence) / 2).
  var values: [Double] = []
  values.reserveCapacity(resamples)
  for _ in 0..<resamples {
    let indices = (0..<count).map { _ in generator.int(below: count) }
    values.append(statistic(indices))
  }
  values.sort()
  return ConfidenceInterval(
    low: percentile(values, (1 - confidence) / 2), high: percentile(values, (1 + confidence) / 2))
  // END EXERCISE 7.3
}

/// The accuracy of the examples at `indices`, given which examples a model got right.
public func accuracy(of correct: [Bool], at indices: [Int]) -> Double {
  indices.isEmpty ? 0 : Double(indices.filter { correct[$0] }.count) / Double(indices.count)
}

/// Macro-F1 of the examples at `indices` over `numClasses` classes.
public func macroF1(labels: [Int], predictions: [Int], numClasses: Int, at indices: [Int]) -> Double {
  macroF1(
    confusionMatrix(
      labels: indices.map { labels[$0] }, predictions: indices.map { predictions[$0] }, numClasses: numClasses
    ))
}

/// The paired bootstrap between two models scored on the same examples (Koehn 2004,
/// Berg-Kirkpatrick et al. 2012): each resample draws one set of examples for both models.
public struct PairedBootstrap: Sendable {
  /// The first model's statistic minus the second's, on the whole test set.
  public var difference: Double
  /// The bootstrap interval of that difference.
  public var interval: ConfidenceInterval
  /// The share of resamples in which the difference is not of the observed sign (or zero): small
  /// when the observed difference is unlikely to be an accident of which examples were drawn.
  public var pValue: Double
}

/// The paired bootstrap of `statistic(first) - statistic(second)`: `difference(indices)` scores
/// both models on the same resampled examples and returns the first's score minus the second's.
public func pairedBootstrap(
  count: Int, resamples: Int = 1000, confidence: Double = 0.95, generator: Generator,
  difference: ([Int]) -> Double
) -> PairedBootstrap {
  let observed = difference(Array(0..<count))
  var seen: [Double] = []
  let interval = bootstrapInterval(
    count: count, resamples: resamples, confidence: confidence, generator: generator
  ) { indices in
    let value = difference(indices)
    seen.append(value)
    return value
  }
  let against = seen.filter { observed >= 0 ? $0 <= 0 : $0 >= 0 }.count
  return PairedBootstrap(
    difference: observed, interval: interval,
    pValue: seen.isEmpty ? .nan : Double(against) / Double(seen.count))
}

/// McNemar's test of two classifiers on the same examples.
public struct McNemarResult: Equatable, Sendable, ExercisePlaceholder {
  /// Examples the first model gets right and the second wrong.
  public var b: Int
  /// Examples the second model gets right and the first wrong.
  public var c: Int
  /// The exact two-sided p-value: the chance, if both models were equally good, of a split of the
  /// b + c discordant examples at least as uneven as this one.
  public var pValue: Double

  public init(b: Int, c: Int, pValue: Double) { (self.b, self.c, self.pValue) = (b, c, pValue) }

  /// What an unfinished exercise returns.
  public static var exercisePlaceholder: McNemarResult { McNemarResult(b: -1, c: -1, pValue: .nan) }
}

/// McNemar's exact test (statsmodels' `mcnemar(table, exact=True)`): of the examples where
/// exactly one of the two models is right, under the hypothesis that both are equally good each
/// is the first model's with probability 1/2, so b ~ Binomial(b + c, 1/2). The two-sided p-value
/// is twice the smaller tail, at most 1; with no discordant examples it is 1.
public func mcnemarTest(labels: [Int], first: [Int], second: [Int]) -> McNemarResult {
  precondition(labels.count == first.count && labels.count == second.count, "lengths differ")
  // BEGIN EXERCISE 7.4 "McNemar's exact test" points=3
  // hint: Only the examples on which the two models disagree about being right carry evidence:
  // hint: those both get right or both get wrong say nothing about which is better.
  // hint 2: Count b (first right, second wrong) and c (the reverse). If the models were equally
  // hint 2: good, b would be a fair coin's heads in b + c tosses. Two-sided: both tails. With
  // hint 2: hundreds of discordant examples, factorials overflow a Double; work with logarithms.
  // hint 3: p = min(1, 2 · Σ_{i=0}^{min(b,c)} C(n, i) / 2^n) with n = b + c; log C(n, i) is
  // hint 3: lgamma(n + 1) - lgamma(i + 1) - lgamma(n - i + 1).
  var (b, c) = (0, 0)
  for i in labels.indices {
    let (firstRight, secondRight) = (first[i] == labels[i], second[i] == labels[i])
    if firstRight && !secondRight { b += 1 }
    if secondRight && !firstRight { c += 1 }
  }
  let n = b + c
  guard n > 0 else { return McNemarResult(b: b, c: c, pValue: 1) }
  var tail = 0.0
  for i in 0...min(b, c) {
    tail += exp(
      lgamma(Double(n + 1)) - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1)) - Double(n) * log(2))
  }
  return McNemarResult(b: b, c: c, pValue: min(1, 2 * tail))
  // END EXERCISE 7.4
}
