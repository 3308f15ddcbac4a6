// Fuzz target: what `--resume` reads from a checkpoint: training_args.json (decoded and
// validated), trainer_state.json and rng_state.json.
import Foundation
import TensorCore
import Training

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let data = Data(bytes: start, count: count)
  let decoder = JSONDecoder()
  if let args = try? decoder.decode(TrainingArguments.self, from: data) { try? args.validate() }
  _ = try? decoder.decode(TrainerState.self, from: data)
  _ = try? decoder.decode(Generator.State.self, from: data)
  return 0
}
