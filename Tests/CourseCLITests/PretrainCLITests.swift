import XCTest

/// `course pretrain` on corpora it must refuse or read right, and `--help` on any command.
final class PretrainCLITests: CourseCLITestCase {
  func testEveryCommandAnswersHelpWithItsUsage() throws {
    for name in ["finetune", "pretrain", "predict", "fill-mask"] {
      let result = try course([name, "--help"])
      XCTAssertEqual(result.status, 0, "\(name) --help: \(result.stderr)")
      XCTAssertTrue(result.stdout.hasPrefix("usage: swift run course \(name)"), result.stdout)
    }
  }

  func testCRLFCorpusIsOneDocumentPerLineAndTooSmallACorpusIsRefused() throws {
    // Three documents with Windows line endings and a blank line: one is held out, two train.
    let corpus = try file("crlf.txt", "one document here\r\nsecond document\r\n\r\nthird one\r\n")
    let output = scratch.appendingPathComponent("model").path
    let result = try course([
      "pretrain", "--arch", "bert", "--corpus", corpus, "--output", output, "--steps", "1",
      "--vocabulary", "120",
    ])
    XCTAssertTrue(result.stdout.contains("on 2 documents"), result.stdout)
    XCTAssertEqual(result.status, 1)
    XCTAssertTrue(result.stderr.contains("the corpus is too small"), result.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: output + "/model.safetensors"))

    let single = try file("one.txt", "only one line\n")
    let refused = try course(["pretrain", "--corpus", single, "--output", output])
    XCTAssertEqual(refused.status, 1)
    XCTAssertTrue(refused.stderr.contains("\(single): needs at least 2 non-empty lines"), refused.stderr)
  }
}
