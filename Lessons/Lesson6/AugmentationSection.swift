// Lesson 6, section 6: EDA and masked-LM substitution at very small training sets, against the
// originals repeated as often (the fair control). Called from main.swift, whose globals it reads.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// What section 6 measured at its smallest training set: each augmentation's gain over the
/// repeated originals (validation accuracy), and that size.
struct AugmentationGains {
  var examples: Int
  var eda: Double
  var maskedLM: Double
}

/// Section 6.
@MainActor func augmentationSection() throws -> AugmentationGains {
  nb.section("6. Augmentation when labels are few")
  // 12, 24, 48, ...: each size twice the last (--augmentation-sizes, 2 by default for time).
  let sizes = (0..<(quick ? 1 : max(1, options.int("augmentation-sizes")))).map { 12 << $0 }
  let eda = {
    var eda = EDA()
    eda.numAug = 4
    return eda
  }()
  nb.narrate(
    """
    With \(sizes.map(String.init).joined(separator: ", ")) labelled messages \
    (\(sizes.map { String($0 / labelNames.count) }.joined(separator: ", ")) per class), can we make \
    more? EDA (Wei and Zou 2019) \
    makes \(eda.numAug) variants of each text by synonym replacement, random insertion, random swap and \
    random deletion (exercise 6.4), each touching about 10% of the words. The kit's synonyms \
    are its own word lists (names, towns, products, the espresso domain's parts); the \
    sentiment words are left out on purpose, as swapping them would hand the model the \
    generator's answer key. For example:
    """)
  var exampleRandom = SeededRandom(seed: options.seed)
  let synonyms = synonymTable(eda.synonyms)
  let exampleText =
    train.texts.prefix(sizes[0]).first { text in
      text.split(separator: " ").contains { synonyms[String($0).lowercased()] != nil }
    }
    ?? train.texts[0]
  nb.output(([exampleText] + eda.augment(exampleText, random: &exampleRandom)).joined(separator: "\n"))

  // cell: contextual-augmentation
  var contextual = ContextualAugmentation { texts in
    try fillMask(model: pretrainedMLM, tokenizer: tokenizer, texts: texts, top: 30, maxLength: 32)
  }
  contextual.numAug = eda.numAug
  // end cell: contextual-augmentation
  nb.narrate(
    """
    EDA's synonyms come from a fixed list and ignore the sentence. Contextual augmentation \
    (Kobayashi 2018) asks a masked language model instead: mask \
    \(Int(100 * contextual.share))% of the words (at least one), let the model guess what \
    fits there, and put in one of its \(contextual.topK) best guesses that is a word and not \
    the masked word itself, drawn in proportion to its probability. The model is the shipped \
    bert-mini's own MLM head (pre-trained by the kit on datasets/corpus/general.txt). Kobayashi conditions the model on the \
    label so that its guesses keep the class; this one is not conditioned, so a guess that \
    fits the sentence may change its intent. The same text:
    """)
  nb.cell("contextual-augmentation")
  nb.output(
    ([exampleText] + (try contextual.augment([exampleText], random: &exampleRandom)[0])).joined(
      separator: "\n"))
  // How well the guesser knows these messages: its masked-token accuracy on them, against the
  // general text it was pre-trained on (the same masking as section 5).
  let intentRows = packSequences(
    Array(train.texts.prefix(sizes[sizes.count - 1])), tokenizer: tokenizer, length: 64,
    separator: tokenizer.id(of: "[SEP]"), cls: tokenizer.id(of: "[CLS]"), sep: tokenizer.id(of: "[SEP]"))
  let guessing = (
    intent: try evaluateMaskedLM(pretrainedMLM, tokenizer: tokenizer, rows: intentRows).accuracy,
    general: try evaluateMaskedLM(pretrainedMLM, tokenizer: tokenizer, rows: generalRows).accuracy
  )
  nb.narrate(
    """
    How good can the guesses be? bert-mini is a \(encoderLayerCount(pretrainedMLM))-layer \
    model whose MLM head guesses \(percent(guessing.general)) of masked tokens right on \
    held-out general text and \(percent(guessing.intent)) on these intent messages. Which \
    words it put in, over all the variants of the runs below, is counted after the table.
    """)
  nb.record("masked_lm_accuracy_intent", guessing.intent)
  nb.record("masked_lm_accuracy_general", guessing.general)

  /// `dataset`'s texts, each followed by its `variants`, with the text's label.
  func enlarged(_ dataset: TextClassificationDataset, _ variants: [[String]]) -> TextClassificationDataset {
    var (texts, labels) = ([String](), [Int]())
    for (i, (text, label)) in zip(dataset.texts, dataset.labels).enumerated() {
      texts += [text] + variants[i]
      labels += Array(repeating: label, count: variants[i].count + 1)
    }
    return TextClassificationDataset(texts: texts, labels: labels, labelNames: labelNames)
  }
  nb.narrate(
    """
    Four arms at each of \(sizes.count) training-set sizes, \(seedCount) seed(s) each, the same \
    \(String(format: "%g", epochs)) epochs: the originals alone; the originals each repeated \
    \(eda.numAug + 1) times (as many steps as an augmented set, without new text: the fair \
    control); the originals with their \(eda.numAug) EDA variants; and with their \
    \(contextual.numAug) masked-LM variants. Each seed draws its own variants.
    """)
  nb.cell("augmentation-arms")
  let arms = [
    ("original", "originals"), ("repeated", "repeated ×\(eda.numAug + 1)"),
    ("eda", "+ \(eda.numAug) EDA variants each"),
    ("masked_lm", "+ \(contextual.numAug) masked-LM variants each"),
  ]
  var results: [Int: [String: [RunResult]]] = [:]
  var replacements: [String: Int] = [:]
  let bar = nb.progress("augmentation runs", total: sizes.count * seeds.count * arms.count)
  var done = 0
  for size in sizes {
    let small = TextClassificationDataset(
      texts: Array(train.texts.prefix(size)), labels: Array(train.labels.prefix(size)), labelNames: labelNames
    )
    for seed in seeds {
      // cell: augmentation-arms
      var random = SeededRandom(seed: seed &* 1000 &+ UInt64(size))
      let sets: [String: TextClassificationDataset] = [
        "original": small,
        "repeated": enlarged(small, small.texts.map { Array(repeating: $0, count: eda.numAug) }),
        "eda": enlarged(small, small.texts.map { eda.augment($0, random: &random) }),
        "masked_lm": enlarged(small, try contextual.augment(small.texts, random: &random)),
      ]
      // end cell: augmentation-arms
      for (original, variant) in zip(sets["repeated"]!.texts, sets["masked_lm"]!.texts) {
        let pairs = zip(original.split(separator: " "), variant.split(separator: " "))
        for (old, new) in pairs where old != new {
          replacements[new.trimmingCharacters(in: .punctuationCharacters).lowercased(), default: 0] += 1
        }
      }
      for (key, _) in arms {
        results[size, default: [:]][key, default: []].append(
          try fineTune(
            try pretrained(seed: seed), args: recipe("augmentation", seed: seed, learningRate: chosenRate),
            train: sets[key]!, validation: validation, tokenizer: tokenizer, fitted: small))
        done += 1
        bar.update(step: done)
      }
    }
  }
  bar.finish()
  nb.table(
    headers: ["labelled", "training set", "examples", "steps", "train acc. (labelled)", "validation acc."],
    rows: sizes.flatMap { size in
      arms.map { key, name in
        let runs = results[size]?[key] ?? []
        return [
          "\(size)", name, "\(key == "original" ? size : size * (eda.numAug + 1))",
          "\(runs.first?.steps ?? 0)",
          summary(runs.map(\.trainAccuracy)), summary(runs.map(\.accuracy)),
        ]
      }
    }, title: "\(sizes.map(String.init).joined(separator: ", ")) labelled examples, \(seedCount) seed(s)")

  let replaced = replacements.values.reduce(0, +)
  let common = replacements.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5)
  nb.narrate(
    """
    The masked-LM variants replaced \(replaced) words; the five most frequent replacements \
    were \(common.map { "\"\($0.key)\" (\(percent(Double($0.value) / Double(max(1, replaced)))))" }.joined(separator: ", ")).
    """)
  nb.record("masked_lm_replacements", replaced)
  nb.record(
    "masked_lm_common_replacements",
    .object(Dictionary(uniqueKeysWithValues: common.map { ($0.key, JSONValue.number(Double($0.value))) })))

  /// An augmentation's gain over the repeated originals at `size`: the mean of the per-seed
  /// differences, and the larger spread between seeds of the two arms.
  func gain(_ key: String, at size: Int) -> (mean: Double, spread: Double) {
    let (arm, control) = (results[size]?[key] ?? [], results[size]?["repeated"] ?? [])
    let differences = zip(arm, control).map { $0.accuracy - $1.accuracy }
    return (
      meanAndSpread(differences).mean,
      max(meanAndSpread(arm.map(\.accuracy)).std, meanAndSpread(control.map(\.accuracy)).std)
    )
  }
  func verdict(_ gain: (mean: Double, spread: Double)) -> String {
    let points = String(format: "%+.1f", 100 * gain.mean)
    if seedCount < 2 { return "\(points) (one seed, no spread to weigh it against)" }
    if abs(gain.mean) <= 2 * gain.spread { return "\(points), within twice the spread between seeds" }
    return "\(points), \(gain.mean > 0 ? "a gain" : "a loss") beyond twice the spread"
  }
  let lines = sizes.map { size in
    "at \(size): EDA \(verdict(gain("eda", at: size))); masked-LM \(verdict(gain("masked_lm", at: size)))"
  }
  let clear = sizes.flatMap { size in
    ["eda", "masked_lm"].filter { key in
      let g = gain(key, at: size)
      return seedCount > 1 && g.mean > 2 * g.spread
    }.map { "\($0 == "eda" ? "EDA" : "masked-LM") at \(size)" }
  }
  // An augmentation below the control at every size is worth saying even when each gap alone
  // is within the noise.
  let alwaysBelow = [("eda", "EDA"), ("masked_lm", "masked-LM substitution")].filter { key, _ in
    sizes.count > 1 && sizes.allSatisfy { gain(key, at: $0).mean < 0 }
  }.map(\.1)
  nb.narrate(
    """
    Against the repeated originals, in points of validation accuracy: \(lines.joined(separator: "; ")). \
    \(clear.isEmpty
      ? "Neither augmentation helped by more than the noise at any size in this run."
      : "A gain beyond the noise: \(clear.joined(separator: ", ")); everywhere else neither augmentation helped by more than the noise.") \
    \(alwaysBelow.isEmpty ? "" : "\(alwaysBelow.joined(separator: " and ").capitalizedFirst) scored below the repeated originals at every size (see each gap's verdict above). ")\
    Compare an augmentation with the originals alone only after the repeated arm: most of a \
    gain over the originals comes from taking more steps, not from the new text. The EDA \
    paper found its largest gains (3 points at 500 examples) with networks trained from \
    scratch, and warned that they may vanish with pre-trained models, whose knowledge of \
    synonyms and word order is what the operations imitate. Masked-LM substitution asks that \
    very knowledge for its words, here from a small model that guesses \
    \(percent(guessing.intent)) of these messages' masked tokens, and without the label it \
    can turn a refund request into a repair request: two hypotheses for where it does not \
    help, which this run does not separate.
    """)
  var record: [String: JSONValue] = [:]
  for size in sizes {
    for (key, _) in arms {
      let runs = results[size]?[key] ?? []
      record["\(size)_\(key)"] = .object([
        "validation_accuracy": .array(runs.map { .number($0.accuracy) }),
        "train_accuracy": .array(runs.map { .number($0.trainAccuracy) }),
        "examples": .number(Double(key == "original" ? size : size * (eda.numAug + 1))),
      ])
    }
  }
  nb.record("augmentation", .object(record))
  return AugmentationGains(
    examples: sizes[0], eda: gain("eda", at: sizes[0]).mean, maskedLM: gain("masked_lm", at: sizes[0]).mean)
}

extension String {
  /// The text with its first letter in upper case.
  var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
