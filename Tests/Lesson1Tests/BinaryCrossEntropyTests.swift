import ExerciseTesting
import Foundation
import TensorCore
import XCTest

/// Exercise 1.4: `binaryCrossEntropyWithLogits` (Sources/TensorCore/Losses.swift).
final class BinaryCrossEntropyTests: ExerciseTestCase {
  override class var exerciseID: String { "1.4" }

  /// -[y log σ(z) + (1 - y) log(1 - σ(z))] in Double, the textbook form.
  func reference(_ z: [Float], _ y: [Float]) -> Double {
    let terms = zip(z, y).map { z, y -> Double in
      let p = 1 / (1 + exp(-Double(z)))
      return -(Double(y) * log(p) + (1 - Double(y)) * log(1 - p))
    }
    return terms.reduce(0, +) / Double(terms.count)
  }

  func testMatchesTheTextbookFormula() {
    let z: [Float] = [-2, -0.5, 0, 1.5, 3]
    let y: [Float] = [0, 1, 1, 0, 1]
    let loss = binaryCrossEntropyWithLogits(Tensor(z), Tensor(y))
    XCTAssertEqual(loss.shape, [], "the loss is a scalar")
    XCTAssertEqual(Double(loss.item), reference(z, y), accuracy: 1e-5)
  }

  func testStableForLargeLogits() {
    let loss = binaryCrossEntropyWithLogits(Tensor([100, -100]), Tensor([0, 1]))
    XCTAssertTrue(loss.item.isFinite, "log(1 - σ(100)) must not become log(0)")
    XCTAssertEqual(loss.item, 100, accuracy: 1e-3)
  }

  func testGradientIsSigmoidMinusTargetOverCount() {
    let z = Tensor([-1, 0, 2], requiresGrad: true)
    let y = Tensor([1, 0, 1])
    binaryCrossEntropyWithLogits(z, y).backward()
    let logits: [Float] = [-1, 0, 2]
    let labels: [Float] = [1, 0, 1]
    var expected: [Float] = []
    for (z, y) in zip(logits, labels) { expected.append((1 / (1 + exp(-z)) - y) / 3) }
    let grad = z.grad?.data ?? []
    XCTAssertEqual(grad.count, 3)
    for (g, e) in zip(grad, expected) { XCTAssertEqual(g, e, accuracy: 1e-6) }
  }
}
