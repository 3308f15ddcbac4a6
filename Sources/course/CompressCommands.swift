// `course quantize` and `course prune`: compress a fine-tuned classifier checkpoint.
//
//   quantize   every Linear weight to int8, one scale per output channel (PyTorch's
//              quantize_dynamic with per-channel weights); model.safetensors stores I8 weights
//              plus `<name>_scale`. `course predict` reads it back and runs the int8 kernel.
//   prune      global magnitude pruning of the encoder's Linear weights to --sparsity (the
//              classifier head is left whole); a Float checkpoint with zeros. And/or attention
//              heads removed from the matrices: --prune-heads "0:1,3;1:2" names them, --heads N
//              --data FILE removes the N least important (Michel et al., on FILE's examples);
//              config.json records pruned_heads (HeadPruning.swift).

import CourseTools
import Datasets
import Foundation
import Models
import PEFT
import TensorCore
import Tokenizers
import Training

/// `course quantize --model DIR --output DIR`.
struct Quantize: CourseCommand {
  @Option("--model", value: "DIR", help: "a fine-tuned classifier checkpoint (course finetune --output)")
  var model: String
  @Option("--output", value: "DIR", help: "where the int8 checkpoint goes")
  var output: String

  func run() throws -> Int32 {
    let source = URL(fileURLWithPath: model)
    let loaded = try PretrainedClassifier.fromPretrained(source)
    let replaced = try loaded.model.quantizeDynamic()
    let directory = URL(fileURLWithPath: output)
    try writeCheckpoint(loaded, to: directory) { try loaded.model.saveQuantizedWeights(to: directory) }
    let before = fileSize(source.appendingPathComponent("model.safetensors"))
    let after = fileSize(directory.appendingPathComponent("model.safetensors"))
    print(
      "quantized \(replaced.count) Linear layers to int8 (per-channel scales); model.safetensors \(before) → \(after) bytes (\(String(format: "%.2f", Double(before) / Double(max(after, 1))))× smaller); saved to \(output)"
    )
    return 0
  }
}

/// `course prune --model DIR --output DIR [--sparsity S] [--prune-heads SPEC | --heads N --data FILE]`.
struct Prune: CourseCommand {
  @Option("--model", value: "DIR", help: "a fine-tuned classifier checkpoint (course finetune --output)")
  var model: String
  @Option("--output", value: "DIR", help: "where the pruned checkpoint goes")
  var output: String
  @Option("--sparsity", value: "S", help: "the share of the encoder's Linear weights set to zero, in [0, 1]")
  var sparsity: Double? = nil
  @Option(
    "--prune-heads", value: "SPEC",
    help: "attention heads to remove, LAYER:HEAD,HEAD;LAYER:HEAD (e.g. \"0:1,3;1:2\"), numbered from 0")
  var pruneHeads: String? = nil
  @Option("--heads", .atLeast(1), help: "remove the N least important attention heads (needs --data)")
  var heads: Int? = nil
  @Option("--data", value: "FILE", help: "labelled examples that rank the heads for --heads (first 256 used)")
  var data: String? = nil
  @Option("--max-length", .atLeast(2), help: "tokens per example of --data, longer ones truncated")
  var maxLength = 128

  func run() throws -> Int32 {
    if let sparsity, !(0...1).contains(sparsity) {
      throw CourseToolError("--sparsity: must be in [0, 1], got \(sparsity)")
    }
    guard sparsity != nil || pruneHeads != nil || heads != nil else {
      throw CourseToolError(
        "give --sparsity S, --prune-heads SPEC or --heads N --data FILE: nothing to prune")
    }
    if pruneHeads != nil, heads != nil {
      throw CourseToolError(
        "--prune-heads and --heads: give one of them (named heads, or the N least important)")
    }
    if heads != nil, data == nil { throw CourseToolError("--heads N needs --data FILE to rank the heads") }
    if data != nil, heads == nil { throw CourseToolError("--data is only used with --heads N") }
    let requested = try pruneHeads.map(parseHeadSpec)
    let loaded = try PretrainedClassifier.fromPretrained(URL(fileURLWithPath: model), maxLength: maxLength)
    var report: [String] = []
    if requested != nil || heads != nil {
      report.append(try removeHeads(loaded, requested: requested))
    }
    if let sparsity {
      let heads = ["classifier.", "score."]
      let linearWeights = Set(
        loaded.model.namedModules().filter { $0.module is Linear }.map { $0.name + ".weight" })
      let masks = loaded.model.globalMagnitudePrune(sparsity: sparsity) { name, _ in
        linearWeights.contains(name) && !heads.contains(where: name.hasPrefix)
      }
      report.append(
        "pruned \(String(format: "%.1f", 100 * masks.sparsity))% of \(masks.masks.values.map(\.count).reduce(0, +)) weights in \(masks.masks.count) Linear layers (global magnitude, the head left whole)"
      )
    }
    try writeCheckpoint(loaded, to: URL(fileURLWithPath: output)) {
      try loaded.model.save(to: URL(fileURLWithPath: output))
    }
    print(report.joined(separator: "; ") + "; saved to \(output)")
    return 0
  }

  /// Removes the requested heads, or the `--heads` least important on `--data`; says what it did.
  func removeHeads(_ loaded: PretrainedClassifier, requested: [Int: [Int]]?) throws -> String {
    guard let prunable = loaded.model as? any HeadPrunable, let adaptable = loaded.model as? any PeftAdaptable
    else {
      throw CourseToolError(
        "--prune-heads/--heads: a \(loaded.modelType) checkpoint cannot have heads removed; BERT, RoBERTa and GPT-2 can"
      )
    }
    let before = (prunable.headsPerLayer, loaded.model.parameterCount())
    var chosen: [Int: [Int]]
    if let requested {
      chosen = requested
    } else {
      let importance = try headImportance(adaptable, batches: try rankingBatches(loaded))
      let order = leastImportantHeads(prunable, importance: importance)
      guard let n = heads, n <= order.count else {
        throw CourseToolError(
          "--heads \(heads ?? 0): the model has \(order.count) removable heads (\(before.0.reduce(0, +)) in all; each layer keeps one)"
        )
      }
      chosen = Dictionary(grouping: order.prefix(n), by: \.layer).mapValues { $0.map(\.head) }
    }
    do { try prunable.pruneHeads(chosen) } catch let error as HeadPruningError {
      throw CourseToolError("--prune-heads: \(error.description)")
    }
    let named = chosen.keys.sorted().map {
      "\($0):\(chosen[$0]!.sorted().map(String.init).joined(separator: ","))"
    }
    return
      "removed attention heads \(named.joined(separator: ";")) (heads per layer \(before.0) → \(prunable.headsPerLayer), parameters \(before.1) → \(loaded.model.parameterCount()))"
  }

  /// Batches of 32 from the first 256 examples of `--data`, to rank the heads.
  func rankingBatches(_ loaded: PretrainedClassifier) throws -> [ClassificationBatch] {
    let path = data!
    let examples = Array(
      try readExamples(URL(fileURLWithPath: path), format: DataFormat(inferredFrom: path)).examples.prefix(
        256))
    guard !examples.isEmpty else {
      throw CourseToolError("--data \(path): no examples to rank the heads with")
    }
    let names = loaded.labelNames ?? (0..<loaded.model.numLabels).map { "LABEL_\($0)" }
    let labels = try labelIndices(examples, names: names, file: path)
    return stride(from: 0, to: examples.count, by: 32).map { start in
      let rows = Array(start..<min(start + 32, examples.count))
      let padded = loaded.collator(
        rows.map { loaded.collator.encode(examples[$0].text, pair: examples[$0].textPair) })
      return ClassificationBatch(
        inputIds: padded.inputIds, attentionMask: padded.attentionMask, labels: rows.map { labels[$0] })
    }
  }
}

/// "0:1,3;1:2" → [0: [1, 3], 1: [2]], or an error naming `--prune-heads` and the expected form.
func parseHeadSpec(_ spec: String) throws -> [Int: [Int]] {
  let expected = "expected LAYER:HEAD,HEAD;LAYER:HEAD with numbers from 0, e.g. \"0:1,3;1:2\""
  var result: [Int: [Int]] = [:]
  for part in spec.split(separator: ";", omittingEmptySubsequences: false) {
    let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
    let heads = pieces.count == 2 ? pieces[1].split(separator: ",", omittingEmptySubsequences: false) : []
    guard pieces.count == 2, let layer = Int(pieces[0].trimmingCharacters(in: .whitespaces)), layer >= 0,
      !heads.isEmpty
    else {
      throw CourseToolError("--prune-heads \"\(spec)\": \"\(part)\" is not LAYER:HEADS; \(expected)")
    }
    for head in heads {
      guard let h = Int(head.trimmingCharacters(in: .whitespaces)), h >= 0 else {
        throw CourseToolError("--prune-heads \"\(spec)\": \"\(head)\" is not a head number; \(expected)")
      }
      result[layer, default: []].append(h)
    }
  }
  return result
}

/// Writes config.json (and the Float weights) through `model.save`, then `weights`, then the tokenizer.
func writeCheckpoint(_ loaded: PretrainedClassifier, to directory: URL, weights: () throws -> Void) throws {
  try loaded.model.save(to: directory)
  try weights()
  try loaded.tokenizer.save(to: directory)
}

func fileSize(_ url: URL) -> Int {
  ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int) ?? 0
}

/// Whether `directory/model.safetensors` holds int8 weights (a `course quantize` checkpoint).
func quantizedWeightNames(in directory: URL) -> Set<String> {
  guard let file = try? SafetensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
  else {
    return []
  }
  return Set(file.entries.filter { $0.value.dtype == .i8 }.map(\.key))
}

/// A classifier from an int8 checkpoint: its weights dequantized into a temporary Float copy,
/// loaded as usual, then the same layers quantized again, which gives back the stored int8
/// values and scales (a dequantized row reaches ±127·scale exactly).
func loadQuantizedClassifier(_ directory: URL, names: Set<String>, maxLength: Int) throws
  -> PretrainedClassifier
{
  let file = try SafetensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
  var tensors: [(name: String, tensor: Tensor)] = []
  for name in file.entries.keys.sorted()
  where !name.hasSuffix("_scale") || !names.contains(String(name.dropLast(6))) {
    guard names.contains(name) else {
      tensors.append((name, try file.tensor(name)))
      continue
    }
    let weight = try file.quantizedWeight(name).dequantized()  // (out, in), as the kit holds it
    // GPT-2's projections are (in, out) in a Float checkpoint (its Conv1D layout).
    let conv1D = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]
    tensors.append(
      (name, conv1D.contains(where: name.hasSuffix) ? noGrad { weight.transpose(0, 1) } : weight))
  }
  let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("course-int8-\(UUID())")
  defer { try? FileManager.default.removeItem(at: temporary) }
  try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
  for item in try FileManager.default.contentsOfDirectory(atPath: directory.path)
  where item != "model.safetensors" {
    try? FileManager.default.copyItem(
      at: directory.appendingPathComponent(item), to: temporary.appendingPathComponent(item))
  }
  try SafetensorsFile.write(tensors, to: temporary.appendingPathComponent("model.safetensors"))
  let loaded = try PretrainedClassifier.fromPretrained(temporary, maxLength: maxLength)
  let prefixes = Set(names.map { String($0.dropLast(".weight".count)) })
  try loaded.model.quantizeDynamic { prefixes.contains($0) }
  return loaded
}
