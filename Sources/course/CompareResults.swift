// `course compare-results A.json B.json`: did two runs with the same seed record the same
// numbers? Timings are ignored; anything else that differs is listed (exit status 1).

import Foundation
import Notebook

/// `course compare-results`.
struct CompareResults: CourseCommand {
  @Arguments("FILE", count: 2...2, help: "two results.json files (runs/LessonN/results.json)")
  var files: [String]

  func run() throws -> Int32 {
    let (first, second) = (URL(fileURLWithPath: files[0]), URL(fileURLWithPath: files[1]))
    let differences = try compareResults(first, second)
    if differences.isEmpty {
      print("\(files[0]) and \(files[1]) record the same numbers (timings ignored)")
      return 0
    }
    print("\(files[0]) and \(files[1]) differ in \(differences.count) value(s):")
    for line in differences.prefix(40) { print("  " + line) }
    return 1
  }
}
