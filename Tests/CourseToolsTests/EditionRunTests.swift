import XCTest

@testable import CourseTools

/// When the student edition's test process ends early, `verify-edition` names the test it ended
/// in and what that test printed, not only the long list of tests that never ran.
final class EditionRunTests: XCTestCase {
  func testAnEarlyExitNamesTheTestItEndedInAndItsMessage() {
    let output = """
      Test Case 'Fast.testOne' started at 2026-12-03 17:00:00.000
      Test Case 'Fast.testOne' passed (0.001 seconds)
      Test Case 'Strategies.testHoldsPretrainedWeights' started at 2026-12-03 17:00:00.001
      Exercise 4.4 "Reading the safetensors header" is not done yet.
      """
    let run = ProcessResult(status: 3, output: output, timedOut: false, signal: nil)
    let message = unfinishedRun(
      run, notRun: ["TrainingTests.Strategies.testHoldsPretrainedWeights", "M.Late.test"])
    XCTAssertTrue(
      message.hasPrefix(
        "the edition's test run exited with status 3 inside Strategies.testHoldsPretrainedWeights"), message)
    XCTAssertTrue(
      message.contains("    Exercise 4.4 \"Reading the safetensors header\" is not done yet."), message)
    XCTAssertTrue(
      message.contains(
        "2 tests did not run: TrainingTests.Strategies.testHoldsPretrainedWeights, M.Late.test"))
    XCTAssertFalse(message.contains("Fast.testOne"), "a test that finished is not blamed")
  }

  func testTestsMissingFromACompleteRunAreListedWithoutABlamedTest() {
    let run = ProcessResult(
      status: 0, output: "Test Case 'A.t' started at x\nTest Case 'A.t' passed (0.1 seconds)\n",
      timedOut: false,
      signal: nil)
    XCTAssertEqual(unfinishedRun(run, notRun: ["M.B.t"]), "1 test did not run: M.B.t")
  }
}
