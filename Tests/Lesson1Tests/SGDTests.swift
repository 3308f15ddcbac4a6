import ExerciseTesting
import TensorCore
import XCTest

/// Exercise 1.3: the update of `SGD` (Sources/TensorCore/Optimizers.swift).
final class SGDTests: ExerciseTestCase {
  override class var exerciseID: String { "1.3" }

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

  /// PyTorch's SGD adds weightDecay·p to the gradient before the momentum buffer sees it
  /// (L2 regularisation), so the decay is carried by the velocity into later steps. Decaying the
  /// weights apart from the gradient (AdamW's "decoupled" decay) gives the same first step, not the second.
  func testWeightDecayGoesThroughTheMomentum() {
    let p = Tensor([1], requiresGrad: true)
    let optimizer = SGD([p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.1)
    p.grad = Tensor([0])
    optimizer.step()
    // g = 0 + 0.1·1 = 0.1; v = 0.1; p = 1 - 0.1·0.1 = 0.99.
    XCTAssertEqual(p.data[0], 0.99, accuracy: 1e-6)
    p.grad = Tensor([0])
    optimizer.step()
    // g = 0.1·0.99 = 0.099; v = 0.9·0.1 + 0.099 = 0.189; p = 0.99 - 0.1·0.189 = 0.9711.
    XCTAssertEqual(
      p.data[0], 0.9711, accuracy: 1e-6,
      "add weightDecay·p to the gradient before the momentum update, so the velocity carries the decay")
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
