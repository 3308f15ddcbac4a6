// JSON allows an object to repeat a key; readers then disagree on which value counts. Measured
// with Swift 6.3.1 on Linux: Foundation's JSONDecoder keeps the first value, JSONSerialization
// the last (as Python's json and the safetensors library do; Darwin's Foundation is another
// implementation), and pyarrow's JSON reader behind `datasets` refuses the row. So a repeated
// key gives a model, ids or examples that depend on the parser and the platform: a config.json
// or trainer_state.json (JSONDecoder) differs from transformers silently. The kit's readers
// refuse any JSON file a user brings with a repeated key, naming it, instead.

import Foundation

/// A key written twice in one JSON object, and where that object is.
public struct DuplicateJSONKey: Equatable, Sendable, CustomStringConvertible {
  /// The key as written between its quotes (escapes kept).
  public let key: String
  /// The object's place in the document, as the readers' messages name fields: `model.vocab`,
  /// `added_tokens[2]`; empty for the top-level object.
  public let path: String

  /// Makes one (the scanner does; tests compare with it).
  public init(key: String, path: String) {
    self.key = key
    self.path = path
  }

  /// What a reader tells the user, after the file's name.
  public var description: String {
    let object = path.isEmpty ? "the top-level object" : "the object \(path)"
    return
      "the key \"\(key)\" appears twice in \(object); JSON readers disagree on which value counts (Python's json keeps the last), so the kit refuses to guess (remove one)"
  }
}

/// The first key that appears twice in one JSON object of `data`, or nil. A scan of the bytes
/// (strings skipped with their escapes), meant to run on a document that has just parsed; keys
/// are compared as written, so `"a"` and `"\u0061"` count as different. Linear in the size.
public func firstDuplicateJSONKey(in data: Data) -> DuplicateJSONKey? {
  let bytes = [UInt8](data)
  // One frame per open object or array, innermost last.
  var open: [OpenContainer] = []
  var i = 0
  while i < bytes.count {
    switch bytes[i] {
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      let container = OpenContainer(isObject: bytes[i] == UInt8(ascii: "{"), parent: open.last)
      open.append(container)
    case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = open.popLast()
    case UInt8(ascii: ","):
      if let last = open.indices.last {
        open[last].expectsKey = open[last].isObject
        open[last].index += 1
      }
    case UInt8(ascii: "\""):
      var end = i + 1
      while end < bytes.count && bytes[end] != UInt8(ascii: "\"") {
        end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
      }
      let string = bytes[(i + 1)..<min(end, bytes.count)]
      if let last = open.indices.last, open[last].expectsKey {
        if !open[last].keys.insert(string).inserted {
          return DuplicateJSONKey(key: String(decoding: string, as: UTF8.self), path: path(of: open))
        }
        open[last].currentKey = string
        open[last].expectsKey = false
      }
      i = end
    default: break
    }
    i += 1
  }
  return nil
}

/// An object or array the scan is inside.
private struct OpenContainer {
  let isObject: Bool
  /// The keys seen so far (objects only).
  var keys: Set<ArraySlice<UInt8>> = []
  /// Whether the next string is a key (objects only; after `{` or `,`).
  var expectsKey: Bool
  /// The key whose value is being read (objects only).
  var currentKey: ArraySlice<UInt8> = []
  /// The element being read (arrays only; counted at every `,`).
  var index = 0
  /// How this container's parent names it: its key in the parent object, or its index in the
  /// parent array; nil at the top. Kept as bytes, as paths are only spelled out for a duplicate.
  let name: (key: ArraySlice<UInt8>?, index: Int)?

  init(isObject: Bool, parent: OpenContainer?) {
    self.isObject = isObject
    expectsKey = isObject
    name = parent.map { ($0.isObject ? $0.currentKey : nil, $0.index) }
  }
}

/// `model.vocab`, `added_tokens[2]`, `[0].a`: the path of the innermost container of `open`.
private func path(of open: [OpenContainer]) -> String {
  var path = ""
  for container in open {
    guard let name = container.name else { continue }
    if let key = name.key {
      path += (path.isEmpty ? "" : ".") + String(decoding: key, as: UTF8.self)
    } else {
      path += "[\(name.index)]"
    }
  }
  return path
}
