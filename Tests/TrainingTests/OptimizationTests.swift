import ExerciseTesting
import Models
import TensorCore
import Training
import XCTest

/// makeAdamW's groups: weight decay decided by layer type, frozen parameters left out.
final class OptimizationTests: XCTestCase {
  /// The groups come from exercise 5.2: in the student edition these tests wait for it.
  func skipUnlessDecayExerciseDone() throws {
    try skipUnlessExercisesDone { _ = isDecayed(parameterName: "bias", in: Linear(1, 1)) }
  }

  static func bert() -> BertForSequenceClassification {
    var config = BertConfig()
    (config.vocabSize, config.hiddenSize, config.numHiddenLayers) = (20, 8, 2)
    (config.numAttentionHeads, config.intermediateSize, config.maxPositionEmbeddings) = (2, 16, 12)
    return BertForSequenceClassification(config)
  }

  static func gpt2() -> GPT2ForSequenceClassification {
    var config = GPT2Config()
    (config.vocabSize, config.nPositions, config.nEmbd, config.nLayer, config.nHead) = (20, 12, 8, 2, 2)
    config.nInner = 16
    return GPT2ForSequenceClassification(config)
  }

  static func bertForMaskedLM() -> BertForMaskedLM {
    var config = BertConfig()
    (config.vocabSize, config.hiddenSize, config.numHiddenLayers) = (20, 8, 1)
    (config.numAttentionHeads, config.intermediateSize, config.maxPositionEmbeddings) = (2, 16, 12)
    return BertForMaskedLM(config)
  }

  /// The rule by name that the kit used before deciding by layer type (and that the course's
  /// lesson 5 numbers were made with): the groups must be the same sets.
  func decayedByName(_ name: String) -> Bool {
    let parts = name.split(separator: ".")
    if parts.last == "bias" { return false }
    return !parts.contains { $0.contains("LayerNorm") || $0.hasPrefix("ln_") }
  }

  func testDecayGroupsAreTheSameSetsAsTheNameRule() throws {
    try skipUnlessDecayExerciseDone()
    for model in [Self.bert(), Self.gpt2(), Self.bertForMaskedLM()] as [Module] {
      let names = model.namedParameters().map(\.name)
      let expected = names.filter(decayedByName)
      XCTAssertEqual(decayParameterNames(model), expected, "\(type(of: model))")
      XCTAssertGreaterThan(expected.count, 4)
      XCTAssertLessThan(expected.count, names.count)
      let adam = makeAdamW(model, learningRate: 1e-3, weightDecay: 0.01)
      XCTAssertEqual(adam.groups.map(\.weightDecay), [0.01, 0])
      let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($1.id, $0) })
      XCTAssertEqual(adam.groups[0].parameters.map { parameters[$0.id]! }, expected)
      XCTAssertEqual(
        adam.groups[1].parameters.map { parameters[$0.id]! }, names.filter { !decayedByName($0) })
    }
  }

  func testFrozenParametersAreLeftOutAndGetNoState() throws {
    try skipUnlessDecayExerciseDone()
    let model = Self.bert()
    model.freeze { !$0.hasPrefix("classifier") }
    let frozen = model.parameters().filter { !$0.requiresGrad }
    let before = frozen.map(\.data)
    let adam = makeAdamW(model, learningRate: 0.1, weightDecay: 0.5)
    XCTAssertEqual(adam.groups.map(\.parameters.count), [1, 1], "classifier.weight; classifier.bias")
    XCTAssertTrue(adam.groups[0].parameters[0] === model.classifier.weight)
    for p in model.parameters() { p.grad = Tensor(repeating: 1, shape: p.shape) }  // even a stale gradient
    adam.step()
    XCTAssertEqual(adam.parameterStates.count, 2)
    XCTAssertTrue(adam.parameterStates.allSatisfy { $0 != nil })
    XCTAssertEqual(frozen.map(\.data), before, "no step and no decay for the frozen trunk")
    XCTAssertEqual(
      model.trainableParametersSummary(), "trainable params: 18 || all params: 1,578 || trainable%: 1.1407")
  }
}

extension Tensor {
  fileprivate var id: ObjectIdentifier { ObjectIdentifier(self) }
}
