// `course make-datasets [--output datasets] [--seed 2026]`: writes the kit's generated data.

import CourseTools
import Datasets
import Foundation

struct MakeDatasets: CourseCommand {
  @Option("--output", value: "DIR", help: "where the datasets go")
  var output = "datasets"
  @Option("--seed", help: "the seed of the generated data")
  var seed = DatasetGenerator.defaultSeed

  func run() throws -> Int32 { try runMakeDatasets(self) }
}

func runMakeDatasets(_ options: MakeDatasets) throws -> Int32 {
  let (root, seed) = (URL(fileURLWithPath: options.output), options.seed)
  let summary = try DatasetGenerator.writeAll(to: root, seed: seed)
  for path in summary.files.keys.sorted() {
    print(
      "\(root.appendingPathComponent(path).relativePath): \(summary.files[path]!) lines, \(summary.words[path]!) words"
    )
  }
  return 0
}
