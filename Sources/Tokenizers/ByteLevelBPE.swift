// Byte-level BPE, GPT-2's (and RoBERTa's) tokenizer.
//
// 1. Pre-tokenize with GPT-2's pattern: contractions, words with their leading space, numbers,
//    runs of other symbols, runs of whitespace.
// 2. Map each UTF-8 byte to a printable character (GPT-2's bytes_to_unicode), so every string
//    is spelled with 256 symbols and nothing is ever unknown: a space becomes "Ġ".
// 3. Merge adjacent symbols, always the pair that was learned earliest (lowest rank in
//    merges.txt), until no learned pair is left. Each resulting symbol is a vocabulary entry.
// Decoding maps the characters back to bytes, so it is lossless.

import Exercises
import FileInput
import Foundation

/// GPT-2's byte ↔ character table: printable bytes map to themselves, the others to
/// characters from U+0100 up, in order.
public let byteToCharacter: [Character] = {
  var printable = Array(33...126) + Array(161...172) + Array(174...255)
  var characters = [Int](repeating: 0, count: 256)
  var next = 0
  for b in 0..<256 {
    if printable.contains(b) {
      characters[b] = b
    } else {
      characters[b] = 256 + next
      next += 1
    }
  }
  printable.removeAll()
  return characters.map { Character(Unicode.Scalar($0)!) }
}()

let characterToByte: [Character: UInt8] = Dictionary(
  uniqueKeysWithValues: byteToCharacter.enumerated().map { ($1, UInt8($0)) })

/// GPT-2's pre-tokenization, written out by hand: the regular expression
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
public func gpt2PreTokenize(_ text: String) -> [String] {
  let s = Array(text.unicodeScalars)
  func isLetterCategory(_ c: Unicode.Scalar) -> Bool {
    switch c.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
    default: return false
    }
  }
  func isNumber(_ c: Unicode.Scalar) -> Bool {
    switch c.properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber: return true
    default: return false
    }
  }
  func isSpace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace }
  func isOther(_ c: Unicode.Scalar) -> Bool { !isSpace(c) && !isLetterCategory(c) && !isNumber(c) }
  var pieces: [String] = []
  var i = 0
  func take(_ end: Int) {
    pieces.append(String(String.UnicodeScalarView(s[i..<end])))
    i = end
  }
  func run(from start: Int, while predicate: (Unicode.Scalar) -> Bool) -> Int {
    var j = start
    while j < s.count && predicate(s[j]) { j += 1 }
    return j
  }
  while i < s.count {
    let c = s[i]
    // Contractions, lower-case only, as in GPT-2.
    if c == "'" && i + 1 < s.count {
      let rest = String(String.UnicodeScalarView(s[(i + 1)..<min(i + 3, s.count)]))
      if ["re", "ve", "ll"].contains(rest) {
        take(i + 3)
        continue
      }
      if let first = rest.unicodeScalars.first, "stmd".unicodeScalars.contains(first) {
        take(i + 2)
        continue
      }
    }
    // An optional single space, then a run of letters, of numbers, or of other symbols.
    let start = c == " " && i + 1 < s.count && !isSpace(s[i + 1]) ? i + 1 : i
    let head = s[start]
    if isLetterCategory(head) {
      take(run(from: start, while: isLetterCategory))
    } else if isNumber(head) {
      take(run(from: start, while: isNumber))
    } else if isOther(head) {
      take(run(from: start, while: isOther))
    } else {
      // Whitespace: the run, but leave its last character to the next piece when a
      // non-space follows (`\s+(?!\S)`), unless the run is a single character (`\s+`).
      let end = run(from: i, while: isSpace)
      take(end < s.count && end - i > 1 ? end - 1 : end)
    }
  }
  return pieces
}

/// A byte-level BPE vocabulary (vocab.json) and its merges (merges.txt).
public final class ByteLevelBPETokenizer: Tokenizer, @unchecked Sendable {
  public let vocabulary: [String: Int]
  /// Id → token; an id the vocabulary skips (none in GPT-2's) holds "".
  public let tokens: [String]
  /// The merges in the order they were learned; a pair's rank is its index.
  public let merges: [(String, String)]
  let ranks: [String: Int]
  private var cache: [String: [String]] = [:]
  private let lock = NSLock()

  /// A tokenizer from a vocabulary and ranked merges. The files' readers refuse ids outside
  /// 0..<count (`checkIdsAreZeroToCount`); here the id → token table has one entry per token, and an id
  /// past it is left out of it, so a vocabulary claiming id 10^15 never sizes the table.
  public init(vocabulary: [String: Int], merges: [(String, String)]) {
    self.vocabulary = vocabulary
    var tokens = [String](repeating: "", count: vocabulary.count)
    // Two tokens with one id (a broken vocab.json): the alphabetically first, so the table is
    // the same on every run.
    for (token, id) in vocabulary
    where tokens.indices.contains(id) && (tokens[id].isEmpty || token < tokens[id]) {
      tokens[id] = token
    }
    self.tokens = tokens
    self.merges = merges
    var ranks: [String: Int] = [:]
    for (rank, pair) in merges.enumerated() where ranks[pair.0 + " " + pair.1] == nil {
      ranks[pair.0 + " " + pair.1] = rank
    }
    self.ranks = ranks
  }

  /// Reads GPT-2's `vocab.json` and `merges.txt` (first line `#version: ...`).
  public convenience init(vocabularyFile: URL, mergesFile: URL) throws {
    guard let data = try? Data(contentsOf: vocabularyFile) else {
      throw TokenizerError(file: vocabularyFile.path, "cannot read the file")
    }
    guard let vocabulary = (try? JSONSerialization.jsonObject(with: data)) as? [String: Int] else {
      throw TokenizerError(file: vocabularyFile.path, "expected a JSON object mapping tokens to integer ids")
    }
    // Named as such: otherwise {"a": 0, "a": 1} is refused as "no token for id 0" (JSONSerialization
    // keeps the last value on Linux), and what it gives elsewhere depends on the platform.
    if let duplicate = firstDuplicateJSONKey(in: data) {
      throw TokenizerError(file: vocabularyFile.path, duplicate.description)
    }
    try checkIdsAreZeroToCount(vocabulary, file: vocabularyFile.path)
    guard let mergesData = try? Data(contentsOf: mergesFile),
      let text = String(data: mergesData, encoding: .utf8)
    else {
      throw TokenizerError(file: mergesFile.path, "cannot read the file as UTF-8 text")
    }
    var merges: [(String, String)] = []
    // "\r\n" is one Character in Swift (a Windows merges.txt): split at either ending.
    for (index, line) in text.split(
      omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }
    )
    .enumerated() {
      if line.hasPrefix("#version") || line.isEmpty { continue }
      let parts = line.split(separator: " ", omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw TokenizerError(
          file: mergesFile.path, line: index + 1, "expected two symbols separated by one space")
      }
      merges.append((String(parts[0]), String(parts[1])))
    }
    self.init(vocabulary: vocabulary, merges: merges)
  }

  /// Writes vocab.json and merges.txt (atomically).
  public func write(vocabularyFile: URL, mergesFile: URL) throws {
    try JSONSerialization.data(withJSONObject: vocabulary, options: [.sortedKeys]).write(
      to: vocabularyFile, options: .atomic)
    let lines = ["#version: 0.2"] + merges.map { "\($0.0) \($0.1)" }
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: mergesFile, options: .atomic)
  }

  /// Writes what transformers' `GPT2Tokenizer` reads: vocab.json and merges.txt, and
  /// tokenizer_config.json naming the class and its end-of-text token.
  public func save(to directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try write(
      vocabularyFile: directory.appendingPathComponent("vocab.json"),
      mergesFile: directory.appendingPathComponent("merges.txt"))
    var config: [String: Any] = ["tokenizer_class": "GPT2Tokenizer", "add_prefix_space": false]
    if let eos = eosTokenId {
      for key in ["bos_token", "eos_token", "unk_token"] { config[key] = tokens[eos] }
    }
    try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted]).write(
      to: directory.appendingPathComponent("tokenizer_config.json"), options: .atomic)
  }

  public var vocabularySize: Int { vocabulary.count }

  /// Always `nil`: GPT-2 has no padding token. Batches are padded with `eosTokenId` instead
  /// (`DataCollatorWithPadding`, `PretrainedClassifier`), which the attention mask hides.
  public var padTokenId: Int? { nil }

  /// `<|endoftext|>`'s id (`eos_token_id`), if the vocabulary has it.
  public var eosTokenId: Int? { vocabulary["<|endoftext|>"] }

  /// The BPE symbols of one pre-token (already mapped to byte characters).
  func bpe(_ word: String) -> [String] {
    lock.lock()
    if let hit = cache[word] {
      lock.unlock()
      return hit
    }
    lock.unlock()
    var symbols = word.map { String($0) }
    while symbols.count > 1 {
      // The adjacent pair learned first.
      var best: (rank: Int, index: Int)?
      for i in 0..<(symbols.count - 1) {
        if let rank = ranks[symbols[i] + " " + symbols[i + 1]], rank < (best?.rank ?? .max) {
          best = (rank, i)
        }
      }
      guard let pairRank = best?.rank else { break }
      symbols = applyMerge(merges[pairRank], to: symbols)
    }
    lock.lock()
    cache[word] = symbols
    lock.unlock()
    return symbols
  }

  /// One BPE merge: every adjacent occurrence of `pair`, left to right, becomes one symbol
  /// (["l", "o", "w", "l", "o"] with ("l", "o") → ["lo", "w", "lo"]).
  public func applyMerge(_ pair: (String, String), to symbols: [String]) -> [String] {
    // BEGIN EXERCISE 2.3 "A BPE merge step" points=2
    // hint: Walk the symbols once, left to right, building a new list; compare symbols, not the joined text.
    // hint 2: At each position look at the current symbol and the next one: both must equal the pair's parts.
    // hint 2: A symbol used in a merge cannot take part in another ("a a a" with ("a", "a") gives "aa a"),
    // hint 2: and the last symbol has no neighbour.
    // hint 3: Keep an index: where the pair matches, emit the joined pair and move past both symbols;
    // hint 3: otherwise emit the current symbol and move on by one.
    var merged: [String] = []
    var i = 0
    while i < symbols.count {
      if i + 1 < symbols.count && symbols[i] == pair.0 && symbols[i + 1] == pair.1 {
        merged.append(pair.0 + pair.1)
        i += 2
      } else {
        merged.append(symbols[i])
        i += 1
      }
    }
    return merged
    // END EXERCISE 2.3
  }

  public func tokenize(_ text: String) -> [String] {
    gpt2PreTokenize(text).flatMap { piece in bpe(String(piece.utf8.map { byteToCharacter[Int($0)] })) }
  }

  /// Ids of the pieces; a piece missing from the vocabulary (an inconsistent vocab.json and
  /// merges.txt) is spelled byte by byte.
  public func encode(_ text: String) -> [Int] { pieces(text).map(\.id) }

  /// The text's tokens with their ids and character ranges in `text` (a range covers the
  /// characters whose bytes the token spells; a leading space belongs to its word, as in
  /// transformers' GPT-2 offsets).
  func pieces(_ text: String) -> [(id: Int, token: String, offsets: Range<Int>)] {
    // characterOf[b]: the index of the character that holds the text's UTF-8 byte b.
    var characterOf: [Int] = []
    for (index, character) in text.enumerated() {
      characterOf += [Int](repeating: index, count: character.utf8.count)
    }
    var result: [(Int, String, Range<Int>)] = []
    var byte = 0
    for word in gpt2PreTokenize(text) {
      for symbol in bpe(String(word.utf8.map { byteToCharacter[Int($0)] })) {
        // One character per byte, so a symbol's length is its byte count.
        let spelled = vocabulary[symbol] != nil ? [symbol] : symbol.map { String($0) }
        for piece in spelled {
          let end = byte + piece.count
          if let id = vocabulary[piece] {
            result.append((id, piece, characterOf[byte]..<(characterOf[end - 1] + 1)))
          }
          byte = end
        }
      }
    }
    return result
  }

  /// GPT-2's encoding: the text's tokens (then the pair's) with no special tokens, as
  /// transformers' GPT-2 tokenizer gives them, truncated longest-first to `maxLength`. Type ids
  /// are 0 for the text and 1 for the pair.
  public func callAsFunction(_ text: String, pair: String?, maxLength: Int?) -> Encoding {
    var first = pieces(text)
    var second = pair.map(pieces) ?? []
    if let maxLength {
      let kept = longestFirstLengths(first.count, second.count, budget: max(0, maxLength))
      first.removeLast(first.count - kept.first)
      second.removeLast(second.count - kept.second)
    }
    let all = first + second
    return Encoding(
      ids: all.map(\.id), tokens: all.map(\.token),
      typeIds: [Int](repeating: 0, count: first.count) + [Int](repeating: 1, count: second.count),
      attentionMask: [Int](repeating: 1, count: all.count), offsets: all.map(\.offsets))
  }

  /// The exact text: pieces joined, characters mapped back to bytes, bytes read as UTF-8.
  public func decode(_ ids: [Int]) -> String {
    let bytes = ids.compactMap { $0 >= 0 && $0 < tokens.count ? tokens[$0] : nil }.joined()
      .compactMap { characterToByte[$0] }
    return String(decoding: bytes, as: UTF8.self)
  }
}
