// Running a command with a time limit, as the grader runs each test: a crash or an endless
// loop ends that one process, never the grader.

import Foundation

/// How a command ended.
public struct ProcessResult: Sendable {
  public var status: Int32
  /// Standard output and standard error, interleaved as written.
  public var output: String
  public var timedOut: Bool
  /// The signal that killed it, if one did (a crash: 11 is a segmentation fault, 4 or 5 a trap).
  public var signal: Int32?
  public var succeeded: Bool { status == 0 && !timedOut && signal == nil }
}

/// Runs `executable` with `arguments` in `directory`, killing it after `timeout` seconds.
public func runProcess(
  _ executable: String, _ arguments: [String], in directory: URL? = nil, timeout: Double? = nil,
  environment: [String: String]? = nil
) throws -> ProcessResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if let directory { process.currentDirectoryURL = directory }
  if let environment { process.environment = environment }
  // Output goes to a file, so a chatty process can never block on a full pipe.
  let log = FileManager.default.temporaryDirectory.appendingPathComponent("course-\(UUID().uuidString).log")
  FileManager.default.createFile(atPath: log.path, contents: nil)
  let handle = try FileHandle(forWritingTo: log)
  defer {
    try? handle.close()
    try? FileManager.default.removeItem(at: log)
  }
  process.standardOutput = handle
  process.standardError = handle
  process.standardInput = FileHandle.nullDevice
  let done = DispatchSemaphore(value: 0)
  process.terminationHandler = { _ in done.signal() }
  do { try process.run() } catch {
    throw CourseToolError("cannot run \(executable): \(error.localizedDescription)")
  }
  var timedOut = false
  if let timeout, done.wait(timeout: .now() + timeout) == .timedOut {
    timedOut = true
    process.terminate()  // SIGTERM, then SIGKILL if it ignores that
    if done.wait(timeout: .now() + 2) == .timedOut {
      kill(process.processIdentifier, SIGKILL)
      done.wait()
    }
  } else if timeout == nil {
    done.wait()
  }
  let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
  let signaled = process.terminationReason == .uncaughtSignal
  return ProcessResult(
    status: process.terminationStatus, output: output, timedOut: timedOut,
    signal: signaled && !timedOut ? process.terminationStatus : nil)
}

/// The full path of a program on the PATH (e.g. `swift`).
func which(_ program: String) -> String {
  for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
    let candidate = "\(directory)/\(program)"
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
  }
  return "/usr/bin/\(program)"
}
