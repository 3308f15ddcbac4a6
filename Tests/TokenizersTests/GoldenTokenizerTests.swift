import Foundation
import XCTest

@testable import Tokenizers

/// The kit's tokenizers against Hugging Face's on real vocabularies (fixture by
/// scripts/golden_tokenizers.py; skipped when ../shared/data/real is absent).
final class GoldenTokenizerTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessTokenizerExercisesDone()
  }

  static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  static let real = here.appendingPathComponent("../../../shared/data/real").standardizedFileURL

  struct Pair: Decodable {
    var a: String
    var b: String
    var input_ids: [Int]
    var token_type_ids: [Int]
  }

  struct Golden: Decodable {
    var texts: [String]
    var bert_ids: [[Int]]
    var bert_tokens: [[String]]
    var bert_pairs: [Pair]
    var gpt2_ids: [[Int]]
  }

  func golden() throws -> Golden {
    try JSONDecoder().decode(
      Golden.self, from: Data(contentsOf: Self.here.appendingPathComponent("Fixtures/golden.json")))
  }

  func realFile(_ path: String) throws -> URL {
    let url = Self.real.appendingPathComponent(path)
    guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("\(url.path) is not here") }
    return url
  }

  func testWordPieceMatchesBertTokenizer() throws {
    let tokenizer = try WordPieceTokenizer(vocabularyFile: realFile("minilm-l3/vocab.txt"))
    let g = try golden()
    for (i, text) in g.texts.enumerated() {
      XCTAssertEqual(tokenizer.tokenize(text), g.bert_tokens[i], "tokens of \(text.debugDescription)")
      XCTAssertEqual(tokenizer(text).ids, g.bert_ids[i], "ids of \(text.debugDescription)")
    }
    for pair in g.bert_pairs {
      let encoded = tokenizer(pair.a, pair: pair.b)
      XCTAssertEqual(encoded.ids, pair.input_ids)
      XCTAssertEqual(encoded.typeIds, pair.token_type_ids)
    }
  }

  func testTokenizerJSONAndDirectoriesGiveTheSameIds() throws {
    let fromVocabulary = try loadTokenizer(at: realFile("minilm-l3/vocab.txt"))
    let fromJSON = try loadTokenizer(at: realFile("minilm-l3/tokenizer.json"))
    let fromDirectory = try loadTokenizer(at: realFile("gpt2-bpe"))
    XCTAssertTrue(fromJSON is WordPieceTokenizer)
    XCTAssertTrue(fromDirectory is ByteLevelBPETokenizer)
    for text in try golden().texts {
      XCTAssertEqual(fromJSON.encode(text), fromVocabulary.encode(text), text.debugDescription)
    }
  }

  /// MiniLM's directory holds vocab.txt and tokenizer.json: `loadTokenizer` reads tokenizer.json
  /// and, through the `Tokenizer` protocol, gives transformers' ids for texts and pairs.
  func testMiniLMDirectoryThroughTheProtocolGivesTransformersIds() throws {
    let directory = try realFile("minilm-l3")
    XCTAssertEqual(tokenizerFile(in: directory)?.lastPathComponent, "tokenizer.json")
    let tokenizer: any Tokenizer = try loadTokenizer(at: directory)
    let g = try golden()
    for (i, text) in g.texts.enumerated() {
      XCTAssertEqual(tokenizer(text).ids, g.bert_ids[i], "ids of \(text.debugDescription)")
    }
    for pair in g.bert_pairs {
      let encoded = tokenizer(pair.a, pair: pair.b, maxLength: nil)
      XCTAssertEqual(encoded.ids, pair.input_ids)
      XCTAssertEqual(encoded.typeIds, pair.token_type_ids)
    }
    XCTAssertEqual(tokenizer.padTokenId, 0)
  }

  /// The tokenizer.json the kit writes for MiniLM's vocabulary is MiniLM's own, apart from the
  /// truncation and padding settings its authors saved in it.
  func testMiniLMTokenizerJSONWrittenByTheKitIsTransformers() throws {
    let tokenizer = try WordPieceTokenizer(vocabularyFile: realFile("minilm-l3/vocab.txt"))
    let original = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(contentsOf: realFile("minilm-l3/tokenizer.json")))
        as? [String: Any])
    let written = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: tokenizer.tokenizerJSON()) as? [String: Any])
    for key in Set(original.keys).union(written.keys).subtracting(["truncation", "padding"]).sorted() {
      XCTAssertEqual(written[key] as? NSObject, original[key] as? NSObject, key)
    }
  }

  func testByteLevelBPEThroughTheProtocolGivesGPT2Ids() throws {
    let tokenizer: any Tokenizer = try loadTokenizer(at: realFile("gpt2-bpe"))
    let g = try golden()
    for (i, text) in g.texts.enumerated() {
      XCTAssertEqual(tokenizer(text).ids, g.gpt2_ids[i], "ids of \(text.debugDescription)")
      XCTAssertEqual(tokenizer(text, maxLength: 4).ids, Array(g.gpt2_ids[i].prefix(4)))
    }
    XCTAssertNil(tokenizer.padTokenId)
    XCTAssertEqual(tokenizer.eosTokenId, 50256)
  }

  func testByteLevelBPEMatchesGPT2() throws {
    let tokenizer = try ByteLevelBPETokenizer(
      vocabularyFile: realFile("gpt2-bpe/vocab.json"), mergesFile: realFile("gpt2-bpe/merges.txt"))
    XCTAssertEqual(tokenizer.encode("Hello world"), [15496, 995])
    let g = try golden()
    for (i, text) in g.texts.enumerated() {
      XCTAssertEqual(tokenizer.encode(text), g.gpt2_ids[i], "ids of \(text.debugDescription)")
      XCTAssertEqual(tokenizer.decode(tokenizer.encode(text)), text, "decoding is lossless")
    }
  }
}
