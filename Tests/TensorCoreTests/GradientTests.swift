import XCTest

@testable import TensorCore

/// Every differentiable op's backward against finite differences.
final class GradientTests: XCTestCase {
  func testArithmeticWithBroadcasting() {
    let a = random([3, 1], seed: 1)
    let b = random([4], seed: 2)
    let c = random([2, 3, 4], seed: 3)
    let s = random([], seed: 4)
    assertGradientsMatch([a, b]) { a + b }
    assertGradientsMatch([a, b]) { a - b }
    assertGradientsMatch([a, b]) { a * b }
    assertGradientsMatch([c, a]) { c * a }
    assertGradientsMatch([c, s]) { c / (s * s + 1) }
    assertGradientsMatch([a]) { b / (a * a + 1) }
    assertGradientsMatch([c]) { -c + 2 * c - c * 3 + 1 - (4 / (c * c + 1)) }
  }

  func testUnaryFunctions() {
    let x = random([2, 5], seed: 5)
    let positive = Tensor(x.data.map { abs($0) + 0.5 }, shape: x.shape, requiresGrad: true)
    let awayFromZero = Tensor(x.data.map { $0 + ($0 >= 0 ? 0.2 : -0.2) }, shape: x.shape, requiresGrad: true)
    assertGradientsMatch([x]) { x.exp() }
    assertGradientsMatch([positive]) { positive.log() }
    assertGradientsMatch([positive]) { positive.sqrt() }
    assertGradientsMatch([positive]) { positive.pow(0.5) }
    assertGradientsMatch([x]) { x.pow(2) }
    assertGradientsMatch([x]) { x.pow(3) }
    assertGradientsMatch([awayFromZero], epsilon: 1e-3) { awayFromZero.abs() }
    assertGradientsMatch([awayFromZero], epsilon: 1e-3) { awayFromZero.relu() }
    assertGradientsMatch([x]) { x.tanh() }
    assertGradientsMatch([x]) { x.sigmoid() }
    assertGradientsMatch([x]) { x.gelu() }
    assertGradientsMatch([x]) { x.geluTanh() }
  }

  func testReductions() {
    let x = random([3, 4, 2], seed: 6)
    assertGradientsMatch([x]) { x.sum() }
    assertGradientsMatch([x]) { x.mean() }
    for axis in [0, 1, -1] {
      assertGradientsMatch([x]) { x.sum(axis: axis) }
      assertGradientsMatch([x]) { x.mean(axis: axis, keepDims: true) }
      assertGradientsMatch([x], epsilon: 1e-3) { x.max(axis: axis) }
    }
    assertGradientsMatch([x], epsilon: 1e-3) { x.max() }
    assertGradientsMatch([x]) { x.sum(toShape: [4, 1]) }
    let small = random([4, 1], seed: 7)
    assertGradientsMatch([small]) { small.expand(to: [3, 4, 2]) }
  }

  func testShapeOps() {
    let x = random([2, 3, 4], seed: 8)
    let y = random([2, 1, 4], seed: 9)
    assertGradientsMatch([x]) { x.reshape(6, -1) }
    assertGradientsMatch([x]) { x.unsqueeze(1) }
    assertGradientsMatch([x]) { x.permute(2, 0, 1) }
    assertGradientsMatch([x]) { x.transpose(-2, -1) }
    assertGradientsMatch([x]) { x.slice(axis: 1, 1..<3) }
    assertGradientsMatch([x, y]) { Tensor.concat([x, y, x], axis: 1) }
  }

  func testEmbeddingWithRepeatedIds() {
    let table = random([5, 3], seed: 10)
    assertGradientsMatch([table]) { table.embedding([1, 4, 1, 0, 1, 3], shape: [2, 3]) }
  }

  func testMatmulAndLinear() {
    let a = random([3, 4], seed: 11)
    let b = random([4, 5], seed: 12)
    assertGradientsMatch([a, b]) { a.matmul(b) }
    let a3 = random([2, 3, 4], seed: 13)
    let b3 = random([2, 4, 2], seed: 14)
    assertGradientsMatch([a3, b3]) { a3.matmul(b3) }
    assertGradientsMatch([a3, b]) { a3.matmul(b) }  // a 2-D right operand folds the batch
    let a4 = random([2, 2, 3, 4], seed: 15)
    let b4 = random([2, 2, 4, 3], seed: 16)
    assertGradientsMatch([a4, b4]) { a4.matmul(b4) }
    let broadcastA = random([2, 1, 3, 4], seed: 17)
    let broadcastB = random([3, 4, 2], seed: 18)
    assertGradientsMatch([broadcastA, broadcastB]) { broadcastA.matmul(broadcastB) }
    let x = random([2, 3, 4], seed: 19)
    let w = random([5, 4], seed: 20)
    let bias = random([5], seed: 21)
    assertGradientsMatch([x, w, bias]) { linear(x, weight: w, bias: bias) }
    assertGradientsMatch([x, w]) { linear(x, weight: w) }
  }

  func testBlockedMatmulBackward() {
    // Large enough for the packed SIMD kernel, with edge tiles in every direction.
    let a = random([70, 80], seed: 22, scale: 0.3)
    let b = random([80, 90], seed: 23, scale: 0.3)
    let g = random([70, 90], seed: 24)
    a.matmul(b).backward(g)
    let (ga, gb) = (a.grad!.data, b.grad!.data)
    var expectA = [Double](repeating: 0, count: 70 * 80)
    var expectB = [Double](repeating: 0, count: 80 * 90)
    for i in 0..<70 {
      for j in 0..<90 {
        let gij = Double(g.data[i * 90 + j])
        for p in 0..<80 {
          expectA[i * 80 + p] += gij * Double(b.data[p * 90 + j])
          expectB[p * 90 + j] += Double(a.data[i * 80 + p]) * gij
        }
      }
    }
    assertClose(ga, expectA.map { Float($0) }, tolerance: 1e-4)
    assertClose(gb, expectB.map { Float($0) }, tolerance: 1e-4)
  }

  func testNeuralNetworkOps() {
    let x = random([3, 5], seed: 25)
    assertGradientsMatch([x]) { x.softmax(axis: -1) }
    assertGradientsMatch([x]) { x.softmax(axis: 0) }
    assertGradientsMatch([x]) { x.logSoftmax(axis: -1) }
    assertGradientsMatch([x]) { x.logSoftmax(axis: 0) }
    let w = random([5], seed: 26)
    let b = random([5], seed: 27)
    assertGradientsMatch([x, w, b]) { layerNorm(x, weight: w, bias: b) }
    let mask = Tensor([0, 1, 0, 0, 1], shape: [1, 5])
    assertGradientsMatch([x]) { x.maskedFill(mask, -3) }
    let logits = random([2, 3, 4], seed: 28)
    assertGradientsMatch([logits]) { crossEntropy(logits, targets: [0, 3, -100, 1, 2, -100]) }
  }

  func testDropoutScalesAndMasksTheGradient() {
    let x = random([4, 50], seed: 29)
    let y = x.dropout(0.25, training: true, generator: Generator(seed: 3))
    y.sum().backward()
    let g = x.grad!.data
    for i in 0..<x.count {
      XCTAssertTrue(y.data[i] == 0 ? g[i] == 0 : abs(g[i] - 1 / 0.75) < 1e-6, "element \(i)")
      if y.data[i] != 0 { XCTAssertEqual(y.data[i], x.data[i] / 0.75, accuracy: 1e-6) }
    }
    let dropped = y.data.filter { $0 == 0 }.count
    XCTAssertGreaterThan(dropped, 20)
    XCTAssertLessThan(dropped, 80)
    XCTAssertTrue(x.dropout(0.25, training: false) === x, "evaluation mode is the identity")
  }
}
