// Integer weight storage: the int8 weights of a quantized linear layer (Lesson 8).
//
// A weight matrix W (out, in) is stored as int8 values q (out, in) and one Float scale per
// output channel (row), so that W[o, i] ≈ scale[o] · q[o, i]. That is symmetric per-channel
// quantization: zero point 0, one scale per row, a quarter of the memory of Float32.
//
// The convention is PyTorch's per-channel symmetric qint8 with the restricted range [-127, 127]:
// `PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
// quant_min=-127, quant_max=127)` then `torch.quantize_per_channel`. So
//   scale[o] = max(max_i |W[o, i]| / 127, ε)            ε = Float.ulpOfOne, the observer's eps
//   q[o, i]  = clamp(round(W[o, i] · (1 / scale[o])), -127, 127)   round half to even
// (PyTorch's default qint8 range [-128, 127] divides by 127.5 instead; the restricted range keeps
// the grid symmetric, -127…127, as bitsandbytes' LLM.int8 and compressed-tensors do.) Within a
// row the error is at most scale/2 per element, and a zero row stays exactly zero.

/// An n-dimensional array of `Int8`, row-major: the raw integer storage of quantized weights
/// (and what a safetensors `I8` tensor reads into).
public struct Int8Tensor: Sendable, Equatable {
  /// The elements, row-major.
  public var values: [Int8]
  /// The size of each dimension.
  public let shape: [Int]

  /// Values and a shape; the element count must match the shape.
  public init(_ values: [Int8], shape: [Int]) {
    check(shape.allSatisfy { $0 >= 0 }, "Int8Tensor(shape: \(shape)): dimensions must be non-negative")
    check(
      values.count == shape.reduce(1, *),
      "Int8Tensor(shape: \(shape)) needs \(shape.reduce(1, *)) elements, got \(values.count)")
    self.values = values
    self.shape = shape
  }

  /// The number of elements.
  public var count: Int { values.count }

  /// The values widened to Float, as a tensor of the same shape (no scaling).
  public func toFloat() -> Tensor { Tensor(values.map { Float($0) }, shape: shape) }
}

/// A weight matrix (out, in) stored as int8 with one Float scale per output channel:
/// W[o, i] ≈ `scales[o]` · `values[o, i]`. See the file's header for the convention.
///
/// It is what a quantized `Linear` keeps instead of its Float weight; `linear(_:weight:bias:)`
/// multiplies by it without building the Float matrix.
public struct QuantizedWeight: Sendable, Equatable {
  /// The int8 values, shape (out, in).
  public let values: Int8Tensor
  /// One scale per output channel (row of `values`).
  public let scales: [Float]

  /// The largest quantized magnitude: values lie in -127...127.
  public static let maxLevel: Float = 127

  /// Stored values and scales, e.g. read from a checkpoint. `values` must be 2-D (out, in) and
  /// `scales` must have one finite, non-negative entry per row.
  public init(values: Int8Tensor, scales: [Float]) {
    check(values.shape.count == 2, "QuantizedWeight: values must be (out, in), got \(values.shape)")
    check(
      scales.count == values.shape[0],
      "QuantizedWeight: \(values.shape[0]) rows need as many scales, got \(scales.count)")
    check(
      scales.allSatisfy { $0.isFinite && $0 >= 0 }, "QuantizedWeight: scales must be finite and non-negative")
    self.values = values
    self.scales = scales
  }

  /// Quantizes a Float weight (out, in) per output channel, symmetric, to int8 in -127...127
  /// (PyTorch's per-channel symmetric qint8 with `quant_min=-127, quant_max=127`), by
  /// `quantizePerChannel` (Quantization.swift, exercise 8.3).
  public init(quantizing weight: Tensor) {
    check(weight.rank == 2, "QuantizedWeight(quantizing:) needs a (out, in) weight, got \(weight.shape)")
    check(
      weight.data.allSatisfy { $0.isFinite }, "QuantizedWeight(quantizing:): the weight has NaN or infinity")
    self = quantizePerChannel(weight)
  }

  /// Output channels (rows).
  public var outFeatures: Int { values.shape[0] }
  /// Input features (columns).
  public var inFeatures: Int { values.shape[1] }
  /// (out, in).
  public var shape: [Int] { values.shape }

  /// The Float weight it stands for: scale[o] · q[o, i], shape (out, in).
  public func dequantized() -> Tensor {
    let columns = inFeatures
    var result = [Float](repeating: 0, count: values.count)
    for o in 0..<outFeatures {
      let scale = scales[o]
      for i in 0..<columns { result[o * columns + i] = scale * Float(values.values[o * columns + i]) }
    }
    return Tensor(result, shape: shape)
  }
}
