// Exercise markers in the kit's source, and what the student edition puts in their place.
//
//     // BEGIN EXERCISE 1.1 "Squared difference" points=2 [timeout=30]
//     // hint: one or more hint lines (tier 1: a nudge)
//     // hint 2: optional further tiers, each more specific, none the answer
//     // hint 3: ...
//     ...the solution...
//     // END EXERCISE 1.1

import Foundation

/// One exercise, as its markers describe it.
public struct ExerciseMarker: Equatable, Sendable {
  public var id: String
  public var title: String
  public var points: Int
  /// Seconds each of its tests may run when graded (nil: the grader's default).
  public var timeout: Int?
  public var hint: String
  /// Every tier of hints, the first being `hint`; later tiers say more and never the answer.
  public var hintTiers: [String] = []
  /// The file, relative to the package root.
  public var file: String
  /// 1-based line numbers of the BEGIN and END markers.
  public var beginLine: Int
  public var endLine: Int
  /// The lesson number: the part of the id before the dot.
  public var lesson: Int { Int(id.split(separator: ".").first ?? "") ?? 0 }
}

/// A problem with the markers or tests, naming the file and line.
public struct CourseToolError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
  init(file: String, line: Int, _ problem: String) { description = "\(file):\(line): \(problem)" }
}

nonisolated(unsafe) let beginPattern =
  #/^(\s*)// BEGIN EXERCISE (\d+\.\d+) "([^"]+)" points=(\d+)(?: timeout=(\d+))?\s*$/#
nonisolated(unsafe) let endPattern = #/^\s*// END EXERCISE (\S+)\s*$/#

/// Finds the exercises in one source file.
public func parseExercises(in source: String, file: String) throws -> [ExerciseMarker] {
  try scanExercises(lines: source.components(separatedBy: "\n"), file: file).map(\.marker)
}

/// A marker with the lines it spans, for rewriting.
struct ScannedExercise {
  var marker: ExerciseMarker
  var indentation: String
  var body: [String]
}

func scanExercises(lines: [String], file: String) throws -> [ScannedExercise] {
  var found: [ScannedExercise] = []
  var open: ScannedExercise?
  for (index, line) in lines.enumerated() {
    let number = index + 1
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    if trimmed.hasPrefix("// BEGIN EXERCISE") {
      if let open {
        throw CourseToolError(
          file: file, line: number, "exercise \(open.marker.id) is not closed before a new BEGIN")
      }
      guard let m = line.wholeMatch(of: beginPattern) else {
        throw CourseToolError(
          file: file, line: number,
          "malformed marker; expected // BEGIN EXERCISE <lesson>.<n> \"<title>\" points=<n> [timeout=<seconds>]"
        )
      }
      guard let points = Int(m.4), points > 0 else {
        throw CourseToolError(file: file, line: number, "points must be a positive integer")
      }
      let marker = ExerciseMarker(
        id: String(m.2), title: String(m.3), points: points, timeout: m.5.flatMap { Int($0) }, hint: "",
        file: file,
        beginLine: number, endLine: number)
      open = ScannedExercise(marker: marker, indentation: String(m.1), body: [])
    } else if trimmed.hasPrefix("// END EXERCISE") {
      guard var current = open else {
        throw CourseToolError(file: file, line: number, "END EXERCISE without a BEGIN")
      }
      guard let m = line.wholeMatch(of: endPattern), m.1 == current.marker.id else {
        throw CourseToolError(file: file, line: number, "expected // END EXERCISE \(current.marker.id)")
      }
      let hints = current.body.prefix { hintLine($0) != nil }
      guard let first = hints.first.flatMap(hintLine), first.tier == 1 else {
        throw CourseToolError(
          file: file, line: current.marker.beginLine,
          "exercise \(current.marker.id) needs a // hint: line after BEGIN")
      }
      var tiers: [String] = []
      for line in hints {
        let (tier, text) = hintLine(line)!
        if tier == tiers.count {
          tiers[tier - 1] += " " + text
        } else if tier == tiers.count + 1 {
          tiers.append(text)
        } else {
          throw CourseToolError(
            file: file, line: current.marker.beginLine,
            "exercise \(current.marker.id): hint tiers must come in order (// hint:, // hint 2:, // hint 3:)")
        }
      }
      current.marker.hint = tiers[0]
      current.marker.hintTiers = tiers
      current.body.removeFirst(hints.count)
      current.marker.endLine = number
      found.append(current)
      open = nil
    } else {
      open?.body.append(line)
    }
  }
  if let open {
    throw CourseToolError(
      file: file, line: open.marker.beginLine, "exercise \(open.marker.id) has no // END EXERCISE")
  }
  var seen: [String: Int] = [:]
  for e in found {
    if let first = seen[e.marker.id] {
      throw CourseToolError(
        file: file, line: e.marker.beginLine, "exercise \(e.marker.id) is also at line \(first)")
    }
    seen[e.marker.id] = e.marker.beginLine
  }
  return found
}

nonisolated(unsafe) let hintPattern = #/^\s*// hint(?: (\d+))?:\s?(.*)$/#

/// The tier and text of a `// hint:` (tier 1) or `// hint N:` line; nil for any other line.
func hintLine(_ line: String) -> (tier: Int, text: String)? {
  guard let m = line.wholeMatch(of: hintPattern) else { return nil }
  let tier = m.1.flatMap { Int($0) } ?? 1
  return (tier, m.2.trimmingCharacters(in: .whitespaces))
}

/// A Swift string literal for `text`.
func swiftLiteral(_ text: String) -> String {
  var out = "\""
  for c in text.unicodeScalars {
    switch c {
    case "\\": out += "\\\\"
    case "\"": out += "\\\""
    case "\n": out += "\\n"
    case "\t": out += "\\t"
    default: out.unicodeScalars.append(c)
    }
  }
  return out + "\""
}

/// The student's version of a source file: each solution replaced by a call that reports the
/// exercise as unfinished, and `import Exercises` added if the file has no such import.
public func studentVersion(of source: String, file: String) throws -> String {
  let lines = source.components(separatedBy: "\n")
  let exercises = try scanExercises(lines: lines, file: file)
  guard !exercises.isEmpty else { return source }
  var out: [String] = []
  var next = 0
  for e in exercises {
    out += lines[next..<(e.marker.beginLine - 1)]
    let m = e.marker
    let pad = e.indentation
    // A solution that returns a value at its own indentation gets `return` in front of the call.
    // (A single-expression solution such as `noGrad { ... }` stays an implicit return.)
    let returnsValue = e.body.contains { $0.hasPrefix(pad + "return ") }
    // The failure message gives tier 1 and says where the next tiers are.
    let message =
      m.hintTiers.count > 1 ? m.hint + " (More hints: swift run course hint \(m.id))" : m.hint
    out.append("\(pad)// EXERCISE \(m.id) \"\(m.title)\" (\(m.points) points): write your solution here.")
    out.append("\(pad)// hint: \(m.hint)")
    out.append(
      "\(pad)\(returnsValue ? "return " : "")Exercise.unfinished(\(swiftLiteral(m.id)), title: \(swiftLiteral(m.title)), "
        + "file: \(swiftLiteral(m.file)), hint: \(swiftLiteral(message)))")
    next = m.endLine
  }
  out += lines[next...]
  if !out.contains(where: { $0.hasPrefix("import Exercises") }) {
    let lastImport = out.lastIndex { $0.hasPrefix("import ") || $0.hasPrefix("@testable import ") }
    out.insert("import Exercises", at: lastImport.map { $0 + 1 } ?? 0)
  }
  return out.joined(separator: "\n")
}

/// Package.swift without the lines between `// BEGIN HIDDEN` and `// END HIDDEN` (inclusive).
public func removingHiddenBlock(from manifest: String) -> String {
  var out: [String] = []
  var hidden = false
  for line in manifest.components(separatedBy: "\n") {
    let t = line.trimmingCharacters(in: .whitespaces)
    if t == "// BEGIN HIDDEN" {
      hidden = true
    } else if t == "// END HIDDEN" {
      hidden = false
    } else if !hidden {
      out.append(line)
    }
  }
  return out.joined(separator: "\n")
}
