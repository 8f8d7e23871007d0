"""Choose the default hyperparameters of RNNRegressor and RNNClassifier by measurement.

What it measures
----------------
Nine small tasks (synthetic, generated here with fixed numpy seeds; nothing is
downloaded) cover what the defaults must handle: short and long univariate
sequences, multivariate sequences with features on very different scales, a
multi-output target, a tiny training set, and the two datasets that
scikit-learn's common checks fit (``check_regressors_train`` and
``check_classifiers_train``). Every fit uses ``cell="lstm"`` and
``torch.set_num_threads(1)``.

For each candidate configuration and each seed (``random_state``), the script
records the test metric (R^2 or accuracy; the training metric for the two
scikit-learn check datasets, as the checks do) and the fit wall time. Training
runs in chunks of 50 epochs with ``warm_start=True``, which continues the same
network and optimizer and is bit-for-bit identical to one longer fit, so one
run yields the results for ``max_epochs`` = 50, 100 and 200.

The search is staged to fit in about 25 minutes on one CPU thread:

1. screen ``lr`` x ``hidden_size`` at ``batch_size=32``, 50 and 100 epochs;
2. continue the best screened configuration to 200 epochs, and train it with
   ``batch_size=64`` for 50/100/200 epochs;
3. the best configuration so far without gradient clipping (``clip_grad_norm``
   1.0 vs None);
4. ``max_epochs="auto"``: the recommended configuration trained, on each task,
   for its epochs or for as many as a minimum of 250, 500 or 1,000 gradient
   steps takes, whichever is more. Only the small training sets (``motions``,
   ``sk_regression``, ``sk_blobs``) get more epochs.

A run "stays at baseline" when it closes less than 10% of the gap between the
trivial baseline (R^2 = 0 / majority-class accuracy) and a perfect score, or, on
the scikit-learn check datasets, when it misses the checks' thresholds (training
R^2 > 0.5, training accuracy > 0.83). A configuration with such a run on a task
that some configuration learns with every seed is disqualified. Among the others,
each of stages 1-3 keeps the fastest configuration whose mean normalised score
(``(score - baseline) / (1 - baseline)``, averaged over seeds and over the tasks
that some configuration learns with every seed) is within 0.01 of the best.

Stage 4 is decided differently, because the nine tasks cannot decide it: its
cost is a few seconds, on small data sets only, and the one small
classification task here (``motions``) is limited by its noise, not by its
training. On real small data sets, ``benchmarks/real_data.py`` found 50 epochs
undertrained (BasicMotions, 40 recordings: accuracy 0.685 ± 0.166 over five
seeds, against 0.975 ± 0.016 with 500 steps, 0.960 with 200 epochs). Stage 4
keeps the 500-step minimum (``max_epochs="auto"``, the default) unless it loses
more than 0.01 of mean normalised score here, or fails a task.

How to run
----------
From the repository root::

    python benchmarks/defaults.py          # full study, writes the results file
    python benchmarks/defaults.py --quick  # smoke test: tiny subset, < 1 minute

The full study writes ``benchmarks/results/defaults.md``; ``--quick`` writes
nothing unless ``--out`` is given.
"""

import argparse
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sklearn
import skorch
import torch
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import _regression_dataset

import skrnn
from skrnn import RNNClassifier, RNNRegressor

torch.set_num_threads(1)

RESULTS = Path(__file__).parent / "results" / "defaults.md"
# The defaults before this study (with max_epochs=100); the screen starts from them.
PREVIOUS = {"lr": 1e-3, "hidden_size": 64, "batch_size": 32, "clip_grad_norm": 1.0}
# Everything not studied is pinned, so that later changes of the package defaults
# do not change these measurements.
AUTO_STEPS = (250, 500, 1000)  # the middle one is max_epochs="auto"
FIXED = {"cell": "lstm", "num_layers": 1, "dropout": 0.0, "optimizer": "adam"}
FAIL_FRACTION = 0.1  # "stays at baseline": closes < 10% of the gap to perfect


# ----------------------------------------------------------------------------------
# Tasks
# ----------------------------------------------------------------------------------


@dataclass
class Task:
    name: str
    description: str
    kind: str  # "reg" or "clf"
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    on_train: bool = False  # score on the training set (scikit-learn checks)
    threshold: float | None = None  # the scikit-learn check's pass mark
    reference: str = ""  # a simple non-trivial predictor's score, for context
    baseline: float = field(init=False)

    def __post_init__(self):
        if self.kind == "reg":
            self.baseline = 0.0  # R^2 of the mean predictor
        else:  # the best constant prediction: the evaluation set's majority class
            y_eval = self.y_train if self.on_train else self.y_test
            self.baseline = float(np.unique(y_eval, return_counts=True)[1].max()) / len(
                y_eval
            )

    def estimator(self, **params):
        """An unfitted RNNRegressor or RNNClassifier for this task, with ``FIXED``."""
        est_class = RNNRegressor if self.kind == "reg" else RNNClassifier
        return est_class(**FIXED, **params)

    def score(self, estimator):
        if self.on_train:
            return estimator.score(self.X_train, self.y_train)
        return estimator.score(self.X_test, self.y_test)

    def failed(self, score):
        if self.threshold is not None:
            return score <= self.threshold
        return score < self.baseline + FAIL_FRACTION * (1 - self.baseline)

    def normalised(self, score):
        return (score - self.baseline) / (1 - self.baseline)


def _split(X, y, n_train):
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def seasonal():
    """1000 windows of 24 steps of an unscaled series (~300); target: next value."""
    rng = np.random.default_rng(0)
    t = np.arange(1000 + 24)
    series = 300 + 50 * np.sin(2 * np.pi * t / 24) + 0.05 * t
    series += rng.normal(0, 5, len(t))
    X = np.lib.stride_tricks.sliding_window_view(series[:-1], 24).copy()
    return _split(X, series[24:], 800)  # chronological split


def _seasonal_naive():
    """Test R^2 of predicting the value one period (24 steps) earlier."""
    _, _, X_test, y_test = seasonal()
    r2 = 1 - np.mean((y_test - X_test[:, 0]) ** 2) / np.var(y_test)
    return f"seasonal naive (value 24 steps earlier): R^2 = {r2:.3f}"


def long_memory():
    """800 sequences of 150 steps; target: sum of the first 10 values."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(800, 150))
    y = X[:, :10].sum(axis=1) / np.sqrt(10) + 0.1 * rng.normal(size=800)
    return _split(X, y, 600)


def multivariate(n_outputs=1):
    """800 sequences of 30 steps x 5 features on scales 1, 1000 (mean 5000), 0.01,
    a random walk and a sine; target: nonlinear in several features and lags."""
    rng = np.random.default_rng(2)
    n, T = 800, 30
    ar = np.zeros((n, T))
    noise = rng.normal(size=(n, T))
    for t in range(1, T):
        ar[:, t] = 0.8 * ar[:, t - 1] + 0.6 * noise[:, t]
    big = 5000 + 1000 * rng.normal(size=(n, 1)) + 300 * rng.normal(size=(n, T))
    tiny = 0.01 * rng.normal(size=(n, T))
    walk = np.cumsum(rng.normal(size=(n, T)), axis=1)
    sine = np.sin(2 * np.pi * np.arange(T) / 10 + rng.uniform(0, 2 * np.pi, (n, 1)))
    X = np.stack([ar, big, tiny, walk, sine], axis=2)
    y = [ar[:, -1] * tiny[:, -3] / 0.01 + np.tanh(big[:, -5] / 1000 - 5) + sine[:, -1]]
    if n_outputs == 3:
        y += [walk[:, -1] - walk[:, -10], ar[:, -5:].max(axis=1)]
    y = np.stack(y, axis=1)
    y = y + 0.05 * rng.normal(size=y.shape)
    return _split(X, y[:, 0] if n_outputs == 1 else y, 600)


def multi_output():
    """The multivariate task with 3 targets: the same one, a random-walk increment
    over 9 steps and the maximum of the AR feature over the last 5 steps."""
    return multivariate(n_outputs=3)


def shapes():
    """600 sequences of 24 steps around 10: rising, falling or a bump (3 classes)."""
    rng = np.random.default_rng(3)
    n, t = 600, np.linspace(0, 1, 24)
    y = rng.integers(0, 3, n)
    templates = np.stack([t, 1 - t, np.exp(-((t - 0.5) ** 2) / 0.02)])
    X = 10 + rng.uniform(0.5, 2, (n, 1)) * templates[y] + rng.normal(0, 1, (n, 1))
    X += 0.3 * rng.normal(size=X.shape)
    return _split(X, y, 450)


def long_pattern():
    """600 sequences of 150 steps: a rising or falling ramp in the first 20 steps
    decides the class (2 classes), then 130 steps of noise."""
    rng = np.random.default_rng(4)
    n = 600
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 150))
    ramp = 1.5 * np.linspace(-1, 1, 20)
    X[:, :20] += np.where(y[:, None] == 1, ramp, -ramp)
    return _split(X, y, 450)


def motions(n_train=40):
    """6 channels x 100 steps, 4 classes by frequency and amplitude of the movement
    (BasicMotions-like); 40 training sequences, 200 test sequences."""
    rng = np.random.default_rng(5)
    n, T, C = n_train + 200, 100, 6
    y = np.tile(np.arange(4), n // 4 + 1)[:n]
    rng.shuffle(y)
    freq = np.array([0.02, 0.05, 0.1, 0.2])[y][:, None]
    amp = np.array([0.2, 1.0, 2.0, 4.0])[y][:, None]
    X = np.empty((n, T, C))
    for c in range(C):
        phase = rng.uniform(0, 2 * np.pi, (n, 1))
        wave = np.sin(2 * np.pi * freq * (1 + 0.1 * c) * np.arange(T) + phase)
        X[:, :, c] = amp * (0.5 + c / C) * wave
    X += rng.normal(size=X.shape) * (0.5 + 0.5 * rng.uniform(size=(n, 1, C)))
    return _split(X, y, n_train)


def sklearn_regression():
    """scikit-learn's check_regressors_train data (200 x 10, X and y standardised),
    read as 200 univariate sequences of 10 steps."""
    X, y = _regression_dataset()
    X = StandardScaler().fit_transform(X)
    y = StandardScaler().fit_transform(y[:, None]).ravel()
    return X, y, X, y


def sklearn_blobs():
    """scikit-learn's check_classifiers_train data (make_blobs(300), standardised,
    3 classes), read as 300 univariate sequences of 2 steps."""
    X, y = make_blobs(n_samples=300, random_state=0)
    X = StandardScaler().fit_transform(X)
    return X, y, X, y


def make_tasks(quick=False):
    specs = [
        ("seasonal", "reg", seasonal, {"reference": _seasonal_naive()}),
        ("long_memory", "reg", long_memory, {}),
        ("multivariate", "reg", multivariate, {}),
        ("multi_output", "reg", multi_output, {}),
        ("shapes", "clf", shapes, {}),
        ("long_pattern", "clf", long_pattern, {}),
        ("motions", "clf", motions, {}),
        ("sk_regression", "reg", sklearn_regression, {"threshold": 0.5}),
        ("sk_blobs", "clf", sklearn_blobs, {"threshold": 0.83}),
    ]
    tasks = []
    for name, kind, make, extra in specs:
        X_train, y_train, X_test, y_test = make()
        if quick:  # a smoke test: small slices, shorter sequences
            X_train, y_train = X_train[:64, :40], y_train[:64]
            X_test, y_test = X_test[:64, :40], y_test[:64]
        tasks.append(
            Task(
                name,
                " ".join(make.__doc__.split()),
                kind,
                X_train,
                y_train,
                X_test,
                y_test,
                on_train="threshold" in extra,
                **extra,
            )
        )
    return tasks


# ----------------------------------------------------------------------------------
# Training with checkpoints
# ----------------------------------------------------------------------------------


def key(config):
    return tuple(sorted(config.items()))


def label(config):
    clip = config["clip_grad_norm"]
    return (
        f"lr={config['lr']:g} h={config['hidden_size']} bs={config['batch_size']} "
        f"clip={'None' if clip is None else f'{clip:g}'}"
    )


class Study:
    """Trains configurations in chunks and keeps every (config, epochs) result.

    ``results[(key(config), epochs)][task][seed] = (score, cumulative fit seconds)``.
    Fitted estimators are kept so that a later stage can train them further.
    """

    def __init__(self, tasks, seeds, chunk):
        self.tasks = tasks
        self.seeds = seeds
        self.chunk = chunk
        self.results = {}
        self.configs = {}
        self._models = {}

    def train_per_task(self, config, name, epochs_for, log):
        """Fresh fits of ``config`` for ``epochs_for(task)`` epochs, as row ``name``.

        A task's result for the ``chunk`` epochs is reused where they are the same.
        """
        self.configs[key(config)] = config
        for task in self.tasks:
            epochs = epochs_for(task)
            done = self.results.get((key(config), epochs), {}).get(task.name)
            if done is None:
                done = {}
                for seed in self.seeds:
                    est = task.estimator(max_epochs=epochs, random_state=seed, **config)
                    start = time.perf_counter()
                    est.fit(task.X_train, task.y_train)
                    done[seed] = (task.score(est), time.perf_counter() - start)
            self.results.setdefault((key(config), name), {})[task.name] = done
            log(f"  {label(config)} {name} {task.name} ({epochs} epochs) done")

    def train(self, config, epochs, log):
        """Train ``config`` up to each of ``epochs`` (multiples of the chunk)."""
        self.configs[key(config)] = config
        for task in self.tasks:
            for seed in self.seeds:
                model_key = (key(config), task.name, seed)
                if model_key not in self._models:
                    est = task.estimator(
                        max_epochs=self.chunk,
                        warm_start=True,
                        random_state=seed,
                        **config,
                    )
                    self._models[model_key] = [est, 0.0]
                est, seconds = self._models[model_key]
                for target in epochs:
                    while getattr(est, "n_epochs_", 0) < target:
                        start = time.perf_counter()
                        est.fit(task.X_train, task.y_train)
                        seconds += time.perf_counter() - start
                    score = task.score(est)
                    cell = self.results.setdefault((key(config), target), {})
                    cell.setdefault(task.name, {})[seed] = (score, seconds)
                self._models[model_key][1] = seconds
            log(f"  {label(config)} epochs<={max(epochs)} {task.name} done")

    # -- summaries -------------------------------------------------------------

    def rows(self):
        return list(self.results)

    def scores(self, row, task):
        return np.array([s for s, _ in self.results[row][task.name].values()])

    def seconds(self, row, task):
        return np.array([t for _, t in self.results[row][task.name].values()])

    def solved_tasks(self):
        """Tasks that some configuration learns with every seed."""
        return {
            task.name
            for task in self.tasks
            if any(
                not any(task.failed(s) for s in self.scores(row, task))
                for row in self.rows()
            )
        }

    def failures(self, row):
        out = []
        for task in self.tasks:
            for seed, (score, _) in sorted(self.results[row][task.name].items()):
                if task.failed(score):
                    out.append((task, seed, score))
        return out

    def disqualified(self, row):
        solved = self.solved_tasks()
        return any(task.name in solved for task, _, _ in self.failures(row))

    def quality(self, row):
        """Mean normalised score over the learnable tasks and the seeds.

        1 is perfect, 0 the baseline. Tasks that no configuration learns with every
        seed are left out: their scores are noise (or the degree of overfitting)
        and would otherwise decide between configurations.
        """
        solved = self.solved_tasks() or {task.name for task in self.tasks}
        return float(
            np.mean(
                [
                    task.normalised(self.scores(row, task)).mean()
                    for task in self.tasks
                    if task.name in solved
                ]
            )
        )

    def fit_seconds(self, row):
        """Fit seconds for all tasks together, mean over seeds."""
        return float(sum(self.seconds(row, task).mean() for task in self.tasks))

    def best(self, rows, tolerance=0.01):
        """The fastest qualified row within ``tolerance`` of the best quality."""
        ok = [row for row in rows if not self.disqualified(row)] or list(rows)
        top = max(self.quality(row) for row in ok)
        near = [row for row in ok if self.quality(row) >= top - tolerance]
        return min(near, key=self.fit_seconds)


# ----------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------


def row_label(study, row):
    config_key, epochs = row
    return f"{label(study.configs[config_key])} ep={epochs}"


def results_table(study, rows, title):
    solved = study.solved_tasks()
    head = [f"| {title} |"]
    head += [f" {t.name}{'' if t.name in solved else ' †'} |" for t in study.tasks]
    head += [" mean norm. |", " fit s (all tasks) |", " baseline runs |"]
    lines = ["".join(head), "|" + "---|" * (len(study.tasks) + 4)]
    for row in rows:
        cells = [f"| {row_label(study, row)} |"]
        for task in study.tasks:
            s = study.scores(row, task)
            cells.append(f" {s.mean():.3f} ± {s.std():.3f} |")
        n_fail = len(study.failures(row))
        flag = " (disqualified)" if study.disqualified(row) else ""
        cells.append(f" {study.quality(row):.3f} |")
        cells.append(f" {study.fit_seconds(row):.0f} |")
        cells.append(f" {n_fail}{flag} |")
        lines.append("".join(cells))
    return lines


def seconds_table(study, rows):
    head = ["| configuration |"] + [f" {t.name} |" for t in study.tasks]
    lines = ["".join(head), "|" + "---|" * (len(study.tasks) + 1)]
    for row in rows:
        cells = [f"| {row_label(study, row)} |"]
        cells += [f" {study.seconds(row, t).mean():.1f} |" for t in study.tasks]
        lines.append("".join(cells))
    return lines


def task_table(tasks):
    lines = [
        "| task | what | train / test | X shape (train) | metric | baseline | "
        "for context |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in tasks:
        metric = "R^2" if t.kind == "reg" else "accuracy"
        if t.on_train:
            metric = f"training {metric} (check: > {t.threshold})"
        n_test = "same" if t.on_train else len(t.X_test)
        lines.append(
            f"| {t.name} | {t.description} | {len(t.X_train)} / {n_test} | "
            f"{t.X_train.shape} | {metric} | {t.baseline:.3f} | {t.reference} |"
        )
    return lines


def write_report(study, stages, recommended, previous, elapsed, args, path):
    solved = study.solved_tasks()
    unsolved = [t.name for t in study.tasks if t.name not in solved]
    small = min(study.tasks, key=lambda t: len(t.X_train) if not t.on_train else 1e9)
    flag = " --quick" if args.quick else ""
    lines = [
        "# Default hyperparameters: measurements",
        "",
        f"Generated by `python benchmarks/defaults.py{flag}` in "
        f"{elapsed / 60:.1f} minutes (wall time, whole script).",
        "",
        f"- skrnn {skrnn.__version__}, torch {torch.__version__} "
        f"({torch.get_num_threads()} thread), skorch {skorch.__version__}, "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}",
        f"- seeds (random_state): {list(study.seeds)}; fixed parameters: {FIXED}, "
        "the others at their defaults",
        "- cells: mean ± sd over seeds of the test metric (the training metric for "
        "the two scikit-learn check datasets). `mean norm.` averages "
        "`(score - baseline) / (1 - baseline)` (1 = perfect, 0 = baseline) over the "
        "seeds and the tasks that some configuration learns with every seed; tasks "
        "marked † are left out of it. `fit s` is the fit wall time summed over the "
        "tasks, mean over seeds, for training up to that many epochs. Another "
        "process shared the 2-core machine, so timings are only comparable within "
        "one run.",
        f"- a run stays at baseline when it closes less than {FAIL_FRACTION:.0%} of "
        "the gap from the baseline to a perfect score, or misses the scikit-learn "
        "check's threshold. A configuration is disqualified by such a run on a task "
        "that some configuration learns with every seed.",
        f"- small data: `{small.name}` has {len(small.X_train)} training sequences, "
        f"i.e. {-(-len(small.X_train) // 32)} gradient steps per epoch at "
        f"batch_size=32 and {-(-len(small.X_train) // 64)} at 64; 50 epochs are "
        f"{50 * -(-len(small.X_train) // 32)} resp. {50 * -(-len(small.X_train) // 64)}"
        " Adam steps.",
        "",
        "## Tasks",
        "",
        *task_table(study.tasks),
        "",
    ]
    for title, rows in stages:
        lines += [f"## {title}", "", *results_table(study, rows, "configuration"), ""]
    all_rows = list(dict.fromkeys(row for _, rows in stages for row in rows))
    lines += [
        "## Fit seconds per task (mean over seeds, cumulative up to the epochs)",
        "",
        *seconds_table(study, all_rows),
        "",
        "## Runs that stayed at baseline",
        "",
    ]
    if unsolved:
        lines += [
            f"No configuration learned these tasks with every seed: {unsolved} (†). "
            "They disqualify no one and are left out of `mean norm.`.",
            "",
        ]
    any_failure = False
    for row in all_rows:
        fails = study.failures(row)
        if fails:
            any_failure = True
            text = ", ".join(
                f"{task.name} seed {seed}: {score:.3f} (baseline {task.baseline:.3f})"
                for task, seed, score in fails
            )
            flag = " **(disqualified)**" if study.disqualified(row) else ""
            lines.append(f"- {row_label(study, row)}{flag}: {text}")
    if not any_failure:
        lines.append("None.")
    compare = [recommended] + ([previous] if previous in study.results else [])
    lines += [
        "",
        "## Recommendation (by the rule in the script's docstring)",
        "",
        f"`{row_label(study, recommended)}`: mean normalised score "
        f"{study.quality(recommended):.3f}, {study.fit_seconds(recommended):.0f} s "
        "to fit all tasks (mean over seeds).",
        "",
        "| task | baseline | "
        + " | ".join(
            ("recommended" if row == recommended else "defaults before this study")
            + f" ({row_label(study, row)})"
            for row in compare
        )
        + " | recommended beats baseline in every seed |",
        "|---|---|" + "---|" * len(compare) + "---|",
    ]
    for task in study.tasks:
        cells = [f"{task.name}{'' if task.name in solved else ' †'}"]
        cells.append(f"{task.baseline:.3f}")
        for row in compare:
            s = study.scores(row, task)
            cells.append(f"{s.mean():.3f} ± {s.std():.3f}")
        failed = any(task.failed(v) for v in study.scores(recommended, task))
        cells.append("**no**" if failed else "yes")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(
        "| fit seconds, all tasks | | "
        + " | ".join(f"{study.fit_seconds(row):.0f}" for row in compare)
        + " | |"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------------
# The staged search
# ----------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke-test run")
    parser.add_argument("--out", type=Path, default=None, help="results file")
    args = parser.parse_args()
    out = args.out or (None if args.quick else RESULTS)

    start = time.perf_counter()

    def log(message):
        print(f"[{time.perf_counter() - start:6.0f}s] {message}", flush=True)

    tasks = make_tasks(quick=args.quick)
    if args.quick:
        seeds, chunk = (0,), 2
        lrs, hidden_sizes = (3e-3,), (32,)
        auto_steps = (4, 8, 16)
    else:
        seeds, chunk = (0, 1, 2), 50
        lrs, hidden_sizes = (1e-3, 3e-3, 1e-2), (32, 64)
        auto_steps = AUTO_STEPS
    study = Study(tasks, seeds, chunk)
    # Warm up torch (first-call overheads) so the first timed fit is not penalised.
    RNNRegressor(max_epochs=2, random_state=0).fit(tasks[0].X_train, tasks[0].y_train)
    ep1, ep2, ep4 = chunk, 2 * chunk, 4 * chunk

    # Stage 1: learning rate x hidden size at batch_size=32.
    log("stage 1: lr x hidden_size")
    stage1 = []
    for lr in lrs:
        for hidden_size in hidden_sizes:
            config = {**PREVIOUS, "lr": lr, "hidden_size": hidden_size}
            study.train(config, [ep1, ep2], log)
            stage1 += [(key(config), ep1), (key(config), ep2)]
    best1 = study.configs[study.best(stage1)[0]]
    log(f"best of stage 1: {label(best1)}")

    # Stage 2: epochs (continue to 200) and batch size around the best.
    log("stage 2: epochs and batch_size")
    study.train(best1, [ep4], log)
    bs64 = {**best1, "batch_size": 64}
    study.train(bs64, [ep1, ep2, ep4], log)
    stage2 = [(key(c), e) for c in (best1, bs64) for e in (ep1, ep2, ep4)]
    best2 = study.best(stage2)
    log(f"best of stage 2: {row_label(study, best2)}")

    # Stage 3: gradient clipping on/off for the best configuration.
    log("stage 3: clip_grad_norm")
    config2, epochs2 = study.configs[best2[0]], best2[1]
    no_clip = {**config2, "clip_grad_norm": None}
    study.train(no_clip, [e for e in (ep1, ep2, ep4) if e <= epochs2], log)
    stage3 = [best2, (key(no_clip), epochs2)]
    best3 = study.best(stage3)
    log(f"best of stage 3: {row_label(study, best3)}")

    # Stage 4: a minimum of gradient steps for small training sets.
    log("stage 4: max_epochs='auto'")
    config3, epochs3 = study.configs[best3[0]], best3[1]
    stage4 = [best3]
    for steps in auto_steps:
        name = f"auto(>={steps} steps)"

        def epochs_for(task, steps=steps):
            per_epoch = -(-len(task.X_train) // config3["batch_size"])
            return max(epochs3, -(-steps // per_epoch))

        study.train_per_task(config3, name, epochs_for, log)
        stage4.append((key(config3), name))
    auto = (key(config3), f"auto(>={auto_steps[1]} steps)")
    keep_auto = not study.disqualified(auto) and (
        study.quality(auto) >= study.quality(best3) - 0.01
    )
    recommended = auto if keep_auto else best3
    elapsed = time.perf_counter() - start
    log(f"recommended: {row_label(study, recommended)}; total {elapsed:.0f}s")

    previous = (key(PREVIOUS), 2 * chunk)
    stages = [
        ("Stage 1: lr x hidden_size (batch_size=32, clip_grad_norm=1.0)", stage1),
        ("Stage 2: max_epochs and batch_size around the best of stage 1", stage2),
        ("Stage 3: gradient clipping for the best of stage 2", stage3),
        ("Stage 4: a minimum of gradient steps (max_epochs='auto')", stage4),
    ]
    if previous in study.results:
        stages.append(("Defaults before this study", [previous]))
    if out is not None:
        write_report(study, stages, recommended, previous, elapsed, args, out)
        log(f"wrote {out}")
    for title, rows in stages:
        print("\n" + title)
        print("\n".join(results_table(study, rows, "configuration")))


if __name__ == "__main__":
    main()
