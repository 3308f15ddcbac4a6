// What every tokenizer offers, and its errors.

/// Text to ids and back.
public protocol Tokenizer {
  /// The pieces of `text`, as strings (`["play", "##ing"]`, `["Hello", "Ġworld"]`).
  func tokenize(_ text: String) -> [String]
  /// The ids of `text`'s pieces (without special tokens).
  func encode(_ text: String) -> [Int]
  /// Text from ids.
  func decode(_ ids: [Int]) -> String
  /// The number of entries in the vocabulary.
  var vocabularySize: Int { get }
}

/// What is wrong with a tokenizer file: names the file, the line (or field) and what was expected.
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
  init(file: String, line: Int? = nil, _ problem: String) {
    description = "\(file)\(line.map { ":\($0)" } ?? ""): \(problem)"
  }
}
