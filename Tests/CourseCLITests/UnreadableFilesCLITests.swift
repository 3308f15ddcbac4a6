import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// Files and directories the user may not read (docs/bad-inputs.md, "Unreadable files"): the
/// command stops with exit status 1 and a message naming the path and saying it cannot be read,
/// never "not found" about a file that is there. The tests run as root here, and root reads
/// every file whatever its permissions, so as root each command runs as `nobody` (setpriv);
/// as any other user the permissions apply directly.
final class UnreadableFilesCLITests: CourseCLITestCase {
  /// One case: its id in the catalogue, the message fragment, and the path to lock with chmod 000.
  struct Case {
    let id: String
    let message: String
    let setUp: (UnreadableFilesCLITests) throws -> (arguments: [String], locked: String)
  }

  /// How to run `course` as a user the permissions apply to, or a skip saying why that is not
  /// possible here. As root: a copy of the executable in the scratch folder (the build folder
  /// may sit in a directory only root may open, as in a `mktemp -d` clone) run by setpriv.
  func launcher() throws -> [String] {
    guard getuid() == 0 else { return [] }
    let setpriv = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    guard FileManager.default.isExecutableFile(atPath: setpriv[0]), let executable = Self.executable() else {
      throw XCTSkip(
        "running as root, who may read every file, and there is no \(setpriv[0]) to run course as nobody")
    }
    let copy = scratch.appendingPathComponent("course")
    try FileManager.default.copyItem(at: executable, to: copy)
    try chmod(scratch.path, 0o755)
    try chmod(copy.path, 0o755)
    let probe = try course(["--help"], launcher: setpriv + [copy.path])
    guard probe.status == 0 else {
      throw XCTSkip(
        "running as root, and a copy of course cannot run as nobody here: \(probe.stderr.prefix(300))")
    }
    return setpriv + [copy.path]
  }

  /// A copy of the tiny kit BERT in the scratch folder, readable by everyone.
  func model() throws -> String {
    let directory = scratch.appendingPathComponent("model-\(UUID())")
    try FileManager.default.copyItem(atPath: CourseCLITestCase.bert, toPath: directory.path)
    try chmod(scratch.path, 0o755)
    try chmod(directory.path, 0o755)
    for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
      try chmod(directory.appendingPathComponent(name).path, 0o644)
    }
    return directory.path
  }

  func chmod(_ path: String, _ mode: Int) throws {
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
  }

  func run(_ command: String, _ model: String) throws -> [String] {
    [command, "--model", model, "--input", try file("in.txt", "good\n")]
  }

  nonisolated(unsafe) static let cases: [Case] = [
    Case(id: "unreadable-file", message: "config.json: cannot read the file (permission denied)") {
      let model = try $0.model()
      return (try $0.run("predict", model), model + "/config.json")
    },
    Case(id: "unreadable-directory", message: "config.json: cannot open the directory") {
      let model = try $0.model()
      return (try $0.run("predict", model), model)
    },
    Case(id: "unreadable-model-directory", message: ": cannot read the directory (permission denied)") {
      let model = try $0.model()
      return (try $0.run("embed", model), model)
    },
    Case(id: "unreadable-tokenizer", message: "vocab.txt: cannot read the file (permission denied)") {
      let model = try $0.model()
      return (try $0.run("predict", model), model + "/vocab.txt")
    },
    Case(id: "unreadable-weights", message: "model.safetensors: cannot read the file") {
      let model = try $0.model()
      return (try $0.run("predict", model), model + "/model.safetensors")
    },
    Case(id: "unreadable-data-file", message: "train.tsv: cannot read the file (permission denied)") {
      let train = try $0.file("train.tsv", "label\ttext\npositive\tgood\nnegative\tbad\n")
      let arguments = [
        "finetune", "--model", try $0.model(), "--train", train, "--validation", train,
        "--output", $0.scratch.appendingPathComponent("out").path,
      ]
      return (arguments, train)
    },
  ]

  func testUnreadableFilesAndDirectoriesAreNamedNotCalledMissing() throws {
    let launcher = try launcher()
    // The control: a command that reads config.json, the weights and vocab.txt works for that
    // user on a readable copy, so what the cases below see is the chmod, not a folder on the way
    // that user could not read anyway.
    let control = try course(try run("embed", try model()), launcher: launcher)
    XCTAssertEqual(control.status, 0, control.stderr)
    let rows = try String(
      contentsOf: Self.packageRoot.appendingPathComponent("docs/bad-inputs.md"), encoding: .utf8
    ).split(separator: "\n")
    for entry in Self.cases {
      let (arguments, locked) = try entry.setUp(self)
      try chmod(locked, 0)
      defer { try? chmod(locked, 0o755) }
      let result = try course(arguments, launcher: launcher)
      XCTAssertEqual(result.status, 1, "\(entry.id): \(result.stdout)\n\(result.stderr)")
      XCTAssertTrue(result.stderr.contains(entry.message), "\(entry.id): \(result.stderr)")
      XCTAssertTrue(result.stderr.contains(locked), "\(entry.id) does not name \(locked): \(result.stderr)")
      XCTAssertTrue(
        rows.contains { $0.contains("`\(entry.id)`") && $0.contains(entry.message) },
        "docs/bad-inputs.md has no row with `\(entry.id)` and \"\(entry.message)\"")
    }
  }
}
