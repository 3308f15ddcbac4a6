import ExerciseTesting
import Foundation
import Models
import PEFT
import TensorCore
import Training
import XCTest

/// int8 quantization, magnitude pruning and head pruning on a small random BERT classifier.
final class CompressionTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessPEFTExercisesDone()
    try skipUnlessExercisesDone {
      _ = quantizePerChannel(Tensor(zeros: [1, 1]))
      _ = magnitudeMask([1], sparsity: 0)
    }
  }

  let ids = [[2, 7, 9, 11, 3, 0], [2, 5, 6, 8, 10, 3]]
  let mask = [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]]

  func bert() -> BertForSequenceClassification {
    let config = BertConfig(
      vocabSize: 40, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 64,
      maxPositionEmbeddings: 24)
    let model = BertForSequenceClassification(config, generator: Generator(seed: 11))
    model.eval()
    return model
  }

  func testQuantizedModelIsCloseAndSmaller() throws {
    let model = bert()
    let before = try noGrad { try model.logits(inputIds: ids, attentionMask: mask) }.data
    let floatDir = FileManager.default.temporaryDirectory.appendingPathComponent("kit-float")
    try model.saveWeights(to: floatDir)
    let replaced = try model.quantizeDynamic()
    XCTAssertEqual(
      replaced.count, 2 * 6 + 2,
      "q, k, v, attention output, intermediate, output per layer; pooler, classifier")
    let after = try noGrad { try model.logits(inputIds: ids, attentionMask: mask) }.data
    for (a, b) in zip(before, after) { XCTAssertEqual(a, b, accuracy: 2e-3) }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kit-int8")
    try model.saveQuantizedWeights(to: dir)
    let file = try SafetensorsFile(contentsOf: dir.appendingPathComponent("model.safetensors"))
    let q = try file.quantizedWeight("bert.encoder.layer.0.attention.self.query.weight")
    XCTAssertEqual(q.shape, [32, 32])
    func size(_ d: URL) throws -> Int {
      try FileManager.default.attributesOfItem(atPath: d.appendingPathComponent("model.safetensors").path)[
        .size] as! Int
    }
    XCTAssertLessThan(try size(dir), try size(floatDir))
  }

  func testPrunedWeightsStayZeroThroughTraining() throws {
    let model = bert()
    let masks = model.globalMagnitudePrune(sparsity: 0.5)
    XCTAssertEqual(masks.sparsity, 0.5, accuracy: 1e-3)
    let optimizer = makeAdamW(model, learningRate: 0.01, weightDecay: 0)
    model.train()
    for _ in 0..<3 {
      optimizer.zeroGrad()
      classificationLoss(logits: try model.logits(inputIds: ids, attentionMask: mask), labels: [0, 1])
        .backward()
      optimizer.step()
      masks.apply(to: model)
    }
    let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor) })
    for (name, m) in masks.masks {
      let w = parameters[name]!
      for i in 0..<w.count where m.data[i] == 0 { XCTAssertEqual(w.data[i], 0, name) }
    }
    // Without the mask, the optimizer would have moved them.
    XCTAssertTrue(masks.masks.keys.contains("bert.encoder.layer.0.attention.self.query.weight"))
  }

  func testHeadImportanceAndPruning() throws {
    let model = bert()
    let batch = ClassificationBatch(inputIds: ids, attentionMask: mask, labels: [0, 1])
    let importance = try headImportance(model, batches: [batch])
    XCTAssertEqual(importance.count, 2)
    XCTAssertEqual(importance[0].count, 4)
    XCTAssertTrue(importance.joined().allSatisfy { $0 >= 0 && $0.isFinite })
    XCTAssertNil(model.bert.encoder.layer[0].attention.output.dense.weight.grad, "gradients cleared")
    // Removing heads 0, 1 and 3 of layer 0 equals zeroing their columns of the output projection.
    let reference = bert()
    let w = reference.bert.encoder.layer[0].attention.output.dense.weight
    let headDim = w.shape[1] / 4
    for o in 0..<w.shape[0] {
      for h in [0, 1, 3] { for c in (h * headDim)..<((h + 1) * headDim) { w.data[o * w.shape[1] + c] = 0 } }
    }
    try pruneHeads(model, [0, 1, 3].map { (0, $0) })
    XCTAssertEqual(model.headsPerLayer, [1, 4])
    let a = try noGrad { try model.logits(inputIds: ids, attentionMask: mask) }.data
    let b = try noGrad { try reference.logits(inputIds: ids, attentionMask: mask) }.data
    XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()!, 1e-5)
    XCTAssertEqual(try headImportance(model, batches: [batch]).map(\.count), [1, 4])
  }
}
