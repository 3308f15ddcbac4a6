import XCTest

@testable import TensorCore

/// reshape, unsqueeze, permute/transpose, slice, concat, and the embedding lookup.
final class ShapeOpsTests: XCTestCase {
  // MARK: - Values

  func testReshapeAndUnsqueeze() {
    let x = Tensor((0..<6).map(Float.init), shape: [2, 3])
    XCTAssertEqual(x.reshape(3, -1).shape, [3, 2])
    XCTAssertEqual(x.reshape(-1).shape, [6])
    XCTAssertEqual(x.reshape([1, -1, 3]).shape, [1, 2, 3])
    XCTAssertEqual(x.reshape(6, 1).data, x.data, "reshape keeps the row-major order")
    XCTAssertEqual(Tensor([5]).reshape([]).shape, [])
    XCTAssertEqual(x.unsqueeze(0).shape, [1, 2, 3])
    XCTAssertEqual(x.unsqueeze(1).shape, [2, 1, 3])
    XCTAssertEqual(x.unsqueeze(-1).shape, [2, 3, 1], "-1 is the new last dimension, as in PyTorch")
    XCTAssertEqual(x.unsqueeze(-1).data, x.data)
    XCTAssertEqual(x.size(-1), 3)
    XCTAssertEqual(x.size(0), 2)
  }

  func testPermuteAndTransposeValues() {
    let x = Tensor((0..<6).map(Float.init), shape: [2, 3])
    XCTAssertEqual(x.transpose(0, 1).data, [0, 3, 1, 4, 2, 5])
    XCTAssertEqual(x.transpose(-1, -2).shape, [3, 2])
    XCTAssertEqual(x.rows, [[0, 1, 2], [3, 4, 5]])
    let y = Tensor((0..<120).map(Float.init), shape: [2, 3, 4, 5])
    let orders = [[2, 0, 1, 3], [3, 2, 1, 0], [0, 2, 1, 3], [1, 3, 0, 2], [0, 1, 2, 3]]
    for order in orders {
      let p = y.permute(order)
      XCTAssertEqual(p.shape, order.map { y.shape[$0] })
      // Output element at index (o0, o1, o2, o3) is input element with index[order[d]] = o_d.
      var expected: [Float] = []
      for o0 in 0..<p.shape[0] {
        for o1 in 0..<p.shape[1] {
          for o2 in 0..<p.shape[2] {
            for o3 in 0..<p.shape[3] {
              var index = [0, 0, 0, 0]
              for (d, o) in [o0, o1, o2, o3].enumerated() { index[order[d]] = o }
              expected.append(Float(((index[0] * 3 + index[1]) * 4 + index[2]) * 5 + index[3]))
            }
          }
        }
      }
      XCTAssertEqual(p.data, expected, "permute\(order)")
      XCTAssertEqual(p.permute(inverse(order)).data, y.data, "permuting back restores \(order)")
    }
    XCTAssertEqual(y.transpose(1, 3).shape, [2, 5, 4, 3])
  }

  func inverse(_ order: [Int]) -> [Int] {
    var result = order
    for (i, o) in order.enumerated() { result[o] = i }
    return result
  }

  func testSliceAndConcatValues() {
    let x = Tensor((0..<6).map(Float.init), shape: [2, 3])
    XCTAssertEqual(x.slice(axis: 1, 1..<3).data, [1, 2, 4, 5])
    XCTAssertEqual(x.slice(axis: 1, 1..<3).shape, [2, 2])
    XCTAssertEqual(x.slice(axis: 0, 1..<2).data, [3, 4, 5])
    XCTAssertEqual(x.slice(axis: -1, 2..<2).shape, [2, 0], "an empty slice")
    XCTAssertEqual(
      Tensor.concat([x, x.slice(axis: 1, 0..<1)], axis: 1).data, [0, 1, 2, 0, 3, 4, 5, 3])
    XCTAssertEqual(Tensor.concat([x, x], axis: 0).shape, [4, 3])
    XCTAssertEqual(Tensor.concat([x, x], axis: 0).data, x.data + x.data)
    let cube = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
    XCTAssertEqual(cube.slice(axis: 1, 1..<2).data, [4, 5, 6, 7, 16, 17, 18, 19])
    let parts = [
      cube.slice(axis: -1, 0..<1), cube.slice(axis: -1, 1..<3), cube.slice(axis: -1, 3..<4),
    ]
    XCTAssertEqual(Tensor.concat(parts, axis: -1).data, cube.data, "slices put back together")
    XCTAssertEqual(
      Tensor.concat([cube.slice(axis: 1, 2..<3), cube.slice(axis: 1, 0..<2)], axis: 1).shape,
      [2, 3, 4])
  }

  func testEmbeddingRows() {
    let table = Tensor([[0, 1], [2, 3], [4, 5]])
    XCTAssertEqual(table.embedding([2, 0, 2]).data, [4, 5, 0, 1, 4, 5])
    XCTAssertEqual(table.embedding([2, 0, 2]).shape, [3, 2])
    let batch = table.embedding([1, 1, 0, 2], shape: [2, 2])
    XCTAssertEqual(batch.shape, [2, 2, 2])
    XCTAssertEqual(batch.data, [2, 3, 2, 3, 0, 1, 4, 5])
  }

  // MARK: - Gradients

  func testShapeOpGradients() {
    let x = random([2, 3, 4], seed: 8)
    let y = random([2, 1, 4], seed: 9)
    assertGradientsMatch([x]) { x.reshape(6, -1) }
    assertGradientsMatch([x]) { x.unsqueeze(1) }
    assertGradientsMatch([x]) { x.unsqueeze(-1) }
    assertGradientsMatch([x]) { x.permute(2, 0, 1) }
    assertGradientsMatch([x]) { x.permute(0, 2, 1) }
    assertGradientsMatch([x]) { x.transpose(-2, -1) }
    assertGradientsMatch([x]) { x.transpose(0, 2) }
    assertGradientsMatch([x]) { x.slice(axis: 1, 1..<3) }
    assertGradientsMatch([x]) { x.slice(axis: 0, 1..<2) }
    assertGradientsMatch([x]) { x.slice(axis: -1, 0..<3) }
    assertGradientsMatch([x, y]) { Tensor.concat([x, y, x], axis: 1) }
    assertGradientsMatch([x]) { Tensor.concat([x, x.slice(axis: 0, 0..<1)], axis: 0) }
    assertGradientsMatch([x]) { Tensor.concat([x.slice(axis: 2, 2..<4), x], axis: -1) }
  }

  func testEmbeddingGradientAddsRepeatedRows() {
    let table = random([5, 3], seed: 10)
    assertGradientsMatch([table]) { table.embedding([1, 4, 1, 0, 1, 3], shape: [2, 3]) }
    table.grad = nil
    table.embedding([1, 4, 1]).sum().backward()
    XCTAssertEqual(
      table.grad?.data, [0, 0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1], "row 1 is read twice")
  }
}
