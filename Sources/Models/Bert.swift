// BERT (Devlin et al., 2019) as Hugging Face's `BertModel`, in one file of named parts:
// embeddings → N encoder layers (self-attention, then a feed-forward block, each wrapped in a
// residual connection and a LayerNorm: "post-LN") → pooler; and two heads, masked-language
// modelling and sequence classification.
//
// Property names are Hugging Face's, so `namedParameters()` yields exactly the tensor names of
// a BERT checkpoint: `bert.encoder.layer.0.attention.self.query.weight`, ...

import Exercises
import TensorCore

/// Word, position and token-type embeddings, summed, then LayerNorm and dropout.
public final class BertEmbeddings: Module {
  public let wordEmbeddings: Embedding
  public let positionEmbeddings: Embedding
  public let tokenTypeEmbeddings: Embedding
  public let layerNorm: LayerNorm
  public let dropout: Dropout

  public init(_ config: BertConfig) {
    wordEmbeddings = Embedding(config.vocabSize, config.hiddenSize)
    positionEmbeddings = Embedding(config.maxPositionEmbeddings, config.hiddenSize)
    tokenTypeEmbeddings = Embedding(config.typeVocabSize, config.hiddenSize)
    layerNorm = LayerNorm(config.hiddenSize, eps: config.layerNormEps)
    dropout = Dropout(config.hiddenDropoutProb)
  }

  public override func parameterName(forProperty property: String) -> String {
    property == "layerNorm" ? "LayerNorm" : snakeCase(property)
  }

  /// (batch, seq) ids → (batch, seq, hidden).
  public func callAsFunction(ids: [Int], typeIds: [Int], batch: Int, seq: Int) -> Tensor {
    self(inputsEmbeds: wordEmbeddings(ids, shape: [batch, seq]), typeIds: typeIds)
  }

  /// Word vectors (batch, seq, hidden), looked up or given (`inputs_embeds`), plus position and
  /// token-type embeddings, then LayerNorm and dropout. Positions start at
  /// `pastKeyValuesLength`, as transformers counts them after a prefix of that many keys.
  public func callAsFunction(inputsEmbeds: Tensor, typeIds: [Int], pastKeyValuesLength: Int = 0) -> Tensor {
    let (batch, seq) = (inputsEmbeds.shape[0], inputsEmbeds.shape[1])
    // (seq, hidden), broadcast over the batch
    let positions = positionEmbeddings(Array(pastKeyValuesLength..<(pastKeyValuesLength + seq)))
    let types = tokenTypeEmbeddings(typeIds, shape: [batch, seq])
    return dropout(layerNorm(inputsEmbeds + positions + types))
  }
}

/// Multi-head self-attention: query, key and value projections, then attention per head.
public final class BertSelfAttention: Module {
  @Child public var query: Linear
  @Child public var key: Linear
  @Child public var value: Linear
  /// The number of heads, fewer than the configuration's once heads are pruned.
  public internal(set) var heads: Int
  public let dropout: Dropout

  public init(_ config: BertConfig) {
    let h = config.hiddenSize
    query = Linear(h, h)
    key = Linear(h, h)
    value = Linear(h, h)
    heads = config.numAttentionHeads
    dropout = Dropout(config.attentionProbsDropoutProb)
  }

  /// (batch, seq, hidden) → the heads' outputs merged, (batch, seq, hidden), and the attention
  /// weights (batch, heads, seq, prefix + seq). A `prefix`'s keys and values come before the
  /// tokens' own; `mask` must cover them.
  public func callAsFunction(_ x: Tensor, mask: Tensor?, prefix: AttentionPrefix? = nil) -> (
    Tensor, weights: Tensor
  ) {
    let q = splitHeads(query(x), heads: heads)  // (batch, heads, seq, headDim)
    var k = splitHeads(key(x), heads: heads)
    var v = splitHeads(value(x), heads: heads)
    if let prefix {  // (batch, heads, prefix + seq, headDim)
      k = Tensor.concat([prefix.key, k], axis: 2)
      v = Tensor.concat([prefix.value, v], axis: 2)
    }
    let attention = scaledDotProductAttention(
      query: q, key: k, value: v, mask: mask, dropout: dropout.p, training: training,
      generator: dropout.generator)
    return (mergeHeads(attention.output), attention.weights)
  }
}

/// A projection, dropout, and the residual connection into a LayerNorm ("Add & Norm").
public final class BertSelfOutput: Module {
  @Child public var dense: Linear
  public let layerNorm: LayerNorm
  public let dropout: Dropout

  public init(_ config: BertConfig, inputSize: Int? = nil) {
    dense = Linear(inputSize ?? config.hiddenSize, config.hiddenSize)
    layerNorm = LayerNorm(config.hiddenSize, eps: config.layerNormEps)
    dropout = Dropout(config.hiddenDropoutProb)
  }

  public override func parameterName(forProperty property: String) -> String {
    property == "layerNorm" ? "LayerNorm" : property
  }

  /// LayerNorm(dropout(dense(hidden)) + residual).
  public func callAsFunction(_ hidden: Tensor, residual: Tensor) -> Tensor {
    layerNorm(dropout(dense(hidden)) + residual)
  }
}

/// Self-attention with its Add & Norm (`attention.self`, `attention.output`).
public final class BertAttention: Module {
  public let selfAttention: BertSelfAttention
  public let output: BertSelfOutput
  /// The heads removed (`pruneHeads`), by their original numbers.
  public internal(set) var prunedHeads: Set<Int> = []

  public init(_ config: BertConfig) {
    selfAttention = BertSelfAttention(config)
    output = BertSelfOutput(config)
  }

  public override func parameterName(forProperty property: String) -> String {
    property == "selfAttention" ? "self" : property
  }

  public func callAsFunction(_ x: Tensor, mask: Tensor?, prefix: AttentionPrefix? = nil) -> (
    Tensor, weights: Tensor
  ) {
    let (context, weights) = selfAttention(x, mask: mask, prefix: prefix)
    return (output(context, residual: x), weights)
  }
}

/// The first half of the feed-forward block: hidden → intermediate, then the activation.
public final class BertIntermediate: Module {
  @Child public var dense: Linear
  public let act: Activation

  public init(_ config: BertConfig) {
    dense = Linear(config.hiddenSize, config.intermediateSize)
    act = config.hiddenAct
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { act(dense(x)) }
}

/// The second half: intermediate → hidden, with Add & Norm. (Hugging Face calls it BertOutput.)
public typealias BertOutput = BertSelfOutput

/// One encoder layer: attention, then the feed-forward block.
public final class BertLayer: Module {
  public let attention: BertAttention
  public let intermediate: BertIntermediate
  public let output: BertOutput

  public init(_ config: BertConfig) {
    attention = BertAttention(config)
    intermediate = BertIntermediate(config)
    output = BertOutput(config, inputSize: config.intermediateSize)
  }

  public func callAsFunction(_ x: Tensor, mask: Tensor?, prefix: AttentionPrefix? = nil) -> (
    Tensor, weights: Tensor
  ) {
    let (attended, weights) = attention(x, mask: mask, prefix: prefix)  // (batch, seq, hidden)
    return (output(intermediate(attended), residual: attended), weights)
  }
}

/// The stack of encoder layers.
public final class BertEncoder: Module {
  public let layer: [BertLayer]
  /// Recompute each layer's activations in the backward pass (`gradientCheckpointingEnable()`).
  public var gradientCheckpointing = false

  public init(_ config: BertConfig) {
    layer = (0..<config.numHiddenLayers).map { _ in BertLayer(config) }
  }

  /// (batch, seq, hidden) through every layer → the last layer's output (batch, seq, hidden) and
  /// each layer's attention weights. `mask` is (batch, 1, 1, prefix + seq), 1 at padding;
  /// `prefixes`, one per layer, are checked by the caller.
  public func callAsFunction(_ hidden: Tensor, mask: Tensor?, prefixes: [AttentionPrefix]? = nil) -> (
    Tensor, attentions: [Tensor]
  ) {
    var hidden = hidden
    var attentions: [Tensor] = []
    for (i, layer) in layer.enumerated() {
      let checkpointed = gradientCheckpointing && training && prefixes == nil
      let (next, weights) = runLayer(layer, hidden, checkpointed: checkpointed) {
        layer($0, mask: mask, prefix: prefixes?[i])
      }
      hidden = next
      attentions.append(weights)
    }
    return (hidden, attentions)
  }
}

/// tanh(dense(first token's hidden state)): the sentence vector a classifier reads.
public final class BertPooler: Module {
  @Child public var dense: Linear

  public init(_ config: BertConfig) { dense = Linear(config.hiddenSize, config.hiddenSize) }

  /// (batch, seq, hidden) → (batch, hidden).
  public func callAsFunction(_ hidden: Tensor) -> Tensor {
    let first = hidden.slice(axis: 1, 0..<1).reshape(hidden.shape[0], hidden.shape[2])
    return dense(first).tanh()
  }
}

/// What a forward pass of `BertModel` returns.
public struct BertModelOutput {
  /// (batch, seq, hidden): the encoder's output for every token.
  public var lastHiddenState: Tensor
  /// (batch, hidden): the pooler's output, if the model has a pooler.
  public var poolerOutput: Tensor?
  /// Each layer's attention weights, (batch, heads, seq, prefix + seq), for display.
  public var attentions: [Tensor]
}

/// The BERT encoder: embeddings, layers, and optionally the pooler.
public final class BertModel: Module {
  /// The configuration; `pruneHeads` records the heads it removes in `prunedHeads`.
  public internal(set) var config: BertConfig
  public let embeddings: BertEmbeddings
  public let encoder: BertEncoder
  public let pooler: BertPooler?

  public init(_ config: BertConfig, addPoolingLayer: Bool = true, generator: Generator = .default) {
    self.config = config
    embeddings = BertEmbeddings(config)
    encoder = BertEncoder(config)
    pooler = addPoolingLayer ? BertPooler(config) : nil
    super.init()
    initializeWeights(self, std: config.initializerRange, generator: generator)
    DeferredInitialization.fill(embeddings.wordEmbeddings.weight) { weight, _ in
      weight.data.withUnsafeMutableBufferPointer { table in
        let h = config.hiddenSize
        for j in 0..<h { table[config.padTokenId * h + j] = 0 }  // padding_idx, as nn.Embedding
      }
    }
    applyConfiguredPruning(
      self, config.prunedHeads, layers: config.numHiddenLayers, heads: config.numAttentionHeads)
  }

  /// Runs the encoder on a padded batch of `inputIds`, or of word vectors `inputsEmbeds`
  /// ((batch, seq, hidden), in place of the word-embedding lookup, as transformers'
  /// `inputs_embeds`). `attentionMask` is 1 for tokens and 0 for padding (default: all 1);
  /// `tokenTypeIds` is 0 for the first segment and 1 for the second. `pastKeyValues`, one
  /// prefix per layer, gives every layer extra keys and values that all tokens attend to
  /// (prefix tuning); positions then count from the prefix length, as in transformers.
  public func callAsFunction(
    inputIds: [[Int]]? = nil, attentionMask: [[Int]]? = nil, tokenTypeIds: [[Int]]? = nil,
    inputsEmbeds: Tensor? = nil, pastKeyValues: [AttentionPrefix]? = nil
  ) throws -> BertModelOutput {
    if pastKeyValues != nil, !prunedHeads.isEmpty {
      throw ModelInputError("prefixes (past_key_values) on a model with pruned heads are not supported")
    }
    let (batch, seq, past, types) = try validateEncoderInputs(
      inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds,
      inputsEmbeds: inputsEmbeds,
      pastKeyValues: pastKeyValues, vocabSize: config.vocabSize, typeVocabSize: config.typeVocabSize,
      hiddenSize: config.hiddenSize, heads: config.numAttentionHeads, layers: encoder.layer.count,
      maxLength: config.maxPositionEmbeddings
    ).tuple
    // (batch, seq, hidden)
    let words = inputsEmbeds ?? embeddings.wordEmbeddings(inputIds!.flatMap { $0 }, shape: [batch, seq])
    let embedded = embeddings(inputsEmbeds: words, typeIds: types, pastKeyValuesLength: past)
    let mask = attentionMask.map { paddingMask($0, prefix: past) }  // (batch, 1, 1, prefix + seq)
    let (hidden, attentions) = encoder(embedded, mask: mask, prefixes: pastKeyValues)
    return BertModelOutput(
      lastHiddenState: hidden, poolerOutput: pooler.map { $0(hidden) }, attentions: attentions)
  }
}

/// BERT with a classifier on the pooled output: pooler → dropout → linear (`classifier`).
/// The pooler reads the [CLS] state, or with `classifier_pooling: "mean"` the mean of the
/// real tokens' states.
public final class BertForSequenceClassification: Module {
  public let bert: BertModel
  public let dropout: Dropout
  @Child public var classifier: Linear

  public init(_ config: BertConfig, generator: Generator = .default) {
    bert = BertModel(config, generator: generator)
    dropout = Dropout(config.hiddenDropoutProb)
    classifier = Linear(config.hiddenSize, config.numLabels)
    super.init()
    initializeWeights(classifier, std: config.initializerRange, generator: generator)
  }

  /// (batch, numLabels) logits. The inputs are `BertModel`'s.
  public func callAsFunction(
    inputIds: [[Int]]? = nil, attentionMask: [[Int]]? = nil, tokenTypeIds: [[Int]]? = nil,
    inputsEmbeds: Tensor? = nil, pastKeyValues: [AttentionPrefix]? = nil
  ) throws -> Tensor {
    let output = try bert(
      inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds,
      inputsEmbeds: inputsEmbeds,
      pastKeyValues: pastKeyValues)
    guard bert.config.classifierPooling == "mean", let pooler = bert.pooler else {
      return classifier(dropout(output.poolerOutput!))
    }
    let mean = meanPooling(output.lastHiddenState, attentionMask: attentionMask)  // (batch, hidden)
    return classifier(dropout(pooler.dense(mean).tanh()))
  }
}

/// dense → activation → LayerNorm, before the MLM decoder.
public final class BertPredictionHeadTransform: Module {
  @Child public var dense: Linear
  public let layerNorm: LayerNorm
  public let act: Activation

  public init(_ config: BertConfig) {
    dense = Linear(config.hiddenSize, config.hiddenSize)
    layerNorm = LayerNorm(config.hiddenSize, eps: config.layerNormEps)
    act = config.hiddenAct
  }

  public override func parameterName(forProperty property: String) -> String {
    property == "layerNorm" ? "LayerNorm" : property
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { layerNorm(act(dense(x))) }
}

/// The MLM head's scoring of every vocabulary word, with the decoder weight tied to the word
/// embeddings (so the input and output vocabularies share one matrix).
public final class BertLMPredictionHead: Module {
  public let transform: BertPredictionHeadTransform
  /// One bias per vocabulary word (`cls.predictions.bias`).
  public let bias: Tensor
  /// The word-embedding table, shared, not owned (`cls.predictions.decoder.weight` is tied).
  let decoderWeight: TiedWeight

  init(_ config: BertConfig, wordEmbeddings: Tensor) {
    transform = BertPredictionHeadTransform(config)
    bias = Tensor(zeros: [config.vocabSize], requiresGrad: true)
    decoderWeight = TiedWeight(wordEmbeddings)
  }

  /// (..., hidden) → (..., vocabulary) logits.
  public func callAsFunction(_ hidden: Tensor) -> Tensor { self(hidden, decoderWeight: decoderWeight.tensor) }

  /// (..., hidden) → (..., vocabulary) logits with `decoderWeight` (vocabulary, hidden) in
  /// place of the tied table: this head read on another encoder, whose own word embeddings
  /// are then its output vocabulary, as they would be if the head were tied to them.
  public func callAsFunction(_ hidden: Tensor, decoderWeight: Tensor) -> Tensor {
    linear(transform(hidden), weight: decoderWeight, bias: bias)
  }
}

/// A reference to a parameter owned elsewhere, which `namedParameters()` does not list again.
struct TiedWeight {
  let tensor: Tensor
  init(_ tensor: Tensor) { self.tensor = tensor }
}

/// `cls`: the masked-language-modelling head.
public final class BertOnlyMLMHead: Module {
  public let predictions: BertLMPredictionHead

  init(_ config: BertConfig, wordEmbeddings: Tensor) {
    predictions = BertLMPredictionHead(config, wordEmbeddings: wordEmbeddings)
  }
}

/// BERT for masked-language modelling: predicts the original token at every position.
public final class BertForMaskedLM: Module {
  public let bert: BertModel
  public let cls: BertOnlyMLMHead

  public init(_ config: BertConfig, generator: Generator = .default) {
    bert = BertModel(config, addPoolingLayer: false, generator: generator)
    cls = BertOnlyMLMHead(config, wordEmbeddings: bert.embeddings.wordEmbeddings.weight)
    super.init()
    initializeWeights(cls, std: config.initializerRange, generator: generator)
  }

  /// (batch, seq, vocabulary) logits. The inputs are `BertModel`'s.
  public func callAsFunction(
    inputIds: [[Int]]? = nil, attentionMask: [[Int]]? = nil, tokenTypeIds: [[Int]]? = nil,
    inputsEmbeds: Tensor? = nil, pastKeyValues: [AttentionPrefix]? = nil
  ) throws -> Tensor {
    let output = try bert(
      inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds,
      inputsEmbeds: inputsEmbeds,
      pastKeyValues: pastKeyValues)
    return cls.predictions(output.lastHiddenState)
  }
}

/// The positions a masked-language-modelling loss scores: the indices, counted row by row over
/// the flattened (batch, seq) `labels`, of every label that is not `ignoreIndex` (-100, as
/// PyTorch's cross-entropy ignores). The loss is the mean over these positions only.
public func labelledPositions(_ labels: [[Int]], ignoreIndex: Int = -100) -> [Int] {
  // BEGIN EXERCISE 4.2 "The ignore index: which positions the MLM loss scores" points=2
  // hint: The loss scores only the positions whose label is a real token id; the others carry the ignore
  // hint: index.
  // hint 2: Number the positions across rows as if the rows were laid end to end. Rows may have different
  // hint 2: lengths.
  // hint 3: Keep one running position counter over all rows; each label that is not ignoreIndex contributes
  // hint 3: the counter's current value.
  var positions: [Int] = []
  var index = 0
  for row in labels {
    for label in row {
      if label != ignoreIndex { positions.append(index) }
      index += 1
    }
  }
  return positions
  // END EXERCISE 4.2
}

extension BertForMaskedLM {
  /// The masked-language-modelling loss of this model's own encoder (see the variant below).
  public func maskedLMLoss(inputIds: [[Int]], labels: [[Int]], attentionMask: [[Int]]? = nil) throws
    -> (loss: Tensor, predictions: [Int], targets: [Int])
  {
    try maskedLMLoss(inputIds: inputIds, labels: labels, attentionMask: attentionMask, encoder: bert)
  }

  /// The masked-language-modelling loss: cross-entropy at the labelled positions only (labels
  /// -100 elsewhere), with the vocabulary-sized decoder run only where it is needed. Also
  /// returns the predicted and true ids there, for accuracy. With `encoder` (a fine-tuned
  /// classifier's `bert`), that encoder reads the inputs and this model's MLM head scores its
  /// hidden states, its decoder tied to that encoder's word embeddings: how much of the
  /// pre-training objective a fine-tuned encoder still meets, with gradients reaching it.
  public func maskedLMLoss(
    inputIds: [[Int]], labels: [[Int]], attentionMask: [[Int]]? = nil, encoder: BertModel
  ) throws -> (loss: Tensor, predictions: [Int], targets: [Int]) {
    // (batch, seq, hidden)
    let hidden = try encoder(inputIds: inputIds, attentionMask: attentionMask).lastHiddenState
    return try Models.maskedLMLoss(hidden: hidden, labels: labels) {
      // (masked, vocabulary)
      encoder === bert
        ? cls.predictions($0) : cls.predictions($0, decoderWeight: encoder.embeddings.wordEmbeddings.weight)
    }
  }
}

/// The masked-language-modelling loss of the hidden states `hidden` (batch, seq, hidden) against
/// `labels` (batch, seq; -100 where nothing is predicted): `decoder` (hidden → vocabulary
/// scores) runs on the labelled positions only. BERT's and RoBERTa's MLM share it.
func maskedLMLoss(hidden: Tensor, labels: [[Int]], decoder: (Tensor) -> Tensor) throws
  -> (loss: Tensor, predictions: [Int], targets: [Int])
{
  let (batch, seq, size) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
  let flat = labels.flatMap { $0 }
  guard labels.count == batch, labels.allSatisfy({ $0.count == seq }) else {
    throw ModelInputError("labels must be \(batch) × \(seq) like input_ids")
  }
  let rows = labelledPositions(labels)
  guard !rows.isEmpty else { throw ModelInputError("labels has no position to predict (all -100)") }
  guard rows.allSatisfy({ flat.indices.contains($0) }) else {
    throw ModelInputError("labelledPositions gave a position outside the \(flat.count) labels")
  }
  let picked = hidden.reshape(batch * seq, size).embedding(rows)  // (masked, hidden)
  let logits = decoder(picked)  // (masked, vocabulary)
  let targets = rows.map { flat[$0] }
  return (crossEntropy(logits, targets: targets), logits.argmax(axis: -1), targets)
}
