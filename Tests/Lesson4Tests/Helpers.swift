import ExerciseTesting
import Foundation
import Models
import TensorCore
import Training
import XCTest

/// Counts of what `maskTokens` did to the non-special tokens of `ids`.
struct MaskingCounts {
  var tokens = 0
  var chosen = 0
  var masked = 0
  var random = 0
  var kept = 0
  /// Problems found along the way (a changed token that is not a target, a wrong label...).
  var problems: [String] = []

  init(_ ids: [[Int]], _ batch: MaskedBatch, maskID: Int, special: Set<Int>) {
    for r in ids.indices {
      for t in ids[r].indices {
        let (original, input, label) = (ids[r][t], batch.inputIds[r][t], batch.labels[r][t])
        if special.contains(original) {
          if input != original || label != -100 {
            problems.append("row \(r), position \(t): special token \(original) was chosen")
          }
          continue
        }
        tokens += 1
        if label == -100 {
          if input != original { problems.append("row \(r), position \(t): changed but not a target") }
          continue
        }
        if label != original {
          problems.append("row \(r), position \(t): label \(label), the original token is \(original)")
        }
        chosen += 1
        if input == maskID {
          masked += 1
        } else if input == original {
          kept += 1
        } else {
          random += 1
        }
      }
    }
  }
}

/// A safetensors file by hand: the header's length as 8 little-endian bytes (or `length`), the
/// header, then `data`.
func handBuiltSafetensors(_ header: String, length: UInt64? = nil, data: [UInt8] = []) -> Data {
  let h = Array(header.utf8)
  let n = length ?? UInt64(h.count)
  return Data((0..<8).map { UInt8((n >> (8 * UInt64($0))) & 0xFF) } + h + data)
}

/// A small MLM model for the loss tests, in evaluation mode (no dropout).
func tinyMaskedLM(seed: UInt64) -> BertForMaskedLM {
  let config = BertConfig.tiny(vocabSize: 16, hiddenSize: 8, intermediateSize: 16, maxPositionEmbeddings: 8)
  let model = BertForMaskedLM(config, generator: Generator(seed: seed))
  model.eval()
  return model
}

/// The MLM loss computed the long way: logits at every position, cross-entropy averaged over
/// the positions whose label is not -100.
func referenceMaskedLMLoss(_ model: BertForMaskedLM, inputs: [[Int]], labels: [[Int]]) throws -> Float {
  let logits = try model(inputIds: inputs)  // (batch, seq, vocabulary)
  let vocabulary = logits.shape[2]
  var total = 0.0
  var count = 0
  for (i, label) in labels.flatMap({ $0 }).enumerated() where label != -100 {
    let row = logits.data[(i * vocabulary)..<((i + 1) * vocabulary)].map(Double.init)
    let top = row.max()!
    total += top + log(row.reduce(0) { $0 + exp($1 - top) }) - row[label]
    count += 1
  }
  return Float(total / Double(count))
}

/// The MLM loss runs a BERT, built on Lesson 3's exercises: skipped until those are done.
func skipUnlessLesson3Done() throws {
  try skipUnlessExercisesDone {
    let x = Tensor(zeros: [1, 2, 4])
    _ = splitHeads(x, heads: 2)
    _ = causalMask(2)
    _ = scaledDotProductAttention(query: x, key: x, value: x)
  }
}
