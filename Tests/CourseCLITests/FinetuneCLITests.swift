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

  /// A BERT checkpoint whose only tokenizer file is tokenizer.json (what transformers 5 saves;
  /// scripts/make_tokenizer_json_fixture.py): fine-tuned, saved with its tokenizer, predicted with.
  func testABertCheckpointWithOnlyTokenizerJSONFinetunesAndPredicts() throws {
    let model = Self.fixtures.appendingPathComponent("kit-tiny-bert-tokenizer-json").path
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: model + "/vocab.txt"), "the fixture has no vocab.txt")
    let output = scratch.appendingPathComponent("model").path
    let lines = try succeed([
      "finetune", "--model", model, "--train", try tsv("train.tsv", rows: 16),
      "--validation", try tsv("validation.tsv", rows: 8), "--epochs", "1", "--batch-size", "8", "--lr",
      "1e-3",
      "--output", output,
    ])
    XCTAssertTrue(lines.contains { $0.hasPrefix("validation: accuracy") }, lines.joined(separator: "\n"))
    // transformers' AutoTokenizer reads tokenizer.json (+ tokenizer_config.json); vocab.txt is for
    // older readers.
    for name in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: output + "/" + name), name)
    }
    func jsonFile(_ path: String) throws -> NSDictionary {
      try XCTUnwrap(
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? NSDictionary)
    }
    XCTAssertEqual(
      try jsonFile(output + "/tokenizer.json"), try jsonFile(model + "/tokenizer.json"),
      "the saved tokenizer.json is the one transformers wrote")
    let input = try file("in.txt", "it was good\nThe critics praised the festival, it was bad.\n")
    XCTAssertEqual(
      try succeed(["tokenize", "--tokenizer", output, "--input", input]),
      try succeed(["tokenize", "--tokenizer", model, "--input", input]))
    let predictions = try succeed(["predict", "--model", output, "--input", input])
    XCTAssertEqual(predictions.count, 2)
    for line in predictions {
      let object = try XCTUnwrap(try json(line) as? [String: Any])
      XCTAssertTrue(["negative", "positive"].contains(object["label"] as? String ?? ""), line)
    }
    try fail(["predict", "--model", model, "--input", input], saying: ["fine-tune it first"])
  }

  func testATokenizerThatDoesNotFitTheModelIsRefused() throws {
    let copy = scratch.appendingPathComponent("bert")
    try FileManager.default.copyItem(atPath: Self.bert, toPath: copy.path)
    let vocab = copy.appendingPathComponent("vocab.txt")
    let extra = (0..<20).map { "extra\($0)\n" }.joined()
    try Data((try String(contentsOf: vocab, encoding: .utf8) + extra).utf8).write(to: vocab)
    let train = try tsv("train.tsv", rows: 4)
    try fail(
      ["finetune", "--model", copy.path, "--train", train, "--validation", train],
      saying: [vocab.path, "vocab_size"])
    try FileManager.default.removeItem(at: vocab)
    try fail(
      ["finetune", "--model", copy.path, "--train", train, "--validation", train],
      saying: [copy.path, "no tokenizer.json, vocab.txt"])
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
