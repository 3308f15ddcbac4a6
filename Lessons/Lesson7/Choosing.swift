// Section 7 of Lesson 7: the three shipped checkpoints (BERT-, GPT- and RoBERTa-style) compared
// on one task with the same examples and steps, each at the learning rate a small sweep on one
// quarter of validation picks for it, scored on the rest.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// One candidate of the comparison: a name, the head it uses, and how to load it afresh.
struct Candidate {
  var name: String
  /// What the classification head reads, as the table shows it.
  var head: String
  var load: () throws -> PretrainedClassifier
}

/// The candidates: the three checkpoints in datasets/models, each with a new 2-class head.
/// The encoders read the mean of their token states (it fits in a short run; roberta-mini's <s> is
/// never trained, bert-mini's [CLS] needs longer); GPT-2's head reads the last token, the only
/// state that has seen the whole review.
func candidates(labelNames: [String], seed: UInt64) -> [Candidate] {
  let root = URL(fileURLWithPath: "datasets/models")
  func load(_ name: String, pooling: String?) -> () throws -> PretrainedClassifier {
    {
      try PretrainedClassifier.fromPretrained(
        root.appendingPathComponent(name), labelNames: labelNames, maxLength: 64,
        classifierPooling: pooling, generator: Generator(seed: seed))
    }
  }
  return [
    Candidate(
      name: "BERT-style (bert-mini)", head: "mean of the tokens", load: load("bert-mini", pooling: "mean")),
    Candidate(name: "GPT-style (gpt-mini)", head: "last token", load: load("gpt-mini", pooling: nil)),
    Candidate(
      name: "RoBERTa-style (roberta-mini)", head: "mean of the tokens",
      load: load("roberta-mini", pooling: "mean")),
  ]
}

/// How many steps the checkpoint in datasets/models/`name` was pre-trained for: the length of
/// the training-loss curve `course pretrain` wrote to its pretraining.json.
func pretrainingSteps(_ name: String) throws -> Int {
  let file = URL(fileURLWithPath: "datasets/models/\(name)/pretraining.json")
  let curve = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
  guard let losses = curve?["training_loss"] as? [Any] else {
    throw TrainerError("\(file.path): no training_loss array (course pretrain writes one)")
  }
  return losses.count
}

/// The examples of `data` at `indices`.
func subset(_ data: TextClassificationDataset, _ indices: Range<Int>) -> TextClassificationDataset {
  TextClassificationDataset(
    texts: Array(data.texts[indices]), labels: Array(data.labels[indices]), labelNames: data.labelNames)
}

/// Section 7: every candidate fine-tuned at each rate of a small sweep on the same examples and
/// steps; among the rates that fit the training examples, the one that does best on the first
/// quarter of validation is kept, and its training accuracy and its accuracy on the rest of
/// validation (with a bootstrap interval) are reported.
@MainActor func choosingSection(
  train fullTrain: TextClassificationDataset, validation: TextClassificationDataset
)
  throws
{
  nb.section("7. Choosing a model: BERT-, GPT- and RoBERTa-style, compared fairly")
  let rates = [3e-4, 1e-3, 3e-3]
  let fitThreshold = 0.95
  let size = min(fullTrain.count, quick ? 64 : options.int("choose-examples"))
  let chooseSteps = quick ? 8 : options.int("choose-steps")
  let batchSize = 16
  let train = subset(fullTrain, 0..<size)
  // Rates are chosen on the first quarter of validation and scored on the rest: an accuracy on
  // the reviews the choice was made on would flatter whichever model got the luckiest rate.
  let quarter = validation.count / 4
  let (tuning, scoring) = (subset(validation, 0..<quarter), subset(validation, quarter..<validation.count))
  nb.narrate(
    """
    Lesson 5 compared BERT and GPT with different data, epochs and heads, so its comparison \
    could not say which model is better. Here the three checkpoints the kit ships, each \
    pre-trained by `course pretrain` on the same corpus at about the same size (the \
    parameters column), get the same \(train.count) training reviews and the same \(chooseSteps) steps of \
    batch \(batchSize) (\(String(format: "%.1f", Double(chooseSteps * batchSize) / Double(train.count))) \
    epochs), and each its own learning rate among \
    \(rates.map { String(format: "%g", $0) }.joined(separator: ", ")): fit first, then generalise, \
    so the rate is the best by accuracy on validation reviews 1–\(quarter) among the rates that fit \
    the training reviews (\(percent(fitThreshold)) or more; if none does, the one that fits best); the table reports reviews \(quarter + 1)–\(validation.count), which the \
    choice never saw (seed \(options.seed)). Heads, chosen once and the same for both encoders: \
    they read the mean of their token states. Masked-language modelling alone never trains the \
    <s> state roberta-mini's own head reads (its card measures both heads, and neither transfers \
    at Lesson 5's recipe); bert-mini's [CLS] was trained by a second objective, but needs about \
    twelve epochs to fit where the mean needs fewer (its model card measures both at five seeds); \
    GPT-2's head reads the last token, its own, the one state that has seen the whole review. \
    transformers computes the GPT-style head as here; for the mean-pooled encoders it would read \
    [CLS] / <s> and give other probabilities (`classifier_pooling: "mean"` is a kit extension, \
    which saving warns about).
    """)
  let directory = runsDirectory.appendingPathComponent("choosing")
  let models = candidates(labelNames: train.labelNames, seed: options.seed)
  let bar = nb.progress("sweep runs", total: models.count * rates.count)
  var rows: [[String]] = []
  var record: [String: JSONValue] = [:]
  var fitted: [String: Double] = [:]
  var done = 0
  for candidate in models {
    var runs: [(rate: Double, run: Run, tuned: Double, fit: Double, parameters: Int)] = []
    var sweep: [String] = []
    for rate in rates {
      let loaded = try candidate.load()
      let run = try fineTune(
        loaded.model, collator: loaded.collator,
        args: recipe(
          outputDirectory: directory, maxSteps: chooseSteps, learningRate: rate, seed: options.seed,
          batchSize: batchSize),
        train: train, validation: tuning, scoreTrain: false)
      let tuned = Double(zip(run.predictions, tuning.labels).filter { $0 == $1 }.count) / Double(tuning.count)
      let fit = try run.trainer.evaluate(train, metricKeyPrefix: "train")["train_accuracy"] ?? .nan
      sweep.append("\(String(format: "%g", rate)): \(percent(tuned)) (\(percent(fit)))")
      runs.append((rate, run, tuned, fit, loaded.model.parameterCount()))
      done += 1
      bar.update(step: done)
    }
    // Fit first, then generalise: among the rates that fit the training reviews, the best on
    // validation; if none fits, the one that fits best. Picking by validation alone would let a
    // rate that never learned the task win on a lucky draw when every rate is near chance.
    let fitting = runs.filter { $0.fit >= fitThreshold }
    let chosen =
      fitting.isEmpty
      ? runs.max { $0.fit < $1.fit } : fitting.max { $0.tuned < $1.tuned }
    guard let best = chosen else { continue }
    let trainAccuracy = best.fit
    let logits = try best.run.trainer.predict(scoring, metricKeyPrefix: "test").predictions.logits
    let correct = zip(logits, scoring.labels).map { row, label in
      (row.indices.max { row[$0] < row[$1] } ?? 0) == label
    }
    let score = Double(correct.filter { $0 }.count) / Double(correct.count)
    let ci = bootstrapInterval(
      count: correct.count, resamples: resamples, generator: Generator(seed: options.seed)
    ) {
      Training.accuracy(of: correct, at: $0)
    }
    fitted[candidate.name] = trainAccuracy
    rows.append([
      candidate.name, candidate.head, sweep.joined(separator: "; "), String(format: "%g", best.rate),
      percent(trainAccuracy), percent(score), interval(ci),
      String(format: "%.2fM", Double(best.parameters) / 1e6),
      nb.measured(String(format: "%.1f s", best.run.seconds)),
    ])
    record[candidate.name] = .object([
      "best_learning_rate": .number(best.rate), "tuning_accuracy": .number(best.tuned),
      "validation_accuracy": .number(score), "train_accuracy": .number(trainAccuracy),
      "accuracy_ci": .array([.number(ci.low), .number(ci.high)]),
      "parameters": .number(Double(best.parameters)),
    ])
  }
  bar.finish()
  nb.table(
    headers: [
      "model", "head reads", "per learning rate: validation 1–\(quarter) (train)", "chosen",
      "train acc.", "validation acc. (\(quarter + 1)–\(validation.count))", "95% interval", "parameters",
      "training time",
    ],
    rows: rows,
    title: "Same \(train.count) reviews, same \(chooseSteps) steps, each at its own best learning rate")
  let lengths = try ["bert-mini", "gpt-mini", "roberta-mini"].map { "\($0) \(try pretrainingSteps($0))" }
    .joined(separator: ", ")
  let unfitted = models.map(\.name).filter { (fitted[$0] ?? 0) < fitThreshold }
  nb.narrate(
    """
    Read the training accuracy first. \(unfitted.isEmpty
      ? "Every candidate fitted its \(train.count) training reviews (\(percent(fitThreshold)) or more), so a gap on validation is not one model failing to learn what the others learned: it is how well what each learned carries over to reviews with unseen sentiment words."
      : "\(unfitted.joined(separator: " and ")) did not fit \(unfitted.count == 1 ? "its" : "their") training reviews (below \(percent(fitThreshold))) at any rate, in \(chooseSteps) steps: at this budget \(unfitted.count == 1 ? "it has" : "they have") not shown what \(unfitted.count == 1 ? "it" : "they") can do, and \(unfitted.count == 1 ? "its row" : "their rows") must not be read as what \(unfitted.count == 1 ? "its architecture" : "their architectures") can do (`--choose-steps` gives every candidate more).") \
    Where two intervals overlap, the table alone does not rank the two models; a paired test on \
    the same reviews (section 3) would. And a gap is not the architecture alone: the three \
    checkpoints differ in their vocabulary (WordPiece, uncased, for bert-mini; byte-level BPE, \
    cased, for the other two), their objective (masked tokens or next tokens) and their \
    pre-training length (\(lengths) steps of batch 32; their model cards give the recipes), so the table says which checkpoint to pick for this task, not which \
    architecture is better in general.
    """)
  nb.record("choosing", .object(record))
}
