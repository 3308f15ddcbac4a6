// Contextual augmentation (Kobayashi 2018, "Contextual augmentation: data augmentation by words
// with paradigmatic relations"): instead of a fixed synonym list (EDA), a masked language model
// proposes the replacement. A word is masked, the model predicts what fits in its place from
// the words around it, and the word is replaced by one of the model's best guesses other than
// itself. The guesses fit the sentence, but they are not synonyms: "I want a refund" may become
// "I want a replacement", a different intent. Kobayashi conditions the model on the label to
// prevent that; this version, like most used in practice, does not (Lesson 6 measures it).
//
// This file is the operation on words; the masked language model is passed in as a function
// (`fillMask(model:tokenizer:texts:top:)` in Sources/Training reads bert-mini's MLM head), so
// the operation can be tested with a model written by hand.

/// One guess of a masked language model for a masked word: a token and its probability, as
/// transformers' fill-mask pipeline names them (`token_str`, `score`). A plain tuple, so that
/// Sources/Training's `fillMask`, which knows nothing of this module, returns the same type.
public typealias MaskPrediction = (token: String, score: Double)

/// Masked-LM substitution with its strengths; `fill` is the masked language model.
public struct ContextualAugmentation {
  /// The model: for each text (words separated by spaces, some of them `mask`), the guesses for
  /// each mask in order of appearance, best first. A mask it has no guesses for (cut off by a
  /// maximum length) may be left out at the end.
  public var fill: ([String]) throws -> [[[MaskPrediction]]]
  /// The mask token the model reads.
  public var mask = "[MASK]"
  /// The replacement is sampled from this many of the model's best guesses that are words and
  /// not the masked word itself.
  public var topK = 10
  /// Share of the words masked and replaced in each new text (at least one).
  public var share = 0.15
  /// New texts per original.
  public var numAug = 4

  /// An augmentation that asks `fill` for the replacements.
  public init(fill: @escaping ([String]) throws -> [[[MaskPrediction]]]) { self.fill = fill }

  /// `numAug` new versions of each text (all of the texts' masks go to `fill` at once), drawn
  /// from `random`: in each, `share` of the words (at least one) masked together and each
  /// replaced by `substituteWord`.
  public func augment(_ texts: [String], random: inout SeededRandom) throws -> [[String]] {
    var masked: [(text: Int, words: [String], positions: [Int])] = []
    for (t, text) in texts.enumerated() {
      let words = text.split(separator: " ").map(String.init)
      let count = max(1, Int(share * Double(words.count)))
      for _ in 0..<numAug {
        masked.append((t, words, maskablePositions(words, count: count, random: &random)))
      }
    }
    let guesses = try fill(masked.map { maskWords($0.words, at: $0.positions).joined(separator: " ") })
    var result = Array(repeating: [String](), count: texts.count)
    for (variant, guess) in zip(masked, guesses) {
      var words = variant.words
      for (position, predictions) in zip(variant.positions, guess) {
        words = substituteWord(words, at: position, predictions: predictions, topK: topK, random: &random)
      }
      result[variant.text].append(words.joined(separator: " "))
    }
    return result
  }

  /// `words` with the word at each of `positions` replaced by the mask, the punctuation around
  /// it kept apart (`kettle.` → `[MASK] .`), as the model's tokenizer would split it anyway.
  public func maskWords(_ words: [String], at positions: [Int]) -> [String] {
    var result = words
    for i in positions {
      let (_, prefix, suffix) = wordCore(words[i])
      result[i] = [prefix, mask, suffix].filter { !$0.isEmpty }.joined(separator: " ")
    }
    return result
  }
}

/// Up to `count` distinct positions of words with letters or digits, in increasing order,
/// chosen at random.
public func maskablePositions(_ words: [String], count: Int, random: inout SeededRandom) -> [Int] {
  random.shuffled(words.indices.filter { !wordCore(words[$0]).core.isEmpty }).prefix(count).sorted()
}

/// `words` with the word at `index` replaced by a guess sampled, in proportion to its
/// probability, from the `topK` best `predictions` that are words (letters or digits, not a
/// `##` piece or a `[special]` token) and not the word itself (compared lowercased). The
/// punctuation around the word is kept, and a capital first letter. Without any such guess the
/// words are returned unchanged.
public func substituteWord(
  _ words: [String], at index: Int, predictions: [MaskPrediction], topK: Int, random: inout SeededRandom
) -> [String] {
  let (core, prefix, suffix) = wordCore(words[index])
  let candidates = Array(
    predictions.filter { prediction in
      let token = prediction.token.lowercased()
      return token != core && !token.hasPrefix("##") && !token.hasPrefix("[")
        && wordCore(token).core == token && prediction.score > 0
    }
    .prefix(max(1, topK)))
  guard !candidates.isEmpty else { return words }
  // A draw in [0, total): the first guess whose running sum passes it.
  let total = candidates.map(\.score).reduce(0, +)
  var draw = Double(random.next() >> 11) * 0x1p-53 * total
  var chosen = candidates[candidates.count - 1].token
  for candidate in candidates {
    if draw < candidate.score {
      chosen = candidate.token
      break
    }
    draw -= candidate.score
  }
  let original = words[index].dropFirst(prefix.count)
  if original.first?.isUppercase == true { chosen = chosen.prefix(1).uppercased() + chosen.dropFirst() }
  var result = words
  result[index] = prefix + chosen + suffix
  return result
}
