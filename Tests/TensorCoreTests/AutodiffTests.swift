import Foundation
import XCTest

@testable import TensorCore

/// The graph: accumulation, no-grad mode, detach, shared subexpressions, retained gradients.
final class AutodiffTests: XCTestCase {
  func testLeafGradientsAccumulate() {
    let x = Tensor([2], requiresGrad: true)
    (x * x).sum().backward()
    XCTAssertEqual(x.grad?.data, [4])
    (x * x).sum().backward()
    XCTAssertEqual(x.grad?.data, [8], "a second backward adds to the leaf's gradient")
    x.grad = nil
    (x * 3).sum().backward()
    XCTAssertEqual(x.grad?.data, [3])
  }

  func testBackwardTwiceThroughTheSameGraph() {
    let x = Tensor([1, 2], requiresGrad: true)
    let h = (x * x).exp()
    let loss = h.sum()
    loss.backward()
    let once = x.grad!.data
    loss.backward()
    assertClose(x.grad!.data, once.map { 2 * $0 }, tolerance: 1e-6)
    XCTAssertNil(h.grad, "intermediate gradients are freed")
    // A retained gradient is replaced, not accumulated, so it cannot leak into the next pass.
    x.grad = nil
    h.retainGrad()
    loss.backward()
    loss.backward()
    XCTAssertEqual(h.grad?.data, [1, 1])
    assertClose(x.grad!.data, once.map { 2 * $0 }, tolerance: 1e-6)
  }

  func testExplicitOutputGradient() {
    let x = Tensor([1, 2, 3], requiresGrad: true)
    (x * x).backward(Tensor([1, 10, 100]))
    XCTAssertEqual(x.grad?.data, [2, 40, 600])
    let y = Tensor([[1, 2], [3, 4]], requiresGrad: true)
    y.backward(Tensor([[1, 1], [2, 2]]))
    XCTAssertEqual(y.grad?.data, [1, 1, 2, 2], "backward on a leaf adds the given gradient")
  }

  func testDiamondSumsBothPaths() {
    let x = Tensor([3], requiresGrad: true)
    let y = x * 2
    (y * y + y).sum().backward()  // d/dx (4x² + 2x) = 8x + 2
    XCTAssertEqual(x.grad?.data, [26])
    let z = Tensor([0.5, -1], requiresGrad: true)
    let shared = z.tanh()
    (shared * z + shared.exp() - shared).sum().backward()
    let t = z.data.map { Foundation.tanh($0) }
    let expected = zip(z.data, t).map { zv, tv in
      tv + zv * (1 - tv * tv) + (Foundation.exp(tv) - 1) * (1 - tv * tv)
    }
    assertClose(z.grad!.data, expected, tolerance: 1e-6)
  }

  func testOnlyTensorsThatRequireGradGetGradients() {
    let x = Tensor([1, 2], requiresGrad: true)
    let constant = Tensor([3, 4])
    let y = x * constant
    XCTAssertTrue(y.requiresGrad)
    XCTAssertFalse((constant * constant).requiresGrad, "no parent requires grad")
    XCTAssertEqual(y.op, "mul")
    XCTAssertEqual(x.op, "leaf")
    y.sum().backward()
    XCTAssertEqual(x.grad?.data, [3, 4])
    XCTAssertNil(constant.grad)
  }

  func testNoGradAndDetach() {
    let x = Tensor([1, 2], requiresGrad: true)
    XCTAssertTrue(GradMode.isEnabled)
    let y = noGrad { () -> Tensor in
      XCTAssertFalse(GradMode.isEnabled)
      let inner = noGrad { x * 2 }
      XCTAssertFalse(GradMode.isEnabled, "leaving a nested block keeps grad off")
      return inner + x * 3
    }
    XCTAssertTrue(GradMode.isEnabled, "grad is back on after the block")
    XCTAssertFalse(y.requiresGrad)
    XCTAssertTrue(y.parents.isEmpty)
    XCTAssertEqual(y.data, [5, 10])
    let detached = x.detached()
    XCTAssertFalse(detached.requiresGrad)
    XCTAssertTrue(detached.parents.isEmpty)
    XCTAssertEqual(detached.data, x.data)
    XCTAssertTrue((x * 3).requiresGrad)
    let z = (x.detached() * x).sum()
    z.backward()
    XCTAssertEqual(x.grad?.data, [1, 2], "the detached factor is a constant")
  }

  func testRetainGradKeepsAnIntermediateGradient() {
    let x = Tensor([1, 2], requiresGrad: true)
    let h = x * 2
    h.retainGrad()
    let unretained = x * 5
    (h.sum() + unretained.sum()).backward()
    XCTAssertEqual(h.grad?.data, [1, 1])
    XCTAssertNil(unretained.grad, "intermediate gradients are freed after use")
    XCTAssertEqual(x.grad?.data, [7, 7])
  }

  func testDeepChainDoesNotOverflowTheStack() {
    let x = Tensor([1], requiresGrad: true)
    var y = x
    for _ in 0..<5000 { y = y * 1.0001 }
    y.sum().backward()
    XCTAssertEqual(Double(x.grad!.item), Foundation.pow(1.0001, 5000), accuracy: 1e-3)
  }
}
