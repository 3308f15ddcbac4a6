import Foundation
import XCTest

@testable import TensorCore

/// + - * / with broadcasting, the unary functions and the activations: values against
/// hand-computed results (and PyTorch's, where noted), gradients against finite differences.
final class ElementwiseTests: XCTestCase {
  // MARK: - Values

  func testBroadcastingValues() {
    let column = Tensor([10, 20], shape: [2, 1])
    let row = Tensor([1, 2, 3])
    XCTAssertEqual((column + row).data, [11, 12, 13, 21, 22, 23])
    XCTAssertEqual((column + row).shape, [2, 3])
    XCTAssertEqual((row - column).data, [-9, -8, -7, -19, -18, -17])
    XCTAssertEqual((column / row).data, [10, 5, 10.0 / 3, 20, 10, 20.0 / 3])
    let cube = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
    let scale = Tensor([1, 10, 100], shape: [3, 1])
    let product = cube * scale
    XCTAssertEqual(product.shape, [2, 3, 4])
    for i in 0..<2 {
      for j in 0..<3 {
        for k in 0..<4 {
          let index = (i * 3 + j) * 4 + k
          XCTAssertEqual(product.data[index], Float(index) * scale.data[j], "(\(i), \(j), \(k))")
        }
      }
    }
    XCTAssertEqual((Tensor(2) * Tensor([[1, 2]])).shape, [1, 2])
    XCTAssertEqual((Tensor(6) / Tensor(4)).shape, [])
    XCTAssertEqual((Tensor(6) / Tensor(4)).item, 1.5)
    XCTAssertEqual(
      (Tensor([5], shape: [1]) + Tensor(1)).shape, [1], "a scalar tensor broadcasts like [1]")
    XCTAssertNil(broadcastShape([3], [4]))
    XCTAssertNil(broadcastShape([2, 3], [3, 3]))
    XCTAssertEqual(broadcastShape([8, 1, 6], [7, 1]), [8, 7, 6])
    XCTAssertEqual(broadcastShape([], [2, 3]), [2, 3])
  }

  func testScalarOverloads() {
    let x = Tensor([1, 2, 4])
    XCTAssertEqual((x + 1).data, [2, 3, 5])
    XCTAssertEqual((1 + x).data, [2, 3, 5])
    XCTAssertEqual((x - 1).data, [0, 1, 3])
    XCTAssertEqual((1 - x).data, [0, -1, -3])
    XCTAssertEqual((x * 2).data, [2, 4, 8])
    XCTAssertEqual((2 * x).data, [2, 4, 8])
    XCTAssertEqual((x / 2).data, [0.5, 1, 2])
    XCTAssertEqual((8 / x).data, [8, 4, 2])
    XCTAssertEqual((-x).data, [-1, -2, -4])
    XCTAssertEqual((-x).shape, [3])
  }

  func testBroadcastHelperValues() {
    let x = Tensor([[1, 2, 3], [4, 5, 6]])
    XCTAssertEqual(x.sum(toShape: [3]).data, [5, 7, 9])
    XCTAssertEqual(x.sum(toShape: [1, 3]).shape, [1, 3])
    XCTAssertEqual(x.sum(toShape: [2, 1]).data, [6, 15])
    XCTAssertEqual(x.sum(toShape: []).data, [21])
    XCTAssertEqual(x.sum(toShape: [2, 3]).data, x.data)
    let column = Tensor([1, 2], shape: [2, 1])
    XCTAssertEqual(column.expand(to: [2, 3]).data, [1, 1, 1, 2, 2, 2])
    XCTAssertEqual(column.expand(to: [2, 2, 3]).shape, [2, 2, 3])
    XCTAssertEqual(Tensor(7).expand(to: [2, 2]).data, [7, 7, 7, 7])
  }

  func testUnaryValues() {
    assertClose(Tensor([0, 1, -2]).exp().data, [1, 2.718_281_8, 0.135_335_28])
    assertClose(Tensor([1, Float(M_E), 0.5]).log().data, [0, 1, -0.693_147_2])
    XCTAssertEqual(Tensor([0]).log().data, [-.infinity])
    XCTAssertEqual(Tensor([4, 9, 0]).sqrt().data, [2, 3, 0])
    XCTAssertEqual(Tensor([-3, 0.5]).pow(2).data, [9, 0.25])
    assertClose(Tensor([-2, 1.5]).pow(3).data, [-8, 3.375])
    XCTAssertEqual(Tensor([16, 0.25]).pow(0.5).data, [4, 0.5])
    XCTAssertEqual(Tensor([-2, 0, 3]).abs().data, [2, 0, 3])
  }

  func testActivationValues() {
    assertClose(Tensor([1]).gelu().data, [0.841_344_7])
    assertClose(Tensor([-1, 3, 0]).gelu().data, [-0.158_655_3, 2.995_950_5, 0])
    assertClose(Tensor([1]).geluTanh().data, [0.841_192_0])
    assertClose(Tensor([-1, 3]).geluTanh().data, [-0.158_808, 2.996_362_6])
    let saturated = Tensor([100, -100, 0]).sigmoid().data
    XCTAssertEqual(saturated[0], 1)
    XCTAssertTrue(
      saturated[1] >= 0 && saturated[1] < 1e-30, "σ(-100) ≈ 3.7e-44, no overflow, no NaN")
    XCTAssertEqual(saturated[2], 0.5)
    assertClose(Tensor([0, 2, -30]).tanh().data, [0, 0.964_027_6, -1])
    XCTAssertEqual(Tensor([-1, 0, 2]).relu().data, [0, 0, 2])
    let extremes = Tensor([-1e4, 1e4, -100, 100])
    for y in [extremes.gelu(), extremes.geluTanh(), extremes.sigmoid(), extremes.tanh()] {
      XCTAssertTrue(y.data.allSatisfy(\.isFinite), "\(y.op) of large inputs: \(y.data)")
    }
    assertClose(extremes.gelu().data, [0, 1e4, 0, 100])
    assertClose(extremes.geluTanh().data, [0, 1e4, 0, 100])
  }

  func testFastMathAccuracy() {
    var worstExp: Float = 0
    var worstErf: Float = 0
    var worstTanh: Float = 0
    for i in -8000...8000 {
      let x = Float(i) / 100
      worstExp = max(worstExp, abs(fastExp(x) - Foundation.exp(x)) / Foundation.exp(x))
      worstErf = max(worstErf, abs(fastErf(x / 10) - Foundation.erf(x / 10)))
      worstTanh = max(worstTanh, abs(fastTanh(x / 10) - Foundation.tanh(x / 10)))
    }
    XCTAssertLessThan(worstExp, 3e-7)
    XCTAssertLessThan(worstErf, 1e-6)
    XCTAssertLessThan(worstTanh, 1e-6)
    XCTAssertEqual(fastExp(-100), 0)
    XCTAssertEqual(fastExp(-.infinity), 0, "a masked (-inf) score gives exactly 0")
    XCTAssertEqual(fastExp(100), .infinity)
    XCTAssertEqual(fastExp(0), 1)
  }

  // MARK: - Gradients

  func testArithmeticGradientsWithBroadcasting() {
    let a = random([3, 1], seed: 1)
    let b = random([4], seed: 2)
    let c = random([2, 3, 4], seed: 3)
    let s = random([], seed: 4)
    assertGradientsMatch([a, b]) { a + b }
    assertGradientsMatch([a, b]) { a - b }
    assertGradientsMatch([a, b]) { b - a }
    assertGradientsMatch([a, b]) { a * b }
    assertGradientsMatch([a, b]) { a / (b * b + 1) }
    assertGradientsMatch([c, a]) { c * a }
    assertGradientsMatch([c, a]) { a - c }
    assertGradientsMatch([c, a]) { c / (a * a + 1) }
    assertGradientsMatch([c, s]) { c + s }
    assertGradientsMatch([c, s]) { s - c }
    assertGradientsMatch([c, s]) { c * s }
    assertGradientsMatch([c, s]) { c / (s * s + 1) }
    assertGradientsMatch([c, s]) { s / (c * c + 1) }
    assertGradientsMatch([s]) { s * s * s }
  }

  func testScalarOverloadGradients() {
    let c = random([2, 3], seed: 5)
    assertGradientsMatch([c]) { -c }
    assertGradientsMatch([c]) { (c + 1.5) * (2 + c) }
    assertGradientsMatch([c]) { (c - 0.5) * (1 - c) }
    assertGradientsMatch([c]) { (c * 3) + (0.5 * c) * c }
    assertGradientsMatch([c]) { c / 4 + 2 / (c * c + 1) }
  }

  func testUnaryGradients() {
    let x = random([2, 5], seed: 6)
    let positive = Tensor(x.data.map { abs($0) + 0.5 }, shape: x.shape, requiresGrad: true)
    let signed = awayFromZero([2, 5], seed: 7)
    assertGradientsMatch([x]) { x.exp() }
    assertGradientsMatch([positive]) { positive.log() }
    assertGradientsMatch([positive]) { positive.sqrt() }
    assertGradientsMatch([positive]) { positive.pow(0.5) }
    assertGradientsMatch([x]) { x.pow(2) }
    assertGradientsMatch([x]) { x.pow(3) }
    assertGradientsMatch([signed], epsilon: 1e-3) { signed.abs() }
  }

  func testActivationGradients() {
    let x = random([3, 5], seed: 8, scale: 2)
    let signed = awayFromZero([3, 5], seed: 9)
    assertGradientsMatch([signed], epsilon: 1e-3) { signed.relu() }
    assertGradientsMatch([x]) { x.tanh() }
    assertGradientsMatch([x]) { x.sigmoid() }
    assertGradientsMatch([x]) { x.gelu() }
    assertGradientsMatch([x]) { x.geluTanh() }
  }

  func testGradientsAtKinksAndExtremes() {
    // PyTorch's choices at the kink: d|x|/dx and relu' are 0 at x = 0.
    let zero = Tensor([0, 0], requiresGrad: true)
    (zero.abs().sum() + zero.relu().sum()).backward()
    XCTAssertEqual(zero.grad?.data, [0, 0])
    let big = Tensor([-100, 100, -1e4, 1e4], requiresGrad: true)
    (big.sigmoid().sum() + big.tanh().sum() + big.gelu().sum() + big.geluTanh().sum()).backward()
    XCTAssertTrue(big.grad!.data.allSatisfy(\.isFinite), "saturated gradients: \(big.grad!.data)")
    assertClose(big.grad!.data, [0, 2, 0, 2], tolerance: 1e-6)
  }

  func testBroadcastHelperGradients() {
    let x = random([3, 4, 2], seed: 10)
    assertGradientsMatch([x]) { x.sum(toShape: [4, 1]) }
    assertGradientsMatch([x]) { x.sum(toShape: [3, 1, 2]) }
    assertGradientsMatch([x]) { x.sum(toShape: []) }
    let small = random([4, 1], seed: 11)
    assertGradientsMatch([small]) { small.expand(to: [3, 4, 2]) }
    let scalar = random([], seed: 12)
    assertGradientsMatch([scalar]) { scalar.expand(to: [2, 3]) }
  }
}
