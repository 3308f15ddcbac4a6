// Fuzz target: a tokenizer.json read through loadTokenizer (which dispatches on the extension),
// then a short text encoded and decoded with whatever tokenizer it gave.
import Foundation
import Tokenizers

let directory = FileManager.default.temporaryDirectory
  .appendingPathComponent("fuzz-tokenizer-json-\(getpid())")
let file = directory.appendingPathComponent("tokenizer.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  try! Data(bytes: start, count: count).write(to: file)
  guard let tokenizer = try? loadTokenizer(at: file) else { return 0 }
  let encoding = tokenizer("Hello, world! unaffable Ünïcödé 42", pair: "a pair", maxLength: 16)
  _ = tokenizer.decode(encoding.ids)
  return 0
}
