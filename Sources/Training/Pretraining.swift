// Pre-training the kit's models as configurations of the Trainer: masked language modelling
// for the BERT- and RoBERTa-style models, causal language modelling for the GPT-style one, on rows of packed
// token ids (transformers' run_mlm.py and run_clm.py: `group_texts`, then
// `DataCollatorForLanguageModeling` and `Trainer`). They share the Trainer's clipping,
// accumulation, schedules, checkpoints and resuming, and report the held-out loss, its
// perplexity and the token accuracy.

import Foundation
import Models
import TensorCore
import Tokenizers

/// One evaluation on held-out text.
public struct EvaluationPoint: Sendable {
  /// A point from its step, loss and accuracy.
  public init(step: Int, loss: Double, accuracy: Double) {
    self.step = step
    self.loss = loss
    self.accuracy = accuracy
  }

  public var step: Int
  public var loss: Double
  /// e^loss: how many tokens the model is as unsure as a uniform choice among.
  public var perplexity: Double { exp(loss) }
  /// Share of masked (or next) tokens predicted exactly.
  public var accuracy: Double
}

/// Token ids of `documents`, one row per document (run_mlm.py's `--line_by_line`): `cls`,
/// the document's first `length - 2` tokens, `sep`. Rows keep their own lengths (the collator
/// pads them), so every row starts at a document's first token, as a fine-tuning input does.
public func lineByLineSequences(
  _ documents: [String], tokenizer: Tokenizer, length: Int, cls: Int, sep: Int
) -> [[Int]] {
  documents.map { [cls] + tokenizer.encode($0).prefix(length - 2) + [sep] }
}

/// Token ids of `documents`, packed into rows of `length`: `[CLS] … [SEP]` for BERT (with
/// `cls`/`sep`), plain windows for GPT. Documents are joined with `separator`.
public func packSequences(
  _ documents: [String], tokenizer: Tokenizer, length: Int, separator: Int, cls: Int? = nil, sep: Int? = nil
) -> [[Int]] {
  var stream: [Int] = []
  for document in documents { stream += tokenizer.encode(document) + [separator] }
  let body = length - (cls == nil ? 0 : 1) - (sep == nil ? 0 : 1)
  return stride(from: 0, to: stream.count - body, by: body).map { start in
    (cls.map { [$0] } ?? []) + stream[start..<(start + body)] + (sep.map { [$0] } ?? [])
  }
}

/// One row of token ids for language modelling. `labels` is nil until the collator chooses the
/// targets; rows masked ahead of time (fixed masking for evaluation) carry theirs.
public struct LanguageModelingExample: Sendable, Equatable {
  public var inputIds: [Int]
  /// The targets per position, -100 where nothing is predicted; nil: the collator decides.
  public var labels: [Int]?

  public init(inputIds: [Int], labels: [Int]? = nil) {
    self.inputIds = inputIds
    self.labels = labels
  }
}

/// A batch for a language model: what it reads and what it must predict.
public struct LanguageModelingBatch: Sendable {
  /// (batch, seq) ids, some replaced by the masking for MLM.
  public var inputIds: [[Int]]
  /// (batch, seq) targets: the original ids at masked positions for MLM (-100 elsewhere); the
  /// ids themselves for causal LM, which the loss shifts by one (-100 at padding).
  public var labels: [[Int]]
  /// (batch, seq) 1 for tokens, 0 for padding; nil when every row is full.
  public var attentionMask: [[Int]]?
}

/// Builds language-modelling batches (transformers' `DataCollatorForLanguageModeling`): with
/// `mlm`, BERT's 80/10/10 masking of `mlmProbability` of the non-special tokens, drawn from
/// `Generator.default` (so a checkpoint's random state restores it); without, the labels are
/// the ids, for a causal model. Rows of different lengths are padded with `padTokenId`.
public struct DataCollatorForLanguageModeling: Sendable {
  public let mlm: Bool
  public let mlmProbability: Double
  /// The id that replaces 80% of the chosen tokens.
  public let maskTokenId: Int?
  /// Random replacements are drawn from `0..<vocabularySize` minus the special ids.
  public let vocabularySize: Int
  /// Never chosen as targets.
  public let specialTokenIds: Set<Int>
  public let padTokenId: Int?

  /// For a BERT-style model: `[MASK]`, the vocabulary and the special tokens of `tokenizer`.
  public init(tokenizer: WordPieceTokenizer, mlm: Bool = true, mlmProbability: Double = 0.15) {
    self.mlm = mlm
    self.mlmProbability = mlmProbability
    maskTokenId = tokenizer.id(of: "[MASK]")
    vocabularySize = tokenizer.vocabularySize
    specialTokenIds = Set(WordPieceTokenizer.specialTokens.map { tokenizer.id(of: $0) })
    padTokenId = tokenizer.id(of: "[PAD]")
  }

  /// For a RoBERTa-style model: `<mask>`, the vocabulary and the special tokens (`<s>`,
  /// `<pad>`, `</s>`, `<unk>`, `<mask>`) of `tokenizer`.
  public init(tokenizer: RobertaTokenizer, mlm: Bool = true, mlmProbability: Double = 0.15) {
    self.mlm = mlm
    self.mlmProbability = mlmProbability
    maskTokenId = tokenizer.maskTokenId
    vocabularySize = tokenizer.vocabularySize
    specialTokenIds = Set(tokenizer.addedTokens.map(\.id))
    padTokenId = tokenizer.padTokenId
  }

  /// For causal language modelling (`mlm: false`): the labels are the ids.
  public init(mlm: Bool, padTokenId: Int? = nil) {
    self.mlm = mlm
    mlmProbability = 0.15
    maskTokenId = nil
    vocabularySize = 0
    specialTokenIds = []
    self.padTokenId = padTokenId
  }

  /// Rows with their MLM targets chosen now, from `generator`: the same rows and seed give
  /// the same masking, so evaluations (and two models) are compared on the same predictions.
  public func masking(_ rows: [[Int]], generator: Generator) -> [LanguageModelingExample] {
    let batch = mask(rows, generator: generator)
    return zip(batch.inputIds, batch.labels).map { LanguageModelingExample(inputIds: $0, labels: $1) }
  }

  func mask(_ rows: [[Int]], generator: Generator) -> MaskedBatch {
    guard mlm, let maskTokenId else {
      return MaskedBatch(inputIds: rows, labels: rows.map { $0.map { $0 == padTokenId ? -100 : $0 } })
    }
    return maskTokens(
      rows, maskID: maskTokenId, vocabularySize: vocabularySize,
      special: specialTokenIds.union(padTokenId.map { [$0] } ?? []), probability: mlmProbability,
      generator: generator)
  }

  /// One batch of `examples`: rows without labels are masked (or labelled) now, in order.
  public func callAsFunction(_ examples: [LanguageModelingExample]) throws -> LanguageModelingBatch {
    let longest = examples.map(\.inputIds.count).max() ?? 0
    let ragged = examples.contains { $0.inputIds.count != longest }
    guard !ragged || padTokenId != nil else {
      throw PretrainingError(
        "rows of \(Set(examples.map(\.inputIds.count)).sorted()) tokens in one batch need a padTokenId; pack them to one length (packSequences) or give the collator one"
      )
    }
    let open = examples.indices.filter { examples[$0].labels == nil }
    let chosen = mask(open.map { examples[$0].inputIds }, generator: .default)
    var (inputIds, labels) = (examples.map(\.inputIds), examples.map { $0.labels ?? [] })
    for (k, i) in open.enumerated() { (inputIds[i], labels[i]) = (chosen.inputIds[k], chosen.labels[k]) }
    guard ragged, let padTokenId else { return LanguageModelingBatch(inputIds: inputIds, labels: labels) }
    let mask = inputIds.map {
      [Int](repeating: 1, count: $0.count) + [Int](repeating: 0, count: longest - $0.count)
    }
    return LanguageModelingBatch(
      inputIds: inputIds.map { $0 + [Int](repeating: padTokenId, count: longest - $0.count) },
      labels: labels.map { $0 + [Int](repeating: -100, count: longest - $0.count) }, attentionMask: mask)
  }
}

/// A model that learns by masked language modelling (`BertForMaskedLM`, `RobertaForMaskedLM`):
/// the loss at the labelled positions, with the predicted and true ids there.
public protocol MaskedLanguageModel: TrainerModel {
  /// Cross-entropy at the positions whose label is not -100; `predictions` and `targets` are
  /// the arg-max and the label there.
  func maskedLMLoss(inputIds: [[Int]], labels: [[Int]], attentionMask: [[Int]]?) throws
    -> (loss: Tensor, predictions: [Int], targets: [Int])
}

extension BertForMaskedLM: MaskedLanguageModel {}
extension RobertaForMaskedLM: MaskedLanguageModel {}

/// The Trainer that pre-trains a language model on rows of token ids.
public typealias LanguageModelingTrainer = Trainer<LanguageModelingExample, LanguageModelingBatch>

extension Trainer where Example == LanguageModelingExample, Batch == LanguageModelingBatch {
  /// Masked language modelling (run_mlm.py): training rows are masked afresh in every batch by
  /// `dataCollator`; evaluation rows are masked once here, from a generator seeded with
  /// `evalMaskingSeed`, so every evaluation scores the same predictions. Evaluations report
  /// `eval_loss`, `eval_perplexity` and (with the default metrics) `eval_accuracy`.
  public convenience init(
    model: some MaskedLanguageModel, args: TrainingArguments, trainDataset: [[Int]]? = nil,
    evalDataset: [[Int]]? = nil,
    dataCollator: DataCollatorForLanguageModeling, evalMaskingSeed: UInt64 = 1234,
    computeMetrics: ((EvalPrediction) -> [String: Double])? = languageModelingMetrics,
    callbacks: [TrainerCallback] = [],
    optimizers: (optimizer: (any Optimizer)?, lrScheduler: LRLambda?) = (nil, nil)
  ) throws {
    guard dataCollator.mlm else {
      throw TrainerError(
        "a \(type(of: model)) learns by masked language modelling: the collator needs mlm: true")
    }
    try self.init(
      model: model, args: args, trainDataset: trainDataset?.map { LanguageModelingExample(inputIds: $0) },
      evalDataset: evalDataset.map { dataCollator.masking($0, generator: Generator(seed: evalMaskingSeed)) },
      dataCollator: { try dataCollator($0) }, computeLoss: Self.maskedLMLossHook(model),
      computeMetrics: computeMetrics, callbacks: callbacks, optimizers: optimizers)
    configureLanguageModeling()
  }

  /// Causal language modelling (run_clm.py): every position predicts the next token.
  /// Evaluations report `eval_loss` (the mean over every predicted token), `eval_perplexity`
  /// and (with the default metrics) `eval_accuracy`.
  public convenience init(
    model: GPT2LMHeadModel, args: TrainingArguments, trainDataset: [[Int]]? = nil,
    evalDataset: [[Int]]? = nil,
    dataCollator: DataCollatorForLanguageModeling = DataCollatorForLanguageModeling(mlm: false),
    computeMetrics: ((EvalPrediction) -> [String: Double])? = languageModelingMetrics,
    callbacks: [TrainerCallback] = [],
    optimizers: (optimizer: (any Optimizer)?, lrScheduler: LRLambda?) = (nil, nil)
  ) throws {
    guard !dataCollator.mlm else {
      throw TrainerError(
        "a GPT2LMHeadModel learns by causal language modelling: the collator needs mlm: false")
    }
    try self.init(
      model: model, args: args, trainDataset: trainDataset?.map { LanguageModelingExample(inputIds: $0) },
      evalDataset: evalDataset?.map { LanguageModelingExample(inputIds: $0) },
      dataCollator: { try dataCollator($0) }, computeLoss: Self.causalLMLossHook(model),
      computeMetrics: computeMetrics, callbacks: callbacks, optimizers: optimizers)
    configureLanguageModeling()
  }

  func configureLanguageModeling() {
    exampleLength = { $0.inputIds.count }
    tokenCount = { batch in batch.attentionMask?.joined().reduce(0, +) ?? batch.inputIds.joined().count }
    reportsPerplexity = true
  }

  /// The masked-language-modelling loss (`maskedLMLoss`: cross-entropy at the masked positions
  /// only), with the predictions there for the token accuracy. A batch without a masked token
  /// is not scored.
  public static func maskedLMLossHook(_ model: some MaskedLanguageModel)
    -> (any TrainerModel, LanguageModelingBatch) throws -> LossOutput
  {
    { _, batch in
      guard batch.labels.contains(where: { $0.contains { $0 != -100 } }) else {
        return LossOutput(loss: Tensor(0), count: 0)
      }
      let result = try model.maskedLMLoss(
        inputIds: batch.inputIds, labels: batch.labels, attentionMask: batch.attentionMask)
      return LossOutput(
        loss: result.loss, count: result.targets.count, labels: result.targets,
        predictions: result.predictions)
    }
  }

  /// The causal-language-modelling loss: cross-entropy of every position against the next
  /// label (`nextTokenLabels`), averaged over the predicted tokens; in evaluation mode also
  /// the arg-max there, for the token accuracy.
  public static func causalLMLossHook(_ model: GPT2LMHeadModel)
    -> (any TrainerModel, LanguageModelingBatch) throws -> LossOutput
  {
    { _, batch in
      let targets = nextTokenLabels(batch.labels, padID: -100).flatMap { $0 }
      let scored = targets.indices.filter { targets[$0] != -100 }
      guard !scored.isEmpty else { return LossOutput(loss: Tensor(0), count: 0) }
      // (batch, seq, vocabulary)
      let logits = try model(inputIds: batch.inputIds, attentionMask: batch.attentionMask)
      let loss = crossEntropy(logits, targets: targets)
      // The arg-max costs a pass over the logits: only evaluations need it.
      let predictions = model.training ? nil : logits.argmax(axis: -1)
      return LossOutput(
        loss: loss, count: scored.count, labels: scored.map { targets[$0] },
        predictions: predictions.map { all in scored.map { all[$0] } })
    }
  }
}

extension Trainer {
  /// The evaluations of the last run, from the log history: step, `eval_loss` and
  /// `eval_accuracy` (NaN when not measured).
  public var evaluations: [EvaluationPoint] {
    state.logHistory.compactMap { entry in
      entry["eval_loss"].map {
        EvaluationPoint(step: Int(entry["step"] ?? 0), loss: $0, accuracy: entry["eval_accuracy"] ?? .nan)
      }
    }
  }
}

/// A pre-training run that cannot go on.
public struct PretrainingError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
