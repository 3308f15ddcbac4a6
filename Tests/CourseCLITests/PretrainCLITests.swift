import XCTest

/// `course pretrain` on corpora it must refuse or read right, and `--help` on any command.
final class PretrainCLITests: CourseCLITestCase {
  func testEveryCommandAnswersHelpWithItsUsage() throws {
    for name in ["finetune", "pretrain", "predict", "fill-mask"] {
      let result = try course([name, "--help"])
      XCTAssertEqual(result.status, 0, "\(name) --help: \(result.stderr)")
      XCTAssertTrue(result.stdout.hasPrefix("usage: swift run course \(name)"), result.stdout)
    }
  }

  func testCRLFCorpusIsOneDocumentPerLineAndTooSmallACorpusIsRefused() throws {
    // Three documents with Windows line endings and a blank line: one is held out, two train.
    let corpus = try file("crlf.txt", "one document here\r\nsecond document\r\n\r\nthird one\r\n")
    let output = scratch.appendingPathComponent("model").path
    let result = try course([
      "pretrain", "--arch", "bert", "--corpus", corpus, "--output", output, "--steps", "1",
      "--vocabulary", "120",
    ])
    XCTAssertTrue(result.stdout.contains("on 2 documents"), result.stdout)
    XCTAssertEqual(result.status, 1)
    XCTAssertTrue(result.stderr.contains("the corpus is too small"), result.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: output + "/model.safetensors"))

    let single = try file("one.txt", "only one line\n")
    let refused = try course(["pretrain", "--corpus", single, "--output", output])
    XCTAssertEqual(refused.status, 1)
    XCTAssertTrue(refused.stderr.contains("\(single): needs at least 2 non-empty lines"), refused.stderr)
  }

  func testLineByLineMakesOneRowPerDocumentAndIsForMaskedLMOnly() throws {
    // Three short documents: too little to pack one held-out row of 64 tokens, but one row each.
    let corpus = try file("short.txt", "the crema was thick\nthe shot ran fast\nthe milk was cold\n")
    let output = scratch.appendingPathComponent("lines").path
    let result = try course([
      "pretrain", "--corpus", corpus, "--output", output, "--steps", "1", "--vocabulary", "120",
      "--line-by-line",
    ])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stdout.contains("2 training sequences, 1 held out"), result.stdout)
    let card = try String(contentsOfFile: output + "/README.md", encoding: .utf8)
    XCTAssertTrue(card.contains("--line-by-line\n"), card)
    XCTAssertTrue(card.contains("2 documents one per sequence"), card)
    for refused in [["--arch", "gpt"], ["--objective", "mlm+nsp"]] {
      try fail(
        ["pretrain", "--corpus", corpus, "--output", output + "2", "--line-by-line"] + refused,
        saying: ["--line-by-line: only for masked LM (--arch bert or roberta"])
    }
  }
}

/// `course pretrain` runs the Trainer: a complete model directory, checkpoints, and `--resume`.
final class PretrainResumeCLITests: CourseCLITestCase {
  func testPretrainWritesAModelDirectoryAndResumesFromItsCheckpoint() throws {
    let words = ["crema", "shot", "grind", "tamper", "beans", "roast", "milk", "foam", "cup", "water"]
    let lines = (0..<300).map { i in
      (0..<12).map { words[($0 * 7 + i * 3 + $0 * i) % words.count] }.joined(separator: " ")
    }
    let corpus = try file("corpus.txt", lines.joined(separator: "\n"))
    let output = scratch.appendingPathComponent("gpt").path
    let common = ["pretrain", "--arch", "gpt", "--corpus", corpus, "--output", output, "--vocabulary", "300"]
    let first = try course(common + ["--steps", "2", "--save-steps", "1"])
    XCTAssertEqual(first.status, 0, first.stderr)
    for name in [
      "config.json", "model.safetensors", "vocab.json", "merges.txt", "pretraining.json", "README.md",
      "trainer_state.json", "checkpoint-2/optimizer.safetensors",
    ] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: output + "/" + name), name)
    }
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: output + "/checkpoint-1"),
      "save_total_limit keeps the newest only")

    let resumed = try course(common + ["--steps", "3", "--resume"])
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertTrue(resumed.stdout.contains("resuming from \(output)/checkpoint-2"), resumed.stdout)
    let state =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: output + "/trainer_state.json"))) as? [String: Any]
    XCTAssertEqual(state?["global_step"] as? Int, 3)
    let curve =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: output + "/pretraining.json"))) as? [String: Any]
    let evaluations = curve?["evaluations"] as? [[String: Double]] ?? []
    XCTAssertEqual(evaluations.map { $0["step"] }, [0, 3], "before training and after the last step")
    XCTAssertEqual(
      evaluations.last?["perplexity"] ?? 0, exp(evaluations.last?["loss"] ?? 1), accuracy: 1e-6)

    let nothing = try course([
      "pretrain", "--arch", "gpt", "--corpus", corpus, "--output",
      scratch.appendingPathComponent("none").path,
      "--steps", "1", "--resume",
    ])
    XCTAssertEqual(nothing.status, 1)
    XCTAssertTrue(nothing.stderr.contains("no checkpoint-N directory"), nothing.stderr)
  }
}

/// `course pretrain --arch roberta`: RoBERTa's recipe where it differs from BERT's.
final class PretrainRobertaCLITests: CourseCLITestCase {
  func testRobertaPretrainingWritesARobertaCheckpointThatFillMaskReads() throws {
    let words = ["Crema", "shot", "grind", "tamper", "beans", "roast", "milk", "foam", "cup", "water"]
    let lines = (0..<600).map { i in
      (0..<12).map { words[($0 * 7 + i * 3 + $0 * i) % words.count] }.joined(separator: " ") + "."
    }
    let corpus = try file("corpus.txt", lines.joined(separator: "\n"))
    let output = scratch.appendingPathComponent("roberta").path
    let result = try course([
      "pretrain", "--arch", "roberta", "--corpus", corpus, "--output", output, "--steps", "2",
      "--vocabulary", "300",
    ])
    XCTAssertEqual(result.status, 0, result.stderr)
    let config =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: output + "/config.json"))) as? [String: Any] ?? [:]
    XCTAssertEqual(config["model_type"] as? String, "roberta")
    XCTAssertEqual(config["architectures"] as? [String], ["RobertaForMaskedLM"])
    XCTAssertEqual(config["max_position_embeddings"] as? Int, 130, "128 tokens past <pad> (id 1)")
    XCTAssertEqual(config["type_vocab_size"] as? Int, 1)
    // roberta-base's layout: <s> <pad> </s> <unk> first, <mask> last.
    let vocabulary =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: output + "/vocab.json"))) as? [String: Int] ?? [:]
    XCTAssertEqual(
      ["<s>", "<pad>", "</s>", "<unk>", "<mask>"].map { vocabulary[$0] },
      [0, 1, 2, 3, vocabulary.count - 1])
    XCTAssertNil(vocabulary["<|endoftext|>"], "GPT-2's special token gives way to RoBERTa's")
    XCTAssertEqual(config["vocab_size"] as? Int, vocabulary.count)
    let tokenizerConfig = try String(contentsOfFile: output + "/tokenizer_config.json", encoding: .utf8)
    XCTAssertTrue(tokenizerConfig.contains("RobertaTokenizer"), tokenizerConfig)
    let card = try String(contentsOfFile: output + "/README.md", encoding: .utf8)
    XCTAssertTrue(card.contains("pre-trained RoBERTa-style model"), card)
    XCTAssertTrue(card.contains("--arch roberta"), card)
    XCTAssertTrue(card.contains("`<s> … </s>`"), card)

    let input = try file("masked.txt", "Crema shot<mask> tamper\n")
    let filled = try course(["fill-mask", "--model", output, "--input", input])
    XCTAssertEqual(filled.status, 0, filled.stderr)
  }

  func testRobertaLearnsByMaskedLMAlone() throws {
    try fail(
      ["pretrain", "--arch", "roberta", "--objective", "mlm+nsp", "--output", scratch.path],
      saying: ["--objective: only with --arch bert", "RoBERTa dropped next-sentence prediction"])
    try fail(
      ["pretrain", "--arch", "roberta", "--model", scratch.path, "--output", scratch.path + "/x"],
      saying: ["--model: only with --arch bert"])
  }
}
