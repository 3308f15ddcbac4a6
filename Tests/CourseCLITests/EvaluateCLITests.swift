import Foundation
import XCTest

/// `course evaluate` on checkpoints fine-tuned here from the tiny kit-saved models.
final class EvaluateCLITests: CourseCLITestCase {
  func tsv(_ name: String, rows: Int, flip: Int = 0) throws -> String {
    let lines = (0..<rows).map { i in
      let good = (i % 2 == 0) != (i < flip)
      return good ? "positive\tit was good" : "negative\tit was bad"
    }
    return try file(name, (["label\ttext"] + lines).joined(separator: "\n") + "\n")
  }

  func finetuned(_ model: String, _ name: String) throws -> String {
    let output = scratch.appendingPathComponent(name).path
    _ = try succeed([
      "finetune", "--model", model, "--train", try tsv("train.tsv", rows: 16),
      "--validation", try tsv("validation.tsv", rows: 8), "--epochs", "2", "--batch-size", "8", "--lr",
      "1e-3",
      "--output", output,
    ])
    return output
  }

  func testReportMatrixIntervalsCalibrationAndPairedTests() throws {
    let bert = try finetuned(Self.bert, "bert")
    let gpt2 = try finetuned(Self.gpt2, "gpt2")
    let data = try tsv("test.tsv", rows: 20, flip: 3)
    let out = scratch.appendingPathComponent("metrics.json").path
    let svg = scratch.appendingPathComponent("matrix.svg").path
    let lines = try succeed([
      "evaluate", "--model", bert, "--data", data, "--compare", gpt2, "--json", out, "--svg", svg,
      "--bootstrap", "200",
    ])
    let text = lines.joined(separator: "\n")
    for fragment in [
      "precision    recall  f1-score   support", "macro avg", "weighted avg", "confusion matrix",
      "95% bootstrap interval", "Matthews correlation", "expected calibration error (15 equal-width bins)",
      "McNemar's exact test", "paired bootstrap interval",
    ] {
      XCTAssertTrue(text.contains(fragment), "\"\(fragment)\" missing from:\n\(text)")
    }
    let object = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
    for key in [
      "accuracy", "f1", "precision", "recall", "matthews_correlation", "ece", "f1_ci", "confusion_matrix",
    ] {
      XCTAssertNotNil(object[key], key)
    }
    let matrix = try XCTUnwrap(object["confusion_matrix"] as? [[Int]])
    XCTAssertEqual(matrix.flatMap { $0 }.reduce(0, +), 20)
    let accuracy = try XCTUnwrap(object["accuracy"] as? Double)
    XCTAssertEqual(accuracy, Double(matrix[0][0] + matrix[1][1]) / 20, accuracy: 1e-12)
    let interval = try XCTUnwrap(object["f1_ci"] as? [Double])
    XCTAssertLessThanOrEqual(interval[0], try XCTUnwrap(object["f1"] as? Double) + 1e-12)
    let paired = try XCTUnwrap(object["paired"] as? [String: Any])
    let p = try XCTUnwrap(paired["mcnemar_p_value"] as? Double)
    XCTAssertTrue((0...1).contains(p))
    XCTAssertNotNil(object["compare"] as? [String: Any])
    let figure = try String(contentsOfFile: svg, encoding: .utf8)
    XCTAssertTrue(figure.hasPrefix("<svg") || figure.contains("<svg"), "an SVG figure")
  }

  func testBadInputs() throws {
    let bert = try finetuned(Self.bert, "bert")
    let missing = scratch.appendingPathComponent("no-such-model").path
    let data = try tsv("test.tsv", rows: 4)
    try fail(
      ["evaluate", "--model", missing, "--data", data], saying: ["--model \(missing)", "no such directory"])
    try fail(["evaluate", "--model", bert], saying: ["evaluate needs --data FILE"])
    let unknown = try file("unknown.tsv", "label\ttext\nneutral\tit was fine\n")
    try fail(
      ["evaluate", "--model", bert, "--data", unknown],
      saying: ["\(unknown): example 1 has label \"neutral\"", "negative, positive"])
    try fail(
      ["evaluate", "--model", Self.bert, "--data", data], saying: ["has no trained classification head"])
    try fail(
      ["evaluate", "--model", bert, "--data", data, "--bootstrap", "0"], saying: ["--bootstrap", "\"0\""])
    let noFile = scratch.appendingPathComponent("none.tsv").path
    try fail(["evaluate", "--model", bert, "--data", noFile], saying: [noFile, "no such file"])
  }
}
