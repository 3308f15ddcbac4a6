// `course tokenize --tokenizer PATH --input FILE [--tokens]`: one line of ids (or pieces) per
// input line.

import CourseTools
import Foundation
import Tokenizers

func runTokenize(_ arguments: [String]) throws -> Int32 {
  let (options, positional) = try parseArguments(arguments, switches: ["--tokens"])
  try rejectUnknown(options, allowed: ["--tokenizer", "--input", "--tokens"])
  guard positional.isEmpty else { throw CourseToolError("unexpected argument \(positional[0])") }
  guard let path = options["--tokenizer"] else {
    throw CourseToolError("--tokenizer PATH is required (vocab.txt, tokenizer.json, or a directory)")
  }
  guard let input = options["--input"] else {
    throw CourseToolError("--input FILE is required (- for standard input)")
  }
  let tokenizer = try loadTokenizer(at: URL(fileURLWithPath: path))
  let data =
    input == "-"
    ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: input))
  guard let text = String(data: data, encoding: .utf8) else {
    throw CourseToolError("\(input): not valid UTF-8")
  }
  var lines = text.components(separatedBy: "\n")
  if lines.last == "" { lines.removeLast() }
  var output = ""
  for line in lines {
    let line = line.hasSuffix("\r") ? String(line.dropLast()) : line
    output +=
      (options["--tokens"] != nil ? tokenizer.tokenize(line) : tokenizer.encode(line).map(String.init))
      .joined(separator: " ") + "\n"
  }
  FileHandle.standardOutput.write(Data(output.utf8))
  return 0
}
