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
  // hint: Each non-special token is chosen on its own with probability `probability`; what happens to a
  // hint: chosen token is decided by a second, independent draw.
  // hint 2: Labels start at -100 everywhere and get the original id wherever a token is chosen, whatever
  // hint 2: replaces it. generator.uniform() makes the draws and generator.int(below:) picks a random
  // hint 2: replacement among the non-special ids.
  // hint 3: For each row and each position holding a non-special id: draw; if below the probability, record
  // hint 3: the label, draw again, and let that draw's range decide: [MASK] (80%), a random non-special id
  // hint 3: (10%), or unchanged (10%).
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
  // BEGIN EXERCISE 4.3 "The causal shift" points=2
  // hint: At position t a causal language model predicts the token that comes after t.
  // hint 2: The label of position t comes from position t + 1 of the same row. Some positions have nothing to
  // hint 2: predict, and padding is never a target.
  // hint 3: For each row and each position: the next token if there is one and it is not padID, otherwise
  // hint 3: -100; label rows keep the input rows' lengths.
  return ids.map { row in
    row.indices.map { t in t + 1 < row.count && row[t + 1] != padID ? row[t + 1] : -100 }
  }
  // END EXERCISE 4.3
}
