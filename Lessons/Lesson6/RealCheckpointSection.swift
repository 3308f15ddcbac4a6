// Lesson 6, section 8 (opt-in, `--real DIR`): section 4's freezing arms on a real checkpoint,
// MiniLM-L3 (three layers, 17 million parameters) fine-tuned on SST-2, with the recipe
// `course finetune` uses, so each arm matches a command line and PyTorch's version of it
// (scripts/freezing_reference.py). It takes minutes, so the default run only says how to ask.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// One arm on the real checkpoint: its `course finetune` option and how it sets the model up
/// for a run of `steps` optimizer steps.
struct RealArm {
  var name: String
  var key: String
  var option: String
  var prepare: (any SequenceClassifier, _ steps: Int) -> RunSetup
}

/// The real arms, as `course finetune`'s options and scripts/freezing_reference.py define them.
@MainActor let realArms: [RealArm] = [
  RealArm(name: "head only", key: "head", option: "--freeze-base") { model, _ in
    freezeBase(model, basePrefix: model.basePrefix)
    return RunSetup()
  },
  RealArm(name: "embeddings + first 2 layers frozen", key: "layers2", option: "--freeze-layers 2") {
    model, _ in
    freezeLayers(model, count: 2)
    return RunSetup()
  },
  RealArm(name: "full", key: "full", option: "(none)") { _, _ in RunSetup() },
  RealArm(name: "full, layer-wise decay 0.8", key: "llrd", option: "--layerwise-lr-decay 0.8") { model, _ in
    RunSetup(optimizer: makeLayerwiseAdamW(model, learningRate: 1e-4, decay: 0.8, weightDecay: 0))
  },
  RealArm(name: "gradual unfreezing", key: "gradual", option: "(lesson only)") { model, steps in
    // One epoch: the stages go by steps, so that every depth is open before the end. The
    // Trainer builds its AdamW before the callback first freezes, so it holds every parameter.
    RunSetup(callbacks: [
      GradualUnfreezingCallback(
        model: model,
        stepsPerStage: GradualUnfreezingCallback.stepsPerStage(
          totalSteps: steps, layers: encoderLayerCount(model)))
    ])
  },
]

/// The files `--real DIR` needs, relative to DIR.
let realFiles = [
  "minilm-l3/config.json", "minilm-l3/model.safetensors", "sst2/stsa.binary.train", "sst2/stsa.binary.dev",
]

/// Section 8: the real arms when `--real DIR` names a directory with `realFiles`, else a note.
@MainActor func realCheckpointSection() throws {
  nb.section("8. The same arms on a real checkpoint (--real)")
  let path = options.string("real")
  let trainLimit = quick ? 256 : 2000
  let recipeText =
    "one epoch over the first \(trainLimit) SST-2 training sentences, learning rate 1e-4, batch 32, at most 64 tokens, [CLS] pooling, one thread"
  guard !path.isEmpty else {
    nb.narrate(
      """
      Section 4's task is small and its model tiny. `swift run Lesson6 -- --real \
      ../shared/data/real` runs the freezing arms again on MiniLM-L3 (three layers, 17 \
      million parameters) and SST-2 when they are there: \(recipeText), as `course finetune` \
      and scripts/freezing_reference.py (PyTorch) run them. It takes minutes; this run did not \
      ask for it.
      """)
    return
  }
  let root = URL(fileURLWithPath: path)
  let missing = realFiles.filter {
    !FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path)
  }
  guard missing.isEmpty else {
    nb.output(
      "--real \(path): skipped, no \(missing.joined(separator: ", ")) there (expected MiniLM-L3 and SST-2)")
    nb.record("real_freezing", .object(["skipped": .string("missing \(missing.joined(separator: ", "))")]))
    return
  }
  let read = { (name: String) in
    try readExamples(root.appendingPathComponent("sst2/\(name)"), format: .labelText).examples
  }
  let trainRows = Array(try read("stsa.binary.train").prefix(trainLimit))
  let devRows = try read("stsa.binary.dev")
  let labels = LabelMap(from: trainRows).labels
  let sst2Train = try TextClassificationDataset(trainRows.map { ($0.text, $0.label) }, labelNames: labels)
  let sst2Dev = try TextClassificationDataset(devRows.map { ($0.text, $0.label) }, labelNames: labels)
  nb.narrate(
    """
    MiniLM-L3 from \(path), \(recipeText), \(sst2Dev.count) validation sentences; no warm-up or \
    weight decay, clipping at norm 1 (`course finetune`'s defaults). Gradual unfreezing cannot \
    open one depth per epoch in a single epoch, so it opens one every \
    ⌈steps / (layers + 2)⌉ steps (`GradualUnfreezingCallback(model:stepsPerStage:)`).
    """)
  let threads = Threads.count
  Threads.count = 1
  defer { Threads.count = threads }
  var rows: [[String]] = []
  var record: [String: JSONValue] = [:]
  var accuracies: [(name: String, accuracy: Double)] = []
  let steps = (sst2Train.count + 31) / 32
  let bar = nb.progress("real arms", total: realArms.count)
  for (i, arm) in realArms.enumerated() {
    manualSeed(options.seed)
    let loaded = try PretrainedClassifier.fromPretrained(
      root.appendingPathComponent("minilm-l3"), labelNames: labels, maxLength: 64)
    var args = TrainingArguments(
      outputDir: runs.appendingPathComponent("real").path, numTrainEpochs: 1, perDeviceTrainBatchSize: 32,
      learningRate: 1e-4)
    (args.perDeviceEvalBatchSize, args.seed, args.saveStrategy) = (64, options.seed, .no)
    args.disableTqdm = true
    let setup = arm.prepare(loaded.model, steps)
    let trainable = loaded.model.parameterCount(trainableOnly: true)
    let trainer = try Trainer(
      model: loaded.model, args: args, trainDataset: sst2Train, evalDataset: sst2Dev,
      dataCollator: loaded.collator, computeMetrics: classificationMetrics, callbacks: setup.callbacks,
      optimizers: (setup.optimizer, nil))
    let output = try trainer.train()
    let dev = try trainer.evaluate()
    let fitted = try trainer.evaluate(sst2Train, metricKeyPrefix: "train")
    let (accuracy, seconds) = (dev["eval_accuracy"] ?? .nan, output.metrics["train_runtime"] ?? .nan)
    accuracies.append((arm.name, accuracy))
    rows.append([
      arm.name, arm.option,
      arm.key == "gradual" ? "grows to \(loaded.model.parameterCount())" : "\(trainable)",
      percent(fitted["train_accuracy"] ?? .nan), percent(accuracy), String(format: "%.0f s", seconds),
    ])
    record[arm.key] = .object([
      "validation_accuracy": .number(accuracy), "train_accuracy": .number(fitted["train_accuracy"] ?? .nan),
      "trainable_parameters": .number(Double(trainable)), "seconds": .number(seconds),
      "steps": .number(Double(output.globalStep)),
    ])
    bar.update(step: i + 1)
  }
  bar.finish()
  nb.table(
    headers: ["arm", "course finetune", "trainable", "train acc.", "dev acc.", "training time"], rows: rows,
    title: "MiniLM-L3 on SST-2: \(recipeText), seed \(options.seed)")
  let ranking = accuracies.sorted { $0.accuracy > $1.accuracy }.map(\.name)
  nb.narrate(
    """
    From best to worst on the dev set: \(ranking.joined(separator: "; ")). One seed and \
    \(sst2Dev.count) sentences: one sentence is \(String(format: "%.2f", 100 / Double(sst2Dev.count))) \
    points, and a gap of a point or two is within what another seed would move. The same arms \
    in PyTorch: `python3 scripts/freezing_reference.py --real \(path) --train-limit \(trainLimit) \
    --threads 1`.
    """)
  record["train_sentences"] = .number(Double(sst2Train.count))
  record["dev_sentences"] = .number(Double(sst2Dev.count))
  nb.record("real_freezing", .object(record))
}
