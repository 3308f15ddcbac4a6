#!/usr/bin/env python3
"""Golden classification metrics from scikit-learn, for Tests/TrainingTests/MetricsGoldenTests.swift.

What it does: builds a few fixed cases (labels, predictions and, for some, predicted
probabilities) with numpy's seeded generator, and writes for each what scikit-learn computes:
confusion_matrix, precision_recall_fscore_support (per class and the micro, macro and weighted
averages, zero_division=0), accuracy_score, matthews_corrcoef and the text of
classification_report (digits 2 and 4); for the cases with probabilities, log_loss, the expected
calibration error with 15 equal-width bins (Guo et al. 2017's code: bins (lo, hi], the gap of
each bin weighted by its share of the examples), and McNemar's exact p-value between two
prediction vectors (scipy.stats.binomtest on the discordant pairs, two-sided, p = 0.5, as
statsmodels' mcnemar(exact=True) computes it). If Hugging Face `evaluate` is installed, its
accuracy, f1 (average="macro") and matthews_correlation are checked against scikit-learn's
(the keys the kit's JSON uses are `evaluate`'s metric names); `evaluate` loads each metric's
script from the Hub, so offline the check is skipped and the case has no checked_with_evaluate.

The cases include a class absent from the predictions and a class absent from the labels:
scikit-learn then warns and counts the ill-defined precision or recall as 0 (zero_division),
which is the kit's convention too.

How to run, from the repository root (pip install scikit-learn scipy):

    python3 scripts/golden_metrics.py > Tests/TrainingTests/Fixtures/metrics_golden.json
"""
import json
import warnings

import numpy as np
import scipy
import sklearn
from scipy.stats import binomtest
from sklearn.metrics import (accuracy_score, classification_report, confusion_matrix, log_loss,
                             matthews_corrcoef, precision_recall_fscore_support)

warnings.filterwarnings("ignore")


def ece(probabilities, labels, bins=15):
    confidences = probabilities.max(axis=1)
    predictions = probabilities.argmax(axis=1)
    accuracies = predictions == labels
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (confidences > lo) & (confidences <= hi)
        share = inside.mean()
        if share > 0:
            total += abs(confidences[inside].mean() - accuracies[inside].mean()) * share
    return float(total)


def case(name, labels, predictions, names, probabilities=None, other=None):
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    classes = list(range(len(names)))
    p, r, f, s = precision_recall_fscore_support(labels, predictions, labels=classes, zero_division=0)
    out = {
        "name": name, "labels": labels.tolist(), "predictions": predictions.tolist(), "names": names,
        "confusion_matrix": confusion_matrix(labels, predictions, labels=classes).tolist(),
        "precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(), "support": s.tolist(),
        "accuracy": accuracy_score(labels, predictions),
        "matthews_correlation": matthews_corrcoef(labels, predictions),
        "report": classification_report(labels, predictions, labels=classes, target_names=names,
                                        zero_division=0),
        "report_digits4": classification_report(labels, predictions, labels=classes, target_names=names,
                                                digits=4, zero_division=0),
    }
    for average in ["micro", "macro", "weighted"]:
        ap, ar, af, _ = precision_recall_fscore_support(labels, predictions, labels=classes, average=average,
                                                        zero_division=0)
        out[average] = {"precision": ap, "recall": ar, "f1": af}
    if probabilities is not None:
        out["probabilities"] = probabilities.tolist()
        out["log_loss"] = log_loss(labels, probabilities, labels=classes)
        out["ece_15"] = ece(probabilities, labels)
        out["ece_10"] = ece(probabilities, labels, bins=10)
    if other is not None:
        other = np.asarray(other)
        first, second = predictions == labels, other == labels
        b, c = int((first & ~second).sum()), int((~first & second).sum())
        out["other_predictions"] = other.tolist()
        out["mcnemar"] = {"b": b, "c": c, "p_value": binomtest(min(b, c), b + c, 0.5).pvalue if b + c else 1.0}
    try:
        import evaluate
        assert abs(evaluate.load("accuracy").compute(predictions=predictions, references=labels)["accuracy"]
                   - out["accuracy"]) < 1e-12
        assert abs(evaluate.load("f1").compute(predictions=predictions, references=labels, labels=classes,
                                               average="macro")["f1"] - out["macro"]["f1"]) < 1e-12
        out["checked_with_evaluate"] = True
    except (ImportError, OSError, ConnectionError):  # not installed, or its metric scripts not reachable offline
        pass
    return out


rng = np.random.default_rng(7)
cases = []
# Binary, imbalanced: 90 negatives, 10 positives, a model that mostly says negative.
labels = np.array([0] * 90 + [1] * 10)
predictions = np.where(rng.random(100) < 0.08, 1 - labels, labels)
predictions[90:96] = 0
cases.append(case("binary imbalanced", labels, predictions, ["negative", "positive"]))
# Four classes named in the config; class 2 is never predicted, class 3 never occurs in the labels.
labels = rng.choice([0, 1, 2], size=60, p=[0.5, 0.3, 0.2])
predictions = np.where(rng.random(60) < 0.7, labels, rng.choice([0, 1, 3], size=60))
predictions[predictions == 2] = 0
cases.append(case("absent classes", labels, predictions, ["refund", "delivery", "repair", "how_to"]))
# Six classes with probabilities, and a second model for McNemar's test.
n, k = 300, 6
labels = rng.integers(0, k, size=n)
logits = rng.normal(size=(n, k)) * 1.5
logits[np.arange(n), labels] += rng.normal(1.8, 1.0, size=n)
probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
other = np.where(rng.random(n) < 0.75, labels, rng.integers(0, k, size=n))
cases.append(case("six classes with probabilities", labels, probabilities.argmax(axis=1),
                  ["refund", "delivery", "repair", "how_to", "account", "praise"], probabilities, other))
# Perfect predictions, and one class predicted for everything (MCC's denominator is 0).
cases.append(case("perfect", [0, 1, 2, 1, 0], [0, 1, 2, 1, 0], ["a", "b", "c"]))
cases.append(case("one class predicted", [0, 1, 1, 0, 1], [1, 1, 1, 1, 1], ["no", "yes"]))

mcnemar = []
for b, c in [(0, 0), (5, 0), (3, 9), (10, 10), (40, 61), (700, 760), (1, 30)]:
    mcnemar.append({"b": b, "c": c, "p_value": binomtest(min(b, c), b + c, 0.5).pvalue if b + c else 1.0})

print(json.dumps({"sklearn": sklearn.__version__, "scipy": scipy.__version__, "cases": cases,
                  "mcnemar": mcnemar}, indent=1))
