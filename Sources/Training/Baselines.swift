// Baselines: what a model must beat before its score means anything. The majority class (the
// accuracy of saying the commonest label every time), and a bag of words: TF-IDF features, as
// scikit-learn's TfidfVectorizer computes them, and a logistic regression (softmax over
// classes, L2-regularised) trained with the kit's tensor core.

import Foundation
import TensorCore

/// The commonest label of `labels` (the smallest index on a tie), scikit-learn's
/// `DummyClassifier(strategy="most_frequent")`.
public func majorityClass(_ labels: [Int]) -> Int {
  let counts = Dictionary(labels.map { ($0, 1) }, uniquingKeysWith: +)
  return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? 0
}

/// scikit-learn's `TfidfVectorizer()` with its defaults: lowercased words of two or more word
/// characters (`token_pattern=r"(?u)\b\w\w+\b"`), `smooth_idf=True` (idf = ln((1 + n) / (1 + df))
/// + 1), raw counts times idf, each row scaled to unit L2 norm. The vocabulary is the training
/// texts' words, sorted.
public struct TfidfVectorizer: Sendable {
  /// Word → column.
  public private(set) var vocabulary: [String: Int] = [:]
  /// The inverse document frequency of each column.
  public private(set) var idf: [Double] = []

  public init() {}

  /// The words of a text, as the default token pattern finds them.
  public static func words(_ text: String) -> [String] {
    var words: [String] = []
    var current = ""
    for character in text.lowercased() {
      if character.isLetter || character.isNumber || character == "_" {
        current.append(character)
      } else {
        if current.count >= 2 { words.append(current) }
        current = ""
      }
    }
    if current.count >= 2 { words.append(current) }
    return words
  }

  /// Learns the vocabulary and idf from the training texts (scikit-learn's `fit`).
  public mutating func fit(_ texts: [String]) {
    var documentFrequency: [String: Int] = [:]
    for text in texts {
      for word in Set(Self.words(text)) { documentFrequency[word, default: 0] += 1 }
    }
    let sorted = documentFrequency.keys.sorted()
    vocabulary = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, $0) })
    let n = Double(texts.count)
    idf = sorted.map { log((1 + n) / (1 + Double(documentFrequency[$0]!))) + 1 }
  }

  /// The TF-IDF rows of texts, (texts, vocabulary), row-major; words not in the vocabulary are
  /// dropped (scikit-learn's `transform`).
  public func transform(_ texts: [String]) -> Tensor {
    let width = vocabulary.count
    var data = [Float](repeating: 0, count: texts.count * width)
    for (row, text) in texts.enumerated() {
      var counts: [Int: Double] = [:]
      for word in Self.words(text) {
        if let column = vocabulary[word] { counts[column, default: 0] += 1 }
      }
      let weighted = counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value * idf[$0.key]) }
      let norm = weighted.map { $0.1 * $0.1 }.reduce(0, +).squareRoot()
      for (column, value) in weighted where norm > 0 { data[row * width + column] = Float(value / norm) }
    }
    return Tensor(data, shape: [texts.count, width])
  }
}

/// A bag-of-words classifier: TF-IDF features and a linear layer trained by minimising the
/// cross-entropy plus an L2 penalty on the weights (multinomial logistic regression, as
/// scikit-learn's `LogisticRegression(C=...)` with `C = 1 / (n · l2)`), full batch, with Adam.
public final class TfidfLogisticRegression {
  public private(set) var vectorizer = TfidfVectorizer()
  public private(set) var layer: Linear
  public let numClasses: Int

  public init(numClasses: Int) {
    self.numClasses = numClasses
    layer = Linear(1, numClasses)
  }

  /// Fits the vectorizer and the weights on labelled texts; returns the final training loss.
  @discardableResult
  public func fit(
    _ texts: [String], labels: [Int], l2: Float = 1e-4, steps: Int = 300, learningRate: Float = 0.1,
    generator: Generator = Generator(seed: 0)
  ) -> Float {
    vectorizer.fit(texts)
    let features = vectorizer.transform(texts)  // (n, vocabulary)
    layer = Linear(vectorizer.vocabulary.count, numClasses, generator: generator)
    let optimizer = AdamW(
      [layer.weight] + (layer.bias.map { [$0] } ?? []), learningRate: learningRate, weightDecay: 0)
    var last: Float = .nan
    for _ in 0..<steps {
      let loss = crossEntropy(layer(features), targets: labels) + (layer.weight * layer.weight).sum() * l2
      loss.backward()
      optimizer.step()
      optimizer.zeroGrad()
      last = loss.item
    }
    return last
  }

  /// The logits of texts, (texts, classes).
  public func logits(_ texts: [String]) -> [[Float]] {
    let output = noGrad { layer(vectorizer.transform(texts)) }
    return (0..<texts.count).map { Array(output.data[($0 * numClasses)..<(($0 + 1) * numClasses)]) }
  }

  /// The predicted class of each text.
  public func predict(_ texts: [String]) -> [Int] {
    logits(texts).map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
  }
}
