import ExerciseTesting
import Foundation
import Models
import TensorCore
import XCTest

/// The kit's `BertForPreTraining` against transformers' (scripts/golden_bert_pretraining.py): a
/// checkpoint transformers saved loads in full, and gives its MLM logits, sentence-relationship
/// logits and total loss (MLM + next-sentence cross-entropy).
final class BertPreTrainingGoldenTests: XCTestCase {
  struct Golden: Decodable {
    var input_ids: [[Int]]
    var token_type_ids: [[Int]]
    var attention_mask: [[Int]]
    var labels: [[Int]]
    var next_sentence_label: [Int]
    var prediction_logits: [Float]
    var seq_relationship_logits: [Float]
    var total_loss: Float
    var bow_masked_lm_loss: Float
    var bag_of_words_loss: Float
  }

  func testBertForPreTrainingMatchesTransformers() throws {
    try skipUnlessAttentionExercisesDone()
    try skipUnlessCheckpointExercisesDone()
    try skipUnlessExercisesDone { _ = labelledPositions([[-100, 1]]) }  // 4.2, in the MLM loss
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/tiny-bert-pretraining")
    let g = try JSONDecoder().decode(
      Golden.self, from: Data(contentsOf: directory.appendingPathComponent("golden.json")))
    let (model, report) = try BertForPreTraining.fromPretrained(directory, outputLoadingInfo: true)
    XCTAssertEqual(report.newlyInitialized, [])
    XCTAssertEqual(report.unused, [])
    model.eval()
    let (prediction, relationship) = try model(
      inputIds: g.input_ids, attentionMask: g.attention_mask, tokenTypeIds: g.token_type_ids)
    assertClose(prediction.data, g.prediction_logits, tolerance: 1e-4, "prediction logits")
    assertClose(relationship.data, g.seq_relationship_logits, tolerance: 1e-4, "seq_relationship logits")
    let losses = try model.preTrainingLoss(
      inputIds: g.input_ids, tokenTypeIds: g.token_type_ids, attentionMask: g.attention_mask,
      labels: g.labels,
      sentenceLabels: g.next_sentence_label)
    XCTAssertEqual((losses.maskedLM + losses.sentence).item, g.total_loss, accuracy: 1e-4)
    XCTAssertThrowsError(
      try model.preTrainingLoss(
        inputIds: g.input_ids, tokenTypeIds: g.token_type_ids, labels: g.labels, sentenceLabels: [0, 2]))
    // mlm+bow: the bags are the unmasked rows' distinct words (the label where one is given: row 0
    // reads 9 where its text has 21), special ids 0-4 left out, as the PyTorch prototype makes them.
    let bow = try model.maskedLMAndBagOfWordsLoss(
      inputIds: g.input_ids, attentionMask: g.attention_mask, labels: g.labels, ignoring: Set(0..<5))
    XCTAssertEqual(bow.maskedLM.item, g.bow_masked_lm_loss, accuracy: 1e-4)
    XCTAssertEqual(bow.bagOfWords.item, g.bag_of_words_loss, accuracy: 1e-4)
  }
}
