// Tables as aligned text.

import Foundation

/// Renders rows under headers with aligned columns: numbers to the right, text to the left.
public func renderTable(headers: [String], rows: [[String]], title: String? = nil) -> String {
  let columns = max(headers.count, rows.map(\.count).max() ?? 0)
  let cells = ([headers] + rows).map { $0 + [String](repeating: "", count: columns - $0.count) }
  let widths = (0..<columns).map { c in cells.map { $0[c].count }.max() ?? 0 }
  func isNumeric(_ s: String) -> Bool {
    let t = s.trimmingCharacters(in: .init(charactersIn: "%x "))
    return !t.isEmpty && Double(t.replacingOccurrences(of: ",", with: "")) != nil
  }
  func line(_ row: [String]) -> String {
    row.enumerated().map { c, cell in
      let pad = String(repeating: " ", count: widths[c] - cell.count)
      return isNumeric(cell) ? pad + cell : cell + pad
    }.joined(separator: "  ")
  }
  var out: [String] = []
  if let title { out.append(title) }
  out.append(line(cells[0]))
  out.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
  out += cells.dropFirst().map(line)
  return out.joined(separator: "\n")
}
