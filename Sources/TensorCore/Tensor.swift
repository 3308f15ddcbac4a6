// The tensor: contiguous Float32 storage with a shape, and a node of the computation graph.
//
// As in micrograd's `Value`, every op makes a new tensor that remembers its parents and a small
// closure (its local backward) that turns the gradient of the output into gradients of the
// parents. `backward()` visits the graph in reverse topological order and calls those closures.
// Each op's backward is written right next to its forward, in the file of its kind
// (Elementwise.swift, Reductions.swift, Matmul.swift, ...).

import Exercises
import Foundation

/// A multi-dimensional array of `Float` that records the operations applied to it, so that it
/// can compute gradients (reverse-mode automatic differentiation).
///
/// Tensors are reference types, like PyTorch's: a parameter updated in place by an optimizer is
/// seen by the model that holds it. Storage is always contiguous and row-major.
public final class Tensor {
  /// The elements, row-major (the last dimension varies fastest).
  public var data: [Float]
  /// The size of each dimension; `[]` for a scalar.
  public let shape: [Int]
  /// The gradient of the last `backward()` with respect to this tensor, accumulated over calls
  /// for leaves (parameters); `nil` until a backward pass reaches it.
  public var grad: Tensor?
  /// Whether gradients flow to this tensor. Parameters set it; op results inherit it.
  public var requiresGrad: Bool
  /// The op that produced this tensor (`"matmul"`, `"add"`, ...), or `"leaf"`.
  public let op: String
  /// An optional label, shown by `description` and used in error messages.
  public var label: String?

  /// The inputs of the op that made this tensor (empty for leaves, and outside autodiff).
  let parents: [Tensor]
  /// The local backward: reads `out.grad` and adds into the parents' gradients.
  let backwardFn: ((_ out: Tensor) -> Void)?
  /// Non-leaf tensors drop their gradient after use unless asked to keep it (PyTorch's retain_grad).
  var keepsGrad = false

  /// A leaf tensor from elements and a shape. The element count must match the shape.
  public init(_ data: [Float], shape: [Int], requiresGrad: Bool = false) {
    let count = shape.reduce(1, *)
    check(
      shape.allSatisfy { $0 >= 0 },
      "Tensor(shape: \(shape)): dimensions must be non-negative")
    check(
      data.count == count,
      "Tensor(shape: \(shape)) needs \(count) elements, got \(data.count)")
    self.data = data
    self.shape = shape
    self.requiresGrad = requiresGrad
    self.op = "leaf"
    self.parents = []
    self.backwardFn = nil
  }

  /// The result of an op: records parents and the local backward only when gradients are on
  /// and some parent requires them.
  init(
    _ data: [Float], shape: [Int], op: String, parents: [Tensor],
    backward: @escaping (_ out: Tensor) -> Void
  ) {
    _ = Memory.configured
    let tracks = GradMode.isEnabled && parents.contains { $0.requiresGrad }
    self.data = data
    self.shape = shape
    self.op = op
    self.requiresGrad = tracks
    self.parents = tracks ? parents : []
    self.backwardFn = tracks ? backward : nil
  }

  /// A scalar (0-dimensional) tensor.
  public convenience init(_ value: Float, requiresGrad: Bool = false) {
    self.init([value], shape: [], requiresGrad: requiresGrad)
  }

  /// A 1-D tensor from an array.
  public convenience init(_ values: [Float], requiresGrad: Bool = false) {
    self.init(values, shape: [values.count], requiresGrad: requiresGrad)
  }

  /// A 2-D tensor from rows of equal length.
  public convenience init(_ rows: [[Float]], requiresGrad: Bool = false) {
    let columns = rows.first?.count ?? 0
    check(
      rows.allSatisfy { $0.count == columns },
      "Tensor(rows): every row must have \(columns) elements")
    self.init(rows.flatMap { $0 }, shape: [rows.count, columns], requiresGrad: requiresGrad)
  }

  /// The number of elements.
  public var count: Int { data.count }
  /// The number of dimensions.
  public var rank: Int { shape.count }
  /// The value of a one-element tensor.
  public var item: Float {
    check(data.count == 1, "item needs a one-element tensor, this one has shape \(shape)")
    return data[0]
  }

  /// The size of dimension `axis`; negative axes count from the end, as in PyTorch.
  public func size(_ axis: Int) -> Int { shape[normalizedAxis(axis)] }

  /// A new leaf with the same data that is cut from the graph (PyTorch's `detach`).
  public func detached() -> Tensor { Tensor(data, shape: shape) }

  /// Keeps this non-leaf tensor's gradient after `backward()`, for inspection.
  public func retainGrad() { keepsGrad = true }

  /// Maps a possibly negative axis to `0..<rank`, stopping with a clear message if out of range.
  func normalizedAxis(_ axis: Int, rank r: Int? = nil) -> Int {
    let r = r ?? rank
    let a = axis < 0 ? axis + r : axis
    check(a >= 0 && a < r, "axis \(axis) is out of range for a tensor of rank \(r) (shape \(shape))")
    return a
  }
}

// MARK: - Backward pass

extension Tensor {
  /// Computes the gradient of this tensor with respect to every tensor in its graph that
  /// requires gradients, and adds it into their `grad` (leaves accumulate over calls, as in
  /// PyTorch; call `zeroGrad()` on the optimizer between steps).
  ///
  /// - Parameter gradient: the gradient of some final scalar with respect to this tensor;
  ///   omit it for a scalar loss (it is then 1).
  public func backward(_ gradient: Tensor? = nil) {
    check(requiresGrad, "backward() on a tensor that does not require grad (op \(op))")
    if let gradient {
      check(gradient.shape == shape, "backward: gradient shape \(gradient.shape) != \(shape)")
    } else {
      check(count == 1, "backward() without a gradient needs a scalar, got shape \(shape)")
    }
    let order = topologicalOrder()
    // Intermediate gradients from an earlier pass over the same graph must not leak in.
    for node in order where node.backwardFn != nil { node.grad = nil }
    addGrad(gradient?.data ?? [Float](repeating: 1, count: count))
    for node in order.reversed() {
      guard let backwardFn = node.backwardFn, node.grad != nil else { continue }
      backwardFn(node)
      if !node.keepsGrad { node.grad = nil }
    }
  }

  /// Every tensor this one depends on (that requires grad), parents before children.
  /// Iterative, so that deep graphs cannot overflow the stack.
  func topologicalOrder() -> [Tensor] {
    var order: [Tensor] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(Tensor, Bool)] = [(self, false)]
    while let (node, parentsDone) = stack.popLast() {
      if parentsDone {
        order.append(node)
        continue
      }
      guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
      stack.append((node, true))
      for parent in node.parents
      where parent.requiresGrad
        && !visited.contains(ObjectIdentifier(parent))
      {
        stack.append((parent, false))
      }
    }
    return order
  }

  /// Adds `delta` (same element count) into this tensor's gradient, creating it at zero first.
  func addGrad(_ delta: [Float]) {
    if requiresGrad && grad == nil {  // the first contribution: take it as is, no zeros to add to
      grad = Tensor(delta, shape: shape)
      return
    }
    addGrad { g in
      delta.withUnsafeBufferPointer { d in
        nonisolated(unsafe) let (g, d) = (g, d)
        parallelFor(g.count, cost: 16) { range in
          for i in range { g[i] += d[i] }
        }
      }
    }
  }

  /// Gives `body` this tensor's gradient buffer (zeros if there was none) to add into.
  func addGrad(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
    guard requiresGrad else { return }
    if grad == nil { grad = Tensor(zeros: shape) }
    grad!.data.withUnsafeMutableBufferPointer { body($0) }
  }

  /// Adds `g ⊙ factor` (both of this tensor's element count) into the gradient: the backward of
  /// an op that scales each element by a saved factor (a mask's 0 or 1, dropout's 0 or 1/(1-p)).
  func addGrad(_ g: [Float], times factor: [Float]) {
    addGrad { dx, accumulate in
      nonisolated(unsafe) let dx = dx
      parallelFor(dx.count, cost: 16) { range in
        for i in range { dx[i] = (accumulate ? dx[i] : 0) + g[i] * factor[i] }
      }
    }
  }

  /// Like `addGrad`, for a `body` that writes every element: it is told whether to add
  /// (`accumulate`) or to write a fresh, uninitialised buffer, which saves zero-filling large
  /// gradients only to add into them (a matrix product writes its result as it goes).
  func addGrad(_ body: (_ grad: UnsafeMutableBufferPointer<Float>, _ accumulate: Bool) -> Void) {
    guard requiresGrad else { return }
    if let grad {
      grad.data.withUnsafeMutableBufferPointer { body($0, true) }
      return
    }
    let fresh = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      body(buffer, false)
      initialized = buffer.count
    }
    grad = Tensor(fresh, shape: shape)
  }
}

// MARK: - Gradient mode

/// Whether ops record the graph. Off inside `noGrad { }` (PyTorch's `torch.no_grad()`).
public enum GradMode {
  nonisolated(unsafe) static var enabledDepth = 0
  /// `true` unless inside a `noGrad` block.
  public static var isEnabled: Bool { enabledDepth == 0 }
}

/// Runs `body` without recording the computation graph: for evaluation and for optimizer
/// updates, where gradients are not wanted and would only cost memory.
public func noGrad<T>(_ body: () throws -> T) rethrows -> T {
  GradMode.enabledDepth += 1
  defer { GradMode.enabledDepth -= 1 }
  return try body()
}

// MARK: - Creation

extension Tensor {
  /// A tensor of zeros.
  public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
    self.init([Float](repeating: 0, count: shape.reduce(1, *)), shape: shape, requiresGrad: requiresGrad)
  }

  /// A tensor filled with one value.
  public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
    self.init(
      [Float](repeating: value, count: shape.reduce(1, *)), shape: shape, requiresGrad: requiresGrad)
  }

  /// A tensor of zeros.
  public static func zeros(_ shape: Int..., requiresGrad: Bool = false) -> Tensor {
    Tensor(zeros: shape, requiresGrad: requiresGrad)
  }

  /// A tensor of ones.
  public static func ones(_ shape: Int..., requiresGrad: Bool = false) -> Tensor {
    Tensor(repeating: 1, shape: shape, requiresGrad: requiresGrad)
  }

  /// `0, 1, ..., n-1` as a 1-D tensor (PyTorch's `arange`).
  public static func arange(_ n: Int) -> Tensor {
    Tensor((0..<n).map(Float.init), shape: [n])
  }

  /// The elements as rows, for a 2-D tensor (handy in tests and printing).
  public var rows: [[Float]] {
    check(rank == 2, "rows needs a 2-D tensor, got shape \(shape)")
    let n = shape[1]
    return (0..<shape[0]).map { Array(data[($0 * n)..<($0 * n + n)]) }
  }
}

// MARK: - Printing

extension Tensor: CustomStringConvertible {
  /// Shape, the producing op, and the values (abbreviated when large), like PyTorch's repr.
  public var description: String {
    func fmt(_ x: Float) -> String {
      x == x.rounded() && Swift.abs(x) < 1e6 ? String(format: "%.0f.", x) : String(format: "%.4f", x)
    }
    func render(_ offset: Int, _ dim: Int) -> String {
      if dim == shape.count { return fmt(data[offset]) }
      let n = shape[dim]
      let stride = shape[(dim + 1)...].reduce(1, *)
      let shown = n > 8 ? Array(0..<3) + [-1] + Array((n - 3)..<n) : Array(0..<n)
      let parts = shown.map { $0 < 0 ? "..." : render(offset + $0 * stride, dim + 1) }
      return "[" + parts.joined(separator: dim == shape.count - 1 ? ", " : ",\n ") + "]"
    }
    let values = data.isEmpty ? "[]" : render(0, 0)
    let grad = requiresGrad ? ", requiresGrad" : ""
    let name = label.map { " \($0)" } ?? ""
    return "Tensor\(name)(shape \(shape)\(grad), op \(op)):\n\(values)"
  }
}

extension Tensor: ExercisePlaceholder {
  /// What an unfinished exercise returns: a NaN scalar that fails any value check. It
  /// requires grad, so a test that calls `backward()` on it fails its checks instead of crashing.
  public static var exercisePlaceholder: Tensor { Tensor(.nan, requiresGrad: true) }
}

/// Stops with a clear message when a tensor op is misused (wrong shapes, bad axis, ...).
///
/// Uses `fatalError`, which prints its message in optimised builds too (unlike `precondition`).
@inline(__always)
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
  if !condition() { fatalError("TensorCore: " + message()) }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
