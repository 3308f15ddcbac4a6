// WordPiece (BERT's tokenizer): each word is split greedily into the longest pieces found in
// the vocabulary, left to right; pieces after the first carry the `##` prefix. A word that
// cannot be split (or is longer than 100 characters) becomes `[UNK]`.

import Exercises
import Foundation

/// A BERT vocabulary with its special tokens, and the tokenizer built on it.
public struct WordPieceTokenizer: Tokenizer, Sendable {
  /// Token → id; the id is the token's line in vocab.txt, counted from 0.
  public internal(set) var vocabulary: [String: Int]
  /// Id → token.
  public internal(set) var tokens: [String]
  public var basic: BasicTokenizer
  public let unknownToken: String
  public let continuationPrefix: String
  public let maxCharactersPerWord: Int

  /// A tokenizer for `tokens` (id = index). `[UNK]` must be among them.
  public init(
    tokens: [String], lowercase: Bool = true, unknownToken: String = "[UNK]",
    continuationPrefix: String = "##",
    maxCharactersPerWord: Int = 100
  ) throws {
    var vocabulary: [String: Int] = [:]
    for (id, token) in tokens.enumerated() where vocabulary[token] == nil { vocabulary[token] = id }
    guard vocabulary[unknownToken] != nil else {
      throw TokenizerError("the vocabulary has no \(unknownToken) token")
    }
    self.vocabulary = vocabulary
    self.tokens = tokens
    self.unknownToken = unknownToken
    self.continuationPrefix = continuationPrefix
    self.maxCharactersPerWord = maxCharactersPerWord
    let specials = Set(tokens.filter { $0.hasPrefix("[") && $0.hasSuffix("]") })
    self.basic = BasicTokenizer(lowercase: lowercase, neverSplit: specials)
  }

  /// Reads a BERT `vocab.txt`: one token per line, the line number (from 0) is the id.
  public init(vocabularyFile url: URL, lowercase: Bool = true) throws {
    guard let data = try? Data(contentsOf: url) else {
      throw TokenizerError(file: url.path, "cannot read the file")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw TokenizerError(file: url.path, "is not valid UTF-8")
    }
    // "\r\n" is one Character in Swift (a Windows vocab.txt): split at either ending.
    var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
      .map(String.init)
    if lines.last == "" { lines.removeLast() }
    guard !lines.isEmpty else {
      throw TokenizerError(file: url.path, "is empty; expected one token per line")
    }
    var seen: [String: Int] = [:]
    for (index, token) in lines.enumerated() {
      if token.isEmpty { throw TokenizerError(file: url.path, line: index + 1, "empty token") }
      if let first = seen[token] {
        throw TokenizerError(
          file: url.path, line: index + 1, "duplicate token \"\(token)\" (first on line \(first + 1))")
      }
      seen[token] = index
    }
    do { try self.init(tokens: lines, lowercase: lowercase) } catch {
      throw TokenizerError(file: url.path, "has no [UNK] token; BERT vocabularies need it")
    }
  }

  /// Writes vocab.txt (atomically).
  public func write(to url: URL) throws {
    try Data((tokens.joined(separator: "\n") + "\n").utf8).write(to: url, options: .atomic)
  }

  /// Writes what transformers' `save_pretrained` writes for a BERT tokenizer: `tokenizer.json`
  /// (which this kit and `AutoTokenizer` read first), `tokenizer_config.json` (so transformers
  /// keeps the casing) and, for older readers, `vocab.txt`.
  public func save(to directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try write(to: directory.appendingPathComponent("vocab.txt"))
    try tokenizerJSON().write(to: directory.appendingPathComponent("tokenizer.json"), options: .atomic)
    try tokenizerConfigJSON().write(
      to: directory.appendingPathComponent("tokenizer_config.json"), options: .atomic)
  }

  public var vocabularySize: Int { tokens.count }

  /// `[PAD]`'s id (`pad_token_id`), `nil` if the vocabulary has no `[PAD]`.
  public var padTokenId: Int? { vocabulary["[PAD]"] }

  /// Always `nil`: BERT marks the end of a text with `[SEP]`, and has no end-of-text token.
  public var eosTokenId: Int? { nil }

  /// The id of a token, or of `[UNK]`.
  public func id(of token: String) -> Int { vocabulary[token] ?? vocabulary[unknownToken]! }

  public func tokenize(_ text: String) -> [String] {
    basic.tokenize(text).flatMap { word in vocabulary[word] != nil ? [word] : wordPieces(word) }
  }

  /// One word as vocabulary pieces, greedy longest-match-first as BERT's `WordpieceTokenizer`
  /// splits it ("playing" → "play", "##ing"); `[UNK]` alone when the vocabulary cannot cover the
  /// word or it is longer than `maxCharactersPerWord`.
  public func wordPieces(_ word: String) -> [String] {
    // BEGIN EXERCISE 2.2 "WordPiece: greedy longest match first" points=2
    // hint: Greedy: take the longest piece the vocabulary knows at the current point, then carry on from
    // hint: where that piece ends.
    // hint 2: Work on the word's Unicode scalars (Array(word.unicodeScalars)). A piece that does not start
    // hint 2: the word is looked up with continuationPrefix ("##") in front. If at some point no piece fits,
    // hint 2: the whole word is one unknown token, not only its rest.
    // hint 3: Refuse over-long words first. From the start of the word, try the longest candidate and shorten
    // hint 3: it one character at a time until the vocabulary has it (prefixed unless it starts the word);
    // hint 3: none → the unknown token; else keep it and continue after it.
    let characters = Array(word.unicodeScalars)
    if characters.count > maxCharactersPerWord { return [unknownToken] }
    var pieces: [String] = []
    var start = 0
    while start < characters.count {
      var end = characters.count
      var found: String?
      while start < end {
        var piece = String(String.UnicodeScalarView(characters[start..<end]))
        if start > 0 { piece = continuationPrefix + piece }
        if vocabulary[piece] != nil {
          found = piece
          break
        }
        end -= 1
      }
      guard let piece = found else { return [unknownToken] }
      pieces.append(piece)
      start = end
    }
    return pieces
    // END EXERCISE 2.2
  }

  public func encode(_ text: String) -> [Int] { tokenize(text).map(id(of:)) }

  /// The pieces joined back into words ("play ##ing" → "playing"), special tokens dropped.
  public func decode(_ ids: [Int]) -> String {
    let pieces = ids.compactMap { $0 >= 0 && $0 < tokens.count ? tokens[$0] : nil }
      .filter { !["[CLS]", "[SEP]", "[PAD]"].contains($0) }
    var text = ""
    for piece in pieces {
      if piece.hasPrefix(continuationPrefix) {
        text += piece.dropFirst(continuationPrefix.count)
      } else {
        text += (text.isEmpty ? "" : " ") + piece
      }
    }
    return text
  }
}
