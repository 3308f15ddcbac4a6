// Deferred initialisation: a model built only to be loaded from a checkpoint does not draw the
// random weights that the checkpoint then overwrites (what transformers achieves by building on
// PyTorch's "meta" device and initialising only the missing weights).
//
// While `DeferredInitialization.record` builds a model, every fill of a parameter (a random draw,
// a constant, a row zeroed) is recorded instead of done. A random fill remembers the state its
// generator would have started from and moves the generator past the numbers it would have
// drawn (stepping xoshiro, without the normal transform), so everything drawn afterwards, and
// every fill done later, gives exactly the numbers an eager build gives. `finish(loaded:)` then
// does the recorded fills of the tensors the checkpoint did not provide (a new classification
// head): the same values as if the whole model had been drawn first.

/// Records the fills of a model under construction, to do later for the tensors that a
/// checkpoint does not overwrite.
public final class DeferredInitialization: @unchecked Sendable {
  /// How many numbers a fill draws from its generator.
  public enum Draws: Sendable {
    /// None: a constant, or a copy.
    case none
    /// `count` calls of `Generator.normal`.
    case normals(Int)
    /// `count` calls of `Generator.uniform` (one 64-bit step each).
    case uniforms(Int)
  }

  /// The recorder that fills go to, while `record` runs.
  @TaskLocal static var current: DeferredInitialization?

  /// Each tensor's recorded fills, in the order they were asked for.
  private var fills: [ObjectIdentifier: [() -> Void]] = [:]
  private var order: [ObjectIdentifier] = []
  /// The numbers not drawn, for the start-up report.
  public private(set) var skippedDraws = 0

  /// Whether fills are being recorded (a model is being built for loading).
  public static var isRecording: Bool { current != nil }

  /// Builds with `make` while recording fills; returns what it made and the recorder, whose
  /// `finish(loaded:)` must then be called.
  public static func record<T>(_ make: () throws -> T) rethrows -> (
    value: T, deferred: DeferredInitialization
  ) {
    let recorder = DeferredInitialization()
    let value = try $current.withValue(recorder) { try make() }
    return (value, recorder)
  }

  /// Fills `tensor` now with `fill(tensor, generator)`, or, while recording, later: the
  /// generator's state is kept for the fill and the generator moves on past `draws` numbers.
  /// `fill` must draw exactly `draws` from the generator it is given.
  public static func fill(
    _ tensor: Tensor, generator: Generator? = nil, draws: Draws = .none,
    _ fill: @escaping (Tensor, Generator?) -> Void
  ) {
    guard let recorder = current else {
      fill(tensor, generator)
      return
    }
    var deferred: () -> Void = { fill(tensor, nil) }
    if let generator {
      let start = generator.state
      deferred = {
        let replay = Generator(seed: start.seed)
        replay.state = start
        fill(tensor, replay)
      }
      switch draws {
      case .none: break
      case .normals(let count):
        generator.skipNormals(count)
        recorder.skippedDraws += count
      case .uniforms(let count):
        generator.skipSteps(count)
        recorder.skippedDraws += count
      }
    }
    let id = ObjectIdentifier(tensor)
    if recorder.fills[id] == nil { recorder.order.append(id) }
    recorder.fills[id, default: []].append(deferred)
  }

  /// Does the recorded fills of every tensor except `loaded` (those the checkpoint provided), in
  /// the order they were recorded.
  public func finish(loaded: [Tensor]) {
    let skip = Set(loaded.map(ObjectIdentifier.init))
    for id in order where !skip.contains(id) {
      for fill in fills[id] ?? [] { fill() }
    }
    fills = [:]
    order = []
  }
}

extension Generator {
  /// Moves the state on by `count` 64-bit steps, as `count` calls of `next()` or `uniform()`.
  public func skipSteps(_ count: Int) {
    guard count > 0 else { return }
    var current = state
    var words = (current.words[0], current.words[1], current.words[2], current.words[3])
    for _ in 0..<count { _ = Self.step(&words) }
    current.words = [words.0, words.1, words.2, words.3]
    state = current
  }

  /// Moves the state on as `count` calls of `normal()` would, without computing them: the spare
  /// of the last pair first, then two steps per pair; an odd last one draws its pair, whose
  /// spare the next call uses.
  public func skipNormals(_ count: Int) {
    var remaining = count
    var current = state
    if remaining > 0, current.spareNormal != nil {
      current.spareNormal = nil
      remaining -= 1
    }
    state = current
    skipSteps(2 * (remaining / 2))
    if remaining % 2 == 1 { _ = normal() }
  }
}

extension Tensor {
  /// Zeros now, and a random fill recorded for later, while `DeferredInitialization` records.
  static func deferredRandom(
    _ shape: [Int], generator: Generator, requiresGrad: Bool, draws: DeferredInitialization.Draws,
    _ value: @escaping (Generator) -> Float
  ) -> Tensor {
    let tensor = Tensor(zeros: shape, requiresGrad: requiresGrad)
    DeferredInitialization.fill(tensor, generator: generator, draws: draws) { t, g in
      for i in 0..<t.count { t.data[i] = value(g!) }
    }
    return tensor
  }
}
