// `course quantize` and `course prune`: compress a fine-tuned classifier checkpoint.
//
//   quantize   every Linear weight to int8, one scale per output channel (PyTorch's
//              quantize_dynamic with per-channel weights); model.safetensors stores I8 weights
//              plus `<name>_scale`. `course predict` reads it back and runs the int8 kernel.
//   prune      global magnitude pruning of the encoder's Linear weights to --sparsity (the
//              classifier head is left whole); a Float checkpoint with zeros.

import CourseTools
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

/// `course prune --model DIR --output DIR --sparsity S`.
struct Prune: CourseCommand {
  @Option("--model", value: "DIR", help: "a fine-tuned classifier checkpoint (course finetune --output)")
  var model: String
  @Option("--output", value: "DIR", help: "where the pruned checkpoint goes")
  var output: String
  @Option("--sparsity", value: "S", help: "the share of the encoder's Linear weights set to zero, in [0, 1]")
  var sparsity: Double

  func run() throws -> Int32 {
    guard (0...1).contains(sparsity) else {
      throw CourseToolError("--sparsity: must be in [0, 1], got \(sparsity)")
    }
    let loaded = try PretrainedClassifier.fromPretrained(URL(fileURLWithPath: model))
    let heads = ["classifier.", "score."]
    let linearWeights = Set(
      loaded.model.namedModules().filter { $0.module is Linear }.map { $0.name + ".weight" })
    let masks = loaded.model.globalMagnitudePrune(sparsity: sparsity) { name, _ in
      linearWeights.contains(name) && !heads.contains(where: name.hasPrefix)
    }
    try writeCheckpoint(loaded, to: URL(fileURLWithPath: output)) {
      try loaded.model.save(to: URL(fileURLWithPath: output))
    }
    print(
      "pruned \(String(format: "%.1f", 100 * masks.sparsity))% of \(masks.masks.values.map(\.count).reduce(0, +)) weights in \(masks.masks.count) Linear layers (global magnitude, the head left whole); saved to \(output)"
    )
    return 0
  }
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
