// Reading labelled text in the formats real data comes in: GLUE-style TSV with a header, CSV
// (RFC 4180), JSON Lines, and `LABEL TEXT` lines (SST-2's). Every bad row is reported with
// the file, the line and the problem; the caller chooses to stop at the first or to skip
// them and get the list.

import FileInput
import Foundation

/// A problem with a data file, naming the file, the line and what was expected.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
  public let file: String
  public let line: Int
  public let problem: String
  public var description: String { line > 0 ? "\(file):\(line): \(problem)" : "\(file): \(problem)" }

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

  /// The format a file's name suggests: `.csv` CSV, `.jsonl` (`.json`, `.ndjson`) JSON Lines,
  /// anything else TSV (GLUE's `.tsv`, the kit's files).
  public init(inferredFrom path: String) {
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "csv": self = .csv
    case "jsonl", "json", "ndjson": self = .jsonl
    default: self = .tsv
    }
  }
}

/// Examples read from a file, the rows that were left out, and the columns read.
public struct LoadedExamples: Sendable {
  public var examples: [Example]
  public var skipped: [DatasetError]
  /// The columns the text, pair and label came from (`nil` for `label-text` files).
  public var columns: TextColumns?
}

/// Reads labelled examples from `url`. `textField`, `textPairField` and `labelField` name the
/// columns (TSV, CSV) or keys (JSONL); left `nil`, they are found as transformers' `run_glue.py`
/// finds them (`TextColumns.find`: `sentence`, `text`, pairs such as `sentence1`/`sentence2`,
/// else the first columns of text that are not the label), and a file where none fits is
/// refused with the columns it has. Labels are read as strings (JSON numbers as their digits);
/// `labels`, when given, is the closed set of labels (others are bad rows). With
/// `requireLabels: false` (text to classify) a missing label column or value gives label "".
public func readExamples(
  _ url: URL, format: DataFormat, textField: String? = nil, textPairField: String? = nil,
  labelField: String? = nil, labels: Set<String>? = nil, onBadRow policy: BadRowPolicy = .stop,
  requireLabels: Bool = true
) throws -> LoadedExamples {
  let file = url.path
  guard let data = FileManager.default.contents(atPath: file) else {
    let exists = FileManager.default.fileExists(atPath: file)
    throw DatasetError(
      file: file, line: 0,
      permissionProblem(reading: file) ?? (exists ? "cannot read the file" : "no such file"))
  }
  guard var text = String(data: data, encoding: .utf8) else {
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
  if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }  // a spreadsheet's BOM
  // Windows line endings: in a Swift String "\r\n" is ONE Character, so splitting on "\n" would
  // see a CRLF file as a single line.
  text = text.replacingOccurrences(of: "\r\n", with: "\n")
  var result = LoadedExamples(examples: [], skipped: [], columns: nil)
  func bad(_ line: Int, _ problem: String) throws {
    let error = DatasetError(file: file, line: line, problem)
    if policy == .stop { throw error }
    result.skipped.append(error)
  }
  func accept(_ line: Int, label: String?, text: String?, pair: String? = nil, expectsPair: Bool = false)
    throws
  {
    let label = requireLabels ? label : label ?? ""
    guard let label, !label.isEmpty || !requireLabels else { return try bad(line, "missing label") }
    guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
      return try bad(line, "empty text")
    }
    if expectsPair && (pair ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
      return try bad(line, "empty second text (the pair)")
    }
    if requireLabels, let labels, !labels.contains(label) {
      return try bad(
        line, "unknown label \"\(label)\" (expected one of \(labels.sorted().joined(separator: ", ")))")
    }
    result.examples.append(Example(label: label, text: text, textPair: expectsPair ? pair : nil))
  }
  if format == .labelText {
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = line.hasSuffix("\r") ? line.dropLast() : line
      if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
      let parts = line.split(separator: " ", maxSplits: 1)
      try accept(
        index + 1, label: parts.first.map(String.init), text: parts.count > 1 ? String(parts[1]) : nil)
    }
    return result
  }
  let table = try readTable(text, format: format, file: file)
  if table.columns.isEmpty {  // JSON Lines without a single object
    guard let first = table.records.first else {
      throw DatasetError(file: file, line: 1, "empty file; expected one JSON object per line")
    }
    throw DatasetError(file: file, line: first.line, first.problem)
  }
  let columns: TextColumns
  switch TextColumns.find(
    in: table.columns, text: textField, textPair: textPairField, label: labelField,
    firstRow: table.records.lazy.compactMap(\.fields).first ?? [:], labelRequired: requireLabels)
  {
  case .success(let found): columns = found
  case .failure(let error): throw DatasetError(file: file, line: 1, error.description)
  }
  result.columns = columns
  for record in table.records {
    guard let fields = record.fields else {
      try bad(record.line, record.problem)
      continue
    }
    try accept(
      record.line, label: fields[columns.label], text: fields[columns.text],
      pair: columns.textPair.flatMap { fields[$0] }, expectsPair: columns.textPair != nil)
  }
  return result
}

/// A file's columns (in file order) and its rows as column → value.
struct Table {
  var columns: [String]
  /// Each data row: its fields, or the problem that makes it unreadable.
  var records: [(line: Int, fields: [String: String]?, problem: String)]
}

/// TSV and CSV: the header's columns; JSONL: the keys of the first object, in the order written.
/// JSON strings are read as they are, numbers and booleans as their text.
func readTable(_ text: String, format: DataFormat, file: String) throws -> Table {
  switch format {
  case .tsv, .csv:
    let rows = format == .tsv ? splitTSV(text) : try parseCSV(text, file: file)
    guard let header = rows.first else {
      throw DatasetError(file: file, line: 1, "empty file; expected a header row")
    }
    var table = Table(columns: header.fields, records: [])
    for row in rows.dropFirst() {
      if row.fields == [""] { continue }  // a blank line
      guard row.fields.count == header.fields.count else {
        table.records.append(
          (row.line, nil, "\(row.fields.count) columns, the header has \(header.fields.count)"))
        continue
      }
      table.records.append((row.line, Dictionary(zip(header.fields, row.fields)) { first, _ in first }, ""))
    }
    return table
  case .jsonl, .labelText:
    var table = Table(columns: [], records: [])
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
      guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
        table.records.append((index + 1, nil, "not a JSON object"))
        continue
      }
      // `datasets` (pyarrow) refuses such a row; JSONSerialization would keep one of the values.
      if let duplicate = firstDuplicateJSONKey(in: Data(line.utf8)) {
        table.records.append((index + 1, nil, duplicate.description))
        continue
      }
      if table.columns.isEmpty { table.columns = jsonKeys(line) }
      table.records.append(
        (
          index + 1,
          object.compactMapValues { value -> String? in
            if let string = value as? String { return string }
            if let number = value as? NSNumber { return number.stringValue }
            return nil
          }, ""
        ))
    }
    return table
  }
}

/// The keys of a JSON object's top level in the order they are written (`JSONSerialization`
/// forgets the order, and the fallback column is the first one).
func jsonKeys(_ line: Substring) -> [String] {
  var keys: [String] = []
  var depth = 0
  var inString = false
  var escaped = false
  var current = ""
  var last: String? = nil  // a string just closed at depth 1, a key if a colon follows
  for c in line.unicodeScalars {
    if inString {
      if escaped {
        escaped = false
      } else if c == "\\" {
        escaped = true
      } else if c == "\"" {
        inString = false
        if depth == 1 { last = current }
        continue
      }
      current.unicodeScalars.append(c)
      continue
    }
    switch c {
    case "\"":
      inString = true
      current = ""
    case "{", "[": depth += 1
    case "}", "]": depth -= 1
    case ":":
      if let key = last, depth == 1 {
        // Decode escapes as JSON does.
        let decoded = try? JSONSerialization.jsonObject(
          with: Data("\"\(key)\"".utf8), options: .fragmentsAllowed)
        keys.append(decoded as? String ?? key)
      }
    default: break
    }
    if !c.properties.isWhitespace { last = nil }
  }
  return keys
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

  /// The labels that occur in `examples`, sorted: as numbers when every label is an integer
  /// (class ids, as Hugging Face datasets export them: "10" after "9"), else as strings.
  public init(from examples: [Example]) { labels = Self.sorted(Set(examples.map(\.label))) }

  /// `labels` in class-id order: numerically when all are integers, else as strings.
  public static func sorted(_ labels: Set<String>) -> [String] {
    guard labels.allSatisfy({ Int($0) != nil }) else { return labels.sorted() }
    return labels.sorted { (Int($0)!, $0) < (Int($1)!, $1) }
  }

  /// The class id of `label`, or nil if unknown.
  public func id(_ label: String) -> Int? { labels.firstIndex(of: label) }
}
