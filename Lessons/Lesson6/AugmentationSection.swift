// Lesson 6, section 6: EDA augmentation at a very small training set, against the originals
// repeated as often (the fair control). Called from main.swift, whose globals it reads.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// Section 6; returns EDA's gain over the repeated originals (validation accuracy).
@MainActor func augmentationSection() throws -> Double {
  nb.section("6. Augmentation when labels are few")
  let smallCount = quick ? 12 : 24
  let small = TextClassificationDataset(
    texts: Array(train.texts.prefix(smallCount)), labels: Array(train.labels.prefix(smallCount)),
    labelNames: labelNames)
  let eda = {
    var eda = EDA()
    eda.numAug = 4
    return eda
  }()
  nb.narrate(
    """
    With \(smallCount) labelled messages (about \(smallCount / labelNames.count) per class), can we make \
    more? EDA (Wei and Zou 2019) makes \(eda.numAug) variants of each text by synonym replacement, \
    random insertion, random swap and random deletion (exercise 6.4), each touching about 10% \
    of the words. The kit's synonyms are its own word lists (names, towns, products, the \
    espresso domain's parts); the sentiment words are left out on purpose, as swapping them \
    would hand the model the generator's answer key. For example:
    """)
  var exampleRandom = SeededRandom(seed: options.seed)
  let synonyms = synonymTable(eda.synonyms)
  let exampleText =
    small.texts.first { text in
      text.split(separator: " ").contains { synonyms[String($0).lowercased()] != nil }
    }
    ?? small.texts[0]
  nb.output(([exampleText] + eda.augment(exampleText, random: &exampleRandom)).joined(separator: "\n"))
  /// `dataset` with `numAug` EDA variants of each text after it, or repeated `numAug + 1` times.
  func enlarged(_ dataset: TextClassificationDataset, augment: Bool, seed: UInt64)
    -> TextClassificationDataset
  {
    var random = SeededRandom(seed: seed)
    var (texts, labels) = ([String](), [Int]())
    for (text, label) in zip(dataset.texts, dataset.labels) {
      let variants = augment ? eda.augment(text, random: &random) : Array(repeating: text, count: eda.numAug)
      texts += [text] + variants
      labels += Array(repeating: label, count: variants.count + 1)
    }
    return TextClassificationDataset(texts: texts, labels: labels, labelNames: labelNames)
  }
  nb.narrate(
    """
    Three arms, \(seedCount) seed(s) each, the same \(String(format: "%g", epochs)) epochs: the \
    \(smallCount) originals alone; the originals each repeated \(eda.numAug + 1) times (as many \
    steps as the augmented set, without new text: the fair control); and the originals with \
    their \(eda.numAug) EDA variants.
    """)
  var augmentationResults: [String: [RunResult]] = [:]
  for seed in seeds {
    for (key, data) in [
      ("original", small), ("repeated", enlarged(small, augment: false, seed: seed)),
      ("eda", enlarged(small, augment: true, seed: seed)),
    ] {
      augmentationResults[key, default: []].append(
        try fineTune(
          try pretrained(seed: seed), args: recipe("augmentation", seed: seed, learningRate: chosenRate),
          train: data, validation: validation, tokenizer: tokenizer))
    }
  }
  let augmentationArms = [
    ("original", "\(smallCount) originals"), ("repeated", "repeated ×\(eda.numAug + 1)"),
    ("eda", "+ \(eda.numAug) EDA variants each"),
  ]
  nb.table(
    headers: ["training set", "examples", "steps", "train acc.", "validation acc."],
    rows: augmentationArms.map { key, name in
      let results = augmentationResults[key] ?? []
      return [
        name, "\(key == "original" ? smallCount : smallCount * (eda.numAug + 1))",
        "\(results.first?.steps ?? 0)",
        summary(results.map(\.trainAccuracy)), summary(results.map(\.accuracy)),
      ]
    }, title: "\(smallCount) labelled examples, \(seedCount) seed(s)")
  let edaGain =
    meanAndSpread(augmentationResults["eda"]?.map(\.accuracy) ?? []).mean
    - meanAndSpread(augmentationResults["repeated"]?.map(\.accuracy) ?? []).mean
  let edaSpread = max(
    meanAndSpread(augmentationResults["eda"]?.map(\.accuracy) ?? []).std,
    meanAndSpread(augmentationResults["repeated"]?.map(\.accuracy) ?? []).std)
  nb.narrate(
    """
    EDA against the repeated originals: \(String(format: "%+.1f", 100 * edaGain)) points. \
    \(seedCount < 2
      ? "With one seed there is no spread to weigh it against."
      : abs(edaGain) > 2 * edaSpread
        ? "That is more than twice the spread between seeds."
        : "That is within twice the spread between seeds: no clear effect in this run.") \
    Compare EDA with the originals alone only after the repeated arm: most of a gain over the \
    originals can come from taking more steps, not from the new text. The EDA paper found its \
    largest gains (3 points at 500 examples) with networks trained from scratch, and warned \
    that they may vanish with pre-trained models, whose knowledge of synonyms and word order is \
    what the operations imitate.
    """)
  var augmentationRecord: [String: JSONValue] = [:]
  for (key, _) in augmentationArms {
    let results = augmentationResults[key] ?? []
    augmentationRecord[key] = .object([
      "validation_accuracy": .array(results.map { .number($0.accuracy) }),
      "train_accuracy": .array(results.map { .number($0.trainAccuracy) }),
    ])
  }
  nb.record("augmentation", .object(augmentationRecord))
  return edaGain
}
