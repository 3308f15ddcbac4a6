// What every tokenizer offers, and its errors.

import Foundation

/// Text to ids and back, one shape for WordPiece (BERT) and byte-level BPE (GPT-2, RoBERTa), as
/// transformers' `PreTrainedTokenizer` is one shape for every model.
public protocol Tokenizer: Sendable {
  /// The pieces of `text`, as strings (`["play", "##ing"]`, `["Hello", "Ġworld"]`).
  func tokenize(_ text: String) -> [String]
  /// The ids of `text`'s pieces (without special tokens).
  func encode(_ text: String) -> [Int]
  /// Text from ids.
  func decode(_ ids: [Int]) -> String
  /// The number of entries in the vocabulary.
  var vocabularySize: Int { get }
  /// Id → token (`convert_ids_to_tokens`): `tokens[id]` is the vocabulary entry with that id.
  var tokens: [String] { get }
  /// The id that pads a batch (`pad_token_id`), or `nil` when the vocabulary has no padding
  /// token, as GPT-2's has not: callers then pad with the end-of-text id, as transformers
  /// users do with `tokenizer.pad_token = tokenizer.eos_token` (`DataCollatorWithPadding` and
  /// `PretrainedClassifier` do so).
  var padTokenId: Int? { get }
  /// The end-of-text id (`eos_token_id`), or `nil` when the vocabulary has none (BERT's).
  var eosTokenId: Int? { get }
  /// `text` (and `pair`) as the model reads them, truncated to `maxLength` tokens: what
  /// transformers' `tokenizer(text, pair, truncation=True, max_length=maxLength)` returns, with
  /// the special tokens the model expects (`[CLS] text [SEP]` for BERT, `<s> text </s>` for
  /// RoBERTa, none for GPT-2).
  func callAsFunction(_ text: String, pair: String?, maxLength: Int?) -> Encoding
  /// Writes the files transformers' `AutoTokenizer.from_pretrained(directory)` reads
  /// (`save_pretrained`); creates the directory if needed.
  func save(to directory: URL) throws
}

extension Tokenizer {
  /// One text: `tokenizer(text)`, `tokenizer(text, maxLength: 128)`. (A protocol requirement
  /// cannot have default arguments; this overload gives them.)
  public func callAsFunction(_ text: String, maxLength: Int? = nil) -> Encoding {
    self.callAsFunction(text, pair: nil, maxLength: maxLength)
  }
}

/// What is wrong with a tokenizer file: names the file, the line (or field) and what was expected.
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
  init(file: String, line: Int? = nil, _ problem: String) {
    description = "\(file)\(line.map { ":\($0)" } ?? ""): \(problem)"
  }
}
