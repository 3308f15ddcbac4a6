// `course tokenize --tokenizer PATH --input FILE [--tokens]`: one line of ids (or pieces) per
// input line.

import CourseTools
import Foundation
import Tokenizers

struct Tokenize: CourseCommand {
  @Option("--tokenizer", value: "PATH", help: "vocab.txt, tokenizer.json, or a directory holding one")
  var tokenizer: String
  @Option("--input", value: "FILE", help: "the texts, one per line (- for standard input)")
  var input: String
  @Flag("--tokens", help: "print the tokens instead of their ids")
  var tokens: Bool

  func run() throws -> Int32 { try runTokenize(self) }
}

func runTokenize(_ options: Tokenize) throws -> Int32 {
  let (path, input) = (options.tokenizer, options.input)
  let tokenizer = try loadTokenizer(at: URL(fileURLWithPath: path))
  let data =
    input == "-"
    ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: input))
  guard let text = String(data: data, encoding: .utf8) else {
    throw CourseToolError("\(input): not valid UTF-8")
  }
  var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    .map(String.init)
  if lines.last == "" { lines.removeLast() }
  var output = ""
  for line in lines {
    let line = line.hasSuffix("\r") ? String(line.dropLast()) : line
    output +=
      (options.tokens ? tokenizer.tokenize(line) : tokenizer.encode(line).map(String.init))
      .joined(separator: " ") + "\n"
  }
  FileHandle.standardOutput.write(Data(output.utf8))
  return 0
}
