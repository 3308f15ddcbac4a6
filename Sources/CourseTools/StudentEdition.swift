// The student edition: the kit with every solution replaced by a call that reports the
// exercise as unfinished, the hidden tests left out, and checksums of the test files.

import Foundation

/// What `makeStudentEdition` wrote.
public struct StudentEditionSummary: Sendable {
  public var exercises: Int
  public var files: Int
  public var destination: URL
}

/// Paths that never go into an edition or a grading copy.
func isBuildOutput(_ relative: String) -> Bool {
  let first = relative.split(separator: "/").first.map(String.init) ?? relative
  return first.hasPrefix(".build") || first == ".git" || first == "runs" || first == ".swiftpm"
    || first == "Package.resolved"
}

/// The files of the package at `root`, relative to it: git's list in a git checkout (tracked
/// and untracked-but-not-ignored), otherwise every file except build output.
func packageFiles(root: URL) throws -> [String] {
  if FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path) {
    let result = try runProcess(
      which("git"), ["-C", root.path, "ls-files", "--cached", "--others", "--exclude-standard"], timeout: 60)
    if result.succeeded {
      return result.output.split(separator: "\n").map(String.init).filter {
        !isBuildOutput($0) && FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path)
      }.sorted()
    }
  }
  var files: [String] = []
  guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
  else {
    return []
  }
  for case let url as URL in walker {
    let relative = String(url.path.dropFirst(root.path.count + 1))
    if isBuildOutput(relative) {
      walker.skipDescendants()
    } else if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
      files.append(relative)
    }
  }
  return files.sorted()
}

/// Writes the student edition of the kit at `root` to `destination` (atomically: built in a
/// temporary sibling directory, then renamed). Refuses a non-empty destination unless `force`.
@discardableResult
public func makeStudentEdition(root: URL, destination: URL, force: Bool = false) throws
  -> StudentEditionSummary
{
  let fm = FileManager.default
  // Never write the edition over the kit (or over a folder holding it): --force would delete it.
  let (kitPath, destinationPath) = (root.standardizedFileURL.path, destination.standardizedFileURL.path)
  if kitPath == destinationPath || kitPath.hasPrefix(destinationPath + "/") {
    throw CourseToolError(
      "\(destination.path) is the kit or contains it; write the student edition somewhere else")
  }
  if let contents = try? fm.contentsOfDirectory(atPath: destination.path), !contents.isEmpty, !force {
    throw CourseToolError("\(destination.path) exists and is not empty; use --force to replace it")
  }
  let staging = destination.deletingLastPathComponent().appendingPathComponent(
    ".\(destination.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
  defer { try? fm.removeItem(at: staging) }
  var exercises = 0
  var written = 0
  var checksums: [String: String] = [:]
  var markers: [ExerciseMarker] = []
  for relative in try packageFiles(root: root) {
    if relative.hasPrefix("Tests/\(hiddenTestsModule)/") || relative.hasPrefix(".course/") { continue }
    var data = try Data(contentsOf: root.appendingPathComponent(relative))
    if relative == "Package.swift" {
      data = Data(removingHiddenBlock(from: String(decoding: data, as: UTF8.self)).utf8)
    } else if relative.hasSuffix(".swift")
      && (relative.hasPrefix("Sources/") || relative.hasPrefix("Lessons/"))
    {
      let source = String(decoding: data, as: UTF8.self)
      let found = try parseExercises(in: source, file: relative)
      if !found.isEmpty {
        exercises += found.count
        markers += found
        data = Data(try studentVersion(of: source, file: relative).utf8)
      }
    }
    if relative.hasPrefix("Tests/") { checksums[relative] = sha256Hex(data) }
    let target = staging.appendingPathComponent(relative)
    try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: target)
    // Keep the file's permissions, so scripts such as .ci/run stay executable.
    if let mode = try? fm.attributesOfItem(atPath: root.appendingPathComponent(relative).path)[
      .posixPermissions]
    {
      try? fm.setAttributes([.posixPermissions: mode], ofItemAtPath: target.path)
    }
    written += 1
  }
  let checksumFile = staging.appendingPathComponent(".course/checksums.json")
  try fm.createDirectory(at: checksumFile.deletingLastPathComponent(), withIntermediateDirectories: true)
  try JSONSerialization.data(withJSONObject: checksums, options: [.prettyPrinted, .sortedKeys]).write(
    to: checksumFile)
  // Every hint tier: the edition's source keeps tier 1 only; `course hint` reveals the rest.
  try writeHints(markers, to: hintsFile(root: staging))
  if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
  try fm.moveItem(at: staging, to: destination)
  return StudentEditionSummary(exercises: exercises, files: written, destination: destination)
}

/// Test files of `directory` whose SHA-256 differs from the edition's `.course/checksums.json`
/// (edited, or missing), so an instructor can see that tests were changed.
public func changedTestFiles(in directory: URL) throws -> [String] {
  let url = directory.appendingPathComponent(".course/checksums.json")
  guard let data = try? Data(contentsOf: url),
    let expected = try JSONSerialization.jsonObject(with: data) as? [String: String]
  else { return [] }
  return expected.keys.sorted().filter { relative in
    guard let contents = try? Data(contentsOf: directory.appendingPathComponent(relative)) else {
      return true
    }
    return sha256Hex(contents) != expected[relative]
  }
}
