import Foundation
import XCTest

@testable import Datasets

final class GeneratorTests: XCTestCase {
  static let datasets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "../../datasets"
  ).standardizedFileURL

  func testCommittedFilesAreExactlyWhatTheGeneratorWrites() throws {
    guard
      FileManager.default.fileExists(atPath: Self.datasets.appendingPathComponent("corpus/general.txt").path)
    else {
      throw XCTSkip("datasets/ is not here")
    }
    for (path, contents) in DatasetGenerator.files() {
      let committed = try String(contentsOf: Self.datasets.appendingPathComponent(path), encoding: .utf8)
      XCTAssertTrue(
        committed == contents,
        "\(path) differs from the generator's output: run swift run course make-datasets")
    }
  }

  func testSameSeedSameTextOtherSeedOtherText() {
    XCTAssertEqual(
      DatasetGenerator.generalCorpus(documents: 5, seed: 1),
      DatasetGenerator.generalCorpus(documents: 5, seed: 1))
    XCTAssertNotEqual(
      DatasetGenerator.generalCorpus(documents: 5, seed: 1),
      DatasetGenerator.generalCorpus(documents: 5, seed: 2))
  }

  func testOpinionDocumentsKeepOneStanceAndGeneralDocumentsDoNot() {
    // The verdicts and complaints that only one stance writes.
    let praise = [
      "Five stars from me.", "I would buy it again.", "five stars and wrote", "worth every penny",
    ]
    let complaint = [
      "One star from me.", "I asked for a refund.", "a one-star review", "a total waste of money",
    ]
    func mixed(_ document: String) -> Bool {
      praise.contains { document.contains($0) } && complaint.contains { document.contains($0) }
    }
    let opinions = DatasetGenerator.opinionCorpus(documents: 2000, seed: 3)
    XCTAssertEqual(opinions.filter(mixed).count, 0, "an opinion document changed its stance")
    XCTAssertGreaterThan(opinions.filter { d in praise.contains { d.contains($0) } }.count, 100)
    XCTAssertGreaterThan(opinions.filter { d in complaint.contains { d.contains($0) } }.count, 100)
    // The general corpus draws each sentence on its own, so many documents mix both.
    XCTAssertGreaterThan(DatasetGenerator.generalCorpus(documents: 500, seed: 3).filter(mixed).count, 50)
  }

  func testTrainingReviewsUseOnlyTheTrainingQuarterOfTheLexicon() {
    let split = DatasetGenerator.lexiconSplit(seed: DatasetGenerator.defaultSeed)
    XCTAssertEqual(split.trainPositive.count, positiveWords.count / 4)
    XCTAssertTrue(Set(split.trainPositive).isDisjoint(with: split.heldOutPositive))
    let heldOut = Set(split.heldOutPositive + split.heldOutNegative)
    let train = Set(split.trainPositive + split.trainNegative)
    func words(_ e: Example) -> Set<String> {
      Set(e.text.lowercased().split { !$0.isLetter && $0 != "-" }.map(String.init))
    }
    let reviews = DatasetGenerator.sentimentExamples(
      count: 300, positive: split.trainPositive, negative: split.trainNegative, seed: 5)
    for review in reviews { XCTAssertTrue(words(review).isDisjoint(with: heldOut), review.text) }
    let tests = DatasetGenerator.sentimentExamples(
      count: 300, positive: split.heldOutPositive, negative: split.heldOutNegative, seed: 6)
    for review in tests { XCTAssertTrue(words(review).isDisjoint(with: train), review.text) }
  }

  func testBalanceAndNoise() {
    let split = DatasetGenerator.lexiconSplit(seed: 3)
    let clean = DatasetGenerator.sentimentExamples(
      count: 2000, positive: split.trainPositive, negative: split.trainNegative, noise: 0, seed: 9)
    let noisy = DatasetGenerator.sentimentExamples(
      count: 2000, positive: split.trainPositive, negative: split.trainNegative, seed: 9)
    XCTAssertEqual(clean.filter { $0.label == "positive" }.count, 1000)
    let flipped = zip(clean, noisy).filter { $0.label != $1.label }.count
    XCTAssertEqual(Double(flipped) / 2000, DatasetGenerator.sentimentNoise, accuracy: 0.015)
    let intents = DatasetGenerator.intentExamples(count: 600, seed: 4)
    for label in DatasetGenerator.intentLabels {
      XCTAssertEqual(Double(intents.filter { $0.label == label }.count), 100, accuracy: 12)
    }
  }

  func testPolarityWordsAppearInTheGeneralCorpusAndDomainWordsMostlyInTheForum() {
    let general = DatasetGenerator.generalCorpus(documents: 2000).joined(separator: " ")
    let forum = DatasetGenerator.inDomainCorpus(documents: 500).joined(separator: " ")
    let seen = (positiveWords + negativeWords).filter { general.contains(" \($0)") }.count
    XCTAssertGreaterThan(Double(seen) / Double(positiveWords.count + negativeWords.count), 0.95)
    for word in ["portafilter", "crema", "channeling"] {
      XCTAssertTrue(forum.contains(word))
      XCTAssertFalse(general.contains(word), "\(word) should be rare outside the domain")
    }
  }

  /// The reply-topic pairs: every request intent is half on topic, half off, so neither text
  /// alone tells the label; with noise, about 2% of the labels are flipped.
  func testReplyTopicPairsAreBalancedForEveryRequestIntent() throws {
    let clean = DatasetGenerator.replyExamples(count: 1200, noise: 0, seed: 8)
    let requests = DatasetGenerator.intentExamples(count: 1200, noise: 0, seed: 8 ^ 0x7A)
    XCTAssertEqual(clean.map(\.text), requests.map(\.text), "each request is an intent-task request")
    for intent in DatasetGenerator.intentLabels {
      let pairs = zip(clean, requests).filter { $1.label == intent }.map(\.0)
      XCTAssertEqual(pairs.filter { $0.label == "on_topic" }.count * 2, pairs.count, intent)
    }
    XCTAssertTrue(clean.allSatisfy { !($0.textPair ?? "").isEmpty })
    // A reply on the topic of one intent is never the reply of another: replies tell their intent.
    var intentsOfReply: [String: Set<String>] = [:]
    for (pair, request) in zip(clean, requests) where pair.label == "on_topic" {
      intentsOfReply[pair.textPair!, default: []].insert(request.label)
    }
    XCTAssertTrue(intentsOfReply.values.allSatisfy { $0.count == 1 })
    let noisy = DatasetGenerator.replyExamples(count: 1200, seed: 8)
    let flipped = zip(clean, noisy).filter { $0.label != $1.label }.count
    XCTAssertEqual(Double(flipped) / 1200, DatasetGenerator.replyNoise, accuracy: 0.012)
  }
}
