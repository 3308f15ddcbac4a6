// Sections 1–3: LoRA, the rank sweep against full fine-tuning, prompt and prefix tuning.

import Foundation
import Models
import Notebook
import PEFT
import TensorCore
import Training

/// One way of fine-tuning the same pre-trained classifier.
enum Method: Hashable {
  case full
  case headOnly
  case lora(r: Int)
  case prompt(tokens: Int)
  case prefix(tokens: Int, projection: Bool)

  var name: String {
    switch self {
    case .full: return "full fine-tuning"
    case .headOnly: return "head only"
    case .lora(let r): return "LoRA r=\(r)"
    case .prompt(let n): return "prompt tuning (\(n) tokens)"
    case .prefix(let n, let projection): return "prefix tuning (\(n)\(projection ? ", MLP" : ""))"
    }
  }

  /// The peak learning rate: chosen once per method, not tuned here (larger for the methods
  /// that train fewer numbers, as their papers do).
  var learningRate: Double {
    switch self {
    case .full: return 1e-3
    case .headOnly: return 1e-2
    case .lora: return 5e-3
    case .prompt: return 3e-2
    case .prefix: return 1e-2
    }
  }
}

/// What one fine-tuning run measured.
struct RunResult {
  var accuracy: Double
  var trainAccuracy: Double
  var seconds: Double
  var trainable: Int
  var all: Int
  /// The bytes the run must save: the whole model, or the adapter (and head).
  var savedBytes: Int
  /// The process's peak resident memory while `trainer.train()` ran (PeakMemory.swift).
  var memory: PeakMemory
}

/// Every run of each method, by method.
@MainActor var runs: [Method: [RunResult]] = [:]

/// The recipe every run uses: Lesson 5's, with the method's learning rate.
@MainActor func recipe(_ method: Method, seed: UInt64) -> TrainingArguments {
  var args = TrainingArguments(
    outputDir: nb.options.outputDirectory.appendingPathComponent("runs").path, numTrainEpochs: epochs,
    perDeviceTrainBatchSize: 32, learningRate: method.learningRate)
  args.warmupRatio = 0.1
  args.weightDecay = 0.01
  args.saveStrategy = .no
  args.loggingStrategy = .no
  args.seed = seed
  args.disableTqdm = true
  args.perDeviceEvalBatchSize = 64
  return args
}

/// The pre-trained classifier with `method` applied (frozen parts frozen).
@MainActor func prepare(_ method: Method, seed: UInt64) throws -> (
  model: any SequenceClassifier, peft: PeftModel?
) {
  // cell: peft-model
  let model = try GPT2ForSequenceClassification.fromPretrained(
    gptDirectory, labelNames: labelNames, padTokenId: gptPad, generator: Generator(seed: seed))
  let generator = Generator(seed: seed &+ 1000)
  switch method {
  case .full: return (model, nil)
  case .headOnly:
    model.freeze(where: { !$0.hasPrefix("score.") })
    return (model, nil)
  case .lora(let r):
    let peft = try getPeftModel(model, .lora(LoraConfig(r: r)), generator: generator)
    return (peft, peft)
  // cell: prompt-prefix
  case .prompt(let n):
    let peft = try getPeftModel(
      model, .promptTuning(PromptTuningConfig(numVirtualTokens: n)), generator: generator)
    return (peft, peft)
  case .prefix(let n, let projection):
    let peft = try getPeftModel(
      model, .prefixTuning(PrefixTuningConfig(numVirtualTokens: n, prefixProjection: projection)),
      generator: generator)
    return (peft, peft)
  // end cell: prompt-prefix
  }
  // end cell: peft-model
}

/// Fine-tunes with `method` and measures it; seed 1's model is saved (adapter or whole model).
@MainActor @discardableResult func fineTune(_ method: Method, seed: UInt64) throws -> RunResult {
  let (model, peft) = try prepare(method, seed: seed)
  let trainer = try Trainer(
    model: model, args: recipe(method, seed: seed), trainDataset: train, evalDataset: validation,
    dataCollator: gptCollator, computeMetrics: classificationMetrics)
  let (output, memory) = try PeakMemory.measure { try trainer.train() }
  let accuracy = try trainer.evaluate()["eval_accuracy"] ?? .nan
  // Training accuracy on the first 100 training reviews (enough to see whether a method fits).
  let fitted = try trainer.evaluate(trainProbe, metricKeyPrefix: "train")["train_accuracy"] ?? .nan
  let directory = adapterDirectory.appendingPathComponent(
    method.name.replacingOccurrences(of: " ", with: "_"))
  var saved = 0
  if let peft {
    peft.baseModelNameOrPath = gptDirectory.relativePath
    try peft.savePretrained(directory)
    saved = bytes(directory.appendingPathComponent(adapterWeightsName))
  } else if case .headOnly = method {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let head = model.namedParameters().filter { $0.name.hasPrefix("score.") }
    try SafetensorsFile.write(head, to: directory.appendingPathComponent("head.safetensors"))
    saved = bytes(directory.appendingPathComponent("head.safetensors"))
  } else {
    try model.saveWeights(to: directory)
    saved = bytes(directory.appendingPathComponent("model.safetensors"))
  }
  let result = RunResult(
    accuracy: accuracy, trainAccuracy: fitted, seconds: output.metrics["train_runtime"] ?? .nan,
    trainable: model.parameterCount(trainableOnly: true), all: model.parameterCount(), savedBytes: saved,
    memory: memory)
  runs[method, default: []].append(result)
  return result
}

/// A table row per method: trainable parameters, training and validation accuracy (mean ± sd).
@MainActor func methodRows(_ methods: [Method]) -> [[String]] {
  methods.map { m in
    let r = runs[m] ?? []
    return [
      m.name, grouped(r.first?.trainable ?? 0), meanSD(r.map(\.trainAccuracy)), meanSD(r.map(\.accuracy)),
    ]
  }
}

@MainActor func peftSections() throws {
  // MARK: 1. LoRA
  nb.section("1. LoRA: train a low-rank update, not the weights")
  nb.narrate(
    """
    LoRA leaves a weight matrix W (out × in) frozen and learns a product B·A beside it, A \
    (r × in) and B (out × r) with a small rank r: the layer computes W·x + (α/r)·B·A·x \
    (exercise 8.1, LoraLinear in Sources/PEFT/LoRA.swift). B starts at zero, so the adapted \
    model starts exactly as the pre-trained one. PEFT's defaults: r = 8, α = 8, and for GPT-2 \
    the fused query-key-value projection c_attn of every layer (for BERT: query and value). \
    The model is Lesson 5's GPT-style checkpoint with its classification head, which is new, \
    so it trains in full (PEFT's modules_to_save: score).
    """)
  nb.cell("peft-model")
  let (demo, demoPeft) = try prepare(.lora(r: 8), seed: 1)
  nb.output(demo.trainableParametersSummary())
  let lora8 = demoPeft!
  nb.narrate(
    """
    The adapted layers: \(lora8.targetedModules.joined(separator: ", ")). Each maps 128 \
    features to 384 (query, key and value side by side), so A·B adds 8·128 + 384·8 = 4,096 \
    numbers per layer, \(grouped(lora8.targetedModules.count * 4096)) in all; the head (score) \
    adds the rest of the trainable count.
    """)

  // MARK: 2. The rank sweep
  nb.section("2. How much rank does it need? LoRA against full fine-tuning")
  let ranks = quick ? [1, 8] : [1, 2, 4, 8, 16]
  let sweep: [Method] = [.full, .headOnly] + ranks.map { Method.lora(r: $0) }
  nb.narrate(
    """
    Every method below fine-tunes the same checkpoint on the same \(train.count) labelled \
    reviews for \(String(format: "%g", epochs)) epochs (batches of 32, AdamW, 10% warm-up then \
    linear decay), \(seedCount) seed(s) each; only the learning rate differs by method (full \
    1e-3, head only 1e-2, LoRA 5e-3, chosen once, not tuned). "Head only" trains the classifier \
    alone on frozen features: the floor any method should beat.
    """)
  let bar = nb.progress("fine-tuning runs", total: sweep.count * seedCount)
  var done = 0
  for method in sweep {
    for seed in 1...UInt64(seedCount) {
      try fineTune(method, seed: seed)
      done += 1
      bar.update(step: done)
    }
  }
  bar.finish()
  nb.table(
    headers: ["method", "trainable params", "train acc. (100)", "validation acc."], rows: methodRows(sweep),
    title:
      "\(train.count) reviews, \(validation.count) validation reviews, mean ± sd over \(seedCount) seed(s)")
  let fullAccuracy = meanAndSpread(runs[.full]!.map(\.accuracy))
  let loraMeans = ranks.map { meanAndSpread(runs[.lora(r: $0)]!.map(\.accuracy)).mean }
  let best = zip(ranks, loraMeans).max { $0.1 < $1.1 }!
  let worst = zip(ranks, loraMeans).min { $0.1 < $1.1 }!
  nb.lineChart(
    [
      ChartSeries(name: "LoRA", values: loraMeans),
      ChartSeries(name: "full", values: ranks.map { _ in fullAccuracy.mean }),
    ], title: "validation accuracy against LoRA rank (\(ranks.map(String.init).joined(separator: ", ")))",
    xLabel: "rank", height: 8)
  nb.narrate(
    """
    Full fine-tuning: \(meanSD(runs[.full]!.map(\.accuracy))). LoRA ranges from \
    \(percent(worst.1)) (r = \(worst.0)) to \(percent(best.1)) (r = \(best.0)) while training \
    \(grouped(runs[.lora(r: ranks[0])]!.first!.trainable))–\(grouped(runs[.lora(r: ranks.last!)]!.first!.trainable)) \
    numbers instead of \(grouped(runs[.full]!.first!.trainable)). \
    \(abs(best.1 - worst.1) < 2 * max(fullAccuracy.std, 0.01)
      ? "The spread across ranks is within about twice the seed-to-seed spread: in this run the rank barely matters, as the LoRA paper found (its table 6)."
      : "The ranks differ by more than twice the seed-to-seed spread here; with this few seeds, treat the ranking as a hypothesis.") \
    Head only: \(meanSD(runs[.headOnly]!.map(\.accuracy))).
    """)
  nb.record("lora_ranks", ranks.map(Double.init))
  nb.record("lora_rank_accuracy", loraMeans)

  // Merging: the same outputs without the extra layers.
  nb.narrate(
    """
    After training, LoRA's update can be added into W once (exercise 8.2, deltaWeight): \
    W' = W + (α/r)·B·A. mergeAndUnload() does that for every adapted layer and returns the \
    plain GPT-2 classifier, which runs as fast as the original.
    """)
  nb.cell("merge")
  // cell: merge
  let fresh = try GPT2ForSequenceClassification.fromPretrained(
    gptDirectory, labelNames: labelNames, padTokenId: gptPad)
  let loaded = try PeftModel.fromPretrained(fresh, adapterDirectory.appendingPathComponent("LoRA_r=8"))
  loaded.eval()
  let probe = Array(validation.texts.prefix(64)).map { gptCollator.encode($0) }
  let padded = gptCollator.pad(probe)
  let unmergedLogits = try noGrad {
    try loaded.logits(inputIds: padded.inputIds, attentionMask: padded.attentionMask)
  }
  let merged = try loaded.mergeAndUnload()
  // end cell: merge
  merged.eval()
  let mergedLogits = try noGrad {
    try merged.logits(inputIds: padded.inputIds, attentionMask: padded.attentionMask)
  }
  let mergeGap = zip(unmergedLogits.data, mergedLogits.data).map { abs($0 - $1) }.max() ?? .nan
  nb.output(
    "largest |merged − unmerged| logit over \(probe.count) validation reviews: \(String(format: "%.2e", mergeGap))"
  )
  nb.narrate(
    """
    The difference is float rounding: merging changes the order of the additions, not the \
    function. The adapter directory holds adapter_config.json (naming the base model) and \
    adapter_model.safetensors with PEFT's tensor names, \
    base_model.model.transformer.h.0.attn.c_attn.lora_A.weight and so on: \
    PeftModel.from_pretrained(base, "runs/Lesson8/adapters/LoRA_r=8") in Python loads it \
    (scripts/golden_peft.py --check-kit DIR TEXTS prints its probabilities, to set beside `course \
    predict --model DIR --input TEXTS`).
    """)
  nb.record("merge_max_abs_difference", Double(mergeGap))

  // MARK: 3. Prompt and prefix tuning
  nb.section("3. Prompt tuning and prefix tuning")
  nb.narrate(
    """
    Two methods that change no weight at all. Prompt tuning prepends n trained vectors to the \
    word embeddings of every input ("virtual tokens", read by the first layer only). Prefix \
    tuning gives every layer n trained keys and values that all tokens attend to, optionally \
    produced by a small MLP during training (Li and Liang's reparameterisation; `--extras 1` \
    adds that arm). With the same data, budget and seeds as above (learning rates 3e-2 and 1e-2):
    """)
  nb.cell("prompt-prefix")
  let promptMethods: [Method] =
    [.prompt(tokens: 10), .prefix(tokens: 10, projection: false)]
    + (options.int("extras") == 1 ? [.prefix(tokens: 10, projection: true)] : [])
  let bar2 = nb.progress("prompt-method runs", total: promptMethods.count * seedCount)
  done = 0
  for method in promptMethods {
    for seed in 1...UInt64(seedCount) {
      try fineTune(method, seed: seed)
      done += 1
      bar2.update(step: done)
    }
  }
  bar2.finish()
  nb.table(
    headers: ["method", "trainable params", "train acc. (100)", "validation acc."],
    rows: methodRows(promptMethods + [.lora(r: 8), .headOnly]), title: "the same data and budget")
  let promptAccuracy = meanAndSpread(runs[.prompt(tokens: 10)]!.map(\.accuracy)).mean
  let prefixAccuracy = meanAndSpread(runs[.prefix(tokens: 10, projection: false)]!.map(\.accuracy)).mean
  let headAccuracy = meanAndSpread(runs[.headOnly]!.map(\.accuracy)).mean
  nb.narrate(
    """
    Prompt tuning: \(percent(promptAccuracy)); prefix tuning: \(percent(prefixAccuracy)); head \
    only: \(percent(headAccuracy)); LoRA r = 8: \(meanSD(runs[.lora(r: 8)]!.map(\.accuracy))). \
    Lester et al. found prompt tuning competitive only as models reach billions of parameters; \
    on a 2-layer model of \(grouped(runs[.full]!.first!.all)) parameters the first layer's input \
    is a narrow place to steer the whole network from. Prefix tuning reaches every layer. \
    Compare each with head only, which these methods also train: what the prompt or prefix adds \
    is the difference.
    """)
  for method in promptMethods {
    nb.record("accuracy_\(method.name)", runs[method]!.map(\.accuracy))
  }
}
