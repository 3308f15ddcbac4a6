// Learning-rate schedules, as transformers' `get_scheduler`: the factor the base learning rate
// is multiplied by at each step.

import Foundation

/// How the learning rate changes over training (Hugging Face's `lr_scheduler_type`).
public enum LearningRateSchedule: String, Sendable, CaseIterable {
  case linear, cosine, constant
  case constantWithWarmup = "constant_with_warmup"

  /// The multiplier of the base learning rate at `step` (0-based) of `totalSteps`, after
  /// `warmupSteps` of linear warm-up from 0.
  public func factor(step: Int, totalSteps: Int, warmupSteps: Int) -> Double {
    if self == .constant { return 1 }
    if step < warmupSteps { return Double(step + 1) / Double(max(1, warmupSteps)) }
    let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
    switch self {
    case .constant, .constantWithWarmup: return 1
    case .linear: return max(0, 1 - progress)
    case .cosine: return 0.5 * (1 + cos(Double.pi * min(1, progress)))
    }
  }
}
