// Running a list of graded tests in as few processes as possible: all of them in one, and when a
// test crashes or hangs, a new process resumes after it. A crash then costs one more launch, not
// one launch per test of the exercise.

import Foundation

/// One graded test, as the grader runs it.
struct GradedTest: Hashable, Sendable {
  var module: String
  var className: String
  var test: String
  var exerciseID: String
  var hidden: Bool
  /// The name XCTest prints ("Class.test").
  var key: String { "\(className).\(test)" }
  /// The name XCTest selects it by ("Module.Class/test").
  var filter: String { "\(module).\(className)/\(test)" }
}

/// How one test ended.
struct TestRun: Equatable, Sendable {
  enum Ending: Equatable, Sendable {
    case passed, failed, timedOut, notFound
    case crashed(String)
  }
  var ending: Ending
  /// The failure messages, deduplicated and cut (empty when it passed).
  var message: String
  /// The unfinished exercises it reached ("Exercise 1.2 (…) is not done yet"), in order.
  var reached: [String]
  var passed: Bool { ending == .passed }
}

/// Launches a test process that runs the tests named by `filters`, killed after `timeout` s.
typealias TestLauncher = (_ filters: [String], _ timeout: Double) throws -> ProcessResult

/// Runs `tests` in one process, resuming in a new one after a test that crashes (or hangs, unless
/// `stopAtTimeout`). Returns each test's run and, when `stopAtTimeout` and a test hung, that
/// test: the ones after it are then left out of the results.
func runTests(
  _ tests: [GradedTest], timeout: Double, stopAtTimeout: Bool, launch: TestLauncher
) throws -> (runs: [GradedTest: TestRun], hung: GradedTest?) {
  var runs: [GradedTest: TestRun] = [:]
  var pending = tests
  while !pending.isEmpty {
    let process = try launch(pending.map(\.filter), timeout)
    let log = TestLog(process.output)
    for test in pending {
      guard let passed = log.ended[test.key] else { continue }
      let lines = log.segments[test.key] ?? []
      runs[test] = TestRun(
        ending: passed ? .passed : .failed,
        message: passed ? "" : conciseMessage(failureMessages(in: lines, test: test)),
        reached: unfinishedExercises(in: lines))
    }
    let left = pending.filter { runs[$0] == nil }
    guard !left.isEmpty else { break }
    // The test the process was in when it ended; without one, nothing more can be learned.
    guard let culprit = left.first(where: { $0.key == log.running }) else {
      let ending: TestRun.Ending =
        process.succeeded ? .notFound : process.timedOut ? .timedOut : .crashed(crashCause(process))
      for test in left { runs[test] = TestRun(ending: ending, message: "", reached: []) }
      break
    }
    let lines = log.segments[culprit.key] ?? []
    let reached = unfinishedExercises(in: lines)
    if process.timedOut {
      runs[culprit] = TestRun(ending: .timedOut, message: "", reached: reached)
      if stopAtTimeout { return (runs, culprit) }
    } else {
      runs[culprit] = TestRun(
        ending: .crashed(crashCause(process, lines: lines)),
        message: conciseMessage(failureMessages(in: lines, test: culprit)), reached: reached)
    }
    pending = left.filter { $0 != culprit }
  }
  return (runs, nil)
}

/// Why a test process ended early: the signal, or the exit status, and the fatal error it printed.
func crashCause(_ process: ProcessResult, lines: [String]? = nil) -> String {
  let how =
    process.signal.map { "crashed (signal \($0))" } ?? "ended the test process (status \(process.status))"
  let text = lines ?? process.output.split(separator: "\n").map(String.init)
  return how + (text.first { $0.contains("Fatal error") }.map { ": " + $0 } ?? "")
}

/// A test process's output, read per test.
struct TestLog {
  /// Tests that finished: "Class.test" → passed (a skipped test counts as passed).
  var ended: [String: Bool] = [:]
  /// The lines printed while each test ran.
  var segments: [String: [String]] = [:]
  /// The test that had started but not finished when the output ends (a crash, a time-out).
  var running: String?

  init(_ output: String) {
    for line in output.split(separator: "\n").map(String.init) {
      if let (name, state) = testCaseLine(line) {
        if state == "started" {
          running = name
        } else {
          ended[name] = state != "failed"
          running = nil
        }
        continue
      }
      if let running { segments[running, default: []].append(line) }
    }
  }
}

/// The test name and state of an XCTest `Test Case '…' started/passed/failed/skipped` line
/// (`Class.test` on Linux, `-[Module.Class test]` on macOS).
func testCaseLine(_ line: String) -> (name: String, state: String)? {
  guard line.hasPrefix("Test Case '") else { return nil }
  let rest = line.dropFirst("Test Case '".count)
  guard let end = rest.firstIndex(of: "'") else { return nil }
  var name = String(rest[..<end])
  if name.hasPrefix("-[") {
    name = name.dropFirst(2).dropLast().replacingOccurrences(of: " ", with: ".")
    if let dot = name.firstIndex(of: "."), name[name.index(after: dot)...].contains(".") {
      name = String(name[name.index(after: dot)...])  // drop the module
    }
  }
  let after = rest[rest.index(after: end)...]
  for state in ["started", "passed", "failed", "skipped"] where after.hasPrefix(" \(state)") {
    return (name, state)
  }
  return nil
}

/// The failure messages of `test` among a test's output lines.
func failureMessages(in lines: [String], test: GradedTest) -> [String] {
  failureMessages(in: lines.joined(separator: "\n"), test: test.test, className: test.className)
}

nonisolated(unsafe) let unfinishedPattern = #/Exercise (\d+\.\d+) \(.*?\) is not done yet/#

/// The ids of the unfinished exercises named in `lines`, in order, once each.
func unfinishedExercises(in lines: [String]) -> [String] {
  var ids: [String] = []
  for line in lines {
    for match in line.matches(of: unfinishedPattern) where !ids.contains(String(match.1)) {
      ids.append(String(match.1))
    }
  }
  return ids
}
