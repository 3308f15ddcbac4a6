import Foundation
import Models
import TensorCore
import Tokenizers
import XCTest

/// The kit's RoBERTa (tokenizer and models) against Hugging Face transformers, on the fixtures
/// scripts/golden_roberta.py wrote: a 400-token byte-level BPE and a tiny random RoBERTa.
final class RobertaGoldenTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessAttentionExercisesDone()
    try skipUnlessCheckpointExercisesDone()
    try skipUnlessTokenizerExercisesDoneForModels()
  }

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")
  static let mlmDirectory = fixtures.appendingPathComponent("tiny-roberta")
  static let classifierDirectory = fixtures.appendingPathComponent("tiny-roberta-classifier")

  struct Encoded: Decodable {
    var text: String
    var pair: String?
    var input_ids: [Int]
    var token_type_ids: [Int]
    var tokens: [String]
    var max_length: Int?
  }

  struct TokenizerGolden: Decodable {
    var singles: [Encoded]
    var pairs: [Encoded]
    var truncated_singles: [Encoded]
    var truncated_pairs: [Encoded]
    var decoded: [String]
    var padded_batch: PaddedBatch
  }

  struct PaddedBatch: Decodable {
    var texts: [String]
    var input_ids: [[Int]]
    var attention_mask: [[Int]]
  }

  struct ModelGolden: Decodable {
    var input_ids: [[Int]]
    var attention_mask: [[Int]]
    var position_ids: [[Int]]
    var last_hidden_state: [Float]
    /// The logits of row `logits_row` only.
    var logits_row: Int
    var logits: [Float]
    var inputs_embeds_ids: [[Int]]
    var inputs_embeds_scale: Float
    var inputs_embeds_last_hidden_state: [Float]
  }

  struct Golden: Decodable {
    var tokenizer: TokenizerGolden
    var model: ModelGolden
  }

  struct ClassifierGolden: Decodable {
    var input_ids: [[Int]]
    var attention_mask: [[Int]]
    var logits: [Float]
    var pair_input_ids: [[Int]]
    var pair_attention_mask: [[Int]]
    var pair_logits: [Float]
  }

  func golden() throws -> Golden {
    try JSONDecoder().decode(
      Golden.self, from: Data(contentsOf: Self.mlmDirectory.appendingPathComponent("golden.json")))
  }

  /// Every case of the golden file: single texts, pairs, truncated singles and pairs.
  func assertTokenizesLikeTransformers(_ tokenizer: RobertaTokenizer, _ g: TokenizerGolden, _ source: String)
  {
    for e in g.singles + g.pairs + g.truncated_singles + g.truncated_pairs {
      let encoding = tokenizer(e.text, pair: e.pair, maxLength: e.max_length)
      let what =
        "\(source): \(e.text.debugDescription) \(e.pair?.debugDescription ?? "") max \(e.max_length ?? 0)"
      XCTAssertEqual(encoding.ids, e.input_ids, what)
      XCTAssertEqual(encoding.tokens, e.tokens, what)
      XCTAssertEqual(encoding.attentionMask, [Int](repeating: 1, count: e.input_ids.count), what)
    }
  }

  /// tokenizer.json (what transformers writes today) gives transformers' ids, tokens and
  /// decoded text, `<mask>` taking the space before it.
  func testTokenizerJSONGivesTransformersIds() throws {
    let g = try golden().tokenizer
    let loaded = try loadTokenizer(at: Self.mlmDirectory)
    let tokenizer = try XCTUnwrap(loaded as? RobertaTokenizer, "tokenizer.json with RobertaProcessing")
    XCTAssertEqual(tokenizer.padTokenId, 1)
    XCTAssertEqual(tokenizer.eosTokenId, 2)
    XCTAssertEqual(tokenizer.maskTokenId, 4)
    XCTAssertEqual(tokenizer.addedTokens.first { $0.content == "<mask>" }?.lstrip, true)
    assertTokenizesLikeTransformers(tokenizer, g, "tokenizer.json")
    let single = g.singles.map { tokenizer(String($0.text)).ids }
    XCTAssertEqual(single.map(tokenizer.decode), g.decoded)
  }

  /// vocab.json + merges.txt (the older layout), with tokenizer_config.json's strip flags.
  func testVocabAndMergesGiveTransformersIds() throws {
    let g = try golden().tokenizer
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("roberta-vocab-\(UUID())")
    defer { try? FileManager.default.removeItem(at: scratch) }
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    for file in ["vocab.json", "merges.txt", "tokenizer_config.json"] {
      try FileManager.default.copyItem(
        at: Self.mlmDirectory.appendingPathComponent(file), to: scratch.appendingPathComponent(file))
    }
    let tokenizer = try XCTUnwrap(try loadTokenizer(at: scratch) as? RobertaTokenizer)
    assertTokenizesLikeTransformers(tokenizer, g, "vocab.json + merges.txt")
    // Without tokenizer_config.json, RoBERTa's defaults: the five specials, <mask> with lstrip.
    let bare = try RobertaTokenizer(
      vocabularyFile: scratch.appendingPathComponent("vocab.json"),
      mergesFile: scratch.appendingPathComponent("merges.txt"))
    assertTokenizesLikeTransformers(bare, g, "defaults")
  }

  /// What the kit saves reads back the same (vocab.json, merges.txt, tokenizer_config.json).
  func testSavedTokenizerReadsBackTheSame() throws {
    let g = try golden().tokenizer
    let tokenizer = try XCTUnwrap(try loadTokenizer(at: Self.mlmDirectory) as? RobertaTokenizer)
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("roberta-save-\(UUID())")
    defer { try? FileManager.default.removeItem(at: scratch) }
    try tokenizer.save(to: scratch)
    let reread = try XCTUnwrap(try loadTokenizer(at: scratch) as? RobertaTokenizer)
    XCTAssertEqual(reread.addedTokens, tokenizer.addedTokens)
    assertTokenizesLikeTransformers(reread, g, "saved by the kit")
  }

  /// Padding a batch with <pad> gives transformers' `tokenizer(texts, padding=True)`.
  func testPaddedBatchMatches() throws {
    let g = try golden().tokenizer.padded_batch
    let tokenizer = try loadTokenizer(at: Self.mlmDirectory)
    let encodings = g.texts.map { tokenizer($0) }
    let longest = encodings.map(\.ids.count).max()!
    let padded = encodings.map { pad($0, to: longest, padID: tokenizer.padTokenId!, padToken: "<pad>") }
    XCTAssertEqual(padded.map(\.ids), g.input_ids)
    XCTAssertEqual(padded.map(\.attentionMask), g.attention_mask)
  }

  func testLongestFirstTruncationAsTheTokenizersLibrary() {
    func lengths(_ first: Int, _ second: Int, _ budget: Int) -> [Int] {
      let kept = longestFirstLengths(first, second, budget: budget)
      return [kept.first, kept.second]
    }
    XCTAssertEqual(lengths(10, 4, 5), [3, 2])
    XCTAssertEqual(lengths(4, 10, 5), [2, 3])
    XCTAssertEqual(lengths(10, 10, 5), [2, 3])
    XCTAssertEqual(lengths(3, 10, 8), [3, 5])
    XCTAssertEqual(lengths(3, 2, 8), [3, 2])
    XCTAssertEqual(lengths(9, 0, 4), [4, 0])
  }

  func testPositionIdsStartPastPadding() throws {
    let g = try golden().model
    XCTAssertEqual(
      RobertaEmbeddings.createPositionIds(fromInputIds: g.input_ids, paddingIdx: 1), g.position_ids)
    XCTAssertEqual(
      RobertaEmbeddings.createPositionIds(fromInputIds: [[0, 5, 2, 1, 1]], paddingIdx: 1), [[2, 3, 4, 1, 1]])
  }

  /// RobertaForMaskedLM: last hidden state and MLM logits on a padded batch within 1e-4; the
  /// bare RobertaModel from the same checkpoint; inputs_embeds with sequential positions.
  func testMaskedLMMatchesTransformers() throws {
    let g = try golden().model
    let (model, report) = try RobertaForMaskedLM.fromPretrained(Self.mlmDirectory, outputLoadingInfo: true)
    XCTAssertEqual(report.newlyInitialized, [])
    XCTAssertEqual(report.unused, [])
    XCTAssertEqual(model.config.typeVocabSize, 1)
    model.eval()
    let hidden = try model.roberta(inputIds: g.input_ids, attentionMask: g.attention_mask).lastHiddenState
    assertClose(hidden.data, g.last_hidden_state, tolerance: 1e-4, "last hidden state")
    let logits = try model(inputIds: g.input_ids, attentionMask: g.attention_mask)
    XCTAssertEqual(logits.shape, [g.input_ids.count, g.input_ids[0].count, model.config.vocabSize])
    let rowSize = logits.shape[1] * logits.shape[2]
    let row = Array(logits.data[(g.logits_row * rowSize)..<((g.logits_row + 1) * rowSize)])
    assertClose(row, g.logits, tolerance: 1e-4, "MLM logits")

    let words =
      model.roberta.embeddings.wordEmbeddings(g.inputs_embeds_ids.flatMap { $0 })
      .reshape(1, g.inputs_embeds_ids[0].count, model.config.hiddenSize) * g.inputs_embeds_scale
    let fromEmbeds = try model.roberta(inputsEmbeds: words).lastHiddenState
    assertClose(fromEmbeds.data, g.inputs_embeds_last_hidden_state, tolerance: 1e-4, "inputs_embeds")

    let base = try RobertaModel.fromPretrained(Self.mlmDirectory, outputLoadingInfo: true)
    XCTAssertEqual(base.loadingInfo.newlyInitialized, ["pooler.dense.weight", "pooler.dense.bias"])
    XCTAssertEqual(
      base.loadingInfo.unused,
      [
        "lm_head.bias", "lm_head.dense.bias", "lm_head.dense.weight",
        "lm_head.layer_norm.bias", "lm_head.layer_norm.weight",
      ])
    base.model.eval()
    let bare = try base.model(inputIds: g.input_ids, attentionMask: g.attention_mask).lastHiddenState
    assertClose(bare.data, g.last_hidden_state, tolerance: 1e-4, "RobertaModel")
  }

  /// RobertaForSequenceClassification: logits for single texts and pairs within 1e-4, labels
  /// read from id2label.
  func testSequenceClassifierMatchesTransformers() throws {
    let g = try JSONDecoder().decode(
      ClassifierGolden.self,
      from: Data(contentsOf: Self.classifierDirectory.appendingPathComponent("golden.json")))
    let (model, report) = try RobertaForSequenceClassification.fromPretrained(
      Self.classifierDirectory, outputLoadingInfo: true)
    XCTAssertEqual(report.newlyInitialized, [])
    XCTAssertEqual(report.unused, [])
    XCTAssertEqual(model.config.labelNames, ["negative", "neutral", "positive"])
    model.eval()
    let logits = try model(inputIds: g.input_ids, attentionMask: g.attention_mask)
    XCTAssertEqual(logits.shape, [g.input_ids.count, 3])
    assertClose(logits.data, g.logits, tolerance: 1e-4, "classifier logits")
    let pairLogits = try model(inputIds: g.pair_input_ids, attentionMask: g.pair_attention_mask)
    assertClose(pairLogits.data, g.pair_logits, tolerance: 1e-4, "pair logits")
  }

  /// The names and shapes are transformers': saving writes them, loading them back is exact.
  func testSaveAndLoadRoundTrip() throws {
    let model = try RobertaForSequenceClassification.fromPretrained(Self.classifierDirectory)
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("roberta-model-\(UUID())")
    defer { try? FileManager.default.removeItem(at: scratch) }
    try model.save(to: scratch)
    let names = model.namedParameters().map(\.name)
    XCTAssertTrue(names.contains("roberta.embeddings.position_embeddings.weight"))
    XCTAssertTrue(names.contains("classifier.out_proj.weight"))
    XCTAssertTrue(names.contains("roberta.encoder.layer.1.attention.self.query.weight"))
    let config =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: scratch.appendingPathComponent("config.json"))) as? [String: Any]
    XCTAssertEqual(config?["model_type"] as? String, "roberta")
    XCTAssertEqual(config?["architectures"] as? [String], ["RobertaForSequenceClassification"])
    let (reloaded, report) = try RobertaForSequenceClassification.fromPretrained(
      scratch, outputLoadingInfo: true)
    XCTAssertEqual(report.newlyInitialized, [])
    for ((name, a), (_, b)) in zip(model.namedParameters(), reloaded.namedParameters()) {
      XCTAssertEqual(a.data, b.data, name)
    }
  }

  /// Inputs longer than the positions past the padding id are refused with the limit named.
  func testTooLongInputIsAnError() throws {
    let model = RobertaModel(.tiny(vocabSize: 20))  // 18 positions: 16 tokens
    XCTAssertNoThrow(try model(inputIds: [[Int](repeating: 5, count: 16)]))
    XCTAssertThrowsError(try model(inputIds: [[Int](repeating: 5, count: 17)])) { error in
      XCTAssertTrue("\(error)".contains("at most 16"), "\(error)")
    }
    XCTAssertThrowsError(try model(inputIds: [[5, 6]], tokenTypeIds: [[0, 1]])) { error in
      XCTAssertTrue("\(error)".contains("token_type_ids"), "\(error)")
    }
  }
}

/// BERT's and GPT-2's pair truncation is the tokenizers library's too (transformers 5 always
/// uses it): when both texts must lose tokens, the shorter keeps ⌊budget/2⌋.
final class PairTruncationTests: XCTestCase {
  override func setUpWithError() throws { try skipUnlessTokenizerExercisesDoneForModels() }

  /// transformers' BertTokenizer on Fixtures/kit-tiny-bert, `max_length=8`.
  func testBertPairTruncationMatchesTransformers() throws {
    let tokenizer = try WordPieceTokenizer(
      vocabularyFile: RobertaGoldenTests.fixtures.appendingPathComponent("kit-tiny-bert/vocab.txt"))
    let long = "the critics praised the festival as wonderful and the staff were kind"
    XCTAssertEqual(
      tokenizer(long, pair: "it broke", maxLength: 8).tokens,
      ["[CLS]", "the", "c", "##r", "[SEP]", "it", "b", "[SEP]"])
    XCTAssertEqual(
      tokenizer("it broke", pair: long, maxLength: 8).tokens,
      ["[CLS]", "it", "b", "[SEP]", "the", "c", "##r", "[SEP]"])
  }
}

/// RobertaConfig reads config.json as transformers' RobertaConfig does and refuses sizes that
/// cannot make a model, naming the field.
final class RobertaConfigTests: XCTestCase {
  func decode(_ json: String) throws -> RobertaConfig {
    try JSONDecoder().decode(RobertaConfig.self, from: Data(json.utf8))
  }

  func testDefaultsAreRobertaBaseAndMissingFieldsAreTransformersClassDefaults() throws {
    let base = RobertaConfig()
    XCTAssertEqual(
      [base.padTokenId, base.bosTokenId, base.eosTokenId, base.maxPositionEmbeddings, base.typeVocabSize],
      [1, 0, 2, 514, 1])
    XCTAssertEqual(base.layerNormEps, 1e-5)
    XCTAssertEqual(base.maxLength, 512)
    // transformers' RobertaConfig class keeps BERT's 512 positions, 2 types and eps 1e-12.
    let sparse = try decode(#"{"vocab_size": 100, "model_type": "roberta"}"#)
    XCTAssertEqual([sparse.maxPositionEmbeddings, sparse.typeVocabSize, sparse.vocabSize], [512, 2, 100])
    XCTAssertEqual(sparse.layerNormEps, 1e-12)
    let labelled = try decode(
      #"{"id2label": {"0": "no", "1": "maybe", "2": "yes"}, "classifier_dropout": 0.3}"#)
    XCTAssertEqual(labelled.labelNames, ["no", "maybe", "yes"])
    XCTAssertEqual(labelled.classifierDropout, 0.3)
  }

  func testBadSizesAreRefusedByName() throws {
    var config = RobertaConfig.tiny(vocabSize: 10)
    config.maxPositionEmbeddings = 2
    XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("max_position_embeddings")) }
    config = .tiny(vocabSize: 10)
    config.padTokenId = 10
    XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("pad_token_id")) }
    config = .tiny(vocabSize: 10, hiddenSize: 15)
    XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("num_attention_heads")) }
    XCTAssertNoThrow(try RobertaConfig.tiny(vocabSize: 10).validate())
  }

  /// A tokenizer.json that asks for RoBERTa's layout without <s> in its vocabulary names the file.
  func testRobertaTokenizerJSONWithoutItsSpecialTokensIsAnError() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("roberta-\(UUID()).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try Data(
      #"""
      {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []},
       "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0]}}
      """#.utf8
    ).write(to: url)
    XCTAssertThrowsError(try loadTokenizer(at: url)) { error in
      XCTAssertTrue("\(error)".contains(url.lastPathComponent) && "\(error)".contains("<s>"), "\(error)")
    }
  }
}
