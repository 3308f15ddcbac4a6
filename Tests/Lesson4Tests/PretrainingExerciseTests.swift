import ExerciseTesting
import Foundation
import Models
import TensorCore
import Training
import XCTest

/// Exercise 4.1: `maskTokens` (Sources/Training/Masking.swift).
final class MaskTokensTests: ExerciseTestCase {
  override class var exerciseID: String { "4.1" }

  /// 300 rows of `[CLS] … [SEP]` over ids 5..<105; 0...4 are special.
  let ids = (0..<300).map { r in [2] + (0..<62).map { 5 + (r * 7 + $0 * 13) % 100 } + [3] }
  let special: Set<Int> = [0, 1, 2, 3, 4]

  func testFifteenPercentThenEightyTenTen() {
    let batch = maskTokens(
      ids, maskID: 4, vocabularySize: 105, special: special, generator: Generator(seed: 1))
    guard batch.inputIds.map(\.count) == ids.map(\.count), batch.labels.map(\.count) == ids.map(\.count)
    else {
      return XCTFail("inputIds and labels must have the shape of ids")
    }
    let c = MaskingCounts(ids, batch, maskID: 4, special: special)
    XCTAssertEqual(c.problems.first, nil, "\(c.problems.count) problems")
    XCTAssertEqual(Double(c.chosen) / Double(c.tokens), 0.15, accuracy: 0.01, "15% of the tokens are targets")
    XCTAssertEqual(
      Double(c.masked) / Double(max(c.chosen, 1)), 0.8, accuracy: 0.03, "80% of targets → [MASK]")
    XCTAssertEqual(
      Double(c.random) / Double(max(c.chosen, 1)), 0.1, accuracy: 0.03,
      "10% of targets → a random token (about 1% of those draw the original back)")
    XCTAssertEqual(Double(c.kept) / Double(max(c.chosen, 1)), 0.1, accuracy: 0.03, "10% of targets unchanged")
  }

  func testSpecialTokensAreNeverChosenNorDrawn() {
    // With probability 1 every ordinary token is a target, and random replacements must never be
    // special ids.
    let rows = [[2, 5, 6, 7, 3, 0, 0], [2, 8, 9, 3, 0, 0, 0]]
    var drawn = Set<Int>()
    for seed in 0..<200 {
      let batch = maskTokens(
        rows, maskID: 4, vocabularySize: 12, special: special, probability: 1,
        generator: Generator(seed: UInt64(seed)))
      guard batch.inputIds.map(\.count) == [7, 7], batch.labels.map(\.count) == [7, 7] else {
        return XCTFail("inputIds and labels must have the shape of ids")
      }
      XCTAssertEqual(
        batch.labels, [[-100, 5, 6, 7, -100, -100, -100], [-100, 8, 9, -100, -100, -100, -100]])
      for (r, row) in rows.enumerated() {
        for (t, id) in row.enumerated() {
          if special.contains(id) {
            XCTAssertEqual(batch.inputIds[r][t], id, "special tokens stay")
          } else if batch.inputIds[r][t] != 4 {
            drawn.insert(batch.inputIds[r][t])
          }
        }
      }
    }
    XCTAssertTrue(drawn.isDisjoint(with: special), "random replacements are never special: \(drawn.sorted())")
    XCTAssertGreaterThan(drawn.count, 4, "random replacements cover the ordinary vocabulary")
  }

  func testTheSameSeedGivesTheSameMasking() {
    let a = maskTokens(ids, maskID: 4, vocabularySize: 105, special: special, generator: Generator(seed: 9))
    let b = maskTokens(ids, maskID: 4, vocabularySize: 105, special: special, generator: Generator(seed: 9))
    let c = maskTokens(ids, maskID: 4, vocabularySize: 105, special: special, generator: Generator(seed: 10))
    XCTAssertFalse(a.labels.isEmpty, "maskTokens returned nothing")
    XCTAssertEqual(a.labels, b.labels)
    XCTAssertEqual(a.inputIds, b.inputIds)
    XCTAssertNotEqual(a.labels, c.labels, "the masking comes from the generator")
  }
}

/// Exercise 4.3: `nextTokenLabels` (Sources/Training/Masking.swift).
final class NextTokenLabelsTests: ExerciseTestCase {
  override class var exerciseID: String { "4.3" }

  func testShiftsLeftByOne() {
    XCTAssertEqual(nextTokenLabels([[10, 11, 12, 13]]), [[11, 12, 13, -100]])
    XCTAssertEqual(nextTokenLabels([[4, 4], [7, 8]]), [[4, -100], [8, -100]])
  }

  func testPaddingIsNeverATarget() {
    XCTAssertEqual(
      nextTokenLabels([[5, 6, 0, 0], [5, 6, 7, 8]], padID: 0), [[6, -100, -100, -100], [6, 7, 8, -100]])
  }
}

/// Exercise 4.4: `readSafetensorsHeader` (Sources/Models/Safetensors.swift).
final class SafetensorsHeaderTests: ExerciseTestCase {
  override class var exerciseID: String { "4.4" }

  func testReadsAHandBuiltHeader() throws {
    let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}"#
    let parsed = try readSafetensorsHeader(handBuiltSafetensors(header, data: Array(repeating: 0, count: 8)))
    XCTAssertEqual(parsed.dataStart, 8 + header.utf8.count)
    XCTAssertEqual(Set(parsed.json.keys), ["w", "__metadata__"])
    XCTAssertEqual((parsed.json["w"] as? [String: Any])?["dtype"] as? String, "F32")
  }

  func testTheLengthIsLittleEndian() throws {
    // 300 bytes of header: the length is stored as [44, 1, 0, 0, 0, 0, 0, 0] (44 + 1·256).
    let bytes = handBuiltSafetensors("{}" + String(repeating: " ", count: 298))
    XCTAssertEqual(Array(bytes.prefix(2)), [44, 1])
    let parsed = try readSafetensorsHeader(bytes)
    XCTAssertEqual(parsed.dataStart, 308)
  }

  func testRejectsTruncatedFilesAndLengthsPastTheEnd() {
    XCTAssertThrowsError(try readSafetensorsHeader(Data([2, 0, 0]), path: "t.safetensors")) { error in
      XCTAssertTrue("\(error)".contains("t.safetensors"), "the error names the file: \(error)")
      XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
    }
    XCTAssertThrowsError(
      try readSafetensorsHeader(handBuiltSafetensors("{}", length: 50), path: "p.safetensors")
    ) { error in
      XCTAssertTrue("\(error)".contains("past the end"), "\(error)")
    }
  }
}

/// Exercise 4.2: `labelledPositions`, the ignore index of the MLM loss (Sources/Models/Bert.swift).
final class LabelledPositionsTests: ExerciseTestCase {
  override class var exerciseID: String { "4.2" }

  func testKeepsLabelledPositionsRowByRow() {
    XCTAssertEqual(labelledPositions([[-100, 5, -100], [7, -100, 9]]), [1, 3, 5])
  }

  func testAllIgnoredGivesNothing() {
    XCTAssertEqual(labelledPositions([[3]]), [0], "a single labelled token")
    XCTAssertEqual(labelledPositions([[-100, -100], [-100, -100]]), [])
  }

  func testMaskedLMLossIsTheMeanOverLabelledPositionsOnly() throws {
    let labels = [[-100, 7, -100, -100, 3], [-100, -100, 12, -100, -100]]
    guard labelledPositions(labels) == [1, 4, 7] else {
      return XCTFail("labelledPositions(\(labels)) should be [1, 4, 7]")
    }
    try skipUnlessLesson3Done()
    let model = tinyMaskedLM(seed: 4)
    let inputs = [[1, 4, 5, 6, 4], [1, 2, 4, 8, 9]]
    let loss = try model.maskedLMLoss(inputIds: inputs, labels: labels).loss.item
    XCTAssertEqual(loss, try referenceMaskedLMLoss(model, inputs: inputs, labels: labels), accuracy: 1e-4)
  }
}
