import ExerciseTesting
import Models
import TensorCore
import Tokenizers
import XCTest

@testable import Training

/// The masking and the causal shift are Lesson 4's exercises 4.1 and 4.3.
func skipUnlessMaskingExercisesDone() throws {
  try skipUnlessExercisesDone {
    _ = maskTokens([[5]], maskID: 2, vocabularySize: 6, special: [], generator: Generator(seed: 0))
    _ = nextTokenLabels([[1, 2]])
  }
}

final class MaskingTests: XCTestCase {
  func testEightyTenTenAndNeverSpecials() throws {
    try skipUnlessMaskingExercisesDone()
    let ids = (0..<200).map { _ in [0] + (0..<98).map { 5 + $0 % 40 } + [1] }  // 0 and 1 are special
    let batch = maskTokens(
      ids, maskID: 2, vocabularySize: 50, special: [0, 1, 2, 3, 4], generator: Generator(seed: 1))
    var (chosen, masked, random, kept, total) = (0, 0, 0, 0, 0)
    for r in ids.indices {
      XCTAssertEqual(batch.labels[r].first, -100, "[CLS] is never a target")
      XCTAssertEqual(batch.inputIds[r].last, 1, "[SEP] is never changed")
      for t in ids[r].indices where ![0, 1].contains(ids[r][t]) {
        total += 1
        guard batch.labels[r][t] != -100 else {
          XCTAssertEqual(batch.inputIds[r][t], ids[r][t], "unchosen tokens are unchanged")
          continue
        }
        XCTAssertEqual(batch.labels[r][t], ids[r][t], "the label is the original token")
        chosen += 1
        if batch.inputIds[r][t] == 2 {
          masked += 1
        } else if batch.inputIds[r][t] == ids[r][t] {
          kept += 1
        } else {
          random += 1
        }
      }
    }
    XCTAssertEqual(Double(chosen) / Double(total), 0.15, accuracy: 0.01)
    XCTAssertEqual(Double(masked) / Double(chosen), 0.8, accuracy: 0.03)
    XCTAssertEqual(Double(random + kept) / Double(chosen), 0.2, accuracy: 0.03)
    XCTAssertGreaterThan(
      random, kept / 2, "random replacements happen (a random token can equal the original)")
  }

  func testNextTokenLabels() throws {
    try skipUnlessMaskingExercisesDone()
    XCTAssertEqual(nextTokenLabels([[5, 6, 7, 0, 0]], padID: 0), [[6, 7, -100, -100, -100]])
    XCTAssertEqual(nextTokenLabels([[1, 2]]), [[2, -100]])
  }

  func testPacking() throws {
    let tokenizer = try WordPieceTokenizer(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b"])
    let rows = packSequences(
      ["a b a b a", "b b"], tokenizer: tokenizer, length: 5, separator: 3, cls: 2, sep: 3)
    XCTAssertEqual(rows, [[2, 5, 6, 5, 3], [2, 6, 5, 3, 3]])
  }

  func testLineByLineKeepsOneDocumentPerRowCutToTheLength() throws {
    let tokenizer = try WordPieceTokenizer(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b"])
    let rows = lineByLineSequences(["a b a b a", "b b"], tokenizer: tokenizer, length: 5, cls: 2, sep: 3)
    XCTAssertEqual(rows, [[2, 5, 6, 5, 3], [2, 6, 6, 3]])
  }
}

final class PretrainingTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessExercisesDone {
      let x = Tensor(zeros: [1, 2, 4])
      _ = splitHeads(x, heads: 2)
      _ = scaledDotProductAttention(query: x, key: x, value: x)
      _ = try? WordPieceTokenizer(tokens: ["[UNK]", "a"]).wordPieces("a")
      _ = labelledPositions([[-100, 1]])
    }
    try skipUnlessMaskingExercisesDone()
  }

  func testMaskedLMLossFallsOnARepetitiveCorpus() throws {
    let corpus = (0..<60).map { i in
      "the crema is \(["thick", "thin", "golden"][i % 3]) and the shot is \(["fast", "slow"][i % 2])"
    }
    let tokenizer = try WordPieceTokenizer.train(corpus: corpus, vocabularySize: 60)
    let sep = tokenizer.id(of: "[SEP]")
    let rows = packSequences(
      corpus, tokenizer: tokenizer, length: 16, separator: sep, cls: tokenizer.id(of: "[CLS]"), sep: sep)
    let config = BertConfig.tiny(vocabSize: tokenizer.vocabularySize, hiddenSize: 32, intermediateSize: 64)
    let model = BertForMaskedLM(config, generator: Generator(seed: 3))
    var args = TrainingArguments(
      outputDir: FileManager.default.temporaryDirectory.appendingPathComponent("mlm-\(UUID().uuidString)")
        .path,
      perDeviceTrainBatchSize: 8, learningRate: 3e-3)
    defer { try? FileManager.default.removeItem(atPath: args.outputDir) }
    (args.maxSteps, args.warmupRatio, args.weightDecay, args.disableTqdm) = (60, 0.05, 0.01, true)
    (args.evalStrategy, args.evalSteps, args.saveStrategy) = (.steps, 60, .no)
    let trainer = try Trainer(
      model: model, args: args, trainDataset: rows, evalDataset: Array(rows.prefix(8)),
      dataCollator: DataCollatorForLanguageModeling(tokenizer: tokenizer))
    let before = try trainer.evaluate()
    try trainer.train()
    XCTAssertEqual(trainer.stepLosses.count, 60)
    XCTAssertEqual(trainer.evaluations.map(\.step), [60])
    XCTAssertLessThan(
      trainer.evaluations.last!.loss, before["eval_loss"]! - 1, "held-out MLM loss falls")
  }
}
