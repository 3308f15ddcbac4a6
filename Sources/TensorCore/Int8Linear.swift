// The linear op with an int8 weight: y = x·(scale ⊙ W)ᵀ + b, where W is stored as int8 levels
// q (out, in) with one scale per output channel (QuantizedWeight.swift), and x and y are Float.
// It runs as PyTorch's dynamic quantization (`quantize_dynamic`, fbgemm) does: the activations
// are quantized to 8 bits at run time too, the product is int8 × int8 summed exactly in Int32,
// and the sum is rescaled once per output.
//
// The arithmetic. Each row r of x gets its own symmetric scale, computed from the row itself:
//   sx[r] = max_k |x[r, k]| / 127,   qx[r, k] = round(x[r, k] / sx[r]) in -127...127
// (PyTorch quantizes the whole activation tensor with one scale and a zero point, unsigned 7-bit
// on x86 (`reduce_range`); one symmetric scale per row is finer, and a row's result does not
// depend on the other rows of the batch). Then, with the weight's sw[o] and q[o, k],
//   y[r, o] = sx[r]·sw[o] · Σ_k qx[r, k]·q[o, k] + b[o]
// where the sum is of integers: exact in Int32 (|qx·q| ≤ 16,129, so up to 133,000 terms), whatever
// the order, so the result cannot depend on the thread count or the blocking.
//
// How exact. Against the float product with the dequantized weight Ŵ = sw ⊙ q (what the old
// int8 × float kernel computed), quantizing x moves each x[r, k] by at most sx[r]/2, so
//   |y_int8[r, o] − (x·Ŵᵀ)[r, o]| ≤ sx[r]/2 · Σ_k |Ŵ[o, k]|  (+ Float rounding of the final scale),
// and against the Float32 weight W the weight's own step adds sw[o]/2 · Σ_k |x[r, k]|.
// The tests check the first bound; the accuracy of the real model is in docs/performance.md.
//
// How it runs (the Float GEMM's BLIS design, Gemm.swift, in integers):
//  1. x is quantized row by row and packed in panels of 6 rows: for each pair of inputs
//     (2p, 2p+1) and each of the 6 rows, the two Int16 levels side by side (one Int32);
//  2. the int8 weight is widened to Int16 (exact) and packed in panels of 16 output channels:
//     for each pair p, (q[o, 2p], q[o, 2p+1]) for the 16 channels, 32 Int16 (64 bytes);
//     an odd last input and the channels past the edge are zero;
//  3. the output is cut into blocks of 96 rows × 128 channels that the threads take in turn; in a
//     block, each weight panel (16 × in Int16: 12 KB at in = 384) stays in L1 while it meets
//     the block's 16 activation panels (L2), and the tile kernel (Int8Kernels'
//     `int8MicroKernel`) does, per pair of inputs, 12 vpmaddwd: Int16 pairs multiplied and added
//     into Int32 lanes, 16 multiply-adds per instruction where a Float FMA does 8;
//  4. the tile kernel converts each Int32 sum to Float once and writes sx·sw·sum + b.
// Steps 1 and 2 touch each input and weight once (1/out and 1/rows of the multiply-adds); the
// weight is packed again at every call, as `gemm` packs its B. Measured on MiniLM-L3's SST-2
// evaluation: the tile is 47% of the time, steps 1 and 2 about 7% (docs/performance.md).
//
// Backward: only x (and the bias) get gradients, dx = dy·(sw ⊙ q) and db = dy summed over rows,
// with the dequantized Float weight (the straight-through estimator: the rounding of x is
// treated as the identity); the int8 weight is frozen. A quantized layer is for inference, or
// for training adapters around it, so this is the rare path.

import Int8Kernels

/// A fully connected layer's op with an int8 weight, PyTorch's dynamically quantized Linear:
/// each row of x is quantized to int8 at run time, multiplied by the int8 weight in integers and
/// rescaled, y ≈ x·(scale ⊙ W)ᵀ + b (see the file's header for the error bound).
/// `weight` is (out, in), x is (..., in), `bias` (out). Gradients flow to x and the bias only.
public func linear(_ x: Tensor, weight: QuantizedWeight, bias: Tensor? = nil) -> Tensor {
  let (outFeatures, inFeatures) = (weight.outFeatures, weight.inFeatures)
  check(
    x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
    "linear: input \(x.shape) does not end in \(inFeatures) features (int8 weight \(weight.shape))")
  if let bias {
    check(bias.shape == [outFeatures], "linear: bias must be [\(outFeatures)], got \(bias.shape)")
  }
  check(
    inFeatures <= int8MaxInFeatures,
    "linear: an int8 weight with \(inFeatures) input features could overflow the Int32 sums (at most \(int8MaxInFeatures))"
  )
  let rows = x.shape.dropLast().reduce(1, *)
  // Every element is written below (by the kernel, or as the bias), so y starts uninitialized.
  let result = [Float](unsafeUninitializedCapacity: rows * outFeatures) { yp, count in
    count = rows * outFeatures
    if count == 0 { return }
    if inFeatures == 0 {  // an empty sum: y is the bias
      for r in 0..<rows {
        for o in 0..<outFeatures { yp[r * outFeatures + o] = bias?.data[o] ?? 0 }
      }
      return
    }
    x.data.withUnsafeBufferPointer { xp in
      weight.values.values.withUnsafeBufferPointer { qp in
        weight.scales.withUnsafeBufferPointer { sp in
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

/// The largest `in` whose Int32 sums cannot overflow: 133,144 · 127 · 127 < 2³¹.
let int8MaxInFeatures = Int(Int32.max) / (127 * 127)
/// Rows of x and output channels per block of work (see the file's header): 16 row panels of 6,
/// 8 weight panels of 16.
let int8BlockRows = 96
let int8BlockColumns = 128

/// y[r, o] = sx[r]·scales[o] · Σ_k qx[r, k]·q[o, k] + bias[o] for x (rows, in), q (out, in),
/// y (rows, out), with x quantized per row (`quantizeActivationRow`); every element of y is written.
func int8Gemm(
  rows: Int, outFeatures: Int, inFeatures: Int, x: UnsafePointer<Float>, q: UnsafePointer<Int8>,
  scales: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>
) {
  if rows == 0 || outFeatures == 0 { return }
  let k = inFeatures
  let pairs = (k + 1) / 2
  let (tileRows, tileColumns) = (int8TileRows, int8TileColumns)
  let rowPanels = (rows + tileRows - 1) / tileRows
  let columnPanels = (outFeatures + tileColumns - 1) / tileColumns
  // Packed activations (rowPanels × pairs × 6 Int32) with one scale per row, packed weights
  // (columnPanels × pairs × 32 Int16), and the weight scales and bias padded to whole panels.
  nonisolated(unsafe) let packedX = UnsafeMutablePointer<Int32>.allocate(
    capacity: rowPanels * pairs * tileRows)
  nonisolated(unsafe) let rowScales = UnsafeMutablePointer<Float>.allocate(capacity: rowPanels * tileRows)
  nonisolated(unsafe) let packedW = UnsafeMutablePointer<Int16>.allocate(
    capacity: columnPanels * pairs * 2 * tileColumns)
  let paddedScales = UnsafeMutablePointer<Float>.allocate(capacity: columnPanels * tileColumns)
  let paddedBias = UnsafeMutablePointer<Float>.allocate(capacity: columnPanels * tileColumns)
  defer {
    packedX.deallocate()
    rowScales.deallocate()
    packedW.deallocate()
    paddedScales.deallocate()
    paddedBias.deallocate()
  }
  paddedScales.initialize(repeating: 0, count: columnPanels * tileColumns)
  paddedScales.update(from: scales, count: outFeatures)
  paddedBias.initialize(repeating: 0, count: columnPanels * tileColumns)
  if let bias { paddedBias.update(from: bias, count: outFeatures) }
  nonisolated(unsafe) let (x, q, y) = (x, q, y)
  nonisolated(unsafe) let (columnScales, biases) = (UnsafePointer(paddedScales), UnsafePointer(paddedBias))

  parallelFor(rowPanels, cost: 8 * tileRows * k) { range in
    let levels = UnsafeMutablePointer<Int32>.allocate(capacity: pairs)  // one row's levels, in pairs
    defer { levels.deallocate() }
    for panel in range {
      packActivationPanel(
        x: x, rows: rows, k: k, first: panel * tileRows, into: packedX + panel * pairs * tileRows,
        scales: rowScales + panel * tileRows, levels: levels)
    }
  }
  parallelFor(columnPanels, cost: 4 * tileColumns * k) { range in
    for panel in range {
      packWeightPanel(
        q: q, outFeatures: outFeatures, k: k, first: panel * tileColumns,
        into: packedW + panel * pairs * 2 * tileColumns)
    }
  }
  let blockPanels = (rows: int8BlockRows / tileRows, columns: int8BlockColumns / tileColumns)
  let rowBlocks = (rowPanels + blockPanels.rows - 1) / blockPanels.rows
  let columnBlocks = (columnPanels + blockPanels.columns - 1) / blockPanels.columns
  // Half the work of a Float product of the same size, for the decision to use threads.
  parallelChunks(rowBlocks * columnBlocks, work: rows * outFeatures * k / 2) { chunk in
    let (rowBlock, columnBlock) = (chunk / columnBlocks, chunk % columnBlocks)
    let rowRange = (rowBlock * blockPanels.rows)..<Swift.min(rowPanels, (rowBlock + 1) * blockPanels.rows)
    let columnRange =
      (columnBlock * blockPanels.columns)..<Swift.min(columnPanels, (columnBlock + 1) * blockPanels.columns)
    for jp in columnRange {
      let (o0, b) = (jp * tileColumns, packedW + jp * pairs * 2 * tileColumns)
      for ip in rowRange {
        let r0 = ip * tileRows
        int8MicroKernel(
          pairs: pairs, a: packedX + ip * pairs * tileRows, b: b, rowScales: rowScales + r0,
          columnScales: columnScales + o0, bias: biases + o0, y: y + r0 * outFeatures + o0, ldy: outFeatures,
          rows: Swift.min(tileRows, rows - r0), columns: Swift.min(tileColumns, outFeatures - o0))
      }
    }
  }
}

/// Quantizes rows first..<first+6 of x (rows past the end are zero) and lays them out as the tile
/// kernel reads them: for each pair of inputs p, the 6 rows' (qx[r, 2p], qx[r, 2p+1]) as Int32.
/// Writes the 6 row scales to `scales` (0 for padding rows). `levels` is scratch for one row,
/// (in + 1) / 2 Int32.
@inline(__always)
func packActivationPanel(
  x: UnsafePointer<Float>, rows: Int, k: Int, first: Int, into panel: UnsafeMutablePointer<Int32>,
  scales: UnsafeMutablePointer<Float>, levels: UnsafeMutablePointer<Int32>
) {
  let pairs = (k + 1) / 2
  // One row's levels, an even count (the odd last one stays 0), read back as Int32 pairs.
  let row16 = UnsafeMutableRawPointer(levels).assumingMemoryBound(to: Int16.self)
  for t in 0..<int8TileRows {
    let r = first + t
    if r < rows {
      levels[pairs - 1] = 0
      scales[t] = quantizeActivationRow(x + r * k, count: k, into: row16)
    } else {
      levels.update(repeating: 0, count: pairs)
      scales[t] = 0
    }
    for p in 0..<pairs { panel[p * int8TileRows + t] = levels[p] }
  }
}

/// Widens the int8 rows first..<first+16 of q to Int16 in the tile kernel's layout: for each pair
/// of inputs p, (q[o, 2p], q[o, 2p+1]) for the 16 channels. Channels past the end are zero.
@inline(__always)
func packWeightPanel(
  q: UnsafePointer<Int8>, outFeatures: Int, k: Int, first: Int, into panel: UnsafeMutablePointer<Int16>
) {
  let pairs = (k + 1) / 2
  let width = Swift.min(int8TileColumns, outFeatures - first)
  if width < int8TileColumns || k % 2 == 1 { panel.update(repeating: 0, count: pairs * 2 * int8TileColumns) }
  for j in 0..<width {
    let src = q + (first + j) * k
    let dst = panel + 2 * j
    for i in 0..<k { dst[(i >> 1) * 2 * int8TileColumns + (i & 1)] = Int16(src[i]) }
  }
}

/// Quantizes `count` floats symmetrically to int8 levels (as Int16) in -127...127 and returns
/// the scale: scale = max|x| / 127, level = round(x · (1/scale)), ties to even (PyTorch's
/// quantize_val). A zero row gets scale 0 and levels 0; a row with NaN or infinity gets scale NaN
/// (and levels 0), so its outputs are NaN as in the Float product.
@inline(__always)
func quantizeActivationRow(
  _ x: UnsafePointer<Float>, count: Int, into levels: UnsafeMutablePointer<Int16>
) -> Float {
  let raw = UnsafeRawPointer(x)
  var largest = SIMD8<Float>()
  var poison = SIMD8<Float>()  // x·0: stays 0 unless some x is NaN or infinite
  var i = 0
  while i + 8 <= count {
    let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
    // |v| by clearing the sign bits; max by compare-and-select (the stdlib's pointwiseMax is a
    // generic per-lane loop here, a quarter of the time of a small product).
    let magnitude = unsafeBitCast(
      unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
    largest.replace(with: magnitude, where: magnitude .> largest)
    poison = poison + v * 0
    i += 8
  }
  var absMax = largest.max()
  var check = poison.sum()
  while i < count {
    absMax = Swift.max(absMax, Swift.abs(x[i]))
    check += x[i] * 0
    i += 1
  }
  if !check.isFinite || absMax == 0 {
    levels.update(repeating: 0, count: count)
    return check.isFinite ? 0 : .nan
  }
  let scale = absMax / QuantizedWeight.maxLevel
  let inverse = 1 / scale
  // Rounding to nearest even without a conversion instruction: adding 1.5·2²³ leaves the
  // rounded integer in the low bits of the float (valid for |v| < 2²²; here |v| ≲ 127).
  let magic = SIMD8<Float>(repeating: 12_582_912)
  let (low, high) = (SIMD8<Int32>(repeating: -127), SIMD8<Int32>(repeating: 127))
  i = 0
  while i + 8 <= count {
    let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) * inverse + magic
    var level = unsafeBitCast(v, to: SIMD8<Int32>.self) &- 0x4B40_0000
    level.replace(with: low, where: level .< low)
    level.replace(with: high, where: level .> high)
    UnsafeMutableRawPointer(levels + i).storeBytes(
      of: SIMD8<Int16>(truncatingIfNeeded: level), as: SIMD8<Int16>.self)
    i += 8
  }
  while i < count {
    let level = (x[i] * inverse).rounded(.toNearestOrEven)
    levels[i] = Int16(Swift.min(Swift.max(level, -QuantizedWeight.maxLevel), QuantizedWeight.maxLevel))
    i += 1
  }
  return scale
}
