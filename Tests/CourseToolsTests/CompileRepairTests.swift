import Foundation
import XCTest

@testable import CourseTools

/// A submission that does not compile is graded exercise by exercise: the exercise whose code
/// breaks the build gets zero and its stub goes back, so the others still count (issue 16 item 7).
final class CompileRepairTests: XCTestCase {
  /// The kit's file: two exercises in one file, as Attention.swift and Losses.swift have.
  let kit = """
    import Foundation

    func square(_ x: Float) -> Float {
      // BEGIN EXERCISE 1.1 "Square" points=2
      // hint: multiply.
      return x * x
      // END EXERCISE 1.1
    }

    func cube(_ x: Float) -> Float {
      let y = x
      // BEGIN EXERCISE 1.2 "Cube" points=2
      // hint: multiply again.
      return y * y * y
      // END EXERCISE 1.2
    }
    """

  /// A student's file: 1.1 written and fine, 1.2 written with a type error and a brace in a string.
  let submission = """
    import Foundation
    import Exercises

    func square(_ x: Float) -> Float {
      // EXERCISE 1.1 "Square" (2 points): write your solution here.
      // hint: multiply.
      if x == 0 { return 0 }
      return x * x
    }

    func cube(_ x: Float) -> Float {
      let y = x
      // EXERCISE 1.2 "Cube" (2 points): write your solution here.
      // hint: multiply again.
      print("}")
      return y * y * "y"
    }
    """

  func exercises() throws -> [ExerciseMarker] { try parseExercises(in: kit, file: "Sources/M/F.swift") }

  func testCompilerErrorsAreReadRelativeToTheSubmission() {
    let root = URL(fileURLWithPath: "/tmp/work/submission")
    let output = """
      [3/9] Compiling M F.swift
      /tmp/work/submission/Sources/M/F.swift:16:24: error: cannot convert value of type 'String' to 'Float'
      /tmp/work/submission/Sources/M/F.swift:16:24: error: cannot convert value of type 'String' to 'Float'
      /tmp/work/submission/Sources/M/F.swift:3:1: warning: unused
      """
    XCTAssertEqual(
      compileErrors(in: output, root: root),
      [
        CompileError(
          file: "Sources/M/F.swift", line: 16, text: "cannot convert value of type 'String' to 'Float'")
      ])
  }

  func testTheRegionEndsWithItsBlockNotAtABraceInAString() {
    let lines = submission.components(separatedBy: "\n")
    XCTAssertEqual(exerciseRegion("1.1", in: lines), 4..<8)
    XCTAssertEqual(exerciseRegion("1.2", in: lines), 12..<16)
    XCTAssertNil(exerciseRegion("1.3", in: lines))
  }

  func testOnlyTheBrokenExerciseGetsItsStubBack() throws {
    let errors = [CompileError(file: "Sources/M/F.swift", line: 16, text: "cannot convert")]
    let found = attribute(errors, exercises: try exercises()) { _ in
      self.submission.components(separatedBy: "\n")
    }
    XCTAssertEqual(found.broken, ["1.2": "Sources/M/F.swift:16: cannot convert"])
    XCTAssertEqual(found.unattributed, [])

    let edition = try studentVersion(of: kit, file: "Sources/M/F.swift")
    let repaired = try XCTUnwrap(puttingBackStubs(["1.2"], in: submission, edition: edition))
    XCTAssertTrue(repaired.contains("if x == 0 { return 0 }"), "exercise 1.1's work is kept")
    XCTAssertFalse(repaired.contains("\"y\""), "exercise 1.2's broken code is gone")
    XCTAssertTrue(repaired.contains("return Exercise.unfinished(\"1.2\""))
    XCTAssertFalse(repaired.contains("Exercise.unfinished(\"1.1\""))
    XCTAssertTrue(
      repaired.hasSuffix(
        "  return Exercise.unfinished(\"1.2\", title: \"Cube\", file: \"Sources/M/F.swift\", hint: \"multiply again.\")\n}"
      ))
  }

  func testAnErrorOutsideEveryExerciseIsNotPinnedOnOne() throws {
    let errors = [
      CompileError(file: "Sources/M/F.swift", line: 1, text: "no such module"),
      CompileError(file: "Sources/M/Other.swift", line: 3, text: "expected '}'"),
    ]
    let found = attribute(errors, exercises: try exercises()) { _ in
      self.submission.components(separatedBy: "\n")
    }
    XCTAssertEqual(found.broken, [:])
    XCTAssertEqual(found.unattributed, errors)
  }
}
