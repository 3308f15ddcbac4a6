// Domain adaptation of a pre-trained BERT: teach it the words of a new domain.
//
// A general-domain vocabulary splits domain words into several pieces ("portafilter" →
// "port ##af ##il ##ter"), which costs sequence length and spreads the word's meaning over
// pieces that mean other things elsewhere. Two remedies, used together (Gururangan et al.,
// 2020, "Don't stop pretraining"; Hugging Face's `tokenizer.add_tokens` and
// `model.resize_token_embeddings`):
//
//   1. add the domain's frequent words to the vocabulary and grow the embedding table by one row
//      per word, starting each new row at the mean of the word's former pieces' rows (a better
//      start than random: the model already half-knows the word through its pieces);
//   2. continue masked-language-model pre-training on in-domain text (the Trainer with
//      `DataCollatorForLanguageModeling`).
//
// Whether it helped is measured on held-out in-domain text with fixed masking, so the numbers
// before and after are computed on the very same masked batch (`evaluateMaskedLM`).

import Foundation
import Models
import TensorCore
import Tokenizers

/// A word of a corpus and what the tokenizer makes of it.
public struct WordCost: Sendable, Equatable {
  /// The word, as the basic tokenizer gives it (lower-cased for uncased vocabularies).
  public var word: String
  /// How often it occurs in the corpus.
  public var count: Int
  /// Its WordPiece pieces.
  public var pieces: [String]
}

/// The words of `documents` that `tokenizer` splits into at least `minimumPieces` pieces and
/// that occur at least `minimumCount` times, most frequent first (ties in alphabetical order),
/// at most `limit` of them. Words of letters only, so punctuation and numbers are left alone.
/// With `background` text (the general corpus), only words at least `specificity` times more
/// frequent (per word of text) in `documents` than in `background` count: the domain's own
/// words, not common words that a small vocabulary happens to split.
public func frequentSplitWords(
  in documents: [String], tokenizer: WordPieceTokenizer, limit: Int, minimumPieces: Int = 2,
  minimumCount: Int = 5, background: [String] = [], specificity: Double = 10
) -> [WordCost] {
  func wordCounts(_ texts: [String]) -> (counts: [String: Int], total: Int) {
    var counts: [String: Int] = [:]
    var total = 0
    for text in texts {
      for word in tokenizer.basic.tokenize(text) {
        counts[word, default: 0] += 1
        total += 1
      }
    }
    return (counts, total)
  }
  let (counts, total) = wordCounts(documents)
  let (backgroundCounts, backgroundTotal) = wordCounts(background)
  var found: [WordCost] = []
  for (word, count) in counts where count >= minimumCount && word.allSatisfy(\.isLetter) {
    guard tokenizer.vocabulary[word] == nil else { continue }
    if backgroundTotal > 0 {
      // Add-one smoothing: a word absent from the background is not infinitely specific.
      let rate = Double(count) / Double(total)
      let backgroundRate = Double(backgroundCounts[word, default: 0] + 1) / Double(backgroundTotal)
      guard rate >= specificity * backgroundRate else { continue }
    }
    let pieces = tokenizer.wordPieces(word)
    if pieces.count >= minimumPieces && pieces != [tokenizer.unknownToken] {
      found.append(WordCost(word: word, count: count, pieces: pieces))
    }
  }
  found.sort { $0.count != $1.count ? $0.count > $1.count : $0.word < $1.word }
  return Array(found.prefix(limit))
}

/// A word added to a vocabulary: its new id, and the pieces (and their ids) it cost before.
public struct AddedWord: Sendable, Equatable {
  public var word: String
  /// Its id in the grown vocabulary (after all the old ones).
  public var id: Int
  /// Its WordPiece split under the old vocabulary.
  public var formerPieces: [String]
  /// The ids of `formerPieces` (valid in the old and the new vocabulary).
  public var formerIDs: [Int]
}

/// `tokenizer` with `words` appended to its vocabulary (Hugging Face's `add_tokens`): each new
/// word gets the next free id and is then one token. Words already in the vocabulary, repeated
/// words and words the basic tokenizer would split (spaces, punctuation) are skipped.
public func addingWords(_ words: [String], to tokenizer: WordPieceTokenizer) throws -> (
  tokenizer: WordPieceTokenizer, added: [AddedWord]
) {
  var tokens = tokenizer.tokens
  var added: [AddedWord] = []
  var seen = Set(tokenizer.tokens)
  for raw in words {
    let word = tokenizer.basic.lowercase ? raw.lowercased() : raw
    guard !seen.contains(word), tokenizer.basic.tokenize(word) == [word] else { continue }
    seen.insert(word)
    let pieces = tokenizer.wordPieces(word)
    added.append(
      AddedWord(word: word, id: tokens.count, formerPieces: pieces, formerIDs: pieces.map(tokenizer.id(of:))))
    tokens.append(word)
  }
  var grown = try WordPieceTokenizer(
    tokens: tokens, lowercase: tokenizer.basic.lowercase, unknownToken: tokenizer.unknownToken,
    continuationPrefix: tokenizer.continuationPrefix, maxCharactersPerWord: tokenizer.maxCharactersPerWord)
  grown.basic = tokenizer.basic
  return (grown, added)
}

/// A copy of `model` whose vocabulary is larger by `added.count` words (Hugging Face's
/// `resize_token_embeddings`, with a better start): every weight is copied, and the new rows
/// of the word-embedding table, which the MLM decoder shares, and of the decoder's bias are
/// each the mean of the rows of the word's former pieces. `added` must come from
/// `addingWords` on this model's vocabulary (ids counting on from the old vocabulary size).
public func resizingTokenEmbeddings(of model: BertForMaskedLM, adding added: [AddedWord]) throws
  -> BertForMaskedLM
{
  let oldSize = model.bert.config.vocabSize
  for (k, word) in added.enumerated() {
    guard word.id == oldSize + k else {
      throw PretrainingError(
        "\"\(word.word)\" has id \(word.id); new words must count on from the vocabulary size \(oldSize)")
    }
    guard !word.formerIDs.isEmpty, word.formerIDs.allSatisfy({ (0..<oldSize).contains($0) }) else {
      throw PretrainingError(
        "\"\(word.word)\": its former pieces \(word.formerIDs) are not in 0..<\(oldSize)")
    }
  }
  var config = model.bert.config
  config.vocabSize = oldSize + added.count
  let grown = BertForMaskedLM(config, generator: Generator(seed: 0))  // every weight is overwritten
  let old = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor) })
  for (name, parameter) in grown.namedParameters() {
    guard let source = old[name] else { throw PretrainingError("the model has no parameter \(name)") }
    if source.shape == parameter.shape {
      parameter.data = source.data
      continue
    }
    // A table with one row per vocabulary entry: (vocabulary, hidden) embeddings, (vocabulary) bias.
    let rowSize = source.shape.dropFirst().reduce(1, *)
    guard source.shape.first == oldSize, parameter.shape.first == config.vocabSize,
      Array(source.shape.dropFirst()) == Array(parameter.shape.dropFirst())
    else {
      throw PretrainingError("\(name): cannot grow \(source.shape) to \(parameter.shape)")
    }
    var data = source.data
    data.reserveCapacity(config.vocabSize * rowSize)
    for word in added {
      var mean = [Float](repeating: 0, count: rowSize)
      for id in word.formerIDs {
        for j in 0..<rowSize { mean[j] += source.data[id * rowSize + j] }
      }
      data += mean.map { $0 / Float(word.formerIDs.count) }
    }
    parameter.data = data
  }
  if !model.training { grown.eval() }
  return grown
}

/// The masked-language-modelling loss of `model` on `rows`, with masking drawn from a generator
/// seeded with `seed`: the same rows and seed give the same masked batch, so two models (or one
/// model before and after training) are compared on exactly the same predictions. The loss is
/// averaged over all masked tokens; `accuracy` is the share predicted exactly. Runs in
/// evaluation mode (no dropout) and puts the model back in the mode it was in.
public func evaluateMaskedLM(
  _ model: BertForMaskedLM, tokenizer: WordPieceTokenizer, rows: [[Int]], batchSize: Int = 32,
  seed: UInt64 = 1234
) throws -> EvaluationPoint {
  let wasTraining = model.training
  model.eval()
  defer { if wasTraining { model.train() } }
  let special = Set(WordPieceTokenizer.specialTokens.map { tokenizer.id(of: $0) })
  let maskID = tokenizer.id(of: "[MASK]")
  let generator = Generator(seed: seed)
  var (total, correct, count) = (0.0, 0, 0)
  for start in stride(from: 0, to: rows.count, by: batchSize) {
    let batch = maskTokens(
      Array(rows[start..<min(start + batchSize, rows.count)]), maskID: maskID,
      vocabularySize: tokenizer.vocabularySize, special: special, generator: generator)
    guard batch.labels.contains(where: { $0.contains { $0 != -100 } }) else { continue }
    let result = try noGrad { try model.maskedLMLoss(inputIds: batch.inputIds, labels: batch.labels) }
    total += Double(result.loss.item) * Double(result.targets.count)
    correct += zip(result.predictions, result.targets).filter { $0 == $1 }.count
    count += result.targets.count
  }
  guard count > 0 else { throw PretrainingError("no token of the held-out rows was masked") }
  return EvaluationPoint(step: 0, loss: total / Double(count), accuracy: Double(correct) / Double(count))
}
