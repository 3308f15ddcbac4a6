// `course pretrain --objective mlm+sop|mlm+nsp`: BERT pre-training with a sentence-level
// objective beside masked-language modelling (BertForPreTraining), the one that trains the
// [CLS] state a classifier reads: ALBERT's sentence-order prediction or BERT's next-sentence
// prediction. (`--objective mlm+bow`, the bag of words from [CLS], reads rows as MLM alone does
// and runs in Pretrain.swift.) `--model DIR` continues from an existing checkpoint and its vocabulary.

import CourseTools
import Foundation
import Models
import TensorCore
import Tokenizers
import Training

/// `course pretrain --objective`: what the BERT-style model learns.
enum PretrainObjective: String, CaseIterable, OptionValue {
  case mlm
  case mlmSop = "mlm+sop"
  case mlmNsp = "mlm+nsp"
  /// MLM plus the row's bag of words predicted from the pooled [CLS] state.
  case mlmBow = "mlm+bow"

  /// The sentence-level objective beside MLM, if any.
  var sentence: SentenceObjective? {
    switch self {
    case .mlm, .mlmBow: return nil
    case .mlmSop: return .sop
    case .mlmNsp: return .nsp
    }
  }
}

/// The options that continue a checkpoint, as the model card's command repeats them.
func continuation(_ options: Pretrain) -> String {
  (options.objective == .mlm ? "" : " --objective \(options.objective.rawValue)")
    + (options.model.map { " --model \($0)" } ?? "") + (options.lr == 1e-3 ? "" : " --lr \(options.lr)")
    + (options.layers == 2 ? "" : " --layers \(options.layers)")
    + (options.heads == 2 ? "" : " --heads \(options.heads)")
    + (options.freezePositionEmbeddings ? " --freeze-position-embeddings" : "")
    + (options.lineByLine ? " --line-by-line" : "")
}

/// `--freeze-position-embeddings`: the BERT's position table takes no gradient, so the optimizer
/// (weight decay included) leaves it as drawn. Learned positions grow to rival the word vectors;
/// whether small ones let [CLS] transfer is bert-mini's card's question (yes in one PyTorch
/// prototype run; not at its second seed, nor in the kit's runs).
func freezePositionEmbeddings(of model: Module, _ options: Pretrain) {
  guard options.freezePositionEmbeddings else { return }
  model.freeze(where: { $0.hasSuffix("embeddings.position_embeddings.weight") })
}

/// The model card's line on frozen positions, if they were.
func positionNote(_ options: Pretrain) -> String {
  options.freezePositionEmbeddings
    ? "\n- Position embeddings: frozen (`--freeze-position-embeddings`) \(options.model.map { "as loaded from \($0)" } ?? "at their initial N(0, 0.02) draw")."
    : ""
}

/// The vocabulary: `--model`'s vocab.txt, or WordPiece trained on the training documents.
func pretrainingTokenizer(_ options: Pretrain, training: [String]) throws -> WordPieceTokenizer {
  if let model = options.model {
    let file = URL(fileURLWithPath: model).appendingPathComponent("vocab.txt")
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw CourseToolError(
        "--model \(model): no vocab.txt; continuing needs a BERT checkpoint with its vocabulary")
    }
    return try WordPieceTokenizer(vocabularyFile: file)
  }
  print("training a WordPiece vocabulary of \(options.vocabulary) on \(training.count) documents...")
  return try WordPieceTokenizer.train(corpus: training, vocabularySize: options.vocabulary)
}

func runSentencePairPretrain(_ options: Pretrain) throws -> Int32 {
  let objective = options.objective.sentence!
  guard let text = try? String(contentsOfFile: options.corpus, encoding: .utf8) else {
    throw CourseToolError(
      "\(options.corpus): cannot read the corpus (run from the package root, or pass --corpus)")
  }
  let documents = text.split(whereSeparator: \.isNewline).map(String.init).filter {
    !$0.allSatisfy(\.isWhitespace)
  }
  let heldOutCount = max(1, documents.count / 20)
  let (training, heldOut) = (Array(documents.dropLast(heldOutCount)), Array(documents.suffix(heldOutCount)))
  var args = TrainingArguments(
    outputDir: options.output, perDeviceTrainBatchSize: 32, learningRate: options.lr)
  args.maxSteps = options.steps
  args.seed = options.seed
  args.perDeviceEvalBatchSize = 64
  args.warmupRatio = 0.05
  args.weightDecay = 0.01
  args.evalStrategy = .no
  args.loggingSteps = max(1, args.maxSteps / 20)
  args.saveSteps = options.saveSteps
  args.saveTotalLimit = 1
  args.disableTqdm = true
  manualSeed(args.seed)
  let start = Date()
  let tokenizer = try pretrainingTokenizer(options, training: training)
  let length = 64
  // One pair per document is soon learned by heart over a long run. BERT's
  // create_pretraining_data.py draws every document dupe_factor = 10 times, each with its own cut
  // and its own partner document; so does this.
  let trainRows = (0..<options.dupeFactor).flatMap { k in
    sentencePairExamples(
      training, tokenizer: tokenizer, objective: objective, length: length,
      generator: Generator(seed: args.seed &+ UInt64(k)))
  }
  let heldOutRows = sentencePairExamples(
    heldOut, tokenizer: tokenizer, objective: objective, length: length, generator: Generator(seed: 4321))
  guard !trainRows.isEmpty, !heldOutRows.isEmpty else {
    throw CourseToolError(
      "\(options.corpus): no document of two sentences or more to make \(objective.rawValue) pairs from (training \(trainRows.count), held out \(heldOutRows.count))"
    )
  }
  let model: BertForPreTraining
  if let directory = options.model {
    let (loaded, report) = try BertForPreTraining.fromPretrained(directory, outputLoadingInfo: true)
    print(report)
    model = loaded
  } else {
    model = BertForPreTraining(
      newBertConfig(options, vocabularySize: tokenizer.vocabularySize),
      generator: Generator(seed: args.seed))
  }
  freezePositionEmbeddings(of: model, options)
  guard tokenizer.vocabularySize <= model.config.vocabSize else {
    throw CourseToolError("--model: vocab.txt has more entries than the model's vocab_size")
  }
  let pad = tokenizer.padTokenId ?? 0
  print(
    "\(trainRows.count) training pairs, \(heldOutRows.count) held out (\(objective.rawValue), half of them wrong); \(model.parameterCount()) parameters"
  )
  let trainer = try PreTrainingTrainer(
    model: model, args: args, trainDataset: trainRows, evalDataset: heldOutRows,
    dataCollator: DataCollatorForLanguageModeling(tokenizer: tokenizer, mlmProbability: 0.15))
  trainer.tokenizer = tokenizer
  let beforeMLM = try trainer.evaluate()
  let beforeSentence = try sentenceAccuracy(model, heldOutRows, padTokenId: pad)
  let result = try trainer.train()
  let afterMLM = try trainer.evaluate()
  let afterSentence = try sentenceAccuracy(model, heldOutRows, padTokenId: pad)
  try trainer.saveModel(to: URL(fileURLWithPath: options.output))
  let name = objective == .sop ? "sentence-order" : "next-sentence"
  let curve: [String: Any] = [
    "training_loss": trainer.stepLosses, "objective": options.objective.rawValue,
    "held_out_pairs": heldOutRows.count,
    "before": [
      "mlm_loss": beforeMLM["eval_loss"]!, "mlm_accuracy": beforeMLM["eval_accuracy"] ?? .nan,
      "sentence_accuracy": beforeSentence,
    ],
    "after": [
      "mlm_loss": afterMLM["eval_loss"]!, "mlm_accuracy": afterMLM["eval_accuracy"] ?? .nan,
      "sentence_accuracy": afterSentence,
    ],
  ]
  let directory = URL(fileURLWithPath: options.output)
  try JSONSerialization.data(withJSONObject: curve, options: [.sortedKeys]).write(
    to: directory.appendingPathComponent("pretraining.json"), options: .atomic)
  func row(_ label: String, _ mlm: [String: Double], _ sentence: Double) -> String {
    String(
      format: "| %@ | %.3f | %.1f%% | %.1f%% |", label, mlm["eval_loss"]!,
      (mlm["eval_accuracy"] ?? .nan) * 100,
      sentence * 100)
  }
  let card = """
    # \(directory.lastPathComponent): BERT pre-trained by the kit with MLM and \(name) prediction

    A small BERT (Hugging Face `BertForPreTraining` layout: `cls.predictions` and `cls.seq_relationship`)
    \(options.model.map { "continued from `\($0)`" } ?? "pre-trained from scratch") on `\(options.corpus)`.

    ## Recipe (reproduce with this command from the package root, release build)

    ```sh
    swift run -c release course pretrain --arch bert --output \(options.output) --steps \(args.maxSteps) --seed \(args.seed)\(options.model == nil ? " --vocabulary \(options.vocabulary)" : "")\(continuation(options))
    ```

    - Pairs: `[CLS] A [SEP] B [SEP]` (token types 0/1, at most \(length) tokens), A the sentences of a document
      before a random cut and B those after it; half of the pairs \(objective == .sop ? "swapped (A and B exchanged)" : "with B from another document"), label 1.
      \(trainRows.count) training pairs; \(heldOutRows.count) held out (the last \(heldOutCount) documents).
    - Loss: masked-language modelling (15%, 80/10/10) plus the \(name) cross-entropy on the pooled [CLS]
      state, summed, as transformers' `BertForPreTraining`.\(positionNote(options))
    - Optimisation: AdamW, learning rate \(args.learningRate), warm-up \(args.warmupSteps(totalSteps: args.maxSteps)) steps then
      linear decay, weight decay \(args.weightDecay), batch \(args.perDeviceTrainBatchSize), \(result.globalStep) steps, seed \(args.seed).
    - Time: \(String(format: "%.0f", Date().timeIntervalSince(start))) s on \(Threads.count) threads.

    ## Held-out figures

    | | MLM loss | masked-token accuracy | \(name) accuracy |
    | --- | ---: | ---: | ---: |
    \(row("before", beforeMLM, beforeSentence))
    \(row("after \(result.globalStep) steps", afterMLM, afterSentence))

    """
  try Data(card.utf8).write(to: directory.appendingPathComponent("README.md"), options: .atomic)
  print(
    String(
      format:
        "held-out %@ accuracy %.1f%% -> %.1f%%, masked-token accuracy %.1f%% -> %.1f%% (%d pairs); wrote %@",
      name, beforeSentence * 100, afterSentence * 100, (beforeMLM["eval_accuracy"] ?? .nan) * 100,
      (afterMLM["eval_accuracy"] ?? .nan) * 100, heldOutRows.count, options.output))
  return 0
}
