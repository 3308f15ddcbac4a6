// Shape ops: reshape, transpose/permute, slicing, concatenation.
//
// Storage is always contiguous, so reshape only relabels the data while permute, slice and
// concat copy it. Each backward moves the gradient back to where its elements came from.

extension Tensor {
  /// The same elements with a new shape; one dimension may be -1 (inferred), as in PyTorch.
  public func reshape(_ newShape: [Int]) -> Tensor {
    var target = newShape
    if let unknown = target.firstIndex(of: -1) {
      let known = target.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
      check(
        known > 0 && count % known == 0,
        "reshape(\(newShape)): cannot infer -1 for \(count) elements (shape \(shape))")
      target[unknown] = count / known
    }
    check(
      target.reduce(1, *) == count && target.allSatisfy { $0 >= 0 },
      "reshape(\(newShape)): shape \(shape) has \(count) elements")
    return Tensor(data, shape: target, op: "reshape", parents: [self]) { y in
      self.addGrad(y.grad!.data)
    }
  }

  /// `reshape` with the sizes as arguments: `x.reshape(2, -1)`.
  public func reshape(_ dims: Int...) -> Tensor { reshape(dims) }

  /// Adds a dimension of size 1 at `axis` (PyTorch's `unsqueeze`).
  public func unsqueeze(_ axis: Int) -> Tensor {
    var s = shape
    s.insert(1, at: normalizedAxis(axis, rank: rank + 1))
    return reshape(s)
  }

  /// Dimensions reordered: output dimension i is input dimension `order[i]` (PyTorch's `permute`).
  /// Backward: the gradient is permuted back by the inverse order.
  public func permute(_ order: [Int]) -> Tensor {
    let order = order.map { normalizedAxis($0) }
    check(
      order.count == rank && Set(order).count == rank,
      "permute(\(order)) must name each of the \(rank) dimensions once")
    var inverse = order
    for (i, o) in order.enumerated() { inverse[o] = i }
    let outShape = order.map { shape[$0] }
    let inShape = shape
    let result = [Float](unsafeUninitializedCapacity: count) { result, initialized in
      permuteCopy(data, shape: inShape, order: order, into: result, accumulate: false)
      initialized = count
    }
    return Tensor(result, shape: outShape, op: "permute", parents: [self]) { y in
      let g = y.grad!.data
      self.addGrad { dx, accumulate in
        permuteCopy(g, shape: outShape, order: inverse, into: dx, accumulate: accumulate)
      }
    }
  }

  /// `permute` with the order as arguments: `x.permute(0, 2, 1, 3)`.
  public func permute(_ order: Int...) -> Tensor { permute(order) }

  /// Swaps two dimensions (PyTorch's `transpose`).
  public func transpose(_ a: Int, _ b: Int) -> Tensor {
    var order = Array(0..<rank)
    order.swapAt(normalizedAxis(a), normalizedAxis(b))
    return permute(order)
  }

  /// The elements at positions `range` along `axis` (PyTorch's `narrow`, or `x[:, a:b]`).
  public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
    let (outer, n, inner) = split(around: axis)
    check(
      range.lowerBound >= 0 && range.upperBound <= n,
      "slice(axis: \(axis), \(range)) is out of bounds for size \(n) (shape \(shape))")
    var outShape = shape
    outShape[normalizedAxis(axis)] = range.count
    let m = range.count * inner
    var result = [Float](repeating: 0, count: outer * m)
    for o in 0..<outer {
      let src = (o * n + range.lowerBound) * inner
      for i in 0..<m { result[o * m + i] = data[src + i] }
    }
    return Tensor(result, shape: outShape, op: "slice", parents: [self]) { y in
      let g = y.grad!.data
      self.addGrad { dx in
        for o in 0..<outer {
          let dst = (o * n + range.lowerBound) * inner
          for i in 0..<m { dx[dst + i] += g[o * m + i] }
        }
      }
    }
  }

  /// Joins tensors along `axis`; all other dimensions must match (PyTorch's `cat`).
  public static func concat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    check(!tensors.isEmpty, "concat of no tensors")
    let first = tensors[0]
    let a = first.normalizedAxis(axis)
    for t in tensors {
      var s = t.shape
      var f = first.shape
      check(s.count == f.count, "concat: shapes \(first.shape) and \(t.shape) differ in rank")
      s[a] = 0
      f[a] = 0
      check(s == f, "concat along \(axis): shapes \(first.shape) and \(t.shape) differ elsewhere")
    }
    let outer = first.shape[..<a].reduce(1, *)
    let inner = first.shape[(a + 1)...].reduce(1, *)
    let sizes = tensors.map { $0.shape[a] * inner }
    let total = sizes.reduce(0, +)
    var outShape = first.shape
    outShape[a] = tensors.map { $0.shape[a] }.reduce(0, +)
    var result = [Float](repeating: 0, count: outer * total)
    var column = 0
    for (t, m) in zip(tensors, sizes) {
      for o in 0..<outer {
        for i in 0..<m { result[o * total + column + i] = t.data[o * m + i] }
      }
      column += m
    }
    return Tensor(result, shape: outShape, op: "concat", parents: tensors) { y in
      let g = y.grad!.data
      var column = 0
      for (t, m) in zip(tensors, sizes) {
        let start = column
        t.addGrad { dx in
          for o in 0..<outer {
            for i in 0..<m { dx[o * m + i] += g[o * total + start + i] }
          }
        }
        column += m
      }
    }
  }
}

/// Writes (or adds) `source`, of shape `shape`, permuted by `order` into `out`.
/// Walks the output in order, one run along its last dimension at a time; when that dimension
/// is also the input's last, each run is a contiguous copy (the attention head split/merge case).
func permuteCopy(
  _ source: [Float], shape: [Int], order: [Int], into out: UnsafeMutableBufferPointer<Float>, accumulate: Bool
) {
  let rank = shape.count
  guard rank > 0, out.count > 0 else {
    if out.count == 1 { out[0] = (accumulate ? out[0] : 0) + source[0] }
    return
  }
  var strides = [Int](repeating: 1, count: rank)
  for d in stride(from: rank - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
  let outShape = order.map { shape[$0] }
  let outStrides = order.map { strides[$0] }  // input stride of each output dimension
  let run = outShape[rank - 1]
  guard run > 0 else { return }
  source.withUnsafeBufferPointer { src in
    nonisolated(unsafe) let (src, out) = (src, out)
    // The output is written in runs along its last dimension (forEachRun's walk, with the
    // input's strides); the threads take a share of the runs each.
    parallelFor(out.count / run, cost: 16 * run) { runs in
      forEachRun(out: outShape, aStrides: outStrides, bStrides: outStrides, runs: runs) {
        o, i, _, step, _, n in
        let (s, d) = (src.baseAddress! + i, out.baseAddress! + o)
        if accumulate {
          for j in 0..<n { d[j] += s[j * step] }
        } else if step == 1 {
          d.update(from: s, count: n)
        } else {
          for j in 0..<n { d[j] = s[j * step] }
        }
      }
    }
  }
}
