import Foundation
import TensorCore
import XCTest

@testable import Models

/// Damaged checkpoint files give clear errors, never a crash or a hang: thousands of random
/// corruptions of a valid safetensors file and of a valid config.json.
final class CorruptionTests: XCTestCase {
  func validFile() throws -> Data {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("valid-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafetensorsFile.write([("a.weight", Tensor.randn([3, 4])), ("b.bias", Tensor.randn([4]))], to: url)
    return try Data(contentsOf: url)
  }

  func testACheckpointWithNaNWeightsIsRefusedAtLoad() throws {
    try skipUnlessCheckpointExercisesDone()  // saving and loading read the safetensors header (exercise)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nan-\(UUID())")
    defer { try? FileManager.default.removeItem(at: directory) }
    let model = BertModel(.tiny(vocabSize: 20))
    try model.saveWeights(to: directory)
    let url = directory.appendingPathComponent("model.safetensors")
    let poisoned = try model.stateDict().map { entry -> (String, Tensor) in
      guard entry.name == "encoder.layer.0.attention.self.query.weight" else { return entry }
      var data = entry.tensor.data
      data[5] = .nan
      return (entry.name, Tensor(data, shape: entry.tensor.shape))
    }
    try SafetensorsFile.write(poisoned, to: url)
    XCTAssertThrowsError(
      try BertModel(.tiny(vocabSize: 20)).load(from: SafetensorsFile(contentsOf: url), basePrefix: "bert")
    ) {
      let message = "\($0)"
      XCTAssertTrue(message.contains("encoder.layer.0.attention.self.query.weight"), message)
      XCTAssertTrue(message.contains("nan at flat index 5"), message)
    }
  }

  func testCorruptedSafetensorsGiveErrorsNotCrashes() throws {
    try skipUnlessCheckpointExercisesDone()
    let valid = [UInt8](try validFile())
    let generator = Generator(seed: 99)
    var (errors, parsed) = (0, 0)
    for round in 0..<3000 {
      var bytes = valid
      switch round % 5 {
      case 0: bytes = Array(bytes.prefix(generator.int(below: bytes.count)))  // truncated
      case 1:  // a random byte anywhere (often in the JSON header)
        for _ in 0..<(1 + generator.int(below: 4)) {
          bytes[generator.int(below: bytes.count)] = UInt8(generator.int(below: 256))
        }
      case 2: for i in 0..<8 { bytes[i] = UInt8(generator.int(below: 256)) }  // the header length
      case 3:  // a digit of the JSON changed (shapes, offsets)
        let digits = bytes.indices.filter {
          (48...57).contains(bytes[$0]) && $0 > 8 && $0 < 8 + Int(valid[0])
        }
        if !digits.isEmpty {
          bytes[digits[generator.int(below: digits.count)]] = UInt8(48 + generator.int(below: 10))
        }
      default: bytes.insert(UInt8(generator.int(below: 256)), at: 8 + generator.int(below: bytes.count - 8))
      }
      do {
        let file = try SafetensorsFile(data: Data(bytes), path: "fuzz.safetensors")
        for name in file.entries.keys { _ = try? file.tensor(name) }
        parsed += 1
      } catch let error as SafetensorsError {
        XCTAssertTrue(error.description.hasPrefix("fuzz.safetensors: "), error.description)
        errors += 1
      }
    }
    XCTAssertGreaterThan(errors, 1000, "most corruptions are caught")
    XCTAssertEqual(errors + parsed, 3000)
  }

  func testCorruptedConfigsGiveErrorsNotCrashes() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let valid = Array(
      #"{"vocab_size": 50, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32}"#
        .utf8)
    let generator = Generator(seed: 5)
    for _ in 0..<500 {
      var bytes = valid
      for _ in 0..<(1 + generator.int(below: 3)) {
        bytes[generator.int(below: bytes.count)] = UInt8(32 + generator.int(below: 95))
      }
      try Data(bytes).write(to: directory.appendingPathComponent("config.json"))
      do {
        _ = try BertModel.fromPretrained(directory)
      } catch let error as ConfigError {
        XCTAssertTrue(
          error.description.contains("config.json") || error.description.contains("must be"),
          error.description)
      } catch let error as SafetensorsError {
        XCTAssertTrue(error.description.contains("model.safetensors"), error.description)
      }
    }
  }

  func testARepeatedConfigKeyIsRefusedNamingIt() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dup-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let config =
      #"{"vocab_size": 50, "hidden_size": 32, "hidden_size": 16, "num_hidden_layers": 1, "#
      + #""num_attention_heads": 2, "intermediate_size": 32, "id2label": {"0": "a", "1": "b"}}"#
    try Data(config.utf8).write(to: directory.appendingPathComponent("config.json"))
    XCTAssertThrowsError(try BertModel.fromPretrained(directory)) {
      XCTAssertTrue(
        "\($0)".contains("the key \"hidden_size\" appears twice in the top-level object"), "\($0)")
    }
  }

  /// A tensor named twice in a safetensors header: the safetensors library keeps the last entry,
  /// and the kit refuses to depend on its parser doing the same, naming the tensor.
  func testATensorNamedTwiceInTheHeaderIsRefused() throws {
    try skipUnlessCheckpointExercisesDone()  // the header is read by exercise 4.4 first
    let header =
      #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
    var length = UInt64(header.utf8.count).littleEndian
    let file = Data(bytes: &length, count: 8) + Data(header.utf8) + Data(count: 8)
    XCTAssertThrowsError(try SafetensorsFile(data: file, path: "dup.safetensors")) {
      XCTAssertTrue(
        "\($0)".contains("dup.safetensors: the key \"a\" appears twice in the top-level object"), "\($0)")
    }
  }

  /// Sizes near Int.max (the config-json fuzz target's kind of input) are refused by the
  /// parameter budget; the sums and the GPT-2 inner size (4 × n_embd) used to overflow and trap.
  func testHugeConfigSizesAreRefusedNotOverflowed() throws {
    let decoder = JSONDecoder()
    for json in [
      #"{"vocab_size": 9223372036854775807}"#,
      #"{"max_position_embeddings": 9223372036854775807}"#,
      #"{"hidden_size": 4611686018427387904, "num_attention_heads": 1}"#,
    ] {
      for decode in [
        { try decoder.decode(BertConfig.self, from: Data(json.utf8)).validate() },
        { try decoder.decode(RobertaConfig.self, from: Data(json.utf8)).validate() },
      ] {
        XCTAssertThrowsError(try decode()) { XCTAssertTrue("\($0)".contains("4 billion"), "\($0)") }
      }
    }
    for json in [
      #"{"n_embd": 4611686018427387904, "n_head": 1}"#,
      #"{"vocab_size": 9223372036854775807}"#,
      #"{"n_positions": 9223372036854775807}"#,
      #"{"n_inner": 9223372036854775807}"#,
    ] {
      XCTAssertThrowsError(try decoder.decode(GPT2Config.self, from: Data(json.utf8)).validate()) {
        XCTAssertTrue("\($0)".contains("4 billion"), "\($0)")
      }
    }
  }
}
