import Foundation
import Models
import TensorCore
import XCTest

/// The safetensors reader refuses damaged files with a clear message, and round-trips.
final class SafetensorsTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessCheckpointExercisesDone()
  }

  func file(header: String, dataBytes: Int = 0, headerLength: UInt64? = nil) -> Data {
    var data = Data()
    let h = Data(header.utf8)
    withUnsafeBytes(of: (headerLength ?? UInt64(h.count)).littleEndian) { data.append(contentsOf: $0) }
    data.append(h)
    data.append(Data(repeating: 0, count: dataBytes))
    return data
  }

  func assertRejects(
    _ data: Data, mentioning text: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertThrowsError(try SafetensorsFile(data: data, path: "x.safetensors"), file: file, line: line) {
      error in
      XCTAssertTrue("\(error)".contains(text), "\(error)", file: file, line: line)
      XCTAssertTrue("\(error)".contains("x.safetensors"), file: file, line: line)
    }
  }

  func testRoundTrip() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let a = Tensor([1.5, -2, 3.25], shape: [3])
    let b = Tensor([[1, 2], [3, 4]])
    try SafetensorsFile.write([("b", b), ("a", a)], to: url)
    let read = try SafetensorsFile(contentsOf: url)
    XCTAssertEqual(try read.tensor("a").data, a.data)
    XCTAssertEqual(try read.tensor("b").shape, [2, 2])
    XCTAssertEqual(read.metadata["format"], "pt")
  }

  func testRejectsTruncatedAndAbsurdHeaders() {
    assertRejects(Data([1, 2, 3]), mentioning: "truncated")
    assertRejects(file(header: "{}", headerLength: 1 << 40), mentioning: "absurd")
    assertRejects(file(header: "{}", headerLength: 500), mentioning: "past the end")
    assertRejects(file(header: "{not json"), mentioning: "not valid JSON")
  }

  func testRejectsBadTensorEntries() {
    assertRejects(
      file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 4),
      mentioning: "run past")
    assertRejects(
      file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8),
      mentioning: "needs 12 bytes")
    assertRejects(
      file(header: #"{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 8),
      mentioning: "not supported")
    assertRejects(
      file(
        header:
          #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
        dataBytes: 12), mentioning: "overlap")
    assertRejects(
      file(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#), mentioning: "non-negative")
  }

  func testReadsHalfPrecision() throws {
    // 1.0 in F16 is 0x3C00; in BF16 0x3F80.
    var data = file(
      header:
        #"{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]}}"#
    )
    data.append(contentsOf: [0x00, 0x3C, 0x80, 0x3F])
    let f = try SafetensorsFile(data: data)
    XCTAssertEqual(try f.tensor("h").data, [1])
    XCTAssertEqual(try f.tensor("b").data, [1])
  }

  func testShapeMismatchOnLoadIsReported() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID())")
    defer { try? FileManager.default.removeItem(at: directory) }
    let layer = Linear(3, 2)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try SafetensorsFile.write(
      [("weight", Tensor(zeros: [2, 4])), ("bias", Tensor(zeros: [2]))],
      to: directory.appendingPathComponent("model.safetensors"))
    let file = try SafetensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
    XCTAssertThrowsError(try layer.load(from: file, basePrefix: "bert")) { error in
      XCTAssertTrue("\(error)".contains("[2, 4]"), "\(error)")
    }
  }
}
