// What a parameter-efficient method needs of a classifier: its architecture's name (for the
// default LoRA targets), its shape (for prefixes), its word embeddings and a forward pass that
// takes vectors instead of ids (prompt tuning) and extra keys and values per layer (prefix
// tuning). BERT, RoBERTa and GPT-2 classifiers provide them through the seams Models has
// (`inputsEmbeds`, `pastKeyValues`), so PEFT needs no change to the models.

import Models
import TensorCore
import Training

/// A sequence classifier that LoRA, prompt tuning and prefix tuning can adapt.
public protocol PeftAdaptable: SequenceClassifier {
  /// config.json's `model_type`: `"bert"`, `"roberta"` or `"gpt2"`.
  var modelType: String { get }
  /// Layers, attention heads and hidden size.
  var transformerShape: (layers: Int, heads: Int, hidden: Int) { get }
  /// The longest input, virtual tokens included.
  var maxPositions: Int { get }
  /// The word embeddings of `inputIds`, (batch, seq, hidden), with their gradient path.
  func wordEmbeddings(_ inputIds: [[Int]]) -> Tensor
  /// The word-embedding table (vocabulary, hidden), to initialise prompts from text.
  var wordEmbeddingTable: Tensor { get }
  /// (batch, numLabels) logits from ids or word vectors, with optional per-layer prefixes.
  func logits(
    inputIds: [[Int]]?, inputsEmbeds: Tensor?, attentionMask: [[Int]], tokenTypeIds: [[Int]]?,
    pastKeyValues: [AttentionPrefix]?
  ) throws -> Tensor
}

extension BertForSequenceClassification: PeftAdaptable {
  public var modelType: String { "bert" }
  public var transformerShape: (layers: Int, heads: Int, hidden: Int) {
    (bert.config.numHiddenLayers, bert.config.numAttentionHeads, bert.config.hiddenSize)
  }
  public var maxPositions: Int { bert.config.maxPositionEmbeddings }
  public var wordEmbeddingTable: Tensor { bert.embeddings.wordEmbeddings.weight }
  public func wordEmbeddings(_ inputIds: [[Int]]) -> Tensor {
    bert.embeddings.wordEmbeddings(
      inputIds.flatMap { $0 }, shape: [inputIds.count, inputIds.first?.count ?? 0])
  }
  public func logits(
    inputIds: [[Int]]?, inputsEmbeds: Tensor?, attentionMask: [[Int]], tokenTypeIds: [[Int]]?,
    pastKeyValues: [AttentionPrefix]?
  ) throws -> Tensor {
    try self(
      inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds,
      inputsEmbeds: inputsEmbeds,
      pastKeyValues: pastKeyValues)
  }
}

extension RobertaForSequenceClassification: PeftAdaptable {
  public var modelType: String { "roberta" }
  public var transformerShape: (layers: Int, heads: Int, hidden: Int) {
    (roberta.config.numHiddenLayers, roberta.config.numAttentionHeads, roberta.config.hiddenSize)
  }
  public var maxPositions: Int { roberta.config.maxLength }
  public var wordEmbeddingTable: Tensor { roberta.embeddings.wordEmbeddings.weight }
  public func wordEmbeddings(_ inputIds: [[Int]]) -> Tensor {
    roberta.embeddings.wordEmbeddings(
      inputIds.flatMap { $0 }, shape: [inputIds.count, inputIds.first?.count ?? 0])
  }
  public func logits(
    inputIds: [[Int]]?, inputsEmbeds: Tensor?, attentionMask: [[Int]], tokenTypeIds: [[Int]]?,
    pastKeyValues: [AttentionPrefix]?
  ) throws -> Tensor {
    try self(
      inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: nil, inputsEmbeds: inputsEmbeds,
      pastKeyValues: pastKeyValues)
  }
}

extension GPT2ForSequenceClassification: PeftAdaptable {
  public var modelType: String { "gpt2" }
  public var transformerShape: (layers: Int, heads: Int, hidden: Int) {
    (transformer.config.nLayer, transformer.config.nHead, transformer.config.nEmbd)
  }
  public var maxPositions: Int { transformer.config.nPositions }
  public var wordEmbeddingTable: Tensor { transformer.wte.weight }
  public func wordEmbeddings(_ inputIds: [[Int]]) -> Tensor {
    transformer.wte(inputIds.flatMap { $0 }, shape: [inputIds.count, inputIds.first?.count ?? 0])
  }
  public func logits(
    inputIds: [[Int]]?, inputsEmbeds: Tensor?, attentionMask: [[Int]], tokenTypeIds: [[Int]]?,
    pastKeyValues: [AttentionPrefix]?
  ) throws -> Tensor {
    try self(
      inputIds: inputIds, attentionMask: attentionMask, inputsEmbeds: inputsEmbeds,
      pastKeyValues: pastKeyValues)
  }
}
