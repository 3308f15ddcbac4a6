import ExerciseTesting
import Foundation
import Models
import TensorCore
import Tokenizers
import XCTest

@testable import Training

/// Replay of general text during fine-tuning: a pre-trained MLM head read on another encoder,
/// and the Trainer hook that adds its loss to the task loss.
final class ReplayTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    try skipUnlessFineTuningExercisesDone()
    try skipUnlessExercisesDone { _ = labelledPositions([[-100, 1]]) }
    try skipUnlessMaskingExercisesDone()
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString)")
  }

  override func tearDown() {
    if let directory { try? FileManager.default.removeItem(at: directory) }
  }

  /// A tiny MLM model on the tiny task's vocabulary, without dropout, and rows of its texts.
  func maskedLM(seed: UInt64) -> BertForMaskedLM {
    var config = BertConfig.tiny(vocabSize: TinyTask.tokenizer.vocabularySize, numHiddenLayers: 2)
    config.hiddenDropoutProb = 0
    config.attentionProbsDropoutProb = 0
    return BertForMaskedLM(config, generator: Generator(seed: seed))
  }

  var generalRows: [[Int]] {
    let tokenizer = TinyTask.tokenizer
    let sep = tokenizer.id(of: "[SEP]")
    return packSequences(
      TinyTask.dataset(count: 24, seed: 9).texts, tokenizer: tokenizer, length: 10, separator: sep,
      cls: tokenizer.id(of: "[CLS]"), sep: sep)
  }

  func testHeadReadOnAnotherEncoderScoresWithThatEncodersEmbeddings() throws {
    let model = maskedLM(seed: 1)
    let twin = maskedLM(seed: 1)  // the same weights, other tensors
    let ids = [[2, 5, 4, 7, 9, 3], [2, 11, 12, 4, 6, 3]]
    let labels = [[-100, -100, 8, -100, -100, -100], [-100, -100, -100, 10, -100, -100]]
    let own = try model.maskedLMLoss(inputIds: ids, labels: labels).loss.item
    let read = try model.maskedLMLoss(inputIds: ids, labels: labels, encoder: twin.bert)
    XCTAssertEqual(read.loss.item, own, accuracy: 1e-6)
    // The gradient reaches the other encoder's word embeddings, including rows of words that
    // are not in the input (only the decoder reads them), and not this model's table.
    read.loss.backward()
    let grad = try XCTUnwrap(twin.bert.embeddings.wordEmbeddings.weight.grad).data
    let hidden = twin.bert.config.hiddenSize
    let absent = 13  // "was": in no input row, so only the decoder uses its row
    XCTAssertGreaterThan(grad[(absent * hidden)..<((absent + 1) * hidden)].map(abs).max() ?? 0, 0)
    XCTAssertNil(model.bert.embeddings.wordEmbeddings.weight.grad)
    // Another table in the other encoder changes the scores.
    twin.bert.embeddings.wordEmbeddings.weight.data = twin.bert.embeddings.wordEmbeddings.weight.data.map {
      $0 * 2
    }
    XCTAssertNotEqual(
      try model.maskedLMLoss(inputIds: ids, labels: labels, encoder: twin.bert).loss.item, own, accuracy: 1e-4
    )
  }

  /// Trains the tiny classifier (seed 3) for two epochs, with `replay` when given.
  func fineTuned(replay: MaskedLMReplay?) throws -> (model: BertForSequenceClassification, steps: Int) {
    var config = BertConfig.tiny(vocabSize: TinyTask.tokenizer.vocabularySize, numHiddenLayers: 2)
    config.hiddenDropoutProb = 0
    config.attentionProbsDropoutProb = 0
    let model = BertForSequenceClassification(config, generator: Generator(seed: 3))
    var args = TinyTask.arguments(directory)
    args.numTrainEpochs = 2
    args.saveStrategy = .no
    let trainer = try Trainer(
      model: model, args: args, trainDataset: TinyTask.dataset(count: 16, seed: 1),
      tokenizer: TinyTask.tokenizer)
    if let replay { trainer.addReplay(replay, encoder: model.bert) }
    let output = try trainer.train()
    return (model, output.globalStep)
  }

  func testReplayReachesTheEncoderEveryStepAndLeavesTheHeadAsItWas() throws {
    let plain = try fineTuned(replay: nil).model
    let head = maskedLM(seed: 1)
    let headBefore = head.namedParameters().map(\.tensor.data)
    let replay = try MaskedLMReplay(
      head: head, rows: generalRows, tokenizer: TinyTask.tokenizer, batchSize: 3, weight: 1, seed: 4)
    let (replayed, steps) = try fineTuned(replay: replay)
    XCTAssertEqual(replay.batchesReplayed, steps, "one replayed batch per training batch")
    XCTAssertEqual(head.namedParameters().map(\.tensor.data), headBefore, "the MLM head stays as pre-trained")
    let plainWords = plain.bert.embeddings.wordEmbeddings.weight.data
    XCTAssertNotEqual(
      replayed.bert.embeddings.wordEmbeddings.weight.data, plainWords, "replay changed the run")
    // Weight 0 adds nothing: the very same weights as without replay.
    let silent = try MaskedLMReplay(
      head: maskedLM(seed: 1), rows: generalRows, tokenizer: TinyTask.tokenizer, weight: 0)
    XCTAssertEqual(try fineTuned(replay: silent).model.bert.embeddings.wordEmbeddings.weight.data, plainWords)
  }

  func testBatchesCycleThroughEveryRow() throws {
    let rows = generalRows
    let replay = try MaskedLMReplay(
      head: maskedLM(seed: 1), rows: rows, tokenizer: TinyTask.tokenizer, batchSize: 2, seed: 0)
    var seen = 0
    for _ in 0..<((rows.count + 1) / 2) {
      let batch = try replay.nextBatch()
      seen += batch.inputIds.count
      XCTAssertEqual(batch.inputIds.count, 2)
      XCTAssertEqual(batch.labels.map(\.count), batch.inputIds.map(\.count))
    }
    XCTAssertGreaterThanOrEqual(seen, rows.count)
    XCTAssertEqual(Set(replay.order), Set(rows.indices), "a pass is a permutation of the rows")
  }

  func testBadSettingsAreNamed() {
    func message(_ make: () throws -> MaskedLMReplay) -> String {
      do {
        _ = try make()
        return "no error"
      } catch { return "\(error)" }
    }
    let head = maskedLM(seed: 1)
    let tokenizer = TinyTask.tokenizer
    XCTAssertTrue(
      message { try MaskedLMReplay(head: head, rows: [], tokenizer: tokenizer) }.contains("replay rows"))
    XCTAssertTrue(
      message { try MaskedLMReplay(head: head, rows: [[2, 5, 3]], tokenizer: tokenizer, batchSize: 0) }
        .contains("batchSize"))
    XCTAssertTrue(
      message { try MaskedLMReplay(head: head, rows: [[2, 5, 3]], tokenizer: tokenizer, weight: -1) }
        .contains("weight"))
    XCTAssertTrue(
      message { try MaskedLMReplay(head: head, rows: [[2, 5, 3]], tokenizer: tokenizer, weight: .nan) }
        .contains("weight"))
  }
}
