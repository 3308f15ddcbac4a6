// Section 7: the methods side by side.

import Foundation
import Notebook

/// Megabytes, the mean of `values` (bytes).
func megabytes(_ values: [Int]) -> String {
  String(format: "%.1f MB", Double(values.reduce(0, +)) / Double(max(1, values.count)) / 1e6)
}

/// Says how the peak memory was measured, from the runs themselves.
@MainActor func memoryNote() -> String {
  let perRun = runs.values.joined().allSatisfy(\.memory.perRun)
  return perRun
    ? "Here the mark was reset before every run, so each peak is that run's own."
    : "Here the mark could not be reset (no writable /proc/self/clear_refs), so the peaks are the process's since it started (getrusage), which an earlier run may have set: read them as upper bounds."
}

/// What the measured memory difference between two methods says against the computed one.
func memoryVerdict(measuredGap: Double, computedGap: Double) -> String {
  measuredGap >= computedGap / 2
    ? "The measured difference is at least half the computed one: the optimizer state shows in the process's memory."
    : "The measured difference is less than half the computed one: a hypothesis, not measured here, is that the activations of a batch (needed by every method, since the gradient must reach the lowest layer) and the allocator's reuse of freed buffers make up most of the rise on a model this small."
}

@MainActor func summarySection() throws {
  nb.section("7. Side by side")
  let methods: [Method] = [
    .full, .lora(r: 8), .prompt(tokens: 10), .prefix(tokens: 10, projection: false), .headOnly,
  ]
  nb.narrate(
    """
    Every method on the same \(train.count) reviews, \(String(format: "%g", epochs)) epochs, \
    \(seedCount) seed(s). Saved size is the file a run must keep (the whole model for full \
    fine-tuning; the adapter and the head otherwise). Peak memory is measured: before each \
    run the lesson gives freed memory back to the kernel and resets the process's high-water \
    mark (on Linux, "5" written to /proc/self/clear_refs), and after training it reads the \
    mark (VmHWM in /proc/self/status). That is the whole process's resident memory: the \
    program, the data, the models of earlier sections still alive, and the run's weights, \
    gradients, optimizer state and activations. The rise over the resident size at the start \
    of the run is the closest to the method's own cost. \(memoryNote())
    """)
  let rows = methods.compactMap { m -> [String]? in
    guard let r = runs[m], let first = r.first else { return nil }
    return [
      m.name, grouped(first.trainable),
      String(format: "%.2f%%", 100 * Double(first.trainable) / Double(first.all)),
      kilobytes(first.savedBytes),
      nb.measured(String(format: "%.1f s", meanAndSpread(r.map(\.seconds)).mean)),
      nb.measured(megabytes(r.map(\.memory.peakBytes))),
      nb.measured(megabytes(r.map { $0.memory.peakBytes - $0.memory.startBytes })),
      meanSD(r.map(\.trainAccuracy)), meanSD(r.map(\.accuracy)),
    ]
  }
  nb.table(
    headers: [
      "method", "trainable", "of all", "saved", "train time", "peak memory", "rise in training", "train acc.",
      "validation acc.",
    ], rows: rows, title: "the summary (mean ± sd over seeds; memory: mean over seeds, measured)")
  var table: [JSONValue] = []
  for m in methods {
    guard let r = runs[m], let first = r.first else { continue }
    table.append(
      .object([
        "method": .string(m.name), "trainable_params": .number(Double(first.trainable)),
        "all_params": .number(Double(first.all)), "saved_bytes": .number(Double(first.savedBytes)),
        "train_seconds": .array(r.map { .number($0.seconds) }),
        // Weights, and for each trainable number its gradient and AdamW's two moments.
        "train_memory_bytes_computed": .number(Double(4 * (first.all + 3 * first.trainable))),
        // Measured, so different on every run: named `_measured`, which the determinism check skips.
        "peak_rss_bytes_measured": .array(r.map { .number(Double($0.memory.peakBytes)) }),
        "start_rss_bytes_measured": .array(r.map { .number(Double($0.memory.startBytes)) }),
        "train_accuracy": .array(r.map { .number($0.trainAccuracy) }),
        "validation_accuracy": .array(r.map { .number($0.accuracy) }),
      ]))
  }
  nb.record("summary", .array(table))
  let full = meanAndSpread(runs[.full]!.map(\.accuracy)).mean
  let lora = meanAndSpread(runs[.lora(r: 8)]!.map(\.accuracy)).mean
  let fullSeconds = meanAndSpread(runs[.full]!.map(\.seconds)).mean
  let computed = { (m: Method) in Double(4 * 3 * (runs[m]!.first!.trainable)) }
  let rise = { (m: Method) in
    meanAndSpread(runs[m]!.map { Double($0.memory.peakBytes - $0.memory.startBytes) }).mean
  }
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
    and each adapted layer adds two thin products. Memory: gradients and AdamW's moments cost \
    \(kilobytes(Int(computed(.full)))) for full fine-tuning against \(kilobytes(Int(computed(.lora(r: 8))))) \
    for LoRA (computed, 12 bytes per trainable number); the measured rise in training was \
    \(nb.measured(megabytes([Int(rise(.full))]))) against \(nb.measured(megabytes([Int(rise(.lora(r: 8)))]))). \
    \(nb.measured(memoryVerdict(measuredGap: rise(.full) - rise(.lora(r: 8)), computedGap: computed(.full) - computed(.lora(r: 8))))) \
    The optimizer state scales with the model; the activations scale with the \
    batch and sequence length. On a model this small, the clear savings are storage and \
    optimizer memory, which is what matters when one base model serves many tasks.
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
