// The innermost loop of the int8 matrix multiply (TensorCore's Int8Linear.swift): a 6×16 tile
// of y = (x_q · W_qᵀ) · scales + bias from int8 levels held as Int16, summed exactly in Int32.
//
// Why a module of its own: the instruction that makes int8 faster than Float on AVX2 is
// `vpmaddwd` (`_mm256_madd_epi16`): it multiplies 16 pairs of Int16 and adds neighbouring
// products into 8 Int32 lanes, 16 multiply-adds per instruction where a Float FMA does 8.
// LLVM emits it from plain Swift SIMD code only in trivial cases (the even/odd shuffles of
// `SIMD16.evenHalf`/`oddHalf` are rewritten before the pattern is matched; we checked the
// assembly of several spellings, see docs/performance.md), so this file calls the LLVM
// intrinsic `llvm.x86.avx2.pmadd.wd` itself, through Swift's `Builtin` module. `Builtin` is
// only visible when a module is compiled with `-parse-stdlib` (Package.swift), which also
// means `import Swift` must be written out. Everything else of the kernel lives in TensorCore.
//
// The tile, as in TensorCore's Float `microKernel` (Gemm.swift), keeps 6 rows × 16 columns of
// sums in 12 registers of 8 Int32 lanes. Per step p it reads
//  - from the packed weights `b`: columns 0..<16 for inputs 2p and 2p+1, as 32 Int16 laid out
//    (column 0: k=2p, k=2p+1), (column 1: k=2p, k=2p+1), ...: two 256-bit vectors;
//  - from the packed activations `a`: for each of the 6 rows the pair (x[2p], x[2p+1]) as one
//    Int32, broadcast to all 8 lanes (vpbroadcastd), so lane j of vpmaddwd(pair, b) is
//    x[2p]·W[j, 2p] + x[2p+1]·W[j, 2p+1].
// 12 vpmaddwd and 12 vpaddd per step: 192 multiply-adds, where the Float kernel's 12 FMAs do 96.
// 16 registers: 12 sums, 2 of weights, 1 broadcast (the weights are a memory operand when short).
//
// The sums are exact: |level| ≤ 127, so a product is at most 16,129 and Int32 holds the sum of
// 133,000 of them; TensorCore checks `in` against that. At the end each sum is converted to
// Float once and scaled: y = Float(sum) · (rowScale · columnScale) + bias.

import Swift

/// Rows of x (and of y) per tile.
public let int8TileRows = 6
/// Output channels (columns of y) per tile.
public let int8TileColumns = 16

/// Lane i: a[2i]·b[2i] + a[2i+1]·b[2i+1], in Int32 (x86's vpmaddwd).
@inline(__always)
func pairwiseMultiplyAdd(_ a: SIMD16<Int16>, _ b: SIMD16<Int16>) -> SIMD8<Int32> {
  #if arch(x86_64)
    let product = Builtin.int_x86_avx2_pmadd_wd(
      unsafeBitCast(a, to: Builtin.Vec16xInt16.self), unsafeBitCast(b, to: Builtin.Vec16xInt16.self))
    return unsafeBitCast(product, to: SIMD8<Int32>.self)
  #else
    // Elsewhere (arm64), the same sums lane by lane; LLVM vectorises what it can.
    var result = SIMD8<Int32>()
    for i in 0..<8 {
      result[i] = Int32(a[2 * i]) &* Int32(b[2 * i]) &+ Int32(a[2 * i + 1]) &* Int32(b[2 * i + 1])
    }
    return result
  #endif
}

/// Int32 lanes converted to Float (each rounded to nearest: exact below 2^24).
@inline(__always)
func toFloat(_ v: SIMD8<Int32>) -> SIMD8<Float> {
  unsafeBitCast(
    Builtin.sitofp_Vec8xInt32_Vec8xFPIEEE32(unsafeBitCast(v, to: Builtin.Vec8xInt32.self)),
    to: SIMD8<Float>.self)
}

/// One 6×16 tile of y: y[r, j] = Float(Σ_k a[r, k]·b[j, k]) · (rowScales[r] · columnScales[j]) + bias[j]
/// for r < `rows`, j < `columns` (the tile is clipped at the edges of y; y's rows are `ldy` apart).
///
/// `a`: `pairs` steps of 6 Int32, each the Int16 pair (x[r, 2p], x[r, 2p+1]) of row r (low half
/// first). `b`: `pairs` steps of 32 Int16, (W[j, 2p], W[j, 2p+1]) for j = 0..<16. `rowScales`
/// has 6 entries, `columnScales` and `bias` 16 (padding past the edge is read, not stored).
public func int8MicroKernel(
  pairs: Int, a: UnsafePointer<Int32>, b: UnsafePointer<Int16>, rowScales: UnsafePointer<Float>,
  columnScales: UnsafePointer<Float>, bias: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
  ldy: Int, rows: Int, columns: Int
) {
  var c00 = SIMD8<Int32>(), c01 = SIMD8<Int32>(), c10 = SIMD8<Int32>(), c11 = SIMD8<Int32>()
  var c20 = SIMD8<Int32>(), c21 = SIMD8<Int32>(), c30 = SIMD8<Int32>(), c31 = SIMD8<Int32>()
  var c40 = SIMD8<Int32>(), c41 = SIMD8<Int32>(), c50 = SIMD8<Int32>(), c51 = SIMD8<Int32>()
  let braw = UnsafeRawPointer(b)
  @inline(__always) func pair(_ value: Int32) -> SIMD16<Int16> {
    unsafeBitCast(SIMD8<Int32>(repeating: value), to: SIMD16<Int16>.self)
  }
  var ap = a
  for p in 0..<pairs {
    let b0 = braw.loadUnaligned(fromByteOffset: p &* 64, as: SIMD16<Int16>.self)
    let b1 = braw.loadUnaligned(fromByteOffset: p &* 64 &+ 32, as: SIMD16<Int16>.self)
    var x = pair(ap[0])
    c00 &+= pairwiseMultiplyAdd(x, b0)
    c01 &+= pairwiseMultiplyAdd(x, b1)
    x = pair(ap[1])
    c10 &+= pairwiseMultiplyAdd(x, b0)
    c11 &+= pairwiseMultiplyAdd(x, b1)
    x = pair(ap[2])
    c20 &+= pairwiseMultiplyAdd(x, b0)
    c21 &+= pairwiseMultiplyAdd(x, b1)
    x = pair(ap[3])
    c30 &+= pairwiseMultiplyAdd(x, b0)
    c31 &+= pairwiseMultiplyAdd(x, b1)
    x = pair(ap[4])
    c40 &+= pairwiseMultiplyAdd(x, b0)
    c41 &+= pairwiseMultiplyAdd(x, b1)
    x = pair(ap[5])
    c50 &+= pairwiseMultiplyAdd(x, b0)
    c51 &+= pairwiseMultiplyAdd(x, b1)
    ap += 6
  }
  // Scale and store, clipped to the valid rows and columns.
  let scaleRaw = UnsafeRawPointer(columnScales)
  let biasRaw = UnsafeRawPointer(bias)
  let (s0, s1) = (
    scaleRaw.loadUnaligned(as: SIMD8<Float>.self),
    scaleRaw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
  )
  let (bias0, bias1) = (
    biasRaw.loadUnaligned(as: SIMD8<Float>.self),
    biasRaw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
  )
  if rows == int8TileRows && columns == int8TileColumns {
    // The whole tile, written out: the compiler leaves a row-storing function out of line here
    // (also when marked @inline(__always)), and its 12 vectors then go through the stack.
    var out = UnsafeMutableRawPointer(y)
    let stride = 4 &* ldy
    out.storeBytes(of: toFloat(c00) * (rowScales[0] * s0) + bias0, as: SIMD8<Float>.self)
    out.storeBytes(of: toFloat(c01) * (rowScales[0] * s1) + bias1, toByteOffset: 32, as: SIMD8<Float>.self)
    out += stride
    out.storeBytes(of: toFloat(c10) * (rowScales[1] * s0) + bias0, as: SIMD8<Float>.self)
    out.storeBytes(of: toFloat(c11) * (rowScales[1] * s1) + bias1, toByteOffset: 32, as: SIMD8<Float>.self)
    out += stride
    out.storeBytes(of: toFloat(c20) * (rowScales[2] * s0) + bias0, as: SIMD8<Float>.self)
    out.storeBytes(of: toFloat(c21) * (rowScales[2] * s1) + bias1, toByteOffset: 32, as: SIMD8<Float>.self)
    out += stride
    out.storeBytes(of: toFloat(c30) * (rowScales[3] * s0) + bias0, as: SIMD8<Float>.self)
    out.storeBytes(of: toFloat(c31) * (rowScales[3] * s1) + bias1, toByteOffset: 32, as: SIMD8<Float>.self)
    out += stride
    out.storeBytes(of: toFloat(c40) * (rowScales[4] * s0) + bias0, as: SIMD8<Float>.self)
    out.storeBytes(of: toFloat(c41) * (rowScales[4] * s1) + bias1, toByteOffset: 32, as: SIMD8<Float>.self)
    out += stride
    out.storeBytes(of: toFloat(c50) * (rowScales[5] * s0) + bias0, as: SIMD8<Float>.self)
    out.storeBytes(of: toFloat(c51) * (rowScales[5] * s1) + bias1, toByteOffset: 32, as: SIMD8<Float>.self)
    return
  }
  // An edge tile: row by row, clipped.
  let scale = (s0, s1, bias0, bias1)
  storeTileRow(c00, c01, rowScale: rowScales[0], scale, y, columns: columns)
  if rows > 1 { storeTileRow(c10, c11, rowScale: rowScales[1], scale, y + ldy, columns: columns) }
  if rows > 2 { storeTileRow(c20, c21, rowScale: rowScales[2], scale, y + 2 &* ldy, columns: columns) }
  if rows > 3 { storeTileRow(c30, c31, rowScale: rowScales[3], scale, y + 3 &* ldy, columns: columns) }
  if rows > 4 { storeTileRow(c40, c41, rowScale: rowScales[4], scale, y + 4 &* ldy, columns: columns) }
  if rows > 5 { storeTileRow(c50, c51, rowScale: rowScales[5], scale, y + 5 &* ldy, columns: columns) }
}

/// Writes one row of the tile: Float(sum) · (rowScale · columnScale) + bias for the first
/// `columns` of its 16 sums (`lo`: columns 0..<8, `hi`: 8..<16). `scale` holds the 16 column
/// scales and the 16 biases, as two vectors each.
@inline(__always)
func storeTileRow(
  _ lo: SIMD8<Int32>, _ hi: SIMD8<Int32>, rowScale: Float,
  _ scale: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>), _ row: UnsafeMutablePointer<Float>,
  columns: Int
) {
  let v0 = toFloat(lo) * (rowScale * scale.0) + scale.2
  let v1 = toFloat(hi) * (rowScale * scale.1) + scale.3
  if columns == int8TileColumns {
    UnsafeMutableRawPointer(row).storeBytes(of: v0, as: SIMD8<Float>.self)
    UnsafeMutableRawPointer(row).storeBytes(of: v1, toByteOffset: 32, as: SIMD8<Float>.self)
  } else {
    for j in 0..<columns { row[j] = j < 8 ? v0[j] : v1[j &- 8] }
  }
}
