import XCTest

@testable import TensorCore

/// Named parameters, freezing, training/evaluation modes, the layers and their initialisation.
final class ModuleTests: XCTestCase {
  final class Attention: Module {
    let query = Linear(4, 4)
    let missing: Linear? = nil
    let present: Linear? = Linear(4, 2, bias: false)
  }

  final class Block: Module {
    let selfAttention = Attention()
    let norm = LayerNorm(4)
    let drop = Dropout(0.1)
    let notAParameter: Float = 3

    override func parameterName(forProperty property: String) -> String {
      property == "selfAttention" ? "self" : property
    }
  }

  final class Model: Module {
    let embedding = Embedding(10, 4)
    let layer = [Block(), Block()]
    let head = Linear(4, 2, bias: false)
  }

  class Base: Module {
    let first = Tensor(zeros: [2], requiresGrad: true)
  }

  final class Derived: Base {
    let second = Tensor(zeros: [3], requiresGrad: true)
    var alias: Tensor?  // the first tensor again, under a second name (tied weights)

    override init() {
      super.init()
      alias = first
    }
  }

  func testNamesFollowTheTreeInDeclarationOrder() {
    let model = Model()
    let names = model.namedParameters().map(\.name)
    XCTAssertEqual(
      names,
      [
        "embedding.weight",
        "layer.0.self.query.weight", "layer.0.self.query.bias", "layer.0.self.present.weight",
        "layer.0.norm.weight", "layer.0.norm.bias",
        "layer.1.self.query.weight", "layer.1.self.query.bias", "layer.1.self.present.weight",
        "layer.1.norm.weight", "layer.1.norm.bias",
        "head.weight",
      ])
    XCTAssertTrue(model.parameters()[1] === model.layer[0].selfAttention.query.weight)
    XCTAssertTrue(model.parameters().last! === model.head.weight)
    let modules = model.namedModules().map(\.name)
    XCTAssertEqual(modules.first, "")
    XCTAssertTrue(modules.contains("layer.1.self.present"))
    XCTAssertTrue(modules.contains("layer.0.drop"))
    XCTAssertFalse(modules.contains("layer.0.self.missing"), "a nil optional is skipped")
    XCTAssertEqual(modules.count, 1 + 1 + 2 * 6 + 1)
  }

  func testSuperclassPropertiesComeFirstAndSharedTensorsOnce() {
    let derived = Derived()
    XCTAssertEqual(derived.namedParameters().map(\.name), ["first", "second"])
    XCTAssertEqual(derived.parameterCount(), 5)
  }

  func testCountsAndFreezing() {
    let model = Model()
    let block = 20 + 8 + 8  // query weight and bias, present weight, norm weight and bias
    XCTAssertEqual(model.parameterCount(), 40 + 2 * block + 8)
    XCTAssertEqual(model.parameterCount(trainableOnly: true), model.parameterCount())
    model.freeze { $0.hasPrefix("embedding") || $0.contains("norm") }
    XCTAssertFalse(model.embedding.weight.requiresGrad)
    XCTAssertFalse(model.layer[1].norm.bias.requiresGrad)
    XCTAssertTrue(model.head.weight.requiresGrad)
    XCTAssertEqual(model.parameterCount(trainableOnly: true), 2 * (20 + 8) + 8)
    XCTAssertEqual(model.parameterCount(), 40 + 2 * block + 8, "frozen parameters still count")
    model.unfreeze { $0.hasPrefix("embedding") }
    XCTAssertTrue(model.embedding.weight.requiresGrad)
    XCTAssertFalse(model.layer[0].norm.weight.requiresGrad)
    model.unfreeze()
    XCTAssertEqual(model.parameterCount(trainableOnly: true), model.parameterCount())
    model.freeze()
    XCTAssertEqual(model.parameterCount(trainableOnly: true), 0)
  }

  func testFrozenParametersGetNoGradient() {
    let layer = Linear(3, 2)
    layer.freeze { $0 == "weight" }
    linear(Tensor.randn([4, 3]), weight: layer.weight, bias: layer.bias).sum().backward()
    XCTAssertNil(layer.weight.grad)
    XCTAssertEqual(layer.bias?.grad?.data, [4, 4])
  }

  func testTrainAndEvalReachEverySubmodule() {
    let model = Model()
    XCTAssertTrue(model.training)
    model.eval()
    XCTAssertTrue(model.namedModules().allSatisfy { !$0.module.training })
    XCTAssertFalse(model.layer[1].drop.training)
    let x = Tensor.randn([2, 4])
    XCTAssertTrue(model.layer[0].drop(x) === x, "dropout is the identity in evaluation mode")
    model.train()
    XCTAssertTrue(model.namedModules().allSatisfy { $0.module.training })
    XCTAssertFalse(model.layer[0].drop(x) === x)
    model.layer[0].eval()
    XCTAssertFalse(model.layer[0].selfAttention.query.training)
    XCTAssertTrue(model.layer[1].selfAttention.query.training, "only that subtree")
    XCTAssertTrue(model.training)
  }

  func testLinearLayer() {
    let layer = Linear(16, 8, generator: Generator(seed: 1))
    XCTAssertEqual(layer.weight.shape, [8, 16])
    XCTAssertEqual(layer.bias?.shape, [8])
    XCTAssertTrue(layer.weight.data.allSatisfy { abs($0) <= 0.25 }, "PyTorch: U(±1/√in)")
    XCTAssertTrue(layer.bias!.data.allSatisfy { abs($0) <= 0.25 })
    XCTAssertGreaterThan(layer.weight.data.map { abs($0) }.max()!, 0.2, "and it fills the range")
    XCTAssertTrue(layer.weight.requiresGrad && layer.bias!.requiresGrad)
    XCTAssertEqual(
      layer.weight.data, Linear(16, 8, generator: Generator(seed: 1)).weight.data,
      "same seed, same layer")
    XCTAssertNil(Linear(3, 2, bias: false).bias)
    let x = Tensor.randn([5, 16])
    let expected = x.matmul(layer.weight.transpose(0, 1)) + layer.bias!
    assertClose(layer(x).data, expected.data, tolerance: 1e-5)
  }

  func testEmbeddingLayerNormAndDropoutLayers() {
    let embedding = Embedding(10, 3, std: 0.02, generator: Generator(seed: 2))
    XCTAssertEqual(embedding.weight.shape, [10, 3])
    XCTAssertTrue(embedding.weight.data.allSatisfy { abs($0) < 0.2 })
    XCTAssertEqual(embedding([4, 4], shape: [1, 2]).shape, [1, 2, 3])
    XCTAssertEqual(embedding([7]).data, Array(embedding.weight.data[21..<24]))
    let norm = LayerNorm(3)
    XCTAssertEqual(norm.weight.data, [1, 1, 1])
    XCTAssertEqual(norm.bias.data, [0, 0, 0])
    XCTAssertEqual(norm.eps, 1e-5)
    XCTAssertTrue(norm.weight.requiresGrad && norm.bias.requiresGrad)
    let dropout = Dropout(0.5, generator: Generator(seed: 3))
    let x = Tensor(repeating: 1, shape: [100])
    XCTAssertTrue(Set(dropout(x).data).isSubset(of: [0, 2]))
    dropout.eval()
    XCTAssertTrue(dropout(x) === x)
  }
}
