// swift-tools-version: 6.0
// The course kit: one executable per lesson (Lessons/LessonN) standing on one small tensor core with autodiff.
// No package dependencies: a student must be able to build it offline with the toolchain alone.
import PackageDescription

// The numeric libraries are compiled optimised in every configuration, so the default debug
// `swift run LessonN` runs at release speed. `-O` keeps preconditions (unlike `-Ounchecked`) and
// still lets `@testable import` work. Do not add `-wmo` here: it breaks linking in debug builds.
#if arch(x86_64)
  // Without a target CPU, SIMD fused multiply-add lowers to a libm call per lane (about 100x
  // slower). Haswell (2013) is the first x86-64 with AVX2+FMA; arm64 has FMA as baseline.
  let cpuFlags = ["-target-cpu", "haswell"]
#else
  let cpuFlags: [String] = []
#endif
let optimised: [SwiftSetting] = [.unsafeFlags(["-O"] + cpuFlags)]

let package = Package(
  name: "FineTuningCourse",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "TensorCore", targets: ["TensorCore"]),
    .library(name: "Notebook", targets: ["Notebook"]),
    .library(name: "Tokenizers", targets: ["Tokenizers"]),
    .library(name: "Models", targets: ["Models"]),
    .library(name: "Datasets", targets: ["Datasets"]),
    .library(name: "PEFT", targets: ["PEFT"]),
    .executable(name: "course", targets: ["course"]),
    .executable(name: "Lesson1", targets: ["Lesson1"]),
    .executable(name: "Lesson2", targets: ["Lesson2"]),
    .executable(name: "Lesson3", targets: ["Lesson3"]),
    .executable(name: "Lesson4", targets: ["Lesson4"]),
    .executable(name: "Lesson5", targets: ["Lesson5"]),
    .executable(name: "Lesson6", targets: ["Lesson6"]),
    .executable(name: "Lesson7", targets: ["Lesson7"]),
    .executable(name: "Lesson8", targets: ["Lesson8"]),
  ],
  targets: [
    // Course mechanics shared by the kit and its tests: what an unfinished exercise does.
    .target(name: "Exercises"),
    // The int8 matmul's inner tile, which calls AVX2's vpmaddwd through Swift's Builtin module
    // (visible only with -parse-stdlib; Sources/Int8Kernels/Int8MicroKernel.swift says why).
    .target(name: "Int8Kernels", swiftSettings: [.unsafeFlags(["-O", "-parse-stdlib"] + cpuFlags)]),
    // The tensor core: tensors, autodiff, kernels, modules, optimizers.
    .target(name: "TensorCore", dependencies: ["Exercises", "Int8Kernels"], swiftSettings: optimised),
    // What every reader of the files students bring shares: repeated JSON keys, unreadable paths.
    .target(name: "FileInput", swiftSettings: optimised),
    // The notebook runtime: narration, tables, progress bars, charts, SVG, runs/ artifacts.
    .target(name: "Notebook", dependencies: ["Exercises"]),
    // Text: WordPiece (BERT) and byte-level BPE (GPT-2) tokenizers, Hugging Face file formats.
    .target(name: "Tokenizers", dependencies: ["Exercises", "FileInput"], swiftSettings: optimised),
    // Datasets: the kit's generated corpus and tasks, readers for real formats, cleaning, splits.
    .target(name: "Datasets", dependencies: ["Exercises", "FileInput"], swiftSettings: optimised),
    // Models: attention, BERT- and GPT-2-style transformers in Hugging Face layout.
    .target(
      name: "Models", dependencies: ["TensorCore", "Exercises", "FileInput"], swiftSettings: optimised),
    // Training: masking, schedules, pre-training, TrainingArguments, Trainer, callbacks.
    .target(
      name: "Training", dependencies: ["TensorCore", "Models", "Tokenizers", "Notebook", "FileInput"],
      swiftSettings: optimised),
    // Parameter-efficient fine-tuning: LoRA, prompt and prefix tuning, adapters in PEFT's layout.
    .target(
      name: "PEFT",
      dependencies: ["TensorCore", "Models", "Tokenizers", "Training", "Exercises", "FileInput"],
      swiftSettings: optimised),
    // Student edition, grading and checks, as a library so that it can be tested.
    .target(name: "CourseTools"),
    .executableTarget(
      name: "course",
      dependencies: [
        "CourseTools", "TensorCore", "Models", "Tokenizers", "Datasets", "Training", "Notebook", "PEFT",
        "FileInput",
      ]),
    // XCTest support for graded exercise tests (linked by test targets only).
    .target(name: "ExerciseTesting", dependencies: ["Exercises"]),

    // The lessons: notebooks you run with `swift run LessonN`.
    .executableTarget(
      name: "Lesson1", dependencies: ["TensorCore", "Notebook"], path: "Lessons/Lesson1"),
    .executableTarget(
      name: "Lesson2", dependencies: ["Tokenizers", "Datasets", "Notebook"], path: "Lessons/Lesson2"),
    .executableTarget(
      name: "Lesson3", dependencies: ["TensorCore", "Models", "Notebook", "Tokenizers"],
      path: "Lessons/Lesson3"),
    .executableTarget(
      name: "Lesson4",
      dependencies: ["TensorCore", "Models", "Notebook", "Tokenizers", "Datasets", "Training"],
      path: "Lessons/Lesson4"),
    .executableTarget(
      name: "Lesson5",
      dependencies: ["TensorCore", "Models", "Notebook", "Tokenizers", "Datasets", "Training"],
      path: "Lessons/Lesson5"),
    .executableTarget(
      name: "Lesson6",
      dependencies: ["TensorCore", "Models", "Notebook", "Tokenizers", "Datasets", "Training"],
      path: "Lessons/Lesson6"),
    .executableTarget(
      name: "Lesson7",
      dependencies: ["TensorCore", "Models", "Notebook", "Tokenizers", "Datasets", "Training"],
      path: "Lessons/Lesson7"),
    .executableTarget(
      name: "Lesson8",
      dependencies: ["TensorCore", "Models", "Notebook", "Tokenizers", "Datasets", "Training", "PEFT"],
      path: "Lessons/Lesson8"),

    // Tests of the kit.
    .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
    .testTarget(name: "NotebookTests", dependencies: ["Notebook"]),
    .testTarget(name: "FileInputTests", dependencies: ["FileInput"]),
    .testTarget(
      name: "TokenizersTests", dependencies: ["Tokenizers", "ExerciseTesting"], exclude: ["Fixtures"]),
    .testTarget(
      name: "ModelsTests", dependencies: ["Models", "TensorCore", "Tokenizers", "ExerciseTesting"],
      exclude: ["Fixtures"]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
    .testTarget(
      name: "TrainingTests",
      dependencies: ["Training", "Models", "TensorCore", "Tokenizers", "ExerciseTesting"],
      exclude: ["Fixtures"]),
    .testTarget(name: "CourseToolsTests", dependencies: ["CourseTools"]),
    .testTarget(
      name: "PEFTTests", dependencies: ["PEFT", "Training", "Models", "TensorCore", "ExerciseTesting"],
      exclude: ["Fixtures"]),
    // Runs the built `course` executable (`swift test` builds every product first).
    .testTarget(name: "CourseCLITests"),
    // Graded exercise tests that students see.
    .testTarget(name: "Lesson1Tests", dependencies: ["TensorCore", "ExerciseTesting"]),
    .testTarget(name: "Lesson2Tests", dependencies: ["Tokenizers", "Datasets", "ExerciseTesting"]),
    .testTarget(name: "Lesson3Tests", dependencies: ["TensorCore", "Models", "ExerciseTesting"]),
    .testTarget(
      name: "Lesson4Tests",
      dependencies: ["TensorCore", "Models", "Tokenizers", "Training", "ExerciseTesting"]),
    .testTarget(
      name: "Lesson5Tests",
      dependencies: ["TensorCore", "Models", "Tokenizers", "Training", "ExerciseTesting"]),
    .testTarget(
      name: "Lesson6Tests",
      dependencies: ["TensorCore", "Models", "Datasets", "Training", "ExerciseTesting"]),
    .testTarget(name: "Lesson7Tests", dependencies: ["TensorCore", "Training", "ExerciseTesting"]),
    .testTarget(name: "Lesson8Tests", dependencies: ["TensorCore", "PEFT", "ExerciseTesting"]),
    // BEGIN HIDDEN
    // Hidden exercise tests: the student edition leaves this target out.
    .testTarget(
      name: "HiddenTests",
      dependencies: [
        "TensorCore", "Models", "Tokenizers", "Datasets", "Training", "PEFT", "ExerciseTesting",
      ],
      exclude: ["Mutations"]),
    // END HIDDEN
  ]
)
