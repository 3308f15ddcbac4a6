import Foundation
import XCTest

/// docs/instructors.md lists every wrong solution the mutation check substitutes, so the guide's
/// "common wrong solutions" cannot fall behind Tests/HiddenTests/Mutations/mutations.json.
final class InstructorGuideTests: XCTestCase {
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  func testTheGuideListsEveryRecordedWrongSolution() throws {
    let mutations = Self.packageRoot.appendingPathComponent("Tests/HiddenTests/Mutations/mutations.json")
    // The student edition leaves the hidden tests, and so the wrong solutions, out.
    try XCTSkipUnless(FileManager.default.fileExists(atPath: mutations.path), "no hidden tests here")
    let entries = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(contentsOf: mutations)) as? [[String: Any]])
    let guide = try String(
      contentsOf: Self.packageRoot.appendingPathComponent("docs/instructors.md"), encoding: .utf8)
    let rows = guide.split(separator: "\n").filter { $0.hasPrefix("| ") }
    for entry in entries {
      let exercise = try XCTUnwrap(entry["exercise"] as? String)
      let name = try XCTUnwrap(entry["name"] as? String).replacingOccurrences(of: "|", with: "\\|")
      XCTAssertTrue(
        rows.contains { $0.hasPrefix("| \(exercise) |") && $0.contains(name) },
        "docs/instructors.md has no row for exercise \(exercise) naming the wrong solution \"\(name)\"")
    }
  }
}
