// Magnitude pruning (Lesson 8), as PyTorch's `torch.nn.utils.prune`: weights of small magnitude
// are set to zero and kept there by a mask (`weight_mask`); the rest of the network is unchanged.
// Unstructured pruning removes single weights anywhere (the file shrinks only if stored
// sparsely, and a dense kernel gets no faster); structured pruning removes whole rows, columns or
// attention heads.
//
// Global pruning (`prune.global_unstructured(..., pruning_method=prune.L1Unstructured,
// amount=s)`) ranks the magnitudes of all chosen weights together, so layers with many small
// weights lose more than layers with few. The count pruned is round(s · n), rounding half to
// even as Python's `round` does.

import Exercises

/// The mask (1 keep, 0 prune) that zeroes the `round(sparsity · n)` entries of smallest
/// magnitude among `values`; among equal magnitudes, the earlier entry is pruned first.
/// `sparsity` is in [0, 1].
public func magnitudeMask(_ values: [Float], sparsity: Double) -> [Float] {
  // BEGIN EXERCISE 8.4 "The magnitude-pruning mask" points=2
  // hint: Which weights matter least for the output? Rank them by size, whatever their sign, and drop the
  // hint: required number from the bottom.
  // hint 2: The number to prune is (sparsity · count) rounded to nearest, ties to even (Python's round). Sort
  // hint 2: the indices by |value|, keeping the original order among equal magnitudes (a stable order).
  // hint 3: Sort the indices by (|value|, index), take the first k, and set those positions of an all-ones
  // hint 3: mask to 0.
  let k = Int((sparsity * Double(values.count)).rounded(.toNearestOrEven))
  let order = values.indices.sorted { (Swift.abs(values[$0]), $0) < (Swift.abs(values[$1]), $1) }
  var mask = [Float](repeating: 1, count: values.count)
  for i in order.prefix(k) { mask[i] = 0 }
  return mask
  // END EXERCISE 8.4
}

/// Pruning masks by parameter name, kept so that training does not bring pruned weights back.
public struct PruningMasks {
  /// Parameter name → mask of the same shape (1 keep, 0 pruned).
  public var masks: [String: Tensor]

  public init(masks: [String: Tensor] = [:]) { self.masks = masks }

  /// The fraction of masked-out entries among the masked parameters.
  public var sparsity: Double {
    let total = masks.values.map(\.count).reduce(0, +)
    let zeros = masks.values.map { $0.data.filter { $0 == 0 }.count }.reduce(0, +)
    return total == 0 ? 0 : Double(zeros) / Double(total)
  }

  /// Multiplies each masked parameter of `model` by its mask in place (after an optimizer
  /// step, so that pruned weights stay zero: PyTorch recomputes `weight = weight_orig · mask`
  /// before every forward pass).
  public func apply(to model: Module) {
    for (name, tensor) in model.namedParameters() {
      guard let mask = masks[name], mask.count == tensor.count else { continue }
      tensor.data.withUnsafeMutableBufferPointer { w in
        for i in w.indices where mask.data[i] == 0 { w[i] = 0 }
      }
    }
  }
}

extension Module {
  /// Global unstructured magnitude pruning (PyTorch's `global_unstructured` with
  /// `L1Unstructured`) of the parameters `include` selects (default: every `Linear` weight),
  /// to `sparsity` of their entries together. Sets the pruned weights to zero and returns the
  /// masks, to re-apply after training steps.
  @discardableResult
  public func globalMagnitudePrune(sparsity: Double, where include: ((String, Tensor) -> Bool)? = nil)
    -> PruningMasks
  {
    let linearWeights = Set(
      namedModules().filter { $0.module is Linear }.map { $0.name.isEmpty ? "weight" : $0.name + ".weight" })
    let chosen = namedParameters().filter { include?($0.name, $0.tensor) ?? linearWeights.contains($0.name) }
    let mask = magnitudeMask(chosen.flatMap(\.tensor.data), sparsity: sparsity)
    var masks = PruningMasks()
    var offset = 0
    for (name, tensor) in chosen {
      let part =
        offset + tensor.count <= mask.count
        ? Array(mask[offset..<(offset + tensor.count)]) : [Float](repeating: 1, count: tensor.count)
      masks.masks[name] = Tensor(part, shape: tensor.shape)
      offset += tensor.count
    }
    masks.apply(to: self)
    return masks
  }
}
