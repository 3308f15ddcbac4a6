// Command-line flags of a lesson: `--quick`, `--seed N`, `--output DIR`, `--help`, and the
// lesson's own flags. Parsing is a pure function, so it can be tested without exiting.

import Foundation

/// A flag a lesson declares, with its default and a line of help.
public struct LessonFlag: Sendable {
  /// The kind of value a flag takes.
  public enum Kind: Sendable {
    case int(Int)
    case double(Double)
    case string(String)
  }

  public let name: String
  public let kind: Kind
  public let help: String

  /// An integer flag, `--name N`.
  public static func int(_ name: String, default value: Int, help: String) -> LessonFlag {
    LessonFlag(name: name, kind: .int(value), help: help)
  }

  /// A number flag, `--name X`.
  public static func double(_ name: String, default value: Double, help: String) -> LessonFlag {
    LessonFlag(name: name, kind: .double(value), help: help)
  }

  /// A text flag, `--name TEXT` (a path, for example; "" for none).
  public static func string(_ name: String, default value: String, help: String) -> LessonFlag {
    LessonFlag(name: name, kind: .string(value), help: help)
  }

  var defaultText: String {
    switch kind {
    case .int(let v): return "\(v)"
    case .double(let v): return "\(v)"
    case .string(let v): return v.isEmpty ? "none" : v
    }
  }
}

/// Why a lesson's command line was not accepted (or that help was asked for).
public enum LessonOptionsError: Error, CustomStringConvertible, Equatable {
  case helpRequested
  case unknownFlag(String)
  case missingValue(String)
  case badValue(flag: String, value: String, expected: String)

  public var description: String {
    switch self {
    case .helpRequested: return "help requested"
    case .unknownFlag(let f): return "unknown flag \(f)"
    case .missingValue(let f): return "\(f) needs a value"
    case .badValue(let f, let v, let e): return "\(f) expects \(e), got \"\(v)\""
    }
  }
}

/// The parsed command line of a lesson.
public struct LessonOptions: Sendable {
  /// `--quick`: a short run for CI (fewer steps, smaller data), done in a few seconds.
  public var quick = false
  /// `--seed N`: the seed of every random choice the lesson makes (default 42).
  public var seed: UInt64 = 42
  /// `--output DIR`: where figures and results.json go (default runs/LessonN).
  public var outputDirectory: URL
  /// `--markdown DIR`: also write the lesson's page, DIR/lessonN.md, and its figures (nil: no page).
  public var markdownDirectory: URL?
  var ints: [String: Int] = [:]
  var doubles: [String: Double] = [:]
  var strings: [String: String] = [:]

  /// The value of an integer flag the lesson declared.
  public func int(_ name: String) -> Int {
    guard let v = ints[name] else { fatalError("Notebook: the lesson did not declare an int flag --\(name)") }
    return v
  }

  /// The value of a number flag the lesson declared.
  public func double(_ name: String) -> Double {
    guard let v = doubles[name] else {
      fatalError("Notebook: the lesson did not declare a number flag --\(name)")
    }
    return v
  }

  /// The value of a text flag the lesson declared.
  public func string(_ name: String) -> String {
    guard let v = strings[name] else {
      fatalError("Notebook: the lesson did not declare a text flag --\(name)")
    }
    return v
  }

  /// Parses `arguments` (without the program name).
  public static func parse(arguments: [String], flags: [LessonFlag], lesson: Int) throws -> LessonOptions {
    var options = LessonOptions(outputDirectory: URL(fileURLWithPath: "runs/Lesson\(lesson)"))
    for flag in flags {
      switch flag.kind {
      case .int(let v): options.ints[flag.name] = v
      case .double(let v): options.doubles[flag.name] = v
      case .string(let v): options.strings[flag.name] = v
      }
    }
    var i = 0
    while i < arguments.count {
      var name = arguments[i]
      var inlineValue: String?
      if let eq = name.firstIndex(of: "="), name.hasPrefix("--") {
        inlineValue = String(name[name.index(after: eq)...])
        name = String(name[..<eq])
      }
      func value() throws -> String {
        if let inlineValue { return inlineValue }
        guard i + 1 < arguments.count else { throw LessonOptionsError.missingValue(name) }
        i += 1
        return arguments[i]
      }
      switch name {
      case "--help", "-h":
        throw LessonOptionsError.helpRequested
      case "--quick":
        options.quick = true
      case "--seed":
        let text = try value()
        guard let seed = UInt64(text) else {
          throw LessonOptionsError.badValue(flag: name, value: text, expected: "a non-negative integer")
        }
        options.seed = seed
      case "--output":
        options.outputDirectory = URL(fileURLWithPath: try value())
      case "--markdown":
        options.markdownDirectory = URL(fileURLWithPath: try value())
      default:
        guard name.hasPrefix("--"), let flag = flags.first(where: { "--" + $0.name == name }) else {
          throw LessonOptionsError.unknownFlag(name)
        }
        let text = try value()
        switch flag.kind {
        case .int:
          guard let v = Int(text) else {
            throw LessonOptionsError.badValue(flag: name, value: text, expected: "an integer")
          }
          options.ints[flag.name] = v
        case .double:
          guard let v = Double(text), v.isFinite else {
            throw LessonOptionsError.badValue(flag: name, value: text, expected: "a number")
          }
          options.doubles[flag.name] = v
        case .string:
          options.strings[flag.name] = text
        }
      }
      i += 1
    }
    return options
  }

  /// The text `--help` prints.
  public static func usage(lesson: Int, title: String, flags: [LessonFlag]) -> String {
    var lines = [
      "Lesson \(lesson): \(title)", "", "usage: swift run Lesson\(lesson) [flags]", "",
      "  --quick            a short run (a few seconds), as CI does",
      "  --seed N           seed of every random choice (default 42)",
      "  --output DIR       where figures and results.json go (default runs/Lesson\(lesson))",
      "  --markdown DIR     also write this run as a page, DIR/lesson\(lesson).md, with its figures",
      "                     (the course's pages: --markdown docs/lessons)",
    ]
    for flag in flags {
      let left = "  --\(flag.name) \(flag.kind.placeholder)"
      lines.append(
        left.padding(toLength: max(21, left.count + 1), withPad: " ", startingAt: 0)
          + "\(flag.help) (default \(flag.defaultText))")
    }
    lines.append("  --help             this text")
    return lines.joined(separator: "\n")
  }
}

extension LessonFlag.Kind {
  var placeholder: String {
    switch self {
    case .int: return "N"
    case .double: return "X"
    case .string: return "TEXT"
    }
  }
}
