// `course hint ID`: an exercise's hints, one tier further each time (works in the kit and in a
// student edition, whose source keeps tier 1 only; the tiers are in .course/hints.json).

import CourseTools
import Foundation

/// `course hint 2.1 [--tier N]`: reveals the next tier of an exercise's hints.
struct Hint: CourseCommand {
  @Option("--root", value: "DIR", help: rootHelp)
  var root = "."
  @Option("--tier", .atLeast(1), help: "show the hints up to this tier (default: one more than last time)")
  var tier: Int? = nil
  @Arguments("ID", count: 1...1, help: "the exercise, e.g. 2.1")
  var id: [String]

  func run() throws -> Int32 {
    print(try revealHint(id: id[0], tier: tier, root: packageRoot(root)).text)
    return 0
  }
}
