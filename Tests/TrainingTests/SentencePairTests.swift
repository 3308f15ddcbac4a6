import Foundation
import Models
import TensorCore
import Tokenizers
import XCTest

@testable import Training

/// Sentence pairs end to end: encoded with token type ids, collated, passed to BERT by the
/// classification loss hook, and learned.
final class SentencePairTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    try skipUnlessFineTuningExercisesDone()
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("pairs-\(UUID())")
  }

  override func tearDown() {
    if let directory { try? FileManager.default.removeItem(at: directory) }
  }

  func testTheCollatorPadsTokenTypeIdsWithZero() {
    let collator = DataCollatorWithPadding(tokenizer: TinyTask.tokenizer, maxLength: 16)
    let pair = collator.encode("good", pair: "the film was bad")
    XCTAssertEqual(pair.tokens, ["[CLS]", "good", "[SEP]", "the", "film", "was", "bad", "[SEP]"])
    XCTAssertEqual(collator.encode("good", pair: nil), collator.encode("good"))
    let batch = collator([pair, collator.encode("bad")])
    XCTAssertEqual(batch.tokenTypeIds, [[0, 0, 0, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0]])
    XCTAssertEqual(batch.attentionMask[1], [1, 1, 1, 0, 0, 0, 0, 0])
    XCTAssertEqual(collator.pad([pair]).inputIds, batch.inputIds.prefix(1).map { $0 })
  }

  /// The Trainer's batches carry the segments, and its loss hook hands them to BERT: the
  /// same ids with the segments swapped give other logits. GPT-2 has no segment embeddings
  /// (its transformers tokenizer returns no token_type_ids), so its logits do not change.
  func testTokenTypeIdsReachBERTThroughTheTrainer() throws {
    let model = TinyTask.model(dropout: 0)
    let dataset = TextClassificationDataset(
      texts: ["good", "the film was bad"], textPairs: ["the film was bad", "good"], labels: [0, 1],
      labelNames: ["different", "same"])
    let trainer = try Trainer(
      model: model, args: TinyTask.arguments(directory), trainDataset: dataset, tokenizer: TinyTask.tokenizer)
    model.eval()
    let batch = try trainer.dataCollator(try XCTUnwrap(trainer.trainDataset))
    XCTAssertEqual(batch.tokenTypeIds?[0], [0, 0, 0, 1, 1, 1, 1, 1])
    XCTAssertEqual(batch.tokenTypeIds?[1], [0, 0, 0, 0, 0, 0, 1, 1], "the second text is 'good [SEP]'")
    let logits = try noGrad { try trainer.computeLoss(model, batch).logits! }
    let direct = try noGrad {
      try model(
        inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds)
    }
    XCTAssertEqual(logits.data, direct.data)
    var swapped = batch
    swapped.tokenTypeIds = zip(batch.tokenTypeIds!, batch.attentionMask).map { types, mask in
      zip(types, mask).map { $1 == 1 ? 1 - $0 : 0 }
    }
    let other = try noGrad { try trainer.computeLoss(model, swapped).logits! }
    let change = zip(logits.data, other.data).map { abs($0 - $1) }.max()!
    XCTAssertGreaterThan(change, 1e-5, "swapping the segments changes BERT's logits")
    var single = batch
    single.tokenTypeIds = nil
    let unsegmented = try noGrad { try trainer.computeLoss(model, single).logits! }
    XCTAssertNotEqual(unsegmented.data, logits.data)

    let gpt2 = GPT2ForSequenceClassification(
      .tiny(vocabSize: TinyTask.tokenizer.vocabularySize), generator: Generator(seed: 1))
    gpt2.eval()
    let hook = Trainer<ClassificationExample, ClassificationBatch>.classificationLossHook(gpt2)
    XCTAssertEqual(
      try noGrad { try hook(gpt2, batch).logits!.data }, try noGrad { try hook(gpt2, swapped).logits!.data })
  }

  /// The label is the polarity of the second text; the first holds a polarity word drawn at
  /// random, so it says nothing about the label and a single-text classifier (which reads only
  /// the first text, as before pairs) stays at chance. A pair classifier must tell which segment
  /// a word is in, and learns it.
  func testAPairClassifierLearnsWhatTheFirstTextAloneCannotTell() throws {
    func task(count: Int, seed: UInt64) -> TextClassificationDataset {
      let g = Generator(seed: seed)
      let words = [["bad", "awful", "poor"], ["good", "great", "fine"]]
      var (texts, pairs, labels) = ([String](), [String](), [Int]())
      for _ in 0..<count {
        let (distractor, label) = (g.int(below: 2), g.int(below: 2))
        texts.append("the film was \(words[distractor][g.int(below: 3)])")
        pairs.append("\(g.int(below: 2) == 1 ? "very " : "")\(words[label][g.int(below: 3)])")
        labels.append(label)
      }
      return TextClassificationDataset(
        texts: texts, textPairs: pairs, labels: labels, labelNames: ["negative", "positive"])
    }
    let train = task(count: 256, seed: 11)
    let test = task(count: 200, seed: 12)
    func accuracy(pairs: Bool) throws -> Double {
      manualSeed(5)
      var args = TinyTask.arguments(directory)
      args.numTrainEpochs = 8
      var (trainSet, testSet) = (train, test)
      if !pairs { (trainSet.textPairs, testSet.textPairs) = (nil, nil) }
      let trainer = try Trainer(
        model: TinyTask.model(dropout: 0), args: args, trainDataset: trainSet, tokenizer: TinyTask.tokenizer,
        computeMetrics: classificationMetrics)
      try trainer.train()
      return try XCTUnwrap(trainer.predict(testSet).metrics["test_accuracy"])
    }
    let single = try accuracy(pairs: false)
    let pair = try accuracy(pairs: true)
    XCTAssertLessThan(single, 0.65, "the first text alone does not tell the label")
    XCTAssertGreaterThan(pair, 0.9, "single text \(single), pair \(pair)")
  }
}
