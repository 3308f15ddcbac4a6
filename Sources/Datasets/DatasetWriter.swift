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
  /// Documents in the corpora.
  public static let corpusSizes = (general: 9000, inDomain: 2400)

  /// Every file of datasets/, as relative path → contents.
  public static func files(seed: UInt64 = defaultSeed) -> [(path: String, contents: String)] {
    let split = lexiconSplit(seed: seed)
    func tsv(_ examples: [Example]) -> String {
      "label\ttext\n" + examples.map { "\($0.label)\t\($0.text)" }.joined(separator: "\n") + "\n"
    }
    let s = sentimentSizes
    let i = intentSizes
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
        "sentiment/train.tsv",
        tsv(
          sentimentExamples(
            count: s.train, positive: split.trainPositive, negative: split.trainNegative, seed: seed ^ 0x51)
        )
      ),
      (
        "sentiment/validation.tsv",
        tsv(
          sentimentExamples(
            count: s.validation, positive: split.heldOutPositive, negative: split.heldOutNegative,
            seed: seed ^ 0x52))
      ),
      (
        "sentiment/test.tsv",
        tsv(
          sentimentExamples(
            count: s.test, positive: split.heldOutPositive, negative: split.heldOutNegative, seed: seed ^ 0x53
          ))
      ),
      ("sentiment/labels.txt", sentimentLabels.joined(separator: "\n") + "\n"),
      ("intent/train.tsv", tsv(intentExamples(count: i.train, seed: seed ^ 0x61))),
      ("intent/validation.tsv", tsv(intentExamples(count: i.validation, seed: seed ^ 0x62))),
      ("intent/test.tsv", tsv(intentExamples(count: i.test, seed: seed ^ 0x63))),
      ("intent/labels.txt", intentLabels.joined(separator: "\n") + "\n"),
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
