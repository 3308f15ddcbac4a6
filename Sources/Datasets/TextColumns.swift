// Which columns of a data file hold the text (and, for sentence-pair tasks, the second text)
// and the label: named by the caller, or found as transformers' `run_glue.py` finds them (its
// `task_to_keys` names, then its fallback, the first columns that are not the label).

import Foundation

/// The columns a labelled-text file is read from: the text, the optional second text of a
/// sentence pair (`text_pair` in transformers' tokenizer call), and the label.
public struct TextColumns: Equatable, Sendable {
  /// The column (TSV, CSV) or key (JSONL) of the first text.
  public var text: String
  /// The column of the second text of a pair, or `nil` for single texts.
  public var textPair: String?
  /// The column of the label.
  public var label: String

  public init(text: String, textPair: String? = nil, label: String = "label") {
    self.text = text
    self.textPair = textPair
    self.label = label
  }

  /// Pairs of columns recognised as sentence pairs, in the order they are tried: GLUE's
  /// (`run_glue.py`'s `task_to_keys`: MRPC, RTE, STS-B and WNLI; MNLI; QQP; QNLI) and the
  /// names of transformers' tokenizer call.
  public static let knownPairs: [(String, String)] = [
    ("sentence1", "sentence2"), ("premise", "hypothesis"), ("question1", "question2"),
    ("question", "sentence"), ("text", "text_pair"),
  ]
  /// Columns recognised as the text of single-text tasks (GLUE's SST-2 and CoLA, most Hugging
  /// Face datasets).
  public static let knownTexts = ["sentence", "text"]
  /// Label columns tried when none is named, in order: `label` (`datasets`' exports, GLUE's
  /// SST-2, QNLI, RTE), `labels`, and the label columns of GLUE's own MNLI (`gold_label`), QQP
  /// (`is_duplicate`) and MRPC (`Quality`) files.
  public static let knownLabels = ["label", "labels", "gold_label", "is_duplicate", "Quality"]
  /// Columns that are never text: row numbers and ids (`idx` in GLUE's `datasets` exports, the
  /// unnamed index column pandas writes).
  static let identifierColumns: Set<String> = ["", "idx", "id", "guid", "index", "Unnamed: 0"]

  /// The columns to read among `columns` (in file order). `text`, `textPair`, `label` are the
  /// caller's choices, `nil` to find them: the label is `label` (or `labels`); a named text
  /// without a named pair is a single text. Otherwise the first known pair, then the first known
  /// single text, then, as `run_glue.py` falls back, the first two (or only) columns other than
  /// the label that hold text: ids and columns whose value in `firstRow` is a number are
  /// passed over. Returns `nil` with the reason when no choice fits.
  public static func find(
    in columns: [String], text: String? = nil, textPair: String? = nil, label: String? = nil,
    firstRow: [String: String] = [:], labelRequired: Bool = true
  ) -> Result<TextColumns, ColumnError> {
    let present = Set(columns)
    let labelColumn: String
    if let label {
      guard present.contains(label) || !labelRequired else { return .failure(.noLabel(label, columns)) }
      labelColumn = label
    } else if let found = knownLabels.first(where: present.contains) {
      labelColumn = found
    } else if labelRequired {
      return .failure(.noLabel(nil, columns))
    } else {
      labelColumn = "label"
    }
    for named in [text, textPair].compactMap({ $0 }) where !present.contains(named) {
      return .failure(.noColumn(named, columns))
    }
    if let text {
      return .success(TextColumns(text: text, textPair: textPair, label: labelColumn))
    }
    if let pair = knownPairs.first(where: { present.contains($0.0) && present.contains($0.1) }) {
      guard textPair == nil || textPair == pair.1 else {
        return .success(TextColumns(text: pair.0, textPair: textPair, label: labelColumn))
      }
      return .success(TextColumns(text: pair.0, textPair: pair.1, label: labelColumn))
    }
    if let single = knownTexts.first(where: present.contains) {
      return .success(TextColumns(text: single, textPair: textPair, label: labelColumn))
    }
    let candidates = columns.filter { column in
      guard column != labelColumn, column != textPair, !identifierColumns.contains(column) else {
        return false
      }
      guard let value = firstRow[column] else { return true }
      return Double(value.trimmingCharacters(in: .whitespaces)) == nil
    }
    guard let first = candidates.first else { return .failure(.noText(columns)) }
    if let textPair { return .success(TextColumns(text: first, textPair: textPair, label: labelColumn)) }
    return .success(
      TextColumns(text: first, textPair: candidates.count > 1 ? candidates[1] : nil, label: labelColumn))
  }
}

/// Why a file's columns could not be read as labelled text; each names the columns found.
public enum ColumnError: Error, Equatable, Sendable, CustomStringConvertible {
  /// No column holds text.
  case noText([String])
  /// A named column is not in the file.
  case noColumn(String, [String])
  /// The label column (named, or `nil` when none of `label`, `labels` is there) is missing.
  case noLabel(String?, [String])

  public var description: String {
    switch self {
    case .noText(let columns):
      let pairs = TextColumns.knownPairs.map { "\($0.0)/\($0.1)" }.joined(separator: ", ")
      return
        "no text column among the columns \(columns): expected \(TextColumns.knownTexts.joined(separator: " or ")), a pair (\(pairs)), or a column of text that is not the label; name it with --text-column"
    case .noColumn(let name, let columns):
      return "no column named \"\(name)\" among the columns \(columns)"
    case .noLabel(let name?, let columns):
      return "no label column named \"\(name)\" among the columns \(columns)"
    case .noLabel(nil, let columns):
      return
        "no label column among the columns \(columns): expected \(TextColumns.knownLabels.joined(separator: " or ")); name it with --label-column"
    }
  }
}
