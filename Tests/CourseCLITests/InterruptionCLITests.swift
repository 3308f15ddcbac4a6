import Foundation
import XCTest

/// `course finetune` killed (SIGKILL) at random points never leaves a checkpoint that loads but
/// is incomplete, and `--resume` then reaches the same final weights, byte for byte, as a run
/// that was never interrupted.
final class InterruptionCLITests: CourseCLITestCase {
  static let bertMini = packageRoot.appendingPathComponent("datasets/models/bert-mini").path

  func finetuneArguments(_ output: String) -> [String] {
    let data = Self.packageRoot.appendingPathComponent("datasets/sentiment").path
    return [
      "finetune", "--model", Self.bertMini, "--train", data + "/train.tsv",
      "--validation", data + "/validation.tsv", "--max-steps", "12", "--batch-size", "16",
      "--save-steps", "2", "--output", output,
    ]
  }

  /// Starts `course arguments…` and kills it with SIGKILL after `seconds` (if still running).
  func kill(_ arguments: [String], after seconds: Double) throws {
    let process = Process()
    process.executableURL = try XCTUnwrap(Self.executable())
    process.arguments = arguments
    process.currentDirectoryURL = Self.packageRoot
    (process.standardOutput, process.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
    try process.run()
    Thread.sleep(forTimeInterval: seconds)
    if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  func testKilledRunsLeaveCompleteCheckpointsAndResumeToTheSameWeights() throws {
    guard FileManager.default.fileExists(atPath: Self.bertMini + "/model.safetensors") else {
      throw XCTSkip("datasets/models/bert-mini is not here")
    }
    let reference = scratch.appendingPathComponent("uninterrupted").path
    _ = try succeed(finetuneArguments(reference))
    let expected = try Data(contentsOf: URL(fileURLWithPath: reference + "/model.safetensors"))

    var resumed = 0
    // Kill points spread over the run (start-up, training, checkpoint writes, the final save).
    for (trial, seconds) in [0.6, 1.3, 2.1, 2.9].enumerated() {
      let output = scratch.appendingPathComponent("killed-\(trial)").path
      try kill(finetuneArguments(output), after: seconds)
      let names = (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []
      for name in names where name.hasPrefix("checkpoint-") {
        // Every checkpoint-N that exists is whole: it predicts, and it holds what resuming needs.
        for file in ["config.json", "model.safetensors", "optimizer.safetensors", "trainer_state.json"] {
          XCTAssertTrue(
            FileManager.default.fileExists(atPath: "\(output)/\(name)/\(file)"), "\(name) lacks \(file)")
        }
        _ = try succeed(["predict", "--model", "\(output)/\(name)", "--input", try file("in.txt", "good\n")])
      }
      if names.contains(where: { $0.hasPrefix("checkpoint-") }) {
        _ = try succeed(finetuneArguments(output) + ["--resume"])
        resumed += 1
        let weights = try Data(contentsOf: URL(fileURLWithPath: output + "/model.safetensors"))
        XCTAssertEqual(weights, expected, "killed after \(seconds) s and resumed: other weights")
      } else {
        let refused = try course(finetuneArguments(output) + ["--resume"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("--resume: no checkpoint-N directory"), refused.stderr)
      }
    }
    XCTAssertGreaterThan(resumed, 0, "no kill point fell after the first checkpoint")
  }

  func testSaveStepsAndResumeNeedAnOutputDirectory() throws {
    let data = Self.packageRoot.appendingPathComponent("datasets/sentiment").path
    for option in [["--save-steps", "2"], ["--resume"]] {
      let result = try course(
        [
          "finetune", "--model", Self.bert, "--train", data + "/train.tsv", "--validation",
          data + "/validation.tsv",
        ] + option)
      XCTAssertEqual(result.status, 1)
      XCTAssertTrue(result.stderr.contains("\(option[0]): needs --output DIR"), result.stderr)
    }
  }
}
