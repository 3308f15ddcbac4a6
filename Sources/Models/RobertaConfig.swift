// RoBERTa's configuration, field for field Hugging Face's `RobertaConfig` in config.json.

import Foundation
import TensorCore

/// A RoBERTa encoder's shape and regularisation (Hugging Face's `RobertaConfig`, same names).
///
/// The defaults are roberta-base's config.json: 50265 tokens, positions offset past the padding
/// id (`max_position_embeddings` 514 = 512 tokens + `pad_token_id` 1 + 1), one token type,
/// LayerNorm eps 1e-5. transformers' `RobertaConfig` class itself inherits BERT's 512, 2 and
/// 1e-12, so a config.json that leaves those fields out is read with BERT's values, exactly as
/// transformers reads it; every RoBERTa checkpoint (and every one the kit saves) writes them.
public struct RobertaConfig: Codable, Equatable, Sendable {
  public var vocabSize = 50265
  public var hiddenSize = 768
  public var numHiddenLayers = 12
  public var numAttentionHeads = 12
  public var intermediateSize = 3072
  /// The feed-forward activation: `gelu` (erf form) by default.
  public var hiddenAct = Activation.gelu
  public var hiddenDropoutProb: Float = 0.1
  public var attentionProbsDropoutProb: Float = 0.1
  /// Position-table rows: the longest input is `maxPositionEmbeddings - padTokenId - 1` tokens,
  /// because positions start at `padTokenId + 1`.
  public var maxPositionEmbeddings = 514
  public var typeVocabSize = 1
  public var initializerRange: Float = 0.02
  public var layerNormEps: Float = 1e-5
  /// `<pad>`'s id, also the position id of padding (`padding_idx`).
  public var padTokenId = 1
  /// `<s>`'s id.
  public var bosTokenId = 0
  /// `</s>`'s id.
  public var eosTokenId = 2
  /// The classification head's dropout; `nil` means `hiddenDropoutProb`.
  public var classifierDropout: Float?
  /// What the classification head reads: `nil` or `"cls"`, the `<s>` state (transformers'
  /// `RobertaClassificationHead`, the only head it has); `"mean"`, the mean of the token states,
  /// a kit extension like `BertConfig.classifierPooling` (MLM never trains `<s>`). Written to
  /// config.json only when set; `transformersMismatch` says what "mean" means for transformers.
  public var classifierPooling: String?
  /// The number of classes of a sequence-classification head.
  public var numLabels = 2
  /// Class names by id and the reverse, as a fine-tuned checkpoint stores them.
  public var id2label: [String: String]?
  public var label2id: [String: Int]?
  public var modelType = "roberta"
  /// The attention heads removed, by layer (original numbers), as `BertConfig.prunedHeads`.
  public var prunedHeads: [String: [Int]]?

  /// roberta-base's configuration.
  public init() {}

  /// A configuration with the given sizes and roberta-base's other defaults, as
  /// `RobertaConfig(vocab_size=..., hidden_size=..., ...)` in transformers (but with RoBERTa's
  /// 514 positions, one token type and eps 1e-5 unless given).
  public init(
    vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int,
    maxPositionEmbeddings: Int = 514, numLabels: Int = 2
  ) {
    self.vocabSize = vocabSize
    self.hiddenSize = hiddenSize
    self.numHiddenLayers = numHiddenLayers
    self.numAttentionHeads = numAttentionHeads
    self.intermediateSize = intermediateSize
    self.maxPositionEmbeddings = maxPositionEmbeddings
    self.numLabels = numLabels
  }

  /// A tiny configuration for tests and demonstrations: 16 wide, 1 layer, 2 heads, 32 inner,
  /// 18 positions (16 tokens past the padding id 1).
  public static func tiny(
    vocabSize: Int, hiddenSize: Int = 16, numHiddenLayers: Int = 1, numAttentionHeads: Int = 2,
    intermediateSize: Int = 32, maxPositionEmbeddings: Int = 18, numLabels: Int = 2
  ) -> RobertaConfig {
    RobertaConfig(
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
    case padTokenId = "pad_token_id", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
    case classifierPooling = "classifier_pooling"
    case classifierDropout = "classifier_dropout", numLabels = "num_labels", modelType = "model_type"
    case id2label, label2id
    case prunedHeads = "pruned_heads"
  }

  /// Reads every field that is present and keeps transformers' class default for the others,
  /// as `PretrainedConfig` does (see the type's note on positions, token types and eps).
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
      if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
    }
    (maxPositionEmbeddings, typeVocabSize, layerNormEps) = (512, 2, 1e-12)
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
    try read(.bosTokenId, &bosTokenId)
    try read(.eosTokenId, &eosTokenId)
    classifierDropout = try c.decodeIfPresent(Float.self, forKey: .classifierDropout)
    classifierPooling = try c.decodeIfPresent(String.self, forKey: .classifierPooling)
    try read(.numLabels, &numLabels)
    try read(.modelType, &modelType)
    id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
    label2id = try c.decodeIfPresent([String: Int].self, forKey: .label2id)
    if let id2label { numLabels = id2label.count }  // transformers derives num_labels from id2label
    prunedHeads = try c.decodeIfPresent([String: [Int]].self, forKey: .prunedHeads)
  }

  /// The longest input, in tokens: positions run from `padTokenId + 1` to the last table row.
  public var maxLength: Int { maxPositionEmbeddings - padTokenId - 1 }

  /// The same encoder as a `BertConfig`, for the layers RoBERTa shares with BERT (transformers'
  /// `RobertaLayer` is `BertLayer` under another name).
  public var encoderConfig: BertConfig {
    var bert = BertConfig(
      vocabSize: vocabSize, hiddenSize: hiddenSize, numHiddenLayers: numHiddenLayers,
      numAttentionHeads: numAttentionHeads, intermediateSize: intermediateSize,
      maxPositionEmbeddings: maxPositionEmbeddings, numLabels: numLabels)
    bert.hiddenAct = hiddenAct
    bert.hiddenDropoutProb = hiddenDropoutProb
    bert.attentionProbsDropoutProb = attentionProbsDropoutProb
    bert.typeVocabSize = typeVocabSize
    bert.initializerRange = initializerRange
    bert.layerNormEps = layerNormEps
    bert.padTokenId = padTokenId
    return bert
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
    if padTokenId < 0 || padTokenId >= vocabSize {
      throw ConfigError("pad_token_id \(padTokenId) is not in 0..<vocab_size (\(vocabSize))")
    }
    if maxLength < 1 {
      throw ConfigError(
        "max_position_embeddings (\(maxPositionEmbeddings)) leaves no position past pad_token_id (\(padTokenId)); "
          + "RoBERTa's positions start at pad_token_id + 1")
    }
    if let classifierPooling, !["cls", "mean"].contains(classifierPooling) {
      throw ConfigError("classifier_pooling \"\(classifierPooling)\" is not supported (cls, mean)")
    }
    try validatePrunedHeads(prunedHeads, layers: numHiddenLayers, heads: numAttentionHeads)
  }

  /// Why transformers will not compute what the kit computes with this configuration, or `nil`
  /// when it will: transformers' `RobertaForSequenceClassification` ignores `classifier_pooling`
  /// and always reads `<s>`.
  public var transformersMismatch: String? {
    guard classifierPooling == "mean" else { return nil }
    return """
      WARNING: classifier_pooling is "mean", a kit extension: the classification head reads the mean \
      of the token states. Hugging Face transformers' RobertaForSequenceClassification ignores \
      classifier_pooling and always reads the <s> state, so it loads this checkpoint without a \
      warning and computes DIFFERENT probabilities. For a checkpoint transformers reproduces, \
      fine-tune without classifier_pooling (the <s> head).
      """
  }
}

extension RobertaConfig: LabelledConfig {}
extension RobertaConfig: ModelConfig {}
