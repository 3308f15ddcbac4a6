import Foundation
import XCTest

@testable import CourseTools

/// The mutation check puts several wrong solutions in one build; probes say which exercises a
/// test process ran, so a round never counts a failure that another mutated exercise could cause.
final class MutationRoundTests: XCTestCase {
  let kit = """
    import Tensors

    func square(_ x: Float) -> Float {
      // BEGIN EXERCISE 1.1 "Square" points=2
      // hint: multiply.
      noGrad {
        x * x
      }
      // END EXERCISE 1.1
    }

    func cube(_ x: Float) -> Float {
      // BEGIN EXERCISE 1.2 "Cube" points=2
      // hint: use square.
      // a comment first
      let y = square(x)
      return y * x
      // END EXERCISE 1.2
    }
    """

  func testProbesPrintOnceAndKeepASingleExpressionReturning() throws {
    let probed = try probedSource(kit, file: "Sources/M/F.swift")
    let lines = probed.components(separatedBy: "\n")
    XCTAssertTrue(lines.contains("import Foundation"), "FileHandle needs Foundation")
    XCTAssertTrue(lines.contains("  return noGrad {"), "the implicit return made explicit")
    XCTAssertFalse(lines.contains("  return let y = square(x)"))
    XCTAssertTrue(lines.contains("nonisolated(unsafe) private var courseProbe_1_2 = false"))
    let probe = try XCTUnwrap(lines.firstIndex { $0.contains("\(probeMarker)1.2") })
    XCTAssertEqual(lines[probe - 1], "  // hint: use square.", "after the hints, before any code")
    XCTAssertTrue(lines[probe].hasPrefix("  if !courseProbe_1_2 { courseProbe_1_2 = true;"), lines[probe])
    XCTAssertEqual(
      try parseExercises(in: probed, file: "Sources/M/F.swift").map(\.id), ["1.1", "1.2"],
      "the markers still parse, so compiler errors are still pinned on exercises")
    XCTAssertEqual(
      probedExercises(in: "Test Case 'A.b' started\n\(probeMarker)1.2\nx\n\(probeMarker)3.4\n"),
      ["1.2", "3.4"])
  }

  func testARoundKeepsApartExercisesWhoseTestsReachEachOther() {
    func m(_ id: String, _ name: String) -> Mutation {
      Mutation(exercise: id, name: name, file: "F", edits: [])
    }
    let pending = ["1.1": [m("1.1", "a"), m("1.1", "b")], "1.2": [m("1.2", "c")], "2.1": [m("2.1", "d")]]
    let order = ["1.1", "1.2", "2.1"]
    XCTAssertEqual(
      roundOfMutations(order: order, pending: pending, reaches: [:]).map(\.name), ["a", "c", "d"],
      "nothing known yet: one wrong solution per exercise")
    XCTAssertEqual(
      roundOfMutations(order: order, pending: pending, reaches: ["1.2": ["1.1"]]).map(\.name), ["a", "d"],
      "1.2's tests run 1.1: a wrong 1.1 could fail them, so 1.2 waits")
    XCTAssertEqual(
      roundOfMutations(order: order, pending: pending, reaches: ["1.1": ["2.1"]]).map(\.name), ["a", "c"])
  }
}
