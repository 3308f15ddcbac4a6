// `course bench int8`: the int8 linear op (Int8Linear.swift) against the Float one, at the
// shapes of the course's models, one product at a time. bench/int8.py measures PyTorch's Float
// `nn.Linear` and its dynamically quantized int8 Linear at the same shapes.

import Foundation
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

/// Median milliseconds of one Float `linear` and one int8 `linear` (activation quantization and
/// weight packing included) on `rows` × `in` inputs, with a bias, on `threads` threads.
func int8LinearMilliseconds(rows: Int, inFeatures: Int, outFeatures: Int, threads: Int) -> (
  float: Double, int8: Double
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
  let float = medianSeconds(repeats: repeats, warmup: 2) { _ = linear(x, weight: weight, bias: bias) }
  let int8 = medianSeconds(repeats: repeats, warmup: 2) { _ = linear(x, weight: quantized, bias: bias) }
  return (float * 1000, int8 * 1000)
}

/// Prints the table of `course bench int8` and returns its rows for --json.
func runInt8Bench(rows: Int, threadCounts: [Int]) -> [[String: Any]] {
  var results: [[String: Any]] = []
  print("linear y = x·Wᵀ + b, x \(rows) rows: Float32 vs int8 weights (median ms per product)")
  print(
    "model      layer                              in×out     thr   float ms   int8 ms   int8 speed-up")
  for shape in int8BenchShapes {
    for t in threadCounts {
      let (float, int8) = int8LinearMilliseconds(
        rows: rows, inFeatures: shape.inFeatures, outFeatures: shape.outFeatures, threads: t)
      let size = "\(shape.inFeatures)×\(shape.outFeatures)"
      print(
        shape.model.padding(toLength: 11, withPad: " ", startingAt: 0)
          + shape.layer.padding(toLength: 35, withPad: " ", startingAt: 0)
          + size.padding(toLength: 11, withPad: " ", startingAt: 0)
          + String(format: "%3d %10.3f %9.3f %12.2f×", t, float, int8, float / int8))
      results.append([
        "bench": "int8_linear", "model": shape.model, "layer": shape.layer, "rows": rows,
        "in": shape.inFeatures, "out": shape.outFeatures, "threads": t, "float_ms": float, "int8_ms": int8,
      ])
    }
  }
  return results
}
