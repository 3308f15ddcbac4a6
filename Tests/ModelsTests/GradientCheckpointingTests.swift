import XCTest

@testable import Models
@testable import TensorCore

/// `gradientCheckpointingEnable()` (transformers' name): the same loss and the same gradients for
/// every parameter, dropout included, with fewer activations kept; off in evaluation mode.
final class GradientCheckpointingTests: XCTestCase {
  let ids = [[3, 7, 1, 9, 4, 2], [5, 5, 8, 2, 0, 0]]
  let mask = [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]]

  /// The loss and every parameter's gradient of one forward/backward pass (dropout on).
  func gradients(_ model: Module, checkpointed: Bool, logits: () throws -> Tensor) rethrows -> (
    loss: Float, grads: [String: [Float]], bytes: Int
  ) {
    if checkpointed { model.gradientCheckpointingEnable() } else { model.gradientCheckpointingDisable() }
    XCTAssertEqual(model.isGradientCheckpointing, checkpointed)
    model.train()
    for p in model.parameters() { p.grad = nil }
    manualSeed(11)  // the layers' dropout draws from the default generator
    let out = try logits()
    let loss = (out * out).sum()
    let bytes = graphActivationBytes(loss)
    loss.backward()
    var grads: [String: [Float]] = [:]
    for (name, p) in model.namedParameters() { grads[name] = p.grad?.data }
    return (loss.item, grads, bytes)
  }

  func assertSame(
    _ a: (loss: Float, grads: [String: [Float]], bytes: Int),
    _ b: (loss: Float, grads: [String: [Float]], bytes: Int)
  ) {
    XCTAssertEqual(a.loss, b.loss, accuracy: 1e-5)
    XCTAssertEqual(Set(a.grads.keys), Set(b.grads.keys))
    for (name, g) in a.grads {
      let h = b.grads[name] ?? []
      XCTAssertEqual(g.count, h.count, name)
      XCTAssertEqual(g.count, g.filter(\.isFinite).count, name)
      for (u, v) in zip(g, h) { XCTAssertEqual(u, v, accuracy: 1e-5, name) }
    }
    XCTAssertLessThan(b.bytes, a.bytes, "the checkpointed graph keeps fewer activations")
  }

  func testBertClassifierSameGradients() throws {
    try skipUnlessAttentionExercisesDone()
    var config = BertConfig.tiny(vocabSize: 12, numHiddenLayers: 3)
    config.hiddenDropoutProb = 0.2
    config.attentionProbsDropoutProb = 0.2
    let model = BertForSequenceClassification(config, generator: Generator(seed: 3))
    let logits = { try model(inputIds: self.ids, attentionMask: self.mask) }
    assertSame(
      try gradients(model, checkpointed: false, logits: logits),
      try gradients(model, checkpointed: true, logits: logits))
  }

  func testGPT2SameGradients() throws {
    try skipUnlessAttentionExercisesDone()
    let model = GPT2Model(.tiny(vocabSize: 12, nLayer: 3), generator: Generator(seed: 4))
    let logits = { try model(inputIds: self.ids, attentionMask: self.mask).lastHiddenState }
    assertSame(
      try gradients(model, checkpointed: false, logits: logits),
      try gradients(model, checkpointed: true, logits: logits))
  }

  func testEvaluationModeRunsTheLayersPlainly() throws {
    try skipUnlessAttentionExercisesDone()
    let model = GPT2Model(.tiny(vocabSize: 12, nLayer: 2), generator: Generator(seed: 5))
    model.gradientCheckpointingEnable()
    model.eval()
    let output = try model(inputIds: ids, attentionMask: mask)
    XCTAssertEqual(output.attentions.count, 2, "attention weights are still returned")
    XCTAssertFalse(output.lastHiddenState.parents.contains { $0.op == "checkpoint" })
  }
}
