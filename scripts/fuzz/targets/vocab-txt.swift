// Fuzz target: a BERT vocab.txt, then a short text encoded and decoded.
import Foundation
import Tokenizers

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-vocab-txt-\(getpid())")
let file = directory.appendingPathComponent("vocab.txt")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  try! Data(bytes: start, count: count).write(to: file)
  guard let tokenizer = try? WordPieceTokenizer(vocabularyFile: file) else { return 0 }
  let encoding = tokenizer("Hello, world! unaffable Ünïcödé 42", pair: "a pair", maxLength: 16)
  _ = tokenizer.decode(encoding.ids)
  return 0
}
