// Fuzz target: the byte scan every JSON reader of the kit runs for a key repeated in one object
// (`firstDuplicateJSONKey`), on any bytes: config.json's reader runs it before decoding, so it
// must survive unbalanced brackets, unterminated strings and stray escapes, not only JSON.
import FileInput
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let data = Data(bytes: start, count: count)
  guard let duplicate = firstDuplicateJSONKey(in: data) else { return 0 }
  _ = duplicate.description
  return 0
}
