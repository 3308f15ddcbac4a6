// Lesson 6, section 5 (end): forgetting as the accuracy on a task learned before. The intent
// classes are split into two tasks of three (continual learning's "split" tasks, each with its
// own head); the encoder learns the first, then the second with a new head, and the first
// task's head goes back on the encoder to measure what is left. Called from
// ForgettingSection.swift; reads main.swift's globals (labelNames, train, validation, ...).

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// One way of learning the second task, and its runs (one per seed).
struct SecondTaskArm {
  var name: String
  var key: String
  /// Prepares the second task's classifier (the first task's encoder already in it) and its run.
  var prepare: (BertForSequenceClassification, inout TrainingArguments) -> RunSetup
  var results: [RunResult] = []
  /// The first task's validation accuracy with its head back on the encoder, per seed.
  var firstAfter: [Double] = []
}

/// What the two tasks share: the embeddings and the encoder layers. The pooler, which the
/// classification head reads through, counts as part of each task's head with the `classifier`
/// layer, as `freezeBase` does.
let sharedPrefixes = ["bert.embeddings.", "bert.encoder."]

/// The parameters of `model` the two tasks share.
func sharedParameters(_ model: Module) -> [(name: String, tensor: Tensor)] {
  model.namedParameters().filter { parameter in sharedPrefixes.contains { parameter.name.hasPrefix($0) } }
}

/// Copies the shared part of `source` into `target`.
func copyShared(from source: Module, to target: Module) {
  for prefix in sharedPrefixes { copyParameters(from: source, to: target, prefix: prefix) }
}

/// The first `limit` messages of the intent task's `split` whose label is one of `classes`, as a
/// task of those classes alone.
@MainActor func intentSubtask(_ split: String, classes: [String], limit: Int) throws
  -> TextClassificationDataset
{
  let rows = try readExamples(root.appendingPathComponent("intent/\(split).tsv"), format: .tsv).examples
  return try TextClassificationDataset(
    rows.filter { classes.contains($0.label) }.prefix(limit).map { ($0.text, $0.label) }, labelNames: classes)
}

/// The shipped checkpoint with a new mean-pooling head for `classes`, drawn from `seed`.
@MainActor func pretrained(classes: [String], seed: UInt64) throws -> BertForSequenceClassification {
  try BertForSequenceClassification.fromPretrained(
    bertDirectory, labelNames: classes, classifierPooling: "mean", generator: Generator(seed: seed))
}

/// The first task, then the second, then the first task's accuracy again, for full fine-tuning
/// and its remedies.
@MainActor func sequentialTasks(l2spAlpha: Float) throws {
  let half = labelNames.count / 2
  let (firstClasses, secondClasses) = (Array(labelNames.prefix(half)), Array(labelNames.dropFirst(half)))
  // 64 training messages a task (two thirds of the lesson's set, for time): 12 steps each.
  let taskSize = min(64, train.count)
  let firstTrain = try intentSubtask("train", classes: firstClasses, limit: taskSize)
  let firstValidation = try intentSubtask("validation", classes: firstClasses, limit: validation.count)
  let secondTrain = try intentSubtask("train", classes: secondClasses, limit: taskSize)
  let secondValidation = try intentSubtask("validation", classes: secondClasses, limit: validation.count)
  nb.narrate(
    """
    The general-text loss says what the encoder lost of its pre-training objective. The other \
    view of forgetting, that of continual learning, is a task learned before. The kit's other \
    labelled tasks would be the natural second task, but bert-mini needs far more steps than \
    this lesson can spend to learn the sentiment reviews (Lesson 5), and a second task that is \
    not learned says nothing about the price of keeping the first. So the intent classes are \
    split in two tasks, as continual-learning benchmarks split theirs: first \
    \(firstClasses.joined(separator: " / ")), then \(secondClasses.joined(separator: " / ")), \
    \(firstTrain.count) and \(secondTrain.count) training messages, \
    \(String(format: "%g", epochs)) epochs each at the chosen rate, each task with its own head. \
    After the second task, the first task's head is put back on the encoder and its accuracy \
    measured again on the same \(firstValidation.count) validation messages. The tasks share \
    the embeddings and the encoder layers; a head is the `classifier` layer and the pooler under \
    it (trained with the head, as `freezeBase` leaves it). Against full fine-tuning on the second task: L2-SP towards the weights the first \
    task left (α = \(l2spAlpha), the snapshot taken after it), and freezing the embeddings and \
    the first layer. (Freezing everything shared would keep the first task exactly, and learn \
    the second with a head alone.)
    """)
  nb.cell("second-task-arms")
  nb.cell("two-tasks")
  // cell: second-task-arms
  var arms = [
    SecondTaskArm(name: "full", key: "full") { _, _ in RunSetup() },
    SecondTaskArm(name: "full + L2-SP towards the first task's weights", key: "l2sp") { model, _ in
      RunSetup(regularizer: L2SPRegularizer(parameters: sharedParameters(model), alpha: l2spAlpha))
    },
    SecondTaskArm(name: "embeddings + first layer frozen", key: "top_layer") { model, _ in
      freezeLayers(model, count: encoderLayerCount(model) - 1)
      return RunSetup()
    },
  ]
  // end cell: second-task-arms
  var firstResults: [RunResult] = []
  let bar = nb.progress("two tasks in turn", total: seedCount * (1 + arms.count))
  // cell: two-tasks
  for (j, seed) in seeds.enumerated() {
    let firstModel = try pretrained(classes: firstClasses, seed: seed)
    firstResults.append(
      try fineTune(
        firstModel, args: recipe("first-task", seed: seed, learningRate: chosenRate), train: firstTrain,
        validation: firstValidation, tokenizer: tokenizer))
    bar.update(step: j * (1 + arms.count) + 1)
    for a in arms.indices {
      let second = try pretrained(classes: secondClasses, seed: seed)
      copyShared(from: firstModel, to: second)  // embeddings and layers as the first task left them
      var args = recipe("second-task", seed: seed, learningRate: chosenRate)
      let setup = arms[a].prepare(second, &args)
      arms[a].results.append(
        try fineTune(
          second, args: args, train: secondTrain, validation: secondValidation, tokenizer: tokenizer,
          setup: setup))
      let firstAgain = try pretrained(classes: firstClasses, seed: seed)
      copyParameters(from: firstModel, to: firstAgain)
      copyShared(from: second, to: firstAgain)  // back under the first task's head
      arms[a].firstAfter.append(
        try accuracy(of: firstAgain, on: firstValidation, args: args, tokenizer: tokenizer))
      bar.update(step: j * (1 + arms.count) + a + 2)
    }
  }
  // end cell: two-tasks
  bar.finish()
  let firstBefore = firstResults.map(\.accuracy)
  nb.table(
    headers: [
      "second task learned with", "second: train acc.", "second: validation acc.", "first: acc. after",
      "change",
    ],
    rows: [
      [
        "(first task alone, before)", "", "",
        "\(summary(firstBefore)) (train \(summary(firstResults.map(\.trainAccuracy))))", "",
      ]
    ]
      + arms.map { arm in
        [
          arm.name, summary(arm.results.map(\.trainAccuracy)), summary(arm.results.map(\.accuracy)),
          summary(arm.firstAfter), gapSummary(zip(arm.firstAfter, firstBefore).map { $0 - $1 }),
        ]
      },
    title:
      "\(firstClasses.count) intent classes, then the other \(secondClasses.count), then the first again (validation accuracy; change in points per seed, mean ± sd over \(seedCount) seed(s))"
  )
  let full = arms[0]
  let forgotten = pairedComparison(firstBefore, full.firstAfter, seedCount: seedCount)
  let remedies = arms.dropFirst().map { arm in
    "\(arm.name): first task \(pairedComparison(full.firstAfter, arm.firstAfter, seedCount: seedCount).verdict), second task \(pairedComparison(full.results.map(\.accuracy), arm.results.map(\.accuracy), seedCount: seedCount).verdict)"
  }
  let reading =
    seedCount < 2
    ? "one seed, no spread to weigh it against"
    : forgotten.isClear
      ? (forgotten.difference < 0
        ? "forgetting beyond the noise between seeds" : "a gain beyond the noise between seeds")
      : "not distinguishable from the noise between seeds"
  nb.narrate(
    """
    Learning the second task with full fine-tuning moved the first task's accuracy \
    \(forgotten.verdict): \(reading). Each remedy against full fine-tuning, seed by seed (the \
    first number is full fine-tuning's): \(remedies.joined(separator: "; ")). A remedy is worth \
    its cost when it keeps the first task without losing the second; the second task's columns \
    are that cost. Replay of the first task's messages (a batch of them through its own head at \
    every step) is the remedy this run does not try.
    """)
  var record: [String: JSONValue] = [
    "first_classes": .array(firstClasses.map { .string($0) }),
    "second_classes": .array(secondClasses.map { .string($0) }),
    "first_accuracy_before": .array(firstBefore.map { .number($0) }),
    "first_train_accuracy": .array(firstResults.map { .number($0.trainAccuracy) }),
  ]
  for arm in arms {
    record[arm.key] = .object([
      "first_accuracy_after": .array(arm.firstAfter.map { .number($0) }),
      "second_validation_accuracy": .array(arm.results.map { .number($0.accuracy) }),
      "second_train_accuracy": .array(arm.results.map { .number($0.trainAccuracy) }),
    ])
  }
  nb.record("sequential_tasks", .object(record))
}
