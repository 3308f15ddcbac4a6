// Masked language modelling's inputs: BERT's dynamic masking (Devlin et al., 2019, §3.1).
//
// 15% of the tokens are chosen as prediction targets; of those, 80% are replaced by [MASK],
// 10% by a random token and 10% left unchanged, so the model cannot learn that only [MASK]
// positions matter. Special tokens are never chosen. Labels are the original ids at chosen
// positions and -100 (ignored by the loss) everywhere else.

import Exercises
import TensorCore

/// One masked batch: what the model reads and what it must predict.
public struct MaskedBatch: Sendable, ExercisePlaceholder {
  /// (batch, seq) ids with some tokens replaced.
  public var inputIds: [[Int]]
  /// (batch, seq) original ids at the chosen positions, -100 elsewhere.
  public var labels: [[Int]]

  /// A batch from its two halves.
  public init(inputIds: [[Int]], labels: [[Int]]) {
    self.inputIds = inputIds
    self.labels = labels
  }

  /// What an unfinished exercise returns: an empty batch.
  public static var exercisePlaceholder: MaskedBatch { MaskedBatch(inputIds: [], labels: []) }
}

/// BERT's 80/10/10 masking of `ids`. `special` ids are never chosen; random replacements are
/// drawn from `0..<vocabularySize` minus the special ids.
public func maskTokens(
  _ ids: [[Int]], maskID: Int, vocabularySize: Int, special: Set<Int>, probability: Double = 0.15,
  generator: Generator
) -> MaskedBatch {
  // BEGIN EXERCISE 4.1 "BERT's 80/10/10 masking" points=3
  // hint: Visit every token that is not special; choose it with probability `probability` (one generator.uniform() draw).
  // hint: A chosen token's label is its original id (-100 elsewhere); a second draw u decides: u < 0.8 → maskID, u < 0.9 → a random non-special id, else unchanged.
  var inputs = ids
  var labels = ids.map { $0.map { _ in -100 } }
  let replacements = (0..<vocabularySize).filter { !special.contains($0) }
  for r in ids.indices {
    for t in ids[r].indices where !special.contains(ids[r][t]) {
      guard Double(generator.uniform()) < probability else { continue }
      labels[r][t] = ids[r][t]
      let u = generator.uniform()
      if u < 0.8 {
        inputs[r][t] = maskID
      } else if u < 0.9 {
        inputs[r][t] = replacements[generator.int(below: replacements.count)]
      }  // else: unchanged
    }
  }
  return MaskedBatch(inputIds: inputs, labels: labels)
  // END EXERCISE 4.1
}

/// Causal language modelling's targets: the next token at every position, -100 at the last
/// (and wherever the next token is padding).
public func nextTokenLabels(_ ids: [[Int]], padID: Int? = nil) -> [[Int]] {
  // BEGIN EXERCISE 4.2 "The causal shift" points=2
  // hint: The label at position t is the token at t + 1: shift each row left by one.
  // hint: The last position has no next token, and a next token that is padding is not a target: both get -100.
  return ids.map { row in
    row.indices.map { t in t + 1 < row.count && row[t + 1] != padID ? row[t + 1] : -100 }
  }
  // END EXERCISE 4.2
}
