// Charts drawn with characters, so a lesson shows its curves and matrices right in the terminal.

import Foundation

/// One named curve: y values, and optionally their x positions (default 0, 1, 2, ...).
public struct ChartSeries: Sendable {
  public var name: String
  public var values: [Double]
  public var x: [Double]?

  public init(name: String, values: [Double], x: [Double]? = nil) {
    self.name = name
    self.values = values
    self.x = x
  }

  /// The finite (x, y) points of the series.
  var points: [(x: Double, y: Double)] {
    values.enumerated().compactMap { i, y in
      let x = self.x.map { i < $0.count ? $0[i] : Double(i) } ?? Double(i)
      return y.isFinite && x.isFinite ? (x, y) : nil
    }
  }
}

/// The markers of successive series.
let seriesMarkers: [Character] = ["●", "×", "+", "○", "◆", "▲"]

/// A line chart of `series` in a grid of `width` × `height` characters, with the y range on the
/// left, the x range below, and a legend.
public func renderLineChart(
  _ series: [ChartSeries], title: String, xLabel: String = "", yLabel: String = "", width: Int = 60,
  height: Int = 12
) -> String {
  let width = max(width, 10)
  let height = max(height, 3)
  let all = series.flatMap(\.points)
  guard !all.isEmpty else { return "\(title)\n  (no data)" }
  var (yMin, yMax) = (all.map(\.y).min()!, all.map(\.y).max()!)
  let (xMin, xMax) = (all.map(\.x).min()!, all.map(\.x).max()!)
  if yMax - yMin < 1e-12 * max(1, Swift.abs(yMax)) {  // a flat line: give it some room
    yMin -= 1
    yMax += 1
  }
  var grid = [[Character]](repeating: [Character](repeating: " ", count: width), count: height)
  for (s, one) in series.enumerated() {
    let marker = seriesMarkers[s % seriesMarkers.count]
    // Average the points that fall in each column, so long curves stay readable.
    var sums = [Double](repeating: 0, count: width)
    var counts = [Int](repeating: 0, count: width)
    for p in one.points {
      let column = xMax > xMin ? Int(((p.x - xMin) / (xMax - xMin) * Double(width - 1)).rounded()) : 0
      sums[column] += p.y
      counts[column] += 1
    }
    for c in 0..<width where counts[c] > 0 {
      let y = sums[c] / Double(counts[c])
      let row = Int(((yMax - y) / (yMax - yMin) * Double(height - 1)).rounded())
      grid[min(max(row, 0), height - 1)][c] = marker
    }
  }
  let labels = [format(yMax), format((yMax + yMin) / 2), format(yMin)]
  let labelWidth = labels.map(\.count).max()!
  var lines = [title]
  if !yLabel.isEmpty { lines.append(String(repeating: " ", count: labelWidth) + "  " + yLabel) }
  for (r, row) in grid.enumerated() {
    let label = r == 0 ? labels[0] : (r == height / 2 ? labels[1] : (r == height - 1 ? labels[2] : ""))
    lines.append(String(repeating: " ", count: labelWidth - label.count) + label + " ┤" + String(row))
  }
  lines.append(String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: width))
  let left = format(xMin)
  let right = format(xMax)
  let gap = max(1, width - left.count - right.count - xLabel.count)
  let middle = String(repeating: " ", count: gap / 2) + xLabel + String(repeating: " ", count: gap - gap / 2)
  lines.append(String(repeating: " ", count: labelWidth + 2) + left + middle + right)
  let legend = series.enumerated().map {
    "\(seriesMarkers[$0.offset % seriesMarkers.count]) \($0.element.name)"
  }
  lines.append(String(repeating: " ", count: labelWidth + 2) + legend.joined(separator: "   "))
  return lines.joined(separator: "\n")
}

/// Shades from low to high.
let heatShades: [Character] = [" ", "░", "▒", "▓", "█"]

/// A matrix as shaded cells (two characters each), rows labelled on the left, with the scale.
public func renderHeatmap(_ values: [[Double]], rowLabels: [String], columnLabels: [String], title: String)
  -> String
{
  let finite = values.flatMap { $0 }.filter(\.isFinite)
  guard let low = finite.min(), let high = finite.max() else { return "\(title)\n  (no data)" }
  let labelWidth = rowLabels.map(\.count).max() ?? 0
  var lines = [title]
  // Column labels, vertically if they are long.
  let longest = columnLabels.map(\.count).max() ?? 0
  if longest <= 2 {
    lines.append(
      String(repeating: " ", count: labelWidth + 1)
        + columnLabels.map { $0.padding(toLength: 2, withPad: " ", startingAt: 0) }.joined())
  }
  for (r, row) in values.enumerated() {
    let label = r < rowLabels.count ? rowLabels[r] : ""
    let cells = row.map { v -> String in
      guard v.isFinite else { return "??" }
      let level =
        high > low
        ? Int(((v - low) / (high - low) * Double(heatShades.count - 1)).rounded()) : heatShades.count - 1
      return String(repeating: heatShades[min(max(level, 0), heatShades.count - 1)], count: 2)
    }
    lines.append(String(repeating: " ", count: labelWidth - label.count) + label + " " + cells.joined())
  }
  if longest > 2 {
    lines.append("columns: " + columnLabels.joined(separator: " "))
  }
  lines.append(
    "scale: \(format(low)) " + heatShades.map { String(repeating: $0, count: 2) }.joined()
      + " \(format(high))")
  return lines.joined(separator: "\n")
}

/// A scatter plot of `points` in a grid of `width` × `height` characters, one marker per group
/// (named by `groups`, in the legend); where groups overlap in a cell, the last point drawn shows.
public func renderScatter(
  _ points: [ScatterPoint], groups: [String], title: String, xLabel: String = "", yLabel: String = "",
  width: Int = 60, height: Int = 20
) -> String {
  let width = max(width, 10)
  let height = max(height, 3)
  let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
  guard let xMin = finite.map(\.x).min(), let xMax = finite.map(\.x).max(), let yMin = finite.map(\.y).min(),
    let yMax = finite.map(\.y).max()
  else { return "\(title)\n  (no data)" }
  var grid = [[Character]](repeating: [Character](repeating: " ", count: width), count: height)
  for p in finite {
    let column = xMax > xMin ? Int(((p.x - xMin) / (xMax - xMin) * Double(width - 1)).rounded()) : width / 2
    let row = yMax > yMin ? Int(((yMax - p.y) / (yMax - yMin) * Double(height - 1)).rounded()) : height / 2
    let group = ((p.group % seriesMarkers.count) + seriesMarkers.count) % seriesMarkers.count
    grid[row][column] = seriesMarkers[group]
  }
  let labels = [format(yMax), format((yMax + yMin) / 2), format(yMin)]
  let labelWidth = labels.map(\.count).max()!
  var lines = [title]
  if !yLabel.isEmpty { lines.append(String(repeating: " ", count: labelWidth) + "  " + yLabel) }
  for (r, row) in grid.enumerated() {
    let label = r == 0 ? labels[0] : (r == height / 2 ? labels[1] : (r == height - 1 ? labels[2] : ""))
    lines.append(String(repeating: " ", count: labelWidth - label.count) + label + " ┤" + String(row))
  }
  lines.append(String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: width))
  let (left, right) = (format(xMin), format(xMax))
  let gap = max(1, width - left.count - right.count - xLabel.count)
  let middle = String(repeating: " ", count: gap / 2) + xLabel + String(repeating: " ", count: gap - gap / 2)
  lines.append(String(repeating: " ", count: labelWidth + 2) + left + middle + right)
  let legend = groups.enumerated().map { "\(seriesMarkers[$0.offset % seriesMarkers.count]) \($0.element)" }
  lines.append(String(repeating: " ", count: labelWidth + 2) + legend.joined(separator: "   "))
  return lines.joined(separator: "\n")
}

/// A short, readable number.
func format(_ x: Double) -> String {
  if x == 0 { return "0" }
  let a = Swift.abs(x)
  if a >= 1e5 || a < 1e-3 { return String(format: "%.2e", x) }
  if a >= 100 { return String(format: "%.0f", x) }
  if a >= 1 { return String(format: "%.2f", x) }
  return String(format: "%.3f", x)
}
