import ExerciseTesting
import Foundation
import Models
import PEFT
import TensorCore
import Training
import XCTest

/// The tiny classifier of scripts/golden_peft.py, `kind` "bert" or "gpt2", in eval mode.
func tinyBaseClassifier(_ kind: String) throws -> any PeftAdaptable {
  let directory = PEFTGoldenTests.fixtures.appendingPathComponent("tiny-\(kind)-classifier")
  let model: any PeftAdaptable =
    kind == "bert"
    ? try BertForSequenceClassification.fromPretrained(directory)
    : try GPT2ForSequenceClassification.fromPretrained(directory, padTokenId: 0)
  model.eval()
  return model
}

/// The kit against Hugging Face PEFT (scripts/golden_peft.py): PEFT's adapters load in the kit
/// and give PEFT's logits; the kit saves them again under the same names, shapes and values.
final class PEFTGoldenTests: XCTestCase {
  override func setUpWithError() throws { try skipUnlessPEFTExercisesDone() }

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")
  struct Golden: Decodable {
    let inputIds: [[Int]]
    let attentionMask: [[Int]]
    let values: [String: [Double]]
    enum CodingKeys: String, CodingKey { case inputIds = "input_ids", attentionMask = "attention_mask" }
    init(from decoder: Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      inputIds = try c.decode([[Int]].self, forKey: .inputIds)
      attentionMask = try c.decode([[Int]].self, forKey: .attentionMask)
      let data = try Data(contentsOf: PEFTGoldenTests.fixtures.appendingPathComponent("peft-golden.json"))
      let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
      values = object.compactMapValues { ($0 as? [NSNumber])?.map(\.doubleValue) }
    }
  }
  let golden = try! JSONDecoder().decode(
    Golden.self, from: Data(contentsOf: fixtures.appendingPathComponent("peft-golden.json")))

  func base(_ kind: String) throws -> any PeftAdaptable { try tinyBaseClassifier(kind) }

  func logits(_ model: any SequenceClassifier) throws -> [Double] {
    try noGrad { try model.logits(inputIds: golden.inputIds, attentionMask: golden.attentionMask) }.data.map(
      Double.init)
  }

  func assertClose(
    _ a: [Double], _ b: [Double]?, _ message: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    guard let b else { return XCTFail("no golden \(message)", file: file, line: line) }
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 2e-6, message, file: file, line: line) }
  }

  func testBaseModelsMatchTransformers() throws {
    assertClose(try logits(try base("bert")), golden.values["bert_base"], "bert base")
    assertClose(try logits(try base("gpt2")), golden.values["gpt2_base"], "gpt2 base")
  }

  func testPEFTAdaptersLoadAndGivePEFTsLogits() throws {
    for (kind, method) in [("bert", "lora"), ("gpt2", "lora"), ("bert", "prompt")] {
      let name = "\(kind)-\(method)"
      let peft = try PeftModel.fromPretrained(try base(kind), Self.fixtures.appendingPathComponent(name))
      peft.eval()
      assertClose(try logits(peft), golden.values[name], name)
      XCTAssertEqual(
        peft.parameterCount(trainableOnly: true), 0, "\(name): loaded for inference, frozen (PEFT's default)")
    }
  }

  func testMergeAndUnloadGivesPEFTsMergedLogits() throws {
    for kind in ["bert", "gpt2"] {
      let peft = try PeftModel.fromPretrained(
        try base(kind), Self.fixtures.appendingPathComponent("\(kind)-lora"))
      let merged = try peft.mergeAndUnload()
      merged.eval()
      XCTAssertFalse(merged.namedModules().contains { $0.module is LoraLinear }, "no LoRA layer left")
      assertClose(try logits(merged), golden.values["\(kind)-lora_merged"], "\(kind) merged")
    }
  }

  func testTrainableCountsMatchPEFT() throws {
    for (kind, method, config) in [
      ("bert", "lora", PeftConfig.lora(LoraConfig(r: 4, loraAlpha: 8))),
      ("gpt2", "lora", .lora(LoraConfig(r: 4, loraAlpha: 8))),
      ("bert", "prompt", .promptTuning(PromptTuningConfig(numVirtualTokens: 3))),
    ] {
      let model = try base(kind)
      let peft = try getPeftModel(model, config)
      let expected = golden.values["\(kind)-\(method)_trainable"]!.map { Int($0) }
      XCTAssertEqual(peft.parameterCount(trainableOnly: true), expected[0], "\(kind)-\(method) trainable")
      // PEFT also counts the copy of the head it keeps (ModulesToSaveWrapper); the kit has one head.
      let head = kind == "bert" ? 34 : 32
      XCTAssertEqual(peft.parameterCount(), expected[1] - head, "\(kind)-\(method) all")
    }
  }

  func testSavedAdapterHasPEFTsNamesShapesAndValues() throws {
    for name in [
      "bert-lora", "gpt2-lora", "bert-prompt", "bert-prefix", "bert-prefix-mlp", "gpt2-prefix",
      "gpt2-prefix-mlp",
    ] {
      let directory = Self.fixtures.appendingPathComponent(name)
      let peft = try PeftModel.fromPretrained(try base(String(name.prefix { $0 != "-" })), directory)
      let out = FileManager.default.temporaryDirectory.appendingPathComponent("peft-roundtrip-\(name)")
      try? FileManager.default.removeItem(at: out)
      try peft.savePretrained(out)
      let theirs = try SafetensorsFile(contentsOf: directory.appendingPathComponent(adapterWeightsName))
      let ours = try SafetensorsFile(contentsOf: out.appendingPathComponent(adapterWeightsName))
      XCTAssertEqual(Set(ours.entries.keys), Set(theirs.entries.keys), name)
      for key in theirs.entries.keys {
        XCTAssertEqual(try ours.tensor(key).data, try theirs.tensor(key).data, "\(name) \(key)")
        XCTAssertEqual(ours.entries[key]?.shape, theirs.entries[key]?.shape, "\(name) \(key)")
      }
      let json =
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: out.appendingPathComponent(adapterConfigName))) as! [String: Any]
      let peftJSON =
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: directory.appendingPathComponent(adapterConfigName))) as! [String: Any]
      for key in [
        "peft_type", "task_type", "r", "lora_alpha", "num_virtual_tokens", "bias", "base_model_name_or_path",
      ] {
        XCTAssertEqual(json[key].map { "\($0)" }, peftJSON[key].map { "\($0)" }, "\(name): \(key)")
      }
      if let targets = peftJSON["target_modules"] as? [String] {
        XCTAssertEqual(Set(json["target_modules"] as? [String] ?? []), Set(targets), name)
      }
    }
  }
}
