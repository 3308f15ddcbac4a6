// L2-SP (Li, Grandvalet and Davoine 2018, "Explicit inductive bias for transfer learning"):
// instead of pulling the weights towards zero, as weight decay does, pull the pre-trained ones
// back towards their starting point, Ω(w) = α/2 · ‖w_S − w_S⁰‖². Fine-tuning may still move
// them, but every step away costs, so what pre-training learned is kept unless the task pays for
// changing it: one of the remedies for catastrophic forgetting measured in Lesson 6.

import Foundation
import Models
import TensorCore

/// A penalty towards a reference copy of some parameters: `alpha / 2 · Σ ‖w − w⁰‖²` over the
/// pre-trained parameters (new ones, such as the head, have no pre-trained value and are not included).
public struct L2SPRegularizer {
  /// The penalised parameters, in `namedParameters()` order, with their names.
  public let parameters: [(name: String, tensor: Tensor)]
  /// The values each had when the regularizer was made (w⁰), in the same order.
  public let reference: [[Float]]
  /// The strength α.
  public let alpha: Float

  /// Snapshots the pre-trained parameters of `model` as the reference: those under
  /// `basePrefix + "."` (the encoder, `bert` or `transformer`) that the checkpoint provided.
  /// Parameters in `loadingInfo.newlyInitialized` (the new head, and the pooler of a checkpoint
  /// pre-trained without one) have no pre-trained value to return to; as in Li et al., they are
  /// left to weight decay. Make it right after loading, before any training step.
  public init(_ model: Module, basePrefix: String, loadingInfo: LoadReport, alpha: Float) {
    let fresh = Set(loadingInfo.newlyInitialized)
    let chosen = model.namedParameters().filter {
      $0.name.hasPrefix(basePrefix + ".") && !fresh.contains($0.name)
    }
    self.init(parameters: chosen, alpha: alpha)
  }

  /// A regularizer over the given parameters, with their current values as the reference.
  public init(parameters: [(name: String, tensor: Tensor)], alpha: Float) {
    self.parameters = parameters
    reference = parameters.map(\.tensor.data)
    self.alpha = alpha
  }

  /// α/2 · Σ ‖w − w⁰‖² as a scalar tensor whose gradient reaches the parameters:
  /// ∂/∂w = α · (w − w⁰). Add it to the task loss before `backward()`.
  public func penalty() -> Tensor {
    // BEGIN EXERCISE 6.3 "The L2-SP penalty" points=2
    // hint: Weight decay's penalty is α/2 · ‖w‖², pulling every weight towards zero. L2-SP changes the point it
    // hint: pulls towards: the weights the model had before fine-tuning.
    // hint 2: For each penalised parameter, the difference from its reference (a constant Tensor of the saved
    // hint 2: values, same shape) squared and summed; add the sums over parameters, then scale. The result
    // hint 2: must stay in the graph, so build it from tensor operations on `tensor`, not from `.data`.
    // hint 3: Start from Tensor(0); for each (parameter, saved values) make Tensor(saved, shape:
    // hint 3: parameter.shape), subtract it from the parameter, multiply the difference by itself, `.sum()`,
    // hint 3: add to the total. Return the total times alpha / 2.
    var total = Tensor(0)
    for ((_, tensor), saved) in zip(parameters, reference) {
      let difference = tensor - Tensor(saved, shape: tensor.shape)
      total = total + (difference * difference).sum()
    }
    return total * (alpha / 2)
    // END EXERCISE 6.3
  }

  /// ‖w − w⁰‖ over every penalised parameter: how far fine-tuning has moved them.
  public func distance() -> Double {
    var sum = 0.0
    for ((_, tensor), saved) in zip(parameters, reference) {
      for (a, b) in zip(tensor.data, saved) { sum += Double(a - b) * Double(a - b) }
    }
    return sum.squareRoot()
  }
}

extension Trainer where Example == ClassificationExample, Batch == ClassificationBatch {
  /// Adds `regularizer.penalty()` to the classification loss in training (evaluation reports the
  /// task loss alone), so the Trainer fine-tunes with L2-SP.
  public func addPenalty(_ regularizer: L2SPRegularizer) {
    let taskLoss = computeLoss
    computeLoss = { model, batch in
      var output = try taskLoss(model, batch)
      if model.training && output.count > 0 { output.loss = output.loss + regularizer.penalty() }
      return output
    }
  }
}
