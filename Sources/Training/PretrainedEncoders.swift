// Loading an encoder checkpoint whichever family it holds, as transformers' `AutoModel` and
// `AutoModelForMaskedLM` do: config.json's `model_type` picks BERT or RoBERTa. For the commands
// and lessons that read hidden states or fill in masks and do not care which family it is.

import FileInput
import Foundation
import Models
import TensorCore

/// The `model_type` of the checkpoint in `directory`, if it is one of `supported`; otherwise an
/// error naming config.json and what it found (no file, not a JSON object, no or another type).
func checkpointModelType(in directory: URL, supported: [String] = ["bert", "roberta"]) throws -> String {
  let configURL = directory.appendingPathComponent("config.json")
  guard let data = FileManager.default.contents(atPath: configURL.path) else {
    throw TrainerError(
      "\(configURL.path): "
        + (permissionProblem(reading: configURL.path)
          ?? "not found; the model must be a checkpoint directory with config.json"))
  }
  guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
    throw TrainerError(
      "\(configURL.path): \(data.isEmpty ? "empty file" : "not a JSON object"); expected a Hugging Face config.json"
    )
  }
  // A second "model_type" would pick the other family in transformers.
  if let duplicate = firstDuplicateJSONKey(in: data) { throw TrainerError("\(configURL.path): \(duplicate)") }
  let found = object["model_type"] as? String
  guard let found, supported.contains(found) else {
    throw TrainerError(
      "\(configURL.path): model_type is \(found.map { "\"\($0)\"" } ?? "missing"); the kit reads "
        + supported.map { "\"\($0)\"" }.joined(separator: ", ") + " checkpoints here")
  }
  return found
}

/// A bare encoder (BERT's or RoBERTa's) from a checkpoint, in evaluation mode: ids in, hidden
/// states out.
public struct PretrainedEncoder {
  /// The model, for its parameters.
  public let model: Module
  /// `"bert"` or `"roberta"`.
  public let modelType: String
  /// The embedding table's size: a tokenizer's ids must stay below it.
  public let vocabSize: Int
  /// The longest input, in tokens (RoBERTa's is 2 less than its position table).
  public let maxLength: Int
  let forward: ([[Int]], [[Int]]?) throws -> Tensor

  /// Loads `directory` as `BertModel` or `RobertaModel`, by its `model_type`.
  public static func fromPretrained(_ directory: URL) throws -> PretrainedEncoder {
    switch try checkpointModelType(in: directory) {
    case "roberta":
      let model = try RobertaModel.fromPretrained(directory)
      model.eval()
      return PretrainedEncoder(
        model: model, modelType: "roberta", vocabSize: model.config.vocabSize,
        maxLength: model.config.maxLength
      ) { ids, mask in try model(inputIds: ids, attentionMask: mask).lastHiddenState }
    default:
      let model = try BertModel.fromPretrained(directory)
      model.eval()
      return PretrainedEncoder(
        model: model, modelType: "bert", vocabSize: model.config.vocabSize,
        maxLength: model.config.maxPositionEmbeddings
      ) { ids, mask in try model(inputIds: ids, attentionMask: mask).lastHiddenState }
    }
  }

  /// (batch, seq, hidden): the last layer's hidden states.
  public func callAsFunction(inputIds: [[Int]], attentionMask: [[Int]]? = nil) throws -> Tensor {
    try forward(inputIds, attentionMask)
  }
}

/// A masked-language model (`BertForMaskedLM` or `RobertaForMaskedLM`) from a checkpoint, in
/// evaluation mode: ids in, vocabulary scores out.
public struct PretrainedMaskedLM {
  /// The model, for its parameters.
  public let model: Module
  /// `"bert"` or `"roberta"`.
  public let modelType: String
  /// The number of vocabulary entries scored.
  public let vocabSize: Int
  /// The longest input, in tokens.
  public let maxLength: Int
  let forward: ([[Int]], [[Int]]?) throws -> Tensor

  /// Loads `directory` as `BertForMaskedLM` or `RobertaForMaskedLM`, by its `model_type`.
  public static func fromPretrained(_ directory: URL) throws -> PretrainedMaskedLM {
    switch try checkpointModelType(in: directory) {
    case "roberta":
      let model = try RobertaForMaskedLM.fromPretrained(directory)
      model.eval()
      return PretrainedMaskedLM(
        model: model, modelType: "roberta", vocabSize: model.config.vocabSize,
        maxLength: model.config.maxLength
      ) { ids, mask in try model(inputIds: ids, attentionMask: mask) }
    default:
      let model = try BertForMaskedLM.fromPretrained(directory)
      model.eval()
      return PretrainedMaskedLM(
        model: model, modelType: "bert", vocabSize: model.config.vocabSize,
        maxLength: model.config.maxPositionEmbeddings
      ) { ids, mask in try model(inputIds: ids, attentionMask: mask) }
    }
  }

  /// (batch, seq, vocabulary) logits.
  public func callAsFunction(inputIds: [[Int]], attentionMask: [[Int]]? = nil) throws -> Tensor {
    try forward(inputIds, attentionMask)
  }
}
