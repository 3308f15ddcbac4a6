import Foundation
import XCTest

/// `course finetune` and `course predict` on RoBERTa checkpoints: kit-tiny-roberta (saved by
/// the kit: vocab.json + merges.txt + tokenizer_config.json) and tiny-roberta-classifier
/// (saved by transformers: tokenizer.json), both from scripts/golden_roberta.py's fixtures.
final class RobertaCLITests: CourseCLITestCase {
  static let kitRoberta = fixtures.appendingPathComponent("kit-tiny-roberta").path
  static let transformersRoberta = fixtures.appendingPathComponent("tiny-roberta-classifier").path

  /// A labelled TSV cycling through `labels`, each with its own text.
  func tsv(_ name: String, rows: Int, labels: [String]) throws -> String {
    let texts = ["negative": "it was bad", "neutral": "it was a film", "positive": "it was good"]
    let lines = (0..<rows).map { i in "\(labels[i % labels.count])\t\(texts[labels[i % labels.count]]!)" }
    return try file(name, (["label\ttext"] + lines).joined(separator: "\n") + "\n")
  }

  func testRobertaFinetunesSavesAndPredicts() throws {
    // The transformers checkpoint has a 3-class head: a task with its 3 classes keeps it (another
    // number of classes is refused, as transformers refuses it without ignore_mismatched_sizes).
    for (model, labels) in [
      (Self.kitRoberta, ["negative", "positive"]),
      (Self.transformersRoberta, ["negative", "neutral", "positive"]),
    ] {
      let output = scratch.appendingPathComponent("model-\(UUID())").path
      let lines = try succeed([
        "finetune", "--model", model, "--train", try tsv("train.tsv", rows: 18, labels: labels),
        "--validation", try tsv("validation.tsv", rows: 9, labels: labels), "--epochs", "1", "--batch-size",
        "8", "--lr", "1e-3", "--output", output,
      ])
      let report = lines.joined(separator: "\n")
      for fragment in ["fine-tuning roberta", "validation: accuracy"] {
        XCTAssertTrue(report.contains(fragment), "\"\(fragment)\" missing from:\n\(report)")
      }
      let config = try XCTUnwrap(
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: URL(fileURLWithPath: output + "/config.json")))
          as? [String: Any])
      XCTAssertEqual(config["model_type"] as? String, "roberta")
      XCTAssertEqual(config["architectures"] as? [String], ["RobertaForSequenceClassification"])
      let input = try file("in.txt", "it was good\nParis is <mask>.\n")
      // The saved tokenizer gives the same tokens as the checkpoint's own.
      XCTAssertEqual(
        try succeed(["tokenize", "--tokenizer", output, "--input", input]),
        try succeed(["tokenize", "--tokenizer", model, "--input", input]))
      let predictions = try succeed(["predict", "--model", output, "--input", input])
      XCTAssertEqual(predictions.count, 2)
      for line in predictions {
        let object = try XCTUnwrap(try json(line) as? [String: Any])
        XCTAssertTrue(labels.contains(object["label"] as? String ?? ""), line)
        let scores = try XCTUnwrap(object["scores"] as? [String: Double])
        XCTAssertEqual(scores.values.reduce(0, +), 1, accuracy: 1e-4)
      }
    }
  }

  /// `--pooling mean` on RoBERTa: the head reads the mean of the token states, config.json says
  /// so, saving warns that transformers reads <s>, and `course predict` uses the mean head.
  func testMeanPoolingOnRobertaWarnsAndIsKeptInTheCheckpoint() throws {
    let labels = ["negative", "positive"]
    let output = scratch.appendingPathComponent("mean").path
    let result = try course([
      "finetune", "--model", Self.kitRoberta, "--train", try tsv("train.tsv", rows: 8, labels: labels),
      "--validation", try tsv("validation.tsv", rows: 4, labels: labels), "--max-steps", "1",
      "--batch-size", "8", "--pooling", "mean", "--output", output,
    ])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("always reads the <s> state"), result.stderr)
    let config = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/config.json")))
        as? [String: Any])
    XCTAssertEqual(config["classifier_pooling"] as? String, "mean")
    let card = try String(contentsOfFile: output + "/README.md", encoding: .utf8)
    XCTAssertTrue(card.contains("Not reproduced by transformers"), card)
    let predictions = try succeed([
      "predict", "--model", output, "--input", try file("in.txt", "it was good\n"),
    ])
    XCTAssertEqual(predictions.count, 1)
  }

  /// transformers' 3-class checkpoint predicts with its own class names.
  func testPredictReadsTheCheckpointsLabels() throws {
    let input = try file("in.txt", "the acting is fine\n")
    let predictions = try succeed(["predict", "--model", Self.transformersRoberta, "--input", input])
    let object = try XCTUnwrap(try json(try XCTUnwrap(predictions.first)) as? [String: Any])
    let scores = try XCTUnwrap(object["scores"] as? [String: Double])
    XCTAssertEqual(Set(scores.keys), ["negative", "neutral", "positive"])
  }

  static let robertaMLM = fixtures.appendingPathComponent("tiny-roberta").path

  /// fill-mask finds RoBERTa's <mask> (which takes the space before it) and scores the vocabulary.
  func testFillMaskOnRoberta() throws {
    let input = try file("in.txt", "Paris is <mask>.\nthe <mask> was <mask> good\n")
    let lines = try succeed(["fill-mask", "--model", Self.robertaMLM, "--input", input, "--top", "3"])
    XCTAssertEqual(lines.count, 2)
    let masks = try lines.map { line in
      try XCTUnwrap((try json(line) as? [String: Any])?["masks"] as? [[[String: Any]]])
    }
    XCTAssertEqual(masks.map(\.count), [1, 2])
    for candidates in masks.joined() {
      XCTAssertEqual(candidates.count, 3)
      let scores = candidates.compactMap { $0["score"] as? Double }
      XCTAssertEqual(scores, scores.sorted(by: >))
    }
    try fail(
      ["fill-mask", "--model", Self.robertaMLM, "--input", try file("none.txt", "no mask here [MASK]\n")],
      saying: ["no <mask> in this line"])
  }

  /// embed gives one vector of RoBERTa's hidden size per line, <s> pooling differing from mean.
  func testEmbedOnRoberta() throws {
    let input = try file("in.txt", "it was good\nParis is <mask>.\n")
    for pooling in ["cls", "mean"] {
      let lines = try succeed(["embed", "--model", Self.robertaMLM, "--input", input, "--pooling", pooling])
      XCTAssertEqual(lines.count, 2)
      for line in lines { XCTAssertEqual((try json(line) as? [Double])?.count, 32) }
    }
    XCTAssertNotEqual(
      try succeed(["embed", "--model", Self.robertaMLM, "--input", input, "--pooling", "cls"]),
      try succeed(["embed", "--model", Self.robertaMLM, "--input", input, "--pooling", "mean"]))
  }

  /// A GPT-2 checkpoint is refused by name, not crashed on.
  func testFillMaskRefusesGPT2() throws {
    try fail(
      ["fill-mask", "--model", Self.gpt2, "--input", try file("in.txt", "a <mask>\n")],
      saying: ["needs a BERT or RoBERTa checkpoint"])
  }
}
