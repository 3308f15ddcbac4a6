// Lesson 2 — Preparing your data.
//
// Run it with `swift run Lesson2` (`-- --quick` for a short run, `-- --help` for flags).
// The code lives in Sources/Datasets (readers, cleaning, splits; exercise 2.1 in Splits.swift)
// and Sources/Tokenizers (WordPiece.swift 2.1, ByteLevelBPE.swift 2.2, Encoding.swift 2.4).

import Datasets
import Foundation
import Notebook
import Tokenizers

let nb = Notebook(
  lesson: 2, title: "Preparing your data",
  summary: """
    A model only ever sees integers. This lesson goes from files to those integers: the kit's \
    datasets, reading real formats with errors that say where, cleaning and de-duplicating, \
    splits that keep the label balance and do not leak, and the two tokenizers behind BERT \
    and GPT-2, trained here on our own corpus.
    """,
  flags: [LessonFlag.int("documents", default: 3000, help: "corpus documents the tokenizers train on")])
nb.overview(
  objectives: [
    "read labelled data in TSV, CSV, JSONL and one-label-per-line formats, with errors that name the bad row",
    "clean and de-duplicate text, and make stratified train/validation/test splits that do not leak",
    "train a WordPiece and a byte-level BPE tokenizer on a corpus and compare how they cut words",
    "encode sentence pairs with special tokens, truncation, padding and attention masks",
    "measure how many pieces a domain word costs before and after adding it to the vocabulary",
  ],
  prerequisites: ["Lesson 1 (tensors and shapes)"],
  time: "about 45 minutes to read and run, plus 1–2 hours for the four exercises",
  reading: [
    Reading(
      "Hugging Face LLM course, chapter 2.5: Handling multiple sequences",
      url: "https://huggingface.co/learn/llm-course/chapter2/5",
      note: "padding, truncation and attention masks"),
    Reading(
      "Hugging Face LLM course, chapter 6.5–6.6: BPE and WordPiece tokenization",
      url: "https://huggingface.co/learn/llm-course/chapter6/5",
      note: "both algorithms step by step, with code"),
    Reading(
      "Sennrich, Haddow and Birch 2016, Neural machine translation of rare words with subword units",
      url: "https://arxiv.org/abs/1508.07909", note: "where BPE for text comes from"),
    Reading(
      "Radford et al. 2019, Language models are unsupervised multitask learners (GPT-2)",
      url:
        "https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf",
      note: "section 2.2: byte-level BPE"),
    Reading(
      "Gebru et al. 2021, Datasheets for datasets", url: "https://arxiv.org/abs/1803.09010",
      note: "the questions datasets/README.md answers for the kit's data"),
  ])
let options = nb.options
let root = URL(fileURLWithPath: "datasets")
func lines(_ path: String) -> [String] {
  ((try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)) ?? "").split(separator: "\n")
    .map(String.init)
}
guard FileManager.default.fileExists(atPath: root.appendingPathComponent("sentiment/train.tsv").path) else {
  print("Lesson 2 reads datasets/ from the package root: run it there (swift run Lesson2).")
  exit(1)
}

// MARK: - 1. The kit's data

nb.section("1. The kit's datasets")
nb.narrate(
  """
  No public corpus may be copied into the kit, so the kit writes its own from a seed (swift run \
  course make-datasets; the datasheet is datasets/README.md). A general corpus to pre-train on, \
  an espresso-machine forum for domain adaptation, and two labelled tasks from the same world.
  """)
var fileRows: [[String]] = []
for path in [
  "corpus/general.txt", "corpus/in_domain.txt", "sentiment/train.tsv", "sentiment/validation.tsv",
  "sentiment/test.tsv", "intent/train.tsv", "intent/validation.tsv", "intent/test.tsv",
] {
  let content = lines(path)
  let words = content.reduce(0) { $0 + $1.split(separator: " ").count }
  fileRows.append([path, "\(content.count)", "\(words)"])
}
nb.table(headers: ["file", "lines", "words"], rows: fileRows)
let sentimentTrain = try readExamples(root.appendingPathComponent("sentiment/train.tsv"), format: .tsv)
  .examples
nb.output("A training review: [\(sentimentTrain[1].label)] \(sentimentTrain[1].text)")

// MARK: - 2. Reading real data

nb.section("2. Reading real formats, and bad rows")
nb.narrate(
  """
  Real data comes as GLUE-style TSV with a header, CSV with quoted fields, JSON Lines, or one \
  `label text` per line (SST-2). And it comes with bad rows. A reader must say which file, \
  which line and what is wrong, and let you choose: stop at the first, or skip and count.
  """)
let messy = FileManager.default.temporaryDirectory.appendingPathComponent("lesson2-messy.csv")
try Data(
  "label,text\npositive,\"Lovely, \"\"really\"\" lovely\"\nnegative,\npositive,too,many,columns\nneutral,what is this label?\nnegative,Leaky gasket.\n"
    .utf8
).write(to: messy)
nb.cell("read-messy")
// cell: read-messy
let loaded = try readExamples(messy, format: .csv, labels: ["negative", "positive"], onBadRow: .skipAndCount)
// end cell: read-messy
nb.table(
  headers: ["line", "problem"], rows: loaded.skipped.map { ["\($0.line)", $0.problem] },
  title: "\(loaded.examples.count) examples kept, \(loaded.skipped.count) rows skipped")
let sst = URL(fileURLWithPath: "../shared/data/real/sst2/stsa.binary.train")
if FileManager.default.fileExists(atPath: sst.path) {
  let real = try readExamples(sst, format: .labelText, labels: ["0", "1"])
  nb.localOutput("SST-2 (real movie reviews) from \(sst.relativePath): \(real.examples.count) examples")
  nb.record("sst2_examples", real.examples.count)
}

// MARK: - 3. Cleaning and duplicates

nb.section("3. Cleaning and duplicates")
nb.narrate(
  """
  Cleaning makes equal things equal: Unicode normalisation (full-width letters, ligatures), \
  control and zero-width characters, runs of whitespace. BERT-uncased also lower-cases and \
  strips accents. Then duplicates go: exact ones (same text after cleaning) and near ones, \
  found with MinHash over word triples and confirmed by their Jaccard similarity.
  """)
nb.cell("clean")
// cell: clean
let cleaned = cleanText("  Ｆｕｌｌ\u{200B}width\t text ")
// end cell: clean
nb.output("\"\(cleaned)\"")
let sentences = lines("corpus/general.txt").prefix(options.quick ? 200 : 1500).flatMap {
  $0.split(separator: ".").map { Example(label: "", text: String($0)) }.filter { $0.text.count > 10 }
}
let (kept, report) = removeDuplicates(sentences, threshold: 0.8)
nb.table(
  headers: ["sentences", "exact duplicates", "near duplicates", "kept"],
  rows: [["\(sentences.count)", "\(report.exact.count)", "\(report.near.count)", "\(kept.count)"]],
  title: "Template-written text repeats itself: duplicates in the general corpus")
if let near = report.near.first {
  nb.output(
    "near duplicates (Jaccard \(String(format: "%.2f", near.similarity))):\n  \(sentences[near.of].text)\n  \(sentences[near.duplicate].text)"
  )
}
nb.record("corpus_exact_duplicates", report.exact.count)
nb.record("corpus_near_duplicates", report.near.count)

// MARK: - 4. Splits

nb.section("4. Stratified splits and leakage")
nb.narrate(
  """
  A split must keep each label's share (stratified) and must not leak: a text in both train \
  and test measures memory, not skill. Here the intent training set is re-split 70/15/15 \
  (exercise 2.1), and the kit's own splits are checked for leaks.
  """)
let intent = try readExamples(root.appendingPathComponent("intent/train.tsv"), format: .tsv).examples
let split = stratifiedSplit(intent, validation: 0.15, test: 0.15, seed: options.seed)
let labels = LabelMap(from: intent).labels
nb.table(
  headers: ["label", "all", "train", "validation", "test"],
  rows: labels.map { label in
    [label]
      + [intent, split.train, split.validation, split.test].map { part in
        String(
          format: "%.1f%%", 100 * Double(part.filter { $0.label == label }.count) / Double(max(part.count, 1))
        )
      }
  }, title: "Label shares per split")
let kitSplits = Splits(
  train: sentimentTrain,
  validation: try readExamples(root.appendingPathComponent("sentiment/validation.tsv"), format: .tsv)
    .examples,
  test: try readExamples(root.appendingPathComponent("sentiment/test.tsv"), format: .tsv).examples)
let leaks = findLeaks(kitSplits)
var leaky = kitSplits
leaky.test.append(Example(label: sentimentTrain[0].label, text: sentimentTrain[0].text.uppercased()))
nb.output(
  "leaks between the kit's sentiment splits: \(leaks.count)\nafter copying one training review into test (in capitals): \(findLeaks(leaky).map(\.places))"
)
nb.record("sentiment_split_leaks", leaks.count)

// MARK: - 5. WordPiece

nb.section("5. WordPiece, trained on our corpus")
nb.narrate(
  """
  BERT splits words into pieces from a fixed vocabulary: greedy, longest piece first, later \
  pieces marked ## (exercise 2.2). The vocabulary is learned: start from single characters \
  and keep merging the most frequent adjacent pair. A bigger vocabulary keeps more words \
  whole; a smaller one shreds them. Trained on \(options.quick ? 300 : options.int("documents")) \
  documents of the general corpus, measured on text it did not see:
  """)
let corpus = lines("corpus/general.txt")
let trainingDocuments = Array(corpus.prefix(options.quick ? 300 : options.int("documents")))
let heldOutGeneral = Array(corpus.suffix(300))
let forum = lines("corpus/in_domain.txt")
let heldOutForum = Array(forum.suffix(300))
var vocabularyRows: [[String]] = []
var figures: [String: JSONValue] = [:]
var mainTokenizer: WordPieceTokenizer?
var lengthsByVocabulary: [(size: Int, lengths: [Int])] = []  // [CLS] and [SEP] included
for size in options.quick ? [300, 1000] : [300, 1000, 3000] {
  let start = Date()
  let tokenizer = try WordPieceTokenizer.train(corpus: trainingDocuments, vocabularySize: size)
  let seconds = Date().timeIntervalSince(start)
  let unknown = heldOutForum.flatMap { tokenizer.tokenize($0) }
  let unknownRate = Double(unknown.filter { $0 == "[UNK]" }.count) / Double(max(unknown.count, 1))
  let general = tokensPerWord(tokenizer, heldOutGeneral)
  let domain = tokensPerWord(tokenizer, heldOutForum)
  vocabularyRows.append([
    "\(tokenizer.vocabularySize)", String(format: "%.2f", general), String(format: "%.2f", domain),
    String(format: "%.2f%%", unknownRate * 100), String(format: "%.1f s", seconds),
  ])
  figures["\(size)"] = .object([
    "tokens_per_word_general": .number(general), "tokens_per_word_in_domain": .number(domain),
    "unknown_rate_in_domain": .number(unknownRate),
  ])
  mainTokenizer = tokenizer
  lengthsByVocabulary.append(
    (tokenizer.vocabularySize, heldOutGeneral.map { tokenizer.tokenize($0).count + 2 }))
}
nb.table(
  headers: [
    "vocabulary", "tokens/word (general)", "tokens/word (espresso forum)", "[UNK] rate (forum)", "training",
  ],
  rows: vocabularyRows, title: "WordPiece vocabularies")
nb.record("wordpiece", .object(figures))
// How long the inputs are decides max_length (section 7): the share of held-out documents that
// fit without truncation, for each vocabulary.
let longestInput = lengthsByVocabulary.flatMap(\.lengths).max() ?? 0
let lengthSeries = lengthsByVocabulary.map { size, lengths in
  ChartSeries(
    name: "\(size) pieces",
    values: (0...longestInput).map { limit in
      Double(lengths.filter { $0 <= limit }.count) / Double(lengths.count)
    })
}
nb.figure(
  .lineChart(
    series: lengthSeries, title: "Held-out documents that fit in max_length",
    xLabel: "max_length (tokens, [CLS] and [SEP] included)", yLabel: "share that fits"),
  name: "fit-in-max-length")
let sortedLengths = (lengthsByVocabulary.last?.lengths ?? [0]).sorted()
let fitsMost = sortedLengths[min(sortedLengths.count - 1, Int(0.95 * Double(sortedLengths.count)))]
nb.narrate(
  """
  A smaller vocabulary makes longer inputs, and the model's max_length must hold them: with the \
  largest vocabulary, 95% of the held-out documents fit in \(fitsMost) tokens (the longest needs \
  \(sortedLengths.last ?? 0)); truncating at fewer cuts the ends off the rest.
  """)
nb.record("max_length_for_95_percent", fitsMost)
var wordPiece = mainTokenizer!
let example = "The portafilter on my Corvo Duo is not flimsy."
nb.output("\(example)\n→ \(wordPiece.tokenize(example).joined(separator: " "))")

// MARK: - 6. Byte-level BPE

nb.section("6. Byte-level BPE, as GPT-2")
nb.narrate(
  """
  GPT-2 works on bytes: every text is spelled with 256 symbols, so nothing is ever unknown, \
  and merges (exercise 2.3) build up common pieces. A space becomes part of the next word \
  ("Ġword"). Decoding is exact, byte for byte.
  """)
let bpe = ByteLevelBPETokenizer.train(
  corpus: Array(trainingDocuments.prefix(options.quick ? 300 : 1500)), vocabularySize: 1000)
let emoji = "Crema ☕ at 9 bar — naïve?"
nb.output(
  "\(example)\n→ \(bpe.tokenize(example).joined(separator: " "))\n\"\(emoji)\" decodes back exactly: \(bpe.decode(bpe.encode(emoji)) == emoji)"
)
let bpeGeneral = tokensPerWord(bpe, heldOutGeneral)
nb.output(
  String(
    format: "tokens per word, general text: %.2f (WordPiece %@: %@)", bpeGeneral,
    "\(wordPiece.vocabularySize)", vocabularyRows.last![1]))
nb.record("bpe_tokens_per_word_general", bpeGeneral)

// MARK: - 7. Encoding for a model

nb.section("7. Encoding for a model: pairs, padding, attention masks")
nb.narrate(
  """
  A BERT input is [CLS] text [SEP] (and for pairs, second text [SEP]), with token type ids \
  telling the two apart. A batch needs equal lengths, so short inputs are padded, and the \
  attention mask (1 real, 0 pad) tells attention to ignore the pads (exercise 2.4).
  """)
let batch = wordPiece.encodeBatch(
  ["The crema is superb.", "Where is my order?", "Descale it."], maxLength: 12)
nb.table(
  headers: ["tokens", "attention mask"],
  rows: batch.map { [$0.tokens.joined(separator: " "), $0.attentionMask.map(String.init).joined()] })
let pair = wordPiece("Is the gasket leaking?", pair: "Yes, after every shot.")
nb.output("pair: \(pair.tokens.joined(separator: " "))\ntype ids: \(pair.typeIds.map(String.init).joined())")

// MARK: - 8. Domain vocabulary

nb.section("8. A domain vocabulary")
nb.narrate(
  """
  The general corpus barely mentions portafilters and groupheads, so its vocabulary shreds \
  them into pieces. Adding the domain's words as whole tokens (Lesson 4 gives them embeddings \
  from their pieces) brings the espresso forum's tokens per word down:
  """)
let before = tokensPerWord(wordPiece, heldOutForum)
let domainWords = Set(
  (domainNouns + domainTerms + machineNames).flatMap {
    $0.lowercased().split(separator: " ").map(String.init)
  })
let added = wordPiece.addTokens(domainWords.sorted())
let after = tokensPerWord(wordPiece, heldOutForum)
nb.table(
  headers: ["", "vocabulary", "tokens/word on the forum"],
  rows: [
    ["before", "\(wordPiece.vocabularySize - added)", String(format: "%.3f", before)],
    ["after adding \(added) domain words", "\(wordPiece.vocabularySize)", String(format: "%.3f", after)],
  ])
nb.record("domain_tokens_per_word_before", before)
nb.record("domain_tokens_per_word_after", after)
nb.record("domain_words_added", added)

nb.section("9. What you built")
nb.narrate(
  """
  Files become examples, examples become clean, unique and fairly split, and text becomes \
  integers the way BERT and GPT-2 make them (on real BERT and GPT-2 vocabularies, the kit's \
  tokenizers give Hugging Face's ids exactly: see Tests/TokenizersTests). Lesson 3 feeds such \
  ids to attention. Check your exercises with `swift test --filter Lesson2Tests`.
  """)
nb.questions([
  """
  The stratified split keeps every label's share within a rounding of the whole. What would a \
  plain random 70/15/15 split risk for a rare intent, and what would it do to validation accuracy?
  """,
  """
  Copying one training review into test in capitals was still found as a leak. Why does the \
  leak check compare normalised text, and what would an exact comparison miss?
  """,
  """
  Adding \(added) domain words took the forum's tokens per word from \(String(format: "%.3f", before)) \
  to \(String(format: "%.3f", after)). Why does a model gain from fewer pieces per word, and \
  what do the new tokens lack until Lesson 4 gives them embeddings?
  """,
  """
  WordPiece marks pieces inside a word with ##, byte-level BPE marks a space at the start of a \
  word. Predict how each tokenizes a word it has never seen, and which of them can produce an \
  unknown token.
  """,
])
nb.finish()
