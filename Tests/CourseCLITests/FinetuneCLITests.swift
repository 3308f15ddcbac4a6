import Foundation
import XCTest

/// `course finetune` and `course predict` on the tiny kit-saved checkpoints.
final class FinetuneCLITests: CourseCLITestCase {
  /// A labelled TSV the tiny models can learn in a few steps.
  func tsv(_ name: String, rows: Int) throws -> String {
    let lines = (0..<rows).map { i in i % 2 == 0 ? "positive\tit was good" : "negative\tit was bad" }
    return try file(name, (["label\ttext"] + lines).joined(separator: "\n") + "\n")
  }

  func testFinetuneReportsValidationAndTestFiguresAndSavesAModelThatPredicts() throws {
    let output = scratch.appendingPathComponent("model").path
    for model in [Self.bert, Self.gpt2] {
      let lines = try succeed([
        "finetune", "--model", model, "--train", try tsv("train.tsv", rows: 16),
        "--validation", try tsv("validation.tsv", rows: 8), "--test", try tsv("test.tsv", rows: 8),
        "--epochs", "1", "--batch-size", "8", "--lr", "1e-3", "--output", output,
      ])
      let report = lines.joined(separator: "\n")
      for fragment in ["newly initialized", "validation: accuracy", "macro-F1", "test: accuracy", "tokens/s"]
      {
        XCTAssertTrue(report.contains(fragment), "\"\(fragment)\" missing from:\n\(report)")
      }
      for name in ["config.json", "model.safetensors", "trainer_state.json"] {
        XCTAssertTrue(FileManager.default.fileExists(atPath: output + "/" + name), name)
      }
      let predictions = try succeed([
        "predict", "--model", output, "--input", try file("in.txt", "it was good\nbad\n"),
      ])
      XCTAssertEqual(predictions.count, 2)
      for line in predictions {
        let object = try XCTUnwrap(try json(line) as? [String: Any])
        XCTAssertTrue(["negative", "positive"].contains(object["label"] as? String ?? ""), line)
        let scores = try XCTUnwrap(object["scores"] as? [String: Double])
        XCTAssertEqual(scores.values.reduce(0, +), 1, accuracy: 1e-4)
      }
    }
  }

  func testBadArgumentsAreRefusedClearly() throws {
    let train = try tsv("train.tsv", rows: 4)
    try fail(
      ["finetune", "--model", Self.bert, "--train", train, "--validation", train, "--epochs", "-1"],
      saying: ["--epochs"])
    try fail(
      ["finetune", "--model", Self.bert, "--train", train, "--validation", train, "--format", "xml"],
      saying: ["--format", "tsv"])
    try fail(
      [
        "finetune", "--model", Self.bert, "--train", train, "--validation", train, "--lr", "1e-3", "--lrr",
        "2",
      ],
      saying: ["unknown option --lrr"])
    try fail(
      ["finetune", "--model", scratch.path, "--train", train, "--validation", train],
      saying: ["config.json"])
    try fail(
      ["predict", "--model", Self.bert, "--input", try file("in.txt", "x\n")], saying: ["fine-tune it first"])
  }
}
