import Foundation
import XCTest

@testable import TensorCore

/// Forward values against hand-computed results (and PyTorch's, where noted).
final class ForwardTests: XCTestCase {
  func testBroadcastingValues() {
    let column = Tensor([10, 20], shape: [2, 1])
    let row = Tensor([1, 2, 3])
    XCTAssertEqual((column + row).data, [11, 12, 13, 21, 22, 23])
    XCTAssertEqual((column + row).shape, [2, 3])
    XCTAssertEqual((row * 2).data, [2, 4, 6])
    XCTAssertEqual((1 - row).data, [0, -1, -2])
    XCTAssertNil(broadcastShape([3], [4]))
    XCTAssertEqual(broadcastShape([8, 1, 6], [7, 1]), [8, 7, 6])
  }

  func testSoftmaxValues() {
    assertClose(Tensor([1, 2, 3]).softmax(axis: 0).data, [0.090_030_6, 0.244_728_5, 0.665_241_0])
    assertClose(Tensor([1000, 0]).logSoftmax(axis: 0).data, [0, -1000])
    let masked = Tensor([1, 2, 3]).maskedFill(Tensor([0, 1, 0]), -.infinity).softmax(axis: 0)
    XCTAssertEqual(masked.data[1], 0, "a masked score gets exactly zero weight")
    XCTAssertEqual(masked.data.reduce(0, +), 1, accuracy: 1e-6)
    let columns = Tensor([[1, 1], [2, 3]]).softmax(axis: 0).data
    assertClose([columns[0] + columns[2], columns[1] + columns[3]], [1, 1])
  }

  func testActivationValues() {
    assertClose(Tensor([1]).gelu().data, [0.841_344_7])
    assertClose(Tensor([-1, 3]).gelu().data, [-0.158_655_3, 2.995_950_5])
    assertClose(Tensor([1]).geluTanh().data, [0.841_192_0])
    let saturated = Tensor([100, -100]).sigmoid().data
    XCTAssertEqual(saturated[0], 1)
    XCTAssertTrue(saturated[1] >= 0 && saturated[1] < 1e-40, "σ(-100) ≈ 3.8e-44, no overflow, no NaN")
    assertClose(Tensor([0, 2]).tanh().data, [0, 0.964_027_6])
    XCTAssertEqual(Tensor([-1, 0, 2]).relu().data, [0, 0, 2])
  }

  func testFastMathAccuracy() {
    var worstExp: Float = 0
    var worstErf: Float = 0
    for i in -8000...8000 {
      let x = Float(i) / 100
      worstExp = max(worstExp, abs(fastExp(x) - Foundation.exp(x)) / Foundation.exp(x))
      worstErf = max(worstErf, abs(fastErf(x / 10) - Foundation.erf(x / 10)))
    }
    XCTAssertLessThan(worstExp, 3e-7)
    XCTAssertLessThan(worstErf, 1e-6)
    XCTAssertEqual(fastExp(-100), 0)
    XCTAssertEqual(fastExp(100), .infinity)
  }

  func testLayerNormValues() {
    let y = layerNorm(Tensor([[1, 2, 3, 4]]), weight: Tensor([1, 1, 1, 1]), bias: Tensor([0, 0, 0, 0]))
    assertClose(y.data, [-1.341_635_9, -0.447_211_96, 0.447_211_96, 1.341_635_9], tolerance: 1e-5)
  }

  func testCrossEntropyValues() {
    // Row 0: logsumexp(1, 2, 3) - 3; row 1 is ignored; row 2: logsumexp(0, 0, 0) - 0.
    let logits = Tensor([[1, 2, 3], [5, 5, 5], [0, 0, 0]])
    let loss = crossEntropy(logits, targets: [2, -100, 1])
    let expected = ((log(exp(1.0) + exp(2.0) + exp(3.0)) - 3) + log(3.0)) / 2
    XCTAssertEqual(Double(loss.item), expected, accuracy: 1e-6)
    XCTAssertTrue(crossEntropy(logits, targets: [-100, -100, -100]).item.isNaN, "0/0, as in PyTorch")
  }

  func testReductionValues() {
    let x = Tensor([[1, 5, 2], [7, 0, 7]])
    XCTAssertEqual(x.sum().item, 22)
    XCTAssertEqual(x.sum(axis: 0).data, [8, 5, 9])
    XCTAssertEqual(x.mean(axis: 1).data, [8.0 / 3, 14.0 / 3])
    XCTAssertEqual(x.max(axis: 1).data, [5, 7])
    XCTAssertEqual(x.argmax(axis: 1), [1, 0], "ties go to the first")
    XCTAssertEqual(x.argmax(axis: 0), [1, 0, 1])
    XCTAssertTrue(Tensor([1, .nan, 3]).max().item.isNaN, "NaN propagates, as in PyTorch")
    XCTAssertEqual(x.sum(axis: -1, keepDims: true).shape, [2, 1])
  }

  func testShapeOpValues() {
    let x = Tensor((0..<6).map(Float.init), shape: [2, 3])
    XCTAssertEqual(x.reshape(3, -1).shape, [3, 2])
    XCTAssertEqual(x.transpose(0, 1).data, [0, 3, 1, 4, 2, 5])
    XCTAssertEqual(x.slice(axis: 1, 1..<3).data, [1, 2, 4, 5])
    XCTAssertEqual(Tensor.concat([x, x.slice(axis: 1, 0..<1)], axis: 1).data, [0, 1, 2, 0, 3, 4, 5, 3])
    XCTAssertEqual(Tensor.concat([x, x], axis: 0).shape, [4, 3])
    let y = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
    XCTAssertEqual(y.permute(2, 0, 1).shape, [4, 2, 3])
    XCTAssertEqual(Array(y.permute(2, 0, 1).data.prefix(6)), [0, 4, 8, 12, 16, 20])
    let table = Tensor([[0, 1], [2, 3], [4, 5]])
    XCTAssertEqual(table.embedding([2, 0, 2]).data, [4, 5, 0, 1, 4, 5])
  }
}

/// The blocked SIMD matmul against a Double reference, at sizes that cross every block edge.
final class MatmulTests: XCTestCase {
  func reference(_ a: Tensor, _ b: Tensor) -> [Float] {
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
      for p in 0..<k {
        let av = Double(a.data[i * k + p])
        for j in 0..<n { c[i * n + j] += av * Double(b.data[p * n + j]) }
      }
    }
    return c.map { Float($0) }
  }

  func testAgreesWithReferenceAndIsDeterministic() {
    let saved = Threads.count
    defer { Threads.count = saved }
    let shapes = [
      (1, 1, 1), (7, 5, 3), (6, 16, 8), (13, 17, 19), (64, 64, 64), (100, 300, 70), (257, 129, 513),
      (30, 256, 40),
      (30, 257, 40), (70, 600, 50), (3, 20, 2049),
    ]
    for threads in [1, 2] {
      Threads.count = threads
      for (m, k, n) in shapes {
        let a = random([m, k], seed: UInt64(m * 31 + k), scale: 0.5)
        let b = random([k, n], seed: UInt64(n * 17 + k), scale: 0.5)
        let c = a.matmul(b)
        assertClose(c.data, reference(a, b), tolerance: 1e-4)
        XCTAssertEqual(c.data, a.matmul(b).data, "same threads, same bits: \(m)x\(k)x\(n)")
      }
    }
  }
}
