import ExerciseTesting
import Foundation
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

/// Exercise 5.4: `isDecayed(parameterName:)` (Sources/Training/Optimization.swift).
final class WeightDecayGroupsTests: ExerciseTestCase {
  override class var exerciseID: String { "5.4" }

  func testWeightsAreDecayed() {
    for name in [
      "bert.encoder.layer.0.attention.self.query.weight", "bert.embeddings.word_embeddings.weight",
      "classifier.weight", "transformer.h.0.attn.c_attn.weight",
    ] {
      XCTAssertTrue(isDecayed(parameterName: name), name)
    }
  }

  func testBiasesAndLayerNormsAreNot() {
    for name in [
      "bert.encoder.layer.0.attention.self.query.bias", "bert.embeddings.LayerNorm.weight",
      "bert.encoder.layer.1.output.LayerNorm.bias", "transformer.h.0.ln_1.weight", "transformer.ln_f.weight",
      "classifier.bias",
    ] {
      XCTAssertFalse(isDecayed(parameterName: name), name)
    }
  }
}
