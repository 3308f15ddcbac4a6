// Single-source code cells: a lesson shows the lines it runs, cut from its own file between two
// marker comments, instead of a copy in a string that could drift from the code (and that the
// compiler never checks).
import Foundation

/// A code cell's markers missing or out of order.
public struct CodeCellError: Error, Equatable {
  /// What is wrong, naming the cell.
  public let message: String
}

/// The lines of `source` between `// cell: NAME` and `// end cell: NAME` (each alone on its line,
/// indented or not), with their common indentation removed and blank lines at either end dropped.
/// Cells may nest (a section shows a whole helper, a later one a few of its lines): the markers of
/// other cells inside are dropped from the text.
public func codeCell(_ name: String, in source: String) throws -> String {
  let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  func marker(_ text: String) -> [Int] {
    lines.indices.filter { lines[$0].trimmingCharacters(in: .whitespaces) == text }
  }
  let (starts, ends) = (marker("// cell: \(name)"), marker("// end cell: \(name)"))
  guard starts.count == 1, ends.count == 1 else {
    throw CodeCellError(
      message:
        "cell \(name): expected one `// cell: \(name)` and one `// end cell: \(name)`, found \(starts.count) and \(ends.count)"
    )
  }
  guard starts[0] < ends[0] else {
    throw CodeCellError(message: "cell \(name): `// end cell: \(name)` comes before `// cell: \(name)`")
  }
  var body = Array(lines[(starts[0] + 1)..<ends[0]]).filter { !isMarker($0) }
  while body.first?.allSatisfy(\.isWhitespace) == true { body.removeFirst() }
  while body.last?.allSatisfy(\.isWhitespace) == true { body.removeLast() }
  let indent =
    body.filter { !$0.allSatisfy(\.isWhitespace) }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
  return body.map { $0.allSatisfy(\.isWhitespace) ? "" : String($0.dropFirst(indent)) }
    .joined(separator: "\n")
}

/// Whether `line` is a cell marker, `// cell: NAME` or `// end cell: NAME`.
func isMarker(_ line: String) -> Bool {
  let text = line.trimmingCharacters(in: .whitespaces)
  return text.hasPrefix("// cell: ") || text.hasPrefix("// end cell: ")
}
