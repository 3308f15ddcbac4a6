// Probes for the mutation check: at the start of each exercise's solution, a line that prints
// (once per process, on standard error) that the exercise's code ran. A test process's output then
// says which exercises its tests reached, which is what makes several wrong solutions in one
// build sound: an exercise's failing tests count only if they reached no other mutated exercise.

import Foundation

/// The text a probe prints, followed by the exercise id.
let probeMarker = "course-probe: reached exercise "

/// `source` with a probe after each exercise's hint lines, its flag at the end of the file and
/// `import Foundation` if the file lacks it. A solution that is a single expression (an implicit
/// return, such as `noGrad { ... }`) gets an explicit `return`, since the probe makes it two
/// statements.
func probedSource(_ source: String, file: String) throws -> String {
  let lines = source.components(separatedBy: "\n")
  let exercises = try scanExercises(lines: lines, file: file)
  guard !exercises.isEmpty else { return source }
  var out = lines
  // Bottom-up, so that the line numbers above stay valid.
  for e in exercises.reversed() {
    let pad = e.indentation
    let firstCode = e.marker.endLine - 1 - e.body.count  // 0-based index of the first solution line
    let flag = probeFlag(e.marker.id)
    let closers = ["}", ")", "]", ".", "//"]
    let statements = e.body.filter { line in
      line.hasPrefix(pad) && !line.dropFirst(pad.count).hasPrefix(" ")
        && !closers.contains { line.dropFirst(pad.count).hasPrefix($0) }
    }
    let keywords = ["return", "var ", "let ", "if ", "guard ", "for ", "while ", "switch ", "do "]
    if statements.count == 1, let line = statements.first,
      !keywords.contains(where: { line.dropFirst(pad.count).hasPrefix($0) }),
      let index = out[firstCode..<(e.marker.endLine - 1)].firstIndex(of: line)
    {
      out[index] = pad + "return " + line.dropFirst(pad.count)
    }
    out.insert(
      pad
        + "if !\(flag) { \(flag) = true; FileHandle.standardError.write(Data(\"\(probeMarker)\(e.marker.id)\\n\".utf8)) }",
      at: firstCode)
  }
  if !out.contains("import Foundation") {
    let lastImport = out.lastIndex { $0.hasPrefix("import ") || $0.hasPrefix("@testable import ") }
    out.insert("import Foundation", at: lastImport.map { $0 + 1 } ?? 0)
  }
  out.append("")
  for e in exercises { out.append("nonisolated(unsafe) private var \(probeFlag(e.marker.id)) = false") }
  return out.joined(separator: "\n")
}

/// The file-private flag of an exercise's probe.
func probeFlag(_ id: String) -> String { "courseProbe_" + id.replacingOccurrences(of: ".", with: "_") }

/// The exercises whose probes printed in `output`.
func probedExercises(in output: String) -> Set<String> { Set(probedExerciseOrder(in: output)) }
