// Sentence-level pre-training objectives, the ones that train BERT's [CLS] state: examples are
// two segments of text, `[CLS] A [SEP] B [SEP]`, with token types 0 for A and 1 for B, and a
// label the pooled [CLS] state must predict.
// - Next-sentence prediction (NSP, BERT): B follows A in the document (label 0), or B is taken
//   from another document (label 1).
// - Sentence-order prediction (SOP, ALBERT): A and B are consecutive segments of one document, in
//   their order (label 0) or swapped (label 1). ALBERT found NSP too easy: a random B is
//   usually off-topic, so NSP can be solved by topic alone; SOP cannot.
// Masked-language modelling runs on the same rows at the same time (`BertForPreTraining`).

import Foundation
import Models
import TensorCore
import Tokenizers

/// Which sentence-level objective trains [CLS].
public enum SentenceObjective: String, Sendable, CaseIterable {
  /// Next-sentence prediction (BERT).
  case nsp
  /// Sentence-order prediction (ALBERT).
  case sop
}

/// One pre-training row: `[CLS] A [SEP] B [SEP]`, its token types, and the sentence label.
public struct SentencePairExample: Sendable, Equatable {
  public var inputIds: [Int]
  /// 0 for `[CLS] A [SEP]`, 1 for `B [SEP]`.
  public var tokenTypeIds: [Int]
  /// 0: B continues A in order; 1: it does not (random B for NSP, swapped for SOP).
  public var sentenceLabel: Int
  /// The MLM targets chosen ahead of time (fixed masking for evaluation); nil: the collator masks.
  public var labels: [Int]?
}

/// A document's sentences: cut after `.`, `!` or `?` followed by a space.
func sentences(_ document: String) -> [String] {
  var result: [String] = []
  var current = ""
  var previous: Character = " "
  for c in document {
    if c == " ", ".!?".contains(previous), !current.isEmpty {
      result.append(current)
      current = ""
    } else {
      current.append(c)
    }
    previous = c
  }
  if !current.trimmingCharacters(in: .whitespaces).isEmpty { result.append(current) }
  return result
}

/// NSP or SOP examples from `documents` (one per document of at least two sentences): A is the
/// sentences before a random cut, B those after it; with probability ½ the pair is made wrong
/// (B from a random other document for NSP, A and B swapped for SOP). Rows hold at most `length`
/// tokens: A loses tokens from its start and B from its end, so the boundary between them stays.
public func sentencePairExamples(
  _ documents: [String], tokenizer: WordPieceTokenizer, objective: SentenceObjective, length: Int,
  generator: Generator
) -> [SentencePairExample] {
  let (cls, sep) = (tokenizer.id(of: "[CLS]"), tokenizer.id(of: "[SEP]"))
  let split = documents.map(sentences)
  var examples: [SentencePairExample] = []
  for (index, parts) in split.enumerated() where parts.count >= 2 {
    let cut = 1 + generator.int(below: parts.count - 1)
    var a = tokenizer.encode(parts[..<cut].joined(separator: " "))
    var b = tokenizer.encode(parts[cut...].joined(separator: " "))
    var label = generator.uniform() < 0.5 ? 1 : 0
    if label == 1 {
      switch objective {
      case .sop: swap(&a, &b)
      case .nsp:
        var other = generator.int(below: split.count)
        if other == index { other = (other + 1) % split.count }
        if other == index { label = 0 } else { b = tokenizer.encode(split[other].joined(separator: " ")) }
      }
    }
    let budget = length - 3
    while a.count + b.count > budget {
      if a.count >= b.count { a.removeFirst() } else { b.removeLast() }
    }
    guard !a.isEmpty, !b.isEmpty else { continue }
    examples.append(
      SentencePairExample(
        inputIds: [cls] + a + [sep] + b + [sep],
        tokenTypeIds: [Int](repeating: 0, count: a.count + 2) + [Int](repeating: 1, count: b.count + 1),
        sentenceLabel: label))
  }
  return examples
}

/// A padded batch for `BertForPreTraining`.
public struct PreTrainingBatch: Sendable {
  public var inputIds: [[Int]]
  public var tokenTypeIds: [[Int]]
  public var attentionMask: [[Int]]
  /// MLM targets, -100 where nothing is predicted.
  public var labels: [[Int]]
  public var sentenceLabels: [Int]
}

extension DataCollatorForLanguageModeling {
  /// Masks `examples` that carry no labels yet (80/10/10, from `Generator.default`) and pads
  /// the batch with [PAD], token type 0 and attention 0.
  public func preTrainingBatch(_ examples: [SentencePairExample]) throws -> PreTrainingBatch {
    guard let padTokenId else {
      throw PretrainingError("pre-training pairs need a [PAD] token to pad batches")
    }
    let open = examples.indices.filter { examples[$0].labels == nil }
    let chosen = mask(open.map { examples[$0].inputIds }, generator: .default)
    var (ids, labels) = (examples.map(\.inputIds), examples.map { $0.labels ?? [] })
    for (k, i) in open.enumerated() { (ids[i], labels[i]) = (chosen.inputIds[k], chosen.labels[k]) }
    let longest = ids.map(\.count).max() ?? 0
    func pad(_ row: [Int], _ value: Int) -> [Int] {
      row + [Int](repeating: value, count: longest - row.count)
    }
    return PreTrainingBatch(
      inputIds: ids.map { pad($0, padTokenId) }, tokenTypeIds: examples.map { pad($0.tokenTypeIds, 0) },
      attentionMask: ids.map { pad([Int](repeating: 1, count: $0.count), 0) },
      labels: labels.map { pad($0, -100) }, sentenceLabels: examples.map(\.sentenceLabel))
  }

  /// `examples` with their MLM targets chosen now from `generator` (fixed masking, for
  /// evaluations that score the same predictions every time).
  public func masking(_ examples: [SentencePairExample], generator: Generator) -> [SentencePairExample] {
    let batch = mask(examples.map(\.inputIds), generator: generator)
    return examples.indices.map { i in
      var example = examples[i]
      (example.inputIds, example.labels) = (batch.inputIds[i], batch.labels[i])
      return example
    }
  }
}

extension BertForPreTraining: TrainerModel {}

/// The Trainer that pre-trains `BertForPreTraining` on sentence pairs.
public typealias PreTrainingTrainer = Trainer<SentencePairExample, PreTrainingBatch>

extension Trainer where Example == SentencePairExample, Batch == PreTrainingBatch {
  /// MLM plus NSP or SOP (transformers' `BertForPreTraining` loss: the sum of the two
  /// cross-entropies). Training rows are masked afresh in every batch; evaluation rows once,
  /// from `evalMaskingSeed`. `eval_accuracy` is the masked-token accuracy; `sentenceAccuracy`
  /// measures the sentence head.
  public convenience init(
    model: BertForPreTraining, args: TrainingArguments, trainDataset: [SentencePairExample]? = nil,
    evalDataset: [SentencePairExample]? = nil, dataCollator: DataCollatorForLanguageModeling,
    evalMaskingSeed: UInt64 = 1234, callbacks: [TrainerCallback] = []
  ) throws {
    guard dataCollator.mlm else {
      throw TrainerError(
        "BertForPreTraining learns masked language modelling too: the collator needs mlm: true")
    }
    try self.init(
      model: model, args: args, trainDataset: trainDataset,
      evalDataset: evalDataset.map { dataCollator.masking($0, generator: Generator(seed: evalMaskingSeed)) },
      dataCollator: { try dataCollator.preTrainingBatch($0) },
      computeLoss: { _, batch in
        guard batch.labels.contains(where: { $0.contains { $0 != -100 } }) else {
          return LossOutput(loss: Tensor(0), count: 0)
        }
        let result = try model.preTrainingLoss(
          inputIds: batch.inputIds, tokenTypeIds: batch.tokenTypeIds, attentionMask: batch.attentionMask,
          labels: batch.labels, sentenceLabels: batch.sentenceLabels)
        return LossOutput(
          loss: result.maskedLM + result.sentence, count: result.targets.count, labels: result.targets,
          predictions: result.predictions)
      },
      computeMetrics: languageModelingMetrics, callbacks: callbacks)
    exampleLength = { $0.inputIds.count }
    tokenCount = { batch in batch.attentionMask.joined().reduce(0, +) }
  }
}

/// The share of `examples` whose sentence label the model's sentence head predicts (evaluation
/// mode, no masking: the head sees the text as it is).
public func sentenceAccuracy(
  _ model: BertForPreTraining, _ examples: [SentencePairExample], padTokenId: Int, batchSize: Int = 64
) throws -> Double {
  guard !examples.isEmpty else { return .nan }
  let wasTraining = model.training
  model.eval()
  defer { if wasTraining { model.train() } }
  var correct = 0
  for start in stride(from: 0, to: examples.count, by: batchSize) {
    let batch = examples[start..<min(start + batchSize, examples.count)]
    let longest = batch.map(\.inputIds.count).max()!
    func pad(_ row: [Int], _ value: Int) -> [Int] {
      row + [Int](repeating: value, count: longest - row.count)
    }
    let logits = try noGrad {  // (batch, 2); the MLM decoder is not needed here
      let pooled = try model.bert(
        inputIds: batch.map { pad($0.inputIds, padTokenId) },
        attentionMask: batch.map { pad([Int](repeating: 1, count: $0.inputIds.count), 0) },
        tokenTypeIds: batch.map { pad($0.tokenTypeIds, 0) }
      ).poolerOutput!
      return model.cls.seqRelationship(pooled)
    }
    correct += zip(logits.argmax(axis: -1), batch).filter { $0 == $1.sentenceLabel }.count
  }
  return Double(correct) / Double(examples.count)
}
