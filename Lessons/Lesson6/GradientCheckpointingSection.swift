// Lesson 6, section 7: gradient checkpointing on a deeper BERT, activations kept and step time
// with and without, and the gradients compared. Called from main.swift.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// Section 7.
@MainActor func gradientCheckpointingSection() throws {
  nb.section("7. Gradient checkpointing: memory for compute")
  let deepConfig: BertConfig = {
    var config = BertConfig.tiny(
      vocabSize: tokenizer.vocabularySize, hiddenSize: 128, numHiddenLayers: quick ? 4 : 8,
      numAttentionHeads: 2,
      intermediateSize: 512, maxPositionEmbeddings: 64, numLabels: labelNames.count)
    config.classifierPooling = "mean"
    return config
  }()
  nb.narrate(
    """
    Training keeps every layer's activations until the backward pass needs them, so activation \
    memory grows with depth, batch and sequence length, and it is what runs out first on a GPU. \
    Gradient checkpointing (transformers' `gradient_checkpointing_enable()`) keeps only each \
    layer's input, and runs the layer again during the backward pass to get the rest. Turned on, \
    the encoder runs each layer as one `checkpoint` segment (Sources/Models/GradientCheckpointing.swift), \
    whose dropout is replayed from the same random state in the recomputation. The model is a \
    deeper BERT (\(deepConfig.numHiddenLayers) layers, hidden \(deepConfig.hiddenSize)), a batch \
    of 16 sequences of 64 tokens:
    """)
  let deepModel = BertForSequenceClassification(deepConfig, generator: Generator(seed: 1))
  let deepGenerator = Generator(seed: 7)
  let deepIds = (0..<16 * 64).map { _ in 5 + deepGenerator.int(below: tokenizer.vocabularySize - 5) }
  let deepLabels = (0..<16).map { $0 % labelNames.count }
  let deepIdRows = (0..<16).map { Array(deepIds[($0 * 64)..<(($0 + 1) * 64)]) }
  let deepMask = Array(repeating: Array(repeating: 1, count: 64), count: 16)
  nb.cell("checkpointing")
  // cell: checkpointing
  // Inside BertEncoder, each layer then runs as checkpoint(hidden, parameters: layer.parameters()) { ... }.
  /// One training step's loss, activation bytes, time and gradients, with or without checkpointing.
  func deepStep(checkpointed: Bool) throws -> (bytes: Int, seconds: Double, grads: [[Float]]) {
    if checkpointed {
      deepModel.gradientCheckpointingEnable()
    } else {
      deepModel.gradientCheckpointingDisable()
    }
    deepModel.train()
    manualSeed(11)  // the same dropout masks in both runs
    let start = Date()
    let logits = try deepModel(inputIds: deepIdRows, attentionMask: deepMask)
    let loss = classificationLoss(logits: logits, labels: deepLabels)
    let bytes = graphActivationBytes(loss)
    loss.backward()
    let seconds = Date().timeIntervalSince(start)
    let grads = deepModel.parameters().map { $0.grad?.data ?? [] }
    deepModel.parameters().forEach { $0.grad = nil }
    return (bytes, seconds, grads)
  }
  // end cell: checkpointing
  var plainSteps: [(bytes: Int, seconds: Double, grads: [[Float]])] = []
  var checkpointedSteps: [(bytes: Int, seconds: Double, grads: [[Float]])] = []
  for _ in 0..<(quick ? 1 : 2) {
    plainSteps.append(try deepStep(checkpointed: false))
    checkpointedSteps.append(try deepStep(checkpointed: true))
  }
  let largestDifference =
    zip(plainSteps[0].grads, checkpointedSteps[0].grads).map { a, b in
      zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }.max() ?? 0
  let plainSeconds = plainSteps.map(\.seconds).min() ?? .nan
  let checkpointedSeconds = checkpointedSteps.map(\.seconds).min() ?? .nan
  nb.table(
    headers: ["", "activations kept for backward", "step time (best of \(plainSteps.count))"],
    rows: [
      [
        "without checkpointing", String(format: "%.1f MB", Double(plainSteps[0].bytes) / 1e6),
        String(format: "%.2f s", plainSeconds),
      ],
      [
        "with checkpointing", String(format: "%.1f MB", Double(checkpointedSteps[0].bytes) / 1e6),
        String(format: "%.2f s", checkpointedSeconds),
      ],
    ], title: "\(deepConfig.numHiddenLayers)-layer BERT, batch 16 × 64 tokens, one training step")
  nb.narrate(
    """
    The graph kept \(String(format: "%.1f", Double(plainSteps[0].bytes) / 1e6)) MB of activations \
    without checkpointing and \(String(format: "%.1f", Double(checkpointedSteps[0].bytes) / 1e6)) MB \
    with it (`graphActivationBytes` counts the intermediate tensors the graph holds; each layer's \
    own activations then exist only while its gradients are computed, on top of these). The \
    step took \(nb.measured(String(format: "%+.0f%%", 100 * (checkpointedSeconds / plainSeconds - 1)))) time for \
    the second forward pass (Hugging Face's documentation says about 20% slower). The gradients \
    are the same: the largest difference over every parameter was \
    \(String(format: "%.1g", largestDifference)). While one layer is recomputed its own \
    activations exist too, so the peak is about \
    \(String(format: "%.0f", (Double(checkpointedSteps[0].bytes) + Double(plainSteps[0].bytes) / Double(deepConfig.numHiddenLayers)) / 1e6)) MB \
    (kept ones plus one layer's share), still far below. On a 2-layer model like bert-mini there is little \
    to save; the trade pays off when the activations, not the weights, fill the memory.
    """)
  nb.record("checkpointing_activation_bytes_plain", plainSteps[0].bytes)
  nb.record("checkpointing_activation_bytes_checkpointed", checkpointedSteps[0].bytes)
  nb.record("checkpointing_step_seconds_plain", plainSeconds)
  nb.record("checkpointing_step_seconds_checkpointed", checkpointedSeconds)
  nb.record("checkpointing_largest_gradient_difference", Double(largestDifference))
}
