import ExerciseTesting
import Foundation
import Models
import TensorCore
import Tokenizers
import XCTest

@testable import Training

/// The Trainer's seams: a loss hook, an injected optimizer and schedule, callbacks with
/// transformers' events in transformers' order, and `saveModel`.
final class TrainerHooksTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    try skipUnlessFineTuningExercisesDone()
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("hooks-\(UUID().uuidString)")
  }

  override func tearDown() {
    if let directory { try? FileManager.default.removeItem(at: directory) }
  }

  func trainer(
    _ args: TrainingArguments, model: BertForSequenceClassification, train: Int = 8,
    callbacks: [TrainerCallback] = []
  )
    throws -> SequenceClassificationTrainer
  {
    try Trainer(
      model: model, args: args, trainDataset: TinyTask.dataset(count: train, seed: 1),
      evalDataset: TinyTask.dataset(count: 6, seed: 2), tokenizer: TinyTask.tokenizer,
      computeMetrics: classificationMetrics, callbacks: callbacks)
  }

  func testCallbacksReceiveTransformersEventsInOrder() throws {
    final class Recorder: TrainerCallback {
      var events: [String] = []
      func onTrainBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
        events.append("train_begin")
      }
      func onTrainEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
        events.append("train_end")
      }
      func onEpochBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
        events.append("epoch_begin")
      }
      func onEpochEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
        events.append("epoch_end")
      }
      func onStepBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
        events.append("step_begin \(state.globalStep)")
      }
      func onStepEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
        events.append("step_end \(state.globalStep)")
      }
      func onEvaluate(
        args: TrainingArguments, state: TrainerState, metrics: [String: Double], control: inout TrainerControl
      ) { events.append("evaluate \(metrics["eval_accuracy"] != nil)") }
      func onSave(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
        events.append("save \(state.globalStep)")
      }
      func onLog(args: TrainingArguments, state: TrainerState, logs: [String: Double]) {
        events.append(logs["eval_loss"] != nil ? "log eval" : logs["loss"] != nil ? "log loss" : "log train")
      }
    }
    var args = TinyTask.arguments(directory)
    (args.numTrainEpochs, args.evalStrategy, args.saveStrategy, args.loggingStrategy) = (
      2, .epoch, .epoch, .epoch
    )
    let recorder = Recorder()
    try trainer(args, model: TinyTask.model(), callbacks: [recorder]).train()  // 8 examples: 2 steps an epoch
    func epoch(_ first: Int) -> [String] {
      [
        "epoch_begin", "step_begin \(first - 1)", "step_end \(first)", "step_begin \(first)",
        "step_end \(first + 1)", "epoch_end", "log loss", "log eval", "evaluate true", "save \(first + 1)",
      ]
    }
    XCTAssertEqual(recorder.events, ["train_begin"] + epoch(1) + epoch(3) + ["log train", "train_end"])
  }

  func testLossHookAndInjectedOptimizerAndScheduleAreUsed() throws {
    let model = TinyTask.model(dropout: 0)
    let encoderBefore = model.bert.namedParameters().map(\.tensor.data)
    let headBefore = model.classifier.weight.data
    // SGD on the head alone: the default AdamW would move every weight.
    let sgd = SGD(model.classifier.parameters(), learningRate: 0.5)
    var args = TinyTask.arguments(directory)
    (args.maxSteps, args.saveStrategy, args.loggingSteps) = (3, .no, 1)
    let trainer = try Trainer(
      model: model, args: args, trainDataset: TinyTask.dataset(count: 8, seed: 1),
      tokenizer: TinyTask.tokenizer,
      optimizers: (sgd, { step, _ in step == 0 ? 0.2 : 1 }))
    // A loss of the hook's own: class 0 for every example, whatever the label.
    var calls = 0
    trainer.computeLoss = { _, batch in
      calls += 1
      let logits = try model.logits(inputIds: batch.inputIds, attentionMask: batch.attentionMask)
      let zeros = [Int](repeating: 0, count: batch.labels.count)
      return LossOutput(
        loss: crossEntropy(logits, targets: zeros), count: zeros.count, logits: logits, labels: zeros)
    }
    try trainer.train()
    XCTAssertEqual(calls, 3, "one call per batch")
    XCTAssertTrue(trainer.optimizer === sgd)
    XCTAssertEqual(
      trainer.state.logHistory.compactMap { $0["learning_rate"] }, [0.1, 0.5, 0.5],
      "the given schedule multiplies the optimizer's own learning rate")
    XCTAssertEqual(
      model.bert.namedParameters().map(\.tensor.data), encoderBefore, "only the head is optimized")
    XCTAssertNotEqual(model.classifier.weight.data, headBefore)
    let prediction = try trainer.predict(TinyTask.dataset(count: 8, seed: 5))
    XCTAssertEqual(prediction.predictions.labels, [Int](repeating: 0, count: 8), "the hook's labels")
    // Checkpoints hold AdamW's state only, so a run with SGD cannot be resumed from one.
    args.saveStrategy = .steps
    args.saveSteps = 3
    args.outputDir = directory.appendingPathComponent("sgd").path
    let saving = try Trainer(
      model: model, args: args, trainDataset: TinyTask.dataset(count: 8, seed: 1),
      tokenizer: TinyTask.tokenizer,
      optimizers: (sgd, nil))
    try saving.train()
    XCTAssertThrowsError(try saving.train(resumeFrom: directory.appendingPathComponent("sgd/checkpoint-3"))) {
      XCTAssertTrue("\($0)".contains("AdamW"), "\($0)")
    }
  }

  func testANonFiniteGradientStopsTrainingNamingTheStepAndTheParameter() throws {
    let model = TinyTask.model(dropout: 0)
    var args = TinyTask.arguments(directory)
    (args.maxSteps, args.saveStrategy) = (3, .no)
    let trainer = try Trainer(
      model: model, args: args, trainDataset: TinyTask.dataset(count: 8, seed: 1),
      tokenizer: TinyTask.tokenizer)
    // A finite loss whose gradient is not: d/dw sqrt(w) at w = 0 is infinite.
    let bias = try XCTUnwrap(model.classifier.bias)
    bias.data = [Float](repeating: 0, count: bias.data.count)
    trainer.computeLoss = { _, batch in
      let logits = try model.logits(inputIds: batch.inputIds, attentionMask: batch.attentionMask)
      let loss = crossEntropy(logits, targets: batch.labels) + bias.sqrt().sum()
      return LossOutput(loss: loss, count: batch.labels.count, logits: logits, labels: batch.labels)
    }
    let before = model.classifier.weight.data
    XCTAssertThrowsError(try trainer.train()) {
      XCTAssertTrue("\($0)".contains("step 1: the gradient of classifier.bias is not finite"), "\($0)")
    }
    XCTAssertEqual(model.classifier.weight.data, before, "stopped before the optimizer step")
  }

  func testSaveModelWritesACheckpointThatLoads() throws {
    var args = TinyTask.arguments(directory)
    (args.maxSteps, args.saveStrategy) = (2, .no)
    let model = TinyTask.model()
    let trainer = try trainer(args, model: model)
    try trainer.train()
    let saved = directory.appendingPathComponent("final")
    try trainer.saveModel(to: saved)
    for file in ["config.json", "model.safetensors", "vocab.txt", "training_args.json"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: saved.appendingPathComponent(file).path), file)
    }
    let config = try JSONDecoder().decode(
      BertConfig.self, from: Data(contentsOf: saved.appendingPathComponent("config.json")))
    let loaded = BertForSequenceClassification(config, generator: Generator(seed: 99))
    let report = try loaded.load(
      from: SafetensorsFile(contentsOf: saved.appendingPathComponent("model.safetensors")), basePrefix: "bert"
    )
    XCTAssertEqual(report.newlyInitialized, [])
    for ((name, a), (_, b)) in zip(model.namedParameters(), loaded.namedParameters()) {
      XCTAssertEqual(a.data, b.data, name)
    }
    let reread = try WordPieceTokenizer(vocabularyFile: saved.appendingPathComponent("vocab.txt"))
    XCTAssertEqual(reread.tokens, TinyTask.tokenizer.tokens)
  }
}
