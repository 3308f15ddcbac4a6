// Attention, the one idea a transformer adds to the tensor core.
//
// Every token asks a question (its query), every token offers an answer key and a value; a
// token's output is the average of all values, weighted by how well its query matches each key:
//
//     Attention(Q, K, V) = softmax(Q·Kᵀ / √d + mask) · V        (Vaswani et al., 2017)
//
// Dividing by √d keeps the scores' variance near 1 whatever the head size d, so the softmax
// does not saturate. Multi-head attention runs several such attentions side by side on slices
// of the hidden vector ("heads") and concatenates their outputs.

import TensorCore

/// The value added in place of a masked score: the most negative Float, as Hugging Face uses
/// (`torch.finfo(dtype).min`). e^(min - max) is exactly 0, so masked positions get exactly
/// zero weight, and a row with every key masked still gives finite (uniform) weights.
public let maskedScore = -Float.greatestFiniteMagnitude

/// softmax(q·kᵀ/√d, masked) · v for (..., queries, d) queries and (..., keys, d) keys and
/// values. `mask` is nonzero where a query must not see a key and broadcasts to
/// (..., queries, keys). Returns the output (..., queries, d) and the attention weights
/// (..., queries, keys).
public func scaledDotProductAttention(
  query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil, dropout: Float = 0,
  training: Bool = false, generator: Generator = .default
) -> (output: Tensor, weights: Tensor) {
  let d = Float(query.shape.last ?? 1)
  var scores = query.matmul(key.transpose(-2, -1)) / d.squareRoot()  // (..., queries, keys)
  if let mask { scores = scores.maskedFill(mask, maskedScore) }
  let weights = scores.softmax(axis: -1)
  let output = weights.dropout(dropout, training: training, generator: generator).matmul(value)
  return (output, weights)
}

/// (batch, seq, heads·headDim) → (batch, heads, seq, headDim): each head sees its own slice.
public func splitHeads(_ x: Tensor, heads: Int) -> Tensor {
  let (batch, seq, hidden) = (x.shape[0], x.shape[1], x.shape[2])
  return x.reshape(batch, seq, heads, hidden / heads).permute(0, 2, 1, 3)
}

/// (batch, heads, seq, headDim) → (batch, seq, heads·headDim): the heads' outputs side by side.
public func mergeHeads(_ x: Tensor) -> Tensor {
  let (batch, heads, seq, headDim) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  return x.permute(0, 2, 1, 3).reshape(batch, seq, heads * headDim)
}

/// A (seq, seq) mask that is 1 above the diagonal: position t may not see positions after t.
/// This is what makes a GPT-style model a left-to-right language model.
public func causalMask(_ seq: Int) -> Tensor {
  var mask = [Float](repeating: 0, count: seq * seq)
  for i in 0..<seq { for j in (i + 1)..<max(seq, i + 1) { mask[i * seq + j] = 1 } }
  return Tensor(mask, shape: [seq, seq])
}

/// A (batch, 1, 1, seq) mask that is 1 at padding, from a Hugging Face `attention_mask`
/// (1 for real tokens, 0 for padding). It hides padded keys from every query of every head.
public func paddingMask(_ attentionMask: [[Int]]) -> Tensor {
  let batch = attentionMask.count
  let seq = attentionMask.first?.count ?? 0
  return Tensor(attentionMask.flatMap { $0.map { $0 == 0 ? Float(1) : 0 } }, shape: [batch, 1, 1, seq])
}
