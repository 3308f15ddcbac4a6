// Sections 2-4 of Lesson 7 on the sentiment task: baselines, how sure we are, learning curves.

import Datasets
import Foundation
import Models
import Notebook
import TensorCore
import Tokenizers
import Training

@MainActor func runSentimentSections() throws {
  let labelNames = ["negative", "positive"]
  let train = try readSplit("sentiment", "train", labels: labelNames)
  let validation = try readSplit("sentiment", "validation", labels: labelNames)
  let test = try readSplit("sentiment", "test", labels: labelNames)
  let gpt = try GPTKit(directory: root.appendingPathComponent("models/gpt-mini"), labelNames: labelNames)
  let learningRate = options.double("lr")
  let scratchRate = options.double("scratch-lr")
  let scratchSteps = quick ? 60 : options.int("scratch-steps")

  // MARK: - 2. Baselines

  nb.section("2. Baselines: what a model must beat")
  nb.narrate(
    """
    The review-sentiment task: \(train.count) labelled reviews, \(validation.count) for \
    validation, \(test.count) for the test, balanced. Four models, each scored on its own \
    training reviews too, since a model that does not fit its training set has not learned \
    what it could: the majority class; TF-IDF + logistic regression; a GPT-style model from \
    random weights; the pre-trained GPT-style checkpoint. The two neural models get the same \
    \(train.count) examples and the same recipe (AdamW, 10% warm-up, linear decay, batch 32). \
    The pre-trained model fine-tunes for \(steps) steps at peak rate \
    \(String(format: "%g", learningRate)). The model from scratch gets enough training to fit its \
    training set, so that it is a real baseline and not an unfinished one: \(scratchSteps) steps \
    (\(String(format: "%.0f", Double(scratchSteps * 32) / Double(train.count))) epochs) at \
    \(String(format: "%g", scratchRate)), and, to fit that in the lesson's time, a smaller \
    model of the same architecture and vocabulary (hidden \(gpt.scratchConfig.nEmbd), \
    \(gpt.scratchConfig.nLayer) layer(s), FFN \(gpt.scratchConfig.nInner ?? 4 * gpt.scratchConfig.nEmbd): \
    \(String(format: "%.2fM", Double(try gpt.model(pretrained: false, seed: 0).parameterCount()) / 1e6)) \
    parameters against the checkpoint's \
    \(String(format: "%.2fM", Double(try gpt.model(pretrained: true, seed: 0).parameterCount()) / 1e6))).
    """)
  let majority = majorityClass(train.labels)
  let majorityValidation = Array(repeating: majority, count: validation.count)
  let majorityTrainAccuracy = Double(train.labels.filter { $0 == majority }.count) / Double(train.count)
  nb.cell("baselines")
  // cell: baselines
  let bagOfWords = TfidfLogisticRegression(numClasses: 2)
  bagOfWords.fit(train.texts, labels: train.labels, generator: Generator(seed: options.seed))
  let bagValidation = bagOfWords.predict(validation.texts)
  let bagTrainPredictions = bagOfWords.predict(train.texts)
  let bagTrainAccuracy =
    Double(zip(bagTrainPredictions, train.labels).filter { $0 == $1 }.count) / Double(train.count)
  // The bag of words' training accuracy by kind of review: plain, negation, contrast.
  let bagByKind = ["plain", "negation", "contrast"].map { kind -> (String, Double) in
    let members = train.texts.indices.filter { reviewKind(train.texts[$0]) == kind }
    let right = members.filter { bagTrainPredictions[$0] == train.labels[$0] }.count
    return (kind, Double(right) / Double(max(1, members.count)))
  }
  // recipe(...) is TrainingArguments with maxSteps, warmupRatio 0.1, weightDecay 0.01 (Runs.swift);
  // fineTune(...) runs Trainer.train(), then predict(validation) and evaluate(train).
  let directory = runsDirectory.appendingPathComponent("sentiment")
  let bar = nb.progress("fine-tuning runs", total: 2)
  let scratch = try fineTune(
    try gpt.model(pretrained: false, seed: options.seed), collator: gpt.collator,
    args: recipe(
      outputDirectory: directory, maxSteps: scratchSteps, learningRate: scratchRate, seed: options.seed),
    train: train, validation: validation)
  bar.update(step: 1)
  let pretrained = try fineTune(
    try gpt.model(pretrained: true, seed: options.seed), collator: gpt.collator,
    args: recipe(outputDirectory: directory, maxSteps: steps, learningRate: learningRate, seed: options.seed),
    train: train, validation: validation)
  bar.finish()
  // end cell: baselines

  struct Arm {
    var name: String
    var predictions: [Int]
    var trainAccuracy: Double
  }
  let arms = [
    Arm(name: "majority class", predictions: majorityValidation, trainAccuracy: majorityTrainAccuracy),
    Arm(name: "TF-IDF + logistic regression", predictions: bagValidation, trainAccuracy: bagTrainAccuracy),
    Arm(
      name: "GPT-style, from scratch", predictions: scratch.predictions, trainAccuracy: scratch.trainAccuracy),
    Arm(
      name: "GPT-style, pre-trained", predictions: pretrained.predictions,
      trainAccuracy: pretrained.trainAccuracy),
  ]
  let labels = validation.labels
  func scores(_ predictions: [Int]) -> (accuracy: Double, f1: Double) {
    let m = confusionMatrix(labels: labels, predictions: predictions, numClasses: 2)
    return (accuracyScore(m), macroF1(m))
  }

  // MARK: - 3. How sure are we?

  let generator = Generator(seed: options.seed)
  var rows: [[String]] = []
  var recorded: [String: JSONValue] = [:]
  // cell: intervals
  for arm in arms {
    let (accuracy, f1) = scores(arm.predictions)
    let correct = zip(labels, arm.predictions).map { $0 == $1 }
    let accuracyCI = bootstrapInterval(count: labels.count, resamples: resamples, generator: generator) {
      Training.accuracy(of: correct, at: $0)
    }
    let f1CI = bootstrapInterval(count: labels.count, resamples: resamples, generator: generator) {
      macroF1(labels: labels, predictions: arm.predictions, numClasses: 2, at: $0)
    }
    rows.append([
      arm.name, percent(arm.trainAccuracy), percent(accuracy), interval(accuracyCI),
      String(format: "%.3f", f1),
      "[\(String(format: "%.3f", f1CI.low)), \(String(format: "%.3f", f1CI.high))]",
    ])
    recorded[arm.name] = .object([
      "train_accuracy": .number(arm.trainAccuracy), "accuracy": .number(accuracy),
      "accuracy_ci": .array([.number(accuracyCI.low), .number(accuracyCI.high)]), "f1": .number(f1),
      "f1_ci": .array([.number(f1CI.low), .number(f1CI.high)]),
    ])
  }
  // end cell: intervals
  nb.table(
    headers: ["model", "train acc.", "validation acc.", "95% interval", "macro-F1", "95% interval"],
    rows: rows,
    title: "Sentiment, validation (\(labels.count) reviews); intervals: \(resamples) bootstrap resamples")
  nb.record("sentiment_baselines", .object(recorded))
  let plainFit = bagByKind[0].1
  let kindVerdict =
    bagByKind.dropFirst().allSatisfy { $0.1 < plainFit - 0.1 }
    ? "the structured kinds are fitted worse, as the hypothesis says"
    : "not the pattern the hypothesis predicts"
  nb.record(
    "tfidf_train_accuracy_by_kind",
    .object(Dictionary(uniqueKeysWithValues: bagByKind.map { ($0.0, .number($0.1)) })))
  let scratchScores = scores(scratch.predictions)
  let preScores = scores(pretrained.predictions)
  let bagScores = scores(bagValidation)
  nb.narrate(
    """
    \(bagTrainAccuracy < 0.9
      ? "The bag of words does not fit even its own training reviews (\(percent(bagTrainAccuracy))): it sees which words occur, not their order, and about half of the reviews decide their label by a negation (\"not flimsy\") or a contrast (\"..., but ...\") (20% and 30% of reviews, datasets/README.md); our hypothesis, checked by its training accuracy per kind of review: \(bagByKind.map { "\($0.0) \(percent($0.1))" }.joined(separator: ", ")) (\(kindVerdict)). On validation it reaches \(percent(bagScores.accuracy))"
      : "The bag of words fits its training reviews (\(percent(bagTrainAccuracy))) and reaches \(percent(bagScores.accuracy)) on validation"): \
    the validation reviews use sentiment words that no labelled review contains (Lesson 5), and \
    a bag of words knows only the words it was shown with labels. The model from scratch \
    reaches \(percent(scratch.trainAccuracy)) on its training reviews and \
    \(percent(scratchScores.accuracy)) on validation; the pre-trained model \
    \(percent(pretrained.trainAccuracy)) and \(percent(preScores.accuracy)). \
    \(scratch.trainAccuracy >= 0.95 && pretrained.trainAccuracy >= 0.95
      ? "Both fit their training reviews, so the gap on validation is not one of them failing to learn the labels: it is what the labels cannot teach. By the generator's design the validation reviews take their sentiment words from the part of the lexicon no labelled review uses (Lesson 5); only the unlabelled corpus the checkpoint was pre-trained on contains them. The model from scratch is also smaller; since it fits its training set, its size is not what holds it back there, and our hypothesis (not measured here) is that a full-size model from scratch would stay as far from the pre-trained one on validation."
      : "\([scratch.trainAccuracy < 0.95 ? "the model from scratch" : nil, pretrained.trainAccuracy < 0.95 ? "the pre-trained model" : nil].compactMap { $0 }.joined(separator: " and ")) did not fit its training reviews (below 95%), so the gap on validation cannot be put down to pre-training alone; `--scratch-steps` and `--scratch-lr` give the model from scratch more.")
    """)

  nb.section("3. How sure are we? Intervals and paired tests")
  nb.narrate(
    """
    Each interval above is a percentile bootstrap (exercise 7.3): the \(labels.count) \
    validation reviews are re-drawn with replacement \(resamples) times, the score recomputed \
    each time, and the middle 95% of those scores kept. An interval of ±\
    \(String(format: "%.1f", 100 * 1.96 * (preScores.accuracy * (1 - preScores.accuracy) / Double(labels.count)).squareRoot())) \
    points is what 400 examples buy. Two models scored on the same reviews are compared pair by \
    pair, which is sharper than comparing their intervals: McNemar's exact test (exercise 7.4) \
    looks only at the reviews exactly one of them gets right.
    """)
  nb.cell("intervals")  // the table above's intervals, for each model (exercise 7.3)
  nb.cell("paired-tests")  // exercise 7.4 and the paired bootstrap
  var pairedRows: [[String]] = []
  var pairedRecord: [String: JSONValue] = [:]
  // cell: paired-tests
  for (name, other) in [
    ("TF-IDF + logistic regression", bagValidation), ("GPT-style, from scratch", scratch.predictions),
  ] {
    let test = mcnemarTest(labels: labels, first: pretrained.predictions, second: other)
    let (c1, c2) = (zip(labels, pretrained.predictions).map { $0 == $1 }, zip(labels, other).map { $0 == $1 })
    let paired = pairedBootstrap(
      count: labels.count, resamples: resamples, generator: Generator(seed: options.seed)
    ) {
      Training.accuracy(of: c1, at: $0) - Training.accuracy(of: c2, at: $0)
    }
    pairedRows.append([
      "pre-trained vs \(name)", String(format: "%+.1f", 100 * paired.difference),
      "[\(String(format: "%+.1f", 100 * paired.interval.low)), \(String(format: "%+.1f", 100 * paired.interval.high))]",
      "\(test.b) / \(test.c)", String(format: "%.2g", test.pValue),
    ])
    pairedRecord[name] = .object([
      "accuracy_difference": .number(paired.difference),
      "accuracy_difference_ci": .array([.number(paired.interval.low), .number(paired.interval.high)]),
      "bootstrap_p_value": .number(paired.pValue), "mcnemar_b": .number(Double(test.b)),
      "mcnemar_c": .number(Double(test.c)), "mcnemar_p_value": .number(test.pValue),
    ])
  }
  // end cell: paired-tests
  nb.table(
    headers: [
      "comparison", "accuracy difference (points)", "95% paired interval", "only first / only second right",
      "McNemar p",
    ],
    rows: pairedRows, title: "Paired tests on the same \(labels.count) validation reviews")
  nb.record("sentiment_paired_tests", .object(pairedRecord))
  // The test set, used once, for the model chosen on validation.
  let testLogits = try pretrained.trainer.predict(test, metricKeyPrefix: "test").predictions.logits
  let testPredictions = testLogits.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
  let testCorrect = zip(test.labels, testPredictions).map { $0 == $1 }
  let testAccuracy = Double(testCorrect.filter { $0 }.count) / Double(test.count)
  let testCI = bootstrapInterval(
    count: test.count, resamples: resamples, generator: Generator(seed: options.seed)
  ) {
    Training.accuracy(of: testCorrect, at: $0)
  }
  nb.narrate(
    """
    Everything so far (the choice of model, the number of steps, the learning rates) was decided \
    on validation. The test set is used once, now, for the model validation chose: the \
    pre-trained one reaches \(percent(testAccuracy)) on the \(test.count) test reviews, 95% \
    interval \(interval(testCI)). Had we looked at the test set while choosing, this number \
    would be optimistic by however much our choices fitted its particular reviews.
    """)
  nb.record("sentiment_test_accuracy", testAccuracy)
  nb.record("sentiment_test_accuracy_ci", [testCI.low, testCI.high])

  try learningCurves(
    gpt: gpt, train: train, validation: validation, full: (pretrained, scratch), scratchSteps: scratchSteps)
  try calibrationSection(logits: pretrained.validationLogits, labels: labels)
  try errorAnalysis(run: pretrained, train: train, validation: validation)
  try choosingSection(train: train, validation: validation)
}

/// Section 4: validation accuracy against the labelled-set size, pre-trained vs scratch.
@MainActor func learningCurves(
  gpt: GPTKit, train: TextClassificationDataset, validation: TextClassificationDataset, full: (Run, Run),
  scratchSteps: Int
) throws {
  // Steps by epochs (batches of 32, the last one short): the model from scratch gets section 2's
  // epochs at every size, so that it fits each subset too; the pre-trained model 10 epochs, at
  // most section 2's steps.
  func batches(_ size: Int) -> Int { (size + 31) / 32 }
  let scratchEpochs = max(1, scratchSteps / batches(train.count))
  func stepsFor(_ size: Int, pretrained: Bool) -> Int {
    pretrained ? min(steps, 10 * batches(size)) : scratchEpochs * batches(size)
  }
  nb.section("4. Learning curves: how many labels does pre-training save?")
  let sizes = quick ? [100, train.count] : [25, 100, train.count]
  nb.narrate(
    """
    ULMFiT's figure 3 at the kit's scale: section 2's two neural models fine-tuned on the first \
    \(sizes.dropLast().map(String.init).joined(separator: ", ")) and all \(train.count) labelled \
    reviews with section 2's recipes: the pre-trained model 10 epochs, at most \(steps) steps \
    (\(sizes.map { String(stepsFor($0, pretrained: true)) }.joined(separator: ", ")) steps), the \
    model from scratch section 2's \(scratchEpochs) epochs at every size \
    (\(sizes.map { String(stepsFor($0, pretrained: false)) }.joined(separator: ", ")) steps), so \
    that it fits each subset. \(seedCount) seed(s) per point below the full set (the seed draws the head, the \
    dropout and the order of the examples; seeds 1000 apart, because the Trainer orders epoch e by \
    seed + e, so neighbouring seeds would share orders); the full set is section 2's runs, one \
    seed, to keep the lesson within its time.
    """)
  let directory = runsDirectory.appendingPathComponent("learning-curves")
  var points: [String: [[Double]]] = ["pre-trained": [], "from scratch": []]
  let bar = nb.progress("learning-curve runs", total: ((sizes.count - 1) * seedCount + 1) * 2)
  var done = 0
  for size in sizes {
    let subset = Lesson7.subset(train, 0..<size)
    for (arm, pretrained) in [("pre-trained", true), ("from scratch", false)] {
      var accuracies: [Double] = []
      for seed in 0..<UInt64(size == train.count ? 1 : seedCount) {
        let run: Run
        if size == train.count && seed == 0 {
          run = pretrained ? full.0 : full.1  // section 2's runs
        } else {
          run = try fineTune(
            try gpt.model(pretrained: pretrained, seed: options.seed &+ 1000 * seed), collator: gpt.collator,
            args: recipe(
              outputDirectory: directory, maxSteps: stepsFor(size, pretrained: pretrained),
              learningRate: options.double(pretrained ? "lr" : "scratch-lr"),
              seed: options.seed &+ 1000 * seed),
            train: subset, validation: validation, scoreTrain: false)
        }
        let predictions = run.predictions
        accuracies.append(
          Double(zip(predictions, validation.labels).filter { $0 == $1 }.count) / Double(validation.count))
        done += 1
        bar.update(step: done)
      }
      points[arm]!.append(accuracies)
    }
  }
  bar.finish()
  let rows = sizes.indices.map { i -> [String] in
    let (p, s) = (meanAndSpread(points["pre-trained"]![i]), meanAndSpread(points["from scratch"]![i]))
    let seeds = points["pre-trained"]![i].count
    return [
      "\(sizes[i])", seeds > 1 ? "\(percent(p.mean)) ± \(percent(p.std))" : percent(p.mean),
      seeds > 1 ? "\(percent(s.mean)) ± \(percent(s.std))" : percent(s.mean),
    ]
  }
  nb.table(
    headers: ["labelled reviews", "pre-trained", "from scratch"], rows: rows,
    title: "Validation accuracy (mean ± sd over \(seedCount) seed(s); the full set: one seed)")
  let series = ["pre-trained", "from scratch"].map { arm in
    ChartSeries(name: arm, values: points[arm]!.map { meanAndSpread($0).mean })
  }
  nb.lineChart(
    series,
    title: "validation accuracy by labelled-set size (\(sizes.map(String.init).joined(separator: ", ")))",
    xLabel: "size index")
  nb.figure(
    .lineChart(
      series: series,
      title:
        "Learning curves: validation accuracy vs labelled reviews (\(sizes.map(String.init).joined(separator: ", ")))",
      xLabel: "labelled reviews: \(sizes.map(String.init).joined(separator: ", "))",
      yLabel: "validation accuracy"),
    name: "learning-curves")
  let smallPre = meanAndSpread(points["pre-trained"]![0]).mean
  let fullScratch = meanAndSpread(points["from scratch"]!.last!).mean
  nb.narrate(
    """
    With \(sizes[0]) labelled reviews the pre-trained model reaches \(percent(smallPre)); from \
    scratch, all \(train.count) reviews give \(percent(fullScratch)). \(smallPre > fullScratch ? "In this run pre-training is worth more than all the labels: by the generator's design the validation reviews take their sentiment words from the part of the lexicon the labelled reviews never use (Lesson 5), and only the unlabelled corpus contains them." : "Here the labels catch up with pre-training within the kit's data.") \
    The chart is written to \(runsDirectory.relativePath)/learning-curves.svg.
    """)
  nb.record("learning_curve_sizes", sizes.map(Double.init))
  nb.record(
    "learning_curve_pretrained", .array(points["pre-trained"]!.map { .array($0.map { .number($0) }) }))
  nb.record("learning_curve_scratch", .array(points["from scratch"]!.map { .array($0.map { .number($0) }) }))
}
