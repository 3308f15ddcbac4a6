import ExerciseTesting
import Foundation
import Models
import TensorCore
import Tokenizers
import XCTest

/// Two tiny checkpoints the kit itself writes (weights, config.json and tokenizer files), made
/// from fixed seeds so that the same code always writes the same bytes:
///
///   Fixtures/kit-tiny-gpt2   `GPT2LMHeadModel.save` + byte-level BPE (vocab.json, merges.txt)
///   Fixtures/kit-tiny-bert   `BertForMaskedLM.save` + WordPiece (vocab.txt)
///
/// scripts/roundtrip_transformers.py loads them with transformers' `from_pretrained`; the
/// course CLI tests run `course generate`, `fill-mask` and `embed` on them. To rewrite them
/// after a deliberate change of the format:
///
///     COURSE_WRITE_FIXTURES=1 swift test --filter KitCheckpointTests
enum KitFixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")
  static let gpt2Directory = directory.appendingPathComponent("kit-tiny-gpt2")
  static let bertDirectory = directory.appendingPathComponent("kit-tiny-bert")

  /// The text both tokenizers learn from.
  static let corpus = [
    "The critics praised the festival as wonderful.",
    "Visitors asked for their money back because it was terrible.",
    "My kettle is not cheap, but it is sturdy, and I would buy it again.",
    "The film was long, the seats were hard, and the sound was too loud.",
    "We loved the music and the food; the staff were kind and quick.",
    "It broke after two days. I would not buy it again.",
    "The book is short but the story is good and the ending is happy.",
    "The hotel was clean, the room was quiet and the price was fair.",
  ]

  /// Large enough weights (initializer range 0.2, not 0.02) that the logits are far from
  /// uniform, so comparing them tests something.
  static func gpt2() -> (model: GPT2LMHeadModel, tokenizer: ByteLevelBPETokenizer) {
    let tokenizer = ByteLevelBPETokenizer.train(corpus: corpus, vocabularySize: 300)
    var config = GPT2Config(
      vocabSize: tokenizer.vocabularySize, nPositions: 64, nEmbd: 16, nLayer: 2, nHead: 2, nInner: 32)
    let eos = tokenizer.vocabulary["<|endoftext|>"]!
    (config.bosTokenId, config.eosTokenId, config.initializerRange) = (eos, eos, 0.2)
    return (GPT2LMHeadModel(config, generator: Generator(seed: 6)), tokenizer)
  }

  static func bert() throws -> (model: BertForMaskedLM, tokenizer: WordPieceTokenizer) {
    let tokenizer = try WordPieceTokenizer.train(corpus: corpus, vocabularySize: 120)
    var config = BertConfig(
      vocabSize: tokenizer.vocabularySize, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
      intermediateSize: 32, maxPositionEmbeddings: 64)
    config.initializerRange = 0.2
    return (BertForMaskedLM(config, generator: Generator(seed: 6)), tokenizer)
  }

  /// Writes both checkpoints under `root` (as `kit-tiny-gpt2/` and `kit-tiny-bert/`).
  static func write(to root: URL) throws {
    let (gpt, bpe) = gpt2()
    let gptDirectory = root.appendingPathComponent("kit-tiny-gpt2")
    try gpt.save(to: gptDirectory)
    try bpe.write(
      vocabularyFile: gptDirectory.appendingPathComponent("vocab.json"),
      mergesFile: gptDirectory.appendingPathComponent("merges.txt"))
    let (bert, wordPiece) = try bert()
    let bertDirectory = root.appendingPathComponent("kit-tiny-bert")
    try bert.save(to: bertDirectory)
    try wordPiece.write(to: bertDirectory.appendingPathComponent("vocab.txt"))
  }

  static let files = [
    "kit-tiny-gpt2/config.json", "kit-tiny-gpt2/model.safetensors", "kit-tiny-gpt2/vocab.json",
    "kit-tiny-gpt2/merges.txt", "kit-tiny-bert/config.json", "kit-tiny-bert/model.safetensors",
    "kit-tiny-bert/vocab.txt",
  ]
}

/// The kit's own checkpoints as transformers reads them (scripts/roundtrip_transformers.py).
final class KitCheckpointTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessAttentionExercisesDone()
    try skipUnlessTokenizerExercisesDoneForModels()
    try skipUnlessExercisesDone {  // a BPE merge step
      let bpe = ByteLevelBPETokenizer(vocabulary: ["a": 0, "b": 1, "ab": 2], merges: [("a", "b")])
      _ = bpe.applyMerge(("a", "b"), to: ["a", "b"])
    }
  }

  /// The committed fixtures are exactly what the kit writes today, byte for byte.
  func testFixturesAreWhatTheKitWrites() throws {
    if ProcessInfo.processInfo.environment["COURSE_WRITE_FIXTURES"] == "1" {
      try KitFixtures.write(to: KitFixtures.directory)
    }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kit-fixtures-\(UUID())")
    defer { try? FileManager.default.removeItem(at: scratch) }
    try KitFixtures.write(to: scratch)
    for file in KitFixtures.files {
      let committed = try Data(contentsOf: KitFixtures.directory.appendingPathComponent(file))
      let fresh = try Data(contentsOf: scratch.appendingPathComponent(file))
      XCTAssertEqual(
        committed, fresh,
        "Fixtures/\(file) differs from what the kit writes now (COURSE_WRITE_FIXTURES=1 rewrites it)")
    }
  }

  struct GPT2RoundTrip: Decodable {
    var sentences: [String]
    var input_ids: [[Int]]
    var missing_keys: [String]
    var unexpected_keys: [String]
    /// Every position's logits for ids 0, stride, 2·stride, …
    var stride: Int
    var strided_logits: [Float]
    /// The full logits of each sentence's last position.
    var last_logits: [Float]
  }

  /// Fixtures/kit-tiny-gpt2, saved by the kit, in `GPT2LMHeadModel.from_pretrained`: nothing
  /// missing, nothing unexpected, the same ids from GPT2Tokenizer, the same logits.
  func testKitGPT2LoadsInTransformersWithTheSameLogits() throws {
    let g = try JSONDecoder().decode(
      GPT2RoundTrip.self,
      from: Data(contentsOf: KitFixtures.directory.appendingPathComponent("kit-tiny-gpt2-transformers.json")))
    XCTAssertEqual(g.missing_keys, [], "transformers found every tensor it needs")
    XCTAssertEqual(g.unexpected_keys, [])
    let tokenizer = try XCTUnwrap(try loadTokenizer(at: KitFixtures.gpt2Directory) as? ByteLevelBPETokenizer)
    XCTAssertEqual(g.sentences.map { tokenizer.encode($0) }, g.input_ids, "the kit's ids are GPT2Tokenizer's")
    let (model, report) = try GPT2LMHeadModel.fromPretrained(
      KitFixtures.gpt2Directory, outputLoadingInfo: true)
    XCTAssertEqual(report.newlyInitialized, [])
    XCTAssertEqual(report.unused, [])
    model.eval()
    var (strided, last): ([Float], [Float]) = ([], [])
    for ids in g.input_ids {
      let logits = try model(inputIds: [ids])  // (1, seq, vocabulary)
      let vocabulary = logits.shape[2]
      for position in 0..<ids.count {
        strided += stride(from: 0, to: vocabulary, by: g.stride).map {
          logits.data[position * vocabulary + $0]
        }
      }
      last += logits.data.suffix(vocabulary)
    }
    assertClose(strided, g.strided_logits, tolerance: 1e-4, "LM logits at every position")
    assertClose(last, g.last_logits, tolerance: 1e-4, "LM logits at the last position")
    let spread = (last.max() ?? 0) - (last.min() ?? 0)
    XCTAssertGreaterThan(spread, 1, "logits far from uniform, so that the comparison means something")
  }

  /// Fixtures/kit-tiny-bert in `BertForMaskedLM.from_pretrained`, the same way.
  func testKitBertLoadsInTransformersWithTheSameLogits() throws {
    try assertBertMatchesTransformers(
      KitFixtures.bertDirectory,
      fixture: KitFixtures.directory.appendingPathComponent("kit-tiny-bert-transformers.json"))
  }
}
