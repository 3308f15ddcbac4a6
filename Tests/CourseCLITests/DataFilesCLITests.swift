import Foundation
import XCTest

/// `course finetune` and `course predict` on files as GLUE and Hugging Face `datasets` export
/// them: the text columns found or named, labels as integers or strings, sentence pairs.
final class DataFilesCLITests: CourseCLITestCase {
  /// `finetune` on the tiny BERT for one epoch; returns what it printed.
  func finetune(_ train: String, _ validation: String, _ extra: [String] = []) throws -> String {
    try succeed(
      [
        "finetune", "--model", Self.bert, "--train", train, "--validation", validation, "--epochs", "1",
        "--batch-size", "8", "--lr", "1e-3",
      ] + extra
    ).joined(separator: "\n")
  }

  func testAGLUESentenceTabLabelFileWithIntegerLabels() throws {
    let rows = (0..<16).map { $0 % 2 == 0 ? "it was good\t1" : "it was bad\t0" }
    let train = try file("train.tsv", (["sentence\tlabel"] + rows).joined(separator: "\n") + "\n")
    let output = scratch.appendingPathComponent("model").path
    let report = try finetune(train, train, ["--output", output])
    XCTAssertTrue(report.contains("text column \"sentence\", label column \"label\""), report)
    XCTAssertTrue(report.contains("validation: accuracy"), report)
    // A table input to predict: its label column is not read.
    let predictions = try succeed(["predict", "--model", output, "--input", train])
    XCTAssertEqual(predictions.count, 16)
    let object = try XCTUnwrap(try json(predictions[0]) as? [String: Any])
    XCTAssertEqual(object["text"] as? String, "it was good")
    XCTAssertEqual((object["scores"] as? [String: Double]).map { Set($0.keys) }, ["0", "1"])
  }

  func testASentencePairCSVFineTunesAndPredictsPairs() throws {
    let rows = (0..<16).map { i in
      ["it was good,it was good,same", "it was good,\"it was bad, really\",different"][i % 2]
    }
    let train = try file("train.csv", (["sentence1,sentence2,label"] + rows).joined(separator: "\n") + "\n")
    let output = scratch.appendingPathComponent("pairs").path
    let report = try finetune(train, train, ["--output", output])
    XCTAssertTrue(report.contains("pair column \"sentence2\""), report)
    XCTAssertTrue(report.contains("16 sentence pairs"), report)
    let input = try file("in.tsv", "sentence1\tsentence2\nit was good\tit was bad\n")
    let predictions = try succeed(["predict", "--model", output, "--input", input])
    XCTAssertEqual(predictions.count, 1)
    let object = try XCTUnwrap(try json(predictions[0]) as? [String: Any])
    XCTAssertEqual(object["text"] as? String, "it was good")
    XCTAssertEqual(object["text_pair"] as? String, "it was bad")
    XCTAssertTrue(["same", "different"].contains(object["label"] as? String ?? ""))
    // The same pair as JSON Lines, columns named.
    let jsonl = try file("in.jsonl", #"{"a": "it was good", "b": "it was bad"}"# + "\n")
    let named = try succeed([
      "predict", "--model", output, "--input", jsonl, "--text-column", "a", "--text-pair-column", "b",
    ])
    let same = try XCTUnwrap(try json(named[0]) as? [String: Any])
    XCTAssertEqual(same["scores"] as? [String: Double], object["scores"] as? [String: Double])
    // Read as one text (no pair), the same words give other scores: the pair is read as a pair.
    let single = try succeed(["predict", "--model", output, "--input", jsonl, "--text-column", "a"])
    let alone = try XCTUnwrap(try json(single[0]) as? [String: Any])
    XCTAssertNil(alone["text_pair"])
    XCTAssertNotEqual(alone["scores"] as? [String: Double], object["scores"] as? [String: Double])
  }

  func testJSONLinesWithStringLabels() throws {
    let rows = (0..<16).map { i in
      [#"{"text": "it was good", "label": "positive"}"#, #"{"text": "it was bad", "label": "negative"}"#][
        i % 2]
    }
    let train = try file("train.jsonl", rows.joined(separator: "\n") + "\n")
    let report = try finetune(train, train)
    XCTAssertTrue(report.contains("(negative, positive)"), report)
    XCTAssertTrue(report.contains("validation: accuracy"), report)
  }

  func testTextAndLabelColumnsByName() throws {
    let rows = (0..<16).map { $0 % 2 == 0 ? "3,it was good,5" : "4,it was bad,1" }
    let train = try file("reviews.csv", (["id,review,stars"] + rows).joined(separator: "\n") + "\n")
    let report = try finetune(train, train, ["--text-column", "review", "--label-column", "stars"])
    XCTAssertTrue(report.contains("text column \"review\", label column \"stars\""), report)
    XCTAssertTrue(report.contains("(1, 5)"), report)
    try fail(
      [
        "finetune", "--model", Self.bert, "--train", train, "--validation", train, "--text-column", "body",
        "--label-column", "stars",
      ],
      saying: [train, "no column named \"body\"", "\"review\""])
  }

  func testAFileWithNoRecognisableTextColumnIsRefusedNamingItsColumns() throws {
    let train = try file("scores.csv", "idx,score,label\n0,0.5,1\n1,0.25,0\n")
    try fail(
      ["finetune", "--model", Self.bert, "--train", train, "--validation", train],
      saying: [train, "no text column", "[\"idx\", \"score\", \"label\"]", "--text-column"])
    let stsa = try file("stsa.txt", "1 good\n0 bad\n")
    try fail(
      [
        "finetune", "--model", Self.bert, "--train", stsa, "--validation", stsa, "--format", "label-text",
        "--text-column", "sentence",
      ],
      saying: ["--text-column", "has no columns"])
    try fail(
      ["predict", "--model", Self.bert, "--input", try file("in.txt", "x\n"), "--text-column", "a"],
      saying: ["--text-column", "--format tsv"])
  }
}
