// The lesson's pre-training runs: the Trainer configured for masked language modelling, its
// progress in a notebook bar, and what the lesson plots and tabulates from it.

import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

/// A pre-training run as the lesson shows it: the loss of every step and the held-out
/// evaluations, the first one before any training.
struct PretrainingRun {
  var trainingLosses: [Double]
  var evaluations: [EvaluationPoint]
  var seconds: Double
  var tokens: Int
}

/// The settings of a pre-training run (transformers' TrainingArguments, as run_mlm.py takes
/// them): batches of 16 rows, AdamW at a constant learning rate, held-out evaluations
/// `evaluations` times in the run, no checkpoints; `directory` receives trainer_state.json.
/// No warm-up or decay, no weight decay, no clipping: those are the recipe Lesson 5 builds
/// (exercises 5.1, 5.2, 5.4), and these runs come before it. The shipped checkpoints were
/// pre-trained with the full recipe (`course pretrain`, their model cards).
func pretrainingArguments(
  _ directory: URL, seed: UInt64, steps: Int, learningRate: Double, evaluations: Int
)
  -> TrainingArguments
{
  var args = TrainingArguments(
    outputDir: directory.path, perDeviceTrainBatchSize: 16,
    learningRate: learningRate)
  args.maxSteps = steps
  args.perDeviceEvalBatchSize = 16
  args.lrSchedulerType = .constant
  args.weightDecay = 0
  args.maxGradNorm = 0
  args.evalStrategy = .steps
  args.evalSteps = max(1, steps / evaluations)
  args.saveStrategy = .no
  args.loggingSteps = 1  // every step's loss reaches the progress bar (ProgressCallback)
  args.disableTqdm = true
  args.seed = seed
  return args
}
/// Shows the Trainer's training loss and the last held-out loss in a progress bar. A step's
/// line waits until the next step begins, so that an evaluation at that step is in it.
final class ProgressCallback: TrainerCallback {
  let bar: ProgressBar
  var heldOutLoss: Double?
  var pending: (step: Int, metrics: [String: Double])?

  init(_ bar: ProgressBar) { self.bar = bar }

  func onLog(args: TrainingArguments, state: TrainerState, logs: [String: Double]) {
    if let loss = logs["eval_loss"] { heldOutLoss = loss }
    if let loss = logs["loss"] {
      pending = (state.globalStep, ["loss": loss, "lr": logs["learning_rate"] ?? 0])
    }
  }

  func onStepBegin(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) { flush() }
  func onTrainEnd(args: TrainingArguments, state: TrainerState, control: inout TrainerControl) { flush() }

  func flush() {
    guard var line = pending else { return }
    if let heldOutLoss { line.metrics["held-out loss"] = heldOutLoss }
    bar.update(step: line.step, metrics: line.metrics)
    pending = nil
  }
}

/// Masked-language-model pre-training of `model` by the Trainer, as run_mlm.py: rows masked
/// afresh in every batch, the held-out rows masked once (so their evaluations compare), and
/// an evaluation before the first step and after the last.
func pretrainMaskedLM(
  _ model: BertForMaskedLM, tokenizer: WordPieceTokenizer, training: [[Int]], heldOut: [[Int]],
  args: TrainingArguments, bar: ProgressBar
) throws -> PretrainingRun {
  // cell: pretrain-masked-lm
  let trainer = try Trainer(
    model: model, args: args, trainDataset: training, evalDataset: heldOut,
    dataCollator: DataCollatorForLanguageModeling(tokenizer: tokenizer, mlmProbability: 0.15),
    callbacks: [ProgressCallback(bar)])
  let before = try trainer.evaluate()  // the untrained model's held-out loss, step 0
  let output = try trainer.train()  // trainer.stepLosses; trainer.evaluations: loss, perplexity, accuracy
  if trainer.evaluations.last?.step != output.globalStep { try trainer.evaluate() }
  // end cell: pretrain-masked-lm
  bar.finish()
  let seconds = output.metrics["train_runtime"]!
  return PretrainingRun(
    trainingLosses: trainer.stepLosses,
    evaluations: [EvaluationPoint(step: 0, loss: before["eval_loss"]!, accuracy: before["eval_accuracy"]!)]
      + trainer.evaluations,
    seconds: seconds, tokens: Int((output.metrics["train_tokens_per_second"]! * seconds).rounded()))
}
