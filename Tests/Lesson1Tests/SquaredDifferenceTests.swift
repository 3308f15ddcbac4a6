import ExerciseTesting
import TensorCore
import XCTest

/// Exercise 1.2: `Tensor.squaredDifference`, forward and backward (Sources/TensorCore/Losses.swift).
final class SquaredDifferenceTests: ExerciseTestCase {
  override class var exerciseID: String { "1.2" }

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

  /// A tensor used twice gets the sum of both uses' gradients: backward adds to `grad`, it never
  /// replaces what another op has already put there.
  func testGradientsOfATensorUsedTwiceAccumulate() {
    let a = Tensor([1, 2], requiresGrad: true)
    (a.squaredDifference(Tensor([0, 0])) + a.squaredDifference(Tensor([3, 3]))).sum().backward()
    // 2(a - 0) + 2(a - 3) = 4a - 6.
    XCTAssertEqual(
      a.grad?.data ?? [], [-2, 2],
      "a feeds two squared differences: its gradient must be the sum of both (add to grad, do not assign it)")
    let b = Tensor([1, 2], requiresGrad: true)
    (b * Tensor([5, 5]) + b.squaredDifference(Tensor([0, 0])) + b * Tensor([5, 5])).sum().backward()
    // 5 + 2b + 5.
    XCTAssertEqual(
      b.grad?.data ?? [], [12, 14],
      "b also feeds two multiplications: the squared difference's gradient must add to theirs, not overwrite them"
    )
  }
}
