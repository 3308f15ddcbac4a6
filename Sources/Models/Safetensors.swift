// The safetensors file format (Hugging Face), read and written without dependencies.
//
//   bytes 0..<8     N, the header's length, a little-endian UInt64
//   bytes 8..<8+N   a JSON object: name → {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
//                   plus an optional "__metadata__": {string: string}
//   the rest        the tensors' bytes, little-endian; offsets are relative to this part
//
// The kit reads F32, F16 and BF16 as Float tensors (widened exactly) and I8 as `Int8Tensor`; it
// writes F32, F16, BF16 and I8 laid out exactly as Python's `safetensors` does, so the same
// tensors give the same bytes. A quantized weight (`QuantizedWeight`) is two tensors: `name` (I8)
// and `name_scale` (its per-row scales), compressed-tensors' convention.
//
// A file comes from outside the kit, so the reader trusts nothing: sizes are checked against
// the file before anything is allocated, and every problem is reported with the file and the
// tensor it concerns.

import Exercises
import FileInput
import Foundation
import TensorCore

/// What is wrong with a safetensors file (or a tensor in it).
public struct SafetensorsError: Error, CustomStringConvertible {
  public let description: String
  /// The problem without the file's name (the writer adds the name once it knows it).
  let problem: String
  init(_ file: String, _ problem: String) {
    description = "\(file): \(problem)"
    self.problem = problem
  }
}

/// The JSON header of a safetensors file, and where the tensors' bytes begin.
public struct SafetensorsHeader: ExercisePlaceholder {
  /// The header object: tensor name → `{"dtype", "shape", "data_offsets"}`, and `__metadata__`.
  public var json: [String: Any]
  /// The offset of the data section in the file: 8 + the header's length.
  public var dataStart: Int

  /// A header and its data offset.
  public init(json: [String: Any], dataStart: Int) {
    self.json = json
    self.dataStart = dataStart
  }

  /// What an unfinished exercise returns: an empty header.
  public static var exercisePlaceholder: SafetensorsHeader { SafetensorsHeader(json: [:], dataStart: 8) }
}

/// Reads the start of a safetensors file: the header's length N (bytes 0..<8, a little-endian
/// UInt64), then the N bytes after it, which must be a JSON object. Throws `SafetensorsError`
/// naming `path` if the file is shorter than 8 bytes, N is absurd (over
/// `SafetensorsFile.maxHeaderBytes`) or runs past the end, or the header is not a JSON object.
public func readSafetensorsHeader(_ data: Data, path: String = "<memory>") throws -> SafetensorsHeader {
  // BEGIN EXERCISE 4.4 "Reading the safetensors header" points=3
  // hint: The file starts with 8 bytes that say how long the JSON header is; the header comes right after
  // hint: them.
  // hint 2: Little-endian: the first byte is the least significant. Check every size before using it (a short
  // hint 2: file, an absurd length, a length past the end) and throw SafetensorsError(path, "…") naming the
  // hint 2: problem; JSONSerialization parses the header, which must be an object.
  // hint 3: Check there are 8 bytes; combine them into a UInt64, byte i worth 256^i; refuse lengths over
  // hint 3: SafetensorsFile.maxHeaderBytes or past the end; parse the header bytes; require a [String: Any];
  // hint 3: return it with the offset where the data begins.
  guard data.count >= 8 else {
    throw SafetensorsError(
      path, "truncated: \(data.count) bytes, a file starts with an 8-byte header length")
  }
  let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) {
    $0 | UInt64($1.element) << (8 * UInt64($1.offset))
  }
  guard headerLength <= UInt64(SafetensorsFile.maxHeaderBytes) else {
    throw SafetensorsError(
      path, "header length \(headerLength) is absurd (limit \(SafetensorsFile.maxHeaderBytes) bytes)")
  }
  guard Int(headerLength) <= data.count - 8 else {
    throw SafetensorsError(
      path, "header length \(headerLength) runs past the end of the file (\(data.count) bytes)")
  }
  let dataStart = 8 + Int(headerLength)
  let json: Any
  do {
    json = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<dataStart))
  } catch {
    throw SafetensorsError(path, "the header is not valid JSON")
  }
  guard let header = json as? [String: Any] else {
    throw SafetensorsError(path, "the header is not a JSON object")
  }
  return SafetensorsHeader(json: header, dataStart: dataStart)
  // END EXERCISE 4.4
}

/// The element types the kit reads: F32, F16 and BF16 as Float weights, I8 as integer storage
/// (`SafetensorsFile.int8Tensor`); I64 and I32 are recognised (some checkpoints carry index
/// buffers) but not read. The names are the format's own.
public enum SafetensorsDType: String, Sendable, CaseIterable {
  case f32 = "F32", f16 = "F16", bf16 = "BF16", i8 = "I8", i64 = "I64", i32 = "I32"

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .i8: return 1
    case .f16, .bf16: return 2
    case .f32, .i32: return 4
    case .i64: return 8
    }
  }

  /// Whether the values are floating point (read by `SafetensorsFile.tensor`).
  public var isFloatingPoint: Bool { self == .f32 || self == .f16 || self == .bf16 }

  /// The rank of the dtype in the reference implementation's `Dtype` order (declaration order
  /// of its Rust enum). Its writer lays tensors out by this rank, largest first, then by name,
  /// so that every tensor starts at a multiple of its element size.
  var layoutRank: Int {
    switch self {
    case .i8: return 0
    case .f16: return 1
    case .bf16: return 2
    case .i32: return 3
    case .f32: return 4
    case .i64: return 5
    }
  }
}

/// One tensor's entry in the header.
public struct SafetensorsEntry: Sendable {
  /// The element type.
  public var dtype: SafetensorsDType
  /// The size of each dimension.
  public var shape: [Int]
  /// Byte range within the data section.
  public var range: Range<Int>
}

/// A parsed safetensors file: the header, and the data to read tensors from.
public struct SafetensorsFile {
  /// The file's path, for messages.
  public let path: String
  /// Every tensor's entry, by name.
  public let entries: [String: SafetensorsEntry]
  /// The `__metadata__` strings (`["format": "pt"]` for PyTorch-written files).
  public let metadata: [String: String]
  let data: Data
  let dataStart: Int

  /// The largest header the reader accepts (real headers are a few hundred KB).
  static let maxHeaderBytes = 100 << 20

  /// Reads and validates `url`. Throws `SafetensorsError` naming the problem.
  public init(contentsOf url: URL) throws {
    let name = url.path
    let data: Data
    do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
      throw SafetensorsError(name, "cannot read the file (\(error.localizedDescription))")
    }
    try self.init(data: data, path: name)
  }

  /// Parses a safetensors file held in memory.
  public init(data: Data, path: String = "<memory>") throws {
    self.path = path
    self.data = data
    let parsed = try readSafetensorsHeader(data, path: path)
    let header = parsed.json
    dataStart = parsed.dataStart
    // A tensor named twice: the safetensors library keeps the last entry (and then refuses a file
    // whose bytes the kept entries do not cover); the kit names the repeat instead.
    if let duplicate = firstDuplicateJSONKey(in: data[8..<dataStart]) {
      throw SafetensorsError(path, duplicate.description)
    }
    let dataSize = max(0, data.count - dataStart)
    var entries: [String: SafetensorsEntry] = [:]
    var metadata: [String: String] = [:]
    for (key, value) in header {
      if key == "__metadata__" {
        guard let m = value as? [String: String] else {
          throw SafetensorsError(path, "__metadata__ must map strings to strings")
        }
        metadata = m
        continue
      }
      guard let fields = value as? [String: Any] else {
        throw SafetensorsError(path, "tensor \"\(key)\" is not an object")
      }
      guard let dtypeName = fields["dtype"] as? String else {
        throw SafetensorsError(path, "tensor \"\(key)\" has no dtype")
      }
      guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
        let known = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
        throw SafetensorsError(path, "tensor \"\(key)\": dtype \(dtypeName) is not supported (\(known))")
      }
      guard let shape = Self.integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
        throw SafetensorsError(path, "tensor \"\(key)\": shape must be a list of non-negative integers")
      }
      guard let offsets = Self.integers(fields["data_offsets"]), offsets.count == 2, offsets[0] >= 0,
        offsets[0] <= offsets[1]
      else {
        throw SafetensorsError(path, "tensor \"\(key)\": data_offsets must be [begin, end] with begin <= end")
      }
      guard offsets[1] <= dataSize else {
        throw SafetensorsError(
          path, "tensor \"\(key)\": data_offsets \(offsets) run past the data (\(dataSize) bytes)")
      }
      let (count, overflow) = shape.reduce((1, false)) { acc, d in
        let (p, o) = acc.0.multipliedReportingOverflow(by: d)
        return (p, acc.1 || o)
      }
      let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: dtype.size)
      guard !overflow, !bytesOverflow, bytes == offsets[1] - offsets[0] else {
        throw SafetensorsError(
          path,
          "tensor \"\(key)\": shape \(shape) of \(dtypeName) needs \(overflow || bytesOverflow ? "too many" : String(bytes)) bytes, data_offsets give \(offsets[1] - offsets[0])"
        )
      }
      entries[key] = SafetensorsEntry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
    }
    // Empty tensors occupy no bytes (Python gives them [k, k] at any k), so they overlap nothing.
    let sorted = entries.filter { !$0.value.range.isEmpty }.sorted {
      $0.value.range.lowerBound < $1.value.range.lowerBound
    }
    for (a, b) in zip(sorted, sorted.dropFirst()) where b.value.range.lowerBound < a.value.range.upperBound {
      throw SafetensorsError(path, "tensors \"\(a.key)\" and \"\(b.key)\" overlap")
    }
    self.entries = entries
    self.metadata = metadata
  }

  /// A JSON list of integers (JSON numbers that are whole and fit an Int), or nil.
  private static func integers(_ value: Any?) -> [Int]? {
    guard let list = value as? [Any] else { return nil }
    var result: [Int] = []
    for element in list {
      // Whole numbers only: 1.5 or 1e30 is not a size or an offset.
      guard let number = element as? NSNumber, let value = Int(exactly: number.doubleValue) else {
        return nil
      }
      result.append(value)
    }
    return result
  }

  /// The entry for `name`, or an error naming the file and the tensor.
  func entry(_ name: String) throws -> SafetensorsEntry {
    guard let entry = entries[name] else { throw SafetensorsError(path, "no tensor named \"\(name)\"") }
    return entry
  }

  /// The tensor `name` as Float32. F16 and BF16 are widened exactly (subnormals, infinities and
  /// NaN included). Integer tensors are refused: read I8 with `int8Tensor(_:)`.
  public func tensor(_ name: String) throws -> Tensor {
    let entry = try entry(name)
    guard entry.dtype.isFloatingPoint else {
      let hint = entry.dtype == .i8 ? "; read it with int8Tensor(_:)" : ""
      throw SafetensorsError(
        path, "tensor \"\(name)\" holds integers (\(entry.dtype.rawValue)), not Float weights\(hint)")
    }
    let start = dataStart + entry.range.lowerBound
    let n = entry.shape.reduce(1, *)
    let values = [Float](unsafeUninitializedCapacity: n) { out, initialized in
      data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        let bytes = raw.baseAddress! + start
        @inline(__always) func half(_ i: Int) -> UInt16 {
          UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
        switch entry.dtype {
        case .f32:
          for i in 0..<n {
            out[i] = Float(
              bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
          }
        case .f16: for i in 0..<n { out[i] = HalfPrecision.float(fromF16: half(i)) }
        case .bf16: for i in 0..<n { out[i] = HalfPrecision.float(fromBF16: half(i)) }
        case .i8, .i32, .i64: break  // refused above
        }
      }
      initialized = n
    }
    return Tensor(values, shape: entry.shape)
  }

  /// The I8 tensor `name` as integer storage. Other dtypes are refused (Float weights are read
  /// with `tensor(_:)`).
  public func int8Tensor(_ name: String) throws -> Int8Tensor {
    let entry = try entry(name)
    guard entry.dtype == .i8 else {
      throw SafetensorsError(path, "tensor \"\(name)\" is \(entry.dtype.rawValue), not I8")
    }
    let start = dataStart + entry.range.lowerBound
    let values = data.withUnsafeBytes { raw in
      Array(
        UnsafeBufferPointer(
          start: (raw.baseAddress! + start).assumingMemoryBound(to: Int8.self), count: entry.range.count))
    }
    return Int8Tensor(values, shape: entry.shape)
  }

  /// The name of the scales that go with the int8 weight `name`: `name + "_scale"`, so
  /// `….query.weight` has `….query.weight_scale` (compressed-tensors' name, as vLLM reads it).
  public static func scaleName(for weightName: String) -> String { weightName + "_scale" }

  /// The quantized weight saved as `name` (I8, shape (out, in)) and `name_scale` (F32, F16 or
  /// BF16, shape (out, 1) as compressed-tensors writes it, or (out)); the scales must be finite
  /// and non-negative.
  public func quantizedWeight(_ name: String) throws -> QuantizedWeight {
    let values = try int8Tensor(name)
    guard values.shape.count == 2 else {
      throw SafetensorsError(path, "tensor \"\(name)\": a quantized weight is (out, in), got \(values.shape)")
    }
    let scaleName = Self.scaleName(for: name)
    let scales = try tensor(scaleName)
    let out = values.shape[0]
    guard scales.shape == [out, 1] || scales.shape == [out] else {
      throw SafetensorsError(
        path,
        "tensor \"\(scaleName)\": \(out) rows need scales of shape [\(out), 1] or [\(out)], got \(scales.shape)"
      )
    }
    guard scales.data.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
      throw SafetensorsError(path, "tensor \"\(scaleName)\": scales must be finite and non-negative")
    }
    return QuantizedWeight(values: values, scales: scales.data)
  }
}

// MARK: - Writing

/// One tensor as it will be written: a dtype and the values to store in it.
public struct SafetensorsPayload {
  enum Values {
    case float(Tensor)
    case int8(Int8Tensor)
  }
  /// The element type in the file.
  public let dtype: SafetensorsDType
  let values: Values

  /// `tensor` stored as `dtype`: F32 (exact), F16 or BF16 (rounded to nearest, ties to even;
  /// in F16, values of magnitude 65520 and up become infinity, as with PyTorch's `.half()`).
  /// Integer dtypes are refused.
  public init(_ tensor: Tensor, as dtype: SafetensorsDType = .f32) throws {
    guard dtype.isFloatingPoint else {
      throw SafetensorsError("<writer>", "a Float tensor cannot be written as \(dtype.rawValue)")
    }
    self.init(dtype: dtype, values: .float(tensor))
  }

  init(dtype: SafetensorsDType, values: Values) {
    self.dtype = dtype
    self.values = values
  }

  /// Int8 storage, written as I8.
  public init(_ tensor: Int8Tensor) { self.init(dtype: .i8, values: .int8(tensor)) }

  /// The size of each dimension.
  public var shape: [Int] {
    switch values {
    case .float(let t): return t.shape
    case .int8(let t): return t.shape
    }
  }

  /// The number of bytes in the file.
  var byteCount: Int { shape.reduce(1, *) * dtype.size }

  /// The tensors a quantized weight is saved as: `name` (I8, (out, in)) and `name_scale`
  /// (F32, (out, 1)), which `SafetensorsFile.quantizedWeight(_:)` reads back.
  public static func quantized(_ weight: QuantizedWeight, name: String) -> [(
    name: String, payload: SafetensorsPayload
  )] {
    let scales = Tensor(weight.scales, shape: [weight.outFeatures, 1])
    return [
      (name, SafetensorsPayload(weight.values)),
      (SafetensorsFile.scaleName(for: name), SafetensorsPayload(dtype: .f32, values: .float(scales))),
    ]
  }

  /// Appends the values, little-endian, to `file`.
  func append(to file: inout Data) {
    switch values {
    case .int8(let t):
      t.values.withUnsafeBufferPointer {
        file.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count))
      }
    case .float(let t) where dtype == .f32:
      t.data.withUnsafeBufferPointer {
        file.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count))
      }
    case .float(let t):
      let bits = t.data.map { dtype == .f16 ? HalfPrecision.f16(from: $0) : HalfPrecision.bf16(from: $0) }
      bits.withUnsafeBufferPointer {
        file.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count))
      }
    }
  }
}

extension SafetensorsFile {
  /// The bytes of a safetensors file holding `payloads`, exactly as the reference implementation
  /// (Python's `safetensors.torch.save`) lays them out:
  ///  - the header lists `__metadata__` first (its keys sorted; left out when empty), then the
  ///    tensors in data order, each as `{"dtype":…,"shape":[…],"data_offsets":[begin,end]}`;
  ///  - data order is by dtype, widest first (F32, BF16, F16, I8), then by name, so every tensor
  ///    starts at a multiple of its element size;
  ///  - the header is padded with spaces to a multiple of 8 bytes.
  /// Throws if two payloads share a name.
  public static func serialize(
    payloads: [(name: String, payload: SafetensorsPayload)], metadata: [String: String] = ["format": "pt"]
  ) throws -> Data {
    var seen = Set<String>()
    for (name, _) in payloads where !seen.insert(name).inserted {
      throw SafetensorsError("<writer>", "two tensors are named \"\(name)\"")
    }
    let ordered = payloads.sorted { a, b in
      if a.payload.dtype.layoutRank != b.payload.dtype.layoutRank {
        return a.payload.dtype.layoutRank > b.payload.dtype.layoutRank
      }
      return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)  // Rust compares bytes
    }
    var fields: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
      fields.append(
        "\"__metadata__\":{"
          + pairs.map { jsonString($0.key) + ":" + jsonString($0.value) }.joined(separator: ",")
          + "}")
    }
    var offset = 0
    for (name, payload) in ordered {
      let end = offset + payload.byteCount
      let shape = payload.shape.map(String.init).joined(separator: ",")
      fields.append(
        jsonString(name)
          + ":{\"dtype\":\"\(payload.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
      )
      offset = end
    }
    var header = Data(("{" + fields.joined(separator: ",") + "}").utf8)
    while header.count % 8 != 0 { header.append(0x20) }
    var file = Data(capacity: 8 + header.count + offset)
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { file.append(contentsOf: $0) }
    file.append(header)
    for (_, payload) in ordered { payload.append(to: &file) }
    return file
  }

  /// A JSON string literal as serde_json writes it (the reference writer): `"` and `\` escaped,
  /// control characters as \n, \t, … or \u00xx, everything else (`/`, non-ASCII) as is.
  static func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{08}": out += "\\b"
      case "\u{0C}": out += "\\f"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  /// Writes `payloads` (Float tensors as F32/F16/BF16, int8 storage as I8) to `url` atomically
  /// (a temporary file, then a rename), laid out as `serialize(payloads:metadata:)` describes.
  public static func write(
    payloads: [(name: String, payload: SafetensorsPayload)], metadata: [String: String] = ["format": "pt"],
    to url: URL
  ) throws {
    let file: Data
    do { file = try serialize(payloads: payloads, metadata: metadata) } catch let error as SafetensorsError {
      throw SafetensorsError(url.path, error.problem)
    }
    do { try file.write(to: url, options: .atomic) } catch {
      throw SafetensorsError(url.path, "cannot write the file (\(error.localizedDescription))")
    }
  }

  /// Writes Float `tensors` to `url` as `dtype` (F32 by default; F16 or BF16 halve the file),
  /// atomically, laid out as the reference implementation does (see `serialize`).
  public static func write(
    _ tensors: [(name: String, tensor: Tensor)], dtype: SafetensorsDType = .f32,
    metadata: [String: String] = ["format": "pt"], to url: URL
  ) throws {
    let payloads = try tensors.map { (name: $0.name, payload: try SafetensorsPayload($0.tensor, as: dtype)) }
    try write(payloads: payloads, metadata: metadata, to: url)
  }
}

// MARK: - Half precision

/// Bit-exact conversions between Float and the two 16-bit float formats, written out rather
/// than through `Float16` (which macOS on Intel lacks):
///  - F16 (IEEE binary16): 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits; largest
///    finite 65504, subnormals down to 2^-24.
///  - BF16 (bfloat16): the top 16 bits of a Float: 8 exponent bits, 7 mantissa bits.
/// Widening is exact; narrowing rounds to nearest, ties to even. NaNs stay NaN, made quiet, as
/// the hardware conversions (F16C, AVX-512 BF16) do.
enum HalfPrecision {
  /// The Float an F16 bit pattern stands for (exact).
  static func float(fromF16 bits: UInt16) -> Float {
    let sign: UInt32 = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0x1F:  // infinity (mantissa 0), or NaN: payload kept, made quiet as vcvtph2ps does
      return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13 | (mantissa == 0 ? 0 : 0x40_0000))
    case 0:  // zero or subnormal: mantissa · 2^-24, exact in Float
      let magnitude = Float(mantissa) * 0x1p-24
      return Float(bitPattern: sign | magnitude.bitPattern)
    default:  // normal: rebias the exponent from 15 to 127
      return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }
  }

  /// The Float a BF16 bit pattern stands for (exact: it is the top half of the Float).
  static func float(fromBF16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

  /// `value` rounded to F16 (nearest, ties to even; overflow to infinity; NaN stays NaN, quiet,
  /// with the top of its payload, as F16C's vcvtps2ph).
  static func f16(from value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(bits >> 16) & 0x8000
    let exponent = Int(bits >> 23) & 0xFF
    let mantissa = bits & 0x7F_FFFF
    if exponent == 0xFF {
      return mantissa == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(mantissa >> 13)
    }
    let e = exponent - 112  // the F16 biased exponent
    if e >= 0x1F { return sign | 0x7C00 }  // 2^16 and beyond: infinity
    if e <= 0 {
      // An F16 subnormal (or zero): round |value| / 2^-24 to an integer. |value| < 2^-25
      // rounds to zero (e < -10); Float subnormals have exponent 0 and land there too.
      if e < -10 { return sign }
      let significand = mantissa | 0x80_0000  // |value| = significand · 2^(exponent - 150)
      let shift = UInt32(14 - e)  // from units of 2^(exponent - 150) to units of 2^-24
      return sign | UInt16(roundShift(significand, by: shift))  // 0x400 is the smallest normal: right
    }
    // Normal: keep 10 of the 23 mantissa bits; a carry may roll into the exponent, up to infinity.
    return sign | UInt16(roundShift(UInt32(e) << 23 | mantissa, by: 13))
  }

  /// `value` rounded to BF16 (nearest, ties to even); NaN stays NaN, made quiet.
  static func bf16(from value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
    return UInt16(roundShift(bits, by: 16))
  }

  /// x / 2^shift rounded to nearest, ties to even (shift ≥ 1).
  @inline(__always) private static func roundShift(_ x: UInt32, by shift: UInt32) -> UInt32 {
    let kept = x >> shift
    let rest = x & ((1 << shift) - 1)
    let half: UInt32 = 1 << (shift - 1)
    return rest > half || (rest == half && kept & 1 == 1) ? kept + 1 : kept
  }
}
