// Exercises met in their numbering, stop after stop: in the student edition, `swift run LessonN`
// must stop at exercise N.1 first, then at N.2 once N.1 is solved, and so on.
//
// An unfinished exercise ends the lesson at its first call (`Exercise.reportAndExit`), and a
// solved one lets it run on as the reference does. So with N.1 … N.(k-1) solved, the lesson stops
// at whichever of the remaining exercises it calls first. One run of each lesson with every
// solution in place, in the probed copy of the mutation check, gives the order of those first
// calls; the stops follow from it without building the edition once per exercise.

import Foundation

/// The exercise ids whose probes printed in `output`, in the order they first printed.
func probedExerciseOrder(in output: String) -> [String] {
  var order: [String] = []
  for line in output.split(separator: "\n") {
    guard let marker = line.range(of: probeMarker) else { continue }
    let id = String(line[marker.upperBound...]).trimmingCharacters(in: .whitespaces)
    if !order.contains(id) { order.append(id) }
  }
  return order
}

/// The lesson an exercise id belongs to (the part before the dot; 0 if malformed).
func lessonOf(_ id: String) -> Int { Int(id.split(separator: ".").first ?? "") ?? 0 }

/// Ids in their numbering: 1.2 before 1.10.
func numericOrder(_ ids: [String]) -> [String] {
  ids.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
}

/// What is wrong with the order in which Lesson `lesson` first calls exercises (`reached`, from a
/// run with every solution in place), given the lesson's own exercises: each must be called, in
/// their numbering, and no later lesson's exercise may be called (a student who has solved this
/// lesson would be stopped there), except those in `allowedLater`, a known problem the caller
/// reports apart. Earlier lessons' exercises may come anywhere: they are solved by then.
/// Empty when the lesson stops at N.1, then N.2 once N.1 is solved, and so on.
func exerciseOrderProblems(
  lesson: Int, reached: [String], exercises: [String], allowedLater: Set<String> = []
) -> [String] {
  let own = numericOrder(exercises)
  var problems: [String] = []
  for id in own where !reached.contains(id) {
    problems.append("Lesson \(lesson) never calls exercise \(id), so it never stops there")
  }
  let met = reached.filter { own.contains($0) }
  let expected = own.filter { met.contains($0) }
  // `met` and `expected` hold the same ids (first calls are unique), maybe in another order.
  if let k = met.indices.first(where: { met[$0] != expected[$0] }) {
    let stops =
      k == 0
      ? "it stops first at"
      : "once \(expected[..<k].joined(separator: ", ")) \(k == 1 ? "is" : "are") solved it stops at"
    problems.append(
      "Lesson \(lesson) meets its exercises in the order \(met.joined(separator: ", ")), not "
        + "\(expected.joined(separator: ", ")): \(stops) \(met[k]), not \(expected[k])")
  }
  for id in reached where lessonOf(id) > lesson && !allowedLater.contains(id) {
    problems.append(
      "Lesson \(lesson) calls exercise \(id) of a later lesson: a student who has solved "
        + "Lesson \(lesson)'s exercises is stopped there")
  }
  return problems
}

/// One lesson's run in the probed copy: the exercises it first called, in order, and whether it
/// ran to the end.
public struct LessonExerciseOrder: Sendable {
  public var lesson: Int
  public var reached: [String]
  public var problems: [String]
  /// The later lessons' exercises it calls that the caller allowed: known, not fixed.
  public var knownLater: [String]
}

/// Parses `--allow-later L:ID,ID,...` (Lesson L may call those later lessons' exercises, a known
/// problem reported apart) into the allowances by lesson.
public func parseAllowedLater(_ values: [String]) throws -> [Int: Set<String>] {
  var allowed: [Int: Set<String>] = [:]
  for value in values {
    let parts = value.split(separator: ":", maxSplits: 1)
    guard parts.count == 2, let lesson = Int(parts[0]), lesson > 0,
      case let ids = parts[1].split(separator: ",").map(String.init), !ids.isEmpty,
      ids.allSatisfy({ lessonOf($0) > lesson && $0.wholeMatch(of: #/\d+\.\d+/#) != nil })
    else {
      throw CourseToolError(
        "--allow-later \(value): expected LESSON:ID,ID,... with each id an exercise of a later lesson, e.g. 4:5.1,5.2"
      )
    }
    allowed[lesson, default: []].formUnion(ids)
  }
  return allowed
}

/// Runs each lesson (`--quick` unless `full`) in the probed copy of the kit in `work` (the
/// mutation check's, built again only where the kit changed) and checks the order in which it
/// first calls exercises. `lessons` limits the lessons run (default: every lesson with exercises).
public func checkExerciseOrder(
  root: URL, work: URL, lessons only: [Int]? = nil, full: Bool = false, timeout: Double = 900,
  allowedLater: [Int: Set<String>] = [:], log: (String) -> Void = { _ in }
) throws -> [LessonExerciseOrder] {
  let exercises = try discoverExercises(root: root)
  let lessons = Set(exercises.map(\.lesson)).sorted().filter { only?.contains($0) ?? true }
  guard !lessons.isEmpty else { throw CourseToolError("no exercises in lesson(s) \(only ?? [])") }
  let kit = try prepareProbedKit(root: root, work: work)
  log("building the lessons, with probes, in \(kit.path)...")
  // Every product, not `--product LessonN` eight times: one build plan, and `swift build` takes
  // only one `--product`.
  let built = try runProcess(which("swift"), ["build"], in: kit, timeout: 3600)
  guard built.succeeded else {
    throw CourseToolError(
      "the lessons do not build in \(kit.path): \(conciseMessage(errorLines(built.output)))")
  }
  let bin = try binPath(in: kit)
  var results: [LessonExerciseOrder] = []
  for lesson in lessons {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("exercise-order-\(UUID())")
    defer { try? FileManager.default.removeItem(at: output) }
    let started = Date()
    let run = try runProcess(
      bin.appendingPathComponent("Lesson\(lesson)").path,
      (full ? [] : ["--quick"]) + ["--output", output.path], in: kit, timeout: timeout)
    let reached = probedExerciseOrder(in: run.output)
    let allowed = allowedLater[lesson] ?? []
    var problems = exerciseOrderProblems(
      lesson: lesson, reached: reached, exercises: exercises.filter { $0.lesson == lesson }.map(\.id),
      allowedLater: allowed)
    if !run.succeeded {
      let how =
        run.timedOut ? "timed out" : run.signal.map { "crashed (signal \($0))" } ?? "exited \(run.status)"
      problems.insert(
        "Lesson \(lesson) \(how) in the probed copy with every solution in place: "
          + conciseMessage(run.output.split(separator: "\n").suffix(5).map(String.init)), at: 0)
    }
    let seconds = String(format: "%.0f", Date().timeIntervalSince(started))
    let met = reached.isEmpty ? "no exercise" : reached.joined(separator: ", ")
    log("  Lesson \(lesson) meets \(met) (\(seconds) s)\(problems.isEmpty ? "" : ": WRONG")")
    results.append(
      LessonExerciseOrder(
        lesson: lesson, reached: reached, problems: problems, knownLater: reached.filter(allowed.contains)))
  }
  return results
}
