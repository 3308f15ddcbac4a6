// Measuring the peak memory of one training run inside a longer process.
//
// Linux keeps each process's high-water mark of resident memory (VmHWM in /proc/self/status),
// and a process may reset it to its current resident size by writing "5" to
// /proc/self/clear_refs (Documentation/filesystems/proc.rst). So: give freed heap back to the
// kernel (malloc_trim, since the kit asks glibc to keep up to 512 MB of freed memory, see
// TensorCore/Memory.swift), reset the mark, run, read the mark. What it measures is the whole
// process's resident set: the code, the data sets, every model still alive, and the run's own
// weights, gradients, optimizer state and activations. The arm's own cost is best read as the
// rise over the resident size at the start.
//
// Where the reset is impossible (macOS, or a kernel that refuses it), the fallback is
// getrusage's ru_maxrss: the peak since the process started, not per run, and labelled so.

import Foundation

#if os(Linux)
  import Glibc

  /// glibc's `malloc_trim` (malloc.h, which the Glibc module does not import).
  @_silgen_name("malloc_trim")
  func mallocTrim(_ pad: Int) -> Int32
#elseif canImport(Darwin)
  import Darwin
#endif

/// The peak resident memory of one run, and how it was measured.
struct PeakMemory {
  /// The highest resident set size during the run, bytes.
  var peakBytes: Int
  /// The resident set size when the run started (after freed memory was given back), bytes.
  var startBytes: Int
  /// True when the peak is the run's own (the mark was reset before it); false when it is the
  /// process's peak since it started (getrusage), which earlier runs may have set.
  var perRun: Bool

  /// Runs `body` and measures the process's peak resident memory while it runs.
  static func measure<T>(_ body: () throws -> T) rethrows -> (T, PeakMemory) {
    let reset = resetHighWaterMark()
    let start = statusBytes("VmRSS") ?? 0
    let value = try body()
    if reset, let peak = statusBytes("VmHWM") {
      return (value, PeakMemory(peakBytes: peak, startBytes: start, perRun: true))
    }
    return (value, PeakMemory(peakBytes: processPeakBytes(), startBytes: start, perRun: false))
  }

  /// Gives freed heap back to the kernel, then resets VmHWM to the current resident size.
  /// False when the reset is not possible here.
  static func resetHighWaterMark() -> Bool {
    #if os(Linux)
      _ = mallocTrim(0)
      guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
      defer { try? handle.close() }
      do { try handle.write(contentsOf: Data("5".utf8)) } catch { return false }
      return statusBytes("VmHWM") != nil
    #else
      return false
    #endif
  }

  /// A "VmXXX:  1234 kB" line of /proc/self/status, in bytes; nil where there is none.
  static func statusBytes(_ field: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
      let number = line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
      return number.flatMap { Int($0) }.map { $0 * 1024 }
    }
    return nil
  }

  /// getrusage's peak resident size since the process started, bytes.
  static func processPeakBytes() -> Int {
    var usage = rusage()
    #if os(Linux)
      getrusage(RUSAGE_SELF.rawValue, &usage)
      return usage.ru_maxrss * 1024  // kilobytes on Linux
    #else
      getrusage(RUSAGE_SELF, &usage)
      return usage.ru_maxrss  // bytes on macOS
    #endif
  }
}
