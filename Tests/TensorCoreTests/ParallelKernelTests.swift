// The kernels split big loops between threads; the split must never change a result. Each op
// here runs forward and backward on tensors big enough to be split, once on one thread and
// once on two, and the values and gradients must be bit-for-bit the same.

import XCTest

@testable import TensorCore

final class ParallelKernelTests: XCTestCase {
  /// The output and the gradients of `inputs` after `op`, on `threads` threads. The output
  /// gradient is a fixed pattern so that every element's backward is exercised.
  private func run(threads: Int, inputs: [Tensor], _ op: ([Tensor]) -> Tensor) -> [[Float]] {
    let saved = Threads.count
    Threads.count = threads
    defer { Threads.count = saved }
    let leaves = inputs.map { Tensor($0.data, shape: $0.shape, requiresGrad: true) }
    let y = op(leaves)
    y.backward(Tensor((0..<y.count).map { Float($0 % 7) - 3 }, shape: y.shape))
    return [y.data] + leaves.map { $0.grad?.data ?? [] }
  }

  private func assertSameOnOneAndTwoThreads(
    _ name: String, _ inputs: [Tensor], _ op: ([Tensor]) -> Tensor, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    let one = run(threads: 1, inputs: inputs, op)
    let two = run(threads: 2, inputs: inputs, op)
    for (i, (a, b)) in zip(one, two).enumerated() {
      XCTAssertEqual(a.count, b.count, "\(name): result \(i) sizes", file: file, line: line)
      let differing = zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
      XCTAssertEqual(
        differing, 0, "\(name): result \(i) differs in \(differing) elements", file: file, line: line)
    }
  }

  // (batch 16, heads 12, seq 64, seq 64) scores and (32 · 48, 384) hidden states: the sizes of a
  // real fine-tuning step, where every loop here is split.
  let generator = Generator(seed: 7)
  lazy var scores = Tensor.randn([16, 12, 64, 64], generator: generator)
  lazy var hidden = Tensor.randn([1536, 384], generator: generator)

  func testElementwiseOpsAgree() {
    assertSameOnOneAndTwoThreads("gelu", [hidden]) { $0[0].gelu() }
    assertSameOnOneAndTwoThreads("geluTanh", [scores]) { $0[0].geluTanh() }
    assertSameOnOneAndTwoThreads("residual add", [hidden]) { $0[0] + $0[0] }
    assertSameOnOneAndTwoThreads("dropout", [scores]) {
      $0[0].dropout(0.1, training: true, generator: Generator(seed: 1))
    }
  }

  func testRowOpsAgree() {
    assertSameOnOneAndTwoThreads("softmax, last axis", [scores]) { $0[0].softmax(axis: -1) }
    assertSameOnOneAndTwoThreads("softmax, middle axis", [scores]) { $0[0].softmax(axis: 1) }
    assertSameOnOneAndTwoThreads("logSoftmax, middle axis", [scores]) { $0[0].logSoftmax(axis: 2) }
    let weight = Tensor.randn([384], generator: generator)
    let bias = Tensor.randn([384], generator: generator)
    assertSameOnOneAndTwoThreads("layerNorm", [hidden, weight, bias]) {
      layerNorm($0[0], weight: $0[1], bias: $0[2])
    }
  }

  func testMaskingPermutingAndLinearAgree() {
    let mask = Tensor((0..<(16 * 64)).map { Float($0 % 5 == 0 ? 1 : 0) }, shape: [16, 1, 1, 64])
    assertSameOnOneAndTwoThreads("maskedFill", [scores]) { $0[0].maskedFill(mask, -1e9) }
    assertSameOnOneAndTwoThreads("permute", [scores]) { $0[0].permute(0, 2, 1, 3) }
    assertSameOnOneAndTwoThreads("transpose", [scores]) { $0[0].transpose(-2, -1) }
    let weight = Tensor.randn([1536, 384], generator: generator)
    let bias = Tensor.randn([1536], generator: generator)
    assertSameOnOneAndTwoThreads("linear", [hidden, weight, bias]) {
      linear($0[0], weight: $0[1], bias: $0[2])
    }
    assertSameOnOneAndTwoThreads("matmul", [hidden, weight]) { $0[0].matmul($0[1].transpose(0, 1)) }
  }

  func testNormMatchesADoubleSumAndIsTheSameOnAnyThreadCount() {
    let x = Tensor.randn([300_001], generator: generator)  // not a multiple of the block size
    let exact = x.data.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    XCTAssertEqual(Double(x.norm().item), exact, accuracy: exact * 1e-6)
    assertSameOnOneAndTwoThreads("norm", [x]) { $0[0].norm() }
    // d‖x‖/dx = x/‖x‖, and 0 (not NaN) at x = 0, as PyTorch.
    let v = Tensor([3, 4], requiresGrad: true)
    v.norm().backward()
    XCTAssertEqual(v.grad!.data, [0.6, 0.8])
    let zero = Tensor([0, 0], requiresGrad: true)
    zero.norm().backward()
    XCTAssertEqual(zero.grad!.data, [0, 0])
  }
}
