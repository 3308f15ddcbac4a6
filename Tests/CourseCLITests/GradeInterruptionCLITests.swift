import Foundation
import XCTest

/// `course grade` killed while it waits for a `swift build` ends that build too (Foundation
/// starts it in a process group of its own, which a Ctrl-C or a kill of `course` never reached).
final class GradeInterruptionCLITests: CourseCLITestCase {
  /// Whether process `pid` still runs (a zombie, waiting for a parent to reap it, has ended).
  func running(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
      return kill(pid, 0) == 0
    }
    // "pid (name) S ...": the state follows the name's closing parenthesis.
    let state = stat.split(separator: ")").last?.split(separator: " ").first
    return state != "Z" && state != "X"
  }

  func testKillingGradeEndsTheBuildItWaitsFor() throws {
    // A `swift` that records its pid and then "builds" for ten minutes, first on the PATH.
    let bin = scratch.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    let pidFile = scratch.appendingPathComponent("swift.pid")
    let fake = bin.appendingPathComponent("swift")
    try Data("#!/bin/sh\necho $$ > '\(pidFile.path)'\nexec sleep 600\n".utf8).write(to: fake)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
    let submission = scratch.appendingPathComponent("submission")
    try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: true)
    try Data("// a submission\n".utf8).write(to: submission.appendingPathComponent("Package.swift"))

    let process = Process()
    process.executableURL = try XCTUnwrap(Self.executable())
    process.arguments = [
      "grade", "--work", scratch.appendingPathComponent("work").path, "--output",
      scratch.appendingPathComponent("grades").path, submission.path,
    ]
    process.currentDirectoryURL = Self.packageRoot
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
    process.environment = environment
    (process.standardOutput, process.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
    let done = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in done.signal() }
    try process.run()

    var child: Int32?
    let deadline = Date().addingTimeInterval(120)
    while child == nil && Date() < deadline && process.isRunning {
      child = (try? String(contentsOf: pidFile, encoding: .utf8)).flatMap {
        Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      usleep(50_000)
    }
    guard let child else {
      process.terminate()
      return XCTFail("course grade never started its swift build")
    }
    defer { if running(child) { kill(child, SIGKILL) } }  // never leave it behind, even on failure
    XCTAssertTrue(running(child))
    kill(process.processIdentifier, SIGTERM)
    XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "course grade ends on SIGTERM")
    XCTAssertEqual(process.terminationStatus, 128 + SIGTERM, "the status a death by SIGTERM reports")
    let gone = Date().addingTimeInterval(30)
    while running(child) && Date() < gone { usleep(50_000) }
    XCTAssertFalse(running(child), "the swift build course grade was waiting for is ended with it")
  }
}
