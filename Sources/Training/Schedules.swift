// Learning-rate schedules, as transformers' `get_scheduler`: the factor the base learning rate
// is multiplied by at each optimizer step. The values match Hugging Face's exactly (tested on
// fixtures from `get_linear_schedule_with_warmup` and friends), including the first step of a
// warm-up, which has learning rate 0.

import Foundation

/// How the learning rate changes over training (Hugging Face's `lr_scheduler_type`).
public enum LearningRateSchedule: String, Sendable, CaseIterable, Codable {
  case linear, cosine, constant
  case constantWithWarmup = "constant_with_warmup"

  /// The multiplier of the base learning rate at optimizer step `step` (0-based) of
  /// `totalSteps`, after `warmupSteps` of linear warm-up from 0.
  public func factor(step: Int, totalSteps: Int, warmupSteps: Int) -> Double {
    if self == .constant { return 1 }
    let linear = linearWarmupDecay(step: step, totalSteps: totalSteps, warmupSteps: warmupSteps)
    switch self {
    case .constant: return 1
    case .linear: return linear
    // The other warm-ups are the linear schedule's own (exercise 5.1), so none gives it away.
    case .constantWithWarmup: return step < warmupSteps ? linear : 1
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
