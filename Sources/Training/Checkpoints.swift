// Trainer checkpoints in Hugging Face's layout: `output_dir/checkpoint-N/` holds the model
// (config.json, model.safetensors, the tokenizer's files) and what resuming needs: the
// optimizer's moving averages, the random state, trainer_state.json and training_args.json.
// A checkpoint is written to a temporary directory and renamed into place, so a run killed
// mid-save never leaves a half-written checkpoint-N behind. The optimizer state is saved for
// AdamW (the default); a run with another optimizer saves none and cannot be resumed.

import FileInput
import Foundation
import Models
import TensorCore

extension Trainer {
  /// Writes the model (config.json, model.safetensors), the tokenizer's files (through
  /// `tokenizer`) and training_args.json to `directory` (default: `output_dir`), as
  /// transformers' `trainer.save_model`: a directory `fromPretrained` can load.
  public func saveModel(to directory: URL? = nil) throws {
    let directory = directory ?? outputDirectory
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try model.save(to: directory)
      try tokenizer?.save(to: directory)
      try writeJSON(args, to: directory.appendingPathComponent("training_args.json"))
    } catch let error as TrainerError {
      throw error
    } catch {
      throw TrainerError("\(directory.path): cannot save the model (\(error))")
    }
  }

  /// Saves `checkpoint-<step>` and drops old ones beyond `save_total_limit`.
  func saveCheckpoint(optimizer: any Optimizer) throws {
    let name = "checkpoint-\(state.globalStep)"
    let manager = FileManager.default
    let final = outputDirectory.appendingPathComponent(name)
    let temporary = outputDirectory.appendingPathComponent(".\(name).partial")
    do {
      try manager.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
      try? manager.removeItem(at: temporary)
      try manager.createDirectory(at: temporary, withIntermediateDirectories: true)
      try saveModel(to: temporary)
      if let adamW = optimizer as? AdamW {
        try saveOptimizer(adamW, to: temporary.appendingPathComponent("optimizer.safetensors"))
      }
      try writeJSON(Generator.default.state, to: temporary.appendingPathComponent("rng_state.json"))
      try writeJSON(state, to: temporary.appendingPathComponent("trainer_state.json"))
      if manager.fileExists(atPath: final.path) { try manager.removeItem(at: final) }
      try manager.moveItem(at: temporary, to: final)
    } catch {
      throw TrainerError("\(final.path): cannot save the checkpoint (\(error.localizedDescription))")
    }
    try rotateCheckpoints()
    notify { $0.onSave(args: args, state: state, control: &$1) }
  }

  /// Deletes the oldest checkpoints beyond `save_total_limit`, never the best or the newest.
  func rotateCheckpoints() throws {
    guard let limit = args.saveTotalLimit else { return }
    let steps = checkpointSteps()
    let keep = Set(
      [steps.last].compactMap { $0 }.map(checkpointPath) + [state.bestModelCheckpoint].compactMap { $0 })
    var excess = steps.count - max(limit, keep.count)
    for step in steps where excess > 0 && !keep.contains(checkpointPath(step)) {
      // Renamed first: a run killed mid-deletion leaves a dot-folder, never a checkpoint-N
      // with some of its files gone.
      let doomed = outputDirectory.appendingPathComponent(".checkpoint-\(step).deleting").path
      try? FileManager.default.removeItem(atPath: doomed)
      try FileManager.default.moveItem(atPath: checkpointPath(step), toPath: doomed)
      try FileManager.default.removeItem(atPath: doomed)
      excess -= 1
    }
  }

  func checkpointPath(_ step: Int) -> String {
    outputDirectory.appendingPathComponent("checkpoint-\(step)").path
  }

  /// The steps of the checkpoints in the output directory, oldest first.
  func checkpointSteps() -> [Int] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: outputDirectory.path)) ?? []
    return names.compactMap { $0.hasPrefix("checkpoint-") ? Int($0.dropFirst("checkpoint-".count)) : nil }
      .sorted()
  }

  /// The newest checkpoint in the output directory, if any (to resume the last run).
  public var lastCheckpoint: URL? {
    checkpointSteps().last.map { URL(fileURLWithPath: checkpointPath($0)) }
  }

  /// Restores the weights, optimizer, random state and trainer state of `checkpoint`.
  func restore(from checkpoint: URL, optimizer: any Optimizer) throws {
    let stateURL = checkpoint.appendingPathComponent("trainer_state.json")
    guard let data = FileManager.default.contents(atPath: stateURL.path) else {
      throw TrainerError(
        "\(stateURL.path): not found; resume from a checkpoint-N directory that a Trainer saved")
    }
    // Written by the kit, but a file a user may edit: transformers' Trainer keeps a repeated key's
    // last value, JSONDecoder the first.
    if let duplicate = firstDuplicateJSONKey(in: data) {
      throw TrainerError("\(stateURL.path): \(duplicate)")
    }
    do { state = try JSONDecoder().decode(TrainerState.self, from: data) } catch {
      throw TrainerError("\(stateURL.path): not a trainer state (\(error))")
    }
    try loadWeights(from: checkpoint)
    guard let adamW = optimizer as? AdamW else {
      throw TrainerError(
        "\(checkpoint.path): resuming needs the optimizer's state, and checkpoints hold AdamW's only (this run uses \(type(of: optimizer)))"
      )
    }
    try loadOptimizer(adamW, from: checkpoint.appendingPathComponent("optimizer.safetensors"))
    let rngURL = checkpoint.appendingPathComponent("rng_state.json")
    guard let rng = FileManager.default.contents(atPath: rngURL.path),
      let saved = try? JSONDecoder().decode(Generator.State.self, from: rng), saved.words.count == 4
    else {
      throw TrainerError("\(rngURL.path): missing or not a random state (4 state words and a seed)")
    }
    Generator.default.state = saved
  }

  /// Loads model weights from a checkpoint directory; every parameter must be there.
  func loadWeights(from checkpoint: URL) throws {
    let url = checkpoint.appendingPathComponent("model.safetensors")
    let report = try model.load(from: SafetensorsFile(contentsOf: url), basePrefix: model.basePrefix)
    if !report.newlyInitialized.isEmpty {
      throw TrainerError(
        "\(url.path): lacks \(report.newlyInitialized.joined(separator: ", ")); it is not a checkpoint of this model"
      )
    }
  }

  /// AdamW's state as safetensors: `state.<i>.exp_avg` and `.exp_avg_sq` per parameter (in
  /// group order, PyTorch's names), step counts in the metadata.
  func saveOptimizer(_ optimizer: AdamW, to url: URL) throws {
    var tensors: [(name: String, tensor: Tensor)] = []
    var metadata = ["format": "pt", "parameters": "\(optimizer.parameterStates.count)"]
    for (i, saved) in optimizer.parameterStates.enumerated() {
      guard let saved else { continue }
      tensors.append(("state.\(i).exp_avg", Tensor(saved.m, shape: [saved.m.count])))
      tensors.append(("state.\(i).exp_avg_sq", Tensor(saved.v, shape: [saved.v.count])))
      metadata["state.\(i).step"] = "\(saved.step)"
    }
    try SafetensorsFile.write(tensors, metadata: metadata, to: url)
  }

  func loadOptimizer(_ optimizer: AdamW, from url: URL) throws {
    let file = try SafetensorsFile(contentsOf: url)
    let sizes = optimizer.groups.flatMap(\.parameters).map(\.count)
    guard file.metadata["parameters"] == "\(sizes.count)" else {
      throw TrainerError(
        "\(url.path): optimizer state for \(file.metadata["parameters"] ?? "?") parameters, the model has \(sizes.count)"
      )
    }
    optimizer.parameterStates = try sizes.enumerated().map { i, size -> AdamW.ParameterState? in
      guard let stepText = file.metadata["state.\(i).step"] else { return nil }
      let m = try file.tensor("state.\(i).exp_avg")
      let v = try file.tensor("state.\(i).exp_avg_sq")
      guard let step = Int(stepText), step >= 0, m.count == size, v.count == size else {
        throw TrainerError("\(url.path): state \(i) does not fit its parameter of \(size) values")
      }
      return AdamW.ParameterState(step: step, m: m.data, v: v.data)
    }
  }
}

/// Writes `value` as pretty JSON with sorted keys, atomically.
func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  try encoder.encode(value).write(to: url, options: .atomic)
}
