import ExerciseTesting
import Models
import TensorCore
import Tokenizers
import XCTest

@testable import Training

final class DomainAdaptationTests: XCTestCase {
  override func setUpWithError() throws {
    // Growing and training a BERT runs the exercises of Lessons 2 (WordPiece), 3 (attention)
    // and 4 (masking, the MLM loss).
    try skipUnlessExercisesDone {
      let x = Tensor(zeros: [1, 2, 4])
      _ = splitHeads(x, heads: 2)
      _ = scaledDotProductAttention(query: x, key: x, value: x)
      _ = try? WordPieceTokenizer(tokens: ["[UNK]", "a"]).wordPieces("a")
      _ = labelledPositions([[-100, 1]])
      _ = maskTokens([[5]], maskID: 2, vocabularySize: 6, special: [], generator: Generator(seed: 0))
    }
  }

  let tokens = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "is", "thick", "port", "##a", "##filter", "cre",
    "##ma", "shot", "fast", "slow", "and", "a", "p", "##o", "##r", "##t", ",",
  ]

  func tinyModel(vocabularySize: Int, seed: UInt64 = 3) -> BertForMaskedLM {
    let model = BertForMaskedLM(.tiny(vocabSize: vocabularySize), generator: Generator(seed: seed))
    // A non-zero bias, so that the bias rows are checked too.
    for i in 0..<model.cls.predictions.bias.count { model.cls.predictions.bias.data[i] = Float(i) * 0.01 }
    return model
  }

  func testADomainWordBecomesOnePiece() throws {
    let tokenizer = try WordPieceTokenizer(tokens: tokens)
    XCTAssertEqual(tokenizer.tokenize("the portafilter"), ["the", "port", "##a", "##filter"])
    let (grown, added) = try addingWords(
      ["Portafilter", "crema", "the", "crema", "steam wand"], to: tokenizer)
    XCTAssertEqual(
      added.map(\.word), ["portafilter", "crema"], "known, repeated and multi-word entries skipped")
    XCTAssertEqual(added.map(\.id), [tokens.count, tokens.count + 1])
    XCTAssertEqual(added[0].formerPieces, ["port", "##a", "##filter"])
    XCTAssertEqual(added[1].formerIDs, [11, 12])
    XCTAssertEqual(grown.vocabularySize, tokens.count + 2)
    XCTAssertEqual(grown.tokenize("the portafilter, the crema"), ["the", "portafilter", ",", "the", "crema"])
    XCTAssertEqual(grown.encode("port"), [8], "old ids are unchanged")
  }

  func testNewRowsEqualTheMeanOfTheFormerPieces() throws {
    let tokenizer = try WordPieceTokenizer(tokens: tokens)
    let model = tinyModel(vocabularySize: tokens.count)
    let (grownTokenizer, added) = try addingWords(["portafilter", "crema"], to: tokenizer)
    let grown = try resizingTokenEmbeddings(of: model, adding: added)
    XCTAssertEqual(grown.bert.config.vocabSize, tokens.count + 2)
    let h = 16
    let oldTable = model.bert.embeddings.wordEmbeddings.weight
    let table = grown.bert.embeddings.wordEmbeddings.weight
    XCTAssertEqual(table.shape, [tokens.count + 2, h])
    XCTAssertEqual(Array(table.data.prefix(tokens.count * h)), oldTable.data, "old rows are copied")
    for word in added {
      for j in 0..<h {
        let mean = word.formerIDs.map { oldTable.data[$0 * h + j] }.reduce(0, +) / Float(word.formerIDs.count)
        XCTAssertEqual(table.data[word.id * h + j], mean, accuracy: 1e-6, "\(word.word), feature \(j)")
      }
      let bias = word.formerIDs.map { model.cls.predictions.bias.data[$0] }.reduce(0, +)
      XCTAssertEqual(
        grown.cls.predictions.bias.data[word.id], bias / Float(word.formerIDs.count), accuracy: 1e-6)
    }
    // Every other weight is the same, and the decoder is tied to the grown table.
    let old = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor) })
    for (name, t) in grown.namedParameters() where t.shape == old[name]?.shape {
      XCTAssertEqual(t.data, old[name]?.data, name)
    }
    model.eval()
    grown.eval()
    let ids = tokenizer.encode("the portafilter is thick")
    let before = try model(inputIds: [ids])  // (1, seq, vocabulary)
    let after = try grown(inputIds: [ids])  // (1, seq, vocabulary + 2)
    XCTAssertEqual(after.shape, [1, ids.count, tokens.count + 2])
    for t in ids.indices {
      let v = tokens.count
      let difference = zip(
        after.data[(t * (v + 2))..<(t * (v + 2) + v)], before.data[(t * v)..<((t + 1) * v)]
      )
      .map { abs($0 - $1) }.max()!
      XCTAssertLessThan(difference, 1e-5, "old words score as before")
    }
    XCTAssertEqual(grownTokenizer.encode("the portafilter is thick").count, 4)
    XCTAssertThrowsError(try resizingTokenEmbeddings(of: grown, adding: added), "ids must count on")
  }

  func testFrequentSplitWordsRanksByCount() throws {
    let tokenizer = try WordPieceTokenizer(tokens: tokens)
    let corpus = Array(repeating: "the portafilter and the crema, the crema", count: 5) + ["port porta"]
    let words = frequentSplitWords(in: corpus, tokenizer: tokenizer, limit: 5, minimumCount: 2)
    XCTAssertEqual(words.map(\.word), ["crema", "portafilter"])
    XCTAssertEqual(words.map(\.count), [10, 5])
    XCTAssertEqual(words[1].pieces, ["port", "##a", "##filter"])
    // Against a background where "crema" is common, only "portafilter" is the domain's own.
    let background = Array(repeating: "the crema and the crema, the crema is thick", count: 20)
    let specific = frequentSplitWords(
      in: corpus, tokenizer: tokenizer, limit: 5, minimumCount: 2, background: background)
    XCTAssertEqual(specific.map(\.word), ["portafilter"])
  }

  func testLossBeforeAndAfterIsMeasuredOnTheSameMaskedBatch() throws {
    let corpus = (0..<40).map { i in
      "the crema is \(["thick", "fast", "slow"][i % 3]) and the shot is \(["fast", "slow"][i % 2])"
    }
    let tokenizer = try WordPieceTokenizer(tokens: tokens)
    let sep = tokenizer.id(of: "[SEP]")
    let rows = packSequences(
      corpus, tokenizer: tokenizer, length: 12, separator: sep, cls: tokenizer.id(of: "[CLS]"), sep: sep)
    let heldOut = Array(rows.suffix(6))
    let model = tinyModel(vocabularySize: tokens.count)
    // The same rows and seed mask the same tokens: the number does not move between calls.
    let before = try evaluateMaskedLM(model, tokenizer: tokenizer, rows: heldOut, batchSize: 4)
    XCTAssertEqual(
      try evaluateMaskedLM(model, tokenizer: tokenizer, rows: heldOut, batchSize: 4).loss, before.loss)
    XCTAssertTrue(model.training, "the model is back in training mode")
    // It is the masked batch the Trainer evaluates on, so it matches the run's own curve.
    var args = TrainingArguments(
      outputDir: FileManager.default.temporaryDirectory.appendingPathComponent("adapt-\(UUID().uuidString)")
        .path,
      perDeviceTrainBatchSize: 4, learningRate: 3e-3)
    defer { try? FileManager.default.removeItem(atPath: args.outputDir) }
    (args.maxSteps, args.perDeviceEvalBatchSize, args.disableTqdm) = (30, 4, true)
    (args.evalStrategy, args.evalSteps, args.saveStrategy) = (.steps, 30, .no)
    let trainer = try Trainer(
      model: model, args: args, trainDataset: Array(rows.dropLast(6)), evalDataset: heldOut,
      dataCollator: DataCollatorForLanguageModeling(tokenizer: tokenizer))
    XCTAssertEqual(try trainer.evaluate()["eval_loss"]!, before.loss, accuracy: 1e-9)
    try trainer.train()
    let after = try evaluateMaskedLM(model, tokenizer: tokenizer, rows: heldOut, batchSize: 4)
    XCTAssertEqual(trainer.evaluations.last!.loss, after.loss, accuracy: 1e-9)
    XCTAssertLessThan(after.loss, before.loss, "continued pre-training lowers the held-out loss")
  }
}
