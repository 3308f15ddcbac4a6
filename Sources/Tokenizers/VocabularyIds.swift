// The ids of a vocabulary read from a file (vocab.json, tokenizer.json's model.vocab): every
// vocabulary transformers writes numbers its tokens 0..<count, and the readers refuse anything
// else before building an id → token table. Found by fuzzing: the readers used to size that
// table by the largest id, so `{"b": 10^15}` asked for 10^15 strings.

import Foundation

/// The smallest id in 0..<count that no token has, or nil when the ids are exactly 0..<count.
/// An id outside that range, or two tokens sharing one, leaves some id without a token.
func firstMissingId(_ vocabulary: [String: Int]) -> Int? {
  var seen = [Bool](repeating: false, count: vocabulary.count)
  for id in vocabulary.values where seen.indices.contains(id) { seen[id] = true }
  return seen.firstIndex(of: false)
}

/// Refuses a vocabulary whose ids are not exactly 0..<count, with an error naming `file` and
/// `field` (the vocabulary's place in the file; nil when the file is the vocabulary itself).
func checkIdsAreZeroToCount(_ vocabulary: [String: Int], file: String, field: String? = nil) throws {
  if let gap = firstMissingId(vocabulary) {
    throw TokenizerError(
      file: file, (field.map { "field \($0) " } ?? "") + "has no token for id \(gap); ids must be 0..<count")
  }
}
