// Finding the graded tests: XCTest classes that subclass ExerciseTestCase and name their exercise.

import Foundation

/// One test class in the test sources.
public struct TestClass: Equatable, Sendable {
  /// The test target (the directory under Tests/), which is also the module name.
  public var module: String
  public var name: String
  /// The exercise it grades, or nil for a kit test.
  public var exerciseID: String?
  public var tests: [String]
  /// Whether it lives in Tests/HiddenTests.
  public var hidden: Bool { module == hiddenTestsModule }
}

/// The test target the student edition leaves out.
public let hiddenTestsModule = "HiddenTests"

nonisolated(unsafe) let classPattern = #/(?:final\s+)?class\s+(\w+)\s*:\s*(\w+)/#
nonisolated(unsafe) let idPattern = #/exerciseID\s*:\s*String\s*\{\s*(?:return\s+)?"([^"]+)"\s*\}/#
nonisolated(unsafe) let testPattern = #/func\s+(test\w*)\s*\(\s*\)/#

/// The test classes of one source file of test target `module`.
public func discoverTestClasses(in source: String, module: String) -> [TestClass] {
  // Code quoted in multi-line string literals (a test's fixture) is not code: blank it out.
  var inLiteral = false
  let code = source.components(separatedBy: "\n").map { line -> String in
    let quotes = line.components(separatedBy: "\"\"\"").count - 1
    defer { if quotes % 2 == 1 { inLiteral.toggle() } }
    return inLiteral || quotes > 0 ? "" : line
  }.joined(separator: "\n")
  // Split the file at each class declaration; what follows a class (until the next) is its body.
  let source = code
  let matches = source.matches(of: classPattern)
  var classes: [TestClass] = []
  for (i, m) in matches.enumerated() {
    let end = i + 1 < matches.count ? matches[i + 1].range.lowerBound : source.endIndex
    let body = source[m.range.upperBound..<end]
    let base = String(m.2)
    guard base == "ExerciseTestCase" || base == "XCTestCase" else { continue }
    let id = base == "ExerciseTestCase" ? body.firstMatch(of: idPattern).map { String($0.1) } : nil
    classes.append(
      TestClass(
        module: module, name: String(m.1), exerciseID: id,
        tests: body.matches(of: testPattern).map { String($0.1) }))
  }
  return classes
}

/// Every test class under `root`/Tests.
public func discoverTestClasses(root: URL) throws -> [TestClass] {
  let tests = root.appendingPathComponent("Tests")
  var result: [TestClass] = []
  for file in try swiftFiles(under: tests) {
    let relative = file.path.dropFirst(tests.path.count + 1)
    guard let module = relative.split(separator: "/").first else { continue }
    let source = try String(contentsOf: file, encoding: .utf8)
    result += discoverTestClasses(in: source, module: String(module))
  }
  return result.sorted { ($0.module, $0.name) < ($1.module, $1.name) }
}

/// The .swift files below `directory`, sorted, skipping build directories.
func swiftFiles(under directory: URL) throws -> [URL] {
  guard
    let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isDirectoryKey])
  else {
    return []
  }
  var files: [URL] = []
  for case let url as URL in walker {
    if url.lastPathComponent.hasPrefix(".build") || url.lastPathComponent == "Fixtures" {
      walker.skipDescendants()
    } else if url.pathExtension == "swift" {
      files.append(url)
    }
  }
  return files.sorted { $0.path < $1.path }
}

/// Every exercise marker in `root`'s Sources/ and Lessons/.
public func discoverExercises(root: URL) throws -> [ExerciseMarker] {
  var result: [ExerciseMarker] = []
  for folder in ["Sources", "Lessons"] {
    let base = root.appendingPathComponent(folder)
    for file in try swiftFiles(under: base) {
      let relative = String(file.path.dropFirst(root.path.count + 1))
      result += try parseExercises(in: String(contentsOf: file, encoding: .utf8), file: relative)
    }
  }
  return result.sorted { $0.id.compare($1.id, options: .numeric) == .orderedAscending }
}
