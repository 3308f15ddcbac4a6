// Grade reports: a table for the terminal, CSV and JSON for a gradebook, feedback per student.

import Foundation

/// The per-submission, per-lesson, per-exercise table.
public func gradeTable(_ grades: [SubmissionGrade]) -> String {
  var lines: [String] = []
  for g in grades {
    lines.append(
      "\(g.name): \(format(g.total))/\(g.possible) points, \(g.done)/\(g.exercises.count) exercises done")
    if let failure = g.buildFailure {
      lines.append("  " + failure.replacingOccurrences(of: "\n", with: "\n  "))
    }
    if !g.uncompiledExercises.isEmpty {
      lines.append(
        "  did not compile: \(g.uncompiledExercises.joined(separator: ", ")) (zero; the rest graded with their stubs put back)"
      )
    }
    if !g.loopingExercises.isEmpty {
      lines.append(
        "  did not finish (loops?): \(g.loopingExercises.joined(separator: ", ")) (zero; the rest graded with their stubs put back)"
      )
    }
    let helped = g.exercises.filter { $0.outcomes.contains { $0.note != nil } }
    if !helped.isEmpty {
      lines.append(
        "  tests that call unfinished exercises, passed with their reference solutions in place: "
          + helped.map { e in "\(e.exercise.id) (\(e.outcomes.filter { $0.note != nil }.count))" }.joined(
            separator: ", "))
    }
    if !g.changedTests.isEmpty {
      lines.append("  warning: test files were edited: \(g.changedTests.joined(separator: ", "))")
    }
    lines.append("  lesson  exercise  points     tests  title")
    for e in g.exercises {
      let points = "\(format(e.earned))/\(e.exercise.points)"
      let tests = "\(e.passed)/\(e.outcomes.count)"
      lines.append(
        "  \(pad("\(e.exercise.lesson)", 6))  \(pad(e.exercise.id, 8))  \(pad(points, 9))  \(pad(tests, 5))  \(e.exercise.title)"
      )
    }
  }
  return lines.joined(separator: "\n")
}

/// What a student reads: each failing test and why (hidden tests say only that they failed).
public func feedback(_ g: SubmissionGrade) -> String {
  var lines = [
    "\(g.name): \(format(g.total))/\(g.possible) points, \(g.done)/\(g.exercises.count) exercises done", "",
  ]
  for e in g.exercises {
    lines.append("Exercise \(e.exercise.id) \(e.exercise.title): \(format(e.earned))/\(e.exercise.points)")
    for o in e.outcomes where !o.passed || o.note != nil {
      let name = o.hidden ? "(hidden test)" : "\(o.className).\(o.test)"
      lines.append(o.passed ? "  ✓ \(name): \(o.note!)" : "  ✗ \(name): \(o.reason ?? "failed")")
    }
  }
  return lines.joined(separator: "\n") + "\n"
}

/// grades.csv: one row per submission and exercise.
public func gradesCSV(_ grades: [SubmissionGrade]) -> String {
  var rows = ["submission,lesson,exercise,title,points,max_points,tests_passed,tests_total"]
  for g in grades {
    for e in g.exercises {
      rows.append(
        [
          g.name, "\(e.exercise.lesson)", e.exercise.id, e.exercise.title, format(e.earned),
          "\(e.exercise.points)",
          "\(e.passed)", "\(e.outcomes.count)",
        ].map(csvField).joined(separator: ","))
    }
  }
  return rows.joined(separator: "\n") + "\n"
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
public func csvField(_ text: String) -> String {
  guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
  return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// grades.json: the same, with each test's outcome (hidden tests' messages left out).
public func gradesJSON(_ grades: [SubmissionGrade]) throws -> Data {
  let object: [[String: Any]] = grades.map { g in
    [
      "submission": g.name, "points": g.total, "max_points": g.possible, "exercises_done": g.done,
      "build_failure": g.buildFailure as Any? ?? NSNull(), "edited_tests": g.changedTests,
      "uncompiled_exercises": g.uncompiledExercises, "looping_exercises": g.loopingExercises,
      "exercises": g.exercises.map { e in
        [
          "id": e.exercise.id, "lesson": e.exercise.lesson, "title": e.exercise.title, "points": e.earned,
          "max_points": e.exercise.points,
          "tests": e.outcomes.map { o in
            [
              "test": o.hidden ? "hidden" : "\(o.module).\(o.className)/\(o.test)", "passed": o.passed,
              "reason": o.reason as Any? ?? NSNull(), "note": o.note as Any? ?? NSNull(),
            ] as [String: Any]
          },
        ] as [String: Any]
      },
    ]
  }
  return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
}

func format(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(format: "%.2f", x) }

func pad(_ s: String, _ n: Int) -> String {
  s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
}
