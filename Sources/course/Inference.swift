// `course fill-mask`, `course embed`, `course generate`: using a checkpoint directory from the
// command line, as transformers' pipelines do. Every problem with the arguments, the input or
// the checkpoint is reported with the option, file or line it concerns; nothing is printed for
// an input until all of it has been checked.

import CourseTools
import FileInput
import Foundation
import Models
import TensorCore
import Tokenizers
import Training

/// A line of an input file, numbered from 1 as editors number them.
struct InputLine {
  let number: Int
  let text: String
}

/// The non-blank lines of an input file (`-` for standard input); blank lines are skipped.
func inputLines(_ path: String) throws -> [InputLine] {
  let data: Data
  if path == "-" {
    data = FileHandle.standardInput.readDataToEndOfFile()
  } else {
    guard let contents = FileManager.default.contents(atPath: path) else {
      throw CourseToolError(
        "--input \(path): cannot read the file (expected a text file, one input per line)")
    }
    data = contents
  }
  guard let text = String(data: data, encoding: .utf8) else {
    throw CourseToolError("\(path): not valid UTF-8")
  }
  // "\r\n" is one Character in Swift: splitting at "\n" alone would keep a Windows file whole.
  let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
  return lines.enumerated().compactMap { i, line in
    line.allSatisfy(\.isWhitespace) ? nil : InputLine(number: i + 1, text: String(line))
  }
}

func jsonLine(_ object: Any) throws -> String {
  String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

/// The checkpoint directory named by `--model`, which must hold `files`.
func checkpointDirectory(_ path: String, command: String, files: [String]) throws -> URL {
  // An unreadable directory would otherwise look empty ("no config.json in this directory").
  if let problem = permissionProblem(reading: path) { throw CourseToolError("--model \(path): \(problem)") }
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
    throw CourseToolError(
      "--model \(path): no such directory (expected a checkpoint directory: config.json, model.safetensors and the tokenizer's files)"
    )
  }
  let directory = URL(fileURLWithPath: path)
  for file in files where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path)
  {
    throw CourseToolError(
      "--model \(path): no \(file) in this directory; \(command) needs \(files.joined(separator: ", "))")
  }
  return directory
}

/// The checkpoint's tokenizer, loaded as every command loads it (`loadTokenizer(at:)`:
/// tokenizer.json first, then vocab.txt, then vocab.json + merges.txt), and the file it came from.
func checkpointTokenizer(in directory: URL, model path: String) throws -> (
  tokenizer: any Tokenizer, file: URL
) {
  guard let file = tokenizerFile(in: directory) else {
    throw CourseToolError(
      "--model \(path): no tokenizer.json, vocab.txt, or vocab.json + merges.txt in this directory")
  }
  return (try loadTokenizer(at: directory), file)
}

/// An encoder checkpoint's tokenizer (BERT's WordPiece or RoBERTa's), for the commands that put
/// [CLS]/<s> and [MASK]/<mask> in.
func encoderTokenizer(in directory: URL, model path: String, command: String) throws -> (
  tokenizer: any Tokenizer, file: URL
) {
  let (tokenizer, file) = try checkpointTokenizer(in: directory, model: path)
  guard tokenizer is WordPieceTokenizer || tokenizer is RobertaTokenizer else {
    throw CourseToolError(
      "--model \(path): no vocab.txt, WordPiece or RoBERTa tokenizer in this directory (\(file.lastPathComponent) holds GPT-2's byte-level BPE tokenizer); \(command) needs a BERT or RoBERTa checkpoint"
    )
  }
  return (tokenizer, file)
}

/// The mask token of a BERT ([MASK]) or RoBERTa (<mask>) tokenizer, and its id.
func maskToken(of tokenizer: any Tokenizer) -> (token: String, id: Int)? {
  if let roberta = tokenizer as? RobertaTokenizer { return roberta.maskTokenId.map { ("<mask>", $0) } }
  return (tokenizer as? WordPieceTokenizer)?.vocabulary["[MASK]"].map { ("[MASK]", $0) }
}

/// A tokenizer whose ids the model's embedding table must cover.
func checkVocabulary(tokenizer size: Int, file: URL, model vocabSize: Int) throws {
  guard size <= vocabSize else {
    throw CourseToolError(
      "\(file.path): \(size) tokens, but config.json has vocab_size \(vocabSize); the tokenizer does not belong to this model"
    )
  }
}

/// `fill-mask --model DIR --input FILE [--top 5]`: the likeliest tokens for each [MASK] (BERT) or
/// <mask> (RoBERTa), one JSON object per input line,
/// `{"text": …, "masks": [[{"token", "id", "score"}, …], …]}`, the scores (probabilities) of each
/// mask in decreasing order.
struct FillMask: CourseCommand {
  @Option("--model", value: "DIR", help: "a BERT or RoBERTa checkpoint directory")
  var model: String
  @Option("--input", value: "FILE", help: "texts with [MASK] or <mask>, one per line (- for standard input)")
  var input: String
  @Option("--top", .atLeast(1), help: "candidates per [MASK]")
  var top = 5

  func run() throws -> Int32 { try runFillMask(self) }
}

func runFillMask(_ options: FillMask) throws -> Int32 {
  let (model, input, top) = (options.model, options.input, options.top)
  let directory = try checkpointDirectory(
    model, command: "fill-mask", files: ["config.json", "model.safetensors"])
  let (tokenizer, file) = try encoderTokenizer(in: directory, model: model, command: "fill-mask")
  guard let (mask, maskID) = maskToken(of: tokenizer) else {
    throw CourseToolError("\(file.path): no [MASK] or <mask> token")
  }
  let mlm = try PretrainedMaskedLM.fromPretrained(directory)  // BERT or RoBERTa, in eval mode
  try checkVocabulary(tokenizer: tokenizer.vocabularySize, file: file, model: mlm.vocabSize)
  let limit = mlm.maxLength
  let lines = try inputLines(input)
  let encodings = try lines.map { line in
    let encoding = tokenizer(line.text, maxLength: limit)
    guard encoding.ids.contains(maskID) else {
      let whole = tokenizer(line.text).ids.contains(maskID)
      throw CourseToolError(
        "\(input):\(line.number): "
          + (whole
            ? "every \(mask) is past the model's \(limit) positions; shorten the line"
            : "no \(mask) in this line; fill-mask predicts the token at each \(mask)"))
    }
    return encoding
  }
  for (line, encoding) in zip(lines, encodings) {
    let logits = try noGrad { try mlm(inputIds: [encoding.ids]) }  // (1, seq, vocabulary)
    let vocabulary = logits.shape[2]
    var masks: [[[String: Any]]] = []
    for (position, id) in encoding.ids.enumerated() where id == maskID {
      let row = Tensor(Array(logits.data[(position * vocabulary)..<((position + 1) * vocabulary)])).softmax(
        axis: 0
      ).data
      let best = row.indices.sorted { row[$0] > row[$1] }.prefix(top)
      masks.append(best.map { ["token": tokenizer.tokens[$0], "id": $0, "score": Double(row[$0])] })
    }
    print(try jsonLine(["text": line.text, "masks": masks]))
  }
  return 0
}

/// `embed --model DIR --input FILE [--pooling cls|mean]`: one vector (a JSON array of the hidden
/// size) per non-blank input line: the final hidden state of [CLS] (<s> for RoBERTa), or the mean
/// over the tokens.
struct Embed: CourseCommand {
  /// A text's vector: the final hidden state of [CLS], or the mean of the token states.
  enum Pooling: String, CaseIterable, OptionValue { case cls, mean }

  @Option("--model", value: "DIR", help: "a BERT or RoBERTa checkpoint directory")
  var model: String
  @Option("--input", value: "FILE", help: "the texts, one per line (- for standard input)")
  var input: String
  @Option("--pooling", help: "the [CLS] state or the mean of the token states")
  var pooling = Pooling.mean

  func run() throws -> Int32 { try runEmbed(self) }
}

func runEmbed(_ options: Embed) throws -> Int32 {
  let (model, input, pooling) = (options.model, options.input, options.pooling)
  let directory = try checkpointDirectory(
    model, command: "embed", files: ["config.json", "model.safetensors"])
  let (tokenizer, file) = try encoderTokenizer(in: directory, model: model, command: "embed")
  let encoder = try PretrainedEncoder.fromPretrained(directory)  // BERT or RoBERTa, in eval mode
  try checkVocabulary(tokenizer: tokenizer.vocabularySize, file: file, model: encoder.vocabSize)
  for line in try inputLines(input) {
    let encoding = tokenizer(line.text, maxLength: encoder.maxLength)
    let hidden = try noGrad { try encoder(inputIds: [encoding.ids]) }  // (1, seq, hidden)
    let vector = pooling == .cls ? Array(hidden.data.prefix(hidden.shape[2])) : meanPooling(hidden).data
    print(try jsonLine(vector.map(Double.init)))
  }
  return 0
}

/// `generate --model DIR --prompt TEXT [--max-new-tokens 20] [--temperature 0] [--top-k K] [--seed 42]`:
/// the prompt and its continuation; greedy at temperature 0, else sampled (the same seed, the
/// same text).
struct Generate: CourseCommand {
  @Option("--model", value: "DIR", help: "a GPT-2-style checkpoint directory")
  var model: String
  @Option("--prompt", help: "the text to continue")
  var prompt: String
  @Option("--max-new-tokens", .atLeast(0), help: "tokens to add")
  var maxNewTokens = 20
  @Option("--temperature", .atLeast(0), help: "0: greedy decoding; above 0: sampling, flatter as it grows")
  var temperature: Float = 0
  @Option("--top-k", .atLeast(1), help: "sample among the N likeliest tokens only (absent: all)")
  var topK: Int? = nil
  @Option("--seed", help: "the seed of the sampling")
  var seed: UInt64 = 42

  func run() throws -> Int32 { try runGenerate(self) }
}

func runGenerate(_ options: Generate) throws -> Int32 {
  let (model, prompt, maxNewTokens, topK) = (
    options.model, options.prompt, options.maxNewTokens, options.topK
  )
  let (temperature, seed) = (options.temperature, options.seed)
  let directory = try checkpointDirectory(
    model, command: "generate", files: ["config.json", "model.safetensors"])
  let (loaded, file) = try checkpointTokenizer(in: directory, model: model)
  guard let tokenizer = loaded as? ByteLevelBPETokenizer else {
    throw CourseToolError(
      "--model \(model): generate needs a GPT-2 style tokenizer (vocab.json + merges.txt or tokenizer.json)")
  }
  let promptIDs = tokenizer.encode(prompt)
  guard !promptIDs.isEmpty else {
    throw CourseToolError("--prompt is empty; generate needs at least one token to continue")
  }
  let gpt = try GPT2LMHeadModel.fromPretrained(directory)
  try checkVocabulary(
    tokenizer: tokenizer.vocabularySize, file: file, model: gpt.transformer.config.vocabSize)
  gpt.eval()
  let ids = try gpt.generate(
    prompt: promptIDs, maxNewTokens: maxNewTokens, temperature: temperature, topK: topK,
    eosTokenId: tokenizer.eosTokenId, generator: Generator(seed: seed))
  print(tokenizer.decode(ids))
  return 0
}
