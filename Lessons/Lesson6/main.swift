// Lesson 6 — Regularization and fine-tuning strategies.
//
// Run it with `swift run Lesson6` (`-- --quick` for a short run, `-- --help` for flags).
// The code it builds on lives in Sources/Training: LearningRateFinder.swift (exercise 6.1),
// LayerwiseLearningRates.swift (6.2), Regularization.swift (6.3, L2-SP), Replay.swift, Freezing.swift,
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
    LessonFlag.int("examples", default: 96, help: "labelled training examples (intent task)"),
    LessonFlag.int("seeds", default: 2, help: "seeds per arm of the comparisons"),
    LessonFlag.double("epochs", default: 3, help: "epochs of each run"),
    LessonFlag.int("validation", default: 120, help: "validation examples used"),
    LessonFlag.int(
      "augmentation-sizes", default: 2, help: "how many training-set sizes section 6 tries: 12, 24, 48, ..."),
    LessonFlag.string(
      "real", default: "",
      help: "the folder with minilm-l3/ and sst2/ for section 8 (../shared/data/real); minutes"),
  ])
nb.overview(
  objectives: [
    "diagnose a fine-tuning run before tuning it: the loss at initialisation, one batch overfitted, curves",
    "choose the learning rate with a range test (fast.ai's lr_find) instead of by habit",
    "measure what dropout, weight decay, label smoothing and early stopping do",
    "compare freezing, gradual unfreezing, discriminative rates and the slanted triangular schedule (ULMFiT)",
    "measure catastrophic forgetting (general-text loss, a task learned before) and reduce it with L2-SP, replay, a lower rate or freezing",
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
  try pretrainedWithLoadingInfo(seed: seed).model
}
/// The same, with the loading report (what the checkpoint gave and what is new), for L2-SP.
func pretrainedWithLoadingInfo(seed: UInt64) throws -> (
  model: BertForSequenceClassification, loadingInfo: LoadReport
) {
  // Mean pooling (a kit extension): it fits in these runs' few epochs; [CLS] needs about twelve
  // (bert-mini's model card), which Lesson 5 gives it.
  try BertForSequenceClassification.fromPretrained(
    bertDirectory, labelNames: labelNames, classifierPooling: "mean", generator: Generator(seed: seed),
    outputLoadingInfo: true)
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
nb.cell("lr-find")
// cell: lr-find
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
  numIterations: quick ? 30 : 50)  // pretrained(seed:) is bert-mini with a new head, mean pooling
// end cell: lr-find
nb.lineChart(
  [ChartSeries(name: "smoothed loss", values: finder.smoothedLosses)],
  title:
    "range test: loss per step, rate ×\(String(format: "%.2f", finder.learningRates.count > 1 ? finder.learningRates[1] / finder.learningRates[0] : 1)) each step from 1e-5",
  xLabel: "step", height: 10)
nb.figure(
  .lineChart(
    series: [ChartSeries(name: "smoothed loss", values: finder.smoothedLosses)],
    title: "Learning-rate range test (the rate grows exponentially from 1e-5)", xLabel: "step", yLabel: "loss"
  ),
  name: "lr-finder")
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
  (\(String(format: "%.2g", finder.steepest))) the bolder one; with only \(finder.learningRates.count) noisy batches the \
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
nb.figure(
  .lineChart(
    series: [
      ChartSeries(name: "training loss", values: trainCurve),
      ChartSeries(name: "validation loss", values: validationCurve),
    ], title: "Training and validation loss per epoch", xLabel: "epoch", yLabel: "loss"),
  name: "curves")
let bestEpoch = (validationCurve.indices.min { validationCurve[$0] < validationCurve[$1] } ?? 0) + 1
nb.output(
  "validation accuracy per epoch: \(validationAccuracyCurve.map(percent).joined(separator: ", ")); lowest validation loss after epoch \(bestEpoch)"
)
nb.narrate(
  bestEpoch == validationCurve.count
    ? "The validation loss is still falling at the last epoch: this budget is too short to overfit, and more epochs would help (section 3 lets the validation set decide how many)."
    : "The validation loss was lowest after epoch \(bestEpoch) of \(validationCurve.count) and rose after it while the training loss kept falling: the model began to memorise its examples."
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
var gridAccuracies: [Int: [Double]] = [:]
for batchSize in quick ? [16] : [8, 32] {
  for gridEpochs in [epochs] {
    var results: [RunResult] = []
    for seed in seeds {
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
    gridAccuracies[batchSize] = results.map(\.accuracy)
    gridResults["batch\(batchSize)_epochs\(String(format: "%g", gridEpochs))"] = .object([
      "validation_accuracy": .array(results.map { .number($0.accuracy) }),
      "train_accuracy": .array(results.map { .number($0.trainAccuracy) }),
      "steps": .number(Double(results[0].steps)),
    ])
  }
}
nb.table(
  headers: ["batch size", "epochs", "steps", "train acc.", "validation acc.", "time per run"], rows: gridRows,
  title:
    "batch size × epochs at learning rate \(String(format: "%.2g", chosenRate)), mean ± sd over \(seedCount) seed(s)"
)
if let small = gridAccuracies[8], let large = gridAccuracies[32] {
  let difference = meanAndSpread(small).mean - meanAndSpread(large).mean
  let spread = max(meanAndSpread(small).std, meanAndSpread(large).std)
  nb.narrate(
    """
    Batches of 8 against 32, the same examples seen: \(String(format: "%+.1f", 100 * difference)) \
    points of validation accuracy for the smaller batch, with 4 times the steps. \
    \(seedCount < 2
      ? "With one seed there is no spread to weigh it against."
      : abs(difference) > 2 * spread
        ? "That is more than twice the spread between seeds (\(String(format: "%.1f", 100 * spread)) points)."
        : "That is within twice the spread between seeds (\(String(format: "%.1f", 100 * spread)) points): no clear effect of the batch size at this budget.")
    """)
}
nb.record("batch_epoch_grid", .object(gridResults))

// MARK: - 2. Dropout and weight decay (DropoutAndWeightDecay.swift)

try dropoutAndWeightDecaySection()

// MARK: - 3. Early stopping

nb.section("3. Early stopping")
nb.narrate(
  """
  Instead of guessing the number of epochs, evaluate after each one, keep the best \
  checkpoint, and stop when the validation metric has not improved for `patience` \
  evaluations in a row (by more than `threshold`), Hugging Face's rules. Here an evaluation \
  counts as better only if the accuracy rose by more than 1 point \
  (\(String(format: "%g", 0.01 * Double(validation.count))) of the \(validation.count) validation examples), and two in a row without that end the run:
  """)
nb.cell("early-stopping")
let stoppingDirectory = runs.appendingPathComponent("early-stopping")
try? FileManager.default.removeItem(at: stoppingDirectory)
// cell: early-stopping
var stoppingArgs = recipe("early-stopping", seed: options.seed, learningRate: chosenRate, epochs: 4 * epochs)
stoppingArgs.evalStrategy = .epoch
stoppingArgs.saveStrategy = .epoch
stoppingArgs.loadBestModelAtEnd = true
stoppingArgs.metricForBestModel = "accuracy"
stoppingArgs.saveTotalLimit = 1
let stopper = EarlyStoppingCallback(earlyStoppingPatience: 2, earlyStoppingThreshold: 0.01)
let stopped = try fineTune(
  try pretrained(seed: options.seed), args: stoppingArgs, train: train, validation: validation,
  tokenizer: tokenizer, setup: RunSetup(callbacks: [stopper]))
// end cell: early-stopping
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
  \(stopped.steps < plannedSteps
    ? "The run stopped after \(stoppingAccuracies.count) of \(String(format: "%g", 4 * epochs)) planned epochs"
    : "The run did not stop early: it used all \(String(format: "%g", 4 * epochs)) planned epochs") \
  \(Int(bestStep) == stopped.steps
    ? "and its last evaluation was also its best (step \(Int(bestStep))): the last ones improved by less than the threshold, which the patience counts as no improvement, while the best checkpoint follows any improvement."
    : "and ended on its best evaluation (step \(Int(bestStep))), not its last.") Two cautions. The best checkpoint was \
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

// MARK: - 4. Freezing strategies

nb.section("4. Freezing, gradual unfreezing, discriminative rates: ULMFiT's table on our task")
let layers = encoderLayerCount(initial)
let tableEpochs = quick ? Double(layers + 2) : max(epochs, Double(layers + 3))
let discriminativeDecay: Float = 1 / 2.6
nb.narrate(
  """
  Which parts of a pre-trained model should fine-tuning change? ULMFiT (Howard and Ruder \
  2018, table 7) compared the answers on three tasks; here are the same arms on ours. \
  bert-mini has \(layers) encoder layers, so "the top layer" is half of them. Each arm trains \
  \(String(format: "%g", tableEpochs)) epochs (gradual unfreezing needs \(layers + 2) to open \
  every depth, head, \(layers) layers and the embeddings, one per epoch; it gets one more to \
  train them all together), \(seedCount) seed(s) each. \
  To give every arm what it needs to fit, the head-only arm gets 10 times the rate \
  (\(String(format: "%.2g", 10 * chosenRate))): with the encoder frozen, the chosen rate barely \
  moves the head in this budget. Discriminative rates follow ULMFiT: each layer 2.6 times \
  slower than the one above, with the chosen rate at the top layer (so the head gets 2.6 times \
  it and the embeddings 1/2.6²). The freezing calls:
  """)
nb.cell("freezing-arms")

/// The general-corpus rows the masked-LM loss is measured on (held out from pre-training, as
/// Lesson 4 holds them out).
let generalDocuments = try String(
  contentsOf: root.appendingPathComponent("corpus/general.txt"), encoding: .utf8
)
.split(separator: "\n").map(String.init)
let (cls, sep) = (tokenizer.id(of: "[CLS]"), tokenizer.id(of: "[SEP]"))
let generalRows = Array(
  packSequences(
    Array(generalDocuments.suffix(60)), tokenizer: tokenizer, length: 64, separator: sep, cls: cls, sep: sep
  )
  .prefix(quick ? 16 : 32))
let pretrainedMLM = try BertForMaskedLM.fromPretrained(bertDirectory)
let generalBefore = try evaluateMaskedLM(pretrainedMLM, tokenizer: tokenizer, rows: generalRows).loss
/// The general-text masked-LM loss of a fine-tuned classifier's encoder, read with the
/// checkpoint's own MLM head.
func generalLoss(_ model: BertForSequenceClassification) throws -> Double {
  let mlm = try BertForMaskedLM.fromPretrained(bertDirectory)
  copyParameters(from: model, to: mlm, prefix: "bert.")
  return try evaluateMaskedLM(mlm, tokenizer: tokenizer, rows: generalRows).loss
}

/// One arm of the table: how to prepare the model and its run.
struct Arm {
  var name: String
  var key: String
  var prepare: (BertForSequenceClassification, inout TrainingArguments) -> RunSetup
}
// cell: freezing-arms
let allArms: [Arm] = [
  Arm(name: "head only (Last)", key: "head_only") { model, args in
    freezeBase(model, basePrefix: "bert")
    args.learningRate *= 10
    return RunSetup()
  },
  Arm(name: "top layer + head", key: "top_layer") { model, _ in
    freezeLayers(model, count: encoderLayerCount(model) - 1)
    return RunSetup()
  },
  Arm(name: "full", key: "full") { _, _ in RunSetup() },
  Arm(name: "full + discr", key: "full_discr") { model, args in
    RunSetup(
      optimizer: makeLayerwiseAdamW(
        model, learningRate: 2.6 * Float(args.learningRate), decay: discriminativeDecay,
        weightDecay: Float(args.weightDecay)))
  },
  Arm(name: "full + stlr", key: "full_stlr") { _, args in
    args.lrSchedulerType = .slantedTriangular
    args.warmupRatio = 0
    return RunSetup()
  },
  Arm(name: "Freez + discr + stlr (ULMFiT)", key: "ulmfit") { model, args in
    args.lrSchedulerType = .slantedTriangular
    args.warmupRatio = 0
    return RunSetup(
      optimizer: makeLayerwiseAdamW(
        model, learningRate: 2.6 * Float(args.learningRate), decay: discriminativeDecay,
        weightDecay: Float(args.weightDecay), includeFrozen: true),
      callbacks: [GradualUnfreezingCallback(model: model)])
  },
]
// end cell: freezing-arms
// --quick keeps three arms: the two ends and ULMFiT's recipe.
let arms = quick ? allArms.filter { ["head_only", "full", "ulmfit"].contains($0.key) } : allArms
var armResults: [String: [RunResult]] = [:]
var armForgetting: [String: [Double]] = [:]
let armBar = nb.progress("freezing arms", total: arms.count * seedCount)
for (i, arm) in arms.enumerated() {
  for (j, seed) in seeds.enumerated() {
    let model = try pretrained(seed: seed)
    var args = recipe("freezing", seed: seed, learningRate: chosenRate, epochs: tableEpochs)
    let setup = arm.prepare(model, &args)
    let result = try fineTune(
      model, args: args, train: train, validation: validation, tokenizer: tokenizer, setup: setup)
    armResults[arm.key, default: []].append(result)
    armForgetting[arm.key, default: []].append(try generalLoss(model))
    armBar.update(step: i * seedCount + j + 1)
  }
}
armBar.finish()
let allParameters = initial.parameterCount()
nb.table(
  headers: ["arm", "validation error", "train acc.", "trainable params", "time per run"],
  rows: arms.map { arm in
    let results = armResults[arm.key] ?? []
    let errors = results.map { 1 - $0.accuracy }
    return [
      arm.name, summary(errors), summary(results.map(\.trainAccuracy)),
      arm.key == "ulmfit"
        ? "grows to \(results.first?.trainable ?? 0) (100%)"
        : "\(results.first?.trainable ?? 0) (\(String(format: "%.1f", 100 * Double(results.first?.trainable ?? 0) / Double(allParameters)))%)",
      String(format: "%.1f s", meanAndSpread(results.map(\.seconds)).mean),
    ]
  },
  title:
    "\(train.count) intent examples, \(String(format: "%g", tableEpochs)) epochs, error = 1 − accuracy on \(validation.count) validation examples, mean ± sd over \(seedCount) seed(s)"
)
let meanError = { (key: String) -> Double in
  meanAndSpread((armResults[key] ?? []).map { 1 - $0.accuracy }).mean
}
let noise = arms.map { meanAndSpread((armResults[$0.key] ?? []).map { 1 - $0.accuracy }).std }.max() ?? 0
let ranking = arms.sorted { meanError($0.key) < meanError($1.key) }.map(\.name)
nb.narrate(
  """
  From best to worst on this run: \(ranking.joined(separator: "; ")). ULMFiT's ordering was: \
  the full recipe (Freez + discr + stlr) best, full fine-tuning next, and "Last", the head \
  alone, far behind (it "severely underfits"). \
  \(meanError("head_only") > meanError("full")
    ? "The head alone is behind full fine-tuning here as well."
    : "Unlike ULMFiT, the head alone is not behind full fine-tuning here.") \
  \(abs(meanError("ulmfit") - meanError("full")) <= noise
    ? "The combined ULMFiT recipe and full fine-tuning are within the spread between seeds of each other: this run cannot order them."
    : meanError("ulmfit") < meanError("full")
      ? "The combined ULMFiT recipe beats full fine-tuning by more than the spread between seeds, as in the paper."
      : "The combined ULMFiT recipe does not beat full fine-tuning here: this run does not reproduce the paper's ordering. Our hypotheses, untested in this run: a two-layer model gains little from treating layers differently, and gradual unfreezing spends \(layers + 1) of its \(String(format: "%g", tableEpochs)) epochs with part of the model frozen.") \
  The training accuracies say whether an arm lost on validation because it could not fit \
  its examples (an underfitting arm) or despite fitting them. \
  Read the differences against the spread between seeds: with \(seedCount) seed(s) and \
  \(validation.count) validation examples, a gap of a few points is within the noise.
  """)
var freezingRecord: [String: JSONValue] = [:]
for arm in arms {
  let results = armResults[arm.key] ?? []
  freezingRecord[arm.key] = .object([
    "validation_accuracy": .array(results.map { .number($0.accuracy) }),
    "train_accuracy": .array(results.map { .number($0.trainAccuracy) }),
    "trainable_parameters": .number(Double(results.first?.trainable ?? 0)),
    "seconds": .array(results.map { .number($0.seconds) }),
    "general_mlm_loss": .array((armForgetting[arm.key] ?? []).map { .number($0) }),
  ])
}
nb.record("freezing_table", .object(freezingRecord))

// MARK: - 5. Catastrophic forgetting (ForgettingSection.swift)

try forgettingSection()

// MARK: - 6. Augmentation (AugmentationSection.swift)

let augmentationGains = try augmentationSection()

// MARK: - 7. Gradient checkpointing (GradientCheckpointingSection.swift)

try gradientCheckpointingSection()

// MARK: - 8. The real checkpoint, with --real DIR (RealCheckpointSection.swift)

try realCheckpointSection()

nb.questions([
  """
  The loss at initialisation was \(fixed(initialLoss)) against ln(\(labelNames.count)) = \
  \(fixed(log(Double(labelNames.count)))). What would a value of 5 tell you about the new head, \
  and what would a value of 0.3 tell you about the data?
  """,
  """
  The range test suggested \(String(format: "%.2g", finder.valley)) (valley), \
  \(String(format: "%.2g", finder.steepest)) (steepest) and \(String(format: "%.2g", chosenRate)) \
  (a tenth of the minimum). Design the smallest experiment that would tell which of the three \
  trains best on this task, and say how many runs it needs to beat the spread between seeds.
  """,
  """
  In exercise 6.2 the head learns at the full rate and the embeddings at rate·decay^(layers+1). \
  Why might the lower layers of a pre-trained model need smaller steps than the head, and why \
  would the same argument not hold for a model trained from scratch?
  """,
  """
  Section 5 measured forgetting twice: as the general-text MLM loss and as the accuracy on a \
  task learned before. Which of the two would you watch for a model that must keep serving \
  the first task, and how could an arm do well on one and badly on the other?
  """,
  "Section 5 did not replay the first task's messages on the two tasks. What would that need that `MaskedLMReplay` has not?",
  """
  L2-SP penalises the distance from the pre-trained weights; AdamW's weight decay pulls \
  towards 0. For a pre-trained model, which of the two is the better prior, and what does \
  weight decay do to the knowledge of the pre-trained layers over a long run?
  """,
  """
  At \(augmentationGains.examples) labelled examples, EDA against the repeated originals: \
  \(String(format: "%+.1f", 100 * augmentationGains.eda)) points; masked-LM substitution: \
  \(String(format: "%+.1f", 100 * augmentationGains.maskedLM)). Which of the operations could \
  change the label of an intent message ("I want a refund" with a word deleted, swapped or \
  guessed by the MLM), and how would you check how often it happens?
  """,
])
nb.finish()
