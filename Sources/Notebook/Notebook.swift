// The notebook runtime: what makes a lesson executable read like a notebook in a terminal.
//
//     let nb = Notebook(lesson: 1, title: "Tensors and gradients", summary: "...")
//     nb.section("1. A tensor")
//     nb.narrate("A tensor is ...")
//     nb.code("let x = Tensor([1, 2, 3])")
//     nb.output(x.description)
//     nb.record("final_loss", 0.12)
//     nb.finish()        // writes runs/Lesson1/results.json
//
// Output goes to standard output (progress bars to standard error on a terminal); figures and
// results.json go to the output directory, `runs/LessonN` unless `--output` says otherwise.

import Foundation

/// A lesson's notebook: its command-line options, its cells, and its recorded results.
public final class Notebook {
  public let lesson: Int
  public let title: String
  let summary: String
  /// The parsed command line: `--quick`, `--seed`, `--output` and the lesson's flags.
  public let options: LessonOptions
  var results: [String: JSONValue] = [:]
  let write: (String) -> Void
  let styled: Bool
  let interactive: Bool
  let start = Date()
  let width = 88
  /// The cells as the lesson's page shows them (LessonPage.swift).
  let page = LessonPageRecord()
  /// The lesson's source files that code cells were cut from, by path (`source(of:)`).
  var sources: [String: String] = [:]

  /// Parses the command line (printing help and exiting 0 for `--help`, or exiting 2 with a
  /// message for a bad flag) and prints the lesson's title and summary.
  public convenience init(
    lesson: Int, title: String, summary: String, flags: [LessonFlag] = [],
    arguments: [String] = CommandLine.arguments
  ) {
    let options: LessonOptions
    do {
      options = try LessonOptions.parse(arguments: Array(arguments.dropFirst()), flags: flags, lesson: lesson)
    } catch LessonOptionsError.helpRequested {
      print(LessonOptions.usage(lesson: lesson, title: title, flags: flags))
      exit(0)
    } catch {
      FileHandle.standardError.write(
        Data("Lesson\(lesson): \(error)\nRun with --help to see the flags.\n".utf8))
      exit(2)
    }
    let tty = isatty(STDOUT_FILENO) != 0
    let noColor = ProcessInfo.processInfo.environment["NO_COLOR"] != nil
    self.init(
      lesson: lesson, title: title, summary: summary, options: options, styled: tty && !noColor,
      interactive: isatty(STDERR_FILENO) != 0
    ) { text in
      FileHandle.standardOutput.write(Data(text.utf8))
    }
  }

  /// A notebook that writes through `write` (tests capture the output this way).
  init(
    lesson: Int, title: String, summary: String, options: LessonOptions, styled: Bool = false,
    interactive: Bool = false, write: @escaping (String) -> Void
  ) {
    self.lesson = lesson
    self.title = title
    self.summary = summary
    self.options = options
    self.styled = styled
    self.interactive = interactive
    self.write = write
    let heading = "Lesson \(lesson) — \(title)"
    emit(bold(heading) + "\n" + String(repeating: "═", count: heading.count) + "\n")
    emit(wrap(summary) + "\n")
    let mode = options.quick ? "quick run" : "full run"
    emit(
      "(\(mode), seed \(options.seed); figures and results in \(options.outputDirectory.relativePath)/)\n\n")
  }

  func emit(_ text: String) { write(withoutMeasuredMarks(text)) }

  func bold(_ text: String) -> String { styled ? "\u{1B}[1m\(text)\u{1B}[0m" : text }

  /// Words joined into lines of at most `width` characters.
  func wrap(_ text: String, indent: String = "") -> String {
    var lines: [String] = []
    for paragraph in text.components(separatedBy: "\n") {
      var line = ""
      for word in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
        if !line.isEmpty && line.count + 1 + word.count > width - indent.count {
          lines.append(indent + line)
          line = ""
        }
        line += (line.isEmpty ? "" : " ") + word
      }
      lines.append(indent + line)
    }
    return lines.joined(separator: "\n")
  }

  func indented(_ text: String, _ prefix: String = "  ") -> String {
    text.components(separatedBy: "\n").map { prefix + $0 }.joined(separator: "\n") + "\n\n"
  }

  /// A titled section.
  public func section(_ title: String) {
    page.add(.section(title))
    emit("\n" + bold(title) + "\n" + String(repeating: "─", count: title.count) + "\n")
  }

  /// A paragraph of narration, wrapped to the terminal.
  public func narrate(_ text: String) {
    page.add(.narration(text))
    emit(wrap(text) + "\n\n")
  }

  /// A code cell: the code the lesson is about to run, as the student would write it.
  public func code(_ source: String) {
    page.add(.code(source))
    emit(indented(source, "  │ "))
  }

  /// A code cell cut from the lesson's own source, so that what the student reads is what the
  /// compiler checked and the lesson ran: the lines between `// cell: NAME` and `// end cell: NAME`
  /// with their common indentation removed, in the calling file or, with `sibling`, in that file
  /// of the calling file's directory (a helper the lesson runs, shown where it lives). Call it
  /// just before the cell's lines run (or before the call that runs them); `CodeCellTests` checks
  /// that every cell a lesson names is marked in the file it names.
  public func cell(_ name: String, in sibling: String? = nil, file: String = #filePath) {
    let path =
      sibling.map { URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent($0).path }
      ?? file
    do {
      code(try codeCell(name, in: try source(of: path)))
    } catch let error as CodeCellError {
      code("// \(error.message) (\(path))")
    } catch {
      code("// cell \(name): cannot read \(path), the source it is cut from: \(error.localizedDescription)")
    }
  }

  /// The text of the source file at `path`, read once per notebook (a lesson cuts several cells
  /// from the same file).
  func source(of path: String) throws -> String {
    if let text = sources[path] { return text }
    let text = try String(contentsOfFile: path, encoding: .utf8)
    sources[path] = text
    return text
  }

  /// The output of the last code cell.
  public func output(_ text: String) {
    page.add(.output(text))
    emit(indented(text, "  "))
  }

  /// An aligned table.
  public func table(headers: [String], rows: [[String]], title: String? = nil) {
    page.add(.table(headers: headers, rows: rows, title: title))
    let plainRows = rows.map { $0.map(withoutMeasuredMarks) }  // aligned on what the terminal shows
    emit(indented(renderTable(headers: headers, rows: plainRows, title: title.map(withoutMeasuredMarks))))
  }

  /// A line chart of one or more curves.
  public func lineChart(
    _ series: [ChartSeries], title: String, xLabel: String = "", yLabel: String = "", width: Int = 60,
    height: Int = 12
  ) {
    let chart = renderLineChart(
      series, title: title, xLabel: xLabel, yLabel: yLabel, width: width, height: height)
    page.add(.textChart(chart))
    emit(indented(chart))
  }

  /// A heatmap of a matrix (e.g. attention weights).
  public func heatmap(_ values: [[Double]], rowLabels: [String], columnLabels: [String], title: String) {
    let chart = renderHeatmap(values, rowLabels: rowLabels, columnLabels: columnLabels, title: title)
    page.add(.textChart(chart))
    emit(indented(chart))
  }

  /// A scatter plot, one marker per group (`groups` names them).
  public func scatter(
    _ points: [ScatterPoint], groups: [String], title: String, xLabel: String = "", yLabel: String = ""
  ) {
    let chart = renderScatter(points, groups: groups, title: title, xLabel: xLabel, yLabel: yLabel)
    page.add(.textChart(chart))
    emit(indented(chart))
  }

  /// Writes `figure` to `<output directory>/<name>.svg` and says where.
  public func figure(_ figure: SVGFigure, name: String) {
    let url = options.outputDirectory.appendingPathComponent(name + ".svg")
    page.addFigure(name: name, svg: figure.svg)
    do {
      try figure.write(to: url)
      emit("  figure: \(url.relativePath)\n\n")
    } catch {
      emit("  figure \(name) could not be written to \(url.path): \(error.localizedDescription)\n\n")
    }
  }

  /// A progress bar for a loop of `total` steps.
  public func progress(_ label: String, total: Int) -> ProgressBar {
    if interactive {
      return ProgressBar(label: label, total: total, interactive: true) { text in
        FileHandle.standardError.write(Data(text.utf8))
      }
    }
    return ProgressBar(label: "  " + label, total: total, interactive: false, write: write)
  }

  /// Records a key figure of the lesson for results.json.
  public func record(_ key: String, _ value: JSONValue) { results[key] = value }
  /// Records a number.
  public func record(_ key: String, _ value: Double) { results[key] = .number(value) }
  /// Records an integer.
  public func record(_ key: String, _ value: Int) { results[key] = .number(Double(value)) }
  /// Records a text.
  public func record(_ key: String, _ value: String) { results[key] = .string(value) }
  /// Records a yes/no.
  public func record(_ key: String, _ value: Bool) { results[key] = .bool(value) }
  /// Records a list of numbers (a curve).
  public func record(_ key: String, _ values: [Double]) { results[key] = .array(values.map { .number($0) }) }

  /// The document results.json holds.
  var resultsDocument: JSONValue {
    .object([
      "lesson": .number(Double(lesson)), "title": .string(title), "seed": .number(Double(options.seed)),
      "quick": .bool(options.quick),
      "seconds": .number((Date().timeIntervalSince(start) * 100).rounded() / 100),
      "results": .object(results),
    ])
  }

  /// Writes results.json (atomically) and, with `--markdown DIR`, the lesson's page, and closes
  /// the lesson. Returns false if it could not.
  @discardableResult
  public func finish() -> Bool {
    let url = options.outputDirectory.appendingPathComponent("results.json")
    let seconds = Date().timeIntervalSince(start)
    if let reading = readingText() { emit(reading) }
    do {
      try FileManager.default.createDirectory(at: options.outputDirectory, withIntermediateDirectories: true)
      try Data((resultsDocument.serialized() + "\n").utf8).write(to: url, options: .atomic)
      emit(
        "\nLesson \(lesson) done in \(String(format: "%.1f", seconds)) s; results in \(url.relativePath)\n")
      if let directory = options.markdownDirectory, let problem = writePage(to: directory, seconds: seconds) {
        emit("Lesson \(lesson): \(problem)\n")
        return false
      }
      return true
    } catch {
      emit(
        "\nLesson \(lesson) done, but results.json could not be written to \(url.path): \(error.localizedDescription)\n"
      )
      return false
    }
  }
}
