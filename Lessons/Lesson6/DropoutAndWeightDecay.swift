// Lesson 6, section 2: dropout and weight decay against the train–validation gap, and label
// smoothing once. Called from main.swift, whose globals (nb, train, validation, chosenRate, ...)
// it reads.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// Section 2: a small grid of dropout and weight-decay arms, then label smoothing.
@MainActor func dropoutAndWeightDecaySection() throws {
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
  nb.cell("with-dropout", in: "Experiments.swift")
  nb.cell("regularisation-arm")
  // Dropout 0 / 0.1 / 0.3 at the recipe's decay, and decay 0 / 0.01 / 0.1 at the pre-training
  // dropout: two lines through the grid, sharing its middle point.
  let regularisationArms: [RegularisationArm] =
    (quick ? [(0, 0.01), (0.3, 0.01)] : [(0, 0.01), (0.1, 0.01), (0.3, 0.01), (0.1, 0), (0.1, 0.1)]).map {
      RegularisationArm(dropout: $0.0, weightDecay: $0.1)
    }
  var regularisationRows: [[String]] = []
  var regularisationResults: [JSONValue] = []
  var runs: [RegularisationArm] = []
  for var arm in regularisationArms {
    // cell: regularisation-arm
    for seed in seeds {
      var args = recipe("regularisation", seed: seed, learningRate: chosenRate)
      args.weightDecay = arm.weightDecay
      arm.results.append(
        try fineTune(
          withDropout(try pretrained(seed: seed), arm.dropout, seed: seed), args: args, train: train,
          validation: validation, tokenizer: tokenizer))
    }
    // end cell: regularisation-arm
    runs.append(arm)
    regularisationRows.append([
      String(format: "%g", arm.dropout), String(format: "%g", arm.weightDecay),
      summary(arm.results.map(\.trainAccuracy)), summary(arm.results.map(\.accuracy)),
      gapSummary(arm.gaps),
      fixed(meanAndSpread(arm.results.map(\.validationLoss)).mean, 4),
    ])
    regularisationResults.append(
      .object([
        "dropout": .number(Double(arm.dropout)), "weight_decay": .number(arm.weightDecay),
        "train_accuracy": .array(arm.results.map { .number($0.trainAccuracy) }),
        "validation_accuracy": .array(arm.results.map { .number($0.accuracy) }),
      ]))
  }
  nb.table(
    headers: ["dropout", "weight decay", "train acc.", "validation acc.", "gap (points)", "validation loss"],
    rows: regularisationRows,
    title:
      "\(train.count) examples, \(String(format: "%g", epochs)) epochs, mean ± sd over \(seedCount) seed(s); gap = train − validation accuracy"
  )
  nb.record("regularisation", .array(regularisationResults))
  let steps = Int((epochs * Double((train.count + 15) / 16)).rounded(.up))
  let atRecipeDecay = runs.filter { $0.weightDecay == 0.01 }
  let (lowDropout, highDropout) = (atRecipeDecay.first!, atRecipeDecay.last!)
  let atPretrainingDropout = runs.filter { $0.dropout == 0.1 }.sorted { $0.weightDecay < $1.weightDecay }
  let dropoutTrain = compare(lowDropout, highDropout, \.trainAccuracies)
  let dropoutGap = compare(lowDropout, highDropout, \.gaps)
  let dropoutValidation = compare(lowDropout, highDropout, \.accuracies)
  // What the dropout line says, only from the differences that exceed the seed spread.
  let dropoutReading =
    seedCount < 2
    ? "With one seed none of these can be told from noise."
    : """
    \(dropoutGap.isClear && dropoutGap.difference < 0
      ? "Dropout narrowed the gap by more than the noise between seeds, as a regulariser should,"
      : "The gap did not narrow by more than the noise between seeds,") \
    \(dropoutValidation.isClear
      ? (dropoutValidation.difference < 0
        ? "and validation accuracy fell beyond it: on a run this short, dropout cost fit without buying generalisation."
        : "and validation accuracy rose beyond it.")
      : "and validation accuracy did not move beyond it.")
    """
  var decaySentence = ""
  if let none = atPretrainingDropout.first, let strong = atPretrainingDropout.last,
    none.weightDecay < strong.weightDecay
  {
    let decayValidation = compare(none, strong, \.accuracies)
    let decayGap = compare(none, strong, \.gaps)
    let shrink = 100 * chosenRate * strong.weightDecay * Double(steps)
    decaySentence = """
      Weight decay \(String(format: "%g", none.weightDecay)) → \(String(format: "%g", strong.weightDecay)) \
      (dropout 0.1): validation accuracy \(decayValidation.verdict), gap \(decayGap.verdict). \
      The arithmetic says how little it could do: AdamW shrinks each weight by learning rate × \
      decay per step, \(String(format: "%.2g", chosenRate)) × \(String(format: "%g", strong.weightDecay)) × \
      \(steps) steps ≈ \(String(format: "%.1f", shrink))% over this whole run. \
      \(decayValidation.isClear || decayGap.isClear
        ? "Even so the difference exceeds the seed spread here: a surprise worth re-running with more seeds."
        : "By that arithmetic weight decay can matter only in much longer runs; at this length its effect is within the noise between seeds.")
      """
  }
  nb.narrate(
    """
    Each difference here is the mean of the per-seed differences (the arms share their seeds), \
    weighed against twice the larger spread between seeds of the two arms. Dropout \
    \(String(format: "%g", lowDropout.dropout)) → \(String(format: "%g", highDropout.dropout)) \
    (weight decay 0.01): training accuracy \(dropoutTrain.verdict), the gap between training and \
    validation accuracy \(dropoutGap.verdict), validation accuracy \(dropoutValidation.verdict). \
    \(dropoutReading) \
    \(decaySentence)
    """)

  // Label smoothing once: seed 1 of the dropout 0.1 / decay 0.01 arm (or the first arm), again
  // with smoothed targets.
  let reference = runs.first { $0.dropout == 0.1 && $0.weightDecay == 0.01 } ?? runs[0]
  var smoothingArgs = recipe("smoothing", seed: 1, learningRate: chosenRate)
  smoothingArgs.weightDecay = reference.weightDecay
  smoothingArgs.labelSmoothingFactor = 0.1
  let smoothed = try fineTune(
    withDropout(try pretrained(seed: 1), reference.dropout, seed: 1), args: smoothingArgs, train: train,
    validation: validation, tokenizer: tokenizer)
  let unsmoothed = reference.results[0]
  let change = smoothed.accuracy - unsmoothed.accuracy
  let referenceSpread = meanAndSpread(reference.accuracies).std
  nb.narrate(
    """
    Label smoothing, once: seed 1 of the dropout \(String(format: "%g", reference.dropout)) / decay \
    \(String(format: "%g", reference.weightDecay)) row again with `labelSmoothingFactor = 0.1` (the \
    target puts 0.9 + 0.1/\(labelNames.count) on the right class and 0.1/\(labelNames.count) on each \
    other, so the model is never pushed to certainty). Validation accuracy \(percent(smoothed.accuracy)) \
    against \(percent(unsmoothed.accuracy)), validation cross-entropy \(fixed(smoothed.validationLoss)) \
    against \(fixed(unsmoothed.validationLoss)), training accuracy \(percent(smoothed.trainAccuracy)) \
    against \(percent(unsmoothed.trainAccuracy)). \
    \(seedCount < 2
      ? "One seed and one setting: no spread to weigh the change against."
      : abs(change) > 2 * referenceSpread
        ? "The \(String(format: "%+.1f", 100 * change)) points exceed twice that row's spread between seeds (\(String(format: "%.1f", 100 * referenceSpread)) points), though one seed of one setting is thin evidence."
        : "The \(String(format: "%+.1f", 100 * change)) points are within twice that row's spread between seeds (\(String(format: "%.1f", 100 * referenceSpread)) points): not evidence either way.")
    """)
  nb.record("label_smoothing_validation_accuracy", smoothed.accuracy)
  nb.record("label_smoothing_validation_loss", smoothed.validationLoss)
}

/// One arm of section 2's grid and its runs, one per seed.
struct RegularisationArm {
  var dropout: Float
  var weightDecay: Double
  var results: [RunResult] = []
  var trainAccuracies: [Double] { results.map(\.trainAccuracy) }
  var accuracies: [Double] { results.map(\.accuracy) }
  /// Training minus validation accuracy, per seed.
  var gaps: [Double] { results.map { $0.trainAccuracy - $0.accuracy } }
}

/// Arm `b` against arm `a` on one figure: the mean of the per-seed differences (b − a), worded
/// with both means, and whether it exceeds twice the larger spread between seeds of the two arms.
@MainActor func compare(
  _ a: RegularisationArm, _ b: RegularisationArm, _ figure: KeyPath<RegularisationArm, [Double]>
) -> (verdict: String, difference: Double, isClear: Bool) {
  pairedComparison(a[keyPath: figure], b[keyPath: figure], seedCount: seedCount)
}

/// "+19.5 ± 2.1" points of train − validation accuracy (just the value for one run).
func gapSummary(_ gaps: [Double]) -> String {
  let (mean, std) = meanAndSpread(gaps)
  return gaps.count < 2
    ? String(format: "%+.1f", 100 * mean) : String(format: "%+.1f ± %.1f", 100 * mean, 100 * std)
}
