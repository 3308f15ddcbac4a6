import Exercises

// Train/validation/test splits that keep each label's share, and a check that no text is in
// two splits (leakage: a test example the model has trained on measures memory, not skill).

/// Three splits of a dataset.
public struct Splits: Sendable {
  public var train: [Example]
  public var validation: [Example]
  public var test: [Example]

  public init(train: [Example], validation: [Example], test: [Example]) {
    self.train = train
    self.validation = validation
    self.test = test
  }
}

/// Splits `examples` with the given fractions (validation and test; train gets the rest),
/// label by label, so that every split keeps the label proportions: each label's test and
/// validation shares are its count times the fraction, rounded to the nearest whole example.
/// Seeded: the same seed gives the same splits.
public func stratifiedSplit(
  _ examples: [Example], validation: Double, test: Double, seed: UInt64
) -> Splits {
  precondition(
    validation >= 0 && test >= 0 && validation + test < 1, "fractions must leave room for training")
  // BEGIN EXERCISE 2.1 "A stratified split" points=2
  // hint: Stratified: each label is split on its own with the same fractions, then the parts are put
  // hint: together.
  // hint 2: Group the example indices by label, visit the labels in a fixed (sorted) order and draw every
  // hint 2: shuffle from one SeededRandom(seed:), so the same seed gives the same splits.
  // hint 3: For each label: shuffle its indices, give the test share to test, the validation share to
  // hint 3: validation, the rest to train. At the end shuffle each split, so its examples are not left
  // hint 3: grouped by label.
  var random = SeededRandom(seed: seed)
  var splits = Splits(train: [], validation: [], test: [])
  let byLabel = Dictionary(grouping: examples.indices, by: { examples[$0].label })
  for label in byLabel.keys.sorted() {
    let indices = random.shuffled(byLabel[label]!)
    let nTest = Int((Double(indices.count) * test).rounded())
    let nValidation = Int((Double(indices.count) * validation).rounded())
    splits.test += indices[..<nTest].map { examples[$0] }
    splits.validation += indices[nTest..<(nTest + nValidation)].map { examples[$0] }
    splits.train += indices[(nTest + nValidation)...].map { examples[$0] }
  }
  splits.train = random.shuffled(splits.train)
  splits.validation = random.shuffled(splits.validation)
  splits.test = random.shuffled(splits.test)
  return splits
  // END EXERCISE 2.1
}

/// A text found in two splits.
public struct Leak: Equatable, Sendable {
  public var text: String
  /// The splits it is in, with its index in each: ("train", 12), ("test", 3).
  public var places: [String]
}

/// Texts that occur (up to case, accents, punctuation and spacing) in more than one split.
public func findLeaks(_ splits: Splits) -> [Leak] {
  var seen: [String: (text: String, places: [String])] = [:]
  for (name, part) in [("train", splits.train), ("validation", splits.validation), ("test", splits.test)] {
    for (index, example) in part.enumerated() {
      let key = duplicateKey(example.text)
      var entry = seen[key] ?? (example.text, [])
      if !entry.places.contains(where: { $0.hasPrefix(name + " ") }) {
        entry.places.append("\(name) \(index)")
      }
      seen[key] = entry
    }
  }
  return seen.values.filter { $0.places.count > 1 }.map { Leak(text: $0.text, places: $0.places) }
    .sorted { $0.text < $1.text }
}

extension Splits: ExercisePlaceholder {
  /// What an unfinished exercise returns: three empty splits.
  public static var exercisePlaceholder: Splits { Splits(train: [], validation: [], test: []) }
}
