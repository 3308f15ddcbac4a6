import Models
import TensorCore
import XCTest

/// Attention's defining properties: masks hide exactly, causality holds, gradients are right.
final class AttentionTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessAttentionExercisesDone()
  }

  func tinyBertConfig() -> BertConfig { .tiny(vocabSize: 30, hiddenSize: 8, intermediateSize: 12) }

  func testMaskedKeysGetExactlyZeroWeight() throws {
    let model = BertModel(tinyBertConfig(), generator: Generator(seed: 1))
    model.eval()
    let out = try model(
      inputIds: [[2, 5, 7, 0, 0], [2, 9, 8, 6, 3]], attentionMask: [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    let weights = out.attentions[0]  // (batch, heads, seq, seq)
    XCTAssertEqual(weights.shape, [2, 2, 5, 5])
    for head in 0..<2 {
      for query in 0..<5 {
        let row = Array(weights.data[((head * 5 + query) * 5)..<((head * 5 + query) * 5 + 5)])
        XCTAssertEqual(row[3], 0, "padded key 3 must get exactly zero weight")
        XCTAssertEqual(row[4], 0, "padded key 4 must get exactly zero weight")
        XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
      }
    }
  }

  func testPaddingDoesNotChangeRealTokens() throws {
    let model = BertModel(tinyBertConfig(), generator: Generator(seed: 2))
    model.eval()
    let short = try model(inputIds: [[2, 5, 7]]).lastHiddenState
    let padded = try model(inputIds: [[2, 5, 7, 0, 0]], attentionMask: [[1, 1, 1, 0, 0]]).lastHiddenState
    for (a, b) in zip(short.data, padded.data.prefix(short.count)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
  }

  func testCausalOutputIgnoresLaterTokens() throws {
    let model = GPT2LMHeadModel(
      .tiny(vocabSize: 40, nPositions: 12, nEmbd: 8, nLayer: 2), generator: Generator(seed: 3))
    model.eval()
    let a = try model(inputIds: [[1, 2, 3, 4, 5, 6]])
    let b = try model(inputIds: [[1, 2, 3, 30, 31, 32]])  // only positions 3... differ
    let vocabulary = 40
    let prefix = 3 * vocabulary
    XCTAssertEqual(
      Array(a.data.prefix(prefix)), Array(b.data.prefix(prefix)), "positions 0-2 must not see 3-5")
    XCTAssertNotEqual(Array(a.data[prefix...]), Array(b.data[prefix...]))
  }

  func testCausalMaskShape() {
    XCTAssertEqual(causalMask(3).data, [0, 1, 1, 0, 0, 1, 0, 0, 0])
  }

  func testHeadsSplitAndMergeAreInverse() {
    let x = Tensor((0..<24).map(Float.init), shape: [1, 3, 8])
    let heads = splitHeads(x, heads: 2)
    XCTAssertEqual(heads.shape, [1, 2, 3, 4])
    XCTAssertEqual(Array(heads.data.prefix(4)), [0, 1, 2, 3], "head 0, token 0: the first 4 features")
    XCTAssertEqual(Array(heads.data[4..<8]), [8, 9, 10, 11], "head 0, token 1")
    XCTAssertEqual(mergeHeads(heads).data, x.data)
  }

  func testGradientsThroughAWholeBlockMatchFiniteDifferences() throws {
    var config = tinyBertConfig()
    config.hiddenDropoutProb = 0
    config.attentionProbsDropoutProb = 0
    let layer = BertLayer(config)
    let generator = Generator(seed: 4)
    for p in layer.parameters() { p.data = p.data.map { _ in generator.normal(std: 0.3) } }
    let x = Tensor.randn([2, 3, 8], generator: generator, requiresGrad: true)
    let projection = Tensor.randn([2, 3, 8], generator: generator)
    let mask = paddingMask([[1, 1, 0], [1, 1, 1]])
    func loss() -> Tensor { (layer(x, mask: mask).0 * projection).sum() }
    let inputs = [x] + layer.parameters()
    for t in inputs { t.grad = nil }
    loss().backward()
    var worst = 0.0
    for t in inputs {
      let analytic = t.grad?.data ?? [Float](repeating: 0, count: t.count)
      for i in stride(from: 0, to: t.count, by: max(1, t.count / 12)) {
        let saved = t.data[i]
        let eps: Float = 1e-2
        t.data[i] = saved + eps
        let plus = noGrad { loss().data.reduce(0.0) { $0 + Double($1) } }
        t.data[i] = saved - eps
        let minus = noGrad { loss().data.reduce(0.0) { $0 + Double($1) } }
        t.data[i] = saved
        let numeric = (plus - minus) / (2 * Double(eps))
        let a = Double(analytic[i])
        worst = max(worst, abs(a - numeric) / max(1, abs(a), abs(numeric)))
      }
    }
    XCTAssertLessThan(worst, 5e-3, "backward through attention, LayerNorm and GELU")
  }

  func testBadInputIsAClearError() {
    let model = BertModel(tinyBertConfig())
    XCTAssertThrowsError(try model(inputIds: [[1, 2], [3]])) { error in
      XCTAssertTrue("\(error)".contains("row 1"), "\(error)")
    }
    XCTAssertThrowsError(try model(inputIds: [[1, 99]])) { error in
      XCTAssertTrue("\(error)".contains("99"), "\(error)")
    }
  }
}
