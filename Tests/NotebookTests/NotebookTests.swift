import Foundation
import XCTest

@testable import Notebook

#if canImport(FoundationXML)
  import FoundationXML
#endif

final class LessonOptionsTests: XCTestCase {
  let flags = [
    LessonFlag.int("steps", default: 300, help: "steps"), LessonFlag.double("lr", default: 0.1, help: "lr"),
  ]

  func testDefaults() throws {
    let o = try LessonOptions.parse(arguments: [], flags: flags, lesson: 3)
    XCTAssertFalse(o.quick)
    XCTAssertEqual(o.seed, 42)
    XCTAssertEqual(o.int("steps"), 300)
    XCTAssertEqual(o.double("lr"), 0.1)
    XCTAssertEqual(o.outputDirectory.relativePath, "runs/Lesson3")
  }

  func testFlagsInBothForms() throws {
    let o = try LessonOptions.parse(
      arguments: ["--quick", "--seed", "7", "--steps=12", "--lr", "0.5", "--output", "/tmp/x"], flags: flags,
      lesson: 1)
    XCTAssertTrue(o.quick)
    XCTAssertEqual(o.seed, 7)
    XCTAssertEqual(o.int("steps"), 12)
    XCTAssertEqual(o.double("lr"), 0.5)
    XCTAssertEqual(o.outputDirectory.path, "/tmp/x")
  }

  func testErrorsNameTheFlag() {
    XCTAssertThrowsError(try LessonOptions.parse(arguments: ["--nope"], flags: flags, lesson: 1)) {
      XCTAssertEqual($0 as? LessonOptionsError, .unknownFlag("--nope"))
    }
    XCTAssertThrowsError(try LessonOptions.parse(arguments: ["--steps", "many"], flags: flags, lesson: 1)) {
      XCTAssertEqual("\($0)", "--steps expects an integer, got \"many\"")
    }
    XCTAssertThrowsError(try LessonOptions.parse(arguments: ["--seed"], flags: flags, lesson: 1)) {
      XCTAssertEqual($0 as? LessonOptionsError, .missingValue("--seed"))
    }
    XCTAssertThrowsError(try LessonOptions.parse(arguments: ["--help"], flags: flags, lesson: 1)) {
      XCTAssertEqual($0 as? LessonOptionsError, .helpRequested)
    }
  }

  func testTextFlag() throws {
    let flags = self.flags + [LessonFlag.string("real", default: "", help: "a directory")]
    XCTAssertEqual(try LessonOptions.parse(arguments: [], flags: flags, lesson: 6).string("real"), "")
    XCTAssertEqual(
      try LessonOptions.parse(arguments: ["--real", "../data"], flags: flags, lesson: 6).string("real"),
      "../data")
    XCTAssertEqual(
      try LessonOptions.parse(arguments: ["--real=a b"], flags: flags, lesson: 6).string("real"), "a b")
    XCTAssertThrowsError(try LessonOptions.parse(arguments: ["--real"], flags: flags, lesson: 6)) {
      XCTAssertEqual($0 as? LessonOptionsError, .missingValue("--real"))
    }
    XCTAssertTrue(LessonOptions.usage(lesson: 6, title: "t", flags: flags).contains("--real TEXT"))
  }

  func testUsageListsEveryFlag() {
    let text = LessonOptions.usage(lesson: 2, title: "Data", flags: flags)
    for needle in ["--quick", "--seed", "--steps N", "--lr X", "default 300"] {
      XCTAssertTrue(text.contains(needle), needle)
    }
  }
}

final class RenderingTests: XCTestCase {
  func testTableAlignsNumbersRight() {
    let text = renderTable(headers: ["name", "value"], rows: [["a", "1.5"], ["longer", "10"]])
    let lines = text.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 4)
    XCTAssertEqual(lines[2], "a         1.5")
    XCTAssertEqual(lines[3], "longer     10")
  }

  func testLineChartHasTitleLegendAndRows() {
    let chart = renderLineChart(
      [
        ChartSeries(name: "train", values: [3, 2, 1, .nan, 0.5]),
        ChartSeries(name: "test", values: [3, 2.5, 2]),
      ],
      title: "Loss", width: 20, height: 5)
    let lines = chart.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertEqual(lines.first, "Loss")
    XCTAssertEqual(lines.filter { $0.contains("┤") }.count, 5, "one line per row")
    XCTAssertTrue(chart.contains("● train") && chart.contains("× test"))
    XCTAssertTrue(chart.contains("3.00") && chart.contains("0.500"), "y range from the data")
  }

  func testChartsSurviveDegenerateData() {
    XCTAssertTrue(renderLineChart([ChartSeries(name: "x", values: [])], title: "E").contains("no data"))
    XCTAssertTrue(
      renderLineChart([ChartSeries(name: "x", values: [.nan, .infinity])], title: "N").contains("no data"))
    XCTAssertTrue(renderLineChart([ChartSeries(name: "c", values: [2, 2, 2])], title: "C").contains("●"))
    XCTAssertTrue(renderLineChart([ChartSeries(name: "one", values: [1])], title: "1").contains("●"))
  }

  func testScatterPlacesGroupsAndSurvivesDegenerateData() {
    let text = renderScatter(
      [ScatterPoint(x: 0, y: 0, group: 0), ScatterPoint(x: 1, y: 1, group: 1)], groups: ["a", "b"],
      title: "S", width: 10, height: 4)
    let lines = text.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.first, "S")
    XCTAssertTrue(lines[1].hasSuffix("×"), "group 1 at the top right: \(lines[1])")
    XCTAssertTrue(lines[4].contains("●"), "group 0 at the bottom left: \(lines[4])")
    XCTAssertTrue(text.contains("● a") && text.contains("× b"))
    XCTAssertTrue(renderScatter([], groups: [], title: "E").contains("no data"))
    XCTAssertFalse(renderScatter([ScatterPoint(x: 1, y: 1, group: 0)], groups: ["a"], title: "one").isEmpty)
  }

  func testHeatmapShadesLowAndHigh() {
    let map = renderHeatmap(
      [[0, 1], [0.5, 1]], rowLabels: ["a", "b"], columnLabels: ["x", "y"], title: "H")
    XCTAssertTrue(map.contains("a   ██"), map)
    XCTAssertTrue(map.contains("scale: 0"))
  }

  func testSVGIsWellFormedAndEscaped() throws {
    let figures = [
      SVGFigure.lineChart(series: [ChartSeries(name: "a<b & c", values: [1, 2, 3])], title: "T \"q\""),
      SVGFigure.heatmap(
        values: [[0, 1], [1, 0]], rowLabels: ["r1", "r2"], columnLabels: ["c1", "c2"], title: "H"),
      SVGFigure.scatter(
        points: [ScatterPoint(x: 0, y: 1, group: 0), ScatterPoint(x: 1, y: 0, group: 1)], title: "S"),
    ]
    for figure in figures {
      XCTAssertTrue(figure.svg.hasPrefix("<svg"))
      XCTAssertTrue(figure.svg.hasSuffix("</svg>\n"))
      let parser = XMLParser(data: Data(figure.svg.utf8))
      XCTAssertTrue(parser.parse(), "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
    }
    XCTAssertTrue(figures[0].svg.contains("a&lt;b &amp; c"))
  }
}

final class NotebookOutputTests: XCTestCase {
  func makeNotebook(_ directory: URL, capture: @escaping (String) -> Void) throws -> Notebook {
    let options = try LessonOptions.parse(arguments: ["--output", directory.path], flags: [], lesson: 9)
    return Notebook(lesson: 9, title: "Test", summary: "A summary.", options: options, write: capture)
  }

  func testResultsJSONIsWrittenWithRecordedFigures() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nb-\(UUID())")
    defer { try? FileManager.default.removeItem(at: directory) }
    var text = ""
    let nb = try makeNotebook(directory) { text += $0 }
    nb.section("1. Start")
    nb.narrate("Some words.")
    nb.record("accuracy", 0.75)
    nb.record("broken", Double.nan)
    nb.record("name", "x")
    XCTAssertTrue(nb.finish())
    let data = try Data(contentsOf: directory.appendingPathComponent("results.json"))
    let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let results = try XCTUnwrap(json["results"] as? [String: Any])
    XCTAssertEqual(results["accuracy"] as? Double, 0.75)
    XCTAssertTrue(results["broken"] is NSNull, "NaN is written as null")
    XCTAssertEqual(json["lesson"] as? Int, 9)
    XCTAssertTrue(
      text.contains("Lesson 9 — Test") && text.contains("1. Start") && text.contains("Some words."))
  }

  func testPipedProgressPrintsAFewLines() throws {
    var lines: [String] = []
    let bar = ProgressBar(label: "train", total: 1000, interactive: false) { lines.append($0) }
    for step in 1...1000 { bar.update(step: step, metrics: ["loss": 1 / Double(step)]) }
    bar.finish()
    XCTAssertEqual(lines.count, 11, "ten progress lines and the final one")
    XCTAssertTrue(lines[0].contains("step 100/1000") && lines[0].contains("loss"))
  }

  func testJSONEscapesAndSortsKeys() {
    let value: JSONValue = .object(["b": 1, "a": .string("q\"\n"), "c": .array([1.5, 2])])
    XCTAssertEqual(value.serialized(), "{\n  \"a\": \"q\\\"\\n\",\n  \"b\": 1,\n  \"c\": [1.5, 2]\n}")
  }
}
