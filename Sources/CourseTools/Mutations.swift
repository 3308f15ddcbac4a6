// The mutation check: the classic wrong solutions of every exercise, recorded in the hidden
// tests (Tests/HiddenTests/Mutations/mutations.json), are put in place of the solution one at a
// time, and the exercise's tests (visible and hidden) must fail for each.

import Foundation

/// One wrong solution: text replacements inside an exercise's solution.
public struct Mutation: Codable, Equatable, Sendable {
  /// One replacement; `replace` must occur exactly once in the file.
  public struct Edit: Codable, Equatable, Sendable {
    public var replace: String
    public var with: String
  }

  public var exercise: String
  /// What the wrong solution does ("forgets zeroGrad").
  public var name: String
  /// The file, relative to the package root.
  public var file: String
  public var edits: [Edit]

  /// `source` with the edits applied; throws naming the mutation if an edit's text is not there
  /// exactly once (the solution changed since the mutation was recorded).
  public func apply(to source: String) throws -> String {
    var text = source
    for edit in edits {
      let count = text.components(separatedBy: edit.replace).count - 1
      guard count == 1 else {
        throw CourseToolError(
          "mutation \(exercise) \"\(name)\": \(file) has its text \(count) times, expected once: \(edit.replace)"
        )
      }
      text = text.replacingOccurrences(of: edit.replace, with: edit.with)
    }
    return text
  }
}

/// Where the mutations are kept: in the hidden tests, which the student edition leaves out.
public func mutationsFile(root: URL) -> URL {
  root.appendingPathComponent("Tests/\(hiddenTestsModule)/Mutations/mutations.json")
}

/// The recorded mutations of the kit at `root`.
public func loadMutations(root: URL) throws -> [Mutation] {
  let url = mutationsFile(root: root)
  guard let data = try? Data(contentsOf: url) else { throw CourseToolError("cannot read \(url.path)") }
  do {
    return try JSONDecoder().decode([Mutation].self, from: data)
  } catch {
    throw CourseToolError(
      "\(url.path): expected a JSON list of {exercise, name, file, edits: [{replace, with}]}")
  }
}

/// What happened to one mutation.
public struct MutationOutcome: Sendable {
  public var mutation: Mutation
  /// Whether the exercise's tests failed (a failure, a crash or a time-out all count).
  public var caught: Bool
  /// Why not, or how (the first failure message).
  public var detail: String
}

/// Builds a copy of the kit in `work` (reused between runs) with a probe in each exercise's
/// solution, then checks the mutations (of exercise `only`, if given) in rounds: each round puts
/// in at most one mutation per exercise, builds once, and runs each mutated exercise's tests in
/// one process. A result counts only if that process reached no other exercise mutated in the
/// round (its probes say which it reached); otherwise the mutation is tried again in a later round
/// without those exercises, which the rounds learn to keep apart. A mutation that breaks the
/// build is reported as such and the round is built again without it. `rounds` limits the rounds
/// (each exercise's first `rounds` mutations, when nothing had to be tried again).
public func checkMutations(
  root: URL, work: URL, only: String? = nil, rounds: Int? = nil, timeout: Double = 120,
  log: (String) -> Void = { _ in }
) throws -> [MutationOutcome] {
  let all = try loadMutations(root: root).filter { only == nil || $0.exercise == only }
  guard !all.isEmpty else { throw CourseToolError("no mutations recorded for exercise \(only ?? "?")") }
  let exercises = try discoverExercises(root: root)
  let kit = try prepareProbedKit(root: root, work: work)
  let swift = which("swift")
  let arguments = testBuildArguments(kitRoot: root)
  let build = { try runProcess(swift, arguments, in: kit, timeout: 3600) }
  log("building the kit, with probes, in \(kit.path)...")
  let built = try build()
  guard built.succeeded else {
    throw CourseToolError(
      "the kit does not build in \(kit.path): \(conciseMessage(errorLines(built.output)))")
  }
  let bundle = try testBundle(in: kit)
  let classes = try discoverTestClasses(root: root).filter { $0.exerciseID != nil }
  var pending = Dictionary(grouping: all, by: \.exercise)
  let order = exercises.map(\.id).filter { pending[$0] != nil }
  // reaches[x]: the other exercises x's tests were seen to run.
  var reaches: [String: Set<String>] = [:]
  var outcomes: [MutationOutcome] = []
  var round = 0
  while pending.values.contains(where: { !$0.isEmpty }) && round < (rounds ?? Int.max) {
    round += 1
    var chosen = roundOfMutations(order: order, pending: pending, reaches: reaches)
    let started = Date()
    // Put them in; drop (and report) any that do not apply or that break the build.
    var originals: [URL: String] = [:]
    defer { for (url, text) in originals { try? Data(text.utf8).write(to: url) } }
    var applied: [Mutation] = []
    var rebuilt = ProcessResult(status: 1, output: "", timedOut: false, signal: nil)
    func finish(_ mutation: Mutation, caught: Bool, _ detail: String) {
      pending[mutation.exercise]?.removeFirst()
      outcomes.append(MutationOutcome(mutation: mutation, caught: caught, detail: detail))
      log("  \(caught ? "caught" : "MISSED")  \(mutation.exercise) \(mutation.name): \(detail)")
    }
    for attempt in 0..<8 {
      for (url, text) in originals { try Data(text.utf8).write(to: url) }
      applied = []
      for mutation in chosen {
        let url = kit.appendingPathComponent(mutation.file)
        if originals[url] == nil { originals[url] = try String(contentsOf: url, encoding: .utf8) }
        do {
          let current = try String(contentsOf: url, encoding: .utf8)
          try Data(try mutation.apply(to: current).utf8).write(to: url)
          applied.append(mutation)
        } catch {
          if attempt == 0 { finish(mutation, caught: false, "\(error)") }
        }
      }
      chosen = applied
      rebuilt = try build()
      if rebuilt.succeeded || applied.isEmpty { break }
      // Which mutations broke it: those whose exercise holds a compiler error.
      let found = attribute(compileErrors(in: rebuilt.output, root: kit), exercises: exercises) { file in
        try? String(contentsOf: kit.appendingPathComponent(file), encoding: .utf8).components(
          separatedBy: "\n")
      }
      let broken = applied.filter { found.broken[$0.exercise] != nil }
      for mutation in broken {
        finish(mutation, caught: false, "does not compile: " + found.broken[mutation.exercise]!)
      }
      if broken.isEmpty && applied.count == 1 {
        finish(applied[0], caught: false, "does not compile: " + conciseMessage(errorLines(rebuilt.output)))
        chosen = []
        break
      }
      // An error no mutation explains: try the first alone (the rest wait for later rounds).
      chosen = broken.isEmpty ? Array(applied.prefix(1)) : applied.filter { m in !broken.contains(m) }
    }
    guard rebuilt.succeeded || chosen.isEmpty else {
      throw CourseToolError("round \(round) does not build: \(conciseMessage(errorLines(rebuilt.output)))")
    }
    let mutated = Set(chosen.map(\.exercise))
    var retried = 0
    for mutation in chosen {
      let filter = classes.filter { $0.exerciseID == mutation.exercise }.map { "\($0.module).\($0.name)" }
      let run = try runXCTest(
        bundle: bundle, filter: filter.joined(separator: ","), in: kit, timeout: timeout)
      let reached = probedExercises(in: run.output).subtracting([mutation.exercise])
      reaches[mutation.exercise, default: []].formUnion(reached)
      let others = reached.intersection(mutated)
      guard others.isEmpty else {
        // Its tests ran other mutated code, so their failure proves nothing: again in a later round.
        retried += 1
        log(
          "  again later  \(mutation.exercise) \(mutation.name): its tests also ran \(others.sorted().joined(separator: ", "))"
        )
        continue
      }
      let failed = parseTestResults(run.output).filter { !$0.value }.map(\.key).sorted()
      finish(
        mutation, caught: !run.succeeded,
        run.succeeded
          ? "every test of \(mutation.exercise) passes"
          : run.timedOut
            ? "timed out" : run.signal != nil ? "crashed" : "fails \(failed.joined(separator: ", "))")
    }
    log(
      String(
        format: "round %d: %d mutation(s) in one build, %d to try again apart, %.0f s", round, chosen.count,
        retried, Date().timeIntervalSince(started)))
  }
  let left = pending.values.reduce(0) { $0 + $1.count }
  if left > 0 { log("\(left) mutation(s) not checked: --rounds \(rounds ?? 0) reached") }
  return outcomes
}

/// Brings the copy of the kit in `work/kit` up to date with `root`, a probe in each exercise's
/// solution (files unchanged since the last time are left alone, so its build is reused). The
/// mutation check and the exercise-order check share it.
func prepareProbedKit(root: URL, work: URL) throws -> URL {
  let kit = work.appendingPathComponent("kit")
  let exerciseFiles = Set(try discoverExercises(root: root).map(\.file))
  _ = try syncTree(from: root, to: kit, overlay: root) { relative, data in
    guard exerciseFiles.contains(relative), let text = String(data: data, encoding: .utf8) else {
      return data
    }
    return Data(try probedSource(text, file: relative).utf8)
  }
  return kit
}

/// The next round: each exercise's next mutation, in `order`, leaving out an exercise that
/// reaches one already chosen or is reached by one (`reaches[x]`: the exercises x's tests run).
func roundOfMutations(order: [String], pending: [String: [Mutation]], reaches: [String: Set<String>])
  -> [Mutation]
{
  var chosen: [Mutation] = []
  for id in order {
    guard let next = pending[id]?.first else { continue }
    let apart = chosen.allSatisfy {
      !reaches[id, default: []].contains($0.exercise) && !reaches[$0.exercise, default: []].contains(id)
    }
    if apart { chosen.append(next) }
  }
  return chosen
}

/// The compiler's error lines in a build log.
func errorLines(_ output: String) -> [String] {
  output.split(separator: "\n").filter { $0.contains("error:") }.map(String.init)
}
