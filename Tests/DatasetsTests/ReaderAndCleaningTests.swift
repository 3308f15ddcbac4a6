import Foundation
import XCTest

@testable import Datasets

final class ReaderTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("readers-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDown() { try? FileManager.default.removeItem(at: directory) }

  func write(_ name: String, _ text: String) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
  }

  func testTSVWithHeaderAndBadRows() throws {
    let url = try write("data.tsv", "sentence\tlabel\ngood film\t1\nbad film\t0\nno label here\n\t1\nok\t7\n")
    XCTAssertThrowsError(try readExamples(url, format: .tsv, textField: "sentence")) { error in
      XCTAssertEqual("\(error)", "\(url.path):4: 1 columns, the header has 2")
    }
    let loaded = try readExamples(
      url, format: .tsv, textField: "sentence", labels: ["0", "1"], onBadRow: .skipAndCount)
    XCTAssertEqual(
      loaded.examples, [Example(label: "1", text: "good film"), Example(label: "0", text: "bad film")])
    XCTAssertEqual(loaded.skipped.map(\.line), [4, 5, 6])
    XCTAssertTrue(loaded.skipped[1].problem.contains("empty text"))
    XCTAssertTrue(loaded.skipped[2].problem.contains("unknown label \"7\""))
  }

  func testCSVQuotingEmbeddedCommasQuotesAndNewlines() throws {
    let url = try write(
      "data.csv", "label,text\npositive,\"Great, really \"\"great\"\"\nsecond line\"\nnegative,plain\r\n")
    let loaded = try readExamples(url, format: .csv)
    XCTAssertEqual(loaded.examples.map(\.text), ["Great, really \"great\"\nsecond line", "plain"])
    let broken = try write("broken.csv", "label,text\npositive,\"never closed\n")
    XCTAssertThrowsError(try readExamples(broken, format: .csv)) {
      XCTAssertTrue("\($0)".contains(":2: a quoted field"))
    }
  }

  func testJSONLinesAndLabelText() throws {
    let jsonl = try write(
      "d.jsonl", "{\"text\": \"fine\", \"label\": 1}\nnot json\n{\"text\": \"\", \"label\": 0}\n")
    let loaded = try readExamples(jsonl, format: .jsonl, onBadRow: .skipAndCount)
    XCTAssertEqual(loaded.examples, [Example(label: "1", text: "fine")])
    XCTAssertEqual(loaded.skipped.map(\.line), [2, 3])
    let sst = try write("stsa", "1 a stirring , funny film\n0 apparently reassembled\n")
    XCTAssertEqual(try readExamples(sst, format: .labelText).examples.map(\.label), ["1", "0"])
  }

  /// A JSONL row with a key twice: `datasets` (pyarrow) refuses it, Python's json keeps the last
  /// value; the kit treats it as a bad row naming the key.
  func testAJSONLRowWithARepeatedKeyIsABadRow() throws {
    let url = try write(
      "dup.jsonl", "{\"text\": \"fine\", \"label\": 1}\n{\"text\": \"a\", \"text\": \"b\", \"label\": 0}\n")
    XCTAssertThrowsError(try readExamples(url, format: .jsonl)) {
      XCTAssertTrue(
        "\($0)".contains("dup.jsonl:2: the key \"text\" appears twice in the top-level object"), "\($0)")
    }
    let loaded = try readExamples(url, format: .jsonl, onBadRow: .skipAndCount)
    XCTAssertEqual(loaded.examples, [Example(label: "1", text: "fine")])
    XCTAssertEqual(loaded.skipped.map(\.line), [2])
  }

  func testWindowsLineEndingsInEveryFormat() throws {
    // "\r\n" is one Character in Swift: a reader that splits on "\n" sees one line.
    let files: [(String, DataFormat, String)] = [
      ("crlf.tsv", .tsv, "label\ttext\r\npositive\tgood\r\nnegative\tbad\r\n"),
      ("crlf.csv", .csv, "label,text\r\npositive,good\r\nnegative,bad\r\n"),
      (
        "crlf.jsonl", .jsonl,
        "{\"label\": \"positive\", \"text\": \"good\"}\r\n{\"label\": \"negative\", \"text\": \"bad\"}\r\n"
      ),
      ("crlf.txt", .labelText, "positive good\r\nnegative bad\r\n"),
    ]
    for (name, format, text) in files {
      let loaded = try readExamples(try write(name, text), format: format)
      XCTAssertEqual(
        loaded.examples, [Example(label: "positive", text: "good"), Example(label: "negative", text: "bad")],
        name)
    }
  }

  func testAMissingFileIsNamedWithoutALineNumber() {
    let url = directory.appendingPathComponent("absent.tsv")
    XCTAssertThrowsError(try readExamples(url, format: .tsv)) {
      XCTAssertEqual("\($0)", "\(url.path): no such file")
    }
  }

  func testInvalidUTF8NamesTheLine() throws {
    let url = directory.appendingPathComponent("bad.tsv")
    try Data("label\ttext\n1\tok\n0\t".utf8 + [0xFF, 0xFE] + Data("\n".utf8)).write(to: url)
    XCTAssertThrowsError(try readExamples(url, format: .tsv)) {
      XCTAssertEqual("\($0)", "\(url.path):3: invalid UTF-8")
    }
  }

  func testRealSST2() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../../../shared/data/real/sst2/stsa.binary.train").standardizedFileURL
    guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("SST-2 is not here") }
    let loaded = try readExamples(url, format: .labelText, labels: ["0", "1"])
    XCTAssertGreaterThan(loaded.examples.count, 6000)
    XCTAssertEqual(LabelMap(from: loaded.examples).labels, ["0", "1"])
  }
}

final class CleaningAndSplitTests: XCTestCase {
  func testCleaning() {
    XCTAssertEqual(cleanText("  Ｆｕｌｌ\u{200B}width\t\n text\u{0007} "), "Fullwidth text")
    XCTAssertEqual(uncased("Crème Brûlée ÅNGSTRÖM"), "creme brulee angstrom")
    XCTAssertEqual(duplicateKey("Hello,   WORLD!"), duplicateKey("hello world"))
  }

  func testExactAndNearDuplicatesAreRemoved() {
    let examples = [
      Example(
        label: "a", text: "The crema from the Corvo Duo is superb and the steam wand works well every day."),
      Example(
        label: "a", text: "the crema from the corvo duo is SUPERB, and the steam wand works well every day"),
      Example(
        label: "a",
        text: "The crema from the Corvo Duo is superb and the steam wand works well every single day."),
      Example(label: "b", text: "Where is my order? It was due on Monday."),
    ]
    let (kept, report) = removeDuplicates(examples, threshold: 0.6)
    XCTAssertEqual(kept.count, 2)
    XCTAssertEqual(report.exact.map(\.duplicate), [1])
    XCTAssertEqual(report.near.map(\.duplicate), [2])
  }

  func testLeakageIsFound() {
    let splits = Splits(
      train: [Example(label: "1", text: "Great machine!")],
      validation: [Example(label: "0", text: "Leaky gasket.")],
      test: [Example(label: "1", text: "great machine")])
    XCTAssertEqual(findLeaks(splits).map(\.places), [["train 0", "test 0"]])
  }
}
