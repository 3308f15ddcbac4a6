import Foundation
import Models
import TensorCore
import XCTest

/// `classifier_pooling: "mean"` on RoBERTa: a kit extension (as on BERT) that feeds the
/// classification head the mean of the token states instead of <s>; absent, config.json is
/// transformers' own and the head reads <s>.
final class RobertaPoolingTests: XCTestCase {
  override func setUpWithError() throws {
    try skipUnlessAttentionExercisesDone()
  }

  func config(_ pooling: String?) -> RobertaConfig {
    var config = RobertaConfig.tiny(vocabSize: 20)
    config.classifierPooling = pooling
    return config
  }

  func testMeanPoolingFeedsTheHeadTheMeanOfTheRealTokens() throws {
    let ids = [[0, 5, 6, 7, 2], [0, 8, 2, 1, 1]]
    let mask = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
    let mean = RobertaForSequenceClassification(config("mean"), generator: Generator(seed: 3))
    let first = RobertaForSequenceClassification(config(nil), generator: Generator(seed: 3))
    mean.eval()
    first.eval()
    let hidden = try mean.roberta(inputIds: ids, attentionMask: mask).lastHiddenState
    let pooled = meanPooling(hidden, attentionMask: mask)  // (batch, hidden)
    let expected = mean.classifier(pooled.reshape(2, 1, pooled.shape[1]))
    let logits = try mean(inputIds: ids, attentionMask: mask)
    XCTAssertEqual(logits.shape, [2, 2])
    XCTAssertEqual(logits.data, expected.data)
    // The same weights read <s> without the option: other logits.
    XCTAssertNotEqual(try first(inputIds: ids, attentionMask: mask).data, logits.data)
  }

  func testConfigWritesThePoolingOnlyWhenSetAndRefusesAnUnknownOne() throws {
    let plain = String(decoding: try JSONEncoder().encode(config(nil)), as: UTF8.self)
    XCTAssertFalse(plain.contains("classifier_pooling"), "transformers' RobertaConfig has no such field")
    XCTAssertNil(config(nil).transformersMismatch)
    let data = try JSONEncoder().encode(config("mean"))
    XCTAssertEqual(try JSONDecoder().decode(RobertaConfig.self, from: data).classifierPooling, "mean")
    XCTAssertTrue(config("mean").transformersMismatch?.contains("always reads the <s> state") ?? false)
    XCTAssertThrowsError(try config("max").validate()) { error in
      XCTAssertTrue("\(error)".contains("classifier_pooling \"max\""), "\(error)")
    }
  }
}
