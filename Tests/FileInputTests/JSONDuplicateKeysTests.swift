import FileInput
import Foundation
import XCTest

/// The scan for a key repeated in one JSON object, which every JSON reader of the kit runs.
final class JSONDuplicateKeysTests: XCTestCase {
  func duplicate(_ json: String) -> DuplicateJSONKey? { firstDuplicateJSONKey(in: Data(json.utf8)) }

  func testTheSameKeyInTwoObjectsOrAsAValueIsNotADuplicate() {
    XCTAssertNil(duplicate(#"{"a": {"a": 1}, "b": "a", "c": ["a", "a"]}"#))
    XCTAssertNil(duplicate(#"[{"a": 1}, {"a": 2}]"#))
    XCTAssertNil(duplicate(#"{"a\"b": 1, "a": "b\\", "b": 2}"#))
    // Keys are compared as written: an escape that spells the same key is not caught.
    XCTAssertNil(duplicate(#"{"a": 1, "\u0061": 2}"#))
  }

  func testARepeatedKeyIsFoundWithItsObjectsPath() {
    XCTAssertEqual(duplicate(#"{"a": 1, "a": 2}"#), DuplicateJSONKey(key: "a", path: ""))
    XCTAssertEqual(
      duplicate(#"{"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "a": 2}}}"#),
      DuplicateJSONKey(key: "a", path: "model.vocab"))
    // Strings holding quotes, commas and braces do not derail the scan.
    XCTAssertEqual(
      duplicate(#"{"x": [{"k": "\"", "v": ",}{"}, {"k": 1, "k": 2}]}"#),
      DuplicateJSONKey(key: "k", path: "x[1]"))
    XCTAssertEqual(
      duplicate(#"{"added_tokens": [{"id": 0}, {"id": 1}, {"id": 2, "content": "a", "id": 3}]}"#),
      DuplicateJSONKey(key: "id", path: "added_tokens[2]"))
    XCTAssertEqual(
      duplicate(#"[[1, 2], {"a": {"b": 1, "b": 1}}]"#), DuplicateJSONKey(key: "b", path: "[1].a"))
  }

  func testTheMessageNamesTheKeyTheObjectAndWhy() {
    XCTAssertEqual(
      DuplicateJSONKey(key: "a", path: "model.vocab").description,
      "the key \"a\" appears twice in the object model.vocab; JSON readers disagree on which value counts (Python's json keeps the last), so the kit refuses to guess (remove one)"
    )
    XCTAssertTrue(DuplicateJSONKey(key: "a", path: "").description.contains("in the top-level object;"))
  }
}
