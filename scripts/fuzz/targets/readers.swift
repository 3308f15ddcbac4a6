// Fuzz target: the dataset readers. The first byte picks the format (TSV, CSV, JSONL,
// label-text) and the bad-row policy; the rest is the file.
import Datasets
import Foundation

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-readers-\(getpid())")
let file = directory.appendingPathComponent("data")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  guard count > 0 else { return 0 }
  let bytes = UnsafeRawBufferPointer(start: start, count: count)
  let format = DataFormat.allCases[Int(bytes[0]) % DataFormat.allCases.count]
  let policy: BadRowPolicy = bytes[0] & 4 == 0 ? .stop : .skipAndCount
  let requireLabels = bytes[0] & 8 == 0
  try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  try! Data(bytes[1...]).write(to: file)
  _ = try? readExamples(file, format: format, onBadRow: policy, requireLabels: requireLabels)
  return 0
}
