// Lesson 6, section 5: catastrophic forgetting, measured as the general-text masked-LM loss of
// every freezing arm's encoder, and reduced with a lower rate, L2-SP and replay of general
// text; then as the accuracy on a task learned before (SequentialTasks.swift). Called from
// main.swift, whose globals (the freezing arms' results, generalRows, generalLoss, ...) it reads.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// Section 5: the remedies' runs, the table of task gain against general-text loss, then the
/// accuracy on a task learned before.
@MainActor func forgettingSection() throws {
  nb.section("5. Catastrophic forgetting, measured and reduced")
  let l2spAlpha: Float = 0.1
  // Replay draws from documents bert-mini was pre-trained on (general.txt but its last 180),
  // never from the held-out rows the loss is measured on.
  // λ small against the task loss, so that the task still leads in the steps every arm gets
  // (the table's training accuracies show whether each arm fitted).
  let replayWeight: Float = 0.1
  let replayBatch = 8
  let replayRows = packSequences(
    Array(generalDocuments.prefix(quick ? 60 : 200)), tokenizer: tokenizer, length: 64, separator: sep,
    cls: cls, sep: sep)
  nb.narrate(
    """
    Fine-tuning changes the encoder to serve the task; what it learned in pre-training and the \
    task does not need may be lost. Lesson 4 saw this once (the general-text loss rose after \
    domain adaptation). Here it is measured for every arm: the encoder of each fine-tuned \
    classifier is put back under the checkpoint's own masked-language-model head, and its MLM \
    loss is measured on \(generalRows.count) rows of held-out general text, with the same masking \
    for every model (Lesson 4's `evaluateMaskedLM`). Before fine-tuning: \(fixed(generalBefore)). \
    Three remedies are added to the freezing arms: a 10 times lower learning rate; L2-SP (Li \
    et al. 2018, exercise 6.3), a penalty α/2·‖w − w⁰‖² that pulls the pre-trained weights back \
    towards their starting point instead of towards 0, with α = \(l2spAlpha); and replay \
    (rehearsal): every training batch also takes \(replayBatch) rows of 64 tokens of general text \
    from the part of the corpus bert-mini was pre-trained on (\(replayRows.count) rows, none of \
    them the measured ones), masks them as pre-training did, and adds λ times their MLM loss, \
    read through the checkpoint's MLM head (kept fixed), to the task loss, with λ = \
    \(String(format: "%g", replayWeight)), small beside the task loss so that the task still leads \
    in the steps every arm gets (the training accuracies show how well each arm fitted). \
    Replay is not free: each step runs the encoder a second time, forward and backward, on \
    \(replayBatch * 64) more tokens.
    """)
  nb.cell("forgetting-remedies")
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
    // cell: forgetting-remedies
    let (spModel, loadingInfo) = try pretrainedWithLoadingInfo(seed: seed)
    // The head bert-mini lacks is new: L2-SP holds only the weights the checkpoint gave.
    let regularizer = L2SPRegularizer(spModel, basePrefix: "bert", loadingInfo: loadingInfo, alpha: l2spAlpha)
    let sp = try fineTune(
      spModel, args: recipe("forgetting", seed: seed, learningRate: chosenRate, epochs: tableEpochs),
      train: train, validation: validation, tokenizer: tokenizer, setup: RunSetup(regularizer: regularizer))
    remedyResults["l2sp", default: []].append(sp)
    remedyForgetting["l2sp", default: []].append(try generalLoss(spModel))
    remedyDistance["l2sp", default: []].append(regularizer.distance())
    let replayModel = try pretrained(seed: seed)
    let replay = try MaskedLMReplay(
      head: try BertForMaskedLM.fromPretrained(bertDirectory), rows: replayRows, tokenizer: tokenizer,
      batchSize: replayBatch, weight: replayWeight, seed: seed)
    let replayed = try fineTune(
      replayModel, args: recipe("forgetting", seed: seed, learningRate: chosenRate, epochs: tableEpochs),
      train: train, validation: validation, tokenizer: tokenizer, setup: RunSetup(replay: replay))
    // end cell: forgetting-remedies
    remedyResults["replay", default: []].append(replayed)
    remedyForgetting["replay", default: []].append(try generalLoss(replayModel))
  }
  /// The remedies of full fine-tuning, as the table and the verdicts name them.
  let remedies: [(name: String, key: String)] =
    [
      ("full, learning rate ÷ 10", "low_lr"), ("full + L2-SP (α = \(l2spAlpha))", "l2sp"),
      ("full + replay (λ = \(String(format: "%g", replayWeight)), \(replayBatch) rows)", "replay"),
    ]
  let forgettingRows: [(name: String, results: [RunResult], loss: [Double])] =
    [("full", armResults["full"] ?? [], armForgetting["full"] ?? [])]
    + remedies.map { ($0.name, remedyResults[$0.key] ?? [], remedyForgetting[$0.key] ?? []) }
    + [
      ("top layer + head", armResults["top_layer"] ?? [], armForgetting["top_layer"] ?? []),
      ("head only", armResults["head_only"] ?? [], armForgetting["head_only"] ?? []),
      ("Freez + discr + stlr", armResults["ulmfit"] ?? [], armForgetting["ulmfit"] ?? []),
    ].filter { !$0.results.isEmpty }
  nb.table(
    headers: [
      "arm", "task: train acc.", "task: validation acc.", "general MLM loss", "rise", "time per run",
    ],
    rows: [["pre-trained, before fine-tuning", "", "", fixed(generalBefore), "", ""]]
      + forgettingRows.map { row in
        let loss = meanAndSpread(row.loss)
        return [
          row.name, summary(row.results.map(\.trainAccuracy)), summary(row.results.map(\.accuracy)),
          row.loss.count < 2 ? fixed(loss.mean) : "\(fixed(loss.mean)) ± \(fixed(loss.std))",
          String(format: "%+.3f", loss.mean - generalBefore),
          nb.measured(String(format: "%.1f s", meanAndSpread(row.results.map(\.seconds)).mean)),
        ]
      },
    title:
      "task gain against general-text loss (\(String(format: "%g", tableEpochs)) epochs, \(seedCount) seed(s))"
  )
  let full = armResults["full"] ?? []
  let rise = { (losses: [Double]) in String(format: "%.3f", meanAndSpread(losses).mean - generalBefore) }
  let verdicts = remedies.map { remedy in
    let loss = pairedComparison(
      armForgetting["full"] ?? [], remedyForgetting[remedy.key] ?? [], seedCount: seedCount, scale: 1,
      digits: 3,
      unit: "")
    let accuracy = pairedComparison(
      full.map(\.accuracy), (remedyResults[remedy.key] ?? []).map(\.accuracy), seedCount: seedCount)
    return "\(remedy.name): general-text loss \(loss.verdict), validation accuracy \(accuracy.verdict)"
  }
  let replayed = remedyResults["replay"] ?? []
  nb.narrate(
    """
    Full fine-tuning raised the general-text loss by \(rise(armForgetting["full"] ?? [])) (a run \
    took \(nb.measured(String(format: "%.1f s", meanAndSpread(full.map(\.seconds)).mean))), training \
    accuracy \(summary(full.map(\.trainAccuracy)))). Each remedy against it, seed by seed (the first \
    number is full fine-tuning's): \(verdicts.joined(separator: "; ")). Replay paid in compute: \
    a run took \(nb.measured(String(format: "%.1f s", meanAndSpread(replayed.map(\.seconds)).mean))), the \
    same steps with a second pass through the encoder each. Replay trains on the very \
    objective the general-text column measures (other rows of the same corpus, through the \
    same head), so a small rise is what it is built for; what it costs in task accuracy and \
    compute is the part to weigh. Freezing keeps the frozen part exactly: the head-only \
    arm's rise is 0, as the pooler it trains is not read by the MLM head. The table is the \
    trade-off to read: how much general-text loss each arm added for how much task accuracy, \
    and the training accuracies say whether an arm could still fit its examples in these steps \
    (the weights L2-SP held moved \
    \(String(format: "%.2f", meanAndSpread(remedyDistance["l2sp"] ?? []).mean)) in L2 norm from their start).
    """)
  var forgettingRecord: [String: JSONValue] = ["general_mlm_loss_before": .number(generalBefore)]
  for row in forgettingRows {
    forgettingRecord[row.name] = .object([
      "validation_accuracy": .array(row.results.map { .number($0.accuracy) }),
      "train_accuracy": .array(row.results.map { .number($0.trainAccuracy) }),
      "general_mlm_loss": .array(row.loss.map { .number($0) }),
      "seconds": .array(row.results.map { .number($0.seconds) }),
    ])
  }
  nb.record("forgetting", .object(forgettingRecord))
  try sequentialTasks(l2spAlpha: l2spAlpha)
}
