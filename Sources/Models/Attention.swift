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

/// Scaled dot-product attention (the formula at the top of this file) for (..., queries, d)
/// queries and (..., keys, d) keys and values. `mask` is nonzero where a query must not see a
/// key and broadcasts to (..., queries, keys); masked keys get `maskedScore`. Dropout
/// (training only) applies to the weights, as in BERT and GPT-2; the weights returned are
/// those before dropout.
public func scaledDotProductAttention(
  query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil, dropout: Float = 0,
  training: Bool = false, generator: Generator = .default
) -> AttentionOutput {
  // BEGIN EXERCISE 3.2 "Scaled dot-product attention" points=3
  // hint: Every query meets every key through a dot product: that is one matrix product, once the keys are
  // hint: laid out the right way round.
  // hint 2: key.transpose(-2, -1) is (..., d, keys). d is the last size of query (not the number of keys, not
  // hint 2: the values' size). maskedFill puts maskedScore where the mask is nonzero, before the softmax; the
  // hint 2: softmax runs over the keys (the last axis).
  // hint 3: Scores: the product, scaled down by √d; then masked; then softmax. Dropout (training only, with
  // hint 3: `generator`) acts on the weights that multiply `value`; return that output and the weights from
  // hint 3: before dropout.
  let d = Float(query.shape.last ?? 1)
  var scores = query.matmul(key.transpose(-2, -1)) / d.squareRoot()  // (..., queries, keys)
  if let mask { scores = scores.maskedFill(mask, maskedScore) }
  let weights = scores.softmax(axis: -1)
  let output = weights.dropout(dropout, training: training, generator: generator).matmul(value)
  return AttentionOutput(output: output, weights: weights)
  // END EXERCISE 3.2
}

/// (batch, seq, heads·headDim) → (batch, heads, seq, headDim): each head sees its own slice
/// of every token's vector.
public func splitHeads(_ x: Tensor, heads: Int) -> Tensor {
  // BEGIN EXERCISE 3.3 "Splitting the heads" points=2
  // hint: Two shape operations do it: one splits the last axis, one moves an axis.
  // hint 2: Head h owns features h·headDim ..< (h+1)·headDim of every token; a reshape that splits the last
  // hint 2: axis keeps exactly that. No number needs to move until the axes are reordered.
  // hint 3: First give the heads an axis of their own with a new shape, then reorder the axes so the result
  // hint 3: reads (batch, heads, seq, headDim).
  let (batch, seq, hidden) = (x.shape[0], x.shape[1], x.shape[2])
  return x.reshape(batch, seq, heads, hidden / heads).permute(0, 2, 1, 3)
  // END EXERCISE 3.3
}

/// (batch, heads, seq, headDim) → (batch, seq, heads·headDim): the heads' outputs side by side,
/// the inverse of `splitHeads`. Written as a concatenation of the heads, so that it does not
/// give away exercise 3.3.
public func mergeHeads(_ x: Tensor) -> Tensor {
  let (batch, heads, seq, headDim) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  // Head h, (batch, 1, seq, headDim) → (batch, seq, headDim): dropping a size-1 axis moves nothing.
  let perHead = (0..<heads).map { h in x.slice(axis: 1, h..<(h + 1)).reshape(batch, seq, headDim) }
  return Tensor.concat(perHead, axis: 2)  // (batch, seq, heads·headDim)
}

/// A (seq, seq) mask that is 1 above the diagonal: position t may not see positions after t.
/// This is what makes a GPT-style model a left-to-right language model.
public func causalMask(_ seq: Int) -> Tensor {
  // BEGIN EXERCISE 3.1 "The causal mask" points=2
  // hint: Rows are query positions and columns key positions: which keys lie in a query's future?
  // hint 2: Build a flat row-major [Float] of seq·seq values (element (i, j) at i·seq + j) and wrap it in a
  // hint 2: Tensor. A token may see itself: the diagonal is not masked.
  // hint 3: Start from zeros, put 1 at every (row, column) where the column comes after the row, return it as
  // hint 3: a (seq, seq) Tensor.
  var mask = [Float](repeating: 0, count: seq * seq)
  for i in 0..<seq { for j in (i + 1)..<max(seq, i + 1) { mask[i * seq + j] = 1 } }
  return Tensor(mask, shape: [seq, seq])
  // END EXERCISE 3.1
}

/// A (batch, 1, 1, seq) mask that is 1 at padding, from a Hugging Face `attention_mask`
/// (1 for real tokens, 0 for padding). It hides padded keys from every query of every head.
public func paddingMask(_ attentionMask: [[Int]]) -> Tensor {
  let batch = attentionMask.count
  let seq = attentionMask.first?.count ?? 0
  return Tensor(attentionMask.flatMap { $0.map { $0 == 0 ? Float(1) : 0 } }, shape: [batch, 1, 1, seq])
}
