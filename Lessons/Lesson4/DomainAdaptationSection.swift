// Lesson 4, section 5: domain adaptation. The checkpoint's vocabulary grows by the in-domain
// text's own words (new rows at the mean of their former pieces), then masked-LM pre-training
// continues on that text; the held-out in-domain and general-text losses say what it gained and
// what it may lose.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

@MainActor func domainAdaptationSection() throws {
  nb.section("5. Domain adaptation: new words, continued pre-training")
  let inDomain = lines("datasets/corpus/in_domain.txt")
  let domainHeldOutCount = max(1, inDomain.count / 10)
  // A quick run reads a sixth of the in-domain text: enough for 6 steps and the word counts.
  let domainTraining = Array(inDomain.dropLast(domainHeldOutCount).prefix(quick ? 360 : inDomain.count))
  let domainHeldOut = Array(inDomain.suffix(domainHeldOutCount))
  // cell: new-words
  let newWords = frequentSplitWords(
    in: domainTraining, tokenizer: tokenizer, limit: quick ? 8 : options.int("new-words"), minimumCount: 20,
    background: Array(general.prefix(quick ? 1000 : 3000)))
  let (domainTokenizer, added) = try addingWords(newWords.map(\.word), to: tokenizer)
  // end cell: new-words
  nb.narrate(
    """
    The checkpoint's vocabulary was learned on general text; the espresso-machine reviews of \
    datasets/corpus/in_domain.txt are full of words it never saw whole. The most frequent words \
    of the in-domain text that the vocabulary splits and that are at least 10 times rarer in \
    general text (the domain's own words), and what they cost:
    """)
  nb.cell("new-words")
  nb.table(
    headers: ["word", "count", "pieces before", "after"],
    rows: newWords.prefix(12).map { w in
      [
        w.word, "\(w.count)", w.pieces.joined(separator: " "),
        domainTokenizer.tokenize(w.word).joined(separator: " "),
      ]
    }, title: newWords.count > 12 ? "the first 12 of \(newWords.count)" : nil)
  let tokensBefore = domainHeldOut.reduce(0) { $0 + tokenizer.encode($1).count }
  let tokensAfter = domainHeldOut.reduce(0) { $0 + domainTokenizer.encode($1).count }
  nb.output(
    "held-out in-domain text: \(tokensBefore) tokens before, \(tokensAfter) after ("
      + percent(1 - Double(tokensAfter) / Double(tokensBefore)) + " shorter)")
  nb.narrate(
    """
    Each new word gets a row in the embedding table (shared with the MLM decoder, which gets a \
    bias too). A random row would be a word the model knows nothing about; starting it at the \
    mean of its former pieces' rows keeps part of what the pieces meant.
    """)
  nb.cell("resize")
  // cell: resize
  // One new row per added word, each the mean of its former pieces' rows.
  let adapted = try resizingTokenEmbeddings(of: bert, adding: added)
  // end cell: resize
  // The same growth with random rows, for comparison.
  let randomStart = try resizingTokenEmbeddings(of: bert, adding: added)
  for name in ["bert.embeddings.word_embeddings.weight", "cls.predictions.bias"] {
    guard let t = randomStart.namedParameters().first(where: { $0.name == name })?.tensor else { continue }
    let rowSize = t.count / t.shape[0]
    for i in (tokenizer.vocabularySize * rowSize)..<t.count {
      t.data[i] = rowSize == 1 ? 0 : generator.normal(std: bertConfig.initializerRange)
    }
  }
  let adaptLength = 64
  let (dcls, dsep) = (domainTokenizer.id(of: "[CLS]"), domainTokenizer.id(of: "[SEP]"))
  let domainRows = packSequences(
    domainTraining, tokenizer: domainTokenizer, length: adaptLength, separator: dsep, cls: dcls, sep: dsep)
  let domainHeldOutRows = Array(
    packSequences(
      domainHeldOut, tokenizer: domainTokenizer, length: adaptLength, separator: dsep, cls: dcls, sep: dsep
    )
    .prefix(quick ? 16 : 64))
  let generalHeldOutRows = Array(
    packSequences(
      heldOutDocuments, tokenizer: domainTokenizer, length: adaptLength, separator: dsep, cls: dcls, sep: dsep
    ).prefix(quick ? 16 : 48))
  let adaptArgs = pretrainingArguments(
    outputDirectory.appendingPathComponent("continued-mlm"), seed: options.seed,
    steps: quick ? 6 : options.int("adapt-steps"), learningRate: options.double("adapt-lr"),
    evaluations: 4)
  let evaluationBatch = adaptArgs.perDeviceEvalBatchSize  // as pre-training evaluates: the same masked batch
  func heldOutLoss(_ model: BertForMaskedLM, _ rows: [[Int]]) throws -> EvaluationPoint {
    try evaluateMaskedLM(model, tokenizer: domainTokenizer, rows: rows, batchSize: evaluationBatch)
  }
  let originalRows = Array(
    packSequences(
      domainHeldOut, tokenizer: tokenizer, length: adaptLength, separator: sep, cls: cls, sep: sep
    )
    .prefix(domainHeldOutRows.count))
  let original = try evaluateMaskedLM(
    bert, tokenizer: tokenizer, rows: originalRows, batchSize: evaluationBatch)
  let randomBefore = try heldOutLoss(randomStart, domainHeldOutRows)
  let domainBefore = try heldOutLoss(adapted, domainHeldOutRows)
  let generalBefore = try heldOutLoss(adapted, generalHeldOutRows)
  let adaptReport = try pretrainMaskedLM(
    adapted, tokenizer: domainTokenizer, training: domainRows, heldOut: domainHeldOutRows, args: adaptArgs,
    bar: nb.progress("continued pre-training", total: adaptArgs.maxSteps))
  let domainAfter = try heldOutLoss(adapted, domainHeldOutRows)
  let generalAfter = try heldOutLoss(adapted, generalHeldOutRows)
  nb.narrate(
    """
    Continued pre-training: the same MLM loop, \(adaptArgs.maxSteps) steps of \(adaptArgs.perDeviceTrainBatchSize) in-domain \
    rows of \(adaptLength) tokens, learning rate \(adaptArgs.learningRate). Every loss below is measured \
    on the same masked batch (evaluateMaskedLM: same rows, same masking seed), \
    \(domainHeldOutRows.count) rows of held-out in-domain text and \(generalHeldOutRows.count) of general text.
    """)
  nb.table(
    headers: ["model", "in-domain loss", "in-domain accuracy", "general loss"],
    rows: [
      ["bert-mini, its own vocabulary*", f(original.loss), percent(original.accuracy), ""],
      ["grown, new rows random", f(randomBefore.loss), percent(randomBefore.accuracy), ""],
      [
        "grown, new rows = mean of pieces", f(domainBefore.loss), percent(domainBefore.accuracy),
        f(generalBefore.loss),
      ],
      [
        "+ \(adaptArgs.maxSteps) steps on in-domain text", f(domainAfter.loss), percent(domainAfter.accuracy),
        f(generalAfter.loss),
      ],
    ],
    title: String(format: "held-out masked-LM loss (%.1f s of continued pre-training)", adaptReport.seconds))
  nb.output("* the same text cut into the old pieces, so other targets: a reference, not the same test")
  let meanStartIsBetter = domainBefore.loss < randomBefore.loss
  let startVerdict =
    meanStartIsBetter
    ? "the mean of the pieces is the better start."
    : "here the random start is better on the loss. A mean row scores high wherever its pieces did, "
      + "so the new word takes probability from them until training sorts it out; a random row is "
      + "simply never predicted."
  nb.narrate(
    """
    Before any training, new rows at the mean of their pieces give \(f(domainBefore.loss)), random \
    rows \(f(randomBefore.loss)): \(startVerdict)
    """)
  nb.narrate(
    """
    Continued pre-training moved the held-out in-domain loss from \(f(domainBefore.loss)) to \
    \(f(domainAfter.loss)); the general-text loss went from \(f(generalBefore.loss)) to \
    \(f(generalAfter.loss)) meanwhile: what a model gains on its new domain it may lose on the old \
    one (Lesson 6 measures that forgetting properly).
    """)
  nb.record("domain_words", .array(newWords.map { .string($0.word) }))
  nb.record("domain_pieces_before", .array(newWords.map { .number(Double($0.pieces.count)) }))
  nb.record(
    "domain_pieces_after", .array(newWords.map { .number(Double(domainTokenizer.tokenize($0.word).count)) }))
  nb.record("domain_heldout_tokens_before", tokensBefore)
  nb.record("domain_heldout_tokens_after", tokensAfter)
  nb.record("domain_loss_random_rows", randomBefore.loss)
  nb.record("domain_loss_original_vocabulary", original.loss)
  nb.record("domain_loss_before", domainBefore.loss)
  nb.record("domain_loss_after", domainAfter.loss)
  nb.record("domain_accuracy_before", domainBefore.accuracy)
  nb.record("domain_accuracy_after", domainAfter.accuracy)
  nb.record("general_loss_before_adaptation", generalBefore.loss)
  nb.record("general_loss_after_adaptation", generalAfter.loss)
  nb.record("adapt_steps", adaptArgs.maxSteps)
}
