// How the kernels use more than one core.
//
// Work is always split into the same contiguous pieces for a given thread count, never by
// timing, so results are bit-for-bit repeatable. Waking Dispatch's workers costs 50-200 µs
// here, so small jobs run on the calling thread.
//
// The kernels hand buffers to the workers as `nonisolated(unsafe) let` copies of their
// pointers: Swift cannot prove that the pieces are disjoint, and the kernels guarantee it.

import Dispatch
import Foundation

/// The number of threads the kernels use. Defaults to the `COURSE_THREADS` environment
/// variable, else every core (PyTorch's `torch.set_num_threads` is the same idea).
public enum Threads {
  nonisolated(unsafe) private static var value: Int = {
    if let text = ProcessInfo.processInfo.environment["COURSE_THREADS"], let n = Int(text), n > 0 {
      return n
    }
    return ProcessInfo.processInfo.activeProcessorCount
  }()

  /// The current thread count (at least 1).
  public static var count: Int {
    get { value }
    set { value = max(1, newValue) }
  }
}

/// Runs `body(part, parts)` for `parts` contiguous pieces of a job, in parallel when the job is
/// worth it. `work` estimates the job's cost in multiply-adds; below ~2M it runs serially.
@inlinable
func parallelParts(work: Int, maxParts: Int, _ body: @Sendable (_ part: Int, _ parts: Int) -> Void) {
  let parts = min(Threads.count, maxParts, max(1, work / 2_000_000))
  if parts <= 1 {
    body(0, 1)
  } else {
    DispatchQueue.concurrentPerform(iterations: parts) { body($0, parts) }
  }
}

/// Runs `body(range)` on contiguous pieces of `0..<count`, for loops whose iterations are
/// independent: in parallel when the loop is big enough to repay waking a core (about 50 µs
/// here), serially otherwise. `cost` is one iteration's work in multiply-adds: about 16 for an
/// element of a streaming loop (it waits on memory), more for exp or erf, a row's worth for
/// a loop over rows.
@inlinable
func parallelFor(_ count: Int, cost: Int, _ body: @Sendable (_ range: Range<Int>) -> Void) {
  parallelParts(work: count * cost, maxParts: count) { part, parts in
    body(partRange(count, part: part, parts: parts))
  }
}

/// The range of `0..<n` that piece `part` of `parts` covers, in multiples of `granule`.
@inlinable
func partRange(_ n: Int, part: Int, parts: Int, granule: Int = 1) -> Range<Int> {
  let units = (n + granule - 1) / granule
  let lo = units * part / parts * granule
  let hi = units * (part + 1) / parts * granule
  return min(lo, n)..<min(hi, n)
}

/// Runs `body(chunk)` for chunks 0..<count on up to `Threads.count` threads, which take the
/// next chunk as they finish one. Serial when the job (`work` multiply-adds) is under ~2M.
/// Which thread runs a chunk depends on timing, so chunks must write disjoint outputs and
/// compute them the same way whoever runs them.
func parallelChunks(_ count: Int, work: Int, _ body: @Sendable (_ chunk: Int) -> Void) {
  let threads = min(Threads.count, count, max(1, work / 2_000_000))
  if threads <= 1 {
    for chunk in 0..<count { body(chunk) }
    return
  }
  let counter = ChunkCounter()
  DispatchQueue.concurrentPerform(iterations: threads) { _ in
    while let chunk = counter.next(below: count) { body(chunk) }
  }
}

/// Hands out chunk numbers 0, 1, 2, ... to whichever thread asks first.
final class ChunkCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0

  func next(below count: Int) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard value < count else { return nil }
    value += 1
    return value - 1
  }
}
