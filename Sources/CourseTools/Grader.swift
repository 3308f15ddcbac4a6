// Grading: build a submission with the kit's own tests (hidden ones included), run each exercise's
// tests with a time limit (ExerciseGrading), and give each exercise its share of points.

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
  /// How a passing test was run when that was not with the student's code alone ("passed with the
  /// kit's reference solution of 1.1 (not done) in place of yours").
  public var note: String? = nil
  /// The unfinished exercises the test reached when it failed.
  var reached: [String] = []
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
  /// Exercises whose code did not compile: graded zero, with their stubs put back for the rest.
  public var uncompiledExercises: [String] = []
  /// Exercises whose own code loops (their tests hang, and finish with the reference solution):
  /// graded zero, with their stubs put back for the rest.
  public var loopingExercises: [String] = []
  public var total: Double { exercises.reduce(0) { $0 + $1.earned } }
  public var possible: Int { exercises.reduce(0) { $0 + $1.exercise.points } }
  public var done: Int { exercises.filter { !$0.outcomes.isEmpty && $0.passed == $0.outcomes.count }.count }
}

/// Builds and grades one submission. `kitRoot` supplies the exercises, the tests (visible and
/// hidden) and Package.swift. With `inPlace`, `submission` itself is overlaid and built (it
/// must be a scratch copy). Otherwise it is copied into `workDirectory`, whose build is reused:
/// only the files that differ from the previous submission graded there are written, so only
/// they (and what depends on them) compile again; without `workDirectory`, a fresh temporary
/// copy is built from scratch.
public func gradeSubmission(
  _ submission: URL, kitRoot: URL, defaultTimeout: Double = 60, inPlace: Bool = false,
  workDirectory: URL? = nil, log: (String) -> Void = { _ in }
) throws -> SubmissionGrade {
  let fm = FileManager.default
  let name = submission.standardizedFileURL.lastPathComponent
  let exercises = try discoverExercises(root: kitRoot)
  let classes = try discoverTestClasses(root: kitRoot).filter { $0.exerciseID != nil }
  let changed = (try? changedTestFiles(in: submission)) ?? []
  var work = submission
  if let workDirectory, !inPlace {
    // One fixed path, so that the build products in its .build stay valid across submissions.
    work = workDirectory.appendingPathComponent("submission")
    let written = try syncTree(from: submission, to: work, overlay: kitRoot)
    log("\(name): \(written) file(s) differ from the last submission graded in \(workDirectory.path)")
  } else {
    if !inPlace {
      work = fm.temporaryDirectory.appendingPathComponent(
        "course-grade-\(UUID().uuidString.prefix(8))/\(name)")
      try copyTree(from: submission, to: work)
    }
    // The kit's tests and manifest replace the submission's: edited tests do not count, and the
    // hidden tests are there.
    try? fm.removeItem(at: work.appendingPathComponent("Tests"))
    try copyTree(from: kitRoot.appendingPathComponent("Tests"), to: work.appendingPathComponent("Tests"))
    try? fm.removeItem(at: work.appendingPathComponent("Package.swift"))
    try fm.copyItem(
      at: kitRoot.appendingPathComponent("Package.swift"), to: work.appendingPathComponent("Package.swift"))
  }
  defer { if !inPlace && workDirectory == nil { try? fm.removeItem(at: work.deletingLastPathComponent()) } }

  log("\(name): building with the kit's tests...")
  let swift = which("swift")
  let testBuild = testBuildArguments(kitRoot: kitRoot)
  var build = try runProcess(swift, testBuild, in: work, timeout: 3600)
  // Exercises whose code breaks the build get zero; their stubs are put back for the rest.
  var uncompiled: [String: String] = [:]
  if !build.succeeded {
    log("\(name): the build failed; putting back the stubs of the exercises that do not compile...")
    (uncompiled, build) = try repairBuild(
      work: work, kitRoot: kitRoot, exercises: exercises, failedBuild: build
    ) { try runProcess(swift, testBuild, in: work, timeout: 3600) }
  }
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
    let errors = errorLines(build.output).prefix(10)
    return empty("build failed:\n" + errors.joined(separator: "\n"))
  }
  let bundle = try testBundle(in: work)
  // The grading keeps `log` only while it runs.
  let (results, looping) = try withoutActuallyEscaping(log) { log in
    var grading = ExerciseGrading(
      work: work, kitRoot: kitRoot, exercises: exercises, classes: classes, defaultTimeout: defaultTimeout,
      uncompiled: uncompiled,
      rebuild: { try runProcess(swift, testBuild, in: work, timeout: 3600) },
      launch: { filters, timeout in
        try runXCTest(bundle: bundle, filter: filters.joined(separator: ","), in: work, timeout: timeout)
      }, log: log)
    return (try grading.grade(), grading.looping)
  }
  return SubmissionGrade(
    name: name, exercises: results, buildFailure: nil, changedTests: changed,
    uncompiledExercises: uncompiled.keys.sorted(), loopingExercises: looping)
}

/// A test's failure messages for a report: each once, in order, at most three, each cut to 300
/// characters (an unfinished exercise called in a loop repeats its message thousands of times).
func conciseMessage(_ messages: [String]) -> String {
  var unique: [String] = []
  for m in messages where !unique.contains(m) { unique.append(m) }
  guard !unique.isEmpty else { return "failed" }
  let cut = unique.prefix(3).map { $0.count > 300 ? $0.prefix(300) + "…" : $0 }
  return cut.joined(separator: "; ") + (unique.count > 3 ? "; (\(unique.count - 3) more)" : "")
}

/// Makes `destination` a copy of `source` (build output and git metadata left out) with the
/// kit's Tests/ and Package.swift in place of the submission's, writing only the files whose
/// contents differ and deleting the ones `source` lacks, so that an incremental build in
/// `destination` recompiles only what changed; `transform` (given each file's relative path and
/// contents) may change what is written. Returns how many files were written or deleted.
func syncTree(
  from source: URL, to destination: URL, overlay kit: URL, transform: ((String, Data) throws -> Data)? = nil
) throws -> Int {
  let fm = FileManager.default
  var wanted: [String: URL] = [:]
  for relative in try packageFiles(root: source)
  where !relative.hasPrefix("Tests/") && relative != "Package.swift" {
    wanted[relative] = source.appendingPathComponent(relative)
  }
  for relative in try packageFiles(root: kit) where relative.hasPrefix("Tests/") {
    wanted[relative] = kit.appendingPathComponent(relative)
  }
  wanted["Package.swift"] = kit.appendingPathComponent("Package.swift")
  var changes = 0
  for (relative, from) in wanted {
    let to = destination.appendingPathComponent(relative)
    let data = try transform?(relative, Data(contentsOf: from)) ?? Data(contentsOf: from)
    if (try? Data(contentsOf: to)) == data { continue }
    try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: to)
    changes += 1
  }
  if fm.fileExists(atPath: destination.path) {
    for relative in try packageFiles(root: destination) where wanted[relative] == nil {
      try fm.removeItem(at: destination.appendingPathComponent(relative))
      changes += 1
    }
  }
  return changes
}

/// `swift build`'s arguments for the test bundle alone (SwiftPM's `<package>PackageTests` product):
/// the graded tests need no lesson or `course` executable, so none is linked again after each
/// change. `--build-tests` (everything) when the package's name cannot be read.
func testBuildArguments(kitRoot: URL) -> [String] {
  let manifest =
    (try? String(contentsOf: kitRoot.appendingPathComponent("Package.swift"), encoding: .utf8)) ?? ""
  guard let match = manifest.firstMatch(of: #/Package\(\s*name:\s*"([^"]+)"/#) else {
    return ["build", "--build-tests"]
  }
  return ["build", "--product", "\(match.1)PackageTests"]
}

/// Where `swift build` puts the products of the package in `directory` (its debug build).
func binPath(in directory: URL) throws -> URL {
  let result = try runProcess(which("swift"), ["build", "--show-bin-path"], in: directory, timeout: 300)
  return URL(fileURLWithPath: result.output.split(separator: "\n").last.map(String.init) ?? "")
}

/// The XCTest bundle `swift build --build-tests` produced in `directory`.
func testBundle(in directory: URL) throws -> URL {
  let bin = try binPath(in: directory)
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

/// Per-test results of a whole-bundle run: test name ("Class.test") → passed (a skipped test,
/// XCTSkip when optional data is absent, counts as passing).
public func parseTestResults(_ output: String) -> [String: Bool] { TestLog(output).ended }

/// Copies a directory tree, leaving out build output and git metadata.
func copyTree(from source: URL, to destination: URL) throws {
  let fm = FileManager.default
  try fm.createDirectory(at: destination, withIntermediateDirectories: true)
  for item in try fm.contentsOfDirectory(atPath: source.path) where !isBuildOutput(item) {
    try fm.copyItem(at: source.appendingPathComponent(item), to: destination.appendingPathComponent(item))
  }
}

/// Runs every test of `classes` in one test process; returns the run and each test's result
/// (`"Class.test"` → passed).
func runTestClasses(_ classes: [TestClass], bundle: URL, in directory: URL, timeout: Double) throws -> (
  run: ProcessResult, results: [String: Bool]
) {
  let run = try runXCTest(
    bundle: bundle, filter: classes.map { "\($0.module).\($0.name)" }.joined(separator: ","), in: directory,
    timeout: timeout)
  return (run, parseTestResults(run.output))
}
