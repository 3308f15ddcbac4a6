// Grading a submission that does not compile: the exercise whose code breaks the build gets zero,
// and its stub (the student edition's `Exercise.unfinished` call) is put back so that the
// others can still be built and graded.

import Foundation

/// One compiler error: the file relative to the submission's root, its line and the message.
struct CompileError: Equatable {
  var file: String
  var line: Int
  var text: String
}

/// The `path:line:column: error: message` lines of a build's output, for files under `root`.
func compileErrors(in output: String, root: URL) -> [CompileError] {
  let prefix = root.standardizedFileURL.path + "/"
  var errors: [CompileError] = []
  for line in output.split(separator: "\n") {
    guard let errorRange = line.range(of: ": error: ") else { continue }
    let location = line[..<errorRange.lowerBound].split(separator: ":")
    guard location.count >= 2, let number = Int(location[1]) else { continue }
    var path = String(location[0])
    if path.hasPrefix(prefix) { path.removeFirst(prefix.count) }
    let error = CompileError(file: path, line: number, text: String(line[errorRange.upperBound...]))
    if !errors.contains(error) { errors.append(error) }
  }
  return errors
}

/// The lines an exercise occupies in a student's file: from its `// EXERCISE N.M` comment to the
/// end of the block (function or closure body) that holds it. In the kit's file, the same from its
/// `// BEGIN EXERCISE N.M` marker, so that its reference solution can be put in the student's place.
/// Nil when the file has no such comment or the block never closes.
func exerciseRegion(_ id: String, in lines: [String]) -> Range<Int>? {
  guard
    let start = lines.firstIndex(where: {
      let line = $0.trimmingCharacters(in: .whitespaces)
      return line.hasPrefix("// EXERCISE \(id) ") || line.hasPrefix("// BEGIN EXERCISE \(id) ")
    })
  else { return nil }
  var depth = 0
  for index in start..<lines.count {
    depth += braceBalance(of: lines[index])
    if depth < 0 { return start..<index }
  }
  return nil
}

/// Opening minus closing braces on a line of Swift, outside comments and string literals.
func braceBalance(of line: String) -> Int {
  var balance = 0
  var inString = false
  var previous: Character = " "
  for character in line {
    if inString {
      if character == "\"" && previous != "\\" { inString = false }
    } else if character == "\"" {
      inString = true
    } else if character == "/" && previous == "/" {
      break
    } else if character == "{" {
      balance += 1
    } else if character == "}" {
      balance -= 1
    }
    previous = character
  }
  return balance
}

/// `submission` with the exercises `ids` put back as the student edition has them
/// (`editionSource`), each region replaced from its `// EXERCISE` comment to the end of its block.
/// Returns nil when a region cannot be found in either file.
func puttingBackStubs(_ ids: [String], in submission: String, edition editionSource: String) -> String? {
  var lines = submission.components(separatedBy: "\n")
  let edition = editionSource.components(separatedBy: "\n")
  // Bottom-up, so that the regions above keep their line numbers.
  let regions = ids.compactMap { id in exerciseRegion(id, in: lines).map { (id, $0) } }
  guard regions.count == ids.count else { return nil }
  for (id, region) in regions.sorted(by: { $0.1.lowerBound > $1.1.lowerBound }) {
    guard let stub = exerciseRegion(id, in: edition) else { return nil }
    lines.replaceSubrange(region, with: edition[stub])
  }
  return lines.joined(separator: "\n")
}

/// Which exercises the errors fall in: for each error in a file that holds exercises, the
/// exercise whose region contains its line. Errors elsewhere are returned apart.
func attribute(
  _ errors: [CompileError], exercises: [ExerciseMarker], readLines: (String) -> [String]?
) -> (broken: [String: String], unattributed: [CompileError]) {
  var broken: [String: String] = [:]
  var unattributed: [CompileError] = []
  for error in errors {
    let candidates = exercises.filter { $0.file == error.file }
    guard let lines = readLines(error.file),
      let exercise = candidates.first(where: {
        exerciseRegion($0.id, in: lines)?.contains(error.line - 1) == true
      })
    else {
      unattributed.append(error)
      continue
    }
    if broken[exercise.id] == nil { broken[exercise.id] = "\(error.file):\(error.line): \(error.text)" }
  }
  return (broken, unattributed)
}

/// Puts back the stubs of the exercises whose code does not compile in the submission at `work`,
/// rebuilding after each round, until it builds or no error can be pinned on an exercise.
/// Returns each exercise put back with its first error, and the last build.
func repairBuild(
  work: URL, kitRoot: URL, exercises: [ExerciseMarker], failedBuild: ProcessResult,
  rebuild: () throws -> ProcessResult
) throws -> (broken: [String: String], build: ProcessResult) {
  var build = failedBuild
  var broken: [String: String] = [:]
  // A few rounds: fixing one exercise's errors can reveal the next one's.
  for _ in 0..<4 where !build.succeeded {
    let errors = compileErrors(in: build.output, root: work)
    let found = attribute(errors, exercises: exercises) { file in
      try? String(contentsOf: work.appendingPathComponent(file), encoding: .utf8)
        .components(separatedBy: "\n")
    }
    let fresh = found.broken.filter { broken[$0.key] == nil }
    guard found.unattributed.isEmpty, !fresh.isEmpty else { break }
    for file in Set(fresh.keys.compactMap { id in exercises.first { $0.id == id }?.file }) {
      let url = work.appendingPathComponent(file)
      let kitSource = try String(contentsOf: kitRoot.appendingPathComponent(file), encoding: .utf8)
      let edition = try studentVersion(of: kitSource, file: file)
      let ids = fresh.keys.filter { id in exercises.contains { $0.id == id && $0.file == file } }.sorted()
      guard
        let repaired = puttingBackStubs(
          ids, in: try String(contentsOf: url, encoding: .utf8), edition: edition)
      else { return (broken.merging(fresh) { a, _ in a }, build) }
      try Data(repaired.utf8).write(to: url)
    }
    broken.merge(fresh) { a, _ in a }
    build = try rebuild()
  }
  return (broken, build)
}
