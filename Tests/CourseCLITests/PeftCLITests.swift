import Foundation
import XCTest

/// `course finetune --peft`, `course predict` on an adapter, `course quantize` and `course prune`,
/// on the tiny kit-saved checkpoints.
final class PeftCLITests: CourseCLITestCase {
  func tsv(_ name: String, rows: Int) throws -> String {
    let lines = (0..<rows).map { i in i % 2 == 0 ? "positive\tit was good" : "negative\tit was bad" }
    return try file(name, (["label\ttext"] + lines).joined(separator: "\n") + "\n")
  }

  func predictions(_ model: String) throws -> [[String: Any]] {
    try succeed(["predict", "--model", model, "--input", try file("in.txt", "it was good\nbad\n")]).map {
      try XCTUnwrap(try json($0) as? [String: Any])
    }
  }

  func testLoRAAdapterSavesLoadsAndMerges() throws {
    for model in [Self.bert, Self.gpt2] {
      let adapter = scratch.appendingPathComponent("adapter").path
      let lines = try succeed([
        "finetune", "--model", model, "--train", try tsv("train.tsv", rows: 16),
        "--validation", try tsv("validation.tsv", rows: 8), "--epochs", "1", "--batch-size", "8", "--lr",
        "1e-2",
        "--peft", "lora", "--lora-r", "4", "--output", adapter,
      ])
      let report = lines.joined(separator: "\n")
      XCTAssertTrue(report.contains("trainable params: "), report)
      XCTAssertTrue(report.contains("saved the adapter"), report)
      for name in ["adapter_config.json", "adapter_model.safetensors", "labels.txt"] {
        XCTAssertTrue(FileManager.default.fileExists(atPath: adapter + "/" + name), name)
      }
      XCTAssertFalse(
        FileManager.default.fileExists(atPath: adapter + "/model.safetensors"), "the adapter only")
      let config = try XCTUnwrap(
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: URL(fileURLWithPath: adapter + "/adapter_config.json")))
          as? [String: Any])
      XCTAssertEqual(config["peft_type"] as? String, "LORA")
      XCTAssertEqual(config["r"] as? Int, 4)
      XCTAssertEqual(config["base_model_name_or_path"] as? String, model)
      let fromAdapter = try predictions(adapter)
      XCTAssertEqual(fromAdapter.count, 2)
      // --merge writes a full model that predicts the same.
      let merged = scratch.appendingPathComponent("merged").path
      _ = try succeed([
        "finetune", "--model", model, "--train", try tsv("train.tsv", rows: 16),
        "--validation", try tsv("validation.tsv", rows: 8), "--epochs", "1", "--batch-size", "8", "--lr",
        "1e-2",
        "--peft", "lora", "--lora-r", "4", "--merge", "--output", merged,
      ])
      let fromMerged = try predictions(merged)
      for (a, b) in zip(fromAdapter, fromMerged) {
        let (pa, pb) = (a["scores"] as! [String: Double], b["scores"] as! [String: Double])
        for (label, p) in pa { XCTAssertEqual(p, pb[label] ?? -1, accuracy: 1e-4, "merged = adapter") }
      }
      try? FileManager.default.removeItem(atPath: adapter)
      try? FileManager.default.removeItem(atPath: merged)
    }
  }

  func testPromptAndPrefixTuningRun() throws {
    for method in ["prompt", "prefix"] {
      let adapter = scratch.appendingPathComponent(method).path
      _ = try succeed([
        "finetune", "--model", Self.bert, "--train", try tsv("train.tsv", rows: 8),
        "--validation", try tsv("validation.tsv", rows: 4), "--epochs", "1", "--batch-size", "8",
        "--peft", method, "--num-virtual-tokens", "3", "--output", adapter,
      ])
      XCTAssertEqual(try predictions(adapter).count, 2)
    }
  }

  func testBadPeftOptionsSaySo() throws {
    let common = [
      "finetune", "--model", Self.bert, "--train", try tsv("train.tsv", rows: 8),
      "--validation", try tsv("validation.tsv", rows: 4), "--epochs", "1",
    ]
    try fail(
      common + ["--peft", "lora", "--target-modules", "q_proj"],
      saying: ["\"q_proj\" matches no Linear layer"])
    try fail(common + ["--peft", "ia3"], saying: ["--peft"])
    try fail(common + ["--merge"], saying: ["--merge: only with --peft lora"])
    try fail(common + ["--peft", "lora", "--lora-r", "0"], saying: ["--lora-r"])
  }

  func testQuantizeAndPruneWriteCheckpointsThatPredict() throws {
    let model = scratch.appendingPathComponent("model").path
    _ = try succeed([
      "finetune", "--model", Self.bert, "--train", try tsv("train.tsv", rows: 16),
      "--validation", try tsv("validation.tsv", rows: 8), "--epochs", "1", "--batch-size", "8", "--lr",
      "1e-3",
      "--output", model,
    ])
    let int8 = scratch.appendingPathComponent("int8").path
    let quantized = try succeed(["quantize", "--model", model, "--output", int8]).joined(separator: "\n")
    XCTAssertTrue(quantized.contains("Linear layers to int8"), quantized)
    let before = try predictions(model)
    let after = try predictions(int8)
    for (a, b) in zip(before, after) {
      let (pa, pb) = (a["scores"] as! [String: Double], b["scores"] as! [String: Double])
      for (label, p) in pa { XCTAssertEqual(p, pb[label] ?? -1, accuracy: 0.02, "int8 close to float") }
    }
    // course evaluate reads the int8 checkpoint as predict does.
    let scored = try succeed([
      "evaluate", "--model", int8, "--data", try tsv("scored.tsv", rows: 8), "--bootstrap", "10",
    ])
    XCTAssertTrue(scored.contains { $0.hasPrefix("accuracy ") }, "\(scored)")
    let pruned = scratch.appendingPathComponent("pruned").path
    let report = try succeed(["prune", "--model", model, "--output", pruned, "--sparsity", "0.5"]).joined(
      separator: "\n")
    XCTAssertTrue(report.contains("pruned 50.0%"), report)
    XCTAssertEqual(try predictions(pruned).count, 2)
    try fail(["prune", "--model", model, "--output", pruned, "--sparsity", "1.5"], saying: ["--sparsity"])
  }

  func testPruneRemovesHeadsByNameOrImportance() throws {
    let model = scratch.appendingPathComponent("model").path
    _ = try succeed([
      "finetune", "--model", Self.gpt2, "--train", try tsv("train.tsv", rows: 16),
      "--validation", try tsv("validation.tsv", rows: 8), "--epochs", "1", "--batch-size", "8", "--lr",
      "1e-3", "--output", model,
    ])
    let named = scratch.appendingPathComponent("named").path
    let report = try succeed(["prune", "--model", model, "--output", named, "--prune-heads", "0:1"])
      .joined(separator: "\n")
    XCTAssertTrue(report.contains("removed attention heads 0:1 (heads per layer [2, 2] → [1, 2]"), report)
    let config = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: named + "/config.json")))
        as? [String: Any])
    XCTAssertEqual(config["pruned_heads"] as? [String: [Int]], ["0": [1]])
    XCTAssertEqual(try predictions(named).count, 2, "the pruned checkpoint loads and predicts")
    // Pruning the pruned checkpoint again: heads keep their original numbers.
    let again = scratch.appendingPathComponent("again").path
    let second = try succeed(["prune", "--model", named, "--output", again, "--prune-heads", "1:0"])
      .joined(separator: "\n")
    XCTAssertTrue(second.contains("[1, 2] → [1, 1]"), second)
    let ranked = scratch.appendingPathComponent("ranked").path
    let byImportance = try succeed([
      "prune", "--model", model, "--output", ranked, "--heads", "2", "--data", try tsv("rank.tsv", rows: 8),
    ]).joined(separator: "\n")
    XCTAssertTrue(byImportance.contains("→ [1, 1]"), byImportance)
    let data = try tsv("bad.tsv", rows: 4)
    for (arguments, saying) in [
      ([String](), ["nothing to prune"]),
      (["--prune-heads", "0:x"], ["--prune-heads", "\"x\" is not a head number"]),
      (["--prune-heads", "0"], ["--prune-heads", "is not LAYER:HEADS"]),
      (["--prune-heads", "5:0"], ["--prune-heads", "layer 5 does not exist"]),
      (["--prune-heads", "0:0,1"], ["--prune-heads", "none of its 2 heads"]),
      (["--heads", "3", "--data", data], ["--heads 3", "2 removable heads"]),
      (["--heads", "0", "--data", data], ["--heads"]),
      (["--heads", "1"], ["--heads N needs --data"]),
      (["--data", data, "--sparsity", "0.1"], ["--data is only used with --heads"]),
      (["--heads", "1", "--data", data, "--prune-heads", "0:1"], ["give one of them"]),
    ] {
      try fail(["prune", "--model", model, "--output", named + "-bad"] + arguments, saying: saying)
    }
  }
}
