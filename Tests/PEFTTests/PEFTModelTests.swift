import ExerciseTesting
import Foundation
import Models
import PEFT
import TensorCore
import Training
import XCTest

/// getPeftModel on small random classifiers: what is frozen, what trains, what is saved.
final class PEFTModelTests: XCTestCase {
  override func setUpWithError() throws { try skipUnlessPEFTExercisesDone() }

  let ids = [[2, 7, 9, 11, 3, 0], [2, 5, 6, 8, 10, 3]]
  let mask = [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]]

  func bert(seed: UInt64 = 1) -> BertForSequenceClassification {
    var config = BertConfig(
      vocabSize: 40, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32,
      maxPositionEmbeddings: 24)
    config.numLabels = 2
    let model = BertForSequenceClassification(config, generator: Generator(seed: seed))
    model.eval()
    return model
  }

  func testLoRAWithBZeroEqualsTheBaseModel() throws {
    let model = bert()
    let before = try noGrad { try model.logits(inputIds: ids, attentionMask: mask) }.data
    let peft = try getPeftModel(model, .lora(LoraConfig()))
    let after = try noGrad { try peft.logits(inputIds: ids, attentionMask: mask) }.data
    XCTAssertEqual(before, after)
    XCTAssertEqual(peft.targetedModules.count, 4, "query and value of 2 layers")
    XCTAssertTrue(peft.targetedModules.allSatisfy { $0.hasSuffix(".query") || $0.hasSuffix(".value") })
  }

  func testOnlyTheAdapterAndTheHeadTrain() throws {
    let peft = try getPeftModel(bert(), .lora(LoraConfig(r: 2, loraAlpha: 4)), generator: Generator(seed: 3))
    let before = Dictionary(uniqueKeysWithValues: peft.namedParameters().map { ($0.name, $0.tensor.data) })
    let optimizer = makeAdamW(peft, learningRate: 0.05, weightDecay: 0.01)
    peft.train()
    for _ in 0..<2 {
      optimizer.zeroGrad()
      let loss = classificationLoss(
        logits: try peft.logits(inputIds: ids, attentionMask: mask), labels: [0, 1])
      loss.backward()
      optimizer.step()
    }
    for (name, tensor) in peft.namedParameters() {
      let adapter = name.contains(".lora_A.") || name.contains(".lora_B.") || name.contains(".classifier.")
      if adapter {
        XCTAssertNotEqual(tensor.data, before[name], "\(name) should train")
      } else {
        XCTAssertEqual(tensor.data, before[name], "\(name) should stay frozen")
      }
    }
    // 2 layers × (query, value) × (r·in + out·r) + the head (2·16 + 2).
    XCTAssertEqual(peft.parameterCount(trainableOnly: true), 2 * 2 * (2 * 16 + 16 * 2) + 34)
    XCTAssertTrue(peft.trainableParametersSummary().hasPrefix("trainable params: 290 || all params: "))
  }

  func testATargetThatMatchesNothingIsAnError() {
    XCTAssertThrowsError(try getPeftModel(bert(), .lora(LoraConfig(targetModules: ["query", "q_proj"])))) {
      error in
      XCTAssertTrue("\(error)".contains("\"q_proj\" matches no Linear layer"), "\(error)")
    }
    XCTAssertThrowsError(try getPeftModel(bert(), .lora(LoraConfig(r: 0))))
    XCTAssertThrowsError(try getPeftModel(bert(), .lora(LoraConfig(bias: "some"))))
  }

  func testPrefixTuningTrainsOnlyThePrefixesAndTheHeadAndRoundTrips() throws {
    for projection in [false, true] {
      let peft = try getPeftModel(
        bert(), .prefixTuning(PrefixTuningConfig(numVirtualTokens: 4, prefixProjection: projection)),
        generator: Generator(seed: 5))
      let prefixParameters = peft.namedParameters().filter { $0.name.hasPrefix("prompt_encoder.") }
      XCTAssertTrue(prefixParameters.allSatisfy(\.tensor.requiresGrad))
      let trainable = peft.parameterCount(trainableOnly: true)
      XCTAssertEqual(trainable, prefixParameters.map(\.tensor.count).reduce(0, +) + 34)
      if !projection { XCTAssertEqual(trainable - 34, 4 * 2 * 2 * 16, "n · layers · 2 · hidden") }
      let logits = try noGrad { try peft.logits(inputIds: ids, attentionMask: mask) }
      XCTAssertEqual(logits.shape, [2, 2])
      let out = FileManager.default.temporaryDirectory.appendingPathComponent("peft-prefix-\(projection)")
      try? FileManager.default.removeItem(at: out)
      peft.baseModelNameOrPath = "somewhere"
      try peft.savePretrained(out)
      let loaded = try PeftModel.fromPretrained(bert(), out)
      loaded.eval()
      let again = try noGrad { try loaded.logits(inputIds: ids, attentionMask: mask) }
      for (a, b) in zip(again.data, logits.data) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }
  }

  func testPromptTuningPrependsVirtualTokens() throws {
    let model = bert()
    let peft = try getPeftModel(model, .promptTuning(PromptTuningConfig(numVirtualTokens: 5)))
    XCTAssertEqual(peft.parameterCount(trainableOnly: true), 5 * 16 + 34)
    XCTAssertEqual(peft.promptEncoder?.prompts(batch: 2).shape, [2, 5, 16])
    let logits = try noGrad { try peft.logits(inputIds: ids, attentionMask: mask) }
    XCTAssertEqual(logits.shape, [2, 2])
    XCTAssertThrowsError(
      try getPeftModel(bert(), .promptTuning(PromptTuningConfig(numVirtualTokens: 20))).logits(
        inputIds: ids, attentionMask: mask), "20 virtual + 6 tokens exceed 24 positions")
  }

  func testBadAdapterDirectoriesSaySo() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("peft-bad-adapter")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    XCTAssertThrowsError(try PeftModel.fromPretrained(bert(), dir)) {
      XCTAssertTrue("\($0)".contains("adapter_config.json"))
    }
    try Data(#"{"peft_type": "IA3", "task_type": "SEQ_CLS"}"#.utf8).write(
      to: dir.appendingPathComponent(adapterConfigName))
    XCTAssertThrowsError(try PeftModel.fromPretrained(bert(), dir)) {
      XCTAssertTrue("\($0)".contains("\"IA3\" is not supported"))
    }
    // PEFT's json.load would use the second "r".
    try Data(#"{"peft_type": "LORA", "r": 4, "r": 8, "target_modules": ["query"]}"#.utf8).write(
      to: dir.appendingPathComponent(adapterConfigName))
    XCTAssertThrowsError(try PeftModel.fromPretrained(bert(), dir)) {
      XCTAssertTrue(
        "\($0)".contains("adapter_config.json: the key \"r\" appears twice in the top-level object"), "\($0)")
    }
    try Data(#"{"peft_type": "LORA", "r": 4, "target_modules": ["query"]}"#.utf8).write(
      to: dir.appendingPathComponent(adapterConfigName))
    XCTAssertThrowsError(try PeftModel.fromPretrained(bert(), dir)) {
      XCTAssertTrue("\($0)".contains("adapter_model.safetensors"))
    }
  }
}
