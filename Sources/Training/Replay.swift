// Replay (rehearsal) of general text during fine-tuning, a remedy for catastrophic forgetting
// measured in Lesson 6: every training step also scores one batch of general-text rows with the
// pre-training objective, masked language modelling, on the encoder being fine-tuned, and adds
// `weight` times that loss to the task loss, so the encoder is asked to keep meeting its old
// objective while it learns the new one (the "experience replay" of continual learning; for
// language models, e.g. the mixed objective of Chronopoulou et al. 2019, "An embarrassingly
// simple approach for transfer learning from pretrained language models").
//
// The MLM head is the pre-trained checkpoint's own, kept fixed: the forgetting measurement reads
// a fine-tuned encoder through that same head, so replay optimises what is measured, and a head
// free to follow the encoder could hide how far the encoder moved.

import Foundation
import Models
import TensorCore
import Tokenizers

/// Masked-LM batches of general text replayed during fine-tuning: `weight` times their loss on
/// the fine-tuned encoder, read through the checkpoint's MLM head (whose parameters are frozen
/// here), is added to the task loss at every training batch. It costs one more forward and
/// backward pass of `batchSize` rows per batch.
public final class MaskedLMReplay {
  /// The pre-trained masked-LM model whose head (`cls`) scores the encoder's hidden states.
  public let head: BertForMaskedLM
  /// The general-text rows (token ids, packed as for pre-training) replay draws from.
  public let rows: [[Int]]
  /// Rows per replayed batch.
  public let batchSize: Int
  /// λ in task loss + λ · MLM loss.
  public let weight: Float
  /// Masks each batch afresh, as in pre-training.
  let collator: DataCollatorForLanguageModeling
  /// Its own generator for the order and the masking, so these draws do not shift the task
  /// run's (the replayed forward pass's dropout still draws from the default one, as any
  /// forward pass does).
  let generator: Generator
  /// The rows of the current pass, in a shuffled order, and the next one to take.
  var order: [Int] = []
  var position = 0
  /// How many batches have been replayed so far.
  public private(set) var batchesReplayed = 0

  /// Replay of `rows` through `head`'s MLM head, `batchSize` rows a batch, each pass over the
  /// rows in a new order drawn from `seed`. Throws when there is nothing to replay, the batch
  /// size is not positive or the weight is negative or not finite.
  public init(
    head: BertForMaskedLM, rows: [[Int]], tokenizer: WordPieceTokenizer, batchSize: Int = 8,
    weight: Float = 1, seed: UInt64 = 0
  ) throws {
    guard !rows.isEmpty, rows.allSatisfy({ !$0.isEmpty }) else {
      throw TrainerError(
        "replay rows: expected at least one non-empty row of token ids, got \(rows.count) row(s)")
    }
    guard batchSize > 0 else {
      throw TrainerError("replay batchSize: expected a positive number, got \(batchSize)")
    }
    guard weight.isFinite, weight >= 0 else {
      throw TrainerError("replay weight: expected a finite number ≥ 0, got \(weight)")
    }
    self.head = head
    self.rows = rows
    self.batchSize = batchSize
    self.weight = weight
    collator = DataCollatorForLanguageModeling(tokenizer: tokenizer)
    generator = Generator(seed: seed)
    // The head stays as pre-trained: no gradient reaches it (nor the unused encoder inside it).
    for (_, tensor) in head.namedParameters() { tensor.requiresGrad = false }
  }

  /// The next batch of rows, masked now (BERT's 80/10/10 masking of 15% of the tokens).
  public func nextBatch() throws -> LanguageModelingBatch {
    var chosen: [[Int]] = []
    while chosen.count < min(batchSize, rows.count) {
      if position == order.count {
        order = generator.shuffled(Array(rows.indices))
        position = 0
      }
      chosen.append(rows[order[position]])
      position += 1
    }
    batchesReplayed += 1
    return try collator(collator.masking(chosen, generator: generator))
  }

  /// `weight` times the masked-LM loss of `batch` on `encoder` (0 when nothing in it is masked).
  public func loss(_ batch: LanguageModelingBatch, encoder: BertModel) throws -> Tensor {
    guard batch.labels.contains(where: { $0.contains { $0 != -100 } }) else { return Tensor(0) }
    let result = try head.maskedLMLoss(
      inputIds: batch.inputIds, labels: batch.labels, attentionMask: batch.attentionMask, encoder: encoder)
    return result.loss * weight
  }
}

extension Trainer where Example == ClassificationExample, Batch == ClassificationBatch {
  /// Adds `replay`'s weighted masked-LM loss of its next batch, on `encoder` (the classifier's
  /// `bert`), to the classification loss of every training batch; evaluation reports the task
  /// loss alone.
  public func addReplay(_ replay: MaskedLMReplay, encoder: BertModel) {
    let taskLoss = computeLoss
    computeLoss = { model, batch in
      var output = try taskLoss(model, batch)
      if model.training && output.count > 0 {
        output.loss = output.loss + (try replay.loss(replay.nextBatch(), encoder: encoder))
      }
      return output
    }
  }
}
