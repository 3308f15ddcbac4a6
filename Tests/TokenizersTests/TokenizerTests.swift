import Foundation
import XCTest

@testable import Tokenizers

/// The tokenizers on hand-made vocabularies, and their file errors.
final class TokenizerTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessTokenizerExercisesDone()
  }

  func testBasicTokenizerNormalisesLikeBERT() {
    let basic = BasicTokenizer(neverSplit: ["[CLS]"])
    XCTAssertEqual(basic.tokenize("Héllo, World!"), ["hello", ",", "world", "!"])
    XCTAssertEqual(basic.tokenize("[CLS] a\tb\u{0007}c"), ["[CLS]", "a", "bc"])
    XCTAssertEqual(basic.tokenize("東京"), ["東", "京"])
    XCTAssertEqual(basic.tokenize("$5+3"), ["$", "5", "+", "3"])
  }

  func testGreedyLongestMatchFirst() throws {
    let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "##a", "play", "##ing", "##s"]
    let wp = try WordPieceTokenizer(tokens: tokens)
    XCTAssertEqual(
      wp.tokenize("unaffable playing plays"), ["un", "##aff", "##able", "play", "##ing", "play", "##s"])
    XCTAssertEqual(wp.tokenize("unknownword"), ["[UNK]"])
    XCTAssertEqual(wp("play").ids, [2, 8, 3])
    XCTAssertEqual(wp.decode(wp("unaffable playing").ids), "unaffable playing")
    let long = try WordPieceTokenizer(tokens: tokens, maxCharactersPerWord: 4)
    XCTAssertEqual(long.tokenize("playing"), ["[UNK]"], "words over the length limit are unknown")
  }

  func testVocabularyFileRoundTripAndErrors() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vocab-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("vocab.txt")
    let wp = try WordPieceTokenizer(tokens: ["[PAD]", "[UNK]", "a", "##b"])
    try wp.write(to: url)
    XCTAssertEqual(try WordPieceTokenizer(vocabularyFile: url).tokens, wp.tokens)
    for (text, expected) in [
      ("", "is empty"), ("[UNK]\na\na\n", ":3: duplicate token \"a\" (first on line 2)"),
      ("[UNK]\n\nb\n", ":2: empty token"), ("a\nb\n", "no [UNK]"),
    ] {
      try Data(text.utf8).write(to: url)
      XCTAssertThrowsError(try WordPieceTokenizer(vocabularyFile: url)) { error in
        XCTAssertTrue("\(error)".contains(expected) && "\(error)".contains("vocab.txt"), "\(error)")
      }
    }
    try Data([0x5B, 0xFF, 0xFE]).write(to: url)
    XCTAssertThrowsError(try WordPieceTokenizer(vocabularyFile: url)) {
      XCTAssertTrue("\($0)".contains("UTF-8"))
    }
  }

  func testWindowsLineEndingsInVocabAndMergesFilesGiveTheSameIds() throws {
    // transformers reads these files in text mode, where "\r\n" is a line ending like "\n".
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("ModelsTests/Fixtures")
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crlf-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    func windows(_ file: String) throws -> URL {
      let text = try String(contentsOf: fixtures.appendingPathComponent(file), encoding: .utf8)
      let url = directory.appendingPathComponent(URL(fileURLWithPath: file).lastPathComponent)
      try Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8).write(to: url)
      return url
    }
    let text = "it was good, the film was bad"
    let bert = try WordPieceTokenizer(
      vocabularyFile: fixtures.appendingPathComponent("kit-tiny-bert/vocab.txt"))
    XCTAssertEqual(
      try WordPieceTokenizer(vocabularyFile: windows("kit-tiny-bert/vocab.txt"))(text).ids, bert(text).ids)
    let gpt2 = try ByteLevelBPETokenizer(
      vocabularyFile: fixtures.appendingPathComponent("kit-tiny-gpt2/vocab.json"),
      mergesFile: fixtures.appendingPathComponent("kit-tiny-gpt2/merges.txt"))
    let windowsGPT2 = try ByteLevelBPETokenizer(
      vocabularyFile: fixtures.appendingPathComponent("kit-tiny-gpt2/vocab.json"),
      mergesFile: windows("kit-tiny-gpt2/merges.txt"))
    XCTAssertEqual(windowsGPT2(text).ids, gpt2(text).ids)
    XCTAssertLessThan(gpt2(text).ids.count, text.utf8.count, "the merges apply")
  }

  func testGPT2PreTokenization() {
    XCTAssertEqual(gpt2PreTokenize("Hello world"), ["Hello", " world"])
    XCTAssertEqual(
      gpt2PreTokenize("it's 42!!  ok\n\nyes"), ["it", "'s", " 42", "!!", " ", " ok", "\n", "\n", "yes"])
    XCTAssertEqual(gpt2PreTokenize("they'll  "), ["they", "'ll", "  "])
  }

  func testBPEMergesByRankAndDecodesBytes() throws {
    // Merges: "l o" first, then "lo w"; "Ġ" is the space byte.
    var vocabulary: [String: Int] = [:]
    for (i, c) in byteToCharacter.enumerated() { vocabulary[String(c)] = i }
    vocabulary["lo"] = 256
    vocabulary["low"] = 257
    let bpe = ByteLevelBPETokenizer(vocabulary: vocabulary, merges: [("l", "o"), ("lo", "w")])
    XCTAssertEqual(bpe.tokenize("low lot"), ["low", "Ġ", "lo", "t"])
    XCTAssertEqual(bpe.decode(bpe.encode("low lot ✓ é")), "low lot ✓ é")
    XCTAssertEqual(byteToCharacter[32], "Ġ")
  }

  func testTokenizerJSONErrorsNameTheField() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID()).json")
    defer { try? FileManager.default.removeItem(at: url) }
    for (json, expected) in [
      (#"{"model": {"type": "Unigram", "vocab": {}}}"#, "expected WordPiece or BPE"),
      (#"{"model": {"type": "WordPiece", "vocab": {"a": 0, "[UNK]": 2}}}"#, "no token for id 1"),
      // Found by fuzzing: the largest id sized the table (10^15 strings) before the gap check.
      (
        #"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1000000000000000}}}"#,
        "no token for id 1"
      ),
      (#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 9223372036854775807}}}"#, "no token for id 0"),
      (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}}"#, "model.merges[0]"),
      // Found by fuzzing (tokenizer-json): the same for BPE's vocabulary.
      (
        #"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1000000000000000}, "merges": []}}"#,
        "no token for id 1"
      ),
      (#"{"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}"#, "no token for id 0"),
      (#"{"nothing": 1}"#, "no \"model\""),
    ] {
      try Data(json.utf8).write(to: url)
      XCTAssertThrowsError(try readTokenizerJSON(url)) { XCTAssertTrue("\($0)".contains(expected), "\($0)") }
    }
  }

  /// vocab.json and merges.txt paths in a scratch folder removed when the test ends.
  func scratchBPEFiles() throws -> (vocab: URL, merges: URL) {
    let directory = try scratchDirectory("bpe")
    return (directory.appendingPathComponent("vocab.json"), directory.appendingPathComponent("merges.txt"))
  }

  /// Found by fuzzing (vocab-json-merges): vocab.json's largest id sized the id → token table.
  func testVocabJSONIdsMustBeZeroToCount() throws {
    let (vocab, merges) = try scratchBPEFiles()
    try Data("#version: 0.2\n".utf8).write(to: merges)
    for (json, expected) in [
      (#"{"a": 0, "b": 1000000000000000}"#, "no token for id 1"),
      (#"{"a": 9223372036854775807}"#, "no token for id 0"), (#"{"a": 0, "b": 0}"#, "no token for id 1"),
    ] {
      try Data(json.utf8).write(to: vocab)
      XCTAssertThrowsError(try ByteLevelBPETokenizer(vocabularyFile: vocab, mergesFile: merges)) {
        XCTAssertTrue("\($0)".contains("vocab.json") && "\($0)".contains(expected), "\($0)")
      }
    }
    // The initializer that takes a dictionary never allocates for an id: it leaves it out.
    let direct = ByteLevelBPETokenizer(vocabulary: ["a": 0, "b": 1_000_000_000_000_000], merges: [])
    XCTAssertEqual(direct.tokens, ["a", ""])
  }

  func testMergesFileErrorsNameTheLine() throws {
    let (vocab, merges) = try scratchBPEFiles()
    try Data(#"{"a": 0, "b": 1, "ab": 2}"#.utf8).write(to: vocab)
    try Data("#version: 0.2\na b\nab\n".utf8).write(to: merges)
    XCTAssertThrowsError(try ByteLevelBPETokenizer(vocabularyFile: vocab, mergesFile: merges)) {
      XCTAssertTrue("\($0)".contains("merges.txt:3"), "\($0)")
    }
    try Data("[1, 2]".utf8).write(to: vocab)
    XCTAssertThrowsError(try ByteLevelBPETokenizer(vocabularyFile: vocab, mergesFile: merges)) {
      XCTAssertTrue("\($0)".contains("vocab.json"), "\($0)")
    }
  }
}
