// What happens when code calls an exercise that the student has not written yet.
//
// In the kit, every exercise's solution sits in the source between two markers:
//
//     // BEGIN EXERCISE 1.1 "Squared difference" points=2
//     // hint: a nudge: where to look, which idea (// hint 2:, // hint 3: say more, never the answer)
//     ...the solution...
//     // END EXERCISE 1.1
//
// `swift run course student-edition DIR` replaces each such block with a call to
// `Exercise.unfinished(...)`. That call never crashes: in a lesson it prints a short message
// naming the exercise and the file and exits; under XCTest (see `ExerciseTesting`) it fails the
// current test with the same message, and returns a placeholder so the test can finish.

import Foundation

/// One graded exercise, as its markers describe it.
public struct ExerciseInfo: Sendable, Equatable {
  /// The id, `lesson.number`, e.g. `"1.2"`.
  public var id: String
  /// A short title, e.g. `"Softmax"`.
  public var title: String
  /// The file the student edits, relative to the package root.
  public var file: String
  /// A hint that points at the idea, not the code.
  public var hint: String

  public init(id: String, title: String, file: String, hint: String) {
    self.id = id
    self.title = title
    self.file = file
    self.hint = hint
  }

  /// The message a student sees: which exercise, where to write it, and the hint.
  public var message: String {
    "Exercise \(id) (\(title)) is not done yet: write it in \(file).\nHint: \(hint)"
  }
}

/// A type that can stand in for the result of an unfinished exercise.
public protocol ExercisePlaceholder {
  /// A harmless value returned after the unfinished exercise has been reported.
  static var exercisePlaceholder: Self { get }
}

extension Float: ExercisePlaceholder { public static var exercisePlaceholder: Float { .nan } }
extension Double: ExercisePlaceholder { public static var exercisePlaceholder: Double { .nan } }
extension Int: ExercisePlaceholder { public static var exercisePlaceholder: Int { 0 } }
extension Bool: ExercisePlaceholder { public static var exercisePlaceholder: Bool { false } }
extension Array: ExercisePlaceholder { public static var exercisePlaceholder: [Element] { [] } }

/// The entry point the student edition calls in place of a solution.
public enum Exercise {
  /// Decides what an unfinished exercise does. The default prints the message and exits the
  /// process with status 3; `ExerciseTesting` replaces it with an XCTest failure.
  public nonisolated(unsafe) static var handler: @Sendable (ExerciseInfo) -> Void = { info in
    reportAndExit(info)
  }

  /// Reports the unfinished exercise through `handler` and returns a placeholder value.
  public static func unfinished<T: ExercisePlaceholder>(
    _ id: String, title: String, file: String, hint: String
  ) -> T {
    handler(ExerciseInfo(id: id, title: title, file: file, hint: hint))
    return T.exercisePlaceholder
  }

  /// Reports the unfinished exercise of a function that returns nothing.
  public static func unfinished(_ id: String, title: String, file: String, hint: String) {
    handler(ExerciseInfo(id: id, title: title, file: file, hint: hint))
  }

  /// The ids of the unfinished exercises that `body` reaches (always none in the kit; in the
  /// student edition, those the student has not written yet). Their placeholders are returned
  /// to `body` meanwhile, so it should not depend on the results.
  public static func unfinishedExercises(reachedBy body: () throws -> Void) rethrows -> [String] {
    let saved = handler
    let reached = ReachedExercises()
    handler = { info in reached.add(info.id) }
    defer { handler = saved }
    try body()
    return reached.ids
  }

  /// The default handler: a friendly message on standard error, no backtrace, exit status 3.
  public static func reportAndExit(_ info: ExerciseInfo) -> Never {
    let text =
      "\n" + info.message + "\nRun `swift test --filter Lesson\(info.lesson)Tests` to check your work.\n"
    FileHandle.standardError.write(Data(text.utf8))
    exit(3)
  }
}

extension ExerciseInfo {
  /// The lesson number, the part of the id before the dot.
  public var lesson: String { String(id.split(separator: ".").first ?? Substring(id)) }
}

/// The exercise ids a probe reached, in order, once each.
final class ReachedExercises: @unchecked Sendable {
  private let lock = NSLock()
  private var list: [String] = []

  func add(_ id: String) {
    lock.lock()
    defer { lock.unlock() }
    if !list.contains(id) { list.append(id) }
  }

  var ids: [String] {
    lock.lock()
    defer { lock.unlock() }
    return list
  }
}
