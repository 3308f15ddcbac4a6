// Lesson 6 — Regularization and fine-tuning strategies.
//
// Run it with `swift run Lesson6` (`-- --quick` for a short run, `-- --help` for flags).
// The code it builds on lives in Sources/Training: LearningRateFinder.swift (exercise 6.1),
// LayerwiseLearningRates.swift (6.2), Regularization.swift (6.3, L2-SP), Freezing.swift,
// GradualUnfreezing.swift, Schedules.swift (slanted_triangular), TrainerState.swift
// (EarlyStoppingCallback); and Sources/Datasets/Augmentation.swift (6.4, EDA).

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

let nb = Notebook(
  lesson: 6, title: "Regularization and fine-tuning strategies",
  summary: """
    Lesson 5 fine-tuned with one recipe. Here we ask how to choose it and what each choice \
    does, measured: diagnostics before tuning, a learning-rate range test that picks the rate, \
    dropout and weight decay against the train–validation gap, early stopping, ULMFiT's \
    freezing strategies and discriminative learning rates side by side, what fine-tuning makes \
    the model forget of its pre-training and how to keep it, and whether data augmentation \
    helps a pre-trained model with very few labels.
    """,
  flags: [
    LessonFlag.int("examples", default: 120, help: "labelled training examples (intent task)"),
    LessonFlag.int("seeds", default: 2, help: "seeds per arm of the comparisons"),
    LessonFlag.double("epochs", default: 3, help: "epochs of each run"),
    LessonFlag.int("validation", default: 200, help: "validation examples used"),
  ])
nb.overview(
  objectives: [
    "diagnose a fine-tuning run before tuning it: the loss at initialisation, one batch overfitted, curves",
    "choose the learning rate with a range test (fast.ai's lr_find) instead of by habit",
    "measure what dropout, weight decay, label smoothing and early stopping do",
    "compare freezing, gradual unfreezing, discriminative rates and the slanted triangular schedule (ULMFiT)",
    "measure catastrophic forgetting and reduce it with L2-SP, a lower rate or freezing",
    "try EDA data augmentation at a very small training set and report what it does",
  ],
  prerequisites: ["Lesson 5 (TrainingArguments, Trainer, the shipped checkpoints)"],
  time: "about an hour to read and run, plus 1–2 hours for the exercises",
  reading: [
    Reading(
      "Howard and Ruder 2018, Universal language model fine-tuning for text classification (ULMFiT)",
      url: "https://arxiv.org/abs/1801.06146",
      note: "discriminative fine-tuning, slanted triangular rates, gradual unfreezing (table 7)"),
    Reading(
      "Smith 2017, Cyclical learning rates for training neural networks",
      url: "https://arxiv.org/abs/1506.01186",
      note: "the learning-rate range test"),
    Reading(
      "Li, Grandvalet and Davoine 2018, Explicit inductive bias for transfer learning (L2-SP)",
      url: "https://arxiv.org/abs/1802.01483", note: "a penalty towards the pre-trained weights"),
    Reading(
      "Wei and Zou 2019, EDA: Easy data augmentation techniques", url: "https://arxiv.org/abs/1901.11196",
      note: "the four operations, and the caveat about pre-trained models"),
    Reading(
      "Karpathy 2019, A recipe for training neural networks",
      url: "https://karpathy.github.io/2019/04/25/recipe/", note: "the diagnostics of section 1"),
  ])
let options = nb.options
manualSeed(options.seed)
let quick = options.quick
let seedCount = quick ? 1 : max(1, options.int("seeds"))
let seeds = (1...seedCount).map(UInt64.init)
let epochs = quick ? 2 : options.double("epochs")
let root = URL(fileURLWithPath: "datasets")
let bertDirectory = root.appendingPathComponent("models/bert-mini")
let runs = options.outputDirectory

// MARK: - The task

let labelNames = try String(contentsOf: root.appendingPathComponent("intent/labels.txt"), encoding: .utf8)
  .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
func split(_ name: String, limit: Int) throws -> TextClassificationDataset {
  let rows = try readExamples(root.appendingPathComponent("intent/\(name).tsv"), format: .tsv).examples
  return try TextClassificationDataset(rows.prefix(limit).map { ($0.text, $0.label) }, labelNames: labelNames)
}
let train = try split("train", limit: quick ? 60 : options.int("examples"))
let validation = try split("validation", limit: quick ? 100 : options.int("validation"))
let tokenizer = try WordPieceTokenizer(vocabularyFile: bertDirectory.appendingPathComponent("vocab.txt"))
/// The shipped BERT-style checkpoint with a new head for the intent classes, drawn from `seed`.
func pretrained(seed: UInt64) throws -> BertForSequenceClassification {
  try BertForSequenceClassification.fromPretrained(
    bertDirectory, labelNames: labelNames, generator: Generator(seed: seed))
}
/// The recipe every run starts from (Lesson 5's, at this lesson's size).
func recipe(_ name: String, seed: UInt64, learningRate: Double, epochs: Double = epochs) -> TrainingArguments
{
  var args = TrainingArguments(
    outputDir: runs.appendingPathComponent(name).path, numTrainEpochs: epochs, perDeviceTrainBatchSize: 16,
    learningRate: learningRate)
  args.warmupRatio = 0.1
  args.weightDecay = 0.01
  args.saveStrategy = .no
  args.loggingStrategy = .epoch
  args.perDeviceEvalBatchSize = 64
  args.seed = seed
  args.disableTqdm = true
  return args
}
nb.narrate(
  """
  The task throughout: the kit's customer-intent task (Lesson 2), \(labelNames.count) classes \
  (\(labelNames.joined(separator: ", "))), with only \(train.count) labelled messages to learn \
  from and \(validation.count) for validation, and the shipped BERT-style checkpoint bert-mini \
  with a new classification head. Small on purpose: every comparison below is run with \
  \(seedCount) seed(s) per arm and must fit in a minute.
  """)
nb.record("train_examples", train.count)
nb.record("validation_examples", validation.count)

// MARK: - 1. Diagnostics and the learning rate

nb.section("1. Diagnostics first, then the learning rate")
nb.narrate(
  """
  Before tuning anything, three checks that catch most broken set-ups (Karpathy's recipe). \
  First, the loss of the untrained head: with \(labelNames.count) classes and a random head, \
  the model should be unsure of every class, so the cross-entropy should be close to \
  ln(\(labelNames.count)) = \(fixed(log(Double(labelNames.count)))). Much higher means a \
  confidently wrong initialisation; much lower, a leak from labels to inputs.
  """)
let initial = try pretrained(seed: options.seed)
let initialTrainer = try Trainer(
  model: initial, args: recipe("init", seed: options.seed, learningRate: 1e-3), evalDataset: validation,
  tokenizer: tokenizer, maxLength: 32, computeMetrics: classificationMetrics)
let initialMetrics = try initialTrainer.evaluate()
let initialLoss = initialMetrics["eval_loss"] ?? .nan
nb.output(
  "validation loss at initialisation \(fixed(initialLoss)), ln(\(labelNames.count)) = \(fixed(log(Double(labelNames.count)))), accuracy \(percent(initialMetrics["eval_accuracy"] ?? .nan))"
)
nb.record("initial_loss", initialLoss)

nb.narrate(
  """
  Second, overfit one batch: 16 examples, trained on again and again. A model that cannot \
  drive the loss on 16 examples to almost 0 has a bug (labels shuffled against texts, a frozen \
  model, a learning rate of 0) and no tuning will help it.
  """)
let oneBatch = TextClassificationDataset(
  texts: Array(train.texts.prefix(16)), labels: Array(train.labels.prefix(16)), labelNames: labelNames)
var overfitArgs = recipe("overfit", seed: options.seed, learningRate: 1e-3)
overfitArgs.maxSteps = quick ? 15 : 30
overfitArgs.warmupRatio = 0
overfitArgs.lrSchedulerType = .constant
let overfit = try fineTune(
  try pretrained(seed: options.seed), args: overfitArgs, train: oneBatch, validation: validation,
  tokenizer: tokenizer)
nb.output(
  "one batch of 16, \(overfit.steps) steps at 1e-3: training loss \(fixed(overfit.trainLoss)), training accuracy \(percent(overfit.trainAccuracy)) (validation \(percent(overfit.accuracy)))"
)
nb.record("overfit_one_batch_loss", overfit.trainLoss)
nb.record("overfit_one_batch_accuracy", overfit.trainAccuracy)

nb.narrate(
  """
  Third, the learning rate, the setting that matters most. Instead of copying a number, the \
  range test (Smith 2017; fast.ai's `lr_find`): train from the pre-trained weights for a few \
  dozen batches while the rate grows exponentially from 1e-5 to 1, record the loss, and put \
  the weights back. Too small a rate and the loss does not move; too large and it explodes. \
  fast.ai suggests the "valley", a point inside the longest falling stretch of the smoothed \
  curve; the older "steepest" suggestion (exercise 6.1) is where it falls fastest.
  """)
nb.code(
  """
  let model = try BertForSequenceClassification.fromPretrained("datasets/models/bert-mini", labelNames: labelNames)
  let result = try lrFind(model: model, batches: batches, startLR: 1e-5, endLR: 1, numIterations: 60)
  print(result.valley, result.steepest)
  """)
let collator = DataCollatorWithPadding(tokenizer: tokenizer, maxLength: 32)
let finderOrder = Generator(seed: options.seed).shuffled(Array(0..<train.count))
let finderBatches = stride(from: 0, to: train.count, by: 16).map { start in
  let rows = finderOrder[start..<min(start + 16, train.count)]
  let padded = collator(rows.map { collator.encode(train.texts[$0]) })
  return ClassificationBatch(
    inputIds: padded.inputIds, attentionMask: padded.attentionMask, labels: rows.map { train.labels[$0] })
}
let finder = try lrFind(
  model: try pretrained(seed: options.seed), batches: finderBatches, startLR: 1e-5, endLR: 1,
  numIterations: quick ? 30 : 60)
nb.lineChart(
  [ChartSeries(name: "smoothed loss", values: finder.smoothedLosses)],
  title:
    "range test: loss per step, rate ×\(String(format: "%.2f", finder.learningRates.count > 1 ? finder.learningRates[1] / finder.learningRates[0] : 1)) each step from 1e-5",
  xLabel: "step", height: 10)
let chosenRate = finder.minimum / 10
nb.output(
  "\(finder.learningRates.count) steps (stopped at \(String(format: "%.2g", finder.learningRates.last ?? .nan))): valley \(String(format: "%.2g", finder.valley)), steepest \(String(format: "%.2g", finder.steepest)), lowest loss at \(String(format: "%.2g", finder.minimum))"
)
nb.narrate(
  """
  Three readings of one curve. The rate with the lowest smoothed loss, \
  \(String(format: "%.2g", finder.minimum)), is not a candidate: the loss there is about to blow \
  up. fast.ai's book gives the rule of thumb we follow: a tenth of it, \
  \(String(format: "%.2g", chosenRate)), which the rest of the lesson trains at. The valley \
  (\(String(format: "%.2g", finder.valley))) is the more cautious choice and the steepest point \
  (\(String(format: "%.2g", finder.steepest))) the bolder one; with only 60 noisy batches the \
  curve is flat for most of the sweep, so the three differ by an order of magnitude, and this \
  run does not test which of them trains best.
  """)
nb.record("chosen_learning_rate", chosenRate)
nb.record("lr_finder_valley", finder.valley)
nb.record("lr_finder_steepest", finder.steepest)
nb.record("lr_finder_minimum", finder.minimum)
nb.record("lr_finder_losses", finder.smoothedLosses)
nb.record("lr_finder_rates", finder.learningRates)

nb.narrate(
  """
  With the rate chosen, one run with both curves: the training loss and the validation loss \
  after every epoch, for twice the recipe's \(String(format: "%g", epochs)) epochs. Where the \
  validation loss turns up while the training loss keeps falling, the model has started to \
  memorise its \(train.count) examples.
  """)
var curveArgs = recipe("curves", seed: options.seed, learningRate: chosenRate, epochs: 2 * epochs)
curveArgs.evalStrategy = .epoch
let curveRun = try fineTune(
  try pretrained(seed: options.seed), args: curveArgs, train: train, validation: validation,
  tokenizer: tokenizer)
let trainCurve = curveRun.history.compactMap { $0["loss"] }
let validationCurve = curveRun.history.compactMap { $0["eval_loss"] }
let validationAccuracyCurve = curveRun.history.compactMap { $0["eval_accuracy"] }
nb.lineChart(
  [
    ChartSeries(name: "training loss", values: trainCurve),
    ChartSeries(name: "validation loss", values: validationCurve),
  ], title: "loss per epoch", xLabel: "epoch", height: 10)
let bestEpoch = (validationCurve.indices.min { validationCurve[$0] < validationCurve[$1] } ?? 0) + 1
nb.output(
  "validation accuracy per epoch: \(validationAccuracyCurve.map(percent).joined(separator: ", ")); lowest validation loss after epoch \(bestEpoch)"
)
nb.record("curve_training_loss", trainCurve)
nb.record("curve_validation_loss", validationCurve)
nb.record("curve_validation_accuracy", validationAccuracyCurve)

nb.narrate(
  """
  The curves answer "how many epochs" for this run. Batch size is the other half of the \
  budget: at a fixed number of epochs (the same examples seen), a smaller batch takes more and \
  noisier steps. Batches of 8 and 32 against the recipe's 16 (the curve run at epoch \
  \(String(format: "%g", epochs)), with a different schedule length, is the closest thing to the middle \
  row), at the chosen rate:
  """)
var gridRows: [[String]] = []
var gridResults: [String: JSONValue] = [:]
for batchSize in quick ? [16] : [8, 32] {
  for gridEpochs in [epochs] {
    var results: [RunResult] = []
    for seed in seeds.prefix(1) {
      var args = recipe("grid", seed: seed, learningRate: chosenRate, epochs: gridEpochs)
      args.perDeviceTrainBatchSize = batchSize
      results.append(
        try fineTune(
          try pretrained(seed: seed), args: args, train: train, validation: validation, tokenizer: tokenizer))
    }
    gridRows.append([
      "\(batchSize)", String(format: "%g", gridEpochs), "\(results[0].steps)",
      summary(results.map(\.trainAccuracy)), summary(results.map(\.accuracy)),
      String(format: "%.1f s", meanAndSpread(results.map(\.seconds)).mean),
    ])
    gridResults["batch\(batchSize)_epochs\(String(format: "%g", gridEpochs))"] = .array(
      results.map { .number($0.accuracy) })
  }
}
nb.table(
  headers: ["batch size", "epochs", "steps", "train acc.", "validation acc.", "time"], rows: gridRows,
  title: "batch size × epochs at learning rate \(String(format: "%.2g", chosenRate)), seed \(seeds[0])")
nb.record("batch_epoch_grid", .object(gridResults))

// MARK: - 2. Dropout and weight decay

nb.section("2. Dropout and weight decay, measured")
nb.narrate(
  """
  Both are regularisers: dropout zeroes a random share of the activations at every training \
  step (so no unit can rely on another), weight decay pulls every weight towards 0 a little at \
  every step. Both should narrow the gap between training and validation accuracy, and \
  neither is free: too much and the model no longer fits its training set. The checkpoint was \
  pre-trained with dropout 0.1; a classifier's dropout is fixed when it is built, so each arm \
  copies the pre-trained weights into a model built with its own rate:
  """)
nb.code(
  """
  var config = model.bert.config
  config.hiddenDropoutProb = p
  config.attentionProbsDropoutProb = p
  let copy = BertForSequenceClassification(config)      // then the weights, copied by name
  args.weightDecay = decay                              // AdamW's, not on biases and LayerNorm
  """)
let regularisationArms: [(dropout: Float, weightDecay: Double)] =
  quick ? [(0, 0.01), (0.3, 0.01)] : [(0, 0.01), (0.1, 0.01), (0.3, 0.01), (0.1, 0), (0.1, 0.1)]
var regularisationRows: [[String]] = []
var regularisationResults: [JSONValue] = []
for arm in regularisationArms {
  var results: [RunResult] = []
  for seed in seeds.prefix(1) {
    var args = recipe("regularisation", seed: seed, learningRate: chosenRate)
    args.weightDecay = arm.weightDecay
    results.append(
      try fineTune(
        withDropout(try pretrained(seed: seed), arm.dropout, seed: seed), args: args, train: train,
        validation: validation, tokenizer: tokenizer))
  }
  let gap = meanAndSpread(zip(results, results).map { $0.trainAccuracy - $1.accuracy }).mean
  regularisationRows.append([
    String(format: "%g", arm.dropout), String(format: "%g", arm.weightDecay),
    summary(results.map(\.trainAccuracy)),
    summary(results.map(\.accuracy)), String(format: "%+.1f", 100 * gap),
    fixed(meanAndSpread(results.map(\.validationLoss)).mean),
  ])
  regularisationResults.append(
    .object([
      "dropout": .number(Double(arm.dropout)), "weight_decay": .number(arm.weightDecay),
      "train_accuracy": .array(results.map { .number($0.trainAccuracy) }),
      "validation_accuracy": .array(results.map { .number($0.accuracy) }),
    ]))
}
nb.table(
  headers: ["dropout", "weight decay", "train acc.", "validation acc.", "gap (points)", "validation loss"],
  rows: regularisationRows, title: "\(train.count) examples, \(String(format: "%g", epochs)) epochs, seed 1")
nb.record("regularisation", .array(regularisationResults))

var smoothingArgs = recipe("smoothing", seed: 1, learningRate: chosenRate)
smoothingArgs.labelSmoothingFactor = 0.1
let smoothed = try fineTune(
  try pretrained(seed: 1), args: smoothingArgs, train: train, validation: validation, tokenizer: tokenizer)
let unsmoothedRow = regularisationRows.first { $0[0] == "0.1" && $0[1] == "0.01" } ?? regularisationRows[0]
nb.narrate(
  """
  Label smoothing, once: the same run as the dropout 0.1 / decay 0.01 row with \
  `labelSmoothingFactor = 0.1` (the target puts 0.9 + 0.1/\(labelNames.count) on the right class \
  and 0.1/\(labelNames.count) on each other, so the model is never pushed to certainty). \
  Validation accuracy \(percent(smoothed.accuracy)) against \(unsmoothedRow[3]), validation \
  cross-entropy \(fixed(smoothed.validationLoss)) against \(unsmoothedRow[5]), training accuracy \
  \(percent(smoothed.trainAccuracy)). One seed and one setting: a change smaller than the spread \
  between seeds in section 4 is not evidence either way, here or in the table above.
  """)
nb.record("label_smoothing_validation_accuracy", smoothed.accuracy)
nb.record("label_smoothing_validation_loss", smoothed.validationLoss)

// MARK: - 3. Early stopping

nb.section("3. Early stopping")
nb.narrate(
  """
  Instead of guessing the number of epochs, evaluate after each one, keep the best \
  checkpoint, and stop when the validation metric has not improved for `patience` \
  evaluations in a row (by more than `threshold`), Hugging Face's rules:
  """)
nb.code(
  """
  args.evalStrategy = .epoch
  args.saveStrategy = .epoch
  args.loadBestModelAtEnd = true
  args.metricForBestModel = "accuracy"
  args.numTrainEpochs = \(String(format: "%g", 4 * epochs))
  let stopper = EarlyStoppingCallback(earlyStoppingPatience: 2, earlyStoppingThreshold: 0.005)
  let trainer = try Trainer(model: model, args: args, ..., callbacks: [stopper])
  """)
let stoppingDirectory = runs.appendingPathComponent("early-stopping")
try? FileManager.default.removeItem(at: stoppingDirectory)
var stoppingArgs = recipe("early-stopping", seed: options.seed, learningRate: chosenRate, epochs: 4 * epochs)
stoppingArgs.evalStrategy = .epoch
stoppingArgs.saveStrategy = .epoch
stoppingArgs.loadBestModelAtEnd = true
stoppingArgs.metricForBestModel = "accuracy"
stoppingArgs.saveTotalLimit = 1
let stopper = EarlyStoppingCallback(earlyStoppingPatience: 2, earlyStoppingThreshold: 0.005)
let stopped = try fineTune(
  try pretrained(seed: options.seed), args: stoppingArgs, train: train, validation: validation,
  tokenizer: tokenizer, setup: RunSetup(callbacks: [stopper]))
let stoppingAccuracies = stopped.history.compactMap { $0["eval_accuracy"] }
let plannedSteps = Int((4 * epochs * Double((train.count + 15) / 16)).rounded(.up))
let bestStep =
  stopped.history.filter { $0["eval_accuracy"] != nil }.max {
    ($0["eval_accuracy"] ?? 0) < ($1["eval_accuracy"] ?? 0)
  }?["step"] ?? .nan
nb.output(
  """
  validation accuracy per epoch: \(stoppingAccuracies.map(percent).joined(separator: ", "))
  stopped at step \(stopped.steps) of \(plannedSteps) planned; the best checkpoint (step \(Int(bestStep))) was loaded: \
  validation accuracy \(percent(stopped.accuracy)), training accuracy \(percent(stopped.trainAccuracy))
  """)
nb.narrate(
  """
  The run stopped after \(stoppingAccuracies.count) of \(String(format: "%g", 4 * epochs)) planned \
  epochs and ended on its best evaluation, not its last. Two cautions. The best checkpoint was \
  chosen on the validation set, so its validation accuracy is optimistic: only a test set \
  used once says how good it is (Lesson 7). And with \(validation.count) validation examples one \
  more right answer is \(String(format: "%.1f", 100 / Double(validation.count))) points, so \
  patience and threshold decide as much as the model does.
  """)
nb.record("early_stopping_step", stopped.steps)
nb.record("early_stopping_planned_steps", plannedSteps)
nb.record("early_stopping_best_step", bestStep)
nb.record("early_stopping_validation_accuracy", stopped.accuracy)
nb.record("early_stopping_accuracy_per_epoch", stoppingAccuracies)
