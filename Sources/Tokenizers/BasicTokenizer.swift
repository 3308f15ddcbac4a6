// BERT's text normalisation and pre-tokenization (Hugging Face's `BasicTokenizer` with
// `do_lower_case=True`): clean the text, put spaces around CJK characters, lower-case, strip
// accents, split on whitespace and punctuation. WordPiece then splits each word further.

/// BERT-uncased's normalisation and split into words.
public struct BasicTokenizer: Sendable {
  /// Lower-case and strip accents (BERT-uncased); false keeps the text's case (BERT-cased).
  public var lowercase: Bool
  /// Tokens never split or lower-cased, such as `[CLS]`.
  public var neverSplit: Set<String>

  public init(lowercase: Bool = true, neverSplit: Set<String> = []) {
    self.lowercase = lowercase
    self.neverSplit = neverSplit
  }

  /// The words of `text`, normalised as BERT does. Special tokens (`neverSplit`) are found
  /// first, wherever they are ("it was [MASK]." → ..., "[MASK]", "."), as Hugging Face does.
  public func tokenize(_ text: String) -> [String] {
    guard let (token, range) = firstSpecial(in: text) else { return tokenizeWithoutSpecials(text) }
    return tokenizeWithoutSpecials(String(text[..<range.lowerBound])) + [token]
      + tokenize(String(text[range.upperBound...]))
  }

  /// The earliest `neverSplit` token in `text`. Real vocabularies hold a thousand `[unusedN]`
  /// tokens, so rather than searching for each, when every special is `[…]` one pass looks at
  /// each bracketed span (what Hugging Face's trie does).
  func firstSpecial(in text: String) -> (String, Range<String.Index>)? {
    if neverSplit.isEmpty { return nil }
    guard neverSplit.allSatisfy({ $0.hasPrefix("[") && $0.hasSuffix("]") }) else {
      return neverSplit.compactMap { token in text.range(of: token).map { (token, $0) } }
        .min { $0.1.lowerBound < $1.1.lowerBound }
    }
    var index = text.startIndex
    while let open = text[index...].firstIndex(of: "[") {
      guard let close = text[open...].firstIndex(of: "]") else { return nil }
      // The innermost "[" before this "]" starts the candidate ("[[MASK]" holds "[MASK]").
      let start = text[open..<close].lastIndex(of: "[") ?? open
      let candidate = String(text[start...close])
      if neverSplit.contains(candidate) { return (candidate, start..<text.index(after: close)) }
      index = text.index(after: start)
    }
    return nil
  }

  func tokenizeWithoutSpecials(_ text: String) -> [String] {
    var cleaned = String.UnicodeScalarView()
    for scalar in text.precomposedStringWithCanonicalMapping.unicodeScalars {
      if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { continue }
      if isWhitespace(scalar) {
        cleaned.append(" ")
      } else if isCJK(scalar) {
        cleaned.append(" ")
        cleaned.append(scalar)
        cleaned.append(" ")
      } else {
        cleaned.append(scalar)
      }
    }
    var words: [String] = []
    for token in String(cleaned).split(separator: " ", omittingEmptySubsequences: true) {
      var word = String(token)
      if neverSplit.contains(word) {
        words.append(word)
        continue
      }
      if lowercase { word = stripAccents(word.lowercased()) }
      words += splitOnPunctuation(word)
    }
    return words
  }

  /// NFD, then drop the combining marks (Unicode category Mn): "café" → "cafe".
  func stripAccents(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars
    where scalar.properties.generalCategory != .nonspacingMark {
      out.append(scalar)
    }
    return String(out)
  }

  /// Every punctuation character becomes a word of its own: "hello!" → "hello", "!".
  func splitOnPunctuation(_ word: String) -> [String] {
    var pieces: [String] = []
    var current = String.UnicodeScalarView()
    for scalar in word.unicodeScalars {
      if isPunctuation(scalar) {
        if !current.isEmpty { pieces.append(String(current)) }
        current = String.UnicodeScalarView()
        pieces.append(String(scalar))
      } else {
        current.append(scalar)
      }
    }
    if !current.isEmpty { pieces.append(String(current)) }
    return pieces
  }
}

/// Space, tab, newline, carriage return, or any Unicode space separator (category Zs).
func isWhitespace(_ s: Unicode.Scalar) -> Bool {
  s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.generalCategory == .spaceSeparator
}

/// Control and format characters (categories C*), except the whitespace ones.
func isControl(_ s: Unicode.Scalar) -> Bool {
  if s == "\t" || s == "\n" || s == "\r" { return false }
  switch s.properties.generalCategory {
  case .control, .format, .surrogate, .privateUse, .unassigned: return true
  default: return false
  }
}

/// ASCII symbols (BERT counts `$`, `+`, `^`, ... as punctuation) and Unicode punctuation (P*).
func isPunctuation(_ s: Unicode.Scalar) -> Bool {
  let v = s.value
  if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
    return true
  }
  switch s.properties.generalCategory {
  case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
    .finalPunctuation, .otherPunctuation:
    return true
  default: return false
  }
}

/// The CJK Unified Ideographs blocks, which BERT tokenizes one character at a time.
func isCJK(_ s: Unicode.Scalar) -> Bool {
  let v = s.value
  return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
    || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
    || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
}
