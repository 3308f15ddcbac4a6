// The checks an instructor and CI run: markers and tests consistent (`check`), and the student
// edition really works (`verify-edition`): every exercise test fails with its exercise's
// message, every other test passes, and grading it gives 0 without aborting.

import Foundation

/// Problems with the exercises and their tests, each naming the file (empty when all is well).
public func checkExercises(root: URL) -> [String] {
  var problems: [String] = []
  let exercises: [ExerciseMarker]
  do { exercises = try discoverExercises(root: root) } catch { return ["\(error)"] }
  let classes = (try? discoverTestClasses(root: root)) ?? []
  var ids: [String: String] = [:]
  for e in exercises {
    if let other = ids[e.id] {
      problems.append("\(e.file):\(e.beginLine): exercise \(e.id) is also in \(other)")
    }
    ids[e.id] = e.file
    let graded = classes.filter { $0.exerciseID == e.id }
    if !graded.contains(where: { !$0.hidden && !$0.tests.isEmpty }) {
      problems.append(
        "\(e.file):\(e.beginLine): exercise \(e.id) has no visible test (Tests/Lesson\(e.lesson)Tests)")
    }
    if !graded.contains(where: { $0.hidden && !$0.tests.isEmpty }) {
      problems.append(
        "\(e.file):\(e.beginLine): exercise \(e.id) has no hidden test (Tests/\(hiddenTestsModule))")
    }
  }
  for c in classes {
    if let id = c.exerciseID, ids[id] == nil {
      problems.append("Tests/\(c.module): \(c.name) grades exercise \(id), which has no markers")
    }
  }
  return problems
}

/// Builds the student edition of `root` in a temporary directory and checks it. Returns the
/// problems found (empty: the edition is right).
public func verifyStudentEdition(root: URL, keep: URL? = nil, log: (String) -> Void) throws -> [String] {
  let fm = FileManager.default
  let parent = fm.temporaryDirectory.appendingPathComponent("course-verify-\(UUID().uuidString.prefix(8))")
  let edition = keep ?? parent.appendingPathComponent("student-edition")
  defer { if keep == nil { try? fm.removeItem(at: parent) } }
  let summary = try makeStudentEdition(root: root, destination: edition, force: true)
  log("student edition: \(summary.exercises) exercises removed, \(summary.files) files, in \(edition.path)")
  var problems: [String] = []
  // `course hint` in the edition must find every exercise's tiers, which its source no longer has.
  let hints = (try? loadHints(root: edition)) ?? []
  for e in try discoverExercises(root: root) where hints.first(where: { $0.id == e.id })?.tiers != e.hintTiers
  {
    problems.append("the edition's .course/hints.json lacks exercise \(e.id)'s hint tiers")
  }

  log("building the edition as a student gets it (swift build --build-tests)...")
  let build = try runProcess(which("swift"), ["build", "--build-tests"], in: edition, timeout: 3600)
  guard build.succeeded else {
    let errors = errorLines(build.output).prefix(10)
    return ["the student edition does not build:\n" + errors.joined(separator: "\n")]
  }
  log("running every test of the edition...")
  let bundle = try testBundle(in: edition)
  let run = try runXCTest(bundle: bundle, filter: nil, in: edition, timeout: 3600)
  let results = parseTestResults(run.output)
  let visible = try discoverTestClasses(root: edition)
  var notRun: [String] = []
  for c in visible {
    for test in c.tests {
      let key = "\(c.name).\(test)"
      guard let passed = results[key] ?? results["\(c.module).\(key)"] else {
        notRun.append("\(c.module).\(key)")
        continue
      }
      if let id = c.exerciseID {
        let messages = failureMessages(in: run.output, test: test, className: c.name)
        if passed {
          problems.append("\(c.module).\(key) passes without a solution to exercise \(id)")
        } else if !messages.contains(where: { $0.contains("Exercise \(id)") }) {
          problems.append(
            "\(c.module).\(key) fails, but not with exercise \(id)'s message: \(messages.first ?? "?")")
        }
      } else if !passed {
        problems.append("\(c.module).\(key) fails in the student edition (only exercise tests may)")
      }
    }
  }
  if !notRun.isEmpty { problems.append(unfinishedRun(run, notRun: notRun)) }
  let exerciseTests = visible.filter { $0.exerciseID != nil }.reduce(0) { $0 + $1.tests.count }
  let otherTests = visible.filter { $0.exerciseID == nil }.reduce(0) { $0 + $1.tests.count }
  log("  \(exerciseTests) exercise tests, \(otherTests) other tests checked")

  problems += try checkFirstStops(edition: edition, exercises: try discoverExercises(root: root), log: log)

  log("grading the edition with the hidden tests...")
  let grade = try gradeSubmission(edition, kitRoot: root, defaultTimeout: 120, inPlace: true, log: log)
  log(gradeTable([grade]))
  if let failure = grade.buildFailure { problems.append("grading could not build the edition: \(failure)") }
  for e in grade.exercises {
    if e.outcomes.isEmpty { problems.append("exercise \(e.exercise.id) has no graded tests") }
    if e.earned != 0 {
      problems.append("exercise \(e.exercise.id) earns \(e.earned) points without a solution")
    }
    // The grader does not run an untouched stub's tests; the run above showed each of them
    // failing with its exercise's message, which is what makes that shortcut sound.
    for o in e.outcomes
    where !(o.message ?? "").contains("Exercise \(e.exercise.id)")
      && !(o.message ?? "").hasPrefix(stubInPlaceReason)
    {
      problems.append(
        "\(o.module).\(o.className)/\(o.test) did not fail with exercise \(e.exercise.id)'s message")
    }
  }
  return problems
}

/// In a fresh edition, `swift run LessonN` must stop at exercise N.1 first (or at an earlier
/// lesson's exercise it builds on): exercises are numbered in the order a lesson meets them.
func checkFirstStops(edition: URL, exercises: [ExerciseMarker], log: (String) -> Void) throws -> [String] {
  var problems: [String] = []
  let lessons = Set(exercises.map(\.lesson)).sorted()
  for lesson in lessons {
    let binary = edition.appendingPathComponent(".build/debug/Lesson\(lesson)")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else { continue }
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("first-stop-\(UUID())")
    defer { try? FileManager.default.removeItem(at: output) }
    let run = try runProcess(
      binary.path, ["--quick", "--output", output.path], in: edition, timeout: 600)
    let first = run.output.firstMatch(of: #/Exercise (\d+)\.(\d+) \(/#)
    let stop = first.map { "\($0.1).\($0.2)" }
    log("  Lesson \(lesson) stops first at exercise \(stop ?? "none")")
    guard let first, let stopLesson = Int(first.1) else {
      problems.append("Lesson \(lesson) in the student edition ran without stopping at an exercise")
      continue
    }
    if stopLesson == lesson && first.2 != "1" || stopLesson > lesson {
      problems.append(
        "Lesson \(lesson) in the student edition stops first at exercise \(stop!), not \(lesson).1: renumber")
    }
  }
  return problems
}

/// Why tests of the edition did not run: usually the test process ended inside one test, most
/// often a kit test that reached an unfinished exercise without `skipUnlessExercisesDone` (the
/// exercise's handler then exits the process, status 3). Names that test and what it printed.
func unfinishedRun(_ run: ProcessResult, notRun: [String]) -> String {
  let log = TestLog(run.output)
  let how =
    run.timedOut
    ? "timed out" : run.signal.map { "was killed by signal \($0)" } ?? "exited with status \(run.status)"
  var lines = [
    "\(notRun.count) test\(notRun.count == 1 ? "" : "s") did not run: \(notRun.joined(separator: ", "))"
  ]
  if let last = log.running {
    lines.insert(
      "the edition's test run \(how) inside \(last), so the tests after it did not run; a kit test that "
        + "reaches an unfinished exercise needs skipUnlessExercisesDone first. What it printed last:",
      at: 0)
    lines += (log.segments[last] ?? []).suffix(6).map { "    " + $0 }
  }
  return lines.joined(separator: "\n")
}
