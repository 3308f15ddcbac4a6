// Post-training int8 quantization of a whole model (Lesson 8), as PyTorch's
// `torch.ao.quantization.quantize_dynamic` does it for `nn.Linear`: every linear layer's weight
// is stored as int8 with one scale per output channel (QuantizedWeight.swift); at run time each
// row of activations is quantized to int8 too and the product runs in integers (Int8Linear.swift).
// Embeddings and LayerNorms stay Float32, as in PyTorch. (PyTorch's default dynamic qconfig has
// one weight scale per tensor and one activation scale and zero point per call; the kit uses
// `per_channel_dynamic_qconfig`'s per-channel weights and one symmetric scale per activation row.)

import Exercises

/// Quantizes a Float weight (out, in) to int8, one symmetric scale per output channel (row):
/// scale = max(|row|) / 127 (at least `Float.ulpOfOne`), level = round(w / scale) to even,
/// clamped to -127...127. See QuantizedWeight.swift's header for the exact convention.
public func quantizePerChannel(_ weight: Tensor) -> QuantizedWeight {
  // BEGIN EXERCISE 8.3 "Per-channel symmetric int8 quantization" points=3
  // hint: Each output channel (row) gets its own scale, chosen so that the row's largest magnitude lands on
  // hint: the largest int8 level; zero stays exactly zero.
  // hint 2: scale = (largest |w| in the row) / QuantizedWeight.maxLevel, floored at Float.ulpOfOne so an
  // hint 2: all-zero row does not divide by zero. A level is w · (1 / scale) rounded to nearest, ties to even
  // hint 2: (.toNearestOrEven), then clamped to ±maxLevel.
  // hint 3: Loop over rows: find the row's absolute maximum, compute its scale and inverse, fill that row's
  // hint 3: Int8 levels; return QuantizedWeight(values: Int8Tensor(levels, shape: weight.shape), scales:).
  let (rows, columns) = (weight.shape[0], weight.shape[1])
  var scales = [Float](repeating: 0, count: rows)
  var values = [Int8](repeating: 0, count: rows * columns)
  weight.data.withUnsafeBufferPointer { w in
    for o in 0..<rows {
      let row = w[(o * columns)..<(o * columns + columns)]
      let absMax = row.reduce(Float(0)) { Swift.max($0, Swift.abs($1)) }
      let scale = Swift.max(absMax / QuantizedWeight.maxLevel, Float.ulpOfOne)
      let inverse = 1 / scale  // as ATen's quantize_val: value · (1 / scale), then round
      for i in 0..<columns {
        let level = (row[o * columns + i] * inverse).rounded(.toNearestOrEven)
        values[o * columns + i] = Int8(
          Swift.min(Swift.max(level, -QuantizedWeight.maxLevel), QuantizedWeight.maxLevel))
      }
      scales[o] = scale
    }
  }
  return QuantizedWeight(values: Int8Tensor(values, shape: [rows, columns]), scales: scales)
  // END EXERCISE 8.3
}

extension QuantizedWeight: ExercisePlaceholder {
  /// What an unfinished exercise 8.3 returns: an empty weight.
  public static var exercisePlaceholder: QuantizedWeight {
    QuantizedWeight(values: Int8Tensor([], shape: [0, 0]), scales: [])
  }
}

/// A `Linear` layer whose weight is int8 (PyTorch's `nn.quantized.dynamic.Linear`): the
/// forward pass quantizes its input per row and runs the int8 × int8 kernel; `weight` holds the
/// dequantized values, frozen, for code that reads shapes or compares weights. It is for
/// inference: nothing in it trains (gradients still flow to the input, so adapters around it can
/// train).
public final class QuantizedLinear: Linear {
  /// The int8 values and per-channel scales.
  public let quantized: QuantizedWeight

  /// `layer`'s weight quantized per channel; the bias is kept in Float.
  public convenience init(quantizing layer: Linear) {
    self.init(quantized: QuantizedWeight(quantizing: layer.weight), bias: layer.bias)
  }

  /// A layer from stored int8 values and scales (a quantized checkpoint) and a Float bias.
  public init(quantized: QuantizedWeight, bias: Tensor?) {
    self.quantized = quantized
    let weight = quantized.dequantized()
    super.init(weight: weight, bias: bias)
    weight.requiresGrad = false
    bias?.requiresGrad = false
  }

  public override func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight: quantized, bias: bias) }
}

extension Module {
  /// Replaces every `Linear` of this model (declared `@Child var`) by a `QuantizedLinear`
  /// (PyTorch's `quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)`, per channel), in
  /// place; `where` chooses by path (default: all). Returns the replaced paths. Layers that are
  /// not `@Child` (none in the kit's models) are left Float.
  @discardableResult
  public func quantizeDynamic(where include: (String) -> Bool = { _ in true }) throws -> [String] {
    try replaceModules { path, module in
      guard let linear = module as? Linear, !(module is QuantizedLinear), include(path) else { return nil }
      return QuantizedLinear(quantizing: linear)
    }
  }
}
