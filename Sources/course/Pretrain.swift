// `course pretrain --arch bert|gpt|roberta --output DIR [--steps N] [--seed N] [--resume]`:
// pre-trains the kit's BERT-style (MLM), GPT-style (causal LM) or RoBERTa-style (MLM with
// RoBERTa's byte-level BPE, `<s> … </s>` and offset positions) model on datasets/corpus/general.txt with
// the Trainer and writes a Hugging Face checkpoint directory with its vocabulary, its training
// curve and a model card. Checkpoints go to DIR/checkpoint-N (the newest is kept); `--resume`
// continues from it.

import CourseTools
import Foundation
import Models
import TensorCore
import Tokenizers
import Training

/// `course pretrain`'s architectures.
enum PretrainArchitecture: String, CaseIterable, OptionValue {
  case bert, gpt, roberta

  /// The name the model card gives the architecture.
  var displayName: String { ["bert": "BERT", "gpt": "GPT", "roberta": "RoBERTa"][rawValue]! }
}

/// The hidden size of every model `course pretrain` makes (bert-mini's).
let newModelHiddenSize = 128

/// The shape of a new kit BERT (bert-mini's, with `--layers` layers and `--heads` heads), the
/// same for MLM alone and for MLM with a sentence objective.
func newBertConfig(_ options: Pretrain, vocabularySize: Int) -> BertConfig {
  BertConfig(
    vocabSize: vocabularySize, hiddenSize: newModelHiddenSize, numHiddenLayers: options.layers,
    numAttentionHeads: options.heads,
    intermediateSize: 512, maxPositionEmbeddings: 128)
}

/// `course pretrain`'s options: transformers' `run_mlm.py` / `run_clm.py` on the kit's corpus.
struct Pretrain: CourseCommand {
  @Option("--arch", help: "BERT-style (masked LM), GPT-style (causal LM) or RoBERTa-style (masked LM)")
  var arch = PretrainArchitecture.bert
  @Option("--output", value: "DIR", help: "the model directory to write (checkpoints in DIR/checkpoint-N)")
  var output: String
  @Option("--steps", .atLeast(1), help: "optimizer steps")
  var steps = 3000
  @Option("--seed", help: "the seed of the weights, the masking and the data order")
  var seed: UInt64 = 42
  @Option("--corpus", value: "FILE", help: "the training text, one document per line")
  var corpus = "datasets/corpus/general.txt"
  @Option("--vocabulary", .atLeast(1), help: "the size of the vocabulary to train")
  var vocabulary = 2000
  @Option("--save-steps", .atLeast(1), help: "steps between checkpoints")
  var saveSteps = 500
  @Flag("--resume", help: "continue from the newest checkpoint in --output")
  var resume: Bool
  @Option(
    "--objective",
    help:
      "masked LM alone, or with ALBERT's sentence-order or BERT's next-sentence prediction, or with the row's bag of words predicted from [CLS] (BERT only; bow best with --line-by-line)"
  )
  var objective = PretrainObjective.mlm
  @Option(
    "--model", value: "DIR",
    help: "continue from this BERT checkpoint and its vocabulary (default: a new model and vocabulary)")
  var model: String? = nil
  @Option("--lr", .atLeast(0), help: "the peak learning rate")
  var lr = 1e-3
  @Option(
    "--dupe-factor", .atLeast(1),
    help:
      "NSP/SOP: draw each document's pair this many times, with other cuts and partners (BERT's dupe_factor)")
  var dupeFactor = 10
  @Option(
    "--layers", .atLeast(1),
    help: "transformer layers of a new model (transformers' num_hidden_layers / n_layer)")
  var layers = 2
  @Option(
    "--heads", .atLeast(1),
    help:
      "attention heads per layer of a new model, dividing the hidden size 128 (num_attention_heads / n_head)")
  var heads = 2
  @Flag(
    "--freeze-position-embeddings",
    help:
      "BERT: the position embeddings take no gradient, so a new model's stay at their N(0, 0.02) draw, small beside the word embeddings (bert-mini's card measures what this does to [CLS])"
  )
  var freezePositionEmbeddings: Bool
  @Flag(
    "--line-by-line",
    help:
      "masked LM: one row per document, cut at 64 tokens, instead of rows packed across documents (run_mlm.py's --line_by_line)"
  )
  var lineByLine: Bool

  func run() throws -> Int32 {
    if objective.sentence == nil, _dupeFactor.isSet {
      throw CourseToolError(
        "--dupe-factor: only with --objective mlm+nsp or mlm+sop (MLM masks anew every step)")
    }
    let shapeOptions = [("--layers", _layers.isSet), ("--heads", _heads.isSet)]
    if model != nil, let name = shapeOptions.first(where: \.1)?.0 {
      throw CourseToolError(
        "\(name): only for a new model; with --model the checkpoint's config.json decides")
    }
    guard newModelHiddenSize % heads == 0 else {
      throw CourseToolError(
        "--heads: must divide the hidden size \(newModelHiddenSize) (each head gets \(newModelHiddenSize) / heads dimensions), got \(heads)"
      )
    }
    if lineByLine, arch == .gpt || objective.sentence != nil {
      throw CourseToolError(
        "--line-by-line: only for masked LM (--arch bert or roberta, --objective mlm or mlm+bow); sentence pairs are one document each already"
      )
    }
    let bertOnly = [
      ("--objective", objective != .mlm), ("--model", model != nil),
      ("--freeze-position-embeddings", freezePositionEmbeddings),
    ]
    if arch != .bert, let name = bertOnly.first(where: \.1)?.0 {
      throw CourseToolError(
        "\(name): only with --arch bert (the \(arch.displayName)-style model learns by \(arch == .gpt ? "causal LM" : "masked LM alone, as RoBERTa dropped next-sentence prediction"))"
      )
    }
    return objective.sentence == nil ? try runPretrain(self) : try runSentencePairPretrain(self)
  }
}

func runPretrain(_ options: Pretrain) throws -> Int32 {
  let (arch, output) = (options.arch.rawValue, options.output)
  // The recipe: transformers' TrainingArguments, as run_mlm.py / run_clm.py take them.
  let (sequenceLength, evaluateEvery) = (64, 250)
  var args = TrainingArguments(outputDir: output, perDeviceTrainBatchSize: 32, learningRate: options.lr)
  args.maxSteps = options.steps
  args.seed = options.seed
  args.perDeviceEvalBatchSize = 32
  args.warmupRatio = 0.05
  args.weightDecay = 0.01
  args.evalStrategy = .steps
  args.evalSteps = evaluateEvery
  args.loggingSteps = max(1, args.maxSteps / 20)
  args.saveSteps = options.saveSteps
  args.saveTotalLimit = 1
  args.disableTqdm = true
  let (resume, vocabularySize, corpusPath) = (options.resume, options.vocabulary, options.corpus)
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
  manualSeed(args.seed)
  let start = Date()
  let directory = URL(fileURLWithPath: output)
  /// The training and held-out documents as rows of `sequenceLength` ids (`packSequences`),
  /// refused when either is empty.
  func packed(_ tokenizer: Tokenizer, separator: Int, cls: Int? = nil, sep: Int? = nil) throws -> (
    rows: [[Int]], heldOut: [[Int]]
  ) {
    func rows(_ documents: [String]) -> [[Int]] {
      if options.lineByLine, let cls, let sep {
        return lineByLineSequences(
          documents, tokenizer: tokenizer, length: sequenceLength, cls: cls, sep: sep)
      }
      return packSequences(
        documents, tokenizer: tokenizer, length: sequenceLength, separator: separator, cls: cls, sep: sep)
    }
    let (rows, heldOutRows) = (rows(training), rows(heldOut))
    guard !rows.isEmpty, !heldOutRows.isEmpty else {
      throw CourseToolError(
        "the corpus is too small: pre-training needs at least one row of \(sequenceLength) tokens of training "
          + "text and one held-out row, and got \(rows.count) training and \(heldOutRows.count) held-out rows"
      )
    }
    return (rows, heldOutRows)
  }
  /// Prints the training and evaluation log lines (about 20 of each kind in a run).
  final class PrintLogs: TrainerCallback {
    func onLog(args: TrainingArguments, state: TrainerState, logs: [String: Double]) {
      let keys = ["loss", "learning_rate", "eval_loss", "eval_perplexity", "eval_accuracy"].filter {
        logs[$0] != nil
      }
      guard !keys.isEmpty, logs["train_runtime"] == nil else { return }
      let values = keys.map { String(format: "%@ %.4g", $0, logs[$0]!) }.joined(separator: "  ")
      print("step \(state.globalStep)/\(args.maxSteps)  \(values)")
    }
  }
  /// A Trainer of masked language modelling on `data`, whose checkpoints carry `tokenizer`.
  func maskedLMTrainer(
    _ model: some MaskedLanguageModel, _ data: (rows: [[Int]], heldOut: [[Int]]),
    collator: DataCollatorForLanguageModeling, tokenizer: Tokenizer
  ) throws -> LanguageModelingTrainer {
    let trainer = try Trainer(
      model: model, args: args, trainDataset: data.rows, evalDataset: data.heldOut, dataCollator: collator,
      callbacks: [PrintLogs()])
    return announced(trainer, model, data, tokenizer: tokenizer)
  }
  /// `trainer`, told the tokenizer its checkpoints carry, once the sizes are printed.
  func announced(
    _ trainer: LanguageModelingTrainer, _ model: Module, _ data: (rows: [[Int]], heldOut: [[Int]]),
    tokenizer: Tokenizer
  ) -> LanguageModelingTrainer {
    print(
      "\(data.rows.count) training sequences, \(data.heldOut.count) held out; \(model.parameterCount()) parameters"
    )
    trainer.tokenizer = tokenizer
    return trainer
  }
  let trainer: LanguageModelingTrainer
  let parameters: Int
  var (rowCount, heldOutRowCount) = (0, 0)
  var description: [String] = []
  /// mlm+bow: the held-out documents' bag-of-words loss through [CLS], now.
  var bagOfWordsLoss: (() throws -> Double)? = nil
  if arch == "bert" {
    let tokenizer = try pretrainingTokenizer(options, training: training)
    let (cls, sep) = (tokenizer.id(of: "[CLS]"), tokenizer.id(of: "[SEP]"))
    let data = try packed(tokenizer, separator: sep, cls: cls, sep: sep)
    // classifier_pooling stays "cls", BERT's and transformers' only head. MLM alone never trains
    // the [CLS] state (mlm+bow does); a lesson that wants the mean of the tokens asks for it.
    let config = newBertConfig(options, vocabularySize: tokenizer.vocabularySize)
    let collator = DataCollatorForLanguageModeling(tokenizer: tokenizer)
    let model: Module
    if options.objective == .mlmBow {
      let preTraining =
        try options.model.map { try BertForPreTraining.fromPretrained($0) }
        ?? BertForPreTraining(config, generator: Generator(seed: args.seed))
      freezePositionEmbeddings(of: preTraining, options)
      trainer = announced(
        try Trainer(
          maskedLMWithBagOfWords: preTraining, args: args, trainDataset: data.rows, evalDataset: data.heldOut,
          dataCollator: collator, callbacks: [PrintLogs()]), preTraining, data, tokenizer: tokenizer)
      bagOfWordsLoss = {
        try heldOutBagOfWordsLoss(
          preTraining, data.heldOut, padTokenId: collator.padTokenId!, ignoring: collator.specialTokenIds)
      }
      model = preTraining
    } else {
      let maskedLM =
        try options.model.map { try BertForMaskedLM.fromPretrained($0) }
        ?? BertForMaskedLM(config, generator: Generator(seed: args.seed))
      freezePositionEmbeddings(of: maskedLM, options)
      trainer = try maskedLMTrainer(maskedLM, data, collator: collator, tokenizer: tokenizer)
      model = maskedLM
    }
    (parameters, rowCount, heldOutRowCount) = (model.parameterCount(), data.rows.count, data.heldOut.count)
    let bow = options.objective == .mlmBow
    description = [
      bow
        ? "A small BERT (Hugging Face `BertForPreTraining` layout) pre-trained by the kit itself with masked language modelling and the bag-of-words objective on [CLS] (`--objective mlm+bow`)"
        : "A small BERT (Hugging Face `BertForMaskedLM` layout) pre-trained by the kit itself with masked language modelling",
      options.model.map { "WordPiece from \($0), \(tokenizer.vocabularySize) entries (`vocab.txt`)" }
        ?? "WordPiece trained on the corpus, \(tokenizer.vocabularySize) entries (`vocab.txt`), uncased",
      "`[CLS] … [SEP]`",
      "Masking: dynamic, 15% of non-special tokens; 80% [MASK], 10% random, 10% unchanged."
        + (bow
          ? "\n- Bag of words: in the same forward pass, the masked row's pooled [CLS] state times the tied word\n  embeddings predicts the row's distinct words (its unmasked text, special tokens left out), soft\n  cross-entropy against the bag spread evenly, added to the MLM loss (`maskedLMAndBagOfWordsLoss`).\n  `cls.seq_relationship` is in the file, as `BertForPreTraining` has it, but untrained."
          : "")
        + positionNote(options),
      "masked tokens of the held-out documents, fixed masking", "masked-token accuracy",
    ]
  } else if arch == "roberta" {
    print("training a byte-level BPE vocabulary of \(vocabularySize) on \(training.count) documents...")
    let tokenizer = try RobertaTokenizer.train(corpus: training, vocabularySize: vocabularySize)
    let (bos, eos) = (tokenizer.clsTokenId, tokenizer.sepTokenId)
    // FULL-SENTENCES (RoBERTa, section 4.2): rows may cross documents, which an extra </s> separates.
    let data = try packed(tokenizer, separator: eos, cls: bos, sep: eos)
    // Positions start past <pad> (id 1): 128 tokens need 130 rows of the position table.
    let config = RobertaConfig(
      vocabSize: tokenizer.vocabularySize, hiddenSize: newModelHiddenSize, numHiddenLayers: options.layers,
      numAttentionHeads: options.heads,
      intermediateSize: 512, maxPositionEmbeddings: 128 + tokenizer.padTokenId! + 1)
    let model = RobertaForMaskedLM(config, generator: Generator(seed: args.seed))
    trainer = try maskedLMTrainer(
      model, data, collator: DataCollatorForLanguageModeling(tokenizer: tokenizer), tokenizer: tokenizer)
    (parameters, rowCount, heldOutRowCount) = (model.parameterCount(), data.rows.count, data.heldOut.count)
    description = [
      "A small RoBERTa (Hugging Face `RobertaForMaskedLM` layout) pre-trained by the kit itself with masked language modelling",
      "byte-level BPE trained on the corpus, \(tokenizer.vocabularySize) entries (`vocab.json`, `merges.txt`; `<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, `<mask>` last), cased",
      "`<s> … </s>`, documents separated by `</s>`; positions count from `pad_token_id + 1` = 2",
      "Masking: dynamic (drawn anew for every batch), 15% of non-special tokens; 80% `<mask>`, 10% random, 10% unchanged. No next-sentence prediction.",
      "masked tokens of the held-out documents, fixed masking", "masked-token accuracy",
    ]
  } else {
    print("training a byte-level BPE vocabulary of \(vocabularySize) on \(training.count) documents...")
    let tokenizer = ByteLevelBPETokenizer.train(corpus: training, vocabularySize: vocabularySize)
    let eos = tokenizer.vocabulary["<|endoftext|>"]!
    let data = try packed(tokenizer, separator: eos)
    var config = GPT2Config(
      vocabSize: tokenizer.vocabularySize, nPositions: 128, nEmbd: newModelHiddenSize, nLayer: options.layers,
      nHead: options.heads,
      nInner: 512)
    (config.bosTokenId, config.eosTokenId) = (eos, eos)
    let model = GPT2LMHeadModel(config, generator: Generator(seed: args.seed))
    trainer = announced(
      try Trainer(
        model: model, args: args, trainDataset: data.rows, evalDataset: data.heldOut, callbacks: [PrintLogs()]
      ),
      model, data, tokenizer: tokenizer)
    (parameters, rowCount, heldOutRowCount) = (model.parameterCount(), data.rows.count, data.heldOut.count)
    description = [
      "A small GPT-2 (Hugging Face `GPT2LMHeadModel` layout) pre-trained by the kit itself with causal language modelling",
      "byte-level BPE trained on the corpus, \(tokenizer.vocabularySize) entries (`vocab.json`, `merges.txt`)",
      "windows, documents joined by `<|endoftext|>`", "Objective: predict every next token.",
      "next tokens of the held-out documents", "next-token accuracy",
    ]
  }
  // The freshly initialised model first (its held-out figures are the "before" row), then the
  // run, resumed from the newest checkpoint in --output with --resume.
  let checkpoint = resume ? trainer.lastCheckpoint : nil
  if resume && checkpoint == nil { throw CourseToolError("--resume: no checkpoint-N directory in \(output)") }
  let before = try trainer.evaluate()
  let bagBefore = try bagOfWordsLoss?()
  if let checkpoint { print("resuming from \(checkpoint.path)") }
  let result = try trainer.train(resumeFrom: checkpoint)
  // The last step is evaluated too, when the evaluation interval does not end on it.
  if trainer.evaluations.last?.step != result.globalStep { try trainer.evaluate() }
  let bagAfter = try bagOfWordsLoss?()
  try trainer.saveModel(to: directory)
  let evaluations =
    [EvaluationPoint(step: 0, loss: before["eval_loss"]!, accuracy: before["eval_accuracy"] ?? .nan)]
    + trainer.evaluations
  let trainingSeconds = result.metrics["train_runtime"]!
  let tokens = Int((result.metrics["train_tokens_per_second"]! * trainingSeconds).rounded())
  var curve: [String: Any] = [
    "training_loss": trainer.stepLosses,
    "evaluations": evaluations.map {
      ["step": $0.step, "loss": $0.loss, "perplexity": $0.perplexity, "accuracy": $0.accuracy]
    },
  ]
  // A line of the card, and of the curve file, for the bag-of-words half of mlm+bow.
  var bagNote = ""
  if let bagBefore, let bagAfter, let vocabulary = trainer.tokenizer?.vocabularySize {
    curve["bag_of_words_loss"] = ["before": bagBefore, "after": bagAfter]
    curve["objective"] = options.objective.rawValue
    bagNote = String(
      format:
        "\nBag-of-words loss of the held-out documents, read unmasked through the pooled [CLS] state\n(`heldOutBagOfWordsLoss`; a uniform guess scores log %d = %.3f): %.3f before training, %.3f after.\n",
      vocabulary, log(Double(vocabulary)), bagBefore, bagAfter)
  }
  try JSONSerialization.data(withJSONObject: curve, options: [.sortedKeys]).write(
    to: directory.appendingPathComponent("pretraining.json"), options: .atomic)
  let first = evaluations.first!
  let last = evaluations.last!
  let seconds = Date().timeIntervalSince(start)
  let headNote = [
    "bert": options.objective == .mlmBow
      ? "\n- Classification head: `classifier_pooling: \"cls\"` (BERT's pooler, what transformers computes), the\n  state the bag-of-words objective trained."
      : "\n- Classification head: `classifier_pooling: \"cls\"` (BERT's pooler, what transformers computes). MLM\n  never trains the [CLS] state; `classifierPooling: \"mean\"` (a kit extension) reads the mean of the token\n  states instead (Lesson 5 measures both).",
    "roberta":
      "\n- Classification head: `RobertaClassificationHead` reads the `<s>` state (what transformers computes).\n  `<s>` is never masked, so MLM never trains it as a prediction target.",
  ]
  let card = """
    # \(directory.lastPathComponent): the kit's pre-trained \(options.arch.displayName)-style model

    \(description[0]) on `datasets/corpus/general.txt`, for the course's fine-tuning lessons.

    ## Recipe (reproduce with this command from the package root, release build)

    ```sh
    swift run -c release course pretrain --arch \(arch) --output \(output) --steps \(args.maxSteps) --seed \(args.seed) --vocabulary \(vocabularySize)\(continuation(options))
    ```

    - Tokenizer: \(description[1]).
    - Model: hidden \(newModelHiddenSize), \(options.layers) layers, \(options.heads) heads, FFN 512, dropout 0.1, \(parameters) parameters.\(headNote[arch] ?? "")
    - Data: \(training.count) documents \(options.lineByLine ? "one per sequence (`--line-by-line`), \(rowCount) sequences of at most" : "packed into \(rowCount) sequences of") \(sequenceLength) tokens
      (\(description[2])); the last \(heldOutCount) documents (\(heldOutRowCount) sequences) held out.
    - \(description[3])
    - Optimisation: the kit's Trainer: AdamW (β 0.9/0.999, ε 1e-8, weight decay \(args.weightDecay) except biases
      and LayerNorm), learning rate \(args.learningRate), linear warm-up over \(args.warmupSteps(totalSteps: args.maxSteps)) steps then linear
      decay, gradients clipped to norm \(args.maxGradNorm), batch \(args.perDeviceTrainBatchSize), \(args.maxSteps) steps (\(tokens) tokens), seed \(args.seed).
    - Time: \(String(format: "%.0f", seconds)) s in all on \(Threads.count) thread\(Threads.count == 1 ? "" : "s") (training \(String(format: "%.0f", trainingSeconds)) s).

    ## Held-out figures (\(description[4]))

    | | loss | perplexity | \(description[5]) |
    | --- | ---: | ---: | ---: |
    | before training | \(String(format: "%.3f", first.loss)) | \(String(format: "%.1f", first.perplexity)) | \(String(format: "%.1f%%", first.accuracy * 100)) |
    | after \(result.globalStep) steps | \(String(format: "%.3f", last.loss)) | \(String(format: "%.2f", last.perplexity)) | \(String(format: "%.1f%%", last.accuracy * 100)) |
    \(bagNote)
    The whole curve (training loss per step, held-out figures every \(evaluateEvery) steps) is in
    `pretraining.json`; the Trainer's log is in `trainer_state.json`.

    """
  try Data(card.utf8).write(to: directory.appendingPathComponent("README.md"), options: .atomic)
  print(
    String(
      format: "held-out loss %.3f -> %.3f, perplexity %.1f -> %.2f, accuracy %.1f%% -> %.1f%%; wrote %@",
      first.loss, last.loss, first.perplexity, last.perplexity, first.accuracy * 100, last.accuracy * 100,
      directory.path))
  return 0
}
