// The basic layers, as PyTorch's `nn.Linear`, `nn.Embedding`, `nn.LayerNorm` and `nn.Dropout`.

/// A fully connected layer, y = x·Wᵀ + b (PyTorch's `nn.Linear`; weight is (out, in)).
///
/// Open, so that a fine-tuning method can subclass it and take a `Linear`'s place
/// (`@Child var query: Linear`): LoRA adds a low-rank update to `callAsFunction`, a quantized
/// layer computes it from other storage.
open class Linear: Module {
  /// (outFeatures, inFeatures).
  public var weight: Tensor
  /// (outFeatures), or nil without bias.
  public var bias: Tensor?

  /// PyTorch's default initialisation: weight and bias uniform in ±1/√inFeatures.
  public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: Generator = .default) {
    let bound = 1 / Float(inFeatures).squareRoot()
    weight = Tensor.uniform(
      [outFeatures, inFeatures], low: -bound, high: bound, generator: generator, requiresGrad: true)
    self.bias =
      bias
      ? Tensor.uniform([outFeatures], low: -bound, high: bound, generator: generator, requiresGrad: true)
      : nil
  }

  /// A layer on existing tensors (shared, not copied): how a subclass wraps a layer it replaces,
  /// keeping its parameters and so their names.
  public init(weight: Tensor, bias: Tensor?) {
    precondition(weight.shape.count == 2, "a Linear weight is (out, in), not \(weight.shape)")
    precondition(bias == nil || bias!.shape == [weight.shape[0]], "a Linear bias is (out)")
    self.weight = weight
    self.bias = bias
  }

  /// The sizes of the input and output features.
  public var inFeatures: Int { weight.shape[1] }
  public var outFeatures: Int { weight.shape[0] }

  /// Applies the layer to (..., inFeatures).
  open func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }
}

/// A lookup table of vectors, one row per token id (PyTorch's `nn.Embedding`, rows ~ N(0, 1)).
public final class Embedding: Module {
  /// (count, dimension).
  public var weight: Tensor

  public init(_ count: Int, _ dimension: Int, std: Float = 1, generator: Generator = .default) {
    weight = Tensor.randn([count, dimension], std: std, generator: generator, requiresGrad: true)
  }

  /// The rows for `ids`, shaped `shape + [dimension]`.
  public func callAsFunction(_ ids: [Int], shape: [Int]? = nil) -> Tensor {
    weight.embedding(ids, shape: shape)
  }
}

/// Layer normalisation over the last dimension (PyTorch's `nn.LayerNorm`): weight 1, bias 0.
public final class LayerNorm: Module {
  public var weight: Tensor
  public var bias: Tensor
  /// Added to the variance; BERT uses 1e-12, PyTorch's default is 1e-5.
  public let eps: Float

  public init(_ dimension: Int, eps: Float = 1e-5) {
    weight = Tensor(repeating: 1, shape: [dimension], requiresGrad: true)
    bias = Tensor(zeros: [dimension], requiresGrad: true)
    self.eps = eps
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { layerNorm(x, weight: weight, bias: bias, eps: eps) }
}

/// Dropout as a layer: active in training mode only (PyTorch's `nn.Dropout`).
public final class Dropout: Module {
  public let p: Float
  public let generator: Generator

  public init(_ p: Float, generator: Generator = .default) {
    self.p = p
    self.generator = generator
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { x.dropout(p, training: training, generator: generator) }
}
