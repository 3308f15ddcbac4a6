// A seeded random generator: the same seed gives the same numbers on every run and machine.
//
// xoshiro256** (Blackman & Vigna) seeded through SplitMix64, as numpy's and Julia's generators
// are. Normals come from the Box-Muller transform. PyTorch's global generator and
// `torch.manual_seed` are mirrored by `Generator.default` and `manualSeed(_:)`.

import Foundation

/// A deterministic random number generator. A class, so that layers and data loaders can
/// share one stream, as PyTorch's generators are shared.
public final class Generator: RandomNumberGenerator {
  private var s0: UInt64 = 0
  private var s1: UInt64 = 0
  private var s2: UInt64 = 0
  private var s3: UInt64 = 0
  /// A second normal from the last Box-Muller pair, used by the next call.
  private var spareNormal: Float?

  /// The seed this generator started from (or was last reset to).
  public private(set) var seed: UInt64

  /// A generator started from `seed`.
  public init(seed: UInt64) {
    self.seed = seed
    reseed(seed)
  }

  /// The generator that ops and layers use when none is given.
  public nonisolated(unsafe) static var `default` = Generator(seed: 42)

  /// Restarts the sequence from `seed`.
  public func reseed(_ seed: UInt64) {
    self.seed = seed
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitMix()
    s1 = splitMix()
    s2 = splitMix()
    s3 = splitMix()
    spareNormal = nil
  }

  /// Everything that decides the numbers still to come, to save with a checkpoint and restore
  /// on resume (PyTorch's `get_rng_state` / `set_rng_state`).
  public struct State: Codable, Equatable, Sendable {
    public var seed: UInt64
    public var words: [UInt64]
    public var spareNormal: Float?
  }

  /// The current state; setting it continues the sequence from exactly that point.
  public var state: State {
    get { State(seed: seed, words: [s0, s1, s2, s3], spareNormal: spareNormal) }
    set {
      precondition(newValue.words.count == 4, "a generator state has 4 words")
      seed = newValue.seed
      (s0, s1, s2, s3) = (newValue.words[0], newValue.words[1], newValue.words[2], newValue.words[3])
      spareNormal = newValue.spareNormal
    }
  }

  /// The next 64 random bits.
  public func next() -> UInt64 {
    var state = (s0, s1, s2, s3)
    defer { (s0, s1, s2, s3) = state }
    return Self.step(&state)
  }

  /// One xoshiro256** step: the output, and the state advanced.
  @inline(__always)
  static func step(_ s: inout (UInt64, UInt64, UInt64, UInt64)) -> UInt64 {
    let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
    let t = s.1 << 17
    s.2 ^= s.0
    s.3 ^= s.1
    s.1 ^= s.2
    s.0 ^= s.3
    s.2 ^= t
    s.3 = s.3 << 45 | s.3 >> 19
    return result
  }

  /// A uniform `Float` in [0, 1), from the top 24 bits (every value equally likely).
  public func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

  /// Fills `buffer` with uniform `Float`s in [0, 1): the same numbers as calling `uniform()`
  /// once per element, with the state kept in registers (dropout draws millions).
  public func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>) {
    var state = (s0, s1, s2, s3)  // in registers for the loop
    for i in 0..<buffer.count { buffer[i] = Float(Self.step(&state) >> 40) * 0x1p-24 }
    (s0, s1, s2, s3) = state
  }

  /// A uniform `Float` in [low, high).
  public func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * uniform() }

  /// A sample of the normal distribution N(mean, std²).
  public func normal(mean: Float = 0, std: Float = 1) -> Float {
    if let spare = spareNormal {
      spareNormal = nil
      return mean + std * spare
    }
    // Box-Muller with u1 in (0, 1], so log(u1) is finite.
    let u1 = Double((next() >> 11) + 1) * 0x1p-53
    let u2 = Double(next() >> 11) * 0x1p-53
    let radius = Foundation.sqrt(-2 * Foundation.log(u1))
    spareNormal = Float(radius * Foundation.sin(2 * .pi * u2))
    return mean + std * Float(radius * Foundation.cos(2 * .pi * u2))
  }

  /// A uniform integer in 0..<n, without modulo bias (Lemire's multiply-and-reject).
  public func int(below n: Int) -> Int {
    precondition(n > 0, "int(below:) needs a positive bound")
    let bound = UInt64(n)
    var (high, low) = next().multipliedFullWidth(by: bound)
    if low < bound {
      let threshold = (0 &- bound) % bound
      while low < threshold { (high, low) = next().multipliedFullWidth(by: bound) }
    }
    return Int(high)
  }

  /// The elements of `array` in a random order (Fisher-Yates).
  public func shuffled<T>(_ array: [T]) -> [T] {
    var result = array
    if result.count < 2 { return result }
    for i in stride(from: result.count - 1, to: 0, by: -1) {
      result.swapAt(i, int(below: i + 1))
    }
    return result
  }
}

/// Resets the default generator (PyTorch's `torch.manual_seed`).
public func manualSeed(_ seed: UInt64) {
  Generator.default.reseed(seed)
}

extension Tensor {
  /// Samples of N(mean, std²) (PyTorch's `randn`, scaled).
  public static func randn(
    _ shape: [Int], mean: Float = 0, std: Float = 1, generator: Generator = .default,
    requiresGrad: Bool = false
  ) -> Tensor {
    let n = shape.reduce(1, *)
    if DeferredInitialization.isRecording {  // a model built for loading: drawn later, if at all
      return deferredRandom(shape, generator: generator, requiresGrad: requiresGrad, draws: .normals(n)) {
        $0.normal(mean: mean, std: std)
      }
    }
    return Tensor(
      (0..<n).map { _ in generator.normal(mean: mean, std: std) }, shape: shape, requiresGrad: requiresGrad)
  }

  /// Samples of the uniform distribution on [low, high) (PyTorch's `rand`, scaled).
  public static func uniform(
    _ shape: [Int], low: Float = 0, high: Float = 1, generator: Generator = .default,
    requiresGrad: Bool = false
  ) -> Tensor {
    let n = shape.reduce(1, *)
    if DeferredInitialization.isRecording {
      return deferredRandom(shape, generator: generator, requiresGrad: requiresGrad, draws: .uniforms(n)) {
        $0.uniform(low, high)
      }
    }
    return Tensor(
      (0..<n).map { _ in generator.uniform(low, high) }, shape: shape, requiresGrad: requiresGrad)
  }
}
