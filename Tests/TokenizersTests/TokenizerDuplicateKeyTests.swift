import Foundation
import XCTest

@testable import Tokenizers

/// A key written twice in one object of a tokenizer file: transformers (Python's json) keeps the
/// last value, and what the kit's parser keeps depends on the platform (JSONSerialization keeps
/// the last on Linux), so every tokenizer reader refuses the file naming it, the key and the
/// object, instead of leaving the ids to the parser.
final class TokenizerDuplicateKeyTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    try skipUnlessTokenizerExercisesDone()
    directory = try scratchDirectory("dupkeys")
  }

  /// `directory/name` holding `text`.
  func write(_ name: String, _ text: String) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
  }

  func assertRefused(_ load: @autoclosure () throws -> Any, _ expected: String, line: UInt = #line) {
    XCTAssertThrowsError(try load(), line: line) {
      XCTAssertTrue("\($0)".contains(expected), "\($0)", line: line)
    }
  }

  func testTokenizerJSONWithARepeatedVocabularyKeyIsRefused() throws {
    // Without the check, {"a": 0, "a": 1} reads as {"a": 1} on Linux and is refused as a
    // vocabulary without id 0, which does not say what is wrong; {"a": 1, "a": 0} is read.
    let bpe = try write(
      "tokenizer.json", #"{"model": {"type": "BPE", "vocab": {"a": 0, "a": 1}, "merges": []}}"#)
    assertRefused(
      try readTokenizerJSON(bpe), "\(bpe.path): the key \"a\" appears twice in the object model.vocab")
    let reversed = try write(
      "reversed.json", #"{"model": {"type": "BPE", "vocab": {"a": 1, "a": 0}, "merges": []}}"#)
    assertRefused(try readTokenizerJSON(reversed), "the key \"a\" appears twice in the object model.vocab")
    let wordPiece = try write(
      "wordpiece.json", #"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1, "a": 2}}}"#)
    assertRefused(
      try readTokenizerJSON(wordPiece),
      "wordpiece.json: the key \"a\" appears twice in the object model.vocab")
    // Outside the vocabulary too: which "type" counts decides the model.
    let type = try write(
      "type.json", #"{"model": {"type": "WordPiece", "type": "BPE", "vocab": {"[UNK]": 0}, "merges": []}}"#)
    assertRefused(try readTokenizerJSON(type), "the key \"type\" appears twice in the object model")
    // The same files without the repeat are read.
    let clean = try write("clean.json", #"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1}}}"#)
    XCTAssertEqual(try readTokenizerJSON(clean).vocabularySize, 2)
  }

  func testVocabJSONWithARepeatedTokenIsRefused() throws {
    let merges = try write("merges.txt", "#version: 0.2\n")
    let vocab = try write("vocab.json", #"{"a": 0, "a": 1}"#)
    assertRefused(
      try ByteLevelBPETokenizer(vocabularyFile: vocab, mergesFile: merges),
      "\(vocab.path): the key \"a\" appears twice in the top-level object")
    _ = try write("vocab.json", #"{"a": 0, "b": 1}"#)
    XCTAssertEqual(try ByteLevelBPETokenizer(vocabularyFile: vocab, mergesFile: merges).vocabularySize, 2)
  }

  /// tokenizer_config.json decides whether a vocab.json + merges.txt directory is RoBERTa's: a
  /// repeated or damaged one is refused, not skipped (which would tokenize as plain GPT-2).
  func testTokenizerConfigBesideVocabJSONIsReadOrRefusedNeverSkipped() throws {
    _ = try write("merges.txt", "#version: 0.2\n")
    _ = try write("vocab.json", #"{"<s>": 0, "</s>": 1, "a": 2}"#)
    let config = try write(
      "tokenizer_config.json", #"{"tokenizer_class": "GPT2Tokenizer", "tokenizer_class": "RobertaTokenizer"}"#
    )
    assertRefused(
      try loadTokenizer(at: directory), "\(config.path): the key \"tokenizer_class\" appears twice")
    _ = try write("tokenizer_config.json", #"{"tokenizer_class": "RobertaTok"#)
    assertRefused(try loadTokenizer(at: directory), "\(config.path): is not a JSON object")
    _ = try write("tokenizer_config.json", #"{"tokenizer_class": "RobertaTokenizer"}"#)
    XCTAssertTrue(try loadTokenizer(at: directory) is RobertaTokenizer)
  }

  /// The WordPiece branch shares the BPE readers' id check: a negative id used to be dropped
  /// silently (the table was sized by the non-negative ids), leaving its token out.
  func testANegativeWordPieceIdIsRefusedLikeABPEOne() throws {
    let url = try write(
      "tokenizer.json", #"{"model": {"type": "WordPiece", "vocab": {"a": -1, "[UNK]": 0}}}"#)
    assertRefused(
      try readTokenizerJSON(url), "field model.vocab has no token for id 1; ids must be 0..<count")
  }
}
