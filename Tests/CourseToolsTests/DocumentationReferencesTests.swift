import Foundation
import XCTest

@testable import CourseTools

/// The README and docs/ name only paths, lessons and exercises the kit has (issue 20 item 6).
final class DocumentationReferencesTests: XCTestCase {
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// The kit's own pages: every problem is printed as `file:line: message`.
  func testTheKitsPagesMatchTheTree() throws {
    // A student edition leaves out the hidden tests and the solutions some pages name.
    let edition = Self.packageRoot.appendingPathComponent(".course/checksums.json").path
    try XCTSkipIf(FileManager.default.fileExists(atPath: edition), "a student edition")
    let problems = try checkDocumentation(root: Self.packageRoot)
    XCTAssertEqual(problems, [], problems.map(\.description).joined(separator: "\n"))
  }

  /// A small kit: one lesson with one exercise, a README and a page.
  func makeKit(readme: String, page: String) throws -> URL {
    let fm = FileManager.default
    let kit = fm.temporaryDirectory.appendingPathComponent("docs-kit-\(UUID())")
    for folder in ["Sources/M", "Lessons/Lesson1", "docs/lessons"] {
      try fm.createDirectory(at: kit.appendingPathComponent(folder), withIntermediateDirectories: true)
    }
    let source = """
      func f() {
        // BEGIN EXERCISE 1.1 "F" points=2
        // hint: think.
        // END EXERCISE 1.1
      }
      """
    try Data(source.utf8).write(to: kit.appendingPathComponent("Sources/M/F.swift"))
    try Data("print(1)\n".utf8).write(to: kit.appendingPathComponent("Lessons/Lesson1/main.swift"))
    try Data(readme.utf8).write(to: kit.appendingPathComponent("README.md"))
    try Data(page.utf8).write(to: kit.appendingPathComponent("docs/lessons/lesson1.md"))
    addTeardownBlock { try? fm.removeItem(at: kit) }
    return kit
  }

  let goodReadme = """
    | lesson | run | exercises |
    | 1. Basics | `swift run Lesson1` | 1.1 |
    See [the page](docs/lessons/lesson1.md) and `Sources/M/F.swift`.
    """

  func testACompleteKitHasNoProblems() throws {
    let kit = try makeKit(readme: goodReadme, page: "Back to [the README](../../README.md#top).")
    XCTAssertEqual(try checkDocumentation(root: kit), [])
  }

  func testAMissingLinkTargetIsNamedWithItsLine() throws {
    let kit = try makeKit(readme: goodReadme, page: "intro\nSee [figure](figures/loss.svg).")
    XCTAssertEqual(
      try checkDocumentation(root: kit).map(\.description),
      ["docs/lessons/lesson1.md:2: names docs/lessons/figures/loss.svg, which is not in the kit"])
  }

  func testAMissingPathInACodeSpanIsNamed() throws {
    let kit = try makeKit(readme: goodReadme + "\nOpen `Sources/M/Gone.swift`.", page: "")
    XCTAssertEqual(
      try checkDocumentation(root: kit).map(\.description),
      ["README.md:4: names Sources/M/Gone.swift, which is not in the kit"])
  }

  func testPlaceholdersWebLinksAndFencedOutputAreNotPaths() throws {
    let page = """
      [web](https://huggingface.co) `runs/LessonN/results.json` `Lessons/Lesson*/main.swift`
      ```
      wrote Sources/M/Nothing.swift
      ```
      """
    XCTAssertEqual(try checkDocumentation(root: try makeKit(readme: goodReadme, page: page)), [])
  }

  /// A letter standing for a number is not a wildcard: no reader finds `Tests/LessonNTests`.
  func testANamedPlaceholderIsReported() throws {
    let kit = try makeKit(readme: goodReadme, page: "The tests are in `Tests/LessonNTests`.")
    XCTAssertEqual(
      try checkDocumentation(root: kit).map(\.description),
      ["docs/lessons/lesson1.md:1: names Tests/LessonNTests, which is not in the kit"])
  }

  func testALessonOrExerciseMissingFromTheTableIsNamed() throws {
    let readme = "| lesson | run | exercises |\n| 1. Basics | `swift run Lesson1` | 1.2 |"
    let problems = try checkDocumentation(root: try makeKit(readme: readme, page: ""))
    XCTAssertEqual(
      problems.map(\.description),
      ["README.md:2: exercise 1.1 (Sources/M/F.swift) is not in the lesson table's row"])
    let noRow = try checkDocumentation(root: try makeKit(readme: "no table", page: ""))
    XCTAssertEqual(
      noRow.map(\.message),
      [
        "the lesson table has no row for Lesson1",
        "exercise 1.1 (Sources/M/F.swift) is not in the lesson table's row",
      ])
  }
}
