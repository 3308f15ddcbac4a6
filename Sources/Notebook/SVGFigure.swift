// Figures as SVG files, for the docs: line charts, heatmaps and scatter plots.

import Foundation

/// A point of a scatter plot; `group` picks its colour.
public struct ScatterPoint: Sendable {
  public var x: Double
  public var y: Double
  public var group: Int

  public init(x: Double, y: Double, group: Int) {
    self.x = x
    self.y = y
    self.group = group
  }
}

/// A self-contained SVG figure.
public struct SVGFigure: Sendable {
  /// The SVG document.
  public let svg: String

  static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
  static let (width, height, margin) = (640.0, 400.0, 56.0)

  /// A line chart of the series.
  public static func lineChart(series: [ChartSeries], title: String, xLabel: String = "", yLabel: String = "")
    -> SVGFigure
  {
    let all = series.flatMap(\.points)
    var body = ""
    if let box = Box(all.map(\.x), all.map(\.y)) {
      body += box.axes(xLabel: xLabel, yLabel: yLabel)
      for (s, one) in series.enumerated() {
        let colour = palette[s % palette.count]
        let path = one.points.map { String(format: "%.1f,%.1f", box.px($0.x), box.py($0.y)) }.joined(
          separator: " ")
        body += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
        body += String(
          format: "<text x=\"%.0f\" y=\"%.0f\" fill=\"%@\" font-size=\"12\">%@</text>\n",
          width - margin - 120,
          margin + 16 * Double(s + 1), colour, escape(one.name))
      }
    }
    return SVGFigure(svg: document(title: title, body: body))
  }

  /// A heatmap of `values` (rows top to bottom), dark for low and bright for high.
  public static func heatmap(values: [[Double]], rowLabels: [String], columnLabels: [String], title: String)
    -> SVGFigure
  {
    let finite = values.flatMap { $0 }.filter(\.isFinite)
    let (low, high) = (finite.min() ?? 0, finite.max() ?? 1)
    let rows = values.count
    let columns = values.map(\.count).max() ?? 0
    var body = ""
    if rows > 0 && columns > 0 {
      let cell = min((width - 2 * margin) / Double(columns), (height - 2 * margin) / Double(rows))
      for (r, row) in values.enumerated() {
        for (c, v) in row.enumerated() {
          let t = high > low && v.isFinite ? (v - low) / (high - low) : 0
          body += String(
            format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"/>\n",
            margin + Double(c) * cell,
            margin + Double(r) * cell, cell, cell, viridis(t))
        }
        if r < rowLabels.count {
          body += String(
            format: "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%@</text>\n",
            margin - 4,
            margin + (Double(r) + 0.6) * cell, escape(rowLabels[r]))
        }
      }
      for (c, label) in columnLabels.enumerated() where c < columns {
        let x = margin + (Double(c) + 0.5) * cell
        body += String(
          format:
            "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" transform=\"rotate(-60 %.1f %.0f)\">%@</text>\n", x,
          margin - 4, x, margin - 4, escape(label))
      }
    }
    return SVGFigure(svg: document(title: title, body: body))
  }

  /// A scatter plot, one colour per group.
  public static func scatter(points: [ScatterPoint], title: String, xLabel: String = "", yLabel: String = "")
    -> SVGFigure
  {
    let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
    var body = ""
    if let box = Box(finite.map(\.x), finite.map(\.y)) {
      body += box.axes(xLabel: xLabel, yLabel: yLabel)
      for p in finite {
        body += String(
          format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>\n", box.px(p.x), box.py(p.y),
          palette[((p.group % palette.count) + palette.count) % palette.count])
      }
    }
    return SVGFigure(svg: document(title: title, body: body))
  }

  /// Writes the figure to `url` atomically.
  public func write(to url: URL) throws {
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(svg.utf8).write(to: url, options: .atomic)
  }

  static func document(title: String, body: String) -> String {
    """
    <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
    viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif">
    <rect width="100%" height="100%" fill="white"/>
    <text x="\(Int(width / 2))" y="24" font-size="16" text-anchor="middle">\(escape(title))</text>
    \(body)</svg>

    """
  }

  /// The plotting area and the mapping from data to pixels.
  struct Box {
    let x0: Double, x1: Double, y0: Double, y1: Double

    init?(_ xs: [Double], _ ys: [Double]) {
      guard let xMin = xs.min(), let xMax = xs.max(), let yMin = ys.min(), let yMax = ys.max() else {
        return nil
      }
      (x0, x1) = xMax > xMin ? (xMin, xMax) : (xMin - 1, xMax + 1)
      (y0, y1) = yMax > yMin ? (yMin, yMax) : (yMin - 1, yMax + 1)
    }

    func px(_ x: Double) -> Double { margin + (x - x0) / (x1 - x0) * (width - 2 * margin) }
    func py(_ y: Double) -> Double { height - margin - (y - y0) / (y1 - y0) * (height - 2 * margin) }

    func axes(xLabel: String, yLabel: String) -> String {
      var s = String(
        format: "<path d=\"M%.0f %.0f V%.0f H%.0f\" stroke=\"black\" fill=\"none\"/>\n", margin, margin,
        height - margin, width - margin)
      for i in 0...4 {
        let fx = x0 + (x1 - x0) * Double(i) / 4
        let fy = y0 + (y1 - y0) * Double(i) / 4
        s += String(
          format: "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">%@</text>\n", px(fx),
          height - margin + 14, format(fx))
        s += String(
          format: "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%@</text>\n", margin - 4,
          py(fy) + 3, format(fy))
      }
      s +=
        "<text x=\"\(Int(width / 2))\" y=\"\(Int(height - 12))\" font-size=\"12\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
      s +=
        "<text x=\"14\" y=\"\(Int(height / 2))\" font-size=\"12\" transform=\"rotate(-90 14 \(Int(height / 2)))\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
      return s
    }
  }
}

/// Text safe inside SVG (XML).
func escape(_ text: String) -> String {
  text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

/// A colour from dark purple (0) through teal to yellow (1), like matplotlib's viridis.
func viridis(_ t: Double) -> String {
  let stops: [(Double, Double, Double)] = [
    (68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37),
  ]
  let x = min(max(t, 0), 1) * Double(stops.count - 1)
  let i = min(Int(x), stops.count - 2)
  let f = x - Double(i)
  let (a, b) = (stops[i], stops[i + 1])
  return String(
    format: "#%02x%02x%02x", Int(a.0 + (b.0 - a.0) * f), Int(a.1 + (b.1 - a.1) * f),
    Int(a.2 + (b.2 - a.2) * f))
}
