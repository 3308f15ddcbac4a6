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

/// Exercise 5.4: `clipGradNorm` (Sources/Training/Optimization.swift).
final class ClipGradNormTests: ExerciseTestCase {
  override class var exerciseID: String { "5.4" }

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

/// Exercise 5.2: `isDecayed(parameterName:in:)` (Sources/Training/Optimization.swift).
final class WeightDecayGroupsTests: ExerciseTestCase {
  override class var exerciseID: String { "5.2" }

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

/// A classifier without attention (so the tests of 5.5 need no other lesson's exercises): the
/// logits are a linear map of the batch's token counts, real tokens only; with `segments`, a
/// token of the second text counts in a second block of features.
final class CountingClassifier: Module, SequenceClassifier {
  let linear: Linear
  let vocabulary: Int
  let segments: Int

  init(vocabulary: Int, classes: Int, segments: Int = 1, seed: UInt64 = 7) {
    self.vocabulary = vocabulary
    self.segments = segments
    linear = Linear(vocabulary * segments, classes, generator: Generator(seed: seed))
  }

  var numLabels: Int { linear.weight.shape[0] }
  var basePrefix: String { "counting" }
  func save(to directory: URL) throws {}

  func logits(inputIds: [[Int]], attentionMask: [[Int]]) throws -> Tensor {
    try logits(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: nil)
  }

  func logits(inputIds: [[Int]], attentionMask: [[Int]], tokenTypeIds: [[Int]]?) throws -> Tensor {
    let width = vocabulary * segments
    var counts = [Float](repeating: 0, count: inputIds.count * width)
    for (r, row) in inputIds.enumerated() {
      for (t, id) in row.enumerated() where attentionMask[r][t] == 1 {
        let segment = min(tokenTypeIds?[r][t] ?? 0, segments - 1)
        counts[r * width + segment * vocabulary + id] += 1
      }
    }
    return linear(Tensor(counts, shape: [inputIds.count, width]))  // (batch, classes)
  }
}

/// The step written out with the kit's own ops (cross-entropy and clipping by hand, so the
/// reference needs no exercise), for comparison with `trainingStep`.
func referenceStep(
  _ model: CountingClassifier, _ batch: ClassificationBatch, learningRate: Float, maxNorm: Float
) throws -> (loss: Float, norm: Float) {
  let loss = crossEntropy(
    try model.logits(
      inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds),
    targets: batch.labels)
  loss.backward()
  let parameters = model.parameters()
  let norm = parameters.compactMap(\.grad).flatMap(\.data).reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
  let scale = min(1, maxNorm / (norm + 1e-6))
  for p in parameters {
    for i in p.data.indices { p.data[i] -= learningRate * scale * p.grad!.data[i] }
    p.grad = nil
  }
  return (loss.item, norm)
}

/// Exercise 5.5: `trainingStep` (Sources/Training/TrainingStep.swift).
final class TrainingStepTests: ExerciseTestCase {
  override class var exerciseID: String { "5.5" }

  let batches = [
    ClassificationBatch(
      inputIds: [[1, 2, 3, 0], [4, 4, 5, 2]], attentionMask: [[1, 1, 1, 0], [1, 1, 1, 1]], labels: [0, 1]),
    ClassificationBatch(
      inputIds: [[5, 1, 0, 0], [3, 3, 3, 3]], attentionMask: [[1, 1, 0, 0], [1, 1, 1, 1]], labels: [1, 0]),
  ]

  func assertSameParameters(_ a: Module, _ b: Module, _ message: String, line: UInt = #line) {
    for (p, q) in zip(a.parameters(), b.parameters()) {
      for (x, y) in zip(p.data, q.data) {
        XCTAssertEqual(x, y, accuracy: 1e-5, message, line: line)
      }
    }
  }

  /// Two steps with SGD, a schedule that halves the rate each step, and clipping that bites:
  /// the parameters must follow forward, loss, backward, clip, step, schedule, clear.
  func testTwoStepsFollowTheLoopWrittenOut() throws {
    let (model, reference) = (
      CountingClassifier(vocabulary: 6, classes: 2), CountingClassifier(vocabulary: 6, classes: 2)
    )
    let optimizer = SGD(model.parameters(), learningRate: 0.8)
    let scheduler = LambdaLR(optimizer) { pow(0.5, Double($0)) }
    for (step, batch) in batches.enumerated() {
      let rate = 0.8 * Float(pow(0.5, Double(step)))
      let expected = try referenceStep(reference, batch, learningRate: rate, maxNorm: 0.05)
      let output = try trainingStep(
        model: model, batch: batch, optimizer: optimizer, scheduler: scheduler, maxGradNorm: 0.05)
      XCTAssertEqual(
        output.loss, expected.loss, accuracy: 1e-5, "step \(step + 1): the loss before the update")
      XCTAssertEqual(
        output.gradNorm, expected.norm, accuracy: 1e-4, "step \(step + 1): the norm measured before clipping")
      assertSameParameters(
        model, reference,
        "step \(step + 1): the update uses clipped gradients of this batch only, at this step's learning rate"
      )
    }
  }

  func testGradientsAreClearedAndTheScheduleMovesOn() throws {
    let model = CountingClassifier(vocabulary: 6, classes: 2)
    let optimizer = SGD(model.parameters(), learningRate: 0.1)
    let scheduler = LambdaLR(optimizer) { $0 == 0 ? 1 : 0.25 }
    _ = try trainingStep(model: model, batch: batches[0], optimizer: optimizer, scheduler: scheduler)
    XCTAssertTrue(
      model.parameters().allSatisfy { $0.grad == nil }, "the gradients are cleared for the next step")
    XCTAssertEqual(scheduler.stepCount, 1, "one scheduler step per training step")
    XCTAssertEqual(optimizer.learningRate, 0.025, accuracy: 1e-7, "the next step's learning rate is set")
  }
}
