import ExerciseTesting
import Foundation
import TensorCore
import XCTest

@testable import Models

/// F16, BF16 and I8 in safetensors files, against a file Python's safetensors wrote
/// (scripts/golden_safetensors_dtypes.py), and the bit-exact half-precision conversions.
final class SafetensorsDTypeTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessCheckpointExercisesDone()
  }

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")

  struct Golden: Decodable {
    struct Entry: Decodable {
      var dtype: String
      var shape: [Int]
      /// Float tensors: the float32 inputs and the stored values widened to float32, as bits.
      var input_bits: [UInt32]?
      var value_bits: [UInt32]?
      /// I8 tensors.
      var values: [Int8]?
    }
    var tensors: [String: Entry]
  }

  func golden() throws -> (Golden, Data) {
    let json = try Data(contentsOf: Self.fixtures.appendingPathComponent("safetensors-dtypes.json"))
    let file = try Data(contentsOf: Self.fixtures.appendingPathComponent("safetensors-dtypes.safetensors"))
    return (try JSONDecoder().decode(Golden.self, from: json), file)
  }

  /// Every value Python stored (edge values, NaN and signed zeros included) reads back exactly.
  func testReadsWhatPythonWrote() throws {
    let (golden, data) = try golden()
    let file = try SafetensorsFile(data: data, path: "safetensors-dtypes.safetensors")
    XCTAssertEqual(Set(file.entries.keys), Set(golden.tensors.keys))
    XCTAssertEqual(file.metadata, ["format": "pt"])
    for (name, expected) in golden.tensors {
      XCTAssertEqual(file.entries[name]?.dtype.rawValue, expected.dtype, name)
      if let values = expected.values {
        let t = try file.int8Tensor(name)
        XCTAssertEqual(t.shape, expected.shape, name)
        XCTAssertEqual(t.values, values, name)
      } else {
        let t = try file.tensor(name)
        XCTAssertEqual(t.shape, expected.shape, name)
        // NaN as NaN: torch widens an F16 NaN to 0x7FFFFFFF, the kit (as vcvtph2ps) to 0x7FC00000.
        let bits = try XCTUnwrap(expected.value_bits)
        XCTAssertEqual(
          t.data.map { $0.isNaN ? 0x7FC0_0000 : $0.bitPattern },
          bits.map {
            Float(bitPattern: $0).isNaN ? 0x7FC0_0000 : $0
          }, name)
        XCTAssertEqual(t.data.filter(\.isNaN).count, bits.filter { Float(bitPattern: $0).isNaN }.count)
      }
    }
  }

  /// The same inputs written with the same dtypes give Python's file byte for byte: the header
  /// (order, fields, padding), the F16/BF16 rounding (ties to even, overflow, subnormals) and I8.
  func testWritesWhatPythonWrites() throws {
    let (golden, data) = try golden()
    var payloads: [(name: String, payload: SafetensorsPayload)] = []
    for (name, entry) in golden.tensors {
      if let values = entry.values {
        payloads.append((name, SafetensorsPayload(Int8Tensor(values, shape: entry.shape))))
      } else {
        let inputs = Tensor(try XCTUnwrap(entry.input_bits).map(Float.init(bitPattern:)), shape: entry.shape)
        let dtype = try XCTUnwrap(SafetensorsDType(rawValue: entry.dtype))
        payloads.append((name, try SafetensorsPayload(inputs, as: dtype)))
      }
    }
    let written = try SafetensorsFile.serialize(payloads: payloads.shuffled())
    XCTAssertEqual(written.count, data.count)
    XCTAssertEqual(written, data, "the kit's file differs from Python's")
    if written != data {
      let header = { (d: Data) in String(decoding: d.prefix(1000), as: UTF8.self) }
      XCTFail("kit: \(header(written))\npython: \(header(data))")
    }
  }

  /// The kit quantizes the float weight to PyTorch's int8 values and scales exactly (observer
  /// with quant_min=-127, quant_max=127, then quantize_per_channel), and reads them back.
  func testQuantizesAsPyTorchDoes() throws {
    try skipUnlessExercisesDone { _ = quantizePerChannel(Tensor(zeros: [1, 1])) }
    let (_, data) = try golden()
    let file = try SafetensorsFile(data: data, path: "safetensors-dtypes.safetensors")
    let fromPython = try file.quantizedWeight("quant.weight")
    let ours = QuantizedWeight(quantizing: try file.tensor("quant.float_weight"))
    XCTAssertEqual(ours.scales.map(\.bitPattern), fromPython.scales.map(\.bitPattern))
    XCTAssertEqual(ours.values, fromPython.values)
    XCTAssertEqual(
      ours.values.values[(2 * 11)..<(3 * 11)], ArraySlice(repeating: 0, count: 11), "the zero row")
    XCTAssertTrue(ours.values.values.contains(-127) && ours.values.values.contains(127))
  }

  /// A quantized weight saved as `name` (I8) + `name_scale` (F32, (out, 1)) reads back equal,
  /// beside a Float tensor saved as F16.
  func testQuantizedWeightRoundTrip() throws {
    try skipUnlessExercisesDone { _ = quantizePerChannel(Tensor(zeros: [1, 1])) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("q-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let weight = QuantizedWeight(quantizing: Tensor.randn([5, 9]))
    let bias = Tensor([0.5, -0.25, 1, 2, 65504])
    try SafetensorsFile.write(
      payloads: SafetensorsPayload.quantized(weight, name: "layer.weight")
        + [("layer.bias", try SafetensorsPayload(bias, as: .f16))], to: url)
    let file = try SafetensorsFile(contentsOf: url)
    XCTAssertEqual(file.entries["layer.weight"]?.dtype, .i8)
    XCTAssertEqual(file.entries["layer.weight_scale"]?.shape, [5, 1])
    XCTAssertEqual(file.entries["layer.bias"]?.dtype, .f16)
    XCTAssertEqual(try file.quantizedWeight("layer.weight"), weight)
    XCTAssertEqual(try file.tensor("layer.bias").data, bias.data, "these values are exact in F16")
  }

  /// `write(_:dtype:)` stores Float tensors as F16, rounded to nearest.
  func testWritesFloatTensorsAsHalf() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("h-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafetensorsFile.write([("w", Tensor([0.1, 1e5, -3]))], dtype: .f16, to: url)
    let file = try SafetensorsFile(contentsOf: url)
    XCTAssertEqual(file.entries["w"]?.dtype, .f16)
    XCTAssertEqual(file.entries["w"]?.range.count, 6)
    XCTAssertEqual(try file.tensor("w").data, [0.0999755859375, .infinity, -3])
  }

  // MARK: - Hostile or mistaken input

  func header(_ json: String, dataBytes: Int) -> Data {
    var data = Data()
    withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(Data(json.utf8))
    data.append(Data(repeating: 0, count: dataBytes))
    return data
  }

  func assertThrows(
    _ body: @autoclosure () throws -> Any, mentioning texts: String..., line: UInt = #line
  ) {
    XCTAssertThrowsError(try body(), line: line) { error in
      for text in texts { XCTAssertTrue("\(error)".contains(text), "\(error)", line: line) }
    }
  }

  func testRejectsBadDTypeEntries() {
    // I8 of shape [3] is 3 bytes; F16 of shape [3] is 6.
    assertThrows(
      try SafetensorsFile(
        data: header(#"{"q":{"dtype":"I8","shape":[3],"data_offsets":[0,4]}}"#, dataBytes: 4),
        path: "x.safetensors"),
      mentioning: "x.safetensors", "\"q\"", "needs 3 bytes", "give 4")
    assertThrows(
      try SafetensorsFile(
        data: header(#"{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,3]}}"#, dataBytes: 4),
        path: "x.safetensors"),
      mentioning: "\"h\"", "needs 6 bytes")
    assertThrows(
      try SafetensorsFile(
        data: header(#"{"u":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}}"#, dataBytes: 3),
        path: "x.safetensors"),
      mentioning: "x.safetensors", "\"u\"", "U8 is not supported", "I8")
    assertThrows(
      try SafetensorsFile(
        data: header(#"{"f":{"dtype":"I8","shape":[1.5],"data_offsets":[0,1]}}"#, dataBytes: 1),
        path: "x.safetensors"),
      mentioning: "\"f\"", "non-negative integers")
    assertThrows(
      try SafetensorsFile(
        data: header(#"{"f":{"dtype":"I8","shape":[1],"data_offsets":[0,1e30]}}"#, dataBytes: 1),
        path: "x.safetensors"),
      mentioning: "\"f\"", "data_offsets")
    assertThrows(
      try SafetensorsFile(
        data: header(
          #"{"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"F16","shape":[1],"data_offsets":[1,3]}}"#,
          dataBytes: 3), path: "x.safetensors"),
      mentioning: "overlap")
    assertThrows(
      try SafetensorsFile(
        data: header(
          #"{"q":{"dtype":"I8","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, dataBytes: 4),
        path: "x.safetensors"),
      mentioning: "\"q\"", "too many")
  }

  func testTypedReadsRefuseTheOtherKind() throws {
    let data = header(
      #"{"q":{"dtype":"I8","shape":[2,2],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"q_scale":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"bad":{"dtype":"I8","shape":[2,1],"data_offsets":[12,14]},"bad_scale":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},"v":{"dtype":"I8","shape":[2],"data_offsets":[14,16]}}"#,
      dataBytes: 24)
    let file = try SafetensorsFile(data: data, path: "x.safetensors")
    assertThrows(try file.tensor("q"), mentioning: "x.safetensors", "\"q\"", "I8", "int8Tensor")
    assertThrows(try file.int8Tensor("w"), mentioning: "\"w\"", "F32, not I8")
    assertThrows(try file.int8Tensor("nope"), mentioning: "no tensor named \"nope\"")
    assertThrows(try file.quantizedWeight("q"), mentioning: "\"q_scale\"", "[2, 1] or [2]", "got [1]")
    assertThrows(try file.quantizedWeight("v"), mentioning: "\"v\"", "(out, in)")
    assertThrows(try file.quantizedWeight("w"), mentioning: "not I8")
    XCTAssertEqual(try file.quantizedWeight("bad").scales, [0, 0])
    XCTAssertEqual(try file.int8Tensor("q").values, [0, 0, 0, 0])
  }

  func testRejectsNonFiniteOrNegativeScales() throws {
    var data = header(
      #"{"q":{"dtype":"I8","shape":[2,1],"data_offsets":[0,2]},"q_scale":{"dtype":"F32","shape":[2,1],"data_offsets":[2,10]}}"#,
      dataBytes: 0)
    data.append(contentsOf: [1, 2])
    withUnsafeBytes(of: Float(1).bitPattern.littleEndian) { data.append(contentsOf: $0) }
    withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { data.append(contentsOf: $0) }
    let file = try SafetensorsFile(data: data, path: "x.safetensors")
    assertThrows(try file.quantizedWeight("q"), mentioning: "\"q_scale\"", "finite and non-negative")
  }

  func testWriterRefusesDuplicatesAndIntegerFloatDTypes() {
    let url = URL(fileURLWithPath: "/tmp/never-\(UUID()).safetensors")
    assertThrows(
      try SafetensorsFile.write([("a", Tensor([1])), ("a", Tensor([2]))], to: url), mentioning: url.path,
      "two tensors are named \"a\"")
    assertThrows(try SafetensorsPayload(Tensor([1]), as: .i8), mentioning: "cannot be written as I8")
    XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
  }

  /// Header strings are escaped as serde_json escapes them (Python's writer); the reader decodes
  /// them back, and a slash is not escaped.
  func testHeaderStringsAreEscapedAsTheReferenceWriterDoes() throws {
    XCTAssertEqual(SafetensorsFile.jsonString("a/b\"c\\d\n\u{01}é"), #""a/b\"c\\d\n\u0001é""#)
    let metadata = ["path": "runs/x\ty", "z": "1", "a": "\u{1F}"]
    let data = try SafetensorsFile.serialize(
      payloads: [("w/1", try SafetensorsPayload(Tensor([1])))], metadata: metadata)
    let file = try SafetensorsFile(data: data)
    XCTAssertEqual(file.metadata, metadata)
    XCTAssertEqual(try file.tensor("w/1").data, [1])
    XCTAssertTrue(String(decoding: data, as: UTF8.self).contains(#"{"__metadata__":{"a":"\u001f","path""#))
  }

  // MARK: - Half precision, exhaustively

  /// Every F16 bit pattern widens as Swift's Float16 does (NaN payloads included), and every
  /// tie between two adjacent F16 values, and the floats just either side of it, round as
  /// Float16(Float) does (nearest, ties to even).
  func testF16ConversionsMatchFloat16() throws {
    #if (os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64)
      throw XCTSkip("Float16 is unavailable on macOS x86_64")
    #else
      for bits in 0...UInt16.max {
        let ours = HalfPrecision.float(fromF16: bits)
        XCTAssertEqual(
          ours.bitPattern, Float(Float16(bitPattern: bits)).bitPattern, "F16 0x\(String(bits, radix: 16))")
        if ours.isNaN { continue }
        XCTAssertEqual(HalfPrecision.f16(from: ours), bits, "exact values round-trip")
        // The midpoint to the next F16 up in magnitude (exact in Float), and its neighbours;
        // past the largest finite F16 (65504) the next step would be 65536.
        guard (bits & 0x7FFF) < 0x7C00 else { continue }
        let next =
          (bits & 0x7FFF) == 0x7BFF
          ? Float(sign: ours.sign, exponent: 16, significand: 1) : HalfPrecision.float(fromF16: bits &+ 1)
        let mid = (ours + next) / 2  // exact: 12 significant bits at most
        for x in [mid, mid.nextUp, mid.nextDown, -mid] where !x.isNaN {
          XCTAssertEqual(HalfPrecision.f16(from: x), Float16(x).bitPattern, "\(x)")
        }
      }
      // A sweep of Float bit patterns across the whole range, NaNs included.
      for bits in stride(from: UInt32(0), through: UInt32.max - 4093, by: 4093) {
        let x = Float(bitPattern: bits)
        let expected = Float16(x)
        if expected.isNaN {
          XCTAssertEqual(HalfPrecision.f16(from: x), expected.bitPattern | 0x0200, "quiet NaN")
        } else {
          XCTAssertEqual(HalfPrecision.f16(from: x), expected.bitPattern, "\(x)")
        }
      }
    #endif
  }

  /// BF16 narrowing is the float32 rounded to its top 16 bits (nearest, ties to even), checked
  /// against a reference in Double arithmetic over a sweep of bit patterns and every tie.
  func testBF16Rounding() {
    func reference(_ x: Float) -> UInt16 {
      let low = UInt16(x.bitPattern >> 16)
      // Past the largest finite BF16 the next step up would be 2^128 (then: infinity).
      let down = Double(HalfPrecision.float(fromBF16: low))
      let up =
        low & 0x7FFF == 0x7F7F
        ? Double(sign: x.sign, exponent: 128, significand: 1)
        : Double(HalfPrecision.float(fromBF16: low &+ 1))
      let (dd, du) = (Swift.abs(Double(x) - down), Swift.abs(up - Double(x)))
      if dd < du || (dd == du && low & 1 == 0) { return low }
      return low &+ 1
    }
    for bits in stride(from: UInt32(0), through: UInt32.max - 2039, by: 2039) {
      let x = Float(bitPattern: bits)
      if x.isNaN {
        XCTAssertTrue(HalfPrecision.float(fromBF16: HalfPrecision.bf16(from: x)).isNaN)
      } else if x.isFinite {
        XCTAssertEqual(HalfPrecision.bf16(from: x), reference(x), "\(x)")
      }
    }
    for low in [UInt32(0x0000), 0x3F80, 0x3F81, 0xBF80, 0x0001, 0x7F7E] {
      let tie = Float(bitPattern: low << 16 | 0x8000)
      XCTAssertEqual(
        UInt32(HalfPrecision.bf16(from: tie)), low & 1 == 0 ? low : low + 1,
        "tie above 0x\(String(low, radix: 16))")
    }
    XCTAssertEqual(HalfPrecision.bf16(from: .greatestFiniteMagnitude), 0x7F80, "rounds to infinity")
    XCTAssertEqual(HalfPrecision.bf16(from: -.infinity), 0xFF80)
  }
}
