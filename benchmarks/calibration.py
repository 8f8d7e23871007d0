"""Calibration: do the class probabilities of ``RNNClassifier`` mean what they say?

The classification data sets of ``real_data.py`` (ItalyPowerDemand, BasicMotions)
and JapaneseVowels (all three ship with sktime), each on its published split:
test accuracy, log loss, Brier score and expected calibration error (ECE) of the
default ``RNNClassifier(random_state=seed)`` and of the same estimator wrapped in
``CalibratedClassifierCV(..., cv=3)`` with the methods "sigmoid", "isotonic" and
"temperature", over seeds 0, 1 and 2. The pooled reliability curves are stored
for ``docs/benchmark_figures.py``.

Run from the repository root::

    python benchmarks/calibration.py          # full run (~8 min on 2 cores)
    python benchmarks/calibration.py --quick  # ItalyPowerDemand, seed 0; writes nothing

The protocol, the tables and the conclusions are in ``results/calibration.md``.
"""

import time
from dataclasses import dataclass

import _harness as harness
import numpy as np
import torch
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss

from skrnn import RNNClassifier

SEEDS = (0, 1, 2)
METHODS = ("default", "sigmoid", "isotonic", "temperature")
N_BINS = 10
CV = 3  # folds of CalibratedClassifierCV: each fold model calibrated on the rest


def expected_calibration_error(y_true, proba, classes, n_bins=N_BINS):
    """The ECE of the top-class confidence, and its reliability table.

    The confidence of a prediction is its largest probability, the predicted
    class the one it belongs to. The predictions fall into ``n_bins``
    equal-width bins of confidence, ``[0, 0.1), [0.1, 0.2), ..., [0.9, 1.0]``
    for 10 bins; the ECE is the mean over bins, weighted by their share of the
    predictions, of ``|accuracy - mean confidence|`` in the bin: 0 when every
    confidence is the accuracy it promises, and at most 1.

    Returns
    -------
    ece : float
    bins : dict of lists
        Per bin: ``count``, ``correct`` and ``confidence_sum``, from which
        pooled reliability curves (several seeds) can be added up.
    """
    proba = np.asarray(proba)
    confidence = proba.max(axis=1)
    correct = np.asarray(classes)[proba.argmax(axis=1)] == np.asarray(y_true)
    # floor(confidence * n_bins), with a confidence of 1.0 in the last bin
    index = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    hits = np.bincount(index, weights=correct, minlength=n_bins)
    confidence_sum = np.bincount(index, weights=confidence, minlength=n_bins)
    ece = np.abs(hits - confidence_sum).sum() / len(confidence)
    bins = {"count": count, "correct": hits, "confidence_sum": confidence_sum}
    return float(ece), {key: value.tolist() for key, value in bins.items()}


def japanese_vowels(split):
    """(X, y) of JapaneseVowels, X as (n, timesteps, 12), NaN-padded at the end.

    The sequences have 7 to 29 steps, so sktime returns them nested; skrnn
    reads trailing NaN steps as padding.
    """
    from sktime.datasets import load_japanese_vowels

    nested, y = load_japanese_vowels(split=split, return_type="nested_univ")
    series = [[cell.to_numpy() for cell in row] for row in nested.itertuples(False)]
    n_steps = max(len(channels[0]) for channels in series)
    X = np.full((len(series), n_steps, nested.shape[1]), np.nan)
    for i, channels in enumerate(series):
        X[i, : len(channels[0])] = np.stack(channels, axis=1)
    return X, np.asarray(y)


@dataclass
class DataSet:
    name: str
    what: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def record(self):
        classes, counts = np.unique(self.y_train, return_counts=True)
        return {
            "data set": self.name,
            "what": self.what,
            "n_train": len(self.X_train),
            "n_test": len(self.X_test),
            "timesteps x channels": "x".join(map(str, self.X_train.shape[1:])),
            "classes": len(classes),
            # What each calibrator of CalibratedClassifierCV(cv=3) is fitted on.
            "calibration fold": len(self.X_train) // CV,
            "per class": int(counts.min()) // CV,
        }


def make_data_sets(quick=False):
    specs = [
        ("ItalyPowerDemand", "UCR, real_data.py", "italy_power_demand"),
        ("BasicMotions", "UEA, real_data.py", "basic_motions"),
        ("JapaneseVowels", "UEA, 7-29 steps, NaN-padded", None),
    ]
    found = []
    for name, what, loader in specs[:1] if quick else specs:
        if loader is None:
            split = (*japanese_vowels("train"), *japanese_vowels("test"))
        else:
            split = (
                *harness.ucr_uea(loader, "train"),
                *harness.ucr_uea(loader, "test"),
            )
        found.append(DataSet(name, what, *split))
    return found


def make_model(method, seed):
    classifier = RNNClassifier(random_state=seed)
    if method == "default":
        return classifier
    return CalibratedClassifierCV(classifier, method=method, cv=CV)


def evaluate(data, method, seed):
    """Fit one model on the training set; its test metrics and reliability bins."""
    model = make_model(method, seed)
    start = time.perf_counter()
    model.fit(data.X_train, data.y_train)
    seconds = time.perf_counter() - start
    proba = model.predict_proba(data.X_test)
    classes = model.classes_
    y_pred = classes[proba.argmax(axis=1)]
    ece, bins = expected_calibration_error(data.y_test, proba, classes)
    scores = {
        "accuracy": accuracy_score(data.y_test, y_pred),
        "log_loss": log_loss(data.y_test, proba, labels=classes),
        "brier": brier_score_loss(data.y_test, proba, labels=classes),
        "ece": ece,
        "confidence": float(proba.max(axis=1).mean()),
    }
    harness.log(
        f"{data.name} {method} seed {seed}: "
        + ", ".join(f"{key} {value:.3f}" for key, value in scores.items())
        + f" ({seconds:.1f} s)"
    )
    return scores, bins, seconds


METRICS = ("accuracy", "log_loss", "brier", "ece", "confidence")


def measure(args):
    torch.set_num_threads(args.threads)
    data_sets = make_data_sets(quick=args.quick)
    seeds = SEEDS[:1] if args.quick else SEEDS
    # Warm up torch (first-call overheads) so that the first timed fit is fair.
    first = data_sets[0]
    RNNClassifier(max_epochs=2, random_state=0).fit(first.X_train, first.y_train)
    results, reliability = [], []
    for data in data_sets:
        for method in METHODS:
            runs = [evaluate(data, method, seed) for seed in seeds]
            row = {"data set": data.name, "method": method}
            for metric in METRICS:
                row[metric] = harness.mean_sd([scores[metric] for scores, _, _ in runs])
            row["ece_per_seed"] = [scores["ece"] for scores, _, _ in runs]
            row["fit_s"] = float(np.mean([seconds for _, _, seconds in runs]))
            results.append(row)
            pooled = {
                key: np.sum([bins[key] for _, bins, _ in runs], axis=0).tolist()
                for key in runs[0][1]
            }
            reliability.append({"data set": data.name, "method": method, **pooled})
    return {
        "environment": {
            "seeds": str(list(seeds)),
            "CalibratedClassifierCV": f"cv={CV} (StratifiedKFold, not shuffled), "
            "ensemble=True",
            "ECE": f"{N_BINS} equal-width bins of the top-class confidence",
        },
        "data": [data.record() for data in data_sets],
        "results": results,
        "reliability": reliability,
    }


DATA = {
    "data set": "{data set}",
    "source": "{what}",
    "train": "{n_train}",
    "test": "{n_test}",
    "steps x channels": "{timesteps x channels}",
    "classes": "{classes}",
    "calibration fold (per class)": "{calibration fold} ({per class})",
}
RESULTS = {
    "data set": "{data set}",
    "method": "{method}",
    "accuracy": harness.mean_sd_cell("accuracy"),
    "log loss": harness.mean_sd_cell("log_loss"),
    "Brier": harness.mean_sd_cell("brier"),
    "ECE": harness.mean_sd_cell("ece"),
    "ECE per seed": lambda r: " ".join(f"{v:.3f}" for v in r["ece_per_seed"]),
    "mean confidence": harness.mean_sd_cell("confidence"),
    "fit s": "{fit_s:.1f}",
}


def _reliability_rows(reliability):
    """Per data set and method, the non-empty bins as accuracy / confidence (n)."""
    rows = []
    for r in reliability:
        cells = [
            f"{lo / N_BINS:.1f}: {hits / n:.2f}/{conf / n:.2f} ({n})"
            for lo, (n, hits, conf) in enumerate(
                zip(r["count"], r["correct"], r["confidence_sum"], strict=True)
            )
            if n
        ]
        rows.append({**r, "bins": ", ".join(cells)})
    return rows


def render(data):
    return "\n\n".join(
        [
            harness.stamp(data["environment"]),
            "## Data",
            harness.table(data["data"], DATA, "llrrlrr"),
            "## Results",
            "Mean ± sd (ddof=0) over the seeds of the test metrics; ECE per seed in "
            "seed order; `fit s` is the mean wall time of one `fit` (for the "
            "calibrated rows, of the three fold models and their calibrators).",
            harness.table(data["results"], RESULTS, "llllllllr"),
            "## Reliability, pooled over the seeds",
            "Per non-empty bin of confidence (its lower edge): accuracy / mean "
            "confidence (number of test predictions).",
            harness.table(
                _reliability_rows(data["reliability"]),
                {"data set": "{data set}", "method": "{method}", "bins": "{bins}"},
            ),
        ]
    )


if __name__ == "__main__":
    parser = harness.parser(__doc__)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args()
    harness.run(args, "calibration", "calibration.md", measure, render, ["sktime"])
