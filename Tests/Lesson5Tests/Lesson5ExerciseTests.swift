import ExerciseTesting
import Foundation
import Models
import TensorCore
import Training
import XCTest

/// Exercise 5.1: `linearWarmupDecay` (Sources/Training/Schedules.swift).
final class LinearWarmupDecayTests: ExerciseTestCase {
  override class var exerciseID: String { "5.1" }

  func testWarmupRisesFromZero() {
    XCTAssertEqual(linearWarmupDecay(step: 0, totalSteps: 10, warmupSteps: 4), 0, accuracy: 1e-12)
    XCTAssertEqual(linearWarmupDecay(step: 1, totalSteps: 10, warmupSteps: 4), 0.25, accuracy: 1e-12)
    XCTAssertEqual(linearWarmupDecay(step: 3, totalSteps: 10, warmupSteps: 4), 0.75, accuracy: 1e-12)
  }

  func testDecayFallsToZeroAtTheEnd() {
    XCTAssertEqual(linearWarmupDecay(step: 4, totalSteps: 10, warmupSteps: 4), 1, accuracy: 1e-12)
    XCTAssertEqual(linearWarmupDecay(step: 7, totalSteps: 10, warmupSteps: 4), 0.5, accuracy: 1e-12)
    XCTAssertEqual(linearWarmupDecay(step: 10, totalSteps: 10, warmupSteps: 4), 0, accuracy: 1e-12)
    XCTAssertEqual(
      linearWarmupDecay(step: 12, totalSteps: 10, warmupSteps: 4), 0, accuracy: 1e-12, "never negative")
  }

  func testNoWarmupStartsAtTheFullRate() {
    XCTAssertEqual(linearWarmupDecay(step: 0, totalSteps: 4, warmupSteps: 0), 1, accuracy: 1e-12)
    XCTAssertEqual(linearWarmupDecay(step: 1, totalSteps: 4, warmupSteps: 0), 0.75, accuracy: 1e-12)
  }
}

/// Exercise 5.2: `clipGradNorm` (Sources/Training/Optimization.swift).
final class ClipGradNormTests: ExerciseTestCase {
  override class var exerciseID: String { "5.2" }

  func parameter(_ gradient: [Float]) -> Tensor {
    let p = Tensor(zeros: [gradient.count], requiresGrad: true)
    p.grad = Tensor(gradient, shape: [gradient.count])
    return p
  }

  func testLargeGradientsAreScaledToTheMaximumNorm() {
    // Global norm of (3, 4) and (12): √(9 + 16 + 144) = 13.
    let (a, b) = (parameter([3, 4]), parameter([12]))
    XCTAssertEqual(clipGradNorm([a, b], maxNorm: 1), 13, accuracy: 1e-5, "returns the norm before clipping")
    XCTAssertEqual(a.grad!.data[0], 3 / 13, accuracy: 1e-5)
    XCTAssertEqual(a.grad!.data[1], 4 / 13, accuracy: 1e-5)
    XCTAssertEqual(b.grad!.data[0], 12 / 13, accuracy: 1e-5, "one scale for all parameters together")
  }

  func testSmallGradientsAreLeftAlone() {
    let a = parameter([0.3, -0.4])
    XCTAssertEqual(clipGradNorm([a], maxNorm: 1), 0.5, accuracy: 1e-6)
    XCTAssertEqual(a.grad!.data, [0.3, -0.4])
  }
}

/// Exercise 5.3: `classificationLoss` (Sources/Training/Classification.swift).
final class ClassificationLossTests: ExerciseTestCase {
  override class var exerciseID: String { "5.3" }

  func testWithoutSmoothingItIsCrossEntropy() {
    let logits = Tensor([2, 0, 0, 1], shape: [2, 2])
    let expected = (Foundation.log(1 + exp(-2.0)) + Foundation.log(1 + exp(1.0))) / 2
    XCTAssertEqual(Double(classificationLoss(logits: logits, labels: [0, 0]).item), expected, accuracy: 1e-5)
  }

  func testSmoothingSpreadsTheTarget() {
    // Equal logits: every log-probability is log(1/3), whatever the smoothing.
    let flat = Tensor(zeros: [1, 3])
    XCTAssertEqual(
      classificationLoss(logits: flat, labels: [2], labelSmoothing: 0.3).item, log(3), accuracy: 1e-5)
    // A confident right answer costs more with smoothing than without.
    let sure = Tensor([10, 0, 0], shape: [1, 3])
    XCTAssertGreaterThan(
      classificationLoss(logits: sure, labels: [0], labelSmoothing: 0.1).item,
      classificationLoss(logits: sure, labels: [0]).item + 0.5)
  }

  func testGradientIsSoftmaxMinusTarget() {
    let logits = Tensor([1, 2, 3], shape: [1, 3], requiresGrad: true)
    classificationLoss(logits: logits, labels: [1]).backward()
    guard let grad = logits.grad else { return XCTFail("the loss does not reach the logits' gradient") }
    let e = [1.0, 2.0, 3.0].map { exp($0) }
    let p = e.map { $0 / e.reduce(0, +) }
    for (i, g) in grad.data.enumerated() {
      XCTAssertEqual(Double(g), p[i] - (i == 1 ? 1 : 0), accuracy: 1e-5)
    }
  }
}

/// Exercise 5.4: `isDecayed(parameterName:in:)` (Sources/Training/Optimization.swift).
final class WeightDecayGroupsTests: ExerciseTestCase {
  override class var exerciseID: String { "5.4" }

  func testWeightMatricesAndEmbeddingsAreDecayed() {
    XCTAssertTrue(isDecayed(parameterName: "weight", in: Linear(4, 3)))
    XCTAssertTrue(
      isDecayed(parameterName: "weight", in: Embedding(10, 4)), "embedding tables are decayed too")
  }

  func testBiasesAndLayerNormsAreNot() {
    XCTAssertFalse(isDecayed(parameterName: "bias", in: Linear(4, 3)))
    XCTAssertFalse(isDecayed(parameterName: "weight", in: LayerNorm(4)), "a LayerNorm's weight is a scale")
    XCTAssertFalse(isDecayed(parameterName: "bias", in: LayerNorm(4)))
  }

  /// BERT's groups: every Linear and Embedding weight, nothing of its LayerNorms or biases.
  func testBertDecayGroups() {
    var config = BertConfig()
    (config.vocabSize, config.hiddenSize, config.numHiddenLayers) = (20, 8, 1)
    (config.numAttentionHeads, config.intermediateSize, config.maxPositionEmbeddings) = (2, 16, 12)
    let model = BertForSequenceClassification(config)
    let decayed = decayParameterNames(model)
    XCTAssertEqual(
      decayed,
      [
        "bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight",
        "bert.embeddings.token_type_embeddings.weight",
        "bert.encoder.layer.0.attention.self.query.weight", "bert.encoder.layer.0.attention.self.key.weight",
        "bert.encoder.layer.0.attention.self.value.weight",
        "bert.encoder.layer.0.attention.output.dense.weight",
        "bert.encoder.layer.0.intermediate.dense.weight", "bert.encoder.layer.0.output.dense.weight",
        "bert.pooler.dense.weight", "classifier.weight",
      ])
  }
}
