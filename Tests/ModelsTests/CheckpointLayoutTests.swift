import Foundation
import Models
import TensorCore
import XCTest

/// GPT-2's projections are `Linear`s (weight (out, in)) stored in checkpoints as Hugging Face
/// stores them, (in, out); configurations read and write Hugging Face's activation names;
/// `fromPretrained` takes a path and returns the model.
final class CheckpointLayoutTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessAttentionExercisesDone()
    try skipUnlessCheckpointExercisesDone()
  }

  var scratch: URL!

  override func setUp() {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("layout-\(UUID())")
  }

  override func tearDown() {
    if let scratch { try? FileManager.default.removeItem(at: scratch) }
  }

  func testGPT2SaveLoadSaveIsByteIdentical() throws {
    let config = GPT2Config.tiny(vocabSize: 20, nEmbd: 8, nLayer: 2, nInner: 24)
    let model = GPT2LMHeadModel(config, generator: Generator(seed: 3))
    let first = scratch.appendingPathComponent("first")
    let second = scratch.appendingPathComponent("second")
    try model.save(to: first)
    let (reloaded, info) = try GPT2LMHeadModel.fromPretrained(first, outputLoadingInfo: true)
    XCTAssertEqual(info.newlyInitialized, [])
    XCTAssertEqual(info.unused, [])
    for ((name, a), (_, b)) in zip(model.namedParameters(), reloaded.namedParameters()) {
      XCTAssertEqual(a.shape, b.shape, name)
      XCTAssertEqual(a.data, b.data, name)
    }
    try reloaded.save(to: second.path)
    for file in ["model.safetensors", "config.json"] {
      XCTAssertEqual(
        try Data(contentsOf: first.appendingPathComponent(file)),
        try Data(contentsOf: second.appendingPathComponent(file)), file)
    }
  }

  /// The checkpoints shipped in datasets/models (written by the kit when it had GPT-2's
  /// Conv1D) load and save back tensor for tensor: the same names, dtypes, shapes and values.
  /// (Not byte for byte: the writer now orders the header as Python's safetensors does.)
  func testShippedCheckpointsSaveBackTensorForTensor() throws {
    let models = GoldenModelTests.packageRoot.appendingPathComponent("datasets/models")
    let gpt = try GPT2LMHeadModel.fromPretrained(models.appendingPathComponent("gpt-mini"))
    try gpt.save(to: scratch.appendingPathComponent("gpt-mini"))
    let bert = try BertForPreTraining.fromPretrained(models.appendingPathComponent("bert-mini"))
    try bert.save(to: scratch.appendingPathComponent("bert-mini"))
    for name in ["gpt-mini", "bert-mini"] {
      let shipped = try SafetensorsFile(
        contentsOf: models.appendingPathComponent(name).appendingPathComponent("model.safetensors"))
      let saved = try SafetensorsFile(
        contentsOf: scratch.appendingPathComponent(name).appendingPathComponent("model.safetensors"))
      XCTAssertEqual(Set(saved.entries.keys), Set(shipped.entries.keys), name)
      for (key, entry) in shipped.entries {
        XCTAssertEqual(saved.entries[key]?.dtype, entry.dtype, key)
        XCTAssertEqual(saved.entries[key]?.shape, entry.shape, key)
        XCTAssertEqual(try saved.tensor(key).data, try shipped.tensor(key).data, key)
      }
    }
  }

  func testGPT2ProjectionsAreStoredInHuggingFaceLayout() throws {
    let model = GPT2LMHeadModel(.tiny(vocabSize: 20, nEmbd: 8, nInner: 24), generator: Generator(seed: 4))
    XCTAssertEqual(
      model.checkpointTransposedNames(),
      [
        "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_proj.weight",
        "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_proj.weight",
      ])
    try model.save(to: scratch)
    let file = try SafetensorsFile(contentsOf: scratch.appendingPathComponent("model.safetensors"))
    let weight = model.transformer.h[0].mlp.cFc.weight  // (out 24, in 8)
    XCTAssertEqual(weight.shape, [24, 8])
    let stored = try file.tensor("transformer.h.0.mlp.c_fc.weight")  // (in, out), as Conv1D
    XCTAssertEqual(stored.shape, [8, 24])
    for i in 0..<8 { for o in 0..<24 { XCTAssertEqual(stored.data[i * 24 + o], weight.data[o * 8 + i]) } }
    // Biases and LayerNorms are not transposed.
    XCTAssertEqual(
      try file.tensor("transformer.h.0.mlp.c_fc.bias").data, model.transformer.h[0].mlp.cFc.bias!.data)
    // The bare decoder loads the same file, without the prefix.
    let bare = try GPT2Model.fromPretrained(scratch)
    XCTAssertEqual(bare.h[0].mlp.cFc.weight.data, weight.data)
  }

  func testUnknownActivationIsAConfigErrorNamingTheField() throws {
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    for (json, field) in [
      (
        #"{"vocab_size": 20, "hidden_size": 8, "num_attention_heads": 2, "hidden_act": "swishy"}"#,
        "hidden_act"
      ),
      (#"{"vocab_size": 20, "activation_function": "swishy"}"#, "activation_function"),
    ] {
      try Data(json.utf8).write(to: scratch.appendingPathComponent("config.json"))
      let load =
        field == "hidden_act"
        ? { _ = try BertModel.fromPretrained(self.scratch) }
        : { _ = try GPT2Model.fromPretrained(self.scratch) }
      XCTAssertThrowsError(try load()) { error in
        XCTAssertTrue(error is ConfigError, "\(error)")
        XCTAssertTrue("\(error)".contains("field \(field)"), "\(error)")
        XCTAssertTrue("\(error)".contains("\"swishy\" is not a supported activation"), "\(error)")
      }
    }
  }

  func testActivationsAreStoredByHuggingFaceName() throws {
    var config = BertConfig.tiny(vocabSize: 20)
    config.hiddenAct = .geluNew
    let json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
    XCTAssertTrue(json.contains(#""hidden_act":"gelu_new""#), json)
    XCTAssertEqual(try JSONDecoder().decode(BertConfig.self, from: Data(json.utf8)).hiddenAct, .geluNew)
    XCTAssertEqual(GPT2Config().activationFunction.rawValue, "gelu_new")
    let x = Tensor([-1, 0, 2])
    XCTAssertEqual(Activation.relu(x).data, [0, 0, 2])
    XCTAssertEqual(Activation.linear(x).data, [-1, 0, 2])
    XCTAssertEqual(Activation.silu(x).data[2], 2 / (1 + exp(-2)), accuracy: 1e-6)
  }

  func testSizedGPT2ConfigIsTheFieldByFieldOne() {
    var config = GPT2Config()
    (config.vocabSize, config.nPositions, config.nEmbd, config.nLayer, config.nHead) = (40, 12, 8, 2, 2)
    XCTAssertEqual(GPT2Config(vocabSize: 40, nPositions: 12, nEmbd: 8, nLayer: 2, nHead: 2), config)
  }

  func testFromPretrainedTakesAPathAndReturnsTheModel() throws {
    let model = BertForSequenceClassification(
      .tiny(vocabSize: 20, numLabels: 3), generator: Generator(seed: 2))
    try model.save(to: scratch.path)
    let byPath = try BertForSequenceClassification.fromPretrained(scratch.path)
    let byURL = try BertForSequenceClassification.fromPretrained(scratch)
    XCTAssertEqual(byPath.config.numLabels, 3)
    XCTAssertEqual(byPath.classifier.weight.data, model.classifier.weight.data)
    XCTAssertEqual(byURL.classifier.weight.data, model.classifier.weight.data)
    let (encoder, encoderInfo) = try BertModel.fromPretrained(scratch.path, outputLoadingInfo: true)
    XCTAssertEqual(encoderInfo.unused, ["classifier.bias", "classifier.weight"])
    XCTAssertEqual(encoder.pooler?.dense.weight.data, model.bert.pooler?.dense.weight.data)
    // The bare encoder saves under its own names and loads into a new head of 5 classes.
    let bare = scratch.appendingPathComponent("bare").path
    try encoder.save(to: bare)
    let (relabelled, info) = try BertForSequenceClassification.fromPretrained(
      bare, numLabels: 5, outputLoadingInfo: true)
    XCTAssertEqual(relabelled.config.numLabels, 5)
    XCTAssertEqual(info.newlyInitialized, ["classifier.weight", "classifier.bias"])
    XCTAssertEqual(relabelled.bert.pooler?.dense.weight.data, model.bert.pooler?.dense.weight.data)
  }

  /// [CLS] pooling is BERT's and transformers' only head, and the default; the shipped bert-mini
  /// asks for nothing else. Mean pooling is a kit extension whose config says transformers will
  /// compute something else, and survives saving and loading.
  func testClsPoolingIsTheDefaultAndMeanPoolingCarriesAWarning() throws {
    XCTAssertEqual(BertConfig().classifierPooling, "cls")
    XCTAssertNil(BertConfig().transformersMismatch)
    let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("datasets/models/bert-mini")
    XCTAssertEqual(try readConfig(BertConfig.self, in: shipped).classifierPooling, "cls")
    var config = BertConfig.tiny(vocabSize: 20)
    config.classifierPooling = "mean"
    let warning = try XCTUnwrap(config.transformersMismatch)
    XCTAssertTrue(warning.contains("transformers") && warning.contains("[CLS]"), warning)
    let model = BertForSequenceClassification(config, generator: Generator(seed: 3))
    try model.save(to: scratch)
    let loaded = try BertForSequenceClassification.fromPretrained(scratch)
    XCTAssertEqual(loaded.config.classifierPooling, "mean")
    let asCls = try BertForSequenceClassification.fromPretrained(scratch, classifierPooling: "cls")
    XCTAssertNil(asCls.config.transformersMismatch)
    // The two heads read different vectors, so they give different logits.
    loaded.eval()
    asCls.eval()
    let ids = [[2, 5, 7, 9, 3]]
    XCTAssertNotEqual(try loaded(inputIds: ids).data, try asCls(inputIds: ids).data)
  }

  /// Loading does not draw the weights the checkpoint provides (DeferredInitialization), yet
  /// the new head, the default generator and the generator given end exactly where an eager
  /// build followed by loading puts them.
  func testLoadingDrawsOnlyTheNewHeadAndGivesTheEagerNumbers() throws {
    let encoder = BertModel(.tiny(vocabSize: 30, numHiddenLayers: 2), generator: Generator(seed: 5))
    try encoder.save(to: scratch)
    var config = encoder.config
    config.numLabels = 3
    manualSeed(9)
    let eagerGenerator = Generator(seed: 4)
    let eager = BertForSequenceClassification(config, generator: eagerGenerator)
    let file = try SafetensorsFile(contentsOf: scratch.appendingPathComponent("model.safetensors"))
    _ = try eager.load(from: file, basePrefix: "bert")
    let eagerDefault = Generator.default.state
    manualSeed(9)
    let lazyGenerator = Generator(seed: 4)
    let (lazy, info) = try BertForSequenceClassification.fromPretrained(
      scratch, numLabels: 3, generator: lazyGenerator, outputLoadingInfo: true)
    XCTAssertEqual(info.newlyInitialized, ["classifier.weight", "classifier.bias"])
    XCTAssertEqual(Generator.default.state, eagerDefault)
    XCTAssertEqual(lazyGenerator.state, eagerGenerator.state)
    for ((name, a), (_, b)) in zip(lazy.stateDict(), eager.stateDict()) {
      XCTAssertEqual(a.data, b.data, name)
    }
  }
}
