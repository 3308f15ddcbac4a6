import Foundation
import XCTest

@testable import Notebook

/// Single-source code cells: the shown text is cut from the lesson's file between its markers.
final class CodeCellTests: XCTestCase {
  func testCutsTheLinesBetweenTheMarkersAndRemovesTheirCommonIndentation() throws {
    let source = """
      let before = 1
        // cell: loop
        for x in xs {
          total += x

        }
        // end cell: loop
      let after = 2
      """
    XCTAssertEqual(try codeCell("loop", in: source), "for x in xs {\n  total += x\n\n}")
  }

  func testMissingRepeatedOrReversedMarkersAreNamed() {
    let cases: [(String, String)] = [
      ("let x = 1\n// end cell: a\n", "found 0 and 1"),
      ("// cell: a\n// cell: a\nx\n// end cell: a\n", "found 2 and 1"),
      ("// end cell: a\nx\n// cell: a\n", "comes before"),
      // A cell's name must match exactly: "ab" is not "a".
      ("// cell: ab\nx\n// end cell: ab\n", "found 0 and 0"),
    ]
    for (source, expected) in cases {
      XCTAssertThrowsError(try codeCell("a", in: source), source) { error in
        let message = (error as? CodeCellError)?.message ?? ""
        XCTAssertTrue(message.contains(expected) && message.contains("cell a"), message)
      }
    }
  }

  func testTheMarkersOfANestedCellAreNotShown() throws {
    let source = """
      // cell: outer
      switch x {
      case 1: one()
      // cell: inner
      case 2: two()
      // end cell: inner
      }
      // end cell: outer
      """
    XCTAssertEqual(try codeCell("outer", in: source), "switch x {\ncase 1: one()\ncase 2: two()\n}")
    XCTAssertEqual(try codeCell("inner", in: source), "case 2: two()")
  }

  func testACellNamingASiblingFileIsCutFromThatFile() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "CodeCellTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let helper = directory.appendingPathComponent("Helper.swift")
    try "func f() {\n  // cell: f\n  g()\n  // end cell: f\n}\n".write(
      to: helper, atomically: true, encoding: .utf8)
    var printed = ""
    let nb = Notebook(
      lesson: 9, title: "t", summary: "s",
      options: try LessonOptions.parse(arguments: [], flags: [], lesson: 9)
    ) { printed += $0 }
    let caller = directory.appendingPathComponent("main.swift").path
    nb.cell("f", in: "Helper.swift", file: caller)
    nb.cell("f", in: "Missing.swift", file: caller)
    XCTAssertTrue(printed.contains("│ g()"), printed)
    XCTAssertTrue(
      printed.contains("cannot read \(directory.appendingPathComponent("Missing.swift").path)"), printed)
  }

  /// The lessons' source files, by path.
  func lessonSources() throws -> [URL: String] {
    let lessons = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Lessons")
    let files = try XCTUnwrap(FileManager.default.enumerator(at: lessons, includingPropertiesForKeys: nil))
      .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
    XCTAssertFalse(files.isEmpty, "no lesson sources under \(lessons.path)")
    return try Dictionary(
      uniqueKeysWithValues: files.map { ($0, try String(contentsOf: $0, encoding: .utf8)) })
  }

  /// Every `nb.cell("NAME")` a lesson calls is marked once in the same file, and every
  /// `nb.cell("NAME", in: "File.swift")` in that file of the same lesson directory, so no page
  /// shows a "not found" cell (checked here, without running the lessons). A call in any other
  /// form fails the test, as this check could not follow it.
  func testEveryLessonCellIsMarkedInItsFile() throws {
    let call = try NSRegularExpression(pattern: #"nb\.cell\("([^"]+)"(?:, in: "([^"/]+\.swift)")?\)"#)
    var cells = 0
    for (file, source) in try lessonSources() {
      let range = NSRange(source.startIndex..., in: source)
      let matches = call.matches(in: source, range: range)
      XCTAssertEqual(
        matches.count, source.components(separatedBy: "nb.cell(").count - 1,
        "\(file.lastPathComponent): an nb.cell call this check cannot read (expected nb.cell(\"NAME\") or nb.cell(\"NAME\", in: \"File.swift\"))"
      )
      for match in matches {
        let name = String(source[Range(match.range(at: 1), in: source)!])
        var cellFile = file
        var text = source
        if let sibling = Range(match.range(at: 2), in: source) {
          cellFile = file.deletingLastPathComponent().appendingPathComponent(String(source[sibling]))
          guard let siblingText = try? String(contentsOf: cellFile, encoding: .utf8) else {
            XCTFail(
              "\(file.lastPathComponent): cell \(name) names \(cellFile.lastPathComponent), not in its directory"
            )
            continue
          }
          text = siblingText
        }
        cells += 1
        XCTAssertNoThrow(
          try codeCell(name, in: text),
          "\(file.lastPathComponent): cell \(name) in \(cellFile.lastPathComponent)")
      }
    }
    XCTAssertGreaterThan(cells, 0, "no lesson uses nb.cell")
  }

  /// Lessons show only code they run: a hand-written `nb.code("...")` cell could drift from it.
  func testLessonsShowNoHandWrittenCodeCells() throws {
    for (file, source) in try lessonSources() {
      XCTAssertFalse(
        source.contains("nb.code("), "\(file.lastPathComponent): use nb.cell, cut from the code that runs")
    }
  }
}
