import Foundation
import XCTest

@testable import CourseTools

/// `course hint`: every tier reaches the student edition, and each call reveals one more.
final class HintTests: XCTestCase {
  let source = """
    import Foundation

    func dropout(_ x: Float) -> Float {
      // BEGIN EXERCISE 6.1 "Dropout" points=2
      // hint: look at the mask.
      // hint 2: scale what survives.
      // hint 3: by the keep probability's inverse.
      return x
      // END EXERCISE 6.1
    }
    """

  /// A kit with one exercise in Sources/M/F.swift, removed when the test ends.
  func makeKit() throws -> URL {
    let fm = FileManager.default
    let kit = fm.temporaryDirectory.appendingPathComponent("hint-kit-\(UUID())")
    try fm.createDirectory(at: kit.appendingPathComponent("Sources/M"), withIntermediateDirectories: true)
    try Data("// swift-tools-version: 6.0\n".utf8).write(to: kit.appendingPathComponent("Package.swift"))
    try Data(source.utf8).write(to: kit.appendingPathComponent("Sources/M/F.swift"))
    addTeardownBlock { try? fm.removeItem(at: kit) }
    return kit
  }

  func testTheStudentEditionCarriesEveryTierOutsideItsSource() throws {
    let kit = try makeKit()
    let edition = kit.deletingLastPathComponent().appendingPathComponent("hint-edition-\(UUID())")
    addTeardownBlock { try? FileManager.default.removeItem(at: edition) }
    try makeStudentEdition(root: kit, destination: edition)
    let student = try String(contentsOf: edition.appendingPathComponent("Sources/M/F.swift"), encoding: .utf8)
    XCTAssertFalse(student.contains("scale what survives"), "the source keeps tier 1 only")
    XCTAssertTrue(student.contains("More hints: swift run course hint 6.1"), student)
    let hints = try loadHints(root: edition)
    XCTAssertEqual(
      hints,
      [
        ExerciseHints(
          id: "6.1", title: "Dropout", file: "Sources/M/F.swift",
          tiers: ["look at the mask.", "scale what survives.", "by the keep probability's inverse."])
      ])
  }

  func testEachCallRevealsOneMoreTierAndTierChooses() throws {
    let kit = try makeKit()
    let first = try revealHint(id: "6.1", root: kit)
    XCTAssertEqual(first.shown, 1)
    XCTAssertTrue(first.text.contains("hint 1 of 3: look at the mask."), first.text)
    XCTAssertFalse(first.text.contains("scale"), first.text)
    XCTAssertEqual(try revealHint(id: "6.1", root: kit).shown, 2)
    let third = try revealHint(id: "6.1", root: kit)
    XCTAssertEqual(third.shown, 3)
    XCTAssertFalse(third.hasMore)
    XCTAssertEqual(try revealHint(id: "6.1", root: kit).shown, 3, "stays at the last tier")
    XCTAssertEqual(try revealHint(id: "6.1", tier: 1, root: kit).shown, 1, "--tier picks a tier")
    XCTAssertEqual(try revealHint(id: "6.1", tier: 9, root: kit).shown, 3)
  }

  func testUnknownExerciseAndMissingHintsAreClearErrors() throws {
    let kit = try makeKit()
    XCTAssertThrowsError(try revealHint(id: "9.9", root: kit)) {
      XCTAssertTrue("\($0)".contains("no exercise 9.9; the exercises are 6.1"), "\($0)")
    }
    let empty = kit.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    XCTAssertThrowsError(try revealHint(id: "6.1", root: empty)) {
      XCTAssertTrue("\($0)".contains("no exercise markers and no"), "\($0)")
    }
  }
}
