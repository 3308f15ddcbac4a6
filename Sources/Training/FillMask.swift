// transformers' fill-mask pipeline, batched: what a BERT masked language model would put at
// each [MASK] of a text. Lesson 6's contextual augmentation (Sources/Datasets/
// ContextualAugmentation.swift) asks it for the replacement of a masked word.

import Foundation
import Models
import TensorCore
import Tokenizers

/// For each of `texts`, the `top` likeliest tokens at each [MASK], in order of appearance, best
/// first, with their probabilities (transformers' `pipeline("fill-mask", top_k=top)`, as token
/// and score). A [MASK] cut off by `maxLength` gets no entry. The texts go through `model` (put
/// in evaluation mode for the call) in batches of `batchSize`, without gradients; the
/// vocabulary-sized decoder runs at the masks only.
public func fillMask(
  model: BertForMaskedLM, tokenizer: WordPieceTokenizer, texts: [String], top: Int = 5,
  maxLength: Int = 128, batchSize: Int = 64
) throws -> [[[(token: String, score: Double)]]] {
  let wasTraining = model.training
  model.eval()
  defer { if wasTraining { model.train() } }
  let maskID = tokenizer.id(of: "[MASK]")
  let collator = DataCollatorWithPadding(tokenizer: tokenizer, maxLength: maxLength)
  var result: [[[(token: String, score: Double)]]] = []
  for start in stride(from: 0, to: texts.count, by: max(1, batchSize)) {
    let padded = collator.pad(texts[start..<min(start + batchSize, texts.count)].map(collator.encode))
    let seq = padded.inputIds.first?.count ?? 0
    // The masks' places in the flattened (batch · seq) rows, and which text each belongs to.
    let masks = padded.inputIds.enumerated().flatMap { row, ids in
      ids.indices.filter { ids[$0] == maskID }.map { (row: row, flat: row * seq + $0) }
    }
    var perText = Array(repeating: [[(token: String, score: Double)]](), count: padded.inputIds.count)
    if !masks.isEmpty {
      let probabilities = try noGrad {
        let hidden = try model.bert(inputIds: padded.inputIds, attentionMask: padded.attentionMask)
          .lastHiddenState  // (batch, seq, hidden)
        let picked = hidden.reshape(hidden.shape[0] * seq, hidden.shape[2]).embedding(masks.map(\.flat))
        return model.cls.predictions(picked).softmax(axis: -1)  // (masks, vocabulary)
      }
      let vocabulary = probabilities.shape[1]
      for (i, mask) in masks.enumerated() {
        let row = probabilities.data[(i * vocabulary)..<((i + 1) * vocabulary)]
        let best = row.indices.sorted { row[$0] > row[$1] }.prefix(top)
        perText[mask.row].append(best.map { (tokenizer.tokens[$0 - i * vocabulary], Double(row[$0])) })
      }
    }
    result += perText
  }
  return result
}
