// The generator's own random numbers: SplitMix64, so that the same seed writes the same files
// on every machine (the Datasets module does not depend on TensorCore).

/// A small deterministic random source.
public struct SeededRandom: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform integer in 0..<n.
  public mutating func int(below n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }

  /// True with probability `p`.
  public mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) * 0x1p-53 < p }

  /// A random element of a non-empty array.
  public mutating func pick<T>(_ items: [T]) -> T { items[int(below: items.count)] }

  /// The elements in a random order (Fisher-Yates).
  public mutating func shuffled<T>(_ items: [T]) -> [T] {
    var result = items
    if result.count > 1 {
      for i in stride(from: result.count - 1, to: 0, by: -1) { result.swapAt(i, int(below: i + 1)) }
    }
    return result
  }
}
