// Fuzz target: a safetensors file in memory, then every tensor read the way its dtype allows
// (F32/F16/BF16 as Float, I8 as integers, and as a quantized weight when it has scales).
import Foundation
import Models

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let data = Data(bytes: start, count: count)
  guard let file = try? SafetensorsFile(data: data, path: "fuzz.safetensors") else { return 0 }
  for (name, entry) in file.entries {
    if entry.dtype.isFloatingPoint {
      _ = try? file.tensor(name)
    } else {
      _ = try? file.int8Tensor(name)
      _ = try? file.quantizedWeight(name)
    }
  }
  return 0
}
