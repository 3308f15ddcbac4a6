// Hidden tests of Lesson 1's exercises. The student edition leaves this target out; graders
// run it with `swift run course grade`.

import ExerciseTesting
import Foundation
import TensorCore
import XCTest

final class SquaredDifferenceHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "1.2" }

  func testBothInputsBroadcast() {
    let a = Tensor([1, 2, 3], shape: [3, 1], requiresGrad: true)
    let b = Tensor([0, 1], requiresGrad: true)
    let d = a.squaredDifference(b)
    XCTAssertEqual(d.shape, [3, 2])
    XCTAssertEqual(d.data, [1, 0, 4, 1, 9, 4])
    d.sum().backward()
    // d/da_i = Σ_j 2(a_i - b_j); d/db_j = Σ_i -2(a_i - b_j).
    XCTAssertEqual(a.grad?.data ?? [], [2, 6, 10])
    XCTAssertEqual(b.grad?.data ?? [], [-12, -6])
  }

  func testUpstreamGradientIsUsed() {
    let a = Tensor([1, 2], requiresGrad: true)
    (a.squaredDifference(Tensor(0)) * Tensor([3, -1])).sum().backward()
    XCTAssertEqual(a.grad?.data ?? [], [6, -4])
  }
}

final class BinaryCrossEntropyHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "1.4" }

  func testSoftTargetsAndUpstreamGradient() {
    let z = Tensor([0.3, -1.2], requiresGrad: true)
    let y = Tensor([0.25, 0.9])
    let loss = binaryCrossEntropyWithLogits(z, y)
    var expected = 0.0
    for (zi, yi) in zip([0.3, -1.2], [0.25, 0.9]) {
      let p = 1 / (1 + exp(-zi))
      expected -= (yi * log(p) + (1 - yi) * log(1 - p)) / 2
    }
    XCTAssertEqual(Double(loss.item), expected, accuracy: 1e-5)
    (loss * 4).backward()
    let grad = z.grad?.data ?? []
    XCTAssertEqual(grad.count, 2)
    XCTAssertEqual(Double(grad.first ?? .nan), 4 * (1 / (1 + exp(-0.3)) - 0.25) / 2, accuracy: 1e-5)
  }

  func testVeryNegativeLogitWithPositiveTarget() {
    let z = Tensor([-200], requiresGrad: true)
    let loss = binaryCrossEntropyWithLogits(z, Tensor([1]))
    XCTAssertEqual(loss.item, 200, accuracy: 1e-2)
    loss.backward()
    XCTAssertEqual(z.grad?.data.first ?? .nan, -1, accuracy: 1e-6)
  }
}

final class NumericalGradientHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "1.1" }

  func testAgreesWithBackwardOnASmoothFunction() {
    let x = Tensor([0.2, -0.7, 1.1], requiresGrad: true)
    let f = { (x.tanh() * x).sum() }
    f().backward()
    let numeric = numericalGradient(of: f, wrt: x, epsilon: 1e-2)
    for (n, a) in zip(numeric, x.grad?.data ?? []) { XCTAssertEqual(n, a, accuracy: 2e-3) }
    XCTAssertEqual(numeric.count, 3)
  }

  func testUsesTheGivenEpsilon() {
    // Central differences of x³ at 1 are 3 + ε² exactly: 3.25 with ε = 0.5, 3.01 with ε = 0.1.
    let x = Tensor([1])
    let coarse = numericalGradient(of: { (x * x * x).sum() }, wrt: x, epsilon: 0.5)
    XCTAssertEqual(coarse.first ?? .nan, 3.25, accuracy: 1e-4, "nudge x by the epsilon passed in")
    let finer = numericalGradient(of: { (x * x * x).sum() }, wrt: x, epsilon: 0.1)
    XCTAssertEqual(finer.first ?? .nan, 3.01, accuracy: 1e-3, "nudge x by the epsilon passed in")
  }

  func testDoesNotRecordAGraph() {
    let x = Tensor([1, 2], requiresGrad: true)
    var sawGraph = false
    _ = numericalGradient(
      of: {
        let y = (x * x).sum()
        sawGraph = sawGraph || y.requiresGrad
        return y
      }, wrt: x)
    XCTAssertFalse(sawGraph, "evaluate f inside noGrad { }")
    XCTAssertNil(x.grad)
  }
}

final class SGDHiddenTests: ExerciseTestCase {
  override class var exerciseID: String { "1.3" }

  func testNesterovAndDampening() {
    // PyTorch: g = 1; v1 = g = 1; nesterov step uses g + 0.9·v1 = 1.9.
    let p = Tensor([0], requiresGrad: true)
    let nesterov = SGD([p], learningRate: 0.1, momentum: 0.9, nesterov: true)
    p.grad = Tensor([1])
    nesterov.step()
    XCTAssertEqual(p.data[0], -0.19, accuracy: 1e-6)
    // Dampening 0.5: v1 = g = 2 (no dampening on the first step); v2 = 0.9·2 + 0.5·2 = 2.8.
    let q = Tensor([0], requiresGrad: true)
    let damped = SGD([q], learningRate: 1, momentum: 0.9, dampening: 0.5)
    q.grad = Tensor([2])
    damped.step()
    damped.step()
    XCTAssertEqual(q.data[0], -(2 + 2.8), accuracy: 1e-5)
  }

  func testNesterovUsesTheUpdatedVelocity() {
    // PyTorch: v2 = 0.9·1 + 1 = 1.9, and the second step is g + 0.9·v2 = 2.71 (not g + 0.9·v1 = 1.9).
    let p = Tensor([0], requiresGrad: true)
    let optimizer = SGD([p], learningRate: 0.1, momentum: 0.9, nesterov: true)
    p.grad = Tensor([1])
    optimizer.step()
    p.grad = Tensor([1])
    optimizer.step()
    XCTAssertEqual(
      p.data[0], -(0.19 + 0.271), accuracy: 1e-6,
      "the nesterov step adds momentum times the velocity of this step, after its update")
  }

  func testNesterovStepIncludesTheWeightDecay() {
    // g = 0 + 0.1·1 = 0.1 (decay included); v = 0.1; the step is g + 0.9·v = 0.19.
    let p = Tensor([1], requiresGrad: true)
    let optimizer = SGD([p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true)
    p.grad = Tensor([0])
    optimizer.step()
    XCTAssertEqual(
      p.data[0], 1 - 0.1 * 0.19, accuracy: 1e-6,
      "with nesterov the step is g + momentum·v, where g already includes weightDecay·p")
  }

  func testEachParameterHasItsOwnVelocity() {
    let p = Tensor([0], requiresGrad: true)
    let q = Tensor([0, 0], requiresGrad: true)
    let optimizer = SGD([p, q], learningRate: 1, momentum: 0.5, weightDecay: 0)
    p.grad = Tensor([1])
    q.grad = Tensor([2, -2])
    optimizer.step()
    optimizer.step()
    XCTAssertEqual(p.data, [-(1 + 1.5)])
    XCTAssertEqual(q.data, [-(2 + 3), 2 + 3])
  }
}
