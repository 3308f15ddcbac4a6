// `course bench int8`: the int8 linear op (Int8Linear.swift) against the Float one, at the
// shapes of the course's models, one product at a time. bench/int8.py measures PyTorch's Float
// `nn.Linear` and its dynamically quantized int8 Linear at the same shapes.

import Foundation
import Models
import TensorCore

/// The (in, out) shapes of every Linear layer of MiniLM-L3 (hidden 384, intermediate 1536) and
/// of gpt-mini (hidden 128, inner 512), named as their layers.
let int8BenchShapes: [(model: String, layer: String, inFeatures: Int, outFeatures: Int)] = [
  ("MiniLM-L3", "query/key/value/attention.output", 384, 384),
  ("MiniLM-L3", "intermediate", 384, 1536),
  ("MiniLM-L3", "output", 1536, 384),
  ("gpt-mini", "c_attn", 128, 384),
  ("gpt-mini", "attn.c_proj", 128, 128),
  ("gpt-mini", "c_fc", 128, 512),
  ("gpt-mini", "mlp.c_proj", 512, 128),
]

/// Median wall-clock and CPU milliseconds (all threads' CPU time) of `body` after 2 warm-up
/// calls. On a machine shared with other work the CPU time is the steadier figure: it does not
/// count the time the process waits for a core.
func wallAndCPUMilliseconds(repeats: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
  func cpuNanoseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
  }
  body()
  body()
  var (wall, cpu) = ([Double](), [Double]())
  for _ in 0..<repeats {
    let (start, startCPU) = (DispatchTime.now().uptimeNanoseconds, cpuNanoseconds())
    body()
    cpu.append((cpuNanoseconds() - startCPU) / 1e6)
    wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
  }
  return (wall.sorted()[repeats / 2], cpu.sorted()[repeats / 2])
}

/// One Float `linear` and one int8 `linear` (activation quantization and weight packing
/// included) on `rows` × `in` inputs, with a bias, on `threads` threads: median milliseconds.
func int8LinearMilliseconds(rows: Int, inFeatures: Int, outFeatures: Int, threads: Int) -> (
  float: (wall: Double, cpu: Double), int8: (wall: Double, cpu: Double)
) {
  let saved = Threads.count
  Threads.count = threads
  defer { Threads.count = saved }
  let generator = Generator(seed: 0)
  let x = Tensor.randn([rows, inFeatures], generator: generator)
  let weight = Tensor.randn([outFeatures, inFeatures], generator: generator) * 0.05
  let bias = Tensor.randn([outFeatures], generator: generator)
  let quantized = QuantizedWeight(quantizing: weight)
  let macs = Double(rows * inFeatures * outFeatures)
  let repeats = max(9, min(200, Int(3e9 / macs)))
  let float = wallAndCPUMilliseconds(repeats: repeats) { _ = linear(x, weight: weight, bias: bias) }
  let int8 = wallAndCPUMilliseconds(repeats: repeats) { _ = linear(x, weight: quantized, bias: bias) }
  return (float, int8)
}

/// Prints the table of `course bench int8` and returns its rows for --json.
func runInt8Bench(rows: Int, threadCounts: [Int]) -> [[String: Any]] {
  var results: [[String: Any]] = []
  print("linear y = x·Wᵀ + b, x \(rows) rows: Float32 vs int8 (median ms per product; CPU: all threads)")
  print(
    "model      in×out     thr  float wall  int8 wall  speed-up  float CPU  int8 CPU  speed-up")
  for shape in int8BenchShapes {
    for t in threadCounts {
      let (float, int8) = int8LinearMilliseconds(
        rows: rows, inFeatures: shape.inFeatures, outFeatures: shape.outFeatures, threads: t)
      let size = "\(shape.inFeatures)×\(shape.outFeatures)"
      print(
        shape.model.padding(toLength: 11, withPad: " ", startingAt: 0)
          + size.padding(toLength: 11, withPad: " ", startingAt: 0)
          + String(
            format: "%3d %11.3f %10.3f %8.2f× %10.3f %9.3f %8.2f×", t, float.wall, int8.wall,
            float.wall / int8.wall, float.cpu, int8.cpu, float.cpu / int8.cpu))
      results.append([
        "bench": "int8_linear", "model": shape.model, "layer": shape.layer, "rows": rows,
        "in": shape.inFeatures, "out": shape.outFeatures, "threads": t, "float_ms": float.wall,
        "int8_ms": int8.wall, "float_cpu_ms": float.cpu, "int8_cpu_ms": int8.cpu,
      ])
    }
  }
  return results
}

/// Median wall-clock and CPU milliseconds of one forward pass (no gradients) of gpt-mini's
/// architecture (GPT2ForSequenceClassification: vocab 2000, hidden 128, 2 layers, 2 heads, inner
/// 512; random weights, which do not change the time) on `batch` × `seq` random tokens, in
/// Float32 and after `quantizeDynamic()`, on `threads` threads.
func gptMiniForwardMilliseconds(batch: Int, seq: Int, threads: Int) throws -> (
  float: (wall: Double, cpu: Double), int8: (wall: Double, cpu: Double)
) {
  let saved = Threads.count
  Threads.count = threads
  defer { Threads.count = saved }
  let generator = Generator(seed: 0)
  var config = GPT2Config(vocabSize: 2000, nPositions: 128, nEmbd: 128, nLayer: 2, nHead: 2, nInner: 512)
  config.padTokenId = 0
  let model = GPT2ForSequenceClassification(config, generator: generator)
  model.eval()
  let ids = (0..<batch).map { _ in (0..<seq).map { _ in 1 + generator.int(below: config.vocabSize - 1) } }
  var failure: Error?
  func forward() -> (wall: Double, cpu: Double) {
    wallAndCPUMilliseconds(repeats: 9) {
      do { _ = try noGrad { try model(inputIds: ids) } } catch { failure = error }
    }
  }
  let float = forward()
  try model.quantizeDynamic()
  let int8 = forward()
  if let failure { throw failure }
  return (float, int8)
}

/// Prints the whole-model line of `course bench int8` and returns it for --json.
func runGPTMiniForwardBench(threadCounts: [Int]) throws -> [[String: Any]] {
  var results: [[String: Any]] = []
  print("\ngpt-mini forward pass (GPT2ForSequenceClassification, hidden 128), 64 × 64 tokens, no gradients")
  print("thr  float wall  int8 wall  speed-up  float CPU  int8 CPU  speed-up")
  for t in threadCounts {
    let (float, int8) = try gptMiniForwardMilliseconds(batch: 64, seq: 64, threads: t)
    print(
      String(
        format: "%3d %11.3f %10.3f %8.2f× %10.3f %9.3f %8.2f×", t, float.wall, int8.wall,
        float.wall / int8.wall,
        float.cpu, int8.cpu, float.cpu / int8.cpu))
    results.append([
      "bench": "int8_gpt_mini_forward", "batch": 64, "seq": 64, "threads": t, "float_ms": float.wall,
      "int8_ms": int8.wall, "float_cpu_ms": float.cpu, "int8_cpu_ms": int8.cpu,
    ])
  }
  return results
}
