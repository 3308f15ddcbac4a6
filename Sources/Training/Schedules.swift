// Learning-rate schedules, as transformers' `get_scheduler`: the factor the base learning rate
// is multiplied by at each optimizer step. The values match Hugging Face's exactly (tested on
// fixtures from `get_linear_schedule_with_warmup` and friends), including the first step of a
// warm-up, which has learning rate 0.

import Foundation

/// How the learning rate changes over training (Hugging Face's `lr_scheduler_type`).
public enum LearningRateSchedule: String, Sendable, CaseIterable, Codable {
  case linear, cosine, constant
  case constantWithWarmup = "constant_with_warmup"
  /// ULMFiT's slanted triangular learning rate (Howard and Ruder 2018, eq. 3): a short linear
  /// rise to the peak over the warm-up (default: `cut_frac` = 10% of the steps), then a long
  /// linear decay, never below 1/`ratio` (32) of the peak.
  case slantedTriangular = "slanted_triangular"

  /// The multiplier of the base learning rate at optimizer step `step` (0-based) of
  /// `totalSteps`, after `warmupSteps` of linear warm-up from 0.
  public func factor(step: Int, totalSteps: Int, warmupSteps: Int) -> Double {
    if self == .constant { return 1 }
    if self == .slantedTriangular {
      return slantedTriangularFactor(
        step: step, totalSteps: totalSteps, cut: warmupSteps > 0 ? warmupSteps : nil)
    }
    let linear = linearWarmupDecay(step: step, totalSteps: totalSteps, warmupSteps: warmupSteps)
    switch self {
    case .constant: return 1
    case .linear: return linear
    // The other warm-ups are the linear schedule's own (exercise 5.1), so none gives it away.
    case .constantWithWarmup: return step < warmupSteps ? linear : 1
    case .slantedTriangular:
      return slantedTriangularFactor(
        step: step, totalSteps: totalSteps, cut: warmupSteps > 0 ? warmupSteps : nil)
    case .cosine:
      if step < warmupSteps { return linear }
      // The share of the decay done, 1 minus the linear factor; past totalSteps the factor stays
      // 0 (transformers' would rise again, but no Trainer steps past the end).
      return 0.5 * (1 + cos(Double.pi * (1 - linear)))
    }
  }
}

/// Linear warm-up from 0 to 1 over `warmupSteps`, then linear decay to 0 at `totalSteps`:
/// transformers' `get_linear_schedule_with_warmup`, the default schedule of its Trainer.
public func linearWarmupDecay(step: Int, totalSteps: Int, warmupSteps: Int) -> Double {
  // BEGIN EXERCISE 5.1 "Linear warm-up and decay" points=2
  // hint: Two straight lines that meet at 1 when warm-up ends: one rising from 0, one falling to 0 at the
  // hint: last step.
  // hint 2: During warm-up the factor is the share of warm-up done (0 at step 0); after it, the share of the
  // hint 2: post-warm-up steps still to go, never negative. Guard the divisions for warmupSteps = 0 and
  // hint 2: totalSteps = warmupSteps.
  // hint 3: Branch on whether `step` is still in the warm-up; in each branch divide the steps done (warm-up)
  // hint 3: or left (decay) by the length of that phase, as Doubles, with the divisor at least 1, and clamp
  // hint 3: the decay at 0.
  if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
  return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
  // END EXERCISE 5.1
}

/// ULMFiT's slanted triangular schedule (eq. 3) as a multiplier of the peak rate: with
/// cut = ⌊T·cutFraction⌋ (or `cut`), p = t/cut while t < cut, else
/// 1 − (t − cut)/(cut·(1/cutFraction − 1)); the factor is (1 + p·(ratio − 1))/ratio, so it runs
/// from 1/ratio up to 1 at the cut and back down to 1/ratio at the last step.
public func slantedTriangularFactor(
  step: Int, totalSteps: Int, cut: Int? = nil, cutFraction: Double = 0.1, ratio: Double = 32
) -> Double {
  let cutStep = max(1, cut ?? Int((Double(totalSteps) * cutFraction).rounded(.down)))
  let p: Double
  if step < cutStep {
    p = Double(step) / Double(cutStep)
  } else {
    // The decay spans the steps after the cut (cut·(1/cut_frac − 1) in the paper's notation).
    p = max(0, 1 - Double(step - cutStep) / Double(max(1, totalSteps - cutStep)))
  }
  return (1 + p * (ratio - 1)) / ratio
}
