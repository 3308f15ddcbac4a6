import ExerciseTesting
import TensorCore
import XCTest

/// Exercise 1.1: `Tensor.squaredDifference`, forward and backward (Sources/TensorCore/Losses.swift).
final class SquaredDifferenceTests: ExerciseTestCase {
  override class var exerciseID: String { "1.1" }

  func testForwardValues() {
    let a = Tensor([1, 2, 3])
    let b = Tensor([3, 2, 0])
    XCTAssertEqual(a.squaredDifference(b).data, [4, 0, 9])
  }

  func testForwardBroadcasts() {
    let a = Tensor([[1, 2], [3, 4]])  // (2, 2)
    let b = Tensor([1, 1])  // (2) broadcasts over rows
    let d = a.squaredDifference(b)
    XCTAssertEqual(d.shape, [2, 2])
    XCTAssertEqual(d.data, [0, 1, 4, 9])
  }

  func testBackwardMatchesTheFormula() {
    let a = Tensor([1, 2, 3], requiresGrad: true)
    let b = Tensor([3, 2, 0], requiresGrad: true)
    a.squaredDifference(b).sum().backward()
    XCTAssertEqual(a.grad?.data ?? [], [-4, 0, 6], "d/da (a - b)² = 2(a - b)")
    XCTAssertEqual(b.grad?.data ?? [], [4, 0, -6], "d/db (a - b)² = -2(a - b)")
  }

  func testBackwardSumsOverBroadcastDimensions() {
    let a = Tensor([[1, 2], [3, 4]], requiresGrad: true)
    let b = Tensor([1, 1], requiresGrad: true)
    a.squaredDifference(b).sum().backward()
    XCTAssertEqual(b.grad?.shape ?? [], [2], "the gradient of b must have b's shape")
    // -2(a - b) summed over the two rows: column 0: -2(0 + 2) = -4, column 1: -2(1 + 3) = -8.
    XCTAssertEqual(b.grad?.data ?? [], [-4, -8])
  }
}
