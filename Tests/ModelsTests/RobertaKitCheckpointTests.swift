import ExerciseTesting
import Foundation
import Models
import TensorCore
import Tokenizers
import XCTest

/// Skips unless the exercises a RoBERTa checkpoint needs are done: attention, checkpoints, the
/// tokenizers and a BPE merge step.
func skipUnlessRobertaExercisesDone() throws {
  try skipUnlessAttentionExercisesDone()
  try skipUnlessCheckpointExercisesDone()
  try skipUnlessTokenizerExercisesDoneForModels()
  try skipUnlessExercisesDone {  // a BPE merge step
    let bpe = ByteLevelBPETokenizer(vocabulary: ["a": 0, "b": 1, "ab": 2], merges: [("a", "b")])
    _ = bpe.applyMerge(("a", "b"), to: ["a", "b"])
  }
}

/// A RoBERTa classifier the kit itself saves (Fixtures/kit-tiny-roberta: config.json,
/// model.safetensors, vocab.json, merges.txt, tokenizer_config.json), from a fixed seed and the
/// tiny-roberta tokenizer, and what transformers' AutoTokenizer and
/// AutoModelForSequenceClassification compute from it (`python3 scripts/golden_roberta.py
/// roundtrip`). To rewrite the checkpoint after a deliberate change of the format:
///
///     COURSE_WRITE_FIXTURES=1 swift test --filter RobertaKitCheckpointTests
final class RobertaKitCheckpointTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessRobertaExercisesDone()
  }

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")
  static let directory = fixtures.appendingPathComponent("kit-tiny-roberta")
  static let files = [
    "config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json",
  ]

  /// A 2-class classifier with large weights (initializer range 0.2), so the probabilities are
  /// far from uniform and comparing them tests something.
  static func write(to directory: URL) throws {
    let tokenizer = try loadTokenizer(at: fixtures.appendingPathComponent("tiny-roberta"))
    var config = RobertaConfig(
      vocabSize: tokenizer.vocabularySize, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
      intermediateSize: 32, maxPositionEmbeddings: 34)
    config.initializerRange = 0.2
    config.setLabels(["negative", "positive"])
    let model = RobertaForSequenceClassification(config, generator: Generator(seed: 6))
    try model.save(to: directory)
    try tokenizer.save(to: directory)
  }

  func testFixtureIsWhatTheKitWrites() throws {
    if ProcessInfo.processInfo.environment["COURSE_WRITE_FIXTURES"] == "1" {
      try Self.write(to: Self.directory)
    }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kit-roberta-\(UUID())")
    defer { try? FileManager.default.removeItem(at: scratch) }
    try Self.write(to: scratch)
    for file in Self.files {
      XCTAssertEqual(
        try Data(contentsOf: Self.directory.appendingPathComponent(file)),
        try Data(contentsOf: scratch.appendingPathComponent(file)),
        "Fixtures/kit-tiny-roberta/\(file) differs from what the kit writes now (COURSE_WRITE_FIXTURES=1 rewrites it)"
      )
    }
  }

  struct RoundTrip: Decodable {
    var tokenizer_class: String
    var model_class: String
    var missing_keys: [String]
    var unexpected_keys: [String]
    var texts: [String]
    var input_ids: [[Int]]
    var attention_mask: [[Int]]
    var probabilities: [Float]
  }

  /// transformers reads the kit's checkpoint as RobertaForSequenceClassification with nothing
  /// missing or unexpected, tokenizes as the kit does, and gives the same probabilities.
  func testTransformersComputesWhatTheKitComputes() throws {
    let g = try JSONDecoder().decode(
      RoundTrip.self,
      from: Data(contentsOf: Self.fixtures.appendingPathComponent("kit-tiny-roberta-transformers.json")))
    XCTAssertEqual(g.model_class, "RobertaForSequenceClassification")
    XCTAssertEqual(g.tokenizer_class, "RobertaTokenizer")
    XCTAssertEqual(g.missing_keys, [])
    XCTAssertEqual(g.unexpected_keys, [])
    let tokenizer = try loadTokenizer(at: Self.directory)
    let encodings = g.texts.map { tokenizer($0) }
    let longest = encodings.map(\.ids.count).max()!
    let padded = encodings.map { pad($0, to: longest, padID: tokenizer.padTokenId!, padToken: "<pad>") }
    XCTAssertEqual(padded.map(\.ids), g.input_ids)
    XCTAssertEqual(padded.map(\.attentionMask), g.attention_mask)
    let model = try RobertaForSequenceClassification.fromPretrained(Self.directory)
    model.eval()
    let probabilities = try model(inputIds: g.input_ids, attentionMask: g.attention_mask).softmax(axis: -1)
    assertClose(probabilities.data, g.probabilities, tolerance: 1e-4, "probabilities")
  }
}

/// datasets/models/roberta-mini, pre-trained by `course pretrain --arch roberta`, as
/// transformers' AutoTokenizer and RobertaForMaskedLM read it (scripts/roundtrip_transformers.py
/// wrote Fixtures/roberta-mini-transformers.json): same ids, hidden states and logits at <mask>.
final class RobertaMiniRoundTripTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessRobertaExercisesDone()
  }

  func testRobertaMiniLoadsInTransformersWithTheSameLogits() throws {
    let directory = RobertaKitCheckpointTests.fixtures.deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("datasets/models/roberta-mini")
    let g = try JSONDecoder().decode(
      BertRoundTrip.self,
      from: Data(
        contentsOf: RobertaKitCheckpointTests.fixtures.appendingPathComponent(
          "roberta-mini-transformers.json")))
    XCTAssertEqual(g.tokenizer_class, "RobertaTokenizer", "AutoTokenizer reads tokenizer_config.json's class")
    XCTAssertEqual(g.missing_keys, [], "transformers found every tensor it needs")
    XCTAssertEqual(g.unexpected_keys, [])
    let tokenizer = try XCTUnwrap(try loadTokenizer(at: directory) as? RobertaTokenizer)
    let encodings = g.sentences.map { tokenizer($0) }
    let longest = encodings.map(\.ids.count).max()!
    let padded = encodings.map { pad($0, to: longest, padID: tokenizer.padTokenId!, padToken: "<pad>") }
    XCTAssertEqual(padded.map(\.ids), g.input_ids, "the kit's tokenizer gives transformers' ids")
    XCTAssertEqual(padded.map(\.attentionMask), g.attention_mask)
    let (model, report) = try RobertaForMaskedLM.fromPretrained(directory, outputLoadingInfo: true)
    XCTAssertEqual(report.newlyInitialized, [])
    model.eval()
    let hidden = try model.roberta(inputIds: g.input_ids, attentionMask: g.attention_mask).lastHiddenState
    assertClose(hidden.data, g.last_hidden_state, tolerance: 1e-4, "hidden states")
    // (batch, seq, vocabulary)
    let logits = try model(inputIds: g.input_ids, attentionMask: g.attention_mask)
    let atMasks = rowsAtMask(logits, maskID: try XCTUnwrap(tokenizer.maskTokenId), inputIds: g.input_ids)
    XCTAssertFalse(atMasks.isEmpty, "the fixture has <mask> positions to compare")
    assertClose(atMasks, g.mask_logits, tolerance: 1e-4, "logits at <mask>")
  }
}
