// Reading labelled text in the formats real data comes in: GLUE-style TSV with a header, CSV
// (RFC 4180), JSON Lines, and `LABEL TEXT` lines (SST-2's). Every bad row is reported with
// the file, the line and the problem; the caller chooses to stop at the first or to skip
// them and get the list.

import Foundation

/// A problem with a data file, naming the file, the line and what was expected.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
  public let file: String
  public let line: Int
  public let problem: String
  public var description: String { "\(file):\(line): \(problem)" }

  public init(file: String, line: Int, _ problem: String) {
    self.file = file
    self.line = line
    self.problem = problem
  }
}

/// What to do with a bad row.
public enum BadRowPolicy: Sendable {
  /// Throw the first problem.
  case stop
  /// Leave the row out and report it in `LoadedExamples.skipped`.
  case skipAndCount
}

/// The formats `readExamples` understands.
public enum DataFormat: String, Sendable, CaseIterable {
  /// Tab-separated, first line a header naming the columns (GLUE).
  case tsv
  /// Comma-separated with a header, quoted fields may hold commas, quotes ("") and line breaks.
  case csv
  /// One JSON object per line.
  case jsonl
  /// `LABEL TEXT` per line, the label the first word (SST-2's stsa files).
  case labelText = "label-text"
}

/// Examples read from a file, and the rows that were left out.
public struct LoadedExamples: Sendable {
  public var examples: [Example]
  public var skipped: [DatasetError]
}

/// Reads labelled examples from `url`. `textField`/`labelField` name the columns (TSV, CSV) or
/// keys (JSONL); `labels`, when given, is the closed set of labels (others are bad rows).
public func readExamples(
  _ url: URL, format: DataFormat, textField: String = "text", labelField: String = "label",
  labels: Set<String>? = nil, onBadRow policy: BadRowPolicy = .stop
) throws -> LoadedExamples {
  let file = url.path
  guard let data = FileManager.default.contents(atPath: file) else {
    throw DatasetError(file: file, line: 0, "cannot read the file")
  }
  guard let text = String(data: data, encoding: .utf8) else {
    // Find the first line that is not UTF-8, to point at it.
    var line = 1
    var start = 0
    let bytes = [UInt8](data)
    for (i, b) in bytes.enumerated() where b == 0x0A {
      if String(bytes: bytes[start..<i], encoding: .utf8) == nil { break }
      line += 1
      start = i + 1
    }
    throw DatasetError(file: file, line: line, "invalid UTF-8")
  }
  var result = LoadedExamples(examples: [], skipped: [])
  func bad(_ line: Int, _ problem: String) throws {
    let error = DatasetError(file: file, line: line, problem)
    if policy == .stop { throw error }
    result.skipped.append(error)
  }
  func accept(_ line: Int, label: String?, text: String?) throws {
    guard let label, !label.isEmpty else { return try bad(line, "missing label") }
    guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
      return try bad(line, "empty text")
    }
    if let labels, !labels.contains(label) {
      return try bad(
        line, "unknown label \"\(label)\" (expected one of \(labels.sorted().joined(separator: ", ")))")
    }
    result.examples.append(Example(label: label, text: text))
  }
  switch format {
  case .tsv, .csv:
    let rows = format == .tsv ? splitTSV(text) : try parseCSV(text, file: file)
    guard let header = rows.first else {
      throw DatasetError(file: file, line: 1, "empty file; expected a header row")
    }
    guard let textColumn = header.fields.firstIndex(of: textField) else {
      throw DatasetError(
        file: file, line: 1, "no column named \"\(textField)\" in the header \(header.fields)")
    }
    guard let labelColumn = header.fields.firstIndex(of: labelField) else {
      throw DatasetError(
        file: file, line: 1, "no column named \"\(labelField)\" in the header \(header.fields)")
    }
    for row in rows.dropFirst() {
      if row.fields == [""] { continue }  // a blank line
      guard row.fields.count == header.fields.count else {
        try bad(row.line, "\(row.fields.count) columns, the header has \(header.fields.count)")
        continue
      }
      try accept(row.line, label: row.fields[labelColumn], text: row.fields[textColumn])
    }
  case .jsonl:
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
      guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
        try bad(index + 1, "not a JSON object")
        continue
      }
      let label = object[labelField].map { value -> String in
        if let n = value as? NSNumber { return n.stringValue }
        return value as? String ?? "\(value)"
      }
      try accept(index + 1, label: label, text: object[textField] as? String)
    }
  case .labelText:
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = line.hasSuffix("\r") ? line.dropLast() : line
      if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
      let parts = line.split(separator: " ", maxSplits: 1)
      try accept(
        index + 1, label: parts.first.map(String.init), text: parts.count > 1 ? String(parts[1]) : nil)
    }
  }
  return result
}

/// A row of fields and the line it starts on.
struct Row {
  var fields: [String]
  var line: Int
}

func splitTSV(_ text: String) -> [Row] {
  var rows = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { index, line in
    Row(
      fields: (line.hasSuffix("\r") ? line.dropLast() : line).split(
        separator: "\t", omittingEmptySubsequences: false
      ).map(String.init), line: index + 1)
  }
  if rows.last?.fields == [""] { rows.removeLast() }
  return rows
}

/// RFC 4180 CSV: fields in double quotes may hold commas, line breaks and "" for a quote.
func parseCSV(_ text: String, file: String) throws -> [Row] {
  var rows: [Row] = []
  var fields: [String] = []
  var field = ""
  var quoted = false
  var line = 1
  var rowLine = 1
  var chars = Array(text.unicodeScalars)
  if chars.last != "\n" { chars.append("\n") }
  var i = 0
  while i < chars.count {
    let c = chars[i]
    if quoted {
      if c == "\"" {
        if i + 1 < chars.count && chars[i + 1] == "\"" {
          field.unicodeScalars.append("\"")
          i += 1
        } else {
          quoted = false
        }
      } else {
        if c == "\n" { line += 1 }
        field.unicodeScalars.append(c)
      }
    } else if c == "\"" && field.isEmpty {
      quoted = true
    } else if c == "," {
      fields.append(field)
      field = ""
    } else if c == "\n" || c == "\r" {
      if c == "\r" && i + 1 < chars.count && chars[i + 1] == "\n" { i += 1 }
      fields.append(field)
      rows.append(Row(fields: fields, line: rowLine))
      fields = []
      field = ""
      line += 1
      rowLine = line
    } else {
      field.unicodeScalars.append(c)
    }
    i += 1
  }
  if quoted { throw DatasetError(file: file, line: rowLine, "a quoted field is never closed") }
  return rows
}

/// Labels ↔ class ids, in a fixed order (the order of `labels.txt`, or sorted).
public struct LabelMap: Equatable, Sendable {
  public let labels: [String]

  public init(_ labels: [String]) { self.labels = labels }

  /// The labels that occur in `examples`, sorted.
  public init(from examples: [Example]) { labels = Array(Set(examples.map(\.label))).sorted() }

  /// The class id of `label`, or nil if unknown.
  public func id(_ label: String) -> Int? { labels.firstIndex(of: label) }
}
