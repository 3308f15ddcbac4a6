import Foundation
import XCTest

/// What a run of the `course` executable wrote and how it ended.
struct CLIResult {
  var status: Int32
  var stdout: String
  var stderr: String
  /// Standard output, one entry per line.
  var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// Runs the built `course` executable the way a student does, on the tiny checkpoints the kit
/// writes (Tests/ModelsTests/Fixtures/kit-tiny-bert and kit-tiny-gpt2, see KitCheckpointTests).
///
/// `swift test` builds every product, so `course` sits beside the test bundle; set
/// COURSE_EXECUTABLE to test another build. Skipped when there is no executable, and, in the
/// student edition, while an exercise the models need is not done yet.
class CourseCLITestCase: XCTestCase {
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  static let fixtures = packageRoot.appendingPathComponent("Tests/ModelsTests/Fixtures")
  static let bert = fixtures.appendingPathComponent("kit-tiny-bert").path
  static let gpt2 = fixtures.appendingPathComponent("kit-tiny-gpt2").path

  /// The `course` executable: $COURSE_EXECUTABLE, or the one in the test bundle's build folder.
  static func executable() -> URL? {
    if let path = ProcessInfo.processInfo.environment["COURSE_EXECUTABLE"] {
      return FileManager.default.isExecutableFile(atPath: path) ? URL(fileURLWithPath: path) : nil
    }
    let folders = [
      Bundle(for: CourseCLITestCase.self).bundleURL.deletingLastPathComponent(),
      Bundle.main.bundleURL, Bundle.main.executableURL?.deletingLastPathComponent(),
    ].compactMap { $0 }
    return folders.map { $0.appendingPathComponent("course") }.first {
      FileManager.default.isExecutableFile(atPath: $0.path)
    }
  }

  var scratch: URL!

  override func setUpWithError() throws {
    guard Self.executable() != nil else {
      throw XCTSkip(
        "the course executable is not built (swift build --product course), or set COURSE_EXECUTABLE")
    }
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("course-cli-\(UUID())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    if let scratch = scratch { try? FileManager.default.removeItem(at: scratch) }
  }

  /// A file in the scratch folder holding `text`; returns its path.
  func file(_ name: String, _ text: String) throws -> String {
    let url = scratch.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
  }

  /// Runs `course arguments…` (killed after 120 s) and returns what it wrote; `launcher`, when
  /// given, is the command line that runs course instead (`setpriv --reuid=nobody … COURSE`).
  func course(_ arguments: [String], launcher: [String] = []) throws -> CLIResult {
    guard let executable = Self.executable() else {
      throw XCTSkip(
        "the course executable is not built (swift build --product course), or set COURSE_EXECUTABLE")
    }
    let process = Process()
    process.executableURL = launcher.first.map(URL.init(fileURLWithPath:)) ?? executable
    process.arguments = launcher.dropFirst() + arguments
    process.currentDirectoryURL = Self.packageRoot
    // Files, not pipes: a process that writes a lot can never block on a full pipe.
    let out = scratch.appendingPathComponent("stdout-\(UUID())")
    let err = scratch.appendingPathComponent("stderr-\(UUID())")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let (outHandle, errHandle) = (try FileHandle(forWritingTo: out), try FileHandle(forWritingTo: err))
    defer {
      try? outHandle.close()
      try? errHandle.close()
    }
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    let done = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in done.signal() }
    try process.run()
    if done.wait(timeout: .now() + 120) == .timedOut {
      process.terminate()
      done.wait()
      XCTFail("course \(arguments.joined(separator: " ")) did not finish in 120 s")
    }
    let result = CLIResult(
      status: process.terminationStatus, stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
      stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    if result.status == 3, result.stderr.contains("is not done yet") {
      throw XCTSkip("course needs an exercise that is not done yet: \(result.stderr)")
    }
    XCTAssertEqual(
      process.terminationReason, .exit, "course \(arguments.joined(separator: " ")) crashed: \(result.stderr)"
    )
    return result
  }

  /// Runs `course arguments…`, expecting success; returns the lines of standard output.
  func succeed(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
    let result = try course(arguments)
    XCTAssertEqual(result.status, 0, "stderr: \(result.stderr)", file: file, line: line)
    return result.lines
  }

  /// Runs `course arguments…`, expecting a failure (status 1, nothing on standard output) with
  /// a message on standard error that contains each of `fragments`.
  func fail(
    _ arguments: [String], saying fragments: [String], file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let result = try course(arguments)
    XCTAssertEqual(result.status, 1, "stderr: \(result.stderr)", file: file, line: line)
    XCTAssertEqual(result.stdout, "", "no output before the error", file: file, line: line)
    for fragment in fragments {
      XCTAssertTrue(
        result.stderr.contains(fragment), "\"\(fragment)\" is not in: \(result.stderr)", file: file,
        line: line)
    }
    XCTAssertFalse(result.stderr.contains("Backtrac"), "an error, not a crash", file: file, line: line)
  }

  func json(_ line: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(line.utf8))
  }

  /// The bytes of tensor `name` in `directory`/model.safetensors (8-byte header length, JSON
  /// header, data), read here because the CLI tests link no kit module.
  static func tensorBytes(_ name: String, in directory: String) throws -> Data {
    let data = try Data(
      contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("model.safetensors"))
    let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength)))
    guard let entry = (header as? [String: Any])?[name] as? [String: Any],
      let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
    else {
      throw NSError(
        domain: "CourseCLITests", code: 1,
        userInfo: [NSLocalizedDescriptionKey: "\(directory)/model.safetensors has no tensor \(name)"])
    }
    let start = 8 + headerLength
    return data.subdata(in: (start + offsets[0])..<(start + offsets[1]))
  }
}

final class FillMaskCLITests: CourseCLITestCase {
  func testOneObjectPerLineWithTheTopFiveSorted() throws {
    let input = try file(
      "in.txt", "The food was [MASK].\n\nIt was [MASK], and I would [MASK] it again.\n")
    let lines = try succeed(["fill-mask", "--model", Self.bert, "--input", input])
    XCTAssertEqual(lines.count, 2, "one line of JSON per non-blank input line")
    let vocabulary = try String(contentsOfFile: Self.bert + "/vocab.txt", encoding: .utf8)
      .split(separator: "\n").map(String.init)
    for (line, (text, maskCount)) in zip(
      lines, [("The food was [MASK].", 1), ("It was [MASK], and I would [MASK] it again.", 2)])
    {
      let object = try XCTUnwrap(try json(line) as? [String: Any])
      XCTAssertEqual(object["text"] as? String, text)
      let masks = try XCTUnwrap(object["masks"] as? [[[String: Any]]])
      XCTAssertEqual(masks.count, maskCount, "one list per [MASK]")
      for candidates in masks {
        XCTAssertEqual(candidates.count, 5)
        let scores = candidates.compactMap { $0["score"] as? Double }
        XCTAssertEqual(scores.count, 5)
        XCTAssertEqual(scores, scores.sorted(by: >), "likeliest first")
        XCTAssertTrue(scores.allSatisfy { $0 > 0 && $0 <= 1 }, "\(scores)")
        XCTAssertLessThanOrEqual(scores.reduce(0, +), 1 + 1e-6, "probabilities of distinct tokens")
        for candidate in candidates {
          let id = try XCTUnwrap(candidate["id"] as? Int)
          XCTAssertEqual(candidate["token"] as? String, vocabulary[id], "the token is vocab.txt's line id")
        }
      }
    }
  }

  func testWindowsLineEndings() throws {
    let input = try file("in.txt", "The food was [MASK].\r\nIt was [MASK].\r\nNo mask.\r\n")
    try fail(["fill-mask", "--model", Self.bert, "--input", input], saying: ["\(input):3: no [MASK]"])
    try Data("The food was [MASK].\r\nIt was [MASK].\r\n".utf8).write(to: URL(fileURLWithPath: input))
    let lines = try succeed(["fill-mask", "--model", Self.bert, "--input", input])
    let texts = try lines.map { try XCTUnwrap(try json($0) as? [String: Any])["text"] as? String }
    XCTAssertEqual(texts, ["The food was [MASK].", "It was [MASK]."])
  }

  func testTopOption() throws {
    let input = try file("in.txt", "The food was [MASK].\n")
    let lines = try succeed(["fill-mask", "--model", Self.bert, "--input", input, "--top", "3"])
    let object = try XCTUnwrap(try json(lines[0]) as? [String: Any])
    XCTAssertEqual((object["masks"] as? [[Any]])?.first?.count, 3)
    try fail(
      ["fill-mask", "--model", Self.bert, "--input", input, "--top", "0"], saying: ["--top", "\"0\""])
  }

  func testALineWithoutMaskIsAnErrorNamingIt() throws {
    let input = try file("in.txt", "The food was [MASK].\nThe food was good.\n")
    try fail(
      ["fill-mask", "--model", Self.bert, "--input", input],
      saying: ["\(input):2:", "no [MASK] in this line"])
  }

  func testAMissingModelDirectoryOrInputFileIsNamed() throws {
    let input = try file("in.txt", "The food was [MASK].\n")
    let missing = scratch.appendingPathComponent("no-such-model").path
    try fail(
      ["fill-mask", "--model", missing, "--input", input],
      saying: ["--model \(missing)", "no such directory"])
    try fail(
      ["fill-mask", "--model", Self.bert, "--input", missing], saying: ["--input \(missing)", "cannot read"])
    try fail(["fill-mask", "--input", input], saying: ["needs --model DIR"])
    try fail(["fill-mask", "--model", Self.gpt2, "--input", input], saying: ["no vocab.txt"])
  }

  func testATokenizerLargerThanTheModelIsRefused() throws {
    let copy = scratch.appendingPathComponent("bert")
    try FileManager.default.copyItem(atPath: Self.bert, toPath: copy.path)
    let vocab = copy.appendingPathComponent("vocab.txt")
    let extra = (0..<20).map { "extra\($0)\n" }.joined()
    try Data((try String(contentsOf: vocab, encoding: .utf8) + extra).utf8).write(to: vocab)
    let input = try file("in.txt", "extra3 was [MASK].\n")
    try fail(["fill-mask", "--model", copy.path, "--input", input], saying: [vocab.path, "vocab_size"])
  }
}

final class EmbedCLITests: CourseCLITestCase {
  func hiddenSize() throws -> Int {
    let config = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: Self.bert + "/config.json")))
    return try XCTUnwrap((config as? [String: Any])?["hidden_size"] as? Int)
  }

  func vectors(_ lines: [String]) throws -> [[Double]] {
    try lines.map { try XCTUnwrap(try json($0) as? [Double], $0) }
  }

  func testOneVectorOfTheHiddenSizePerLine() throws {
    let input = try file("in.txt", "The food was good.\nThe hotel was clean.\n\nIt broke after two days.\n")
    let size = try hiddenSize()
    for pooling in ["cls", "mean"] {
      let found = try vectors(
        try succeed(["embed", "--model", Self.bert, "--input", input, "--pooling", pooling]))
      XCTAssertEqual(found.count, 3, "one vector per non-blank line")
      XCTAssertEqual(found.map(\.count), [size, size, size])
      XCTAssertTrue(found.joined().allSatisfy(\.isFinite))
      XCTAssertNotEqual(found[0], found[1], "different sentences, different vectors")
    }
  }

  func testClsAndMeanPoolingDifferAndMeanIsTheDefault() throws {
    let input = try file("in.txt", "The food was good.\n")
    let cls = try vectors(try succeed(["embed", "--model", Self.bert, "--input", input, "--pooling", "cls"]))
    let mean = try vectors(
      try succeed(["embed", "--model", Self.bert, "--input", input, "--pooling", "mean"]))
    let byDefault = try vectors(try succeed(["embed", "--model", Self.bert, "--input", input]))
    XCTAssertEqual(mean, byDefault)
    let difference = zip(cls[0], mean[0]).map { abs($0 - $1) }.max() ?? 0
    XCTAssertGreaterThan(difference, 1e-3, "the [CLS] vector is not the mean of the tokens")
  }

  /// On the real all-MiniLM-L6-v2 (see GoldenModelTests; skipped when absent), mean pooling is
  /// sentence-transformers' sentence embedding, up to its length.
  func testMeanPoolingOfMiniLML6IsTheSentenceTransformersEmbedding() throws {
    let directory =
      ProcessInfo.processInfo.environment["MINILM_L6"]
      ?? Self.packageRoot.appendingPathComponent("../shared/data/real/minilm-l6").standardizedFileURL.path
    guard FileManager.default.fileExists(atPath: directory + "/model.safetensors") else {
      throw XCTSkip("\(directory) is not here (set MINILM_L6 to the unpacked all-MiniLM-L6-v2)")
    }
    struct Golden: Decodable {
      var sentences: [String]
      var sentence_embeddings: [Double]
    }
    let golden = try JSONDecoder().decode(
      Golden.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("minilm-l6-golden.json")))
    let input = try file("in.txt", golden.sentences.joined(separator: "\n"))
    let found = try vectors(
      try succeed(["embed", "--model", directory, "--input", input, "--pooling", "mean"]))
    XCTAssertEqual(found.count, golden.sentences.count)
    let normalised = found.flatMap { v in v.map { $0 / v.map { $0 * $0 }.reduce(0, +).squareRoot() } }
    XCTAssertEqual(normalised.count, golden.sentence_embeddings.count)
    let worst = zip(normalised, golden.sentence_embeddings).map { abs($0 - $1) }.max() ?? .infinity
    XCTAssertLessThan(worst, 1e-5, "max abs error \(worst)")
  }

  func testUnknownPoolingIsRejected() throws {
    let input = try file("in.txt", "The food was good.\n")
    try fail(
      ["embed", "--model", Self.bert, "--input", input, "--pooling", "max"],
      saying: ["--pooling: expected cls or mean", "\"max\""])
    try fail(
      ["embed", "--model", Self.bert, "--input", input, "--poolng", "cls"],
      saying: ["unknown option --poolng"])
  }
}

final class GenerateCLITests: CourseCLITestCase {
  func generate(_ extra: [String]) throws -> String {
    let lines = try succeed(["generate", "--model", Self.gpt2, "--prompt", "The food was"] + extra)
    XCTAssertEqual(lines.count, 1, "\(lines)")
    return lines.first ?? ""
  }

  func testThePromptContinues() throws {
    let text = try generate(["--max-new-tokens", "8"])
    XCTAssertTrue(text.hasPrefix("The food was"), text)
    XCTAssertGreaterThan(text.utf8.count, "The food was".utf8.count, "something was added")
    let unchanged = try generate(["--max-new-tokens", "0"])
    XCTAssertEqual(unchanged, "The food was", "no new tokens: the prompt")
  }

  func testGreedyAndSeededSamplingAreReproducible() throws {
    let (greedy, again) = (try generate([]), try generate([]))
    XCTAssertEqual(greedy, again, "greedy decoding is deterministic")
    let sample = ["--temperature", "1", "--max-new-tokens", "20"]
    let first = try generate(sample + ["--seed", "7"])
    let same = try generate(sample + ["--seed", "7"])
    let other = try generate(sample + ["--seed", "8"])
    XCTAssertEqual(first, same, "the same seed, the same text")
    XCTAssertNotEqual(first, other, "another seed, another sample")
    XCTAssertNotEqual(first, greedy, "sampling at temperature 1 is not greedy decoding")
  }

  func testBadOptionsAreRefusedNotCrashedOn() throws {
    let base = ["generate", "--model", Self.gpt2]
    try fail(base + ["--prompt", ""], saying: ["--prompt is empty"])
    try fail(base + ["--prompt", "x", "--max-new-tokens", "-3"], saying: ["--max-new-tokens", "\"-3\""])
    try fail(base + ["--prompt", "x", "--temperature", "hot"], saying: ["--temperature", "\"hot\""])
    try fail(base + ["--prompt", "x", "--top-k", "0"], saying: ["--top-k", "\"0\""])
    try fail(base + ["--prompt", "x", "--seed", "-1"], saying: ["--seed", "\"-1\""])
    try fail(["generate", "--model", Self.bert, "--prompt", "x"], saying: ["GPT-2 style tokenizer"])
  }
}
