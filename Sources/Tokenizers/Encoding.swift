// Encoding text for a model: special tokens, sentence pairs, truncation, padding and the
// attention mask, for one text or a batch — what Hugging Face's `tokenizer(...)` returns.

import Exercises

/// One encoded input, field for field Hugging Face's `BatchEncoding` of one example.
public struct Encoding: Equatable, Sendable {
  /// `input_ids`.
  public var ids: [Int]
  /// The pieces, for display (`[CLS]`, `play`, `##ing`, ...).
  public var tokens: [String]
  /// `token_type_ids`: 0 for the first text (and its specials), 1 for the second.
  public var typeIds: [Int]
  /// `attention_mask`: 1 for real tokens, 0 for padding.
  public var attentionMask: [Int]
  /// Each token's characters in the original text (nil for special tokens and padding).
  public var offsets: [Range<Int>?]

  public init(ids: [Int], tokens: [String], typeIds: [Int], attentionMask: [Int], offsets: [Range<Int>?]) {
    self.ids = ids
    self.tokens = tokens
    self.typeIds = typeIds
    self.attentionMask = attentionMask
    self.offsets = offsets
  }
}

extension Encoding: ExercisePlaceholder {
  /// What an unfinished exercise returns: an empty encoding.
  public static var exercisePlaceholder: Encoding {
    Encoding(ids: [], tokens: [], typeIds: [], attentionMask: [], offsets: [])
  }
}

/// Which text loses tokens when a pair is too long (Hugging Face's `truncation=` values).
public enum Truncation: Sendable {
  /// From whichever text is longer; when both must lose tokens, the shorter keeps half the
  /// budget (rounded down), as Hugging Face's tokenizers library does (`longestFirstLengths`).
  case longestFirst
  case onlyFirst
  case onlySecond
  /// Never truncate (the model may then refuse the input).
  case doNotTruncate
}

/// How many tokens each text keeps under Hugging Face tokenizers' longest-first truncation:
/// the longer text loses tokens until both fit or are equally long; when both must lose, the
/// shorter (the first, if equal) keeps ⌊budget/2⌋ and the other the rest.
public func longestFirstLengths(_ first: Int, _ second: Int, budget: Int) -> (first: Int, second: Int) {
  guard first + second > budget else { return (first, second) }
  guard second > 0 else { return (min(first, budget), 0) }
  guard first > 0 else { return (0, min(second, budget)) }
  let swap = first > second
  var (n1, n2) = swap ? (second, first) : (first, second)
  n2 = n1 > budget ? n1 : max(n1, budget - n1)
  if n1 + n2 > budget {
    n1 = budget / 2
    n2 = n1 + budget % 2
  }
  (n1, n2) = (min(n1, swap ? second : first), min(n2, swap ? first : second))
  return swap ? (n2, n1) : (n1, n2)
}

/// How a batch is padded (Hugging Face's `padding=`).
public enum Padding: Sendable {
  case doNotPad
  /// To the longest encoding in the batch.
  case longest
  /// To exactly this length (longer encodings are left as they are: truncate them first).
  case maxLength(Int)
}

/// Pads every encoding to `length` with `padID`: ids get the pad id, type ids 0, the attention
/// mask 0 (so attention ignores the pads), tokens `padToken`, offsets nil. Encodings already
/// that long are unchanged.
public func pad(_ encoding: Encoding, to length: Int, padID: Int, padToken: String = "[PAD]") -> Encoding {
  // BEGIN EXERCISE 2.4 "Padding with an attention mask" points=2
  // hint: Every field of an Encoding has one entry per token, so padding adds entries to all of them.
  // hint 2: How many pads: the target length minus the current count, and none when the encoding is already
  // hint 2: long enough. The doc comment says which value each field gets; the attention mask is what tells
  // hint 2: attention the pads are not text.
  // hint 3: Copy the encoding, work out how many entries are missing (never negative), append that many of
  // hint 3: the right value to each of its five fields, return the copy.
  let missing = max(0, length - encoding.ids.count)
  var padded = encoding
  padded.ids += [Int](repeating: padID, count: missing)
  padded.tokens += [String](repeating: padToken, count: missing)
  padded.typeIds += [Int](repeating: 0, count: missing)
  padded.attentionMask += [Int](repeating: 0, count: missing)
  padded.offsets += [Range<Int>?](repeating: nil, count: missing)
  return padded
  // END EXERCISE 2.4
}

extension WordPieceTokenizer {
  /// The pieces of `text` with their character ranges in it (BERT's tokenizer works on the
  /// lower-cased, accent-stripped text; the ranges point back into the original).
  public func piecesWithOffsets(_ text: String) -> [(piece: String, offsets: Range<Int>)] {
    // The normalised text, and for each of its characters the original character it came from.
    var normalized: [Character] = []
    var origin: [Int] = []
    for (index, character) in text.enumerated() {
      // The same cleaning as the basic tokenizer: control and zero-width characters go.
      var kept = String.UnicodeScalarView()
      for scalar in character.unicodeScalars
      where !(scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar)) {
        kept.append(isWhitespace(scalar) ? " " : scalar)
      }
      let mapped = basic.lowercase ? basic.stripAccents(String(kept).lowercased()) : String(kept)
      for c in mapped {
        normalized.append(c)
        origin.append(index)
      }
    }
    var result: [(String, Range<Int>)] = []
    var cursor = 0
    for word in basic.tokenize(text) {
      // Special tokens keep their case in the word list; the normalised text is lower-cased.
      let target = Array(basic.neverSplit.contains(word) && basic.lowercase ? word.lowercased() : word)
      // The next occurrence of the word in the normalised text.
      var start = cursor
      while start + target.count <= normalized.count
        && Array(normalized[start..<(start + target.count)]) != target
      {
        start += 1
      }
      guard start + target.count <= normalized.count else { continue }
      cursor = start + target.count
      var pieceStart = start
      for piece in vocabulary[word] != nil ? [word] : wordPieces(word) {
        let length =
          piece == unknownToken
          ? target.count : piece.count - (piece.hasPrefix(continuationPrefix) ? continuationPrefix.count : 0)
        let end = min(pieceStart + length, cursor)
        result.append((piece, origin[pieceStart]..<(origin[end - 1] + 1)))
        pieceStart = end
      }
    }
    return result
  }

  /// `[CLS] text [SEP]` or `[CLS] text [SEP] pair [SEP]`, truncated to `maxLength` tokens:
  /// `tokenizer(text, pair: other)`, as Hugging Face's `tokenizer(text, other)`.
  public func callAsFunction(
    _ text: String, pair: String? = nil, maxLength: Int? = nil, truncation: Truncation = .longestFirst
  ) -> Encoding {
    var first = piecesWithOffsets(text)
    var second = pair.map(piecesWithOffsets) ?? []
    if let maxLength, truncation == .longestFirst {
      let budget = max(0, maxLength - (pair == nil ? 2 : 3))
      let kept = longestFirstLengths(first.count, second.count, budget: budget)
      first.removeLast(first.count - kept.first)
      second.removeLast(second.count - kept.second)
    } else if let maxLength, truncation != .doNotTruncate {
      let budget = max(0, maxLength - (pair == nil ? 2 : 3))
      while first.count + second.count > budget {
        let fromFirst: Bool
        switch truncation {
        case .onlyFirst: fromFirst = true
        case .onlySecond: fromFirst = false
        default: fromFirst = first.count >= second.count
        }
        if fromFirst {
          if first.isEmpty { break }
          first.removeLast()
        } else {
          if second.isEmpty { break }
          second.removeLast()
        }
      }
    }
    var tokens = ["[CLS]"] + first.map(\.piece) + ["[SEP]"]
    var offsets: [Range<Int>?] = [nil] + first.map(\.offsets) + [nil]
    var typeIds = [Int](repeating: 0, count: tokens.count)
    if pair != nil {
      tokens += second.map(\.piece) + ["[SEP]"]
      offsets += second.map(\.offsets) + [nil]
      typeIds += [Int](repeating: 1, count: second.count + 1)
    }
    return Encoding(
      ids: tokens.map(id(of:)), tokens: tokens, typeIds: typeIds,
      attentionMask: [Int](repeating: 1, count: tokens.count),
      offsets: offsets)
  }

  /// `[CLS] text [SEP]` (or the pair), truncated longest-first to `maxLength` tokens: the
  /// shape every `Tokenizer` has.
  public func callAsFunction(_ text: String, pair: String?, maxLength: Int?) -> Encoding {
    self(text, pair: pair, maxLength: maxLength, truncation: .longestFirst)
  }

  /// A batch, truncated and padded as asked (by default to the longest in the batch).
  public func encodeBatch(
    _ texts: [String], pairs: [String]? = nil, maxLength: Int? = nil, truncation: Truncation = .longestFirst,
    padding: Padding = .longest
  ) -> [Encoding] {
    let encodings = texts.enumerated().map { i, text in
      self(text, pair: pairs?[i], maxLength: maxLength, truncation: truncation)
    }
    let length: Int
    switch padding {
    case .doNotPad: return encodings
    case .longest: length = encodings.map(\.ids.count).max() ?? 0
    case .maxLength(let n): length = n
    }
    return encodings.map { pad($0, to: length, padID: id(of: "[PAD]")) }
  }
}
