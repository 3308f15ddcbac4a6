// `getPeftModel`: a pre-trained classifier with one parameter-efficient method applied, as
// PEFT's `get_peft_model` returns a `PeftModelForSequenceClassification`:
//
//   LoRA            the target `Linear` layers are replaced by `LoraLinear` (in place); every
//                   other weight is frozen except the classifier head (`modules_to_save`)
//   prompt tuning   n trained vectors are put in front of the input's word embeddings
//   prefix tuning   every layer gets n trained keys and values in front of the tokens' own
//
// Parameter names follow PEFT's, so the saved adapter is PEFT's: under `base_model.model.`
// for LoRA (`base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight`), under
// `base_model.` for the prompt methods (`base_model.classifier.weight`).

import Foundation
import Models
import TensorCore
import Tokenizers
import Training

/// LoRA's level of the name path (PEFT's `LoraModel`): `base_model.model.…`.
public final class LoraModel: Module {
  /// The adapted classifier, its target layers replaced.
  public let model: Module

  init(_ model: Module) { self.model = model }
}

/// A reference the module walk does not follow (the model is walked once, under `base_model`).
struct Unwalked<T> {
  let value: T
}

/// A classifier adapted by LoRA, prompt tuning or prefix tuning (PEFT's `PeftModel`).
/// It is a `SequenceClassifier`, so the `Trainer` trains it as any model; only the adapter (and
/// the head) have `requiresGrad`.
public final class PeftModel: Module, SequenceClassifier {
  public let peftConfig: PeftConfig
  /// `base_model`: a `LoraModel` for LoRA, the classifier itself for the prompt methods.
  public let baseModel: Module
  /// `prompt_encoder`: the virtual tokens (prompt tuning).
  public let promptEncoder: PromptEmbedding?
  /// `prompt_encoder`: the per-layer prefixes (prefix tuning).
  public let prefixEncoder: PrefixEncoder?
  let wrapped: Unwalked<any PeftAdaptable>
  /// The base checkpoint's directory, written to `adapter_config.json`.
  public var baseModelNameOrPath: String?
  /// The module paths LoRA adapted, e.g. `bert.encoder.layer.0.attention.self.query`.
  public let targetedModules: [String]
  /// `modules_to_save` as written to the configuration (PEFT adds `classifier` and `score`).
  public let modulesToSave: [String]
  /// The names (in this model) of the parameters an adapter file stores.
  let adapterParameterNames: [String]

  /// The adapted classifier (its LoRA layers in place).
  public var base: any PeftAdaptable { wrapped.value }

  init(
    config: PeftConfig, model: any PeftAdaptable, targeted: [String], modulesToSave: [String],
    prompt: PromptEmbedding?, prefix: PrefixEncoder?
  ) {
    peftConfig = config
    if case .lora = config { baseModel = LoraModel(model) } else { baseModel = model }
    promptEncoder = prompt
    prefixEncoder = prefix
    wrapped = Unwalked(value: model)
    targetedModules = targeted
    self.modulesToSave = modulesToSave
    adapterParameterNames = []
    super.init()
  }

  private init(copying other: PeftModel, adapterParameterNames names: [String]) {
    peftConfig = other.peftConfig
    baseModel = other.baseModel
    promptEncoder = other.promptEncoder
    prefixEncoder = other.prefixEncoder
    wrapped = other.wrapped
    baseModelNameOrPath = other.baseModelNameOrPath
    targetedModules = other.targetedModules
    modulesToSave = other.modulesToSave
    adapterParameterNames = names
    super.init()
  }

  /// The same model, remembering which of its parameters are the adapter's.
  func withAdapterNames(_ names: [String]) -> PeftModel {
    PeftModel(copying: self, adapterParameterNames: names)
  }

  public override func parameterName(forProperty property: String) -> String {
    switch property {
    case "baseModel": return "base_model"
    case "promptEncoder", "prefixEncoder": return "prompt_encoder"
    default: return property
    }
  }

  // MARK: SequenceClassifier

  public var numLabels: Int { base.numLabels }
  public var basePrefix: String { base.basePrefix }

  public func logits(inputIds: [[Int]], attentionMask: [[Int]]) throws -> Tensor {
    try logits(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: nil)
  }

  /// (batch, numLabels) logits, the method applied as PEFT's forward pass applies it.
  public func logits(inputIds: [[Int]], attentionMask: [[Int]], tokenTypeIds: [[Int]]?) throws -> Tensor {
    let batch = inputIds.count
    if let promptEncoder {
      // PEFT prepends the prompts to the word embeddings, ones to the mask, zeros to the types.
      let n = promptEncoder.numVirtualTokens
      if n + (inputIds.first?.count ?? 0) > base.maxPositions {
        throw PeftError(
          "\(n) virtual tokens and \(inputIds.first?.count ?? 0) input tokens exceed the model's \(base.maxPositions) positions"
        )
      }
      let words = base.wordEmbeddings(inputIds)  // (batch, seq, hidden)
      let prompts = promptEncoder.prompts(batch: batch)  // (batch, n, hidden)
      return try base.logits(
        inputIds: nil, inputsEmbeds: Tensor.concat([prompts, words], axis: 1),
        attentionMask: attentionMask.map { [Int](repeating: 1, count: n) + $0 },
        tokenTypeIds: tokenTypeIds.map { $0.map { [Int](repeating: 0, count: n) + $0 } }, pastKeyValues: nil)
    }
    if let prefixEncoder {
      return try base.logits(
        inputIds: inputIds, inputsEmbeds: nil, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds,
        pastKeyValues: prefixEncoder.pastKeyValues(batch: batch))
    }
    return try base.logits(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds)
  }

  /// Writes the adapter (`savePretrained`), so a Trainer's `saveModel` and checkpoints hold it.
  public func save(to directory: URL) throws { try savePretrained(directory) }

  // MARK: Merging

  /// The base classifier with every LoRA update added into its weights and the `LoraLinear`
  /// layers replaced by plain `Linear` layers (PEFT's `merge_and_unload()`): the same outputs,
  /// the speed and the checkpoint of the original architecture. Not in place: this model keeps
  /// its adapters. Only LoRA merges; prompt and prefix tuning keep their extra positions.
  public func mergeAndUnload() throws -> any PeftAdaptable {
    guard case .lora = peftConfig else {
      throw PeftError(
        "mergeAndUnload: only LoRA adapters merge into the weights (this is \(peftConfig.peftType))")
    }
    let model = base
    try model.replaceModules { _, module in (module as? LoraLinear)?.mergedLinear() }
    return model
  }

  /// The adapter's parameters with the names an adapter file gives them.
  public func adapterStateDict() -> [(name: String, tensor: Tensor)] {
    let wanted = Set(adapterParameterNames)
    return namedParameters().filter { wanted.contains($0.name) }.map { name, tensor in
      name.hasPrefix("prompt_encoder.") ? ("prompt_embeddings", tensor) : (name, tensor)
    }
  }
}

// MARK: - get_peft_model

/// `model` with `config`'s method applied (PEFT's `get_peft_model`): the base weights frozen,
/// the adapter (and, for classification, the head) trainable. `generator` draws the adapter's
/// initial weights (LoRA's A, the prompts); `tokenizer` reads a prompt's initialisation text. Throws when a LoRA target matches no layer.
///
///     let model = try BertForSequenceClassification.fromPretrained(dir, labelNames: labels)
///     let peft = try getPeftModel(model, .lora(LoraConfig(r: 8)))
///     peft.printTrainableParameters()
public func getPeftModel(
  _ model: any PeftAdaptable, _ config: PeftConfig, tokenizer: (any Tokenizer)? = nil,
  generator: Generator = .default
) throws -> PeftModel {
  model.freeze()
  let headNames = ["classifier", "score"]
  let (layers, heads, hidden) = model.transformerShape
  var targeted: [String] = []
  var modulesToSave: [String] = []
  var prompt: PromptEmbedding?
  var prefix: PrefixEncoder?
  switch config {
  case .lora(let lora):
    try lora.validate()
    guard let targets = lora.targetModules ?? LoraConfig.defaultTargetModules(modelType: model.modelType)
    else {
      throw PeftError(
        "LoraConfig: no default target_modules for model_type \"\(model.modelType)\"; name them")
    }
    var matched = Set<String>()
    targeted = try model.replaceModules { path, module in
      guard let linear = module as? Linear, !(module is LoraLinear),
        let entry = targets.first(where: { path == $0 || path.hasSuffix("." + $0) })
      else { return nil }
      matched.insert(entry)
      return LoraLinear(
        wrapping: linear, r: lora.r, loraAlpha: lora.loraAlpha, loraDropout: lora.loraDropout,
        initLoraWeights: lora.initLoraWeights, generator: generator)
    }
    // PEFT silently skips names that match nothing; a typo would then train only the head.
    if let missing = targets.first(where: { !matched.contains($0) }) {
      let linears = model.namedModules().filter { $0.module is Linear }.map(\.name)
      throw PeftError(
        "target_modules: \"\(missing)\" matches no Linear layer of the \(model.modelType) model; its Linear layers are "
          + linears.prefix(8).joined(separator: ", ") + (linears.count > 8 ? ", …" : ""))
    }
    modulesToSave = (lora.modulesToSave ?? []) + (lora.taskType == .seqCls ? headNames : [])
    if lora.bias == "all" {  // every bias of the model, LayerNorm's included, as PEFT
      for (name, t) in model.namedParameters() where name.hasSuffix("bias") { t.requiresGrad = true }
    } else if lora.bias == "lora_only" {
      for (_, module) in model.namedModules() { (module as? LoraLinear)?.bias?.requiresGrad = true }
    }
  case .promptTuning(let c):
    guard c.numVirtualTokens >= 1 else {
      throw PeftError("PromptTuningConfig: num_virtual_tokens must be at least 1, got \(c.numVirtualTokens)")
    }
    prompt = try PromptEmbedding(c, model: model, tokenizer: tokenizer, generator: generator)
    modulesToSave = c.taskType == .seqCls ? headNames : []
  case .prefixTuning(let c):
    guard c.numVirtualTokens >= 1 else {
      throw PeftError("PrefixTuningConfig: num_virtual_tokens must be at least 1, got \(c.numVirtualTokens)")
    }
    prefix = PrefixEncoder(c, layers: layers, heads: heads, hidden: hidden, generator: generator)
    modulesToSave = c.taskType == .seqCls ? headNames : []
  }
  // The head trains in full (PEFT's modules_to_save); the kit trains it in place, without
  // PEFT's second copy.
  for (path, module) in model.namedModules() where !path.isEmpty {
    if modulesToSave.contains(where: { path == $0 || path.hasSuffix("." + $0) }) { module.unfreeze() }
  }
  let peft = PeftModel(
    config: config, model: model, targeted: targeted, modulesToSave: modulesToSave, prompt: prompt,
    prefix: prefix)
  let names = peft.namedParameters().filter(\.tensor.requiresGrad).map(\.name)
  return peft.withAdapterNames(names)
}
