import Foundation
import XCTest

@testable import CourseTools

/// Grading each exercise on its own work (issue 16): a looping exercise costs one time-out and
/// gets zero with its stub put back; a test that fails only because it calls an unfinished
/// exercise runs again with that exercise's reference solution; a crash costs one more launch.
/// The build and the test process are simulated: each test's behaviour follows the code the work
/// copy holds at the moment it runs.
final class ExerciseGradingTests: XCTestCase {
  let file = "Sources/M/F.swift"
  /// The kit: 1.1 squares, 1.2 cubes by calling 1.1.
  let kit = """
    import Foundation

    func square(_ x: Float) -> Float {
      // BEGIN EXERCISE 1.1 "Square" points=2
      // hint: multiply.
      return x * x
      // END EXERCISE 1.1
    }

    func cube(_ x: Float) -> Float {
      // BEGIN EXERCISE 1.2 "Cube" points=2
      // hint: use square.
      return square(x) * x
      // END EXERCISE 1.2
    }

    func half(_ x: Float) -> Float {
      // BEGIN EXERCISE 1.3 "Half" points=1
      // hint: divide.
      return x / 2
      // END EXERCISE 1.3
    }
    """
  let classes = [
    TestClass(module: "T", name: "SquareTests", exerciseID: "1.1", tests: ["testA", "testB"]),
    TestClass(
      module: "T", name: "CubeTests", exerciseID: "1.2", tests: ["testCrashes", "testCube", "testUsesSquare"]),
    TestClass(module: "T", name: "HalfTests", exerciseID: "1.3", tests: ["testHalf"]),
  ]

  /// A student's file: the edition with `square` and `cube` written as given (nil: left as the stub).
  func submission(square: String?, cube: String?) throws -> String {
    var text = try studentVersion(of: kit, file: file)
    for (id, body) in [("1.1", square), ("1.2", cube)] {
      guard let body else { continue }
      var lines = text.components(separatedBy: "\n")
      let call = lines.firstIndex { $0.contains("Exercise.unfinished(\"\(id)\"") }!
      lines[call] = "  " + body
      text = lines.joined(separator: "\n")
    }
    return text
  }

  /// What the simulated tests see of an exercise in the work copy: "stub", "loops", "crashes",
  /// "wrong" or "right".
  func state(_ id: String, in work: URL) -> String {
    let lines = (try? String(contentsOf: work.appendingPathComponent(file), encoding: .utf8))!
      .components(separatedBy: "\n")
    let code = exerciseRegion(id, in: lines).map { lines[$0].joined(separator: "\n") } ?? ""
    if code.contains("Exercise.unfinished") { return "stub" }
    if code.contains("while true") { return "loops" }
    if code.contains("fatalError") { return "crashes" }
    return code.contains("x + x") ? "wrong" : "right"
  }

  struct Run {
    var grades: [ExerciseGrade]
    var looping: [String]
    var launches: [[String]]
    /// The state of 1.3 at each launch.
    var halfStates: [String]
    var timeOuts: Int
    var builds: Int
    var finalText: String
  }

  /// Grades `student` with simulated tests: a square test needs 1.1; testCube needs 1.2;
  /// testUsesSquare needs both; testCrashes crashes the process when 1.2 says fatalError.
  func grade(_ student: String) throws -> Run {
    let fm = FileManager.default
    let base = fm.temporaryDirectory.appendingPathComponent("exercise-grading-\(UUID())")
    addTeardownBlock { try? fm.removeItem(at: base) }
    let (kitRoot, work) = (base.appendingPathComponent("kit"), base.appendingPathComponent("work"))
    for (root, text) in [(kitRoot, kit), (work, student)] {
      try fm.createDirectory(
        at: root.appendingPathComponent(file).deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(text.utf8).write(to: root.appendingPathComponent(file))
    }
    var launches: [[String]] = []
    var halfStates: [String] = []
    var (timeOuts, builds) = (0, 0)
    let launch: TestLauncher = { filters, _ in
      launches.append(filters)
      halfStates.append(self.state("1.3", in: work))
      var output = ""
      for filter in filters {
        let name = filter.dropFirst("T.".count).replacingOccurrences(of: "/", with: ".")
        output += "Test Case '\(name)' started at 2026-01-01 00:00:00\n"
        let needs =
          name.hasPrefix("SquareTests")
          ? ["1.1"]
          : name.hasPrefix("HalfTests")
            ? ["1.3"] : name.hasSuffix("testUsesSquare") ? ["1.2", "1.1"] : ["1.2"]
        let states = needs.map { self.state($0, in: work) }
        if states.contains("loops") {
          timeOuts += 1
          return ProcessResult(status: 15, output: output, timedOut: true, signal: nil)
        }
        if name.hasSuffix("testCrashes") && states.contains("crashes") {
          output += "Fatal error: the student's bug\n"
          return ProcessResult(status: 4, output: output, timedOut: false, signal: 4)
        }
        for (id, state) in zip(needs, states) where state != "right" {
          let why =
            state == "stub" ? "Exercise \(id) (Title) is not done yet: write it in F.swift" : "wrong value"
          output += "/x/T.swift:1: error: \(name) : failed - \(why)\n"
        }
        output +=
          "Test Case '\(name)' \(states.allSatisfy { $0 == "right" } ? "passed" : "failed") (0.001 seconds)\n"
      }
      return ProcessResult(status: 0, output: output, timedOut: false, signal: nil)
    }
    var grading = ExerciseGrading(
      work: work, kitRoot: kitRoot, exercises: try parseExercises(in: kit, file: file), classes: classes,
      defaultTimeout: 60, uncompiled: [:],
      rebuild: {
        builds += 1
        return ProcessResult(status: 0, output: "", timedOut: false, signal: nil)
      }, launch: launch)
    let grades = try grading.grade()
    return Run(
      grades: grades, looping: grading.looping, launches: launches, halfStates: halfStates,
      timeOuts: timeOuts, builds: builds,
      finalText: try String(contentsOf: work.appendingPathComponent(file), encoding: .utf8))
  }

  func testALoopingExerciseCostsOneTimeOutAndItsCallersAreGradedOnTheirOwnWork() throws {
    let run = try grade(try submission(square: "while true {}", cube: "return square(x) * x"))
    XCTAssertEqual(run.looping, ["1.1"])
    XCTAssertEqual(run.timeOuts, 1, "one time-out in all, not one per test that calls the loop")
    let (square, cube) = (run.grades[0], run.grades[1])
    XCTAssertEqual(square.earned, 0)
    XCTAssertTrue(
      square.outcomes.allSatisfy { $0.reason?.contains("did not finish in 60 s: does it loop?") == true })
    XCTAssertEqual(
      cube.passed, 3, "1.2 is right: its test that calls 1.1 passes with 1.1's reference solution")
    let noted = cube.outcomes.filter { $0.note != nil }
    XCTAssertEqual(noted.map(\.test), ["testUsesSquare"])
    XCTAssertEqual(
      noted.first?.note, "passed with the kit's reference solution of 1.1 (yours loops) in place of yours")
    XCTAssertTrue(run.finalText.contains("Exercise.unfinished(\"1.1\""), "the stub is back, not the loop")
    XCTAssertFalse(run.finalText.contains("x * x\n"), "the reference solution is not left behind")
  }

  func testATestThatFailsOnlyBecauseItCallsAnUnfinishedExerciseDoesNotCostItsExercise() throws {
    let student = try submission(square: nil, cube: "return square(x) * x")
    let run = try grade(student)
    XCTAssertEqual(run.grades[0].earned, 0)
    XCTAssertEqual(
      run.grades[0].outcomes.first?.reason, "not done: its stub is still in place (write it in \(file))")
    XCTAssertFalse(
      run.launches.joined().contains { $0.contains("SquareTests") }, "an untouched stub is not run")
    XCTAssertEqual(run.grades[1].earned, 2, "1.2 is graded on its own work")
    XCTAssertEqual(
      run.grades[1].outcomes.compactMap(\.note),
      ["passed with the kit's reference solution of 1.1 (not done) in place of yours"])
    XCTAssertEqual(run.finalText, student, "the student's code is put back after the second run")
    XCTAssertEqual(run.halfStates.last, "stub", "only the unfinished exercise the test reached is swapped in")
    XCTAssertTrue(
      feedback(SubmissionGrade(name: "s", exercises: run.grades)).contains(
        "✓ CubeTests.testUsesSquare: passed with"))
  }

  func testAWrittenButWrongExerciseIsNotReplaced() throws {
    let run = try grade(try submission(square: "return x + x", cube: "return square(x) * x"))
    XCTAssertEqual(run.grades[0].passed, 0)
    XCTAssertEqual(
      run.grades[1].passed, 2, "testUsesSquare fails on the student's own 1.1, as it would in class")
    XCTAssertTrue(run.grades[1].outcomes.allSatisfy { $0.note == nil })
    XCTAssertEqual(run.builds, 0)
  }

  func testACrashCostsOneMoreLaunchAndTheOtherTestsStillRun() throws {
    let run = try grade(try submission(square: "return x * x", cube: "fatalError(\"the student's bug\")"))
    let cube = run.grades[1]
    XCTAssertEqual(cube.outcomes.map(\.passed), [false, false, false])
    XCTAssertEqual(
      cube.outcomes[0].reason, "crashed (signal 4): Fatal error: the student's bug")
    XCTAssertEqual(
      cube.outcomes[1].reason, "failed - wrong value", "the test after the crash ran in a new process")
    XCTAssertEqual(run.launches.filter { $0.contains { $0.contains("CubeTests") } }.count, 2)
  }
}
