import XCTest

@testable import TensorCore

/// Replaceable children (`@Child`), buffers (`@Buffer`), dictionaries of modules, and the
/// trainable-parameter summary.
final class ModuleSlotsTests: XCTestCase {
  /// A LoRA-style layer: the wrapped layer's own tensors plus a low-rank update B·A·x.
  final class LowRankLinear: Linear {
    let loraA: Linear  // (rank, in)
    let loraB: Linear  // (out, rank)

    init(wrapping base: Linear, rank: Int) {
      loraA = Linear(base.inFeatures, rank, bias: false, generator: Generator(seed: 7))
      loraB = Linear(rank, base.outFeatures, bias: false, generator: Generator(seed: 8))
      super.init(weight: base.weight, bias: base.bias)
    }

    override func parameterName(forProperty property: String) -> String {
      ["loraA": "lora_A", "loraB": "lora_B"][property] ?? property
    }

    override func callAsFunction(_ x: Tensor) -> Tensor { super.callAsFunction(x) + loraB(loraA(x)) }
  }

  final class Attention: Module {
    @Child var query = Linear(4, 4, generator: Generator(seed: 1))
    @Child var value = Linear(4, 4, generator: Generator(seed: 2))
    let key = Linear(4, 4)

    func callAsFunction(_ x: Tensor) -> Tensor { query(x) + value(x) }
  }

  final class Block: Module {
    @Child var selfAttention = Attention()
    @Buffer var positionIds = Tensor([0, 1, 2], shape: [3])
    @Buffer var mask: Tensor

    // A non-persistent buffer made in `init` is stored as its box.
    override init() { _mask = Buffer(wrappedValue: Tensor(zeros: [2, 2]), persistent: false) }

    override func parameterName(forProperty property: String) -> String {
      property == "selfAttention" ? "self" : property
    }
  }

  func testAChildIsNamedLikeAPlainProperty() {
    let block = Block()
    XCTAssertEqual(
      block.namedParameters().map(\.name),
      [
        "self.query.weight", "self.query.bias", "self.value.weight", "self.value.bias", "self.key.weight",
        "self.key.bias",
      ])
    XCTAssertTrue(block.parameters()[0] === block.selfAttention.query.weight)
    XCTAssertEqual(block.namedModules().map(\.name), ["", "self", "self.query", "self.value", "self.key"])
  }

  func testWrappingByNameChangesTheForwardAndTrainsOnlyTheWrapper() throws {
    let block = Block()
    let x = Tensor.randn([3, 4], generator: Generator(seed: 3))
    let before = block.selfAttention(x).data
    block.freeze()
    let base = block.selfAttention.query
    try block.replaceModule(at: "self.query", with: LowRankLinear(wrapping: base, rank: 2))
    let lora = try XCTUnwrap(block.selfAttention.query as? LowRankLinear)
    XCTAssertTrue(lora.weight === base.weight, "the wrapper keeps the wrapped layer's tensors")
    XCTAssertEqual(
      block.namedParameters().map(\.name).prefix(4),
      ["self.query.weight", "self.query.bias", "self.query.lora_A.weight", "self.query.lora_B.weight"])

    // The forward gains exactly B·A·x.
    let delta = x.matmul(lora.loraA.weight.transpose(0, 1)).matmul(lora.loraB.weight.transpose(0, 1))
    let expected = zip(before, delta.data).map { $0 + $1 }
    let y = block.selfAttention(x)
    XCTAssertEqual(y.data.count, expected.count)
    for (a, b) in zip(y.data, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    XCTAssertGreaterThan(delta.data.map(abs).max()!, 0.01, "the update is not zero, so the test can fail")

    y.sum().backward()
    XCTAssertNil(base.weight.grad, "the frozen base gets no gradient")
    XCTAssertNil(base.bias?.grad)
    XCTAssertNil(block.selfAttention.value.weight.grad)
    XCTAssertNotNil(lora.loraA.weight.grad)
    XCTAssertNotNil(lora.loraB.weight.grad)
    XCTAssertEqual(block.parameterCount(trainableOnly: true), 2 * 4 + 4 * 2)
  }

  func testReplaceModulesDoesNotOfferTheNewModules() throws {
    let block = Block()
    // Would throw if it reached a wrapper's `let loraA`, or `key` (a `let`) were offered a wrapper.
    let replaced = try block.replaceModules { path, module in
      guard !path.hasSuffix("key"), let linear = module as? Linear else { return nil }
      return LowRankLinear(wrapping: linear, rank: 1)
    }
    XCTAssertEqual(replaced, ["self.query", "self.value"])
    XCTAssertTrue(block.selfAttention.value is LowRankLinear)
    XCTAssertEqual(block.namedModules().count, 1 + 1 + 3 + 2 * 2)
  }

  func testReplacementErrorsNameThePath() {
    let block = Block()
    func message(_ body: () throws -> Void) -> String {
      do { try body() } catch { return "\(error)" }
      return "no error"
    }
    let missing = message { try block.replaceModule(at: "self.qury", with: Linear(4, 4)) }
    XCTAssertTrue(missing.contains("no submodule \"self.qury\""), missing)
    let fixed = message { try block.replaceModule(at: "self.key", with: Linear(4, 4)) }
    XCTAssertTrue(fixed.contains("\"self.key\"") && fixed.contains("@Child var"), fixed)
    let wrongType = message { try block.replaceModule(at: "self.query", with: LayerNorm(4)) }
    XCTAssertTrue(wrongType.contains("\"self.query\" holds a Linear; a LayerNorm"), wrongType)
    let viaTransform = message {
      try block.replaceModules { path, _ in path == "self.key" ? Linear(4, 4) : nil }
    }
    XCTAssertTrue(viaTransform.contains("\"self.key\""), viaTransform)
    XCTAssertFalse(block.selfAttention.query is LowRankLinear, "nothing was replaced")
  }

  func testBuffersAreSavedButNeverTrained() {
    let block = Block()
    XCTAssertEqual(block.namedBuffers().map(\.name), ["positionIds", "mask"])
    XCTAssertFalse(block.namedParameters().contains { $0.name == "positionIds" })
    XCTAssertEqual(block.parameterCount(), 3 * (16 + 4))
    let state = block.stateDict()
    XCTAssertEqual(state.map(\.name), block.namedParameters().map(\.name) + ["positionIds"], "not the mask")
    XCTAssertTrue(state.last!.tensor === block.positionIds)
    block.positionIds = Tensor([5, 6, 7], shape: [3])
    XCTAssertEqual(block.stateDict().last!.tensor.data, [5, 6, 7], "assignment goes into the box")
  }

  final class Adapters: Module {
    var loraA: [String: Linear] = [:]
    let scales: [String: Tensor] = ["b": Tensor([2], shape: [1]), "a": Tensor([1], shape: [1])]
    let numbers: [Int: Linear] = [1: Linear(1, 1)]
    let tied: Tied

    struct Tied { let tensor: Tensor }

    init(shared: Tensor) {
      tied = Tied(tensor: shared)
    }
  }

  func testDictionariesAreWalkedInKeyOrderAndStructsAreInvisible() {
    let adapters = Adapters(shared: Tensor(zeros: [3], requiresGrad: true))
    for name in ["zeta", "default", "alpha"] { adapters.loraA[name] = Linear(2, 2, bias: false) }
    XCTAssertEqual(
      adapters.namedParameters().map(\.name),
      ["loraA.alpha.weight", "loraA.default.weight", "loraA.zeta.weight", "scales.a", "scales.b"])
    XCTAssertTrue(adapters.namedModules().contains { $0.name == "loraA.default" })
  }

  func testOwnParametersOnly() {
    let block = Block()
    XCTAssertEqual(block.namedParameters(recurse: false).count, 0)
    XCTAssertEqual(
      block.selfAttention.query.namedParameters(recurse: false).map(\.name), ["weight", "bias"])
  }

  func testTrainableParametersSummaryInPEFTsFormat() {
    // PEFT's f-string on counts from lessons-6-8-anchors.md §1.1 (BERT-base and GPT-2 with LoRA r=8).
    XCTAssertEqual(
      trainableParametersLine(trainable: 296_450, all: 109_780_228),
      "trainable params: 296,450 || all params: 109,780,228 || trainable%: 0.2700")
    XCTAssertEqual(
      trainableParametersLine(trainable: 294_912, all: 124_734_720),
      "trainable params: 294,912 || all params: 124,734,720 || trainable%: 0.2364")
    XCTAssertEqual(
      trainableParametersLine(trainable: 1_234, all: 5_678),
      "trainable params: 1,234 || all params: 5,678 || trainable%: 21.7330")
    XCTAssertEqual(
      trainableParametersLine(trainable: 0, all: 0),
      "trainable params: 0 || all params: 0 || trainable%: 0.0000")
    let block = Block()
    block.freeze { !$0.hasPrefix("self.query") }
    XCTAssertEqual(
      block.trainableParametersSummary(), "trainable params: 20 || all params: 60 || trainable%: 33.3333")
  }
}
