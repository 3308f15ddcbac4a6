import Foundation
import XCTest

@testable import TensorCore

/// softmax and log-softmax, layer norm, dropout, masking and cross-entropy.
final class NNTests: XCTestCase {
  // MARK: - Values

  func testSoftmaxValues() {
    assertClose(Tensor([1, 2, 3]).softmax(axis: 0).data, [0.090_030_6, 0.244_728_5, 0.665_241_0])
    assertClose(Tensor([[1, 2, 3]]).softmax().data, [0.090_030_6, 0.244_728_5, 0.665_241_0])
    assertClose(Tensor([1000, 0]).logSoftmax(axis: 0).data, [0, -1000])
    assertClose(
      Tensor([1001, 1002, 1003]).softmax(axis: 0).data, [0.090_030_6, 0.244_728_5, 0.665_241_0])
    let rows = Tensor.randn([4, 7], std: 5, generator: Generator(seed: 1)).softmax(axis: -1)
    for r in 0..<4 {
      XCTAssertEqual(rows.data[(r * 7)..<(r * 7 + 7)].reduce(0, +), 1, accuracy: 1e-6, "row \(r)")
    }
    let columns = Tensor([[1, 1], [2, 3]]).softmax(axis: 0).data
    assertClose([columns[0] + columns[2], columns[1] + columns[3]], [1, 1])
    assertClose(columns, [0.268_941_4, 0.119_202_92, 0.731_058_6, 0.880_797_1])
  }

  func testMaskedSoftmaxGivesExactZeros() {
    // Last axis (the contiguous fast path) and a leading axis (the strided path).
    let masked = Tensor([1, 2, 3]).maskedFill(Tensor([0, 1, 0]), -.infinity).softmax(axis: 0)
    XCTAssertEqual(masked.data[1], 0, "a masked score gets exactly zero weight")
    XCTAssertEqual(masked.data.reduce(0, +), 1, accuracy: 1e-6)
    assertClose([masked.data[0], masked.data[2]], [0.119_202_92, 0.880_797_1])
    let strided = Tensor([[1000, 0], [0, -1000], [3, -.infinity]]).softmax(axis: 0)
    XCTAssertEqual(strided.data, [1, 1, 0, 0, 0, 0])
    let logStrided = Tensor([[1000, 0], [0, -1000]]).logSoftmax(axis: 0)
    XCTAssertEqual(logStrided.data, [0, 0, -1000, -1000])
    XCTAssertTrue(Tensor([[1, -.infinity]]).logSoftmax().data[1] == -.infinity)
  }

  func testLayerNormValues() {
    let y = layerNorm(
      Tensor([[1, 2, 3, 4]]), weight: Tensor([1, 1, 1, 1]), bias: Tensor([0, 0, 0, 0]))
    assertClose(y.data, [-1.341_635_9, -0.447_211_96, 0.447_211_96, 1.341_635_9], tolerance: 1e-5)
    // PyTorch: F.layer_norm(x, (4,), weight, bias, 1e-5); a constant row normalises to 0.
    let x = Tensor([[1, 2, 3, 4], [2, 2, 2, 2]]).reshape(2, 1, 4)
    let z = layerNorm(x, weight: Tensor([1, 2, 3, 4]), bias: Tensor([0, 1, 0, 1]))
    XCTAssertEqual(z.shape, [2, 1, 4])
    assertClose(
      z.data, [-1.341_635_5, 0.105_576_34, 1.341_635_5, 6.366_541_9, 0, 1, 0, 1], tolerance: 1e-5)
    let norm = LayerNorm(4, eps: 1e-12)
    assertClose(
      norm(Tensor([[1, 2, 3, 4]])).data, [-1.341_640_8, -0.447_213_6, 0.447_213_6, 1.341_640_8])
  }

  func testCrossEntropyValues() {
    // Row 0: logsumexp(1, 2, 3) - 3; row 1 is ignored; row 2: logsumexp(0, 0, 0) - 0.
    let logits = Tensor([[1, 2, 3], [5, 5, 5], [0, 0, 0]])
    let loss = crossEntropy(logits, targets: [2, -100, 1])
    let expected = ((log(exp(1.0) + exp(2.0) + exp(3.0)) - 3) + log(3.0)) / 2
    XCTAssertEqual(Double(loss.item), expected, accuracy: 1e-6)
    XCTAssertEqual(loss.shape, [])
    XCTAssertTrue(
      crossEntropy(logits, targets: [-100, -100, -100]).item.isNaN, "0/0, as in PyTorch")
    XCTAssertEqual(crossEntropy(logits, targets: [7, 7, 7], ignoreIndex: 7).item.isNaN, true)
    // Rank 3, as a language model's (batch, time, vocabulary); PyTorch gives 0.6143592.
    let sequence = Tensor([1, 2, 3, 0.5, -1, 2, 3, 3, 0, -2, 1, 1], shape: [2, 2, 3])
    XCTAssertEqual(
      crossEntropy(sequence, targets: [2, -100, 0, 1]).item, 0.614_359_2, accuracy: 1e-6)
    XCTAssertEqual(
      crossEntropy(sequence, targets: [2, -100, 0, 1]).item,
      crossEntropy(sequence.reshape(4, 3), targets: [2, -100, 0, 1]).item)
    // Huge logits stay finite: the loss of a confident right answer is 0, of a wrong one 1000.
    XCTAssertEqual(crossEntropy(Tensor([[1000, 0]]), targets: [0]).item, 0)
    XCTAssertEqual(crossEntropy(Tensor([[1000, 0]]), targets: [1]).item, 1000)
  }

  func testMaskedFillValues() {
    let x = Tensor([[1, 2, 3], [4, 5, 6]])
    XCTAssertEqual(x.maskedFill(Tensor([[0, 1, 0], [1, 0, 0]]), -1).data, [1, -1, 3, -1, 5, 6])
    XCTAssertEqual(
      x.maskedFill(Tensor([1, 0, 0]), 9).data, [9, 2, 3, 9, 5, 6], "a row mask broadcasts")
    XCTAssertEqual(x.maskedFill(Tensor([1, 0], shape: [2, 1]), 0).data, [0, 0, 0, 4, 5, 6])
    XCTAssertEqual(x.data, [1, 2, 3, 4, 5, 6], "the input is not changed")
  }

  func testDropoutMaskComesFromTheGenerator() {
    let x = random([4, 50], seed: 29)
    let p: Float = 0.25
    let y = x.dropout(p, training: true, generator: Generator(seed: 3))
    // Element i is dropped exactly when the i-th uniform draw of the generator is below p.
    let draws = Generator(seed: 3)
    for i in 0..<x.count {
      let dropped = draws.uniform() < p
      XCTAssertEqual(y.data[i], dropped ? 0 : x.data[i] / (1 - p), accuracy: 1e-6, "element \(i)")
    }
    XCTAssertEqual(
      y.data, x.dropout(p, training: true, generator: Generator(seed: 3)).data,
      "same seed, same mask")
    XCTAssertNotEqual(y.data, x.dropout(p, training: true, generator: Generator(seed: 4)).data)
    let kept = y.data.filter { $0 != 0 }.count
    XCTAssertTrue((110...190).contains(kept), "about 150 of 200 kept, got \(kept)")
    XCTAssertTrue(x.dropout(p, training: false) === x, "evaluation mode is the identity")
    XCTAssertTrue(x.dropout(0, training: true) === x, "p = 0 is the identity")
  }

  func testDropoutKeepsTheMeanOnAverage() {
    let p: Float = 0.4
    let ones = Tensor(repeating: 1, shape: [100_000])
    let y = ones.dropout(p, training: true, generator: Generator(seed: 8))
    XCTAssertEqual(y.mean().item, 1, accuracy: 0.01)
    XCTAssertEqual(Set(y.data), [0, 1 / (1 - p)])
  }

  // MARK: - Gradients

  func testSoftmaxGradients() {
    let x = random([3, 5], seed: 25)
    assertGradientsMatch([x]) { x.softmax(axis: -1) }
    assertGradientsMatch([x]) { x.softmax(axis: 0) }
    assertGradientsMatch([x]) { x.logSoftmax(axis: -1) }
    assertGradientsMatch([x]) { x.logSoftmax(axis: 0) }
    let cube = random([2, 3, 4], seed: 26, scale: 2)
    assertGradientsMatch([cube]) { cube.softmax(axis: 1) }
    assertGradientsMatch([cube]) { cube.logSoftmax(axis: 1) }
  }

  func testLayerNormGradients() {
    let x = random([3, 5], seed: 25)
    let w = random([5], seed: 26)
    let b = random([5], seed: 27)
    assertGradientsMatch([x, w, b]) { layerNorm(x, weight: w, bias: b) }
    let cube = random([2, 3, 5], seed: 28, scale: 3)
    assertGradientsMatch([cube, w, b]) { layerNorm(cube, weight: w, bias: b, eps: 1e-3) }
  }

  func testMaskedFillGradient() {
    let x = random([3, 5], seed: 25)
    let mask = Tensor([0, 1, 0, 0, 1], shape: [1, 5])
    assertGradientsMatch([x]) { x.maskedFill(mask, -3) }
    x.grad = nil
    x.maskedFill(mask, -.infinity).softmax().backward(random([3, 5], seed: 3))
    for r in 0..<3 {
      XCTAssertEqual(x.grad!.data[r * 5 + 1], 0, "masked positions get no gradient")
      XCTAssertEqual(x.grad!.data[r * 5 + 4], 0)
      XCTAssertNotEqual(x.grad!.data[r * 5], 0)
    }
  }

  func testDropoutGradientIsTheScaledMask() {
    let x = random([4, 50], seed: 29)
    let y = x.dropout(0.25, training: true, generator: Generator(seed: 3))
    let g = random([4, 50], seed: 30)
    y.backward(g)
    for i in 0..<x.count {
      XCTAssertEqual(
        x.grad!.data[i], y.data[i] == 0 ? 0 : g.data[i] / 0.75, accuracy: 1e-6, "element \(i)")
    }
  }

  func testCrossEntropyGradients() {
    let logits = random([2, 3, 4], seed: 28)
    assertGradientsMatch([logits]) { crossEntropy(logits, targets: [0, 3, -100, 1, 2, -100]) }
    let rows = random([5, 3], seed: 31, scale: 2)
    assertGradientsMatch([rows]) { crossEntropy(rows, targets: [2, -100, 0, 0, 1]) }
    rows.grad = nil
    crossEntropy(rows, targets: [2, -100, 0, 0, 1]).backward()
    XCTAssertEqual(Array(rows.grad!.data[3..<6]), [0, 0, 0], "an ignored row gets no gradient")
    // Each counted row's gradient is (softmax - onehot) / counted rows: it sums to 0.
    XCTAssertEqual(rows.grad!.data[0..<3].reduce(0, +), 0, accuracy: 1e-6)
  }
}
