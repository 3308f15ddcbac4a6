// Lesson 1 — Tensors and gradients.
//
// Run it with `swift run Lesson1` (add `-- --quick` for a short run, `-- --help` for flags).
// Every number it prints comes from this run. The code it shows lives in Sources/TensorCore:
// open Tensor.swift (the graph and backward), Broadcasting.swift, Elementwise.swift, and the
// files of your exercises: Losses.swift (1.2, 1.4), GradientCheck.swift (1.1), Optimizers.swift (1.3).

import Foundation
import Notebook
import TensorCore

let nb = Notebook(
  lesson: 1, title: "Tensors and gradients",
  summary: """
    A language model is a function with millions of numbers in it, and fine-tuning is nudging \
    those numbers downhill on a loss. This lesson builds the two tools that make that possible: \
    tensors (arrays with a shape) and reverse-mode automatic differentiation (every op knows its \
    local derivative, and backward() chains them). We check the gradients against finite \
    differences, then use them to fit two small models by gradient descent.
    """,
  flags: [
    LessonFlag.int("regression-steps", default: 200, help: "SGD steps for the linear regression"),
    LessonFlag.int("classifier-steps", default: 1500, help: "SGD steps for the two-moons classifier"),
    LessonFlag.int("hidden", default: 16, help: "hidden units per layer of the classifier"),
    LessonFlag.double("lr", default: 0.1, help: "learning rate of the classifier"),
  ])
nb.overview(
  objectives: [
    "read a tensor as a flat array and a shape, and predict the shape broadcasting gives two tensors",
    "follow a computation graph backwards and check autodiff's gradients against the chain rule by hand",
    "check any op's backward pass with finite differences",
    "fit a line and a two-layer network with SGD, and compare training and held-out loss",
  ],
  prerequisites: [
    "programming in any language (Swift reads much like Python or TypeScript)",
    "derivatives and the chain rule; vectors and matrix products",
  ],
  time: "about 45 minutes to read and run, plus 1–2 hours for the four exercises",
  reading: [
    Reading(
      "Karpathy, micrograd and “The spelled-out intro to neural networks and backpropagation”",
      url: "https://github.com/karpathy/micrograd",
      note: "the same design as this kit's tensor core, in Python"),
    Reading(
      "PyTorch, Autograd mechanics", url: "https://pytorch.org/docs/stable/notes/autograd.html",
      note: "how PyTorch records the graph and accumulates .grad"),
    Reading(
      "Baydin et al. 2018, Automatic differentiation in machine learning: a survey",
      url: "https://arxiv.org/abs/1502.05767", note: "forward and reverse mode, sections 2–3"),
    Reading(
      "NumPy, Broadcasting", url: "https://numpy.org/doc/stable/user/basics.broadcasting.html",
      note: "the rule PyTorch and this kit follow"),
  ])
let options = nb.options
manualSeed(options.seed)
let generator = Generator(seed: options.seed)

// MARK: - 1. Tensors

nb.section("1. A tensor is an array with a shape")
nb.narrate(
  """
  A tensor holds its numbers in one flat, row-major array and a shape that says how to read \
  them. A (2, 3) tensor is two rows of three; its element (i, j) sits at index i·3 + j. Every \
  model in this course, up to BERT, is built from such tensors of Float32.
  """)
nb.cell("tensor")
// cell: tensor
let x = Tensor([[1, 2, 3], [4, 5, 6]])
nb.output("\(x)\nshape \(x.shape), data \(x.data), transposed shape \(x.transpose(0, 1).shape)")
// end cell: tensor

// MARK: - 2. Broadcasting

nb.section("2. Broadcasting")
nb.narrate(
  """
  Ops between tensors of different shapes follow numpy's and PyTorch's broadcasting rule: align \
  the shapes at the right; each pair of sizes must be equal or one of them 1, and a size-1 \
  dimension is repeated. It is how a bias of shape (4) is added to every row of a (3, 4) batch \
  without copying it. In the backward pass the rule runs in reverse: the gradient of a \
  broadcast input is summed over the dimensions it was repeated along.
  """)
nb.cell("broadcast")
// cell: broadcast
let column = Tensor([10, 20, 30], shape: [3, 1])
let row = Tensor([1, 2, 3, 4])
nb.output((column + row).description)
// end cell: broadcast
let broadcastExamples: [([Int], [Int])] = [
  ([3, 1], [4]), ([2, 3, 4], [3, 1]), ([5, 4], []), ([8, 1, 6], [7, 1]),
]
nb.table(
  headers: ["a", "b", "a + b"],
  rows: broadcastExamples.map { a, b in
    ["\(a)", "\(b)", broadcastShape(a, b).map { "\($0)" } ?? "error: incompatible"]
  } + [["[3]", "[4]", broadcastShape([3], [4]).map { "\($0)" } ?? "error: incompatible"]],
  title: "Broadcast shapes")

// MARK: - 3. The graph and backward

nb.section("3. A computation graph and its backward pass")
nb.narrate(
  """
  Each op returns a new tensor that remembers its inputs and a small closure, its local \
  backward. For y = tanh(w·x + b), calling y.backward() visits the graph from y back to the \
  leaves and applies the chain rule: dy/dw = (1 - y²)·x and dy/db = 1 - y². Compare what \
  autodiff found with those formulas.
  """)
nb.cell("backward")
// cell: backward
let w = Tensor(0.5, requiresGrad: true)
let b = Tensor(-0.2, requiresGrad: true)
let input = Tensor(2.0)
let y = (w * input + b).tanh()
y.backward()
// end cell: backward
let yValue = y.item
nb.table(
  headers: ["quantity", "autodiff", "by hand"],
  rows: [
    ["y", String(format: "%.6f", yValue), String(format: "%.6f", Foundation.tanh(0.5 * 2 - 0.2))],
    ["dy/dw", String(format: "%.6f", w.grad!.item), String(format: "%.6f", (1 - yValue * yValue) * 2)],
    ["dy/db", String(format: "%.6f", b.grad!.item), String(format: "%.6f", 1 - yValue * yValue)],
  ], title: "tanh(w·x + b) at w = 0.5, b = -0.2, x = 2")
nb.narrate(
  """
  Gradients of leaves accumulate: a second backward() adds to w.grad, as in PyTorch. That is why \
  every training step starts with optimizer.zeroGrad().
  """)

// MARK: - 4. Gradient check

nb.section("4. Checking gradients with finite differences")
nb.narrate(
  """
  A wrong backward formula does not crash; it silently trains badly. So we check every op: \
  nudge one input element by ±ε, see how the loss moves, and compare the slope \
  (f(x+ε) - f(x-ε)) / 2ε with the gradient from backward(). The table shows the worst relative \
  error over all inputs for a few ops on random data (Float32, ε = 1e-2).
  """)
nb.cell("gradient-check")
let checkGenerator = Generator(seed: options.seed &+ 1)
func randomInput(_ shape: [Int], _ generator: Generator) -> Tensor {
  Tensor.randn(shape, generator: generator, requiresGrad: true)
}
let a1 = randomInput([3, 4], checkGenerator)
let b1 = randomInput([4, 2], checkGenerator)
let bias = randomInput([2], checkGenerator)
let logits = randomInput([4, 5], checkGenerator)
let lnWeight = randomInput([5], checkGenerator)
let lnBias = randomInput([5], checkGenerator)
let targets = (0..<4).map { _ in checkGenerator.int(below: 5) }
// cell: gradient-check
let checks: [(String, () -> Tensor, [Tensor])] = [
  ("matmul + tanh", { a1.matmul(b1).tanh().sum() }, [a1, b1]),
  ("broadcast add + sigmoid", { (a1.matmul(b1) + bias).sigmoid().mean() }, [a1, b1, bias]),
  ("softmax", { (logits.softmax() * logits).sum() }, [logits]),
  (
    "layer norm", { (layerNorm(logits, weight: lnWeight, bias: lnBias) * logits).sum() },
    [logits, lnWeight, lnBias]
  ),
  ("cross-entropy", { crossEntropy(logits, targets: targets) }, [logits]),
  ("squared difference (1.1)", { a1.squaredDifference(a1.tanh() * 2).mean() }, [a1]),
]
var worstError: Float = 0
var checkRows: [[String]] = []
for (name, f, inputs) in checks {
  let error = gradientCheck(of: f, inputs: inputs)
  worstError = max(worstError, error)
  checkRows.append([name, String(format: "%.2e", error), error < 1e-2 ? "ok" : "WRONG"])
}
// end cell: gradient-check
nb.table(headers: ["op", "max relative error", ""], rows: checkRows, title: "Gradient checks")
nb.record("gradient_check_max_relative_error", Double(worstError))

// MARK: - 5. Linear regression

nb.section("5. Fitting a line by gradient descent")
nb.narrate(
  """
  Now the gradients earn their keep. We draw 100 points from y = 3x - 2 plus noise and fit a \
  weight and a bias by gradient descent: compute the mean squared error, call backward(), \
  step every parameter a little against its gradient, and repeat. Every step here sees all \
  100 points (full-batch descent); the stochastic kind, which Lesson 5's Trainer runs, steps \
  on a small random batch at a time. The class is still called SGD, as in PyTorch.
  """)
let regressionSteps = options.quick ? 60 : options.int("regression-steps")
let xs = Tensor.uniform([100, 1], low: -1, high: 1, generator: generator)
let noise = Tensor.randn([100, 1], std: 0.1, generator: generator)
let ys = xs * 3 - 2 + noise
nb.cell("regression")
// cell: regression
let line = Linear(1, 1, generator: generator)
let sgd = SGD(line.parameters(), learningRate: 0.1)
var regressionLosses: [Double] = []
for _ in 0..<regressionSteps {
  sgd.zeroGrad()
  let loss = mseLoss(line(xs), ys)
  loss.backward()
  sgd.step()
  regressionLosses.append(Double(loss.item))
}
// end cell: regression
nb.lineChart(
  [ChartSeries(name: "MSE", values: regressionLosses)], title: "Linear regression loss", xLabel: "step",
  yLabel: "loss")
nb.table(
  headers: ["parameter", "fitted", "true"],
  rows: [
    ["weight", String(format: "%.3f", line.weight.item), "3.000"],
    ["bias", String(format: "%.3f", line.bias!.item), "-2.000"],
  ], title: "After \(regressionSteps) steps, MSE \(String(format: "%.4f", regressionLosses.last ?? .nan))")
nb.record("regression_final_mse", regressionLosses.last ?? .nan)
nb.record("regression_weight", Double(line.weight.item))
nb.record("regression_bias", Double(line.bias!.item))

// MARK: - 6. A two-layer network

nb.section("6. A two-layer network on two moons")
nb.narrate(
  """
  A straight line cannot separate two interleaving half-moons. A network with a hidden layer \
  can: Linear(2 → h), tanh, Linear(h → h), tanh, Linear(h → 1), trained on binary \
  cross-entropy (exercise 1.4) with SGD and momentum 0.9 (exercise 1.3). We hold out a third of \
  the points to measure accuracy on data the network never trained on.
  """)

/// Two interleaving half circles with Gaussian noise, labels 0 and 1 (scikit-learn's make_moons).
func makeMoons(count: Int, noise: Float, generator: Generator) -> (points: Tensor, labels: Tensor) {
  var points: [Float] = []
  var labels: [Float] = []
  for i in 0..<count {
    let label = i % 2
    let t = Float.pi * generator.uniform()
    let (px, py) = label == 0 ? (cos(t), sin(t)) : (1 - cos(t), 0.5 - sin(t))
    points += [px + generator.normal(std: noise), py + generator.normal(std: noise)]
    labels.append(Float(label))
  }
  return (Tensor(points, shape: [count, 2]), Tensor(labels, shape: [count, 1]))
}

final class TwoLayerNetwork: Module {
  let layer1: Linear
  let layer2: Linear
  let output: Linear

  init(hidden: Int, generator: Generator) {
    layer1 = Linear(2, hidden, generator: generator)
    layer2 = Linear(hidden, hidden, generator: generator)
    output = Linear(hidden, 1, generator: generator)
  }

  /// Logits (before the sigmoid), one per point.
  func callAsFunction(_ x: Tensor) -> Tensor { output(layer2(layer1(x).tanh()).tanh()) }
}

func accuracy(_ logits: Tensor, _ labels: Tensor) -> Double {
  let correct = zip(logits.data, labels.data).filter { ($0 > 0 ? 1 : 0) == $1 }.count
  return Double(correct) / Double(labels.count)
}

let moons = makeMoons(count: 300, noise: 0.15, generator: generator)
let trainX = moons.points.slice(axis: 0, 0..<200)
let trainY = moons.labels.slice(axis: 0, 0..<200)
let testX = moons.points.slice(axis: 0, 200..<300)
let testY = moons.labels.slice(axis: 0, 200..<300)
let hidden = options.int("hidden")
let classifierSteps = options.quick ? 300 : options.int("classifier-steps")
nb.cell("classifier")
// cell: classifier
let network = TwoLayerNetwork(hidden: hidden, generator: generator)
let optimizer = SGD(network.parameters(), learningRate: Float(options.double("lr")), momentum: 0.9)
var trainLosses: [Double] = []
var testLosses: [Double] = []
let bar = nb.progress("training", total: classifierSteps)
for step in 1...classifierSteps {
  optimizer.zeroGrad()
  let loss = binaryCrossEntropyWithLogits(network(trainX), trainY)
  loss.backward()
  optimizer.step()
  trainLosses.append(Double(loss.item))
  let testLoss = noGrad { binaryCrossEntropyWithLogits(network(testX), testY) }
  testLosses.append(Double(testLoss.item))
  bar.update(step: step, metrics: ["loss": Double(loss.item), "test loss": Double(testLoss.item)])
}
bar.finish()
// end cell: classifier
let trainAccuracy = noGrad { accuracy(network(trainX), trainY) }
let testAccuracy = noGrad { accuracy(network(testX), testY) }
nb.lineChart(
  [ChartSeries(name: "train", values: trainLosses), ChartSeries(name: "test", values: testLosses)],
  title: "Binary cross-entropy", xLabel: "step", yLabel: "loss")
nb.table(
  headers: ["split", "points", "accuracy"],
  rows: [
    ["train", "200", String(format: "%.1f%%", trainAccuracy * 100)],
    ["test", "100", String(format: "%.1f%%", testAccuracy * 100)],
  ], title: "Two-moons classifier after \(classifierSteps) steps")

nb.narrate(
  """
  What did it learn? Below, the network's probability of class 1 over the plane: the boundary \
  bends around the moons, which no linear model could do.
  """)
let gridSize = 12
let gridXs = (0..<gridSize).map { -1.5 + 4 * Float($0) / Float(gridSize - 1) }
let gridYs = (0..<gridSize).map { 1.5 - 2.5 * Float($0) / Float(gridSize - 1) }
let gridPoints = Tensor(
  gridYs.flatMap { gy in gridXs.flatMap { gx in [gx, gy] } }, shape: [gridSize * gridSize, 2])
let gridProbabilities = noGrad { network(gridPoints).sigmoid() }.data.map { Double($0) }
nb.heatmap(
  (0..<gridSize).map { Array(gridProbabilities[($0 * gridSize)..<($0 * gridSize + gridSize)]) },
  rowLabels: gridYs.map { String(format: "%.1f", $0) },
  columnLabels: gridXs.map { String(format: "%.1f", $0) },
  title: "P(class 1) over the plane (rows: y, columns: x)")
nb.figure(
  .lineChart(
    series: [ChartSeries(name: "train", values: trainLosses), ChartSeries(name: "test", values: testLosses)],
    title: "Two moons: binary cross-entropy", xLabel: "step", yLabel: "loss"), name: "moons-loss")
var moonPoints: [ScatterPoint] = []
for i in 0..<moons.labels.count {
  let px = Double(moons.points.data[2 * i])
  let py = Double(moons.points.data[2 * i + 1])
  moonPoints.append(ScatterPoint(x: px, y: py, group: Int(moons.labels.data[i])))
}
nb.figure(.scatter(points: moonPoints, title: "Two moons"), name: "moons")
nb.record("classifier_final_train_loss", trainLosses.last ?? .nan)
nb.record("classifier_final_test_loss", testLosses.last ?? .nan)
nb.record("classifier_train_accuracy", trainAccuracy)
nb.record("classifier_test_accuracy", testAccuracy)
nb.record("classifier_parameters", network.parameterCount())

// MARK: - 7. Summary

nb.section("7. What you built")
nb.narrate(
  """
  Tensors, broadcasting, a graph that differentiates itself, a check that it does so correctly, \
  and an optimizer: the whole machinery of deep learning, in miniature. Lesson 2 turns text into \
  the integer ids such networks read. Next: run `swift test --filter Lesson1Tests` to see your \
  exercises graded.
  """)
nb.questions([
  """
  The gradient checks use ε = 1e-2 and pass with a worst relative error of \
  \(String(format: "%.1e", worstError)). Predict the error with ε = 1e-6 in Float32, and say why.
  """,
  """
  Section 3 showed that gradients accumulate. If the loop of section 5 left out \
  optimizer.zeroGrad(), what would the k-th step's update be, and what would the loss curve do?
  """,
  """
  The two-moons network scored \(String(format: "%.1f%%", trainAccuracy * 100)) on its training \
  points and \(String(format: "%.1f%%", testAccuracy * 100)) on held-out ones. What would a large \
  gap between the two mean, and which curve of the loss chart would show it first?
  """,
  """
  Why are shapes [3] and [4] incompatible while [3, 1] and [4] broadcast to [3, 4]? Which \
  dimension of the [3, 1] input's gradient does the backward pass sum over?
  """,
])
nb.finish()
