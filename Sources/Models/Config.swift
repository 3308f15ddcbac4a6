// Model configurations, field for field Hugging Face's `config.json`.

import Foundation
import TensorCore

/// Why a configuration cannot be used: names the field and what was expected.
public struct ConfigError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// A BERT-style encoder's shape and regularisation (Hugging Face's `BertConfig`, same names and
/// defaults: BERT-base).
public struct BertConfig: Codable, Equatable, Sendable {
  public var vocabSize = 30522
  public var hiddenSize = 768
  public var numHiddenLayers = 12
  public var numAttentionHeads = 12
  public var intermediateSize = 3072
  /// The feed-forward activation: `gelu` (erf form, BERT's) by default.
  public var hiddenAct = Activation.gelu
  public var hiddenDropoutProb: Float = 0.1
  public var attentionProbsDropoutProb: Float = 0.1
  public var maxPositionEmbeddings = 512
  public var typeVocabSize = 2
  public var initializerRange: Float = 0.02
  public var layerNormEps: Float = 1e-12
  public var padTokenId = 0
  /// The number of classes of a sequence-classification head.
  public var numLabels = 2
  /// Class names by id (`{"0": "negative", …}`) and the reverse, as a fine-tuned checkpoint
  /// stores them.
  public var id2label: [String: String]?
  public var label2id: [String: Int]?
  /// What the classification head reads: `"cls"`, the first token's state through the pooler
  /// (BERT's, the default, and the only one transformers' `BertForSequenceClassification` has),
  /// or `"mean"`, the mean over real tokens, a kit extension (ModernBERT's `classifier_pooling`
  /// has the same two values). A checkpoint pre-trained by MLM alone never trained its [CLS]
  /// state, and Lesson 5 measures what that costs; `transformersMismatch` says what a mean-pooled
  /// checkpoint means for transformers.
  public var classifierPooling = "cls"
  public var modelType = "bert"
  /// The attention heads removed, by layer, with their original numbers (`{"0": [1, 3]}`):
  /// transformers 4.x's `pruned_heads`, which the model applies when it is built so that a
  /// pruned checkpoint's weights fit (HeadPruning.swift). nil when none are.
  public var prunedHeads: [String: [Int]]?

  public init() {}

  /// A configuration with the given sizes and BERT-base's other defaults, as
  /// `BertConfig(vocab_size=..., hidden_size=..., ...)` in transformers.
  public init(
    vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int,
    maxPositionEmbeddings: Int = 512, numLabels: Int = 2
  ) {
    self.vocabSize = vocabSize
    self.hiddenSize = hiddenSize
    self.numHiddenLayers = numHiddenLayers
    self.numAttentionHeads = numAttentionHeads
    self.intermediateSize = intermediateSize
    self.maxPositionEmbeddings = maxPositionEmbeddings
    self.numLabels = numLabels
  }

  /// A tiny configuration for tests and demonstrations: the sized initializer with small
  /// defaults (16 wide, 1 layer, 2 heads, 32 inner, 16 positions).
  public static func tiny(
    vocabSize: Int, hiddenSize: Int = 16, numHiddenLayers: Int = 1, numAttentionHeads: Int = 2,
    intermediateSize: Int = 32, maxPositionEmbeddings: Int = 16, numLabels: Int = 2
  ) -> BertConfig {
    BertConfig(
      vocabSize: vocabSize, hiddenSize: hiddenSize, numHiddenLayers: numHiddenLayers,
      numAttentionHeads: numAttentionHeads, intermediateSize: intermediateSize,
      maxPositionEmbeddings: maxPositionEmbeddings, numLabels: numLabels)
  }

  enum CodingKeys: String, CodingKey {
    case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
    case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
    case hiddenAct = "hidden_act", hiddenDropoutProb = "hidden_dropout_prob"
    case attentionProbsDropoutProb = "attention_probs_dropout_prob"
    case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
    case initializerRange = "initializer_range", layerNormEps = "layer_norm_eps"
    case padTokenId = "pad_token_id", numLabels = "num_labels", modelType = "model_type"
    case id2label, label2id, classifierPooling = "classifier_pooling"
    case prunedHeads = "pruned_heads"
  }

  /// Reads every field that is present and keeps the default for the others, as
  /// `PretrainedConfig` does.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
      if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
    }
    try read(.vocabSize, &vocabSize)
    try read(.hiddenSize, &hiddenSize)
    try read(.numHiddenLayers, &numHiddenLayers)
    try read(.numAttentionHeads, &numAttentionHeads)
    try read(.intermediateSize, &intermediateSize)
    try read(.hiddenAct, &hiddenAct)
    try read(.hiddenDropoutProb, &hiddenDropoutProb)
    try read(.attentionProbsDropoutProb, &attentionProbsDropoutProb)
    try read(.maxPositionEmbeddings, &maxPositionEmbeddings)
    try read(.typeVocabSize, &typeVocabSize)
    try read(.initializerRange, &initializerRange)
    try read(.layerNormEps, &layerNormEps)
    try read(.padTokenId, &padTokenId)
    try read(.numLabels, &numLabels)
    try read(.modelType, &modelType)
    id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
    label2id = try c.decodeIfPresent([String: Int].self, forKey: .label2id)
    if let id2label { numLabels = id2label.count }  // transformers derives num_labels from id2label
    try read(.classifierPooling, &classifierPooling)
    prunedHeads = try c.decodeIfPresent([String: [Int]].self, forKey: .prunedHeads)
  }

  /// Why transformers will not compute what the kit computes with this configuration, or `nil`
  /// when it will: transformers' `BertForSequenceClassification` ignores `classifier_pooling`
  /// and always pools [CLS], so a mean-pooled classifier loads there without a warning and gives
  /// other probabilities. Saving a classifier prints this, and `course finetune`'s model card
  /// repeats it.
  public var transformersMismatch: String? {
    guard classifierPooling == "mean" else { return nil }
    return """
      WARNING: classifier_pooling is "mean", a kit extension: the classification head reads the mean \
      of the token states. Hugging Face transformers' BertForSequenceClassification ignores \
      classifier_pooling and always reads the [CLS] state, so it loads this checkpoint without a \
      warning and computes DIFFERENT probabilities. For a checkpoint transformers reproduces, \
      fine-tune with classifier_pooling "cls" (the default).
      """
  }

  /// Stops with a clear message if the sizes cannot make a model.
  public func validate() throws {
    for (name, value) in [
      ("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers),
      ("num_attention_heads", numAttentionHeads), ("intermediate_size", intermediateSize),
      ("max_position_embeddings", maxPositionEmbeddings), ("type_vocab_size", typeVocabSize),
    ] where value <= 0 {
      throw ConfigError("\(name) must be positive, got \(value)")
    }
    try checkParameterBudget(
      vocabulary: Double(vocabSize) + Double(maxPositionEmbeddings), width: hiddenSize,
      layers: numHiddenLayers, inner: Double(intermediateSize))
    if hiddenSize % numAttentionHeads != 0 {
      throw ConfigError(
        "hidden_size (\(hiddenSize)) must be a multiple of num_attention_heads (\(numAttentionHeads))")
    }
    if !["cls", "mean"].contains(classifierPooling) {
      throw ConfigError("classifier_pooling \"\(classifierPooling)\" is not supported (cls, mean)")
    }
    try validatePrunedHeads(prunedHeads, layers: numHiddenLayers, heads: numAttentionHeads)
  }
}

/// A GPT-2-style decoder's configuration (Hugging Face's `GPT2Config`, same names and defaults:
/// GPT-2 small).
public struct GPT2Config: Codable, Equatable, Sendable {
  public var vocabSize = 50257
  public var nPositions = 1024
  public var nEmbd = 768
  public var nLayer = 12
  public var nHead = 12
  /// The MLP's inner size; `nil` means 4 × nEmbd.
  public var nInner: Int?
  /// The MLP's activation: `gelu_new` (the tanh approximation, GPT-2's) by default.
  public var activationFunction = Activation.geluNew
  public var residPdrop: Float = 0.1
  public var embdPdrop: Float = 0.1
  public var attnPdrop: Float = 0.1
  public var layerNormEpsilon: Float = 1e-5
  public var initializerRange: Float = 0.02
  public var bosTokenId = 50256
  public var eosTokenId = 50256
  /// The padding id a classification head uses to find each sequence's last real token.
  public var padTokenId: Int?
  public var numLabels = 2
  /// Class names by id and the reverse, as a fine-tuned checkpoint stores them.
  public var id2label: [String: String]?
  public var label2id: [String: Int]?
  public var modelType = "gpt2"
  /// The attention heads removed, by layer (original numbers), as `BertConfig.prunedHeads`.
  public var prunedHeads: [String: [Int]]?

  public init() {}

  /// A configuration with the given sizes and GPT-2 small's other defaults, as
  /// `GPT2Config(vocab_size=..., n_positions=..., ...)` in transformers.
  public init(
    vocabSize: Int, nPositions: Int, nEmbd: Int, nLayer: Int, nHead: Int, nInner: Int? = nil,
    numLabels: Int = 2
  ) {
    self.vocabSize = vocabSize
    self.nPositions = nPositions
    self.nEmbd = nEmbd
    self.nLayer = nLayer
    self.nHead = nHead
    self.nInner = nInner
    self.numLabels = numLabels
  }

  /// A tiny configuration for tests and demonstrations: the sized initializer with small
  /// defaults (16 positions, 16 wide, 1 layer, 2 heads).
  public static func tiny(
    vocabSize: Int, nPositions: Int = 16, nEmbd: Int = 16, nLayer: Int = 1, nHead: Int = 2,
    nInner: Int? = nil,
    numLabels: Int = 2
  ) -> GPT2Config {
    GPT2Config(
      vocabSize: vocabSize, nPositions: nPositions, nEmbd: nEmbd, nLayer: nLayer, nHead: nHead,
      nInner: nInner,
      numLabels: numLabels)
  }

  enum CodingKeys: String, CodingKey {
    case vocabSize = "vocab_size", nPositions = "n_positions", nEmbd = "n_embd", nLayer = "n_layer"
    case nHead = "n_head", nInner = "n_inner", activationFunction = "activation_function"
    case residPdrop = "resid_pdrop", embdPdrop = "embd_pdrop", attnPdrop = "attn_pdrop"
    case layerNormEpsilon = "layer_norm_epsilon", initializerRange = "initializer_range"
    case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", padTokenId = "pad_token_id"
    case numLabels = "num_labels", modelType = "model_type", id2label, label2id
    case prunedHeads = "pruned_heads"
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
      if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
    }
    try read(.vocabSize, &vocabSize)
    try read(.nPositions, &nPositions)
    try read(.nEmbd, &nEmbd)
    try read(.nLayer, &nLayer)
    try read(.nHead, &nHead)
    nInner = try c.decodeIfPresent(Int.self, forKey: .nInner)
    try read(.activationFunction, &activationFunction)
    try read(.residPdrop, &residPdrop)
    try read(.embdPdrop, &embdPdrop)
    try read(.attnPdrop, &attnPdrop)
    try read(.layerNormEpsilon, &layerNormEpsilon)
    try read(.initializerRange, &initializerRange)
    try read(.bosTokenId, &bosTokenId)
    try read(.eosTokenId, &eosTokenId)
    padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
    try read(.numLabels, &numLabels)
    try read(.modelType, &modelType)
    id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
    label2id = try c.decodeIfPresent([String: Int].self, forKey: .label2id)
    if let id2label { numLabels = id2label.count }
    prunedHeads = try c.decodeIfPresent([String: [Int]].self, forKey: .prunedHeads)
  }

  /// The MLP's inner size.
  public var innerSize: Int { nInner ?? 4 * nEmbd }

  public func validate() throws {
    for (name, value) in [
      ("vocab_size", vocabSize), ("n_positions", nPositions), ("n_embd", nEmbd), ("n_layer", nLayer),
      ("n_head", nHead), ("n_inner", nInner ?? 1),
    ] where value <= 0 {
      throw ConfigError("\(name) must be positive, got \(value)")
    }
    // Not innerSize: 4 × a huge n_embd would overflow before the budget refuses it.
    try checkParameterBudget(
      vocabulary: Double(vocabSize) + Double(nPositions), width: nEmbd, layers: nLayer,
      inner: nInner.map(Double.init) ?? 4 * Double(nEmbd))
    if nEmbd % nHead != 0 { throw ConfigError("n_embd (\(nEmbd)) must be a multiple of n_head (\(nHead))") }
    try validatePrunedHeads(prunedHeads, layers: nLayer, heads: nHead)
  }
}

/// Class names stored with a classification head (`id2label` in config.json).
public protocol LabelledConfig {
  var numLabels: Int { get set }
  var id2label: [String: String]? { get set }
  var label2id: [String: Int]? { get set }
}

extension LabelledConfig {
  /// The class names in id order, if the checkpoint has them for every class.
  public var labelNames: [String]? {
    guard let id2label else { return nil }
    let names = (0..<numLabels).compactMap { id2label[String($0)] }
    return names.count == numLabels ? names : nil
  }

  /// Sets the number of classes and their names, as `from_pretrained(..., id2label=...)`.
  public mutating func setLabels(_ names: [String]) {
    numLabels = names.count
    id2label = Dictionary(uniqueKeysWithValues: names.enumerated().map { (String($0), $1) })
    label2id = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
  }
}

extension BertConfig: LabelledConfig {}
extension GPT2Config: LabelledConfig {}

/// Refuses sizes no real checkpoint has, before anything is allocated: a damaged config.json
/// must not ask for terabytes.
func checkParameterBudget(vocabulary: Double, width: Int, layers: Int, inner: Double) throws {
  // In Double throughout: sizes from a file near Int.max must be refused, not overflow (fuzzing).
  let parameters =
    vocabulary * Double(width) + Double(layers) * Double(width) * (4 * Double(width) + 2 * inner)
  if parameters > 4e9 {
    let count = parameters < 9e18 ? String(Int(parameters)) : String(parameters)
    throw ConfigError(
      "the sizes ask for \(count) parameters; more than 4 billion is not a checkpoint this kit can load")
  }
}

/// A feed-forward activation, by the name Hugging Face's `ACT2FN` gives it; config.json stores
/// that name (`hidden_act`, `activation_function`).
public enum Activation: String, Codable, Sendable, CaseIterable {
  /// GELU, erf form (BERT's).
  case gelu
  /// GELU, tanh approximation (GPT-2's).
  case geluNew = "gelu_new"
  /// The same tanh approximation under PyTorch's name.
  case geluPytorchTanh = "gelu_pytorch_tanh"
  /// max(0, x).
  case relu
  /// x·sigmoid(x), also called swish.
  case silu
  /// The hyperbolic tangent.
  case tanh
  /// The identity.
  case linear

  /// Applies the activation elementwise.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    switch self {
    case .gelu: return x.gelu()
    case .geluNew, .geluPytorchTanh: return x.geluTanh()
    case .relu: return x.relu()
    case .silu: return x * x.sigmoid()
    case .tanh: return x.tanh()
    case .linear: return x
    }
  }

  /// Reads the name; an unknown name is an error that lists the known ones, never a silent
  /// fallback.
  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    let name = try container.decode(String.self)
    guard let value = Activation(rawValue: name) else {
      throw DecodingError.dataCorruptedError(
        in: container,
        debugDescription: "\"\(name)\" is not a supported activation ("
          + Activation.allCases.map(\.rawValue).joined(separator: ", ") + ")")
    }
    self = value
  }
}
