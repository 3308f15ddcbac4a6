// Neural-network ops: softmax and log-softmax, layer norm, dropout, masking.
// Each is one fused op with a hand-derived backward, rather than a chain of elementwise ops:
// faster, and numerically stable where the chain would overflow.

import Foundation

extension Tensor {
  /// softmax along `axis`: eˣⁱ / Σⱼ eˣʲ, computed as e^(xᵢ - max) so large inputs cannot overflow.
  /// Backward: dx = y ⊙ (g - Σ g ⊙ y).
  public func softmax(axis: Int = -1) -> Tensor {
    let (outer, n, inner) = split(around: axis)
    let y = softmaxValues(outer: outer, n: n, inner: inner, log: false)
    return Tensor(y, shape: shape, op: "softmax", parents: [self]) { out in
      let g = out.grad!.data
      self.addGrad { dx in
        nonisolated(unsafe) let dx = dx
        forEachLine(outer: outer, n: n, inner: inner) { base, step in
          var dot: Float = 0
          for j in 0..<n { dot += g[base + j * step] * y[base + j * step] }
          for j in 0..<n {
            let k = base + j * step
            dx[k] += y[k] * (g[k] - dot)
          }
        }
      }
    }
  }

  /// log(softmax(x)) along `axis`, as x - max - log Σ e^(x - max): exact where softmax
  /// would underflow to 0. Backward: dx = g - softmax(x) · Σ g.
  public func logSoftmax(axis: Int = -1) -> Tensor {
    let (outer, n, inner) = split(around: axis)
    let y = softmaxValues(outer: outer, n: n, inner: inner, log: true)
    return Tensor(y, shape: shape, op: "logSoftmax", parents: [self]) { out in
      let g = out.grad!.data
      self.addGrad { dx in
        nonisolated(unsafe) let dx = dx
        forEachLine(outer: outer, n: n, inner: inner) { base, step in
          var total: Float = 0
          for j in 0..<n { total += g[base + j * step] }
          for j in 0..<n {
            let k = base + j * step
            dx[k] += g[k] - Foundation.exp(y[k]) * total
          }
        }
      }
    }
  }

  /// Softmax (or log-softmax) values of every line along the reduced axis.
  private func softmaxValues(outer: Int, n: Int, inner: Int, log: Bool) -> [Float] {
    var y = data
    if inner == 1 && n > 0 {
      // The usual case, softmax over the last axis: contiguous rows, and a loop that vectorises.
      y.withUnsafeMutableBufferPointer { y in
        nonisolated(unsafe) let y = y
        parallelFor(outer, cost: 32 * n) { rows in
          let exps = UnsafeMutablePointer<Float>.allocate(capacity: n)
          defer { exps.deallocate() }
          for r in rows {
            let row = y.baseAddress! + r * n
            var m = row[0]
            for j in 1..<n { m = Swift.max(m, row[j]) }
            if m == -.infinity { m = 0 }
            // Exponentials in their own loop (it vectorises), then the sum.
            for j in 0..<n { exps[j] = fastExp(row[j] - m) }
            var total: Float = 0
            for j in 0..<n { total += exps[j] }
            if !log { row.update(from: exps, count: n) }
            if log {
              let shift = m + Foundation.log(total)
              for j in 0..<n { row[j] -= shift }
            } else {
              let scale = 1 / total
              for j in 0..<n { row[j] *= scale }
            }
          }
        }
      }
      return y
    }
    y.withUnsafeMutableBufferPointer { y in
      nonisolated(unsafe) let y = y
      forEachLine(outer: outer, n: n, inner: inner) { base, step in
        var m = -Float.infinity
        for j in 0..<n { m = Swift.max(m, y[base + j * step]) }
        if m == -.infinity { m = 0 }  // a fully masked line: keep it finite (all e^x are 0)
        var total: Float = 0
        for j in 0..<n {
          let e = Foundation.exp(y[base + j * step] - m)
          total += e
          if !log { y[base + j * step] = e }
        }
        if log {
          let shift = m + Foundation.log(total)
          for j in 0..<n { y[base + j * step] -= shift }
        } else {
          for j in 0..<n { y[base + j * step] /= total }
        }
      }
    }
    return y
  }

  /// Replaces elements where `mask` is nonzero by `value` (PyTorch's `masked_fill`). The mask
  /// broadcasts to this tensor's shape; masked elements get no gradient.
  /// Attention uses it with `-infinity` to hide padding and future tokens.
  public func maskedFill(_ mask: Tensor, _ value: Float) -> Tensor {
    check(
      TensorCore.broadcastShape(mask.shape, shape) == shape,
      "maskedFill: mask \(mask.shape) does not broadcast to \(shape)")
    // keep (1, or 0 where masked) and the result in one pass over the output, in runs along
    // its last dimension; the threads take a share of the runs.
    var result = [Float](repeating: 0, count: count)
    let (x, masks, shape) = (data, mask.data, shape)
    let maskStrides = broadcastStrides(mask.shape, to: shape)
    let length = Swift.max(shape.last ?? 1, 1)
    let keep = [Float](unsafeUninitializedCapacity: count) { keep, initialized in
      result.withUnsafeMutableBufferPointer { result in
        nonisolated(unsafe) let (keep, result) = (keep, result)
        parallelFor(x.count / length, cost: 16 * length) { runs in
          forEachRun(out: shape, aStrides: maskStrides, bStrides: maskStrides, runs: runs) {
            o, m, _, step, _, n in
            for j in 0..<n {
              let masked = masks[m + j * step] != 0
              keep[o + j] = masked ? 0 : 1
              result[o + j] = masked ? value : x[o + j]
            }
          }
        }
      }
      initialized = x.count
    }
    return Tensor(result, shape: shape, op: "maskedFill", parents: [self]) { y in
      self.addGrad(y.grad!.data, times: keep)
    }
  }

  /// Dropout (PyTorch's `F.dropout`): while training, zeroes each element with probability `p`
  /// and scales the rest by 1/(1-p), so the expected value is unchanged; otherwise the identity.
  public func dropout(_ p: Float, training: Bool, generator: Generator = .default) -> Tensor {
    check(p >= 0 && p < 1, "dropout probability must be in [0, 1), got \(p)")
    guard training && p > 0 else { return self }
    let scale = 1 / (1 - p)
    // Uniform draws, then 0 or 1/(1-p) each. One random stream, so the draws are serial: they
    // must not depend on the thread count.
    var mask = [Float](unsafeUninitializedCapacity: count) { uniform, initialized in
      generator.fillUniform(uniform)
      initialized = uniform.count
    }
    let result = [Float](unsafeUninitializedCapacity: count) { result, initialized in
      data.withUnsafeBufferPointer { x in
        mask.withUnsafeMutableBufferPointer { mask in
          nonisolated(unsafe) let (x, mask, result) = (x, mask, result)
          parallelFor(mask.count, cost: 16) { range in
            for i in range {
              mask[i] = mask[i] < p ? 0 : scale
              result[i] = x[i] * mask[i]
            }
          }
        }
      }
      initialized = mask.count
    }
    return Tensor(result, shape: shape, op: "dropout", parents: [self]) { y in
      self.addGrad(y.grad!.data, times: mask)
    }
  }
}

/// Visits every line along a reduced axis of an (outer, n, inner) view: `body(base, step)`,
/// where the line's elements are at base + j·step for j in 0..<n. Lines are independent, so
/// the threads take a share each.
@inline(__always)
func forEachLine(outer: Int, n: Int, inner: Int, _ body: @Sendable (_ base: Int, _ step: Int) -> Void) {
  parallelFor(outer * inner, cost: 16 * n) { lines in
    for line in lines { body(line / inner * n * inner + line % inner, inner) }
  }
}

/// Layer normalisation over the last dimension (PyTorch's `F.layer_norm`, BERT's LayerNorm):
/// x̂ = (x - mean) / √(var + eps) with the biased variance, then y = x̂ ⊙ weight + bias.
///
/// Backward, per row of D values with r = 1/√(var + eps) and ĝ = g ⊙ weight:
/// dx = r · (ĝ - mean(ĝ) - x̂ · mean(ĝ ⊙ x̂)); dweight = Σ g ⊙ x̂; dbias = Σ g.
public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float = 1e-5) -> Tensor {
  let d = x.shape.last ?? 0
  check(
    weight.shape == [d] && bias.shape == [d],
    "layerNorm: weight \(weight.shape) and bias \(bias.shape) must be [\(d)] for input \(x.shape)")
  let rows = d == 0 ? 0 : x.count / d
  // Kept for the backward: x̂ and 1/√(var + eps) of every row.
  var normalized = [Float](repeating: 0, count: x.count)
  var inverseStd = [Float](repeating: 0, count: rows)
  var y = [Float](repeating: 0, count: x.count)
  x.data.withUnsafeBufferPointer { x in
    weight.data.withUnsafeBufferPointer { w in
      bias.data.withUnsafeBufferPointer { b in
        normalized.withUnsafeMutableBufferPointer { h in
          inverseStd.withUnsafeMutableBufferPointer { rstd in
            y.withUnsafeMutableBufferPointer { y in
              nonisolated(unsafe) let (x, w, b, h, rstd, y) = (x, w, b, h, rstd, y)
              parallelFor(rows, cost: 32 * d) { rows in  // rows are independent
                for r in rows {
                  let base = r * d
                  var mean: Float = 0
                  for j in 0..<d { mean += x[base + j] }
                  mean /= Float(d)
                  var variance: Float = 0
                  for j in 0..<d {
                    let c = x[base + j] - mean
                    variance += c * c
                  }
                  rstd[r] = 1 / (variance / Float(d) + eps).squareRoot()
                  for j in 0..<d {
                    h[base + j] = (x[base + j] - mean) * rstd[r]
                    y[base + j] = h[base + j] * w[j] + b[j]
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  let (xHat, rstd) = (normalized, inverseStd)
  return Tensor(y, shape: x.shape, op: "layerNorm", parents: [x, weight, bias]) { out in
    let g = out.grad!.data
    g.withUnsafeBufferPointer { g in
      xHat.withUnsafeBufferPointer { h in
        weight.data.withUnsafeBufferPointer { w in
          nonisolated(unsafe) let (g, h, w) = (g, h, w)
          x.addGrad { dx in
            nonisolated(unsafe) let dx = dx
            parallelFor(rows, cost: 32 * d) { rows in
              for r in rows {
                let base = r * d
                var meanG: Float = 0
                var meanGH: Float = 0
                for j in 0..<d {
                  let gh = g[base + j] * w[j]
                  meanG += gh
                  meanGH += gh * h[base + j]
                }
                meanG /= Float(d)
                meanGH /= Float(d)
                for j in 0..<d {
                  dx[base + j] += rstd[r] * (g[base + j] * w[j] - meanG - h[base + j] * meanGH)
                }
              }
            }
          }
          // Sums over rows: the threads take a share of the columns each.
          weight.addGrad { dw in
            nonisolated(unsafe) let dw = dw
            parallelFor(d, cost: 16 * rows) { columns in
              for r in 0..<rows { for j in columns { dw[j] += g[r * d + j] * h[r * d + j] } }
            }
          }
          bias.addGrad { db in
            nonisolated(unsafe) let db = db
            parallelFor(d, cost: 16 * rows) { columns in
              for r in 0..<rows { for j in columns { db[j] += g[r * d + j] } }
            }
          }
        }
      }
    }
  }
}
