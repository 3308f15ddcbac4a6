// `swift run course <command>`: the kit's command-line tools. Each command is one entry in
// the table below: a name, the type that declares its options and runs it, and a line of help.
// `course <command> --help` lists the options from those declarations (CommandOptions.swift).

import CourseTools
import Foundation

/// A subcommand of `course`.
struct Command {
  let name: String
  let type: any CourseCommand.Type
  let summary: String

  init(_ name: String, _ type: any CourseCommand.Type, _ summary: String) {
    (self.name, self.type, self.summary) = (name, type, summary)
  }
}

let commands: [Command] = [
  Command("exercises", Exercises.self, "list the exercises: unfinished, written, passing their tests"),
  Command("hint", Hint.self, "an exercise's hints, one tier further each time (--tier N)"),
  Command("check", Check.self, "check exercise markers and that every exercise has visible and hidden tests"),
  Command("student-edition", StudentEdition.self, "write the student edition (solutions out) to DIR"),
  Command(
    "check-mutations", CheckMutations.self,
    "apply each recorded wrong solution; its exercise's tests must fail"),
  Command(
    "check-order", CheckExerciseOrder.self,
    "run each lesson with probes; it must call its exercises first in their numbering"),
  Command("grade", Grade.self, "grade submissions: a table, grades.csv, grades.json and feedback"),
  Command(
    "verify-edition", VerifyEdition.self,
    "build the student edition and check its tests fail/pass as they must"),
  Command("make-datasets", MakeDatasets.self, "write the kit's generated data"),
  Command("pretrain", Pretrain.self, "pre-train the kit's BERT-, GPT- or RoBERTa-style model"),
  Command("finetune", Finetune.self, "fine-tune a checkpoint on a labelled file"),
  Command("predict", Predict.self, "classify each line with a fine-tuned model (or adapter directory)"),
  Command(
    "evaluate", Evaluate.self,
    "a checkpoint's report, confusion matrix, intervals and calibration on a labelled file (--compare: paired tests)"
  ),
  Command("quantize", Quantize.self, "int8 weights for every Linear layer of a fine-tuned checkpoint"),
  Command("prune", Prune.self, "global magnitude pruning of a fine-tuned checkpoint to --sparsity"),
  Command("fill-mask", FillMask.self, "the likeliest tokens for each [MASK] or <mask>"),
  Command("embed", Embed.self, "a vector per line"),
  Command("generate", Generate.self, "continue a prompt"),
  Command("tokenize", Tokenize.self, "ids (or tokens) per line"),
  Command(
    "compare-results", CompareResults.self, "whether two results.json record the same numbers (timings aside)"
  ),
  Command("bench", Bench.self, "speed of the kernels and of a training step (build with -c release)"),
]

func usage(_ commands: [Command]) -> String {
  "usage: swift run course <command> [options]\n\ncommands:\n"
    + commands.map { "  \($0.name.padding(toLength: 16, withPad: " ", startingAt: 0))\($0.summary)" }.joined(
      separator: "\n")
    + "\n\ncourse <command> --help lists the command's options and their defaults."
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
if arguments.dropFirst().contains(where: { ["-h", "--help"].contains($0) }) {
  print(command.type.help(command: name, summary: command.summary))
  exit(0)
}
do {
  exit(try command.type.parse(Array(arguments.dropFirst()), command: name).run())
} catch {
  FileHandle.standardError.write(Data("course \(name): \(error)\n".utf8))
  exit(1)
}
