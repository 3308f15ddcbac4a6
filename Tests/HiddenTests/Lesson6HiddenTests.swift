import Datasets
import ExerciseTesting
import Foundation
import Models
import TensorCore
import Training
import XCTest

/// Hidden checks of exercise 6.1: a realistic sweep, short inputs.
final class SteepestDescentHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "6.1" }

  func testMatchesFastaiOnASweep() {
    let rates = (0..<30).map { 1e-5 * pow(1e6, Double($0) / 29) }
    let losses = rates.map { lr -> Double in 1 / (1 + exp(2 * (log10(lr) + 2))) + (lr > 0.1 ? 50 * lr : 0) }
    var best = 0
    for i in 0..<29 {
      let slope = (losses[i + 1] - losses[i]) / (log(rates[i + 1]) - log(rates[i]))
      let bestSlope = (losses[best + 1] - losses[best]) / (log(rates[best + 1]) - log(rates[best]))
      if slope < bestSlope { best = i }
    }
    XCTAssertEqual(
      steepestDescentLearningRate(learningRates: rates, losses: losses), rates[best], accuracy: 1e-15)
  }

  func testTooFewPoints() {
    XCTAssertEqual(steepestDescentLearningRate(learningRates: [0.01], losses: [1]), 0.01)
    XCTAssertEqual(steepestDescentLearningRate(learningRates: [0.01, 0.1], losses: [1, 2]), 0.01)
  }
}

/// Hidden checks of exercise 6.2: GPT-2 names, the group order, decay 1.
final class LayerwiseLearningRateHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "6.2" }

  func testGPT2AndGroupOrder() {
    var config = GPT2Config()
    (config.vocabSize, config.nPositions, config.nEmbd, config.nLayer, config.nHead) = (20, 12, 8, 3, 2)
    config.nInner = 16
    let m = GPT2ForSequenceClassification(config)
    let groups = layerwiseLearningRateGroups(m, learningRate: 0.1, decay: 0.5, weightDecay: 0.01)
    let rates = groups.map(\.learningRate)
    XCTAssertEqual(rates, rates.sorted(by: >), "ordered from the head down")
    XCTAssertEqual(rates.first ?? 0, 0.1, accuracy: 1e-9)
    XCTAssertEqual(rates.last ?? 0, 0.1 * 0.0625, accuracy: 1e-9, "the embeddings, four steps below the head")
    let named = Dictionary(
      uniqueKeysWithValues: m.namedParameters().map { (ObjectIdentifier($0.tensor), $0.name) })
    for group in groups {
      let names = group.parameters.map { named[ObjectIdentifier($0)]! }
      XCTAssertFalse(names.isEmpty, "no empty groups")
      if names.contains("transformer.h.2.attn.c_attn.weight") {
        XCTAssertEqual(group.learningRate, 0.05, accuracy: 1e-9)
        XCTAssertEqual(group.weightDecay, 0.01)
      }
      if names.contains("transformer.h.0.ln_1.weight") {
        XCTAssertEqual(group.learningRate, 0.0125, accuracy: 1e-9)
        XCTAssertEqual(group.weightDecay, 0)
      }
    }
  }
}

/// Hidden checks of exercise 6.3: several shapes, α scales it.
final class L2SPPenaltyHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "6.3" }

  func testMatrixAndScale() {
    let w = Tensor([1, 2, 3, 4], shape: [2, 2], requiresGrad: true)
    let regularizer = L2SPRegularizer(parameters: [("w", w)], alpha: 0.1)
    w.data = [0, 0, 0, 0]
    XCTAssertEqual(regularizer.penalty().item, 0.05 * 30, accuracy: 1e-5)
    XCTAssertEqual(regularizer.penalty().shape, [], "a scalar")
  }
}

/// Hidden checks of exercise 6.4: one draw per word, the fallback from the original.
final class RandomDeletionHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "6.4" }

  func testOneDrawPerWordInOrder() {
    let words = ["a", "b", "c", "d", "e", "f"]
    for seed in 0..<10 as Range<UInt64> {
      var random = SeededRandom(seed: seed)
      var reference = SeededRandom(seed: seed)
      let expected = words.filter { _ in !reference.chance(0.5) }
      let out = deleteWords(words, probability: 0.5, random: &random)
      if expected.isEmpty {
        XCTAssertEqual(out, [words[reference.int(below: words.count)]])
      } else {
        XCTAssertEqual(out, expected, "seed \(seed)")
      }
    }
  }
}
