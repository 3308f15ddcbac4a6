// `course make-datasets [--output datasets] [--seed 2026]`: writes the kit's generated data.

import CourseTools
import Datasets
import Foundation

func runMakeDatasets(_ arguments: [String]) throws -> Int32 {
  let (options, positional) = try parseArguments(arguments)
  try rejectUnknown(options, allowed: ["--output", "--seed"])
  guard positional.isEmpty else { throw CourseToolError("unexpected argument \(positional[0])") }
  let seedText = options["--seed"] ?? String(DatasetGenerator.defaultSeed)
  guard let seed = UInt64(seedText) else {
    throw CourseToolError("--seed needs a non-negative integer, got \(seedText)")
  }
  let root = URL(fileURLWithPath: options["--output"] ?? "datasets")
  let summary = try DatasetGenerator.writeAll(to: root, seed: seed)
  for path in summary.files.keys.sorted() {
    print(
      "\(root.appendingPathComponent(path).relativePath): \(summary.files[path]!) lines, \(summary.words[path]!) words"
    )
  }
  return 0
}
