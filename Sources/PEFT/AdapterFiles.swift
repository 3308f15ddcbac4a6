// A saved adapter, in PEFT's layout: a directory with
//
//   adapter_config.json         the method and its settings, and `base_model_name_or_path`
//   adapter_model.safetensors   the adapter's tensors only (and the head's): a few KB to MB
//
// Tensor names are PEFT's: `base_model.model.<module path>.lora_A.weight` / `.lora_B.weight`
// for LoRA, `prompt_embeddings` for prompt and prefix tuning, and the head under its own path
// (`base_model.model.classifier.weight`; `base_model.classifier.weight` for the prompt methods).
// So `PeftModel.from_pretrained(base, dir)` in Python loads an adapter the kit saved, and the
// kit loads one PEFT saved (Tests/PEFTTests check both against scripts/golden_peft.py).

import FileInput
import Foundation
import Models
import TensorCore
import Tokenizers
import Training

extension PeftModel {
  /// Writes `adapter_config.json` and `adapter_model.safetensors` to `directory` (PEFT's
  /// `save_pretrained`). The base model is not written: the configuration names its directory.
  public func savePretrained(_ directory: URL) throws {
    let (layers, heads, hidden) = base.transformerShape
    var targets: [String]?
    if case .lora(let lora) = peftConfig {
      targets = lora.targetModules ?? LoraConfig.defaultTargetModules(modelType: base.modelType)
    }
    let json = peftConfig.json(
      baseModelNameOrPath: baseModelNameOrPath, targetModules: targets,
      modulesToSave: modulesToSave.isEmpty ? nil : modulesToSave, fanInFanOut: base.modelType == "gpt2",
      layers: layers, heads: heads, tokenDim: hidden)
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      let data = try JSONSerialization.data(
        withJSONObject: json, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
      try data.write(to: directory.appendingPathComponent(adapterConfigName), options: .atomic)
      var tensors = adapterStateDict()
      if let prefixEncoder {  // the prefixes themselves, as PEFT saves them (the MLP's output)
        tensors =
          tensors.filter { $0.name != "prompt_embeddings" } + [
            ("prompt_embeddings", noGrad { prefixEncoder.table() })
          ]
      }
      try SafetensorsFile.write(tensors, to: directory.appendingPathComponent(adapterWeightsName))
    } catch let error as PeftError {
      throw error
    } catch {
      throw PeftError("\(directory.path): cannot save the adapter (\(error))")
    }
  }

  /// `model` with the adapter saved in `directory` (PEFT's `PeftModel.from_pretrained`). As in
  /// PEFT the loaded adapter is frozen, for inference, unless `isTrainable`. A prefix adapter
  /// saved with the reparameterisation loads as its table of prefixes (what PEFT saves).
  public static func fromPretrained(
    _ model: any PeftAdaptable, _ directory: URL, isTrainable: Bool = false
  ) throws -> PeftModel {
    var (config, basePath) = try readAdapterConfig(directory)
    if case .prefixTuning(var prefix) = config, prefix.prefixProjection {
      prefix.prefixProjection = false
      config = .prefixTuning(prefix)
    }
    let peft = try getPeftModel(model, config)
    peft.baseModelNameOrPath = basePath
    let weightsURL = directory.appendingPathComponent(adapterWeightsName)
    guard FileManager.default.fileExists(atPath: weightsURL.path) else {
      throw PeftError(
        "\(weightsURL.path): no such file (an adapter directory holds \(adapterConfigName) and \(adapterWeightsName))"
      )
    }
    let file = try SafetensorsFile(contentsOf: weightsURL)
    var used = Set<String>()
    for (name, tensor) in peft.adapterStateDict() {
      guard file.entries[name] != nil else {
        throw PeftError(
          "\(weightsURL.path): no tensor \"\(name)\"; the adapter does not fit this model (it has \(file.entries.keys.sorted().prefix(3).joined(separator: ", ")), …)"
        )
      }
      let value = try file.tensor(name)
      guard value.shape == tensor.shape else {
        throw PeftError(
          "\(weightsURL.path): tensor \"\(name)\" is \(value.shape), the model's is \(tensor.shape)")
      }
      guard value.data.allSatisfy(\.isFinite) else {
        throw PeftError("\(weightsURL.path): tensor \"\(name)\" holds NaN or infinite values")
      }
      tensor.data = value.data
      used.insert(name)
    }
    if let extra = file.entries.keys.sorted().first(where: { !used.contains($0) }) {
      throw PeftError("\(weightsURL.path): tensor \"\(extra)\" has no place in the adapted model")
    }
    if !isTrainable { peft.freeze() }
    return peft
  }
}

/// The configuration in `directory/adapter_config.json` and the base model's path it names.
public func readAdapterConfig(_ directory: URL) throws -> (PeftConfig, base: String?) {
  let url = directory.appendingPathComponent(adapterConfigName)
  guard let data = FileManager.default.contents(atPath: url.path) else {
    throw PeftError("\(url.path): no such file; is \(directory.path) an adapter directory?")
  }
  guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
    throw PeftError("\(url.path): not a JSON object")
  }
  // PEFT's json.load keeps a repeated key's last value (say a second "r"); the kit refuses to rely
  // on its own parser doing the same on every platform.
  if let duplicate = firstDuplicateJSONKey(in: data) { throw PeftError("\(url.path): \(duplicate)") }
  return try PeftConfig.read(object, path: url.path)
}

/// Whether `directory` holds an adapter (an `adapter_config.json`) rather than a full model.
public func isAdapterDirectory(_ directory: URL) -> Bool {
  FileManager.default.fileExists(atPath: directory.appendingPathComponent(adapterConfigName).path)
}

/// The base model directory an adapter names: `base_model_name_or_path` as given (absolute, or
/// relative to the working directory), else relative to the adapter's parent directory.
public func resolveBaseModel(of directory: URL) throws -> URL {
  let (_, base) = try readAdapterConfig(directory)
  guard let base, !base.isEmpty else {
    throw PeftError(
      "\(directory.appendingPathComponent(adapterConfigName).path): base_model_name_or_path is empty")
  }
  let candidates = [
    URL(fileURLWithPath: base), directory.deletingLastPathComponent().appendingPathComponent(base),
  ]
  for candidate in candidates
  where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("config.json").path) {
    return candidate
  }
  throw PeftError(
    "\(directory.appendingPathComponent(adapterConfigName).path): base_model_name_or_path \"\(base)\" is not a model directory (no config.json there)"
  )
}

/// The classifier an adapter directory describes: its base model loaded (with the labels the
/// adapter's head was trained for) and the adapter applied, frozen, for prediction.
public func loadAdapterClassifier(
  _ directory: URL, labelNames: [String]? = nil, maxLength: Int = 128
) throws -> (model: PeftModel, base: PretrainedClassifier) {
  let baseURL = try resolveBaseModel(of: directory)
  let loaded = try PretrainedClassifier.fromPretrained(baseURL, labelNames: labelNames, maxLength: maxLength)
  guard let adaptable = loaded.model as? any PeftAdaptable else {
    throw PeftError("\(baseURL.path): a \(loaded.modelType) classifier cannot take an adapter")
  }
  let peft = try PeftModel.fromPretrained(adaptable, directory)
  peft.baseModelNameOrPath = baseURL.path
  return (peft, loaded)
}
