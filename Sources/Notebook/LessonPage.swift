// What a lesson says about itself (objectives, prerequisites, time, further reading) and the
// record of its cells from which `--markdown DIR` writes the lesson's page, DIR/lessonN.md:
//
//     let nb = Notebook(lesson: 1, title: "...", summary: "...")
//     nb.overview(
//       objectives: ["compute gradients by reverse-mode autodiff", ...],
//       prerequisites: ["Python-level programming; derivatives and the chain rule"],
//       time: "about 45 minutes, plus the exercises",
//       reading: [Reading("Karpathy, micrograd", url: "https://github.com/karpathy/micrograd")])
//
// Every cell the notebook shows (sections, narration, code, outputs, tables, charts, figures,
// questions) is recorded as it runs, so the page holds exactly what the run printed;
// MarkdownPage.swift renders it. The page needs nothing from the lesson beyond the calls it
// already makes, and two rules that keep it the same on every machine (.ci/check-lesson-pages):
// print times and speeds with their unit ("12.3 s", "480 tokens/s") or through
// `nb.measured(...)`, and show what depends on files outside the kit with `nb.localOutput(...)`.

import Foundation

/// A paper, book or course chapter a lesson recommends after it.
public struct Reading: Sendable, Equatable {
  /// How it is cited, e.g. "Devlin et al. 2019, BERT: Pre-training of deep bidirectional transformers".
  public var title: String
  /// Where to read it.
  public var url: String
  /// Why to read it, or which part (may be empty).
  public var note: String

  /// A reading with its address and, optionally, what to look for in it.
  public init(_ title: String, url: String, note: String = "") {
    self.title = title
    self.url = url
    self.note = note
  }
}

/// The lesson's objectives, prerequisites, study time and further reading.
public struct LessonOverview: Sendable, Equatable {
  /// What the learner can do after the lesson, each completing "You will".
  public var objectives: [String]
  /// What the lesson assumes (earlier lessons, maths, programming).
  public var prerequisites: [String]
  /// How long the lesson takes to study, e.g. "about an hour, plus the exercises".
  public var time: String
  /// Papers and course chapters to read next.
  public var reading: [Reading]
}

/// What `Notebook.measured(_:)` puts around a value: U+2063 INVISIBLE SEPARATOR.
let measuredMark = "\u{2063}"

/// `text` without the marks of measured values, as the terminal shows it.
func withoutMeasuredMarks(_ text: String) -> String {
  text.replacingOccurrences(of: measuredMark, with: "")
}

/// One cell of the lesson as the page shows it.
enum PageBlock: Equatable {
  case section(String)
  case narration(String)
  case code(String)
  case output(String)
  case table(headers: [String], rows: [[String]], title: String?)
  /// A chart drawn in text (line chart, heatmap, scatter), shown as it appeared in the terminal.
  case textChart(String)
  /// An SVG figure, by its name (the page's copy is `figures/lessonN-<name>.svg`).
  case figure(name: String, title: String)
}

/// Everything the page of a lesson needs, recorded while the lesson runs.
final class LessonPageRecord {
  var overview: LessonOverview?
  var blocks: [PageBlock] = []
  /// SVG documents by figure name, in the order the lesson made them.
  var figures: [(name: String, svg: String)] = []
  /// The end-of-lesson questions. Hook for `Notebook.questions(_:)` (Questions.swift): it stores
  /// its list here and the page renders it under "Questions".
  var questions: [String] = []

  func add(_ block: PageBlock) { blocks.append(block) }

  func addFigure(name: String, svg: String) {
    figures.removeAll { $0.name == name }
    figures.append((name, svg))
    add(.figure(name: name, title: LessonPageRecord.figureTitle(svg) ?? name))
  }

  /// The title an SVGFigure draws at its top (its first text element), unescaped.
  static func figureTitle(_ svg: String) -> String? {
    guard let open = svg.range(of: "<text"), let start = svg[open.upperBound...].firstIndex(of: ">"),
      let end = svg.range(of: "</text>", range: start..<svg.endIndex)
    else { return nil }
    let title = svg[svg.index(after: start)..<end.lowerBound]
      .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
      .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    return title.isEmpty ? nil : title
  }
}

extension Notebook {
  /// Declares what the lesson teaches, what it assumes, how long it takes and what to read after
  /// it. Prints the first three under the title; the page (`--markdown DIR`) shows them in its
  /// header and the reading at its end, which `finish()` also prints.
  public func overview(objectives: [String], prerequisites: [String], time: String, reading: [Reading] = []) {
    page.overview = LessonOverview(
      objectives: objectives, prerequisites: prerequisites, time: time, reading: reading)
    var text = bold("You will") + "\n"
    text += objectives.map { wrap("• " + $0, indent: "  ") }.joined(separator: "\n") + "\n"
    if !prerequisites.isEmpty {
      text += bold("Before you start") + "\n"
      text += prerequisites.map { wrap("• " + $0, indent: "  ") }.joined(separator: "\n") + "\n"
    }
    text += bold("Time") + ": " + time + "\n\n"
    emit(text)
  }

  /// Marks a value that depends on the machine rather than on the seed (a time without its unit,
  /// memory the operating system reports, a count of threads) for `.ci/check-lesson-pages`,
  /// which ignores what it marks: `nb.table(..., rows: [[name, nb.measured(seconds)]])`. The
  /// terminal shows the text alone; the page keeps it between two invisible separators (U+2063).
  /// Times and speeds printed with their unit ("12.3 s", "480 tokens/s") need no mark.
  public func measured(_ text: String) -> String { measuredMark + text + measuredMark }

  /// An output that depends on files outside the kit (such as optional real data sets): shown in
  /// the terminal like `output(_:)`, left out of the page, so the page is the same on every machine.
  public func localOutput(_ text: String) { emit(indented(text, "  ")) }

  /// The further reading, printed when the lesson finishes.
  func readingText() -> String? {
    guard let reading = page.overview?.reading, !reading.isEmpty else { return nil }
    var text = "\n" + bold("Further reading") + "\n"
    for item in reading {
      text += wrap("• " + item.title + (item.note.isEmpty ? "" : " — " + item.note), indent: "  ") + "\n"
      text += "    " + item.url + "\n"
    }
    return text
  }

  /// Writes the lesson's page and its figures to `directory` (see MarkdownPage.swift). Returns a
  /// sentence saying what went wrong, or nil.
  func writePage(to directory: URL, seconds: Double) -> String? {
    do {
      let written = try MarkdownPage(
        lesson: lesson, title: title, summary: summary, record: page, quick: options.quick,
        seed: options.seed, seconds: seconds, directory: directory
      ).write()
      emit("Page: \(written.relativePath)\n")
      return nil
    } catch {
      return "the lesson page could not be written to \(directory.path): \(error)"
    }
  }
}
