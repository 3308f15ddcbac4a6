// BERT as it was pre-trained: the masked-language-model head and a sentence-level head on the
// pooled [CLS] state (transformers' `BertForPreTraining`: `cls.predictions` and
// `cls.seq_relationship`). The sentence head is what trains [CLS]: BERT asked whether the second
// segment follows the first in the text (next-sentence prediction, NSP); ALBERT asked whether
// two consecutive segments are in their original order (sentence-order prediction, SOP). The
// kit adds a third: [CLS] predicts the row's bag of words through the tied word embeddings
// (`maskedLMAndBagOfWordsLoss`), no sentence pairs needed.

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
    let mlm = try maskedLM(output.lastHiddenState, labels: labels)
    let sentenceLogits = cls.seqRelationship(output.poolerOutput!)  // (batch, 2)
    return (
      mlm.loss, crossEntropy(sentenceLogits, targets: sentenceLabels), mlm.predictions, mlm.targets,
      sentenceLogits.argmax(axis: -1)
    )
  }

  /// Masked-language modelling and the bag-of-words objective in one forward pass: the MLM
  /// cross-entropy at the labelled positions, and the pooled [CLS] state of the *masked* row
  /// predicting the words of the whole unmasked row (`bagOfWordsLoss`), the ids where `labels`
  /// is -100 and the labels elsewhere. `ignoring`: ids left out of the bags (special tokens,
  /// padding). MLM alone never needs [CLS]; this makes it the one vector that must say what the
  /// whole text is about, which is what a classifier reading [CLS] needs.
  public func maskedLMAndBagOfWordsLoss(
    inputIds: [[Int]], attentionMask: [[Int]]? = nil, labels: [[Int]], ignoring special: Set<Int>
  ) throws -> (maskedLM: Tensor, bagOfWords: Tensor, predictions: [Int], targets: [Int]) {
    let output = try bert(inputIds: inputIds, attentionMask: attentionMask)
    let mlm = try maskedLM(output.lastHiddenState, labels: labels)
    let bags = zip(inputIds, labels).map { ids, targets in
      Set(zip(ids, targets).map { $1 == -100 ? $0 : $1 }).subtracting(special).sorted()
    }
    return (mlm.loss, bagOfWordsLoss(pooled: output.poolerOutput!, bags: bags), mlm.predictions, mlm.targets)
  }

  /// The bag-of-words loss of (batch, hidden) pooled states: each times the tied word embeddings
  /// gives one logit per vocabulary word, and the loss is the cross-entropy against the row's bag
  /// spread evenly over its distinct words, -Σ_w bag(w) log softmax(logits)(w), averaged over the
  /// rows. The least it can be is log of the bag's size (every word of it equally likely); a row
  /// with an empty bag adds 0.
  public func bagOfWordsLoss(pooled: Tensor, bags: [[Int]]) -> Tensor {
    let words = bert.embeddings.wordEmbeddings.weight  // (vocabulary, hidden)
    let logits = linear(pooled, weight: words)  // (batch, vocabulary)
    let vocabulary = words.shape[0]
    var target = [Float](repeating: 0, count: bags.count * vocabulary)
    for (row, bag) in bags.enumerated() {
      for word in bag { target[row * vocabulary + word] = 1 / Float(bag.count) }
    }
    let weights = Tensor(target, shape: [bags.count, vocabulary])
    return -(weights * logits.logSoftmax(axis: -1)).sum() / Float(bags.count)
  }

  /// The MLM cross-entropy at the labelled positions of (batch, seq, hidden) states (labels -100
  /// elsewhere; the decoder runs at the labelled positions only), with the arg-max and the label there.
  private func maskedLM(_ hidden: Tensor, labels: [[Int]]) throws -> (
    loss: Tensor, predictions: [Int], targets: [Int]
  ) {
    let (batch, seq, size) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
    guard labels.count == batch, labels.allSatisfy({ $0.count == seq }) else {
      throw ModelInputError("labels must be \(batch) × \(seq) like input_ids")
    }
    let flat = labels.flatMap { $0 }
    let rows = labelledPositions(labels)
    guard !rows.isEmpty else { throw ModelInputError("labels has no position to predict (all -100)") }
    let logits = cls.predictions(hidden.reshape(batch * seq, size).embedding(rows))  // (masked, vocabulary)
    let targets = rows.map { flat[$0] }
    return (crossEntropy(logits, targets: targets), logits.argmax(axis: -1), targets)
  }
}

extension BertForPreTraining: PretrainedModel {
  public static var architecture: String { "BertForPreTraining" }
  public static var basePrefix: String { "bert" }
  public static func fromConfig(_ config: BertConfig, generator: Generator = .default) -> Self {
    Self(config, generator: generator)
  }
}
