import Foundation
import XCTest

/// The bad-input catalogue (docs/bad-inputs.md): each damaged file or option is given to the
/// command a student would run, which must stop with exit status 1 and a message naming the file
/// (or option) and what was expected, never crash or answer silently. Each case's id and message
/// also appear in the catalogue's table, so the page shows what a user really sees.
final class BadInputCatalogueTests: CourseCLITestCase {
  /// One catalogue entry: its id in the page, the message fragment, and how to provoke it.
  struct Case {
    let id: String
    let message: String
    let arguments: (BadInputCatalogueTests) throws -> [String]
  }

  /// A copy of the tiny kit BERT with `file` replaced by `bytes` (removed when nil).
  func model(replacing file: String, with bytes: Data?) throws -> String {
    let directory = scratch.appendingPathComponent("model-\(UUID())")
    try FileManager.default.copyItem(atPath: CourseCLITestCase.bert, toPath: directory.path)
    let url = directory.appendingPathComponent(file)
    try FileManager.default.removeItem(at: url)
    if let bytes { try bytes.write(to: url) }
    return directory.path
  }

  /// A safetensors file with `header` as its JSON header and `payload` zero bytes of data.
  static func safetensors(_ header: String, payload: Int) -> Data {
    var length = UInt64(header.utf8.count).littleEndian
    return Data(bytes: &length, count: 8) + Data(header.utf8) + Data(count: payload)
  }

  func predict(replacing file: String, with bytes: Data?) throws -> [String] {
    [
      "predict", "--model", try model(replacing: file, with: bytes), "--input",
      try self.file("in.txt", "good\n"),
    ]
  }

  func finetune(train: String, _ name: String = "train.tsv") throws -> [String] {
    let validation = try file("validation.tsv", "label\ttext\npositive\tgood\nnegative\tbad\n")
    return [
      "finetune", "--model", CourseCLITestCase.bert, "--train", try file(name, train), "--validation",
      validation,
    ]
  }

  nonisolated(unsafe) static let cases: [Case] = [
    Case(id: "safetensors-empty", message: "model.safetensors: truncated: 0 bytes") {
      try $0.predict(replacing: "model.safetensors", with: Data())
    },
    Case(id: "safetensors-huge-header", message: "is absurd (limit 104857600 bytes)") {
      try $0.predict(replacing: "model.safetensors", with: Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0]))
    },
    Case(id: "safetensors-truncated", message: "runs past the end of the file") {
      let whole = try Data(contentsOf: URL(fileURLWithPath: CourseCLITestCase.bert + "/model.safetensors"))
      return try $0.predict(replacing: "model.safetensors", with: whole.prefix(100))
    },
    Case(id: "safetensors-negative-offsets", message: "data_offsets must be [begin, end] with begin <= end") {
      try $0.predict(
        replacing: "model.safetensors",
        with: safetensors(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#, payload: 8))
    },
    Case(id: "safetensors-overlapping-offsets", message: "tensors \"a\" and \"b\" overlap") {
      try $0.predict(
        replacing: "model.safetensors",
        with: safetensors(
          #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
          payload: 12))
    },
    Case(id: "safetensors-wrong-dtype", message: "dtype F64 is not supported") {
      try $0.predict(
        replacing: "model.safetensors",
        with: safetensors(#"{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, payload: 8))
    },
    Case(id: "safetensors-shape-size", message: "shape [3] of F32 needs 12 bytes, data_offsets give 8") {
      try $0.predict(
        replacing: "model.safetensors",
        with: safetensors(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, payload: 8))
    },
    Case(id: "safetensors-repeated-name", message: "the key \"a\" appears twice in the top-level object") {
      try $0.predict(
        replacing: "model.safetensors",
        with: safetensors(
          #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
          payload: 8))
    },
    Case(id: "config-missing", message: "config.json: not found") {
      try $0.predict(replacing: "config.json", with: nil)
    },
    Case(id: "config-empty", message: "config.json: empty file") {
      try $0.predict(replacing: "config.json", with: Data())
    },
    Case(id: "config-not-json", message: "config.json: not a JSON object") {
      try $0.predict(replacing: "config.json", with: Data("not json".utf8))
    },
    Case(id: "config-unknown-model-type", message: "model_type is \"t5\"") {
      try $0.predict(replacing: "config.json", with: Data(#"{"model_type": "t5"}"#.utf8))
    },
    Case(id: "config-repeated-key", message: "the key \"hidden_size\" appears twice") {
      let text = try String(contentsOfFile: CourseCLITestCase.bert + "/config.json", encoding: .utf8)
        .replacingOccurrences(of: "\"hidden_size\"", with: "\"hidden_size\": 32, \"hidden_size\"")
      return try $0.predict(replacing: "config.json", with: Data(text.utf8))
    },
    Case(id: "config-wrong-type", message: "field hidden_size has the wrong type") {
      let text = try String(contentsOfFile: CourseCLITestCase.bert + "/config.json", encoding: .utf8)
        .replacingOccurrences(of: "\"hidden_size\"", with: "\"hidden_size\": \"big\", \"ignored\"")
      return try $0.predict(replacing: "config.json", with: Data(text.utf8))
    },
    Case(id: "vocab-empty", message: "vocab.txt: is empty; expected one token per line") {
      try $0.predict(replacing: "vocab.txt", with: Data())
    },
    Case(id: "vocab-not-utf8", message: "vocab.txt: is not valid UTF-8") {
      try $0.predict(replacing: "vocab.txt", with: Data([0xFF, 0xFE, 0x0A]))
    },
    Case(id: "vocab-duplicate-token", message: "vocab.txt:3: duplicate token \"a\" (first on line 2)") {
      try $0.predict(replacing: "vocab.txt", with: Data("[UNK]\na\na\n".utf8))
    },
    Case(id: "tokenizer-json-repeated-key", message: "the key \"a\" appears twice in the object model.vocab")
    {
      // tokenizer.json is read before vocab.txt, as AutoTokenizer does.
      let arguments = try $0.predict(replacing: "vocab.txt", with: nil)
      try Data(#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1, "a": 2}}}"#.utf8).write(
        to: URL(fileURLWithPath: arguments[2]).appendingPathComponent("tokenizer.json"))
      return arguments
    },
    Case(id: "data-empty", message: "train.tsv:1: empty file; expected a header row") {
      try $0.finetune(train: "")
    },
    Case(id: "data-short-row", message: "train.tsv:3: 1 columns, the header has 2") {
      try $0.finetune(train: "label\ttext\npositive\tgood\nnegative\n")
    },
    Case(id: "data-unclosed-quote", message: "train.csv:2: a quoted field is never closed") {
      try $0.finetune(train: "text,label\n\"good,positive\n", "train.csv")
    },
    Case(id: "data-jsonl-not-object", message: "train.jsonl:2: not a JSON object") {
      try $0.finetune(
        train: "{\"text\": \"good\", \"label\": \"positive\"}\n{\"text\": \"bad\", \"label\": \n",
        "train.jsonl")
    },
    Case(id: "data-jsonl-repeated-key", message: "train.jsonl:1: the key \"text\" appears twice") {
      try $0.finetune(
        train: "{\"text\": \"good\", \"text\": \"bad\", \"label\": \"positive\"}\n", "train.jsonl")
    },
    Case(id: "data-no-columns", message: "no label column among the columns [\"id\", \"foo\"]") {
      try $0.finetune(train: "id,foo\n1,2\n", "train.csv")
    },
    Case(id: "data-unknown-label", message: "label \"neutral\" is not one of negative, positive") {
      var arguments = try $0.finetune(train: "label\ttext\npositive\tgood\nnegative\tbad\n")
      arguments[arguments.firstIndex(of: "--validation")! + 1] = try $0.file(
        "other.tsv", "label\ttext\nneutral\tmeh\n")
      return arguments
    },
    Case(id: "data-missing-file", message: "absent.tsv: no such file") {
      [
        "finetune", "--model", CourseCLITestCase.bert, "--train",
        $0.scratch.appendingPathComponent("absent.tsv").path,
        "--validation", $0.scratch.appendingPathComponent("absent.tsv").path,
      ]
    },
    Case(id: "option-bad-value", message: "--lr: expected a number ≥ 0, got \"abc\"") {
      try $0.finetune(train: "label\ttext\npositive\tgood\n") + ["--lr", "abc"]
    },
    Case(id: "option-unknown", message: "unknown option --lrate") {
      try $0.finetune(train: "label\ttext\npositive\tgood\n") + ["--lrate", "1"]
    },
    Case(id: "option-missing-required", message: "finetune needs --validation FILE") { _ in
      ["finetune", "--model", CourseCLITestCase.bert, "--train", "x.tsv"]
    },
    Case(id: "resume-without-checkpoint", message: "--resume: no checkpoint-N directory") {
      try $0.finetune(train: "label\ttext\npositive\tgood\nnegative\tbad\n") + [
        "--output", $0.scratch.appendingPathComponent("out").path, "--resume",
      ]
    },
  ]

  func testEveryBadInputStopsWithAMessageNamingItAndTheCatalogueShowsIt() throws {
    let page = try String(
      contentsOf: Self.packageRoot.appendingPathComponent("docs/bad-inputs.md"), encoding: .utf8)
    let rows = page.split(separator: "\n").map(String.init)
    for entry in Self.cases {
      let result = try course(try entry.arguments(self))
      XCTAssertEqual(result.status, 1, "\(entry.id): \(result.stdout)\n\(result.stderr)")
      XCTAssertTrue(result.stderr.contains(entry.message), "\(entry.id): \(result.stderr)")
      XCTAssertTrue(
        rows.contains { $0.contains("`\(entry.id)`") && $0.contains(entry.message) },
        "docs/bad-inputs.md has no row with `\(entry.id)` and \"\(entry.message)\"")
    }
  }
}
