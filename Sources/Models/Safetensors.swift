// The safetensors file format (Hugging Face), read and written without dependencies.
//
//   bytes 0..<8     N, the header's length, a little-endian UInt64
//   bytes 8..<8+N   a JSON object: name → {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
//                   plus an optional "__metadata__": {string: string}
//   the rest        the tensors' bytes, little-endian; offsets are relative to this part
//
// A file comes from outside the kit, so the reader trusts nothing: sizes are checked against
// the file before anything is allocated, and every problem is reported with the file and the
// tensor it concerns.

import Exercises
import Foundation
import TensorCore

/// What is wrong with a safetensors file (or a tensor in it).
public struct SafetensorsError: Error, CustomStringConvertible {
  public let description: String
  init(_ file: String, _ problem: String) { description = "\(file): \(problem)" }
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
  // BEGIN EXERCISE 4.3 "Reading the safetensors header" points=3
  // hint: Little-endian: byte i of the first 8 is worth 256^i, so N = Σ UInt64(byte[i]) << (8·i). Check the sizes (file ≥ 8 bytes, N ≤ the limit, 8 + N ≤ the file size) before reading the header.
  // hint: Parse bytes 8..<8+N with JSONSerialization; it must give a [String: Any]. Each problem throws SafetensorsError(path, "…"): truncated, absurd, past the end, not valid JSON, not a JSON object.
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
  // END EXERCISE 4.3
}

/// The element types the reader understands.
public enum SafetensorsDType: String, Sendable {
  case f32 = "F32", f16 = "F16", bf16 = "BF16", i64 = "I64", i32 = "I32"

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .f32, .i32: return 4
    case .f16, .bf16: return 2
    case .i64: return 8
    }
  }
}

/// One tensor's entry in the header.
public struct SafetensorsEntry: Sendable {
  public var dtype: SafetensorsDType
  public var shape: [Int]
  /// Byte range within the data section.
  public var range: Range<Int>
}

/// A parsed safetensors file: the header, and the data to read tensors from.
public struct SafetensorsFile {
  /// The file's path, for messages.
  public let path: String
  public let entries: [String: SafetensorsEntry]
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
        throw SafetensorsError(
          path, "tensor \"\(key)\": dtype \(dtypeName) is not supported (F32, F16, BF16, I64, I32)")
      }
      guard let shape = (fields["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
        shape.count == (fields["shape"] as? [Any])?.count, shape.allSatisfy({ $0 >= 0 })
      else {
        throw SafetensorsError(path, "tensor \"\(key)\": shape must be a list of non-negative integers")
      }
      guard let offsets = (fields["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
        offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1]
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
      guard !overflow, count * dtype.size == offsets[1] - offsets[0] else {
        throw SafetensorsError(
          path,
          "tensor \"\(key)\": shape \(shape) of \(dtypeName) needs \(overflow ? "too many" : String(count * dtype.size)) bytes, data_offsets give \(offsets[1] - offsets[0])"
        )
      }
      entries[key] = SafetensorsEntry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
    }
    let sorted = entries.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }
    for (a, b) in zip(sorted, sorted.dropFirst()) where b.value.range.lowerBound < a.value.range.upperBound {
      throw SafetensorsError(path, "tensors \"\(a.key)\" and \"\(b.key)\" overlap")
    }
    self.entries = entries
    self.metadata = metadata
  }

  /// The tensor `name` as Float32 (F16 and BF16 are widened). Integer tensors are refused.
  public func tensor(_ name: String) throws -> Tensor {
    guard let entry = entries[name] else { throw SafetensorsError(path, "no tensor named \"\(name)\"") }
    let start = dataStart + entry.range.lowerBound
    let n = entry.shape.reduce(1, *)
    var values = [Float](repeating: 0, count: n)
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      let bytes = raw.baseAddress! + start
      switch entry.dtype {
      case .f32:
        for i in 0..<n {
          values[i] = Float(
            bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
      case .f16:
        for i in 0..<n {
          values[i] = Float(
            Float16(
              bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
        }
      case .bf16:
        for i in 0..<n {
          let bits =
            UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16
          values[i] = Float(bitPattern: bits)
        }
      case .i64, .i32:
        break
      }
    }
    if entry.dtype == .i64 || entry.dtype == .i32 {
      throw SafetensorsError(path, "tensor \"\(name)\" holds integers (\(entry.dtype.rawValue)), not weights")
    }
    return Tensor(values, shape: entry.shape)
  }

  /// Writes `tensors` as F32 to `url` atomically (a temporary file, then a rename), with the
  /// header sorted by name and padded to 8 bytes as the reference implementation does.
  public static func write(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = ["format": "pt"], to url: URL
  ) throws {
    var header: [String: Any] = ["__metadata__": metadata]
    var offset = 0
    let ordered = tensors.sorted { $0.name < $1.name }
    for (name, t) in ordered {
      header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]]
      offset += 4 * t.count
    }
    var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
    var file = Data(capacity: 8 + headerBytes.count + offset)
    withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { file.append(contentsOf: $0) }
    file.append(headerBytes)
    for (_, t) in ordered {
      t.data.withUnsafeBufferPointer {
        file.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count))
      }
    }
    do { try file.write(to: url, options: .atomic) } catch {
      throw SafetensorsError(url.path, "cannot write the file (\(error.localizedDescription))")
    }
  }
}
