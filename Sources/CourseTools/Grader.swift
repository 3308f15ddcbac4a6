// Grading: build a submission with the kit's own tests (hidden ones included), run every graded
// test in its own process with a time limit, and give each exercise its share of points.

import Foundation

/// The result of one graded test.
public struct TestOutcome: Sendable {
  public var module: String
  public var className: String
  public var test: String
  public var exerciseID: String
  public var hidden: Bool
  public var passed: Bool
  /// Why it failed, as the student may see it ("hidden test failed" for hidden tests).
  public var reason: String?
  /// The failure text itself (kept for the instructor and for verify-edition).
  public var message: String?
}

/// One exercise's grade.
public struct ExerciseGrade: Sendable {
  public var exercise: ExerciseMarker
  public var outcomes: [TestOutcome]
  public var passed: Int { outcomes.filter(\.passed).count }
  /// Points split evenly over the exercise's tests (partial credit).
  public var earned: Double {
    outcomes.isEmpty ? 0 : Double(exercise.points) * Double(passed) / Double(outcomes.count)
  }
}

/// A submission's grades.
public struct SubmissionGrade: Sendable {
  public var name: String
  public var exercises: [ExerciseGrade]
  /// Set when the submission did not build: every exercise gets 0.
  public var buildFailure: String?
  /// Test files that differ from the edition's checksums.
  public var changedTests: [String] = []
  public var total: Double { exercises.reduce(0) { $0 + $1.earned } }
  public var possible: Int { exercises.reduce(0) { $0 + $1.exercise.points } }
  public var done: Int { exercises.filter { !$0.outcomes.isEmpty && $0.passed == $0.outcomes.count }.count }
}

/// Builds and grades one submission. `kitRoot` supplies the exercises, the tests (visible and
/// hidden) and Package.swift. With `inPlace`, `submission` itself is overlaid and built (it
/// must be a scratch copy); otherwise a copy is made in a temporary directory.
public func gradeSubmission(
  _ submission: URL, kitRoot: URL, defaultTimeout: Double = 60, inPlace: Bool = false,
  log: (String) -> Void = { _ in }
) throws -> SubmissionGrade {
  let fm = FileManager.default
  let name = submission.standardizedFileURL.lastPathComponent
  let exercises = try discoverExercises(root: kitRoot)
  let classes = try discoverTestClasses(root: kitRoot).filter { $0.exerciseID != nil }
  let changed = (try? changedTestFiles(in: submission)) ?? []
  var work = submission
  if !inPlace {
    work = fm.temporaryDirectory.appendingPathComponent("course-grade-\(UUID().uuidString.prefix(8))/\(name)")
    try copyTree(from: submission, to: work)
  }
  defer { if !inPlace { try? fm.removeItem(at: work.deletingLastPathComponent()) } }
  // The kit's tests and manifest replace the submission's: edited tests do not count, and the
  // hidden tests are there.
  try? fm.removeItem(at: work.appendingPathComponent("Tests"))
  try copyTree(from: kitRoot.appendingPathComponent("Tests"), to: work.appendingPathComponent("Tests"))
  try? fm.removeItem(at: work.appendingPathComponent("Package.swift"))
  try fm.copyItem(
    at: kitRoot.appendingPathComponent("Package.swift"), to: work.appendingPathComponent("Package.swift"))

  log("\(name): building with the kit's tests...")
  let swift = which("swift")
  let build = try runProcess(swift, ["build", "--build-tests"], in: work, timeout: 3600)
  func empty(_ reason: String) -> SubmissionGrade {
    SubmissionGrade(
      name: name,
      exercises: exercises.map { e in
        ExerciseGrade(
          exercise: e,
          outcomes: classes.filter { $0.exerciseID == e.id }.flatMap { c in
            c.tests.map {
              TestOutcome(
                module: c.module, className: c.name, test: $0, exerciseID: e.id, hidden: c.hidden,
                passed: false,
                reason: reason, message: reason)
            }
          })
      }, buildFailure: reason, changedTests: changed)
  }
  guard build.succeeded else {
    let errors = build.output.split(separator: "\n").filter { $0.contains("error:") }.prefix(10)
    return empty("build failed:\n" + errors.joined(separator: "\n"))
  }
  let bundle = try testBundle(in: work)
  var results: [ExerciseGrade] = []
  for exercise in exercises {
    var outcomes: [TestOutcome] = []
    for c in classes where c.exerciseID == exercise.id {
      for test in c.tests {
        let timeout = Double(exercise.timeout.map(Double.init) ?? defaultTimeout)
        let run = try runXCTest(
          bundle: bundle, filter: "\(c.module).\(c.name)/\(test)", in: work, timeout: timeout)
        // A filter that matches nothing also exits 0: that is a missing test, not a pass.
        let ran = !run.output.contains("Executed 0 tests")
        var outcome = TestOutcome(
          module: c.module, className: c.name, test: test, exerciseID: exercise.id, hidden: c.hidden,
          passed: run.succeeded && ran, reason: nil, message: nil)
        if !outcome.passed {
          let message =
            !ran && run.succeeded
            ? "the test did not run (not found in the test bundle)"
            : run.timedOut
              ? "timed out after \(Int(timeout)) s"
              : run.signal.map { signal in
                // Name the cause when the process said it (fatalError, a failed precondition...).
                let cause = run.output.split(separator: "\n").first { $0.contains("Fatal error") }
                return "crashed (signal \(signal))" + (cause.map { ": " + $0 } ?? "")
              }
                ?? failureMessages(in: run.output, test: test, className: c.name).joined(separator: "; ")
          outcome.message = message.isEmpty ? "failed" : message
          outcome.reason = c.hidden ? "hidden test failed" : outcome.message
        }
        outcomes.append(outcome)
      }
    }
    results.append(ExerciseGrade(exercise: exercise, outcomes: outcomes))
    log("  \(exercise.id): \(outcomes.filter(\.passed).count)/\(outcomes.count) tests passed")
  }
  return SubmissionGrade(name: name, exercises: results, buildFailure: nil, changedTests: changed)
}

/// The XCTest bundle `swift build --build-tests` produced in `directory`.
func testBundle(in directory: URL) throws -> URL {
  let binPath = try runProcess(which("swift"), ["build", "--show-bin-path"], in: directory, timeout: 300)
  let bin = URL(fileURLWithPath: binPath.output.split(separator: "\n").last.map(String.init) ?? "")
  let bundles =
    (try? FileManager.default.contentsOfDirectory(atPath: bin.path))?.filter { $0.hasSuffix(".xctest") } ?? []
  guard let first = bundles.sorted().first else {
    throw CourseToolError("no .xctest bundle in \(bin.path); did `swift build --build-tests` run?")
  }
  return bin.appendingPathComponent(first)
}

/// Runs the tests of `bundle` that match `filter` (all when nil) in a process of their own.
public func runXCTest(bundle: URL, filter: String?, in directory: URL, timeout: Double) throws
  -> ProcessResult
{
  #if os(macOS)
    return try runProcess(
      "/usr/bin/xcrun", ["xctest"] + (filter.map { ["-XCTest", $0] } ?? []) + [bundle.path], in: directory,
      timeout: timeout)
  #else
    return try runProcess(bundle.path, filter.map { [$0] } ?? [], in: directory, timeout: timeout)
  #endif
}

/// The failure messages XCTest printed for `test` (`file:line: error: Class.test : message`),
/// of class `className` when given (two classes may have tests of the same name).
func failureMessages(in output: String, test: String, className: String? = nil) -> [String] {
  let key = (className ?? "") + ".\(test) : "
  return output.split(separator: "\n").compactMap { line in
    guard line.contains(": error: "), line.contains(key) else { return nil }
    return line.components(separatedBy: key).last.map { $0.trimmingCharacters(in: .whitespaces) }
  }
}

/// Per-test results of a whole-bundle run: test name ("Class.test") → passed.
public func parseTestResults(_ output: String) -> [String: Bool] {
  var results: [String: Bool] = [:]
  for line in output.split(separator: "\n") where line.hasPrefix("Test Case '") {
    let rest = line.dropFirst("Test Case '".count)
    guard let end = rest.firstIndex(of: "'") else { continue }
    let name = String(rest[..<end]).replacingOccurrences(of: "-[", with: "").replacingOccurrences(
      of: "]", with: ""
    )
    .replacingOccurrences(of: " ", with: ".")
    // A skipped test (XCTSkip: optional data absent) counts as passing.
    if line.contains("' passed") || line.contains("' skipped") {
      results[name] = true
    } else if line.contains("' failed") {
      results[name] = false
    }
  }
  return results
}

/// Copies a directory tree, leaving out build output and git metadata.
func copyTree(from source: URL, to destination: URL) throws {
  let fm = FileManager.default
  try fm.createDirectory(at: destination, withIntermediateDirectories: true)
  for item in try fm.contentsOfDirectory(atPath: source.path) where !isBuildOutput(item) {
    try fm.copyItem(at: source.appendingPathComponent(item), to: destination.appendingPathComponent(item))
  }
}
