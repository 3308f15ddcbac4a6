// Two runs of a lesson with the same seed must record the same numbers: `course compare-results`
// and the determinism check in CI compare two results.json files with this, ignoring only the
// wall-clock measurements.

import Foundation

/// Whether a results.json key holds a wall-clock measurement (`seconds`, `live_seconds`,
/// `train_runtime`, `step_time_ms`, `tokens_per_second`, ...) or another measurement of the
/// machine, named with the word `measured` (`peak_rss_bytes_measured`): the only numbers
/// allowed to differ between two runs with the same seed.
public func isTimingKey(_ key: String) -> Bool {
  let words = key.lowercased().split(separator: "_").map(String.init)
  let timing: Set = ["seconds", "time", "times", "runtime", "ms", "speedup", "throughput", "measured"]
  return words.contains { timing.contains($0) } || key.lowercased().contains("per_second")
}

/// A failure to read a results.json file, naming it.
public struct ResultsComparisonError: Error, CustomStringConvertible {
  public let description: String
  init(_ description: String) { self.description = description }
}

/// An exact, comparable text for a JSON scalar: numbers by their bits (1 and 1.0 are equal),
/// containers as a marker so that a scalar never equals an object or an array.
func scalarText(_ value: Any) -> String {
  switch value {
  case let text as String: return "s:" + text
  case is NSNull: return "null"
  case is [Any], is [String: Any]: return "container:\(value)"
  case let number as NSNumber: return "n:\(number.doubleValue.bitPattern)"
  case let number as Double: return "n:\(number.bitPattern)"
  case let number as Int: return "n:\(Double(number).bitPattern)"
  case let flag as Bool: return flag ? "true" : "false"
  default: return "?:\(value)"
  }
}

/// The differences between two results.json files, one line each (`/results/loss: 0.5 != 0.6`),
/// timing keys ignored; empty when every recorded value is identical (numbers compared exactly,
/// bit for bit). Throws when a file is missing or is not JSON, naming the file.
public func compareResults(_ first: URL, _ second: URL) throws -> [String] {
  func read(_ url: URL) throws -> Any {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw ResultsComparisonError("\(url.path): cannot read the file (\(error.localizedDescription))")
    }
    do { return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
      throw ResultsComparisonError("\(url.path): not a JSON document")
    }
  }
  var lines: [String] = []
  func walk(_ a: Any, _ b: Any, _ path: String) {
    switch (a, b) {
    case (let a as [String: Any], let b as [String: Any]):
      for key in Set(a.keys).union(b.keys).sorted() where !isTimingKey(key) {
        switch (a[key], b[key]) {
        case (let x?, let y?): walk(x, y, path + "/" + key)
        case (nil, _): lines.append("\(path)/\(key): only in \(second.lastPathComponent) (second)")
        default: lines.append("\(path)/\(key): only in \(first.lastPathComponent) (first)")
        }
      }
    case (let a as [Any], let b as [Any]) where a.count == b.count:
      for (i, (x, y)) in zip(a, b).enumerated() { walk(x, y, "\(path)[\(i)]") }
    default:
      if scalarText(a) != scalarText(b) { lines.append("\(path): \(a) != \(b)") }
    }
  }
  walk(try read(first), try read(second), "")
  return lines
}
