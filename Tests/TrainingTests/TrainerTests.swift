import ExerciseTesting
import Foundation
import Models
import TensorCore
import Tokenizers
import XCTest

@testable import Training

/// The fine-tuning pieces against transformers and PyTorch (FineTuningGolden.swift).
final class FineTuningGoldenTests: XCTestCase {
  func testSchedulesMatchTransformers() throws {
    try skipUnlessExercisesDone {
      _ = LearningRateSchedule.linear.factor(step: 1, totalSteps: 4, warmupSteps: 1)
    }
    for (name, total, warmup, factors) in goldenSchedules {
      let schedule = try XCTUnwrap(LearningRateSchedule(rawValue: name))
      for (step, expected) in factors.enumerated() {
        XCTAssertEqual(
          schedule.factor(step: step, totalSteps: total, warmupSteps: warmup), expected, accuracy: 1e-8,
          "\(name) total \(total) warmup \(warmup) step \(step)")
      }
    }
  }

  func testClipGradNormMatchesPyTorch() throws {
    try skipUnlessExercisesDone { _ = clipGradNorm([], maxNorm: 1) }
    let parameters = goldenClipBefore.map { values in
      let p = Tensor(zeros: [values.count], requiresGrad: true)
      p.grad = Tensor(values, shape: [values.count])
      return p
    }
    XCTAssertEqual(clipGradNorm(parameters, maxNorm: 1), goldenClipNorm, accuracy: 1e-5)
    for (p, expected) in zip(parameters, goldenClipAfter) {
      for (a, b) in zip(p.grad!.data, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }
  }

  func testLabelSmoothedLossMatchesPyTorch() throws {
    try skipUnlessExercisesDone { _ = classificationLoss(logits: Tensor(zeros: [1, 2]), labels: [0]) }
    let logits = Tensor(goldenLossLogits, shape: [4, 3])
    for (smoothing, expected) in goldenSmoothedLosses {
      XCTAssertEqual(
        classificationLoss(logits: logits, labels: goldenLossLabels, labelSmoothing: smoothing).item,
        expected,
        accuracy: 1e-5)
    }
  }
}

/// A tiny sentiment-like task and model, small enough to train in a fraction of a second.
enum TinyTask {
  static let words = ["good", "great", "fine", "bad", "awful", "poor", "the", "film", "was", "not", "very"]
  static let tokenizer = try! WordPieceTokenizer(
    tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words)

  static func dataset(count: Int, seed: UInt64) -> TextClassificationDataset {
    let g = Generator(seed: seed)
    var texts: [String] = []
    var labels: [Int] = []
    for _ in 0..<count {
      let positive = g.int(below: 2) == 1
      let word = (positive ? ["good", "great", "fine"] : ["bad", "awful", "poor"])[g.int(below: 3)]
      texts.append("the film was \(g.int(below: 2) == 1 ? "very " : "")\(word)")
      labels.append(positive ? 1 : 0)
    }
    return TextClassificationDataset(texts: texts, labels: labels, labelNames: ["negative", "positive"])
  }

  static func model(seed: UInt64 = 3, dropout: Float = 0.1) -> BertForSequenceClassification {
    var config = BertConfig.tiny(vocabSize: tokenizer.vocabularySize)
    config.hiddenDropoutProb = dropout
    config.attentionProbsDropoutProb = dropout
    return BertForSequenceClassification(config, generator: Generator(seed: seed))
  }

  static func arguments(_ directory: URL) -> TrainingArguments {
    var args = TrainingArguments(
      outputDir: directory.path, numTrainEpochs: 3, perDeviceTrainBatchSize: 4, learningRate: 5e-3)
    args.disableTqdm = true
    args.warmupRatio = 0.1
    args.weightDecay = 0.01
    return args
  }
}

/// Training runs Lessons 2-5's exercises (tokenizer, attention, schedule, loss, clipping,
/// decay groups) and checkpoints read safetensors headers (4.3). In the student edition these
/// tests are skipped until those are done. Each exercise is called directly on tiny inputs:
/// a whole model built on unfinished ones could not run.
func skipUnlessFineTuningExercisesDone() throws {
  try skipUnlessExercisesDone {
    _ = try WordPieceTokenizer(tokens: ["[UNK]", "a"]).wordPieces("a")
    _ = pad(
      Encoding(ids: [1], tokens: ["a"], typeIds: [0], attentionMask: [1], offsets: [nil]), to: 2, padID: 0)
    let x = Tensor(zeros: [1, 2, 4])
    _ = splitHeads(x, heads: 2)
    _ = scaledDotProductAttention(query: x, key: x, value: x)
    _ = try? readSafetensorsHeader(Data([2, 0, 0, 0, 0, 0, 0, 0, 123, 125]))
    _ = linearWarmupDecay(step: 1, totalSteps: 2, warmupSteps: 1)
    _ = clipGradNorm([], maxNorm: 1)
    _ = classificationLoss(logits: Tensor(zeros: [1, 2]), labels: [0])
    _ = isDecayed(parameterName: "bias", in: Linear(1, 1))
  }
}

final class TrainerTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(UUID().uuidString)")
  }

  override func tearDown() {
    try? FileManager.default.removeItem(at: directory)
  }

  /// Training runs Lessons 2-5's exercises: see `skipUnlessFineTuningExercisesDone`.
  func skipUnlessTrainingExercisesDone() throws { try skipUnlessFineTuningExercisesDone() }

  func trainer(
    _ args: TrainingArguments, model: BertForSequenceClassification = TinyTask.model(),
    callbacks: [TrainerCallback] = [], train: Int = 24
  ) throws -> SequenceClassificationTrainer {
    try Trainer(
      model: model, args: args, trainDataset: TinyTask.dataset(count: train, seed: 1),
      evalDataset: TinyTask.dataset(count: 16, seed: 2), tokenizer: TinyTask.tokenizer,
      computeMetrics: classificationMetrics, callbacks: callbacks)
  }

  func testTrainingLearnsTheTinyTaskAndLogsHistory() throws {
    try skipUnlessTrainingExercisesDone()
    var args = TinyTask.arguments(directory)
    args.numTrainEpochs = 20
    args.learningRate = 1e-2
    args.evalStrategy = .epoch
    args.saveStrategy = .no
    args.loggingSteps = 25
    let trainer = try trainer(args)
    let before = try trainer.evaluate()["eval_loss"]!
    let output = try trainer.train()
    let after = try trainer.evaluate()
    XCTAssertEqual(output.globalStep, 20 * 6)
    XCTAssertLessThan(after["eval_loss"]!, before * 0.5, "the loss falls")
    XCTAssertGreaterThan(after["eval_accuracy"]!, 0.9)
    let evaluations = trainer.state.logHistory.filter { $0["eval_loss"] != nil }
    XCTAssertEqual(
      evaluations.count, 20 + 1, "one per epoch, and the one after (train() starts a new history)")
    XCTAssertEqual(trainer.state.logHistory.filter { $0["loss"] != nil }.count, 120 / 25)
    let saved = try JSONDecoder().decode(
      TrainerState.self, from: Data(contentsOf: directory.appendingPathComponent("trainer_state.json")))
    XCTAssertEqual(saved.globalStep, 120, "the history is written to output_dir/trainer_state.json")
  }

  func testResumingGivesTheSameWeightsAsAnUninterruptedRun() throws {
    try skipUnlessTrainingExercisesDone()
    var args = TinyTask.arguments(directory.appendingPathComponent("a"))
    args.saveSteps = 7
    args.labelSmoothingFactor = 0.1
    let uninterrupted = try trainer(args)
    try uninterrupted.train()

    // The same run, stopped after step 7 (a checkpoint in the middle of epoch 2)…
    final class StopAt7: TrainerCallback {
      func onStepEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
        if state.globalStep == 7 { control.shouldTrainingStop = true }
      }
    }
    var second = args
    second.outputDir = directory.appendingPathComponent("b").path
    try trainer(second, callbacks: [StopAt7()]).train()
    let checkpoint = directory.appendingPathComponent("b/checkpoint-7")
    XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("vocab.txt").path))

    // …then resumed by a fresh trainer with a differently initialised model.
    let resumed = try trainer(second, model: TinyTask.model(seed: 99))
    try resumed.train(resumeFrom: checkpoint)
    XCTAssertEqual(resumed.state.globalStep, uninterrupted.state.globalStep)
    for ((name, a), (_, b)) in zip(uninterrupted.model.namedParameters(), resumed.model.namedParameters()) {
      XCTAssertEqual(a.data, b.data, "\(name) differs after resuming")
    }
  }

  /// A trainer_state.json with a key twice (edited by hand): transformers' Trainer would resume
  /// from the last value, JSONDecoder the first, so resuming stops naming the file and key.
  func testResumingFromATrainerStateWithARepeatedKeyIsRefused() throws {
    try skipUnlessTrainingExercisesDone()
    let checkpoint = directory.appendingPathComponent("checkpoint-4")
    try FileManager.default.createDirectory(at: checkpoint, withIntermediateDirectories: true)
    try Data(#"{"global_step": 4, "epoch": 1.0, "global_step": 8, "log_history": []}"#.utf8).write(
      to: checkpoint.appendingPathComponent("trainer_state.json"))
    XCTAssertThrowsError(try trainer(TinyTask.arguments(directory)).train(resumeFrom: checkpoint)) {
      XCTAssertTrue(
        "\($0)".contains("checkpoint-4/trainer_state.json: the key \"global_step\" appears twice"), "\($0)")
    }
  }

  func testGradientAccumulationEqualsOneLargerBatch() throws {
    try skipUnlessTrainingExercisesDone()
    var small = TinyTask.arguments(directory)
    small.perDeviceTrainBatchSize = 3
    small.gradientAccumulationSteps = 4
    small.maxSteps = 4
    small.saveStrategy = .no
    // Dropout off (below): with it, the two runs would draw different masks for the same examples.
    let a = TinyTask.model(dropout: 0)
    var big = small
    big.perDeviceTrainBatchSize = 12
    big.gradientAccumulationSteps = 1
    let b = TinyTask.model(dropout: 0)
    let ta = try trainer(small, model: a)
    let tb = try trainer(big, model: b)
    // The same examples in each update: batches of 3 grouped by 4 cover what one batch of 12 does.
    XCTAssertEqual(
      Array(ta.batches(epoch: 0, examples: 24).joined()), Array(tb.batches(epoch: 0, examples: 24).joined()))
    try ta.train()
    try tb.train()
    for ((name, x), (_, y)) in zip(a.namedParameters(), b.namedParameters()) {
      for (u, v) in zip(x.data, y.data) { XCTAssertEqual(u, v, accuracy: 1e-5, name) }
    }
    for (u, v) in zip(ta.stepLosses, tb.stepLosses) { XCTAssertEqual(u, v, accuracy: 1e-5) }
  }

  func testEarlyStoppingStopsAfterPatienceEvaluationsWithoutImprovement() throws {
    try skipUnlessTrainingExercisesDone()
    var args = TinyTask.arguments(directory)
    args.numTrainEpochs = 50
    args.evalStrategy = .steps
    args.evalSteps = 2
    args.saveStrategy = .steps
    args.saveSteps = 2
    args.saveTotalLimit = 2
    args.loadBestModelAtEnd = true
    args.metricForBestModel = "accuracy"
    args.learningRate = 1e-9  // nothing improves: the accuracy stays where it is
    let stopper = EarlyStoppingCallback(earlyStoppingPatience: 3, earlyStoppingThreshold: 1e-3)
    let trainer = try trainer(args, callbacks: [stopper])
    try trainer.train()
    // Evaluation 1 (step 2) sets the best; evaluations 2, 3 and 4 do not improve: stop at step 8.
    XCTAssertEqual(trainer.state.globalStep, 8)
    XCTAssertEqual(trainer.state.bestModelCheckpoint, directory.appendingPathComponent("checkpoint-2").path)
    XCTAssertEqual(trainer.checkpointSteps(), [2, 8], "save_total_limit keeps the best and the newest")
  }

  func testNonFiniteLossStopsWithTheStep() throws {
    try skipUnlessTrainingExercisesDone()
    var args = TinyTask.arguments(directory)
    args.learningRate = 1e30
    args.maxGradNorm = 0
    args.warmupRatio = 0
    args.saveStrategy = .no
    XCTAssertThrowsError(try trainer(args).train()) { error in
      let message = "\(error)"
      XCTAssertTrue(message.hasPrefix("step "), message)
      XCTAssertTrue(message.contains("learning rate"), message)
    }
  }

  func testArgumentsThatContradictEachOtherAreRefused() {
    func refuses(_ change: (inout TrainingArguments) -> Void, _ fragment: String) {
      var args = TrainingArguments(outputDir: "/tmp/x")
      change(&args)
      XCTAssertThrowsError(try args.validate()) { XCTAssertTrue("\($0)".contains(fragment), "\($0)") }
    }
    refuses(
      {
        $0.warmupSteps = 10; $0.warmupRatio = 0.1
      }, "warmup_steps (10) and warmup_ratio (0.1)")
    refuses({ $0.loadBestModelAtEnd = true }, "needs evaluation")
    refuses(
      {
        $0.loadBestModelAtEnd = true; $0.evalStrategy = .epoch
      }, "eval_strategy and save_strategy")
    refuses({ $0.perDeviceTrainBatchSize = 0 }, "per_device_train_batch_size")
    refuses({ $0.learningRate = .nan }, "learning_rate")
    refuses({ $0.numTrainEpochs = 0 }, "num_train_epochs")
    XCTAssertNoThrow(try TrainingArguments(outputDir: "/tmp/x").validate())
    XCTAssertThrowsError(
      try Trainer(
        model: TinyTask.model(), args: TrainingArguments(outputDir: "/tmp/x"), tokenizer: TinyTask.tokenizer,
        callbacks: [EarlyStoppingCallback()])
    ) { XCTAssertTrue("\($0)".contains("load_best_model_at_end"), "\($0)") }
  }

  func testTrainingArgumentsJSONUsesHuggingFaceNamesAndRejectsUnknownOnes() throws {
    var args = TrainingArguments(outputDir: "out")
    args.warmupRatio = 0.1
    args.lrSchedulerType = .cosine
    let json = try String(decoding: JSONEncoder().encode(args), as: UTF8.self)
    XCTAssertTrue(json.contains("\"warmup_ratio\":0.1"), json)
    XCTAssertTrue(json.contains("\"lr_scheduler_type\":\"cosine\""), json)
    XCTAssertEqual(try JSONDecoder().decode(TrainingArguments.self, from: Data(json.utf8)), args)
    let typo = Data(#"{"output_dir": "out", "learning_rat": 0.1}"#.utf8)
    XCTAssertThrowsError(try JSONDecoder().decode(TrainingArguments.self, from: typo)) {
      XCTAssertTrue("\($0)".contains("learning_rat"), "\($0)")
    }
  }

  func testGroupByLengthSortsEachMegabatchLongestFirst() throws {
    try skipUnlessTrainingExercisesDone()
    var args = TinyTask.arguments(directory)
    args.groupByLength = true
    args.perDeviceTrainBatchSize = 2
    let trainer = try trainer(args, train: 40)  // megabatches of min(40 / 8, 50) · 2 = 10 examples
    let batches = trainer.batches(epoch: 0, examples: 40)
    let lengths = batches.joined().map { trainer.trainDataset![$0].encoding.ids.count }
    XCTAssertEqual(Set(batches.joined()), Set(0..<40), "every example once")
    XCTAssertEqual(lengths.first, lengths.max(), "the longest batch first")
    for start in stride(from: 0, to: 40, by: 10) {
      // After its first element (which may have been swapped), each megabatch is sorted.
      let rest = Array(lengths[(start + 1)..<(start + 10)])
      XCTAssertEqual(rest, rest.sorted(by: >), "sorted within the megabatch at \(start)")
    }
    args.groupByLength = false
    XCTAssertNotEqual(try self.trainer(args, train: 40).batches(epoch: 0, examples: 40), batches)
  }

  func testMetricsAreAccuracyAndMacroF1() {
    let prediction = EvalPrediction(logits: [[1, 0], [0, 1], [0, 1], [1, 0]], labels: [0, 1, 0, 0])
    let metrics = classificationMetrics(prediction)
    XCTAssertEqual(metrics["accuracy"]!, 0.75, accuracy: 1e-12)
    // class 0: tp 2, fp 0, fn 1 → F1 0.8; class 1: tp 1, fp 1, fn 0 → F1 2/3.
    XCTAssertEqual(metrics["f1"]!, (0.8 + 2.0 / 3) / 2, accuracy: 1e-12)
  }
}
