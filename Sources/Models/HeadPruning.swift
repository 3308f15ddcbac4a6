// Removing attention heads (Michel, Levy and Neubig 2019), as transformers 4.x's `prune_heads`:
// a pruned head's rows of the query, key and value projections (weight and bias) and its input
// columns of the attention output projection are cut out of the matrices, and the layer's head
// count shrinks. The model gets smaller and faster, unlike a mask that only zeroes the columns.
//
//     try model.pruneHeads([0: [1, 3], 1: [2]])   // layer → heads, numbered as in the original
//
// The heads removed are recorded in config.json as `pruned_heads` ({"0": [1, 3], "1": [2]}),
// the format of transformers 4.x, which rebuilds the same shapes before loading the weights; the
// kit does the same in `fromPretrained`. transformers 5.x has dropped `prune_heads` and
// `pruned_heads` (5.24's sources mention neither; only `prune_linear_layer` is left), so it
// refuses such a checkpoint's shapes: scripts/golden_head_pruning.py rebuilds them with
// `prune_linear_layer` exactly as 4.x did, and checks the logits.
//
// Head numbers are always the original ones: after pruning head 1, the old head 2 is still
// "head 2" (transformers' `find_pruneable_heads_and_indices` shifts them the same way).

import TensorCore

/// Why heads cannot be pruned: names the layer or head and what was expected.
public struct HeadPruningError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// A model whose attention heads can be removed (BERT, RoBERTa, GPT-2 and their task models).
public protocol HeadPrunable: Module {
  /// Removes `heads` (layer → original head numbers) from the matrices and records them in the
  /// configuration's `pruned_heads`; heads already removed are skipped, as in transformers.
  /// Throws, changing nothing, for a layer or head out of range, for pruning every head of a
  /// layer, or for a projection that is no longer a plain `Linear` (LoRA, int8).
  func pruneHeads(_ heads: [Int: [Int]]) throws
  /// The heads removed so far, by layer (original numbers).
  var prunedHeads: [Int: Set<Int>] { get }
  /// The number of heads each layer has now.
  var headsPerLayer: [Int] { get }
}

/// `pruned_heads` as config.json stores it (string keys) → by layer; invalid keys dropped
/// (`validatePrunedHeads` reports them).
func prunedHeadsByLayer(_ stored: [String: [Int]]?) -> [Int: Set<Int>] {
  var result: [Int: Set<Int>] = [:]
  for (key, heads) in stored ?? [:] {
    if let layer = Int(key) { result[layer, default: []].formUnion(heads) }
  }
  return result
}

/// Checks `pruned_heads` against the model's sizes: layers in 0..<layers, heads in 0..<heads,
/// at least one head left per layer.
func validatePrunedHeads(_ stored: [String: [Int]]?, layers: Int, heads: Int) throws {
  for (key, list) in stored ?? [:] {
    guard let layer = Int(key), (0..<layers).contains(layer) else {
      throw ConfigError("pruned_heads: \"\(key)\" is not a layer number in 0..<\(layers)")
    }
    if let bad = list.first(where: { !(0..<heads).contains($0) }) {
      throw ConfigError("pruned_heads: layer \(layer) has head \(bad), not in 0..<\(heads)")
    }
    if Set(list).count >= heads {
      throw ConfigError("pruned_heads: layer \(layer) would keep none of its \(heads) heads")
    }
  }
}

/// The checks `pruneHeads` makes before changing anything: valid layers and heads, and at least
/// one head left in each layer.
func checkHeadsToPrune(_ request: [Int: [Int]], already: [Int: Set<Int>], layers: Int, heads: Int) throws {
  for (layer, list) in request {
    guard (0..<layers).contains(layer) else {
      throw HeadPruningError("layer \(layer) does not exist: the model has layers 0..<\(layers)")
    }
    if let bad = list.first(where: { !(0..<heads).contains($0) }) {
      throw HeadPruningError("layer \(layer) has no head \(bad): heads are numbered 0..<\(heads)")
    }
    if already[layer, default: []].union(list).count >= heads {
      throw HeadPruningError(
        "pruning heads \(list.sorted()) of layer \(layer) would leave it none of its \(heads) heads; keep at least one"
      )
    }
  }
}

/// The positions (head · headDim + d) of the heads that remain after removing `removing`, in a
/// layer that has already lost `already` of its `originalHeads` (original numbers throughout).
func keptPositions(originalHeads: Int, headDim: Int, already: Set<Int>, removing: Set<Int>) -> [Int] {
  let remaining = (0..<originalHeads).filter { !already.contains($0) }  // in current order
  return remaining.enumerated().filter { !removing.contains($0.element) }.flatMap { current, _ in
    (current * headDim)..<((current + 1) * headDim)
  }
}

/// A `Linear` with only the output rows `rows` (its weight (rows.count, in) and bias), or only
/// the input columns `columns` (weight (out, columns.count), bias whole): transformers'
/// `prune_linear_layer` with dim 0 or 1. The new tensors train as the old ones did.
func prunedLinear(_ layer: Linear, rows: [Int]? = nil, columns: [Int]? = nil) throws -> Linear {
  guard type(of: layer) == Linear.self else {
    throw HeadPruningError(
      "cannot prune heads through a \(type(of: layer)): prune before LoRA, quantization or other wrappers")
  }
  let (out, inputs) = (layer.outFeatures, layer.inFeatures)
  let keepRows = rows ?? Array(0..<out)
  let keepColumns = columns ?? Array(0..<inputs)
  let (oldWeight, oldBias) = (layer.weight, layer.bias)
  let newWeight = Tensor(zeros: [keepRows.count, keepColumns.count], requiresGrad: oldWeight.requiresGrad)
  // A fill, not a copy now: while a model is built for loading (DeferredInitialization), the old
  // weights are not drawn yet; their fills run first, then this one copies them (unless the
  // checkpoint provides the pruned weight).
  DeferredInitialization.fill(newWeight) { t, _ in
    let w = oldWeight.data
    var kept = [Float](repeating: 0, count: t.count)
    for (i, r) in keepRows.enumerated() {
      for (j, c) in keepColumns.enumerated() { kept[i * keepColumns.count + j] = w[r * inputs + c] }
    }
    t.data = kept
  }
  let newBias = oldBias.map { b -> Tensor in
    let t = Tensor(zeros: [keepRows.count], requiresGrad: b.requiresGrad)
    DeferredInitialization.fill(t) { t, _ in t.data = keepRows.map { b.data[$0] } }
    return t
  }
  return Linear(weight: newWeight, bias: newBias)
}

extension BertAttention {
  /// Removes `heads` (original numbers) from this layer; heads already removed are skipped.
  /// The caller has checked them (`checkHeadsToPrune`).
  func removeHeads(_ heads: Set<Int>, originalHeads: Int) throws {
    let removing = heads.subtracting(prunedHeads)
    guard !removing.isEmpty else { return }
    let s = selfAttention
    let headDim = s.query.outFeatures / s.heads
    let kept = keptPositions(
      originalHeads: originalHeads, headDim: headDim, already: prunedHeads, removing: removing)
    // Build all four before replacing any: a wrapper refused midway leaves the layer whole.
    let (query, key, value) = (
      try prunedLinear(s.query, rows: kept), try prunedLinear(s.key, rows: kept),
      try prunedLinear(s.value, rows: kept)
    )
    let dense = try prunedLinear(output.dense, columns: kept)
    (s.query, s.key, s.value, output.dense) = (query, key, value, dense)
    s.heads -= removing.count
    prunedHeads.formUnion(removing)
  }
}

extension GPT2Attention {
  /// Removes `heads` (original numbers) from this block: their query, key and value rows of
  /// `c_attn` and their input columns of `c_proj` (GPT-2's `prune_heads`, on the kit's (out, in)
  /// layout). The caller has checked them.
  func removeHeads(_ heads: Set<Int>, originalHeads: Int) throws {
    let removing = heads.subtracting(prunedHeads)
    guard !removing.isEmpty else { return }
    let split = cAttn.outFeatures / 3  // the current heads · headDim
    let kept = keptPositions(
      originalHeads: originalHeads, headDim: split / self.heads, already: prunedHeads, removing: removing)
    let attention = try prunedLinear(
      cAttn, rows: kept + kept.map { $0 + split } + kept.map { $0 + 2 * split })
    let projection = try prunedLinear(cProj, columns: kept)
    (cAttn, cProj) = (attention, projection)
    self.heads -= removing.count
    prunedHeads.formUnion(removing)
  }
}

extension BertEncoder {
  /// Checks `heads` (layer → original numbers) against `originalHeads` per layer, removes them,
  /// and returns config.json's `pruned_heads` afterwards; BERT's and RoBERTa's.
  func pruneHeads(_ heads: [Int: [Int]], originalHeads: Int) throws -> [String: [Int]]? {
    try checkHeadsToPrune(heads, already: prunedHeads, layers: layer.count, heads: originalHeads)
    for l in heads.keys.sorted() {
      try layer[l].attention.removeHeads(Set(heads[l]!), originalHeads: originalHeads)
    }
    return storedPrunedHeads(prunedHeads)
  }

  /// The heads removed so far, by layer.
  var prunedHeads: [Int: Set<Int>] {
    var result: [Int: Set<Int>] = [:]
    for (i, layer) in layer.enumerated() where !layer.attention.prunedHeads.isEmpty {
      result[i] = layer.attention.prunedHeads
    }
    return result
  }

  /// The number of heads each layer has now.
  var headsPerLayer: [Int] { layer.map(\.attention.selfAttention.heads) }
}

extension BertModel: HeadPrunable {
  public func pruneHeads(_ heads: [Int: [Int]]) throws {
    config.prunedHeads = try encoder.pruneHeads(heads, originalHeads: config.numAttentionHeads)
  }
  public var prunedHeads: [Int: Set<Int>] { encoder.prunedHeads }
  public var headsPerLayer: [Int] { encoder.headsPerLayer }
}

extension RobertaModel: HeadPrunable {
  public func pruneHeads(_ heads: [Int: [Int]]) throws {
    config.prunedHeads = try encoder.pruneHeads(heads, originalHeads: config.numAttentionHeads)
  }
  public var prunedHeads: [Int: Set<Int>] { encoder.prunedHeads }
  public var headsPerLayer: [Int] { encoder.headsPerLayer }
}

extension GPT2Model: HeadPrunable {
  public func pruneHeads(_ heads: [Int: [Int]]) throws {
    try checkHeadsToPrune(heads, already: prunedHeads, layers: h.count, heads: config.nHead)
    for layer in heads.keys.sorted() {
      try h[layer].attn.removeHeads(Set(heads[layer]!), originalHeads: config.nHead)
    }
    config.prunedHeads = storedPrunedHeads(prunedHeads)
  }

  public var prunedHeads: [Int: Set<Int>] {
    var result: [Int: Set<Int>] = [:]
    for (i, block) in h.enumerated() where !block.attn.prunedHeads.isEmpty {
      result[i] = block.attn.prunedHeads
    }
    return result
  }

  public var headsPerLayer: [Int] { h.map(\.attn.heads) }
}

/// By layer → config.json's form (string keys, sorted heads); nil when nothing is pruned, so
/// that an unpruned model's config.json does not change.
func storedPrunedHeads(_ heads: [Int: Set<Int>]) -> [String: [Int]]? {
  heads.isEmpty ? nil : Dictionary(uniqueKeysWithValues: heads.map { (String($0.key), $0.value.sorted()) })
}

/// A task model (a head on a base model), whose head pruning is its base model's.
public protocol HeadPrunableTaskModel: HeadPrunable {
  /// The base model that holds the attention layers.
  var prunableBase: any HeadPrunable { get }
}

extension HeadPrunableTaskModel {
  public func pruneHeads(_ heads: [Int: [Int]]) throws { try prunableBase.pruneHeads(heads) }
  public var prunedHeads: [Int: Set<Int>] { prunableBase.prunedHeads }
  public var headsPerLayer: [Int] { prunableBase.headsPerLayer }
}

extension BertForSequenceClassification: HeadPrunableTaskModel {
  public var prunableBase: any HeadPrunable { bert }
}
extension BertForMaskedLM: HeadPrunableTaskModel {
  public var prunableBase: any HeadPrunable { bert }
}
extension RobertaForSequenceClassification: HeadPrunableTaskModel {
  public var prunableBase: any HeadPrunable { roberta }
}
extension RobertaForMaskedLM: HeadPrunableTaskModel {
  public var prunableBase: any HeadPrunable { roberta }
}
extension GPT2ForSequenceClassification: HeadPrunableTaskModel {
  public var prunableBase: any HeadPrunable { transformer }
}
extension GPT2LMHeadModel: HeadPrunableTaskModel {
  public var prunableBase: any HeadPrunable { transformer }
}

/// Applies a configuration's `pruned_heads` to a freshly built model (what transformers 4.x did
/// in `init_weights`), so that a pruned checkpoint's weights fit. Entries `validate()` would
/// refuse are skipped: `fromPretrained` validates first.
func applyConfiguredPruning(_ model: some HeadPrunable, _ stored: [String: [Int]]?, layers: Int, heads: Int) {
  let valid = prunedHeadsByLayer(stored).filter { layer, list in
    (0..<layers).contains(layer) && list.allSatisfy { (0..<heads).contains($0) } && list.count < heads
  }
  guard !valid.isEmpty else { return }
  // Fresh `Linear`s and checked heads: nothing here can throw.
  try? model.pruneHeads(valid.mapValues { $0.sorted() })
}
