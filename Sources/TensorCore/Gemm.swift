// GEMM (general matrix multiply), the kernel under `matmul` and `linear` (Matmul.swift): the
// loop where a transformer spends most of its time.
//
// `gemm` computes C (+)= A·B for operands given by a pointer and two strides, so a transposed
// operand (the backward pass needs Aᵀ and Bᵀ) is just other strides, never a copy.
//
// The fast path is the classic BLIS/GotoBLAS design:
//  - B is packed, KC rows at a time, into panels 16 columns wide (zero-padded), so the
//    micro-kernel reads it contiguously;
//  - A is packed, 96 rows at a time, into panels 6 rows tall;
//  - the micro-kernel keeps a 6×16 block of C in 12 SIMD8 registers and, for each of the KC
//    steps, does 12 fused multiply-adds of a broadcast A value by two 8-wide rows of B.
//    That is 16 of the 16 AVX registers: 12 accumulators, 2 for B, 1-2 for broadcasts.
// Work is split over threads by rows of C (or by column panels when C is short), always in the
// same pieces for a given thread count, so results are reproducible. `batchedGemm` runs a list
// of such products (attention's per-head products), in parallel across the list.

import Dispatch

/// A matrix operand: element (i, j) is at `base[i * row + j * column]`.
struct MatrixView: @unchecked Sendable {
  let base: UnsafePointer<Float>
  let row: Int
  let column: Int

  @inline(__always) subscript(i: Int, j: Int) -> Float { base[i * row + j * column] }
  /// The transpose, by swapping strides.
  var transposed: MatrixView { MatrixView(base: base, row: column, column: row) }
}

let microRows = 6
let microColumns = 16
let kBlock = 256
let nBlock = 2048
let mBlock = 96

/// C[m×n] (row-major, leading dimension `ldc`) = A[m×k]·B[k×n], or += when `accumulate`.
/// Runs on up to `Threads.count` threads when `parallel` and the product is large enough.
func gemm(
  m: Int, n: Int, k: Int, a: MatrixView, b: MatrixView,
  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, parallel: Bool = true
) {
  if m == 0 || n == 0 { return }
  let small = m * n * k <= 32 * 32 * 32 || m < 2
  if !accumulate && (k == 0 || small) {
    for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
  }
  if k == 0 { return }
  if small {
    naiveGemm(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc)
    return
  }
  // C is cut into chunks of rows (or of column panels, when C is short and wide), about three
  // per thread, and the threads take chunks as they finish (a core the VM pauses for a moment
  // then costs a chunk, not half the product). Each chunk packs what it needs of A into its own
  // buffer; B, which every row chunk needs whole, is packed once for all of them (by the
  // threads together). Every element of C is computed by one chunk, in the same order whatever
  // the chunking, so the result does not depend on the thread count or on timing.
  let allPanels = (n + microColumns - 1) / microColumns
  let threads = parallel ? Swift.min(Threads.count, Swift.max(1, m * n * k / 2_000_000)) : 1
  let target = threads == 1 ? 1 : 3 * threads
  let chunkRows = roundUp(Swift.max(threads == 1 ? m : mBlock, (m + target - 1) / target), to: microRows)
  let chunkPanels = Swift.max(threads == 1 ? allPanels : 4, (allPanels + target - 1) / target)
  let rowChunks = (m + chunkRows - 1) / chunkRows
  let columnChunks = (allPanels + chunkPanels - 1) / chunkPanels
  let byRows = rowChunks >= columnChunks
  nonisolated(unsafe) let cOut = c
  // B packed for all row chunks: block (jc, pc) of the loops below starts at
  // jc·k + pc·(its width rounded up to whole panels), laid out as packB lays out one block.
  nonisolated(unsafe) let sharedB = byRows && rowChunks > 1 ? packAllOfB(b, k: k, n: n) : nil
  defer { sharedB?.deallocate() }
  parallelChunks(byRows ? rowChunks : columnChunks, work: parallel ? m * n * k : 0) { chunk in
    let rows = byRows ? (chunk * chunkRows)..<Swift.min(m, (chunk + 1) * chunkRows) : 0..<m
    let panels =
      byRows ? 0..<allPanels : (chunk * chunkPanels)..<Swift.min(allPanels, (chunk + 1) * chunkPanels)
    let columns = (panels.lowerBound * microColumns)..<Swift.min(n, panels.upperBound * microColumns)
    // Packing buffers sized to this product (the attention's products are small and many).
    let (kc, nc, mc) = (Swift.min(kBlock, k), Swift.min(nBlock, columns.count), Swift.min(mBlock, rows.count))
    let ownB =
      sharedB == nil
      ? UnsafeMutablePointer<Float>.allocate(capacity: kc * roundUp(nc, to: microColumns)) : nil
    let packedA = UnsafeMutablePointer<Float>.allocate(capacity: roundUp(mc, to: microRows) * kc)
    defer {
      ownB?.deallocate()
      packedA.deallocate()
    }
    for jc in stride(from: columns.lowerBound, to: columns.upperBound, by: nBlock) {
      let nc = Swift.min(nBlock, columns.upperBound - jc)
      for pc in stride(from: 0, to: k, by: kBlock) {
        let kc = Swift.min(kBlock, k - pc)
        let packedB: UnsafeMutablePointer<Float>  // stays in L2/L3 for all rows
        if let sharedB {
          packedB = sharedB + jc * k + pc * roundUp(nc, to: microColumns)
        } else {
          packedB = ownB!
          packB(b, rows: pc, kc, columns: jc, nc, into: packedB)
        }
        for ic in stride(from: rows.lowerBound, to: rows.upperBound, by: mBlock) {
          let block = ic..<Swift.min(ic + mBlock, rows.upperBound)
          packA(a, rows: block, columns: pc, kc, into: packedA)  // stays in L1/L2 for all panels
          for jp in 0..<((nc + microColumns - 1) / microColumns) {
            let j0 = jc + jp * microColumns
            for ip in 0..<((block.count + microRows - 1) / microRows) {
              let i0 = block.lowerBound + ip * microRows
              microKernel(
                kc: kc, a: packedA + ip * microRows * kc, b: packedB + jp * microColumns * kc,
                c: cOut + i0 * ldc + j0, ldc: ldc, rows: Swift.min(microRows, block.upperBound - i0),
                columns: Swift.min(microColumns, jc + nc - j0), overwrite: !accumulate && pc == 0)
            }
          }
        }
      }
    }
  }
}

/// All of B (k×n) packed, panel by panel with the threads sharing the work, in the layout the
/// blocked loops of `gemm` read: block (jc, pc) at jc·k + pc·(its width rounded up to panels).
func packAllOfB(_ b: MatrixView, k: Int, n: Int) -> UnsafeMutablePointer<Float> {
  nonisolated(unsafe) let packed = UnsafeMutablePointer<Float>.allocate(
    capacity: roundUp(n, to: microColumns) * k)
  let panels = (n + microColumns - 1) / microColumns
  parallelFor(panels, cost: 16 * k * microColumns) { range in
    for q in range {
      let j0 = q * microColumns
      let jc = j0 / nBlock * nBlock
      let blockWidth = roundUp(Swift.min(nBlock, n - jc), to: microColumns)
      for pc in stride(from: 0, to: k, by: kBlock) {
        let kc = Swift.min(kBlock, k - pc)
        let panel = packed + jc * k + pc * blockWidth + (j0 - jc) * kc
        packB(b, rows: pc, kc, columns: j0, Swift.min(microColumns, n - j0), into: panel)
      }
    }
  }
  return packed
}

/// `n` rounded up to a multiple of `step`.
@inline(__always)
func roundUp(_ n: Int, to step: Int) -> Int { (n + step - 1) / step * step }

/// The triple loop, for products too small to repay packing. The inner loop runs along a row
/// of B, which is contiguous in the common case and vectorises.
func naiveGemm(
  m: Int, n: Int, k: Int, a: MatrixView, b: MatrixView, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  for i in 0..<m {
    let ci = c + i * ldc
    for p in 0..<k {
      let av = a[i, p]
      let bp = b.base + p * b.row
      if b.column == 1 {
        for j in 0..<n { ci[j] += av * bp[j] }
      } else {
        for j in 0..<n { ci[j] += av * bp[j * b.column] }
      }
    }
  }
}

/// Packs B[rows r0..<r0+kc, columns c0..<c0+nc] as panels of 16 columns: panel q holds, for
/// each row p, the 16 values B[r0+p, c0+16q ..< c0+16q+16] (zeros past the edge).
@inline(__always)
func packB(
  _ b: MatrixView, rows r0: Int, _ kc: Int, columns c0: Int, _ nc: Int, into out: UnsafeMutablePointer<Float>
) {
  let panels = (nc + microColumns - 1) / microColumns
  for q in 0..<panels {
    let j0 = c0 + q * microColumns
    let width = Swift.min(microColumns, c0 + nc - j0)
    let panel = out + q * microColumns * kc
    if b.column == 1 && width == microColumns {
      // Row-major B: each panel row is 16 contiguous floats, two vector loads.
      for p in 0..<kc {
        let src = UnsafeRawPointer(b.base + (r0 + p) * b.row + j0)
        let dst = UnsafeMutableRawPointer(panel + p * microColumns)
        dst.storeBytes(of: src.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
        dst.storeBytes(
          of: src.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), toByteOffset: 32,
          as: SIMD8<Float>.self)
      }
    } else {
      // Transposed B (or the ragged edge): walk each column down, reading memory in order.
      if width < microColumns { panel.update(repeating: 0, count: microColumns * kc) }
      for j in 0..<width {
        let src = b.base + r0 * b.row + (j0 + j) * b.column
        for p in 0..<kc { panel[p * microColumns + j] = src[p * b.row] }
      }
    }
  }
}

/// Packs A[rows, columns c0..<c0+kc] as panels of 6 rows: panel q holds, for each column p,
/// the 6 values A[r0+6q ..< r0+6q+6, c0+p] (zeros past the edge).
@inline(__always)
func packA(
  _ a: MatrixView, rows: Range<Int>, columns c0: Int, _ kc: Int, into out: UnsafeMutablePointer<Float>
) {
  let panels = (rows.count + microRows - 1) / microRows
  for q in 0..<panels {
    let i0 = rows.lowerBound + q * microRows
    let height = Swift.min(microRows, rows.upperBound - i0)
    let panel = out + q * microRows * kc
    let top = a.base + i0 * a.row + c0 * a.column
    // Column by column, so a transposed A (the weight-gradient case) is read in order. A full
    // panel is spelled out as six copies: a loop over a variable height costs more than they do.
    if height == microRows {
      let (r1, r2, r3, r4, r5) = (a.row, 2 * a.row, 3 * a.row, 4 * a.row, 5 * a.row)
      for p in 0..<kc {
        let src = top + p * a.column
        let dst = panel + p * microRows
        (dst[0], dst[1], dst[2]) = (src[0], src[r1], src[r2])
        (dst[3], dst[4], dst[5]) = (src[r3], src[r4], src[r5])
      }
      continue
    }
    panel.update(repeating: 0, count: microRows * kc)
    for p in 0..<kc {
      for r in 0..<height { panel[p * microRows + r] = top[r * a.row + p * a.column] }
    }
  }
}

/// C[6×16 block] += packed A panel · packed B panel, over `kc` steps (= when `overwrite`: the
/// first K block of a product that does not accumulate, so C need not be zeroed beforehand).
/// `rows`/`columns` clip the block at the edges of C.
@inline(__always)
func microKernel(
  kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
  ldc: Int, rows: Int, columns: Int, overwrite: Bool
) {
  var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
  var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
  var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
  let braw = UnsafeRawPointer(b)
  for p in 0..<kc {
    let b0 = braw.loadUnaligned(fromByteOffset: p * 64, as: SIMD8<Float>.self)
    let b1 = braw.loadUnaligned(fromByteOffset: p * 64 + 32, as: SIMD8<Float>.self)
    let ap = a + p * 6
    var x = SIMD8<Float>(repeating: ap[0])
    c00.addProduct(x, b0)
    c01.addProduct(x, b1)
    x = SIMD8<Float>(repeating: ap[1])
    c10.addProduct(x, b0)
    c11.addProduct(x, b1)
    x = SIMD8<Float>(repeating: ap[2])
    c20.addProduct(x, b0)
    c21.addProduct(x, b1)
    x = SIMD8<Float>(repeating: ap[3])
    c30.addProduct(x, b0)
    c31.addProduct(x, b1)
    x = SIMD8<Float>(repeating: ap[4])
    c40.addProduct(x, b0)
    c41.addProduct(x, b1)
    x = SIMD8<Float>(repeating: ap[5])
    c50.addProduct(x, b0)
    c51.addProduct(x, b1)
  }
  // Add (or write) the block into C, clipped to the valid rows and columns.
  @inline(__always) func store(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ r: Int) {
    let row = c + r * ldc
    if columns == microColumns {
      let raw = UnsafeMutableRawPointer(row)
      let (old0, old1) =
        overwrite
        ? (SIMD8<Float>(), SIMD8<Float>())
        : (
          raw.loadUnaligned(as: SIMD8<Float>.self),
          raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        )
      raw.storeBytes(of: old0 + lo, as: SIMD8<Float>.self)
      raw.storeBytes(of: old1 + hi, toByteOffset: 32, as: SIMD8<Float>.self)
    } else {
      for j in 0..<columns { row[j] = (overwrite ? 0 : row[j]) + (j < 8 ? lo[j] : hi[j - 8]) }
    }
  }
  store(c00, c01, 0)
  if rows > 1 { store(c10, c11, 1) }
  if rows > 2 { store(c20, c21, 2) }
  if rows > 3 { store(c30, c31, 3) }
  if rows > 4 { store(c40, c41, 4) }
  if rows > 5 { store(c50, c51, 5) }
}

extension SIMD8 where Scalar == Float {
  /// self += a·b, as one fused multiply-add instruction per lane.
  @inline(__always) mutating func addProduct(_ a: SIMD8<Float>, _ b: SIMD8<Float>) {
    self = self.addingProduct(a, b)
  }

  /// Eight floats read from `pointer` (any alignment).
  @inline(__always) init(load pointer: UnsafePointer<Float>) {
    self = UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
  }

  /// Writes the eight floats to `pointer` (any alignment).
  @inline(__always) func store(to pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD8<Float>.self)
  }
}

/// C_i += A_i · B_i for a list of products given by offsets into A, B and C (all accumulate).
/// Products run in parallel, split by batch, unless two of them write the same C (a broadcast
/// operand's gradient), in which case they run in order and each product may use the threads.
func batchedGemm(
  m: Int, n: Int, k: Int, a: MatrixView, aOffsets: [Int], b: MatrixView, bOffsets: [Int],
  c: UnsafeMutablePointer<Float>, cOffsets: [Int]
) {
  let count = cOffsets.count
  let sharesOutput = Set(cOffsets).count < count
  nonisolated(unsafe) let out = c
  parallelParts(work: sharesOutput ? 0 : count * m * n * k, maxParts: count) { part, parts in
    for i in partRange(count, part: part, parts: parts) {
      gemm(
        m: m, n: n, k: k, a: MatrixView(base: a.base + aOffsets[i], row: a.row, column: a.column),
        b: MatrixView(base: b.base + bOffsets[i], row: b.row, column: b.column), c: out + cOffsets[i],
        ldc: n, accumulate: true, parallel: parts == 1)
    }
  }
}
