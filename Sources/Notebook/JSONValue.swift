// The values a lesson records in results.json.

import Foundation

/// A JSON value. Non-finite numbers are written as `null`: JSON has no NaN.
public enum JSONValue: Equatable, Sendable {
  case number(Double)
  case string(String)
  case bool(Bool)
  case array([JSONValue])
  case object([String: JSONValue])
  case null

  /// The value as JSON text, keys sorted, pretty-printed with two-space indentation.
  public func serialized(indent: String = "") -> String {
    switch self {
    case .number(let x):
      guard x.isFinite else { return "null" }
      if x == x.rounded() && Swift.abs(x) < 1e15 { return String(Int64(x)) }
      return "\(x)"
    case .string(let s): return Self.quote(s)
    case .bool(let b): return b ? "true" : "false"
    case .null: return "null"
    case .array(let items):
      if items.isEmpty { return "[]" }
      if items.allSatisfy({ if case .number = $0 { return true } else { return false } }) {
        return "[" + items.map { $0.serialized() }.joined(separator: ", ") + "]"
      }
      let inner = indent + "  "
      return "[\n" + items.map { inner + $0.serialized(indent: inner) }.joined(separator: ",\n")
        + "\n\(indent)]"
    case .object(let fields):
      if fields.isEmpty { return "{}" }
      let inner = indent + "  "
      let body = fields.keys.sorted().map {
        inner + Self.quote($0) + ": " + fields[$0]!.serialized(indent: inner)
      }
      return "{\n" + body.joined(separator: ",\n") + "\n\(indent)}"
    }
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}

extension JSONValue: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral,
  ExpressibleByBooleanLiteral
{
  public init(floatLiteral value: Double) { self = .number(value) }
  public init(integerLiteral value: Int) { self = .number(Double(value)) }
  public init(stringLiteral value: String) { self = .string(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
}
