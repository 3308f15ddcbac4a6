import Foundation
import XCTest

/// `course finetune --pooling`: [CLS] pooling (what transformers computes) is the default; mean
/// pooling is an opt-in kit extension that says loudly, on standard error and in the model card,
/// that transformers will compute other probabilities.
final class PoolingCLITests: CourseCLITestCase {
  func tsv(_ name: String) throws -> String {
    let lines = (0..<8).map { i in i % 2 == 0 ? "positive\tit was good" : "negative\tit was bad" }
    return try file(name, (["label\ttext"] + lines).joined(separator: "\n") + "\n")
  }

  func config(_ directory: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/config.json"))
    return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  func finetune(_ extra: [String], output: String) throws -> CLIResult {
    try course(
      [
        "finetune", "--model", Self.bert, "--train", try tsv("train.tsv"), "--validation",
        try tsv("validation.tsv"), "--max-steps", "1", "--batch-size", "8", "--output", output,
      ] + extra)
  }

  func testClsIsTheDefaultAndTheModelCardSaysTransformersReproducesIt() throws {
    let output = scratch.appendingPathComponent("cls").path
    let result = try finetune([], output: output)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertFalse(result.stderr.contains("WARNING"), result.stderr)
    XCTAssertEqual(try config(output)["classifier_pooling"] as? String, "cls")
    let card = try String(contentsOfFile: output + "/README.md", encoding: .utf8)
    XCTAssertTrue(card.contains("computes the same probabilities"), card)
    XCTAssertTrue(card.contains("course finetune --model"), card)
  }

  func testMeanPoolingWarnsOnStandardErrorAndInTheModelCard() throws {
    let output = scratch.appendingPathComponent("mean").path
    let result = try finetune(["--pooling", "mean"], output: output)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("WARNING: classifier_pooling is \"mean\""), result.stderr)
    XCTAssertTrue(result.stderr.contains("DIFFERENT probabilities"), result.stderr)
    XCTAssertEqual(try config(output)["classifier_pooling"] as? String, "mean")
    let card = try String(contentsOfFile: output + "/README.md", encoding: .utf8)
    XCTAssertTrue(card.contains("Not reproduced by transformers"), card)
    XCTAssertTrue(card.contains("--pooling mean"), card)
  }

  func testPoolingIsRefusedForAModelWithoutIt() throws {
    try fail(
      [
        "finetune", "--model", Self.gpt2, "--train", try tsv("train.tsv"), "--validation",
        try tsv("validation.tsv"), "--pooling", "cls",
      ], saying: ["only BERT and RoBERTa checkpoints have it", "gpt2"])
  }
}
