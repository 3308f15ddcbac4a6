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

/// Builds a copy of the kit in `work` (reused between runs), then for each mutation (of
/// exercise `only`, if given) applies it, rebuilds, runs the exercise's tests in one process and
/// puts the solution back.
public func checkMutations(
  root: URL, work: URL, only: String? = nil, timeout: Double = 120, log: (String) -> Void = { _ in }
) throws -> [MutationOutcome] {
  let mutations = try loadMutations(root: root).filter { only == nil || $0.exercise == only }
  guard !mutations.isEmpty else { throw CourseToolError("no mutations recorded for exercise \(only ?? "?")") }
  let kit = work.appendingPathComponent("kit")
  _ = try syncTree(from: root, to: kit, overlay: root)
  let swift = which("swift")
  log("building the kit in \(kit.path)...")
  let build = try runProcess(swift, ["build", "--build-tests"], in: kit, timeout: 3600)
  guard build.succeeded else {
    throw CourseToolError(
      "the kit does not build in \(kit.path): \(conciseMessage(errorLines(build.output)))")
  }
  let bundle = try testBundle(in: kit)
  let classes = try discoverTestClasses(root: root).filter { $0.exerciseID != nil }
  var outcomes: [MutationOutcome] = []
  for mutation in mutations {
    let url = kit.appendingPathComponent(mutation.file)
    let original = try String(contentsOf: url, encoding: .utf8)
    defer { try? Data(original.utf8).write(to: url) }
    let outcome: MutationOutcome
    do {
      try Data(try mutation.apply(to: original).utf8).write(to: url)
      let rebuilt = try runProcess(swift, ["build", "--build-tests"], in: kit, timeout: 3600)
      if !rebuilt.succeeded {
        outcome = MutationOutcome(
          mutation: mutation, caught: false,
          detail: "does not compile: " + conciseMessage(errorLines(rebuilt.output)))
      } else {
        let filter = classes.filter { $0.exerciseID == mutation.exercise }.map { "\($0.module).\($0.name)" }
        let run = try runXCTest(
          bundle: bundle, filter: filter.joined(separator: ","), in: kit, timeout: timeout)
        let failed = parseTestResults(run.output).filter { !$0.value }.map(\.key).sorted()
        outcome = MutationOutcome(
          mutation: mutation, caught: !run.succeeded,
          detail: run.succeeded
            ? "every test of \(mutation.exercise) passes"
            : run.timedOut
              ? "timed out" : run.signal != nil ? "crashed" : "fails \(failed.joined(separator: ", "))")
      }
    } catch {
      outcome = MutationOutcome(mutation: mutation, caught: false, detail: "\(error)")
    }
    log("  \(outcome.caught ? "caught" : "MISSED")  \(mutation.exercise) \(mutation.name): \(outcome.detail)")
    outcomes.append(outcome)
  }
  // Leave the copy built as the kit is, so the next run starts warm.
  _ = try? runProcess(swift, ["build", "--build-tests"], in: kit, timeout: 3600)
  return outcomes
}

/// The compiler's error lines in a build log.
func errorLines(_ output: String) -> [String] {
  output.split(separator: "\n").filter { $0.contains("error:") }.map(String.init)
}
