import Foundation
import XCTest

@testable import Datasets

/// Files as GLUE and Hugging Face `datasets` export them: the text (and pair) columns found as
/// transformers' run_glue.py finds them, or named; labels as integers or strings.
final class TextColumnsTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("columns-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDown() { try? FileManager.default.removeItem(at: directory) }

  func write(_ name: String, _ text: String) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
  }

  func testGLUESST2TSVFindsTheSentenceColumn() throws {
    let url = try write("dev.tsv", "sentence\tlabel\nit 's a charming journey . \t1\nbad . \t0\n")
    let loaded = try readExamples(url, format: .tsv)
    XCTAssertEqual(loaded.columns, TextColumns(text: "sentence", label: "label"))
    XCTAssertEqual(
      loaded.examples,
      [Example(label: "1", text: "it 's a charming journey . "), Example(label: "0", text: "bad . ")])
  }

  func testTheKitsOwnFilesReadAsBefore() throws {
    let url = try write("train.tsv", "label\ttext\npositive\tgood\n")
    let loaded = try readExamples(url, format: .tsv)
    XCTAssertEqual(loaded.columns, TextColumns(text: "text", label: "label"))
    XCTAssertEqual(loaded.examples, [Example(label: "positive", text: "good")])
  }

  func testSentencePairCSVAndEveryGLUEPair() throws {
    let url = try write(
      "mrpc.csv", "sentence1,sentence2,label\n\"He said, quietly, no.\",He refused.,1\nA cat.,A train.,0\n")
    let loaded = try readExamples(url, format: .csv)
    XCTAssertEqual(loaded.columns, TextColumns(text: "sentence1", textPair: "sentence2", label: "label"))
    XCTAssertEqual(
      loaded.examples.first, Example(label: "1", text: "He said, quietly, no.", textPair: "He refused."))
    for (first, second) in [
      ("premise", "hypothesis"), ("question1", "question2"), ("question", "sentence"), ("text", "text_pair"),
    ] {
      // `datasets`' CSV export: idx first, the label in the middle.
      let file = try write("\(first).csv", "idx,\(first),label,\(second)\n0,a,1,b\n")
      let columns = try readExamples(file, format: .csv).columns
      XCTAssertEqual(columns, TextColumns(text: first, textPair: second), "\(first)/\(second)")
    }
  }

  func testGLUEsOwnQQPAndMRPCFiles() throws {
    let qqp = try write(
      "qqp.tsv", "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n7\t15\t16\tHow?\tWhy?\t0\n")
    let questions = try readExamples(qqp, format: .tsv)
    XCTAssertEqual(
      questions.columns, TextColumns(text: "question1", textPair: "question2", label: "is_duplicate"))
    let mrpc = try write(
      "msr_paraphrase_train.txt",
      "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t702876\t702977\tHe said \"no\".\tHe refused.\n")
    let paraphrases = try readExamples(mrpc, format: .tsv)
    XCTAssertEqual(
      paraphrases.columns, TextColumns(text: "#1 String", textPair: "#2 String", label: "Quality"))
    XCTAssertEqual(
      paraphrases.examples, [Example(label: "1", text: "He said \"no\".", textPair: "He refused.")])
  }

  func testJSONLinesWithStringLabelsAndPairs() throws {
    let url = try write(
      "mnli.jsonl",
      """
      {"premise": "The cafe opens at eight.", "hypothesis": "The cafe is open at nine.", "label": "entailment", "idx": 0}
      {"premise": "A man sleeps.", "hypothesis": "A man runs.", "label": "contradiction", "idx": 1}

      """)
    let loaded = try readExamples(url, format: .jsonl)
    XCTAssertEqual(loaded.columns, TextColumns(text: "premise", textPair: "hypothesis"))
    XCTAssertEqual(loaded.examples.map(\.label), ["entailment", "contradiction"])
    XCTAssertEqual(loaded.examples[1].textPair, "A man runs.")
  }

  func testFallbackTakesTheFirstTextColumnsThatAreNotTheLabelInFileOrder() throws {
    // run_glue.py's fallback: the first two non-label columns are a pair; ids and numbers are
    // passed over; JSON keys keep the order they are written in.
    let pair = try write(
      "p.jsonl", "{\"label\": 1, \"title\": \"Great\", \"id\": \"x1\", \"body\": \"Works well\"}\n")
    XCTAssertEqual(
      try readExamples(pair, format: .jsonl).columns, TextColumns(text: "title", textPair: "body"))
    let single = try write("s.csv", ",stars,review,label\n0,5,\"Lovely, really\",pos\n")
    let loaded = try readExamples(single, format: .csv)
    XCTAssertEqual(loaded.columns, TextColumns(text: "review"))
    XCTAssertEqual(loaded.examples, [Example(label: "pos", text: "Lovely, really")])
  }

  func testNamedColumnsWin() throws {
    let url = try write("r.csv", "review,stars,sentence\ngood,5,ignored\nbad,1,ignored\n")
    let loaded = try readExamples(url, format: .csv, textField: "review", labelField: "stars")
    XCTAssertEqual(loaded.columns, TextColumns(text: "review", label: "stars"))
    XCTAssertEqual(loaded.examples.map(\.label), ["5", "1"])
    let pair = try readExamples(
      url, format: .csv, textField: "review", textPairField: "sentence", labelField: "stars")
    XCTAssertEqual(pair.examples.first, Example(label: "5", text: "good", textPair: "ignored"))
    XCTAssertThrowsError(try readExamples(url, format: .csv, textField: "body", labelField: "stars")) {
      XCTAssertEqual(
        "\($0)",
        "\(url.path):1: no column named \"body\" among the columns [\"review\", \"stars\", \"sentence\"]")
    }
  }

  func testNoTextColumnListsTheColumnsFound() throws {
    let url = try write("scores.csv", "idx,score,label\n0,0.5,1\n1,0.25,0\n")
    XCTAssertThrowsError(try readExamples(url, format: .csv)) { error in
      let message = "\(error)"
      XCTAssertTrue(message.hasPrefix("\(url.path):1: no text column among the columns"), message)
      XCTAssertTrue(message.contains("[\"idx\", \"score\", \"label\"]"), message)
      XCTAssertTrue(message.contains("--text-column"), message)
    }
    let unlabelled = try write("u.tsv", "sentence\tscore\ngood\t1\n")
    XCTAssertThrowsError(try readExamples(unlabelled, format: .tsv)) {
      XCTAssertTrue("\($0)".contains("no label column among the columns [\"sentence\", \"score\"]"), "\($0)")
    }
    // Text to classify needs no label.
    let inputs = try readExamples(unlabelled, format: .tsv, requireLabels: false)
    XCTAssertEqual(inputs.examples, [Example(label: "", text: "good")])
  }

  func testAPairRowWithoutItsSecondTextIsABadRow() throws {
    let url = try write("p.tsv", "sentence1\tsentence2\tlabel\na\tb\t1\nc\t\t0\n")
    let loaded = try readExamples(url, format: .tsv, onBadRow: .skipAndCount)
    XCTAssertEqual(loaded.examples.count, 1)
    XCTAssertEqual(loaded.skipped.map(\.line), [3])
    XCTAssertTrue(loaded.skipped[0].problem.contains("empty second text"))
  }

  func testAByteOrderMarkIsNotPartOfTheFirstColumn() throws {
    let url = try write("excel.csv", "\u{FEFF}text,label\nfine,1\n")
    XCTAssertEqual(try readExamples(url, format: .csv).examples, [Example(label: "1", text: "fine")])
  }

  func testIntegerLabelsAreClassIdsInNumericOrder() {
    let examples = (0..<12).map { Example(label: String(11 - $0), text: "t") }
    XCTAssertEqual(LabelMap(from: examples).labels, (0..<12).map(String.init))
    XCTAssertEqual(
      LabelMap(from: [Example(label: "b", text: "t"), Example(label: "10", text: "t")]).labels, ["10", "b"])
  }

  func testFormatFromTheFileName() {
    XCTAssertEqual(DataFormat(inferredFrom: "train.CSV"), .csv)
    XCTAssertEqual(DataFormat(inferredFrom: "/d/train.jsonl"), .jsonl)
    XCTAssertEqual(DataFormat(inferredFrom: "dev.tsv"), .tsv)
    XCTAssertEqual(DataFormat(inferredFrom: "data"), .tsv)
  }

  func testJSONKeysInOrderOfWritingAtTheTopLevelOnly() {
    XCTAssertEqual(
      jsonKeys(#"{"b": {"x": 1, "y": [":", "z"]}, "a\"q": "v: w", "c" : 2}"#), ["b", "a\"q", "c"])
  }
}
