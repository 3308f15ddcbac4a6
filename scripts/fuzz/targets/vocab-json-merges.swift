// Fuzz target: GPT-2's vocab.json + merges.txt. The input is both files, split at the first
// NUL byte (vocab.json before it, merges.txt after); read as a directory through loadTokenizer,
// with a tokenizer_config.json naming RobertaTokenizer when the input's first byte is odd.
import Foundation
import Tokenizers

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-bpe-\(getpid())")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: start, count: count)
  let split = bytes.firstIndex(of: 0) ?? count
  let manager = FileManager.default
  try? manager.createDirectory(at: directory, withIntermediateDirectories: true)
  try! Data(bytes[..<split]).write(to: directory.appendingPathComponent("vocab.json"))
  try! Data(bytes[min(split + 1, count)...]).write(to: directory.appendingPathComponent("merges.txt"))
  let config = directory.appendingPathComponent("tokenizer_config.json")
  if count > 0 && bytes[0] & 1 == 1 {
    try! Data(#"{"tokenizer_class": "RobertaTokenizer", "add_prefix_space": true}"#.utf8).write(to: config)
  } else {
    try? manager.removeItem(at: config)
  }
  guard let tokenizer = try? loadTokenizer(at: directory) else { return 0 }
  let encoding = tokenizer("Hello, world! unaffable Ünïcödé 42", pair: "a pair", maxLength: 16)
  _ = tokenizer.decode(encoding.ids)
  return 0
}
