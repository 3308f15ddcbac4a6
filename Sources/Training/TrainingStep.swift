// The training loop by hand: what `Trainer.train` does at every step, written out as the
// Hugging Face course writes its loop ("A full training") before it hands the loop to the
// Trainer. A scheduler in PyTorch's sense (`LambdaLR`) and one step of fine-tuning (exercise 5.5).

import Exercises
import Foundation
import TensorCore

/// PyTorch's `torch.optim.lr_scheduler.LambdaLR`: sets each parameter group's learning rate
/// to its initial rate times `lrLambda(step)`, where `step` counts the calls to `step()`.
/// Built before training, it applies `lrLambda(0)` at once, as PyTorch does; call `step()`
/// once after each `optimizer.step()`.
public final class LambdaLR {
  public let optimizer: any Optimizer
  /// Each group's learning rate when the scheduler was made.
  public let baseRates: [Float]
  public let lrLambda: (Int) -> Double
  /// How many times `step()` has been called (PyTorch's `last_epoch`).
  public private(set) var stepCount = 0

  public init(_ optimizer: any Optimizer, lrLambda: @escaping (Int) -> Double) {
    self.optimizer = optimizer
    self.baseRates = optimizer.groups.map(\.learningRate)
    self.lrLambda = lrLambda
    apply()
  }

  /// transformers' `get_linear_schedule_with_warmup(optimizer, warmup, total)`.
  public convenience init(_ optimizer: any Optimizer, warmupSteps: Int, totalSteps: Int) {
    self.init(optimizer) { linearWarmupDecay(step: $0, totalSteps: totalSteps, warmupSteps: warmupSteps) }
  }

  /// Moves the schedule on by one optimizer step.
  public func step() {
    stepCount += 1
    apply()
  }

  /// The learning rate of each group now (PyTorch's `get_last_lr()`).
  public var lastLearningRates: [Float] { optimizer.groups.map(\.learningRate) }

  func apply() {
    let factor = Float(lrLambda(stepCount))
    for i in optimizer.groups.indices { optimizer.groups[i].learningRate = baseRates[i] * factor }
  }
}

/// What one training step reports.
public struct StepOutput: Equatable, Sendable, ExercisePlaceholder {
  /// The batch's loss, measured before the update.
  public var loss: Float
  /// The global gradient norm before clipping (transformers logs it as `grad_norm`).
  public var gradNorm: Float

  public init(loss: Float, gradNorm: Float) {
    self.loss = loss
    self.gradNorm = gradNorm
  }

  /// What an unfinished exercise returns.
  public static var exercisePlaceholder: StepOutput { StepOutput(loss: .nan, gradNorm: .nan) }
}

/// One step of fine-tuning a classifier on one batch, in the order of the Hugging Face course's
/// training loop: the batch's loss (the classification loss of the model's logits), gradients
/// for every trainable parameter, the gradients clipped to a global norm of `maxGradNorm`, one
/// optimizer update, one scheduler step. The gradients are left cleared for the next step.
/// The model must already be in training mode (`model.train()`).
public func trainingStep(
  model: any SequenceClassifier, batch: ClassificationBatch, optimizer: any Optimizer, scheduler: LambdaLR,
  maxGradNorm: Float = 1
) throws -> StepOutput {
  // BEGIN EXERCISE 5.5 "One fine-tuning step by hand" points=3
  // hint: This is the body of the Hugging Face course's hand-written training loop ("A full training"),
  // hint: with gradient clipping added: each line of it has a counterpart in the kit.
  // hint 2: The model gives logits for the batch's ids, mask and segment ids; classificationLoss (5.3)
  // hint 2: turns them into one scalar; clipGradNorm (5.4) reports the norm it found. The order matters:
  // hint 2: clipping must change the gradients the optimizer is about to use, and the scheduler sets
  // hint 2: the rate of the *next* step.
  // hint 3: Forward, loss, backward; clip the trainable parameters' gradients; step the optimizer;
  // hint 3: step the scheduler; clear the gradients; return the loss value and the norm.
  let logits = try model.logits(
    inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds)
  let loss = classificationLoss(logits: logits, labels: batch.labels)
  loss.backward()
  let norm = clipGradNorm(model.parameters().filter(\.requiresGrad), maxNorm: maxGradNorm)
  optimizer.step()
  scheduler.step()
  optimizer.zeroGrad()
  return StepOutput(loss: loss.item, gradNorm: norm)
  // END EXERCISE 5.5
}
