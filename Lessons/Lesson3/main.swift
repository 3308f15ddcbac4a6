// Lesson 3 — Attention.
//
// Run it with `swift run Lesson3` (`-- --quick` for a short run, `-- --help` for flags).
// The code it builds on lives in Sources/Models: Attention.swift (your exercises 3.1-3.3),
// Bert.swift and GPT2.swift (3.4 is the sampler at the end of GPT2.swift).

import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers

let nb = Notebook(
  lesson: 3, title: "Attention",
  summary: """
    Attention lets every token look at every other token and decide how much of each to \
    take. We build it step by step on one sentence (scores, scaling, masks, softmax, the \
    weighted sum), then split it into heads, wrap it into the transformer blocks of BERT and \
    GPT-2, and watch a tiny GPT learn where to look.
    """,
  flags: [
    LessonFlag.int("steps", default: 400, help: "training steps of the tiny GPT"),
    LessonFlag.double("lr", default: 0.003, help: "AdamW learning rate of the tiny GPT"),
  ])
nb.overview(
  objectives: [
    "compute scaled dot-product attention by hand on one sentence, and say why the scores are divided by √d",
    "apply padding and causal masks, and split attention into heads",
    "assemble the BERT (post-LN) and GPT-2 (pre-LN) transformer blocks in Hugging Face layout",
    "train a tiny GPT and read what it attends to in its attention maps",
    "turn logits into a next token: greedy, temperature and top-k sampling",
  ],
  prerequisites: [
    "Lesson 1 (tensors, autodiff, training loops)", "Lesson 2 (token ids, padding, attention masks)",
  ],
  time: "about an hour to read and run, plus 1–2 hours for the four exercises",
  reading: [
    Reading(
      "Vaswani et al. 2017, Attention is all you need", url: "https://arxiv.org/abs/1706.03762",
      note: "section 3.2: scaled dot-product and multi-head attention"),
    Reading(
      "Hugging Face LLM course, chapter 1.4: How do Transformers work?",
      url: "https://huggingface.co/learn/llm-course/chapter1/4",
      note: "encoders, decoders and attention layers"),
    Reading(
      "Alammar, The illustrated transformer", url: "https://jalammar.github.io/illustrated-transformer/",
      note: "the same computation, drawn"),
    Reading(
      "Xiong et al. 2020, On layer normalization in the transformer architecture",
      url: "https://arxiv.org/abs/2002.04745", note: "pre-LN against post-LN"),
    Reading(
      "Holtzman et al. 2020, The curious case of neural text degeneration",
      url: "https://arxiv.org/abs/1904.09751", note: "why greedy decoding repeats itself, and top-p sampling"),
  ])
let options = nb.options
manualSeed(options.seed)
let generator = Generator(seed: options.seed)

// MARK: - 1. Tokens to vectors

nb.section("1. A sentence as vectors")
// A short review with a contrast, from the kit's data (Lesson 2); BERT's basic tokenizer splits
// it into lower-cased words and punctuation.
let review: String = {
  let fallback = "the portafilter looks sturdy, but the crema is watery."
  guard let text = try? String(contentsOfFile: "datasets/sentiment/train.tsv", encoding: .utf8) else {
    return fallback
  }
  let reviews = text.split(separator: "\n").dropFirst().compactMap {
    $0.split(separator: "\t").last.map(String.init)
  }
  return reviews.first { $0.contains(", but ") && $0.split(separator: " ").count <= 14 } ?? fallback
}()
let words = BasicTokenizer().tokenize(review)
let vocabulary = Array(Set(words)).sorted()
let ids = words.map { vocabulary.firstIndex(of: $0)! }
nb.narrate(
  """
  Attention works on vectors, one per token. Here each word of a review from the kit's \
  sentiment data ("\(review)") gets an id from a tiny vocabulary, and the id picks a row of an embedding table (random for now: \
  Lesson 4 learns these). A learned position embedding is added, so that word order is \
  visible: without it, attention would see a bag of words.
  """)
nb.cell("embeddings")
// cell: embeddings
let d = 8
let wordTable = Embedding(vocabulary.count, d, generator: generator)
let positionTable = Embedding(words.count, d, std: 0.5, generator: generator)
// (1, seq, d): word vectors plus position vectors.
let x = noGrad { wordTable(ids, shape: [1, words.count]) + positionTable(Array(0..<words.count)) }
// end cell: embeddings
nb.table(
  headers: ["position", "word", "id", "first 3 of its \(d) numbers"],
  rows: words.enumerated().map { t, w in
    [
      "\(t)", w, "\(ids[t])",
      (0..<3).map { String(format: "%+.2f", x.data[t * d + $0]) }.joined(separator: " "),
    ]
  })

// MARK: - 2. Scores

nb.section("2. Queries, keys and scores")
nb.narrate(
  """
  Three linear maps turn each vector into a query (what am I looking for?), a key (what do I \
  offer?) and a value (what do I pass on?). The score of query i against key j is their dot \
  product: one number per pair, a (seq × seq) matrix.
  """)
nb.cell("scores")
// cell: scores
let query = Linear(d, d, generator: generator)
let key = Linear(d, d, generator: generator)
let value = Linear(d, d, generator: generator)
let (q, k, v) = noGrad { (query(x), key(x), value(x)) }  // (1, seq, d) each
let rawScores = noGrad { q.matmul(k.transpose(-2, -1)) }  // (1, seq, seq)
// end cell: scores

func matrix(_ t: Tensor, rows: Int, columns: Int, offset: Int = 0) -> [[Double]] {
  (0..<rows).map { r in (0..<columns).map { c in Double(t.data[offset + r * columns + c]) } }
}
let seq = words.count
nb.heatmap(
  matrix(rawScores, rows: seq, columns: seq), rowLabels: words, columnLabels: words,
  title: "Raw scores (rows: queries, columns: keys)")

// MARK: - 3. Why √d

nb.section("3. Scaling: why divide by √d")
nb.narrate(
  """
  If queries and keys have d independent components of variance 1, their dot product has \
  variance d. Large scores push the softmax into saturation: one weight near 1, the rest near \
  0, and gradients vanish. Dividing by √d brings the spread back to 1 whatever the head size. \
  Measured on random vectors:
  """)
var scalingRows: [[String]] = []
var scaledStds: [Double] = []
for dim in [4, 16, 64, 256, 1024] {
  let qs = Tensor.randn([64, dim], generator: generator)
  let ks = Tensor.randn([10, dim], generator: generator)
  let scores = noGrad { qs.matmul(ks.transpose(0, 1)) }  // (64, 10)
  let scaled = noGrad { scores / Float(dim).squareRoot() }
  func std(_ t: Tensor) -> Double {
    let m = t.data.reduce(0.0) { $0 + Double($1) } / Double(t.count)
    return (t.data.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(t.count)).squareRoot()
  }
  func meanMaxWeight(_ t: Tensor) -> Double {
    let w = noGrad { t.softmax(axis: -1) }
    return (0..<64).map { r in Double(w.data[(r * 10)..<(r * 10 + 10)].max()!) }.reduce(0, +) / 64
  }
  scaledStds.append(std(scaled))
  scalingRows.append([
    "\(dim)", String(format: "%.2f", std(scores)), String(format: "%.2f", std(scaled)),
    String(format: "%.2f", meanMaxWeight(scores)), String(format: "%.2f", meanMaxWeight(scaled)),
  ])
}
nb.table(
  headers: ["d", "std of q·k", "std of q·k/√d", "largest weight, unscaled", "largest weight, scaled"],
  rows: scalingRows,
  title: "10 keys per query; a uniform softmax would give 0.10")
nb.record("scaled_score_std", scaledStds)

// MARK: - 4. Masks

nb.section("4. Masks: padding and the future")
nb.narrate(
  """
  Two kinds of positions must get no attention at all. Padding: sentences in a batch are \
  padded to the same length, and the pad tokens are not words. The future: a left-to-right \
  language model must not peek at the token it is asked to predict. Both are masks, 1 where a \
  query may not look; their scores are replaced by the most negative float, so the softmax \
  gives them exactly 0 (exercise 3.1 builds the causal mask).
  """)
let causal = causalMask(seq)
nb.heatmap(
  matrix(causal, rows: seq, columns: seq), rowLabels: words, columnLabels: words,
  title: "causalMask(\(seq)): 1 (dark) where the key is in the query's future")

// MARK: - 5. Softmax and the weighted sum

nb.section("5. Softmax and the weighted sum")
nb.cell("attention")
// cell: attention
// weights (1, seq, seq), rows sum to 1; output (1, seq, d): each token's mix of the values
let attention = noGrad { scaledDotProductAttention(query: q, key: k, value: v, mask: causal) }
// end cell: attention
nb.heatmap(
  matrix(attention.weights, rows: seq, columns: seq), rowLabels: words, columnLabels: words,
  title: "Causal attention weights: each row sums to 1, the future gets exactly 0")
var futureWeight: Float = 0
for i in 0..<seq {
  for j in (i + 1)..<max(seq, i + 1) { futureWeight += attention.weights.data[i * seq + j] }
}
nb.output("total weight on future positions: \(futureWeight)")
nb.record("future_attention_weight", Double(futureWeight))
nb.figure(
  .heatmap(
    values: matrix(attention.weights, rows: seq, columns: seq), rowLabels: words, columnLabels: words,
    title: "Causal attention weights (random projections)"), name: "causal-attention")

// MARK: - 6. Heads and blocks

nb.section("6. Multi-head attention and the transformer block")
nb.narrate(
  """
  One attention mixes everything with one set of weights. Multi-head attention runs several \
  on slices of the vector: splitHeads turns (batch, seq, hidden) into (batch, heads, seq, \
  headDim) (exercise 3.3), each head attends on its own, and mergeHeads puts them side by \
  side again. A BERT layer wraps that with a projection, a residual connection and LayerNorm, \
  then a feed-forward block (hidden → 4·hidden → hidden with GELU), again with residual and \
  LayerNorm. GPT-2 does the same with the LayerNorm first ("pre-LN") and a causal mask.
  """)
nb.cell("bert")
// cell: bert
let bertConfig = BertConfig(
  vocabSize: vocabulary.count + 1, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
  intermediateSize: 64,
  maxPositionEmbeddings: 32)
let bert = BertForSequenceClassification(bertConfig, generator: generator)
bert.eval()
// end cell: bert
let names = bert.namedParameters().map(\.name)
nb.output("\(bert.parameterCount()) parameters")
nb.output(
  "Parameter names, as in Hugging Face checkpoints:\n" + names.prefix(8).joined(separator: "\n") + "\n... ("
    + "\(names.count) tensors in all)")
let bertOutput = try bert.bert(inputIds: [ids.map { $0 + 1 }])
nb.output(
  "last hidden state: \(bertOutput.lastHiddenState.shape), attention maps: \(bertOutput.attentions.count) × \(bertOutput.attentions[0].shape)"
)
nb.record("bert_parameters", bert.parameterCount())

// MARK: - 7. Learning where to look

nb.section("7. A tiny GPT learns where to look")
nb.narrate(
  """
  Random projections attend randomly. Training shapes them. A 1-layer GPT with 2 heads sees \
  random token sequences and must output, at each position, the token one step back. Nothing \
  in a token's own vector says what came before it: the model can only succeed by attending \
  to the previous position. Watch the loss fall and the attention map turn into a diagonal \
  band just below the main diagonal.
  """)
var gptConfig = GPT2Config(vocabSize: 16, nPositions: 12, nEmbd: 32, nLayer: 1, nHead: 2)
gptConfig.residPdrop = 0
gptConfig.embdPdrop = 0
gptConfig.attnPdrop = 0
let gpt = GPT2LMHeadModel(gptConfig, generator: generator)
let optimizer = AdamW(gpt.parameters(), learningRate: Float(options.double("lr")), weightDecay: 0.01)
let steps = options.quick ? 120 : options.int("steps")
let (batchSize, length) = (32, 12)
func makeBatch(_ generator: Generator, vocabulary: Int) -> (inputs: [[Int]], targets: [Int]) {
  let inputs = (0..<batchSize).map { _ in (0..<length).map { _ in generator.int(below: vocabulary) } }
  // Target at position t is the token at t - 1; position 0 has none (ignored, -100).
  let targets = inputs.flatMap { row in [-100] + row.dropLast() }
  return (inputs, targets)
}
let probe = (0..<length).map { _ in generator.int(below: gptConfig.vocabSize) }
let before = try noGrad { try gpt.transformer(inputIds: [probe]).attentions[0] }
var losses: [Double] = []
var accuracies: [Double] = []
let bar = nb.progress("training", total: steps)
for step in 1...steps {
  let (inputs, targets) = makeBatch(generator, vocabulary: gptConfig.vocabSize)
  optimizer.zeroGrad()
  let logits = try gpt(inputIds: inputs)  // (batch, length, vocabulary)
  let loss = crossEntropy(logits, targets: targets)
  loss.backward()
  optimizer.step()
  let predictions = logits.argmax(axis: -1)
  let scored = targets.indices.filter { targets[$0] != -100 }
  let accuracy = Double(scored.filter { predictions[$0] == targets[$0] }.count) / Double(scored.count)
  losses.append(Double(loss.item))
  accuracies.append(accuracy)
  bar.update(step: step, metrics: ["loss": Double(loss.item), "accuracy": accuracy])
}
bar.finish()
nb.lineChart(
  [ChartSeries(name: "loss", values: losses)], title: "Cross-entropy while learning to look one step back",
  xLabel: "step", yLabel: "loss")
let after = try noGrad { try gpt.transformer(inputIds: [probe]).attentions[0] }  // (1, heads, length, length)
let labels = (0..<length).map { "\($0)" }
for head in 0..<gptConfig.nHead {
  nb.heatmap(
    matrix(after, rows: length, columns: length, offset: head * length * length), rowLabels: labels,
    columnLabels: labels, title: "Head \(head) after training (rows: positions, columns: where they look)")
}
/// The average weight each position puts on the position just before it, in the best head.
func previousTokenWeight(_ weights: Tensor, heads: Int) -> Double {
  var best = 0.0
  for head in 0..<heads {
    var total = 0.0
    for t in 1..<length { total += Double(weights.data[head * length * length + t * length + t - 1]) }
    best = max(best, total / Double(length - 1))
  }
  return best
}
let finalAccuracy = accuracies.suffix(10).reduce(0, +) / Double(min(10, accuracies.count))
// Uniform causal attention gives position t weight 1/(t + 1) on each of its t + 1 keys, the
// previous one included; averaged over positions 1..<length as previousTokenWeight averages.
let uniformPreviousWeight = (1..<length).map { 1 / Double($0 + 1) }.reduce(0, +) / Double(length - 1)
nb.table(
  headers: ["", "weight on the previous token", "accuracy"],
  rows: [
    [
      "before training", String(format: "%.2f", previousTokenWeight(before, heads: gptConfig.nHead)),
      String(format: "%.1f%%", (accuracies.first ?? 0) * 100),
    ],
    [
      "after \(steps) steps", String(format: "%.2f", previousTokenWeight(after, heads: gptConfig.nHead)),
      String(format: "%.1f%%", finalAccuracy * 100),
    ],
  ],
  title:
    "Where the best head looks (uniform causal attention would give \(String(format: "%.2f", uniformPreviousWeight)))"
)
nb.record("copy_task_final_loss", losses.last ?? .nan)
nb.record("copy_task_accuracy", finalAccuracy)
nb.record("previous_token_weight_before", previousTokenWeight(before, heads: gptConfig.nHead))
nb.record("previous_token_weight_after", previousTokenWeight(after, heads: gptConfig.nHead))
for head in 0..<gptConfig.nHead {
  nb.figure(
    .heatmap(
      values: matrix(after, rows: length, columns: length, offset: head * length * length), rowLabels: labels,
      columnLabels: labels, title: "Tiny GPT, head \(head), after training"), name: "gpt-head-\(head)")
}

// MARK: - 8. Sampling

nb.section("8. From scores to the next token: greedy, temperature, top-k")
nb.narrate(
  """
  A language model ends with one score per vocabulary entry. Greedy decoding takes the best; \
  sampling draws from softmax(scores / temperature): low temperatures sharpen the \
  distribution, high ones flatten it, and top-k keeps only the k best candidates \
  (exercise 3.4). Here, the tiny GPT's distribution for the last position of the probe, whose \
  previous token is \(probe[length - 2]):
  """)
let lastLogits = try noGrad { try gpt(inputIds: [probe]) }.data.suffix(gptConfig.vocabSize).map { $0 }
var samplingRows: [[String]] = []
for (temperature, topK) in [(Float(0), nil), (0.5, nil), (1, nil), (2, nil), (2, 3)] as [(Float, Int?)] {
  let draws = (0..<1000).map { _ in
    sampleToken(lastLogits, temperature: temperature, topK: topK, generator: generator)
  }
  let hit = Double(draws.filter { $0 == probe[length - 2] }.count) / 1000
  let distinct = Set(draws).count
  samplingRows.append([
    temperature == 0 ? "greedy" : "T = \(temperature)" + (topK.map { ", top-\($0)" } ?? ""),
    String(format: "%.1f%%", hit * 100), "\(distinct)",
  ])
}
nb.table(
  headers: ["decoding", "picks the previous token", "distinct tokens in 1000 draws"], rows: samplingRows)

nb.section("9. What you built")
nb.narrate(
  """
  Scaled dot-product attention, masks, heads, and the two block designs behind BERT and GPT-2, \
  with parameter names that match Hugging Face checkpoints, so Lesson 4 can load real weights \
  into them and pre-train our own. Check your exercises with `swift test --filter Lesson3Tests`.
  """)
nb.questions([
  """
  After training, the best head puts \
  \(String(format: "%.2f", previousTokenWeight(after, heads: gptConfig.nHead))) of its weight on \
  the previous token; uniform causal attention would give \(String(format: "%.2f", uniformPreviousWeight)). \
  Why is the uniform figure not 1/\(length), and which positions pull it up?
  """,
  """
  In section 3, what happens to the largest softmax weight as d grows without the division by \
  √d, and why would that slow training down?
  """,
  """
  The causal mask puts the most negative Float on future scores before the softmax. What would \
  go wrong if the weights of future positions were set to 0 after the softmax instead?
  """,
  """
  Predict what top-k sampling with k = 1 returns at any temperature, and what a temperature of \
  100 does to the "distinct tokens" column.
  """,
])
nb.finish()
