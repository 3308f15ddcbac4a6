// The kit's own tools as `course` commands: exercises, check, student-edition, grade and
// verify-edition (the work is done in CourseTools; these read the options and print).

import CourseTools
import Foundation

/// `--root DIR`, the kit's package root, as a URL ("." is the current directory).
func packageRoot(_ path: String) -> URL {
  (path == "." ? URL(fileURLWithPath: FileManager.default.currentDirectoryPath) : URL(fileURLWithPath: path))
    .standardizedFileURL
}

/// The help of `--root`, which every kit tool takes.
let rootHelp = "the kit's package root"

/// `course exercises`: the exercises, or in a student edition which are still unfinished.
struct Exercises: CourseCommand {
  @Option("--root", value: "DIR", help: rootHelp)
  var root = "."
  @Flag("--no-tests", help: "list the exercises written without building and running their tests")
  var noTests: Bool

  func run() throws -> Int32 { try runExercises(self) }
}

func runExercises(_ options: Exercises) throws -> Int32 {
  let root = packageRoot(options.root)
  let exercises = try discoverExercises(root: root)
  if !exercises.isEmpty {
    print("The kit's exercises (solutions present):")
    for e in exercises { print("  \(e.id)  \(e.title)  (\(e.points) points)  \(e.file)") }
    return 0
  }
  // A student edition: an exercise is unfinished while its `Exercise.unfinished` call is there.
  var unfinished: [String: String] = [:]
  for folder in ["Sources", "Lessons"] {
    let base = root.appendingPathComponent(folder)
    let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
    while let url = walker?.nextObject() as? URL {
      guard url.pathExtension == "swift", let text = try? String(contentsOf: url, encoding: .utf8) else {
        continue
      }
      for match in text.matches(of: #/Exercise\.unfinished\("([^"]+)", title: "([^"]*)"/#) {
        unfinished[String(match.1)] = "\(match.2)  \(url.path.dropFirst(root.path.count + 1))"
      }
    }
  }
  let graded = Set(try discoverTestClasses(root: root).compactMap(\.exerciseID))
  let all = graded.union(unfinished.keys).sorted { $0.compare($1, options: .numeric) == .orderedAscending }
  let written = all.filter { unfinished[$0] == nil }
  if !options.noTests && !written.isEmpty {
    print("building and running the tests of the \(written.count) exercise(s) written...")
  }
  let checks = options.noTests ? [] : try checkWrittenExercises(written, root: root)
  for id in all {
    if let where_ = unfinished[id] {
      print("  [ ] \(id)  \(where_)")
    } else if let check = checks.first(where: { $0.id == id }) {
      let status =
        check.passing
        ? "passing (\(check.passed)/\(check.total) tests)"
        : "written, not passing: \(check.problem ?? "\(check.passed)/\(check.total) tests pass")"
      print("  [\(check.passing ? "x" : "~")] \(id)  \(status)")
    } else {
      print(
        "  [~] \(id)  written: check it with swift test --filter Lesson\(id.split(separator: ".")[0])Tests")
    }
  }
  if options.noTests {
    print("\(written.count)/\(all.count) exercises written")
  } else {
    print("\(checks.filter(\.passing).count)/\(all.count) exercises passing, \(written.count) written")
  }
  return 0
}

/// `course check`: exercise markers well-formed, every exercise with visible and hidden tests.
struct Check: CourseCommand {
  @Option("--root", value: "DIR", help: rootHelp)
  var root = "."

  func run() throws -> Int32 { try runCheck(self) }
}

func runCheck(_ options: Check) throws -> Int32 {
  let problems = checkExercises(root: packageRoot(options.root))
  for p in problems { print(p) }
  if problems.isEmpty { print("exercises and tests are consistent") }
  return problems.isEmpty ? 0 : 1
}

/// `course student-edition DIR`: the kit without its solutions and hidden tests.
struct StudentEdition: CourseCommand {
  @Option("--root", value: "DIR", help: rootHelp)
  var root = "."
  @Flag("--force", help: "replace DIR if it exists")
  var force: Bool
  @Arguments("DIR", count: 1...1, help: "the directory to write the student edition to")
  var destination: [String]

  func run() throws -> Int32 { try runStudentEdition(self) }
}

func runStudentEdition(_ options: StudentEdition) throws -> Int32 {
  let destination = URL(fileURLWithPath: options.destination[0]).standardizedFileURL
  let summary = try makeStudentEdition(
    root: packageRoot(options.root), destination: destination, force: options.force)
  print(
    "wrote the student edition to \(summary.destination.path): \(summary.files) files, \(summary.exercises) exercises to do"
  )
  return 0
}

/// `course grade [DIR...]`: runs each submission's exercise tests and writes the grades.
struct Grade: CourseCommand {
  @Option("--root", value: "DIR", help: rootHelp)
  var root = "."
  @Option("--timeout", .above(0), help: "seconds each exercise's tests may run")
  var timeout = 60.0
  @Option("--output", value: "DIR", help: "where grades.csv, grades.json and the feedback go")
  var output = "runs/grades"
  @Option(
    "--work", value: "DIR",
    help: "where submissions are built, one after another; its build is reused (kept between runs)")
  var work = ".build/grading"
  @Arguments("DIR", count: 0...Int.max, help: "the submissions (packages) to grade (default: --root)")
  var submissions: [String]

  func run() throws -> Int32 { try runGrade(self) }
}

func runGrade(_ options: Grade) throws -> Int32 {
  let (root, positional, timeout) = (packageRoot(options.root), options.submissions, options.timeout)
  let output = URL(fileURLWithPath: options.output)
  let submissions =
    positional.isEmpty ? [root] : positional.map { URL(fileURLWithPath: $0).standardizedFileURL }
  var grades: [SubmissionGrade] = []
  // Written after every submission (each file atomically): a run killed mid-class keeps every
  // grade it finished.
  func writeGrades() throws {
    try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    try Data(gradesCSV(grades).utf8).write(to: output.appendingPathComponent("grades.csv"), options: .atomic)
    try gradesJSON(grades).write(to: output.appendingPathComponent("grades.json"), options: .atomic)
    for g in grades {
      try Data(feedback(g).utf8).write(
        to: output.appendingPathComponent("feedback-\(g.name).txt"), options: .atomic)
    }
  }
  for submission in submissions {
    guard FileManager.default.fileExists(atPath: submission.appendingPathComponent("Package.swift").path)
    else {
      print("\(submission.path): not a package (no Package.swift); skipped")
      continue
    }
    let started = Date()
    grades.append(
      try gradeSubmission(
        submission, kitRoot: root, defaultTimeout: timeout,
        workDirectory: URL(fileURLWithPath: options.work).standardizedFileURL
      ) { print($0) })
    print("  graded in \(String(format: "%.0f", Date().timeIntervalSince(started))) s")
    try writeGrades()
  }
  print("\n" + gradeTable(grades))
  try writeGrades()
  print("\nwrote \(output.path)/grades.csv, grades.json and feedback-<submission>.txt")
  return 0
}

/// `course verify-edition`: builds the student edition and checks which tests fail and pass.
struct VerifyEdition: CourseCommand {
  @Option("--root", value: "DIR", help: rootHelp)
  var root = "."
  @Option("--keep", value: "DIR", help: "keep the student edition in DIR (default: a scratch folder)")
  var keep: String? = nil

  func run() throws -> Int32 { try runVerify(self) }
}

func runVerify(_ options: VerifyEdition) throws -> Int32 {
  let keep = options.keep.map { URL(fileURLWithPath: $0).standardizedFileURL }
  let problems = try verifyStudentEdition(root: packageRoot(options.root), keep: keep) { print($0) }
  if problems.isEmpty {
    print(
      "\nthe student edition is right: every exercise test fails with its message, every other test passes")
    return 0
  }
  print("\nproblems with the student edition:")
  for p in problems { print("  " + p) }
  return 1
}

/// `course check-mutations`: the recorded wrong solutions, each put in place and its exercise's
/// tests run; every one must make them fail.
struct CheckMutations: CourseCommand {
  @Option("--root", value: "DIR", help: rootHelp)
  var root = "."
  @Option("--exercise", value: "ID", help: "only this exercise's mutations (default: all)")
  var exercise: String? = nil
  @Option("--work", value: "DIR", help: "where the kit is copied and rebuilt (kept between runs)")
  var work = ".build/mutations"
  @Option("--timeout", .above(0), help: "seconds an exercise's tests may run")
  var timeout = 120.0
  @Option(
    "--rounds", .above(0),
    help: "stop after N rounds (one build each, at most one wrong solution per exercise; default: all)")
  var rounds: Int? = nil

  func run() throws -> Int32 {
    let outcomes = try checkMutations(
      root: packageRoot(root), work: URL(fileURLWithPath: work).standardizedFileURL, only: exercise,
      rounds: rounds, timeout: timeout
    ) { print($0) }
    let missed = outcomes.filter { !$0.caught }
    print(
      "\n\(outcomes.count - missed.count)/\(outcomes.count) wrong solutions caught by their exercise's tests")
    for m in missed { print("  missed: \(m.mutation.exercise) \(m.mutation.name): \(m.detail)") }
    return missed.isEmpty ? 0 : 1
  }
}

/// `course check-order`: each lesson, run with every solution in place and a probe in
/// each, must call its exercises first in their numbering (so the student edition stops at N.1,
/// then N.2 once N.1 is solved, and so on).
struct CheckExerciseOrder: CourseCommand {
  @Option("--root", value: "DIR", help: rootHelp)
  var root = "."
  @Option("--lesson", .above(0), help: "only this lesson (default: every lesson with exercises)")
  var lesson: Int? = nil
  @Flag("--full", help: "full lesson runs instead of --quick ones (what a student runs; slower)")
  var full: Bool
  @Option(
    "--work", value: "DIR", help: "where the probed kit is copied and built (the mutation check's; kept)")
  var work = ".build/mutations"
  @Option("--timeout", .above(0), help: "seconds each lesson may run")
  var timeout = 900.0
  @Option(
    "--allow-later", value: "L:ID,...",
    help:
      "a known problem: Lesson L may call these later lessons' exercises (reported, not failed; ';' between lessons)"
  )
  var allowLater: String? = nil

  func run() throws -> Int32 {
    let results = try checkExerciseOrder(
      root: packageRoot(root), work: URL(fileURLWithPath: work).standardizedFileURL,
      lessons: lesson.map { [$0] }, full: full, timeout: timeout,
      allowedLater: try parseAllowedLater(allowLater.map { $0.split(separator: ";").map(String.init) } ?? [])
    ) { print($0) }
    for r in results where !r.knownLater.isEmpty {
      print(
        "\nknown, not fixed: Lesson \(r.lesson) calls exercise(s) \(r.knownLater.joined(separator: ", ")) of a later "
          + "lesson, so a student who has solved its exercises is stopped there (allowed by --allow-later)")
    }
    let problems = results.flatMap(\.problems)
    if problems.isEmpty {
      let known = results.contains { !$0.knownLater.isEmpty } ? "apart from the known problem above, " : ""
      print(
        "\n\(known)every lesson calls its exercises first in their numbering: the student edition stops at N.1, then N.2 once N.1 is solved, and so on"
      )
      return 0
    }
    print("\nexercises met out of their numbering:")
    for p in problems { print("  " + p) }
    return 1
  }
}
