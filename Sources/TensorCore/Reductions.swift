// Reductions: sum, mean, max over everything or along one axis, and argmax.
//
// An axis reduction views the tensor as (outer, n, inner), with n the reduced axis, and
// produces (outer, inner). The backward spreads each output gradient back over the n inputs
// it came from: all of them for sum (mean divides by n), only the largest one for max.

extension Tensor {
  /// (outer, n, inner) sizes around `axis`.
  func split(around axis: Int) -> (outer: Int, n: Int, inner: Int) {
    let a = normalizedAxis(axis)
    return (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
  }

  /// The shape after reducing `axis`: the axis removed, or kept as size 1.
  func reducedShape(_ axis: Int, keepDims: Bool) -> [Int] {
    var s = shape
    let a = normalizedAxis(axis)
    if keepDims { s[a] = 1 } else { s.remove(at: a) }
    return s
  }

  /// The sum of all elements, as a scalar. Accumulates in Double, so long sums stay exact.
  public func sum() -> Tensor {
    var total = 0.0
    for x in data { total += Double(x) }
    return Tensor([Float(total)], shape: [], op: "sum", parents: [self]) { y in
      let g = y.grad!.data[0]
      self.addGrad { dx in
        for i in 0..<dx.count { dx[i] += g }
      }
    }
  }

  /// The Euclidean (L2) norm of all elements, √Σx², as a scalar (PyTorch's
  /// `torch.linalg.vector_norm`). Backward: dx = g · x / ‖x‖ (0 where ‖x‖ = 0, as PyTorch).
  ///
  /// Fast enough for every gradient of a model at each step (gradient clipping): blocks of
  /// 4096 elements are summed in eight SIMD lanes, the threads take a share of the blocks, and
  /// the block sums are added in order in Double, so the result does not depend on the threads.
  public func norm() -> Tensor {
    let block = 4096
    let blocks = (count + block - 1) / block
    var sums = [Double](repeating: 0, count: blocks)
    data.withUnsafeBufferPointer { x in
      sums.withUnsafeMutableBufferPointer { sums in
        nonisolated(unsafe) let (x, sums) = (x, sums)
        parallelFor(blocks, cost: 2 * block) { range in
          for b in range {
            let end = Swift.min(x.count, (b + 1) * block)
            var lanes = SIMD8<Float>()
            var i = b * block
            while i + 8 <= end {
              let v = SIMD8<Float>(load: x.baseAddress! + i)
              lanes.addProduct(v, v)
              i += 8
            }
            var total = Double(lanes.sum())
            while i < end {
              total += Double(x[i] * x[i])
              i += 1
            }
            sums[b] = total
          }
        }
      }
    }
    let norm = Float(sums.reduce(0, +).squareRoot())
    let x = data
    return Tensor([norm], shape: [], op: "norm", parents: [self]) { y in
      let scale = norm == 0 ? 0 : y.grad!.data[0] / norm
      self.addGrad { dx in
        for i in 0..<dx.count { dx[i] += scale * x[i] }
      }
    }
  }

  /// The mean of all elements, as a scalar.
  public func mean() -> Tensor {
    check(count > 0, "mean() of an empty tensor")
    return sum() / Float(count)
  }

  /// The sum along `axis` (negative counts from the end).
  public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
    let (outer, n, inner) = split(around: axis)
    var result = [Float](repeating: 0, count: outer * inner)
    for o in 0..<outer {
      for j in 0..<n {
        let base = (o * n + j) * inner
        for i in 0..<inner { result[o * inner + i] += data[base + i] }
      }
    }
    return Tensor(result, shape: reducedShape(axis, keepDims: keepDims), op: "sum", parents: [self]) {
      y in
      let g = y.grad!.data
      self.addGrad { dx in
        for o in 0..<outer {
          for j in 0..<n {
            let base = (o * n + j) * inner
            for i in 0..<inner { dx[base + i] += g[o * inner + i] }
          }
        }
      }
    }
  }

  /// The mean along `axis`.
  public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
    sum(axis: axis, keepDims: keepDims) / Float(size(axis))
  }

  /// The largest element along `axis`. The gradient flows to the first largest element only.
  public func max(axis: Int, keepDims: Bool = false) -> Tensor {
    let (outer, n, inner) = split(around: axis)
    check(n > 0, "max(axis:) over an empty axis of shape \(shape)")
    let winners = argmaxIndices(outer: outer, n: n, inner: inner)
    let values = winners.map { data[$0] }
    return Tensor(values, shape: reducedShape(axis, keepDims: keepDims), op: "max", parents: [self]) {
      y in
      let g = y.grad!.data
      self.addGrad { dx in
        for (k, w) in winners.enumerated() { dx[w] += g[k] }
      }
    }
  }

  /// The largest element, as a scalar.
  public func max() -> Tensor { reshape([count]).max(axis: 0) }

  /// The index of the largest element along `axis`, for each position of the other axes
  /// (row-major order). Ties go to the first, as in PyTorch.
  public func argmax(axis: Int = -1) -> [Int] {
    let (outer, n, inner) = split(around: axis)
    check(n > 0, "argmax over an empty axis of shape \(shape)")
    return argmaxIndices(outer: outer, n: n, inner: inner).map { ($0 / inner) % n }
  }

  /// Flat indices into `data` of the largest element of each (outer, ·, inner) line.
  private func argmaxIndices(outer: Int, n: Int, inner: Int) -> [Int] {
    var winners = [Int](repeating: 0, count: outer * inner)
    for o in 0..<outer {
      for i in 0..<inner {
        var best = o * n * inner + i
        for j in 1..<Swift.max(n, 1) {
          let k = (o * n + j) * inner + i
          // NaN wins, as in PyTorch.
          if data[k] > data[best] || (data[k].isNaN && !data[best].isNaN) { best = k }
        }
        winners[o * inner + i] = best
      }
    }
    return winners
  }
}
