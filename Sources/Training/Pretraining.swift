// Pre-training the kit's models: masked language modelling for the BERT-style model, causal
// language modelling for the GPT-style one, on the generated corpus.

import Foundation
import Models
import TensorCore
import Tokenizers

/// The recipe of a pre-training run.
public struct PretrainingRecipe: Sendable {
  public var sequenceLength = 64
  public var batchSize = 32
  public var steps = 3000
  public var learningRate: Float = 1e-3
  public var warmupRatio = 0.05
  public var weightDecay: Float = 0.01
  public var schedule = LearningRateSchedule.linear
  public var evaluateEvery = 250
  public var seed: UInt64 = 42

  public init() {}
}

/// One evaluation on held-out text.
public struct EvaluationPoint: Sendable {
  public var step: Int
  public var loss: Double
  /// e^loss: how many tokens the model is as unsure as a uniform choice among.
  public var perplexity: Double { exp(loss) }
  /// Share of masked (or next) tokens predicted exactly.
  public var accuracy: Double
}

/// What a pre-training run did.
public struct PretrainingReport: Sendable {
  public var trainingLosses: [Double] = []
  public var evaluations: [EvaluationPoint] = []
  public var seconds = 0.0
  public var tokens = 0
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

/// What one batch of rows costs under a pre-training objective: the mean loss, and how many of
/// the predicted tokens were right out of how many.
public typealias Objective = (_ rows: [[Int]], _ generator: Generator) throws -> (
  loss: Tensor, correct: Int, count: Int
)

/// The loop both objectives share: shuffled batches of rows, AdamW on a warm-up-then-decay
/// schedule, and held-out evaluations (with a fixed generator, so they are comparable).
public func pretrain(
  _ model: Module, training: [[Int]], heldOut: [[Int]], recipe: PretrainingRecipe, objective: Objective,
  progress: (Int, [String: Double]) -> Void = { _, _ in }
) throws -> PretrainingReport {
  guard training.count >= recipe.batchSize, !heldOut.isEmpty else {
    throw PretrainingError(
      "the corpus is too small: pre-training needs at least one batch (\(recipe.batchSize) rows) of training "
        + "text and one held-out row, and got \(training.count) training and \(heldOut.count) held-out rows "
        + "of \(recipe.sequenceLength) tokens")
  }
  let generator = Generator(seed: recipe.seed)
  let optimizer = makeAdamW(model, learningRate: recipe.learningRate, weightDecay: recipe.weightDecay)
  let warmup = Int(Double(recipe.steps) * recipe.warmupRatio)
  var report = PretrainingReport()
  let start = Date()
  var order = generator.shuffled(Array(training.indices))
  var cursor = 0

  func evaluate(step: Int) throws {
    model.eval()
    defer { model.train() }
    let fixed = Generator(seed: 1234)
    var (total, correct, count) = (0.0, 0, 0)
    for b in stride(from: 0, to: heldOut.count, by: recipe.batchSize) {
      let rows = Array(heldOut[b..<min(b + recipe.batchSize, heldOut.count)])
      let result = try noGrad { try objective(rows, fixed) }
      total += Double(result.loss.item) * Double(result.count)
      correct += result.correct
      count += result.count
    }
    report.evaluations.append(
      EvaluationPoint(step: step, loss: total / Double(count), accuracy: Double(correct) / Double(count)))
  }

  model.train()
  try evaluate(step: 0)
  for step in 0..<recipe.steps {
    if cursor + recipe.batchSize > order.count {
      order = generator.shuffled(order)
      cursor = 0
    }
    let rows = order[cursor..<(cursor + recipe.batchSize)].map { training[$0] }
    cursor += recipe.batchSize
    optimizer.learningRate =
      recipe.learningRate
      * Float(recipe.schedule.factor(step: step, totalSteps: recipe.steps, warmupSteps: warmup))
    optimizer.zeroGrad()
    let loss = try objective(rows, generator).loss
    guard loss.item.isFinite else {
      throw PretrainingError("the loss became \(loss.item) at step \(step + 1); try a smaller learning rate")
    }
    loss.backward()
    optimizer.step()
    report.trainingLosses.append(Double(loss.item))
    report.tokens += rows.count * recipe.sequenceLength
    if (step + 1) % recipe.evaluateEvery == 0 || step + 1 == recipe.steps { try evaluate(step: step + 1) }
    var metrics = ["loss": Double(loss.item), "lr": Double(optimizer.learningRate)]
    if let last = report.evaluations.last { metrics["held-out loss"] = last.loss }
    progress(step + 1, metrics)
  }
  report.seconds = Date().timeIntervalSince(start)
  return report
}

/// Pre-trains a BERT by masked language modelling (dynamic 80/10/10 masking).
public func pretrainMaskedLM(
  _ model: BertForMaskedLM, tokenizer: WordPieceTokenizer, training: [[Int]], heldOut: [[Int]],
  recipe: PretrainingRecipe, progress: (Int, [String: Double]) -> Void = { _, _ in }
) throws -> PretrainingReport {
  let special = Set(WordPieceTokenizer.specialTokens.map { tokenizer.id(of: $0) })
  let maskID = tokenizer.id(of: "[MASK]")
  return try pretrain(
    model, training: training, heldOut: heldOut, recipe: recipe,
    objective: { rows, generator in
      let batch = maskTokens(
        rows, maskID: maskID, vocabularySize: tokenizer.vocabularySize, special: special, generator: generator
      )
      let result = try model.maskedLMLoss(inputIds: batch.inputIds, labels: batch.labels)
      return (
        result.loss, zip(result.predictions, result.targets).filter { $0 == $1 }.count, result.targets.count
      )
    }, progress: progress)
}

/// Pre-trains a GPT-2 by causal language modelling: every position predicts the next token.
public func pretrainCausalLM(
  _ model: GPT2LMHeadModel, training: [[Int]], heldOut: [[Int]], recipe: PretrainingRecipe,
  progress: (Int, [String: Double]) -> Void = { _, _ in }
) throws -> PretrainingReport {
  try pretrain(
    model, training: training, heldOut: heldOut, recipe: recipe,
    objective: { rows, _ in
      let labels = nextTokenLabels(rows).flatMap { $0 }
      let logits = try model(inputIds: rows)  // (batch, seq, vocabulary)
      let predictions = logits.argmax(axis: -1)
      let scored = labels.indices.filter { labels[$0] != -100 }
      return (
        crossEntropy(logits, targets: labels), scored.filter { predictions[$0] == labels[$0] }.count,
        scored.count
      )
    }, progress: progress)
}

/// A pre-training run that cannot go on.
public struct PretrainingError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
