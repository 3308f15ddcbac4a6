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
//
// A few checkpoint tensors are stored transposed: GPT-2's four projection weights are (in, out),
// as OpenAI's `Conv1D` kept them, while the kit uses one `Linear` with weight (out, in). A model
// lists them (`TransposedCheckpointWeights`) and loading and saving transpose exactly those, so
// checkpoints keep Hugging Face's names and layout byte for byte (nanoGPT's `from_pretrained`).

import FileInput
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
    || name == "lm_head.weight" || name.hasSuffix("lm_head.decoder.weight")
    || name.hasSuffix("lm_head.decoder.bias")
}

/// A module whose checkpoints store some of its weights transposed.
public protocol TransposedCheckpointWeights: Module {
  /// Name suffixes, relative to this module, of the weights a checkpoint stores transposed
  /// (nanoGPT's `transposed` list).
  var transposedInCheckpoint: [String] { get }
}

/// A (rows, columns) tensor's transpose, as a new tensor outside any graph.
func transposedCopy(_ t: Tensor) -> Tensor {
  let (rows, columns) = (t.shape[0], t.shape[1])
  var result = [Float](repeating: 0, count: t.count)
  t.data.withUnsafeBufferPointer { source in
    for r in 0..<rows { for c in 0..<columns { result[c * rows + r] = source[r * columns + c] } }
  }
  return Tensor(result, shape: [columns, rows])
}

extension Module {
  /// The full names (as `namedParameters()` gives them) of the parameters a checkpoint stores
  /// transposed, collected from every `TransposedCheckpointWeights` submodule.
  public func checkpointTransposedNames() -> Set<String> {
    var names = Set<String>()
    for (path, module) in namedModules() {
      guard let suffixes = (module as? any TransposedCheckpointWeights)?.transposedInCheckpoint else {
        continue
      }
      for (name, t) in module.namedParameters() where t.rank == 2 && suffixes.contains(where: name.hasSuffix)
      {
        names.insert(path.isEmpty ? name : path + "." + name)
      }
    }
    return names
  }

  /// Copies the tensors of `file` into this module's parameters and persistent buffers
  /// (`stateDict()`), by name. `basePrefix` is the
  /// name of the base model inside a task model (`"bert"`, `"transformer"`), which checkpoints
  /// of the bare base model do not carry.
  @discardableResult
  public func load(from file: SafetensorsFile, basePrefix: String) throws -> LoadReport {
    var report = LoadReport()
    var used = Set<String>()
    let transposed = checkpointTransposedNames()
    for (name, parameter) in stateDict() {
      let candidates = [
        name,
        name.hasPrefix(basePrefix + ".")
          ? String(name.dropFirst(basePrefix.count + 1)) : basePrefix + "." + name,
      ]
      guard let key = candidates.first(where: { file.entries[$0] != nil }) else {
        report.newlyInitialized.append(name)
        continue
      }
      var value = try file.tensor(key)
      if transposed.contains(name) {
        let stored = [parameter.shape[1], parameter.shape[0]]  // (in, out)
        guard value.shape == stored else {
          throw SafetensorsError(
            file.path,
            "tensor \"\(key)\" has shape \(value.shape) but the model's \(name) is stored (in, out) as \(stored)"
          )
        }
        value = transposedCopy(value)
      }
      guard value.shape == parameter.shape else {
        throw SafetensorsError(
          file.path,
          "tensor \"\(key)\" has shape \(value.shape) but the model's \(name) is \(parameter.shape)")
      }
      if let bad = value.data.firstIndex(where: { !$0.isFinite }) {
        throw SafetensorsError(
          file.path,
          "tensor \"\(key)\" holds \(value.data[bad]) at flat index \(bad): a checkpoint with NaN or infinite weights is refused (the run that saved it had diverged)"
        )
      }
      parameter.data = value.data
      used.insert(key)
      report.loaded += 1
    }
    report.unused = file.entries.keys.filter { !used.contains($0) && !isIgnorableCheckpointTensor($0) }
      .sorted()
    return report
  }

  /// Writes this module's parameters and persistent buffers (`stateDict()`) to
  /// `model.safetensors` in `directory`, atomically, in the
  /// checkpoint's layout (the weights of `checkpointTransposedNames()` transposed).
  public func saveWeights(to directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let transposed = checkpointTransposedNames()
    try SafetensorsFile.write(
      stateDict().map {
        ($0.name, transposed.contains($0.name) ? transposedCopy($0.tensor) : $0.tensor)
      },
      to: directory.appendingPathComponent("model.safetensors"))
  }
}

/// The warnings already printed by `warnOnce`.
nonisolated(unsafe) private var printedWarnings = Set<String>()
private let printedWarningsLock = NSLock()

/// Prints `message` to standard error the first time this process asks with `key` (a Trainer
/// saving every epoch says it once).
func warnOnce(_ key: String, _ message: String) {
  let first = printedWarningsLock.withLock { printedWarnings.insert(key).inserted }
  if first { FileHandle.standardError.write(Data((message + "\n").utf8)) }
}

/// Reads `config.json` of a checkpoint directory (transformers' `AutoConfig.from_pretrained`
/// for one class): errors name the file and the field; a key repeated in one object is refused.
public func readConfig<C: Decodable>(_ type: C.Type, in directory: URL) throws -> C {
  let url = directory.appendingPathComponent("config.json")
  guard let data = try? Data(contentsOf: url) else {
    throw ConfigError(
      "\(url.path): \(permissionProblem(reading: url.path) ?? "cannot read the file"); a checkpoint directory needs config.json"
    )
  }
  if let duplicate = firstDuplicateJSONKey(in: data) { throw ConfigError("\(url.path): \(duplicate)") }
  do { return try JSONDecoder().decode(C.self, from: data) } catch let DecodingError.typeMismatch(_, context)
  {
    throw ConfigError(
      "\(url.path): field \(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
  } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
    throw ConfigError(
      "\(url.path): field \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
    )
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

/// A model in Hugging Face's checkpoint layout: made from a configuration, loaded from and
/// saved to a directory (`config.json` + `model.safetensors`).
public protocol PretrainedModel: Module {
  associatedtype Config: ModelConfig
  /// The class name transformers knows this model by (`architectures` in config.json).
  static var architecture: String { get }
  /// The base model's name inside a task model (`"bert"`, `"transformer"`), which checkpoints
  /// of the bare base model do not carry.
  static var basePrefix: String { get }
  /// The configuration the model was made from.
  var config: Config { get }
  /// A freshly initialised model for `config` (transformers' `from_config`).
  static func fromConfig(_ config: Config, generator: Generator) -> Self
}

extension PretrainedModel {
  /// Reads a checkpoint directory: its configuration (changed by `adjust`, e.g. the number of
  /// labels), a model made from it, and the weights loaded into that model.
  static func loadCheckpoint(
    _ directory: URL, generator: Generator, adjust: (inout Config) -> Void = { _ in }
  ) throws -> (model: Self, loadingInfo: LoadReport) {
    var config = try readConfig(Config.self, in: directory)
    adjust(&config)
    try config.validate()
    let weights = try openWeights(in: directory)  // before allocating the model: fail fast
    // Weights the checkpoint provides are not drawn first (DeferredInitialization); the others
    // get the numbers an eager build would have given them, and the generators end in the same
    // state.
    let (model, deferred) = DeferredInitialization.record { fromConfig(config, generator: generator) }
    let report = try model.load(from: weights, basePrefix: basePrefix)
    let fresh = Set(report.newlyInitialized)
    deferred.finish(loaded: model.stateDict().filter { !fresh.contains($0.name) }.map(\.tensor))
    return (model, report)
  }

  /// Loads a checkpoint directory (Hugging Face layout); weights it lacks are newly
  /// initialised from `generator`.
  public static func fromPretrained(_ directory: URL, generator: Generator = .default) throws -> Self {
    try loadCheckpoint(directory, generator: generator).model
  }

  /// Loads a checkpoint directory given as a path.
  public static func fromPretrained(_ path: String, generator: Generator = .default) throws -> Self {
    try fromPretrained(URL(fileURLWithPath: path), generator: generator)
  }

  /// Loads a checkpoint directory and says what was loaded, what was newly initialised and
  /// what the model did not use (transformers' `output_loading_info=True`; the flag selects
  /// this form).
  public static func fromPretrained(
    _ directory: URL, generator: Generator = .default, outputLoadingInfo: Bool
  ) throws -> (model: Self, loadingInfo: LoadReport) {
    try loadCheckpoint(directory, generator: generator)
  }

  /// Loads a checkpoint directory given as a path, with the loading report.
  public static func fromPretrained(
    _ path: String, generator: Generator = .default, outputLoadingInfo: Bool
  ) throws -> (model: Self, loadingInfo: LoadReport) {
    try loadCheckpoint(URL(fileURLWithPath: path), generator: generator)
  }

  /// Writes config.json (with `architectures`) and model.safetensors to `directory`.
  /// A sequence classifier whose head transformers computes differently (BERT or RoBERTa with
  /// mean pooling) also prints the config's `transformersMismatch` to standard error, once per
  /// process.
  public func save(to directory: URL) throws {
    try writeConfig(config, architecture: Self.architecture, to: directory)
    try saveWeights(to: directory)
    if Self.architecture.hasSuffix("ForSequenceClassification"),
      let warning = (config as? BertConfig)?.transformersMismatch
        ?? (config as? RobertaConfig)?.transformersMismatch
    {
      warnOnce(warning, "saving a \(Self.architecture): \(warning)")
    }
  }

  /// Writes config.json and model.safetensors to the directory at `path`.
  public func save(to path: String) throws { try save(to: URL(fileURLWithPath: path)) }

  /// `Self.basePrefix`, for code that holds the model as an existential.
  public var basePrefix: String { Self.basePrefix }
}

extension BertModel: PretrainedModel {
  public static var architecture: String { "BertModel" }
  public static var basePrefix: String { "bert" }
  public static func fromConfig(_ config: BertConfig, generator: Generator = .default) -> Self {
    Self(config, generator: generator)
  }
}

extension BertForMaskedLM: PretrainedModel {
  public static var architecture: String { "BertForMaskedLM" }
  public static var basePrefix: String { "bert" }
  public var config: BertConfig { bert.config }
  public static func fromConfig(_ config: BertConfig, generator: Generator = .default) -> Self {
    Self(config, generator: generator)
  }
}

extension BertForSequenceClassification: PretrainedModel {
  public static var architecture: String { "BertForSequenceClassification" }
  public static var basePrefix: String { "bert" }
  public var config: BertConfig { bert.config }
  public static func fromConfig(_ config: BertConfig, generator: Generator = .default) -> Self {
    Self(config, generator: generator)
  }

  /// Loads a BERT checkpoint with a classification head of `numLabels` classes (or one per
  /// name in `labelNames`, stored as `id2label`); a head the checkpoint lacks is newly
  /// initialised (and reported). `classifierPooling` (`"cls"` or `"mean"`) overrides the
  /// checkpoint's choice of what the head reads.
  public static func fromPretrained(
    _ directory: URL, numLabels: Int? = nil, labelNames: [String]? = nil, classifierPooling: String? = nil,
    generator: Generator = .default
  ) throws -> BertForSequenceClassification {
    try fromPretrained(
      directory, numLabels: numLabels, labelNames: labelNames, classifierPooling: classifierPooling,
      generator: generator, outputLoadingInfo: true
    ).model
  }

  /// The same, from a path.
  public static func fromPretrained(
    _ path: String, numLabels: Int? = nil, labelNames: [String]? = nil, classifierPooling: String? = nil,
    generator: Generator = .default
  ) throws -> BertForSequenceClassification {
    try fromPretrained(
      URL(fileURLWithPath: path), numLabels: numLabels, labelNames: labelNames,
      classifierPooling: classifierPooling, generator: generator)
  }

  /// The same, from a path, with the loading report.
  public static func fromPretrained(
    _ path: String, numLabels: Int? = nil, labelNames: [String]? = nil, classifierPooling: String? = nil,
    generator: Generator = .default, outputLoadingInfo: Bool
  ) throws -> (model: BertForSequenceClassification, loadingInfo: LoadReport) {
    try fromPretrained(
      URL(fileURLWithPath: path), numLabels: numLabels, labelNames: labelNames,
      classifierPooling: classifierPooling,
      generator: generator, outputLoadingInfo: true)
  }

  /// The same, with the loading report (transformers' `output_loading_info=True`).
  public static func fromPretrained(
    _ directory: URL, numLabels: Int? = nil, labelNames: [String]? = nil, classifierPooling: String? = nil,
    generator: Generator = .default, outputLoadingInfo: Bool
  ) throws -> (model: BertForSequenceClassification, loadingInfo: LoadReport) {
    try loadCheckpoint(directory, generator: generator) { config in
      config.relabel(numLabels, labelNames)
      config.classifierPooling = classifierPooling ?? config.classifierPooling
    }
  }
}

extension GPT2Model: PretrainedModel {
  public static var architecture: String { "GPT2Model" }
  public static var basePrefix: String { "transformer" }
  public static func fromConfig(_ config: GPT2Config, generator: Generator = .default) -> Self {
    Self(config, generator: generator)
  }
}

extension GPT2LMHeadModel: PretrainedModel {
  public static var architecture: String { "GPT2LMHeadModel" }
  public static var basePrefix: String { "transformer" }
  public var config: GPT2Config { transformer.config }
  public static func fromConfig(_ config: GPT2Config, generator: Generator = .default) -> Self {
    Self(config, generator: generator)
  }
}

extension GPT2ForSequenceClassification: PretrainedModel {
  public static var architecture: String { "GPT2ForSequenceClassification" }
  public static var basePrefix: String { "transformer" }
  public var config: GPT2Config { transformer.config }
  public static func fromConfig(_ config: GPT2Config, generator: Generator = .default) -> Self {
    Self(config, generator: generator)
  }

  /// Loads a GPT-2 checkpoint with a classification head (`score`) of `numLabels` classes (or
  /// one per name in `labelNames`); a head the checkpoint lacks is newly initialised (and
  /// reported). `padTokenId` tells the head which token is padding when no attention mask is
  /// given, since GPT-2 checkpoints usually have none.
  public static func fromPretrained(
    _ directory: URL, numLabels: Int? = nil, labelNames: [String]? = nil, padTokenId: Int? = nil,
    generator: Generator = .default
  ) throws -> GPT2ForSequenceClassification {
    try fromPretrained(
      directory, numLabels: numLabels, labelNames: labelNames, padTokenId: padTokenId, generator: generator,
      outputLoadingInfo: true
    ).model
  }

  /// The same, from a path.
  public static func fromPretrained(
    _ path: String, numLabels: Int? = nil, labelNames: [String]? = nil, padTokenId: Int? = nil,
    generator: Generator = .default
  ) throws -> GPT2ForSequenceClassification {
    try fromPretrained(
      URL(fileURLWithPath: path), numLabels: numLabels, labelNames: labelNames, padTokenId: padTokenId,
      generator: generator)
  }

  /// The same, from a path, with the loading report.
  public static func fromPretrained(
    _ path: String, numLabels: Int? = nil, labelNames: [String]? = nil, padTokenId: Int? = nil,
    generator: Generator = .default, outputLoadingInfo: Bool
  ) throws -> (model: GPT2ForSequenceClassification, loadingInfo: LoadReport) {
    try fromPretrained(
      URL(fileURLWithPath: path), numLabels: numLabels, labelNames: labelNames, padTokenId: padTokenId,
      generator: generator, outputLoadingInfo: true)
  }

  /// The same, with the loading report (transformers' `output_loading_info=True`).
  public static func fromPretrained(
    _ directory: URL, numLabels: Int? = nil, labelNames: [String]? = nil, padTokenId: Int? = nil,
    generator: Generator = .default, outputLoadingInfo: Bool
  ) throws -> (model: GPT2ForSequenceClassification, loadingInfo: LoadReport) {
    try loadCheckpoint(directory, generator: generator) { config in
      config.relabel(numLabels, labelNames)
      config.padTokenId = padTokenId ?? config.padTokenId
    }
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
