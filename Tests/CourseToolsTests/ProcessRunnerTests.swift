import Foundation
import XCTest

@testable import CourseTools

/// Foundation puts each child in a process group of its own, so a signal to `course` does not
/// reach it: runProcess keeps the running children, and a signal to `course` ends them first.
final class ProcessRunnerTests: XCTestCase {
  final class Outcome: @unchecked Sendable {
    var result: ProcessResult?
  }

  func testEndingTheRunningChildrenStopsThemAndForgetsThem() throws {
    let outcome = Outcome()
    let finished = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      outcome.result = try? runProcess("/bin/sleep", ["600"])
      finished.signal()
    }
    let deadline = Date().addingTimeInterval(60)
    while runningChildren.current.isEmpty && Date() < deadline { usleep(10_000) }
    XCTAssertEqual(runningChildren.current.count, 1, "the sleep is recorded while it runs")
    endRunningChildren()
    XCTAssertEqual(finished.wait(timeout: .now() + 60), .success, "the child is ended, not left to sleep")
    // SIGINT, or SIGKILL after a grace period if it ignores SIGINT (as a background job may).
    XCTAssertNotNil(outcome.result?.signal, "ended by a signal")
    XCTAssertEqual(runningChildren.current, [], "an ended child is forgotten")
  }
}
