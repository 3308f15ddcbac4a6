import XCTest

@testable import Datasets

/// EDA's operations: deterministic for a seed, punctuation kept, sentiment words never replaced.
final class AugmentationTests: XCTestCase {
  let table = synonymTable(augmentationSynonyms)

  func testSynonymReplacementKeepsPunctuationAndSkipsSentimentWords() {
    var random = SeededRandom(seed: 1)
    let words = "The kettle is wonderful.".split(separator: " ").map(String.init)
    let out = replaceSynonyms(words, count: 3, table: table, random: &random)
    XCTAssertEqual(out.count, 4)
    XCTAssertNotEqual(out[1], "kettle", "kettle has synonyms among the products")
    XCTAssertEqual(out[3], "wonderful.", "sentiment words are not in the synonym table")
    XCTAssertNil(table["wonderful"])
    let (core, _, suffix) = wordCore("Kettle.")
    XCTAssertEqual(core, "kettle")
    XCTAssertEqual(suffix, ".")
  }

  func testInsertionSwapAndAugmentAreDeterministic() {
    let words = ["my", "tent", "leaks", "badly"]
    var a = SeededRandom(seed: 7)
    let inserted = insertSynonyms(words, count: 2, table: table, random: &a)
    XCTAssertEqual(inserted.count, 6)
    var b = SeededRandom(seed: 7)
    let swapped = swapWords(words, count: 2, random: &b)
    XCTAssertEqual(swapped.sorted(), words.sorted())
    var c = SeededRandom(seed: 3)
    var d = SeededRandom(seed: 3)
    var eda = EDA()
    eda.numAug = 3  // not random deletion, exercise 6.4 (this target cannot skip an unfinished one)
    XCTAssertEqual(
      eda.augment("my tent leaks badly", random: &c), eda.augment("my tent leaks badly", random: &d))
    var e = SeededRandom(seed: 3)
    XCTAssertEqual(eda.augment("my tent leaks badly", random: &e).count, eda.numAug)
    var f = SeededRandom(seed: 3)
    XCTAssertEqual(insertSynonyms(["wonderful"], count: 2, table: table, random: &f), ["wonderful"])
  }
}
