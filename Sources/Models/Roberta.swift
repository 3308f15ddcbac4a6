// RoBERTa (Liu et al., 2019) as Hugging Face's `RobertaModel`: BERT's encoder, trained longer
// on more text with dynamic masking, no next-sentence objective and a byte-level BPE
// vocabulary. Three things differ from BERT in the model itself:
// - positions count from `pad_token_id + 1`, and padding keeps the padding position (fairseq's
//   `make_positions`), so the position table has 2 rows more than the longest input;
// - one token type (RoBERTa has no sentence-B embedding);
// - its heads: `lm_head` (dense → gelu → layer_norm → decoder tied to the word embeddings) and
//   `RobertaClassificationHead` (dense → tanh → out_proj on the <s> state, no pooler).
// The layers are BERT's own (`RobertaLayer` is `BertLayer`), so names line up tensor for
// tensor: `roberta.encoder.layer.0.attention.self.query.weight`, ...

import Foundation
import TensorCore

/// RoBERTa's encoder layers: BERT's (transformers' `RobertaEncoder` is a copy of `BertEncoder`).
public typealias RobertaEncoder = BertEncoder
/// One RoBERTa encoder layer: BERT's.
public typealias RobertaLayer = BertLayer
/// tanh(dense(<s> state)): BERT's pooler, which only the bare `RobertaModel` carries.
public typealias RobertaPooler = BertPooler
/// What a forward pass of `RobertaModel` returns: BERT's output.
public typealias RobertaModelOutput = BertModelOutput

/// Word, position and token-type embeddings, summed, then LayerNorm and dropout; positions
/// start past the padding id and padding keeps the padding position.
public final class RobertaEmbeddings: Module {
  public let wordEmbeddings: Embedding
  public let positionEmbeddings: Embedding
  public let tokenTypeEmbeddings: Embedding
  public let layerNorm: LayerNorm
  public let dropout: Dropout
  /// `pad_token_id`: the padding token, and the position id padding gets.
  public let paddingIdx: Int

  public init(_ config: RobertaConfig) {
    wordEmbeddings = Embedding(config.vocabSize, config.hiddenSize)
    positionEmbeddings = Embedding(config.maxPositionEmbeddings, config.hiddenSize)
    tokenTypeEmbeddings = Embedding(config.typeVocabSize, config.hiddenSize)
    layerNorm = LayerNorm(config.hiddenSize, eps: config.layerNormEps)
    dropout = Dropout(config.hiddenDropoutProb)
    paddingIdx = config.padTokenId
  }

  public override func parameterName(forProperty property: String) -> String {
    property == "layerNorm" ? "LayerNorm" : snakeCase(property)
  }

  /// transformers' `create_position_ids_from_input_ids`: each real token's position is its
  /// count among the row's real tokens (plus `pastKeyValuesLength`) plus `paddingIdx`, and
  /// padding gets `paddingIdx` itself: cumsum(mask)·mask + padding_idx, mask = (id ≠ pad).
  /// `[[0, 5, 2, 1, 1]]` with padding 1 → `[[2, 3, 4, 1, 1]]`.
  public static func createPositionIds(
    fromInputIds inputIds: [[Int]], paddingIdx: Int, pastKeyValuesLength: Int = 0
  ) -> [[Int]] {
    inputIds.map { row in
      var count = pastKeyValuesLength
      return row.map { id in
        guard id != paddingIdx else { return paddingIdx }
        count += 1
        return count + paddingIdx
      }
    }
  }

  /// transformers' `create_position_ids_from_inputs_embeds`: without ids, padding cannot be
  /// told apart, so every row counts `paddingIdx + 1, paddingIdx + 2, …`.
  public static func createPositionIds(batch: Int, seq: Int, paddingIdx: Int) -> [[Int]] {
    [[Int]](repeating: Array((paddingIdx + 1)...(paddingIdx + seq)), count: batch)
  }

  /// Word vectors (batch, seq, hidden), looked up or given (`inputs_embeds`), plus position
  /// and token-type embeddings, then LayerNorm and dropout → (batch, seq, hidden).
  public func callAsFunction(inputsEmbeds: Tensor, positionIds: [[Int]], typeIds: [Int]) -> Tensor {
    let (batch, seq) = (inputsEmbeds.shape[0], inputsEmbeds.shape[1])
    // (batch, seq, hidden) each
    let positions = positionEmbeddings(positionIds.flatMap { $0 }, shape: [batch, seq])
    let types = tokenTypeEmbeddings(typeIds, shape: [batch, seq])
    return dropout(layerNorm(inputsEmbeds + types + positions))
  }
}

/// The RoBERTa encoder: embeddings, BERT's layers, and optionally the pooler.
public final class RobertaModel: Module {
  /// The configuration; `pruneHeads` records the heads it removes in `prunedHeads`.
  public internal(set) var config: RobertaConfig
  public let embeddings: RobertaEmbeddings
  public let encoder: RobertaEncoder
  public let pooler: RobertaPooler?

  public init(_ config: RobertaConfig, addPoolingLayer: Bool = true, generator: Generator = .default) {
    self.config = config
    embeddings = RobertaEmbeddings(config)
    encoder = RobertaEncoder(config.encoderConfig)
    pooler = addPoolingLayer ? RobertaPooler(config.encoderConfig) : nil
    super.init()
    initializeWeights(self, std: config.initializerRange, generator: generator)
    // padding_idx rows start at zero, as nn.Embedding(padding_idx=) makes them (words and positions).
    let h = config.hiddenSize
    for table in [embeddings.wordEmbeddings.weight, embeddings.positionEmbeddings.weight] {
      DeferredInitialization.fill(table) { table, _ in  // after the draw, if it is deferred
        table.data.withUnsafeMutableBufferPointer { rows in
          for j in 0..<h { rows[config.padTokenId * h + j] = 0 }
        }
      }
    }
    applyConfiguredPruning(
      self, config.prunedHeads, layers: config.numHiddenLayers, heads: config.numAttentionHeads)
  }

  /// Runs the encoder on a padded batch of `inputIds`, or of word vectors `inputsEmbeds`
  /// ((batch, seq, hidden), as transformers' `inputs_embeds`; positions then count from
  /// `pad_token_id + 1` in every row, padding or not, as in transformers).
  /// `attentionMask` is 1 for tokens and 0 for padding (default: all 1; RoBERTa does not infer
  /// it from the padding id, transformers does not either). `tokenTypeIds` default to 0, the
  /// only type a RoBERTa checkpoint has. `pastKeyValues`, one prefix per layer, gives every layer
  /// extra keys and values (prefix tuning); positions then count on from the prefix length.
  public func callAsFunction(
    inputIds: [[Int]]? = nil, attentionMask: [[Int]]? = nil, tokenTypeIds: [[Int]]? = nil,
    inputsEmbeds: Tensor? = nil, pastKeyValues: [AttentionPrefix]? = nil
  ) throws -> RobertaModelOutput {
    if pastKeyValues != nil, !prunedHeads.isEmpty {
      throw ModelInputError("prefixes (past_key_values) on a model with pruned heads are not supported")
    }
    let (batch, seq, past, types) = try validateEncoderInputs(
      inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds,
      inputsEmbeds: inputsEmbeds,
      pastKeyValues: pastKeyValues, vocabSize: config.vocabSize, typeVocabSize: config.typeVocabSize,
      hiddenSize: config.hiddenSize, heads: config.numAttentionHeads, layers: encoder.layer.count,
      maxLength: config.maxLength,
      lengthNote:
        " (max_position_embeddings \(config.maxPositionEmbeddings) less pad_token_id + 1)"
    ).tuple
    let positions =
      inputIds.map {
        RobertaEmbeddings.createPositionIds(
          fromInputIds: $0, paddingIdx: config.padTokenId, pastKeyValuesLength: past)
      } ?? RobertaEmbeddings.createPositionIds(batch: batch, seq: seq, paddingIdx: config.padTokenId)
    // (batch, seq, hidden)
    let words = inputsEmbeds ?? embeddings.wordEmbeddings(inputIds!.flatMap { $0 }, shape: [batch, seq])
    let embedded = embeddings(inputsEmbeds: words, positionIds: positions, typeIds: types)
    let mask = attentionMask.map { paddingMask($0, prefix: past) }  // (batch, 1, 1, prefix + seq)
    let (hidden, attentions) = encoder(embedded, mask: mask, prefixes: pastKeyValues)
    return RobertaModelOutput(
      lastHiddenState: hidden, poolerOutput: pooler.map { $0(hidden) }, attentions: attentions)
  }
}

/// `lm_head`: dense → gelu → layer_norm → decoder, whose weight is the word-embedding table
/// (tied) and whose bias is `lm_head.bias`.
public final class RobertaLMHead: Module {
  @Child public var dense: Linear
  public let layerNorm: LayerNorm
  /// One bias per vocabulary word (`lm_head.bias`; `lm_head.decoder.bias` is the same tensor).
  public let bias: Tensor
  /// The word-embedding table, shared, not owned (`lm_head.decoder.weight` is tied).
  let decoderWeight: TiedWeight

  init(_ config: RobertaConfig, wordEmbeddings: Tensor) {
    dense = Linear(config.hiddenSize, config.hiddenSize)
    layerNorm = LayerNorm(config.hiddenSize, eps: config.layerNormEps)
    bias = Tensor(zeros: [config.vocabSize], requiresGrad: true)
    decoderWeight = TiedWeight(wordEmbeddings)
  }

  public override func parameterName(forProperty property: String) -> String { snakeCase(property) }

  /// (..., hidden) → (..., vocabulary) logits. The activation is always the erf gelu, whatever
  /// `hidden_act` says, as in transformers.
  public func callAsFunction(_ features: Tensor) -> Tensor {
    linear(layerNorm(dense(features).gelu()), weight: decoderWeight.tensor, bias: bias)
  }
}

/// RoBERTa for masked-language modelling: predicts the original token at every position.
public final class RobertaForMaskedLM: Module {
  public let roberta: RobertaModel
  public let lmHead: RobertaLMHead

  public init(_ config: RobertaConfig, generator: Generator = .default) {
    roberta = RobertaModel(config, addPoolingLayer: false, generator: generator)
    lmHead = RobertaLMHead(config, wordEmbeddings: roberta.embeddings.wordEmbeddings.weight)
    super.init()
    initializeWeights(lmHead, std: config.initializerRange, generator: generator)
  }

  public override func parameterName(forProperty property: String) -> String { snakeCase(property) }

  /// (batch, seq, vocabulary) logits. The inputs are `RobertaModel`'s.
  public func callAsFunction(
    inputIds: [[Int]]? = nil, attentionMask: [[Int]]? = nil, tokenTypeIds: [[Int]]? = nil,
    inputsEmbeds: Tensor? = nil, pastKeyValues: [AttentionPrefix]? = nil
  ) throws -> Tensor {
    let output = try roberta(
      inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds,
      inputsEmbeds: inputsEmbeds, pastKeyValues: pastKeyValues)
    return lmHead(output.lastHiddenState)
  }
}

extension RobertaForMaskedLM {
  /// The masked-language-modelling loss, as `BertForMaskedLM.maskedLMLoss`: cross-entropy at
  /// the labelled positions only, `lm_head` run only there; with the predicted and true ids.
  public func maskedLMLoss(
    inputIds: [[Int]], labels: [[Int]], attentionMask: [[Int]]? = nil
  ) throws -> (loss: Tensor, predictions: [Int], targets: [Int]) {
    // (batch, seq, hidden)
    let hidden = try roberta(inputIds: inputIds, attentionMask: attentionMask).lastHiddenState
    return try Models.maskedLMLoss(hidden: hidden, labels: labels) { lmHead($0) }
  }
}

/// The sentence classifier on the <s> state: dropout → dense → tanh → dropout → out_proj
/// (`classifier.dense`, `classifier.out_proj`). It plays the part of BERT's pooler and
/// classifier together.
public final class RobertaClassificationHead: Module {
  @Child public var dense: Linear
  public let dropout: Dropout
  @Child public var outProj: Linear

  public init(_ config: RobertaConfig) {
    dense = Linear(config.hiddenSize, config.hiddenSize)
    dropout = Dropout(config.classifierDropout ?? config.hiddenDropoutProb)
    outProj = Linear(config.hiddenSize, config.numLabels)
  }

  public override func parameterName(forProperty property: String) -> String { snakeCase(property) }

  /// (batch, seq, hidden) → (batch, numLabels), from the first token's (<s>) state.
  public func callAsFunction(_ features: Tensor) -> Tensor {
    // (batch, hidden): the <s> state
    let first = features.slice(axis: 1, 0..<1).reshape(features.shape[0], features.shape[2])
    return outProj(dropout(dense(dropout(first)).tanh()))
  }
}

/// RoBERTa with a classification head on the <s> state (`roberta`, `classifier`), or on the
/// mean of the token states with `classifier_pooling: "mean"` (a kit extension).
public final class RobertaForSequenceClassification: Module {
  public let roberta: RobertaModel
  public let classifier: RobertaClassificationHead

  public init(_ config: RobertaConfig, generator: Generator = .default) {
    roberta = RobertaModel(config, addPoolingLayer: false, generator: generator)
    classifier = RobertaClassificationHead(config)
    super.init()
    initializeWeights(classifier, std: config.initializerRange, generator: generator)
  }

  /// (batch, numLabels) logits. The inputs are `RobertaModel`'s.
  public func callAsFunction(
    inputIds: [[Int]]? = nil, attentionMask: [[Int]]? = nil, tokenTypeIds: [[Int]]? = nil,
    inputsEmbeds: Tensor? = nil, pastKeyValues: [AttentionPrefix]? = nil
  ) throws -> Tensor {
    let output = try roberta(
      inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds,
      inputsEmbeds: inputsEmbeds, pastKeyValues: pastKeyValues)
    guard roberta.config.classifierPooling == "mean" else { return classifier(output.lastHiddenState) }
    // (batch, 1, hidden): the mean of the real tokens, where the head would read <s>
    let mean = meanPooling(output.lastHiddenState, attentionMask: attentionMask)
    return classifier(mean.reshape(mean.shape[0], 1, mean.shape[1]))
  }
}

extension RobertaModel: PretrainedModel {
  public static var architecture: String { "RobertaModel" }
  public static var basePrefix: String { "roberta" }
  public static func fromConfig(_ config: RobertaConfig, generator: Generator = .default) -> Self {
    Self(config, generator: generator)
  }
}

extension RobertaForMaskedLM: PretrainedModel {
  public static var architecture: String { "RobertaForMaskedLM" }
  public static var basePrefix: String { "roberta" }
  public var config: RobertaConfig { roberta.config }
  public static func fromConfig(_ config: RobertaConfig, generator: Generator = .default) -> Self {
    Self(config, generator: generator)
  }
}

extension RobertaForSequenceClassification: PretrainedModel {
  public static var architecture: String { "RobertaForSequenceClassification" }
  public static var basePrefix: String { "roberta" }
  public var config: RobertaConfig { roberta.config }
  public static func fromConfig(_ config: RobertaConfig, generator: Generator = .default) -> Self {
    Self(config, generator: generator)
  }

  /// Loads a RoBERTa checkpoint with a classification head of `numLabels` classes (or one per
  /// name in `labelNames`, stored as `id2label`); a head the checkpoint lacks is newly
  /// initialised (and reported). `classifierPooling` (`"cls"` or `"mean"`) overrides what the
  /// head reads (`RobertaConfig.classifierPooling`).
  public static func fromPretrained(
    _ directory: URL, numLabels: Int? = nil, labelNames: [String]? = nil, classifierPooling: String? = nil,
    generator: Generator = .default
  ) throws -> RobertaForSequenceClassification {
    try fromPretrained(
      directory, numLabels: numLabels, labelNames: labelNames, classifierPooling: classifierPooling,
      generator: generator, outputLoadingInfo: true
    ).model
  }

  /// The same, from a path.
  public static func fromPretrained(
    _ path: String, numLabels: Int? = nil, labelNames: [String]? = nil, classifierPooling: String? = nil,
    generator: Generator = .default
  ) throws -> RobertaForSequenceClassification {
    try fromPretrained(
      URL(fileURLWithPath: path), numLabels: numLabels, labelNames: labelNames,
      classifierPooling: classifierPooling, generator: generator)
  }

  /// The same, with the loading report (transformers' `output_loading_info=True`).
  public static func fromPretrained(
    _ directory: URL, numLabels: Int? = nil, labelNames: [String]? = nil, classifierPooling: String? = nil,
    generator: Generator = .default, outputLoadingInfo: Bool
  ) throws -> (model: RobertaForSequenceClassification, loadingInfo: LoadReport) {
    try loadCheckpoint(directory, generator: generator) { config in
      config.relabel(numLabels, labelNames)
      config.classifierPooling = classifierPooling ?? config.classifierPooling
    }
  }
}
