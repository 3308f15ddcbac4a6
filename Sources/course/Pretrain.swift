// `course pretrain --arch bert --output DIR [--steps N] [--seed N]`: pre-trains the kit's
// BERT-style model on datasets/corpus/general.txt and writes a Hugging Face checkpoint
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
  guard options["--arch"] ?? "bert" == "bert" else {
    throw CourseToolError("--arch: only bert is implemented so far (gpt comes with Lesson 4)")
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
  let documents = text.split(separator: "\n").map(String.init)
  let heldOutCount = max(1, documents.count / 50)
  let training = Array(documents.dropLast(heldOutCount))
  let heldOut = Array(documents.suffix(heldOutCount))
  manualSeed(recipe.seed)
  let start = Date()
  print("training a WordPiece vocabulary of \(vocabularySize) on \(training.count) documents...")
  let tokenizer = try WordPieceTokenizer.train(corpus: training, vocabularySize: vocabularySize)
  let (cls, sep) = (tokenizer.id(of: "[CLS]"), tokenizer.id(of: "[SEP]"))
  let rows = packSequences(
    training, tokenizer: tokenizer, length: recipe.sequenceLength, separator: sep, cls: cls, sep: sep)
  let heldOutRows = packSequences(
    heldOut, tokenizer: tokenizer, length: recipe.sequenceLength, separator: sep, cls: cls, sep: sep)
  let config = BertConfig(
    vocabSize: tokenizer.vocabularySize, hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2,
    intermediateSize: 512, maxPositionEmbeddings: 128)
  let model = BertForMaskedLM(config, generator: Generator(seed: recipe.seed))
  print(
    "\(rows.count) training sequences of \(recipe.sequenceLength) tokens, \(heldOutRows.count) held out; \(model.parameterCount()) parameters"
  )
  var lastPrinted = 0
  let report = try pretrainMaskedLM(
    model, tokenizer: tokenizer, training: rows, heldOut: heldOutRows, recipe: recipe
  ) { step, metrics in
    if step * 20 / recipe.steps > lastPrinted || step == recipe.steps {
      lastPrinted = step * 20 / recipe.steps
      let values = metrics.keys.sorted().map { String(format: "%@ %.4g", $0, metrics[$0]!) }.joined(
        separator: "  ")
      print("step \(step)/\(recipe.steps)  \(values)")
    }
  }
  let directory = URL(fileURLWithPath: output)
  try model.save(to: directory)
  try tokenizer.write(to: directory.appendingPathComponent("vocab.txt"))
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
    # \(directory.lastPathComponent): the kit's pre-trained BERT-style model

    A small BERT (Hugging Face `BertForMaskedLM` layout) pre-trained by the kit itself with masked
    language modelling on `datasets/corpus/general.txt`, for the course's fine-tuning lessons.

    ## Recipe (reproduce with this command from the package root, release build)

    ```sh
    swift run -c release course pretrain --arch bert --output \(output) --steps \(recipe.steps) --seed \(recipe.seed) --vocabulary \(vocabularySize)
    ```

    - Tokenizer: WordPiece trained on the corpus, \(tokenizer.vocabularySize) entries (`vocab.txt`), uncased.
    - Model: hidden 128, 2 layers, 2 heads, FFN 512, GELU, dropout 0.1, \(model.parameterCount()) parameters.
    - Data: \(training.count) documents packed into \(rows.count) sequences of \(recipe.sequenceLength) tokens
      (`[CLS] … [SEP]`); the last \(heldOutCount) documents (\(heldOutRows.count) sequences) held out.
    - Masking: dynamic, 15% of non-special tokens; 80% [MASK], 10% random, 10% unchanged.
    - Optimisation: AdamW (β 0.9/0.999, ε 1e-8, weight decay \(recipe.weightDecay) except biases and LayerNorm),
      learning rate \(recipe.learningRate), linear warm-up over \(Int(Double(recipe.steps) * recipe.warmupRatio)) steps then linear
      decay, batch \(recipe.batchSize), \(recipe.steps) steps (\(report.tokens) tokens), seed \(recipe.seed).
    - Time: \(String(format: "%.0f", seconds)) s in all on \(Threads.count) threads (training \(String(format: "%.0f", report.seconds)) s).

    ## Held-out figures (masked tokens of the held-out documents, fixed masking)

    | | loss | perplexity | masked-token accuracy |
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
