import Foundation
import XCTest

/// Every `course` command parses its options with one parser (Sources/course/CommandOptions.swift):
/// `--help` lists every option with its default; a bad value, an unknown option and a missing
/// required option are each an error naming the option.
final class OptionsCLITests: CourseCLITestCase {
  /// Each command's options and their defaults as `--help` must show them (nil: no default).
  static let options: [String: [(String, String?)]] = [
    "exercises": [("--root", "."), ("--no-tests", nil)],
    "check": [("--root", ".")],
    "hint": [("--root", "."), ("--tier", nil), ("ID", nil)],
    "check-mutations": [
      ("--root", "."), ("--exercise", nil), ("--work", ".build/mutations"), ("--timeout", "120"),
      ("--rounds", nil),
    ],
    "check-order": [
      ("--root", "."), ("--lesson", nil), ("--full", nil), ("--work", ".build/mutations"),
      ("--timeout", "900"), ("--allow-later", nil),
    ],
    "student-edition": [("--root", "."), ("--force", nil), ("DIR", nil)],
    "grade": [
      ("--root", "."), ("--timeout", "60"), ("--output", "runs/grades"), ("--work", ".build/grading"),
      ("DIR...", nil),
    ],
    "verify-edition": [("--root", "."), ("--keep", nil)],
    "make-datasets": [("--output", "datasets"), ("--seed", "2026")],
    "pretrain": [
      ("--arch", "bert"), ("--output", nil), ("--steps", "3000"), ("--seed", "42"),
      ("--corpus", "datasets/corpus/general.txt"), ("--vocabulary", "2000"), ("--save-steps", "500"),
      ("--resume", nil), ("--objective", "mlm"), ("--model", nil), ("--lr", "0.001"), ("--dupe-factor", "10"),
      ("--layers", "2"), ("--heads", "2"), ("--freeze-position-embeddings", nil),
      ("--line-by-line", nil),
    ],
    "finetune": [
      ("--model", nil), ("--train", nil), ("--validation", nil), ("--test", nil), ("--format", nil),
      ("--text-column", nil), ("--text-pair-column", nil), ("--label-column", nil), ("--text-field", nil),
      ("--label-field", nil), ("--labels", nil), ("--epochs", "3"),
      ("--max-steps", "-1"), ("--batch-size", "32"), ("--eval-batch-size", "64"), ("--lr", "5e-05"),
      ("--scheduler", "linear"), ("--lr-scheduler-type", nil), ("--warmup-ratio", "0"),
      ("--weight-decay", "0"),
      ("--grad-accum", "1"), ("--max-grad-norm", "1"), ("--label-smoothing", "0"), ("--freeze-base", nil),
      ("--freeze-layers", nil), ("--layerwise-lr-decay", nil), ("--gradual-unfreezing", nil),
      ("--gradual-unfreezing-steps", nil), ("--early-stopping-patience", nil),
      ("--early-stopping-threshold", "0"),
      ("--gradient-checkpointing", nil),
      ("--group-by-length", "false"),
      ("--max-length", "128"), ("--pooling", nil), ("--seed", "42"),
      ("--threads", nil), ("--output", nil), ("--save-steps", "0"), ("--resume", nil),
      ("--peft", "none"), ("--lora-r", "8"), ("--lora-alpha", "8"), ("--lora-dropout", "0"),
      ("--target-modules", nil), ("--num-virtual-tokens", "20"), ("--prefix-projection", "false"),
      ("--merge", nil),
    ],
    "quantize": [("--model", nil), ("--output", nil)],
    "prune": [
      ("--model", nil), ("--output", nil), ("--sparsity", nil), ("--prune-heads", nil), ("--heads", nil),
      ("--data", nil), ("--max-length", "128"),
    ],
    "predict": [
      ("--model", nil), ("--input", nil), ("--format", nil), ("--text-column", nil),
      ("--text-pair-column", nil),
      ("--max-length", "128"),
    ],
    "evaluate": [
      ("--model", nil), ("--data", nil), ("--format", nil), ("--text-column", nil),
      ("--text-pair-column", nil),
      ("--label-column", nil), ("--compare", nil), ("--json", nil), ("--svg", nil), ("--bootstrap", "1000"),
      ("--bins", "15"), ("--seed", "42"), ("--max-length", "128"),
    ],
    "fill-mask": [("--model", nil), ("--input", nil), ("--top", "5")],
    "embed": [("--model", nil), ("--input", nil), ("--pooling", "mean")],
    "generate": [
      ("--model", nil), ("--prompt", nil), ("--max-new-tokens", "20"), ("--temperature", "0"),
      ("--top-k", nil),
      ("--seed", "42"),
    ],
    "tokenize": [("--tokenizer", nil), ("--input", nil), ("--tokens", nil)],
    "compare-results": [("FILE...", nil)],
    "bench": [
      ("matmul|int8", nil), ("--quick", nil), ("--json", nil), ("--m", "512"), ("--k", "512"), ("--n", "512"),
      ("--threads", nil),
    ],
  ]

  func testEveryCommandsHelpListsEveryOptionWithItsDefault() throws {
    let listing = try course(["--help"]).stdout
    let commands = listing.split(separator: "\n", omittingEmptySubsequences: false).drop { $0 != "commands:" }
      .dropFirst()
      .prefix { !$0.isEmpty }.map { String($0.split(separator: " ")[0]) }
    XCTAssertEqual(Set(commands), Set(Self.options.keys), "every command of `course --help` is covered here")
    for (command, options) in Self.options {
      let result = try course([command, "--help"])
      XCTAssertEqual(result.status, 0, "\(command) --help: \(result.stderr)")
      XCTAssertTrue(result.stdout.hasPrefix("usage: swift run course \(command)"), result.stdout)
      // One line per declared option (a long name puts its help on the next line), then -h.
      let rows = result.lines.drop { $0 != "options:" }.dropFirst().filter { !$0.hasPrefix("    ") }
      XCTAssertEqual(rows.count, options.count + 1, "\(command) --help:\n\(result.stdout)")
      for (option, defaultValue) in options {
        guard
          let index = result.lines.firstIndex(where: { $0.hasPrefix("  \(option) ") || $0 == "  \(option)" })
        else {
          XCTFail("\(command) --help does not list \(option):\n\(result.stdout)")
          continue
        }
        // The help of a long option name is on the line below it.
        let text = result.lines[index] + " " + (result.lines.dropFirst(index + 1).first ?? "")
        if let defaultValue {
          XCTAssertTrue(text.contains("(default: \(defaultValue))"), "\(command) \(option): \(text)")
        }
      }
    }
    let finetune = try course(["finetune", "--help"]).stdout
    XCTAssertTrue(
      finetune.hasPrefix(
        "usage: swift run course finetune --model DIR --train FILE --validation FILE [options]\n"), finetune)
    XCTAssertTrue(finetune.contains("(required)"), finetune)
    XCTAssertTrue(finetune.contains("--format tsv|csv|jsonl|label-text"), finetune)
    XCTAssertTrue(
      try course(["grade", "--help"]).stdout.hasPrefix("usage: swift run course grade [options] [DIR...]\n"))
  }

  func testABadValueNamesTheOptionAndWhatWasExpected() throws {
    let input = try file("in.txt", "it was good\n")
    let corpus = try file("corpus.txt", "one document\nanother document\n")
    let cases: [([String], String)] = [
      (
        ["predict", "--model", Self.bert, "--input", input, "--max-length", "abc"],
        "--max-length: expected an integer ≥ 2, got \"abc\""
      ),
      (
        ["finetune", "--model", Self.bert, "--train", input, "--validation", input, "--epochs", "-1"],
        "--epochs: expected a number ≥ 0, got \"-1\""
      ),
      (
        ["finetune", "--model", Self.bert, "--train", input, "--validation", input, "--scheduler", "step"],
        "--scheduler: expected one of linear, cosine, constant, constant_with_warmup, slanted_triangular, got \"step\""
      ),
      (
        ["finetune", "--model", Self.bert, "--train", input, "--validation", input, "--lr", "inf"],
        "--lr: expected a number ≥ 0, got \"inf\""
      ),
      (
        ["pretrain", "--output", "x", "--corpus", corpus, "--steps", "0"],
        "--steps: expected an integer ≥ 1, got \"0\""
      ),
      (
        ["pretrain", "--output", "x", "--corpus", corpus, "--dupe-factor", "10"],
        "--dupe-factor: only with --objective mlm+nsp or mlm+sop"
      ),
      (
        ["pretrain", "--output", "x", "--corpus", corpus, "--layers", "0"],
        "--layers: expected an integer ≥ 1, got \"0\""
      ),
      (
        ["pretrain", "--output", "x", "--corpus", corpus, "--model", Self.bert, "--layers", "4"],
        "--layers: only for a new model; with --model the checkpoint's config.json decides"
      ),
      (
        ["pretrain", "--output", "x", "--corpus", corpus, "--heads", "3"],
        "--heads: must divide the hidden size 128 (each head gets 128 / heads dimensions), got 3"
      ),
      (
        ["pretrain", "--output", "x", "--corpus", corpus, "--model", Self.bert, "--heads", "4"],
        "--heads: only for a new model; with --model the checkpoint's config.json decides"
      ),
      (
        ["pretrain", "--output", "x", "--arch", "t5"],
        "--arch: expected one of bert, gpt, roberta, got \"t5\""
      ),
      (["grade", "--timeout", "0"], "--timeout: expected a number > 0, got \"0\""),
      (["make-datasets", "--seed", "-1"], "--seed: expected an integer ≥ 0, got \"-1\""),
      (["bench", "matmul", "--m", "many"], "--m: expected an integer ≥ 1, got \"many\""),
      (
        ["fill-mask", "--model", Self.bert, "--input", input, "--top=0"],
        "--top: expected an integer ≥ 1, got \"0\""
      ),
      (
        ["embed", "--model", Self.bert, "--input", input, "--pooling"],
        "--pooling needs a value: expected cls or mean"
      ),
    ]
    for (arguments, message) in cases { try fail(arguments, saying: [message]) }
  }

  /// Lesson 6's strategy options: bad values and contradictions are refused, naming the options,
  /// before any training.
  func testFineTuningStrategyOptionsRefuseBadValues() throws {
    let rows = (0..<4).map { $0 % 2 == 0 ? "positive\tit was good" : "negative\tit was bad" }
    let train = try file("train.tsv", (["label\ttext"] + rows).joined(separator: "\n") + "\n")
    let base = ["finetune", "--model", Self.bert, "--train", train, "--validation", train]
    let cases: [([String], String)] = [
      (["--freeze-base", "--freeze-layers", "1"], "--freeze-base and --freeze-layers cannot be combined"),
      (
        ["--freeze-layers", "1", "--gradual-unfreezing"],
        "--freeze-layers and --gradual-unfreezing cannot be combined"
      ),
      (["--freeze-layers", "-1"], "--freeze-layers: expected an integer ≥ 0, got \"-1\""),
      (["--freeze-layers", "9"], "--freeze-layers 9: the model has 2 encoder layers"),
      (["--layerwise-lr-decay", "0"], "--layerwise-lr-decay: expected a number > 0, got \"0\""),
      (["--layerwise-lr-decay", "2.6"], "--layerwise-lr-decay: expected a number in (0, 1], got 2.6"),
      (
        ["--freeze-base", "--layerwise-lr-decay", "0.5"],
        "--layerwise-lr-decay has nothing to decay with --freeze-base"
      ),
      (["--label-smoothing", "1"], "--label-smoothing: expected a number in [0, 1), got 1.0"),
      (["--label-smoothing", "x"], "--label-smoothing: expected a number ≥ 0, got \"x\""),
      (["--early-stopping-patience", "0"], "--early-stopping-patience: expected an integer ≥ 1, got \"0\""),
      (
        ["--early-stopping-threshold", "0.1"], "--early-stopping-threshold needs --early-stopping-patience N"
      ),
      (
        [
          "--early-stopping-patience", "1", "--save-steps", "2", "--output",
          scratch.appendingPathComponent("o").path,
        ],
        "cannot be combined with --save-steps or --resume"
      ),
      (["--lr-scheduler-type", "stlr"], "--lr-scheduler-type: expected one of linear, cosine, constant"),
      (
        ["--scheduler", "cosine", "--lr-scheduler-type", "linear"],
        "--lr-scheduler-type linear and --scheduler cosine disagree"
      ),
      (["--gradual-unfreezing=yes"], "--gradual-unfreezing takes no value"),
      (["--gradual-unfreezing-steps", "2"], "--gradual-unfreezing-steps needs --gradual-unfreezing"),
      (
        ["--gradual-unfreezing", "--gradual-unfreezing-steps", "0"],
        "--gradual-unfreezing-steps: expected an integer ≥ 1, got \"0\""
      ),
    ]
    for (arguments, message) in cases { try fail(base + arguments, saying: [message]) }
  }

  /// Each strategy option trains: head only, the first layers frozen, discriminative rates with
  /// gradual unfreezing and the slanted triangular schedule, label smoothing, early stopping.
  func testFineTuningStrategyOptionsTrain() throws {
    let rows = (0..<8).map { $0 % 2 == 0 ? "positive\tit was good" : "negative\tit was bad" }
    let train = try file("train.tsv", (["label\ttext"] + rows).joined(separator: "\n") + "\n")
    let base = [
      "finetune", "--model", Self.bert, "--train", train, "--validation", train, "--batch-size", "4",
    ]
    let head = try succeed(base + ["--freeze-base", "--max-steps", "2"])
    XCTAssertTrue(
      head.contains { $0.hasPrefix("trainable params: ") && !$0.hasSuffix("trainable%: 100.0000") }, "\(head)"
    )
    let layers = try succeed(base + ["--freeze-layers", "2", "--max-steps", "2"])
    XCTAssertTrue(layers.contains { $0.hasPrefix("trainable params: ") }, "\(layers)")
    let ulmfit = try succeed(
      base + [
        "--layerwise-lr-decay", "0.5", "--gradual-unfreezing", "--lr-scheduler-type", "slanted_triangular",
        "--epochs", "2", "--lr", "1e-3", "--label-smoothing", "0.1",
      ])
    XCTAssertTrue(
      ulmfit.contains("layer-wise learning rates: 0.001, 0.0005, 0.00025, 0.000125 (head first)"), "\(ulmfit)"
    )
    let stopped = try succeed(base + ["--early-stopping-patience", "1", "--epochs", "2", "--lr", "1e-3"])
    XCTAssertTrue(stopped.contains { $0.hasPrefix("validation: accuracy") }, "\(stopped)")
    // Checkpointing recomputes the layers (dropout replayed): the run ends on the same numbers.
    let validation = { (lines: [String]) in lines.filter { $0.hasPrefix("validation: accuracy") } }
    let plain = try succeed(base + ["--epochs", "2", "--lr", "1e-3"])
    let checkpointed = try succeed(base + ["--epochs", "2", "--lr", "1e-3", "--gradient-checkpointing"])
    XCTAssertFalse(validation(plain).isEmpty, "\(plain)")
    XCTAssertEqual(validation(plain), validation(checkpointed))
  }

  /// A one-epoch run (as on SST-2): `--gradual-unfreezing` alone never leaves the head and says
  /// so; with `--gradual-unfreezing-steps 1` every depth opens, and the saved word embeddings moved.
  func testGradualUnfreezingByStepsOpensEveryDepthInOneEpoch() throws {
    let rows = (0..<8).map { $0 % 2 == 0 ? "positive\tit was good" : "negative\tit was bad" }
    let train = try file("train.tsv", (["label\ttext"] + rows).joined(separator: "\n") + "\n")
    // 8 examples in batches of 2: 4 steps, and 4 stages (head, 2 layers, embeddings).
    let base = [
      "finetune", "--model", Self.bert, "--train", train, "--validation", train, "--batch-size", "2",
      "--epochs", "1", "--lr", "1e-3", "--gradual-unfreezing",
    ]
    let embeddings = "bert.embeddings.word_embeddings.weight"
    let original = try Self.tensorBytes(embeddings, in: Self.bert)
    let byEpoch = scratch.appendingPathComponent("by-epoch").path
    let headOnly = try succeed(base + ["--output", byEpoch])
    XCTAssertTrue(
      headOnly.contains(
        "note: gradual unfreezing opened 1 of 4 stages in 4 steps: the embeddings and the lowest 2 layer(s) never trained; --gradual-unfreezing-steps 1 would open them all in this run"
      ), "\(headOnly)")
    XCTAssertEqual(try Self.tensorBytes(embeddings, in: byEpoch), original, "the embeddings stayed frozen")
    let bySteps = scratch.appendingPathComponent("by-steps").path
    let everything = try succeed(base + ["--gradual-unfreezing-steps", "1", "--output", bySteps])
    XCTAssertTrue(
      everything.contains("gradual unfreezing: all 4 stages opened (head, 2 layers, embeddings)"),
      "\(everything)")
    XCTAssertNotEqual(try Self.tensorBytes(embeddings, in: bySteps), original, "the embeddings trained")
  }

  func testAnUnknownOptionIsNamedWithTheAllowedOnes() throws {
    let input = try file("in.txt", "it was good\n")
    try fail(
      ["predict", "--model", Self.bert, "--input", input, "--maxlength", "64"],
      saying: ["unknown option --maxlength", "--max-length", "course predict --help"])
    // A misspelt name is reported before the required option it leaves missing.
    try fail(["pretrain", "--ouptut", "x"], saying: ["unknown option --ouptut"])
    try fail(["grade", "--timeut", "5"], saying: ["unknown option --timeut", "--timeout"])
    try fail(
      ["tokenize", "--tokenizer", Self.bert, "--input", input, "--token"], saying: ["unknown option --token"])
    try fail(["bench", "--jsn", "x.json"], saying: ["unknown option --jsn"])
    try fail(["exercises", "--force"], saying: ["unknown option --force", "allowed: --root"])
  }

  func testAMissingRequiredOptionIsNamed() throws {
    let input = try file("in.txt", "it was good\n")
    try fail(["predict", "--model", Self.bert], saying: ["predict needs --input FILE"])
    try fail(["predict", "--input", input], saying: ["predict needs --model DIR"])
    try fail(
      ["finetune", "--model", Self.bert, "--train", input], saying: ["finetune needs --validation FILE"])
    try fail(["pretrain", "--arch", "gpt"], saying: ["pretrain needs --output DIR"])
    try fail(["generate", "--model", Self.gpt2], saying: ["generate needs --prompt TEXT"])
    try fail(["tokenize", "--input", input], saying: ["tokenize needs --tokenizer PATH"])
    try fail(["student-edition"], saying: ["student-edition needs DIR"])
    try fail(["student-edition", "a", "b"], saying: ["unexpected argument \"b\""])
    try fail(
      ["predict", "--model", Self.bert, "--input", input, "extra"], saying: ["unexpected argument \"extra\""])
  }

  func testSeedZeroIsAcceptedEverywhere() throws {
    // pretrain reads the seed, then refuses the one-line corpus: the seed was accepted.
    let single = try file("single.txt", "one document\n")
    try fail(
      ["pretrain", "--seed", "0", "--corpus", single, "--output", scratch.appendingPathComponent("m").path],
      saying: ["needs at least 2 non-empty lines"])
    let prompt = try succeed([
      "generate", "--model", Self.gpt2, "--prompt", "The food was", "--seed", "0", "--temperature", "1",
      "--max-new-tokens", "3",
    ])
    XCTAssertEqual(prompt.count, 1)
    let rows = (0..<4).map { $0 % 2 == 0 ? "positive\tit was good" : "negative\tit was bad" }
    let train = try file("train.tsv", (["label\ttext"] + rows).joined(separator: "\n") + "\n")
    let lines = try succeed([
      "finetune", "--model", Self.bert, "--train", train, "--validation", train, "--seed", "0", "--max-steps",
      "1", "--batch-size", "2",
    ])
    XCTAssertTrue(lines.contains { $0.hasPrefix("validation: accuracy") }, lines.joined(separator: "\n"))
  }

  func testFlagsAndRepeatedArgumentsStillWork() throws {
    let input = try file("in.txt", "it was good\n")
    let ids = try succeed(["tokenize", "--tokenizer", Self.bert, "--input", input])
    let tokens = try succeed(["tokenize", "--tokenizer", Self.bert, "--input", input, "--tokens"])
    XCTAssertEqual(ids.count, 1)
    XCTAssertEqual(tokens.count, 1)
    XCTAssertNotEqual(ids, tokens, "--tokens prints the pieces, not the ids")
    XCTAssertEqual(
      ids[0].split(separator: " ").count, tokens[0].split(separator: " ").count, "one id per token")
    try fail(
      ["tokenize", "--tokenizer", Self.bert, "--input", input, "--tokens=yes"],
      saying: ["--tokens takes no value"])
    // grade takes any number of submission directories; these are not packages, so each is skipped.
    let (first, second) = (
      scratch.appendingPathComponent("alice").path, scratch.appendingPathComponent("bob").path
    )
    let grades = scratch.appendingPathComponent("grades").path
    let result = try course(["grade", first, "--output", grades, second])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stdout.contains("\(first): not a package"), result.stdout)
    XCTAssertTrue(result.stdout.contains("\(second): not a package"), result.stdout)
    XCTAssertTrue(FileManager.default.fileExists(atPath: grades + "/grades.csv"))
  }
}
