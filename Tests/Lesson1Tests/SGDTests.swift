import ExerciseTesting
import TensorCore
import XCTest

/// Exercise 1.4: the update of `SGD` (Sources/TensorCore/Optimizers.swift).
final class SGDTests: ExerciseTestCase {
  override class var exerciseID: String { "1.4" }

  func testPlainStepMovesAgainstTheGradient() {
    let p = Tensor([1, 2], requiresGrad: true)
    p.grad = Tensor([0.5, -1])
    SGD([p], learningRate: 0.1).step()
    XCTAssertEqual(p.data[0], 0.95, accuracy: 1e-6)
    XCTAssertEqual(p.data[1], 2.1, accuracy: 1e-6)
  }

  func testMomentumAccumulatesVelocity() {
    // PyTorch: v1 = g1; v2 = 0.9·v1 + g2; p -= lr·v each step.
    let p = Tensor([1], requiresGrad: true)
    let optimizer = SGD([p], learningRate: 0.1, momentum: 0.9)
    p.grad = Tensor([1])
    optimizer.step()
    XCTAssertEqual(p.data[0], 0.9, accuracy: 1e-6)
    p.grad = Tensor([1])
    optimizer.step()
    XCTAssertEqual(p.data[0], 0.9 - 0.1 * 1.9, accuracy: 1e-6)
  }

  func testWeightDecayAddsToTheGradient() {
    let p = Tensor([2], requiresGrad: true)
    p.grad = Tensor([0])
    SGD([p], learningRate: 0.5, weightDecay: 0.1).step()
    XCTAssertEqual(p.data[0], 2 - 0.5 * 0.2, accuracy: 1e-6)
  }

  func testOnlyParametersWithAGradientMove() {
    let still = Tensor([3], requiresGrad: true)
    let moving = Tensor([3], requiresGrad: true)
    moving.grad = Tensor([1])
    SGD([still, moving], learningRate: 1, momentum: 0.9).step()
    XCTAssertEqual(still.data, [3], "no gradient, no step")
    XCTAssertEqual(moving.data, [2])
  }
}
