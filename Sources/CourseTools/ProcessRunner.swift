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
  guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
    throw CourseToolError("cannot run \(executable): cannot create its log file \(log.path)")
  }
  let handle = try FileHandle(forWritingTo: log)
  defer {
    try? handle.close()
    try? FileManager.default.removeItem(at: log)
  }
  process.standardOutput = handle
  process.standardError = handle
  process.standardInput = FileHandle.nullDevice
  let done = DispatchSemaphore(value: 0)
  _ = terminationForwarding
  process.terminationHandler = { ended in
    runningChildren.remove(ended.processIdentifier)
    done.signal()
  }
  do {
    // Started and recorded under one lock, so a signal passed on meanwhile cannot miss it.
    try runningChildren.starting {
      try process.run()
    } pid: {
      process.processIdentifier
    }
  } catch {
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
  // A child ended by the SIGINT passed on must not look like a failed build to the caller, who
  // could finish and exit 0 before the forwarding thread exits with 128 + the signal.
  runningChildren.waitForExitIfStopping()
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

// Foundation starts each child in a process group of its own, so a Ctrl-C at the terminal, or a
// kill of `course grade`, does not reach the `swift build` or test process it is waiting for:
// that child would run on, orphaned, for minutes. So the first runProcess makes SIGINT, SIGTERM
// and SIGHUP pass on to every child still running, then end this process as the signal would.

/// The children runProcess is running now.
final class RunningChildren: @unchecked Sendable {
  private let lock = NSLock()
  private var pids: Set<Int32> = []
  private var stopping = false

  /// Runs `start` and records the child's pid, under the lock, so that `signalAll` cannot come
  /// between the two and miss it.
  func starting(_ start: () throws -> Void, pid: () -> Int32) throws {
    lock.lock()
    if stopping {
      // This process is about to exit on a signal: start nothing it would leave orphaned, and
      // wait for the exit rather than fail (a failure could exit first, with another status).
      lock.unlock()
      while true { sleep(60) }
    }
    defer { lock.unlock() }
    try start()
    pids.insert(pid())
  }

  /// Parks the calling thread for good once a signal is being passed on: the forwarding thread
  /// is about to end the process, and nothing the caller would do next may come first.
  func waitForExitIfStopping() {
    lock.lock()
    let parked = stopping
    lock.unlock()
    while parked { sleep(60) }
  }

  /// From now on, no new child starts (`starting` waits for the exit instead).
  func stopStarting() {
    lock.lock()
    defer { lock.unlock() }
    stopping = true
  }

  func remove(_ pid: Int32) {
    lock.lock()
    defer { lock.unlock() }
    pids.remove(pid)
  }

  var current: Set<Int32> {
    lock.lock()
    defer { lock.unlock() }
    return pids
  }

  /// Sends `signal` to each running child.
  func signalAll(_ signal: Int32) {
    for pid in current { kill(pid, signal) }
  }
}

let runningChildren = RunningChildren()

/// Ends the running children: SIGINT first (`swift build` then stops
/// its compilers, which a SIGKILL would orphan), SIGTERM after 2 s for a child that ignores SIGINT
/// (a background job's children do), SIGKILL after `grace` seconds. Returns when none is left.
func endRunningChildren(grace: Double = 5) {
  let started = Date()
  func wait(until seconds: Double) {
    while !runningChildren.current.isEmpty && Date().timeIntervalSince(started) < seconds { usleep(50_000) }
  }
  runningChildren.signalAll(SIGINT)
  wait(until: min(2, grace))
  runningChildren.signalAll(SIGTERM)
  wait(until: grace)
  runningChildren.signalAll(SIGKILL)
  wait(until: grace + 2)
}

/// Where the signal handler writes the signal's number (a pipe's write end; -1 before it is made).
nonisolated(unsafe) private var signalPipe: Int32 = -1

/// Installed once, by the first runProcess: on SIGINT, SIGTERM or SIGHUP, end the running
/// children, then exit with 128 + the signal, the status a shell reports for a death by it.
/// The handler only writes the number to a pipe (little else is safe in a signal handler); a
/// thread reads it and does the work. A caught signal, unlike an ignored one, is back to its
/// default in the children, so they still stop on the SIGINT passed on.
private let terminationForwarding: Void = {
  var ends: [Int32] = [-1, -1]
  guard pipe(&ends) == 0 else { return }
  signalPipe = ends[1]
  let reader = ends[0]
  Thread.detachNewThread {
    var number: Int32 = 0
    while read(reader, &number, MemoryLayout<Int32>.size) != MemoryLayout<Int32>.size {
      if errno != EINTR { return }  // cannot happen while the write end is open; never spin
    }
    runningChildren.stopStarting()
    endRunningChildren()
    exit(128 + number)
  }
  for number in [SIGINT, SIGTERM, SIGHUP] {
    let previous = signal(number) { received in
      var received = received
      _ = write(signalPipe, &received, MemoryLayout<Int32>.size)
    }
    // A signal ignored on purpose (`nohup`, a background job's SIGINT) stays ignored.
    if unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
      signal(number, SIG_IGN)
    }
  }
}()
