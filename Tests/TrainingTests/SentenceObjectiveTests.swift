import ExerciseTesting
import Foundation
import Models
import TensorCore
import Tokenizers
import XCTest

@testable import Training

/// NSP and SOP examples are built as BERT and ALBERT built them, and BertForPreTraining learns
/// from them with the Trainer.
final class SentenceObjectiveTests: XCTestCase {
  static let documents = (0..<40).map { i in
    "the cup is warm \(i % 3 == 0 ? "today" : "now"). the milk foams well. we grind the beans \(i % 2 == 0 ? "slowly" : "fast")."
  }

  func tokenizer() throws -> WordPieceTokenizer {
    try WordPieceTokenizer.train(corpus: Self.documents, vocabularySize: 80)
  }

  func testSentencesAreCutAfterFullStops() {
    XCTAssertEqual(sentences("One two. Three! Four? five"), ["One two.", "Three!", "Four?", "five"])
    XCTAssertEqual(sentences("no stop"), ["no stop"])
  }

  func testSentenceOrderPairsAreInOrderOrSwappedWithTypesAndSpecialTokens() throws {
    try skipUnlessFineTuningExercisesDone()
    let tokenizer = try tokenizer()
    let (cls, sep) = (tokenizer.id(of: "[CLS]"), tokenizer.id(of: "[SEP]"))
    for objective in SentenceObjective.allCases {
      let examples = sentencePairExamples(
        Self.documents, tokenizer: tokenizer, objective: objective, length: 16, generator: Generator(seed: 1))
      XCTAssertEqual(examples.count, Self.documents.count)
      let wrong = examples.filter { $0.sentenceLabel == 1 }.count
      XCTAssertTrue((8...32).contains(wrong), "\(objective): \(wrong) of 40 made wrong")
      for example in examples {
        XCTAssertLessThanOrEqual(example.inputIds.count, 16)
        XCTAssertEqual(example.inputIds.first, cls)
        XCTAssertEqual(example.inputIds.last, sep)
        XCTAssertEqual(example.inputIds.filter { $0 == sep }.count, 2)
        let firstSep = example.inputIds.firstIndex(of: sep)!
        XCTAssertEqual(example.tokenTypeIds, (0..<example.inputIds.count).map { $0 <= firstSep ? 0 : 1 })
      }
    }
    // SOP: a swapped pair holds the same tokens as the pair in order (short documents: no cut).
    let inOrder = sentencePairExamples(
      [Self.documents[0]], tokenizer: tokenizer, objective: .sop, length: 64, generator: Generator(seed: 3))
    let swapped = sentencePairExamples(
      [Self.documents[0]], tokenizer: tokenizer, objective: .sop, length: 64, generator: Generator(seed: 5))
    if inOrder[0].sentenceLabel != swapped[0].sentenceLabel {
      XCTAssertEqual(inOrder[0].inputIds.sorted(), swapped[0].inputIds.sorted())
    }
  }

  func testBertForPreTrainingHasTransformersNamesAndLearnsBothObjectives() throws {
    try skipUnlessFineTuningExercisesDone()
    try skipUnlessMaskingExercisesDone()
    try skipUnlessExercisesDone { _ = labelledPositions([[-100, 1]]) }  // 4.2, in the MLM loss
    let tokenizer = try tokenizer()
    let model = BertForPreTraining(
      .tiny(vocabSize: tokenizer.vocabularySize, hiddenSize: 16, maxPositionEmbeddings: 32),
      generator: Generator(seed: 2))
    let names = model.stateDict().map(\.name)
    for name in ["cls.seq_relationship.weight", "cls.predictions.bias", "bert.pooler.dense.weight"] {
      XCTAssertTrue(names.contains(name), "\(name) missing from \(names)")
    }
    let examples = sentencePairExamples(
      Self.documents, tokenizer: tokenizer, objective: .sop, length: 24, generator: Generator(seed: 1))
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sop-\(UUID())")
    defer { try? FileManager.default.removeItem(at: directory) }
    var args = TrainingArguments(outputDir: directory.path, perDeviceTrainBatchSize: 8, learningRate: 3e-3)
    args.maxSteps = 30
    args.saveStrategy = .no
    args.disableTqdm = true
    manualSeed(4)
    let trainer = try PreTrainingTrainer(
      model: model, args: args, trainDataset: examples, evalDataset: examples,
      dataCollator: DataCollatorForLanguageModeling(tokenizer: tokenizer))
    let before = try trainer.evaluate()["eval_loss"]!
    _ = try trainer.train()
    let after = try trainer.evaluate()["eval_loss"]!
    XCTAssertLessThan(after, before, "MLM loss on the fixed-masked pairs")
    let losses = trainer.stepLosses
    XCTAssertLessThan(losses.suffix(5).reduce(0, +), losses.prefix(5).reduce(0, +), "MLM + SOP loss")
    let accuracy = try sentenceAccuracy(model, examples, padTokenId: tokenizer.padTokenId!)
    XCTAssertTrue((0...1).contains(accuracy))
    // Saved, it loads as BertForPreTraining in full, and as BertForMaskedLM with the sentence head unused.
    try model.save(to: directory)
    let (_, full) = try BertForPreTraining.fromPretrained(directory, outputLoadingInfo: true)
    XCTAssertEqual(full.newlyInitialized, [])
    let (_, mlm) = try BertForMaskedLM.fromPretrained(directory, outputLoadingInfo: true)
    XCTAssertEqual(
      mlm.unused,
      [
        "bert.pooler.dense.bias", "bert.pooler.dense.weight", "cls.seq_relationship.bias",
        "cls.seq_relationship.weight",
      ])
  }
}
