// Writing datasets/: the corpora, the tasks' splits, and the datasheet.

import Foundation

extension DatasetGenerator {
  /// What `writeAll` wrote.
  public struct Summary: Sendable {
    public var files: [String: Int] = [:]  // relative path → lines
    public var words: [String: Int] = [:]  // relative path → words
  }

  /// The split sizes of the two tasks.
  public static let sentimentSizes = (train: 800, validation: 400, test: 800)
  public static let intentSizes = (train: 1200, validation: 300, test: 600)
  /// The split sizes of the sentence-pair task (request, reply).
  public static let replySizes = (train: 3000, validation: 300, test: 600)
  /// Documents in the corpora.
  public static let corpusSizes = (general: 9000, inDomain: 2400, opinions: 6000)

  /// Every file of datasets/, as relative path → contents.
  public static func files(seed: UInt64 = defaultSeed) -> [(path: String, contents: String)] {
    let split = lexiconSplit(seed: seed)
    func tsv(_ examples: [Example]) -> String {
      "label\ttext\n" + examples.map { "\($0.label)\t\($0.text)" }.joined(separator: "\n") + "\n"
    }
    func pairTSV(_ examples: [Example]) -> String {
      "label\tsentence1\tsentence2\n"
        + examples.map { "\($0.label)\t\($0.text)\t\($0.textPair ?? "")" }.joined(separator: "\n") + "\n"
    }
    // Templates repeat, so each task's splits are drawn together with duplicates (up to case
    // and punctuation) dropped: no text is in two splits, nor twice in one.
    var seen = Set<String>()
    func unique(_ draw: (Int, UInt64) -> [Example], count: Int, seed: UInt64) -> [Example] {
      var result: [Example] = []
      var round: UInt64 = 0
      while result.count < count {
        for e in draw(count, seed &+ round * 0x9E37) where result.count < count {
          let key = e.textPair.map { duplicateKey(e.text) + "\t" + duplicateKey($0) } ?? duplicateKey(e.text)
          if seen.insert(key).inserted { result.append(e) }
        }
        round += 1
      }
      return result
    }
    let s = sentimentSizes
    let i = intentSizes
    let sentimentTrain = unique(
      {
        sentimentExamples(count: $0, positive: split.trainPositive, negative: split.trainNegative, seed: $1)
      },
      count: s.train, seed: seed ^ 0x51)
    let sentimentValidation = unique(
      {
        sentimentExamples(
          count: $0, positive: split.heldOutPositive, negative: split.heldOutNegative, seed: $1)
      },
      count: s.validation, seed: seed ^ 0x52)
    let sentimentTest = unique(
      {
        sentimentExamples(
          count: $0, positive: split.heldOutPositive, negative: split.heldOutNegative, seed: $1)
      },
      count: s.test, seed: seed ^ 0x53)
    let intentTrain = unique({ intentExamples(count: $0, seed: $1) }, count: i.train, seed: seed ^ 0x61)
    let intentValidation = unique(
      { intentExamples(count: $0, seed: $1) }, count: i.validation, seed: seed ^ 0x62)
    let intentTest = unique({ intentExamples(count: $0, seed: $1) }, count: i.test, seed: seed ^ 0x63)
    // Drawn last, so the other tasks' files do not change.
    let p = replySizes
    let replyTrain = unique({ replyExamples(count: $0, seed: $1) }, count: p.train, seed: seed ^ 0x71)
    let replyValidation = unique(
      { replyExamples(count: $0, seed: $1) }, count: p.validation, seed: seed ^ 0x72)
    let replyTest = unique({ replyExamples(count: $0, seed: $1) }, count: p.test, seed: seed ^ 0x73)
    return [
      (
        "corpus/general.txt",
        generalCorpus(documents: corpusSizes.general, seed: seed).joined(separator: "\n") + "\n"
      ),
      (
        "corpus/in_domain.txt",
        inDomainCorpus(documents: corpusSizes.inDomain, seed: seed).joined(separator: "\n") + "\n"
      ),
      (
        "corpus/opinions.txt",
        opinionCorpus(documents: corpusSizes.opinions, seed: seed).joined(separator: "\n") + "\n"
      ),
      ("sentiment/train.tsv", tsv(sentimentTrain)),
      ("sentiment/validation.tsv", tsv(sentimentValidation)),
      ("sentiment/test.tsv", tsv(sentimentTest)),
      ("sentiment/labels.txt", sentimentLabels.joined(separator: "\n") + "\n"),
      ("intent/train.tsv", tsv(intentTrain)),
      ("intent/validation.tsv", tsv(intentValidation)),
      ("intent/test.tsv", tsv(intentTest)),
      ("intent/labels.txt", intentLabels.joined(separator: "\n") + "\n"),
      ("reply/train.tsv", pairTSV(replyTrain)),
      ("reply/validation.tsv", pairTSV(replyValidation)),
      ("reply/test.tsv", pairTSV(replyTest)),
      ("reply/labels.txt", replyLabels.joined(separator: "\n") + "\n"),
    ]
  }

  /// Writes every file under `root` (each atomically) and returns their sizes.
  @discardableResult
  public static func writeAll(to root: URL, seed: UInt64 = defaultSeed) throws -> Summary {
    var summary = Summary()
    for (path, contents) in files(seed: seed) {
      let url = root.appendingPathComponent(path)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(contents.utf8).write(to: url, options: .atomic)
      summary.files[path] = contents.split(separator: "\n").count
      summary.words[path] = contents.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).count
    }
    return summary
  }
}
