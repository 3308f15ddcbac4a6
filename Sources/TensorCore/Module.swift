// Modules: layers that own parameters, as PyTorch's `nn.Module`.
//
// A model is a tree of modules. `namedParameters()` walks it (by reflection over stored
// properties, so a new layer needs no registration code) and names each parameter by its path,
// `encoder.layer.0.attention.self.query.weight`: the names a checkpoint file uses.

/// A layer or a model: something with parameters and a training/evaluation mode.
///
/// Subclasses store their parameters as `Tensor` properties and their sublayers as `Module`
/// properties (or arrays of them, named `layer.0`, `layer.1`, ...).
open class Module {
  /// Training mode turns dropout on; `eval()` turns it off (PyTorch's `model.train()/eval()`).
  public private(set) var training = true

  public init() {}

  /// The name a stored property has in parameter paths. Override to use a name that is not a
  /// legal Swift identifier, e.g. Hugging Face's `self` for a property called `selfAttention`.
  open func parameterName(forProperty property: String) -> String { property }

  /// Every parameter with its dotted path, in declaration order, each tensor once.
  public func namedParameters() -> [(name: String, tensor: Tensor)] {
    var result: [(String, Tensor)] = []
    var seen = Set<ObjectIdentifier>()
    visit(prefix: "") { name, child in
      if case .tensor(let t) = child, seen.insert(ObjectIdentifier(t)).inserted { result.append((name, t)) }
    }
    return result
  }

  /// Every parameter, in the order of `namedParameters()`.
  public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

  /// Direct and indirect submodules with their paths ("" is this module).
  public func namedModules() -> [(name: String, module: Module)] {
    var result: [(String, Module)] = [("", self)]
    visit(prefix: "") { name, child in
      if case .module(let m) = child { result.append((name, m)) }
    }
    return result
  }

  /// The number of parameter elements (all, or only those that will be trained).
  public func parameterCount(trainableOnly: Bool = false) -> Int {
    parameters().filter { !trainableOnly || $0.requiresGrad }.reduce(0) { $0 + $1.count }
  }

  /// Stops gradients to the parameters whose name satisfies `predicate` (all by default):
  /// they keep their values during training.
  public func freeze(where predicate: (String) -> Bool = { _ in true }) {
    for (name, t) in namedParameters() where predicate(name) { t.requiresGrad = false }
  }

  /// Lets gradients flow again to the parameters whose name satisfies `predicate`.
  public func unfreeze(where predicate: (String) -> Bool = { _ in true }) {
    for (name, t) in namedParameters() where predicate(name) { t.requiresGrad = true }
  }

  /// Switches this module and all submodules to training mode.
  public func train() { namedModules().forEach { $0.module.training = true } }

  /// Switches this module and all submodules to evaluation mode (no dropout).
  public func eval() { namedModules().forEach { $0.module.training = false } }

  private enum Child {
    case tensor(Tensor)
    case module(Module)
  }

  /// Depth-first walk over stored properties: tensors, modules, optionals and arrays of them.
  private func visit(prefix: String, _ body: (String, Child) -> Void) {
    func walk(_ value: Any, _ path: String) {
      if let t = value as? Tensor {
        body(path, .tensor(t))
      } else if let m = value as? Module {
        body(path, .module(m))
        m.visit(prefix: path + ".", body)
      } else {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
          if let some = mirror.children.first { walk(some.value, path) }
        } else if mirror.displayStyle == .collection {
          for (i, element) in mirror.children.enumerated() { walk(element.value, "\(path).\(i)") }
        }
      }
    }
    var mirror: Mirror? = Mirror(reflecting: self)
    var levels: [Mirror] = []
    while let m = mirror {
      levels.append(m)
      mirror = m.superclassMirror
    }
    // Superclass properties first, as they were declared first.
    for level in levels.reversed() {
      for child in level.children {
        guard let label = child.label, label != "training" else { continue }
        walk(child.value, prefix + parameterName(forProperty: label))
      }
    }
  }
}

/// A fully connected layer, y = x·Wᵀ + b (PyTorch's `nn.Linear`; weight is (out, in)).
public final class Linear: Module {
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

  /// Applies the layer to (..., inFeatures).
  public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }
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
