// Lesson 8 — Parameter-efficient and resource-constrained fine-tuning.
//
// Run it with `swift run Lesson8` (`-- --quick` for a short run, `-- --help` for flags).
// The code it builds on lives in Sources/PEFT: LoRA.swift (exercises 8.1, the LoRA forward
// pass, and 8.2, the merged update), PeftModel.swift (getPeftModel), PromptTuning.swift,
// AdapterFiles.swift, Compression.swift; and Sources/TensorCore: Quantization.swift (8.3,
// per-channel int8) and Pruning.swift (8.4, the magnitude mask).
// This file: the setup and the sections on the adapters (PEFTSections.swift); the cloze prompts,
// quantization and pruning are in Compression.swift; the summary in Summary.swift.

import Datasets
import Foundation
import Models
import Notebook
import PEFT
import TensorCore
import Tokenizers
import Training

let nb = Notebook(
  lesson: 8, title: "Parameter-efficient and resource-constrained fine-tuning",
  summary: """
    Lesson 5 fine-tuned every weight of the pre-trained model. Here we train a small part of it: \
    LoRA's low-rank updates, prompt tuning's virtual tokens, prefix tuning's keys and values; \
    we teach the masked-language-model head to classify with a cloze prompt and a handful of \
    examples; then we make the fine-tuned model smaller with int8 weights and pruning. Every \
    method is measured on the same data with the same budget: accuracy with its spread over \
    seeds, trainable parameters, saved size and time.
    """,
  flags: [
    LessonFlag.int("seeds", default: 2, help: "seeds per method"),
    LessonFlag.int("examples", default: 256, help: "labelled training reviews for every method"),
    LessonFlag.int("extras", default: 0, help: "1: also prefix tuning through the reparameterisation MLP"),
    LessonFlag.double("epochs", default: 2, help: "epochs of every fine-tuning run"),
  ])
nb.overview(
  objectives: [
    "apply LoRA, prompt tuning and prefix tuning with PEFT's names and defaults, and count what trains",
    "save an adapter that Python's PEFT loads, and merge LoRA back into the weights",
    "classify with a cloze prompt and the masked-language-model head, zero-shot and few-shot",
    "quantize a model to int8 and prune it, and measure size, speed and accuracy",
  ],
  prerequisites: ["Lesson 5 (fine-tuning with TrainingArguments and Trainer)"],
  time: "about an hour to read and run, plus 1–2 hours for the exercises",
  reading: [
    Reading(
      "Hu et al. 2021, LoRA: Low-rank adaptation of large language models",
      url: "https://arxiv.org/abs/2106.09685",
      note: "the update B·A, its rank, and merging (sections 4 and 7)"),
    Reading(
      "Lester, Al-Rfou and Constant 2021, The power of scale for parameter-efficient prompt tuning",
      url: "https://arxiv.org/abs/2104.08691", note: "prompt tuning, and why it needs large models"),
    Reading(
      "Li and Liang 2021, Prefix-tuning", url: "https://arxiv.org/abs/2101.00190",
      note: "per-layer prefixes and the reparameterisation MLP"),
    Reading(
      "Schick and Schütze 2021, Exploiting cloze questions for few-shot text classification (PET)",
      url: "https://arxiv.org/abs/2001.07676", note: "patterns and verbalizers"),
    Reading(
      "Michel, Levy and Neubig 2019, Are sixteen heads really better than one?",
      url: "https://arxiv.org/abs/1905.10650", note: "head importance and pruning"),
    Reading(
      "Hugging Face PEFT documentation", url: "https://huggingface.co/docs/peft",
      note: "LoraConfig, get_peft_model, save_pretrained, merge_and_unload"),
  ])
let options = nb.options
manualSeed(options.seed)
let quick = options.quick
let seedCount = quick ? 1 : max(1, options.int("seeds"))
let epochs = options.double("epochs")
let root = URL(fileURLWithPath: "datasets")
let bertDirectory = root.appendingPathComponent("models/bert-mini")
let gptDirectory = root.appendingPathComponent("models/gpt-mini")
let labelNames = ["negative", "positive"]

func split(_ name: String) throws -> TextClassificationDataset {
  let rows = try readExamples(root.appendingPathComponent("sentiment/\(name).tsv"), format: .tsv).examples
  return try TextClassificationDataset(rows.map { ($0.text, $0.label) }, labelNames: labelNames)
}
let fullTrain = try split("train")
let validation = try split("validation")
let examples = min(quick ? 160 : options.int("examples"), fullTrain.count)
let train = TextClassificationDataset(
  texts: Array(fullTrain.texts.prefix(examples)), labels: Array(fullTrain.labels.prefix(examples)),
  labelNames: labelNames)
// The cloze section scores the first 200 validation reviews (its BERT runs are the slow ones).
let clozeValidation = TextClassificationDataset(
  texts: Array(validation.texts.prefix(200)), labels: Array(validation.labels.prefix(200)),
  labelNames: labelNames)
let trainProbe = TextClassificationDataset(
  texts: Array(train.texts.prefix(100)), labels: Array(train.labels.prefix(100)), labelNames: labelNames)
// The BERT-style model's tokenizer, for the cloze prompts (its MLM head fills the blank).
let tokenizer = try WordPieceTokenizer(vocabularyFile: bertDirectory.appendingPathComponent("vocab.txt"))
let collator = DataCollatorWithPadding(tokenizer: tokenizer, maxLength: 64)
// The GPT-style model, which every fine-tuning method adapts: Lesson 5 showed it learns this task
// in a few dozen steps. GPT-2 has no padding token: batches are padded with end-of-text.
let gptConfig = try readConfig(GPT2Config.self, in: gptDirectory)
let gptPad = gptConfig.padTokenId ?? gptConfig.eosTokenId
let gptCollator = DataCollatorWithPadding(
  tokenizer: try ByteLevelBPETokenizer(
    vocabularyFile: gptDirectory.appendingPathComponent("vocab.json"),
    mergesFile: gptDirectory.appendingPathComponent("merges.txt")),
  padID: gptPad, maxLength: 64)
let adapterDirectory = nb.options.outputDirectory.appendingPathComponent("adapters")
try? FileManager.default.removeItem(at: adapterDirectory)

func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
func meanAndSpread(_ values: [Double]) -> (mean: Double, std: Double) {
  let mean = values.reduce(0, +) / Double(max(1, values.count))
  let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, values.count - 1))
  return (mean, variance.squareRoot())
}
func meanSD(_ values: [Double]) -> String {
  let s = meanAndSpread(values)
  return values.count > 1 ? "\(percent(s.mean)) ± \(percent(s.std))" : percent(s.mean)
}
func grouped(_ n: Int) -> String {
  let formatter = NumberFormatter()
  formatter.numberStyle = .decimal
  formatter.groupingSeparator = ","
  return formatter.string(from: NSNumber(value: n)) ?? "\(n)"
}
func bytes(_ url: URL) -> Int {
  ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int) ?? 0
}
func kilobytes(_ n: Int) -> String {
  n >= 1_000_000 ? String(format: "%.2f MB", Double(n) / 1e6) : String(format: "%.1f KB", Double(n) / 1e3)
}

try peftSections()
try compressionSections()
try summarySection()
nb.finish()
