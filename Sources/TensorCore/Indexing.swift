// Gathering rows by index: the embedding lookup, and its backward, a scatter-add.

extension Tensor {
  /// Rows of this (vocabulary, dimension) table picked by `ids` (PyTorch's `F.embedding`).
  /// The result has shape `idsShape + [dimension]`; `idsShape` defaults to `[ids.count]`.
  ///
  /// Backward: each output row's gradient is added into the row it was read from (a token that
  /// appears twice gets both contributions).
  public func embedding(_ ids: [Int], shape idsShape: [Int]? = nil) -> Tensor {
    check(rank == 2, "embedding: the table must be (vocabulary, dimension), got \(shape)")
    let (vocabulary, d) = (shape[0], shape[1])
    let idsShape = idsShape ?? [ids.count]
    check(idsShape.reduce(1, *) == ids.count, "embedding: \(ids.count) ids do not fill shape \(idsShape)")
    if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
      fatalError("TensorCore: embedding: id \(bad) is out of range for a table of \(vocabulary) rows")
    }
    var result = [Float](repeating: 0, count: ids.count * d)
    data.withUnsafeBufferPointer { table in
      result.withUnsafeMutableBufferPointer { out in
        for (r, id) in ids.enumerated() {
          (out.baseAddress! + r * d).update(from: table.baseAddress! + id * d, count: d)
        }
      }
    }
    return Tensor(result, shape: idsShape + [d], op: "embedding", parents: [self]) { y in
      let g = y.grad!.data
      self.addGrad { table in
        for (r, id) in ids.enumerated() {
          for j in 0..<d { table[id * d + j] += g[r * d + j] }
        }
      }
    }
  }
}
