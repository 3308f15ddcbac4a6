import ExerciseTesting
import Foundation
import Models
import TensorCore
import Training
import XCTest

/// Hidden checks of exercise 5.1: the edges of the schedule.
final class LinearWarmupDecayHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "5.1" }

  func testWarmupAsLongAsTheRun() {
    XCTAssertEqual(linearWarmupDecay(step: 4, totalSteps: 5, warmupSteps: 5), 0.8, accuracy: 1e-12)
    XCTAssertEqual(linearWarmupDecay(step: 5, totalSteps: 5, warmupSteps: 5), 0, accuracy: 1e-12)
  }

  func testMatchesTheFormulaEverywhere() {
    for step in 0..<40 {
      let expected = step < 7 ? Double(step) / 7 : max(0, Double(30 - step) / 23)
      XCTAssertEqual(linearWarmupDecay(step: step, totalSteps: 30, warmupSteps: 7), expected, accuracy: 1e-12)
    }
  }
}

/// Hidden checks of exercise 5.4: parameters without gradients, and exactness at the limit.
final class ClipGradNormHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "5.4" }

  func testParametersWithoutGradientsAreSkipped() {
    let a = Tensor(zeros: [2], requiresGrad: true)
    a.grad = Tensor([6, 8], shape: [2])
    let frozen = Tensor(zeros: [3], requiresGrad: true)
    XCTAssertEqual(clipGradNorm([frozen, a], maxNorm: 5), 10, accuracy: 1e-5)
    XCTAssertNil(frozen.grad)
    XCTAssertEqual(a.grad!.data[0], 3, accuracy: 1e-4)
    XCTAssertEqual(a.grad!.data[1], 4, accuracy: 1e-4)
  }

  func testMatrixGradients() {
    let w = Tensor(zeros: [2, 2], requiresGrad: true)
    w.grad = Tensor([1, 1, 1, 1], shape: [2, 2])
    XCTAssertEqual(clipGradNorm([w], maxNorm: 1), 2, accuracy: 1e-6)
    for g in w.grad!.data { XCTAssertEqual(g, 0.5, accuracy: 1e-5) }
  }
}

/// Hidden checks of exercise 5.3: a batch mean, several classes.
final class ClassificationLossHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "5.3" }

  func testBatchMeanWithSmoothing() {
    let rows: [[Float]] = [[0.5, -1, 2, 0], [3, 1, -2, 0.5], [0, 0, 0, 4]]
    let labels = [2, 1, 0]
    let eps: Float = 0.2
    var expected: Float = 0
    for (row, label) in zip(rows, labels) {
      let logZ = log(row.map { exp($0) }.reduce(0, +))
      let logp = row.map { $0 - logZ }
      expected += -((1 - eps) * logp[label] + eps * logp.reduce(0, +) / 4)
    }
    let loss = classificationLoss(
      logits: Tensor(rows.flatMap { $0 }, shape: [3, 4]), labels: labels, labelSmoothing: eps)
    XCTAssertEqual(loss.item, expected / 3, accuracy: 1e-5)
  }
}

/// A layer exercise 5.2's solution has never seen: its weight is decayed, its bias is not.
private final class UnseenLayer: Module {
  let weight = Tensor(zeros: [3, 2], requiresGrad: true)
  let bias = Tensor(zeros: [3], requiresGrad: true)
}

/// Hidden checks of exercise 5.2: the rule is the layer's type and the property, not a name.
final class WeightDecayGroupsHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "5.2" }

  func testAnyLayersWeightButNoBias() {
    XCTAssertTrue(isDecayed(parameterName: "weight", in: UnseenLayer()))
    XCTAssertFalse(isDecayed(parameterName: "bias", in: UnseenLayer()))
    XCTAssertFalse(isDecayed(parameterName: "bias", in: Embedding(4, 2)), "a bias is never decayed")
  }

  /// GPT-2 names its norms `ln_1`, `ln_2`, `ln_f`: none of them is decayed, every matrix is.
  func testGPT2DecayGroups() {
    var config = GPT2Config()
    (config.vocabSize, config.nPositions, config.nEmbd, config.nLayer, config.nHead) = (20, 12, 8, 1, 2)
    config.nInner = 16
    let model = GPT2ForSequenceClassification(config)
    XCTAssertEqual(
      decayParameterNames(model),
      [
        "transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.attn.c_attn.weight",
        "transformer.h.0.attn.c_proj.weight", "transformer.h.0.mlp.c_fc.weight",
        "transformer.h.0.mlp.c_proj.weight", "score.weight",
      ])
  }
}

/// A classifier whose logits depend on the token type ids (sentence pairs), without attention.
final class PairCountingClassifier: Module, SequenceClassifier {
  let linear = Linear(8, 2, generator: Generator(seed: 3))
  var numLabels: Int { 2 }
  var basePrefix: String { "pairs" }
  func save(to directory: URL) throws {}
  func logits(inputIds: [[Int]], attentionMask: [[Int]]) throws -> Tensor {
    try logits(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: nil)
  }
  func logits(inputIds: [[Int]], attentionMask: [[Int]], tokenTypeIds: [[Int]]?) throws -> Tensor {
    var counts = [Float](repeating: 0, count: inputIds.count * 8)
    for (r, row) in inputIds.enumerated() {
      for (t, id) in row.enumerated() where attentionMask[r][t] == 1 {
        counts[r * 8 + 4 * (tokenTypeIds?[r][t] ?? 0) + id] += 1
      }
    }
    return linear(Tensor(counts, shape: [inputIds.count, 8]))
  }
}

/// Hidden checks of exercise 5.5: warm-up from 0 with AdamW, and sentence pairs.
final class TrainingStepHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "5.5" }

  let batch = ClassificationBatch(
    inputIds: [[1, 2, 3, 1], [0, 3, 2, 2]], attentionMask: [[1, 1, 1, 1], [1, 1, 1, 0]],
    tokenTypeIds: [[0, 0, 1, 1], [0, 1, 1, 1]], labels: [1, 0])

  /// With a warm-up whose first rate is 0 (Hugging Face's), the first AdamW step moves nothing:
  /// a scheduler stepped before the optimizer would already use the second step's rate.
  func testTheFirstWarmupStepUsesRateZero() throws {
    let model = PairCountingClassifier()
    let before = model.parameters().map(\.data)
    let optimizer = AdamW(model.parameters(), learningRate: 0.1, weightDecay: 0.01)
    let scheduler = LambdaLR(optimizer, warmupSteps: 2, totalSteps: 10)
    let output = try trainingStep(model: model, batch: batch, optimizer: optimizer, scheduler: scheduler)
    XCTAssertTrue(output.loss.isFinite && output.gradNorm > 0)
    XCTAssertEqual(model.parameters().map(\.data), before, "step 0 of a warm-up has learning rate 0")
    XCTAssertEqual(optimizer.learningRate, 0.05, accuracy: 1e-7)
    _ = try trainingStep(model: model, batch: batch, optimizer: optimizer, scheduler: scheduler)
    XCTAssertNotEqual(model.parameters().map(\.data), before, "the second step moves the weights")
  }

  /// The second text of a pair must reach the model (token type ids passed on).
  func testSentencePairsKeepTheirSegments() throws {
    let (model, reference) = (PairCountingClassifier(), PairCountingClassifier())
    let optimizer = SGD(model.parameters(), learningRate: 0.5)
    let scheduler = LambdaLR(optimizer) { _ in 1 }
    let output = try trainingStep(
      model: model, batch: batch, optimizer: optimizer, scheduler: scheduler, maxGradNorm: 100)
    let loss = crossEntropy(
      try reference.logits(
        inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds),
      targets: batch.labels)
    XCTAssertEqual(output.loss, loss.item, accuracy: 1e-5, "the loss of the pair batch, segments included")
    loss.backward()
    for (p, q) in zip(model.parameters(), reference.parameters()) {
      for i in p.data.indices { XCTAssertEqual(p.data[i], q.data[i] - 0.5 * q.grad!.data[i], accuracy: 1e-5) }
    }
  }
}
