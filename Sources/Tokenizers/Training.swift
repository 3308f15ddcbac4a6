// Learning a vocabulary from a corpus. Both trainers are the same loop, as in Hugging Face's
// `tokenizers` (whose WordPiece trainer is its BPE trainer with `##` prefixes): count the
// words, spell each as symbols, then repeatedly merge the most frequent adjacent pair
// (ties: the alphabetically first) into a new symbol, until the vocabulary is big enough.

import Foundation

/// The merges learned from `words` (word → count), most useful first, and the alphabet.
/// `join` makes the merged symbol's name.
func learnMerges(
  words: [[String]: Int], maxMerges: Int, minFrequency: Int, join: (String, String) -> String
) -> (alphabet: [String], merges: [(String, String)]) {
  // Symbols as integers, so the loop hashes numbers, not strings.
  var names: [String] = []
  var ids: [String: Int] = [:]
  func id(_ name: String) -> Int {
    if let i = ids[name] { return i }
    ids[name] = names.count
    names.append(name)
    return names.count - 1
  }
  var spelled = words.keys.sorted { $0.joined() < $1.joined() }.map { ($0.map(id), words[$0]!) }
  let alphabet = names.indices.sorted { names[$0] < names[$1] }.map { names[$0] }
  var merges: [(String, String)] = []
  while merges.count < maxMerges {
    var counts: [Int: Int] = [:]
    for (symbols, count) in spelled where symbols.count > 1 {
      for i in 0..<(symbols.count - 1) { counts[symbols[i] << 32 | symbols[i + 1], default: 0] += count }
    }
    var best: (key: Int, count: Int)?
    for (key, count) in counts where count >= minFrequency {
      if let b = best {
        if count < b.count { continue }
        if count == b.count {
          let (l, r) = (names[key >> 32], names[key & 0xFFFF_FFFF])
          let (bl, br) = (names[b.key >> 32], names[b.key & 0xFFFF_FFFF])
          if (l, r) >= (bl, br) { continue }
        }
      }
      best = (key, count)
    }
    guard let chosen = best else { break }
    let (a, b) = (chosen.key >> 32, chosen.key & 0xFFFF_FFFF)
    let merged = id(join(names[a], names[b]))
    merges.append((names[a], names[b]))
    // Applied looking back at the symbol just kept, in place on integer ids (the tokenizer's
    // own merge, `applyMerge`, is exercise 2.3).
    for w in spelled.indices where spelled[w].0.count > 1 {
      var symbols = spelled[w].0
      var kept = 0
      var joinable = false  // whether symbols[kept - 1] is an unmerged `a`
      for s in symbols {
        if joinable && s == b {
          symbols[kept - 1] = merged
          joinable = false
        } else {
          symbols[kept] = s
          kept += 1
          joinable = s == a
        }
      }
      symbols.removeLast(symbols.count - kept)
      spelled[w].0 = symbols
    }
  }
  return (alphabet, merges)
}

extension WordPieceTokenizer {
  /// BERT's special tokens, in BERT's order of importance.
  public static let specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

  /// Learns a WordPiece vocabulary of about `vocabularySize` entries from `corpus` (one text
  /// per element): special tokens, every character (and its `##` form), then merged pieces.
  public static func train(
    corpus: [String], vocabularySize: Int, minFrequency: Int = 2, lowercase: Bool = true
  ) throws -> WordPieceTokenizer {
    let basic = BasicTokenizer(lowercase: lowercase)
    var counts: [String: Int] = [:]
    for text in corpus { for word in basic.tokenize(text) { counts[word, default: 0] += 1 } }
    var words: [[String]: Int] = [:]
    for (word, count) in counts {
      let characters = word.unicodeScalars.map(String.init)
      words[[characters[0]] + characters.dropFirst().map { "##" + $0 }, default: 0] += count
    }
    let base = specialTokens.count
    let (alphabet, merges) = learnMerges(
      words: words, maxMerges: max(0, vocabularySize - base), minFrequency: minFrequency
    ) {
      $0 + ($1.hasPrefix("##") ? String($1.dropFirst(2)) : $1)
    }
    var tokens = specialTokens + alphabet
    var seen = Set(tokens)
    for (a, b) in merges where tokens.count < vocabularySize {
      let piece = a + (b.hasPrefix("##") ? String(b.dropFirst(2)) : b)
      if seen.insert(piece).inserted { tokens.append(piece) }
    }
    return try WordPieceTokenizer(tokens: tokens, lowercase: lowercase)
  }

  /// Adds whole words to the vocabulary (new ids at the end), for a domain whose words the
  /// vocabulary would otherwise shred. Returns how many were new.
  @discardableResult
  public mutating func addTokens(_ words: [String]) -> Int {
    var added = 0
    for word in words {
      let token = basic.lowercase ? basic.stripAccents(word.lowercased()) : word
      guard vocabulary[token] == nil else { continue }
      vocabulary[token] = tokens.count
      tokens.append(token)
      added += 1
    }
    return added
  }
}

extension ByteLevelBPETokenizer {
  /// Learns byte-level BPE merges from `corpus` until the vocabulary (256 bytes, the merges,
  /// and `<|endoftext|>`) has about `vocabularySize` entries.
  public static func train(corpus: [String], vocabularySize: Int, minFrequency: Int = 2)
    -> ByteLevelBPETokenizer
  {
    var words: [[String]: Int] = [:]
    for text in corpus {
      for piece in gpt2PreTokenize(text) {
        words[piece.utf8.map { String(byteToCharacter[Int($0)]) }, default: 0] += 1
      }
    }
    let (_, merges) = learnMerges(
      words: words, maxMerges: max(0, vocabularySize - 257), minFrequency: minFrequency
    ) {
      $0 + $1
    }
    var vocabulary: [String: Int] = [:]
    for c in byteToCharacter { vocabulary[String(c)] = vocabulary.count }
    for (a, b) in merges where vocabulary[a + b] == nil { vocabulary[a + b] = vocabulary.count }
    vocabulary["<|endoftext|>"] = vocabulary.count
    return ByteLevelBPETokenizer(vocabulary: vocabulary, merges: merges)
  }
}

extension RobertaTokenizer {
  /// Learns a RoBERTa vocabulary of about `vocabularySize` entries from `corpus`: byte-level BPE
  /// as GPT-2's, laid out as roberta-base's vocab.json is: `<s>` 0, `<pad>` 1, `</s>` 2,
  /// `<unk>` 3, then the 256 bytes and the merged pieces, and `<mask>` last.
  public static func train(corpus: [String], vocabularySize: Int, minFrequency: Int = 2) throws
    -> RobertaTokenizer
  {
    let (head, tail) = (["<s>", "<pad>", "</s>", "<unk>"], "<mask>")
    let bpe = ByteLevelBPETokenizer.train(
      corpus: corpus, vocabularySize: vocabularySize - head.count, minFrequency: minFrequency)
    // The trained BPE ends with <|endoftext|>, GPT-2's one special token: RoBERTa's take its place.
    let pieces = bpe.tokens.filter { $0 != "<|endoftext|>" }
    var vocabulary: [String: Int] = [:]
    for token in head + pieces + [tail] where vocabulary[token] == nil {
      vocabulary[token] = vocabulary.count
    }
    return try RobertaTokenizer(bpe: ByteLevelBPETokenizer(vocabulary: vocabulary, merges: bpe.merges))
  }
}

/// Average tokens per whitespace-separated word over `texts`: 1.0 means every word is one
/// token; higher means words are being split into pieces.
public func tokensPerWord(_ tokenizer: Tokenizer, _ texts: [String]) -> Double {
  var tokens = 0
  var words = 0
  for text in texts {
    tokens += tokenizer.tokenize(text).count
    words += text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).count
  }
  return words == 0 ? 0 : Double(tokens) / Double(words)
}
