// The bag-of-words objective, `course pretrain --objective mlm+bow`: beside masked-language
// modelling, the pooled [CLS] state of each masked row predicts which words the whole row holds
// (its bag of words, through the tied word embeddings). MLM alone never asks [CLS] for anything,
// so a classifier that reads it starts from a vector that says little; NSP and SOP ask it one
// yes/no question per row. This asks it to summarise the row, in the same forward pass as MLM.
// bert-mini's model card measures what each does to fine-tuning through [CLS].

import Models
import TensorCore

extension Trainer where Example == LanguageModelingExample, Batch == LanguageModelingBatch {
  /// Masked language modelling plus the bag-of-words loss
  /// (`BertForPreTraining.maskedLMAndBagOfWordsLoss`, the two summed) on rows of token ids, one
  /// document each at best (`lineByLineSequences`). Training rows are masked afresh in every batch
  /// by `dataCollator`, whose special tokens and padding stay out of the bags. Evaluations score
  /// the masked LM alone (held-out rows masked once, from `evalMaskingSeed`), so `eval_loss`,
  /// `eval_perplexity` and `eval_accuracy` compare with `BertForMaskedLM`'s;
  /// `heldOutBagOfWordsLoss` measures the other half.
  public convenience init(
    maskedLMWithBagOfWords model: BertForPreTraining, args: TrainingArguments, trainDataset: [[Int]]? = nil,
    evalDataset: [[Int]]? = nil, dataCollator: DataCollatorForLanguageModeling,
    evalMaskingSeed: UInt64 = 1234, callbacks: [TrainerCallback] = []
  ) throws {
    guard dataCollator.mlm else {
      throw TrainerError(
        "BertForPreTraining learns masked language modelling too: the collator needs mlm: true")
    }
    let special = dataCollator.specialTokenIds.union(dataCollator.padTokenId.map { [$0] } ?? [])
    try self.init(
      model: model, args: args, trainDataset: trainDataset?.map { LanguageModelingExample(inputIds: $0) },
      evalDataset: evalDataset.map { dataCollator.masking($0, generator: Generator(seed: evalMaskingSeed)) },
      dataCollator: { try dataCollator($0) },
      computeLoss: { _, batch in
        guard batch.labels.contains(where: { $0.contains { $0 != -100 } }) else {
          return LossOutput(loss: Tensor(0), count: 0)
        }
        let result = try model.maskedLMAndBagOfWordsLoss(
          inputIds: batch.inputIds, attentionMask: batch.attentionMask, labels: batch.labels,
          ignoring: special)
        return LossOutput(
          loss: model.training ? result.maskedLM + result.bagOfWords : result.maskedLM,
          count: result.targets.count, labels: result.targets, predictions: result.predictions)
      },
      computeMetrics: languageModelingMetrics, callbacks: callbacks)
    configureLanguageModeling()
  }
}

/// The bag-of-words loss of `rows` (unmasked, as a classifier reads them; evaluation mode): how
/// well the pooled [CLS] state predicts each row's distinct words, `ignoring` special ids.
/// A uniform prediction scores log(vocabulary); log of the bag's size is the least it can be.
public func heldOutBagOfWordsLoss(
  _ model: BertForPreTraining, _ rows: [[Int]], padTokenId: Int, ignoring special: Set<Int>,
  batchSize: Int = 64
) throws -> Double {
  guard !rows.isEmpty else { return .nan }
  let wasTraining = model.training
  model.eval()
  defer { if wasTraining { model.train() } }
  var total = 0.0
  for start in stride(from: 0, to: rows.count, by: batchSize) {
    let batch = rows[start..<min(start + batchSize, rows.count)]
    let longest = batch.map(\.count).max()!
    let loss = try noGrad {
      let pooled = try model.bert(
        inputIds: batch.map { $0 + [Int](repeating: padTokenId, count: longest - $0.count) },
        attentionMask: batch.map {
          [Int](repeating: 1, count: $0.count) + [Int](repeating: 0, count: longest - $0.count)
        }
      ).poolerOutput!  // (batch, hidden)
      return model.bagOfWordsLoss(
        pooled: pooled, bags: batch.map { Set($0).subtracting(special.union([padTokenId])).sorted() })
    }
    total += Double(loss.item) * Double(batch.count)
  }
  return total / Double(rows.count)
}
