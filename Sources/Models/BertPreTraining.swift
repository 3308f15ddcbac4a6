// BERT as it was pre-trained: the masked-language-model head and a sentence-level head on the
// pooled [CLS] state (transformers' `BertForPreTraining`: `cls.predictions` and
// `cls.seq_relationship`). The sentence head is what trains [CLS]: BERT asked whether the second
// segment follows the first in the text (next-sentence prediction, NSP); ALBERT asked whether
// two consecutive segments are in their original order (sentence-order prediction, SOP).

import TensorCore

/// `cls` of `BertForPreTraining`: the MLM head and the two-way sentence-relationship classifier.
public final class BertPreTrainingHeads: Module {
  public let predictions: BertLMPredictionHead
  /// (hidden → 2) on the pooler's output: label 0 "continues in order", 1 "does not" (a random
  /// segment for NSP, swapped segments for SOP), as transformers' `next_sentence_label`.
  @Child public var seqRelationship: Linear

  init(_ config: BertConfig, wordEmbeddings: Tensor) {
    predictions = BertLMPredictionHead(config, wordEmbeddings: wordEmbeddings)
    seqRelationship = Linear(config.hiddenSize, 2)
  }

  public override func parameterName(forProperty property: String) -> String {
    property == "seqRelationship" ? "seq_relationship" : property
  }
}

/// BERT with both pre-training heads: masked-language modelling on every token, and a
/// sentence-pair relationship (NSP or SOP) on the pooled [CLS] state.
public final class BertForPreTraining: Module {
  public let bert: BertModel
  public let cls: BertPreTrainingHeads

  public init(_ config: BertConfig, generator: Generator = .default) {
    bert = BertModel(config, addPoolingLayer: true, generator: generator)
    cls = BertPreTrainingHeads(config, wordEmbeddings: bert.embeddings.wordEmbeddings.weight)
    super.init()
    initializeWeights(cls, std: config.initializerRange, generator: generator)
  }

  /// The configuration the model was made from.
  public var config: BertConfig { bert.config }

  /// (batch, seq, vocabulary) MLM logits and (batch, 2) sentence-relationship logits.
  public func callAsFunction(
    inputIds: [[Int]], attentionMask: [[Int]]? = nil, tokenTypeIds: [[Int]]? = nil
  ) throws -> (predictionLogits: Tensor, seqRelationshipLogits: Tensor) {
    let output = try bert(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds)
    return (cls.predictions(output.lastHiddenState), cls.seqRelationship(output.poolerOutput!))
  }

  /// Both losses: the MLM cross-entropy at the labelled positions (labels -100 elsewhere; the
  /// decoder runs there only) and the sentence-relationship cross-entropy; transformers'
  /// `total_loss` is their sum. Also the predictions, for the two accuracies.
  public func preTrainingLoss(
    inputIds: [[Int]], tokenTypeIds: [[Int]], attentionMask: [[Int]]? = nil, labels: [[Int]],
    sentenceLabels: [Int]
  ) throws -> (
    maskedLM: Tensor, sentence: Tensor, predictions: [Int], targets: [Int], sentencePredictions: [Int]
  ) {
    guard sentenceLabels.count == inputIds.count, sentenceLabels.allSatisfy({ $0 == 0 || $0 == 1 }) else {
      throw ModelInputError("sentence labels must be one 0 or 1 per row, got \(sentenceLabels)")
    }
    let output = try bert(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds)
    let hidden = output.lastHiddenState  // (batch, seq, hidden)
    let (batch, seq, size) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
    guard labels.count == batch, labels.allSatisfy({ $0.count == seq }) else {
      throw ModelInputError("labels must be \(batch) × \(seq) like input_ids")
    }
    let flat = labels.flatMap { $0 }
    let rows = labelledPositions(labels)
    guard !rows.isEmpty else { throw ModelInputError("labels has no position to predict (all -100)") }
    let logits = cls.predictions(hidden.reshape(batch * seq, size).embedding(rows))  // (masked, vocabulary)
    let targets = rows.map { flat[$0] }
    let sentenceLogits = cls.seqRelationship(output.poolerOutput!)  // (batch, 2)
    return (
      crossEntropy(logits, targets: targets), crossEntropy(sentenceLogits, targets: sentenceLabels),
      logits.argmax(axis: -1), targets, sentenceLogits.argmax(axis: -1)
    )
  }
}

extension BertForPreTraining: PretrainedModel {
  public static var architecture: String { "BertForPreTraining" }
  public static var basePrefix: String { "bert" }
  public static func fromConfig(_ config: BertConfig, generator: Generator = .default) -> Self {
    Self(config, generator: generator)
  }
}
