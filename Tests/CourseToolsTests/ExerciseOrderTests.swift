import Foundation
import XCTest

@testable import CourseTools

/// A lesson's first calls of exercises (its probes' output) decide where the student edition
/// stops: N.1 first, then N.2 once N.1 is solved, and so on.
final class ExerciseOrderTests: XCTestCase {
  func testProbeOutputGivesFirstCallsInOrderOnceEach() {
    let output = """
      ## Section 1
      \(probeMarker)1.3
      some output \(probeMarker)1.1
      \(probeMarker)1.3
      Test Case 'x' started
      \(probeMarker)1.10  
      \(probeMarker)1.2
      """
    XCTAssertEqual(probedExerciseOrder(in: output), ["1.3", "1.1", "1.10", "1.2"])
    XCTAssertEqual(probedExercises(in: output), ["1.1", "1.2", "1.3", "1.10"])
  }

  func testInOrderWithEarlierLessonsAnywherePasses() {
    XCTAssertEqual(
      exerciseOrderProblems(
        lesson: 5, reached: ["1.3", "5.1", "2.4", "5.2", "1.3", "5.3"], exercises: ["5.3", "5.1", "5.2"]),
      [], "earlier lessons' exercises are solved by then; the lesson's own come 5.1, 5.2, 5.3")
    XCTAssertEqual(
      exerciseOrderProblems(
        lesson: 1, reached: (1...10).map { "1.\($0)" }, exercises: (1...10).map { "1.\($0)" }),
      [], "1.10 comes after 1.9, not after 1.1")
  }

  func testOutOfOrderNamesWhereTheStudentIsStopped() {
    XCTAssertEqual(
      exerciseOrderProblems(
        lesson: 1, reached: ["1.3", "1.1", "1.4", "1.2"], exercises: ["1.1", "1.2", "1.3", "1.4"]),
      [
        "Lesson 1 meets its exercises in the order 1.3, 1.1, 1.4, 1.2, not 1.1, 1.2, 1.3, 1.4: it stops first at 1.3, not 1.1"
      ])
    XCTAssertEqual(
      exerciseOrderProblems(
        lesson: 4, reached: ["4.1", "4.2", "4.4", "4.3"], exercises: ["4.1", "4.2", "4.3", "4.4"]),
      [
        "Lesson 4 meets its exercises in the order 4.1, 4.2, 4.4, 4.3, not 4.1, 4.2, 4.3, 4.4: once 4.1, 4.2 are solved it stops at 4.4, not 4.3"
      ])
  }

  func testOnceOneIsSolvedItStopsAtTheWrongOne() {
    XCTAssertEqual(
      exerciseOrderProblems(lesson: 2, reached: ["2.1", "2.3", "2.2"], exercises: ["2.1", "2.2", "2.3"]),
      [
        "Lesson 2 meets its exercises in the order 2.1, 2.3, 2.2, not 2.1, 2.2, 2.3: once 2.1 is solved it stops at 2.3, not 2.2"
      ])
  }

  func testAnExerciseNeverCalledIsAProblem() {
    XCTAssertEqual(
      exerciseOrderProblems(lesson: 7, reached: ["7.1", "7.3"], exercises: ["7.1", "7.2", "7.3"]),
      ["Lesson 7 never calls exercise 7.2, so it never stops there"],
      "one missing, the rest in order: only the missing one is reported")
    XCTAssertEqual(
      exerciseOrderProblems(lesson: 7, reached: [], exercises: ["7.1"]),
      ["Lesson 7 never calls exercise 7.1, so it never stops there"])
  }

  func testALaterLessonsExerciseIsAProblemWhereverItComes() {
    XCTAssertEqual(
      exerciseOrderProblems(lesson: 3, reached: ["3.1", "3.2", "4.4"], exercises: ["3.1", "3.2"]),
      [
        "Lesson 3 calls exercise 4.4 of a later lesson: a student who has solved Lesson 3's exercises is stopped there"
      ])
  }

  func testAnAllowedLaterExerciseIsLeftToTheCallerAndOnlyThatOne() throws {
    XCTAssertEqual(
      exerciseOrderProblems(
        lesson: 4, reached: ["4.1", "5.2", "5.3", "4.2"], exercises: ["4.1", "4.2"], allowedLater: ["5.2"]),
      [
        "Lesson 4 calls exercise 5.3 of a later lesson: a student who has solved Lesson 4's exercises is stopped there"
      ])
    XCTAssertEqual(try parseAllowedLater(["4:5.1,5.2", "6:7.1"]), [4: ["5.1", "5.2"], 6: ["7.1"]])
    for bad in ["4", "4:", "x:5.1", "4:4.1", "4:3.2", "4:five", "0:1.1"] {
      XCTAssertThrowsError(try parseAllowedLater([bad]), bad) { error in
        XCTAssertTrue("\(error)".contains("--allow-later \(bad): expected LESSON:ID,ID"), "\(error)")
      }
    }
  }
}
