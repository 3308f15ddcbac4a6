// A progress bar for long loops: on a terminal, one line redrawn in place with the step, the
// metrics, the rate and the time left; when the output is piped (CI, logs), a plain line at
// every tenth of the way, so logs stay short.

import Foundation

/// Progress of a loop of `total` steps. Get one from `Notebook.progress(_:total:)`.
public final class ProgressBar {
  let label: String
  let total: Int
  let interactive: Bool
  let write: (String) -> Void
  let start = Date()
  var lastDraw = Date.distantPast
  var nextMilestone = 1
  var lastLine = ""
  var finished = false

  init(label: String, total: Int, interactive: Bool, write: @escaping (String) -> Void) {
    self.label = label
    self.total = max(total, 1)
    self.interactive = interactive
    self.write = write
  }

  /// A bar on standard error, redrawn in place on a terminal and a line per tenth otherwise
  /// (for code outside a notebook, such as the Trainer and the command-line tools).
  public convenience init(label: String, total: Int) {
    self.init(label: label, total: total, interactive: isatty(STDERR_FILENO) != 0) { text in
      FileHandle.standardError.write(Data(text.utf8))
    }
  }

  /// Reports that `step` of `total` steps are done, with the current metrics.
  public func update(step: Int, metrics: [String: Double] = [:]) {
    let now = Date()
    let elapsed = now.timeIntervalSince(start)
    let rate = elapsed > 0 ? Double(step) / elapsed : 0
    let left = rate > 0 ? Double(total - step) / rate : 0
    let values = metrics.keys.sorted().map { "\($0) \(format(metrics[$0]!))" }.joined(separator: "  ")
    if interactive {
      guard now.timeIntervalSince(lastDraw) >= 0.1 || step >= total else { return }
      lastDraw = now
      let filled = Int(Double(20 * step) / Double(total))
      let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: 20 - filled)
      lastLine =
        "\(label) \(bar) \(step)/\(total)  \(values)  \(String(format: "%.1f", rate)) it/s  \(clock(elapsed)) < \(clock(left))"
      write("\r\u{1B}[2K" + lastLine)
    } else {
      // A line at each tenth of the way.
      guard step * 10 >= nextMilestone * total else { return }
      while step * 10 >= nextMilestone * total { nextMilestone += 1 }
      write("\(label): step \(step)/\(total)  \(values)  \(String(format: "%.1f", rate)) it/s\n")
    }
  }

  /// Ends the bar with the total time.
  public func finish() {
    guard !finished else { return }
    finished = true
    let elapsed = Date().timeIntervalSince(start)
    if interactive { write("\n") }
    write("\(label): done in \(String(format: "%.2f", elapsed)) s\n")
  }
}

/// m:ss
func clock(_ seconds: Double) -> String {
  let s = Int(seconds.rounded())
  return String(format: "%d:%02d", s / 60, s % 60)
}
