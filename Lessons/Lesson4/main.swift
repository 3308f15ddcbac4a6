// Lesson 4 — Pre-training.
//
// Run it with `swift run Lesson4` (`-- --quick` for a short run, `-- --help` for flags).
// The code it builds on: Sources/Training/Masking.swift (your exercises 4.1 and 4.3),
// Sources/Models/Safetensors.swift (4.4), Sources/Models/Bert.swift (4.2, the MLM loss),
// Sources/Training/Pretraining.swift (the loop) and Sources/Training/DomainAdaptation.swift.
// Beside this file: its helpers (Pretraining.swift, Embeddings.swift, SentenceObjectives.swift)
// and section 5 (DomainAdaptationSection.swift).

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

let nb = Notebook(
  lesson: 4, title: "Pre-training",
  summary: """
    A model that has read a lot of text knows things about words before it sees a single \
    label. We pre-train a small BERT by masked language modelling, live; then open the \
    checkpoint the kit ships and look at what its pre-training learned (fill-in-the-blank, \
    neighbours, a map of the embedding space); then adapt it to the espresso-machine domain \
    with new vocabulary and continued pre-training.
    """,
  flags: [
    LessonFlag.int("steps", default: 400, help: "steps of the live MLM pre-training run"),
    LessonFlag.int("adapt-steps", default: 80, help: "steps of continued pre-training on in-domain text"),
    LessonFlag.double("adapt-lr", default: 5e-4, help: "learning rate of continued pre-training"),
    LessonFlag.int("new-words", default: 24, help: "domain words added to the vocabulary"),
    LessonFlag.int(
      "sop-steps", default: 20,
      help: "steps of MLM + NSP, of MLM + SOP and of MLM + bag of words from bert-mini"),
  ])
nb.overview(
  objectives: [
    "pre-train a small BERT by masked language modelling (15%, 80/10/10) and read its loss and perplexity",
    "save and reload a checkpoint in Hugging Face layout (safetensors, config.json, vocab.txt)",
    "probe what pre-training learned: fill-in-the-blank, nearest neighbours, a 2-D map of the embeddings",
    "adapt a checkpoint to a new domain: add words to its vocabulary and continue pre-training",
  ],
  prerequisites: ["Lessons 1–3 (autodiff, tokenizers, the transformer block)"],
  time: "about an hour to read and run, plus 1–2 hours for the exercises",
  reading: [
    Reading(
      "Devlin et al. 2019, BERT: pre-training of deep bidirectional transformers for language understanding",
      url: "https://arxiv.org/abs/1810.04805", note: "section 3.1: the masked LM and its 80/10/10 rule"),
    Reading(
      "Hugging Face LLM course, chapter 7.3: Fine-tuning a masked language model",
      url: "https://huggingface.co/learn/llm-course/chapter7/3",
      note: "domain adaptation with the Trainer"),
    Reading(
      "Gururangan et al. 2020, Don't stop pretraining: adapt language models to domains and tasks",
      url: "https://arxiv.org/abs/2004.10964", note: "what continued pre-training buys, measured"),
    Reading(
      "Hugging Face, safetensors", url: "https://huggingface.co/docs/safetensors/index",
      note: "the checkpoint format the kit reads and writes"),
  ])
let options = nb.options
manualSeed(options.seed)
let generator = Generator(seed: options.seed)
let quick = options.quick
let bertDirectory = URL(fileURLWithPath: "datasets/models/bert-mini")
let outputDirectory = options.outputDirectory

func lines(_ path: String) -> [String] {
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
    FileHandle.standardError.write(Data("Lesson4: cannot read \(path); run from the package root.\n".utf8))
    exit(1)
  }
  return text.split(separator: "\n").map(String.init)
}
func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }
func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }

// MARK: - 1. Masked-language-model pre-training, live

nb.section("1. Masked language modelling, live")
let tokenizer = try WordPieceTokenizer(vocabularyFile: bertDirectory.appendingPathComponent("vocab.txt"))
let general = lines("datasets/corpus/general.txt")
let maskID = tokenizer.id(of: "[MASK]")
let special = Set(WordPieceTokenizer.specialTokens.map { tokenizer.id(of: $0) })
nb.narrate(
  """
  BERT learns from unlabelled text by a fill-in-the-blank game. 15% of the tokens are chosen \
  as targets; of those, 80% become [MASK], 10% a random token and 10% stay as they are (so the \
  model cannot assume that only [MASK] positions matter). The model reads the corrupted \
  sentence and must say, at every target, which token was there; the loss is the cross-entropy \
  at the targets only, every other label being -100 (exercises 4.1 and 4.2). Here is one \
  sentence of the general corpus, with the vocabulary of the shipped checkpoint:
  """)
let example = "[CLS] " + general[3].split(separator: ".")[0] + ". [SEP]"
let exampleIDs = tokenizer.encode(example)
nb.cell("mask")
// cell: mask
// 0.15 in training; 0.3 shows more
let masked = maskTokens(
  [exampleIDs], maskID: maskID, vocabularySize: tokenizer.vocabularySize, special: special, probability: 0.3,
  generator: Generator(seed: 7))
// end cell: mask
nb.table(
  headers: ["position", "token", "model reads", "label"],
  rows: exampleIDs.indices.map { t in
    let label = masked.labels[0][t]
    return [
      "\(t)", tokenizer.tokens[exampleIDs[t]], tokenizer.tokens[masked.inputIds[0][t]],
      label == -100 ? "-100" : tokenizer.tokens[label],
    ]
  })

let liveDocuments = quick ? 300 : 1500
let heldOutDocuments = Array(general.suffix(quick ? 20 : 60))
let sequenceLength = 32
let (cls, sep) = (tokenizer.id(of: "[CLS]"), tokenizer.id(of: "[SEP]"))
let liveRows = packSequences(
  Array(general.prefix(liveDocuments)), tokenizer: tokenizer, length: sequenceLength, separator: sep,
  cls: cls,
  sep: sep)
let liveHeldOut = packSequences(
  heldOutDocuments, tokenizer: tokenizer, length: sequenceLength, separator: sep, cls: cls, sep: sep)
let liveConfig = BertConfig(
  vocabSize: tokenizer.vocabularySize, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2,
  intermediateSize: 256,
  maxPositionEmbeddings: sequenceLength)
let live = BertForMaskedLM(liveConfig, generator: Generator(seed: options.seed))
let liveArgs = pretrainingArguments(
  outputDirectory.appendingPathComponent("live-mlm"), seed: options.seed,
  steps: quick ? 30 : options.int("steps"), learningRate: 2e-3, evaluations: 8)
nb.narrate(
  """
  A small BERT (hidden \(liveConfig.hiddenSize), \(liveConfig.numHiddenLayers) layers, \(live.parameterCount()) \
  parameters) from random weights, on the first \(liveDocuments) documents of the general corpus packed \
  into \(liveRows.count) rows of \(sequenceLength) tokens; \(liveHeldOut.count) rows of held-out documents \
  are scored every \(liveArgs.evaluationInterval) steps with the same fixed masking, so the points are comparable. \
  AdamW runs at a constant rate of \(String(format: "%g", liveArgs.learningRate)), with no warm-up, decay, weight decay \
  or clipping: that recipe, which the shipped checkpoints were pre-trained with, is what Lesson 5 builds.
  """)
nb.cell("pretrain-masked-lm", in: "Pretraining.swift")
let liveReport = try pretrainMaskedLM(
  live, tokenizer: tokenizer, training: liveRows, heldOut: liveHeldOut, args: liveArgs,
  bar: nb.progress("MLM pre-training", total: liveArgs.maxSteps))
let liveSmooth = movingAverage(liveReport.trainingLosses, size: quick ? 5 : 20)
let liveSeries = [
  ChartSeries(name: "training loss (moving average)", values: liveSmooth.y, x: liveSmooth.x),
  ChartSeries(
    name: "held-out loss", values: liveReport.evaluations.map(\.loss),
    x: liveReport.evaluations.map { Double($0.step) }),
]
nb.lineChart(liveSeries, title: "Live MLM pre-training", xLabel: "step", yLabel: "cross-entropy")
nb.figure(
  .lineChart(series: liveSeries, title: "Live MLM pre-training (Lesson 4)", xLabel: "step", yLabel: "loss"),
  name: "live-mlm-loss")
let (liveFirst, liveLast) = (liveReport.evaluations.first!, liveReport.evaluations.last!)
nb.table(
  headers: ["held-out", "loss", "perplexity", "masked-token accuracy"],
  rows: [
    ["before training", f(liveFirst.loss), f(liveFirst.perplexity, 1), percent(liveFirst.accuracy)],
    [
      "after \(liveArgs.maxSteps) steps", f(liveLast.loss), f(liveLast.perplexity, 1),
      percent(liveLast.accuracy),
    ],
  ],
  title: String(format: "%.1f s of training, %d tokens", liveReport.seconds, liveReport.tokens))
nb.narrate(
  """
  A uniform guess over \(tokenizer.vocabularySize) tokens has loss ln \(tokenizer.vocabularySize) = \
  \(f(log(Double(tokenizer.vocabularySize)), 2)). The first few hundred steps mostly learn which tokens are \
  frequent; learning to use the context comes later, as the full run's curve in section 6 shows.
  """)
nb.record("live_steps", liveArgs.maxSteps)
nb.record("live_parameters", live.parameterCount())
nb.record("live_training_loss", liveReport.trainingLosses)
nb.record("live_heldout_loss_before", liveFirst.loss)
nb.record("live_heldout_loss_after", liveLast.loss)
nb.record("live_heldout_accuracy_after", liveLast.accuracy)
nb.record("live_seconds", liveReport.seconds)

// The other objective: causal language modelling.
nb.narrate(
  """
  GPT-style models play a different game: predict every next token from the ones before it. \
  The labels are the inputs shifted left by one, with -100 where nothing follows (exercise \
  4.2); the causal mask of Lesson 3 keeps each position from seeing its answer.
  """)
nb.cell("next-token-labels")
// cell: next-token-labels
let gptRow = tokenizer.encode("a small cafe near the tent serves coffee")
let nextLabels = nextTokenLabels([gptRow])[0]
// end cell: next-token-labels
nb.output(
  gptRow.map { tokenizer.tokens[$0] }.joined(separator: ", ") + "\n"
    + nextLabels.map { $0 == -100 ? "-100" : tokenizer.tokens[$0] }.joined(separator: ", "))

// Saving and loading.
nb.narrate(
  """
  A checkpoint is a directory in Hugging Face's layout: config.json, the weights in \
  model.safetensors (an 8-byte little-endian header length, a JSON header naming each tensor's \
  dtype, shape and byte range, then the raw bytes; exercise 4.4) and the vocabulary.
  """)
nb.cell("save")
// cell: save
let liveDirectory = outputDirectory.appendingPathComponent("bert-live")
try live.save(to: liveDirectory)
try tokenizer.write(to: liveDirectory.appendingPathComponent("vocab.txt"))
let weightsData = try Data(contentsOf: liveDirectory.appendingPathComponent("model.safetensors"))
let header = try readSafetensorsHeader(weightsData, path: "model.safetensors")
// end cell: save
let tensorNames = header.json.keys.filter { $0 != "__metadata__" }.sorted()
nb.output(
  "header: \(header.dataStart - 8) bytes of JSON, \(tensorNames.count) tensors, data from byte \(header.dataStart)\n"
    + tensorNames.prefix(4).map { name in
      let shape = (header.json[name] as? [String: Any])?["shape"] as? [Int] ?? []
      return "  \(name)  \(shape)"
    }.joined(separator: "\n") + "\n  ...")
nb.cell("reload")
// cell: reload
let reloaded = try BertForMaskedLM.fromPretrained(liveDirectory)
// end cell: reload
live.eval()
reloaded.eval()
let probeRow = [Array(liveHeldOut[0])]
let reloadDifference = try noGrad {
  zip(try live(inputIds: probeRow).data, try reloaded(inputIds: probeRow).data).map { abs($0 - $1) }.max()
    ?? 0
}
nb.output("largest difference between the logits of the model and of its reloaded copy: \(reloadDifference)")
nb.record("reload_max_logit_difference", Double(reloadDifference))

// MARK: - 2. Fill in the blank

nb.section("2. What the shipped checkpoint learned: fill in the blank")
nb.cell("load-bert-mini")
// cell: load-bert-mini
let (bert, loadReport) = try BertForMaskedLM.fromPretrained(bertDirectory, outputLoadingInfo: true)
bert.eval()
// end cell: load-bert-mini
let bertConfig = bert.bert.config
nb.output(
  "\(loadReport.description)\nhidden \(bertConfig.hiddenSize), \(bertConfig.numHiddenLayers) layers, "
    + "vocabulary \(bertConfig.vocabSize), \(bert.parameterCount()) parameters")
nb.narrate(
  """
  datasets/models/bert-mini was pre-trained by the kit (`course pretrain`), longer and on all \
  of the general corpus (section 6). Asked to fill the blank, it gives a distribution over its \
  vocabulary; these are its five best guesses, with probabilities:
  """)
let positiveSet = Set(positiveWords)
let negativeSet = Set(negativeWords)
let clozes = [
  ("It is rare to find a kettle this [MASK]; I would happily pay twice the price.", "praise"),
  ("Critics panned the garden as [MASK], and it closed within a month.", "blame"),
  ("A small cafe near the tent serves [MASK], but the regulars mostly come for the bread.", "a noun"),
  ("The students measured the temperature of the [MASK] every Thursday for a month.", "a noun"),
  ("\"I did not know the parade was closed,\" Quinn said, \"so I went to the [MASK] instead.\"", "a place"),
]
var clozeRows: [[String]] = []
var clozeRecords: [JSONValue] = []
var polarity: [(positive: Double, negative: Double)] = []
for (sentence, _) in clozes {
  let ids = tokenizer(sentence, maxLength: bertConfig.maxPositionEmbeddings).ids  // [CLS] … [SEP]
  guard let position = ids.firstIndex(of: maskID) else { continue }
  let logits = try noGrad { try bert(inputIds: [ids]) }  // (1, seq, vocabulary)
  let v = logits.shape[2]
  let probabilities = Tensor(Array(logits.data[(position * v)..<((position + 1) * v)])).softmax(axis: 0).data
  let best = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(5)
  clozeRows.append([
    sentence.replacingOccurrences(of: "[MASK]", with: "___"),
    best.map { "\(tokenizer.tokens[$0]) \(f(Double(probabilities[$0]), 2))" }.joined(separator: ", "),
  ])
  clozeRecords.append(
    .object([
      "sentence": .string(sentence),
      "top5": .array(
        best.map {
          .object(["token": .string(tokenizer.tokens[$0]), "p": .number(Double(probabilities[$0]))])
        }),
    ]))
  let mass = { (words: Set<String>) in
    probabilities.indices.filter { words.contains(tokenizer.tokens[$0]) }.reduce(0.0) {
      $0 + Double(probabilities[$1])
    }
  }
  polarity.append((mass(positiveSet), mass(negativeSet)))
}
nb.table(headers: ["sentence", "top 5 (probability)"], rows: clozeRows)
let polarityLearned =
  polarity[0].positive > polarity[0].negative && polarity[1].negative > polarity[1].positive
nb.narrate(
  """
  The first two blanks want an adjective of opposite polarity. Summing the probability the \
  model puts on the corpus generator's positive and negative words: after "this ___; I would \
  happily pay twice" it gives \(percent(polarity[0].positive)) to positive and \
  \(percent(polarity[0].negative)) to negative words; after "panned the garden as ___" \
  \(percent(polarity[1].positive)) and \(percent(polarity[1].negative)). \(polarityLearned
    ? "Nobody labelled a word as positive or negative: the contexts taught it."
    : "So it does not tell the two polarities apart in these contexts: that is left to fine-tuning.") \
  These sentences follow the corpus's own patterns, which is where a small model is at its best.
  """)
nb.record("fill_mask", .array(clozeRecords))
nb.record("cloze_praise_positive_mass", polarity[0].positive)
nb.record("cloze_praise_negative_mass", polarity[0].negative)
nb.record("cloze_blame_positive_mass", polarity[1].positive)
nb.record("cloze_blame_negative_mass", polarity[1].negative)

// MARK: - 3. Neighbours

nb.section("3. Neighbours in the embedding table")
let table = bert.bert.embeddings.wordEmbeddings.weight  // (vocabulary, hidden)
let wholeWords = tokenizer.tokens.indices.filter {
  !special.contains($0) && !tokenizer.tokens[$0].hasPrefix("##") && tokenizer.tokens[$0].count > 2
    && tokenizer.tokens[$0].allSatisfy(\.isLetter)
}
let candidates = zip(wholeWords.map { tokenizer.tokens[$0] }, unitRows(table, ids: wholeWords)).map {
  (token: $0, vector: $1)
}
func inVocabulary(_ words: [String]) -> [String] {
  words.map { $0.lowercased() }.filter { tokenizer.vocabulary[$0] != nil && !$0.contains(" ") }
}
let probes =
  Array(inVocabulary(positiveWords).prefix(2)) + Array(inVocabulary(negativeWords).prefix(2))
  + Array(inVocabulary(generalNouns).prefix(2)) + Array(inVocabulary(firstNames).prefix(1))
nb.narrate(
  """
  Each token's row of the word-embedding table is where pre-training put it. Words used in the \
  same contexts get similar rows. The closest whole words (cosine similarity) to a few probes:
  """)
var neighbourRecords: [String: JSONValue] = [:]
var neighbourRows: [[String]] = []
for word in probes {
  let vector = unitRows(table, ids: [tokenizer.id(of: word)])[0]
  let near = nearestNeighbours(vector, among: candidates.filter { $0.token != word }, k: 6)
  neighbourRows.append([word, near.map { "\($0.token) \(f($0.similarity, 2))" }.joined(separator: ", ")])
  neighbourRecords[word] = .array(near.map { .string($0.token) })
}
nb.table(headers: ["word", "nearest whole words (cosine)"], rows: neighbourRows)
nb.record("neighbours", .object(neighbourRecords))

// MARK: - 4. A map

nb.section("4. A map of the embedding space")
let groupNames = ["positive", "negative", "places and things", "people and towns"]
let groupWords = [
  Array(inVocabulary(positiveWords).prefix(40)), Array(inVocabulary(negativeWords).prefix(40)),
  Array(inVocabulary(generalNouns).prefix(40)), Array(inVocabulary(firstNames + towns).prefix(40)),
]
let mapWords = groupWords.flatMap { $0 }
let mapGroups = groupWords.enumerated().flatMap { g, words in words.map { _ in g } }
let mapVectors = unitRows(table, ids: mapWords.map(tokenizer.id(of:)))
let pca = principalComponents(mapVectors, generator: Generator(seed: options.seed))
let points = zip(pca.coordinates, mapGroups).map { ScatterPoint(x: $0[0], y: $0[1], group: $1) }
nb.narrate(
  """
  \(mapWords.count) words of four groups, their \(bertConfig.hiddenSize)-number rows projected onto the two \
  directions of largest variance (principal components, found by power iteration). The two \
  axes keep \(percent(pca.explained[0] + pca.explained[1])) of the variance, so the map is a \
  rough shadow of the real space.
  """)
nb.scatter(points, groups: groupNames, title: "Word embeddings of bert-mini, first two principal components")
nb.figure(
  .scatter(
    points: points, title: "bert-mini word embeddings (PCA): " + groupNames.joined(separator: ", "),
    xLabel: "PC 1", yLabel: "PC 2"), name: "embedding-pca")
let fullAccuracy = nearestCentroidAccuracy(mapVectors, groups: mapGroups)
let mapAccuracy = nearestCentroidAccuracy(pca.coordinates, groups: mapGroups)
let baseline = shuffledBaseline(mapVectors, groups: mapGroups, rounds: quick ? 20 : 100, generator: generator)
let separates = fullAccuracy > baseline
// The harder question: positive against negative words only (two groups, chance about 50%).
let polar = mapGroups.indices.filter { mapGroups[$0] < 2 }
let polarAccuracy = nearestCentroidAccuracy(polar.map { mapVectors[$0] }, groups: polar.map { mapGroups[$0] })
let polarBaseline = shuffledBaseline(
  polar.map { mapVectors[$0] }, groups: polar.map { mapGroups[$0] }, rounds: quick ? 20 : 100,
  generator: generator)
nb.narrate(
  """
  Do the groups cluster? A number, not an impression: give each word the group whose centre \
  (of the other words) is nearest, and count how often that is its own group. With the groups \
  shuffled at random, 95% of shuffles score at most \(percent(baseline)).
  """)
nb.table(
  headers: ["space", "nearest-centre accuracy"],
  rows: [
    ["all \(bertConfig.hiddenSize) dimensions", percent(fullAccuracy)],
    ["the 2-D map", percent(mapAccuracy)],
    ["shuffled groups (95th percentile)", percent(baseline)],
    ["positive vs negative only, all dimensions", percent(polarAccuracy)],
    ["positive vs negative, shuffled (95th percentile)", percent(polarBaseline)],
  ])
let groupVerdict =
  separates
  ? "The groups separate better than chance in the full space (\(percent(fullAccuracy)) vs \(percent(baseline)))."
  : "The groups do not separate better than chance here (\(percent(fullAccuracy)) vs \(percent(baseline)))."
let polarVerdict =
  polarAccuracy > polarBaseline
  ? "Positive and negative words separate too (\(percent(polarAccuracy)) vs \(percent(polarBaseline)))."
  : "But positive and negative words do not separate better than chance (\(percent(polarAccuracy)) vs "
    + "\(percent(polarBaseline))): both are adjectives in the same kinds of sentences."
nb.output(groupVerdict + " " + polarVerdict)
nb.record("pca_explained_variance", pca.explained)
nb.record("group_accuracy_full", fullAccuracy)
nb.record("group_accuracy_2d", mapAccuracy)
nb.record("group_accuracy_shuffled_p95", baseline)
nb.record("groups_separate", separates)
nb.record("polarity_accuracy_full", polarAccuracy)
nb.record("polarity_accuracy_shuffled_p95", polarBaseline)

// MARK: - 5. Domain adaptation

try domainAdaptationSection()

// MARK: - 6. The full recipe

nb.section("6. The full recipe: how the shipped checkpoints were made")
let bertCurve = try PretrainingCurve(contentsOf: bertDirectory.appendingPathComponent("pretraining.json"))
let card = (try? String(contentsOf: bertDirectory.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
nb.narrate(
  """
  The shipped bert-mini came out of `course pretrain`: the same masked-LM objective, run longer, \
  with a second objective beside it that trains the [CLS] state (`--objective mlm+bow`, section \
  7). Its model card (datasets/models/bert-mini/README.md) gives the recipe:
  """)
// The bullets of the card's "## Recipe" section (later sections hold experiments, not the recipe).
let recipe = card.split(separator: "\n").drop { !$0.hasPrefix("## Recipe") }.dropFirst()
  .prefix { !$0.hasPrefix("## ") }
nb.output(recipe.filter { $0.hasPrefix("- ") || $0.hasPrefix("  ") }.joined(separator: "\n"))
let fullSmooth = movingAverage(bertCurve.training_loss, size: 50)
let fullSeries = [
  ChartSeries(
    name: "training loss, masked LM + bag of words (moving average of 50)", values: fullSmooth.y,
    x: fullSmooth.x),
  ChartSeries(
    name: "held-out masked-LM loss", values: bertCurve.evaluations.map(\.loss),
    x: bertCurve.evaluations.map { Double($0.step) }
  ),
]
nb.lineChart(
  fullSeries, title: "bert-mini pre-training (pretraining.json)", xLabel: "step", yLabel: "cross-entropy")
nb.figure(
  .lineChart(
    series: fullSeries, title: "bert-mini: the full pre-training run", xLabel: "step", yLabel: "loss"),
  name: "bert-mini-pretraining")
nb.table(
  headers: ["step", "held-out loss", "perplexity", "masked-token accuracy"],
  rows: bertCurve.evaluations.enumerated().filter {
    $0.offset % 2 == 0 || $0.offset == bertCurve.evaluations.count - 1
  }
  .map { _, e in ["\(e.step)", f(e.loss), f(e.perplexity, 1), percent(e.accuracy)] })
let plateau = bertCurve.evaluations.first { $0.step >= liveArgs.maxSteps }
nb.narrate(
  """
  The training loss is the sum of the two objectives, and the bag-of-words part cannot fall \
  below the log of each bag's size (section 7), so it stays above the held-out masked-LM loss. \
  The held-out loss falls fast, stalls on a plateau where the model predicts frequent tokens, \
  then drops again once it starts to use the context. The live run of section 1 stopped at step \
  \(liveArgs.maxSteps) with held-out loss \(f(liveLast.loss)) (a smaller model on shorter rows); \
  the full run was at \(plateau.map { f($0.loss) } ?? "n/a") by step \(plateau?.step ?? 0), and ended at \
  \(f(bertCurve.evaluations.last!.loss)) after \(bertCurve.evaluations.last!.step) steps.
  """)
let gptDirectory = URL(fileURLWithPath: "datasets/models/gpt-mini")
if let gptCurve = try? PretrainingCurve(contentsOf: gptDirectory.appendingPathComponent("pretraining.json")),
  let first = gptCurve.evaluations.first, let last = gptCurve.evaluations.last
{
  nb.output(
    "gpt-mini (causal LM, datasets/models/gpt-mini): held-out loss \(f(first.loss)) → \(f(last.loss)), "
      + "perplexity \(f(first.perplexity, 1)) → \(f(last.perplexity, 2)), next-token accuracy "
      + "\(percent(first.accuracy)) → \(percent(last.accuracy)) over \(last.step) steps")
  nb.record("gpt_mini_final_heldout_loss", last.loss)
}
nb.record("bert_mini_heldout_loss", bertCurve.evaluations.map(\.loss))
nb.record("bert_mini_final_heldout_loss", bertCurve.evaluations.last!.loss)
nb.record("bert_mini_final_accuracy", bertCurve.evaluations.last!.accuracy)

try sentenceObjectivesSection(
  nb, tokenizer: tokenizer, documents: general, bertDirectory: bertDirectory,
  outputDirectory: outputDirectory,
  steps: quick ? 4 : options.int("sop-steps"), seed: options.seed)
try bagOfWordsObjective(
  nb, tokenizer: tokenizer, documents: general, bertDirectory: bertDirectory,
  outputDirectory: outputDirectory,
  steps: quick ? 4 : options.int("sop-steps"), seed: options.seed)

nb.section("8. What you built")
nb.narrate(
  """
  The two pre-training objectives, a checkpoint format that Hugging Face reads, and the tools \
  to look inside a pre-trained model and to adapt it to a domain. Lesson 5 puts a \
  classification head on bert-mini and fine-tunes it. Check your exercises with \
  `swift test --filter Lesson4Tests`.
  """)
nb.questions([
  """
  BERT's masking replaces only 80% of the chosen tokens by [MASK], 10% by a random token and \
  leaves 10% unchanged. What would a model trained with [MASK] only learn to ignore, and why \
  does that matter when it is fine-tuned on text without [MASK]?
  """,
  """
  The masked-language-modelling loss is a mean over the labelled positions only (the others are \
  -100). If it were a mean over every position, how would the reported loss change when the \
  masking probability changes, with the model unchanged?
  """,
  """
  In causal language modelling the labels are the inputs shifted by one. Why is the last \
  position's label -100, and what would the model learn if padding were a target?
  """,
  """
  A safetensors file is an 8-byte length, a JSON header and raw bytes. Why does the reader \
  check the length against the file size before reading, and why is loading this format from a \
  stranger safer than unpickling a PyTorch .bin file?
  """,
])
nb.finish()
