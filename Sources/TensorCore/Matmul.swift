// Matrix multiplication as differentiable ops: `matmul` (batched, broadcasting, as PyTorch's)
// and `linear` (PyTorch's `F.linear`, y = x·Wᵀ + b), each with its backward.
//
// Every product here is one call to `gemm` (Gemm.swift), which takes its operands as a pointer
// and two strides: the transposes the backward needs (dA = dC·Bᵀ, dB = Aᵀ·dC) are other strides
// of the same buffers, never copies.

extension Tensor {
  /// The matrix product, batched and broadcasting like PyTorch's `matmul`:
  /// (..., m, k) · (..., k, n) → (..., m, n); batch dimensions broadcast, so a (b, m, k) tensor
  /// times a (k, n) weight multiplies every batch by the same matrix.
  ///
  /// Backward: dA = dC·Bᵀ and dB = Aᵀ·dC (summed over batches where B was broadcast).
  public func matmul(_ other: Tensor) -> Tensor {
    let a = self
    let b = other
    check(a.rank >= 2 && b.rank >= 2, "matmul needs tensors of rank >= 2, got \(a.shape) and \(b.shape)")
    let (m, k) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (k2, n) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
    check(k == k2, "matmul: inner sizes differ, \(a.shape) · \(b.shape)")
    // A 2-D right operand: fold a's batch into its rows, one big product (the x·W case).
    if b.rank == 2 {
      let rows = a.shape.dropLast().reduce(1, *)  // not a.count / k, which traps when k = 0
      let result = [Float](unsafeUninitializedCapacity: rows * n) { cp, initialized in
        a.data.withUnsafeBufferPointer { ap in
          b.data.withUnsafeBufferPointer { bp in
            gemm(
              m: rows, n: n, k: k, a: MatrixView(base: ap.baseAddress!, row: k, column: 1),
              b: MatrixView(base: bp.baseAddress!, row: n, column: 1), c: cp.baseAddress!, ldc: n,
              accumulate: false)
          }
        }
        initialized = rows * n
      }
      return Tensor(result, shape: Array(a.shape.dropLast()) + [n], op: "matmul", parents: [a, b]) {
        y in
        y.grad!.data.withUnsafeBufferPointer { gp in
          let g = MatrixView(base: gp.baseAddress!, row: n, column: 1)
          a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
              let av = MatrixView(base: ap.baseAddress!, row: k, column: 1)
              let bv = MatrixView(base: bp.baseAddress!, row: n, column: 1)
              a.addGrad { da, accumulate in
                gemm(
                  m: rows, n: k, k: n, a: g, b: bv.transposed, c: da.baseAddress!, ldc: k,
                  accumulate: accumulate)
              }
              b.addGrad { db, accumulate in
                gemm(
                  m: k, n: n, k: rows, a: av.transposed, b: g, c: db.baseAddress!, ldc: n,
                  accumulate: accumulate)
              }
            }
          }
        }
      }
    }
    // General case: one product per batch index, batches split over threads.
    let aBatch = Array(a.shape.dropLast(2))
    let bBatch = Array(b.shape.dropLast(2))
    guard let batch = TensorCore.broadcastShape(aBatch, bBatch) else {
      fatalError("TensorCore: matmul: batch shapes of \(a.shape) and \(b.shape) cannot be broadcast")
    }
    let pairs = batchPairs(batch: batch, aBatch: aBatch, bBatch: bBatch)
    let (aSize, bSize, cSize) = (m * k, k * n, m * n)
    var result = [Float](repeating: 0, count: pairs.count * cSize)
    a.data.withUnsafeBufferPointer { ap in
      b.data.withUnsafeBufferPointer { bp in
        result.withUnsafeMutableBufferPointer { cp in
          batchedGemm(
            m: m, n: n, k: k,
            a: MatrixView(base: ap.baseAddress!, row: k, column: 1), aOffsets: pairs.map { $0.a * aSize },
            b: MatrixView(base: bp.baseAddress!, row: n, column: 1), bOffsets: pairs.map { $0.b * bSize },
            c: cp.baseAddress!, cOffsets: pairs.indices.map { $0 * cSize })
        }
      }
    }
    return Tensor(result, shape: batch + [m, n], op: "bmm", parents: [a, b]) { y in
      y.grad!.data.withUnsafeBufferPointer { gp in
        a.data.withUnsafeBufferPointer { ap in
          b.data.withUnsafeBufferPointer { bp in
            let g = MatrixView(base: gp.baseAddress!, row: n, column: 1)
            let gOffsets = pairs.indices.map { $0 * cSize }
            // dA[i] += dC[i] · B[i]ᵀ  (m × n · n × k)
            a.addGrad { da in
              batchedGemm(
                m: m, n: k, k: n, a: g, aOffsets: gOffsets,
                b: MatrixView(base: bp.baseAddress!, row: 1, column: n), bOffsets: pairs.map { $0.b * bSize },
                c: da.baseAddress!, cOffsets: pairs.map { $0.a * aSize })
            }
            // dB[i] += A[i]ᵀ · dC[i]  (k × m · m × n)
            b.addGrad { db in
              batchedGemm(
                m: k, n: n, k: m,
                a: MatrixView(base: ap.baseAddress!, row: 1, column: k), aOffsets: pairs.map { $0.a * aSize },
                b: g, bOffsets: gOffsets, c: db.baseAddress!, cOffsets: pairs.map { $0.b * bSize })
            }
          }
        }
      }
    }
  }

  /// For each index of the broadcast batch, the batch index into `a` and into `b`.
  private func batchPairs(batch: [Int], aBatch: [Int], bBatch: [Int]) -> [(a: Int, b: Int)] {
    let count = batch.reduce(1, *)
    let aStrides = broadcastStrides(aBatch, to: batch)
    let bStrides = broadcastStrides(bBatch, to: batch)
    var result: [(a: Int, b: Int)] = []
    result.reserveCapacity(count)
    var index = [Int](repeating: 0, count: batch.count)
    for _ in 0..<count {
      var ao = 0
      var bo = 0
      for d in 0..<batch.count {
        ao += index[d] * aStrides[d]
        bo += index[d] * bStrides[d]
      }
      result.append((ao, bo))
      var d = batch.count - 1
      while d >= 0 {
        index[d] += 1
        if index[d] < batch[d] { break }
        index[d] = 0
        d -= 1
      }
    }
    return result
  }
}

/// A fully connected layer's op, as PyTorch's `F.linear`: y = x·Wᵀ + b with `weight` of shape
/// (out, in), the layout Hugging Face's `nn.Linear` checkpoints use. x is (..., in).
///
/// Backward: dx = dy·W, dW = dyᵀ·x, db = dy summed over rows. Wᵀ is read through strides.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
  check(weight.rank == 2, "linear: weight must be (out, in), got \(weight.shape)")
  let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
  check(
    x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
    "linear: input \(x.shape) does not end in \(inFeatures) features (weight \(weight.shape))")
  if let bias {
    check(bias.shape == [outFeatures], "linear: bias must be [\(outFeatures)], got \(bias.shape)")
  }
  let rows = x.shape.dropLast().reduce(1, *)  // not x.count / inFeatures: that traps when it is 0
  let result = [Float](unsafeUninitializedCapacity: rows * outFeatures) { yp, initialized in
    // Each row starts as the bias and the product adds into it; without a bias it is written.
    if let bias {
      bias.data.withUnsafeBufferPointer { b in
        for r in 0..<rows {
          (yp.baseAddress! + r * outFeatures).initialize(from: b.baseAddress!, count: outFeatures)
        }
      }
    }
    x.data.withUnsafeBufferPointer { xp in
      weight.data.withUnsafeBufferPointer { wp in
        gemm(
          m: rows, n: outFeatures, k: inFeatures,
          a: MatrixView(base: xp.baseAddress!, row: inFeatures, column: 1),
          b: MatrixView(base: wp.baseAddress!, row: 1, column: inFeatures), c: yp.baseAddress!,
          ldc: outFeatures, accumulate: bias != nil)
      }
    }
    initialized = rows * outFeatures
  }
  let parents = [x, weight] + (bias.map { [$0] } ?? [])
  return Tensor(result, shape: Array(x.shape.dropLast()) + [outFeatures], op: "linear", parents: parents) {
    y in
    y.grad!.data.withUnsafeBufferPointer { gp in
      let g = MatrixView(base: gp.baseAddress!, row: outFeatures, column: 1)
      x.data.withUnsafeBufferPointer { xp in
        weight.data.withUnsafeBufferPointer { wp in
          x.addGrad { dx, accumulate in
            gemm(
              m: rows, n: inFeatures, k: outFeatures, a: g,
              b: MatrixView(base: wp.baseAddress!, row: inFeatures, column: 1), c: dx.baseAddress!,
              ldc: inFeatures, accumulate: accumulate)
          }
          weight.addGrad { dw, accumulate in
            gemm(
              m: outFeatures, n: inFeatures, k: rows, a: g.transposed,
              b: MatrixView(base: xp.baseAddress!, row: inFeatures, column: 1), c: dw.baseAddress!,
              ldc: inFeatures, accumulate: accumulate)
          }
        }
      }
      bias?.addGrad { db in  // a sum over rows: the threads take a share of the columns each
        nonisolated(unsafe) let (db, gp) = (db, gp)
        parallelFor(outFeatures, cost: 16 * rows) { columns in
          for r in 0..<rows { for j in columns { db[j] += gp[r * outFeatures + j] } }
        }
      }
    }
  }
}
