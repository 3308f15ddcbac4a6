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
