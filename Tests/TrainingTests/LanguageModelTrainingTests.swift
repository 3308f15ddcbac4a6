import ExerciseTesting
import Foundation
import Models
import TensorCore
import Tokenizers
import XCTest

@testable import Training

/// Pre-training as a configuration of the Trainer: the held-out perplexity of a causal model
/// against a hand computation, and an MLM run resumed from a checkpoint against the
/// uninterrupted run.
final class LanguageModelTrainingTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    try skipUnlessFineTuningExercisesDone()
    try skipUnlessExercisesDone { _ = labelledPositions([[-100, 1]]) }
    try skipUnlessMaskingExercisesDone()
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("lm-\(UUID().uuidString)")
  }

  override func tearDown() {
    if let directory { try? FileManager.default.removeItem(at: directory) }
  }

  func arguments(_ name: String) -> TrainingArguments {
    var args = TrainingArguments(
      outputDir: directory.appendingPathComponent(name).path, perDeviceTrainBatchSize: 4, learningRate: 3e-3)
    args.disableTqdm = true
    args.saveStrategy = .no
    return args
  }

  func testCausalModelEvaluatesToThePerplexityComputedByHand() throws {
    var config = GPT2Config()
    (config.vocabSize, config.nPositions, config.nEmbd, config.nLayer, config.nHead, config.nInner) =
      (23, 16, 16, 1, 2, 32)
    let model = GPT2LMHeadModel(config, generator: Generator(seed: 5))
    let g = Generator(seed: 8)
    let rows = (0..<5).map { _ in (0..<9).map { _ in g.int(below: 23) } }
    var args = arguments("clm")
    args.perDeviceEvalBatchSize = 2  // batches of 2, 2 and 1 rows
    let trainer = try Trainer(model: model, args: args, evalDataset: rows)
    let metrics = try trainer.evaluate()

    // By hand: every row alone, log-softmax in Double, every position against the next token.
    model.eval()
    var (total, count, correct) = (0.0, 0, 0)
    for row in rows {
      let logits = try noGrad { try model(inputIds: [row]) }  // (1, 9, 23)
      for t in 0..<(row.count - 1) {
        let z = logits.data[(t * 23)..<((t + 1) * 23)].map(Double.init)
        let top = z.max()!
        let logSum = top + log(z.map { exp($0 - top) }.reduce(0, +))
        total += logSum - z[row[t + 1]]
        count += 1
        if z.firstIndex(of: top) == row[t + 1] { correct += 1 }
      }
    }
    XCTAssertEqual(count, 5 * 8)
    XCTAssertEqual(metrics["eval_loss"]!, total / Double(count), accuracy: 1e-5)
    XCTAssertEqual(metrics["eval_perplexity"]!, exp(total / Double(count)), accuracy: 1e-4)
    XCTAssertEqual(metrics["eval_accuracy"]!, Double(correct) / Double(count), accuracy: 1e-12)
    XCTAssertGreaterThan(metrics["eval_perplexity"]!, 10, "an untrained model is unsure among the 23 tokens")
  }

  /// A tiny BERT and rows of a repetitive corpus, packed as `course pretrain` packs them.
  func maskedLMSetup(seed: UInt64) throws -> (BertForMaskedLM, WordPieceTokenizer, [[Int]]) {
    let corpus = (0..<40).map { i in
      "the crema is \(["thick", "thin", "golden"][i % 3]) and the shot is \(["fast", "slow"][i % 2])"
    }
    let tokenizer = try WordPieceTokenizer.train(corpus: corpus, vocabularySize: 60)
    let sep = tokenizer.id(of: "[SEP]")
    let rows = packSequences(
      corpus, tokenizer: tokenizer, length: 12, separator: sep, cls: tokenizer.id(of: "[CLS]"), sep: sep)
    let config = BertConfig(
      vocabSize: tokenizer.vocabularySize, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2,
      intermediateSize: 32, maxPositionEmbeddings: 12)
    return (BertForMaskedLM(config, generator: Generator(seed: seed)), tokenizer, rows)
  }

  func testResumedMaskedLMRunEqualsTheUninterruptedOne() throws {
    final class StopAt: TrainerCallback {
      func onStepEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) {
        if state.globalStep == 5 { control.shouldTrainingStop = true }
      }
    }
    func run(_ name: String, model: BertForMaskedLM, callbacks: [TrainerCallback] = [], resume: URL? = nil)
      throws -> LanguageModelingTrainer
    {
      let (_, tokenizer, rows) = try maskedLMSetup(seed: 0)
      var args = arguments(name)
      // Accumulation, clipping, a schedule and dropout: everything a resume must restore.
      (args.numTrainEpochs, args.gradientAccumulationSteps, args.maxGradNorm) = (3, 2, 0.5)
      (args.warmupSteps, args.weightDecay, args.saveStrategy, args.saveSteps) = (2, 0.01, .steps, 5)
      let trainer = try Trainer(
        model: model, args: args, trainDataset: rows,
        dataCollator: DataCollatorForLanguageModeling(tokenizer: tokenizer),
        callbacks: callbacks)
      try trainer.train(resumeFrom: resume)
      return trainer
    }
    let uninterrupted = try run("a", model: try maskedLMSetup(seed: 1).0)
    XCTAssertGreaterThan(uninterrupted.state.globalStep, 8, "the stop at step 5 is mid-run")
    _ = try run("b", model: try maskedLMSetup(seed: 1).0, callbacks: [StopAt()])
    let checkpoint = directory.appendingPathComponent("b/checkpoint-5")
    let resumed = try run("b", model: try maskedLMSetup(seed: 77).0, resume: checkpoint)
    XCTAssertEqual(resumed.state.globalStep, uninterrupted.state.globalStep)
    XCTAssertEqual(
      resumed.stepLosses, Array(uninterrupted.stepLosses.dropFirst(5)), "the same masks and dropout")
    for ((name, a), (_, b)) in zip(uninterrupted.model.namedParameters(), resumed.model.namedParameters()) {
      XCTAssertEqual(a.data, b.data, "\(name) differs after resuming")
    }
  }

  func testLanguageModelCollatorsRefuseTheWrongObjectiveAndRaggedRows() throws {
    let (model, tokenizer, rows) = try maskedLMSetup(seed: 0)
    XCTAssertThrowsError(
      try Trainer(
        model: model, args: arguments("x"), trainDataset: rows,
        dataCollator: DataCollatorForLanguageModeling(tokenizer: tokenizer, mlm: false))
    ) { XCTAssertTrue("\($0)".contains("mlm: true"), "\($0)") }
    let causal = DataCollatorForLanguageModeling(mlm: false)
    XCTAssertThrowsError(try causal([.init(inputIds: [1, 2, 3]), .init(inputIds: [4])])) {
      XCTAssertTrue("\($0)".contains("padTokenId"), "\($0)")
    }
    let padded = try DataCollatorForLanguageModeling(mlm: false, padTokenId: 0)([
      .init(inputIds: [5, 6, 7]), .init(inputIds: [8]),
    ])
    XCTAssertEqual(padded.inputIds, [[5, 6, 7], [8, 0, 0]])
    XCTAssertEqual(padded.labels, [[5, 6, 7], [8, -100, -100]])
    XCTAssertEqual(padded.attentionMask, [[1, 1, 1], [1, 0, 0]])
  }
}
