// Tiered hints: `course hint 2.1` reveals an exercise's hints one tier at a time.
//
// The kit reads the tiers from the exercise markers. The student edition keeps only tier 1 in
// its source, so `makeStudentEdition` writes every tier to `.course/hints.json`; the tiers a
// student has seen are remembered in `.course/hints-seen.json`, so the next call goes one further.

import Foundation

/// One exercise's hints, as the student edition stores them.
public struct ExerciseHints: Codable, Equatable, Sendable {
  public var id: String
  public var title: String
  /// The file the student edits, relative to the package root.
  public var file: String
  /// Tier 1 (a nudge) first; each later tier says more, none gives the answer.
  public var tiers: [String]

  public init(id: String, title: String, file: String, tiers: [String]) {
    (self.id, self.title, self.file, self.tiers) = (id, title, file, tiers)
  }

  /// The hints of an exercise marker.
  public init(_ marker: ExerciseMarker) {
    self.init(
      id: marker.id, title: marker.title, file: marker.file,
      tiers: marker.hintTiers.isEmpty ? [marker.hint] : marker.hintTiers)
  }
}

/// Where a student edition keeps every tier of every hint.
public func hintsFile(root: URL) -> URL { root.appendingPathComponent(".course/hints.json") }

/// Where the tiers already shown are remembered (exercise id → highest tier shown).
public func hintsSeenFile(root: URL) -> URL { root.appendingPathComponent(".course/hints-seen.json") }

/// Writes `exercises`' hints, in id order, as JSON to `url`.
public func writeHints(_ exercises: [ExerciseMarker], to url: URL) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
  let sorted = exercises.sorted { $0.id.compare($1.id, options: .numeric) == .orderedAscending }
  try FileManager.default.createDirectory(
    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
  try encoder.encode(sorted.map(ExerciseHints.init)).write(to: url, options: .atomic)
}

/// Every exercise's hints: from the markers in the kit, from `.course/hints.json` in a
/// student edition (whose source has no markers left).
public func loadHints(root: URL) throws -> [ExerciseHints] {
  let markers = try discoverExercises(root: root)
  if !markers.isEmpty { return markers.map(ExerciseHints.init) }
  let url = hintsFile(root: root)
  guard let data = try? Data(contentsOf: url) else {
    throw CourseToolError(
      "\(root.path) has no exercise markers and no \(url.path): run this in the kit or in a student edition")
  }
  do {
    return try JSONDecoder().decode([ExerciseHints].self, from: data)
  } catch {
    throw CourseToolError("\(url.path): not a hints file (expected a JSON list of {id, title, file, tiers})")
  }
}

/// What `course hint` shows: the exercise and the tiers revealed so far.
public struct HintReveal: Equatable, Sendable {
  public var exercise: ExerciseHints
  /// How many tiers are shown (1-based count, at most `exercise.tiers.count`).
  public var shown: Int
  /// Whether a further tier remains.
  public var hasMore: Bool { shown < exercise.tiers.count }

  /// The text a student reads.
  public var text: String {
    let count = exercise.tiers.count
    var lines = ["Exercise \(exercise.id) \"\(exercise.title)\" (\(exercise.file))"]
    for (i, tier) in exercise.tiers.prefix(shown).enumerated() {
      lines.append("hint \(i + 1) of \(count): \(tier)")
    }
    lines.append(
      hasMore
        ? "(run `swift run course hint \(exercise.id)` again for hint \(shown + 1) of \(count))"
        : "(that is every hint: the tests in Tests/Lesson\(exercise.id.split(separator: ".")[0])Tests say what is checked)"
    )
    return lines.joined(separator: "\n")
  }
}

/// Reveals exercise `id`'s hints up to `tier`, or one tier further than last time when `tier`
/// is nil (tier 1 the first time), and remembers how far the student has got.
public func revealHint(id: String, tier: Int? = nil, root: URL) throws -> HintReveal {
  let all = try loadHints(root: root)
  guard let exercise = all.first(where: { $0.id == id }) else {
    throw CourseToolError(
      "no exercise \(id); the exercises are \(all.map(\.id).joined(separator: ", "))")
  }
  if let tier, tier < 1 { throw CourseToolError("--tier must be 1 or more, got \(tier)") }
  let seenURL = hintsSeenFile(root: root)
  var seen =
    (try? Data(contentsOf: seenURL)).flatMap { try? JSONDecoder().decode([String: Int].self, from: $0) }
    ?? [:]
  let shown = min(tier ?? ((seen[id] ?? 0) + 1), exercise.tiers.count)
  seen[id] = max(seen[id] ?? 0, shown)
  // Remembering is a convenience: a read-only checkout still shows the hint.
  if (try? FileManager.default.createDirectory(
    at: seenURL.deletingLastPathComponent(), withIntermediateDirectories: true)) != nil
  {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try? encoder.encode(seen).write(to: seenURL, options: .atomic)
  }
  return HintReveal(exercise: exercise, shown: shown)
}
