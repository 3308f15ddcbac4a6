// Sections 4–6: cloze prompts with the MLM head, int8 quantization, pruning.

import Foundation
import Models
import Notebook
import PEFT
import TensorCore
import Training

/// A cloze batch: each review followed by the pattern "It was [MASK].", and where the mask is.
struct ClozeBatch {
  var inputIds: [[Int]]
  var attentionMask: [[Int]]
  var maskRows: [Int]
  var labels: [Int]
}

@MainActor func clozeBatch(_ indices: [Int], of data: TextClassificationDataset) -> ClozeBatch {
  let maskId = tokenizer.id(of: "[MASK]")
  let period = tokenizer.id(of: ".")
  let rows = indices.map { i -> [Int] in
    var ids = Array(collator.encode(data.texts[i] + " It was").ids.dropLast().prefix(56))  // without [SEP]
    ids += [maskId, period, tokenizer.id(of: "[SEP]")]
    return ids
  }
  let longest = rows.map(\.count).max() ?? 0
  return ClozeBatch(
    inputIds: rows.map { $0 + [Int](repeating: 0, count: longest - $0.count) },
    attentionMask: rows.map {
      [Int](repeating: 1, count: $0.count) + [Int](repeating: 0, count: longest - $0.count)
    },
    maskRows: rows.enumerated().map { b, row in b * longest + row.count - 3 },
    labels: indices.map { data.labels[$0] })
}

// cell: cloze-logits
/// PET's score: the MLM logits of the verbalizer words at the mask, (batch, labels).
@MainActor func clozeLogits(_ model: BertForMaskedLM, _ batch: ClozeBatch, verbalizer: [Int]) throws -> Tensor
{
  let hidden = try model.bert(inputIds: batch.inputIds, attentionMask: batch.attentionMask).lastHiddenState
  let (b, seq, size) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
  let atMask = hidden.reshape(b * seq, size).embedding(batch.maskRows)  // (batch, hidden)
  let predictions = model.cls.predictions
  // (labels, hidden): the decoder is tied to the word embeddings.
  let words = model.bert.embeddings.wordEmbeddings.weight.embedding(verbalizer)
  let bias = predictions.bias.reshape(predictions.bias.count, 1).embedding(verbalizer).reshape(
    verbalizer.count)
  return linear(predictions.transform(atMask), weight: words, bias: bias)
}
// end cell: cloze-logits

/// Accuracy of `logits` over `data` in batches of 64, without gradients.
@MainActor func accuracy(
  _ data: TextClassificationDataset, _ logits: ([Int]) throws -> (Tensor, [Int])
) throws -> Double {
  var correct = 0
  for start in stride(from: 0, to: data.count, by: 64) {
    let (l, labels) = try noGrad { try logits(Array(start..<min(start + 64, data.count))) }
    correct += zip(l.argmax(axis: -1), labels).filter { $0 == $1 }.count
  }
  return Double(correct) / Double(data.count)
}

@MainActor func classifierLogits(
  _ model: any SequenceClassifier, _ indices: [Int], of data: TextClassificationDataset
)
  throws -> (Tensor, [Int])
{
  let padded = gptCollator.pad(indices.map { gptCollator.encode(data.texts[$0]) })
  return (
    try model.logits(inputIds: padded.inputIds, attentionMask: padded.attentionMask),
    indices.map { data.labels[$0] }
  )
}

/// BERT's classifier logits (BERT's tokenizer), for the few-shot comparison.
@MainActor func bertClassifierLogits(
  _ model: any SequenceClassifier, _ indices: [Int], of data: TextClassificationDataset
) throws -> (Tensor, [Int]) {
  let padded = collator.pad(indices.map { collator.encode(data.texts[$0]) })
  return (
    try model.logits(inputIds: padded.inputIds, attentionMask: padded.attentionMask),
    indices.map { data.labels[$0] }
  )
}

/// The full fine-tuning run of seed 1 (GPT-style), reloaded.
@MainActor func fineTunedModel() throws -> GPT2ForSequenceClassification {
  let model = try GPT2ForSequenceClassification.fromPretrained(
    gptDirectory, labelNames: labelNames, padTokenId: gptPad)
  let file = try SafetensorsFile(
    contentsOf: adapterDirectory.appendingPathComponent("full_fine-tuning/model.safetensors"))
  try model.load(from: file, basePrefix: "transformer")
  model.eval()
  return model
}

/// What a measured speed-up (old time / new time) says, in words.
func speedVerdict(_ speedup: Double) -> String {
  speedup >= 1.05
    ? String(format: "inference ran %.2f× as fast.", speedup)
    : String(
      format: "inference ran at %.2f× the unpruned speed: no speed-up measurable above noise here.", speedup)
}

@MainActor func compressionSections() throws {
  // MARK: 4. Cloze prompts
  nb.section("4. Few-shot: a cloze prompt and the MLM head")
  let positive = ["excellent", "amazing", "wonderful"].first {
    tokenizer.id(of: $0) != tokenizer.id(of: "[UNK]")
  }!
  let negative = ["terrible", "awful"].first { tokenizer.id(of: $0) != tokenizer.id(of: "[UNK]") }!
  let verbalizer = [tokenizer.id(of: negative), tokenizer.id(of: positive)]
  nb.narrate(
    """
    PET (Schick and Schütze) turns classification into the task pre-training already taught: \
    fill in a blank. Each review gets the pattern "It was [MASK]." and the MLM head scores two \
    words at the mask, the verbalizer: "\(negative)" for negative, "\(positive)" for positive \
    (both in the corpus as "it was \(negative)." and "was \(positive)."). Zero-shot, nothing is \
    trained; few-shot, the whole model is fine-tuned on k reviews with the cross-entropy of \
    those two scores. The comparison: a new classifier head fine-tuned on the same k reviews \
    with the same steps.
    """)
  nb.cell("cloze-logits")
  let mlm = try BertForMaskedLM.fromPretrained(bertDirectory)
  mlm.eval()
  let zeroShot = try accuracy(clozeValidation) { indices in
    let batch = clozeBatch(indices, of: clozeValidation)
    return (try clozeLogits(mlm, batch, verbalizer: verbalizer), batch.labels)
  }
  nb.output("zero-shot cloze accuracy on \(clozeValidation.count) validation reviews: \(percent(zeroShot))")
  let sizes = quick ? [8, 32] : [8, 32, 128]
  let steps = quick ? 10 : 20
  var clozeResults: [[Double]] = []
  var headResults: [[Double]] = []
  // One seed here: the BERT runs are the lesson's slowest, and the table shows how far from chance
  // they are (`--seeds` sets the other sections').
  let clozeSeeds = 1
  let bar = nb.progress("few-shot runs", total: sizes.count * clozeSeeds * 2)
  var done = 0
  for k in sizes {
    var cloze: [Double] = []
    var head: [Double] = []
    for seed in 1...UInt64(clozeSeeds) {
      // k reviews, half of each class, drawn by the seed.
      let order = Generator(seed: seed).shuffled(Array(0..<train.count))
      let chosen =
        Array(order.filter { train.labels[$0] == 0 }.prefix(k / 2))
        + Array(order.filter { train.labels[$0] == 1 }.prefix(k / 2))
      func trainLoop(_ model: Module, _ logits: ([Int]) throws -> (Tensor, [Int])) throws {
        let optimizer = makeAdamW(model, learningRate: 1e-3, weightDecay: 0.01)
        let draw = Generator(seed: seed &+ 7)
        model.train()
        for _ in 0..<steps {
          let batch = Array(draw.shuffled(chosen).prefix(16))
          optimizer.zeroGrad()
          let (l, labels) = try logits(batch)
          classificationLoss(logits: l, labels: labels).backward()
          clipGradNorm(model.parameters(), maxNorm: 1)
          optimizer.step()
        }
        model.eval()
      }
      let pet = try BertForMaskedLM.fromPretrained(bertDirectory)
      try trainLoop(pet) { indices in
        let batch = clozeBatch(indices, of: train)
        return (try clozeLogits(pet, batch, verbalizer: verbalizer), batch.labels)
      }
      cloze.append(
        try accuracy(clozeValidation) { indices in
          let batch = clozeBatch(indices, of: clozeValidation)
          return (try clozeLogits(pet, batch, verbalizer: verbalizer), batch.labels)
        })
      done += 1
      bar.update(step: done)
      let classifier = try BertForSequenceClassification.fromPretrained(
        bertDirectory, labelNames: labelNames, classifierPooling: "mean", generator: Generator(seed: seed))
      try trainLoop(classifier) { try bertClassifierLogits(classifier, $0, of: train) }
      head.append(
        try accuracy(clozeValidation) { try bertClassifierLogits(classifier, $0, of: clozeValidation) })
      done += 1
      bar.update(step: done)
    }
    clozeResults.append(cloze)
    headResults.append(head)
  }
  bar.finish()
  nb.table(
    headers: ["labelled reviews", "cloze (PET)", "classifier head"],
    rows: [["0", percent(zeroShot), "—"]]
      + sizes.indices.map { i in ["\(sizes[i])", meanSD(clozeResults[i]), meanSD(headResults[i])] },
    title:
      "accuracy on \(clozeValidation.count) validation reviews, \(steps) steps of 16 at lr 1e-3, \(clozeSeeds) seed"
  )
  let gain = zip(clozeResults, headResults).map { meanAndSpread($0).mean - meanAndSpread($1).mean }
  nb.narrate(
    """
    Zero-shot the prompt gives \(percent(zeroShot)) (chance is 50%). With labels, the cloze \
    formulation minus the classifier head: \(zip(sizes, gain).map { "\($0): \(String(format: "%+.1f", 100 * $1)) points" }.joined(separator: ", ")). \
    PET's advantage in the paper comes from a large MLM whose blank-filling already encodes \
    sentiment; our 2-layer model saw each verbalizer word a handful of times in the corpus, \
    so the zero-shot number shows how much of that this small model learned.
    """)
  nb.record("cloze_zero_shot_accuracy", zeroShot)
  nb.record("cloze_sizes", sizes.map(Double.init))
  nb.record("cloze_accuracy", clozeResults.map { meanAndSpread($0).mean })
  nb.record("head_few_shot_accuracy", headResults.map { meanAndSpread($0).mean })

  // MARK: 5. int8
  nb.section("5. int8 weights: smaller, and faster?")
  nb.narrate(
    """
    The fully fine-tuned GPT-style model of section 2 (seed 1), every Linear weight quantized per output \
    channel to int8 (exercise 8.3, quantizePerChannel): one Float scale per row, \
    scale = max|row| / 127, levels round(w / scale). Embeddings and LayerNorms stay Float32, \
    as in PyTorch's quantize_dynamic. So does the forward pass: each row of activations is \
    rounded to int8 at run time with its own scale (max|x| / 127), int8 times int8 is summed \
    exactly in Int32 by a SIMD kernel (Int8Linear.swift; the `vpmaddwd` instruction on x86), \
    and each output is scaled once by the two scales.
    """)
  nb.cell("quantize")
  let floatModel = try fineTunedModel()
  func timeInference(_ model: GPT2ForSequenceClassification) throws -> (accuracy: Double, seconds: Double) {
    var best = Double.infinity
    var acc = 0.0
    for _ in 0..<(quick ? 1 : 2) {
      let start = Date()
      acc = try accuracy(validation) { try classifierLogits(model, $0, of: validation) }
      best = min(best, Date().timeIntervalSince(start))
    }
    return (acc, best)
  }
  let floatRun = try timeInference(floatModel)
  let floatBytes = bytes(adapterDirectory.appendingPathComponent("full_fine-tuning/model.safetensors"))
  // cell: quantize
  let int8Model = try fineTunedModel()
  let replaced = try int8Model.quantizeDynamic()  // every Linear → QuantizedLinear
  let int8Run = try timeInference(int8Model)
  let int8Directory = nb.options.outputDirectory.appendingPathComponent("int8")
  try int8Model.saveQuantizedWeights(to: int8Directory)  // I8 weights + weight_scale
  // end cell: quantize
  let int8Bytes = bytes(int8Directory.appendingPathComponent("model.safetensors"))
  let speedup = floatRun.seconds / int8Run.seconds
  nb.table(
    headers: ["model", "checkpoint", "validation acc.", "inference (\(validation.count) reviews)"],
    rows: [
      [
        "float32", kilobytes(floatBytes), percent(floatRun.accuracy),
        nb.measured(String(format: "%.3f s", floatRun.seconds)),
      ],
      [
        "int8 weights", kilobytes(int8Bytes), percent(int8Run.accuracy),
        nb.measured(String(format: "%.3f s", int8Run.seconds)),
      ],
    ], title: "\(replaced.count) Linear layers quantized; inference: best of \(quick ? 1 : 2), batches of 64")
  nb.narrate(
    """
    The checkpoint shrinks from \(kilobytes(floatBytes)) to \(kilobytes(int8Bytes)): only the \
    Linear weights become a quarter of their size, and in this small model the embedding table \
    and positions (\(grouped(floatModel.transformer.wte.weight.count + floatModel.transformer.wpe.weight.count)) numbers) stay Float32. \
    Accuracy changes by \(String(format: "%+.1f", 100 * (int8Run.accuracy - floatRun.accuracy))) \
    points. Speed: the int8 model ran at \(nb.measured(String(format: "%.2f", speedup)))× the float \
    model's speed (above 1 is faster). Only the Linear layers run in int8: attention, GELU, \
    LayerNorm and the embeddings stay Float32, so the whole model gains less than its Linear \
    layers do alone (`swift run course bench int8` times those, and docs/performance.md compares \
    them with PyTorch's quantize_dynamic).
    """)
  nb.record("float_checkpoint_bytes", floatBytes)
  nb.record("int8_checkpoint_bytes", int8Bytes)
  nb.record("float_accuracy", floatRun.accuracy)
  nb.record("int8_accuracy", int8Run.accuracy)
  nb.record("int8_speedup", speedup)

  // MARK: 6. Pruning
  nb.section("6. Pruning: how many weights does it need?")
  nb.narrate(
    """
    Global magnitude pruning (exercise 8.4, magnitudeMask; PyTorch's global_unstructured with \
    L1Unstructured): the smallest-magnitude entries of all Linear weights together are set to \
    zero, with no retraining. Then structured pruning of whole attention heads, least \
    important first, importance measured as Michel et al. do (the loss's sensitivity to a gate \
    on each head's output, averaged over training batches), which are then removed from the \
    matrices.
    """)
  nb.cell("prune")
  // cell: prune
  let sparsities = quick ? [0.0, 0.5, 0.9] : [0.0, 0.3, 0.5, 0.7, 0.9]
  var pruned: [Double] = []
  for s in sparsities {
    let model = try fineTunedModel()
    // Returns the masks; masks.apply(to:) after each optimizer step would keep them zero.
    model.globalMagnitudePrune(sparsity: s)
    pruned.append(try accuracy(validation) { try classifierLogits(model, $0, of: validation) })
  }
  // end cell: prune
  nb.lineChart(
    [ChartSeries(name: "accuracy", values: pruned)],
    title:
      "validation accuracy at sparsity \(sparsities.map { String(format: "%g", $0) }.joined(separator: ", "))",
    xLabel: "sparsity", height: 8)
  nb.figure(
    .lineChart(
      series: [ChartSeries(name: "global magnitude pruning", values: pruned)],
      title:
        "Accuracy against sparsity (\(sparsities.map { String(format: "%g", $0) }.joined(separator: ", ")))",
      xLabel: "sparsity step", yLabel: "validation accuracy"), name: "pruning")
  let within = zip(sparsities, pruned).filter { $0.1 >= pruned[0] - 0.01 }.map(\.0).max() ?? 0
  nb.narrate(
    """
    Up to \(Int(100 * within))% of the Linear weights can go with at most one point lost \
    (\(zip(sparsities, pruned).map { "\(Int(100 * $0)): \(percent($1))" }.joined(separator: ", "))). \
    The zeros are not free to store or skip: a dense file and a dense kernel cost the same; \
    sparse formats and kernels, or structured pruning, turn them into savings.
    """)
  nb.record("pruning_sparsities", sparsities)
  nb.record("pruning_accuracy", pruned)

  let importanceModel = try fineTunedModel()
  let order = Generator(seed: 3).shuffled(Array(0..<train.count))
  let importanceBatches = stride(from: 0, to: min(128, train.count), by: 32).map { start in
    let rows = Array(order[start..<min(start + 32, train.count)])
    let padded = gptCollator.pad(rows.map { gptCollator.encode(train.texts[$0]) })
    return ClassificationBatch(
      inputIds: padded.inputIds, attentionMask: padded.attentionMask, labels: rows.map { train.labels[$0] })
  }
  let importance = try headImportance(importanceModel, batches: importanceBatches)
  let ranked = importance.enumerated().flatMap { l, row in
    row.enumerated().map { (layer: l, head: $0, score: $1) }
  }
  .sorted { $0.score < $1.score }
  // Least important first, skipping any head whose removal would leave its layer empty.
  let removable = leastImportantHeads(importanceModel, importance: importance)
  // The validation set tokenized and padded once, so that the timing is the model's alone.
  let validationBatches = stride(from: 0, to: validation.count, by: 64).map { start in
    let rows = Array(start..<min(start + 64, validation.count))
    return (
      gptCollator.pad(rows.map { gptCollator.encode(validation.texts[$0]) }),
      rows.map { validation.labels[$0] }
    )
  }
  var headRuns: [(accuracy: Double, seconds: Double, parameters: Int)] = []
  for count in 0...removable.count {
    let model = try fineTunedModel()
    try pruneHeads(model, Array(removable.prefix(count)))
    var (correct, best) = (0, Double.infinity)
    for pass in 0..<(quick ? 1 : 2) {
      let start = Date()
      for (padded, labels) in validationBatches {
        let logits = try noGrad {
          try model.logits(inputIds: padded.inputIds, attentionMask: padded.attentionMask)
        }
        if pass == 0 { correct += zip(logits.argmax(axis: -1), labels).filter { $0 == $1 }.count }
      }
      best = min(best, Date().timeIntervalSince(start))
    }
    headRuns.append((Double(correct) / Double(validation.count), best, model.parameterCount()))
  }
  let headAccuracy = headRuns.map(\.accuracy)
  nb.table(
    headers: [
      "heads removed", "which (layer.head)", "parameters", "validation acc.",
      "forward passes (\(validation.count) reviews)", "speed-up",
    ],
    rows: headRuns.indices.map { c in
      [
        "\(c) of \(ranked.count)",
        removable.prefix(c).map { "\($0.layer).\($0.head)" }.joined(separator: ", "),
        grouped(headRuns[c].parameters), percent(headRuns[c].accuracy),
        String(format: "%.3f s", headRuns[c].seconds),
        nb.measured(String(format: "%.2f×", headRuns[0].seconds / headRuns[c].seconds)),
      ]
    },
    title:
      "attention heads removed by importance, least first (time: the model alone on pre-tokenized batches of 64, best of \(quick ? 1 : 2))"
  )
  let last = headRuns[headRuns.count - 1]
  nb.narrate(
    """
    Head importance (per layer, normalised): \(ranked.map { "\($0.layer).\($0.head) \(String(format: "%.2f", $0.score))" }.joined(separator: ", ")). \
    Removing a head cuts its rows out of the query, key and value projections and its columns \
    out of the output projection (transformers 4.x's prune_heads; config.json records \
    pruned_heads so that the checkpoint loads with the same shapes): the model loses \
    \(grouped(headRuns[0].parameters - last.parameters)) parameters and its attention does \
    less work, unlike the zeros of magnitude pruning. With \(removable.count) heads removed, \
    accuracy moved by \(String(format: "%+.1f", 100 * (last.accuracy - headRuns[0].accuracy))) \
    points and \(nb.measured(speedVerdict(headRuns[0].seconds / last.seconds))) Each layer keeps at least one head (the kit refuses to empty a layer), \
    so \(removable.count) of \(ranked.count) can go here; the feed-forward blocks and the \
    embeddings, untouched, hold most of the parameters (\(grouped(last.parameters)) remain). Michel et al. removed up to \
    40% of BERT-base's 144 heads without a noticeable loss.
    """)
  nb.record("head_pruning_parameters", headRuns.map { Double($0.parameters) })
  nb.record("head_pruning_seconds", headRuns.map(\.seconds))
  nb.record("head_pruning_accuracy", headAccuracy)
}
