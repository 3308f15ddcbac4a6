// Finding and reading a tokenizer on disk, in any of Hugging Face's layouts:
// a `vocab.txt` (BERT), `vocab.json` + `merges.txt` (GPT-2), or a `tokenizer.json`.

import Foundation

/// Loads the tokenizer at `url`: a vocab.txt, a tokenizer.json, or a directory holding
/// tokenizer.json, vocab.txt or vocab.json + merges.txt (looked for in that order).
public func loadTokenizer(at url: URL) throws -> Tokenizer {
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
    throw TokenizerError(file: url.path, "not found")
  }
  if isDirectory.boolValue {
    for name in ["tokenizer.json", "vocab.txt"]
    where FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path) {
      return try loadTokenizer(at: url.appendingPathComponent(name))
    }
    let vocabulary = url.appendingPathComponent("vocab.json")
    let merges = url.appendingPathComponent("merges.txt")
    if FileManager.default.fileExists(atPath: vocabulary.path)
      && FileManager.default.fileExists(atPath: merges.path)
    {
      return try ByteLevelBPETokenizer(vocabularyFile: vocabulary, mergesFile: merges)
    }
    throw TokenizerError(
      file: url.path, "no tokenizer.json, vocab.txt, or vocab.json + merges.txt in this directory")
  }
  if url.pathExtension == "json" { return try readTokenizerJSON(url) }
  return try WordPieceTokenizer(vocabularyFile: url)
}

/// Reads a Hugging Face `tokenizer.json` whose model is WordPiece or BPE.
public func readTokenizerJSON(_ url: URL) throws -> Tokenizer {
  guard let data = try? Data(contentsOf: url) else {
    throw TokenizerError(file: url.path, "cannot read the file")
  }
  guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
    throw TokenizerError(file: url.path, "is not a JSON object")
  }
  guard let model = root["model"] as? [String: Any] else {
    throw TokenizerError(file: url.path, "has no \"model\" object")
  }
  guard let vocabulary = model["vocab"] as? [String: Int] else {
    throw TokenizerError(file: url.path, "field model.vocab must map tokens to integer ids")
  }
  switch model["type"] as? String {
  case "WordPiece":
    var tokens = [String](repeating: "", count: (vocabulary.values.max() ?? -1) + 1)
    for (token, id) in vocabulary where id >= 0 { tokens[id] = token }
    if let gap = tokens.firstIndex(of: "") {
      throw TokenizerError(
        file: url.path, "field model.vocab has no token for id \(gap); ids must be 0..<count")
    }
    let normalizer = root["normalizer"] as? [String: Any]
    do {
      return try WordPieceTokenizer(
        tokens: tokens, lowercase: normalizer?["lowercase"] as? Bool ?? true,
        unknownToken: model["unk_token"] as? String ?? "[UNK]",
        continuationPrefix: model["continuing_subword_prefix"] as? String ?? "##",
        maxCharactersPerWord: model["max_input_chars_per_word"] as? Int ?? 100)
    } catch { throw TokenizerError(file: url.path, "field model.unk_token is not in model.vocab") }
  case "BPE":
    guard let rawMerges = model["merges"] as? [Any] else {
      throw TokenizerError(file: url.path, "field model.merges must be a list")
    }
    var merges: [(String, String)] = []
    for (i, entry) in rawMerges.enumerated() {
      // Older files write "a b", newer ones ["a", "b"].
      let parts =
        (entry as? String).map { $0.split(separator: " ").map(String.init) } ?? (entry as? [String] ?? [])
      guard parts.count == 2 else {
        throw TokenizerError(file: url.path, "model.merges[\(i)] is not a pair of symbols")
      }
      merges.append((parts[0], parts[1]))
    }
    return ByteLevelBPETokenizer(vocabulary: vocabulary, merges: merges)
  case let other:
    throw TokenizerError(
      file: url.path, "model.type \(other.map { "\"\($0)\"" } ?? "missing"): expected WordPiece or BPE")
  }
}
