// Freezing: which parameters a fine-tuning run may change. ULMFiT's arms (Howard and Ruder
// 2018, Table 7) and the freezing options of `course finetune` are built from these: the new
// head only ("Last"), the head and the top layers, everything, or a schedule that unfreezes one
// layer per epoch from the top (GradualUnfreezing.swift).
//
// A parameter's place in the stack is read from its name, as checkpoints name it: the
// embeddings (`bert.embeddings.…`, `transformer.wte`, `transformer.wpe`), layer i
// (`bert.encoder.layer.i.…`, `transformer.h.i.…`), and the rest above the layers (BERT's pooler,
// the classifier, GPT-2's final LayerNorm and `score`).

import Foundation
import TensorCore

/// The encoder layer a parameter belongs to, read from its name (`bert.encoder.layer.3.…` → 3,
/// `transformer.h.0.…` → 0), or nil for embeddings and everything above the layers.
public func layerIndex(ofParameter name: String) -> Int? {
  let parts = name.split(separator: ".")
  for (i, part) in parts.enumerated() where (part == "layer" || part == "h") && i + 1 < parts.count {
    if let index = Int(parts[i + 1]) { return index }
  }
  return nil
}

/// Whether a parameter is one of the input embeddings (word, position, token type, and their
/// LayerNorm in BERT).
public func isEmbeddingParameter(_ name: String) -> Bool {
  name.contains("embeddings.") || name.hasSuffix(".wte.weight") || name.hasSuffix(".wpe.weight")
    || name == "wte.weight" || name == "wpe.weight"
}

/// The number of encoder layers of `model`: one more than the largest layer index in its
/// parameter names (0 if it has none).
public func encoderLayerCount(_ model: Module) -> Int {
  (model.namedParameters().compactMap { layerIndex(ofParameter: $0.name) }.max() ?? -1) + 1
}

/// A parameter's depth in the stack: 0 for the embeddings, i + 1 for layer i, and `layers + 1`
/// for everything above the layers (pooler, classifier, final LayerNorm). Discriminative
/// learning rates and gradual unfreezing both count from the top by this depth.
public func layerDepth(ofParameter name: String, layers: Int) -> Int {
  if let index = layerIndex(ofParameter: name) { return index + 1 }
  return isEmbeddingParameter(name) ? 0 : layers + 1
}

/// Freezes the pre-trained encoder (every parameter under `basePrefix`, e.g. `bert`), so only
/// the new head trains: ULMFiT's "Last", the computer-vision recipe (`course finetune
/// --freeze-base`). BERT's pooler is part of the encoder's names but new in a classifier built
/// from an MLM checkpoint, so the pooler is left trainable with the head.
public func freezeBase(_ model: Module, basePrefix: String) {
  model.freeze { $0.hasPrefix(basePrefix + ".") && !$0.hasPrefix(basePrefix + ".pooler.") }
}

/// Freezes the embeddings and the first `count` encoder layers (`course finetune
/// --freeze-layers K`): the layers above them and the head keep training. `count` may be 0
/// (embeddings only) up to the number of layers (the whole encoder).
public func freezeLayers(_ model: Module, count: Int) {
  model.freeze { name in
    if let index = layerIndex(ofParameter: name) { return index < count }
    return isEmbeddingParameter(name)
  }
}

/// Freezes every parameter whose depth (`layerDepth`) is below `depth`, and unfreezes the rest:
/// `depth = layers + 1` trains the head only, `depth = 0` everything.
public func trainOnlyFromDepth(_ model: Module, depth: Int) {
  let layers = encoderLayerCount(model)
  for (name, tensor) in model.namedParameters() {
    tensor.requiresGrad = layerDepth(ofParameter: name, layers: layers) >= depth
  }
}

/// The number of elements in trainable and in all parameters, and the trainable share.
public func trainableParameterCounts(_ model: Module) -> (trainable: Int, all: Int, percent: Double) {
  let (trainable, all) = (model.parameterCount(trainableOnly: true), model.parameterCount())
  return (trainable, all, all == 0 ? 0 : 100 * Double(trainable) / Double(all))
}
