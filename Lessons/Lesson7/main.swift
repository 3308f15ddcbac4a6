// Lesson 7 — Evaluation.
//
// Run it with `swift run Lesson7` (`-- --quick` for a short run, `-- --help` for flags).
// The code it builds on: Sources/Training/ConfusionMatrix.swift (exercises 7.1, 7.2),
// ClassificationReport.swift, Significance.swift (7.3 the bootstrap, 7.4 McNemar's test),
// Calibration.swift (7.5 the expected calibration error), Baselines.swift; the runs are in
// Runs.swift, calibration and error analysis in Analysis.swift, beside this file.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

let nb = Notebook(
  lesson: 7, title: "Evaluation",
  summary: """
    A score is only worth what it is compared with and how sure we are of it. This lesson reads \
    every classification metric off the confusion matrix, builds the baselines a model must \
    beat (the majority class, a bag of words, a model from scratch), puts confidence \
    intervals on scores and tests the difference between two models on the same examples, \
    draws learning curves, checks whether the model's probabilities can be believed \
    (calibration), and reads the examples the model gets most wrong, where some labels turn \
    out to be wrong themselves. Tuning happens on validation; the test set is used once.
    """,
  flags: [
    LessonFlag.int("seeds", default: 2, help: "seeds per point of the learning curves"),
    LessonFlag.int("steps", default: 30, help: "optimizer steps of the pre-trained model on the full set"),
    LessonFlag.double("lr", default: 1e-3, help: "peak learning rate of the pre-trained model"),
    LessonFlag.double("scratch-lr", default: 3e-3, help: "peak learning rate of the model from scratch"),
    LessonFlag.int("resamples", default: 1000, help: "bootstrap resamples"),
    LessonFlag.int(
      "scratch-steps", default: 400, help: "optimizer steps of the model from scratch on the full set"),
    LessonFlag.int("choose-examples", default: 64, help: "section 7: training reviews of every candidate"),
    LessonFlag.int("choose-steps", default: 28, help: "section 7: optimizer steps of every sweep run"),
  ])
nb.overview(
  objectives: [
    "read accuracy, precision, recall, F1 (per class, macro, micro, weighted) and Matthews' correlation off a confusion matrix",
    "beat the baselines: majority class, TF-IDF logistic regression, a model from scratch trained until it fits",
    "put a bootstrap confidence interval on a score and test two models on the same examples (paired bootstrap, McNemar)",
    "draw a learning curve over the labelled-set size; measure and fix calibration (ECE, temperature scaling)",
    "read the top losses and find the labels that are wrong",
    "compare BERT-, GPT- and RoBERTa-style checkpoints on equal terms: same examples and steps, a learning rate each",
  ],
  prerequisites: ["Lesson 5 (fine-tuning with TrainingArguments and Trainer)"],
  time: "about an hour to read and run, plus 1–2 hours for the exercises",
  reading: [
    Reading(
      "scikit-learn user guide, Metrics and scoring: classification metrics",
      url: "https://scikit-learn.org/stable/modules/model_evaluation.html#classification-metrics",
      note: "the definitions and the classification_report this kit reproduces"),
    Reading(
      "Dror et al. 2018, The hitchhiker's guide to testing statistical significance in NLP",
      url: "https://aclanthology.org/P18-1128/", note: "which test for which metric; the paired bootstrap"),
    Reading(
      "Guo et al. 2017, On calibration of modern neural networks", url: "https://arxiv.org/abs/1706.04599",
      note: "reliability diagrams, ECE with 15 bins, temperature scaling"),
    Reading(
      "Howard and Ruder 2018, ULMFiT", url: "https://arxiv.org/abs/1801.06146",
      note: "figure 3: validation error against the number of labelled examples, pre-trained vs scratch"),
    Reading(
      "Hugging Face evaluate", url: "https://huggingface.co/docs/evaluate",
      note: "the metric names course evaluate writes"),
  ])
let options = nb.options
manualSeed(options.seed)
let quick = options.quick
let seedCount = quick ? 1 : options.int("seeds")
let steps = quick ? 15 : options.int("steps")
let resamples = quick ? 300 : options.int("resamples")
let root = URL(fileURLWithPath: "datasets")
let runsDirectory = options.outputDirectory

// MARK: - 1. Metrics from the confusion matrix

nb.section("1. Every metric from one table: the confusion matrix")
func readSplit(_ task: String, _ name: String, labels: [String]) throws -> TextClassificationDataset {
  let rows = try readExamples(root.appendingPathComponent("\(task)/\(name).tsv"), format: .tsv).examples
  return try TextClassificationDataset(rows.map { ($0.text, $0.label) }, labelNames: labels)
}
let intentNames = ["refund", "delivery", "repair", "how_to", "account", "praise"]
let intentTrain = try readSplit("intent", "train", labels: intentNames)
let intentValidation = try readSplit("intent", "validation", labels: intentNames)
// An imbalanced task made from it: is the request a refund? One request in six is.
let refundTrain = intentTrain.labels.map { $0 == 0 ? 1 : 0 }
let refundValidation = intentValidation.labels.map { $0 == 0 ? 1 : 0 }
let refundNames = ["other", "refund"]
nb.narrate(
  """
  The intent task (Lesson 2) asks which of six things a support request wants. Turned into a \
  yes/no question, "is this a refund request?", it becomes imbalanced: \
  \(refundValidation.filter { $0 == 1 }.count) of the \(refundValidation.count) validation \
  requests are refunds. A classifier that always says "other" is right most of the time:
  """)
nb.cell("majority")
// cell: majority
let majority = majorityClass(refundTrain)  // the commonest training label
let always = Array(repeating: majority, count: refundValidation.count)
let majorityMatrix = confusionMatrix(labels: refundValidation, predictions: always, numClasses: 2)  // 7.1
nb.output(classificationReport(majorityMatrix, names: refundNames))  // refundNames: "other", "refund"
// end cell: majority
let majorityAccuracy = accuracyScore(majorityMatrix)
nb.narrate(
  """
  Accuracy \(percent(majorityAccuracy)), and it has learned nothing: recall on "refund" is 0, \
  and so is its F1. Macro-F1 (exercise 7.2), the plain mean of the classes' F1, is \
  \(String(format: "%.3f", macroF1(majorityMatrix))); Matthews' correlation is \
  \(String(format: "%.3f", matthewsCorrelation(majorityMatrix))), the value of a constant guess. \
  The report's text is scikit-learn's `classification_report` to the character (the kit's tests \
  compare it with scikit-learn's on fixtures, scripts/golden_metrics.py). A class that is never \
  predicted has an undefined precision (0/0); scikit-learn warns and counts it as 0, and so does \
  the kit: a model gets no credit for a class it never names.
  """)
nb.cell("bag-of-words")
// cell: bag-of-words
let refundModel = TfidfLogisticRegression(numClasses: 2)
refundModel.fit(intentTrain.texts, labels: refundTrain, generator: Generator(seed: options.seed))
let refundPredicted = refundModel.predict(intentValidation.texts)
let refundMatrix = confusionMatrix(labels: refundValidation, predictions: refundPredicted, numClasses: 2)
nb.output(classificationReport(refundMatrix, names: refundNames))
// end cell: bag-of-words
let refundTable = confusionMatrixRows(refundMatrix, names: refundNames)
nb.table(
  headers: refundTable.headers, rows: refundTable.rows,
  title: "confusion matrix, TF-IDF + logistic regression")
nb.narrate(
  """
  A bag of words (TF-IDF features as scikit-learn's TfidfVectorizer computes them, and a \
  logistic regression trained with the tensor core): accuracy \
  \(percent(accuracyScore(refundMatrix))) against \(percent(majorityAccuracy)), macro-F1 \
  \(String(format: "%.3f", macroF1(refundMatrix))) against \(String(format: "%.3f", macroF1(majorityMatrix))), \
  Matthews \(String(format: "%.3f", matthewsCorrelation(refundMatrix))). On an imbalanced task the \
  accuracy gap understates what separates a useful model from a constant; macro-F1 and \
  Matthews' correlation show it.
  """)
// All six intents, and the matrix as a figure.
let intentModel = TfidfLogisticRegression(numClasses: intentNames.count)
intentModel.fit(intentTrain.texts, labels: intentTrain.labels, generator: Generator(seed: options.seed))
let intentMatrix = confusionMatrix(
  labels: intentValidation.labels, predictions: intentModel.predict(intentValidation.texts),
  numClasses: intentNames.count)
nb.output(classificationReport(intentMatrix, names: intentNames))
nb.figure(
  .heatmap(
    values: intentMatrix.map { $0.map(Double.init) }, rowLabels: intentNames.map { "true \($0)" },
    columnLabels: intentNames, title: "Intent: confusion matrix of TF-IDF + logistic regression (validation)"),
  name: "intent-confusion-matrix")
let averages = averagedMetrics(intentMatrix)
nb.narrate(
  """
  On the six balanced intents the three averages nearly agree (macro-F1 \
  \(String(format: "%.3f", averages.macro.f1)), weighted \(String(format: "%.3f", averages.weighted.f1)), \
  micro = accuracy \(String(format: "%.3f", averages.micro.f1))): the requests come from a few \
  templates per intent (datasets/README.md), easy for a bag of words. The errors left are mostly \
  the generator's flipped labels (2% of intent labels).
  """)
nb.record("refund_majority_accuracy", majorityAccuracy)
nb.record("refund_majority_macro_f1", macroF1(majorityMatrix))
nb.record("refund_tfidf_accuracy", accuracyScore(refundMatrix))
nb.record("refund_tfidf_macro_f1", macroF1(refundMatrix))
nb.record("refund_tfidf_matthews", matthewsCorrelation(refundMatrix))
nb.record(
  "intent_tfidf_confusion_matrix", .array(intentMatrix.map { .array($0.map { .number(Double($0)) }) }))
nb.record("intent_tfidf_macro_f1", averages.macro.f1)
nb.record("intent_tfidf_weighted_f1", averages.weighted.f1)
nb.record("intent_tfidf_accuracy", averages.micro.f1)

try runSentimentSections()
nb.questions([
  """
  On the refund task the majority class scores \(percent(majorityAccuracy)) accuracy. Which \
  number in its classification report tells you at once that it is useless, and why does \
  macro-F1 fall to about 0.46 and not to 0?
  """,
  """
  Two models differ by 2 points of accuracy on 400 validation reviews and their 95% bootstrap \
  intervals overlap. Why can McNemar's test still find the difference significant, and which \
  examples does it look at?
  """,
  """
  Temperature scaling changed the expected calibration error but not the accuracy. Why can \
  dividing the logits by one positive number never change a prediction? Why fit the \
  temperature on validation rather than on the training set?
  """,
  """
  Most of the highest validation losses were labels the generator flipped. What would happen \
  to the validation accuracy you report if you "fixed" those labels after looking at the \
  model's errors on the test set, and what should you do instead?
  """,
  """
  Try it on a checkpoint of your own: `swift run course finetune ... --output runs/mine`, \
  then `swift run course evaluate --model runs/mine --data datasets/sentiment/validation.tsv \
  --svg matrix.svg`. Does its macro-F1 interval overlap the majority baseline's?
  """,
])
nb.finish()
