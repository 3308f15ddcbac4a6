import XCTest

@testable import TensorCore

/// The matrix product and `linear`: the blocked SIMD kernel against a Double reference at sizes
/// that cross every block edge, on one and two threads, and their gradients.
final class MatmulTests: XCTestCase {
  var savedThreads = 1

  override func setUp() {
    savedThreads = Threads.count
  }

  override func tearDown() {
    Threads.count = savedThreads
  }

  func testAgreesWithReferenceAndIsDeterministic() {
    // Small (the naive loop), packed with ragged 6×16 tiles (n mod 16 of 1, 3, 6, 8, 13, 15),
    // the kBlock = 256 edge (k = 256, 257, 600), the nBlock = 2048 edge (n = 2049), and C short
    // and wide (split by columns).
    let shapes = [
      (1, 1, 1), (1, 40, 3000), (7, 5, 3), (6, 16, 8), (13, 17, 19), (64, 64, 64), (100, 300, 70),
      (50, 40, 47), (41, 64, 29),
      (257, 129, 513), (30, 256, 40), (30, 257, 40), (70, 600, 50), (3, 20, 2049), (12, 300, 1200),
    ]
    for (m, k, n) in shapes {
      let a = random([m, k], seed: UInt64(m * 31 + k), scale: 0.5)
      let b = random([k, n], seed: UInt64(n * 17 + k), scale: 0.5)
      let expected = referenceProduct(a.data, b.data, m: m, k: k, n: n)
      var byThreads: [[Float]] = []
      for threads in [1, 2] {
        Threads.count = threads
        let c = a.matmul(b)
        XCTAssertEqual(c.shape, [m, n])
        assertClose(c.data, expected, tolerance: 1e-4)
        XCTAssertEqual(
          c.data, a.matmul(b).data, "same threads, same bits: \(m)x\(k)x\(n), \(threads) threads")
        byThreads.append(c.data)
      }
      XCTAssertEqual(
        byThreads[0], byThreads[1], "the thread count does not change the bits: \(m)x\(k)x\(n)")
    }
  }

  func testThreadCountIsAtLeastOne() {
    Threads.count = 0
    XCTAssertEqual(Threads.count, 1)
    Threads.count = 3
    XCTAssertEqual(Threads.count, 3)
  }

  func testGemmAccumulatesAndReadsTransposedOperands() {
    // C += Aᵀ·Bᵀ through strides, on the packed path, into a C with a wider leading dimension.
    let (m, k, n, ldc) = (40, 50, 45, 48)
    let a = random([k, m], seed: 30).data  // holds Aᵀ
    let b = random([n, k], seed: 31).data  // holds Bᵀ
    var c = [Float](repeating: 1, count: m * ldc)
    a.withUnsafeBufferPointer { ap in
      b.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          gemm(
            m: m, n: n, k: k, a: MatrixView(base: ap.baseAddress!, row: 1, column: m),
            b: MatrixView(base: bp.baseAddress!, row: 1, column: k), c: cp.baseAddress!, ldc: ldc,
            accumulate: true)
        }
      }
    }
    let expected = referenceProduct(
      transposed(a, rows: k, columns: m), transposed(b, rows: n, columns: k), m: m, k: k, n: n)
    for i in 0..<m {
      assertClose(
        Array(c[(i * ldc)..<(i * ldc + n)]), expected[(i * n)..<(i * n + n)].map { $0 + 1 },
        tolerance: 1e-4)
      XCTAssertEqual(
        Array(c[(i * ldc + n)..<(i * ldc + ldc)]), [1, 1, 1], "past n, C is untouched")
    }
  }

  func testBatchedAndBroadcastProductsAtBlockedSizes() {
    // (2, 1, m, k)·(3, k, n) → (2, 3, m, n): six products of the packed kernel, run in parallel;
    // each gradient sums over the batch dimension its operand was broadcast along.
    Threads.count = 2
    let (m, k, n) = (70, 100, 100)
    let a = random([2, 1, m, k], seed: 32, scale: 0.5)
    let b = random([3, k, n], seed: 33, scale: 0.5)
    let c = a.matmul(b)
    XCTAssertEqual(c.shape, [2, 3, m, n])
    let g = random([2, 3, m, n], seed: 34)
    c.backward(g)
    var expectA = [Float](repeating: 0, count: a.count)
    var expectB = [Float](repeating: 0, count: b.count)
    for i in 0..<2 {
      let ai = Array(a.data[(i * m * k)..<((i + 1) * m * k)])
      for j in 0..<3 {
        let bj = Array(b.data[(j * k * n)..<((j + 1) * k * n)])
        let offset = (i * 3 + j) * m * n
        let gij = Array(g.data[offset..<(offset + m * n)])
        assertClose(
          Array(c.data[offset..<(offset + m * n)]), referenceProduct(ai, bj, m: m, k: k, n: n),
          tolerance: 1e-4)
        let da = referenceProduct(gij, transposed(bj, rows: k, columns: n), m: m, k: n, n: k)
        let db = referenceProduct(transposed(ai, rows: m, columns: k), gij, m: k, k: m, n: n)
        for t in 0..<(m * k) { expectA[i * m * k + t] += da[t] }
        for t in 0..<(k * n) { expectB[j * k * n + t] += db[t] }
      }
    }
    assertClose(a.grad!.data, expectA, tolerance: 1e-3)
    assertClose(b.grad!.data, expectB, tolerance: 1e-3)
  }

  func testBlockedMatmulBackward() {
    // Large enough for the packed SIMD kernel, with edge tiles in every direction:
    // dA = g·Bᵀ and dB = Aᵀ·g, read through transposed strides.
    let a = random([70, 80], seed: 22, scale: 0.3)
    let b = random([80, 90], seed: 23, scale: 0.3)
    let g = random([70, 90], seed: 24)
    a.matmul(b).backward(g)
    let expectA = referenceProduct(
      g.data, transposed(b.data, rows: 80, columns: 90), m: 70, k: 90, n: 80)
    let expectB = referenceProduct(
      transposed(a.data, rows: 70, columns: 80), g.data, m: 80, k: 70, n: 90)
    assertClose(a.grad!.data, expectA, tolerance: 1e-4)
    assertClose(b.grad!.data, expectB, tolerance: 1e-4)
  }

  func testLinearAtBlockedSizes() {
    // y = x·Wᵀ + b with W (out, in) read transposed; dx = g·W, dW = gᵀ·x, db = Σ g.
    Threads.count = 2
    let (rows, inFeatures, outFeatures) = (200, 160, 130)
    let x = random([2, rows / 2, inFeatures], seed: 40, scale: 0.5)
    let w = random([outFeatures, inFeatures], seed: 41, scale: 0.5)
    let bias = random([outFeatures], seed: 42)
    let y = linear(x, weight: w, bias: bias)
    XCTAssertEqual(y.shape, [2, rows / 2, outFeatures])
    let product = referenceProduct(
      x.data, transposed(w.data, rows: outFeatures, columns: inFeatures), m: rows, k: inFeatures,
      n: outFeatures)
    assertClose(
      y.data, product.indices.map { product[$0] + bias.data[$0 % outFeatures] }, tolerance: 1e-4)
    let g = random(y.shape, seed: 43)
    y.backward(g)
    assertClose(
      x.grad!.data, referenceProduct(g.data, w.data, m: rows, k: outFeatures, n: inFeatures),
      tolerance: 1e-4)
    assertClose(
      w.grad!.data,
      referenceProduct(
        transposed(g.data, rows: rows, columns: outFeatures), x.data, m: outFeatures, k: rows,
        n: inFeatures),
      tolerance: 1e-4)
    var expectBias = [Float](repeating: 0, count: outFeatures)
    for (i, v) in g.data.enumerated() { expectBias[i % outFeatures] += v }
    assertClose(bias.grad!.data, expectBias, tolerance: 1e-4)
  }

  func testMatmulValues() {
    let a = Tensor([[1, 2], [3, 4]])
    let b = Tensor([[5, 6, 7], [8, 9, 10]])
    XCTAssertEqual(a.matmul(b).data, [21, 24, 27, 47, 54, 61])
    XCTAssertEqual(
      Tensor(zeros: [3, 0]).matmul(Tensor(zeros: [0, 2])).data, [0, 0, 0, 0, 0, 0], "k = 0")
    let y = linear(
      Tensor([[1, 2]]), weight: Tensor([[1, 0], [0, 1], [1, 1]]), bias: Tensor([0.5, 0, -1]))
    XCTAssertEqual(y.data, [1.5, 2, 2])
    XCTAssertEqual(linear(Tensor([1, 2]), weight: Tensor([[3, 4]])).shape, [1], "a 1-D input")
  }

  // MARK: - Gradients

  func testMatmulGradients() {
    let a = random([3, 4], seed: 11)
    let b = random([4, 5], seed: 12)
    assertGradientsMatch([a, b]) { a.matmul(b) }
    let a3 = random([2, 3, 4], seed: 13)
    let b3 = random([2, 4, 2], seed: 14)
    assertGradientsMatch([a3, b3]) { a3.matmul(b3) }
    assertGradientsMatch([a3, b]) { a3.matmul(b) }  // a 2-D right operand folds the batch
    assertGradientsMatch([a, b3]) { a.matmul(b3) }  // a 2-D left operand broadcasts
    let a4 = random([2, 2, 3, 4], seed: 15)
    let b4 = random([2, 2, 4, 3], seed: 16)
    assertGradientsMatch([a4, b4]) { a4.matmul(b4) }
    let broadcastA = random([2, 1, 3, 4], seed: 17)
    let broadcastB = random([3, 4, 2], seed: 18)
    assertGradientsMatch([broadcastA, broadcastB]) { broadcastA.matmul(broadcastB) }
  }

  func testLinearGradients() {
    let x = random([2, 3, 4], seed: 19)
    let w = random([5, 4], seed: 20)
    let bias = random([5], seed: 21)
    assertGradientsMatch([x, w, bias]) { linear(x, weight: w, bias: bias) }
    assertGradientsMatch([x, w]) { linear(x, weight: w) }
    let x2 = random([3, 4], seed: 22)
    assertGradientsMatch([x2, w, bias]) { linear(x2, weight: w, bias: bias) }
  }
}
