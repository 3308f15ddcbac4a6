// RoBERTa's tokenizer: GPT-2's byte-level BPE, plus special tokens.
//
// - Special tokens (`<s> <pad> </s> <unk> <mask>`, transformers' "added tokens") are found in
//   the raw text first and never split; the text between them is byte-level BPE'd as GPT-2
//   does. `<mask>` has `lstrip`: it takes the whitespace before it, so "Paris is <mask>." gives
//   `Paris Ġis <mask> .`, the way RoBERTa saw masks in pre-training.
// - One text becomes `<s> A </s>`, a pair `<s> A </s></s> B </s>` (fairseq's layout,
//   transformers' `RobertaProcessing`).
// - Truncation is longest-first as Hugging Face's tokenizers library does it
//   (`longestFirstLengths`): when both texts must lose tokens, the shorter keeps ⌊budget/2⌋
//   and the longer the rest.

import Foundation

/// A token matched in the raw text before BPE runs (transformers' `AddedToken`): `lstrip`
/// swallows the whitespace before it, `rstrip` the whitespace after it.
public struct AddedToken: Equatable, Sendable {
  public var content: String
  public var id: Int
  public var lstrip = false
  public var rstrip = false

  /// A special token `content` with vocabulary id `id`.
  public init(_ content: String, id: Int, lstrip: Bool = false, rstrip: Bool = false) {
    self.content = content
    self.id = id
    self.lstrip = lstrip
    self.rstrip = rstrip
  }
}

/// RoBERTa's tokenizer (transformers' `RobertaTokenizer`): byte-level BPE with `<s> … </s>`
/// around each text, `<pad>` for padding and `<mask>` for masked-language modelling.
public struct RobertaTokenizer: Tokenizer {
  /// The byte-level BPE underneath (vocab.json + merges.txt), special tokens included in its
  /// vocabulary.
  public let bpe: ByteLevelBPETokenizer
  /// The tokens matched in raw text, longest first (then by id).
  public let addedTokens: [AddedToken]
  /// `<s>`: first token of every encoding (`cls_token`, also `bos_token`).
  public let clsToken: String
  /// `</s>`: closes each text (`sep_token`, also `eos_token`).
  public let sepToken: String
  /// Whether a space is put before each text, so its first word is spelled as mid-sentence
  /// (`add_prefix_space`; false for RoBERTa as trained).
  public let addPrefixSpace: Bool

  /// A tokenizer from a BPE vocabulary and its added tokens. Without `addedTokens`, RoBERTa's
  /// five special tokens are taken from the vocabulary, `<mask>` with lstrip. The vocabulary
  /// must hold `clsToken` and `sepToken`.
  public init(
    bpe: ByteLevelBPETokenizer, addedTokens: [AddedToken]? = nil, clsToken: String = "<s>",
    sepToken: String = "</s>", addPrefixSpace: Bool = false
  ) throws {
    var vocabulary = bpe.vocabulary
    let added =
      addedTokens
      ?? ["<s>", "<pad>", "</s>", "<unk>", "<mask>"].compactMap { token in
        vocabulary[token].map { AddedToken(token, id: $0, lstrip: token == "<mask>") }
      }
    var missing = false
    for token in added where vocabulary[token.content] != token.id {
      vocabulary[token.content] = token.id
      missing = true
    }
    for token in [clsToken, sepToken] where vocabulary[token] == nil {
      throw TokenizerError("the vocabulary has no \(token), which RoBERTa puts around every text")
    }
    self.bpe = missing ? ByteLevelBPETokenizer(vocabulary: vocabulary, merges: bpe.merges) : bpe
    self.addedTokens = added.sorted { ($1.content.count, $0.id) < ($0.content.count, $1.id) }
    self.clsToken = clsToken
    self.sepToken = sepToken
    self.addPrefixSpace = addPrefixSpace
  }

  /// Reads `vocab.json` and `merges.txt`, with RoBERTa's special tokens from the vocabulary.
  public init(vocabularyFile: URL, mergesFile: URL, addedTokens: [AddedToken]? = nil) throws {
    try self.init(
      bpe: ByteLevelBPETokenizer(vocabularyFile: vocabularyFile, mergesFile: mergesFile),
      addedTokens: addedTokens)
  }

  public var vocabulary: [String: Int] { bpe.vocabulary }
  public var vocabularySize: Int { bpe.vocabularySize }
  public var tokens: [String] { bpe.tokens }
  /// `<pad>`'s id.
  public var padTokenId: Int? { bpe.vocabulary["<pad>"] }
  /// `</s>`'s id.
  public var eosTokenId: Int? { bpe.vocabulary[sepToken] }
  /// `<mask>`'s id, if the vocabulary has it.
  public var maskTokenId: Int? { bpe.vocabulary["<mask>"] }
  /// `<s>`'s id.
  public var clsTokenId: Int { bpe.vocabulary[clsToken]! }
  /// `</s>`'s id.
  public var sepTokenId: Int { bpe.vocabulary[sepToken]! }

  /// The text's pieces with ids and character ranges, special tokens matched first
  /// (leftmost, longest), the text between them byte-level BPE'd.
  func pieces(_ text: String) -> [(id: Int, token: String, offsets: Range<Int>)] {
    let characters = Array(text)
    var result: [(Int, String, Range<Int>)] = []
    func encodeSegment(_ range: Range<Int>) {
      guard !range.isEmpty else { return }
      var segment = String(characters[range])
      let shift = addPrefixSpace && !segment.hasPrefix(" ") ? 1 : 0
      if shift == 1 { segment = " " + segment }
      for piece in bpe.pieces(segment) {
        // Offsets leave out a piece's leading space (trim_offsets), as transformers reports them.
        var lower = piece.offsets.lowerBound
        if piece.token.hasPrefix("Ġ") && piece.offsets.count > 1 { lower += 1 }
        let start = range.lowerBound + max(0, lower - shift)
        let end = range.lowerBound + max(0, piece.offsets.upperBound - shift)
        result.append((piece.id, piece.token, start..<max(start, end)))
      }
    }
    let candidates = addedTokens.map { ($0, Array($0.content)) }
    var segmentStart = 0
    var i = 0
    while i < characters.count {
      let here = characters[i]
      guard
        let (token, spelled) = candidates.first(where: { _, spelled in
          spelled.first == here && i + spelled.count <= characters.count
            && characters[i..<(i + spelled.count)].elementsEqual(spelled)
        })
      else {
        i += 1
        continue
      }
      var segmentEnd = i
      if token.lstrip {
        while segmentEnd > segmentStart && characters[segmentEnd - 1].isWhitespace { segmentEnd -= 1 }
      }
      encodeSegment(segmentStart..<segmentEnd)
      result.append((token.id, token.content, i..<(i + spelled.count)))
      i += spelled.count
      if token.rstrip {
        while i < characters.count && characters[i].isWhitespace { i += 1 }
      }
      segmentStart = i
    }
    encodeSegment(segmentStart..<characters.count)
    return result
  }

  public func tokenize(_ text: String) -> [String] { pieces(text).map(\.token) }

  /// The ids of the text's pieces, without `<s>` and `</s>` around them (special tokens typed
  /// in the text are kept, as `tokenizer.encode(text, add_special_tokens=False)`).
  public func encode(_ text: String) -> [Int] { pieces(text).map(\.id) }

  /// The exact text, special tokens spelled out (`tokenizer.decode(ids)`).
  public func decode(_ ids: [Int]) -> String { bpe.decode(ids) }

  /// `<s> text </s>` or `<s> text </s></s> pair </s>`, truncated longest-first to `maxLength`
  /// tokens, as transformers' `tokenizer(text, pair, truncation=True, max_length=maxLength)`.
  /// Type ids are all 0: RoBERTa's tokenizer returns no `token_type_ids`, so the model (one
  /// token type) sees zeros for both texts.
  public func callAsFunction(_ text: String, pair: String?, maxLength: Int?) -> Encoding {
    var first = pieces(text)
    var second = pair.map(pieces) ?? []
    if let maxLength {
      let budget = max(0, maxLength - (pair == nil ? 2 : 4))
      let (n1, n2) = longestFirstLengths(first.count, second.count, budget: budget)
      first.removeLast(first.count - n1)
      second.removeLast(second.count - n2)
    }
    typealias Piece = (id: Int, token: String, offsets: Range<Int>?)
    let cls: Piece = (clsTokenId, clsToken, nil)
    let sep: Piece = (sepTokenId, sepToken, nil)
    let text: [Piece] = first.map { ($0.id, $0.token, $0.offsets) }
    var all: [Piece] = [cls] + text + [sep]
    if pair != nil { all += [sep] + second.map { ($0.id, $0.token, $0.offsets) } + [sep] }
    return Encoding(
      ids: all.map(\.id), tokens: all.map(\.token), typeIds: [Int](repeating: 0, count: all.count),
      attentionMask: [Int](repeating: 1, count: all.count), offsets: all.map(\.offsets))
  }

  /// Writes what transformers' `RobertaTokenizer` reads: vocab.json, merges.txt, and
  /// tokenizer_config.json naming the class, its special tokens and their strip flags.
  public func save(to directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try bpe.write(
      vocabularyFile: directory.appendingPathComponent("vocab.json"),
      mergesFile: directory.appendingPathComponent("merges.txt"))
    var config: [String: Any] = [
      "tokenizer_class": "RobertaTokenizer", "add_prefix_space": addPrefixSpace, "trim_offsets": true,
      "errors": "replace", "bos_token": clsToken, "cls_token": clsToken, "eos_token": sepToken,
      "sep_token": sepToken,
    ]
    for (key, token) in [("pad_token", "<pad>"), ("unk_token", "<unk>"), ("mask_token", "<mask>")]
    where vocabulary[token] != nil {
      config[key] = token
    }
    config["added_tokens_decoder"] = Dictionary(
      uniqueKeysWithValues: addedTokens.map { token in
        (
          String(token.id),
          [
            "content": token.content, "lstrip": token.lstrip, "rstrip": token.rstrip, "normalized": false,
            "single_word": false, "special": true,
          ] as [String: Any]
        )
      })
    try JSONSerialization.data(
      withJSONObject: config, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    ).write(to: directory.appendingPathComponent("tokenizer_config.json"), options: .atomic)
  }
}
