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
  nb.code(
    """
    var config = model.bert.config
    config.hiddenDropoutProb = p
    config.attentionProbsDropoutProb = p
    let copy = BertForSequenceClassification(config)      // then the weights, copied by name
    args.weightDecay = decay                              // AdamW's, not on biases and LayerNorm
    """)
  let regularisationArms: [(dropout: Float, weightDecay: Double)] =
    quick ? [(0, 0.01), (0.3, 0.01)] : [(0, 0.01), (0.1, 0.01), (0.3, 0.01), (0.1, 0.1)]
  var regularisationRows: [[String]] = []
  var regularisationResults: [JSONValue] = []
  var regularisationRuns: [(dropout: Float, weightDecay: Double, results: [RunResult])] = []
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
    regularisationRuns.append((arm.dropout, arm.weightDecay, results))
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
    rows: regularisationRows, title: "\(train.count) examples, \(String(format: "%g", epochs)) epochs, seed 1"
  )
  nb.record("regularisation", .array(regularisationResults))
  let steps = Int((epochs * Double((train.count + 15) / 16)).rounded(.up))
  let decayOnly = regularisationRuns.filter { $0.weightDecay == 0.01 }
  let (lowDropout, highDropout) = (decayOnly.first!, decayOnly.last!)
  let baseDecay = regularisationRuns.first { $0.dropout == 0.1 && $0.weightDecay == 0.01 }
  let strongDecay = regularisationRuns.first { $0.weightDecay > 0.01 }
  func trainOf(_ run: (dropout: Float, weightDecay: Double, results: [RunResult])) -> Double {
    meanAndSpread(run.results.map(\.trainAccuracy)).mean
  }
  func accuracyOf(_ run: (dropout: Float, weightDecay: Double, results: [RunResult])) -> Double {
    meanAndSpread(run.results.map(\.accuracy)).mean
  }
  func gapOf(_ run: (dropout: Float, weightDecay: Double, results: [RunResult])) -> Double {
    trainOf(run) - accuracyOf(run)
  }
  nb.narrate(
    """
    Read the rows against each other with care: one seed each, and the seeds of section 4 \
    differ by several points. Dropout \(String(format: "%g", lowDropout.dropout)) → \
    \(String(format: "%g", highDropout.dropout)) moved training accuracy from \
    \(percent(trainOf(lowDropout))) to \(percent(trainOf(highDropout))) and the gap between training \
    and validation accuracy from \(String(format: "%+.1f", 100 * gapOf(lowDropout))) to \
    \(String(format: "%+.1f", 100 * gapOf(highDropout))) points. \
    \(strongDecay.map { strong in
      "Weight decay \(String(format: "%g", strong.weightDecay)) against 0.01 changed validation accuracy by \(String(format: "%+.1f", 100 * (accuracyOf(strong) - accuracyOf(baseDecay ?? strong)))) points, and the arithmetic says how little it could do: AdamW shrinks each weight by learning rate × decay per step, \(String(format: "%.2g", chosenRate)) × \(String(format: "%g", strong.weightDecay)) × \(steps) steps ≈ \(String(format: "%.1f", 100 * chosenRate * strong.weightDecay * Double(steps)))% over this whole run. Weight decay is a regulariser of long runs; dropout acts from the first step."
    } ?? "")
    """)

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
}
