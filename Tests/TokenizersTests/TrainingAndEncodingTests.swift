import XCTest

@testable import Tokenizers

/// Trained vocabularies and model encodings.
final class TrainingAndEncodingTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessTokenizerExercisesDone()
  }

  let corpus = [
    "the espresso was superb and the crema was thick",
    "the grinder was noisy but the espresso was superb",
    "I descaled the machine and the espresso improved", "the crema was thin, the shot ran fast",
  ]

  func testTrainersAreDeterministicAndRoundTrip() throws {
    let a = try WordPieceTokenizer.train(corpus: corpus, vocabularySize: 60)
    let b = try WordPieceTokenizer.train(corpus: corpus, vocabularySize: 60)
    XCTAssertEqual(a.tokens, b.tokens)
    XCTAssertEqual(Array(a.tokens.prefix(5)), WordPieceTokenizer.specialTokens)
    XCTAssertLessThanOrEqual(a.vocabularySize, 60)
    let text = "the espresso was superb"
    XCTAssertEqual(a.decode(a.encode(text)), text, "no unknown pieces for words of the corpus")
    let bpe = ByteLevelBPETokenizer.train(corpus: corpus, vocabularySize: 300)
    XCTAssertEqual(
      bpe.merges.map { $0.0 + " " + $0.1 },
      ByteLevelBPETokenizer.train(corpus: corpus, vocabularySize: 300).merges.map { $0.0 + " " + $0.1 })
    XCTAssertGreaterThan(bpe.merges.count, 10)
    for t in corpus + ["unseen wörds ☕"] { XCTAssertEqual(bpe.decode(bpe.encode(t)), t) }
    XCTAssertLessThan(
      tokensPerWord(bpe, corpus),
      tokensPerWord(ByteLevelBPETokenizer.train(corpus: corpus, vocabularySize: 257), corpus))
  }

  func testTruncationStrategiesAndOffsets() throws {
    let wp = try WordPieceTokenizer.train(corpus: corpus, vocabularySize: 80)
    let a = "the espresso was superb and the crema was thick"
    let b = "the grinder was noisy"
    XCTAssertEqual(wp(a, pair: b, maxLength: 10).ids.count, 10)
    let onlyFirst = wp(a, pair: b, maxLength: 12, truncation: .onlyFirst)
    XCTAssertEqual(
      onlyFirst.typeIds.filter { $0 == 1 }.count, wp.tokenize(b).count + 1, "the second text is untouched")
    XCTAssertEqual(
      wp(a, pair: b, maxLength: 5, truncation: .doNotTruncate).ids.count,
      wp.tokenize(a + " " + b).count + 3)
    let text = "The Crème was SUPERB!"
    let tokenizer = try WordPieceTokenizer(tokens: [
      "[UNK]", "[CLS]", "[SEP]", "the", "cr", "##eme", "was", "superb", "!",
    ])
    let encoding = tokenizer(text)
    let chars = Array(text)
    let surface = encoding.offsets.compactMap { $0.map { String(chars[$0]) } }
    XCTAssertEqual(surface, ["The", "Cr", "ème", "was", "SUPERB", "!"])
  }

  func testBatchPaddingAndDomainTokens() throws {
    var wp = try WordPieceTokenizer.train(corpus: corpus, vocabularySize: 80)
    let batch = wp.encodeBatch(["the crema", "the espresso was superb and thick"])
    XCTAssertEqual(Set(batch.map(\.ids.count)).count, 1, "padded to the longest")
    XCTAssertEqual(
      batch[0].attentionMask.filter { $0 == 0 }.count, batch[1].ids.count - wp.tokenize("the crema").count - 2
    )
    let before = wp.tokenize("portafilter")
    XCTAssertEqual(wp.addTokens(["Portafilter", "portafilter", "the"]), 1)
    XCTAssertEqual(wp.tokenize("portafilter"), ["portafilter"])
    XCTAssertNotEqual(before, ["portafilter"], "pieces or [UNK] before the word is added")
  }
}
