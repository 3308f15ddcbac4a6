// The learning-rate range test (Smith 2017; fast.ai's `Learner.lr_find`): train for a few
// dozen steps while the learning rate grows exponentially from tiny to huge, record the loss,
// and read the rate off the curve. Too small a rate and the loss does not move; too large and it
// explodes; in between it falls, and the suggestions pick a rate on that falling stretch.

import Foundation
import TensorCore

/// What `lrFind` measured: the rate and loss of every step it took.
public struct LRFinderResult: Sendable {
  /// The learning rate of each step, growing exponentially.
  public var learningRates: [Double]
  /// The batch loss at each step.
  public var losses: [Double]
  /// The losses smoothed as fast.ai smooths them (an exponential moving average with
  /// β = 0.98, debiased), which is what the suggestions read.
  public var smoothedLosses: [Double]
  /// fast.ai's default suggestion (`SuggestionMethod.Valley`): a rate inside the longest
  /// stretch over which the loss keeps falling.
  public var valley: Double
  /// fast.ai's `SuggestionMethod.Steep`: the rate where the loss falls fastest (exercise 6.1).
  public var steepest: Double
  /// The rate at which the smoothed loss was lowest: always too large to train at (the loss is
  /// about to blow up there), shown for comparison; fast.ai suggests a tenth of it.
  public var minimum: Double
}

/// The learning rate where the loss falls fastest per unit of log learning rate (fast.ai's
/// `steep`): the slope between consecutive points is (lossᵢ₊₁ − lossᵢ) / (ln lrᵢ₊₁ − ln lrᵢ), and
/// the answer is the rate at the start of the most negative slope.
public func steepestDescentLearningRate(learningRates: [Double], losses: [Double]) -> Double {
  // BEGIN EXERCISE 6.1 "The steepest point of the range test" points=2
  // hint: The rates grow exponentially, so measure the slope against the logarithm of the rate, not the rate:
  // hint: the points are then evenly spaced and each stretch counts the same.
  // hint 2: One slope per pair of neighbouring points; the steepest descent is the most negative slope, not the
  // hint 2: largest one and not the lowest loss. Return the rate where that stretch begins (fast.ai returns
  // hint 2: lrs[argmin] of the slopes).
  // hint 3: For i in 0..<count − 1, slope = (losses[i+1] − losses[i]) / (log(lr[i+1]) − log(lr[i])); keep
  // hint 3: the index of the smallest slope; return learningRates[that index]. With fewer than two points,
  // hint 3: return the first rate (or .nan if there is none).
  guard learningRates.count >= 2, losses.count >= 2 else { return learningRates.first ?? .nan }
  var best = 0
  var bestSlope = Double.infinity
  for i in 0..<(min(learningRates.count, losses.count) - 1) {
    let slope = (losses[i + 1] - losses[i]) / (log(learningRates[i + 1]) - log(learningRates[i]))
    if slope < bestSlope {
      bestSlope = slope
      best = i
    }
  }
  return learningRates[best]
  // END EXERCISE 6.1
}

/// fast.ai's `valley` suggestion: the longest run of points whose losses keep decreasing (a
/// longest decreasing subsequence), and the rate about halfway into it (its 3/6 + 1/6 point, as
/// fast.ai computes `max_start + int(sections) + int(sections / 2)` with a third of the run as
/// `sections`).
public func valleyLearningRate(learningRates: [Double], losses: [Double]) -> Double {
  let n = min(learningRates.count, losses.count)
  guard n >= 2 else { return learningRates.first ?? .nan }
  var longest = [Int](repeating: 1, count: n)
  var (maxStart, maxEnd) = (0, 0)
  for i in 1..<n {
    for j in 0..<i {
      if losses[i] < losses[j] && longest[i] < longest[j] + 1 { longest[i] = longest[j] + 1 }
      if longest[maxEnd] < longest[i] {
        maxEnd = i
        maxStart = maxEnd - longest[maxEnd]
      }
    }
  }
  let sections = Double(maxEnd - maxStart) / 3
  let index = min(n - 1, max(0, maxStart + Int(sections) + Int(sections / 2)))
  return learningRates[index]
}

/// Runs the range test: `numIterations` steps at rates from `startLR` to `endLR`, growing
/// exponentially (lrᵢ = start · (end/start)^(i/(numIterations − 1))), each step taken by `step`,
/// which trains one batch at the given rate and returns its loss. With `stopDivergence`, stops
/// once the smoothed loss exceeds 4 times its minimum, as fast.ai does. The suggestions read
/// the smoothed losses without the first tenth and the last five points (fast.ai's
/// `lrs[num_it//10:-5]`). The caller restores the model's weights afterwards.
public func lrFind(
  startLR: Double = 1e-7, endLR: Double = 10, numIterations: Int = 100, stopDivergence: Bool = true,
  step: (Double) throws -> Double
) rethrows -> LRFinderResult {
  precondition(startLR > 0 && endLR > startLR && numIterations >= 2, "lrFind: 0 < startLR < endLR, 2+ steps")
  var (rates, losses, smoothed) = ([Double](), [Double](), [Double]())
  var average = 0.0
  var best = Double.infinity
  for i in 0..<numIterations {
    let lr = startLR * Foundation.pow(endLR / startLR, Double(i) / Double(numIterations - 1))
    let loss = try step(lr)
    average = 0.98 * average + 0.02 * loss
    let smooth = average / (1 - Foundation.pow(0.98, Double(i + 1)))
    rates.append(lr)
    losses.append(loss)
    smoothed.append(smooth)
    best = min(best, smooth)
    if stopDivergence && (!smooth.isFinite || smooth > 4 * best) { break }
  }
  let lower = numIterations / 10
  let upper = max(lower + 2, smoothed.count - 5)
  let range = lower..<min(upper, smoothed.count)
  let (r, l) = range.count >= 2 ? (Array(rates[range]), Array(smoothed[range])) : (rates, smoothed)
  let minimum = rates[smoothed.indices.min { smoothed[$0] < smoothed[$1] } ?? 0]
  return LRFinderResult(
    learningRates: rates, losses: losses, smoothedLosses: smoothed,
    valley: valleyLearningRate(learningRates: r, losses: l),
    steepest: steepestDescentLearningRate(learningRates: r, losses: l), minimum: minimum)
}

/// The range test on a classifier: AdamW (weight decay `weightDecay`, groups as `makeAdamW`)
/// over the trainable parameters, one batch of `batches` per step (cycled), in training mode.
/// The model's weights are put back as they were afterwards, so the test costs no training.
public func lrFind(
  model: any SequenceClassifier, batches: [ClassificationBatch], startLR: Double = 1e-7, endLR: Double = 10,
  numIterations: Int = 100, weightDecay: Float = 0.01
) throws -> LRFinderResult {
  precondition(!batches.isEmpty, "lrFind needs at least one batch")
  let saved = model.parameters().map(\.data)
  let wasTraining = model.training
  defer {
    for (p, data) in zip(model.parameters(), saved) { p.data = data }
    if !wasTraining { model.eval() }
  }
  let optimizer = makeAdamW(model, learningRate: Float(startLR), weightDecay: weightDecay)
  let trainable = model.parameters().filter(\.requiresGrad)
  model.train()
  var i = 0
  return try lrFind(startLR: startLR, endLR: endLR, numIterations: numIterations) { lr in
    let batch = batches[i % batches.count]
    i += 1
    optimizer.learningRate = Float(lr)
    let logits = try model.logits(
      inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds)
    let loss = classificationLoss(logits: logits, labels: batch.labels)
    loss.backward()
    clipGradNorm(trainable, maxNorm: 1)
    optimizer.step()
    optimizer.zeroGrad()
    return Double(loss.item)
  }
}
