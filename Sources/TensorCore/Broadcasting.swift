// Broadcasting, as numpy and PyTorch define it: align shapes at the right; each pair of sizes
// must be equal or one of them 1; a size-1 (or missing) dimension is repeated to match.
//
// Forward: an op on a (3, 1) and a (4,) tensor computes a (3, 4) result.
// Backward: the gradient of a broadcast input is the output gradient summed over the
// dimensions along which the input was repeated (`sumToShape`).

/// The broadcast shape of two shapes, or `nil` if they are incompatible.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
  let rank = max(a.count, b.count)
  var out = [Int](repeating: 1, count: rank)
  for i in 0..<rank {
    let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
    let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
    guard x == y || x == 1 || y == 1 else { return nil }
    out[i] = x == 1 ? y : x
  }
  return out
}

/// Row-major strides of `shape` as seen from the larger shape `out`: 0 where it is broadcast.
func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int] {
  var strides = [Int](repeating: 0, count: out.count)
  var step = 1
  for i in stride(from: shape.count - 1, through: 0, by: -1) {
    let o = i + out.count - shape.count
    strides[o] = shape[i] == 1 ? 0 : step
    step *= shape[i]
  }
  return strides
}

/// Visits the output of a broadcast binary op in runs along its last dimension:
/// `run(outStart, aStart, bStart, aStep, bStep, length)`, where a step of 0 means "repeated".
/// Runs cover the output in order, so callers write tight inner loops over each run.
/// `runs` limits the visit to some of them (run r starts at output element r·length), so that
/// threads can take a share each.
func forEachRun(
  out: [Int], aStrides: [Int], bStrides: [Int], runs: Range<Int>? = nil,
  _ run: (_ o: Int, _ a: Int, _ b: Int, _ aStep: Int, _ bStep: Int, _ n: Int) -> Void
) {
  let total = out.reduce(1, *)
  guard total > 0 else { return }
  guard let last = out.last else {
    run(0, 0, 0, 0, 0, 1)
    return
  }
  let rank = out.count
  let runs = runs ?? 0..<(total / last)
  // The odometer over the leading dimensions, set to the first run.
  var index = [Int](repeating: 0, count: rank - 1)
  var aOff = 0
  var bOff = 0
  var rest = runs.lowerBound
  for d in stride(from: rank - 2, through: 0, by: -1) {
    index[d] = rest % out[d]
    rest /= out[d]
    aOff += index[d] * aStrides[d]
    bOff += index[d] * bStrides[d]
  }
  var o = runs.lowerBound * last
  while o < runs.upperBound * last {
    run(o, aOff, bOff, aStrides[rank - 1], bStrides[rank - 1], last)
    o += last
    // Advance the odometer over the leading dimensions.
    var d = rank - 2
    while d >= 0 {
      index[d] += 1
      aOff += aStrides[d]
      bOff += bStrides[d]
      if index[d] < out[d] { break }
      aOff -= aStrides[d] * out[d]
      bOff -= bStrides[d] * out[d]
      index[d] = 0
      d -= 1
    }
  }
}

/// `f(a, b)` elementwise with broadcasting, into a new array of `out`'s size. Serial: `f`
/// is inlined into these loops, which a closure handed to the threads would prevent.
@inline(__always)
func broadcastMap(
  _ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], out: [Int],
  _ f: (Float, Float) -> Float
) -> [Float] {
  let total = out.reduce(1, *)
  return [Float](unsafeUninitializedCapacity: total) { r, initialized in
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        if aShape == out && bShape == out {
          for i in 0..<total { r[i] = f(a[i], b[i]) }
        } else if bShape.reduce(1, *) == 1 && aShape == out {
          let s = b[0]
          for i in 0..<total { r[i] = f(a[i], s) }
        } else {
          forEachRun(
            out: out, aStrides: broadcastStrides(aShape, to: out),
            bStrides: broadcastStrides(bShape, to: out)
          ) { o, ia, ib, sa, sb, n in
            for j in 0..<n { r[o + j] = f(a[ia + j * sa], b[ib + j * sb]) }
          }
        }
      }
    }
    initialized = total
  }
}

/// Sums `values` (of shape `from`) over the broadcast dimensions so that it has shape `to`:
/// the backward of broadcasting.
func sumToShape(_ values: [Float], from: [Int], to: [Int]) -> [Float] {
  if from == to { return values }
  var result = [Float](repeating: 0, count: to.reduce(1, *))
  let strides = broadcastStrides(to, to: from)
  result.withUnsafeMutableBufferPointer { r in
    values.withUnsafeBufferPointer { v in
      forEachRun(out: from, aStrides: strides, bStrides: strides) { o, ia, _, sa, _, n in
        if sa == 0 {
          var s: Float = 0
          for j in 0..<n { s += v[o + j] }
          r[ia] += s
        } else {
          for j in 0..<n { r[ia + j] += v[o + j] }
        }
      }
    }
  }
  return result
}

extension Tensor {
  /// The broadcast shape of `self` and `other`, stopping with a clear message if incompatible.
  func broadcastShape(with other: Tensor, op: String) -> [Int] {
    guard let out = TensorCore.broadcastShape(shape, other.shape) else {
      fatalError("TensorCore: \(op): shapes \(shape) and \(other.shape) cannot be broadcast together")
    }
    return out
  }

  /// Sums this tensor over broadcast dimensions down to `shape` (differentiable).
  public func sum(toShape target: [Int]) -> Tensor {
    check(
      TensorCore.broadcastShape(target, shape) == shape,
      "sum(toShape: \(target)): \(shape) is not a broadcast of it")
    let from = shape
    return Tensor(
      sumToShape(data, from: from, to: target), shape: target, op: "sumToShape", parents: [self]
    ) { out in
      let g = out.grad!.data
      self.addGrad(broadcastMap(g, target, [0], [], out: from) { x, _ in x })
    }
  }

  /// This tensor repeated along broadcast dimensions to `shape` (differentiable).
  public func expand(to target: [Int]) -> Tensor {
    check(
      TensorCore.broadcastShape(shape, target) == target,
      "expand(to: \(target)): \(shape) cannot be broadcast to it")
    let from = shape
    return Tensor(
      broadcastMap(data, from, [0], [], out: target) { x, _ in x }, shape: target, op: "expand",
      parents: [self]
    ) { out in
      self.addGrad(sumToShape(out.grad!.data, from: target, to: from))
    }
  }
}
