import Foundation
import Models
import PEFT
import TensorCore
import Training
import XCTest

/// Prefix tuning against PEFT 0.21.2 (scripts/golden_peft_prefix.py): adapters PEFT saved for
/// the tiny BERT and GPT-2 classifiers, with and without the reparameterisation MLP, load in the
/// kit and give the logits of PEFT's prefix forward; PEFT's trainable count matches the kit's.
final class PEFTPrefixGoldenTests: XCTestCase {
  override func setUpWithError() throws { try skipUnlessPEFTExercisesDone() }

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")
  static let names = ["bert-prefix", "bert-prefix-mlp", "gpt2-prefix", "gpt2-prefix-mlp"]

  struct Golden {
    let inputIds: [[Int]]
    let attentionMask: [[Int]]
    let values: [String: [Double]]
  }

  func golden() throws -> Golden {
    let url = Self.fixtures.appendingPathComponent("peft-prefix-golden.json")
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw XCTSkip("\(url.path) is absent: run scripts/golden_peft_prefix.py")
    }
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    return Golden(
      inputIds: object["input_ids"] as! [[Int]], attentionMask: object["attention_mask"] as! [[Int]],
      values: object.compactMapValues { ($0 as? [NSNumber])?.map(\.doubleValue) })
  }

  func base(_ kind: String) throws -> any PeftAdaptable { try tinyBaseClassifier(kind) }

  func logits(_ model: any SequenceClassifier, _ g: Golden) throws -> [Double] {
    try noGrad { try model.logits(inputIds: g.inputIds, attentionMask: g.attentionMask) }.data.map(
      Double.init)
  }

  func testPEFTPrefixAdaptersGivePEFTsLogits() throws {
    let g = try golden()
    for name in Self.names {
      let kind = String(name.prefix { $0 != "-" })
      let expected = try XCTUnwrap(g.values[name], name)
      let plain = try logits(try base(kind), g)
      let peft = try PeftModel.fromPretrained(try base(kind), Self.fixtures.appendingPathComponent(name))
      peft.eval()
      let ours = try logits(peft, g)
      XCTAssertEqual(ours.count, expected.count, name)
      let worst = zip(ours, expected).map { abs($0 - $1) }.max() ?? .infinity
      XCTAssertLessThan(worst, 1e-4, "\(name): largest logit difference from PEFT")
      // A guard: the prefix and the head change the output, so the comparison could fail.
      XCTAssertGreaterThan(zip(plain, expected).map { abs($0 - $1) }.max()!, 0.05, name)
    }
  }

  func testPrefixTrainableCountsMatchPEFT() throws {
    let g = try golden()
    for name in Self.names {
      let kind = String(name.prefix { $0 != "-" })
      let peft = try getPeftModel(
        try base(kind),
        .prefixTuning(
          PrefixTuningConfig(
            numVirtualTokens: 3, prefixProjection: name.hasSuffix("mlp"), encoderHiddenSize: 8)))
      let expected = try XCTUnwrap(g.values[name + "_trainable"], name).map { Int($0) }
      XCTAssertEqual(peft.parameterCount(trainableOnly: true), expected[0], "\(name) trainable")
    }
  }
}
