// Head pruning removes heads from the matrices, as transformers 4.x's `prune_heads`; checked
// against scripts/golden_head_pruning.py (Fixtures/head-pruning: three classifiers with 4 heads,
// pruned {0: [1]} then {0: [3], 1: [2]} in transformers, and their logits).

import Foundation
import TensorCore
import XCTest

@testable import Models

final class HeadPruningTests: XCTestCase {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/head-pruning")

  struct Model: Decodable {
    var pruned_heads: [String: [Int]]
    var steps: [[String: [Int]]]
    var logits_unpruned: [Float]
    var logits_pruned: [Float]
    var shapes: [String: [Int]]
  }
  struct Golden: Decodable {
    var input_ids: [[Int]]
    var attention_mask: [[Int]]
    var bert: Model
    var gpt2: Model
    var roberta: Model
  }

  override func setUpWithError() throws {
    try skipUnlessAttentionExercisesDone()
    try skipUnlessCheckpointExercisesDone()
  }

  func golden() throws -> Golden {
    let url = Self.fixtures.appendingPathComponent("golden.json")
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw XCTSkip("\(url.path) is absent: run scripts/golden_head_pruning.py")
    }
    return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
  }

  func steps(_ m: Model) -> [[Int: [Int]]] {
    m.steps.map { Dictionary(uniqueKeysWithValues: $0.map { (Int($0.key)!, $0.value) }) }
  }

  /// Prunes in the kit as transformers did, compares logits and shapes, saves, reloads, compares.
  func check<M: HeadPrunable & PretrainedModel>(
    _ type: M.Type, _ m: Model, _ g: Golden, kind: String,
    logits: (M) throws -> Tensor
  ) throws {
    let model = try M.fromPretrained(Self.fixtures.appendingPathComponent(kind))
    model.eval()
    assertClose(try noGrad { try logits(model) }.data, m.logits_unpruned, tolerance: 1e-4, "\(kind) unpruned")
    for step in steps(m) { try model.pruneHeads(step) }
    XCTAssertEqual(model.headsPerLayer, [2, 3])
    let pruned = try noGrad { try logits(model) }.data
    assertClose(pruned, m.logits_pruned, tolerance: 1e-4, "\(kind) pruned")
    // A guard: the fixture's heads matter, so the comparison above could fail.
    let moved = zip(m.logits_pruned, m.logits_unpruned).map { abs($0 - $1) }.max()!
    XCTAssertGreaterThan(moved, 0.1)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("head-pruning-\(UUID())")
    defer { try? FileManager.default.removeItem(at: directory) }
    try model.save(to: directory)
    if let keep = ProcessInfo.processInfo.environment["HEAD_PRUNING_SAVE_TO"] {
      // For `python3 scripts/golden_head_pruning.py --check-kit DIR/<kind>`.
      let target = URL(fileURLWithPath: keep).appendingPathComponent(kind)
      try? FileManager.default.removeItem(at: target)
      try FileManager.default.createDirectory(
        at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      try FileManager.default.copyItem(at: directory, to: target)
    }
    let config =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: directory.appendingPathComponent("config.json"))) as! [String: Any]
    XCTAssertEqual(config["pruned_heads"] as? [String: [Int]], m.pruned_heads)
    let file = try SafetensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
    for (name, shape) in m.shapes {
      XCTAssertEqual(file.entries[name]?.shape, shape, name)
    }
    let reloaded = try M.fromPretrained(directory)
    reloaded.eval()
    XCTAssertEqual(reloaded.headsPerLayer, [2, 3])
    XCTAssertEqual(reloaded.prunedHeads, [0: [1, 3], 1: [2]])
    XCTAssertEqual(try noGrad { try logits(reloaded) }.data, pruned)
  }

  func testBertPruningMatchesTransformers() throws {
    let g = try golden()
    try check(BertForSequenceClassification.self, g.bert, g, kind: "bert") {
      try $0(inputIds: g.input_ids, attentionMask: g.attention_mask)
    }
  }

  func testRobertaPruningMatchesTransformers() throws {
    let g = try golden()
    try check(RobertaForSequenceClassification.self, g.roberta, g, kind: "roberta") {
      try $0(inputIds: g.input_ids, attentionMask: g.attention_mask)
    }
  }

  func testGPT2PruningMatchesTransformers() throws {
    let g = try golden()
    try check(GPT2ForSequenceClassification.self, g.gpt2, g, kind: "gpt2") {
      try $0(inputIds: g.input_ids, attentionMask: g.attention_mask)
    }
  }

  /// Pruning equals zeroing the heads' columns of the output projection (what masking did).
  func testRemovingAHeadEqualsMaskingIt() throws {
    let config = BertConfig.tiny(vocabSize: 30, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 4)
    let masked = BertForSequenceClassification(config, generator: Generator(seed: 3))
    let pruned = BertForSequenceClassification(config, generator: Generator(seed: 3))
    masked.eval()
    pruned.eval()
    let w = masked.bert.encoder.layer[0].attention.output.dense.weight
    for o in 0..<16 { for c in 4..<8 { w.data[o * 16 + c] = 0 } }  // head 1's columns
    try pruned.pruneHeads([0: [1]])
    XCTAssertEqual(pruned.bert.encoder.layer[0].attention.selfAttention.query.weight.shape, [12, 16])
    XCTAssertEqual(pruned.bert.encoder.layer[0].attention.output.dense.weight.shape, [16, 12])
    let ids = [[1, 5, 7, 2]]
    let a = try noGrad { try masked(inputIds: ids) }.data
    let b = try noGrad { try pruned(inputIds: ids) }.data
    assertClose(b, a, tolerance: 1e-5, "pruned vs masked")
    XCTAssertEqual(pruned.parameterCount(), masked.parameterCount() - 3 * (4 * 16 + 4) - 16 * 4)
  }

  func testBadRequestsAreRefusedAndChangeNothing() throws {
    let model = GPT2ForSequenceClassification(.tiny(vocabSize: 30, nEmbd: 16, nLayer: 2, nHead: 4))
    for (request, expected) in [
      ([2: [0]], "layer 2 does not exist"), ([0: [4]], "layer 0 has no head 4"),
      ([0: [-1]], "layer 0 has no head -1"), ([1: [0, 1, 2, 3]], "would leave it none"),
    ] {
      XCTAssertThrowsError(try model.pruneHeads(request)) {
        XCTAssertTrue("\($0)".contains(expected), "\($0)")
      }
    }
    try model.pruneHeads([1: [0, 1]])
    XCTAssertThrowsError(try model.pruneHeads([1: [2, 3]])) { XCTAssertTrue("\($0)".contains("none")) }
    XCTAssertEqual(model.headsPerLayer, [4, 2])
    try model.pruneHeads([1: [1]])  // already pruned: nothing to do, as in transformers
    XCTAssertEqual(model.headsPerLayer, [4, 2])
  }

  func testBadPrunedHeadsInConfigAreNamed() throws {
    for (value, expected) in [
      (#"{"5": [0]}"#, "\"5\" is not a layer"), (#"{"x": [0]}"#, "\"x\" is not a layer"),
      (#"{"0": [9]}"#, "head 9"), (#"{"0": [0, 1, 2, 3]}"#, "keep none"),
    ] {
      let json =
        #"{"vocab_size": 30, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4, "#
        + #""intermediate_size": 32, "pruned_heads": \#(value)}"#
      let config = try JSONDecoder().decode(BertConfig.self, from: Data(json.utf8))
      XCTAssertThrowsError(try config.validate()) {
        XCTAssertTrue("\($0)".contains("pruned_heads") && "\($0)".contains(expected), "\($0)")
      }
    }
  }

  /// A model built for loading (fills deferred) gets the same pruned weights as one built eagerly,
  /// so weights a pruned checkpoint lacks are initialised as usual, not left at zero.
  func testConfiguredPruningWorksWithDeferredInitialization() throws {
    var config = BertConfig.tiny(vocabSize: 30, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 4)
    config.prunedHeads = ["0": [1, 3], "1": [0]]
    let eager = BertModel(config, generator: Generator(seed: 5))
    let (deferred, recorder) = DeferredInitialization.record {
      BertModel(config, generator: Generator(seed: 5))
    }
    recorder.finish(loaded: [])
    XCTAssertEqual(eager.headsPerLayer, [2, 3])
    XCTAssertEqual(deferred.headsPerLayer, [2, 3])
    let a = Dictionary(uniqueKeysWithValues: eager.namedParameters().map { ($0.name, $0.tensor) })
    for (name, t) in deferred.namedParameters() {
      XCTAssertEqual(t.shape, a[name]?.shape, name)
      XCTAssertEqual(t.data, a[name]?.data, name)
    }
    let query = deferred.encoder.layer[0].attention.selfAttention.query.weight
    XCTAssertTrue(query.data.contains { $0 != 0 }, "drawn, not left at zero")
  }
}
