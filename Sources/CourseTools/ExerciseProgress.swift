// `course exercises` in a student edition: which exercises are written, and whether their tests
// pass, so a student sees "passing", not only "written".

import Foundation

/// What running an exercise's visible tests found.
public struct ExerciseCheck: Equatable, Sendable {
  public var id: String
  public var passed: Int
  public var total: Int
  /// Set when the tests could not run (a build error, a crash, a time-out).
  public var problem: String?
  public var passing: Bool { problem == nil && total > 0 && passed == total }
}

/// Builds the package at `root` with its tests and runs the visible tests of each exercise in
/// `ids` (one process per exercise, `timeout` seconds each). A build failure is reported for
/// every exercise, with the first compiler errors.
public func checkWrittenExercises(_ ids: [String], root: URL, timeout: Double = 120) throws -> [ExerciseCheck]
{
  let classes = try discoverTestClasses(root: root).filter { !$0.hidden && $0.exerciseID != nil }
  let build = try runProcess(which("swift"), ["build", "--build-tests"], in: root, timeout: 3600)
  guard build.succeeded else {
    let errors = errorLines(build.output).prefix(3)
    let problem = "the kit does not build: " + errors.joined(separator: "; ")
    return ids.map { ExerciseCheck(id: $0, passed: 0, total: 0, problem: problem) }
  }
  let bundle = try testBundle(in: root)
  return try ids.map { id in
    let mine = classes.filter { $0.exerciseID == id }
    let names = mine.flatMap { c in c.tests.map { "\(c.name).\($0)" } }
    guard !names.isEmpty else { return ExerciseCheck(id: id, passed: 0, total: 0, problem: "no tests found") }
    let (run, results) = try runTestClasses(mine, bundle: bundle, in: root, timeout: timeout)
    let problem =
      run.timedOut
      ? "timed out after \(Int(timeout)) s" : run.signal.map { "crashed (signal \($0))" }
    return ExerciseCheck(
      id: id, passed: names.filter { results[$0] == true }.count, total: names.count, problem: problem)
  }
}
