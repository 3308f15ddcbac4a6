// Two property wrappers that tell the module walk (Module.swift) more than a plain property can:
//
//   @Child var query: Linear       a submodule that can be replaced after construction
//   @Buffer var positionIds: Tensor   a tensor saved with the model but never trained
//
// Reflection (`Mirror`) can read stored properties but not write them, so a replaceable child
// lives in a reference box that the walk finds and writes through: mlx-swift's `@ModuleInfo`.
// That is what fine-tuning methods need: LoRA wraps `query`/`value` in a layer that adds a
// low-rank update, int8 swaps a `Linear` for a quantized one, both chosen by name.

/// A submodule that can be replaced by name (`replaceModule(at:with:)`) or by assignment, with
/// any module of type `M`, e.g. a subclass of `Linear`. Named like a plain property: `query`.
/// It holds one module (not an optional or an array: replace the modules inside an array).
@propertyWrapper
public final class Child<M: Module> {
  public var wrappedValue: M

  public init(wrappedValue: M) { self.wrappedValue = wrappedValue }
}

/// What the walk needs of a `Child<M>` whatever its `M`: the module, and a type-checked store.
protocol ChildSlot: AnyObject {
  var module: Module { get }
  /// The type a replacement must have.
  var declaredType: Module.Type { get }
  /// Stores `module` if it is an `M`; false otherwise.
  func store(_ module: Module) -> Bool
}

extension Child: ChildSlot {
  var module: Module { wrappedValue }
  var declaredType: Module.Type { M.self }

  func store(_ module: Module) -> Bool {
    guard let module = module as? M else { return false }
    wrappedValue = module
    return true
  }
}

/// A tensor that belongs to the model's state but is not a parameter (PyTorch's
/// `register_buffer`): a checkpoint stores it (`stateDict()`), the optimizer never sees it
/// (`parameters()` does not list it). Non-persistent buffers are not saved either: things
/// recomputed at construction, such as a causal mask:
///
///     @Buffer var positionIds: Tensor                       // in init: positionIds = …
///     @Buffer var mask: Tensor                              // in init, with the argument:
///     _mask = Buffer(wrappedValue: causalMask(n), persistent: false)
@propertyWrapper
public final class Buffer {
  public var wrappedValue: Tensor
  /// Whether `stateDict()`, and so a checkpoint, includes it.
  public let persistent: Bool

  public init(wrappedValue: Tensor, persistent: Bool = true) {
    self.wrappedValue = wrappedValue
    self.persistent = persistent
  }
}

/// Why a module could not be replaced: names the path and what was expected.
public struct ModuleError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

extension Module {
  /// Replaces the submodule at `path` (as `namedModules()` names it, e.g.
  /// `encoder.layer.0.attention.self.query`) with `module`. The submodule must be declared
  /// `@Child var`, and `module` must have its declared type (a subclass will do).
  public func replaceModule(at path: String, with module: Module) throws {
    guard let old = submodules().first(where: { $0.path == path }) else {
      throw ModuleError(
        "\(type(of: self)) has no submodule \"\(path)\" (namedModules() lists the paths, e.g. "
          + "\"\(namedModules().dropFirst().first?.name ?? "…")\")")
    }
    try Module.store(module, replacing: old)
  }

  /// Offers every submodule, with its path, to `transform`; where it returns a module, that
  /// module takes the old one's place (mlx-swift's `update(modules:)`, PEFT's
  /// `_replace_module`). Returns the replaced paths. The new modules are not offered in turn,
  /// so a wrapper may contain the module it wraps. An error (a path that is not `@Child`, a
  /// module of the wrong type) stops the walk; the replacements before it stay made.
  ///
  ///     try model.replaceModules { path, module in
  ///       guard path.hasSuffix(".query"), let linear = module as? Linear else { return nil }
  ///       return LoRALinear(wrapping: linear, rank: 8)
  ///     }
  @discardableResult
  public func replaceModules(_ transform: (_ path: String, _ module: Module) throws -> Module?) throws
    -> [String]
  {
    var replaced: [String] = []
    for old in submodules() {
      // A module inside one already replaced is no longer part of the model.
      if replaced.contains(where: { old.path.hasPrefix($0 + ".") }) { continue }
      guard let new = try transform(old.path, old.module) else { continue }
      try Module.store(new, replacing: old)
      replaced.append(old.path)
    }
    return replaced
  }

  private typealias Submodule = (path: String, module: Module, box: (any ChildSlot)?)

  /// Every submodule with its path and its `@Child` box (nil when it cannot be replaced).
  private func submodules() -> [Submodule] {
    var result: [Submodule] = []
    visit(prefix: "") { path, entry in
      if case .module(let m, let box) = entry { result.append((path, m, box)) }
    }
    return result
  }

  private static func store(_ new: Module, replacing old: Submodule) throws {
    guard let box = old.box else {
      throw ModuleError(
        "\"\(old.path)\" (\(type(of: old.module))) cannot be replaced: declare it `@Child var` instead "
          + "of `let` (an array element or dictionary value cannot be replaced, only modules inside it)")
    }
    guard box.store(new) else {
      throw ModuleError(
        "\"\(old.path)\" holds a \(box.declaredType); a \(type(of: new)) cannot take its place")
    }
  }
}
