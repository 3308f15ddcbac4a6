import Foundation
import Notebook
import XCTest

/// Two results.json files compare equal when only their timings differ, and every other
/// difference is reported with its path.
final class ResultsComparisonTests: XCTestCase {
  func write(_ text: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("results-\(UUID()).json")
    try Data(text.utf8).write(to: url)
    return url
  }

  func testTimingsAreIgnoredAndEveryOtherValueCompared() throws {
    let a = try write(
      #"{"seconds": 3.1, "results": {"loss": 0.5, "live_seconds": 1, "train_runtime": 2, "steps": 10, "tags": ["a", 1.0], "time_to_fit": 4}}"#
    )
    let same = try write(
      #"{"seconds": 9.9, "results": {"loss": 0.5, "live_seconds": 7, "train_runtime": 8, "steps": 10.0, "tags": ["a", 1], "time_to_fit": 5}}"#
    )
    let other = try write(
      #"{"seconds": 3.1, "results": {"loss": 0.50000001, "steps": "10", "tags": ["a"], "new": null}}"#)
    XCTAssertEqual(try compareResults(a, same), [])
    let lines = try compareResults(a, other)
    XCTAssertEqual(lines.count, 4, "\(lines)")
    XCTAssertTrue(lines.contains { $0.hasPrefix("/results/loss: 0.5 != 0.50000001") }, "\(lines)")
    XCTAssertTrue(lines.contains { $0.hasPrefix("/results/new: only in") }, "\(lines)")
    XCTAssertTrue(lines.contains { $0.hasPrefix("/results/steps:") }, "a string is not a number")
    XCTAssertTrue(lines.contains { $0.hasPrefix("/results/tags:") }, "lists of different lengths")
  }

  func testTimingKeysAreWholeWords() {
    for key in [
      "seconds", "live_seconds", "train_runtime", "step_time_ms", "tokens_per_second", "int8_speedup",
      "peak_rss_bytes_measured",
    ] {
      XCTAssertTrue(isTimingKey(key), key)
    }
    for key in ["loss", "timestep_count", "sometimes_wrong", "domain_words", "msg", "unmeasured_loss"] {
      XCTAssertFalse(isTimingKey(key), key)
    }
  }

  func testMissingOrBrokenFilesAreNamed() throws {
    let broken = try write("{not json")
    let missing = URL(fileURLWithPath: "/nonexistent/results.json")
    XCTAssertThrowsError(try compareResults(broken, broken)) {
      XCTAssertTrue("\($0)".contains(broken.path) && "\($0)".contains("not a JSON"), "\($0)")
    }
    XCTAssertThrowsError(try compareResults(missing, broken)) {
      XCTAssertTrue("\($0)".contains("/nonexistent/results.json"), "\($0)")
    }
  }
}
