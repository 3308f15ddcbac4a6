import Datasets
import ExerciseTesting
import Tokenizers
import XCTest

/// Exercise 2.2: `WordPieceTokenizer.wordPieces` (Sources/Tokenizers/WordPiece.swift).
final class WordPieceMatchTests: ExerciseTestCase {
  override class var exerciseID: String { "2.2" }

  func tokenizer() throws -> WordPieceTokenizer {
    try WordPieceTokenizer(tokens: [
      "[PAD]", "[UNK]", "un", "##aff", "##able", "##a", "aff", "play", "##ing", "##s",
    ])
  }

  func testLongestPiecesFirst() throws {
    XCTAssertEqual(try tokenizer().wordPieces("unaffable"), ["un", "##aff", "##able"])
    XCTAssertEqual(try tokenizer().wordPieces("playing"), ["play", "##ing"])
  }

  func testUnsplittableWordIsUnknown() throws {
    XCTAssertEqual(
      try tokenizer().wordPieces("plax"), ["[UNK]"], "one unknown for the whole word, not pieces")
    XCTAssertEqual(
      try tokenizer().wordPieces("unx"), ["[UNK]"],
      "\"un\" fits but \"##x\" does not: the whole word is one [UNK], the pieces found so far are dropped")
  }
}

/// Exercise 2.3: `ByteLevelBPETokenizer.applyMerge` (Sources/Tokenizers/ByteLevelBPE.swift).
final class BPEMergeTests: ExerciseTestCase {
  override class var exerciseID: String { "2.3" }

  let bpe = ByteLevelBPETokenizer(vocabulary: [:], merges: [])

  func testMergesEveryOccurrence() {
    XCTAssertEqual(bpe.applyMerge(("l", "o"), to: ["l", "o", "w", "l", "o"]), ["lo", "w", "lo"])
  }

  func testNoOccurrenceChangesNothing() {
    XCTAssertEqual(bpe.applyMerge(("x", "y"), to: ["l", "o", "w"]), ["l", "o", "w"])
  }

  /// A merge joins two whole symbols: the end of one symbol and the start of the next are not a pair.
  func testMergesWholeSymbolsOnly() {
    XCTAssertEqual(
      bpe.applyMerge(("o", "w"), to: ["lo", "w"]), ["lo", "w"],
      "(\"o\", \"w\") is not the pair (\"lo\", \"w\"): compare whole symbols, not joined text")
    XCTAssertEqual(
      bpe.applyMerge(("l", "o"), to: ["l", "ow"]), ["l", "ow"],
      "(\"l\", \"o\") is not the pair (\"l\", \"ow\"): compare whole symbols, not joined text")
    XCTAssertEqual(
      bpe.applyMerge(("lo", "w"), to: ["l", "ow"]), ["l", "ow"],
      "(\"l\", \"ow\") spells \"low\" too, but it is not the pair (\"lo\", \"w\"): compare each symbol with its half"
    )
    XCTAssertEqual(bpe.applyMerge(("lo", "w"), to: ["lo", "w", "l", "o", "w"]), ["low", "l", "o", "w"])
  }
}

/// Exercise 2.1: `stratifiedSplit` (Sources/Datasets/Splits.swift).
final class StratifiedSplitTests: ExerciseTestCase {
  override class var exerciseID: String { "2.1" }

  let examples = (0..<100).map { Example(label: $0 < 80 ? "common" : "rare", text: "example \($0)") }

  func testProportionsPerLabel() {
    let splits = stratifiedSplit(examples, validation: 0.1, test: 0.2, seed: 1)
    XCTAssertEqual(splits.test.filter { $0.label == "rare" }.count, 4, "20% of the 20 rare examples")
    XCTAssertEqual(splits.test.filter { $0.label == "common" }.count, 16)
    XCTAssertEqual(splits.validation.count, 10)
    XCTAssertEqual(splits.train.count, 70)
  }

  func testEveryExampleExactlyOnceAndSeeded() {
    let a = stratifiedSplit(examples, validation: 0.1, test: 0.2, seed: 7)
    XCTAssertEqual(Set((a.train + a.validation + a.test).map(\.text)).count, 100)
    XCTAssertEqual(stratifiedSplit(examples, validation: 0.1, test: 0.2, seed: 7).test, a.test)
  }

  /// Split label by label, but do not hand back a training set with every "common" example
  /// before every "rare" one: a trainer that reads it in order would see one class, then the other.
  func testLabelsAreMixedWithinEachSplit() {
    let splits = stratifiedSplit(examples, validation: 0.1, test: 0.2, seed: 3)
    for (name, split) in [("train", splits.train), ("validation", splits.validation), ("test", splits.test)] {
      let labels = split.map(\.label)
      XCTAssertFalse(
        labels == labels.sorted() || labels == labels.sorted(by: >),
        "the \(name) split is grouped by label: shuffle each split after taking its share of every label")
    }
  }
}

/// Exercise 2.4: `pad(_:to:padID:)` (Sources/Tokenizers/Encoding.swift).
final class PaddingTests: ExerciseTestCase {
  override class var exerciseID: String { "2.4" }

  let encoding = Encoding(
    ids: [2, 7, 3], tokens: ["[CLS]", "hi", "[SEP]"], typeIds: [0, 0, 0], attentionMask: [1, 1, 1],
    offsets: [nil, 0..<2, nil])

  func testPadsEveryFieldAndMasksThePads() {
    let padded = pad(encoding, to: 5, padID: 0)
    XCTAssertEqual(padded.ids, [2, 7, 3, 0, 0])
    XCTAssertEqual(padded.attentionMask, [1, 1, 1, 0, 0])
    XCTAssertEqual(padded.typeIds, [0, 0, 0, 0, 0])
    XCTAssertEqual(padded.tokens.last, "[PAD]")
    XCTAssertEqual(padded.offsets.count, 5)
  }

  func testLongEnoughIsUnchanged() {
    XCTAssertEqual(pad(encoding, to: 2, padID: 0), encoding)
  }
}
