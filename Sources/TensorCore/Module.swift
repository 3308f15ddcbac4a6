// Modules: layers that own parameters, as PyTorch's `nn.Module`.
//
// A model is a tree of modules. `namedParameters()` walks it (by reflection over stored
// properties, so a new layer needs no registration code) and names each parameter by its path,
// `encoder.layer.0.attention.self.query.weight`: the names a checkpoint file uses.
//
// What the walk sees in a stored property, in declaration order (superclass properties first):
// - a `Tensor`: a parameter, named after the property;
// - a `Module`: a submodule, walked in turn (`@Child var` makes it replaceable, ModuleSlots.swift);
// - `@Buffer var`: a tensor saved with the model but never trained (ModuleSlots.swift);
// - optionals, arrays (`layer.0`, `layer.1`, ...) and `[String: …]` dictionaries (sorted by key,
//   `adapters.default`) of the above.
// Everything else is invisible on purpose: numbers, strings, configurations, and structs and
// tuples even when they hold tensors. BERT's `TiedWeight` (a struct) relies on that to use the
// word embeddings without listing them a second time.

import Foundation

/// A layer or a model: something with parameters and a training/evaluation mode.
///
/// Subclasses store their parameters as `Tensor` properties and their sublayers as `Module`
/// properties (or optionals, arrays or string-keyed dictionaries of them).
open class Module {
  /// Training mode turns dropout on; `eval()` turns it off (PyTorch's `model.train()/eval()`).
  public private(set) var training = true

  public init() {}

  /// The name a stored property has in parameter paths. Override to use a name that is not a
  /// legal Swift identifier, e.g. Hugging Face's `self` for a property called `selfAttention`.
  open func parameterName(forProperty property: String) -> String { property }

  /// Every parameter with its dotted path, in declaration order, each tensor once. With
  /// `recurse: false`, only the module's own parameters (PyTorch's `named_parameters(recurse=False)`).
  public func namedParameters(recurse: Bool = true) -> [(name: String, tensor: Tensor)] {
    var result: [(String, Tensor)] = []
    var seen = Set<ObjectIdentifier>()
    visit(prefix: "", recurse: recurse) { name, entry in
      if case .parameter(let t) = entry, seen.insert(ObjectIdentifier(t)).inserted {
        result.append((name, t))
      }
    }
    return result
  }

  /// Every parameter, in the order of `namedParameters()`.
  public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

  /// Every buffer (`@Buffer` tensors: saved, never trained) with its dotted path, each tensor once.
  public func namedBuffers() -> [(name: String, tensor: Tensor)] {
    var result: [(String, Tensor)] = []
    var seen = Set<ObjectIdentifier>()
    visit(prefix: "") { name, entry in
      if case .buffer(let t, _) = entry, seen.insert(ObjectIdentifier(t)).inserted {
        result.append((name, t))
      }
    }
    return result
  }

  /// Everything a checkpoint stores, by name: the parameters, then the persistent buffers
  /// (PyTorch's `state_dict()`). Loading and saving go through this list.
  public func stateDict() -> [(name: String, tensor: Tensor)] {
    var buffers: [(String, Tensor)] = []
    visit(prefix: "") { name, entry in
      if case .buffer(let t, persistent: true) = entry, !buffers.contains(where: { $0.1 === t }) {
        buffers.append((name, t))
      }
    }
    return namedParameters() + buffers
  }

  /// Direct and indirect submodules with their paths ("" is this module).
  public func namedModules() -> [(name: String, module: Module)] {
    var result: [(String, Module)] = [("", self)]
    visit(prefix: "") { name, entry in
      if case .module(let m, _) = entry { result.append((name, m)) }
    }
    return result
  }

  /// The number of parameter elements (all, or only those that will be trained).
  public func parameterCount(trainableOnly: Bool = false) -> Int {
    parameters().filter { !trainableOnly || $0.requiresGrad }.reduce(0) { $0 + $1.count }
  }

  /// PEFT's `print_trainable_parameters()` line, e.g.
  /// `trainable params: 1,538 || all params: 4,386,178 || trainable%: 0.0351`.
  public func trainableParametersSummary() -> String {
    trainableParametersLine(trainable: parameterCount(trainableOnly: true), all: parameterCount())
  }

  /// Prints `trainableParametersSummary()`: a quick check that freezing froze what it should.
  public func printTrainableParameters() { print(trainableParametersSummary()) }

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

  /// What the walk reports: a parameter, a buffer, or a submodule (with its `@Child` box, which
  /// can store a replacement, or nil for a `let`, an array element or a dictionary value).
  enum Entry {
    case parameter(Tensor)
    case buffer(Tensor, persistent: Bool)
    case module(Module, slot: (any ChildSlot)?)
  }

  /// Depth-first walk over stored properties; `recurse: false` reports submodules without
  /// entering them.
  func visit(prefix: String, recurse: Bool = true, _ body: (String, Entry) -> Void) {
    func walk(_ value: Any, _ path: String, slot: (any ChildSlot)? = nil) {
      switch value {
      case let t as Tensor:
        body(path, .parameter(t))
      case let m as Module:
        body(path, .module(m, slot: slot))
        if recurse { m.visit(prefix: path + ".", body) }
      case let box as any ChildSlot:
        walk(box.module, path, slot: box)
      case let box as Buffer:
        body(path, .buffer(box.wrappedValue, persistent: box.persistent))
      case let dictionary as [String: Any]:
        // Sorted, so the names and their order do not depend on hashing.
        for key in dictionary.keys.sorted() { walk(dictionary[key]!, "\(path).\(key)") }
      default:
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
        guard var label = child.label, label != "training" else { continue }
        // A property wrapper's storage is `_query` for the property `query`.
        if child.value is any ChildSlot || child.value is Buffer, label.hasPrefix("_") { label.removeFirst() }
        walk(child.value, prefix + parameterName(forProperty: label))
      }
    }
  }
}

/// `trainable params: 1,234 || all params: 5,678 || trainable%: 21.7330`, PEFT's format
/// (`{:,d}` counts, the percentage with four decimals).
func trainableParametersLine(trainable: Int, all: Int) -> String {
  /// 1234567 → "1,234,567".
  func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
      out.append(c)
    }
    return (n < 0 ? "-" : "") + out
  }
  let percent = all == 0 ? 0 : 100 * Double(trainable) / Double(all)
  return "trainable params: \(grouped(trainable)) || all params: \(grouped(all)) || trainable%: "
    + String(format: "%.4f", percent)
}
