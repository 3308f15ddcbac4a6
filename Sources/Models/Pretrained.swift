// Loading and saving models in Hugging Face's directory layout:
//
//   config.json          the configuration (BertConfig / GPT2Config fields)
//   model.safetensors    the weights, named as `namedParameters()` names them
//   vocab.txt | vocab.json + merges.txt | tokenizer.json   the tokenizer, alongside
//
// Names are matched the way transformers matches them: a checkpoint of the bare `BertModel`
// (`embeddings.…`) loads into `BertForSequenceClassification` (`bert.embeddings.…`) and back.
// What the checkpoint lacks is reported as newly initialised; what the model does not use is
// reported as unused.

import Foundation
import TensorCore

/// What `load(from:)` did: which parameters came from the checkpoint, which did not.
public struct LoadReport: CustomStringConvertible, Sendable {
  /// Parameters the checkpoint did not have: they keep their fresh initialisation.
  public var newlyInitialized: [String] = []
  /// Checkpoint tensors the model has no place for (another head, or buffers).
  public var unused: [String] = []
  /// The number of parameters loaded.
  public var loaded = 0

  /// The notice transformers prints, in the same spirit.
  public var description: String {
    var lines = ["Loaded \(loaded) tensors."]
    if !newlyInitialized.isEmpty {
      lines.append(
        "Some weights were not in the checkpoint and are newly initialized: \(newlyInitialized.joined(separator: ", ")). "
          + "You should probably TRAIN this model on a down-stream task before using it for predictions.")
    }
    if !unused.isEmpty {
      lines.append("Some checkpoint weights were not used: \(unused.joined(separator: ", ")).")
    }
    return lines.joined(separator: "\n")
  }
}

/// Checkpoint tensors that are buffers or tied copies, never parameters: ignored silently.
func isIgnorableCheckpointTensor(_ name: String) -> Bool {
  name.hasSuffix("position_ids") || name.hasSuffix("attn.bias") || name.hasSuffix("attn.masked_bias")
    || name.hasSuffix("predictions.decoder.weight") || name.hasSuffix("predictions.decoder.bias")
    || name == "lm_head.weight"
}

extension Module {
  /// Copies the tensors of `file` into this module's parameters, by name. `basePrefix` is the
  /// name of the base model inside a task model (`"bert"`, `"transformer"`), which checkpoints
  /// of the bare base model do not carry.
  @discardableResult
  public func load(from file: SafetensorsFile, basePrefix: String) throws -> LoadReport {
    var report = LoadReport()
    var used = Set<String>()
    for (name, parameter) in namedParameters() {
      let candidates = [
        name,
        name.hasPrefix(basePrefix + ".")
          ? String(name.dropFirst(basePrefix.count + 1)) : basePrefix + "." + name,
      ]
      guard let key = candidates.first(where: { file.entries[$0] != nil }) else {
        report.newlyInitialized.append(name)
        continue
      }
      let value = try file.tensor(key)
      guard value.shape == parameter.shape else {
        throw SafetensorsError(
          file.path,
          "tensor \"\(key)\" has shape \(value.shape) but the model's \(name) is \(parameter.shape)")
      }
      parameter.data = value.data
      used.insert(key)
      report.loaded += 1
    }
    report.unused = file.entries.keys.filter { !used.contains($0) && !isIgnorableCheckpointTensor($0) }
      .sorted()
    return report
  }

  /// Writes this module's parameters to `model.safetensors` in `directory`, atomically.
  public func saveWeights(to directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try SafetensorsFile.write(
      namedParameters().map { ($0.name, $0.tensor) },
      to: directory.appendingPathComponent("model.safetensors"))
  }
}

/// Reads `config.json` of a checkpoint directory.
func readConfig<C: Decodable>(_ type: C.Type, in directory: URL) throws -> C {
  let url = directory.appendingPathComponent("config.json")
  guard let data = try? Data(contentsOf: url) else {
    throw ConfigError("\(url.path): cannot read the file; a checkpoint directory needs config.json")
  }
  do { return try JSONDecoder().decode(C.self, from: data) } catch let DecodingError.typeMismatch(_, context)
  {
    throw ConfigError(
      "\(url.path): field \(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
  } catch {
    throw ConfigError("\(url.path): not a valid configuration (\(error))")
  }
}

/// Writes `config.json` (pretty, sorted keys) atomically, with Hugging Face's `architectures`.
func writeConfig<C: Encodable>(_ config: C, architecture: String, to directory: URL) throws {
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  var object = try JSONSerialization.jsonObject(with: encoder.encode(config)) as? [String: Any] ?? [:]
  object["architectures"] = [architecture]
  let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
  try data.write(to: directory.appendingPathComponent("config.json"), options: .atomic)
}

/// The weights file of a checkpoint directory.
func openWeights(in directory: URL) throws -> SafetensorsFile {
  let url = directory.appendingPathComponent("model.safetensors")
  guard FileManager.default.fileExists(atPath: url.path) else {
    throw SafetensorsError(url.path, "not found; the kit reads checkpoints in safetensors format")
  }
  return try SafetensorsFile(contentsOf: url)
}

/// A configuration read from `config.json`, which can say whether it makes sense.
public protocol ModelConfig: Codable {
  func validate() throws
}

extension BertConfig: ModelConfig {}
extension GPT2Config: ModelConfig {}

/// Reads a checkpoint directory: its configuration (changed by `adjust`, e.g. the number of
/// labels), a model made from it by `make`, and the weights loaded into that model.
func loadCheckpoint<C: ModelConfig, M: Module>(
  _ directory: URL, basePrefix: String, adjust: (inout C) -> Void = { _ in }, make: (C) -> M
) throws -> (model: M, report: LoadReport) {
  var config = try readConfig(C.self, in: directory)
  adjust(&config)
  try config.validate()
  let weights = try openWeights(in: directory)  // before allocating the model: fail fast
  let model = make(config)
  let report = try model.load(from: weights, basePrefix: basePrefix)
  return (model, report)
}

/// Writes `config.json` and `model.safetensors` of `module` to `directory`.
func saveCheckpoint<C: Encodable>(_ module: Module, config: C, architecture: String, to directory: URL) throws
{
  try writeConfig(config, architecture: architecture, to: directory)
  try module.saveWeights(to: directory)
}

extension BertModel {
  /// Loads a BERT checkpoint directory (Hugging Face layout) into a bare encoder.
  public static func fromPretrained(_ directory: URL) throws -> (model: BertModel, report: LoadReport) {
    try loadCheckpoint(directory, basePrefix: "bert") { BertModel($0) }
  }
}

extension BertForSequenceClassification {
  /// Loads a BERT checkpoint with a classification head of `numLabels` classes (or one per
  /// name in `labelNames`, stored as `id2label`); a head the checkpoint lacks is newly
  /// initialised (and reported). `classifierPooling` (`"cls"` or `"mean"`) overrides the
  /// checkpoint's choice of what the head reads.
  public static func fromPretrained(
    _ directory: URL, numLabels: Int? = nil, labelNames: [String]? = nil, classifierPooling: String? = nil,
    generator: Generator = .default
  ) throws -> (model: BertForSequenceClassification, report: LoadReport) {
    try loadCheckpoint(
      directory, basePrefix: "bert",
      adjust: { (c: inout BertConfig) in
        c.relabel(numLabels, labelNames)
        c.classifierPooling = classifierPooling ?? c.classifierPooling
      }
    ) {
      BertForSequenceClassification($0, generator: generator)
    }
  }

  /// Writes config.json and model.safetensors to `directory`.
  public func save(to directory: URL) throws {
    try saveCheckpoint(
      self, config: bert.config, architecture: "BertForSequenceClassification", to: directory)
  }
}

extension LabelledConfig {
  /// Applies a requested number of classes or class names to a checkpoint's configuration,
  /// dropping stored names that no longer fit.
  mutating func relabel(_ count: Int?, _ names: [String]?) {
    if let names {
      setLabels(names)
    } else if let count, count != numLabels || labelNames == nil {
      numLabels = count
      id2label = nil
      label2id = nil
    }
  }
}

extension BertForMaskedLM {
  /// Loads a BERT checkpoint with its masked-language-modelling head.
  public static func fromPretrained(_ directory: URL) throws -> (model: BertForMaskedLM, report: LoadReport) {
    try loadCheckpoint(directory, basePrefix: "bert") { BertForMaskedLM($0) }
  }

  /// Writes config.json and model.safetensors to `directory`.
  public func save(to directory: URL) throws {
    try saveCheckpoint(self, config: bert.config, architecture: "BertForMaskedLM", to: directory)
  }
}

extension GPT2LMHeadModel {
  /// Loads a GPT-2 checkpoint directory (Hugging Face layout).
  public static func fromPretrained(_ directory: URL) throws -> (model: GPT2LMHeadModel, report: LoadReport) {
    try loadCheckpoint(directory, basePrefix: "transformer") { GPT2LMHeadModel($0) }
  }

  /// Writes config.json and model.safetensors to `directory`.
  public func save(to directory: URL) throws {
    try saveCheckpoint(self, config: transformer.config, architecture: "GPT2LMHeadModel", to: directory)
  }
}

extension GPT2ForSequenceClassification {
  /// Loads a GPT-2 checkpoint with a classification head (`score`) of `numLabels` classes (or
  /// one per name in `labelNames`); a head the checkpoint lacks is newly initialised (and
  /// reported). `padTokenId` tells the head which token is padding, since GPT-2 checkpoints
  /// usually have none.
  public static func fromPretrained(
    _ directory: URL, numLabels: Int? = nil, labelNames: [String]? = nil, padTokenId: Int? = nil,
    generator: Generator = .default
  ) throws -> (model: GPT2ForSequenceClassification, report: LoadReport) {
    try loadCheckpoint(
      directory, basePrefix: "transformer",
      adjust: { (c: inout GPT2Config) in
        c.relabel(numLabels, labelNames)
        c.padTokenId = padTokenId ?? c.padTokenId
      }
    ) {
      GPT2ForSequenceClassification($0, generator: generator)
    }
  }

  /// Writes config.json and model.safetensors to `directory`.
  public func save(to directory: URL) throws {
    try saveCheckpoint(
      self, config: transformer.config, architecture: "GPT2ForSequenceClassification", to: directory)
  }
}
