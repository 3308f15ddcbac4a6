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

/// The output projection of every layer's attention (weight (hidden, heads·headDim)) with the
/// number of heads it has now: what head importance acts on. BERT: `attention.output.dense`;
/// GPT-2: `attn.c_proj`; RoBERTa: as BERT.
public func attentionOutputProjections(_ model: any PeftAdaptable) -> [(weight: Tensor, heads: Int)] {
  if let bert = model as? BertForSequenceClassification {
    return zip(bert.bert.encoder.layer, bert.headsPerLayer).map { ($0.attention.output.dense.weight, $1) }
  }
  if let gpt = model as? GPT2ForSequenceClassification {
    return zip(gpt.transformer.h, gpt.headsPerLayer).map { ($0.attn.cProj.weight, $1) }
  }
  if let roberta = model as? RobertaForSequenceClassification {
    return zip(roberta.roberta.encoder.layer, roberta.headsPerLayer).map {
      ($0.attention.output.dense.weight, $1)
    }
  }
  return []
}

/// The importance of every attention head of a classifier (layers × the heads each has now), as
/// Michel et al. measure it: the mean over `batches` of |∂L/∂ξ_h|, then normalised per layer
/// (L2), as their `--normalize_pruning_by_layer`. Gradients are cleared afterwards.
public func headImportance(_ model: any PeftAdaptable, batches: [ClassificationBatch]) throws -> [[Double]] {
  let projections = attentionOutputProjections(model)
  var importance = projections.map { [Double](repeating: 0, count: $0.heads) }
  let wasTraining = model.training
  model.eval()
  let saved = projections.map(\.weight.requiresGrad)
  for (w, _) in projections { w.requiresGrad = true }
  for batch in batches {
    for p in model.parameters() { p.grad = nil }
    let logits = try model.logits(inputIds: batch.inputIds, attentionMask: batch.attentionMask)
    classificationLoss(logits: logits, labels: batch.labels).backward()
    for (l, (w, heads)) in projections.enumerated() {
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
  for ((w, _), flag) in zip(projections, saved) { w.requiresGrad = flag }
  if wasTraining { model.train() }
  return importance.map { row in
    let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
    return norm > 0 ? row.map { $0 / norm } : row
  }
}

/// Removes the given heads (layer, head) from a BERT, RoBERTa or GPT-2 classifier's matrices
/// (`HeadPrunable.pruneHeads`; head numbers as in the unpruned model). Throws for another model,
/// or a request `pruneHeads` refuses.
public func pruneHeads(_ model: any PeftAdaptable, _ pruned: [(layer: Int, head: Int)]) throws {
  guard let prunable = model as? any HeadPrunable else {
    throw HeadPruningError(
      "\(type(of: model)) cannot have heads removed; BERT, RoBERTa and GPT-2 classifiers can")
  }
  try prunable.pruneHeads(Dictionary(grouping: pruned, by: \.layer).mapValues { $0.map(\.head) })
}

/// The heads to remove, least important first, with their original numbers: `importance` as
/// `headImportance` gives it (the heads each layer has now), skipping any head whose removal
/// would leave its layer empty; at most `count` of them.
public func leastImportantHeads(_ model: any HeadPrunable, importance: [[Double]], count: Int = .max) -> [(
  layer: Int, head: Int
)] {
  // Current head index → original number: the heads not yet removed, in order.
  let originals = importance.indices.map { l in
    let removed = model.prunedHeads[l] ?? []
    return (0..<(importance[l].count + removed.count)).filter { !removed.contains($0) }
  }
  let ranked = importance.enumerated().flatMap { l, row in row.enumerated().map { (l, $0, $1) } }
    .sorted { ($0.2, $0.0, $0.1) < ($1.2, $1.0, $1.1) }
  var left = importance.map(\.count)
  var chosen: [(layer: Int, head: Int)] = []
  for (layer, current, _) in ranked where chosen.count < count && left[layer] > 1 {
    left[layer] -= 1
    chosen.append((layer, originals[layer][current]))
  }
  return chosen
}
