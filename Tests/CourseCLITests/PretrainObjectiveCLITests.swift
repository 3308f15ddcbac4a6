import Foundation
import XCTest

/// `course pretrain --objective mlm+sop|mlm+nsp|mlm+bow [--model DIR]`: BertForPreTraining with
/// an objective on [CLS] beside masked LM, from scratch or continuing a checkpoint.
final class PretrainObjectiveCLITests: CourseCLITestCase {
  /// `documents` documents of three sentences each.
  func corpus(documents: Int = 120) throws -> String {
    let words = ["crema", "shot", "grind", "tamper", "beans", "roast", "milk", "foam", "cup", "water"]
    let lines = (0..<documents).map { i in
      (0..<3).map { s in
        (0..<5).map { words[($0 * 7 + i * 3 + s * 5 + $0 * i) % words.count] }.joined(separator: " ") + "."
      }.joined(separator: " ")
    }
    return try file("corpus.txt", lines.joined(separator: "\n"))
  }

  func testSentenceOrderPretrainingWritesABertForPreTrainingThatContinues() throws {
    let first = scratch.appendingPathComponent("sop").path
    let result = try course([
      "pretrain", "--objective", "mlm+sop", "--corpus", try corpus(), "--output", first, "--steps", "2",
      "--vocabulary", "120",
    ])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stdout.contains("sentence-order accuracy"), result.stdout)
    let config = try String(contentsOfFile: first + "/config.json", encoding: .utf8)
    XCTAssertTrue(config.contains("BertForPreTraining"), config)
    let card = try String(contentsOfFile: first + "/README.md", encoding: .utf8)
    XCTAssertTrue(card.contains("--objective mlm+sop"), card)
    // Continue it with next-sentence prediction: every tensor loads, the vocabulary is kept.
    let second = scratch.appendingPathComponent("nsp").path
    let continued = try course([
      "pretrain", "--objective", "mlm+nsp", "--model", first, "--corpus", try corpus(), "--output", second,
      "--steps", "1", "--lr", "1e-4",
    ])
    XCTAssertEqual(continued.status, 0, continued.stderr)
    XCTAssertFalse(continued.stdout.contains("newly initialized"), continued.stdout)
    XCTAssertTrue(continued.stdout.contains("next-sentence accuracy"), continued.stdout)
    XCTAssertEqual(
      try String(contentsOfFile: second + "/vocab.txt", encoding: .utf8),
      try String(contentsOfFile: first + "/vocab.txt", encoding: .utf8))
    // The MLM model of the same checkpoint loads it too (fill-mask), the sentence head unused.
    let input = try file("masked.txt", "crema shot [MASK] tamper\n")
    let filled = try course(["fill-mask", "--model", second, "--input", input])
    XCTAssertEqual(filled.status, 0, filled.stderr)
  }

  func testFrozenPositionEmbeddingsLeaveThePositionTableAsItWasAndTrainTheRest() throws {
    // Masked LM holds out a fiftieth of the documents and needs a full row of them.
    let corpus = try corpus(documents: 600)
    let first = scratch.appendingPathComponent("mlm").path
    let made = try course([
      "pretrain", "--corpus", corpus, "--output", first, "--steps", "2", "--vocabulary", "120",
    ])
    XCTAssertEqual(made.status, 0, made.stderr)
    // Continue it at a learning rate that moves every trained tensor visibly.
    let second = scratch.appendingPathComponent("frozen").path
    let continued = try course([
      "pretrain", "--model", first, "--corpus", corpus, "--output", second, "--steps", "3", "--lr", "0.01",
      "--freeze-position-embeddings",
    ])
    XCTAssertEqual(continued.status, 0, continued.stderr)
    let positions = "bert.embeddings.position_embeddings.weight"
    XCTAssertEqual(try Self.tensorBytes(positions, in: second), try Self.tensorBytes(positions, in: first))
    for trained in ["bert.embeddings.word_embeddings.weight", "bert.embeddings.token_type_embeddings.weight"]
    {
      XCTAssertNotEqual(
        try Self.tensorBytes(trained, in: second), try Self.tensorBytes(trained, in: first), trained)
    }
    let card = try String(contentsOfFile: second + "/README.md", encoding: .utf8)
    XCTAssertTrue(card.contains("--freeze-position-embeddings"), card)
    try fail(
      ["pretrain", "--arch", "roberta", "--freeze-position-embeddings", "--output", scratch.path + "/r"],
      saying: ["--freeze-position-embeddings: only with --arch bert"])
  }

  func testBagOfWordsObjectiveTrainsThePoolerThatMaskedLMAloneLeaves() throws {
    let corpus = try corpus(documents: 600)
    let first = scratch.appendingPathComponent("bow").path
    let made = try course([
      "pretrain", "--objective", "mlm+bow", "--line-by-line", "--corpus", corpus, "--output", first,
      "--steps", "2", "--vocabulary", "120",
    ])
    XCTAssertEqual(made.status, 0, made.stderr)
    let config = try String(contentsOfFile: first + "/config.json", encoding: .utf8)
    XCTAssertTrue(config.contains("BertForPreTraining"), config)
    let card = try String(contentsOfFile: first + "/README.md", encoding: .utf8)
    XCTAssertTrue(card.contains("--objective mlm+bow --line-by-line"), card)
    XCTAssertTrue(card.contains("Bag-of-words loss of the held-out documents"), card)
    let curve = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: first + "/pretraining.json")))
    XCTAssertNotNil((curve as? [String: Any])?["bag_of_words_loss"], "pretraining.json")
    // Masked LM alone gives the pooler no gradient (and AdamW skips a tensor without one, as the
    // untrained sentence head shows); the bag of words is read through it.
    let next = scratch.appendingPathComponent("continued").path
    let continued = try course([
      "pretrain", "--objective", "mlm+bow", "--line-by-line", "--model", first, "--corpus", corpus,
      "--output",
      next, "--steps", "3", "--lr", "0.01",
    ])
    XCTAssertEqual(continued.status, 0, continued.stderr)
    XCTAssertFalse(continued.stdout.contains("newly initialized"), continued.stdout)
    for (tensor, trained) in [("bert.pooler.dense.weight", true), ("cls.seq_relationship.weight", false)] {
      let (before, after) = (try Self.tensorBytes(tensor, in: first), try Self.tensorBytes(tensor, in: next))
      XCTAssertEqual(before != after, trained, tensor)
    }
    try fail(
      ["pretrain", "--objective", "mlm+sop", "--line-by-line", "--output", scratch.path + "/x"],
      saying: ["--line-by-line: only for masked LM"])
    try fail(
      ["pretrain", "--objective", "mlm+bow", "--dupe-factor", "2", "--output", scratch.path + "/x"],
      saying: ["--dupe-factor: only with --objective mlm+nsp or mlm+sop"])
  }

  func testSentenceObjectivesAreForBertOnly() throws {
    try fail(
      ["pretrain", "--arch", "gpt", "--objective", "mlm+sop", "--output", scratch.path],
      saying: ["--objective: only with --arch bert"])
    try fail(
      ["pretrain", "--objective", "mlm+sop", "--model", scratch.path, "--output", scratch.path + "/x"],
      saying: ["no vocab.txt"])
  }
}
