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
    switch self {
    case .constant: return 1
    case .constantWithWarmup: return step < warmupSteps ? Double(step) / Double(max(1, warmupSteps)) : 1
    case .linear: return linearWarmupDecay(step: step, totalSteps: totalSteps, warmupSteps: warmupSteps)
    case .cosine:
      if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
      let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
      return max(0, 0.5 * (1 + cos(Double.pi * progress)))
    }
  }
}

/// Linear warm-up from 0 to 1 over `warmupSteps`, then linear decay to 0 at `totalSteps`:
/// transformers' `get_linear_schedule_with_warmup`, the default schedule of its Trainer.
public func linearWarmupDecay(step: Int, totalSteps: Int, warmupSteps: Int) -> Double {
  // BEGIN EXERCISE 5.1 "Linear warm-up and decay" points=2
  // hint: before warmupSteps the factor is step / warmupSteps (0 at the first step); after it, the share of the post-warm-up steps still to go, never below 0. Guard each division with max(1, ...).
  if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
  return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
  // END EXERCISE 5.1
}
