import Foundation
import XCTest

@testable import CourseTools

final class ExerciseMarkerTests: XCTestCase {
  let source = """
    import TensorCore

    func f(_ x: Int) -> Int {
      // BEGIN EXERCISE 2.3 "Add one" points=3 timeout=5
      // hint: x + 1 is "the" answer \\ no doubt.
      // hint: really.
      let y = x + 1
      return y
      // END EXERCISE 2.3
    }

    func g() {
      // BEGIN EXERCISE 2.4 "Nothing" points=1
      // hint: do nothing.
      print("done")
      // END EXERCISE 2.4
    }
    """

  func testParsesIdTitlePointsTimeoutAndHint() throws {
    let found = try parseExercises(in: source, file: "Sources/X/F.swift")
    XCTAssertEqual(found.map(\.id), ["2.3", "2.4"])
    XCTAssertEqual(found[0].title, "Add one")
    XCTAssertEqual(found[0].points, 3)
    XCTAssertEqual(found[0].timeout, 5)
    XCTAssertEqual(found[0].hint, "x + 1 is \"the\" answer \\ no doubt. really.")
    XCTAssertEqual(found[0].beginLine, 4)
    XCTAssertEqual(found[0].endLine, 9)
    XCTAssertNil(found[1].timeout)
  }

  func testHintTiersComeInOrderAndTierOneIsTheHint() throws {
    let tiered = """
      // BEGIN EXERCISE 6.1 "T" points=2
      // hint: look at the mask.
      // hint: twice.
      // hint 2: scale what survives.
      // hint 3: by 1 / (1 - p).
      x
      // END EXERCISE 6.1
      """
    let found = try parseExercises(in: tiered, file: "F.swift")
    XCTAssertEqual(found[0].hint, "look at the mask. twice.")
    XCTAssertEqual(
      found[0].hintTiers, ["look at the mask. twice.", "scale what survives.", "by 1 / (1 - p)."])
    let student = try studentVersion(of: tiered, file: "F.swift")
    XCTAssertFalse(student.contains("1 - p"), "the student source carries tier 1 only")
    let skipped = "// BEGIN EXERCISE 6.1 \"T\" points=2\n// hint: a\n// hint 3: c\nx\n// END EXERCISE 6.1"
    XCTAssertThrowsError(try parseExercises(in: skipped, file: "F.swift")) { error in
      XCTAssertTrue("\(error)".contains("in order"), "\(error)")
    }
  }

  func testStudentVersionReplacesSolutions() throws {
    let student = try studentVersion(of: source, file: "Sources/X/F.swift")
    XCTAssertFalse(student.contains("let y = x + 1"))
    XCTAssertFalse(student.contains("print(\"done\")"))
    XCTAssertTrue(
      student.contains("  return Exercise.unfinished(\"2.3\", title: "), "value-returning solution")
    XCTAssertTrue(student.contains("\n  Exercise.unfinished(\"2.4\""), "Void solution: no return")
    XCTAssertTrue(student.contains("import TensorCore\nimport Exercises"))
    XCTAssertTrue(student.contains(#"hint: "x + 1 is \"the\" answer \\ no doubt. really.")"#), student)
  }

  func testErrorsNameTheLine() {
    let cases: [(String, String)] = [
      ("// BEGIN EXERCISE 1.1 \"T\" points=2\n// hint: h\nx", "has no // END EXERCISE"),
      (
        "// BEGIN EXERCISE 1.1 \"T\" points=2\n// hint: h\n// END EXERCISE 1.2",
        "expected // END EXERCISE 1.1"
      ),
      ("// BEGIN EXERCISE 1.1 \"T\" points=0\n// hint: h\n// END EXERCISE 1.1", "positive"),
      ("// BEGIN EXERCISE 1.1 points=2", "malformed"),
      ("// BEGIN EXERCISE 1.1 \"T\" points=2\nx\n// END EXERCISE 1.1", "needs a // hint:"),
      ("// END EXERCISE 1.1", "without a BEGIN"),
      (
        "// BEGIN EXERCISE 1.1 \"T\" points=2\n// hint: h\n// END EXERCISE 1.1\n"
          + "// BEGIN EXERCISE 1.1 \"T\" points=2\n// hint: h\n// END EXERCISE 1.1", "also at line 1"
      ),
    ]
    for (text, expected) in cases {
      XCTAssertThrowsError(try parseExercises(in: text, file: "F.swift")) { error in
        XCTAssertTrue("\(error)".contains(expected), "\(error) should say \(expected)")
        XCTAssertTrue("\(error)".hasPrefix("F.swift:"), "\(error)")
      }
    }
  }

  func testHiddenBlockIsRemovedFromTheManifest() {
    let manifest = "a\n    // BEGIN HIDDEN\n    .testTarget(name: \"HiddenTests\"),\n    // END HIDDEN\nb"
    XCTAssertEqual(removingHiddenBlock(from: manifest), "a\nb")
  }

  func testDiscoversGradedTestClasses() {
    let source = """
      final class SGDTests: ExerciseTestCase {
        override class var exerciseID: String { "1.4" }
        func testA() {}
        func testB() throws {}
        func helper() {}
      }
      final class Plain: XCTestCase {
        func testC() {}
      }
      """
    let classes = discoverTestClasses(in: source, module: "Lesson1Tests")
    XCTAssertEqual(classes.count, 2)
    XCTAssertEqual(classes[0].exerciseID, "1.4")
    XCTAssertEqual(classes[0].tests, ["testA", "testB"])
    XCTAssertNil(classes[1].exerciseID)
    XCTAssertFalse(classes[0].hidden)
    XCTAssertTrue(discoverTestClasses(in: source, module: "HiddenTests")[0].hidden)
  }
}

final class GradingMechanicsTests: XCTestCase {
  func testSHA256KnownVectors() {
    XCTAssertEqual(sha256Hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    XCTAssertEqual(
      sha256Hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    XCTAssertEqual(
      sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }

  func testTimeoutKillsAnEndlessProcess() throws {
    let result = try runProcess("/bin/sleep", ["30"], timeout: 1)
    XCTAssertTrue(result.timedOut)
    XCTAssertFalse(result.succeeded)
  }

  func testCrashIsReportedAsASignal() throws {
    let result = try runProcess("/bin/sh", ["-c", "kill -SEGV $$"], timeout: 10)
    XCTAssertEqual(result.signal, 11)
    XCTAssertFalse(result.succeeded)
  }

  func testFailureMessagesAndResultsAreParsed() {
    let output = """
      Test Case 'SGDTests.testA' started at 2026-01-01
      /x/ExerciseTestCase.swift:25: error: SGDTests.testA : failed - Exercise 1.4 (SGD) is not done yet
      Test Case 'SGDTests.testA' failed (0.001 seconds)
      Test Case 'SGDTests.testB' passed (0.001 seconds)
      """
    XCTAssertEqual(
      failureMessages(in: output, test: "testA"), ["failed - Exercise 1.4 (SGD) is not done yet"])
    XCTAssertEqual(parseTestResults(output), ["SGDTests.testA": false, "SGDTests.testB": true])
  }

  func testTheEditionNeverOverwritesTheKit() throws {
    let kit = FileManager.default.temporaryDirectory.appendingPathComponent("kit-\(UUID())")
    try FileManager.default.createDirectory(at: kit, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: kit) }
    try Data("// swift-tools-version: 6.0\n".utf8).write(to: kit.appendingPathComponent("Package.swift"))
    for destination in [kit, kit.deletingLastPathComponent()] {
      XCTAssertThrowsError(try makeStudentEdition(root: kit, destination: destination, force: true)) {
        XCTAssertTrue("\($0)".contains("is the kit or contains it"), "\($0)")
      }
    }
    XCTAssertTrue(FileManager.default.fileExists(atPath: kit.appendingPathComponent("Package.swift").path))
  }

  func testFailureMessagesBelongToTheirClass() {
    let output = "x.swift:1: error: A.testA : first\nx.swift:2: error: B.testA : second\n"
    XCTAssertEqual(failureMessages(in: output, test: "testA", className: "B"), ["second"])
  }

  func testCSVQuotesWhenNeeded() {
    XCTAssertEqual(csvField("plain"), "plain")
    XCTAssertEqual(csvField("a, b"), "\"a, b\"")
    XCTAssertEqual(csvField("say \"hi\""), "\"say \"\"hi\"\"\"")
  }
}
