import Exercises
import XCTest

/// The base class of every graded exercise test.
///
/// A subclass names its exercise; `course grade` reads that id from the source to give points:
///
///     final class SoftmaxTests: ExerciseTestCase {
///       override class var exerciseID: String { "1.2" }
///       func testRowsSumToOne() { ... }
///     }
///
/// While a test runs, an unfinished exercise fails it with the exercise's message instead of
/// ending the process, so the other tests still run.
open class ExerciseTestCase: XCTestCase {
  /// The exercise these tests grade, e.g. `"1.2"`.
  open class var exerciseID: String { "" }

  open override func setUp() {
    super.setUp()
    Exercise.handler = { info in
      XCTFail(info.message)
    }
  }

  open override func tearDown() {
    Exercise.handler = { info in Exercise.reportAndExit(info) }
    super.tearDown()
  }
}

/// Skips the current test when `body` reaches an exercise the student has not written yet.
///
/// Kit tests that run code built on an exercise (a whole model calls the attention a student
/// writes in Lesson 3) call this first: in the kit they run as usual; in the student edition
/// they are skipped, naming the exercise, until it is done, and then they check it too.
public func skipUnlessExercisesDone(_ body: () throws -> Void) throws {
  let missing = try Exercise.unfinishedExercises(reachedBy: body)
  if !missing.isEmpty {
    throw XCTSkip("needs exercise \(missing.joined(separator: ", ")), not done yet")
  }
}
