// LoRA (Hu et al., 2021): fine-tune a weight matrix W (out, in) by learning a low-rank update
// instead of W itself,
//
//     h = W·x + (α/r) · B·A·x          A (r, in), B (out, r), r ≪ min(in, out)
//
// W stays frozen; only A and B train: r·(in + out) numbers instead of in·out. A starts random
// and B at zero, so the adapted model starts exactly as the pre-trained one. After training the
// update can be added into W once (W' = W + (α/r)·B·A, "merging"), and the model runs as fast
// as before: no extra layer, no extra latency.
//
// Names and defaults are PEFT's (`peft.tuners.lora.layer.Linear`): `lora_A` is an
// `nn.Linear(in, r, bias=False)` initialised by `kaiming_uniform_(a=√5)`, which is the uniform
// ±1/√in of a fresh `Linear`; `lora_B` is `nn.Linear(r, out, bias=False)` filled with zeros;
// dropout (`lora_dropout`) acts on x before A; the scale is `lora_alpha / r`.

import Exercises
import TensorCore

/// A `Linear` layer with a LoRA update (PEFT's `lora.Linear`): it keeps the wrapped layer's
/// `weight` and `bias` (frozen, same names, so the base checkpoint still loads) and adds
/// `lora_A.weight` (r, in) and `lora_B.weight` (out, r).
public final class LoraLinear: Linear {
  /// `lora_A`: x (…, in) → (…, r). Its weight is (r, in).
  public let loraA: Linear
  /// `lora_B`: (…, r) → (…, out). Its weight is (out, r), zero at the start.
  public let loraB: Linear
  /// Dropout on the adapter's input only (`lora_dropout`).
  public let loraDropout: Dropout
  /// The rank r.
  public let r: Int
  /// α (`lora_alpha`).
  public let loraAlpha: Float
  /// α / r: how strongly B·A is added.
  public let scaling: Float
  /// Whether B·A has been added into `weight` (`merge()`); the forward then adds nothing more.
  public private(set) var merged = false

  /// Wraps `base` (its weight and bias are shared, not copied) with a rank-`r` update.
  /// `initLoraWeights: false` draws B randomly as well (PEFT's debugging option), so the
  /// adapter changes the output from the start.
  public init(
    wrapping base: Linear, r: Int, loraAlpha: Float, loraDropout: Float = 0, initLoraWeights: Bool = true,
    generator: Generator = .default
  ) {
    precondition(r > 0, "LoRA rank r must be positive, got \(r)")
    loraA = Linear(base.inFeatures, r, bias: false, generator: generator)
    loraB = Linear(r, base.outFeatures, bias: false, generator: generator)
    if initLoraWeights { loraB.weight.data = [Float](repeating: 0, count: loraB.weight.count) }
    self.loraDropout = Dropout(loraDropout, generator: generator)
    self.r = r
    self.loraAlpha = loraAlpha
    scaling = loraAlpha / Float(r)
    super.init(weight: base.weight, bias: base.bias)
  }

  public override func parameterName(forProperty property: String) -> String {
    switch property {
    case "loraA": return "lora_A"
    case "loraB": return "lora_B"
    case "loraDropout": return "lora_dropout"
    default: return property
    }
  }

  /// x (…, in) → (…, out): the frozen layer's output plus the scaled low-rank update.
  public override func callAsFunction(_ x: Tensor) -> Tensor {
    // BEGIN EXERCISE 8.1 "The LoRA forward pass" points=3
    // hint: The output is the frozen layer's output plus a small correction that passes through two thin
    // hint: layers. Once the correction lives inside the weight, it must not be added twice.
    // hint 2: linear(x, weight: weight, bias: bias) is the frozen layer. The correction reads x after the
    // hint 2: adapter's dropout, goes through A first (in → r), then B (r → out), and is multiplied by scaling.
    // hint 3: If merged, return the frozen layer's output alone. Otherwise add
    // hint 3: loraB(loraA(loraDropout(x))) · scaling to it.
    let result = linear(x, weight: weight, bias: bias)
    if merged { return result }
    return result + loraB(loraA(loraDropout(x))) * scaling
    // END EXERCISE 8.1
  }

  /// The update B·A·(α/r) as a weight matrix (out, in), outside any graph (PEFT's
  /// `get_delta_weight`): what merging adds to `weight`.
  public func deltaWeight() -> Tensor {
    // BEGIN EXERCISE 8.2 "The merged update" points=2
    // hint: The adapter computes B(A(x)) times a scale: which single matrix does the same to x?
    // hint 2: A is (r, in) and B is (out, r); the matrix must be (out, in) like the frozen weight, and the
    // hint 2: scale belongs in it too. Build it without gradients (noGrad) from the weights' current values.
    // hint 3: loraB.weight.matmul(loraA.weight), multiplied by scaling, inside noGrad.
    noGrad { loraB.weight.matmul(loraA.weight) * scaling }
    // END EXERCISE 8.2
  }

  /// Adds `deltaWeight()` into `weight` (PEFT's `merge()`); the forward pass then costs what
  /// the plain layer costs. `unmerge()` takes it out again.
  public func merge() {
    guard !merged else { return }
    add(deltaWeight(), sign: 1)
    merged = true
  }

  /// Subtracts the update that `merge()` added (PEFT's `unmerge()`), to train on or to switch off.
  public func unmerge() {
    guard merged else { return }
    add(deltaWeight(), sign: -1)
    merged = false
  }

  private func add(_ delta: Tensor, sign: Float) {
    // A wrong shape can only come from an unfinished exercise 8.2: leave the weight alone.
    guard delta.shape == weight.shape else { return }
    weight.data.withUnsafeMutableBufferPointer { w in
      for i in w.indices { w[i] += sign * delta.data[i] }
    }
  }

  /// A plain `Linear` whose weight includes the update: what `mergeAndUnload()` puts back.
  public func mergedLinear() -> Linear {
    let merged = Tensor(weight.data, shape: weight.shape, requiresGrad: weight.requiresGrad)
    if !self.merged, case let delta = deltaWeight(), delta.shape == weight.shape {
      merged.data.withUnsafeMutableBufferPointer { w in
        for i in w.indices { w[i] += delta.data[i] }
      }
    }
    return Linear(weight: merged, bias: bias)
  }
}
