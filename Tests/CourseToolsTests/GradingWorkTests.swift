import Foundation
import XCTest

@testable import CourseTools

/// The grader's reused build directory and its short feedback.
final class GradingWorkTests: XCTestCase {
  func write(_ text: String, _ relative: String, in root: URL) throws {
    let url = root.appendingPathComponent(relative)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
  }

  func testSyncWritesOnlyWhatDiffersAndTakesTheKitsTests() throws {
    let fm = FileManager.default
    let base = fm.temporaryDirectory.appendingPathComponent("sync-\(UUID())")
    addTeardownBlock { try? fm.removeItem(at: base) }
    let (kit, a, b, work) = (
      base.appendingPathComponent("kit"), base.appendingPathComponent("a"), base.appendingPathComponent("b"),
      base.appendingPathComponent("work")
    )
    try write("kit manifest", "Package.swift", in: kit)
    try write("kit test", "Tests/T/T.swift", in: kit)
    for (root, solution) in [(a, "one"), (b, "two")] {
      try write("student manifest", "Package.swift", in: root)
      try write("edited test", "Tests/T/T.swift", in: root)
      try write("same", "Sources/M/Same.swift", in: root)
      try write(solution, "Sources/M/Solution.swift", in: root)
    }
    try write("only in a", "Sources/M/Extra.swift", in: a)
    XCTAssertEqual(try syncTree(from: a, to: work, overlay: kit), 5)
    XCTAssertEqual(
      try String(contentsOf: work.appendingPathComponent("Package.swift"), encoding: .utf8), "kit manifest")
    XCTAssertEqual(
      try String(contentsOf: work.appendingPathComponent("Tests/T/T.swift"), encoding: .utf8), "kit test")
    let same = work.appendingPathComponent("Sources/M/Same.swift")
    let stamp = try fm.attributesOfItem(atPath: same.path)[.modificationDate] as? Date
    Thread.sleep(forTimeInterval: 0.05)
    XCTAssertEqual(
      try syncTree(from: b, to: work, overlay: kit), 2, "the changed solution, the extra file deleted")
    XCTAssertEqual(
      try fm.attributesOfItem(atPath: same.path)[.modificationDate] as? Date, stamp,
      "an unchanged file is not rewritten, so it does not compile again")
    XCTAssertFalse(fm.fileExists(atPath: work.appendingPathComponent("Sources/M/Extra.swift").path))
    XCTAssertEqual(
      try String(contentsOf: work.appendingPathComponent("Sources/M/Solution.swift"), encoding: .utf8), "two")
  }

  func testFeedbackIsDeduplicatedAndCut() {
    let repeated = [String](repeating: "failed - Exercise 1.1 is not done yet", count: 4000)
    XCTAssertEqual(conciseMessage(repeated), "failed - Exercise 1.1 is not done yet")
    let long = String(repeating: "x", count: 1000)
    let message = conciseMessage(["a", long, "b", "c", "d"])
    XCTAssertTrue(message.hasPrefix("a; xxx"), message)
    XCTAssertTrue(message.hasSuffix("; (2 more)"), message)
    XCTAssertLessThan(message.count, 330)
    XCTAssertEqual(conciseMessage([]), "failed")
  }
}

/// The grader builds the test bundle only, named after the package.
final class TestBuildTests: XCTestCase {
  func testTheTestProductIsNamedAfterThePackage() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID())")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: root) }
    XCTAssertEqual(
      testBuildArguments(kitRoot: root), ["build", "--build-tests"], "no manifest: build everything")
    try Data("let package = Package(\n  name: \"Kit\",\n  targets: [])\n".utf8).write(
      to: root.appendingPathComponent("Package.swift"))
    XCTAssertEqual(testBuildArguments(kitRoot: root), ["build", "--product", "KitPackageTests"])
  }
}
