// Sections 5-6 of Lesson 7: calibration and error analysis of the pre-trained model.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// How a review's verdict is built, read off its text: "contrast" (", but "), "negation"
/// (" not ", " never "), else "plain" (the generator's three kinds, datasets/README.md).
func reviewKind(_ text: String) -> String {
  let lower = text.lowercased()
  if lower.contains(", but ") { return "contrast" }
  if lower.contains(" not ") || lower.contains(" never ") { return "negation" }
  return "plain"
}

/// Section 5: the reliability diagram, ECE, and temperature scaling fitted on half of validation.
@MainActor func calibrationSection(logits: [[Float]], labels: [Int]) throws {
  nb.section("5. Calibration: can the probabilities be believed?")
  // Fit the temperature on one half of validation, measure on the other.
  let half = labels.count / 2
  let (fitLogits, fitLabels) = (Array(logits.prefix(half)), Array(labels.prefix(half)))
  let (heldLogits, heldLabels) = (Array(logits.suffix(from: half)), Array(labels.suffix(from: half)))
  nb.cell("calibration")
  // cell: calibration
  let (confidence, correct) = confidences(heldLogits, labels: heldLabels)
  let before = calibration(confidences: confidence, correct: correct, bins: 15)  // 7.5
  let temperature = fitTemperature(fitLogits, labels: fitLabels)  // minimises the NLL
  let scaled = confidences(heldLogits, labels: heldLabels, temperature: temperature)
  let after = calibration(confidences: scaled.confidences, correct: scaled.correct, bins: 15)
  // end cell: calibration
  let nllBefore = negativeLogLikelihood(heldLogits, labels: heldLabels)
  let nllAfter = negativeLogLikelihood(heldLogits, labels: heldLabels, temperature: temperature)
  nb.table(
    headers: ["confidence bin", "predictions", "mean confidence", "accuracy"],
    rows: before.bins.filter { $0.count > 0 }.map { bin in
      [
        String(format: "(%.2f, %.2f]", bin.lower, bin.upper), "\(bin.count)", percent(bin.confidence),
        percent(bin.accuracy),
      ]
    }, title: "Reliability diagram before scaling (\(heldLabels.count) held-out validation reviews, 15 bins)")
  let used = before.bins.filter { $0.count > 0 }
  nb.figure(
    .lineChart(
      series: [
        ChartSeries(name: "accuracy", values: used.map(\.accuracy)),
        ChartSeries(name: "mean confidence (perfect calibration)", values: used.map(\.confidence)),
      ], title: "Reliability diagram: accuracy and confidence per non-empty bin",
      xLabel: "bin (low to high confidence)",
      yLabel: "share"), name: "reliability-diagram")
  nb.narrate(
    """
    Expected calibration error (15 equal-width bins, each bin's gap between confidence and \
    accuracy weighted by its share of the predictions, exercise 7.5): \
    \(String(format: "%.3f", before.ece)) before. Temperature scaling divides the logits by one \
    number, fitted on the first \(half) validation reviews by minimising the negative \
    log-likelihood: T = \(String(format: "%.2f", temperature)) \
    (\(abs(temperature - 1) < 0.1 ? "close to 1: on these reviews the model's confidence was already about right, and scaling changes little" : temperature > 1 ? "above 1: the model was over-confident, its probabilities are flattened" : "below 1: the model was under-confident, its probabilities are sharpened")). \
    On the other \(heldLabels.count) reviews: ECE \(String(format: "%.3f", after.ece)), negative \
    log-likelihood \(String(format: "%.3f", nllBefore)) → \(String(format: "%.3f", nllAfter)). \
    The predictions, hence the accuracy, do not change: dividing by T > 0 keeps the arg-max. \
    With \(heldLabels.count) reviews, most of them in the top bin, the ECE itself is uncertain by \
    about a point or two; a longer fine-tuning run (`--steps 120`) makes the model more \
    confident, which is where temperature scaling earns its place.
    """)
  nb.record("ece_before", before.ece)
  nb.record("ece_after", after.ece)
  nb.record("temperature", temperature)
  nb.record("nll_before", nllBefore)
  nb.record("nll_after", nllAfter)
}

/// Section 6: the validation reviews with the highest loss, grouped, and the flipped labels.
@MainActor func errorAnalysis(
  run: Run, train: TextClassificationDataset, validation: TextClassificationDataset
) throws {
  nb.section("6. Error analysis: the top losses, and the labels that are wrong")
  let probabilities = softmax(run.validationLogits)
  let losses = zip(probabilities, validation.labels).map { -log(max($0[$1], 1e-12)) }
  let top = losses.indices.sorted { losses[$0] > losses[$1] }.prefix(quick ? 10 : 20)
  // The generator flips 3% of the sentiment labels. Drawing the same reviews again without noise
  // (the flip consumes its random number either way) gives each review's intended label.
  let split = DatasetGenerator.lexiconSplit(seed: DatasetGenerator.defaultSeed)
  var intended: [String: String] = [:]
  for round in 0..<UInt64(4) {
    let seed = (DatasetGenerator.defaultSeed ^ 0x52) &+ round * 0x9E37
    for e in DatasetGenerator.sentimentExamples(
      count: DatasetGenerator.sentimentSizes.validation, positive: split.heldOutPositive,
      negative: split.heldOutNegative, noise: 0, seed: seed) where intended[e.text] == nil
    {
      intended[e.text] = e.label
    }
  }
  let names = validation.labelNames
  func flipped(_ i: Int) -> Bool? { intended[validation.texts[i]].map { $0 != names[validation.labels[i]] } }
  let flippedAll = validation.texts.indices.filter { flipped($0) == true }
  let flippedTop = top.filter { flipped($0) == true }
  let lexicon = Set(positiveWords + negativeWords)
  let labelled = train.texts.reduce(into: Set<String>()) {
    $0.formUnion(BasicTokenizer().tokenize($1).filter(lexicon.contains))
  }
  let kind = reviewKind
  func unseen(_ text: String) -> Bool {
    !Set(BasicTokenizer().tokenize(text).filter(lexicon.contains)).isSubset(of: labelled)
  }
  nb.table(
    headers: ["loss", "label", "predicted", "kind", "flipped label?", "review"],
    rows: top.prefix(8).map { i in
      let p = probabilities[i]
      return [
        String(format: "%.2f", losses[i]), names[validation.labels[i]], names[p[0] > p[1] ? 0 : 1],
        kind(validation.texts[i]), flipped(i).map { $0 ? "yes" : "no" } ?? "?",
        String(validation.texts[i].prefix(70)),
      ]
    }, title: "The highest validation losses (fast.ai's top losses)")
  var groupRows: [[String]] = []
  var groupRecord: [String: JSONValue] = [:]
  for group in ["plain", "negation", "contrast"] {
    let members = validation.texts.indices.filter { kind(validation.texts[$0]) == group }
    let wrong = members.filter { run.predictions[$0] != validation.labels[$0] }.count
    let inTop = top.filter { kind(validation.texts[$0]) == group }.count
    groupRows.append([
      group, "\(members.count)", percent(Double(members.count - wrong) / Double(max(1, members.count))),
      "\(inTop)",
    ])
    groupRecord[group] = .object([
      "examples": .number(Double(members.count)),
      "accuracy": .number(Double(members.count - wrong) / Double(max(1, members.count))),
      "in_top_losses": .number(Double(inTop)),
    ])
  }
  nb.table(
    headers: ["kind of review", "reviews", "accuracy", "among the top losses"], rows: groupRows,
    title: "Where the errors are")
  let unseenTop = top.filter { unseen(validation.texts[$0]) }.count
  let unseenAll = validation.texts.indices.filter { unseen(validation.texts[$0]) }.count
  nb.narrate(
    """
    Of the \(top.count) highest losses, \(flippedTop.count) are reviews whose label the generator \
    flipped on purpose (\(flippedAll.count) of all \(validation.count) validation labels are \
    flipped): there the model is right and the label is wrong, and its loss is high because it \
    is confident. Reading the top losses is how such labels are found in real data, and fixing \
    them is part of collecting it. \(unseenTop) of the \(top.count) use a sentiment word that no \
    labelled review contains (\(unseenAll) of all validation reviews do). The table by kind of \
    review shows which structure costs accuracy; a difference between groups is a hypothesis \
    about what the model has not learned, to be tested with examples built for it.
    """)
  nb.record("top_losses", top.count)
  nb.record("top_losses_flipped_labels", flippedTop.count)
  nb.record("validation_flipped_labels", flippedAll.count)
  nb.record("top_losses_unseen_words", unseenTop)
  nb.record("error_groups", .object(groupRecord))
}
