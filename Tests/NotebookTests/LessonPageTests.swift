import Foundation
import XCTest

@testable import Notebook

/// A lesson page written from a run with `--markdown DIR` in a small package made for the test.
final class LessonPageTests: XCTestCase {
  var root: URL!

  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("lesson-page-\(UUID().uuidString)")
    let files = FileManager.default
    try files.createDirectory(
      at: root.appendingPathComponent("Sources/Kit"), withIntermediateDirectories: true)
    try files.createDirectory(at: root.appendingPathComponent("docs"), withIntermediateDirectories: true)
    try Data("// swift-tools-version:6.0\n".utf8).write(to: root.appendingPathComponent("Package.swift"))
    let source = """
      func a() {
        // BEGIN EXERCISE 3.2 "Second one" points=2
        // hint: look here
        // END EXERCISE 3.2
      }
      //     // BEGIN EXERCISE 3.9 "only a comment" points=1
      func b() {
        // BEGIN EXERCISE 3.1 "First one" points=3 timeout=10
        // hint: and here
        // END EXERCISE 3.1
        // BEGIN EXERCISE 4.1 "Another lesson" points=1
        // hint: no
        // END EXERCISE 4.1
      }
      """
    try Data(source.utf8).write(to: root.appendingPathComponent("Sources/Kit/Things.swift"))
    let glossary = """
      # Glossary

      ## Logits
      <!-- also: logit -->
      Raw scores.

      ## Pre-LN and post-LN
      <!-- also: pre-LN, post-LN -->
      Where the norm sits.
      """
    try Data(glossary.utf8).write(to: root.appendingPathComponent("docs/glossary.md"))
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: root)
  }

  /// Runs a small lesson 3 with `--markdown <root>/docs/lessons` and returns the page's text.
  func runLesson(_ cells: (Notebook) -> Void = { _ in }) throws -> String {
    let pages = root.appendingPathComponent("docs/lessons")
    let options = try LessonOptions.parse(
      arguments: ["--markdown", pages.path, "--output", root.appendingPathComponent("runs").path], flags: [],
      lesson: 3)
    var terminal = ""
    let nb = Notebook(lesson: 3, title: "Attention", summary: "Tokens look at tokens.", options: options) {
      terminal += $0
    }
    nb.overview(
      objectives: ["compute attention"], prerequisites: ["Lesson 2"], time: "an hour",
      reading: [Reading("Vaswani et al. 2017", url: "https://arxiv.org/abs/1706.03762", note: "section 3.2")])
    nb.section("1. Scores")
    nb.narrate(
      "The logits come first; logits again. Pre-LN puts the norm first: `a * b` stays, a * b escapes.")
    nb.code("let scores = q.matmul(k.transpose(0, 1))")
    nb.output("Tensor(shape [2, 2])")
    nb.localOutput("found /somewhere/else: 6920 examples")
    nb.table(headers: ["name", "value"], rows: [["a|b", "1.5"], ["c", "10"]], title: "Numbers")
    nb.figure(
      .lineChart(series: [ChartSeries(name: "loss", values: [3, 2, 1])], title: "Loss <curve>"), name: "loss")
    cells(nb)
    XCTAssertTrue(nb.finish())
    XCTAssertTrue(terminal.contains("You will"), "the overview is printed too")
    XCTAssertTrue(terminal.contains("Further reading"))
    XCTAssertTrue(terminal.contains("/somewhere/else"), "a local output is printed")
    return try String(contentsOf: pages.appendingPathComponent("lesson3.md"), encoding: .utf8)
  }

  func testPageHoldsTheRunsCells() throws {
    let page = try runLesson()
    XCTAssertTrue(page.contains("# Lesson 3 — Attention"))
    XCTAssertTrue(page.contains("[← Lesson 2](lesson2.md)"))
    XCTAssertTrue(page.contains("**You will**\n\n- compute attention"))
    XCTAssertTrue(page.contains("**Before you start**\n\n- Lesson 2"))
    XCTAssertTrue(page.contains("**Time:** an hour"))
    XCTAssertTrue(page.contains("- [1. Scores](#1-scores)"), "contents link to the sections")
    XCTAssertTrue(page.contains("## 1. Scores"))
    XCTAssertTrue(page.contains("```swift\nlet scores = q.matmul(k.transpose(0, 1))\n```"))
    XCTAssertTrue(page.contains("```text\nTensor(shape [2, 2])\n```"))
    XCTAssertFalse(page.contains("/somewhere/else"), "outputs that depend on the machine stay off the page")
    XCTAssertTrue(
      page.contains("**Numbers**\n\n| name | value |\n| --- | ---: |\n| a\\|b | 1.5 |\n| c | 10 |"))
    XCTAssertTrue(page.contains("![Loss <curve>](figures/lesson3-loss.svg)") == false)
    XCTAssertTrue(page.contains("![Loss &lt;curve&gt;](figures/lesson3-loss.svg)"))
    XCTAssertTrue(
      page.contains(
        "## Further reading\n\n- [Vaswani et al. 2017](https://arxiv.org/abs/1706.03762) — section 3.2"))
    let figure = root.appendingPathComponent("docs/lessons/figures/lesson3-loss.svg")
    XCTAssertTrue(try String(contentsOf: figure, encoding: .utf8).hasPrefix("<svg"))
  }

  func testExercisesComeFromTheMarkersInOrderWithLinks() throws {
    let page = try runLesson()
    let first = try XCTUnwrap(
      page.range(of: "| 3.1 | First one | 3 | [Sources/Kit/Things.swift](../../Sources/Kit/Things.swift) |"))
    let second = try XCTUnwrap(page.range(of: "| 3.2 | Second one | 2 |"))
    XCTAssertLessThan(first.lowerBound, second.lowerBound)
    XCTAssertFalse(page.contains("Another lesson"), "exercises of other lessons are not listed")
    XCTAssertFalse(page.contains("only a comment"), "a marker quoted in a comment is not an exercise")
    XCTAssertTrue(page.contains("`swift test --filter Lesson3Tests`"))
    XCTAssertTrue(page.contains("[Tests/Lesson3Tests](../../Tests/Lesson3Tests)"))
  }

  func testGlossaryTermsAreLinkedAtTheirFirstUseOnly() throws {
    let page = try runLesson()
    XCTAssertTrue(page.contains("The [logits](../glossary.md#logits) come first; logits again."))
    XCTAssertTrue(page.contains("[Pre-LN](../glossary.md#pre-ln-and-post-ln) puts"))
    XCTAssertTrue(page.contains("`a * b` stays, a \\* b escapes."))
    XCTAssertTrue(page.contains("[glossary](../glossary.md)"))
  }

  func testQuestionsAreRenderedWhenTheLessonHasThem() throws {
    let page = try runLesson { nb in
      nb.section("Questions")
      nb.page.questions = ["Why divide by √d?", "What does a mask do?"]
    }
    XCTAssertTrue(page.contains("## Questions\n\n1. Why divide by √d?\n2. What does a mask do?"))
    XCTAssertEqual(page.components(separatedBy: "## Questions").count, 2, "one Questions section")
    XCTAssertEqual(page.components(separatedBy: "(#questions)").count, 2, "listed once in the contents")
  }

  func testMeasuredValuesAreMarkedOnThePageOnly() throws {
    var terminal = ""
    let options = try LessonOptions.parse(arguments: [], flags: [], lesson: 3)
    let nb = Notebook(lesson: 3, title: "T", summary: "S", options: options) { terminal += $0 }
    nb.table(headers: ["run", "s"], rows: [["a", nb.measured("12.5")], ["bb", "7.5"]])
    XCTAssertFalse(terminal.contains("\u{2063}"), "the terminal shows no marks")
    // Aligned on what is shown: both values start in the same column.
    XCTAssertTrue(terminal.contains("\n  a    12.5"), terminal)
    XCTAssertTrue(terminal.contains("\n  bb    7.5"), terminal)
    guard case .table(_, let rows, _) = nb.page.blocks.last else { return XCTFail("no table recorded") }
    XCTAssertEqual(rows[0][1], "\u{2063}12.5\u{2063}")
    XCTAssertEqual(
      markdownTable(headers: ["run", "s"], rows: rows, title: nil).components(separatedBy: "\n")[1],
      "| --- | ---: |")
  }

  func testARerunReplacesTheLessonsOldFiguresOnly() throws {
    let figures = root.appendingPathComponent("docs/lessons/figures")
    try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
    try Data("old".utf8).write(to: figures.appendingPathComponent("lesson3-gone.svg"))
    try Data("other".utf8).write(to: figures.appendingPathComponent("lesson4-kept.svg"))
    _ = try runLesson()
    let names = try FileManager.default.contentsOfDirectory(atPath: figures.path).sorted()
    XCTAssertEqual(names, ["lesson3-loss.svg", "lesson4-kept.svg"])
  }

  func testMarkdownOptionIsParsedAndListedInHelp() throws {
    let o = try LessonOptions.parse(arguments: ["--markdown", "docs/lessons"], flags: [], lesson: 2)
    XCTAssertEqual(o.markdownDirectory?.relativePath, "docs/lessons")
    XCTAssertNil(try LessonOptions.parse(arguments: [], flags: [], lesson: 2).markdownDirectory)
    XCTAssertThrowsError(try LessonOptions.parse(arguments: ["--markdown"], flags: [], lesson: 2)) {
      XCTAssertEqual($0 as? LessonOptionsError, .missingValue("--markdown"))
    }
    XCTAssertTrue(LessonOptions.usage(lesson: 2, title: "Data", flags: []).contains("--markdown DIR"))
  }
}

final class MarkdownTextTests: XCTestCase {
  func testEscapingLeavesCodeSpansAndReadableTextAlone() {
    XCTAssertEqual(escapeMarkdown("a * b and `x * y`"), "a \\* b and `x * y`")
    XCTAssertEqual(
      escapeMarkdown("max_length stays, _this_ does not"), "max_length stays, \\_this\\_ does not")
    XCTAssertEqual(
      escapeMarkdown("[3, 1] stays, [a](b) is not a link"), "[3, 1] stays, [a\\](b) is not a link")
    XCTAssertEqual(escapeMarkdown("<b> ~x~ $y$"), "&lt;b&gt; \\~x\\~ \\$y\\$")
    XCTAssertEqual(escapeMarkdown("one ` backtick"), "one \\` backtick")
  }

  func testFencesOutgrowBackticksInTheText() {
    XCTAssertEqual(fenced("a ``` b", language: "text"), "````text\na ``` b\n````")
  }

  func testTableAlignsNumericColumnsRight() {
    let table = markdownTable(
      headers: ["arm", "accuracy", "n"], rows: [["x", "81.2%", "3"], ["y", "n/a", "4"]], title: nil)
    XCTAssertEqual(table, "| arm | accuracy | n |\n| --- | --- | ---: |\n| x | 81.2% | 3 |\n| y | n/a | 4 |")
  }

  func testRelativePaths() {
    let lessons = URL(fileURLWithPath: "/kit/docs/lessons")
    XCTAssertEqual(
      relativePath(from: lessons, to: URL(fileURLWithPath: "/kit/docs/glossary.md")), "../glossary.md")
    XCTAssertEqual(
      relativePath(from: lessons, to: URL(fileURLWithPath: "/kit/Sources/A.swift")), "../../Sources/A.swift")
    XCTAssertEqual(relativePath(from: URL(fileURLWithPath: "/kit"), to: lessons), "docs/lessons")
  }

  func testGitHubAnchors() {
    XCTAssertEqual(githubAnchor("3. Scaling: why divide by √d"), "3-scaling-why-divide-by-d")
    XCTAssertEqual(githubAnchor("Pre-LN and post-LN"), "pre-ln-and-post-ln")
    XCTAssertEqual(githubAnchor("Weight decay vs L2"), "weight-decay-vs-l2")
  }

  func testGlossaryEntriesAndTheirOtherNames() {
    let glossary = Glossary(markdown: "# G\n\n## Warm-up\n<!-- also: warmup, warm up -->\ntext\n## Logits\n")
    XCTAssertEqual(glossary.entries.map(\.heading), ["Warm-up", "Logits"])
    XCTAssertEqual(glossary.entries[0].names, ["Warm-up", "warmup", "warm up"])
    var linker = GlossaryLinker(glossary: glossary, link: "g.md")
    XCTAssertEqual(
      linker.markdown("A warmup of logits; a warm-up."),
      "A [warmup](g.md#warm-up) of [logits](g.md#logits); a warm-up.")
    XCTAssertEqual(linker.markdown("Logitsless words are not linked."), "Logitsless words are not linked.")
  }

  func testFigureTitleIsReadFromTheSVG() {
    let svg = SVGFigure.lineChart(series: [ChartSeries(name: "a", values: [1, 2])], title: "A & B").svg
    XCTAssertEqual(LessonPageRecord.figureTitle(svg), "A & B")
  }
}
