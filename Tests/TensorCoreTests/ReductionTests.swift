import XCTest

@testable import TensorCore

/// sum, mean, max (whole tensor and along an axis) and argmax.
final class ReductionTests: XCTestCase {
  // MARK: - Values

  func testSumAndMeanValues() {
    let x = Tensor([[1, 5, 2], [7, 0, 7]])
    XCTAssertEqual(x.sum().item, 22)
    XCTAssertEqual(x.sum().shape, [])
    XCTAssertEqual(x.mean().item, 22.0 / 6)
    XCTAssertEqual(x.sum(axis: 0).data, [8, 5, 9])
    XCTAssertEqual(x.sum(axis: 0).shape, [3])
    XCTAssertEqual(x.sum(axis: 1).data, [8, 14])
    XCTAssertEqual(x.sum(axis: -1, keepDims: true).shape, [2, 1])
    XCTAssertEqual(x.sum(axis: -1, keepDims: true).data, [8, 14])
    XCTAssertEqual(x.mean(axis: 1).data, [8.0 / 3, 14.0 / 3])
    XCTAssertEqual(x.mean(axis: 0, keepDims: true).shape, [1, 3])
    XCTAssertEqual(x.mean(axis: 0, keepDims: true).data, [4, 2.5, 4.5])
    let cube = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
    XCTAssertEqual(cube.sum(axis: 1).shape, [2, 4])
    XCTAssertEqual(cube.sum(axis: 1).data, [12, 15, 18, 21, 48, 51, 54, 57])
    XCTAssertEqual(cube.sum(axis: 0).data, (0..<12).map { Float(2 * $0 + 12) })
  }

  func testLongSumsAccumulateInDouble() {
    // 2²⁴ + 1 is not a Float; a Float running sum of many ones would stall at 2²⁴.
    let ones = Tensor(repeating: 1, shape: [(1 << 24) + 8])
    XCTAssertEqual(ones.sum().item, Float((1 << 24) + 8))
  }

  func testMaxAndArgmaxValues() {
    let x = Tensor([[1, 5, 2], [7, 0, 7]])
    XCTAssertEqual(x.max().item, 7)
    XCTAssertEqual(x.max().shape, [])
    XCTAssertEqual(x.max(axis: 1).data, [5, 7])
    XCTAssertEqual(x.max(axis: 0).data, [7, 5, 7])
    XCTAssertEqual(x.max(axis: 0, keepDims: true).shape, [1, 3])
    XCTAssertEqual(x.argmax(axis: 1), [1, 0], "ties go to the first")
    XCTAssertEqual(x.argmax(axis: 0), [1, 0, 1])
    XCTAssertEqual(x.argmax(), [1, 0], "the last axis by default")
    XCTAssertEqual(Tensor([3, 3, 3]).argmax(), [0])
    XCTAssertEqual(Tensor([-.infinity, -.infinity]).max().item, -.infinity)
    XCTAssertTrue(Tensor([1, .nan, 3]).max().item.isNaN, "NaN propagates, as in PyTorch")
    XCTAssertEqual(Tensor([1, .nan, 3]).argmax(), [1])
    let cube = Tensor((0..<24).map { Float(($0 * 7) % 24) }, shape: [2, 3, 4])
    // cube[i, j, k] = (7·(12i + 4j + k)) mod 24; along axis 1 the largest of three.
    var expected: [Int] = []
    for i in 0..<2 {
      for k in 0..<4 {
        let column = (0..<3).map { cube.data[(i * 3 + $0) * 4 + k] }
        expected.append(column.firstIndex(of: column.max()!)!)
      }
    }
    XCTAssertEqual(cube.argmax(axis: 1), expected)
  }

  // MARK: - Gradients

  func testSumAndMeanGradients() {
    let x = random([3, 4, 2], seed: 6)
    assertGradientsMatch([x]) { x.sum() }
    assertGradientsMatch([x]) { x.mean() }
    for axis in [0, 1, 2, -1] {
      assertGradientsMatch([x]) { x.sum(axis: axis) }
      assertGradientsMatch([x]) { x.sum(axis: axis, keepDims: true) }
      assertGradientsMatch([x]) { x.mean(axis: axis) }
      assertGradientsMatch([x]) { x.mean(axis: axis, keepDims: true) }
    }
  }

  func testMaxGradients() {
    // Random values are far apart compared with ε, so the largest stays the largest.
    let x = random([3, 4, 2], seed: 7)
    for axis in [0, 1, -1] {
      assertGradientsMatch([x], epsilon: 1e-3) { x.max(axis: axis) }
      assertGradientsMatch([x], epsilon: 1e-3) { x.max(axis: axis, keepDims: true) }
    }
    assertGradientsMatch([x], epsilon: 1e-3) { x.max() }
  }

  func testMaxGradientGoesToTheFirstLargest() {
    let x = Tensor([[3, 1, 3], [0, 2, 2]], requiresGrad: true)
    x.max(axis: 1).backward(Tensor([10, 20]))
    XCTAssertEqual(x.grad?.data, [10, 0, 0, 0, 20, 0])
    let y = Tensor([3, 1, 3], requiresGrad: true)
    y.max().backward()
    XCTAssertEqual(y.grad?.data, [1, 0, 0])
  }
}
