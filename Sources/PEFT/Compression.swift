// Compression for deployment, on the kit's models: int8 checkpoints and attention-head pruning.
//
// A quantized checkpoint stores each quantized `Linear` weight as I8 (out, in) plus
// `<name>_scale` F32 (out, 1), compressed-tensors' names; everything else stays F32.
//
// Head importance follows Michel, Levy and Neubig (2019), "Are Sixteen Heads Really Better than
// One?": put a gate ξ_h (= 1) on each head's output and measure I_h = E |∂L/∂ξ_h|. A head's
// output enters the layer through its columns of the output projection (BERT's
// `attention.output.dense`, GPT-2's `attn.c_proj`), so scaling the head
// by ξ_h scales those columns, and ∂L/∂ξ_h = Σ_{o, c ∈ h} W[o, c] · ∂L/∂W[o, c]: the gradient of
// the output projection gives every head's importance in one backward pass, without a head-mask
// input. Pruning a head zeroes its columns, which removes its contribution exactly (the kit masks
// the head; it does not shrink the matrices, so pruning heads saves no time here).

import Foundation
import Models
import TensorCore
import Training

extension Module {
  /// Writes `model.safetensors` to `directory` with every `QuantizedLinear` weight as I8 plus
  /// `_scale`, every other tensor as F32. (Write config.json and the tokenizer beside it as for
  /// a Float model.)
  public func saveQuantizedWeights(to directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var quantized: [String: QuantizedWeight] = [:]
    for (path, module) in namedModules() {
      if let q = module as? QuantizedLinear {
        quantized[path.isEmpty ? "weight" : path + ".weight"] = q.quantized
      }
    }
    var payloads: [(name: String, payload: SafetensorsPayload)] = []
    for (name, tensor) in stateDict() {
      if let q = quantized[name] {
        payloads += SafetensorsPayload.quantized(q, name: name)
      } else {
        payloads.append((name, try SafetensorsPayload(tensor)))
      }
    }
    try SafetensorsFile.write(payloads: payloads, to: directory.appendingPathComponent("model.safetensors"))
  }
}

/// The output projection of every layer's attention (weight (hidden, heads·headDim)) and the
/// number of heads: what head importance and head pruning act on. BERT: `attention.output.dense`;
/// GPT-2: `attn.c_proj`.
public func attentionOutputProjections(_ model: any PeftAdaptable) -> (weights: [Tensor], heads: Int) {
  if let bert = model as? BertForSequenceClassification {
    return (
      bert.bert.encoder.layer.map { $0.attention.output.dense.weight }, bert.bert.config.numAttentionHeads
    )
  }
  if let gpt = model as? GPT2ForSequenceClassification {
    return (gpt.transformer.h.map { $0.attn.cProj.weight }, gpt.transformer.config.nHead)
  }
  if let roberta = model as? RobertaForSequenceClassification {
    return (
      roberta.roberta.encoder.layer.map { $0.attention.output.dense.weight },
      roberta.roberta.config.numAttentionHeads
    )
  }
  return ([], 0)
}

/// The importance of every attention head of a classifier (layers × heads), as Michel et al.
/// measure it: the mean over `batches` of |∂L/∂ξ_h|, then normalised per layer (L2), as their
/// `--normalize_pruning_by_layer`. Gradients are cleared afterwards.
public func headImportance(_ model: any PeftAdaptable, batches: [ClassificationBatch]) throws -> [[Double]] {
  let (projections, heads) = attentionOutputProjections(model)
  var importance = [[Double]](repeating: [Double](repeating: 0, count: heads), count: projections.count)
  let wasTraining = model.training
  model.eval()
  let saved = projections.map(\.requiresGrad)
  for w in projections { w.requiresGrad = true }
  for batch in batches {
    for p in model.parameters() { p.grad = nil }
    let logits = try model.logits(inputIds: batch.inputIds, attentionMask: batch.attentionMask)
    classificationLoss(logits: logits, labels: batch.labels).backward()
    for (l, w) in projections.enumerated() {
      guard let g = w.grad else { continue }
      let (rows, columns) = (w.shape[0], w.shape[1])
      let headDim = columns / heads
      for h in 0..<heads {
        var s = 0.0
        for o in 0..<rows {
          for c in (h * headDim)..<((h + 1) * headDim) {
            s += Double(w.data[o * columns + c] * g.data[o * columns + c])
          }
        }
        importance[l][h] += abs(s) / Double(batches.count)
      }
    }
  }
  for p in model.parameters() { p.grad = nil }
  for (w, flag) in zip(projections, saved) { w.requiresGrad = flag }
  if wasTraining { model.train() }
  return importance.map { row in
    let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
    return norm > 0 ? row.map { $0 / norm } : row
  }
}

/// Removes the contribution of the given heads (layer, head) by zeroing their columns of each
/// layer's attention output projection; returns the masks that keep them zero in training.
@discardableResult
public func pruneHeads(_ model: any PeftAdaptable, _ pruned: [(layer: Int, head: Int)]) -> PruningMasks {
  let (projections, heads) = attentionOutputProjections(model)
  var masks = PruningMasks()
  let names = Dictionary(
    uniqueKeysWithValues: model.namedParameters().map { (ObjectIdentifier($0.tensor), $0.name) })
  for (l, w) in projections.enumerated() {
    let headDim = w.shape[1] / heads
    var mask = [Float](repeating: 1, count: w.count)
    for (pl, h) in pruned where pl == l {
      for o in 0..<w.shape[0] {
        for c in (h * headDim)..<((h + 1) * headDim) { mask[o * w.shape[1] + c] = 0 }
      }
    }
    if let name = names[ObjectIdentifier(w)] { masks.masks[name] = Tensor(mask, shape: w.shape) }
  }
  masks.apply(to: model)
  return masks
}
