// `course fill-mask`, `course embed`, `course generate`: using a checkpoint directory from the
// command line, as transformers' pipelines do.

import CourseTools
import Foundation
import Models
import TensorCore
import Tokenizers

/// The lines of an input file (`-` for standard input).
func inputLines(_ path: String) throws -> [String] {
  let data =
    path == "-"
    ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
  guard let text = String(data: data, encoding: .utf8) else {
    throw CourseToolError("\(path): not valid UTF-8")
  }
  return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
}

func jsonLine(_ object: Any) throws -> String {
  String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

/// `fill-mask --model DIR --input FILE [--top 5]`: the likeliest tokens for each [MASK], one JSON
/// object per input line.
func runFillMask(_ arguments: [String]) throws -> Int32 {
  let (options, _) = try parseArguments(arguments)
  try rejectUnknown(options, allowed: ["--model", "--input", "--top"])
  guard let model = options["--model"], let input = options["--input"] else {
    throw CourseToolError("fill-mask needs --model DIR and --input FILE")
  }
  let top = Int(options["--top"] ?? "5") ?? 5
  let directory = URL(fileURLWithPath: model)
  let tokenizer = try WordPieceTokenizer(vocabularyFile: directory.appendingPathComponent("vocab.txt"))
  let (bert, _) = try BertForMaskedLM.fromPretrained(directory)
  bert.eval()
  let maskID = tokenizer.id(of: "[MASK]")
  for line in try inputLines(input) {
    let encoding = tokenizer(line, maxLength: bert.bert.config.maxPositionEmbeddings)
    let logits = try noGrad { try bert(inputIds: [encoding.ids]) }  // (1, seq, vocabulary)
    let vocabulary = logits.shape[2]
    var masks: [[[String: Any]]] = []
    for (position, id) in encoding.ids.enumerated() where id == maskID {
      let row = Tensor(Array(logits.data[(position * vocabulary)..<((position + 1) * vocabulary)])).softmax(
        axis: 0
      ).data
      let best = row.indices.sorted { row[$0] > row[$1] }.prefix(top)
      masks.append(best.map { ["token": tokenizer.tokens[$0], "id": $0, "score": Double(row[$0])] })
    }
    print(try jsonLine(["text": line, "masks": masks]))
  }
  return 0
}

/// `embed --model DIR --input FILE [--pooling cls|mean]`: one vector per input line, as JSON.
func runEmbed(_ arguments: [String]) throws -> Int32 {
  let (options, _) = try parseArguments(arguments)
  try rejectUnknown(options, allowed: ["--model", "--input", "--pooling"])
  guard let model = options["--model"], let input = options["--input"] else {
    throw CourseToolError("embed needs --model DIR and --input FILE")
  }
  let pooling = options["--pooling"] ?? "mean"
  guard ["cls", "mean"].contains(pooling) else {
    throw CourseToolError("--pooling must be cls or mean, got \(pooling)")
  }
  let directory = URL(fileURLWithPath: model)
  let tokenizer = try WordPieceTokenizer(vocabularyFile: directory.appendingPathComponent("vocab.txt"))
  let (bert, _) = try BertModel.fromPretrained(directory)
  bert.eval()
  for line in try inputLines(input) {
    let encoding = tokenizer(line, maxLength: bert.config.maxPositionEmbeddings)
    let hidden = try noGrad { try bert(inputIds: [encoding.ids]) }.lastHiddenState  // (1, seq, hidden)
    let size = hidden.shape[2]
    let vector: [Float] =
      pooling == "cls"
      ? Array(hidden.data.prefix(size))
      : (0..<size).map { j in
        (0..<encoding.ids.count).reduce(Float(0)) { $0 + hidden.data[$1 * size + j] }
          / Float(encoding.ids.count)
      }
    print(try jsonLine(vector.map(Double.init)))
  }
  return 0
}

/// `generate --model DIR --prompt TEXT [--max-new-tokens 20] [--temperature 0] [--top-k K] [--seed 42]`.
func runGenerate(_ arguments: [String]) throws -> Int32 {
  let (options, _) = try parseArguments(arguments)
  try rejectUnknown(
    options, allowed: ["--model", "--prompt", "--max-new-tokens", "--temperature", "--top-k", "--seed"])
  guard let model = options["--model"], let prompt = options["--prompt"] else {
    throw CourseToolError("generate needs --model DIR and --prompt TEXT")
  }
  let directory = URL(fileURLWithPath: model)
  guard let tokenizer = try loadTokenizer(at: directory) as? ByteLevelBPETokenizer else {
    throw CourseToolError(
      "\(model): generate needs a GPT-2 style tokenizer (vocab.json + merges.txt or tokenizer.json)")
  }
  let (gpt, _) = try GPT2LMHeadModel.fromPretrained(directory)
  gpt.eval()
  let ids = try gpt.generate(
    prompt: tokenizer.encode(prompt), maxNewTokens: Int(options["--max-new-tokens"] ?? "20") ?? 20,
    temperature: Float(options["--temperature"] ?? "0") ?? 0, topK: options["--top-k"].flatMap { Int($0) },
    eosTokenId: tokenizer.vocabulary["<|endoftext|>"],
    generator: Generator(seed: UInt64(options["--seed"] ?? "42") ?? 42))
  print(tokenizer.decode(ids))
  return 0
}
