// Fuzz target: a config.json decoded as BertConfig, GPT2Config and RobertaConfig, each validated.
import Foundation
import Models

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let data = Data(bytes: start, count: count)
  let decoder = JSONDecoder()
  if let config = try? decoder.decode(BertConfig.self, from: data) { try? config.validate() }
  if let config = try? decoder.decode(GPT2Config.self, from: data) { try? config.validate() }
  if let config = try? decoder.decode(RobertaConfig.self, from: data) { try? config.validate() }
  return 0
}
