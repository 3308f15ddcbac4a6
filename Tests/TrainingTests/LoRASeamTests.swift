import ExerciseTesting
import Models
import TensorCore
import Training
import XCTest

/// LoRA as Lesson 8 will build it, through the module seams: a `Linear` subclass takes the
/// place of BERT's `query`/`value` and GPT-2's `c_attn` by name, adds B·A·x, and only it (and
/// the head) trains. The models declare every `Linear` `@Child var`, so any can be wrapped.
final class LoRASeamTests: XCTestCase {
  /// PEFT's `lora.Linear`: the wrapped layer's tensors (same names), plus `lora_A` (rank, in)
  /// and `lora_B` (out, rank), B zero so that the model starts unchanged.
  final class LoRALinear: Linear {
    let loraA: Linear
    let loraB: Linear
    let scaling: Float

    init(wrapping base: Linear, rank: Int, alpha: Float) {
      loraA = Linear(base.inFeatures, rank, bias: false, generator: Generator(seed: 11))
      loraB = Linear(rank, base.outFeatures, bias: false)
      loraB.weight.data = [Float](repeating: 0, count: loraB.weight.count)
      scaling = alpha / Float(rank)
      super.init(weight: base.weight, bias: base.bias)
    }

    override func parameterName(forProperty property: String) -> String {
      ["loraA": "lora_A", "loraB": "lora_B"][property] ?? property
    }

    override func callAsFunction(_ x: Tensor) -> Tensor {
      super.callAsFunction(x) + loraB(loraA(x)) * scaling
    }
  }

  /// Freezes `model`, wraps the layers whose path ends in one of `targets`, and unfreezes the
  /// head (PEFT's `modules_to_save` for sequence classification). Returns the wrapped paths.
  func addLoRA(to model: Module, targets: [String], head: String) throws -> [String] {
    model.freeze()
    let replaced = try model.replaceModules { path, module in
      guard targets.contains(where: { path.hasSuffix("." + $0) }), let linear = module as? Linear else {
        return nil
      }
      return LoRALinear(wrapping: linear, rank: 2, alpha: 4)
    }
    model.unfreeze { $0.contains(".lora_") || $0.hasPrefix(head + ".") }
    return replaced
  }

  func skipUnlessModelsCanRun() throws {
    try skipUnlessExercisesDone {
      let x = Tensor(zeros: [1, 2, 4])
      _ = splitHeads(x, heads: 2)
      _ = scaledDotProductAttention(query: x, key: x, value: x)
      _ = causalMask(2)
      _ = isDecayed(parameterName: "bias", in: Linear(1, 1))
    }
  }

  func testLoRAOnBertQueryAndValue() throws {
    try skipUnlessModelsCanRun()
    var config = BertConfig.tiny(
      vocabSize: 20, hiddenSize: 8, numHiddenLayers: 2, intermediateSize: 16, maxPositionEmbeddings: 12)
    (config.hiddenDropoutProb, config.attentionProbsDropoutProb) = (0, 0)
    let model = BertForSequenceClassification(config, generator: Generator(seed: 1))
    let ids = [[2, 5, 7, 3], [2, 9, 3, 0]]
    let mask = [[1, 1, 1, 1], [1, 1, 1, 0]]
    let before = try model(inputIds: ids, attentionMask: mask).data
    let total = model.parameterCount()

    let replaced = try addLoRA(to: model, targets: ["query", "value"], head: "classifier")
    XCTAssertEqual(
      replaced,
      (0..<2).flatMap { i in ["query", "value"].map { "bert.encoder.layer.\(i).attention.self.\($0)" } })
    let names = model.namedParameters().map(\.name)
    XCTAssertTrue(names.contains("bert.encoder.layer.1.attention.self.value.lora_B.weight"))
    XCTAssertTrue(names.contains("bert.encoder.layer.0.attention.self.query.weight"), "base names unchanged")
    let unchanged = try model(inputIds: ids, attentionMask: mask).data
    XCTAssertEqual(unchanged, before, "B = 0: the wrapped model computes what it did")

    // 4 adapters × (A: 2·8 + B: 8·2) + the classifier (8·2 + 2).
    XCTAssertEqual(total, 1_578)
    XCTAssertEqual(
      model.trainableParametersSummary(), "trainable params: 146 || all params: 1,706 || trainable%: 8.5580")

    let adam = makeAdamW(model, learningRate: 0.01, weightDecay: 0.01)
    XCTAssertEqual(adam.groups.flatMap(\.parameters).count, 4 * 2 + 2, "adapters and head only")
    let logits = try model(inputIds: ids, attentionMask: mask)
    classificationLoss(logits: logits, labels: [0, 1]).backward()
    for (name, p) in model.namedParameters() {
      XCTAssertEqual(p.grad != nil, p.requiresGrad, name)
    }
    adam.step()
    XCTAssertNotEqual(try model(inputIds: ids, attentionMask: mask).data, before, "the adapters learn")
  }

  func testLoRAOnGPT2CAttn() throws {
    try skipUnlessModelsCanRun()
    var config = GPT2Config.tiny(vocabSize: 20, nPositions: 12, nEmbd: 8, nLayer: 2, nInner: 16)
    (config.residPdrop, config.embdPdrop, config.attnPdrop) = (0, 0, 0)
    let model = GPT2ForSequenceClassification(config, generator: Generator(seed: 2))
    let replaced = try addLoRA(to: model, targets: ["c_attn"], head: "score")
    XCTAssertEqual(replaced, ["transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"])
    XCTAssertTrue(model.namedParameters().contains { $0.name == "transformer.h.0.attn.c_attn.lora_A.weight" })
    // 2 adapters × (A: 2·8 + B: 24·2) + score (8·2, no bias).
    XCTAssertEqual(model.parameterCount(trainableOnly: true), 2 * 64 + 16)
    let logits = try model(inputIds: [[1, 4, 6]])
    classificationLoss(logits: logits, labels: [1]).backward()
    for (name, p) in model.namedParameters() {
      XCTAssertEqual(p.grad != nil, p.requiresGrad, name)
    }
  }
}
