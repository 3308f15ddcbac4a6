import Foundation
import Models
import TensorCore
import XCTest

/// Inputs other than ids: word vectors (`inputsEmbeds`), per-layer key/value prefixes
/// (`pastKeyValues`), and the GPT-2 classifier reading the last real token from the mask.
final class ModelInputsTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessAttentionExercisesDone()
  }

  let ids = [[2, 5, 7, 1], [3, 4, 9, 0]]
  let mask = [[1, 1, 1, 1], [1, 1, 1, 0]]

  func bert(seed: UInt64 = 1) -> BertForSequenceClassification {
    let model = BertForSequenceClassification(
      .tiny(vocabSize: 12, hiddenSize: 8, intermediateSize: 16), generator: Generator(seed: seed))
    model.eval()
    return model
  }

  func gpt2(seed: UInt64 = 2, layers: Int = 2) -> GPT2LMHeadModel {
    let model = GPT2LMHeadModel(
      .tiny(vocabSize: 12, nEmbd: 8, nLayer: layers), generator: Generator(seed: seed))
    model.eval()
    return model
  }

  /// (batch, heads, length, headDim) random keys and values, one pair per layer, with gradients.
  func prefixes(layers: Int, batch: Int, length: Int, seed: UInt64) -> [AttentionPrefix] {
    let generator = Generator(seed: seed)
    return (0..<layers).map { _ in
      AttentionPrefix(
        key: .randn([batch, 2, length, 4], generator: generator, requiresGrad: true),
        value: .randn([batch, 2, length, 4], generator: generator, requiresGrad: true))
    }
  }

  func testBertInputsEmbedsEqualTheIdsPath() throws {
    let model = bert()
    let rows = model.bert.embeddings.wordEmbeddings.weight.embedding(ids.flatMap { $0 }, shape: [2, 4])
    let byIds = try model(inputIds: ids, attentionMask: mask)
    let byEmbeds = try model(attentionMask: mask, inputsEmbeds: rows)
    XCTAssertEqual(byIds.data, byEmbeds.data)
    XCTAssertEqual(
      try model.bert(inputIds: ids, attentionMask: mask).lastHiddenState.data,
      try model.bert(attentionMask: mask, inputsEmbeds: rows).lastHiddenState.data)
    let mlm = BertForMaskedLM(
      .tiny(vocabSize: 12, hiddenSize: 8, intermediateSize: 16), generator: Generator(seed: 4))
    mlm.eval()
    let mlmRows = mlm.bert.embeddings.wordEmbeddings.weight.embedding(ids.flatMap { $0 }, shape: [2, 4])
    XCTAssertEqual(try mlm(inputIds: ids).data, try mlm(inputsEmbeds: mlmRows).data)
    // Other vectors give other outputs: the embeddings are really read.
    XCTAssertNotEqual(byIds.data, try model(attentionMask: mask, inputsEmbeds: rows * 2).data)
  }

  func testGPT2InputsEmbedsEqualTheIdsPath() throws {
    let model = gpt2()
    let rows = model.transformer.wte.weight.embedding(ids.flatMap { $0 }, shape: [2, 4])
    XCTAssertEqual(
      try model(inputIds: ids, attentionMask: mask).data,
      try model(attentionMask: mask, inputsEmbeds: rows).data)
    let classifier = GPT2ForSequenceClassification(
      .tiny(vocabSize: 12, nEmbd: 8), generator: Generator(seed: 5))
    classifier.eval()
    let classifierRows = classifier.transformer.wte.weight.embedding(ids.flatMap { $0 }, shape: [2, 4])
    XCTAssertEqual(
      try classifier(inputIds: ids, attentionMask: mask).data,
      try classifier(attentionMask: mask, inputsEmbeds: classifierRows).data)
  }

  func testInputsAreCheckedNotTrapped() {
    let model = gpt2()
    XCTAssertThrowsError(try model()) { XCTAssertTrue("\($0)".contains("input_ids or inputs_embeds")) }
    XCTAssertThrowsError(try model(inputIds: ids, inputsEmbeds: Tensor(zeros: [2, 4, 8])))
    XCTAssertThrowsError(try model(inputsEmbeds: Tensor(zeros: [2, 4, 6]))) {
      XCTAssertTrue("\($0)".contains("inputs_embeds must be (batch, seq, 8)"), "\($0)")
    }
    XCTAssertThrowsError(
      try model(inputIds: ids, pastKeyValues: prefixes(layers: 1, batch: 2, length: 1, seed: 1))
    ) {
      XCTAssertTrue("\($0)".contains("2 layers"), "\($0)")
    }
    XCTAssertThrowsError(
      try model(inputIds: ids, pastKeyValues: prefixes(layers: 2, batch: 2, length: 13, seed: 1))
    ) { XCTAssertTrue("\($0)".contains("exceed"), "\($0)") }
  }

  func testAnEmptyPrefixChangesNothing() throws {
    let empty = prefixes(layers: 1, batch: 2, length: 0, seed: 1)
    let model = bert()
    XCTAssertEqual(
      try model(inputIds: ids, attentionMask: mask).data,
      try model(inputIds: ids, attentionMask: mask, pastKeyValues: empty).data)
    let gpt = gpt2()
    XCTAssertEqual(
      try gpt(inputIds: ids, attentionMask: mask).data,
      try gpt(inputIds: ids, attentionMask: mask, pastKeyValues: empty + empty).data)
  }

  func testAPrefixChangesOutputsAndReceivesGradients() throws {
    for usesGPT2 in [false, true] {
      let prefix = prefixes(layers: usesGPT2 ? 2 : 1, batch: 2, length: 3, seed: 7)
      let plain: Tensor
      let prefixed: Tensor
      if usesGPT2 {
        let model = gpt2()
        plain = try model(inputIds: ids, attentionMask: mask)
        prefixed = try model(inputIds: ids, attentionMask: mask, pastKeyValues: prefix)
      } else {
        let model = bert()
        plain = try model(inputIds: ids, attentionMask: mask)
        prefixed = try model(inputIds: ids, attentionMask: mask, pastKeyValues: prefix)
      }
      XCTAssertEqual(plain.shape, prefixed.shape)
      let change = zip(plain.data, prefixed.data).map { abs($0 - $1) }.max()!
      XCTAssertGreaterThan(change, 1e-3, usesGPT2 ? "GPT-2" : "BERT")
      (prefixed * Tensor.randn(prefixed.shape, generator: Generator(seed: 3))).sum().backward()
      for (i, p) in prefix.enumerated() {
        for (what, t) in [("key", p.key), ("value", p.value)] {
          let grad = try XCTUnwrap(t.grad, "layer \(i) \(what) has a gradient")
          XCTAssertGreaterThan(grad.data.map(abs).max()!, 0, "layer \(i) \(what)")
        }
      }
    }
  }

  /// A prefix made of the keys and values of real earlier tokens is exactly a key/value cache:
  /// the later tokens' logits equal those of the whole sequence (positions counted after the
  /// prefix, as transformers counts them).
  func testGPT2PrefixOfEarlierTokensEqualsTheWholeSequence() throws {
    let model = gpt2()
    let sequence = [3, 8, 1, 6, 2, 9]
    let (head, tail) = (Array(sequence.prefix(2)), Array(sequence.dropFirst(2)))
    let transformer = model.transformer
    // Run the first two tokens block by block, keeping each block's keys and values.
    var x = transformer.wte(head, shape: [1, 2]) + transformer.wpe([0, 1])
    var cache: [AttentionPrefix] = []
    for block in transformer.h {
      let qkv = block.attn.cAttn(block.ln1(x))  // (1, 2, 3·embd)
      cache.append(
        AttentionPrefix(
          key: splitHeads(qkv.slice(axis: 2, 8..<16), heads: 2),
          value: splitHeads(qkv.slice(axis: 2, 16..<24), heads: 2)))
      x = block(x, mask: causalMask(2)).0
    }
    let whole = try model(inputIds: [sequence])  // (1, 6, vocabulary)
    let cached = try model(inputIds: [tail], pastKeyValues: cache)  // (1, 4, vocabulary)
    let vocabulary = 12
    for (a, b) in zip(whole.data.suffix(4 * vocabulary), cached.data) { XCTAssertEqual(a, b, accuracy: 1e-5) }
  }

  struct PrefixGolden: Decodable {
    struct Run: Decodable {
      var input_ids: [[Int]]
      var attention_mask: [[Int]]
      var keys: [[Float]]
      var values: [[Float]]
      var logits: [Float]
    }
    var prefix_length: Int
    var bert: Run
    var gpt2: Run
  }

  /// Prefixes as PEFT's prefix tuning hands them to transformers (a cache of per-layer keys and
  /// values, the attention mask extended by ones) give transformers' logits
  /// (scripts/golden_prefix.py, on the tiny fixture models).
  func testPrefixesMatchTransformersPastKeyValues() throws {
    try skipUnlessCheckpointExercisesDone()
    let g = try JSONDecoder().decode(
      PrefixGolden.self,
      from: Data(contentsOf: GoldenModelTests.fixtures.appendingPathComponent("prefix-golden.json")))
    func prefixes(_ run: PrefixGolden.Run, heads: Int) -> [AttentionPrefix] {
      let shape = [
        run.input_ids.count, heads, g.prefix_length,
        run.keys[0].count / (run.input_ids.count * heads * g.prefix_length),
      ]
      return zip(run.keys, run.values).map {
        AttentionPrefix(key: Tensor($0, shape: shape), value: Tensor($1, shape: shape))
      }
    }
    let bert = try BertForMaskedLM.fromPretrained(
      GoldenModelTests.fixtures.appendingPathComponent("tiny-bert"))
    bert.eval()
    let bertLogits = try bert(
      inputIds: g.bert.input_ids, attentionMask: g.bert.attention_mask,
      pastKeyValues: prefixes(g.bert, heads: bert.config.numAttentionHeads))
    assertClose(bertLogits.data, g.bert.logits, tolerance: 1e-4, "BERT logits with a prefix")
    let gpt2 = try GPT2LMHeadModel.fromPretrained(
      GoldenModelTests.fixtures.appendingPathComponent("tiny-gpt2"))
    gpt2.eval()
    let gptLogits = try gpt2(
      inputIds: g.gpt2.input_ids, attentionMask: g.gpt2.attention_mask,
      pastKeyValues: prefixes(g.gpt2, heads: gpt2.config.nHead))
    assertClose(gptLogits.data, g.gpt2.logits, tolerance: 1e-4, "GPT-2 logits with a prefix")
  }

  /// GPT-2 has no padding token by default: the head finds each row's last real token from
  /// the attention mask, so a right-padded row scores as the same row alone.
  func testGPT2HeadReadsTheLastTokenFromTheMask() throws {
    let model = GPT2ForSequenceClassification(
      .tiny(vocabSize: 12, nEmbd: 8, nLayer: 2, numLabels: 3), generator: Generator(seed: 9))
    model.eval()
    XCTAssertNil(model.config.padTokenId)
    let padded = try model(
      inputIds: [[5, 6, 7, 2], [8, 9, 0, 0]], attentionMask: [[1, 1, 1, 1], [1, 1, 0, 0]])
    let first = try model(inputIds: [[5, 6, 7, 2]])
    let second = try model(inputIds: [[8, 9]])
    XCTAssertEqual(padded.shape, [2, 3])
    for (a, b) in zip(padded.data, first.data + second.data) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    // Without the mask the last position (padding) is read, which differs.
    let unmasked = try model(inputIds: [[8, 9, 0, 0]])
    XCTAssertGreaterThan(zip(unmasked.data, second.data).map { abs($0 - $1) }.max()!, 1e-4)
  }

  func testMeanPoolingAveragesRealTokens() {
    let hidden = Tensor((0..<24).map(Float.init), shape: [2, 4, 3])  // (batch, seq, hidden)
    let pooled = meanPooling(hidden, attentionMask: [[1, 1, 1, 1], [1, 1, 0, 0]])
    XCTAssertEqual(pooled.shape, [2, 3])
    XCTAssertEqual(pooled.data, [4.5, 5.5, 6.5, 13.5, 14.5, 15.5])
    XCTAssertEqual(meanPooling(hidden).data.prefix(3), [4.5, 5.5, 6.5])
  }
}
