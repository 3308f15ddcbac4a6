// Section 7 of Lesson 4: the objectives that train [CLS], BERT's next-sentence prediction,
// ALBERT's sentence-order prediction and the kit's bag of words, run live from the shipped
// bert-mini (Sources/Training/SentenceObjectives.swift, BagOfWordsObjective.swift,
// Sources/Models/BertPreTraining.swift).

import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// A difference of accuracies in percentage points, signed.
func points(_ x: Double) -> String { String(format: "%+.1f points", x * 100) }

/// Continues bert-mini with MLM plus NSP, then with MLM plus SOP, for `steps` steps each, and
/// shows the held-out sentence accuracy before and after.
@MainActor func sentenceObjectivesSection(
  _ nb: Notebook, tokenizer: WordPieceTokenizer, documents: [String], bertDirectory: URL,
  outputDirectory: URL,
  steps: Int, seed: UInt64
) throws {
  nb.section("7. Training [CLS]: next-sentence, sentence-order and bag-of-words prediction")
  nb.narrate(
    """
    Masked-language modelling predicts tokens, so nothing in it asks the first position, [CLS], \
    to summarise the text; yet BERT's classification head reads exactly that state. The original \
    BERT also learned next-sentence prediction (NSP): is segment B the text that follows A, or a \
    segment from another document? ALBERT replaced it with sentence-order prediction (SOP): A \
    and B are always consecutive, but half of the pairs are swapped. A random B is usually about \
    something else, so NSP can be solved by topic alone; SOP cannot. Both are a two-way \
    classifier on the pooled [CLS] state, trained together with MLM (`BertForPreTraining`, \
    whose `cls.seq_relationship` head is transformers' name for it).
    """)
  // The last 180 documents: the ones bert-mini's own pre-training held out (its model card).
  let heldOutDocuments = Array(documents.suffix(180))
  let trainingDocuments = Array(documents.prefix(min(3000, documents.count - 180)))
  nb.cell("sentence-objective")
  var rows: [[String]] = []
  var results: [(before: Double, after: Double, count: Int, mlmBefore: Double, mlmAfter: Double)] = []
  var shown = false
  for objective in [SentenceObjective.nsp, .sop] {
    // cell: sentence-objective
    // For NSP, then SOP: pairs from the same documents, bert-mini with a new sentence head.
    let pairs = sentencePairExamples(
      trainingDocuments, tokenizer: tokenizer, objective: objective, length: 64,
      generator: Generator(seed: seed))
    let heldOut = sentencePairExamples(
      heldOutDocuments, tokenizer: tokenizer, objective: objective, length: 64,
      generator: Generator(seed: seed + 1))
    let model = try BertForPreTraining.fromPretrained(bertDirectory, generator: Generator(seed: seed))
    var args = TrainingArguments(
      outputDir: outputDirectory.appendingPathComponent(objective.rawValue).path, perDeviceTrainBatchSize: 32,
      learningRate: 5e-4)
    args.maxSteps = steps
    // A constant rate, no weight decay, no clipping: Lesson 5 builds those (pretrainingArguments).
    (args.lrSchedulerType, args.weightDecay, args.maxGradNorm) = (.constant, 0, 0)
    (args.saveStrategy, args.disableTqdm, args.seed) = (.no, true, seed)
    let trainer = try PreTrainingTrainer(
      model: model, args: args, trainDataset: pairs, evalDataset: heldOut,
      dataCollator: DataCollatorForLanguageModeling(tokenizer: tokenizer))
    let pad = tokenizer.padTokenId ?? 0
    let before = try sentenceAccuracy(model, heldOut, padTokenId: pad)
    let mlmBefore = try trainer.evaluate()["eval_accuracy"] ?? .nan
    let output = try trainer.train()
    let after = try sentenceAccuracy(model, heldOut, padTokenId: pad)
    // end cell: sentence-objective
    if !shown, let example = pairs.first(where: { $0.sentenceLabel == 1 }) {
      shown = true
      let cut = example.inputIds.firstIndex(of: tokenizer.id(of: "[SEP]"))!
      nb.output(
        """
        an NSP pair labelled 1 (B taken from another document); A has token type 0, B type 1:
        A: \(tokenizer.decode(Array(example.inputIds[..<cut])))
        B: \(tokenizer.decode(Array(example.inputIds[cut...])))
        """)
    }
    let trainingAccuracy = try sentenceAccuracy(model, Array(pairs.prefix(heldOut.count)), padTokenId: pad)
    let mlm = try trainer.evaluate()["eval_accuracy"] ?? .nan
    rows.append([
      objective == .nsp ? "NSP (BERT)" : "SOP (ALBERT)", "\(heldOut.count)", percent(before), percent(after),
      percent(trainingAccuracy), "\(percent(mlmBefore)) → \(percent(mlm))",
      String(format: "%.1f s", output.metrics["train_runtime"]!),
    ])
    results.append((before, after, heldOut.count, mlmBefore, mlm))
    nb.record("\(objective.rawValue)_heldout_accuracy_before", before)
    nb.record("\(objective.rawValue)_heldout_accuracy_after", after)
    nb.record("\(objective.rawValue)_training_accuracy_after", trainingAccuracy)
    nb.record("\(objective.rawValue)_heldout_pairs", heldOut.count)
  }
  nb.table(
    headers: [
      "objective", "held-out pairs", "accuracy before", "after \(steps) steps", "on training pairs",
      "masked-token accuracy", "time",
    ], rows: rows, title: "The sentence head of bert-mini + MLM, half of the pairs wrong (chance: 50%)")
  nb.record("sentence_objective_steps", steps)
  let gains = results.map { $0.after - $0.before }
  let standardError = 0.5 / Double(results[0].count).squareRoot()
  func verdict(_ gain: Double) -> String {
    abs(gain) > 2 * standardError
      ? "more than two standard errors" : "within two standard errors, so noise cannot be ruled out"
  }
  nb.narrate(
    """
    The sentence head starts random, so before training it is near chance on the held-out pairs \
    (\(percent(results[0].before)) and \(percent(results[1].before))). After \(steps) steps, on pairs from \
    documents that bert-mini's own pre-training held out, NSP moved by \(points(gains[0])) \
    (\(verdict(gains[0]))) and SOP by \(points(gains[1])) (\(verdict(gains[1]))); with \(results[0].count) \
    pairs, one standard error of an accuracy near 50% is about \
    \(String(format: "%.1f", standardError * 100)) points. \
    The masked-token accuracy on the same pairs went \(percent(results[0].mlmBefore)) → \
    \(percent(results[0].mlmAfter)) with NSP and \(percent(results[1].mlmBefore)) → \
    \(percent(results[1].mlmAfter)) with SOP: the MLM loss is trained at the same time. \
    What longer runs of these did for a classifier reading [CLS] is in bert-mini's model card \
    (datasets/models/bert-mini/README.md, "History", with the commands that measured it): on \
    this corpus, whose sentences are drawn independently of each other, little.
    """)
}

/// Continues bert-mini with MLM plus the bag-of-words objective for `steps` steps, and shows how
/// well the pooled [CLS] state of held-out documents predicts their words, before and after.
@MainActor func bagOfWordsObjective(
  _ nb: Notebook, tokenizer: WordPieceTokenizer, documents: [String], bertDirectory: URL,
  outputDirectory: URL, steps: Int, seed: UInt64
) throws {
  nb.narrate(
    """
    Both heads ask [CLS] one yes/no question per pair. A third objective, the kit's own, asks it \
    to summarise: from the pooled [CLS] state of the masked row, predict which words the whole \
    row holds, its bag of words, through the same tied word embeddings the MLM head uses \
    (`--objective mlm+bow`; `maskedLMAndBagOfWordsLoss` in Sources/Models/BertPreTraining.swift). \
    No pairs are needed, and it shares the MLM forward pass. The loss is a cross-entropy against \
    the bag spread evenly over its distinct words: a uniform guess scores log of the \
    vocabulary, and no state can score below log of the bag's size.
    """)
  let (cls, sep) = (tokenizer.id(of: "[CLS]"), tokenizer.id(of: "[SEP]"))
  let uniform = log(Double(tokenizer.vocabularySize))
  let training = lineByLineSequences(
    Array(documents.prefix(min(3000, documents.count - 180))), tokenizer: tokenizer, length: 64, cls: cls,
    sep: sep)
  let heldOut = lineByLineSequences(
    Array(documents.suffix(180)), tokenizer: tokenizer, length: 64, cls: cls, sep: sep)
  nb.cell("bag-of-words")
  // cell: bag-of-words
  // One row per document, [CLS] … [SEP]; bert-mini with its pooler and (unused) sentence head.
  let model = try BertForPreTraining.fromPretrained(bertDirectory, generator: Generator(seed: seed))
  var args = TrainingArguments(
    outputDir: outputDirectory.appendingPathComponent("mlm+bow").path, perDeviceTrainBatchSize: 32,
    learningRate: 5e-4)
  args.maxSteps = steps
  (args.lrSchedulerType, args.weightDecay, args.maxGradNorm) = (.constant, 0, 0)
  (args.saveStrategy, args.disableTqdm, args.seed) = (.no, true, seed)
  let collator = DataCollatorForLanguageModeling(tokenizer: tokenizer)
  let trainer = try LanguageModelingTrainer(
    maskedLMWithBagOfWords: model, args: args, trainDataset: training, evalDataset: heldOut,
    dataCollator: collator)
  let special = collator.specialTokenIds
  let pad = tokenizer.padTokenId ?? 0
  let before = try heldOutBagOfWordsLoss(model, heldOut, padTokenId: pad, ignoring: special)
  try trainer.train()
  let after = try heldOutBagOfWordsLoss(model, heldOut, padTokenId: pad, ignoring: special)
  // end cell: bag-of-words
  let floor =
    heldOut.map { log(Double(Set($0).subtracting(special).count)) }.reduce(0, +) / Double(heldOut.count)
  // The words the pooled [CLS] state of the first held-out document ranks highest, unmasked.
  model.eval()
  let document = heldOut[0]
  let logits = try noGrad {
    let pooled = try model.bert(inputIds: [document]).poolerOutput!  // (1, hidden)
    return linear(pooled, weight: model.bert.embeddings.wordEmbeddings.weight).data  // (vocabulary)
  }
  let bag = Set(document).subtracting(special)
  let top = logits.indices.filter { !special.contains($0) }.sorted { logits[$0] > logits[$1] }.prefix(10)
  nb.output(
    """
    held-out document: \(tokenizer.decode(Array(document.prefix(24)))) …
    its pooled [CLS] state's ten likeliest words: \(top.map { tokenizer.decode([$0]) }.joined(separator: ", "))
    (\(top.filter(bag.contains).count) of the ten are among the document's \(bag.count) distinct words)
    """)
  nb.table(
    headers: ["", "bag-of-words loss, held-out documents"],
    rows: [
      ["a uniform guess (log \(tokenizer.vocabularySize))", f(uniform)],
      ["bert-mini + MLM + bag of words, before", f(before)], ["after \(steps) steps", f(after)],
      ["the least possible (mean log of the bag's size)", f(floor)],
    ], title: "[CLS] predicting the words of \(heldOut.count) documents bert-mini's pre-training held out")
  nb.record("bow_heldout_loss_before", before)
  nb.record("bow_heldout_loss_after", after)
  nb.record("bow_heldout_loss_floor", floor)
  nb.record("bow_top10_in_document", top.filter(bag.contains).count)
  nb.narrate(
    """
    bert-mini was pre-trained with this objective from its first step (section 6), so before \
    these steps its [CLS] already scores \(f(before)) on held-out documents, far below a uniform \
    guess (\(f(uniform))) and above the floor (\(f(floor))); \(steps) more steps move it to \
    \(f(after)). What the objective does for a classifier that reads [CLS] is a question for \
    fine-tuning, not for this loss: Lesson 5 fine-tunes through [CLS], and bert-mini's model card \
    (datasets/models/bert-mini/README.md) does it at several seeds against the previous \
    bert-mini, pre-trained by masked LM alone, with the commands.
    """)
}
