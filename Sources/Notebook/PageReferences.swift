// What a lesson page links to besides the lesson's own cells: the exercises (read from their
// markers in the kit's source) and the glossary (docs/glossary.md), whose terms are linked where
// the narration first uses them.

import Foundation

/// An exercise as its BEGIN marker describes it.
struct PageExercise: Equatable {
  var id: String
  var title: String
  var points: Int
  /// The file, relative to the package root.
  var file: String

  /// `// BEGIN EXERCISE L.N "Title" points=P [timeout=S]`, as Sources/CourseTools/ExerciseMarkers.swift reads it.
  nonisolated(unsafe) static let begin = #/^\s*// BEGIN EXERCISE (\d+)\.(\d+) "([^"]+)" points=(\d+).*$/#

  /// The exercises of `lesson` in the .swift files under Sources/ and Lessons/, in their order.
  static func scan(root: URL, lesson: Int) throws -> [PageExercise] {
    var found: [(minor: Int, exercise: PageExercise)] = []
    for folder in ["Sources", "Lessons"] {
      let base = root.appendingPathComponent(folder)
      guard let walker = FileManager.default.enumerator(atPath: base.path) else { continue }
      for case let path as String in walker where path.hasSuffix(".swift") {
        let file = folder + "/" + path
        let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        guard text.contains("BEGIN EXERCISE \(lesson).") else { continue }
        let lines = text.components(separatedBy: "\n")
        for line in lines {
          guard let m = line.wholeMatch(of: begin), Int(m.1) == lesson, let minor = Int(m.2) else { continue }
          found.append(
            (
              minor,
              PageExercise(
                id: "\(lesson).\(minor)", title: String(m.3), points: Int(m.4) ?? 0, file: file)
            ))
        }
      }
    }
    return found.sorted { $0.minor < $1.minor }.map(\.exercise)
  }
}

/// The entries of docs/glossary.md: each `## Term` heading, with the other words that name it
/// from an `<!-- also: word, other word -->` line under the heading.
struct Glossary: Equatable {
  struct Entry: Equatable {
    var heading: String
    /// The heading and its other names, each matched as a whole word, any case, plural or not.
    var names: [String]
    var anchor: String { githubAnchor(heading) }
  }

  var entries: [Entry]

  init(entries: [Entry]) { self.entries = entries }

  /// Reads the glossary at `file`; nil when there is none.
  init?(file: URL) throws {
    guard FileManager.default.fileExists(atPath: file.path) else { return nil }
    self.init(markdown: try String(contentsOf: file, encoding: .utf8))
  }

  /// Parses the glossary's Markdown.
  init(markdown: String) {
    var entries: [Entry] = []
    for line in markdown.components(separatedBy: "\n") {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.hasPrefix("## ") {
        let heading = String(trimmed.dropFirst(3)).trimmingCharacters(in: .whitespaces)
        entries.append(Entry(heading: heading, names: [heading]))
      } else if trimmed.hasPrefix("<!-- also:"), trimmed.hasSuffix("-->"), !entries.isEmpty {
        let list = trimmed.dropFirst("<!-- also:".count).dropLast(3)
        entries[entries.count - 1].names += list.split(separator: ",").map {
          $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
      }
    }
    self.entries = entries
  }
}

/// Escapes narration for Markdown and links the first use of each glossary term on the page.
struct GlossaryLinker {
  let glossary: Glossary?
  /// The glossary's address relative to the page.
  let link: String
  /// Each entry with the patterns of its names, compiled once.
  let patterns: [(entry: Glossary.Entry, regexes: [Regex<AnyRegexOutput>])]
  var linked: Set<String> = []

  init(glossary: Glossary?, link: String) {
    self.glossary = glossary
    self.link = link
    patterns = (glossary?.entries ?? []).map { entry in
      (entry, entry.names.compactMap(GlossaryLinker.pattern))
    }
  }

  /// A whole-word, case-insensitive pattern for a name, plural or not.
  static func pattern(_ name: String) -> Regex<AnyRegexOutput>? {
    let special = Set("\\^$.|?*+()[]{}/-")
    let escaped = name.map { special.contains($0) ? "\\" + String($0) : String($0) }.joined()
    return try? Regex("\\b" + escaped + "(?:s|es)?\\b").ignoresCase()
  }

  /// `text` as Markdown, with links to the glossary entries it uses for the first time.
  mutating func markdown(_ text: String) -> String {
    guard glossary != nil else { return escapeMarkdown(text) }
    var out = ""
    for part in splitCodeSpans(text) {
      if part.code {
        out += part.text
        continue
      }
      var rest = Substring(part.text)
      while true {
        // The earliest (then longest) use of a term not linked yet.
        var best: (range: Range<Substring.Index>, entry: Glossary.Entry)?
        for (entry, regexes) in patterns where !linked.contains(entry.heading) {
          for regex in regexes {
            guard let m = rest.firstMatch(of: regex) else { continue }
            if let current = best,
              m.range.lowerBound > current.range.lowerBound
                || (m.range.lowerBound == current.range.lowerBound
                  && rest.distance(from: m.range.lowerBound, to: m.range.upperBound)
                    <= rest.distance(from: current.range.lowerBound, to: current.range.upperBound))
            {
              continue
            }
            best = (m.range, entry)
          }
        }
        guard let best else { break }
        out += escapePlain(String(rest[..<best.range.lowerBound]))
        out += "[\(escapePlain(String(rest[best.range])))](\(link)#\(best.entry.anchor))"
        linked.insert(best.entry.heading)
        rest = rest[best.range.upperBound...]
      }
      out += escapePlain(String(rest))
    }
    return out
  }
}
