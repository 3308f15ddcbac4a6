import Foundation

/// A place in the README or a page under docs/ that names something the kit does not have.
public struct DocumentationProblem: Equatable, Sendable, CustomStringConvertible {
  /// The page, relative to the kit's root (`README.md`, `docs/glossary.md`).
  public var file: String
  /// 1-based line of the page.
  public var line: Int
  /// What is wrong, naming the path, lesson or exercise.
  public var message: String

  /// `file:line: message`, as compilers print it.
  public var description: String { "\(file):\(line): \(message)" }
}

/// The top-level folders a path in a code span (`Sources/TensorCore/Tensor.swift`) starts with.
/// Other code spans are commands, identifiers or outputs, not paths.
let kitFolders = ["Sources/", "Tests/", "Lessons/", "docs/", "scripts/", "datasets/", "bench/", ".ci/"]

/// The pages checked: README.md and every Markdown file under docs/.
func documentationPages(root: URL) throws -> [String] {
  var pages = ["README.md"]
  let docs = root.appendingPathComponent("docs")
  if let walker = FileManager.default.enumerator(atPath: docs.path) {
    for case let path as String in walker where path.hasSuffix(".md") {
      pages.append("docs/" + path)
    }
  }
  return pages.sorted()
}

/// Every relative link target (`[text](target)`) and every kit path in a code span on `line`,
/// each resolved against the kit's root. Web links, anchors and paths with wildcards or
/// placeholders in brackets (`*`, `...`, `<id>`, `{a,b}`) are left out.
func referencedPaths(onLine line: Substring, page: String) -> [String] {
  var paths: [String] = []
  let pageFolder = (page as NSString).deletingLastPathComponent
  // Links: the text between "](" and the next ")".
  var rest = line[...]
  while let open = rest.range(of: "](") {
    let after = rest[open.upperBound...]
    guard let close = after.firstIndex(of: ")") else { break }
    var target = String(after[..<close])
    rest = after[close...]
    if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
    if let space = target.firstIndex(of: " ") { target = String(target[..<space]) }  // a title
    if target.isEmpty || target.contains("://") || target.hasPrefix("mailto:") { continue }
    let joined = pageFolder.isEmpty ? target : pageFolder + "/" + target
    paths.append((joined as NSString).standardizingPath)
  }
  // Code spans: every other backtick-delimited piece.
  let pieces = line.split(separator: "`", omittingEmptySubsequences: false)
  for (index, piece) in pieces.enumerated() where index % 2 == 1 {
    var candidate = String(piece)
    if let space = candidate.firstIndex(of: " ") { candidate = String(candidate[..<space]) }
    guard kitFolders.contains(where: { candidate.hasPrefix($0) }) else { continue }
    // A placeholder such as `Tests/LessonNTests` is not exempt: it names no folder a reader finds.
    let placeholders = ["*", "...", "<", "{"]
    if placeholders.contains(where: { candidate.contains($0) }) { continue }
    if let colon = candidate.firstIndex(of: ":") { candidate = String(candidate[..<colon]) }
    paths.append(candidate.hasSuffix("/") ? String(candidate.dropLast()) : candidate)
  }
  return paths
}

/// Checks the README and the pages under docs/ against the kit in `root`:
/// - every relative link and every kit path in a code span exists;
/// - every lesson folder (Lessons/LessonN) has a row in the README's lesson table;
/// - every exercise appears in its lesson's row.
/// Returns the problems found, in page order (empty when the pages match the tree).
public func checkDocumentation(root: URL) throws -> [DocumentationProblem] {
  var problems: [DocumentationProblem] = []
  let fileManager = FileManager.default
  for page in try documentationPages(root: root) {
    let text = try String(contentsOf: root.appendingPathComponent(page), encoding: .utf8)
    var inFence = false
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      if line.hasPrefix("```") { inFence.toggle() }
      // Fenced blocks are program output and shell sessions: their paths are the reader's.
      if inFence { continue }
      for path in referencedPaths(onLine: line, page: page)
      where !fileManager.fileExists(atPath: root.appendingPathComponent(path).path) {
        problems.append(
          DocumentationProblem(
            file: page, line: index + 1, message: "names \(path), which is not in the kit"))
      }
    }
  }
  problems += try readmeTableProblems(root: root)
  return problems
}

/// Lessons and exercises missing from the README's lesson table (rows starting `| N. `).
func readmeTableProblems(root: URL) throws -> [DocumentationProblem] {
  let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
  let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  func row(of lesson: Int) -> (line: Int, text: String)? {
    guard let index = lines.firstIndex(where: { $0.hasPrefix("| \(lesson). ") }) else { return nil }
    return (index + 1, lines[index])
  }
  var problems: [DocumentationProblem] = []
  let lessonFolders =
    (try? FileManager.default.contentsOfDirectory(
      atPath: root.appendingPathComponent("Lessons").path)) ?? []
  for folder in lessonFolders.sorted() where folder.hasPrefix("Lesson") {
    guard let number = Int(folder.dropFirst("Lesson".count)) else { continue }
    guard let row = row(of: number) else {
      problems.append(
        DocumentationProblem(
          file: "README.md", line: 1, message: "the lesson table has no row for \(folder)"))
      continue
    }
    if !row.text.contains("swift run \(folder)`") {
      problems.append(
        DocumentationProblem(
          file: "README.md", line: row.line,
          message: "the row of \(folder) does not say `swift run \(folder)`"))
    }
  }
  for exercise in try discoverExercises(root: root) {
    let row = row(of: exercise.lesson)
    let cells = row?.text.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
    let listed = cells.contains { cell in
      cell.split(whereSeparator: { $0 == "," || $0 == " " }).contains { $0 == exercise.id }
    }
    if !listed {
      problems.append(
        DocumentationProblem(
          file: "README.md", line: row?.line ?? 1,
          message: "exercise \(exercise.id) (\(exercise.file)) is not in the lesson table's row"))
    }
  }
  return problems
}
