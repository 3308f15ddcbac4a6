// Hidden tests of Lesson 2's exercises.

import Datasets
import ExerciseTesting
import Tokenizers
import XCTest

final class WordPieceMatchHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "2.2" }

  func testPrefixAndLengthLimit() throws {
    let wp = try WordPieceTokenizer(
      tokens: ["[UNK]", "a", "##b", "##bc", "ab", "##c"], maxCharactersPerWord: 5)
    XCTAssertEqual(wp.wordPieces("abc"), ["ab", "##c"], "longest first from the start: ab, then ##c")
    XCTAssertEqual(wp.wordPieces("abcbc"), ["ab", "##c", "##bc"])
    XCTAssertEqual(wp.wordPieces("abcbcb"), ["[UNK]"], "over the length limit")
  }
}

final class BPEMergeHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "2.3" }

  func testOverlappingOccurrencesMergeLeftFirst() {
    let bpe = ByteLevelBPETokenizer(vocabulary: [:], merges: [])
    XCTAssertEqual(bpe.applyMerge(("a", "a"), to: ["a", "a", "a"]), ["aa", "a"])
    XCTAssertEqual(bpe.applyMerge(("Ġ", "t"), to: ["Ġ", "t", "h", "e"]), ["Ġt", "h", "e"])
  }
}

final class StratifiedSplitHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "2.1" }

  func testThreeLabelsAndDifferentSeeds() {
    let examples = (0..<90).map { Example(label: ["a", "b", "c"][$0 % 3], text: "t\($0)") }
    let one = stratifiedSplit(examples, validation: 0.2, test: 0.2, seed: 1)
    for label in ["a", "b", "c"] { XCTAssertEqual(one.test.filter { $0.label == label }.count, 6) }
    XCTAssertNotEqual(
      stratifiedSplit(examples, validation: 0.2, test: 0.2, seed: 2).test.map(\.text), one.test.map(\.text))
  }

  func testSharesAreRoundedToTheNearestCount() {
    // 9 "a" and 11 "b": test 0.2 → 1.8 and 2.2 → 2 each; validation 0.3 → 2.7 and 3.3 → 3 each.
    let examples = (0..<20).map { Example(label: $0 < 9 ? "a" : "b", text: "t\($0)") }
    let splits = stratifiedSplit(examples, validation: 0.3, test: 0.2, seed: 4)
    for label in ["a", "b"] {
      XCTAssertEqual(
        splits.test.filter { $0.label == label }.count, 2,
        "label \(label): its test share is rounded to the nearest count, not truncated")
      XCTAssertEqual(
        splits.validation.filter { $0.label == label }.count, 3,
        "label \(label): its validation share is rounded to the nearest count, not truncated")
    }
    XCTAssertEqual(splits.train.count, 10)
  }
}

final class PaddingHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "2.4" }

  func testPairEncodingPadsTypeIdsWithZero() {
    let e = Encoding(
      ids: [1, 2, 3, 4], tokens: ["a", "b", "c", "d"], typeIds: [0, 0, 1, 1], attentionMask: [1, 1, 1, 1],
      offsets: [nil, nil, nil, nil])
    let padded = pad(e, to: 6, padID: 9, padToken: "<pad>")
    XCTAssertEqual(padded.typeIds, [0, 0, 1, 1, 0, 0])
    XCTAssertEqual(padded.ids, [1, 2, 3, 4, 9, 9])
    XCTAssertEqual(padded.tokens, ["a", "b", "c", "d", "<pad>", "<pad>"])
  }

  func testPadsPointNowhereInTheText() {
    let e = Encoding(
      ids: [1, 2], tokens: ["a", "b"], typeIds: [0, 0], attentionMask: [1, 1], offsets: [0..<1, 2..<3])
    let padded = pad(e, to: 4, padID: 0)
    XCTAssertEqual(
      padded.offsets, [0..<1, 2..<3, nil, nil], "a pad covers no characters of the text: its offsets are nil")
  }
}
