// Loading any checkpoint directory for classification, whichever architecture it holds (what
// transformers' `AutoModelForSequenceClassification` + `AutoTokenizer` do): config.json's
// `model_type` picks BERT, RoBERTa or GPT-2; the tokenizer is whatever `loadTokenizer(at:)` finds beside
// it (tokenizer.json first, as `AutoTokenizer` does).

import Foundation
import Models
import TensorCore
import Tokenizers

/// A classifier loaded from a checkpoint directory, with what it needs to read text.
public struct PretrainedClassifier {
  public let model: any SequenceClassifier
  /// The checkpoint's tokenizer; `tokenizer.save(to:)` writes its files into a new checkpoint.
  public let tokenizer: any Tokenizer
  public let collator: DataCollatorWithPadding
  /// `"bert"`, `"roberta"` or `"gpt2"`.
  public let modelType: String
  /// Class names stored in the checkpoint (`id2label`), if any.
  public let labelNames: [String]?
  /// What loading did: which tensors were newly initialised.
  public let report: LoadReport

  /// Loads `directory` with a classification head for `labelNames` (or the checkpoint's own
  /// classes when `nil`), reading at most `maxLength` tokens per text. `classifierPooling`
  /// (`"cls"` or `"mean"`; BERT and RoBERTa) overrides the checkpoint's choice of what the head
  /// reads.
  public static func fromPretrained(
    _ directory: URL, labelNames: [String]? = nil, maxLength: Int = 128, classifierPooling: String? = nil,
    generator: Generator = .default
  ) throws -> PretrainedClassifier {
    let modelType = try checkpointModelType(in: directory, supported: ["bert", "roberta", "gpt2"])
    if let classifierPooling, modelType == "gpt2" {
      throw TrainerError(
        "classifier pooling \"\(classifierPooling)\": only BERT and RoBERTa checkpoints have it; this one is gpt2, whose head reads the last token"
      )
    }
    let tokenizer = try loadTokenizer(at: directory)
    let tokenizerPath = tokenizerFile(in: directory)?.path ?? directory.path
    func checkVocabulary(_ vocabSize: Int) throws {
      guard tokenizer.vocabularySize <= vocabSize else {
        throw TrainerError(
          "\(tokenizerPath): \(tokenizer.vocabularySize) tokens, but config.json has vocab_size \(vocabSize); the tokenizer does not belong to this model"
        )
      }
    }
    if modelType == "bert" {
      guard let pad = tokenizer.padTokenId else {
        throw TrainerError("\(tokenizerPath): no [PAD] token; a BERT tokenizer needs one to pad batches")
      }
      let (model, report) = try BertForSequenceClassification.fromPretrained(
        directory, labelNames: labelNames, classifierPooling: classifierPooling, generator: generator,
        outputLoadingInfo: true)
      try checkVocabulary(model.bert.config.vocabSize)
      let length = min(maxLength, model.bert.config.maxPositionEmbeddings)
      return PretrainedClassifier(
        model: model, tokenizer: tokenizer,
        collator: DataCollatorWithPadding(tokenizer: tokenizer, padID: pad, maxLength: length),
        modelType: "bert", labelNames: model.bert.config.labelNames, report: report)
    }
    if modelType == "roberta" {
      guard let pad = tokenizer.padTokenId else {
        throw TrainerError("\(tokenizerPath): no <pad> token; a RoBERTa tokenizer needs one to pad batches")
      }
      let (model, report) = try RobertaForSequenceClassification.fromPretrained(
        directory, labelNames: labelNames, classifierPooling: classifierPooling, generator: generator,
        outputLoadingInfo: true)
      let config = model.roberta.config
      try checkVocabulary(config.vocabSize)
      if pad != config.padTokenId {
        // Positions depend on which id is padding: the tokenizer and the model must agree.
        throw TrainerError(
          "\(tokenizerPath): <pad> is id \(pad), but config.json has pad_token_id \(config.padTokenId); the tokenizer does not belong to this model"
        )
      }
      return PretrainedClassifier(
        model: model, tokenizer: tokenizer,
        collator: DataCollatorWithPadding(
          tokenizer: tokenizer, padID: pad, maxLength: min(maxLength, config.maxLength)),
        modelType: "roberta", labelNames: config.labelNames, report: report)
    }
    // GPT-2 has no padding token: pad with end-of-text, as is usual, and tell the head.
    let config = try readConfig(GPT2Config.self, in: directory)
    let pad = config.padTokenId ?? config.eosTokenId
    let (model, report) = try GPT2ForSequenceClassification.fromPretrained(
      directory, labelNames: labelNames, padTokenId: pad, generator: generator, outputLoadingInfo: true)
    try checkVocabulary(model.transformer.config.vocabSize)
    let length = min(maxLength, model.transformer.config.nPositions)
    return PretrainedClassifier(
      model: model, tokenizer: tokenizer,
      collator: DataCollatorWithPadding(tokenizer: tokenizer, padID: pad, maxLength: length),
      modelType: "gpt2", labelNames: model.transformer.config.labelNames, report: report)
  }
}

extension RobertaForSequenceClassification: SequenceClassifier {
  public var numLabels: Int { roberta.config.numLabels }
  public func logits(inputIds: [[Int]], attentionMask: [[Int]]) throws -> Tensor {
    try self(inputIds: inputIds, attentionMask: attentionMask)
  }
}
