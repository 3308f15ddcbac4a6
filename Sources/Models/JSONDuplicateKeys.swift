// JSON allows an object to repeat a key; parsers then disagree on which value wins (Python's
// json keeps the last, Foundation's JSONSerialization the first). A config.json with a repeated
// key would therefore build a different model here than in transformers, silently, so the kit
// refuses it instead.

import Foundation

/// The first key that appears twice in one JSON object of `data`, or nil. A scan of the bytes
/// (strings skipped with their escapes), run before the document is decoded; keys are compared
/// as written, so `"a"` and `"\u0061"` count as different.
func firstDuplicateJSONKey(in data: Data) -> String? {
  let bytes = [UInt8](data)
  // One entry per open object or array: an array's entry is nil; an object's holds its keys
  // so far and whether the next string is a key.
  var open: [(keys: Set<ArraySlice<UInt8>>, expectsKey: Bool)?] = []
  var i = 0
  while i < bytes.count {
    switch bytes[i] {
    case UInt8(ascii: "{"): open.append(([], true))
    case UInt8(ascii: "["): open.append(nil)
    case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = open.popLast()
    case UInt8(ascii: ","): if open.last??.keys != nil { open[open.count - 1]!.expectsKey = true }
    case UInt8(ascii: "\""):
      var end = i + 1
      while end < bytes.count && bytes[end] != UInt8(ascii: "\"") {
        end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
      }
      let string = bytes[(i + 1)..<min(end, bytes.count)]
      if let object = open.last ?? nil, object.expectsKey {
        if object.keys.contains(string) { return String(decoding: string, as: UTF8.self) }
        open[open.count - 1]!.keys.insert(string)
        open[open.count - 1]!.expectsKey = false
      }
      i = end
    default: break
    }
    i += 1
  }
  return nil
}
