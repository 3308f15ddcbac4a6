import ExerciseTesting
import TensorCore
import XCTest

/// Exercise 1.1: `numericalGradient(of:wrt:epsilon:)` (Sources/TensorCore/GradientCheck.swift).
final class NumericalGradientTests: ExerciseTestCase {
  override class var exerciseID: String { "1.1" }

  func testCubeHasDerivativeThreeXSquared() {
    let x = Tensor([-1, 0.5, 2])
    let g = numericalGradient(of: { (x * x * x).sum() }, wrt: x, epsilon: 1e-2)
    XCTAssertEqual(g.count, 3)
    // Central differences of x³ are exact up to ε²: 3x² + ε².
    for (value, expected) in zip(g, [Float(3), 0.75, 12]) { XCTAssertEqual(value, expected, accuracy: 2e-3) }
  }

  func testLeavesTheInputUnchanged() {
    let x = Tensor([1, 2, 3])
    _ = numericalGradient(of: { (x * x).sum() }, wrt: x)
    XCTAssertEqual(x.data, [1, 2, 3])
  }

  func testWorksOnTwoDimensionalInputs() {
    let a = Tensor([[1, 2], [3, 4]])
    let b = Tensor([[0.5], [-1]])
    // d/da sum(a·b) = b broadcast along rows: [[0.5, -1], [0.5, -1]].
    let g = numericalGradient(of: { a.matmul(b).sum() }, wrt: a)
    for (value, expected) in zip(g, [Float(0.5), -1, 0.5, -1]) {
      XCTAssertEqual(value, expected, accuracy: 1e-3)
    }
  }
}
