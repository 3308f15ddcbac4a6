// Section 7: the methods side by side.

import Foundation
import Notebook

@MainActor func summarySection() throws {
  nb.section("7. Side by side")
  let methods: [Method] = [
    .full, .lora(r: 8), .prompt(tokens: 10), .prefix(tokens: 10, projection: false), .headOnly,
  ]
  nb.narrate(
    """
    Every method on the same \(train.count) reviews, \(String(format: "%g", epochs)) epochs, \
    \(seedCount) seed(s). Saved size is the file a run must keep (the whole model for full \
    fine-tuning; the adapter and the head otherwise). Training memory is computed, not \
    measured: the weights plus, for each trainable number, its gradient and AdamW's two \
    moments (4 bytes each); activations, the same for every method, are left out.
    """)
  let rows = methods.compactMap { m -> [String]? in
    guard let r = runs[m], let first = r.first else { return nil }
    let memory = 4 * (first.all + 3 * first.trainable)
    return [
      m.name, grouped(first.trainable),
      String(format: "%.2f%%", 100 * Double(first.trainable) / Double(first.all)),
      kilobytes(first.savedBytes),
      nb.measured(String(format: "%.1f s", meanAndSpread(r.map(\.seconds)).mean)),
      kilobytes(memory), meanSD(r.map(\.trainAccuracy)), meanSD(r.map(\.accuracy)),
    ]
  }
  nb.table(
    headers: [
      "method", "trainable", "of all", "saved", "train time", "train memory", "train acc.", "validation acc.",
    ], rows: rows, title: "the summary (mean ± sd over seeds)")
  var table: [JSONValue] = []
  for m in methods {
    guard let r = runs[m], let first = r.first else { continue }
    table.append(
      .object([
        "method": .string(m.name), "trainable_params": .number(Double(first.trainable)),
        "all_params": .number(Double(first.all)), "saved_bytes": .number(Double(first.savedBytes)),
        "train_seconds": .array(r.map { .number($0.seconds) }),
        "train_memory_bytes_computed": .number(Double(4 * (first.all + 3 * first.trainable))),
        "train_accuracy": .array(r.map { .number($0.trainAccuracy) }),
        "validation_accuracy": .array(r.map { .number($0.accuracy) }),
      ]))
  }
  nb.record("summary", .array(table))
  let full = meanAndSpread(runs[.full]!.map(\.accuracy)).mean
  let lora = meanAndSpread(runs[.lora(r: 8)]!.map(\.accuracy)).mean
  let fullSeconds = meanAndSpread(runs[.full]!.map(\.seconds)).mean
  let loraSeconds = meanAndSpread(runs[.lora(r: 8)]!.map(\.seconds)).mean
  nb.narrate(
    """
    LoRA r = 8 against full fine-tuning: \(String(format: "%+.1f", 100 * (lora - full))) points \
    of validation accuracy, while saving \(kilobytes(runs[.lora(r: 8)]!.first!.savedBytes)) instead \
    of \(kilobytes(runs[.full]!.first!.savedBytes)) and keeping optimizer state for \
    \(grouped(runs[.lora(r: 8)]!.first!.trainable)) numbers instead of \
    \(grouped(runs[.full]!.first!.trainable)). Training time per run: \
    \(nb.measured(String(format: "%.1f s", loraSeconds))) for LoRA, \
    \(nb.measured(String(format: "%.1f s", fullSeconds))) for full fine-tuning (wall clock: compare \
    them on an idle machine). What LoRA can save in time is in the backward pass and the \
    optimizer: frozen weights get no weight gradient, and AdamW updates \
    \(grouped(runs[.lora(r: 8)]!.first!.trainable)) numbers. The forward pass and the backward \
    pass through every layer remain (the gradient must reach the adapters of the lowest layer), \
    and each adapted layer adds two thin products. On a model this small, the clear savings are \
    storage and optimizer memory, which is what matters when one base model serves many tasks.
    """)
  nb.questions([
    """
    LoRA with r = 1 trains \(grouped(runs[.lora(r: 1)]?.first?.trainable ?? 0)) numbers. Why can \
    a rank-1 update of the query and value projections change the classifier's decisions much \
    at all, and what does the head, trained in full, contribute?
    """,
    """
    Merging gave logits equal to the unmerged model's up to rounding. Why can prompt and prefix \
    tuning not be merged into the weights in the same way?
    """,
    """
    The int8 checkpoint is smaller but not 4× smaller. Which tensors did not shrink, and what \
    would you quantize next?
    """,
    """
    Pruning set weights to zero without retraining. How would you use the masks to fine-tune the \
    pruned model, and what would you expect at 90% sparsity?
    """,
  ])
}
