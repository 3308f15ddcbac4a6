// Lesson 5 — Transfer: fine-tuning a pre-trained model.
//
// Run it with `swift run Lesson5` (`-- --quick` for a short run, `-- --help` for flags).
// The code it builds on lives in Sources/Training: Schedules.swift (exercise 5.1),
// Optimization.swift (5.2 weight-decay groups, 5.4 gradient clipping), Classification.swift
// (5.3 the loss), TrainingStep.swift (5.5 one training step by hand), TrainingArguments.swift,
// Trainer.swift, Checkpoints.swift.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

let nb = Notebook(
  lesson: 5, title: "Transfer: fine-tuning a pre-trained model",
  summary: """
    Lesson 4 pre-trained a small BERT on unlabelled text. Here we put a new classification \
    head on it and fine-tune the whole model on a small labelled set with TrainingArguments \
    and Trainer, the way Hugging Face does. Then the experiment that justifies the course: the \
    same architecture trained from random weights, on the same data with the same budget, \
    several seeds. What pre-training learned from unlabelled text shows up as accuracy on \
    reviews whose sentiment words the labelled set never contains.
    """,
  flags: [
    LessonFlag.int("seeds", default: 3, help: "seeds per arm of the pre-trained vs scratch comparison"),
    LessonFlag.int("examples", default: 600, help: "labelled training reviews in the comparison"),
    LessonFlag.double("epochs", default: 2, help: "epochs of each GPT-style run in the comparison"),
    LessonFlag.double("bert-epochs", default: 12, help: "epochs of the BERT-style runs"),
    LessonFlag.double("lr", default: 1e-3, help: "peak learning rate of the GPT-style runs (AdamW)"),
    LessonFlag.double("bert-lr", default: 1e-3, help: "peak learning rate of the BERT-style runs"),
    LessonFlag.int(
      "bert-extras", default: 0, help: "1: also BERT from scratch and with the mean-pooling head (+80 s)"),
  ])
nb.overview(
  objectives: [
    "put a new classification head on a pre-trained checkpoint and fine-tune it with TrainingArguments and Trainer",
    "choose a recipe: learning rate, warm-up and decay, AdamW with weight decay, gradient clipping, epochs",
    "compare a pre-trained model with the same architecture from scratch over several seeds, with spread",
    "read the same run as the Hugging Face example it mirrors",
  ],
  prerequisites: ["Lessons 1–4 (in particular Lesson 4's checkpoints)"],
  time: "about an hour to read and run, plus 1–2 hours for the exercises",
  reading: [
    Reading(
      "Hugging Face LLM course, chapter 3: Fine-tuning a pretrained model",
      url: "https://huggingface.co/learn/llm-course/chapter3/1",
      note: "the Trainer API (3.3) and a training loop by hand (3.4)"),
    Reading(
      "Howard and Ruder 2018, Universal language model fine-tuning for text classification (ULMFiT)",
      url: "https://arxiv.org/abs/1801.06146", note: "pre-training vs from scratch with few labels (figure 3)"
    ),
    Reading(
      "Loshchilov and Hutter 2019, Decoupled weight decay regularization (AdamW)",
      url: "https://arxiv.org/abs/1711.05101", note: "why weight decay is not L2 regularisation in Adam"),
    Reading(
      "Mosbach et al. 2021, On the stability of fine-tuning BERT", url: "https://arxiv.org/abs/2006.04884",
      note: "why to report several seeds, and what warm-up and bias correction fix"),
    Reading(
      "Hugging Face, Trainer and TrainingArguments",
      url: "https://huggingface.co/docs/transformers/main_classes/trainer",
      note: "the reference for every argument the lesson sets"),
  ])
let options = nb.options
manualSeed(options.seed)
let quick = options.quick
let seedCount = quick ? 1 : options.int("seeds")
let epochs = quick ? 1 : options.double("epochs")
let bertEpochs = quick ? 2 : options.double("bert-epochs")
let learningRate = options.double("lr")
let bertLearningRate = options.double("bert-lr")
let root = URL(fileURLWithPath: "datasets")
let bertDirectory = root.appendingPathComponent("models/bert-mini")
let gptDirectory = root.appendingPathComponent("models/gpt-mini")

// MARK: - 1. The task and the checkpoint

nb.section("1. A small labelled set, a pre-trained checkpoint")
let labelNames = ["negative", "positive"]
func split(_ name: String) throws -> TextClassificationDataset {
  let rows = try readExamples(root.appendingPathComponent("sentiment/\(name).tsv"), format: .tsv).examples
  return try TextClassificationDataset(rows.map { ($0.text, $0.label) }, labelNames: labelNames)
}
let fullTrain = try split("train")
let validation = try split("validation")
let test = try split("test")
let examples = min(quick ? 400 : options.int("examples"), fullTrain.count)
let train = TextClassificationDataset(
  texts: Array(fullTrain.texts.prefix(examples)), labels: Array(fullTrain.labels.prefix(examples)),
  labelNames: labelNames)

// Which sentiment words the labelled reviews contain: the generator gives training reviews only a
// quarter of the lexicon (Lesson 2's datasheet), so most validation reviews use words never
// labelled. Only pre-training on the unlabelled corpus has seen them.
let lexicon = Set(positiveWords + negativeWords)
func sentimentWords(_ text: String) -> Set<String> {
  Set(BasicTokenizer().tokenize(text).filter(lexicon.contains))
}
let labelledWords = train.texts.reduce(into: Set<String>()) { $0.formUnion(sentimentWords($1)) }
let unseen = validation.texts.filter { !sentimentWords($0).isSubset(of: labelledWords) }.count
nb.narrate(
  """
  The kit's review-sentiment task (Lesson 2): \(train.count) labelled reviews to learn from (of \
  \(fullTrain.count) in train.tsv), \(validation.count) for validation, \(test.count) for the \
  final test. The \(train.count) reviews contain \(labelledWords.count) of the \(lexicon.count) \
  sentiment words; \(unseen) of the \(validation.count) validation reviews use a sentiment \
  word that no labelled review contains. A model that learns only from the labels must guess \
  there.
  """)
nb.record("train_examples", train.count)
nb.record("validation_reviews_with_unseen_sentiment_words", unseen)

let tokenizer = try WordPieceTokenizer(vocabularyFile: bertDirectory.appendingPathComponent("vocab.txt"))
nb.cell("load")
// cell: load
let (preview, report) = try BertForSequenceClassification.fromPretrained(
  bertDirectory, labelNames: labelNames, outputLoadingInfo: true)
nb.output(report.description)
// end cell: load
nb.narrate(
  """
  The encoder's \(report.loaded) tensors come from pre-training, the pooler among them; the \
  classifier is new (\(report.newlyInitialized.joined(separator: ", "))), and the pre-training \
  heads are left unused, exactly the notice transformers prints. The new head starts random, so \
  the first steps of fine-tuning mostly train it. It reads BERT's [CLS] state through the pooler \
  (`classifierPooling: "\(preview.bert.config.classifierPooling)"`, the only head transformers \
  has, so a checkpoint saved from it computes the same probabilities there). Masked-language \
  modelling alone never trains [CLS]; bert-mini's pre-training added an objective that does \
  (Lesson 4, section 7). `--bert-extras 1` measures the other head, the mean of the token states.
  """)

// MARK: - 2. The recipe

nb.section("2. The recipe: TrainingArguments")
/// The recipe of every run below, as Hugging Face's TrainingArguments.
@MainActor func recipe(epochs: Double, learningRate: Double, seed: UInt64) -> TrainingArguments {
  var args = TrainingArguments(
    outputDir: "runs/Lesson5/comparison", numTrainEpochs: epochs, perDeviceTrainBatchSize: 32,
    learningRate: learningRate)
  args.warmupRatio = 0.1
  args.weightDecay = 0.01
  args.saveStrategy = .no
  args.loggingStrategy = .epoch
  args.seed = seed
  args.disableTqdm = true
  return args
}
let bertRecipe = recipe(epochs: bertEpochs, learningRate: bertLearningRate, seed: options.seed)
let stepsPerRun = Int((bertEpochs * Double((fullTrain.count + 31) / 32)).rounded(.up))
let warmup = bertRecipe.warmupSteps(totalSteps: stepsPerRun)
nb.narrate(
  """
  Every run below uses the same kind of recipe: AdamW (weight decay \(bertRecipe.weightDecay) \
  on weights, none on biases and LayerNorm), batches of \(bertRecipe.perDeviceTrainBatchSize), \
  a peak learning rate reached after 10% warm-up steps and decayed linearly to 0, gradients \
  clipped to norm \(bertRecipe.maxGradNorm). For BERT: \(String(format: "%g", bertEpochs)) epochs \
  = \(stepsPerRun) steps at peak \(String(format: "%g", bertLearningRate)). These rates are far \
  above Hugging Face's 5e-5 default, which was chosen for BERT-base's 110M parameters. This \
  lesson does not measure that choice; our hypothesis is that a model of \
  \(String(format: "%.1f", Double(preview.parameterCount()) / 1e6))M parameters with a fresh \
  head needs larger steps to move within a few hundred (Lesson 6 selects learning rates by \
  measurement).
  """)
let schedulePoints = (0..<stepsPerRun).map { step in
  [
    LearningRateSchedule.linear.factor(step: step, totalSteps: stepsPerRun, warmupSteps: warmup),
    LearningRateSchedule.cosine.factor(step: step, totalSteps: stepsPerRun, warmupSteps: warmup),
  ]
}
nb.lineChart(
  [
    ChartSeries(name: "linear (exercise 5.1)", values: schedulePoints.map { $0[0] }),
    ChartSeries(name: "cosine", values: schedulePoints.map { $0[1] }),
  ], title: "learning-rate factor per step", xLabel: "step")
let decayedNames = Set(decayParameterNames(preview))
let decayed = preview.namedParameters().filter { decayedNames.contains($0.name) }
nb.narrate(
  """
  Weight decay (exercise 5.2) applies to \(decayed.count) of the model's \
  \(preview.namedParameters().count) tensors (\(decayed.map(\.tensor.count).reduce(0, +)) of \
  \(preview.parameterCount()) numbers): the weight matrices and embedding tables.
  """)

// MARK: - 3. The demonstration

/// One fine-tuning run: validation figures, accuracy on its own training set, and the loss of
/// every step.
struct Run {
  var accuracy: Double
  var f1: Double
  var trainAccuracy: Double
  var losses: [Double]
  var seconds: Double
}

@MainActor func fineTune(
  _ model: any SequenceClassifier, collator: DataCollatorWithPadding, args: TrainingArguments,
  on dataset: TextClassificationDataset = train
) throws -> Run {
  let trainer = try Trainer(
    model: model, args: args, trainDataset: dataset, evalDataset: validation, dataCollator: collator,
    computeMetrics: classificationMetrics)
  let output = try trainer.train()
  let metrics = try trainer.evaluate()
  // Whether the run fitted the data it trained on: a model that cannot, learned little.
  let fitted = try trainer.evaluate(dataset, metricKeyPrefix: "train")
  return Run(
    accuracy: metrics["eval_accuracy"]!, f1: metrics["eval_f1"]!,
    trainAccuracy: fitted["train_accuracy"]!, losses: trainer.stepLosses,
    seconds: output.metrics["train_runtime"]!)
}

func meanAndSpread(_ values: [Double]) -> (mean: Double, std: Double) {
  let mean = values.reduce(0, +) / Double(values.count)
  let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, values.count - 1))
  return (mean, variance.squareRoot())
}
func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }

nb.section("3. Pre-trained vs. from scratch")
var gptConfig = try JSONDecoder().decode(
  GPT2Config.self, from: Data(contentsOf: gptDirectory.appendingPathComponent("config.json")))
gptConfig.setLabels(labelNames)
gptConfig.padTokenId = gptConfig.eosTokenId
// GPT-2 has no padding token: batches are padded with end-of-text, which the head skips.
let gptCollator = DataCollatorWithPadding(
  tokenizer: try ByteLevelBPETokenizer(
    vocabularyFile: gptDirectory.appendingPathComponent("vocab.json"),
    mergesFile: gptDirectory.appendingPathComponent("merges.txt")),
  padID: gptConfig.eosTokenId, maxLength: 64)
let gptSteps = Int((epochs * Double((train.count + 31) / 32)).rounded(.up))
nb.narrate(
  """
  The experiment, with the GPT-style checkpoint (gpt-mini, \(gptConfig.nLayer) layers, hidden \
  \(gptConfig.nEmbd)) and its classification head, GPT2ForSequenceClassification, which reads \
  the state of each review's last token: the same architecture, the same \(train.count) \
  labelled reviews, the same recipe (\(String(format: "%g", epochs)) epochs = \(gptSteps) steps, \
  peak learning rate \(String(format: "%g", learningRate))). One arm starts from the \
  pre-trained checkpoint, the other from random weights drawn as transformers initialises a \
  new model. \(seedCount) seed(s) each: the seed draws the new head (and, from scratch, every \
  weight), the dropout masks and the data order, so the spread shows how much is luck. (GPT \
  first because its runs are the cheaper ones here; BERT follows in section 4.)
  """)
var pretrainedRuns: [Run] = []
var scratchRuns: [Run] = []
let bar = nb.progress("fine-tuning runs", total: 2 * seedCount)
for seed in 1...UInt64(seedCount) {
  let args = recipe(epochs: epochs, learningRate: learningRate, seed: seed)
  let pretrained = try GPT2ForSequenceClassification.fromPretrained(
    gptDirectory, labelNames: labelNames, padTokenId: gptConfig.padTokenId, generator: Generator(seed: seed))
  pretrainedRuns.append(try fineTune(pretrained, collator: gptCollator, args: args))
  bar.update(step: 2 * Int(seed) - 1)
  let scratch = GPT2ForSequenceClassification(gptConfig, generator: Generator(seed: seed))
  scratchRuns.append(try fineTune(scratch, collator: gptCollator, args: args))
  bar.update(step: 2 * Int(seed))
}
bar.finish()

let pre = meanAndSpread(pretrainedRuns.map(\.accuracy))
let scr = meanAndSpread(scratchRuns.map(\.accuracy))
let preFit = meanAndSpread(pretrainedRuns.map(\.trainAccuracy))
let scrFit = meanAndSpread(scratchRuns.map(\.trainAccuracy))
nb.table(
  headers: [
    "seed", "pre-trained: train acc.", "validation acc.", "macro-F1", "from scratch: train acc.",
    "validation acc.", "macro-F1",
  ],
  rows: zip(pretrainedRuns, scratchRuns).enumerated().map { i, pair in
    [
      "\(i + 1)", percent(pair.0.trainAccuracy), percent(pair.0.accuracy), percent(pair.0.f1),
      percent(pair.1.trainAccuracy), percent(pair.1.accuracy), percent(pair.1.f1),
    ]
  } + [
    [
      "mean ± sd", percent(preFit.mean), "\(percent(pre.mean)) ± \(percent(pre.std))", "",
      percent(scrFit.mean),
      "\(percent(scr.mean)) ± \(percent(scr.std))", "",
    ]
  ],
  title:
    "GPT-style model: accuracy on its \(train.count) training reviews and on \(validation.count) validation reviews"
)

// Loss curves: the mean over seeds at each step, smoothed over a few steps so the trend shows.
func meanCurve(_ runs: [Run], window: Int = 5) -> [Double] {
  let steps = runs.map(\.losses.count).min() ?? 0
  let mean = (0..<steps).map { step in runs.map { $0.losses[step] }.reduce(0, +) / Double(runs.count) }
  return mean.indices.map { i in
    let lo = max(0, i - window + 1)
    return mean[lo...i].reduce(0, +) / Double(i - lo + 1)
  }
}
let curves = [
  ChartSeries(name: "pre-trained", values: meanCurve(pretrainedRuns)),
  ChartSeries(name: "from scratch", values: meanCurve(scratchRuns)),
]
nb.lineChart(curves, title: "training loss (mean over seeds)", xLabel: "step")
nb.figure(
  .lineChart(
    series: curves, title: "Training loss: pre-trained vs from scratch", xLabel: "step", yLabel: "loss"),
  name: "loss-curves")
let gap = pre.mean - scr.mean
nb.narrate(
  """
  Pre-trained: \(percent(pre.mean)) ± \(percent(pre.std)); from scratch: \(percent(scr.mean)) ± \
  \(percent(scr.std)) (\(gap > 0 ? "+" : "")\(String(format: "%.1f", 100 * gap)) points). \
  \(seedCount < 2
    ? "With one seed there is no spread to weigh the gap against; the full run uses \(options.int("seeds"))."
    : gap > 2 * max(pre.std, scr.std, 0.005)
      ? "The gap is more than twice the spread between seeds: it comes from the starting point, not luck."
      : "The gap is within twice the spread between seeds: this run does not show a clear difference.") \
  The gap is built into the data by design: the generator gives the labelled reviews only part \
  of the sentiment lexicon (datasets/README.md), so \(unseen) of the \(validation.count) \
  validation reviews use a sentiment word no labelled review contains, while the unlabelled \
  corpus uses them all, in reviews of kettles and tents that end in "five stars" or "I asked \
  for a refund". \(scrFit.mean < 0.65
    ? "But the model from scratch did not fit even its own training reviews (\(percent(scrFit.mean)) on average, near the 50% of guessing): in this budget it learned little from the labels at all, so its validation score says nothing yet about the unseen words. Giving it more steps, or a learning rate of its own, is what a fair comparison would try next."
    : "The model from scratch fits its training reviews (\(percent(scrFit.mean)) on average) yet stays at \(percent(scr.mean)) on validation: what it learned from the labels does not carry to the words it never saw labelled.") \
  The pre-trained model reaches \(percent(preFit.mean)) on its training reviews.
  """)
nb.record("gpt_pretrained_train_accuracy", pretrainedRuns.map(\.trainAccuracy))
nb.record("gpt_scratch_train_accuracy", scratchRuns.map(\.trainAccuracy))
nb.record("gpt_pretrained_accuracy", pretrainedRuns.map(\.accuracy))
nb.record("gpt_scratch_accuracy", scratchRuns.map(\.accuracy))
nb.record("gpt_pretrained_f1", pretrainedRuns.map(\.f1))
nb.record("gpt_scratch_f1", scratchRuns.map(\.f1))
nb.record("gpt_pretrained_mean_accuracy", pre.mean)
nb.record("gpt_scratch_mean_accuracy", scr.mean)

// MARK: - 4. The Hugging Face way, with BERT

nb.section("4. The BERT-style model, as in the Hugging Face example")
nb.narrate(
  """
  Now the shipped BERT-style model in the form of Hugging Face's text-classification example, \
  on all \(fullTrain.count) labelled reviews: evaluation and a checkpoint each epoch, the best \
  checkpoint loaded at the end, then the test set, used once.
  """)
let outputDirectory = nb.options.outputDirectory.appendingPathComponent("bert-sentiment")
try? FileManager.default.removeItem(at: outputDirectory)
nb.cell("hugging-face-example")
// cell: hugging-face-example
let model = try BertForSequenceClassification.fromPretrained(
  bertDirectory, labelNames: labelNames, generator: Generator(seed: options.seed))
var args = TrainingArguments(
  outputDir: outputDirectory.path, numTrainEpochs: bertEpochs, perDeviceTrainBatchSize: 32,
  learningRate: bertLearningRate)
args.warmupRatio = 0.1
args.weightDecay = 0.01
args.loggingStrategy = .epoch
args.seed = options.seed
args.disableTqdm = true
args.evalStrategy = .epoch
args.saveStrategy = .epoch
args.loadBestModelAtEnd = true
args.metricForBestModel = "accuracy"
args.saveTotalLimit = 2
let trainer = try Trainer(
  model: model, args: args, trainDataset: fullTrain, evalDataset: validation, tokenizer: tokenizer,
  maxLength: 64, computeMetrics: classificationMetrics)
let output = try trainer.train()
let result = try trainer.predict(test)
// end cell: hugging-face-example
nb.table(
  headers: ["epoch", "training loss", "validation loss", "validation accuracy"],
  rows: trainer.state.logHistory.filter { $0["eval_loss"] != nil }.map { entry in
    let epoch = entry["epoch"] ?? 0
    let loss = trainer.state.logHistory.first { $0["loss"] != nil && $0["epoch"] == epoch }?["loss"]
    return [
      String(format: "%.0f", epoch), loss.map { String(format: "%.4f", $0) } ?? "",
      String(format: "%.4f", entry["eval_loss"]!), percent(entry["eval_accuracy"]!),
    ]
  }, title: "trainer.state.logHistory (also in each checkpoint's trainer_state.json)")
let bestName = trainer.state.bestModelCheckpoint.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "none"
let bestAccuracy = trainer.state.bestMetric ?? .nan
nb.output(
  """
  \(output.globalStep) steps in \(String(format: "%.1f", output.metrics["train_runtime"]!)) s \
  (\(String(format: "%.0f", output.metrics["train_tokens_per_second"]!)) tokens/s); best checkpoint: \(bestName)
  test accuracy \(percent(result.metrics["test_accuracy"]!)), macro-F1 \(percent(result.metrics["test_f1"]!)) \
  (\(test.count) reviews)
  """)
nb.narrate(
  """
  Best validation accuracy of the pre-trained BERT: \(percent(bestAccuracy)) after \
  \(output.globalStep) steps on \(fullTrain.count) reviews, against \(percent(pre.mean)) for the \
  GPT-style model after \(gptSteps) steps on \(train.count). The two runs differ in the model, \
  its head, the data and the number of steps, so this comparison does not say which of them \
  matters; that would take one change at a time. \
  (`--bert-extras 1` adds BERT from scratch and the head that reads the mean of the token states.) The checkpoints in \
  \(outputDirectory.relativePath)/ are complete model directories (config.json with id2label, \
  model.safetensors, vocab.txt, trainer_state.json, the optimizer state): `swift run course \
  predict --model \(outputDirectory.relativePath)/\(bestName) --input FILE` classifies new \
  reviews, and `trainer.train(resumeFrom:)` continues a run from one of them.
  """)
nb.record("bert_pretrained_best_validation_accuracy", bestAccuracy)
nb.record("bert_pretrained_test_accuracy", result.metrics["test_accuracy"]!)
nb.record("bert_pretrained_test_f1", result.metrics["test_f1"]!)
nb.record("bert_best_checkpoint", bestName)

if options.int("bert-extras") == 1 {
  nb.section("5. BERT from scratch, and a head on the mean of the token states")
  let collator = DataCollatorWithPadding(tokenizer: tokenizer, maxLength: 64)
  let scratch = try fineTune(
    BertForSequenceClassification(model.bert.config, generator: Generator(seed: options.seed)),
    collator: collator, args: bertRecipe, on: fullTrain)
  let meanModel = try BertForSequenceClassification.fromPretrained(
    bertDirectory, labelNames: labelNames, classifierPooling: "mean", generator: Generator(seed: options.seed)
  )
  let meanRun = try fineTune(meanModel, collator: collator, args: bertRecipe, on: fullTrain)
  nb.narrate(
    """
    With the same arguments, seed \(options.seed): BERT from random weights reaches \
    \(percent(scratch.accuracy)) on validation (training accuracy \(percent(scratch.trainAccuracy))). \
    The pre-trained checkpoint with `classifierPooling: "mean"`, a kit extension that reads the \
    mean of the token states instead of [CLS]: \(percent(meanRun.accuracy)) (training accuracy \
    \(percent(meanRun.trainAccuracy))), against \(percent(bestAccuracy)) (best epoch) for [CLS]. \
    transformers has no such head: a checkpoint saved with it loads there without complaint but \
    computes other probabilities, so saving one prints a warning. One seed decides nothing here; \
    bert-mini's model card compares the two heads over five.
    """)
  nb.record("bert_scratch_validation_accuracy", scratch.accuracy)
  nb.record("bert_mean_pooling_validation_accuracy", meanRun.accuracy)
}
// MARK: - The training step by hand

nb.section("\(options.int("bert-extras") == 1 ? 6 : 5). The training step by hand")
nb.narrate(
  """
  Every Trainer run above repeats one step: the batch's loss, backward, gradients clipped, an \
  optimizer update, the scheduler moved on, the gradients cleared. Exercise 5.5 writes that \
  step, as the Hugging Face course writes its loop by hand before it uses the Trainer. Here it \
  fine-tunes the pre-trained GPT-style model for one epoch on the same \(train.count) reviews, \
  with the recipe's optimizer and schedule:
  """)
nb.cell("hand-loop")
// cell: hand-loop
let handModel = try GPT2ForSequenceClassification.fromPretrained(
  gptDirectory, labelNames: labelNames, padTokenId: gptConfig.padTokenId, generator: Generator(seed: 1))
let handOptimizer = makeAdamW(handModel, learningRate: Float(learningRate), weightDecay: 0.01)
let handOrder = Generator(seed: 1).shuffled(Array(0..<train.count))
let handBatches = stride(from: 0, to: train.count, by: 32).map { start in
  let rows = handOrder[start..<min(start + 32, train.count)]
  let padded = gptCollator(rows.map { gptCollator.encode(train.texts[$0]) })
  return ClassificationBatch(
    inputIds: padded.inputIds, attentionMask: padded.attentionMask, labels: rows.map { train.labels[$0] })
}
let handScheduler = LambdaLR(
  handOptimizer, warmupSteps: Int((0.1 * Double(handBatches.count)).rounded(.up)),
  totalSteps: handBatches.count)
handModel.train()
var handSteps: [StepOutput] = []
for batch in handBatches {
  handSteps.append(
    try trainingStep(model: handModel, batch: batch, optimizer: handOptimizer, scheduler: handScheduler))
}
handModel.eval()
// end cell: hand-loop
let handTrainer = try Trainer(
  model: handModel, args: recipe(epochs: 1, learningRate: learningRate, seed: 1), evalDataset: validation,
  dataCollator: gptCollator, computeMetrics: classificationMetrics)
let handValidation = try handTrainer.evaluate()["eval_accuracy"]!
let handTrain = try handTrainer.evaluate(train, metricKeyPrefix: "train")["train_accuracy"]!
nb.lineChart(
  [ChartSeries(name: "loss", values: handSteps.map { Double($0.loss) })], title: "trainingStep: the loss",
  xLabel: "step", height: 8)
nb.lineChart(
  [ChartSeries(name: "norm", values: handSteps.map { Double($0.gradNorm) })],
  title: "trainingStep: the gradient norm before clipping", xLabel: "step", height: 8)
let clippedSteps = handSteps.filter { Double($0.gradNorm) > bertRecipe.maxGradNorm }.count
nb.narrate(
  """
  \(handSteps.count) steps: the loss went from \(String(format: "%.3f", handSteps.first?.loss ?? .nan)) \
  to \(String(format: "%.3f", handSteps.last?.loss ?? .nan)); clipping changed the gradients at \
  \(clippedSteps) of them (norm above \(bertRecipe.maxGradNorm)). Accuracy after one epoch: \
  \(percent(handTrain)) on the training reviews, \(percent(handValidation)) on validation \
  (the Trainer's runs above trained for \(String(format: "%g", epochs)) epoch(s)).
  """)
nb.record("hand_loop_losses", handSteps.map { Double($0.loss) })
nb.record("hand_loop_train_accuracy", handTrain)
nb.record("hand_loop_validation_accuracy", handValidation)
nb.questions([
  """
  The from-scratch GPT reached \(percent(scrFit.mean)) on its own training reviews and \
  \(percent(scr.mean)) on validation. What does its training accuracy tell you before you look at \
  validation, and what would you change first to make the comparison fair to it?
  """,
  """
  \(unseen) of the \(validation.count) validation reviews use a sentiment word that no labelled \
  review contains. What accuracy would you expect from a model that learned only which words \
  the labelled reviews tie to each label, and what lets the pre-trained model do better?
  """,
  """
  In trainingStep, what goes wrong at the first step if the scheduler steps before the \
  optimizer while the warm-up starts at 0? And at the second step if zeroGrad is left out?
  """,
  """
  Clipping changed the gradients at \(clippedSteps) of the \(handSteps.count) steps of the loop by \
  hand. What does that say about max_grad_norm = 1 for this model, and how does clipping change \
  the size and the direction of each update?
  """,
  """
  Try it on your own data: a TSV (or CSV, JSONL) file with a text and a label column, split \
  into train and validation, then `swift run course finetune --model datasets/models/bert-mini \
  --train train.tsv --validation validation.tsv --output runs/mine` (`--help` lists the \
  recipe's options). How does its validation accuracy compare with a majority-class guess?
  """,
])
nb.finish()
