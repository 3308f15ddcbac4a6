// Lesson 6, section 5: catastrophic forgetting, measured as the general-text masked-LM loss of
// every freezing arm's encoder, and reduced with a lower rate and L2-SP. Called from main.swift,
// whose globals (the freezing arms' results, generalRows, generalLoss, ...) it reads.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// Section 5: the two remedies' runs, then the table of task gain against general-text loss.
@MainActor func forgettingSection() throws {
  nb.section("5. Catastrophic forgetting, measured and reduced")
  let l2spAlpha: Float = 0.1
  nb.narrate(
    """
    Fine-tuning changes the encoder to serve the task; what it learned in pre-training and the \
    task does not need may be lost. Lesson 4 saw this once (the general-text loss rose after \
    domain adaptation). Here it is measured for every arm: the encoder of each fine-tuned \
    classifier is put back under the checkpoint's own masked-language-model head, and its MLM \
    loss is measured on \(generalRows.count) rows of held-out general text, with the same masking \
    for every model (Lesson 4's `evaluateMaskedLM`). Before fine-tuning: \(fixed(generalBefore)). \
    Two remedies are added to the freezing arms: a 10 times lower learning rate, and L2-SP (Li \
    et al. 2018, exercise 6.3), a penalty α/2·‖w − w⁰‖² that pulls the pre-trained weights back \
    towards their starting point instead of towards 0, with α = \(l2spAlpha):
    """)
  nb.code(
    """
    let regularizer = L2SPRegularizer(model, basePrefix: "bert", alpha: \(l2spAlpha))   // snapshot w⁰ now
    let trainer = try Trainer(model: model, args: args, ...)
    trainer.addPenalty(regularizer)              // loss = task loss + regularizer.penalty()
    """)
  var remedyResults: [String: [RunResult]] = [:]
  var remedyForgetting: [String: [Double]] = [:]
  var remedyDistance: [String: [Double]] = [:]
  for seed in seeds {
    let lowModel = try pretrained(seed: seed)
    let low = try fineTune(
      lowModel, args: recipe("forgetting", seed: seed, learningRate: chosenRate / 10, epochs: tableEpochs),
      train: train, validation: validation, tokenizer: tokenizer)
    remedyResults["low_lr", default: []].append(low)
    remedyForgetting["low_lr", default: []].append(try generalLoss(lowModel))
    let spModel = try pretrained(seed: seed)
    let regularizer = L2SPRegularizer(spModel, basePrefix: "bert", alpha: l2spAlpha)
    let sp = try fineTune(
      spModel, args: recipe("forgetting", seed: seed, learningRate: chosenRate, epochs: tableEpochs),
      train: train, validation: validation, tokenizer: tokenizer, setup: RunSetup(regularizer: regularizer))
    remedyResults["l2sp", default: []].append(sp)
    remedyForgetting["l2sp", default: []].append(try generalLoss(spModel))
    remedyDistance["l2sp", default: []].append(regularizer.distance())
  }
  let forgettingRows: [(name: String, results: [RunResult], loss: [Double])] =
    [
      ("full", armResults["full"] ?? [], armForgetting["full"] ?? []),
      ("full, learning rate ÷ 10", remedyResults["low_lr"] ?? [], remedyForgetting["low_lr"] ?? []),
      ("full + L2-SP (α = \(l2spAlpha))", remedyResults["l2sp"] ?? [], remedyForgetting["l2sp"] ?? []),
      ("top layer + head", armResults["top_layer"] ?? [], armForgetting["top_layer"] ?? []),
      ("head only", armResults["head_only"] ?? [], armForgetting["head_only"] ?? []),
      ("Freez + discr + stlr", armResults["ulmfit"] ?? [], armForgetting["ulmfit"] ?? []),
    ].filter { !$0.results.isEmpty }
  nb.table(
    headers: ["arm", "task: validation acc.", "general MLM loss", "rise"],
    rows: [["pre-trained, before fine-tuning", "", fixed(generalBefore), ""]]
      + forgettingRows.map { row in
        let loss = meanAndSpread(row.loss)
        return [
          row.name, summary(row.results.map(\.accuracy)),
          row.loss.count < 2 ? fixed(loss.mean) : "\(fixed(loss.mean)) ± \(fixed(loss.std))",
          String(format: "%+.3f", loss.mean - generalBefore),
        ]
      },
    title:
      "task gain against general-text loss (\(String(format: "%g", tableEpochs)) epochs, \(seedCount) seed(s))"
  )
  let fullRise = meanAndSpread(armForgetting["full"] ?? []).mean - generalBefore
  let spRise = meanAndSpread(remedyForgetting["l2sp"] ?? []).mean - generalBefore
  let lowRise = meanAndSpread(remedyForgetting["low_lr"] ?? []).mean - generalBefore
  nb.narrate(
    """
    Full fine-tuning raised the general-text loss by \(String(format: "%.3f", fullRise)). \
    With L2-SP the rise was \(String(format: "%.3f", spRise)) and with the lower rate \
    \(String(format: "%.3f", lowRise)), at validation accuracies of \
    \(summary(remedyResults["l2sp"]?.map(\.accuracy) ?? [])) and \
    \(summary(remedyResults["low_lr"]?.map(\.accuracy) ?? [])) against \
    \(summary(armResults["full"]?.map(\.accuracy) ?? [])) for full fine-tuning. Freezing keeps the \
    frozen part exactly: the head-only arm's rise is 0, as the pooler it trains is not read by \
    the MLM head. The table is the trade-off to read: how much general-text loss each arm added \
    for how much task accuracy, and which arms bought accuracy without moving far (the weights \
    L2-SP held moved \
    \(String(format: "%.2f", meanAndSpread(remedyDistance["l2sp"] ?? []).mean)) in L2 norm from their start). A third \
    remedy, replaying general text (mixing MLM batches into fine-tuning), is not measured in this \
    run, nor is the accuracy on a task learned before this one.
    """)
  var forgettingRecord: [String: JSONValue] = ["general_mlm_loss_before": .number(generalBefore)]
  for row in forgettingRows {
    forgettingRecord[row.name] = .object([
      "validation_accuracy": .array(row.results.map { .number($0.accuracy) }),
      "general_mlm_loss": .array(row.loss.map { .number($0) }),
    ])
  }
  nb.record("forgetting", .object(forgettingRecord))
}
