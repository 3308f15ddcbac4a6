// `course finetune --peft lora|prompt|prefix`: parameter-efficient fine-tuning from the command
// line, with PEFT's option names and defaults. The run trains the adapter (and the classifier
// head) only; `--output` then holds the adapter in PEFT's layout (adapter_config.json naming the
// base model + adapter_model.safetensors), or with `--merge` the merged full model.
// `course predict --model ADAPTER_DIR` reads an adapter directory (PredictAdapter below).

import CourseTools
import Foundation
import Models
import PEFT
import TensorCore
import Training

/// The parameter-efficient method of a run (`--peft`).
enum PeftMethod: String, CaseIterable, OptionValue {
  case none, lora, prompt, prefix

  init?(optionText text: String) { self.init(rawValue: text) }
  static var expected: String { "one of none, lora, prompt, prefix" }
  static var placeholder: String { "none|lora|prompt|prefix" }
  var optionText: String? { rawValue }
}

/// `finetune`'s PEFT options.
struct PeftOptions: OptionGroup {
  @Option("--peft", help: "train an adapter only: LoRA, prompt tuning or prefix tuning (PEFT's methods)")
  var peft = PeftMethod.none
  @Option("--lora-r", .atLeast(1), help: "LoRA's rank r")
  var loraR = 8
  @Option("--lora-alpha", .above(0), help: "LoRA's α: the update is scaled by α / r")
  var loraAlpha = 8.0
  @Option("--lora-dropout", .atLeast(0), help: "dropout on the LoRA update's input")
  var loraDropout = 0.0
  @Option(
    "--target-modules", value: "A,B,...",
    help: "the Linear layers LoRA adapts (default: query,value for BERT/RoBERTa, c_attn for GPT-2)")
  var targetModules: String? = nil
  @Option("--num-virtual-tokens", .atLeast(1), help: "prompt/prefix tuning's virtual tokens")
  var numVirtualTokens = 20
  @Option("--prefix-projection", help: "prefix tuning through the reparameterisation MLP")
  var prefixProjection = false
  @Flag("--merge", help: "with --peft lora: save the merged full model instead of the adapter")
  var merge: Bool

  /// The configuration the options describe, nil without `--peft`.
  func config() throws -> PeftConfig? {
    if peft != .lora {
      for (name, set) in [("--merge", merge), ("--target-modules", targetModules != nil)] where set {
        throw CourseToolError("\(name): only with --peft lora")
      }
    }
    guard loraDropout < 1 else {
      throw CourseToolError("--lora-dropout: must be below 1, got \(loraDropout)")
    }
    switch peft {
    case .none: return nil
    case .lora:
      let targets = targetModules.map {
        $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      }
      if let targets, targets.isEmpty || targets.contains(where: \.isEmpty) {
        throw CourseToolError("--target-modules: name at least one module, as query,value")
      }
      return .lora(
        LoraConfig(
          r: loraR, loraAlpha: Float(loraAlpha), loraDropout: Float(loraDropout), targetModules: targets))
    case .prompt: return .promptTuning(PromptTuningConfig(numVirtualTokens: numVirtualTokens))
    case .prefix:
      return .prefixTuning(
        PrefixTuningConfig(numVirtualTokens: numVirtualTokens, prefixProjection: prefixProjection))
    }
  }

  /// The model to train: `loaded`'s classifier, adapted when `--peft` is given (its trainable
  /// count printed, as PEFT's `print_trainable_parameters()`).
  func adapt(_ loaded: PretrainedClassifier, modelPath: String, seed: UInt64) throws -> any SequenceClassifier
  {
    guard let config = try config() else { return loaded.model }
    guard let model = loaded.model as? any PeftAdaptable else {
      throw CourseToolError("--peft: a \(loaded.modelType) classifier cannot take an adapter")
    }
    let peftModel: PeftModel
    do {
      peftModel = try getPeftModel(
        model, config, tokenizer: loaded.tokenizer, generator: Generator(seed: seed))
    } catch let error as PeftError {
      throw CourseToolError("--peft \(peft.rawValue): \(error)")
    }
    peftModel.baseModelNameOrPath = modelPath
    print(peftModel.trainableParametersSummary())
    if !peftModel.targetedModules.isEmpty {
      print(
        "LoRA on \(peftModel.targetedModules.count) layers: \(peftModel.targetedModules.joined(separator: ", "))"
      )
    }
    return peftModel
  }

  /// Saves the trained model to `directory`: the adapter, or with `--merge` the merged full
  /// model; the tokenizer goes beside a full model.
  func save(_ model: any SequenceClassifier, loaded: PretrainedClassifier, to directory: URL) throws {
    guard let peftModel = model as? PeftModel else {
      try model.save(to: directory)
      try loaded.tokenizer.save(to: directory)
      print("saved the fine-tuned model to \(directory.path)")
      return
    }
    if merge {
      let merged = try peftModel.mergeAndUnload()
      merged.unfreeze()
      try merged.save(to: directory)
      try loaded.tokenizer.save(to: directory)
      print("saved the merged model (LoRA added into the weights) to \(directory.path)")
    } else {
      try peftModel.savePretrained(directory)
      try writeLabels(loaded.labelNames ?? [], to: directory)
      let size =
        (try? FileManager.default.attributesOfItem(
          atPath: directory.appendingPathComponent(adapterWeightsName).path)[.size] as? Int) ?? 0
      print(
        "saved the adapter (\(size) bytes; base model \(peftModel.baseModelNameOrPath ?? "?")) to \(directory.path)"
      )
    }
  }
}

/// The classes of an adapter's head, beside the adapter (PEFT keeps them in the base model's
/// config; the kit's base checkpoints are shared, so the adapter carries its own).
let adapterLabelsName = "labels.txt"

func writeLabels(_ labels: [String], to directory: URL) throws {
  guard !labels.isEmpty else { return }
  try (labels.joined(separator: "\n") + "\n").write(
    to: directory.appendingPathComponent(adapterLabelsName), atomically: true, encoding: .utf8)
}

/// The classifier `course predict --model DIR` uses: a full checkpoint, or an adapter directory
/// applied to the base model its adapter_config.json names.
func loadClassifierOrAdapter(_ directory: URL, maxLength: Int) throws -> (
  model: any SequenceClassifier, loaded: PretrainedClassifier
) {
  guard isAdapterDirectory(directory) else {
    let int8 = quantizedWeightNames(in: directory)
    let loaded =
      int8.isEmpty
      ? try PretrainedClassifier.fromPretrained(directory, maxLength: maxLength)
      : try loadQuantizedClassifier(directory, names: int8, maxLength: maxLength)
    return (loaded.model, loaded)
  }
  let labelsURL = directory.appendingPathComponent(adapterLabelsName)
  let labels = (try? String(contentsOf: labelsURL, encoding: .utf8))?.split(whereSeparator: \.isNewline).map(
    String.init)
  do {
    let (model, loaded) = try loadAdapterClassifier(directory, labelNames: labels, maxLength: maxLength)
    return (model, loaded)
  } catch let error as PeftError {
    throw CourseToolError("--model: \(error)")
  }
}
