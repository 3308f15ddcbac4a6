// `course bench`: the kit's own speed, in figures comparable with numpy and PyTorch
// (bench/compare.py runs those on the same machine and prints the ratios).

import CourseTools
import Foundation
import Models
import TensorCore

/// Times `body` after a warm-up: the median of `repeats` runs, in seconds.
func medianSeconds(repeats: Int, warmup: Int = 1, _ body: () -> Void) -> Double {
  for _ in 0..<warmup { body() }
  var times: [Double] = []
  for _ in 0..<repeats {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  return times.sorted()[times.count / 2]
}

/// GFLOP/s of one (m×k)·(k×n) product on `threads` threads.
func matmulGFLOPs(m: Int, k: Int, n: Int, threads: Int) -> Double {
  let saved = Threads.count
  Threads.count = threads
  defer { Threads.count = saved }
  let generator = Generator(seed: 0)
  let a = Tensor.randn([m, k], generator: generator)
  let b = Tensor.randn([k, n], generator: generator)
  let flops = 2.0 * Double(m) * Double(n) * Double(k)
  let repeats = max(7, min(50, Int(3e10 / flops)))
  let seconds = medianSeconds(repeats: repeats) { _ = a.matmul(b) }
  return flops / seconds / 1e9
}

/// The benchmark's BERT-style classifier: vocab 2000, hidden 128, 2 layers, 2 heads, FFN 512.
func benchBertConfig() -> BertConfig {
  BertConfig(
    vocabSize: 2000, hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 512,
    maxPositionEmbeddings: 128)
}

/// Tokens per second of full training steps (forward, cross-entropy, backward, AdamW) on a
/// batch of `batch` × `seq` random tokens, and the median step time.
func trainingStepTokensPerSecond(batch: Int = 32, seq: Int = 64, threads: Int, steps: Int = 10) throws -> (
  tokensPerSecond: Double, seconds: Double
) {
  let saved = Threads.count
  Threads.count = threads
  defer { Threads.count = saved }
  let generator = Generator(seed: 0)
  let config = benchBertConfig()
  let model = BertForSequenceClassification(config, generator: generator)
  let optimizer = AdamW(model.parameters(), learningRate: 5e-5)
  let ids = (0..<batch).map { _ in (0..<seq).map { _ in generator.int(below: config.vocabSize) } }
  let labels = (0..<batch).map { _ in generator.int(below: 2) }
  var failure: Error?
  let seconds = medianSeconds(repeats: steps, warmup: 2) {
    do {
      optimizer.zeroGrad()
      let logits = try model(inputIds: ids)
      let loss = crossEntropy(logits, targets: labels)
      loss.backward()
      optimizer.step()
    } catch { failure = error }
  }
  if let failure { throw failure }
  return (Double(batch * seq) / seconds, seconds)
}

/// The peak resident memory of this process, in MB.
func peakMemoryMB() -> Double {
  var usage = rusage()
  #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
  #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576  // bytes on macOS
  #endif
}

/// `course bench [--json FILE] [--quick]` and `course bench matmul --m M --k K --n N --threads T`.
struct Bench: CourseCommand {
  @Arguments(
    "matmul|int8", count: 0...1,
    help: "time one matrix product (--m, --k, --n, --threads), or the int8 linear op (--m rows), instead")
  var benchmark: [String]
  @Flag("--quick", help: "fewer shapes and steps")
  var quick: Bool
  @Option("--json", value: "FILE", help: "also write the figures to FILE as JSON")
  var json: String? = nil
  @Option("--m", .atLeast(1), help: "matmul: rows of the left matrix")
  var m = 512
  @Option("--k", .atLeast(1), help: "matmul: columns of the left matrix")
  var k = 512
  @Option("--n", .atLeast(1), help: "matmul: columns of the right matrix")
  var n = 512
  @Option("--threads", .atLeast(1), help: "matmul: threads")
  var threads = Threads.count

  /// Whether --threads and --m were given (int8 then measures only that thread count, those rows).
  var threadsGiven: Bool { _threads.isSet }
  var rowsGiven: Bool { _m.isSet }

  func run() throws -> Int32 { try runBench(self) }
}

func runBench(_ options: Bench) throws -> Int32 {
  if options.benchmark.first == "matmul" {
    let (m, k, n, threads) = (options.m, options.k, options.n, options.threads)
    let gflops = matmulGFLOPs(m: m, k: k, n: n, threads: threads)
    print(
      "\(m)x\(k)x\(n) \(threads) thread\(threads == 1 ? "" : "s"): \(String(format: "%.1f", gflops)) GFLOP/s")
    return 0
  }
  if options.benchmark.first == "int8" {
    let threads = options.threadsGiven ? [options.threads] : [1, 2]
    let results = runInt8Bench(rows: options.rowsGiven ? options.m : 2048, threadCounts: threads)
    try writeBenchJSON(results + (try runGPTMiniForwardBench(threadCounts: threads)), to: options.json)
    return 0
  }
  if let name = options.benchmark.first {
    throw CourseToolError("unknown benchmark \"\(name)\" (try: matmul, int8)")
  }
  let quick = options.quick
  let shapes: [(Int, Int, Int)] =
    [
      (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 128, 512), (2048, 512, 128),
      (4096, 384, 1536),
    ]
  let threadCounts = Array(Set([1, min(2, ProcessInfo.processInfo.activeProcessorCount)])).sorted()
  var results: [[String: Any]] = []
  print("matmul (m×k·k×n), GFLOP/s")
  print(
    "shape".padding(toLength: 18, withPad: " ", startingAt: 0) + threadCounts.map { "  \($0) thr" }.joined())
  for (m, k, n) in quick ? Array(shapes.prefix(2)) : shapes {
    var row = "\(m)x\(k)x\(n)".padding(toLength: 18, withPad: " ", startingAt: 0)
    for t in threadCounts {
      let g = matmulGFLOPs(m: m, k: k, n: n, threads: t)
      row += String(format: "%8.1f", g)
      results.append(["bench": "matmul", "m": m, "k": k, "n": n, "threads": t, "gflops": g])
    }
    print(row)
  }
  print(
    "\nBERT-style classifier training step (vocab 2000, hidden 128, 2 layers, 2 heads, FFN 512, 32×64 tokens)"
  )
  for t in threadCounts {
    let (tokens, seconds) = try trainingStepTokensPerSecond(threads: t, steps: quick ? 3 : 10)
    print(
      String(format: "%d thread%@: %.1f ms/step, %.0f tokens/s", t, t == 1 ? "" : "s", seconds * 1000, tokens)
    )
    results.append([
      "bench": "bert_train_step", "threads": t, "seconds": seconds, "tokens_per_second": tokens,
    ])
  }
  let memory = peakMemoryMB()
  print(String(format: "\npeak memory: %.0f MB", memory))
  results.append(["bench": "peak_memory", "megabytes": memory])
  try writeBenchJSON(results, to: options.json)
  return 0
}

/// Writes the figures as JSON to `path` (when given), atomically.
func writeBenchJSON(_ results: [[String: Any]], to path: String?) throws {
  guard let path else { return }
  let data = try JSONSerialization.data(
    withJSONObject: ["kit": "swift", "results": results], options: [.prettyPrinted, .sortedKeys])
  try data.write(to: URL(fileURLWithPath: path), options: .atomic)
  print("wrote \(path)")
}
