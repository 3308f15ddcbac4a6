// Gradient checkpointing (Chen et al. 2016; PyTorch's `torch.utils.checkpoint`, transformers'
// `gradient_checkpointing_enable()`): run a segment of the network (one transformer layer)
// without recording its graph, keep only its input and output, and run it again, recording,
// when the backward pass reaches it. The activations inside the segment then live only while
// that segment's gradients are computed: memory for one layer's activations instead of all of
// them, for the price of a second forward pass (about a third more compute).
//
// Dropout inside the segment must drop the same units both times, or the recomputed graph is
// not the one that produced the output: the random generator's state is saved before the
// forward pass and replayed for the recomputation (PyTorch's `preserve_rng_state=True`).

import Foundation

/// Runs `segment` on `input` without keeping its intermediate activations; its backward pass
/// recomputes them. `parameters` are the trainable tensors the segment reads (a layer's
/// `parameters()`), so that gradients reach them; `generator` is the random source its dropout
/// draws from, replayed in the recomputation. Outside gradient mode, or when neither the input
/// nor a parameter needs a gradient, it is simply `segment(input)`.
public func checkpoint(
  _ input: Tensor, parameters: [Tensor], generator: Generator = .default,
  _ segment: @escaping (Tensor) -> Tensor
) -> Tensor {
  let needsGrad = input.requiresGrad || parameters.contains { $0.requiresGrad }
  guard GradMode.isEnabled && needsGrad else { return segment(input) }
  let before = generator.state
  let output = noGrad { segment(input) }
  return Tensor(
    output.data, shape: output.shape, op: "checkpoint", parents: [input] + parameters
  ) { out in
    guard let upstream = out.grad else { return }
    // The segment again, recorded, from a detached copy of its input and the same random state.
    let resumed = generator.state
    generator.state = before
    let detached = Tensor(input.data, shape: input.shape, requiresGrad: input.requiresGrad)
    let recomputed = segment(detached)
    generator.state = resumed  // the recomputation leaves the stream where it was
    if recomputed.requiresGrad {
      recomputed.backward(upstream)  // fills the parameters' gradients (leaves accumulate)
    }
    if let grad = detached.grad { input.addGrad(grad.data) }
  }
}

/// What a computation graph holds for its backward pass: the bytes of every intermediate tensor
/// reachable from `root` (op results, not parameters or inputs), each counted once. A measure of
/// activation memory: gradient checkpointing shrinks it. (Tensors an op's backward closure keeps
/// besides its parents, such as a softmax's output, are not seen, so it is a lower bound.)
public func graphActivationBytes(_ root: Tensor) -> Int {
  var seen = Set<ObjectIdentifier>()
  var stack = [root]
  var bytes = 0
  while let node = stack.popLast() {
    guard seen.insert(ObjectIdentifier(node)).inserted else { continue }
    if node.op != "leaf" { bytes += node.count * MemoryLayout<Float>.size }
    stack += node.parents
  }
  return bytes
}
