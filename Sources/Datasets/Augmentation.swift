// Data augmentation for text: EDA's four operations (Wei and Zou 2019, "EDA: Easy data
// augmentation techniques for boosting performance on text classification tasks"): synonym
// replacement, random insertion, random swap, random deletion. Each makes a new training text
// from an old one with the same label. The paper's gains are largest for small training sets
// and small models trained from scratch, and it warns that they may vanish with pre-trained
// models; Lesson 6 measures which is the case here.
//
// EDA takes its synonyms from WordNet. The kit's synonyms are the word lists of its own
// generator (Lexicon.swift), but not the sentiment words: replacing one sentiment word with
// another of the same polarity would hand the model the generator's answer key, the lexicon that
// the labelled set is built to cover only in part.

/// Groups of interchangeable words from the kit's lexicon (one-word entries only): names,
/// towns, everyday nouns, products and their parts, the espresso domain's nouns.
public let augmentationSynonyms: [[String]] = [
  firstNames, towns, generalNouns, productNames, productParts, domainNouns,
].map { group in group.filter { !$0.contains(" ") }.map { $0.lowercased() } }

/// EDA's operations with their strengths (the paper's α per operation; the repository's
/// defaults are 0.1 each) and how many augmented texts to make per original (`num_aug`).
public struct EDA: Sendable {
  /// Share of the words replaced by a synonym (α_sr).
  public var synonymReplacement = 0.1
  /// Share of the length inserted as synonyms of words in the text (α_ri).
  public var randomInsertion = 0.1
  /// Share of the length swapped in random pairs (α_rs).
  public var randomSwap = 0.1
  /// Probability of deleting each word (p_rd).
  public var randomDeletion = 0.1
  /// Augmented texts per original.
  public var numAug = 4
  /// The synonym groups (a word's synonyms are the other words of its group).
  public var synonyms: [[String]] = augmentationSynonyms

  public init() {}

  /// `numAug` augmented versions of `text`, each made by one of the four operations in turn
  /// (as the EDA repository splits `num_aug` between them), drawn from `random`.
  public func augment(_ text: String, random: inout SeededRandom) -> [String] {
    let words = text.split(separator: " ").map(String.init)
    guard !words.isEmpty else { return [] }
    let table = synonymTable(synonyms)
    func count(_ share: Double) -> Int { max(1, Int(share * Double(words.count))) }
    return (0..<numAug).map { i in
      switch i % 4 {
      case 0: return replaceSynonyms(words, count: count(synonymReplacement), table: table, random: &random)
      case 1: return insertSynonyms(words, count: count(randomInsertion), table: table, random: &random)
      case 2: return swapWords(words, count: count(randomSwap), random: &random)
      default: return deleteWords(words, probability: randomDeletion, random: &random)
      }
    }.map { $0.joined(separator: " ") }
  }
}

/// Each word of the groups mapped to the other words of its group.
public func synonymTable(_ groups: [[String]]) -> [String: [String]] {
  var table: [String: [String]] = [:]
  for group in groups {
    for word in group { table[word, default: []] += group.filter { $0 != word } }
  }
  return table
}

/// A word split into its lowercased core and the punctuation around it (`"Kettle."` →
/// `("kettle", "", ".")`), so `kettle.` finds the synonyms of `kettle` and keeps its full stop.
func wordCore(_ word: String) -> (core: String, prefix: String, suffix: String) {
  let letters = word.unicodeScalars
  let start =
    letters.firstIndex { $0.properties.isAlphabetic || ("0"..."9").contains($0) } ?? letters.endIndex
  let end = letters.lastIndex { $0.properties.isAlphabetic || ("0"..."9").contains($0) }
  guard let end, start <= end else { return ("", word, "") }
  let core = String(String.UnicodeScalarView(letters[start...end]))
  return (
    core.lowercased(), String(String.UnicodeScalarView(letters[..<start])),
    String(String.UnicodeScalarView(letters[letters.index(after: end)...]))
  )
}

/// EDA's synonym replacement: up to `count` distinct words that have synonyms, chosen at
/// random, each replaced by a random synonym (punctuation kept).
public func replaceSynonyms(
  _ words: [String], count: Int, table: [String: [String]], random: inout SeededRandom
) -> [String] {
  var result = words
  let candidates = random.shuffled(words.indices.filter { table[wordCore(words[$0]).core] != nil })
  for i in candidates.prefix(count) {
    let (core, prefix, suffix) = wordCore(words[i])
    result[i] = prefix + random.pick(table[core]!) + suffix
  }
  return result
}

/// EDA's random insertion: `count` times, a random synonym of a random word of the text (one
/// that has synonyms) inserted at a random position. A text without such words is unchanged.
public func insertSynonyms(
  _ words: [String], count: Int, table: [String: [String]], random: inout SeededRandom
) -> [String] {
  var result = words
  let cores = words.map { wordCore($0).core }.filter { table[$0] != nil }
  guard !cores.isEmpty else { return words }
  for _ in 0..<count {
    let synonym = random.pick(table[random.pick(cores)]!)
    result.insert(synonym, at: random.int(below: result.count + 1))
  }
  return result
}

/// EDA's random swap: `count` times, two random positions exchange their words.
public func swapWords(_ words: [String], count: Int, random: inout SeededRandom) -> [String] {
  var result = words
  guard result.count >= 2 else { return result }
  for _ in 0..<count { result.swapAt(random.int(below: result.count), random.int(below: result.count)) }
  return result
}

/// EDA's random deletion: each word is deleted with probability `probability`, one draw per
/// word in order; a text is never left empty (if every word was deleted, one random word of the
/// original is kept, as the EDA repository does).
public func deleteWords(_ words: [String], probability: Double, random: inout SeededRandom) -> [String] {
  // BEGIN EXERCISE 6.4 "EDA's random deletion" points=2
  // hint: Every word gets its own chance of being dropped, independently of the others; and a sentence with no
  // hint: words left is no training example at all.
  // hint 2: One draw per word, in order, with random.chance(probability): true means the word goes. A
  // hint 2: one-word text stays as it is. When nothing survives, keep one word of the original, chosen with
  // hint 2: random.int(below:).
  // hint 3: Return short texts unchanged. Keep each word for which the draw says "stay" (one draw per word, in
  // hint 3: order); if nothing is left, fall back to a single word of the original, picked by one more draw;
  // hint 3: otherwise return what was kept.
  if words.count <= 1 { return words }
  var kept: [String] = []
  for word in words where !random.chance(probability) { kept.append(word) }
  if kept.isEmpty { return [words[random.int(below: words.count)]] }
  return kept
  // END EXERCISE 6.4
}
