import ExerciseTesting
import Foundation
import Models
import TensorCore
import Tokenizers
import XCTest

@testable import Training

/// Lesson 6's strategies on the tiny task: freezing keeps weights bit-identical, discriminative
/// rates reach their groups, gradual unfreezing opens one depth per epoch, L2-SP holds the
/// weights closer, the slanted triangular schedule and the range test.
final class FineTuningStrategiesTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "strategies-\(UUID().uuidString)")
  }

  override func tearDown() { try? FileManager.default.removeItem(at: directory) }

  /// A two-layer tiny BERT classifier.
  func model(seed: UInt64 = 3) -> BertForSequenceClassification {
    var config = BertConfig.tiny(vocabSize: TinyTask.tokenizer.vocabularySize, numHiddenLayers: 2)
    config.hiddenDropoutProb = 0
    config.attentionProbsDropoutProb = 0
    return BertForSequenceClassification(config, generator: Generator(seed: seed))
  }

  func trainer(
    _ model: BertForSequenceClassification, epochs: Double = 2, callbacks: [TrainerCallback] = [],
    optimizer: (any Optimizer)? = nil
  ) throws -> SequenceClassificationTrainer {
    var args = TinyTask.arguments(directory)
    args.numTrainEpochs = epochs
    args.saveStrategy = .no
    return try Trainer(
      model: model, args: args, trainDataset: TinyTask.dataset(count: 16, seed: 1),
      evalDataset: TinyTask.dataset(count: 8, seed: 2), tokenizer: TinyTask.tokenizer,
      callbacks: callbacks, optimizers: (optimizer, nil))
  }

  /// The names whose values changed, comparing with a snapshot.
  func changed(_ model: Module, since snapshot: [String: [Float]]) -> Set<String> {
    Set(model.namedParameters().filter { snapshot[$0.name] != $0.tensor.data }.map(\.name))
  }

  func snapshot(_ model: Module) -> [String: [Float]] {
    Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor.data) })
  }

  func testLayerDepthsFromNames() {
    XCTAssertEqual(layerIndex(ofParameter: "bert.encoder.layer.3.attention.self.query.weight"), 3)
    XCTAssertEqual(layerIndex(ofParameter: "transformer.h.0.attn.c_attn.weight"), 0)
    XCTAssertNil(layerIndex(ofParameter: "bert.embeddings.word_embeddings.weight"))
    XCTAssertNil(layerIndex(ofParameter: "classifier.weight"))
    XCTAssertEqual(layerDepth(ofParameter: "bert.embeddings.LayerNorm.weight", layers: 2), 0)
    XCTAssertEqual(layerDepth(ofParameter: "transformer.wpe.weight", layers: 2), 0)
    XCTAssertEqual(layerDepth(ofParameter: "bert.encoder.layer.1.output.dense.bias", layers: 2), 2)
    XCTAssertEqual(layerDepth(ofParameter: "bert.pooler.dense.weight", layers: 2), 3)
    XCTAssertEqual(layerDepth(ofParameter: "transformer.ln_f.weight", layers: 2), 3)
    XCTAssertEqual(encoderLayerCount(model()), 2)
    XCTAssertEqual(encoderLayerCount(OptimizationTests.gpt2()), 2)
  }

  func testFreezeBaseTrainsOnlyTheHeadAndKeepsTheEncoderBitIdentical() throws {
    try skipUnlessFineTuningExercisesDone()
    let m = model()
    freezeBase(m, basePrefix: "bert")
    let trainable = m.namedParameters().filter(\.tensor.requiresGrad).map(\.name)
    XCTAssertEqual(
      trainable,
      ["bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"])
    let before = snapshot(m)
    try trainer(m).train()
    XCTAssertEqual(changed(m, since: before), Set(trainable), "frozen weights are bit-identical")
  }

  func testFreezeLayersFreezesEmbeddingsAndTheFirstK() throws {
    try skipUnlessFineTuningExercisesDone()
    let m = model()
    freezeLayers(m, count: 1)
    let before = snapshot(m)
    try trainer(m).train()
    for name in changed(m, since: before) {
      XCTAssertFalse(name.contains("embeddings") || name.contains("layer.0."), name)
    }
    XCTAssertTrue(changed(m, since: before).contains { $0.contains("layer.1.") })
    let counts = trainableParameterCounts(m)
    XCTAssertLessThan(counts.trainable, counts.all)
    XCTAssertEqual(counts.trainable, m.parameterCount(trainableOnly: true))
  }

  func testDiscriminativeRatesReachTheirGroupsInTheTrainer() throws {
    try skipUnlessFineTuningExercisesDone()
    try skipUnlessExercisesDone {
      _ = layerwiseLearningRateGroups(Linear(1, 1), learningRate: 1, decay: 1, weightDecay: 0)
    }
    // Decay 0: every group below the head has rate 0, so only the head (and pooler) moves.
    let m = model()
    let optimizer = makeLayerwiseAdamW(m, learningRate: 5e-3, decay: 0, weightDecay: 0.01)
    let before = snapshot(m)
    let t = try trainer(m, optimizer: optimizer)
    try t.train()
    XCTAssertEqual(
      changed(m, since: before),
      ["bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"])
    // Decay 0.5: the schedule multiplies each group's own rate, so the ratios stay.
    let m2 = model()
    let halves = makeLayerwiseAdamW(m2, learningRate: 8e-3, decay: 0.5, weightDecay: 0.01)
    _ = try trainer(m2, epochs: 1, optimizer: halves)
    let rates = Set(halves.groups.map(\.learningRate))
    XCTAssertEqual(rates, [8e-3, 4e-3, 2e-3, 1e-3])
  }

  func testGradualUnfreezingOpensOneDepthPerEpoch() throws {
    try skipUnlessFineTuningExercisesDone()
    let m = model()
    let callback = GradualUnfreezingCallback(model: m)
    let before = snapshot(m)
    try trainer(m, epochs: 1, callbacks: [callback]).train()
    XCTAssertEqual(
      changed(m, since: before),
      ["bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"],
      "epoch 0 trains the head only")
    let m2 = model()
    let before2 = snapshot(m2)
    let callback2 = GradualUnfreezingCallback(model: m2)
    try trainer(m2, epochs: 2, callbacks: [callback2]).train()
    let moved = changed(m2, since: before2)
    XCTAssertTrue(moved.contains { $0.contains("layer.1.") }, "epoch 1 adds the top layer")
    XCTAssertFalse(moved.contains { $0.contains("layer.0.") || $0.contains("embeddings") })
    XCTAssertEqual(callback2.trainableDepth, 2)
  }

  func testGradualUnfreezingByStepsOpensEveryDepthWithinOneEpoch() throws {
    try skipUnlessFineTuningExercisesDone()
    // 16 examples in batches of 4: 4 steps, and 4 stages (head, layer 1, layer 0, embeddings).
    XCTAssertEqual(GradualUnfreezingCallback.stepsPerStage(totalSteps: 4, layers: 2), 1)
    XCTAssertEqual(GradualUnfreezingCallback.stepsPerStage(totalSteps: 63, layers: 3), 13)
    // ⌈5 / 4⌉ = 2 would start the last stage at step 6 of 5: the floor, 1, opens it at step 3.
    XCTAssertEqual(GradualUnfreezingCallback.stepsPerStage(totalSteps: 5, layers: 2), 1)
    let m = model()
    let before = snapshot(m)
    let callback = GradualUnfreezingCallback(model: m, stepsPerStage: 2)
    try trainer(m, epochs: 1, callbacks: [callback]).train()
    let moved = changed(m, since: before)
    XCTAssertTrue(moved.contains { $0.contains("layer.1.") }, "steps 2-3 add the top layer")
    XCTAssertFalse(moved.contains { $0.contains("layer.0.") || $0.contains("embeddings") })
    XCTAssertEqual(callback.trainableDepth, 2)
    let m2 = model()
    let before2 = snapshot(m2)
    let callback2 = GradualUnfreezingCallback(model: m2, stepsPerStage: 1)
    try trainer(m2, epochs: 1, callbacks: [callback2]).train()
    XCTAssertTrue(changed(m2, since: before2).contains("bert.embeddings.word_embeddings.weight"))
    XCTAssertEqual(callback2.trainableDepth, 0, "the last step trains everything")
  }

  /// The tiny classifier loaded from a masked-LM checkpoint, as the lessons load bert-mini: the
  /// pooler and the head are newly initialised. Call `skipUnlessFineTuningExercisesDone` first.
  func loadedFromMaskedLM(seed: UInt64 = 3) throws -> (BertForSequenceClassification, LoadReport) {
    let checkpoint = directory.appendingPathComponent("mlm-\(seed)")
    try BertForMaskedLM(model(seed: seed).config, generator: Generator(seed: seed)).save(to: checkpoint)
    let loaded = try BertForSequenceClassification.fromPretrained(
      checkpoint, numLabels: 2, generator: Generator(seed: seed), outputLoadingInfo: true)
    return (loaded.model, loaded.loadingInfo)
  }

  func testL2SPKeepsTheEncoderCloserToItsStart() throws {
    try skipUnlessFineTuningExercisesDone()
    try skipUnlessExercisesDone { _ = L2SPRegularizer(parameters: [], alpha: 1).penalty() }
    var distances: [Double] = []
    for alpha: Float in [0, 10] {
      let (m, info) = try loadedFromMaskedLM()
      let regularizer = L2SPRegularizer(m, basePrefix: "bert", loadingInfo: info, alpha: alpha)
      let t = try trainer(m, epochs: 3)
      t.addPenalty(regularizer)
      try t.train()
      distances.append(regularizer.distance())
    }
    XCTAssertGreaterThan(distances[0], 0)
    XCTAssertLessThan(distances[1], distances[0] * 0.8)
  }

  /// Li et al. hold only the pre-trained weights: the head and a pooler the masked-LM checkpoint
  /// lacked have no starting point worth returning to.
  func testL2SPHoldsOnlyWeightsTheCheckpointProvided() throws {
    try skipUnlessFineTuningExercisesDone()  // loading reads the safetensors header (4.4)
    let (m, info) = try loadedFromMaskedLM()
    XCTAssertTrue(info.newlyInitialized.contains("bert.pooler.dense.weight"))
    let names = Set(
      L2SPRegularizer(m, basePrefix: "bert", loadingInfo: info, alpha: 1).parameters.map(\.name))
    XCTAssertFalse(names.contains { $0.hasPrefix("bert.pooler.") || $0.hasPrefix("classifier.") })
    let expected = m.namedParameters().map(\.name).filter {
      $0.hasPrefix("bert.") && !$0.hasPrefix("bert.pooler.")
    }
    XCTAssertEqual(names, Set(expected))
  }

  func testSlantedTriangularSchedule() throws {
    let schedule = try XCTUnwrap(LearningRateSchedule(rawValue: "slanted_triangular"))
    // 100 steps: cut at 10, factor 1/32 at the start and the end, 1 at the cut.
    XCTAssertEqual(schedule.factor(step: 0, totalSteps: 100, warmupSteps: 0), 1.0 / 32, accuracy: 1e-12)
    XCTAssertEqual(schedule.factor(step: 10, totalSteps: 100, warmupSteps: 0), 1, accuracy: 1e-12)
    XCTAssertEqual(
      schedule.factor(step: 5, totalSteps: 100, warmupSteps: 0), (1 + 0.5 * 31) / 32, accuracy: 1e-12)
    XCTAssertEqual(schedule.factor(step: 100, totalSteps: 100, warmupSteps: 0), 1.0 / 32, accuracy: 1e-12)
    XCTAssertEqual(
      schedule.factor(step: 55, totalSteps: 100, warmupSteps: 0), (1 + 0.5 * 31) / 32, accuracy: 1e-12)
    // A warm-up given in the arguments sets the cut.
    XCTAssertEqual(schedule.factor(step: 20, totalSteps: 100, warmupSteps: 20), 1, accuracy: 1e-12)
  }

  func testRangeTestSweepsExponentiallyAndStopsAtDivergence() throws {
    try skipUnlessExercisesDone { _ = steepestDescentLearningRate(learningRates: [1, 2], losses: [1, 0]) }
    // A loss that falls between 1e-4 and 1e-2 and explodes above 1.
    let result = lrFind(startLR: 1e-6, endLR: 100, numIterations: 81) { lr in
      let x = log10(lr)
      return x < -4 ? 2 : x < -2 ? 2 - (x + 4) * 0.9 : x < 0 ? 0.2 : 0.2 + (x * 10) * (x * 10)
    }
    XCTAssertEqual(result.learningRates[0], 1e-6, accuracy: 1e-12)
    XCTAssertEqual(result.learningRates[1] / result.learningRates[0], pow(1e8, 1.0 / 80), accuracy: 1e-9)
    XCTAssertLessThan(result.learningRates.count, 81, "stops once the loss is 4 times its minimum")
    XCTAssertGreaterThan(result.steepest, 1e-5)
    XCTAssertLessThan(result.steepest, 1e-1)
    XCTAssertGreaterThan(result.valley, 1e-5)
    XCTAssertLessThan(result.valley, 1)
  }

  func testRangeTestOnAModelPutsItsWeightsBack() throws {
    try skipUnlessFineTuningExercisesDone()
    try skipUnlessExercisesDone { _ = steepestDescentLearningRate(learningRates: [1, 2], losses: [1, 0]) }
    let m = model()
    let before = snapshot(m)
    let collator = DataCollatorWithPadding(tokenizer: TinyTask.tokenizer)
    let data = TinyTask.dataset(count: 8, seed: 1)
    let padded = collator(data.texts.map(collator.encode))
    let batch = ClassificationBatch(
      inputIds: padded.inputIds, attentionMask: padded.attentionMask, labels: data.labels)
    let result = try lrFind(model: m, batches: [batch], startLR: 1e-5, endLR: 10, numIterations: 30)
    XCTAssertGreaterThan(result.learningRates.count, 5)
    XCTAssertTrue(changed(m, since: before).isEmpty)
  }
}
