import XCTest

@testable import TensorCore

/// AdamW against PyTorch (golden values from scripts/golden_adamw.py), and optimizer plumbing.
final class AdamWTests: XCTestCase {
  func run(_ optimizer: (Tensor) -> Optimizer, expected: [[Float]]) {
    let p = Tensor(adamWInitial, shape: [2, 3], requiresGrad: true)
    let adam = optimizer(p)
    for (step, g) in adamWGradients.enumerated() {
      p.grad = Tensor(g, shape: [2, 3])
      adam.step()
      assertClose(p.data, expected[step], tolerance: 2e-6)
    }
  }

  func testMatchesPyTorchWithDefaults() {
    run({ AdamW([$0]) }, expected: adamW_pytorchDefaults)
  }

  func testMatchesPyTorchWithCustomSettingsInAGroup() {
    run(
      {
        AdamW(
          groups: [ParameterGroup([$0], learningRate: 0.1, weightDecay: 0.5)], betas: (0.8, 0.99), eps: 1e-6)
      },
      expected: adamW_custom)
  }

  func testGroupsZeroGradAndLearningRate() {
    let a = Tensor([1], requiresGrad: true)
    let b = Tensor([1], requiresGrad: true)
    let frozen = Tensor([1], requiresGrad: true)
    let adam = AdamW(
      groups: [ParameterGroup([a], learningRate: 0.1), ParameterGroup([b, frozen], learningRate: 0.01)])
    a.grad = Tensor([1])
    b.grad = Tensor([1])
    adam.step()
    XCTAssertEqual(a.data[0], 0.9, accuracy: 1e-5, "first Adam step moves by about lr")
    XCTAssertEqual(b.data[0], 0.99, accuracy: 1e-5)
    XCTAssertEqual(frozen.data, [1], "no gradient, no step")
    adam.zeroGrad()
    XCTAssertNil(a.grad)
    adam.learningRate = 0.5
    XCTAssertEqual(adam.groups.map(\.learningRate), [0.5, 0.5])
  }
}

/// The graph: accumulation, no-grad mode, detach, shared subexpressions.
final class AutodiffTests: XCTestCase {
  func testLeafGradientsAccumulate() {
    let x = Tensor([2], requiresGrad: true)
    (x * x).sum().backward()
    (x * x).sum().backward()
    XCTAssertEqual(x.grad?.data, [8])
  }

  func testDiamondSumsBothPaths() {
    let x = Tensor([3], requiresGrad: true)
    let y = x * 2
    (y * y + y).sum().backward()  // d/dx (4x² + 2x) = 8x + 2
    XCTAssertEqual(x.grad?.data, [26])
  }

  func testNoGradAndDetach() {
    let x = Tensor([1, 2], requiresGrad: true)
    let y = noGrad { x * 3 }
    XCTAssertFalse(y.requiresGrad)
    XCTAssertTrue(y.parents.isEmpty)
    XCTAssertFalse(x.detached().requiresGrad)
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
  }
}

/// The seeded generator.
final class RandomTests: XCTestCase {
  func testSameSeedSameNumbers() {
    let a = Generator(seed: 5)
    let b = Generator(seed: 5)
    XCTAssertEqual((0..<10).map { _ in a.next() }, (0..<10).map { _ in b.next() })
    XCTAssertNotEqual(Generator(seed: 5).next(), Generator(seed: 6).next())
    var buffer = [Float](repeating: 0, count: 5)
    let c = Generator(seed: 9)
    buffer.withUnsafeMutableBufferPointer { c.fillUniform($0) }
    let d = Generator(seed: 9)
    XCTAssertEqual(buffer, (0..<5).map { _ in d.uniform() }, "bulk and one-by-one draws agree")
  }

  func testDistributions() {
    let g = Generator(seed: 1)
    let uniform = (0..<100_000).map { _ in g.uniform() }
    XCTAssertTrue(uniform.allSatisfy { $0 >= 0 && $0 < 1 })
    let normal = (0..<100_000).map { _ in Double(g.normal()) }
    let mean = normal.reduce(0, +) / Double(normal.count)
    let std = (normal.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(normal.count)).squareRoot()
    XCTAssertEqual(mean, 0, accuracy: 0.02)
    XCTAssertEqual(std, 1, accuracy: 0.02)
    XCTAssertTrue((0..<1000).map { _ in g.int(below: 7) }.allSatisfy { (0..<7).contains($0) })
    XCTAssertEqual(g.shuffled(Array(0..<50)).sorted(), Array(0..<50))
  }

  func testManualSeedResetsTheDefaultGenerator() {
    manualSeed(123)
    let first = Tensor.randn([4]).data
    manualSeed(123)
    XCTAssertEqual(Tensor.randn([4]).data, first)
  }
}

/// Named parameters, freezing, modes, layer initialisation.
final class ModuleTests: XCTestCase {
  final class Attention: Module {
    let query = Linear(4, 4)
    let missing: Linear? = nil
  }

  final class Block: Module {
    let selfAttention = Attention()
    let norm = LayerNorm(4)
    let drop = Dropout(0.1)

    override func parameterName(forProperty property: String) -> String {
      property == "selfAttention" ? "self" : property
    }
  }

  final class Model: Module {
    let embedding = Embedding(10, 4)
    let layer = [Block(), Block()]
    let head = Linear(4, 2, bias: false)
  }

  func testNamesFollowTheTreeInDeclarationOrder() {
    let names = Model().namedParameters().map(\.name)
    XCTAssertEqual(
      names,
      [
        "embedding.weight", "layer.0.self.query.weight", "layer.0.self.query.bias", "layer.0.norm.weight",
        "layer.0.norm.bias", "layer.1.self.query.weight", "layer.1.self.query.bias", "layer.1.norm.weight",
        "layer.1.norm.bias", "head.weight",
      ])
  }

  func testCountsFreezingAndModes() {
    let model = Model()
    XCTAssertEqual(model.parameterCount(), 40 + 2 * (20 + 8) + 8)
    model.freeze { $0.hasPrefix("embedding") || $0.contains("norm") }
    XCTAssertEqual(model.parameterCount(trainableOnly: true), 2 * 20 + 8)
    model.unfreeze()
    XCTAssertEqual(model.parameterCount(trainableOnly: true), model.parameterCount())
    model.eval()
    XCTAssertFalse(model.layer[1].drop.training)
    let x = Tensor.randn([2, 4])
    XCTAssertTrue(model.layer[0].drop(x) === x, "dropout is the identity in evaluation mode")
    model.train()
    XCTAssertTrue(model.layer[1].drop.training)
  }

  func testLayerInitialisation() {
    let layer = Linear(16, 8)
    XCTAssertTrue(layer.weight.data.allSatisfy { abs($0) <= 0.25 }, "PyTorch: U(±1/√in)")
    XCTAssertEqual(layer.weight.shape, [8, 16])
    let norm = LayerNorm(3)
    XCTAssertEqual(norm.weight.data, [1, 1, 1])
    XCTAssertEqual(norm.bias.data, [0, 0, 0])
  }
}
