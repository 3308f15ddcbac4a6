// Finding and reading a tokenizer on disk, in any of Hugging Face's layouts:
// a `vocab.txt` (BERT), `vocab.json` + `merges.txt` (GPT-2), or a `tokenizer.json`.

import FileInput
import Foundation

/// Loads the tokenizer at `url`: a vocab.txt, a tokenizer.json, or a checkpoint directory
/// holding tokenizer.json, vocab.txt or vocab.json + merges.txt (looked for in that order, so
/// `tokenizer.json` wins, as in transformers' `AutoTokenizer`). Every checkpoint reader in the
/// kit loads its tokenizer through here.
public func loadTokenizer(at url: URL) throws -> any Tokenizer {
  var isDirectory: ObjCBool = false
  if let problem = permissionProblem(reading: url.path) { throw TokenizerError(file: url.path, problem) }
  guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
    throw TokenizerError(file: url.path, "not found")
  }
  guard isDirectory.boolValue else {
    if url.pathExtension == "json" { return try readTokenizerJSON(url) }
    return try WordPieceTokenizer(vocabularyFile: url)
  }
  guard let file = tokenizerFile(in: url) else {
    throw TokenizerError(
      file: url.path, "no tokenizer.json, vocab.txt, or vocab.json + merges.txt in this directory")
  }
  if file.lastPathComponent == "vocab.json" {
    let bpe = try ByteLevelBPETokenizer(
      vocabularyFile: file, mergesFile: url.appendingPathComponent("merges.txt"))
    if let settings = try robertaSettings(in: url) {
      return try RobertaTokenizer(
        bpe: bpe, addedTokens: settings.addedTokens, addPrefixSpace: settings.addPrefixSpace)
    }
    return bpe
  }
  return try loadTokenizer(at: file)
}

/// The file `loadTokenizer(at: directory)` reads: the directory's tokenizer.json, else its
/// vocab.txt, else its vocab.json (when merges.txt is beside it); `nil` when there is none.
/// For messages that name the file ("tokenizer.json: 120 tokens, but …").
public func tokenizerFile(in directory: URL) -> URL? {
  let exists = { (name: String) in
    FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)
  }
  if let name = ["tokenizer.json", "vocab.txt"].first(where: exists) {
    return directory.appendingPathComponent(name)
  }
  return exists("vocab.json") && exists("merges.txt") ? directory.appendingPathComponent("vocab.json") : nil
}

/// Reads a Hugging Face `tokenizer.json` whose model is WordPiece or BPE.
public func readTokenizerJSON(_ url: URL) throws -> any Tokenizer {
  guard let data = try? Data(contentsOf: url) else {
    throw TokenizerError(file: url.path, "cannot read the file")
  }
  guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
    throw TokenizerError(file: url.path, "is not a JSON object")
  }
  // Which value a repeated key keeps depends on the parser and platform (FileInput says more).
  if let duplicate = firstDuplicateJSONKey(in: data) {
    throw TokenizerError(file: url.path, duplicate.description)
  }
  guard let model = root["model"] as? [String: Any] else {
    throw TokenizerError(file: url.path, "has no \"model\" object")
  }
  guard let vocabulary = model["vocab"] as? [String: Int] else {
    throw TokenizerError(file: url.path, "field model.vocab must map tokens to integer ids")
  }
  switch model["type"] as? String {
  case "WordPiece":
    try checkIdsAreZeroToCount(vocabulary, file: url.path, field: "model.vocab")
    // The ids are 0..<count, one per token, so sorting by id gives the id → token table.
    let tokens = vocabulary.sorted { $0.value < $1.value }.map(\.key)
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
    try checkIdsAreZeroToCount(vocabulary, file: url.path, field: "model.vocab")
    let bpe = ByteLevelBPETokenizer(vocabulary: vocabulary, merges: merges)
    guard let processor = root["post_processor"] as? [String: Any],
      processor["type"] as? String == "RobertaProcessing"
    else { return bpe }
    // RoBERTa: <s> A </s></s> B </s>, with the added tokens (and their strip flags) matched first.
    func special(_ key: String, _ fallback: String) -> String {
      (processor[key] as? [Any])?.first as? String ?? fallback
    }
    var added: [AddedToken] = []
    for (i, entry) in (root["added_tokens"] as? [[String: Any]] ?? []).enumerated() {
      guard let content = entry["content"] as? String, let id = entry["id"] as? Int else {
        throw TokenizerError(file: url.path, "added_tokens[\(i)] needs a string content and an integer id")
      }
      added.append(
        AddedToken(
          content, id: id, lstrip: entry["lstrip"] as? Bool ?? false,
          rstrip: entry["rstrip"] as? Bool ?? false))
    }
    let preTokenizer = root["pre_tokenizer"] as? [String: Any]
    do {
      return try RobertaTokenizer(
        bpe: bpe, addedTokens: added, clsToken: special("cls", "<s>"), sepToken: special("sep", "</s>"),
        addPrefixSpace: preTokenizer?["add_prefix_space"] as? Bool ?? false)
    } catch let error as TokenizerError { throw TokenizerError(file: url.path, error.description) }
  case let other:
    throw TokenizerError(
      file: url.path, "model.type \(other.map { "\"\($0)\"" } ?? "missing"): expected WordPiece or BPE")
  }
}

/// RoBERTa's settings for a directory's vocab.json + merges.txt, or `nil` when the directory is
/// not RoBERTa's: tokenizer_config.json's `tokenizer_class` says so (RobertaTokenizer[Fast]), or,
/// without a class, config.json's `model_type` is "roberta" (as `AutoTokenizer` decides). The
/// added tokens come from `added_tokens_decoder` (with their strip flags) when it is there.
func robertaSettings(in directory: URL) throws -> (addedTokens: [AddedToken]?, addPrefixSpace: Bool)? {
  // A file that is there must be read: skipping an unreadable or damaged one would tokenize
  // differently from transformers without a word.
  func object(_ name: String) throws -> [String: Any]? {
    let path = directory.appendingPathComponent(name).path
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw TokenizerError(file: path, "cannot read the file")
    }
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw TokenizerError(file: path, "is not a JSON object")
    }
    if let duplicate = firstDuplicateJSONKey(in: data) {
      throw TokenizerError(file: path, duplicate.description)
    }
    return object
  }
  let config = try object("tokenizer_config.json")
  if let tokenizerClass = config?["tokenizer_class"] as? String {
    guard tokenizerClass.hasPrefix("Roberta") else { return nil }
  } else if try object("config.json")?["model_type"] as? String != "roberta" {
    return nil
  }
  var added: [AddedToken]?
  if let decoder = config?["added_tokens_decoder"] as? [String: Any] {
    added = try decoder.map { key, value in
      guard let id = Int(key), let entry = value as? [String: Any], let content = entry["content"] as? String
      else {
        throw TokenizerError(
          file: directory.appendingPathComponent("tokenizer_config.json").path,
          "added_tokens_decoder[\"\(key)\"] needs an integer key and a content string")
      }
      return AddedToken(
        content, id: id, lstrip: entry["lstrip"] as? Bool ?? false, rstrip: entry["rstrip"] as? Bool ?? false)
    }
  }
  return (added, config?["add_prefix_space"] as? Bool ?? false)
}

/// BERT's special tokens, in the order transformers lists them in `added_tokens`.
let bertSpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

extension WordPieceTokenizer {
  /// The `tokenizer.json` transformers writes for this vocabulary (BertTokenizerFast's
  /// normalizer, pre-tokenizer, `[CLS] A [SEP] B [SEP]` template, decoder and WordPiece model),
  /// field for field; the keys are sorted, which readers ignore.
  func tokenizerJSON() throws -> Data {
    let specials = bertSpecialTokens.compactMap { token in vocabulary[token].map { (token, $0) } }
      .sorted { $0.1 < $1.1 }
    let addedTokens: [[String: Any]] = specials.map { token, id in
      [
        "id": id, "content": token, "single_word": false, "lstrip": false, "rstrip": false,
        "normalized": false, "special": true,
      ]
    }
    func special(_ token: String, typeId: Int) -> [String: Any] {
      ["SpecialToken": ["id": token, "type_id": typeId]]
    }
    func sequence(_ name: String, typeId: Int) -> [String: Any] {
      ["Sequence": ["id": name, "type_id": typeId]]
    }
    let root: [String: Any] = [
      "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": addedTokens,
      "normalizer": [
        "type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
        // null: strip accents exactly when lower-casing, as BasicTokenizer does.
        "strip_accents": NSNull(), "lowercase": basic.lowercase,
      ],
      "pre_tokenizer": ["type": "BertPreTokenizer"],
      "post_processor": [
        "type": "TemplateProcessing",
        "single": [special("[CLS]", typeId: 0), sequence("A", typeId: 0), special("[SEP]", typeId: 0)],
        "pair": [
          special("[CLS]", typeId: 0), sequence("A", typeId: 0), special("[SEP]", typeId: 0),
          sequence("B", typeId: 1), special("[SEP]", typeId: 1),
        ],
        "special_tokens": Dictionary(
          uniqueKeysWithValues: ["[CLS]", "[SEP]"].map { token in
            (token, ["id": token, "ids": [id(of: token)], "tokens": [token]] as [String: Any])
          }),
      ],
      "decoder": ["type": "WordPiece", "prefix": continuationPrefix, "cleanup": true],
      "model": [
        "type": "WordPiece", "unk_token": unknownToken, "continuing_subword_prefix": continuationPrefix,
        "max_input_chars_per_word": maxCharactersPerWord, "vocab": vocabulary,
      ],
    ]
    return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
  }

  /// `tokenizer_config.json`: the class and its casing (without it, transformers would lower-case
  /// a cased vocabulary, its default), and the special tokens this vocabulary has.
  func tokenizerConfigJSON() throws -> Data {
    var config: [String: Any] = [
      "tokenizer_class": "BertTokenizer", "do_lower_case": basic.lowercase, "strip_accents": NSNull(),
      "tokenize_chinese_chars": true,
    ]
    for (key, token) in zip(
      ["pad_token", "unk_token", "cls_token", "sep_token", "mask_token"], bertSpecialTokens)
    where vocabulary[token] != nil {
      config[key] = token
    }
    return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted])
  }
}
