// `swift run course <command>`: the kit's command-line tools. Each command is one entry in
// the table below: a name, a line of help, and a function of the remaining arguments.

import CourseTools
import Foundation

/// A subcommand of `course`.
struct Command {
  let name: String
  let summary: String
  let run: ([String]) throws -> Int32
}

let commands: [Command] = [
  Command(name: "exercises", summary: "list the exercises and which are still unfinished", run: runExercises),
  Command(
    name: "check", summary: "check exercise markers and that every exercise has visible and hidden tests",
    run: runCheck),
  Command(
    name: "student-edition", summary: "write the student edition: student-edition DIR [--force]",
    run: runStudentEdition),
  Command(
    name: "grade", summary: "grade submissions: grade [DIR...] [--timeout 60] [--output runs/grades]",
    run: runGrade),
  Command(
    name: "verify-edition", summary: "build the student edition and check its tests fail/pass as they must",
    run: runVerify),
  Command(
    name: "make-datasets",
    summary: "write the kit's generated data: make-datasets [--output datasets] [--seed N]",
    run: runMakeDatasets),
  Command(
    name: "pretrain",
    summary:
      "pre-train: pretrain --arch bert|gpt --output DIR [--steps N] [--seed N] [--save-steps 500] [--resume]",
    run: runPretrain),
  Command(
    name: "finetune",
    summary:
      "fine-tune a checkpoint: finetune --model DIR --train FILE --validation FILE [--test FILE] [--format tsv] [--epochs 3] [--batch-size 32] [--lr 5e-5] [--output DIR]",
    run: runFinetune),
  Command(
    name: "predict", summary: "classify each line with a fine-tuned model: predict --model DIR --input FILE",
    run: runPredict),
  Command(
    name: "fill-mask", summary: "top tokens for each [MASK]: fill-mask --model DIR --input FILE [--top 5]",
    run: runFillMask),
  Command(
    name: "embed", summary: "a vector per line: embed --model DIR --input FILE [--pooling cls|mean]",
    run: runEmbed),
  Command(
    name: "generate",
    summary:
      "continue a prompt: generate --model DIR --prompt TEXT [--max-new-tokens N] [--temperature T] [--top-k K] [--seed N]",
    run: runGenerate),
  Command(
    name: "tokenize", summary: "ids per line: tokenize --tokenizer PATH --input FILE [--tokens]",
    run: runTokenize),
  Command(
    name: "bench", summary: "speed of the kernels and of a training step (use -c release)", run: runBench),
]

func usage(_ commands: [Command]) -> String {
  "usage: swift run course <command> [options]\n\ncommands:\n"
    + commands.map { "  \($0.name.padding(toLength: 16, withPad: " ", startingAt: 0))\($0.summary)" }.joined(
      separator: "\n")
    + "\n\nOptions common to the course tools: --root DIR (the kit's package root, default: the current directory)"
}

/// Splits `--name value` options and positional arguments; `switches` take no value.
func parseArguments(_ arguments: [String], switches: Set<String> = []) throws -> (
  options: [String: String], positional: [String]
) {
  var options: [String: String] = [:]
  var positional: [String] = []
  var i = 0
  while i < arguments.count {
    let a = arguments[i]
    if switches.contains(a) {
      options[a] = "true"
    } else if a.hasPrefix("--") {
      guard i + 1 < arguments.count else { throw CourseToolError("\(a) needs a value") }
      options[a] = arguments[i + 1]
      i += 1
    } else {
      positional.append(a)
    }
    i += 1
  }
  return (options, positional)
}

func rootURL(_ options: [String: String]) -> URL {
  URL(fileURLWithPath: options["--root"] ?? FileManager.default.currentDirectoryPath).standardizedFileURL
}

func rejectUnknown(_ options: [String: String], allowed: Set<String>) throws {
  if let bad = options.keys.sorted().first(where: { !allowed.contains($0) }) {
    throw CourseToolError("unknown option \(bad) (allowed: \(allowed.sorted().joined(separator: ", ")))")
  }
}

func runExercises(_ arguments: [String]) throws -> Int32 {
  let (options, _) = try parseArguments(arguments)
  try rejectUnknown(options, allowed: ["--root"])
  let root = rootURL(options)
  let exercises = try discoverExercises(root: root)
  if !exercises.isEmpty {
    print("The kit's exercises (solutions present):")
    for e in exercises { print("  \(e.id)  \(e.title)  (\(e.points) points)  \(e.file)") }
    return 0
  }
  // A student edition: an exercise is unfinished while its `Exercise.unfinished` call is there.
  var unfinished: [String: String] = [:]
  for folder in ["Sources", "Lessons"] {
    let base = root.appendingPathComponent(folder)
    let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
    while let url = walker?.nextObject() as? URL {
      guard url.pathExtension == "swift", let text = try? String(contentsOf: url, encoding: .utf8) else {
        continue
      }
      for match in text.matches(of: #/Exercise\.unfinished\("([^"]+)", title: "([^"]*)"/#) {
        unfinished[String(match.1)] = "\(match.2)  \(url.path.dropFirst(root.path.count + 1))"
      }
    }
  }
  let graded = Set(try discoverTestClasses(root: root).compactMap(\.exerciseID))
  let all = graded.union(unfinished.keys).sorted { $0.compare($1, options: .numeric) == .orderedAscending }
  for id in all {
    if let where_ = unfinished[id] {
      print("  [ ] \(id)  \(where_)")
    } else {
      print(
        "  [x] \(id)  written: check it with swift test --filter Lesson\(id.split(separator: ".")[0])Tests")
    }
  }
  print("\(all.count - unfinished.count)/\(all.count) exercises written")
  return 0
}

func runCheck(_ arguments: [String]) throws -> Int32 {
  let (options, _) = try parseArguments(arguments)
  try rejectUnknown(options, allowed: ["--root"])
  let problems = checkExercises(root: rootURL(options))
  for p in problems { print(p) }
  if problems.isEmpty { print("exercises and tests are consistent") }
  return problems.isEmpty ? 0 : 1
}

func runStudentEdition(_ arguments: [String]) throws -> Int32 {
  let (options, positional) = try parseArguments(arguments, switches: ["--force"])
  try rejectUnknown(options, allowed: ["--root", "--force"])
  guard positional.count == 1 else {
    throw CourseToolError("student-edition needs one destination directory")
  }
  let destination = URL(fileURLWithPath: positional[0]).standardizedFileURL
  let summary = try makeStudentEdition(
    root: rootURL(options), destination: destination, force: options["--force"] != nil)
  print(
    "wrote the student edition to \(summary.destination.path): \(summary.files) files, \(summary.exercises) exercises to do"
  )
  return 0
}

func runGrade(_ arguments: [String]) throws -> Int32 {
  let (options, positional) = try parseArguments(arguments)
  try rejectUnknown(options, allowed: ["--root", "--timeout", "--output"])
  let root = rootURL(options)
  guard let timeout = Double(options["--timeout"] ?? "60"), timeout > 0 else {
    throw CourseToolError("--timeout needs a positive number of seconds")
  }
  let output = URL(fileURLWithPath: options["--output"] ?? "runs/grades")
  let submissions =
    positional.isEmpty ? [root] : positional.map { URL(fileURLWithPath: $0).standardizedFileURL }
  var grades: [SubmissionGrade] = []
  for submission in submissions {
    guard FileManager.default.fileExists(atPath: submission.appendingPathComponent("Package.swift").path)
    else {
      print("\(submission.path): not a package (no Package.swift); skipped")
      continue
    }
    grades.append(try gradeSubmission(submission, kitRoot: root, defaultTimeout: timeout) { print($0) })
  }
  print("\n" + gradeTable(grades))
  try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
  try Data(gradesCSV(grades).utf8).write(to: output.appendingPathComponent("grades.csv"), options: .atomic)
  try gradesJSON(grades).write(to: output.appendingPathComponent("grades.json"), options: .atomic)
  for g in grades {
    try Data(feedback(g).utf8).write(
      to: output.appendingPathComponent("feedback-\(g.name).txt"), options: .atomic)
  }
  print("\nwrote \(output.path)/grades.csv, grades.json and feedback-<submission>.txt")
  return 0
}

func runVerify(_ arguments: [String]) throws -> Int32 {
  let (options, _) = try parseArguments(arguments)
  try rejectUnknown(options, allowed: ["--root", "--keep"])
  let keep = options["--keep"].map { URL(fileURLWithPath: $0).standardizedFileURL }
  let problems = try verifyStudentEdition(root: rootURL(options), keep: keep) { print($0) }
  if problems.isEmpty {
    print(
      "\nthe student edition is right: every exercise test fails with its message, every other test passes")
    return 0
  }
  print("\nproblems with the student edition:")
  for p in problems { print("  " + p) }
  return 1
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, !["-h", "--help", "help"].contains(name) else {
  print(usage(commands))
  exit(arguments.isEmpty ? 2 : 0)
}
guard let command = commands.first(where: { $0.name == name }) else {
  FileHandle.standardError.write(Data("course: unknown command \"\(name)\"\n\n\(usage(commands))\n".utf8))
  exit(2)
}
// `course <command> --help`: the command's line of the table (bench has a longer help of its own).
if command.name != "bench", arguments.dropFirst().contains(where: { ["-h", "--help"].contains($0) }) {
  print("usage: swift run course \(command.name) [options]\n\n\(command.summary)")
  exit(0)
}
do {
  exit(try command.run(Array(arguments.dropFirst())))
} catch {
  FileHandle.standardError.write(Data("course \(name): \(error)\n".utf8))
  exit(1)
}
