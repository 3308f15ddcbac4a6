// One option parser for every `course` command: swift-argument-parser's idea without the
// dependency. A command is a struct whose options are declared once, as properties:
//
//   @Option("--epochs", .atLeast(0), help: "passes over the training file") var epochs = 3.0
//
// and parsing, range checks, unknown-option errors, missing-required errors and
// `course <command> --help` all derive from those declarations (found with Mirror, as
// ArgumentParser finds its property wrappers). Adding an option is that one line; the
// command's run function reads it as `options.epochs`.

import CourseTools
import Datasets
import Foundation
import Training

/// A `course` subcommand: its options are `@Option`, `@Flag` and `@Arguments` properties,
/// parsed before `run()` is called (swift-argument-parser's `ParsableCommand`).
protocol CourseCommand {
  /// The command with every option at its default (the declarations).
  init()
  /// Runs the command on the parsed options; returns the exit status.
  func run() throws -> Int32
}

/// Options declared together in a struct that a command holds as one property
/// (swift-argument-parser's `@OptionGroup`), e.g. `finetune`'s `--peft` options.
protocol OptionGroup {}

/// A type an option's text converts to.
protocol OptionValue {
  /// The value `text` names, or nil when it names none.
  init?(optionText text: String)
  /// What a valid value is, for errors and help: "an integer", "one of tsv, csv".
  static var expected: String { get }
  /// The placeholder in usage lines: `N`, `X`, `tsv|csv`.
  static var placeholder: String { get }
  /// How the value reads on the command line (defaults in `--help`); nil for "no value".
  var optionText: String? { get }
}

extension OptionValue where Self: LosslessStringConvertible {
  var optionText: String? { description }
}

extension String: OptionValue {
  init?(optionText text: String) { self = text }
  static var expected: String { "a value" }
  static var placeholder: String { "TEXT" }
}

extension Int: OptionValue {
  init?(optionText text: String) { self.init(text) }
  static var expected: String { "an integer" }
  static var placeholder: String { "N" }
}

extension UInt64: OptionValue {
  init?(optionText text: String) { self.init(text) }
  static var expected: String { "an integer ≥ 0" }
  static var placeholder: String { "N" }
}

extension Double: OptionValue {
  // Infinity and NaN are never a useful learning rate, temperature or timeout.
  init?(optionText text: String) {
    guard let value = Double(text), value.isFinite else { return nil }
    self = value
  }
  static var expected: String { "a number" }
  static var placeholder: String { "X" }
  // 3, not 3.0: as a student would type it.
  var optionText: String? { rounded() == self && abs(self) < 1e15 ? String(Int(self)) : description }
}

extension Float: OptionValue {
  init?(optionText text: String) {
    guard let value = Float(text), value.isFinite else { return nil }
    self = value
  }
  static var expected: String { "a number" }
  static var placeholder: String { "X" }
  var optionText: String? { Double(self).optionText }
}

extension Bool: OptionValue {
  init?(optionText text: String) { self.init(text) }
  static var expected: String { "true or false" }
  static var placeholder: String { "true|false" }
}

/// Enumerations (`DataFormat`, `LearningRateSchedule`, ...) take their raw values.
extension OptionValue where Self: RawRepresentable<String> & CaseIterable {
  init?(optionText text: String) { self.init(rawValue: text) }
  static var expected: String {
    let names = allCases.map(\.rawValue)
    return names.count == 2 ? "\(names[0]) or \(names[1])" : "one of \(names.joined(separator: ", "))"
  }
  static var placeholder: String { allCases.map(\.rawValue).joined(separator: "|") }
  var optionText: String? { rawValue }
}

/// An option that may be absent (no default).
extension Optional: OptionValue where Wrapped: OptionValue {
  init?(optionText text: String) {
    guard let value = Wrapped(optionText: text) else { return nil }
    self = .some(value)
  }
  static var expected: String { Wrapped.expected }
  static var placeholder: String { Wrapped.placeholder }
  var optionText: String? { self?.optionText }
}

/// The values a number option accepts.
struct OptionRange<Bound: Comparable & OptionValue> {
  let contains: (Bound) -> Bool
  let expected: String

  /// `bound` or more.
  static func atLeast(_ bound: Bound) -> Self {
    Self(contains: { $0 >= bound }, expected: "\(Bound.expected) ≥ \(bound.optionText ?? "")")
  }
  /// More than `bound`.
  static func above(_ bound: Bound) -> Self {
    Self(contains: { $0 > bound }, expected: "\(Bound.expected) > \(bound.optionText ?? "")")
  }
}

/// What `--help`, the parser and the errors know of one declared option, flag or argument list.
struct OptionSpec {
  enum Kind { case option, flag, arguments(ClosedRange<Int>) }
  let kind: Kind
  /// `--max-length`, or the placeholder of positional arguments (`DIR`).
  let name: String
  /// `N`, `DIR`, `tsv|csv` (options only).
  let placeholder: String
  /// What the option is for, one line.
  let help: String
  /// "an integer ≥ 1": what the parser accepts.
  let expected: String
  /// Whether `expected` narrows the type (a range), which `--help` then says.
  var hasRange = false
  /// The default as typed on the command line; nil when there is none.
  let defaultText: String?
  /// A required option, or positional arguments of which at least one is needed.
  let isRequired: Bool

  /// `--max-length N`, `--resume`, `DIR...`.
  var usage: String {
    switch kind {
    case .option: return "\(name) \(placeholder)"
    case .flag: return name
    case .arguments(let count): return count.upperBound > 1 ? "\(name)..." : name
    }
  }
}

/// The parser's side of a declaration (the property wrappers below).
protocol DeclaredOption {
  var spec: OptionSpec { get }
  /// Sets the value from the command line; throws when `text` is not a valid value.
  func assign(_ text: String) throws
  /// Whether the command line gave a value.
  var isSet: Bool { get }
}

/// Where a declaration keeps its parsed value: a class, so the copy Mirror hands the parser
/// and the command's own property share it.
final class OptionStorage<Value> {
  var value: Value
  var isSet = false
  init(_ value: Value) { self.value = value }
}

/// An option with a value, `--name VALUE` or `--name=VALUE` (ArgumentParser's `@Option`).
/// With a default it is optional; without one it is required.
@propertyWrapper
struct Option<Value: OptionValue>: DeclaredOption {
  private(set) var spec: OptionSpec
  private let storage: OptionStorage<Value?>
  private let convert: (String) -> Value?

  var wrappedValue: Value {
    // Only a required option has no value, and parsing fails when it is missing.
    guard let value = storage.value else { preconditionFailure("\(spec.name) read before parsing") }
    return value
  }
  var isSet: Bool { storage.isSet }

  /// An option of any value type, `wrappedValue` when absent.
  init(wrappedValue: Value, _ name: String, value placeholder: String? = nil, help: String) {
    self.init(name, placeholder, help, Value.expected, wrappedValue, Value.init(optionText:))
  }

  /// A required option.
  init(_ name: String, value placeholder: String? = nil, help: String) {
    self.init(name, placeholder, help, Value.expected, nil, Value.init(optionText:))
  }

  /// A number in `range`, `wrappedValue` when absent.
  init(wrappedValue: Value, _ name: String, _ range: OptionRange<Value>, help: String)
  where Value: Comparable {
    self.init(name, nil, help, range.expected, wrappedValue) {
      Value(optionText: $0).flatMap { range.contains($0) ? $0 : nil }
    }
    spec.hasRange = true
  }

  /// A number in `range`, nil when absent.
  init<Wrapped>(wrappedValue: Value = nil, _ name: String, _ range: OptionRange<Wrapped>, help: String)
  where Value == Wrapped?, Wrapped: Comparable & OptionValue {
    self.init(name, nil, help, range.expected, wrappedValue) { text -> Value? in
      // Spelt out: a rejected value must be "no value" (nil), not "the value nil" (.some(nil)).
      guard let value = Wrapped(optionText: text), range.contains(value) else { return .none }
      return .some(value)
    }
    spec.hasRange = true
  }

  private init(
    _ name: String, _ placeholder: String?, _ help: String, _ expected: String, _ value: Value?,
    _ convert: @escaping (String) -> Value?
  ) {
    spec = OptionSpec(
      kind: .option, name: name, placeholder: placeholder ?? Value.placeholder, help: help,
      expected: expected,
      defaultText: value?.optionText, isRequired: value == nil)
    storage = OptionStorage(value)
    self.convert = convert
  }

  func assign(_ text: String) throws {
    guard let value = convert(text) else {
      throw CourseToolError("\(spec.name): expected \(spec.expected), got \"\(text)\"")
    }
    (storage.value, storage.isSet) = (value, true)
  }
}

/// A switch without a value, false unless given (`--resume`, `--force`).
@propertyWrapper
struct Flag: DeclaredOption {
  let spec: OptionSpec
  private let storage = OptionStorage(false)
  var wrappedValue: Bool { storage.value }
  var isSet: Bool { storage.isSet }

  init(_ name: String, help: String) {
    spec = OptionSpec(
      kind: .flag, name: name, placeholder: "", help: help, expected: "no value", defaultText: nil,
      isRequired: false)
  }

  func assign(_ text: String) throws { (storage.value, storage.isSet) = (true, true) }
}

/// The positional arguments, `count` of them (grade's submission directories).
@propertyWrapper
struct Arguments: DeclaredOption {
  let spec: OptionSpec
  private let storage = OptionStorage([String]())
  var wrappedValue: [String] { storage.value }
  var isSet: Bool { storage.isSet }

  init(_ placeholder: String, count: ClosedRange<Int>, help: String) {
    spec = OptionSpec(
      kind: .arguments(count), name: placeholder, placeholder: placeholder, help: help,
      expected: "\(count)", defaultText: nil, isRequired: count.lowerBound > 0)
  }

  func assign(_ text: String) throws { (storage.value, storage.isSet) = (storage.value + [text], true) }
}

extension OptionSpec {
  var isPositional: Bool {
    if case .arguments = kind { return true }
    return false
  }
}

extension CourseCommand {
  /// The declarations, in the order the command's properties declare them (an `OptionGroup`
  /// property's declarations in its place).
  var declarations: [any DeclaredOption] {
    func collect(_ value: Any) -> [any DeclaredOption] {
      Mirror(reflecting: value).children.flatMap { child -> [any DeclaredOption] in
        if let option = child.value as? any DeclaredOption { return [option] }
        if let group = child.value as? any OptionGroup { return collect(group) }
        return []
      }
    }
    return collect(self)
  }

  /// The command with `arguments` parsed: unknown options first (a misspelt name explains a
  /// missing one), then each value in turn, then the positional arguments and required options.
  static func parse(_ arguments: [String], command: String) throws -> Self {
    let parsed = Self()
    let declared = parsed.declarations
    let named = declared.filter { !$0.spec.isPositional }
    let options = Dictionary(named.map { ($0.spec.name, $0) }, uniquingKeysWith: { first, _ in first })
    let positional = declared.first { $0.spec.isPositional }
    var assignments: [(option: any DeclaredOption, text: String)] = []
    var extra: [String] = []
    var i = 0
    while i < arguments.count {
      let argument = arguments[i]
      i += 1
      guard argument.hasPrefix("--") else {
        if let positional { assignments.append((positional, argument)) } else { extra.append(argument) }
        continue
      }
      let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
      guard let option = options[parts[0]] else {
        let names = named.map(\.spec.name).joined(separator: ", ")
        throw CourseToolError(
          "unknown option \(parts[0]) (allowed: \(names.isEmpty ? "none" : names); see course \(command) --help)"
        )
      }
      if case .flag = option.spec.kind {
        guard parts.count == 1 else {
          throw CourseToolError("\(parts[0]) takes no value, got \"\(parts[1])\"")
        }
        assignments.append((option, ""))
      } else if parts.count == 2 {
        assignments.append((option, parts[1]))
      } else {
        guard i < arguments.count else {
          throw CourseToolError("\(parts[0]) needs a value: expected \(option.spec.expected)")
        }
        assignments.append((option, arguments[i]))
        i += 1
      }
    }
    for (option, text) in assignments { try option.assign(text) }
    if let first = extra.first {
      throw CourseToolError("unexpected argument \"\(first)\" (\(command) takes none)")
    }
    if let positional, case .arguments(let count) = positional.spec.kind {
      let given = assignments.filter { $0.option.spec.isPositional }.map(\.text)
      if given.count > count.upperBound {
        throw CourseToolError(
          "unexpected argument \"\(given[count.upperBound])\" (\(command) takes at most \(count.upperBound) \(positional.spec.name))"
        )
      }
      if given.count < count.lowerBound {
        throw CourseToolError("\(command) needs \(positional.spec.name): \(positional.spec.help)")
      }
    }
    if let missing = named.first(where: { $0.spec.isRequired && !$0.isSet }) {
      throw CourseToolError("\(command) needs \(missing.spec.usage): \(missing.spec.help)")
    }
    return parsed
  }

  /// `course <command> --help`: the usage line, the summary, and every option with its default.
  static func help(command: String, summary: String) -> String {
    let declared = Self().declarations
    let named = declared.filter { !$0.spec.isPositional }
    let positional = declared.filter(\.spec.isPositional).map {
      $0.spec.isRequired ? $0.spec.usage : "[\($0.spec.usage)]"
    }
    let usage =
      ["usage: swift run course", command] + named.filter(\.spec.isRequired).map(\.spec.usage)
      + (named.contains { !$0.spec.isRequired } ? ["[options]"] : []) + positional
    let rows =
      declared.map { option in
        var text = option.spec.help
        if option.spec.isRequired { text += " (required)" }
        if case .option = option.spec.kind {
          if option.spec.hasRange { text += "; \(option.spec.expected)" }
          if let value = option.spec.defaultText { text += " (default: \(value.isEmpty ? "\"\"" : value))" }
        }
        return (usage: option.spec.usage, text: text)
      } + [(usage: "-h, --help", text: "show this help")]
    let width = 26
    let lines = rows.map { row in
      let name = "  " + row.usage
      return name.count < width
        ? name.padding(toLength: width, withPad: " ", startingAt: 0) + row.text
        : name + "\n" + String(repeating: " ", count: width) + row.text
    }
    return usage.joined(separator: " ") + "\n\n\(summary)\n\noptions:\n" + lines.joined(separator: "\n")
  }
}

// The library's enumerations that options take.
extension DataFormat: OptionValue {}
extension LearningRateSchedule: OptionValue {}
