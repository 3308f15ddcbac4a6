import Foundation
import XCTest

@testable import Tokenizers

/// One shape for both tokenizers: `tokenizer(text, pair:, maxLength:)` gives an `Encoding`,
/// `padTokenId`, `tokens`, and `save(to:)` writes what transformers reads back.
final class TokenizerProtocolTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessTokenizerExercisesDone()
  }

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../ModelsTests/Fixtures").standardizedFileURL
  /// kit-tiny-bert's config and weights with only the tokenizer.json transformers writes for its
  /// vocab.txt (scripts/make_tokenizer_json_fixture.py).
  static let jsonOnly = fixtures.appendingPathComponent("kit-tiny-bert-tokenizer-json")

  struct Golden: Decodable {
    var texts: [String]
    var input_ids: [[Int]]
    var pair: [String]
    var pair_input_ids: [Int]
    var pair_token_type_ids: [Int]
  }

  var scratch: URL!
  override func setUp() {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID())")
  }
  override func tearDown() {
    if let scratch { try? FileManager.default.removeItem(at: scratch) }
  }

  func golden() throws -> Golden {
    try JSONDecoder().decode(
      Golden.self,
      from: Data(contentsOf: Self.fixtures.appendingPathComponent("kit-tiny-bert-tokenizer-json-golden.json"))
    )
  }

  /// A JSON file as Foundation objects, for comparing files whatever their key order.
  func jsonObject(_ data: Data) throws -> NSDictionary {
    try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? NSDictionary)
  }

  static let corpus = [
    "The critics praised the festival as wonderful.", "It broke after two days; I would not buy it again.",
    "The café was lovely, the crème brûlée too.",
  ]

  func testACheckpointWithOnlyTokenizerJSONGivesTransformersIds() throws {
    let tokenizer = try loadTokenizer(at: Self.jsonOnly)
    XCTAssertTrue(tokenizer is WordPieceTokenizer)
    XCTAssertEqual(tokenizerFile(in: Self.jsonOnly)?.lastPathComponent, "tokenizer.json")
    let g = try golden()
    for (text, ids) in zip(g.texts, g.input_ids) {
      XCTAssertEqual(tokenizer(text).ids, ids, text.debugDescription)
    }
    let pair = tokenizer(g.pair[0], pair: g.pair[1], maxLength: nil)
    XCTAssertEqual(pair.ids, g.pair_input_ids)
    XCTAssertEqual(pair.typeIds, g.pair_token_type_ids)
    XCTAssertEqual(tokenizer.padTokenId, 0)
    XCTAssertNil(tokenizer.eosTokenId)
  }

  func testWordPieceWritesTheTokenizerJSONTransformersWrites() throws {
    let tokenizer = try WordPieceTokenizer(
      vocabularyFile: Self.fixtures.appendingPathComponent("kit-tiny-bert/vocab.txt"))
    XCTAssertEqual(
      try jsonObject(try tokenizer.tokenizerJSON()),
      try jsonObject(try Data(contentsOf: Self.jsonOnly.appendingPathComponent("tokenizer.json"))))
  }

  func testWordPieceSaveLoadsBackWithItsCasing() throws {
    for lowercase in [true, false] {
      let tokenizer = try WordPieceTokenizer.train(
        corpus: Self.corpus, vocabularySize: 80, lowercase: lowercase)
      let directory = scratch.appendingPathComponent("cased-\(!lowercase)")
      try tokenizer.save(to: directory)
      for name in ["vocab.txt", "tokenizer.json", "tokenizer_config.json"] {
        XCTAssertTrue(
          FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path), name)
      }
      let reloaded = try XCTUnwrap(try loadTokenizer(at: directory) as? WordPieceTokenizer)
      XCTAssertEqual(reloaded.tokens, tokenizer.tokens)
      XCTAssertEqual(reloaded.basic.lowercase, lowercase)
      for text in Self.corpus + ["CAPITALS Here"] {
        XCTAssertEqual(
          reloaded(text, pair: "and More", maxLength: 12), tokenizer(text, pair: "and More", maxLength: 12))
      }
      let config = try jsonObject(Data(contentsOf: directory.appendingPathComponent("tokenizer_config.json")))
      XCTAssertEqual(config["do_lower_case"] as? Bool, lowercase)
      XCTAssertEqual(config["tokenizer_class"] as? String, "BertTokenizer")
    }
  }

  func testByteLevelBPEEncodesLikeGPT2WithoutSpecialTokens() throws {
    let bpe = ByteLevelBPETokenizer.train(corpus: Self.corpus, vocabularySize: 300)
    let text = "The café was wonderful."
    let encoding = bpe(text)
    XCTAssertEqual(encoding.ids, bpe.encode(text), "no special tokens, as GPT-2's tokenizer")
    XCTAssertEqual(encoding.tokens, encoding.ids.map { bpe.tokens[$0] })
    XCTAssertEqual(encoding.tokens, bpe.tokenize(text))
    XCTAssertEqual(encoding.attentionMask, [Int](repeating: 1, count: encoding.ids.count))
    XCTAssertEqual(encoding.typeIds, [Int](repeating: 0, count: encoding.ids.count))
    // Offsets: each token's characters, a leading space included; together they cover the text.
    let characters = Array(text)
    XCTAssertEqual(encoding.offsets.first??.lowerBound, 0)
    XCTAssertEqual(encoding.offsets.last??.upperBound, characters.count)
    for (token, range) in zip(encoding.ids, encoding.offsets) {
      let range = try XCTUnwrap(range)
      let decoded = bpe.decode([token])
      if !decoded.contains("\u{FFFD}") {  // a token holding part of "é" decodes to U+FFFD
        XCTAssertEqual(decoded, String(characters[range]), "token \(bpe.tokens[token])")
      }
    }
    XCTAssertEqual(bpe(text, maxLength: 3).ids, Array(encoding.ids.prefix(3)))
    let pair = bpe("The café", pair: "was wonderful, really wonderful", maxLength: 6)
    let (first, second) = (bpe.encode("The café"), bpe.encode("was wonderful, really wonderful"))
    XCTAssertGreaterThan(first.count + second.count, 6)
    XCTAssertEqual(pair.ids.count, 6)
    // Longest first: the longer text loses tokens until the two are even.
    let kept = pair.typeIds.filter { $0 == 0 }.count
    XCTAssertEqual(pair.ids, Array(first.prefix(kept)) + Array(second.prefix(6 - kept)))
    XCTAssertEqual(kept, min(first.count, 3))
  }

  func testByteLevelBPEPadsWithNothingAndSavesWhatGPT2TokenizerReads() throws {
    let bpe = ByteLevelBPETokenizer.train(corpus: Self.corpus, vocabularySize: 300)
    XCTAssertNil(bpe.padTokenId, "GPT-2 has no padding token")
    XCTAssertEqual(bpe.eosTokenId, bpe.vocabulary["<|endoftext|>"])
    XCTAssertEqual(bpe.tokens.count, bpe.vocabularySize)
    for (token, id) in bpe.vocabulary { XCTAssertEqual(bpe.tokens[id], token) }
    try bpe.save(to: scratch)
    let reloaded = try XCTUnwrap(try loadTokenizer(at: scratch) as? ByteLevelBPETokenizer)
    XCTAssertEqual(reloaded.tokens, bpe.tokens)
    for text in Self.corpus { XCTAssertEqual(reloaded(text), bpe(text)) }
    let config = try jsonObject(Data(contentsOf: scratch.appendingPathComponent("tokenizer_config.json")))
    XCTAssertEqual(config["eos_token"] as? String, "<|endoftext|>")
  }

  func testBothTokenizersThroughTheProtocol() throws {
    let tokenizers: [any Tokenizer] = [
      try WordPieceTokenizer.train(corpus: Self.corpus, vocabularySize: 80),
      ByteLevelBPETokenizer.train(corpus: Self.corpus, vocabularySize: 300),
    ]
    for tokenizer in tokenizers {
      let encoding = tokenizer(Self.corpus[0], maxLength: 5)
      XCTAssertEqual(encoding.ids.count, 5, "\(type(of: tokenizer))")
      XCTAssertEqual(encoding.tokens, encoding.ids.map { tokenizer.tokens[$0] })
      let directory = scratch.appendingPathComponent("\(type(of: tokenizer))")
      try tokenizer.save(to: directory)
      let reloaded = try loadTokenizer(at: directory)
      XCTAssertEqual(reloaded(Self.corpus[1]), tokenizer(Self.corpus[1]))
    }
  }
}
