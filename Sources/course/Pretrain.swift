// `course pretrain --arch bert|gpt --output DIR [--steps N] [--seed N]`: pre-trains the kit's
// BERT-style (MLM) or GPT-style (causal LM) model on datasets/corpus/general.txt and writes a Hugging Face checkpoint
// directory with its vocabulary, its training curve and a model card.

import CourseTools
import Foundation
import Models
import TensorCore
import Tokenizers
import Training

func runPretrain(_ arguments: [String]) throws -> Int32 {
  let (options, positional) = try parseArguments(arguments)
  try rejectUnknown(
    options, allowed: ["--arch", "--output", "--steps", "--seed", "--corpus", "--vocabulary"])
  guard positional.isEmpty else { throw CourseToolError("unexpected argument \(positional[0])") }
  let arch = options["--arch"] ?? "bert"
  guard ["bert", "gpt"].contains(arch) else {
    throw CourseToolError("--arch must be bert or gpt, got \(arch)")
  }
  func int(_ name: String, _ fallback: Int) throws -> Int {
    guard let text = options[name] else { return fallback }
    guard let value = Int(text), value > 0 else {
      throw CourseToolError("\(name) needs a positive integer, got \(text)")
    }
    return value
  }
  guard let output = options["--output"] else { throw CourseToolError("--output DIR is required") }
  var recipe = PretrainingRecipe()
  recipe.steps = try int("--steps", 3000)
  recipe.seed = UInt64(try int("--seed", 42))
  let vocabularySize = try int("--vocabulary", 2000)
  let corpusPath = options["--corpus"] ?? "datasets/corpus/general.txt"
  guard let text = try? String(contentsOfFile: corpusPath, encoding: .utf8) else {
    throw CourseToolError(
      "\(corpusPath): cannot read the corpus (run from the package root, or pass --corpus)")
  }
  // One document per line, whatever the line ending ("\r\n" is a single Character, which a
  // split at "\n" would not cut).
  let documents = text.split(whereSeparator: \.isNewline).map(String.init)
    .filter { !$0.allSatisfy(\.isWhitespace) }
  guard documents.count >= 2 else {
    throw CourseToolError(
      "\(corpusPath): needs at least 2 non-empty lines (one document per line), found \(documents.count)")
  }
  let heldOutCount = max(1, documents.count / 50)
  let training = Array(documents.dropLast(heldOutCount))
  let heldOut = Array(documents.suffix(heldOutCount))
  manualSeed(recipe.seed)
  let start = Date()
  let directory = URL(fileURLWithPath: output)
  let report: PretrainingReport
  let parameters: Int
  var (rowCount, heldOutRowCount) = (0, 0)
  var description: [String] = []
  var lastPrinted = 0
  func progress(_ step: Int, _ metrics: [String: Double]) {
    if step * 20 / recipe.steps > lastPrinted || step == recipe.steps {
      lastPrinted = step * 20 / recipe.steps
      let values = metrics.keys.sorted().map { String(format: "%@ %.4g", $0, metrics[$0]!) }.joined(
        separator: "  ")
      print("step \(step)/\(recipe.steps)  \(values)")
    }
  }
  if arch == "bert" {
    print("training a WordPiece vocabulary of \(vocabularySize) on \(training.count) documents...")
    let tokenizer = try WordPieceTokenizer.train(corpus: training, vocabularySize: vocabularySize)
    let (cls, sep) = (tokenizer.id(of: "[CLS]"), tokenizer.id(of: "[SEP]"))
    let rows = packSequences(
      training, tokenizer: tokenizer, length: recipe.sequenceLength, separator: sep, cls: cls, sep: sep)
    let heldOutRows = packSequences(
      heldOut, tokenizer: tokenizer, length: recipe.sequenceLength, separator: sep, cls: cls, sep: sep)
    var config = BertConfig(
      vocabSize: tokenizer.vocabularySize, hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2,
      intermediateSize: 512, maxPositionEmbeddings: 128)
    // MLM alone never trains the [CLS] state (BERT's came from next-sentence prediction), so a
    // classifier fine-tuned from this checkpoint reads the mean of the tokens (Lesson 5).
    config.classifierPooling = "mean"
    let model = BertForMaskedLM(config, generator: Generator(seed: recipe.seed))
    print(
      "\(rows.count) training sequences, \(heldOutRows.count) held out; \(model.parameterCount()) parameters")
    report = try pretrainMaskedLM(
      model, tokenizer: tokenizer, training: rows, heldOut: heldOutRows, recipe: recipe, progress: progress)
    try model.save(to: directory)
    try tokenizer.write(to: directory.appendingPathComponent("vocab.txt"))
    (parameters, rowCount, heldOutRowCount) = (model.parameterCount(), rows.count, heldOutRows.count)
    description = [
      "A small BERT (Hugging Face `BertForMaskedLM` layout) pre-trained by the kit itself with masked language modelling",
      "WordPiece trained on the corpus, \(tokenizer.vocabularySize) entries (`vocab.txt`), uncased",
      "`[CLS] … [SEP]`",
      "Masking: dynamic, 15% of non-special tokens; 80% [MASK], 10% random, 10% unchanged.",
      "masked tokens of the held-out documents, fixed masking", "masked-token accuracy",
    ]
  } else {
    print("training a byte-level BPE vocabulary of \(vocabularySize) on \(training.count) documents...")
    let tokenizer = ByteLevelBPETokenizer.train(corpus: training, vocabularySize: vocabularySize)
    let eos = tokenizer.vocabulary["<|endoftext|>"]!
    let rows = packSequences(training, tokenizer: tokenizer, length: recipe.sequenceLength, separator: eos)
    let heldOutRows = packSequences(
      heldOut, tokenizer: tokenizer, length: recipe.sequenceLength, separator: eos)
    var config = GPT2Config()
    config.vocabSize = tokenizer.vocabularySize
    (config.nPositions, config.nEmbd, config.nLayer, config.nHead, config.nInner) = (128, 128, 2, 2, 512)
    (config.bosTokenId, config.eosTokenId) = (eos, eos)
    let model = GPT2LMHeadModel(config, generator: Generator(seed: recipe.seed))
    print(
      "\(rows.count) training sequences, \(heldOutRows.count) held out; \(model.parameterCount()) parameters")
    report = try pretrainCausalLM(
      model, training: rows, heldOut: heldOutRows, recipe: recipe, progress: progress)
    try model.save(to: directory)
    try tokenizer.write(
      vocabularyFile: directory.appendingPathComponent("vocab.json"),
      mergesFile: directory.appendingPathComponent("merges.txt"))
    (parameters, rowCount, heldOutRowCount) = (model.parameterCount(), rows.count, heldOutRows.count)
    description = [
      "A small GPT-2 (Hugging Face `GPT2LMHeadModel` layout) pre-trained by the kit itself with causal language modelling",
      "byte-level BPE trained on the corpus, \(tokenizer.vocabularySize) entries (`vocab.json`, `merges.txt`)",
      "windows, documents joined by `<|endoftext|>`", "Objective: predict every next token.",
      "next tokens of the held-out documents", "next-token accuracy",
    ]
  }
  let curve: [String: Any] = [
    "training_loss": report.trainingLosses,
    "evaluations": report.evaluations.map {
      ["step": $0.step, "loss": $0.loss, "perplexity": $0.perplexity, "accuracy": $0.accuracy]
    },
  ]
  try JSONSerialization.data(withJSONObject: curve, options: [.sortedKeys]).write(
    to: directory.appendingPathComponent("pretraining.json"), options: .atomic)
  let first = report.evaluations.first!
  let last = report.evaluations.last!
  let seconds = Date().timeIntervalSince(start)
  let card = """
    # \(directory.lastPathComponent): the kit's pre-trained \(arch == "bert" ? "BERT" : "GPT")-style model

    \(description[0]) on `datasets/corpus/general.txt`, for the course's fine-tuning lessons.

    ## Recipe (reproduce with this command from the package root, release build)

    ```sh
    swift run -c release course pretrain --arch \(arch) --output \(output) --steps \(recipe.steps) --seed \(recipe.seed) --vocabulary \(vocabularySize)
    ```

    - Tokenizer: \(description[1]).
    - Model: hidden 128, 2 layers, 2 heads, FFN 512, dropout 0.1, \(parameters) parameters.\(arch == "bert" ? "\n- Classification head: `classifier_pooling: \"mean\"` in config.json: MLM never trains the [CLS]\n  state, so a fine-tuned classifier reads the mean of the token states (Lesson 5 measures both)." : "")
    - Data: \(training.count) documents packed into \(rowCount) sequences of \(recipe.sequenceLength) tokens
      (\(description[2])); the last \(heldOutCount) documents (\(heldOutRowCount) sequences) held out.
    - \(description[3])
    - Optimisation: AdamW (β 0.9/0.999, ε 1e-8, weight decay \(recipe.weightDecay) except biases and LayerNorm),
      learning rate \(recipe.learningRate), linear warm-up over \(Int(Double(recipe.steps) * recipe.warmupRatio)) steps then linear
      decay, batch \(recipe.batchSize), \(recipe.steps) steps (\(report.tokens) tokens), seed \(recipe.seed).
    - Time: \(String(format: "%.0f", seconds)) s in all on \(Threads.count) threads (training \(String(format: "%.0f", report.seconds)) s).

    ## Held-out figures (\(description[4]))

    | | loss | perplexity | \(description[5]) |
    | --- | ---: | ---: | ---: |
    | before training | \(String(format: "%.3f", first.loss)) | \(String(format: "%.1f", first.perplexity)) | \(String(format: "%.1f%%", first.accuracy * 100)) |
    | after \(recipe.steps) steps | \(String(format: "%.3f", last.loss)) | \(String(format: "%.2f", last.perplexity)) | \(String(format: "%.1f%%", last.accuracy * 100)) |

    The whole curve (training loss per step, held-out figures every \(recipe.evaluateEvery) steps) is in
    `pretraining.json`.

    """
  try Data(card.utf8).write(to: directory.appendingPathComponent("README.md"), options: .atomic)
  print(
    String(
      format: "held-out loss %.3f -> %.3f, perplexity %.1f -> %.2f, accuracy %.1f%% -> %.1f%%; wrote %@",
      first.loss, last.loss, first.perplexity, last.perplexity, first.accuracy * 100, last.accuracy * 100,
      directory.path))
  return 0
}
