import ExerciseTesting
import Foundation
import Models
import Tokenizers
import XCTest

@testable import Training

/// `DataCollatorWithPadding` with either tokenizer, and `PretrainedClassifier` reading a
/// checkpoint's tokenizer through `loadTokenizer(at:)`.
final class DataCollatorTests: XCTestCase {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../ModelsTests/Fixtures").standardizedFileURL
  static let corpus = ["it was good", "it was not good at all, really", "bad"]

  override func setUpWithError() throws {
    try skipUnlessExercisesDone {  // 2.2, 2.3, 2.4 and 4.4
      _ = try WordPieceTokenizer(tokens: ["[UNK]", "a"]).wordPieces("a")
      _ = ByteLevelBPETokenizer(vocabulary: [:], merges: []).applyMerge(("a", "b"), to: ["a", "b"])
      _ = pad(
        Encoding(ids: [1], tokens: ["a"], typeIds: [0], attentionMask: [1], offsets: [nil]), to: 2, padID: 0)
      _ = try? readSafetensorsHeader(Data([2, 0, 0, 0, 0, 0, 0, 0, 123, 125]))
    }
  }

  func testWordPiecePadsWithPADAndAddsCLSAndSEP() throws {
    let tokenizer = try WordPieceTokenizer.train(corpus: Self.corpus, vocabularySize: 60)
    let collator = DataCollatorWithPadding(tokenizer: tokenizer, maxLength: 6)
    XCTAssertEqual(collator.padID, tokenizer.id(of: "[PAD]"))
    let rows = Self.corpus.map(collator.encode)
    XCTAssertEqual(rows[1], tokenizer(Self.corpus[1], maxLength: 6))
    XCTAssertEqual(rows[1].tokens.first, "[CLS]")
    let (ids, mask) = collator.pad(rows)
    XCTAssertEqual(ids.map(\.count), [6, 6, 6], "padded to the longest row (6, truncated)")
    let real = rows[2].ids.count
    XCTAssertLessThan(real, 6)
    XCTAssertEqual(mask[2], [Int](repeating: 1, count: real) + [Int](repeating: 0, count: 6 - real))
    XCTAssertEqual(Array(ids[2].suffix(6 - real)), [Int](repeating: collator.padID, count: 6 - real))
  }

  func testByteLevelBPEPadsWithEndOfTextAndAddsNothing() throws {
    let tokenizer = ByteLevelBPETokenizer.train(corpus: Self.corpus, vocabularySize: 270)
    let collator = DataCollatorWithPadding(tokenizer: tokenizer, maxLength: 4)
    XCTAssertNil(tokenizer.padTokenId)
    XCTAssertEqual(collator.padID, tokenizer.eosTokenId, "GPT-2 has no pad token: end-of-text pads")
    XCTAssertEqual(collator.encode(Self.corpus[1]).ids, Array(tokenizer.encode(Self.corpus[1]).prefix(4)))
    let (ids, mask) = collator.pad(Self.corpus.map(collator.encode))
    XCTAssertEqual(ids[2].count, 4)
    XCTAssertEqual(ids[2].last, tokenizer.eosTokenId)
    XCTAssertEqual(mask[2].filter { $0 == 1 }.count, tokenizer.encode("bad").count)
    XCTAssertEqual(
      DataCollatorWithPadding(tokenizer: tokenizer, padID: 7).padID, 7, "an explicit pad id wins")
  }

  func testPretrainedClassifierReadsTheTokenizerLoadTokenizerReads() throws {
    let jsonOnly = Self.fixtures.appendingPathComponent("kit-tiny-bert-tokenizer-json")
    let bert = try PretrainedClassifier.fromPretrained(jsonOnly, labelNames: ["negative", "positive"])
    XCTAssertEqual(bert.modelType, "bert")
    let expected = try loadTokenizer(at: jsonOnly)
    XCTAssertEqual(bert.tokenizer.tokens, expected.tokens)
    XCTAssertEqual(bert.collator.encode("it was good"), expected("it was good", maxLength: 64))
    XCTAssertEqual(bert.collator.padID, 0)

    let gpt2 = try PretrainedClassifier.fromPretrained(
      Self.fixtures.appendingPathComponent("kit-tiny-gpt2"), labelNames: ["negative", "positive"])
    XCTAssertTrue(gpt2.tokenizer is ByteLevelBPETokenizer)
    XCTAssertEqual(gpt2.collator.padID, gpt2.tokenizer.eosTokenId)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("classifier-\(UUID())")
    defer { try? FileManager.default.removeItem(at: directory) }
    try gpt2.tokenizer.save(to: directory)
    let reloaded = try loadTokenizer(at: directory)
    XCTAssertEqual(reloaded.tokens, gpt2.tokenizer.tokens)
  }
}
