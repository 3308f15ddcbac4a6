// What BERT and GPT-2 share: input checks, Hugging Face's weight initialisation, property
// names in checkpoint spelling, activations by name, mean pooling and the attention prefix.

import TensorCore

/// What can be wrong with a model's input: names the row, position and value.
public struct ModelInputError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Checks that `rows` is a rectangular batch of ids in 0..<limit, no longer than `maxLength`.
func validateBatch(_ rows: [[Int]], name: String, limit: Int, maxLength: Int) throws -> (batch: Int, seq: Int)
{
  guard let seq = rows.first?.count, seq > 0 else { throw ModelInputError("\(name) is empty") }
  if seq > maxLength {
    throw ModelInputError("\(name) has \(seq) positions; the model takes at most \(maxLength)")
  }
  for (r, row) in rows.enumerated() {
    if row.count != seq {
      throw ModelInputError("\(name) row \(r) has \(row.count) ids, row 0 has \(seq): pad the batch")
    }
    if let (p, id) = row.enumerated().first(where: { $0.element < 0 || $0.element >= limit }) {
      throw ModelInputError("\(name) row \(r), position \(p): \(id) is not in 0..<\(limit)")
    }
  }
  return (rows.count, seq)
}

/// The (batch, seq) a forward pass runs on, from exactly one of `input_ids` (checked against
/// the vocabulary) or `inputs_embeds` ((batch, seq, hidden), as transformers takes them), at
/// most `maxLength` long.
func inputShape(
  inputIds: [[Int]]?, inputsEmbeds: Tensor?, vocabSize: Int, hiddenSize: Int, maxLength: Int
) throws -> (batch: Int, seq: Int) {
  switch (inputIds, inputsEmbeds) {
  case (let ids?, nil):
    return try validateBatch(ids, name: "input_ids", limit: vocabSize, maxLength: maxLength)
  case (nil, let embeds?):
    guard embeds.rank == 3, embeds.shape[0] > 0, embeds.shape[1] > 0, embeds.shape[2] == hiddenSize else {
      throw ModelInputError("inputs_embeds must be (batch, seq, \(hiddenSize)), got \(embeds.shape)")
    }
    if embeds.shape[1] > maxLength {
      throw ModelInputError(
        "inputs_embeds has \(embeds.shape[1]) positions; the model takes at most \(maxLength)")
    }
    return (embeds.shape[0], embeds.shape[1])
  case (nil, nil): throw ModelInputError("give input_ids or inputs_embeds")
  case (.some, .some): throw ModelInputError("give input_ids or inputs_embeds, not both")
  }
}

/// Checks a (batch, seq) `attention_mask` of 0s and 1s.
func validateMask(_ attentionMask: [[Int]]?, batch: Int, seq: Int) throws {
  guard let attentionMask else { return }
  let shape = try validateBatch(attentionMask, name: "attention_mask", limit: 2, maxLength: seq)
  if shape != (batch, seq) {
    throw ModelInputError("attention_mask must be \(batch) × \(seq) like the inputs")
  }
}

/// Extra keys and values one attention layer prepends to its own (prefix tuning, Li & Liang
/// 2021; transformers receives them as one layer's `past_key_values`). Both are
/// (batch, heads, prefixLength, headDim); every query attends to all prefix positions.
public struct AttentionPrefix {
  /// (batch, heads, prefixLength, headDim).
  public var key: Tensor
  /// (batch, heads, prefixLength, headDim).
  public var value: Tensor

  /// A prefix of `key` and `value`, both (batch, heads, prefixLength, headDim).
  public init(key: Tensor, value: Tensor) {
    self.key = key
    self.value = value
  }

  /// The number of prefix positions.
  public var length: Int { key.shape[2] }
}

/// Checks one prefix per layer, each (batch, heads, length, headDim) with one length for all;
/// returns that length (0 without prefixes).
func validatePrefixes(_ prefixes: [AttentionPrefix]?, layers: Int, batch: Int, heads: Int, headDim: Int)
  throws -> Int
{
  guard let prefixes else { return 0 }
  guard prefixes.count == layers else {
    throw ModelInputError("past_key_values has \(prefixes.count) entries; the model has \(layers) layers")
  }
  let length = prefixes.first?.key.shape.dropFirst(2).first ?? 0
  for (i, p) in prefixes.enumerated() {
    let expected = [batch, heads, length, headDim]
    guard p.key.shape == expected, p.value.shape == expected else {
      throw ModelInputError(
        "past_key_values[\(i)] key \(p.key.shape) and value \(p.value.shape) must both be \(expected) "
          + "(batch, heads, prefix length, head size)")
    }
  }
  return length
}

/// Hugging Face's `_init_weights` for BERT and GPT-2, decided by module type as nanoGPT's
/// `isinstance` checks: `Linear` and `Embedding` weights ~ N(0, std), biases 0, `LayerNorm`
/// weight 1 and bias 0. Parameters of other modules keep their values. Numbers are drawn in the
/// order of `namedParameters()`; a weight named in `transposedInCheckpoint` is drawn in its
/// checkpoint layout (GPT-2's Conv1D (in, out)), so the model matches transformers' draw order.
func initializeWeights(
  _ module: Module, std: Float, generator: Generator, transposedInCheckpoint: Set<String> = []
) {
  enum Fill { case normal, zero, one }
  var fills: [ObjectIdentifier: Fill] = [:]
  for (_, m) in module.namedModules() {
    switch m {
    case let linear as Linear:
      fills[ObjectIdentifier(linear.weight)] = .normal
      if let bias = linear.bias { fills[ObjectIdentifier(bias)] = .zero }
    case let embedding as Embedding: fills[ObjectIdentifier(embedding.weight)] = .normal
    case let norm as LayerNorm:
      fills[ObjectIdentifier(norm.weight)] = .one
      fills[ObjectIdentifier(norm.bias)] = .zero
    default: break
    }
  }
  // Each fill is done now, or, for a model built to be loaded, later and only if the checkpoint
  // lacks the tensor (DeferredInitialization: the same numbers either way).
  for (name, t) in module.namedParameters() {
    switch fills[ObjectIdentifier(t)] {
    case .normal?:
      let transposed = transposedInCheckpoint.contains(name) && t.rank == 2
      DeferredInitialization.fill(t, generator: generator, draws: .normals(t.count)) { t, generator in
        let generator = generator!
        if transposed {
          // Draw (in, out) row by row, store (out, in): element (i, o) goes to (o, i).
          let (out, inputs) = (t.shape[0], t.shape[1])
          for k in 0..<t.count { t.data[(k % out) * inputs + k / out] = generator.normal(std: std) }
        } else {
          for i in 0..<t.count { t.data[i] = generator.normal(std: std) }
        }
      }
    case .zero?: DeferredInitialization.fill(t) { t, _ in for i in 0..<t.count { t.data[i] = 0 } }
    case .one?: DeferredInitialization.fill(t) { t, _ in for i in 0..<t.count { t.data[i] = 1 } }
    case nil: break
    }
  }
}

/// `wordEmbeddings` → `word_embeddings`: Swift property names to Hugging Face's.
func snakeCase(_ name: String) -> String {
  var result = ""
  for c in name {
    if c.isUppercase {
      result += "_" + c.lowercased()
    } else {
      result.append(c)
    }
  }
  return result
}

/// The mean of each row's hidden states over its real tokens (sentence-transformers' mean
/// pooling): (batch, seq, hidden) → (batch, hidden). `attentionMask` is 1 for tokens and 0 for
/// padding (default: every position is a token).
public func meanPooling(_ hidden: Tensor, attentionMask: [[Int]]? = nil) -> Tensor {
  let (batch, seq) = (hidden.shape[0], hidden.shape[1])
  let mask = attentionMask ?? [[Int]](repeating: [Int](repeating: 1, count: seq), count: batch)
  let weights = Tensor(  // (batch, seq, 1): 1/length at real tokens, 0 at padding
    mask.flatMap { row in row.map { Float($0) / Float(max(1, row.reduce(0, +))) } }, shape: [batch, seq, 1])
  return (hidden * weights).sum(axis: 1)  // (batch, hidden)
}

/// What an encoder's forward pass needs to know of its inputs once they are checked: the batch
/// and sequence sizes, the prefix length, and the token types (0 where none were given).
struct EncoderInputs {
  let batch: Int
  let seq: Int
  let past: Int
  let types: [Int]

  var tuple: (batch: Int, seq: Int, past: Int, types: [Int]) { (batch, seq, past, types) }
}

/// Checks an encoder's inputs (BERT, RoBERTa): ids or embeddings, token types, the mask and the
/// prefixes, and that prefix and input together fit `maxLength` positions (`lengthNote` says
/// where that number comes from, if not plainly `max_position_embeddings`).
func validateEncoderInputs(
  inputIds: [[Int]]?, attentionMask: [[Int]]?, tokenTypeIds: [[Int]]?, inputsEmbeds: Tensor?,
  pastKeyValues: [AttentionPrefix]?, vocabSize: Int, typeVocabSize: Int, hiddenSize: Int, heads: Int,
  layers: Int, maxLength: Int, lengthNote: String = ""
) throws -> EncoderInputs {
  let (batch, seq) = try inputShape(
    inputIds: inputIds, inputsEmbeds: inputsEmbeds, vocabSize: vocabSize, hiddenSize: hiddenSize,
    maxLength: maxLength)
  if let tokenTypeIds {
    let shape = try validateBatch(tokenTypeIds, name: "token_type_ids", limit: typeVocabSize, maxLength: seq)
    if shape != (batch, seq) {
      throw ModelInputError("token_type_ids must be \(batch) × \(seq) like the inputs")
    }
  }
  try validateMask(attentionMask, batch: batch, seq: seq)
  let past = try validatePrefixes(
    pastKeyValues, layers: layers, batch: batch, heads: heads, headDim: hiddenSize / heads)
  if past + seq > maxLength {
    throw ModelInputError(
      "\(past) prefix and \(seq) input positions exceed the model's \(maxLength)\(lengthNote)")
  }
  let types = tokenTypeIds?.flatMap { $0 } ?? [Int](repeating: 0, count: batch * seq)
  return EncoderInputs(batch: batch, seq: seq, past: past, types: types)
}

/// `paddingMask` for keys that a prefix of `prefix` positions precedes (prefix tuning): the prefix
/// is never padding. (batch, 1, 1, prefix + seq), 1 at padding.
func paddingMask(_ attentionMask: [[Int]], prefix: Int) -> Tensor {
  paddingMask(attentionMask.map { [Int](repeating: 1, count: prefix) + $0 })
}
