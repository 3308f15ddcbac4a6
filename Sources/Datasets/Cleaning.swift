// Cleaning text before it is tokenized or split: Unicode normalisation, whitespace and control
// characters, BERT-uncased's lower-casing and accent stripping, and duplicate removal.

import Foundation

/// Cleans `text`: NFKC normalisation (compatibility forms such as full-width letters and
/// ligatures become plain ones), control and zero-width characters removed, every run of
/// whitespace one space, no leading or trailing space.
public func cleanText(_ text: String) -> String {
  var out = String.UnicodeScalarView()
  var pendingSpace = false
  for scalar in text.precomposedStringWithCompatibilityMapping.unicodeScalars {
    if scalar.properties.isWhitespace {
      pendingSpace = !out.isEmpty
      continue
    }
    switch scalar.properties.generalCategory {
    case .control, .format, .unassigned, .privateUse, .surrogate: continue
    default: break
    }
    if pendingSpace { out.append(" ") }
    pendingSpace = false
    out.append(scalar)
  }
  return String(out)
}

/// Lower-cased, with accents removed, as BERT-uncased sees text ("Crème Brûlée" → "creme brulee").
public func uncased(_ text: String) -> String {
  var out = String.UnicodeScalarView()
  for scalar in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars
  where scalar.properties.generalCategory != .nonspacingMark {
    out.append(scalar)
  }
  return String(out)
}

/// The key two texts share when they are exact duplicates up to case, accents, punctuation
/// and spacing.
public func duplicateKey(_ text: String) -> String {
  uncased(cleanText(text)).unicodeScalars.filter {
    $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == " "
  }
  .map(String.init).joined()
}

/// What `removeDuplicates` removed.
public struct DeduplicationReport: Sendable {
  /// Indices (into the input) of exact duplicates of an earlier example, and of that example.
  public var exact: [(duplicate: Int, of: Int)] = []
  /// Indices of near duplicates (word-shingle Jaccard similarity ≥ threshold) and of the
  /// earlier example they resemble.
  public var near: [(duplicate: Int, of: Int, similarity: Double)] = []
}

/// Keeps the first of each group of duplicates: exact ones (same `duplicateKey`) and near
/// ones (Jaccard similarity of their word 3-shingles at least `threshold`). Near duplicates are
/// found with MinHash (`hashes` seeded hash functions) and confirmed by the exact Jaccard.
public func removeDuplicates(
  _ examples: [Example], threshold: Double = 0.8, hashes: Int = 64, seed: UInt64 = 1
) -> (kept: [Example], report: DeduplicationReport) {
  var report = DeduplicationReport()
  var firstByKey: [String: Int] = [:]
  var keptIndices: [Int] = []
  var shingleSets: [Int: Set<UInt64>] = [:]
  var buckets: [String: [Int]] = [:]
  var random = SeededRandom(seed: seed)
  let salts = (0..<hashes).map { _ in random.next() }
  let band = 4  // rows per LSH band: candidates share all 4 minima of some band
  for (index, example) in examples.enumerated() {
    let key = duplicateKey(example.text)
    if let first = firstByKey[key] {
      report.exact.append((index, first))
      continue
    }
    firstByKey[key] = index
    let words = key.split(separator: " ")
    var shingles = Set<UInt64>()
    for i in 0..<max(1, words.count - 2) {
      shingles.insert(stableHash(words[i..<min(i + 3, words.count)].joined(separator: " ")))
    }
    let signature = salts.map { salt in shingles.map { mix($0 ^ salt) }.min() ?? 0 }
    var duplicateOf: (Int, Double)?
    var bandKeys: [String] = []
    for b in stride(from: 0, to: hashes, by: band) {
      let bandKey = "\(b):" + signature[b..<min(b + band, hashes)].map(String.init).joined(separator: ",")
      bandKeys.append(bandKey)
      for candidate in buckets[bandKey] ?? [] where duplicateOf == nil {
        let other = shingleSets[candidate]!
        let similarity = Double(shingles.intersection(other).count) / Double(shingles.union(other).count)
        if similarity >= threshold { duplicateOf = (candidate, similarity) }
      }
    }
    if let (of, similarity) = duplicateOf {
      report.near.append((index, of, similarity))
      continue
    }
    shingleSets[index] = shingles
    for bandKey in bandKeys { buckets[bandKey, default: []].append(index) }
    keptIndices.append(index)
  }
  return (keptIndices.map { examples[$0] }, report)
}

/// FNV-1a, stable across runs (Swift's `hashValue` is seeded per process).
func stableHash(_ text: String) -> UInt64 {
  var h: UInt64 = 0xCBF2_9CE4_8422_2325
  for b in text.utf8 {
    h ^= UInt64(b)
    h = h &* 0x100_0000_01B3
  }
  return h
}

/// A 64-bit mixer (SplitMix64's finaliser), to turn one hash into many.
func mix(_ x: UInt64) -> UInt64 {
  var z = x
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}
