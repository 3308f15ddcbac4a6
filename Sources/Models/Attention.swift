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

import Exercises
import TensorCore

/// The value added in place of a masked score: the most negative Float, as Hugging Face uses
/// (`torch.finfo(dtype).min`). e^(min - max) is exactly 0, so masked positions get exactly
/// zero weight, and a row with every key masked still gives finite (uniform) weights.
public let maskedScore = -Float.greatestFiniteMagnitude

/// What attention computes: the output vectors and the weights that mixed them.
public struct AttentionOutput: ExercisePlaceholder {
  /// (..., queries, d): each query's weighted average of the values.
  public var output: Tensor
  /// (..., queries, keys): how much each query attends to each key; rows sum to 1.
  public var weights: Tensor

  public init(output: Tensor, weights: Tensor) {
    self.output = output
    self.weights = weights
  }

  /// What an unfinished exercise returns.
  public static var exercisePlaceholder: AttentionOutput {
    AttentionOutput(output: .exercisePlaceholder, weights: .exercisePlaceholder)
  }
}

/// softmax(q·kᵀ/√d, masked) · v for (..., queries, d) queries and (..., keys, d) keys and
/// values. `mask` is nonzero where a query must not see a key and broadcasts to
/// (..., queries, keys); masked scores are replaced by `maskedScore` before the softmax.
/// Dropout (training only) applies to the weights, as in BERT and GPT-2.
public func scaledDotProductAttention(
  query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil, dropout: Float = 0,
  training: Bool = false, generator: Generator = .default
) -> AttentionOutput {
  // BEGIN EXERCISE 3.1 "Scaled dot-product attention" points=3
  // hint: scores = query · keyᵀ (transpose the last two axes of key) divided by √d, d = the last size of query.
  // hint: Fill masked scores with maskedScore, softmax over the last axis, apply dropout to the weights, multiply by value.
  let d = Float(query.shape.last ?? 1)
  var scores = query.matmul(key.transpose(-2, -1)) / d.squareRoot()  // (..., queries, keys)
  if let mask { scores = scores.maskedFill(mask, maskedScore) }
  let weights = scores.softmax(axis: -1)
  let output = weights.dropout(dropout, training: training, generator: generator).matmul(value)
  return AttentionOutput(output: output, weights: weights)
  // END EXERCISE 3.1
}

/// (batch, seq, heads·headDim) → (batch, heads, seq, headDim): each head sees its own slice
/// of every token's vector.
public func splitHeads(_ x: Tensor, heads: Int) -> Tensor {
  // BEGIN EXERCISE 3.3 "Splitting the heads" points=2
  // hint: Reshape (batch, seq, hidden) to (batch, seq, heads, hidden / heads): head h owns features h·headDim ..< (h+1)·headDim.
  // hint: Then permute to (batch, heads, seq, headDim), so each head is a batch of its own.
  let (batch, seq, hidden) = (x.shape[0], x.shape[1], x.shape[2])
  return x.reshape(batch, seq, heads, hidden / heads).permute(0, 2, 1, 3)
  // END EXERCISE 3.3
}

/// (batch, heads, seq, headDim) → (batch, seq, heads·headDim): the heads' outputs side by side,
/// the inverse of `splitHeads`.
public func mergeHeads(_ x: Tensor) -> Tensor {
  let (batch, heads, seq, headDim) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  return x.permute(0, 2, 1, 3).reshape(batch, seq, heads * headDim)
}

/// A (seq, seq) mask that is 1 above the diagonal: position t may not see positions after t.
/// This is what makes a GPT-style model a left-to-right language model.
public func causalMask(_ seq: Int) -> Tensor {
  // BEGIN EXERCISE 3.2 "The causal mask" points=2
  // hint: Row i is a query position and column j a key position; j > i is the future, so mask[i][j] = 1 exactly there.
  var mask = [Float](repeating: 0, count: seq * seq)
  for i in 0..<seq { for j in (i + 1)..<max(seq, i + 1) { mask[i * seq + j] = 1 } }
  return Tensor(mask, shape: [seq, seq])
  // END EXERCISE 3.2
}

/// A (batch, 1, 1, seq) mask that is 1 at padding, from a Hugging Face `attention_mask`
/// (1 for real tokens, 0 for padding). It hides padded keys from every query of every head.
public func paddingMask(_ attentionMask: [[Int]]) -> Tensor {
  let batch = attentionMask.count
  let seq = attentionMask.first?.count ?? 0
  return Tensor(attentionMask.flatMap { $0.map { $0 == 0 ? Float(1) : 0 } }, shape: [batch, 1, 1, seq])
}
