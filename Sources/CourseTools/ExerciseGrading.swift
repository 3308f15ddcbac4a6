// Grading the exercises of a built submission, one after another, each on its own work:
// - an exercise left as the student edition has it gets zero without running its tests (the
//   student-edition check guarantees that every one of them fails on the stub);
// - an exercise whose tests hang is run once more with the kit's reference solution in its place:
//   if they finish, its own code loops, so it gets zero once and its stub is put back for the rest
//   (one time-out, not one per test);
// - a test that fails only because it calls an exercise the student has not done (or whose stub
//   went back because it did not compile or looped) runs again with the reference solutions of
//   those exercises in place; the exercise under test stays the student's.

import Foundation

/// The reason an exercise whose stub is untouched gets 0 without its tests being run.
let stubInPlaceReason = "not done: its stub is still in place"

/// The grading of the exercises of a submission built in `work`, and what it may change there.
struct ExerciseGrading {
  var work: URL
  /// The kit: its reference solutions, and the student edition's stubs made from them.
  var kitRoot: URL
  var exercises: [ExerciseMarker]
  /// The graded test classes.
  var classes: [TestClass]
  var defaultTimeout: Double
  /// Exercises whose code did not compile (stubs already put back), with their first error.
  var uncompiled: [String: String]
  /// Rebuilds `work` after its sources changed.
  var rebuild: () throws -> ProcessResult
  var launch: TestLauncher
  var log: (String) -> Void = { _ in }

  /// Exercises whose own code loops: zero, their stubs put back for the others.
  private(set) var looping: [String] = []
  private var needsBuild = false

  init(
    work: URL, kitRoot: URL, exercises: [ExerciseMarker], classes: [TestClass], defaultTimeout: Double,
    uncompiled: [String: String], rebuild: @escaping () throws -> ProcessResult,
    launch: @escaping TestLauncher, log: @escaping (String) -> Void = { _ in }
  ) {
    (self.work, self.kitRoot, self.exercises, self.classes) = (work, kitRoot, exercises, classes)
    (self.defaultTimeout, self.uncompiled, self.rebuild, self.launch, self.log) = (
      defaultTimeout, uncompiled, rebuild, launch, log
    )
  }

  /// Every exercise's outcomes, in the order of `exercises`.
  mutating func grade() throws -> [ExerciseGrade] {
    var outcomes: [String: [TestOutcome]] = [:]
    var hanging: [ExerciseMarker] = []
    for exercise in exercises {
      let started = Date()
      let tests = tests(of: exercise.id)
      let timeout = self.timeout(of: exercise)
      if let error = uncompiled[exercise.id] {
        outcomes[exercise.id] = zero(tests, "did not compile (graded with its stub put back): " + error)
        log("  \(exercise.id): did not compile")
        continue
      }
      if try isUntouched(exercise) {
        outcomes[exercise.id] = zero(tests, "\(stubInPlaceReason) (write it in \(exercise.file))")
        log("  \(exercise.id): not done (its stub is still in place)")
        continue
      }
      try buildIfNeeded()
      let (runs, hung) = try runTests(tests, timeout: timeout, stopAtTimeout: true, launch: launch)
      if hung == nil {
        outcomes[exercise.id] = tests.map { outcome(of: $0, runs[$0]!, timeout: timeout) }
      } else if try loopsOnItsOwn(exercise, tests) {
        looping.append(exercise.id)
        outcomes[exercise.id] = zero(
          tests,
          "its tests did not finish in \(Int(timeout)) s: does it loop? "
            + "(0 points; its stub was put back to grade the rest)")
      } else {
        hanging.append(exercise)
        continue
      }
      logResult(exercise.id, outcomes[exercise.id]!, since: started)
    }
    // The loop is in code these tests call, not in their exercise: run them once the looping
    // exercises' stubs are back, each test that still hangs costing its own time limit.
    for exercise in hanging {
      let started = Date()
      try buildIfNeeded()
      let tests = tests(of: exercise.id)
      let timeout = self.timeout(of: exercise)
      let (runs, _) = try runTests(tests, timeout: timeout, stopAtTimeout: false, launch: launch)
      outcomes[exercise.id] = tests.map { outcome(of: $0, runs[$0]!, timeout: timeout) }
      logResult(exercise.id, outcomes[exercise.id]!, since: started)
    }
    try creditCallsToUnfinishedExercises(&outcomes)
    return exercises.map { ExerciseGrade(exercise: $0, outcomes: outcomes[$0.id] ?? []) }
  }

  /// Runs again the failing tests of written exercises that reached an exercise the student has
  /// not done, with the reference solutions of the unfinished exercises they reached in place (the
  /// exercise under test stays the student's). A test that passes then counts, with a note naming
  /// them; one that now reaches a further unfinished exercise (a placeholder had cut its path
  /// short) goes round again with that one too.
  mutating func creditCallsToUnfinishedExercises(_ outcomes: inout [String: [TestOutcome]]) throws {
    let unfinished = Set(try exercises.filter { try isUntouched($0) }.map(\.id))
    var retry: [GradedTest: Set<String>] = [:]
    for exercise in exercises where !unfinished.contains(exercise.id) {
      for o in outcomes[exercise.id] ?? [] where !o.passed {
        let others = Set(o.reached).intersection(unfinished).subtracting([exercise.id])
        if !others.isEmpty { retry[gradedTest(o)] = others }
      }
    }
    var substituted: Set<String> = []
    for _ in 0..<3 {
      let needed = substituted.union(retry.values.joined())
      guard !retry.isEmpty, needed != substituted else { break }
      let names = needed.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
      log(
        "  \(retry.count) failing test(s) call unfinished exercises: running them again with the reference "
          + "solutions of \(names.joined(separator: ", ")) in place")
      guard let saved = try substituteAndBuild(names, reference: true) else { break }
      substituted = needed
      for exercise in exercises {
        let tests = (outcomes[exercise.id] ?? []).map(gradedTest).filter { retry[$0] != nil }
        guard !tests.isEmpty else { continue }
        let (runs, _) = try runTests(
          tests, timeout: timeout(of: exercise), stopAtTimeout: true, launch: launch)
        for test in tests {
          guard let run = runs[test], let used = retry[test] else { continue }
          let more = Set(run.reached).intersection(unfinished).subtracting(needed).subtracting([exercise.id])
          retry[test] = run.passed || more.isEmpty ? nil : used.union(more)
          guard run.passed, let index = outcomes[exercise.id]!.firstIndex(where: { gradedTest($0) == test })
          else { continue }
          let list = used.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
          outcomes[exercise.id]![index].passed = true
          outcomes[exercise.id]![index].reason = nil
          outcomes[exercise.id]![index].message = nil
          outcomes[exercise.id]![index].note =
            "passed with the kit's reference solution of "
            + list.map { "\($0) (\(whyUnfinished($0)))" }.joined(separator: ", ") + " in place of yours"
        }
        logResult(exercise.id, outcomes[exercise.id]!)
      }
      try restore(saved)
    }
  }

  /// Why an exercise counts as unfinished, for a note.
  func whyUnfinished(_ id: String) -> String {
    uncompiled[id] != nil ? "yours did not compile" : looping.contains(id) ? "yours loops" : "not done"
  }

  /// Whether `exercise`'s own code loops: its tests are run again with its reference solution in
  /// place; if they finish, its stub is put back (and built) and the answer is yes. No when the
  /// tests hang with the reference solution too (the loop is in code they call), or when its code
  /// cannot be swapped.
  mutating func loopsOnItsOwn(_ exercise: ExerciseMarker, _ tests: [GradedTest]) throws -> Bool {
    let timeout = self.timeout(of: exercise)
    log(
      "  \(exercise.id): a test did not finish in \(Int(timeout)) s; trying its tests with the reference solution..."
    )
    guard let saved = try substituteAndBuild([exercise.id], reference: true) else { return false }
    let (_, hung) = try runTests(tests, timeout: timeout, stopAtTimeout: true, launch: launch)
    try restore(saved)
    guard hung == nil else { return false }
    return try substituteAndBuild([exercise.id], reference: false) != nil
  }

  /// Whether `exercise` in the work copy is still the student edition's stub.
  func isUntouched(_ exercise: ExerciseMarker) throws -> Bool {
    let submitted = try String(contentsOf: work.appendingPathComponent(exercise.file), encoding: .utf8)
      .components(separatedBy: "\n")
    let kitSource = try String(contentsOf: kitRoot.appendingPathComponent(exercise.file), encoding: .utf8)
    let edition = try studentVersion(of: kitSource, file: exercise.file).components(separatedBy: "\n")
    guard let mine = exerciseRegion(exercise.id, in: submitted),
      let stub = exerciseRegion(exercise.id, in: edition)
    else { return false }
    let trimmed = { (lines: ArraySlice<String>) in
      lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
    return trimmed(submitted[mine]) == trimmed(edition[stub])
  }

  /// Puts the reference solutions (or the stubs) of `ids` in the work copy and rebuilds. Returns
  /// the files' previous text for `restore`, or nil (nothing changed) when an exercise's code
  /// cannot be found or the result does not build.
  mutating func substituteAndBuild(_ ids: [String], reference: Bool) throws -> [URL: String]? {
    var previous: [URL: String] = [:]
    var changed: [URL: String] = [:]
    let files = Dictionary(grouping: ids) { id in exercises.first { $0.id == id }?.file ?? "" }
    for (file, group) in files {
      let url = work.appendingPathComponent(file)
      let current = try String(contentsOf: url, encoding: .utf8)
      let kitSource = try String(contentsOf: kitRoot.appendingPathComponent(file), encoding: .utf8)
      let source = reference ? kitSource : try studentVersion(of: kitSource, file: file)
      guard let replaced = puttingBackStubs(group.sorted(), in: current, edition: source) else { return nil }
      (previous[url], changed[url]) = (current, replaced)
    }
    try write(changed)
    guard try buildIfNeeded(throwing: false) else {
      log(
        "  putting in the \(reference ? "reference solution" : "stub") of \(ids.joined(separator: ", ")) broke the build; left as it was"
      )
      try restore(previous)
      try buildIfNeeded()
      return nil
    }
    return previous
  }

  /// Writes back the files `substituteAndBuild` changed (built again when next needed).
  mutating func restore(_ saved: [URL: String]) throws { try write(saved) }

  private mutating func write(_ files: [URL: String]) throws {
    for (url, text) in files { try Data(text.utf8).write(to: url) }
    needsBuild = needsBuild || !files.isEmpty
  }

  /// Rebuilds if the sources changed; returns whether the build is good (throws if not, unless
  /// told otherwise).
  @discardableResult
  mutating func buildIfNeeded(throwing: Bool = true) throws -> Bool {
    guard needsBuild else { return true }
    let build = try rebuild()
    guard build.succeeded else {
      if throwing {
        throw CourseToolError("the submission no longer builds: \(conciseMessage(errorLines(build.output)))")
      }
      return false
    }
    needsBuild = false
    return true
  }

  func tests(of id: String) -> [GradedTest] {
    classes.filter { $0.exerciseID == id }.flatMap { c in
      c.tests.map {
        GradedTest(module: c.module, className: c.name, test: $0, exerciseID: id, hidden: c.hidden)
      }
    }
  }

  func timeout(of exercise: ExerciseMarker) -> Double { exercise.timeout.map(Double.init) ?? defaultTimeout }

  func gradedTest(_ o: TestOutcome) -> GradedTest {
    GradedTest(
      module: o.module, className: o.className, test: o.test, exerciseID: o.exerciseID, hidden: o.hidden)
  }

  /// Failed outcomes for every test, with one reason.
  func zero(_ tests: [GradedTest], _ reason: String) -> [TestOutcome] {
    tests.map {
      TestOutcome(
        module: $0.module, className: $0.className, test: $0.test, exerciseID: $0.exerciseID,
        hidden: $0.hidden, passed: false, reason: reason, message: reason)
    }
  }

  /// A test's outcome from its run: the message for the instructor, the reason a student sees.
  func outcome(of test: GradedTest, _ run: TestRun, timeout: Double) -> TestOutcome {
    var o = TestOutcome(
      module: test.module, className: test.className, test: test.test, exerciseID: test.exerciseID,
      hidden: test.hidden, passed: run.passed, reason: nil, message: nil)
    o.reached = run.reached
    guard !run.passed else { return o }
    let message: String
    switch run.ending {
    case .notFound: message = "the test did not run (not found in the test bundle)"
    case .timedOut: message = "timed out after \(Int(timeout)) s"
    case .crashed(let cause): message = cause + (run.message == "failed" ? "" : "; " + run.message)
    case .passed, .failed: message = run.message.isEmpty ? "failed" : run.message
    }
    o.message = message
    o.reason = test.hidden ? "hidden test failed" : message
    return o
  }

  func logResult(_ id: String, _ outcomes: [TestOutcome], since started: Date? = nil) {
    let time = started.map { String(format: " (%.1f s)", Date().timeIntervalSince($0)) } ?? ""
    log("  \(id): \(outcomes.filter(\.passed).count)/\(outcomes.count) tests passed" + time)
  }
}
