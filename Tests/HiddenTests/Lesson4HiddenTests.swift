// Hidden tests of Lesson 4's exercises.

import ExerciseTesting
import Foundation
import Models
import TensorCore
import Training
import XCTest

final class MaskTokensHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "4.1" }

  func testAnotherProbabilityAndRaggedRows() {
    // Rows of different lengths, a 30% rate, special ids 0 and 1 only, [MASK] = 1.
    let ids = (0..<400).map { r in (0..<(20 + r % 17)).map { 2 + (r * 3 + $0 * 5) % 60 } }
    let batch = maskTokens(
      ids, maskID: 1, vocabularySize: 62, special: [0, 1], probability: 0.3, generator: Generator(seed: 77))
    guard batch.inputIds.map(\.count) == ids.map(\.count), batch.labels.map(\.count) == ids.map(\.count)
    else {
      return XCTFail("inputIds and labels must have the shape of ids")
    }
    var (tokens, chosen, masked, kept) = (0, 0, 0, 0)
    for r in ids.indices {
      for t in ids[r].indices {
        tokens += 1
        if batch.labels[r][t] == -100 {
          XCTAssertEqual(batch.inputIds[r][t], ids[r][t], "unchosen tokens stay")
          continue
        }
        XCTAssertEqual(batch.labels[r][t], ids[r][t], "labels are the original ids")
        chosen += 1
        if batch.inputIds[r][t] == 1 { masked += 1 }
        if batch.inputIds[r][t] == ids[r][t] { kept += 1 }
      }
    }
    XCTAssertEqual(Double(chosen) / Double(tokens), 0.3, accuracy: 0.015, "the probability is a parameter")
    XCTAssertEqual(Double(masked) / Double(max(chosen, 1)), 0.8, accuracy: 0.025)
    XCTAssertEqual(Double(kept) / Double(max(chosen, 1)), 0.1 + 0.1 / 60, accuracy: 0.025)
  }

  func testOnlySpecialTokensMeansNothingToPredict() {
    let ids = [[2, 3, 0, 0], [2, 3, 0, 0]]
    let batch = maskTokens(
      ids, maskID: 4, vocabularySize: 30, special: [0, 1, 2, 3, 4], probability: 1,
      generator: Generator(seed: 1))
    XCTAssertEqual(batch.inputIds, ids)
    XCTAssertEqual(batch.labels, [[-100, -100, -100, -100], [-100, -100, -100, -100]])
  }

  func testProbabilityZeroChangesNothing() {
    let ids = [[5, 6, 7, 8, 9]]
    let batch = maskTokens(
      ids, maskID: 4, vocabularySize: 10, special: [4], probability: 0, generator: Generator(seed: 2))
    XCTAssertEqual(batch.inputIds, ids)
    XCTAssertEqual(batch.labels, [[-100, -100, -100, -100, -100]])
  }
}

final class NextTokenLabelsHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "4.3" }

  func testShortRowsAndPaddingInTheMiddle() {
    XCTAssertEqual(nextTokenLabels([[9], []]), [[-100], []])
    XCTAssertEqual(nextTokenLabels([[7, 8, 9, 0, 0, 0]], padID: 0), [[8, 9, -100, -100, -100, -100]])
    XCTAssertEqual(nextTokenLabels([[3, 1, 3, 1]], padID: 3), [[1, -100, 1, -100]])
  }

  func testWithoutAPadIDZeroIsAToken() {
    XCTAssertEqual(nextTokenLabels([[0, 0, 5]]), [[0, 5, -100]])
  }
}

final class SafetensorsHeaderHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "4.4" }

  func file(_ header: String, length: UInt64? = nil, data: [UInt8] = []) -> Data {
    let h = Array(header.utf8)
    let n = length ?? UInt64(h.count)
    return Data((0..<8).map { UInt8((n >> (8 * UInt64($0))) & 0xFF) } + h + data)
  }

  func testAFileTheWriterMade() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("h4-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafetensorsFile.write([("b", Tensor([1, 2, 3])), ("a", Tensor(zeros: [2, 2]))], to: url)
    let data = try Data(contentsOf: url)
    let parsed = try readSafetensorsHeader(data, path: url.path)
    XCTAssertEqual(parsed.dataStart, data.count - 7 * 4, "the data section is the 7 floats at the end")
    XCTAssertEqual(Set(parsed.json.keys), ["a", "b", "__metadata__"])
  }

  func testAbsurdLengthsAreRefusedBeforeAllocating() {
    XCTAssertThrowsError(try readSafetensorsHeader(file("{}", length: 1 << 50), path: "big.safetensors")) {
      error in
      XCTAssertTrue("\(error)".contains("absurd"), "\(error)")
      XCTAssertTrue("\(error)".contains("big.safetensors"), "\(error)")
    }
    XCTAssertThrowsError(try readSafetensorsHeader(file("{}", length: UInt64.max))) { error in
      XCTAssertTrue("\(error)".contains("absurd"), "\(error)")
    }
  }

  func testTheHeaderMustBeAJSONObject() {
    XCTAssertThrowsError(try readSafetensorsHeader(file("[1, 2]"), path: "a.safetensors")) { error in
      XCTAssertTrue("\(error)".contains("not a JSON object"), "\(error)")
    }
    XCTAssertThrowsError(try readSafetensorsHeader(file("{\"a\":"), path: "b.safetensors")) { error in
      XCTAssertTrue("\(error)".contains("not valid JSON"), "\(error)")
    }
    XCTAssertThrowsError(try readSafetensorsHeader(Data(count: 7), path: "c.safetensors")) { error in
      XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
    }
  }

  func testTheLengthCountsOnlyTheHeader() throws {
    // Exactly at the end of the file is fine; one byte more is not.
    let parsed = try readSafetensorsHeader(file("{ }"))
    XCTAssertEqual(parsed.dataStart, 11)
    XCTAssertThrowsError(try readSafetensorsHeader(file("{ }", length: 4)))
  }
}

final class LabelledPositionsHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "4.2" }

  func testRaggedRowsAndAnotherIgnoreIndex() {
    XCTAssertEqual(labelledPositions([[1], [-100, 2, -100, 3], [], [4, -100]]), [0, 2, 4, 5])
    XCTAssertEqual(labelledPositions([[-1, -100, 0], [-1, 5]], ignoreIndex: -1), [1, 2, 4])
  }

  func testEveryPositionLabelled() {
    XCTAssertEqual(labelledPositions([[0, 0], [0, 0], [0, 0]]), [0, 1, 2, 3, 4, 5])
  }

  func testIgnoredLabelsDoNotMoveTheLoss() throws {
    let labels = [[3, -100, -100, 9], [-100, 2, -100, -100]]
    guard labelledPositions(labels) == [0, 3, 5] else {
      return XCTFail("labelledPositions(\(labels)) should be [0, 3, 5]")
    }
    try skipUnlessExercisesDone {
      let x = Tensor(zeros: [1, 2, 4])
      _ = splitHeads(x, heads: 2)
      _ = scaledDotProductAttention(query: x, key: x, value: x)
    }
    let config = BertConfig.tiny(vocabSize: 12, hiddenSize: 8, intermediateSize: 16, maxPositionEmbeddings: 8)
    let model = BertForMaskedLM(config, generator: Generator(seed: 8))
    model.eval()
    let inputs = [[1, 4, 4, 5], [1, 6, 4, 7]]
    let logits = try model(inputIds: inputs)  // (2, 4, 12)
    var expected = 0.0
    for i in [0, 3, 5] {
      let row = logits.data[(i * 12)..<((i + 1) * 12)].map(Double.init)
      let top = row.max()!
      expected += top + log(row.reduce(0) { $0 + exp($1 - top) }) - row[labels.flatMap { $0 }[i]]
    }
    let loss = try model.maskedLMLoss(inputIds: inputs, labels: labels).loss.item
    XCTAssertEqual(Double(loss), expected / 3, accuracy: 1e-4, "the mean over the 3 labelled positions")
  }
}
