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

  /// Every `nb.cell("NAME")` a lesson calls is marked once in the same file, so no page shows
  /// a "not found" cell (checked here, without running the lessons).
  func testEveryLessonCellIsMarkedInItsFile() throws {
    let lessons = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Lessons")
    let files = try XCTUnwrap(FileManager.default.enumerator(at: lessons, includingPropertiesForKeys: nil))
      .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
    XCTAssertFalse(files.isEmpty, "no lesson sources under \(lessons.path)")
    let call = try NSRegularExpression(pattern: #"nb\.cell\("([^"]+)"\)"#)
    var cells = 0
    for file in files {
      let source = try String(contentsOf: file, encoding: .utf8)
      let range = NSRange(source.startIndex..., in: source)
      for match in call.matches(in: source, range: range) {
        let name = String(source[Range(match.range(at: 1), in: source)!])
        cells += 1
        XCTAssertNoThrow(try codeCell(name, in: source), "\(file.lastPathComponent): cell \(name)")
      }
    }
    XCTAssertGreaterThan(cells, 0, "no lesson uses nb.cell")
  }
}
