// The linear op with an int8 weight: y = x·(scale ⊙ W)ᵀ + b, where W is stored as int8 values
// q (out, in) with one scale per output channel (QuantizedWeight.swift), and x and y are Float.
//
// The Float weight is never built. Since W[o, k] = scale[o]·q[o, k],
//   y[r, o] = scale[o] · Σ_k x[r, k]·q[o, k] + b[o]
// so the kernel sums x times the integer levels and multiplies by the scale once per output,
// after the sum. How it runs:
//  - the output channels are cut into tiles of 4; a tile's 4 int8 rows are widened to Float
//    (exact: integers up to 127) into a small scratch buffer of 4·in floats, which stays in L1;
//  - the rows of x are taken 64 at a time (64·in floats stay in L2), and the tile is widened
//    again for each block of 64 rows: a cost of 1/64 of the multiply-adds;
//  - the micro-kernel takes 2 rows of x and the 4 widened rows of the tile and keeps the 2×4
//    dot products in 8 SIMD8 accumulators: per 8 columns it loads 2 vectors of x and 4 of the
//    tile and does 8 fused multiply-adds (16 registers are enough: 8 accumulators, 6 loads);
//  - threads take contiguous ranges of tiles, so each output is summed by one thread in one
//    fixed order: the result does not depend on the thread count.
// Compared with dequantize-then-`linear` the sum runs in another order, so results agree to
// rounding (about 1e-6 relative), not bit for bit.
//
// Backward: only x (and the bias) get gradients, dx = dy·(scale ⊙ W), db = dy summed over rows;
// the int8 weight is frozen. The backward builds the Float weight for its product (a quantized
// layer is for inference, or for training adapters around it, so this is the rare path).

/// A fully connected layer's op with an int8 weight, as `linear(_:weight:bias:)` with
/// `weight.dequantized()` but without building the Float weight: y = x·(scale ⊙ W)ᵀ + b.
/// `weight` is (out, in), x is (..., in), `bias` (out). Gradients flow to x and the bias only.
public func linear(_ x: Tensor, weight: QuantizedWeight, bias: Tensor? = nil) -> Tensor {
  let (outFeatures, inFeatures) = (weight.outFeatures, weight.inFeatures)
  check(
    x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
    "linear: input \(x.shape) does not end in \(inFeatures) features (int8 weight \(weight.shape))")
  if let bias {
    check(bias.shape == [outFeatures], "linear: bias must be [\(outFeatures)], got \(bias.shape)")
  }
  let rows = x.shape.dropLast().reduce(1, *)
  var result = [Float](repeating: 0, count: rows * outFeatures)
  if rows > 0 && outFeatures > 0 {
    if inFeatures == 0 {  // an empty sum: y is the bias
      if let bias {
        for r in 0..<rows { for o in 0..<outFeatures { result[r * outFeatures + o] = bias.data[o] } }
      }
    } else {
      x.data.withUnsafeBufferPointer { xp in
        weight.values.values.withUnsafeBufferPointer { qp in
          weight.scales.withUnsafeBufferPointer { sp in
            result.withUnsafeMutableBufferPointer { yp in
              func run(bias: UnsafePointer<Float>?) {
                int8Gemm(
                  rows: rows, outFeatures: outFeatures, inFeatures: inFeatures, x: xp.baseAddress!,
                  q: qp.baseAddress!, scales: sp.baseAddress!, bias: bias, y: yp.baseAddress!)
              }
              if let bias {
                bias.data.withUnsafeBufferPointer { run(bias: $0.baseAddress!) }
              } else {
                run(bias: nil)
              }
            }
          }
        }
      }
    }
  }
  let parents = [x] + (bias.map { [$0] } ?? [])
  return Tensor(result, shape: Array(x.shape.dropLast()) + [outFeatures], op: "linear_int8", parents: parents)
  {
    y in
    y.grad!.data.withUnsafeBufferPointer { gp in
      if x.requiresGrad {
        let w = weight.dequantized()  // (out, in), for this product only
        w.data.withUnsafeBufferPointer { wp in
          x.addGrad { dx, accumulate in
            gemm(
              m: rows, n: inFeatures, k: outFeatures,
              a: MatrixView(base: gp.baseAddress!, row: outFeatures, column: 1),
              b: MatrixView(base: wp.baseAddress!, row: inFeatures, column: 1), c: dx.baseAddress!,
              ldc: inFeatures, accumulate: accumulate)
          }
        }
      }
      bias?.addGrad { db in
        for r in 0..<rows { for j in 0..<outFeatures { db[j] += gp[r * outFeatures + j] } }
      }
    }
  }
}

/// Output channels per tile, and rows of x per block (see the file's header).
let int8TileOutputs = 4
let int8RowBlock = 64

/// y[r, o] = scales[o] · Σ_k x[r, k]·q[o, k] + bias[o] for x (rows, in), q (out, in), y (rows, out);
/// every element of y is written.
func int8Gemm(
  rows: Int, outFeatures: Int, inFeatures: Int, x: UnsafePointer<Float>, q: UnsafePointer<Int8>,
  scales: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>
) {
  if rows == 0 || outFeatures == 0 { return }
  nonisolated(unsafe) let (x, q, scales, bias, y) = (x, q, scales, bias, y)
  let k = inFeatures
  let tiles = (outFeatures + int8TileOutputs - 1) / int8TileOutputs
  parallelFor(tiles, cost: rows * k * int8TileOutputs) { tileRange in
    // The tile's rows widened to Float; rows past the last output channel stay zero.
    let widened = UnsafeMutablePointer<Float>.allocate(capacity: int8TileOutputs * k)
    defer { widened.deallocate() }
    for r0 in stride(from: 0, to: rows, by: int8RowBlock) {
      let rowEnd = Swift.min(rows, r0 + int8RowBlock)
      for tile in tileRange {
        let o0 = tile * int8TileOutputs
        let width = Swift.min(int8TileOutputs, outFeatures - o0)
        for t in 0..<int8TileOutputs {
          let dst = widened + t * k
          if t < width {
            let src = q + (o0 + t) * k
            for i in 0..<k { dst[i] = Float(src[i]) }
          } else {
            dst.update(repeating: 0, count: k)
          }
        }
        // Two rows of x at a time; an odd last row is computed twice and stored once.
        for r in stride(from: r0, to: rowEnd, by: 2) {
          let pair = r + 1 < rowEnd
          let dots = int8MicroKernel(x0: x + r * k, x1: x + (pair ? r + 1 : r) * k, w: widened, k: k)
          for t in 0..<width {
            let o = o0 + t
            let b = bias?[o] ?? 0
            y[r * outFeatures + o] = scales[o] * dots.0[t] + b
            if pair { y[(r + 1) * outFeatures + o] = scales[o] * dots.1[t] + b }
          }
        }
      }
    }
  }
}

/// The 2×4 dot products of rows x0, x1 (k floats each) with the 4 rows of `w` (k floats each,
/// row t at w + t·k): 8 SIMD8 accumulators over the columns in steps of 8, then a scalar tail.
@inline(__always)
func int8MicroKernel(
  x0: UnsafePointer<Float>, x1: UnsafePointer<Float>, w: UnsafePointer<Float>, k: Int
) -> (SIMD4<Float>, SIMD4<Float>) {
  let (w0, w1, w2, w3) = (w, w + k, w + 2 * k, w + 3 * k)
  var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a02 = SIMD8<Float>(), a03 = SIMD8<Float>()
  var a10 = SIMD8<Float>(), a11 = SIMD8<Float>(), a12 = SIMD8<Float>(), a13 = SIMD8<Float>()
  // The stdlib's loadUnaligned and addingProduct, not Gemm.swift's SIMD8 helpers: the package
  // builds file by file, and a helper from another file would be a call per vector, not inlined.
  @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
  }
  var i = 0
  while i + 8 <= k {
    let u = load(x0 + i)
    let v = load(x1 + i)
    var wv = load(w0 + i)
    a00 = a00.addingProduct(u, wv)
    a10 = a10.addingProduct(v, wv)
    wv = load(w1 + i)
    a01 = a01.addingProduct(u, wv)
    a11 = a11.addingProduct(v, wv)
    wv = load(w2 + i)
    a02 = a02.addingProduct(u, wv)
    a12 = a12.addingProduct(v, wv)
    wv = load(w3 + i)
    a03 = a03.addingProduct(u, wv)
    a13 = a13.addingProduct(v, wv)
    i += 8
  }
  var d0 = SIMD4<Float>(a00.sum(), a01.sum(), a02.sum(), a03.sum())
  var d1 = SIMD4<Float>(a10.sum(), a11.sum(), a12.sum(), a13.sum())
  while i < k {
    let wi = SIMD4<Float>(w0[i], w1[i], w2[i], w3[i])
    d0 = d0.addingProduct(SIMD4(repeating: x0[i]), wi)
    d1 = d1.addingProduct(SIMD4(repeating: x1[i]), wi)
    i += 1
  }
  return (d0, d1)
}
