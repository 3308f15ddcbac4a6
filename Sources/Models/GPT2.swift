// GPT-2 (Radford et al., 2019) as Hugging Face's `GPT2LMHeadModel`: token and position
// embeddings → N decoder blocks → final LayerNorm → logits over the vocabulary, with the
// output matrix tied to the token embeddings.
//
// Unlike BERT, a block normalises *before* each sublayer ("pre-LN": x + attn(ln_1(x))), and
// attention is causal: position t sees positions ≤ t only, so the model can be trained to
// predict each next token. Parameter names are Hugging Face's (`transformer.h.0.attn.c_attn`).

import Exercises
import TensorCore

/// A `Linear` with zero weight and bias, for GPT-2's projections: `initializeWeights` fills
/// them, so PyTorch's default initialisation would be wasted draws, and would move
/// `Generator.default`, which dropout uses (OpenAI's `Conv1D` was created empty too).
func projection(_ inFeatures: Int, _ outFeatures: Int) -> Linear {
  let layer = Linear(1, 1, generator: Generator(seed: 0))
  layer.weight = Tensor(zeros: [outFeatures, inFeatures], requiresGrad: true)
  layer.bias = Tensor(zeros: [outFeatures], requiresGrad: true)
  return layer
}

/// Causal multi-head self-attention: one projection makes query, key and value (`c_attn`).
///
/// The projections are `Linear`s, weight (out, in). Hugging Face's GPT-2 checkpoints store
/// them (in, out), as the `Conv1D` of OpenAI's code; loading and saving transpose them (see
/// `GPT2Model.transposedInCheckpoint`), as nanoGPT does.
public final class GPT2Attention: Module {
  @Child public var cAttn: Linear
  @Child public var cProj: Linear
  public let attnDropout: Dropout
  public let residDropout: Dropout
  /// The number of heads, fewer than the configuration's once heads are pruned.
  public internal(set) var heads: Int
  /// The heads removed (`pruneHeads`), by their original numbers.
  public internal(set) var prunedHeads: Set<Int> = []

  public init(_ config: GPT2Config) {
    cAttn = projection(config.nEmbd, 3 * config.nEmbd)
    cProj = projection(config.nEmbd, config.nEmbd)
    attnDropout = Dropout(config.attnPdrop)
    residDropout = Dropout(config.residPdrop)
    heads = config.nHead
  }

  public override func parameterName(forProperty property: String) -> String { snakeCase(property) }

  /// (batch, seq, embd) → (batch, seq, embd), and the weights (batch, heads, seq, prefix + seq).
  /// `mask` is nonzero where a query may not see a key (causal, and padding); it covers the
  /// keys of `prefix`, which come before the tokens' own.
  public func callAsFunction(_ x: Tensor, mask: Tensor, prefix: AttentionPrefix? = nil) -> (
    Tensor, weights: Tensor
  ) {
    let qkv = cAttn(x)  // (batch, seq, 3·embd), or 3 · the heads left · headDim once pruned
    let embd = qkv.shape[2] / 3
    let q = splitHeads(qkv.slice(axis: 2, 0..<embd), heads: heads)  // (batch, heads, seq, headDim)
    var k = splitHeads(qkv.slice(axis: 2, embd..<(2 * embd)), heads: heads)
    var v = splitHeads(qkv.slice(axis: 2, (2 * embd)..<(3 * embd)), heads: heads)
    if let prefix {  // (batch, heads, prefix + seq, headDim)
      k = Tensor.concat([prefix.key, k], axis: 2)
      v = Tensor.concat([prefix.value, v], axis: 2)
    }
    let attention = scaledDotProductAttention(
      query: q, key: k, value: v, mask: mask, dropout: attnDropout.p, training: training,
      generator: attnDropout.generator)
    return (residDropout(cProj(mergeHeads(attention.output))), attention.weights)
  }
}

/// The feed-forward block: embd → inner, activation, inner → embd.
public final class GPT2MLP: Module {
  @Child public var cFc: Linear
  @Child public var cProj: Linear
  public let dropout: Dropout
  public let act: Activation

  public init(_ config: GPT2Config) {
    cFc = projection(config.nEmbd, config.innerSize)
    cProj = projection(config.innerSize, config.nEmbd)
    dropout = Dropout(config.residPdrop)
    act = config.activationFunction
  }

  public override func parameterName(forProperty property: String) -> String { snakeCase(property) }

  public func callAsFunction(_ x: Tensor) -> Tensor { dropout(cProj(act(cFc(x)))) }
}

/// One pre-LN decoder block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).
public final class GPT2Block: Module {
  public let ln1: LayerNorm
  public let attn: GPT2Attention
  public let ln2: LayerNorm
  public let mlp: GPT2MLP

  public init(_ config: GPT2Config) {
    ln1 = LayerNorm(config.nEmbd, eps: config.layerNormEpsilon)
    attn = GPT2Attention(config)
    ln2 = LayerNorm(config.nEmbd, eps: config.layerNormEpsilon)
    mlp = GPT2MLP(config)
  }

  public override func parameterName(forProperty property: String) -> String {
    ["ln1": "ln_1", "ln2": "ln_2"][property] ?? property
  }

  public func callAsFunction(_ x: Tensor, mask: Tensor, prefix: AttentionPrefix? = nil) -> (
    Tensor, weights: Tensor
  ) {
    let (attended, weights) = attn(ln1(x), mask: mask, prefix: prefix)
    let h = x + attended
    return (h + mlp(ln2(h)), weights)
  }
}

/// What a forward pass of `GPT2Model` returns.
public struct GPT2ModelOutput {
  /// (batch, seq, embd), after the final LayerNorm.
  public var lastHiddenState: Tensor
  /// Each block's attention weights, (batch, heads, seq, prefix + seq).
  public var attentions: [Tensor]
}

/// The GPT-2 decoder stack (`transformer`).
public final class GPT2Model: Module, TransposedCheckpointWeights {
  /// The configuration; `pruneHeads` records the heads it removes in `prunedHeads`.
  public internal(set) var config: GPT2Config
  public let wte: Embedding
  public let wpe: Embedding
  public let drop: Dropout
  public let h: [GPT2Block]
  public let lnF: LayerNorm
  /// Recompute each block's activations in the backward pass (`gradientCheckpointingEnable()`).
  public var gradientCheckpointing = false

  public init(_ config: GPT2Config, generator: Generator = .default) {
    self.config = config
    wte = Embedding(config.vocabSize, config.nEmbd)
    wpe = Embedding(config.nPositions, config.nEmbd)
    drop = Dropout(config.embdPdrop)
    h = (0..<config.nLayer).map { _ in GPT2Block(config) }
    lnF = LayerNorm(config.nEmbd, eps: config.layerNormEpsilon)
    super.init()
    initializeWeights(
      self, std: config.initializerRange, generator: generator,
      transposedInCheckpoint: checkpointTransposedNames())
    // GPT-2 scales the projections into the residual stream by 1/√(2·layers).
    let scale = 1 / Float(2 * config.nLayer).squareRoot()
    for block in h {
      for t in [block.attn.cProj.weight, block.mlp.cProj.weight] {
        for i in 0..<t.count { t.data[i] *= scale }
      }
    }
    applyConfiguredPruning(self, config.prunedHeads, layers: config.nLayer, heads: config.nHead)
  }

  /// The weights Hugging Face's GPT-2 checkpoints store (in, out), as OpenAI's `Conv1D` did:
  /// nanoGPT's list. `load(from:basePrefix:)` and `saveWeights(to:)` transpose them.
  public var transposedInCheckpoint: [String] {
    ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]
  }

  public override func parameterName(forProperty property: String) -> String {
    property == "lnF" ? "ln_f" : property
  }

  /// Runs the decoder on a batch of `inputIds`, or of token vectors `inputsEmbeds`
  /// ((batch, seq, embd), in place of the `wte` lookup, as transformers' `inputs_embeds`).
  /// `attentionMask` (1 token, 0 padding) hides padded keys. `pastKeyValues`, one prefix per
  /// block, gives every block extra keys and values that all tokens attend to (prefix tuning);
  /// positions then count from the prefix length, as in transformers.
  public func callAsFunction(
    inputIds: [[Int]]? = nil, attentionMask: [[Int]]? = nil, inputsEmbeds: Tensor? = nil,
    pastKeyValues: [AttentionPrefix]? = nil
  ) throws -> GPT2ModelOutput {
    if pastKeyValues != nil, !prunedHeads.isEmpty {
      throw ModelInputError("prefixes (past_key_values) on a model with pruned heads are not supported")
    }
    let (batch, seq) = try inputShape(
      inputIds: inputIds, inputsEmbeds: inputsEmbeds, vocabSize: config.vocabSize, hiddenSize: config.nEmbd,
      maxLength: config.nPositions)
    try validateMask(attentionMask, batch: batch, seq: seq)
    let past = try validatePrefixes(
      pastKeyValues, layers: h.count, batch: batch, heads: config.nHead, headDim: config.nEmbd / config.nHead)
    if past + seq > config.nPositions {
      throw ModelInputError(
        "\(past) prefix and \(seq) input positions exceed the model's \(config.nPositions)")
    }
    // (seq, prefix + seq): causal among the tokens; every token sees the whole prefix.
    var mask =
      past == 0 ? causalMask(seq) : Tensor.concat([Tensor(zeros: [seq, past]), causalMask(seq)], axis: 1)
    if let attentionMask {
      // (batch, 1, seq, prefix + seq), nonzero where hidden
      mask = mask + paddingMask(attentionMask, prefix: past)
    }
    let tokens = inputsEmbeds ?? wte(inputIds!.flatMap { $0 }, shape: [batch, seq])  // (batch, seq, embd)
    var x = drop(tokens + wpe(Array(past..<(past + seq))))
    var attentions: [Tensor] = []
    for (i, block) in h.enumerated() {
      let checkpointed = gradientCheckpointing && training && pastKeyValues == nil
      let (next, weights) = runLayer(block, x, checkpointed: checkpointed) {
        block($0, mask: mask, prefix: pastKeyValues?[i])
      }
      x = next
      attentions.append(weights)
    }
    return GPT2ModelOutput(lastHiddenState: lnF(x), attentions: attentions)
  }
}

/// GPT-2 with its language-modelling head, tied to the token embeddings.
public final class GPT2LMHeadModel: Module {
  public let transformer: GPT2Model

  public init(_ config: GPT2Config, generator: Generator = .default) {
    transformer = GPT2Model(config, generator: generator)
  }

  /// (batch, seq, vocabulary) logits: at position t, the scores of the token at t + 1. The
  /// inputs are `GPT2Model`'s.
  public func callAsFunction(
    inputIds: [[Int]]? = nil, attentionMask: [[Int]]? = nil, inputsEmbeds: Tensor? = nil,
    pastKeyValues: [AttentionPrefix]? = nil
  ) throws -> Tensor {
    let hidden = try transformer(
      inputIds: inputIds, attentionMask: attentionMask, inputsEmbeds: inputsEmbeds,
      pastKeyValues: pastKeyValues
    ).lastHiddenState
    return linear(hidden, weight: transformer.wte.weight)
  }

  /// Extends `prompt` by `maxNewTokens` tokens, one at a time: greedy when `temperature` is 0,
  /// else sampled from softmax(logits / temperature), restricted to the `topK` best if given.
  /// Stops early at `eosTokenId`.
  public func generate(
    prompt: [Int], maxNewTokens: Int, temperature: Float = 0, topK: Int? = nil,
    eosTokenId: Int? = nil, generator: Generator = .default
  ) throws -> [Int] {
    var ids = prompt
    let limit = transformer.config.nPositions
    for _ in 0..<maxNewTokens {
      let context = Array(ids.suffix(limit))
      let logits = try noGrad { try self(inputIds: [context]) }  // (1, seq, vocabulary)
      let vocabulary = logits.shape[2]
      let last = Array(logits.data[((context.count - 1) * vocabulary)...])
      let next = sampleToken(last, temperature: temperature, topK: topK, generator: generator)
      ids.append(next)
      if next == eosTokenId { break }
    }
    return ids
  }
}

/// Picks the next token from one position's logits: the argmax when `temperature` is 0 (greedy
/// decoding); otherwise a sample from softmax(logits / temperature), among the `topK` highest
/// logits only when `topK` is given. Lower temperatures sharpen the distribution.
public func sampleToken(_ logits: [Float], temperature: Float, topK: Int? = nil, generator: Generator) -> Int
{
  // BEGIN EXERCISE 3.4 "Greedy, temperature and top-k sampling" points=2
  // hint: Greedy is an argmax; sampling turns scores into probabilities and draws one index with the
  // hint: generator.
  // hint 2: The temperature divides the logits before the softmax. With topK, keep the indices of the k
  // hint 2: largest logits and take the softmax over those only, so they sum to 1. One generator.uniform()
  // hint 2: draw picks the index whose cumulative probability first passes it.
  // hint 3: Temperature 0 or below: the largest logit's index. Otherwise: the candidate indices (all, or the
  // hint 3: top k), their probabilities, one uniform draw, and a walk over the candidates until the running
  // hint 3: total exceeds the draw (the last candidate if rounding never gets there).
  if temperature <= 0 { return Tensor(logits).argmax(axis: 0)[0] }
  var candidates = Array(logits.indices)
  if let topK, topK < logits.count {
    candidates = Array(candidates.sorted { logits[$0] > logits[$1] }.prefix(max(topK, 1)))
  }
  let probabilities = Tensor(candidates.map { logits[$0] / temperature }).softmax(axis: 0).data
  var u = generator.uniform()
  for (i, p) in probabilities.enumerated() {
    u -= p
    if u < 0 { return candidates[i] }
  }
  return candidates[candidates.count - 1]
  // END EXERCISE 3.4
}

/// GPT-2 with a classifier reading the hidden state of each sequence's last real token
/// (Hugging Face's `GPT2ForSequenceClassification`; `score` has no bias).
public final class GPT2ForSequenceClassification: Module {
  public let transformer: GPT2Model
  @Child public var score: Linear

  public init(_ config: GPT2Config, generator: Generator = .default) {
    transformer = GPT2Model(config, generator: generator)
    score = Linear(config.nEmbd, config.numLabels, bias: false)
    super.init()
    initializeWeights(score, std: config.initializerRange, generator: generator)
  }

  /// (batch, numLabels) logits; the inputs are `GPT2Model`'s. Each row's last real token is
  /// the last position where `attentionMask` is 1; without a mask, the last id that is not
  /// `pad_token_id` (Hugging Face's rule), and the last position otherwise (no pad token, or
  /// `inputsEmbeds`).
  public func callAsFunction(
    inputIds: [[Int]]? = nil, attentionMask: [[Int]]? = nil, inputsEmbeds: Tensor? = nil,
    pastKeyValues: [AttentionPrefix]? = nil
  ) throws -> Tensor {
    let hidden = try transformer(
      inputIds: inputIds, attentionMask: attentionMask, inputsEmbeds: inputsEmbeds,
      pastKeyValues: pastKeyValues
    ).lastHiddenState
    let (batch, seq, embd) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
    let pad = transformer.config.padTokenId
    let lastRows = (0..<batch).map { b in
      var last: Int?
      if let attentionMask {
        last = attentionMask[b].lastIndex(of: 1)
      } else if let inputIds {
        last = inputIds[b].lastIndex { $0 != pad }
      }
      return b * seq + (last ?? (seq - 1))
    }
    // Gathering rows is an embedding lookup into the (batch·seq, embd) table of hidden states.
    return score(hidden.reshape(batch * seq, embd).embedding(lastRows))
  }
}
