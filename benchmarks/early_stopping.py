"""Decide the early-stopping, validation-split and schedule defaults by measurement.

What it measures
----------------
Three questions about ``RNNRegressor`` and ``RNNClassifier``:

1. Should ``early_stopping=True`` be the default, and with which
   ``n_iter_no_change`` and ``max_epochs``? On the nine tasks of
   ``benchmarks/defaults.py`` (imported, not copied) and seeds 0, 1, 2, the
   script fits the baseline (``early_stopping=False``, ``max_epochs=50``), early
   stopping with ``n_iter_no_change`` in {10, 20} x ``max_epochs`` in {50, 200},
   and ``lr_schedule="cosine"`` without early stopping at 50 epochs. These are
   interleaved (task, then seed, then configuration), so that a slow spell of
   the shared machine hits them alike. The best early-stopping configuration
   (rule below) is then also fitted with ``lr_schedule="plateau"`` and
   ``"cosine"``. For each configuration it reports the mean normalised score,
   the runs that stay at baseline, the epochs run and the total fit time
   relative to the baseline (process CPU time, which leaves out time spent
   waiting for a core while other jobs run, and wall time).
2. Which ``validation_split`` suits windows of one time series? A drifting
   seasonal series cut by ``skrnn.make_windows`` into windows of 48 steps with
   the next value, or the next 24 values, as target (first 80% of windows to
   train, the rest to test), and the ``seasonal`` task of ``defaults.py`` (also
   windows of one series, split chronologically), fitted with early stopping and
   ``validation_split`` "last" or "random". Reported: test R^2, and the best
   validation loss beside the test MSE of the standardised target
   (``mean((pred - y)^2) / var(y_train)``, the same scale as the validation
   loss). "random" holds out windows that overlap in time with training
   windows, so its validation loss is expected to be optimistic.
3. Which ``validation_split`` suits independent sequences stored sorted by
   class? The ``shapes`` and ``motions`` classification tasks with their
   training sets sorted by label, fitted by ``RNNClassifier`` with "stratified",
   "random" and "last": test accuracy and the number of classes in the
   validation set. The regression counterpart (``multivariate`` sorted by its
   target, "last" vs "random") is measured too, since "last" is the regressor's
   default.

Parts 2 and 3 use the ``n_iter_no_change`` and ``max_epochs`` chosen in part 1.

Every fit pins ``cell="lstm"``, ``hidden_size=64``, ``lr=1e-2``,
``batch_size=32``, ``clip_grad_norm=1.0``, ``num_layers=1``, ``dropout=0.0``,
``optimizer="adam"``, ``validation_fraction=0.1``, ``tol=1e-4`` and, in part 1,
each estimator's current ``validation_split`` default ("last" for the regressor,
"stratified" for the classifier), so that later changes of the package defaults
do not change these measurements. torch runs on one thread.

Scores and the choice
---------------------
Scores, "stays at baseline" and the normalised score ``(score - baseline) / (1 -
baseline)`` are those of ``defaults.py`` (test R^2 or accuracy; training metric
and the scikit-learn check's threshold for the two check datasets). The mean
normalised score averages over the seeds and the "learnable" tasks: those that
some configuration of the first round learns with every seed (the others only
measure the degree of overfitting); the mean over all nine tasks is shown too.
An early-stopping configuration with a run that stays at baseline on a learnable
task is disqualified; among the others, the cheapest (CPU time) within 0.01 of
the best mean normalised score is chosen. It is recommended as the default if it
is qualified and within 0.01 of the baseline's score or better; a schedule is
said to help if it beats the configuration it modifies by more than 0.01.

How to run
----------
From the repository root::

    python benchmarks/early_stopping.py          # full study (~9 min), writes
                                                 # benchmarks/results/early_stopping.md
    python benchmarks/early_stopping.py --quick  # smoke test, < 1 minute

``--quick`` uses one seed, small slices of the tasks and epochs and patiences
divided by 10, and writes nothing unless ``--out`` is given.
"""

import argparse
import platform
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import sklearn
import skorch
import torch

sys.path.insert(0, str(Path(__file__).parent))

from defaults import Task, make_tasks, task_table

import skrnn
from skrnn import RNNClassifier, RNNRegressor, make_windows

torch.set_num_threads(1)

RESULTS = Path(__file__).parent / "results" / "early_stopping.md"
PINNED = {
    "cell": "lstm",
    "hidden_size": 64,
    "lr": 1e-2,
    "batch_size": 32,
    "clip_grad_norm": 1.0,
    "num_layers": 1,
    "dropout": 0.0,
    "optimizer": "adam",
    "validation_fraction": 0.1,
    "tol": 1e-4,
}
DEFAULT_SPLIT = {"reg": "last", "clf": "stratified"}  # the defaults as measured
TOLERANCE = 0.01  # score differences below this are treated as ties


# ----------------------------------------------------------------------------------
# Configurations and fitting
# ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    early_stopping: bool
    max_epochs: int
    n_iter_no_change: int = 10
    lr_schedule: str = "constant"

    @property
    def name(self):
        if not self.early_stopping:
            text = f"no early stopping, max_epochs={self.max_epochs}"
        else:
            text = (
                f"early stopping, n_iter_no_change={self.n_iter_no_change}, "
                f"max_epochs={self.max_epochs}"
            )
        if self.lr_schedule != "constant":
            text += f", {self.lr_schedule}"
        return text

    @property
    def short(self):
        text = (
            f"ES n={self.n_iter_no_change} ep={self.max_epochs}"
            if self.early_stopping
            else f"no ES ep={self.max_epochs}"
        )
        if self.lr_schedule != "constant":
            text += f" {self.lr_schedule}"
        return f"`{text}`"

    def params(self):
        return {
            "early_stopping": self.early_stopping,
            "max_epochs": self.max_epochs,
            "n_iter_no_change": self.n_iter_no_change,
            "lr_schedule": self.lr_schedule,
        }


@dataclass
class Run:
    score: float
    n_epochs: int
    best_epoch: int
    cpu: float
    wall: float
    best_valid_loss: float  # NaN without early stopping
    estimator: object


def fit(kind, config, seed, X, y, split=None):
    """Fit one estimator; return it with its CPU and wall fit seconds."""
    est_class = RNNRegressor if kind == "reg" else RNNClassifier
    est = est_class(
        **PINNED,
        **config.params(),
        validation_split=split or DEFAULT_SPLIT[kind],
        random_state=seed,
    )
    cpu, wall = time.process_time(), time.perf_counter()
    est.fit(X, y)
    return est, time.process_time() - cpu, time.perf_counter() - wall


def run_task(task, config, seed, split=None):
    est, cpu, wall = fit(task.kind, config, seed, task.X_train, task.y_train, split)
    curve = est.validation_loss_curve_
    best = curve[est.best_epoch_ - 1] if curve is not None else np.nan
    return Run(task.score(est), est.n_epochs_, est.best_epoch_, cpu, wall, best, est)


class Study:
    """``runs[config][task name][seed] = Run`` for part 1."""

    def __init__(self, tasks, seeds):
        self.tasks = tasks
        self.seeds = seeds
        self.runs = {}
        self.learnable = {task.name for task in tasks}

    def add(self, configs, log):
        for task in self.tasks:
            for seed in self.seeds:
                for config in configs:
                    run = run_task(task, config, seed)
                    run.estimator = None  # free the memory
                    by_seed = self.runs.setdefault(config, {}).setdefault(task.name, {})
                    by_seed[seed] = run
            log(f"  {task.name} done ({len(configs)} configurations)")

    def fix_learnable(self):
        """Tasks that some configuration so far learns with every seed."""
        self.learnable = {
            task.name
            for task in self.tasks
            if any(
                not any(task.failed(r.score) for r in self.runs[c][task.name].values())
                for c in self.runs
            )
        } or {task.name for task in self.tasks}

    def all_runs(self, config):
        return [r for task in self.tasks for r in self.runs[config][task.name].values()]

    def scores(self, config, task):
        return np.array([r.score for r in self.runs[config][task.name].values()])

    def quality(self, config, tasks=None):
        names = self.learnable if tasks is None else tasks
        return float(
            np.mean(
                [
                    task.normalised(self.scores(config, task)).mean()
                    for task in self.tasks
                    if task.name in names
                ]
            )
        )

    def failures(self, config):
        return [
            (task, seed, run.score)
            for task in self.tasks
            for seed, run in sorted(self.runs[config][task.name].items())
            if task.failed(run.score)
        ]

    def disqualified(self, config):
        return any(task.name in self.learnable for task, _, _ in self.failures(config))

    def seconds(self, config, clock="cpu"):
        return sum(getattr(r, clock) for r in self.all_runs(config))

    def ratio(self, config, baseline, clock="cpu"):
        return self.seconds(config, clock) / self.seconds(baseline, clock)

    def mean_epochs(self, config, attr="n_epochs", task=None):
        runs = (
            self.all_runs(config)
            if task is None
            else self.runs[config][task.name].values()
        )
        return float(np.mean([getattr(r, attr) for r in runs]))

    def best(self, configs):
        """The cheapest qualified configuration within TOLERANCE of the best."""
        ok = [c for c in configs if not self.disqualified(c)]
        if not ok:  # all disqualified: fewest failures, then best score
            return min(configs, key=lambda c: (len(self.failures(c)), -self.quality(c)))
        top = max(self.quality(c) for c in ok)
        near = [c for c in ok if self.quality(c) >= top - TOLERANCE]
        return min(near, key=self.seconds)


# ----------------------------------------------------------------------------------
# Parts 2 and 3: validation splits
# ----------------------------------------------------------------------------------


def drifting_series(n_rows, window, horizon, seed=10):
    """Windows of one hourly series: a daily cycle, a weekly cycle whose amplitude
    grows over time, and AR(1) noise; target: the next ``horizon`` values."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_rows)
    noise = np.zeros(n_rows)
    shocks = rng.normal(0, 0.3, n_rows)
    for i in range(1, n_rows):
        noise[i] = 0.7 * noise[i - 1] + shocks[i]
    weekly = 0.5 * (1 + 1.5 * t / n_rows) * np.sin(2 * np.pi * t / 168)
    series = np.sin(2 * np.pi * t / 24) + weekly + noise
    X, y = make_windows(series, window, horizon=horizon)
    n_train = int(0.8 * len(X))
    # Leave out the test windows whose targets overlap training targets.
    n_gap = horizon - 1
    target = "the next value" if horizon == 1 else f"the next {horizon} values"
    return Task(
        "drifting_seasonal" + ("" if horizon == 1 else f"_h{horizon}"),
        f"{len(X)} windows of {window} steps of one hourly series of {n_rows} "
        "steps: sin(2 pi t/24) + 0.5 (1 + 1.5 t/n) sin(2 pi t/168) + AR(1) noise "
        f"(phi 0.7, sd 0.3); target: {target}; the first 80% of the windows "
        "train"
        + (
            ", the last 20% test"
            if n_gap == 0
            else f", the rest test, less the first {n_gap} (their targets overlap "
            "training targets)"
        )
        + ".",
        "reg",
        X[:n_train],
        y[:n_train],
        X[n_train + n_gap :],
        y[n_train + n_gap :],
    )


def sorted_task(task, suffix="sorted by label"):
    order = np.argsort(task.y_train, kind="stable")
    return Task(
        f"{task.name} ({suffix})",
        task.description,
        task.kind,
        task.X_train[order],
        task.y_train[order],
        task.X_test,
        task.y_test,
    )


def split_study(tasks, splits, config, seeds, log):
    """``rows[(task name, split)] = dict of lists over seeds``."""
    rows = {}
    for task in tasks:
        for split in splits:
            row = rows.setdefault((task.name, split), {})
            for seed in seeds:
                run = run_task(task, config, seed, split)
                est = run.estimator
                valid = est.validation_indices_
                row.setdefault("score", []).append(run.score)
                row.setdefault("epochs", []).append(run.n_epochs)
                row.setdefault("best_epoch", []).append(run.best_epoch)
                row.setdefault("valid_loss", []).append(run.best_valid_loss)
                row.setdefault("n_valid", []).append(len(valid))
                if task.kind == "reg":
                    pred = est.predict(task.X_test)
                    # The validation loss's scale: MSE of each standardised
                    # output, averaged over the outputs.
                    mse = np.mean((pred - task.y_test) ** 2, axis=0)
                    test = np.mean(mse / np.var(task.y_train, axis=0))
                    row.setdefault("test_loss", []).append(test)
                else:
                    classes = len(np.unique(task.y_train[valid]))
                    row.setdefault("valid_classes", []).append(classes)
            log(f"  {task.name} validation_split={split!r} done")
    return rows


# ----------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------


def mean_sd(values, digits=3):
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def summary_table(study, configs, baseline, chosen):
    lines = [
        "| configuration | mean norm. (learnable) | mean norm. (all 9) | "
        "runs at baseline (learnable) | mean epochs run | mean best epoch | "
        "CPU time vs baseline | wall time vs baseline |",
        "|---|---|---|---|---|---|---|---|",
    ]
    every = {task.name for task in study.tasks}
    for config in configs:
        fails = study.failures(config)
        on_learnable = [f for f in fails if f[0].name in study.learnable]
        name = config.name + (" **(chosen)**" if config == chosen else "")
        flag = " (disqualified)" if study.disqualified(config) else ""
        lines.append(
            f"| {name} | {study.quality(config):.3f} | "
            f"{study.quality(config, every):.3f} | "
            f"{len(fails)} ({len(on_learnable)}){flag} | "
            f"{study.mean_epochs(config):.1f} | "
            f"{study.mean_epochs(config, 'best_epoch'):.1f} | "
            f"{study.ratio(config, baseline):.2f} | "
            f"{study.ratio(config, baseline, 'wall'):.2f} |"
        )
    return lines


def per_task_table(study, configs, values):
    head = "| configuration | " + " | ".join(
        t.name + ("" if t.name in study.learnable else " †") for t in study.tasks
    )
    lines = [head + " |", "|---|" + "---|" * len(study.tasks)]
    for config in configs:
        cells = [values(config, task) for task in study.tasks]
        lines.append(f"| {config.name} | " + " | ".join(cells) + " |")
    return lines


def time_split_table(rows, tasks):
    lines = [
        "| task | validation_split | test R^2 | best validation loss | "
        "test loss (MSE / var(y_train)) | test / validation loss | epochs run | "
        "best epoch |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in tasks:
        for (name, split), row in rows.items():
            if name != task.name:
                continue
            gap = np.array(row["test_loss"]) / np.array(row["valid_loss"])
            lines.append(
                f"| {name} | {split} | {mean_sd(row['score'])} | "
                f"{mean_sd(row['valid_loss'])} | {mean_sd(row['test_loss'])} | "
                f"{mean_sd(gap, 2)} | {mean_sd(row['epochs'], 1)} | "
                f"{mean_sd(row['best_epoch'], 1)} |"
            )
    return lines


def class_split_table(rows, tasks):
    lines = [
        "| task | validation_split | test accuracy | classes in validation set "
        "(of the training set's) | validation samples | epochs run | best epoch |",
        "|---|---|---|---|---|---|---|",
    ]
    for task in tasks:
        n_classes = len(np.unique(task.y_train))
        for (name, split), row in rows.items():
            if name != task.name:
                continue
            classes = sorted(set(row["valid_classes"]))
            lines.append(
                f"| {name} | {split} | {mean_sd(row['score'])} | "
                f"{'/'.join(map(str, classes))} (of {n_classes}) | "
                f"{row['n_valid'][0]} | {mean_sd(row['epochs'], 1)} | "
                f"{mean_sd(row['best_epoch'], 1)} |"
            )
    return lines


def mean_of(rows, name, split, field):
    return float(np.mean(rows[(name, split)][field]))


def _task_deltas(study, new, old):
    """Tasks where ``new`` scores more than TOLERANCE above / below ``old``."""
    better, worse = [], []
    for task in study.tasks:
        a, b = study.scores(new, task).mean(), study.scores(old, task).mean()
        text = f"{task.name} {a:.3f} vs {b:.3f}"
        if a > b + TOLERANCE:
            better.append(text)
        elif a < b - TOLERANCE:
            worse.append(text)
    return ", ".join(better) or "none", ", ".join(worse) or "none"


def _split_means(rows, names, split, field="score"):
    return float(np.mean([mean_of(rows, name, split, field) for name in names]))


def _optimism(rows, name, split):
    """Mean over seeds of test loss / best validation loss."""
    row = rows[(name, split)]
    return float(np.mean(np.array(row["test_loss"]) / np.array(row["valid_loss"])))


def conclusion(study, ctx):
    """The decisions, in a table and in words, from the measured numbers."""
    base, chosen, es_configs = ctx["baseline"], ctx["chosen"], ctx["es_configs"]
    time_tasks, class_tasks, reg_task = ctx["split_tasks"]
    time_rows, class_rows = ctx["time_rows"], ctx["class_rows"]
    reg_rows = ctx["reg_rows"]
    q = study.quality
    every = {task.name for task in study.tasks}

    def cost(c):
        return f"{study.ratio(c, base):.2f} x CPU time"

    def brief(c):
        learnable = [f for f in study.failures(c) if f[0].name in study.learnable]
        return (
            f"{c.short}: {q(c):.3f}, {len(learnable)} runs at baseline on learnable "
            f"tasks, {study.mean_epochs(c):.0f} epochs, {cost(c)}"
        )

    # 1. Early stopping, patience and epochs.
    use_es = not study.disqualified(chosen) and q(chosen) >= q(base) - TOLERANCE
    better, worse = _task_deltas(study, chosen, base)
    same_epochs = [c for c in es_configs if c.max_epochs == chosen.max_epochs]
    same_patience = [
        c for c in es_configs if c.n_iter_no_change == chosen.n_iter_no_change
    ]
    patience_text = "; ".join(brief(c) for c in same_epochs)
    epochs_text = "; ".join(brief(c) for c in same_patience)
    sk = next(t for t in study.tasks if t.name == "sk_regression")
    sk_text = ", ".join(
        f"{c.short} {mean_sd(study.scores(c, sk))}" for c in [base, *same_epochs]
    )
    max_epochs = chosen.max_epochs if use_es else base.max_epochs
    longest = max(same_patience, key=lambda c: c.max_epochs)
    shortest = min(c.max_epochs for c in same_patience)
    stopped = [r.n_epochs < shortest for r in study.all_runs(longest)]
    better_learnable = [
        t.name
        for t in study.tasks
        if t.name in study.learnable
        and study.scores(chosen, t).mean() > study.scores(base, t).mean() + TOLERANCE
    ]

    # 2. and 3. Validation splits.
    ts_names = [t.name for t in time_tasks]
    ts = {s: _split_means(time_rows, ts_names, s) for s in ("last", "random")}
    reg_split = "last" if ts["last"] >= ts["random"] - TOLERANCE else "random"
    optimistic = [
        n
        for n in ts_names
        if _optimism(time_rows, n, "random") > 1.5 * _optimism(time_rows, n, "last")
    ]
    opt_text = "; ".join(
        f"`{n}`: test R^2 {mean_of(time_rows, n, 'last', 'score'):.3f} vs "
        f"{mean_of(time_rows, n, 'random', 'score'):.3f}, test / validation loss "
        f"{_optimism(time_rows, n, 'last'):.2f} vs "
        f"{_optimism(time_rows, n, 'random'):.2f}, best epoch "
        f"{mean_of(time_rows, n, 'last', 'best_epoch'):.0f} vs "
        f"{mean_of(time_rows, n, 'random', 'best_epoch'):.0f}"
        for n in ts_names
    )
    sorted_reg = {s: mean_of(reg_rows, reg_task.name, s, "score") for s in ts}
    clf_names = [t.name for t in class_tasks]
    clf_splits = ("stratified", "random", "last")
    clf = {s: _split_means(class_rows, clf_names, s) for s in clf_splits}
    full = {
        s: all(
            c == len(np.unique(t.y_train))
            for t in class_tasks
            for c in class_rows[(t.name, s)]["valid_classes"]
        )
        for s in clf_splits
    }
    near = [s for s in clf_splits if clf[s] >= max(clf.values()) - TOLERANCE]
    clf_split = DEFAULT_SPLIT["clf"] if DEFAULT_SPLIT["clf"] in near else near[0]
    clf_text = ", ".join(
        f"{s} {clf[s]:.3f}" + ("" if full[s] else " (a class missing)")
        for s in clf_splits
    )
    per_task = "; ".join(
        f"`{n}`: "
        + ", ".join(f"{s} {mean_of(class_rows, n, s, 'score'):.3f}" for s in clf_splits)
        for n in clf_names
    )

    # 4. Schedules.
    def verdict(config):
        ref = chosen if config.early_stopping else base
        diff = q(config) - q(ref)
        helps = diff > TOLERANCE and len(study.failures(config)) <= len(
            study.failures(ref)
        )
        word = "helps" if helps else ("hurts" if diff < -TOLERANCE else "no effect")
        return (
            helps,
            f"{config.short} {q(config):.3f} vs {ref.short} {q(ref):.3f} ({word})",
        )

    verdicts = [verdict(c) for c in ctx["schedules"]]
    helpful = [c for c, (h, _) in zip(ctx["schedules"], verdicts, strict=True) if h]
    schedule = max(helpful, key=q).lr_schedule if helpful else "constant"
    plateau = next((c for c in ctx["schedules"] if c.lr_schedule == "plateau"), None)
    shorter = [c for c in same_epochs if c.n_iter_no_change < chosen.n_iter_no_change]
    plateau_note = ""
    if plateau is not None and shorter:
        equal = [
            a.score == b.score
            for task in study.tasks
            for a, b in zip(
                study.runs[plateau][task.name].values(),
                study.runs[shorter[0]][task.name].values(),
                strict=True,
            )
        ]
        plateau_note = (
            f' "plateau" (which divides the learning rate after '
            f"{max(1, chosen.n_iter_no_change // 2)} epochs without improvement) "
            f"ended {sum(equal)} of {len(equal)} runs with exactly the score of "
            f"{shorter[0].short}: after the division the validation loss did not "
            "improve again before the patience ran out, so the run restored the "
            "same epoch."
        )

    def keep(current, new):
        if current == new:
            return f"`{new!r}` (keep)"
        return f"**`{new!r}`** (was `{current!r}`)"

    lines = [
        "## Conclusion",
        "",
        "Short names: `no ES` = early_stopping=False; `ES n=20 ep=50` = "
        "early_stopping=True, n_iter_no_change=20, max_epochs=50. Scores are mean "
        "normalised scores over the learnable tasks unless stated otherwise.",
        "",
        "| parameter | recommended default | key numbers |",
        "|---|---|---|",
        f"| early_stopping | {keep(False, use_es)} | {base.short} {q(base):.3f} vs "
        f"{chosen.short} {q(chosen):.3f} at {cost(chosen)}; all nine tasks: "
        f"{q(base, every):.3f} vs {q(chosen, every):.3f} |",
        f"| n_iter_no_change | {keep(10, chosen.n_iter_no_change)} | "
        + "; ".join(f"{c.short} {q(c):.3f}" for c in same_epochs)
        + f"; `sk_regression` training R^2: {sk_text} |",
        f"| max_epochs | {keep(50, max_epochs)} | "
        + "; ".join(f"{c.short} {q(c):.3f} at {cost(c)}" for c in same_patience)
        + " |",
        f"| validation_split (RNNRegressor) | {keep(DEFAULT_SPLIT['reg'], reg_split)}"
        f" | series windows, mean test R^2: last {ts['last']:.3f} vs random "
        f"{ts['random']:.3f}; random's validation loss optimistic on "
        f"{len(optimistic)} of {len(ts_names)} series tasks |",
        f"| validation_split (RNNClassifier) | "
        f"{keep(DEFAULT_SPLIT['clf'], clf_split)} | sorted training sets, mean "
        f"test accuracy: {clf_text} |",
        f"| lr_schedule | {keep('constant', schedule)} | "
        + "; ".join(text for _, text in verdicts)
        + " |",
        "",
    ]
    if use_es:
        lines.append(
            f"1. **Early stopping by default.** {chosen.short} scores "
            f"{q(chosen):.3f} vs {q(base):.3f} for {base.short} at {cost(chosen)}. "
            f"Better on {better}; worse on {worse} (mean task scores, early "
            "stopping first)."
        )
    else:
        reason = (
            "a run stays at baseline on a learnable task"
            if study.disqualified(chosen)
            else f"it scores {q(base) - q(chosen):.3f} less on the learnable tasks"
        )
        lines.append(
            "1. **Early stopping stays off by default**: the best early-stopping "
            f"setting, {chosen.short}, is cheaper ({cost(chosen)}, "
            f"{study.mean_epochs(chosen):.0f} instead of {base.max_epochs} epochs "
            f"on average), but {reason} ({q(chosen):.3f} vs {q(base):.3f}). It is "
            f"worse on {worse}, and better on {better} (mean task scores, early "
            "stopping first)."
            + (
                " None of its wins is on a learnable task: where no configuration "
                "learns the task, stopping early only avoids the negative test "
                "R^2 of overfitting, which is why it leads on the mean over all "
                f"nine tasks ({q(chosen, every):.3f} vs {q(base, every):.3f})."
                if not better_learnable
                else ""
            )
        )
    shorter_fails = [
        c
        for c in same_epochs
        if c.n_iter_no_change < chosen.n_iter_no_change and study.disqualified(c)
    ]
    lines += [
        "",
        f"   Patience (max_epochs={chosen.max_epochs}): {patience_text}."
        + (
            f" The shorter patience stops too early on small data: on "
            f"`sk_regression` (training R^2, the check needs > 0.5) {sk_text}."
            if shorter_fails
            else f" On `sk_regression` (training R^2): {sk_text}."
        )
        + (
            f" So n_iter_no_change={chosen.n_iter_no_change} is the better default "
            "for users who turn early stopping on."
            if chosen.n_iter_no_change != 10 and not use_es
            else ""
        ),
        "",
        f"   Epochs (n_iter_no_change={chosen.n_iter_no_change}): {epochs_text}. "
        f"With max_epochs={longest.max_epochs}, {sum(stopped)} of {len(stopped)} "
        f"runs stopped before epoch {shortest}.",
        "",
        '2. **`validation_split` of `RNNRegressor`** ("last" vs "random", early '
        f"stopping {chosen.short}). Windows of one series: {opt_text}. A test / "
        "validation loss ratio above 1 means the validation loss was optimistic; "
        "random's was clearly (> 1.5 x last's ratio) optimistic on "
        f"{', '.join(f'`{n}`' for n in optimistic) or 'none'}. Independent "
        f"sequences stored sorted by their target (`{reg_task.name}`): test R^2 "
        f"last {sorted_reg['last']:.3f} vs random {sorted_reg['random']:.3f}, test "
        f"/ validation loss {_optimism(reg_rows, reg_task.name, 'last'):.2f} vs "
        f'{_optimism(reg_rows, reg_task.name, "random"):.2f}: there "last" '
        "validates on the largest targets only and should be switched to "
        '"random".',
        "",
        "3. **`validation_split` of `RNNClassifier`** (training sets sorted by "
        f"class, test accuracy): {per_task}."
        + (
            " Only the stratified split validated every class in every run."
            if full["stratified"]
            and not all(full[s] for s in clf_splits if s != "stratified")
            else ""
        )
        + "".join(
            f" `{t.name}` validates on only "
            f"{class_rows[(t.name, 'stratified')]['n_valid'][0]} sequences, so its "
            "numbers are noisy."
            for t in class_tasks
            if class_rows[(t.name, "stratified")]["n_valid"][0] < 10
        ),
        "",
        "4. **`lr_schedule`**: "
        + "; ".join(text for _, text in verdicts)
        + "."
        + plateau_note,
    ]
    return lines


def write_report(study, ctx, elapsed, quick, path):
    base, chosen = ctx["baseline"], ctx["chosen"]
    configs = list(study.runs)
    flag = " --quick" if quick else ""
    unlearned = [t.name for t in study.tasks if t.name not in study.learnable]
    lines = [
        "# Early stopping, validation split and learning-rate schedule: measurements",
        "",
        f"Generated by `python benchmarks/early_stopping.py{flag}` in "
        f"{elapsed / 60:.1f} minutes (wall time, whole script).",
        "",
        f"- skrnn {skrnn.__version__}, torch {torch.__version__} "
        f"({torch.get_num_threads()} thread), skorch {skorch.__version__}, "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}, "
        f"{platform.system()}; the machine (2 cores) was shared with another "
        "process, so only time ratios within this run are meaningful.",
        f"- seeds (random_state): {list(study.seeds)}; pinned: {PINNED}; "
        f"validation_split in part 1: {DEFAULT_SPLIT} (the current defaults).",
        "- scores: test R^2 / accuracy (training metric for the two scikit-learn "
        "check datasets), as in `benchmarks/defaults.py`, whose report describes "
        "the tasks. `mean norm.` averages `(score - baseline) / (1 - baseline)` "
        "over seeds and tasks; *learnable* tasks are those some configuration of "
        "the first round learns with every seed"
        + (f" (not learnable, marked †: {', '.join(unlearned)})" if unlearned else "")
        + ". A run *stays at baseline* when it closes less than 10% of the gap "
        "to a perfect score (or misses the check threshold); a configuration with "
        "such a run on a learnable task is disqualified.",
        "- time: fit time summed over all tasks and seeds, divided by the "
        "baseline's (no early stopping, 50 epochs). CPU = process CPU time, which "
        "is robust to the other process; wall = wall-clock time. Validation "
        "epochs cost an extra forward pass over 10% of the data.",
        "",
        "## Tasks (from `benchmarks/defaults.py`)",
        "",
        *task_table(study.tasks),
        "",
        "## 1. Early stopping and schedules on the nine tasks",
        "",
        f"The first round fitted the first {ctx['n_first']} configurations "
        "interleaved; the chosen early-stopping configuration (the cheapest "
        f"qualified one within {TOLERANCE} of the best mean normalised score) was "
        "then fitted with the two schedules.",
        "",
        *summary_table(study, configs, base, chosen),
        "",
        "Mean score per task (± sd over seeds):",
        "",
        *per_task_table(study, configs, lambda c, t: mean_sd(study.scores(c, t))),
        "",
        "Mean epochs run per task (best epoch in parentheses):",
        "",
        *per_task_table(
            study,
            configs,
            lambda c, t: (
                f"{study.mean_epochs(c, 'n_epochs', t):.0f} "
                f"({study.mean_epochs(c, 'best_epoch', t):.0f})"
            ),
        ),
        "",
        "Runs that stayed at baseline:",
        "",
    ]
    any_fail = False
    for config in configs:
        fails = study.failures(config)
        if fails:
            any_fail = True
            text = ", ".join(
                f"{task.name} seed {seed}: {score:.3f}" for task, seed, score in fails
            )
            lines.append(f"- {config.name}: {text}")
    if not any_fail:
        lines.append("None.")
    time_tasks, class_tasks, reg_task = ctx["split_tasks"]
    lines += [
        "",
        "## 2. Validation split for windows of one time series",
        "",
        f"Early stopping with n_iter_no_change={chosen.n_iter_no_change}, "
        f"max_epochs={chosen.max_epochs}. Tasks:",
        "",
        *[f"- `{t.name}`: {t.description}" for t in time_tasks],
        "",
        "The validation loss is the MSE of the standardised target on the held-out "
        "10% (averaged over the outputs for the 24-step target); the test loss is "
        "the same quantity on the test windows, so a ratio test / validation far "
        "above 1 means the validation set was optimistic. R^2 of the 24-step "
        "target is averaged over the 24 outputs.",
        "",
        *time_split_table(ctx["time_rows"], time_tasks),
        "",
        "## 3. Validation split for independent sequences sorted by label",
        "",
        "The training sets are sorted by label (stable sort); the test sets are "
        "unchanged. Same early-stopping settings.",
        "",
        *class_split_table(ctx["class_rows"], class_tasks),
        "",
        f"Regression counterpart, `{reg_task.name}` sorted by its target:",
        "",
        *time_split_table(ctx["reg_rows"], [reg_task]),
        "",
        *conclusion(study, ctx),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------


def measure(quick, log):
    """Run the three parts; return the part-1 Study and the rest in a dict."""
    tasks = make_tasks(quick=quick)
    if quick:
        seeds, short, long, patiences, n_rows, window = (0,), 5, 20, (1, 2), 400, 24
    else:
        seeds, short, long, patiences = (0, 1, 2), 50, 200, (10, 20)
        n_rows, window = 2048, 48
    study = Study(tasks, seeds)
    # Warm up torch (first-call overheads) so that the first timed fit is fair.
    fit("reg", Config(True, 3), 0, tasks[0].X_train, tasks[0].y_train)

    baseline = Config(False, short)
    cosine50 = Config(False, short, patiences[0], "cosine")
    es_configs = [Config(True, m, n) for n in patiences for m in (short, long)]
    first = [baseline, *es_configs, cosine50]
    log(f"part 1, round 1: {len(first)} configurations")
    study.add(first, log)
    study.fix_learnable()
    chosen = study.best(es_configs)
    log(f"chosen early-stopping configuration: {chosen.name}")

    schedules = [
        Config(True, chosen.max_epochs, chosen.n_iter_no_change, s)
        for s in ("plateau", "cosine")
    ]
    log("part 1, round 2: schedules")
    study.add(schedules, log)

    log("part 2: validation split for windows of one series")
    by_name = {t.name: t for t in tasks}
    time_tasks = [
        drifting_series(n_rows, window, 1),
        drifting_series(n_rows, window, 24),
        replace(
            by_name["seasonal"],
            description=by_name["seasonal"].description
            + " The first 800 windows train, the last 200 test.",
        ),
    ]
    time_rows = split_study(time_tasks, ("last", "random"), chosen, seeds, log)

    log("part 3: validation split for sorted sequences")
    class_tasks = [sorted_task(by_name["shapes"]), sorted_task(by_name["motions"])]
    class_rows = split_study(
        class_tasks, ("stratified", "random", "last"), chosen, seeds, log
    )
    reg_task = sorted_task(by_name["multivariate"], "sorted by target")
    reg_rows = split_study([reg_task], ("last", "random"), chosen, seeds, log)
    return study, {
        "baseline": baseline,
        "cosine50": cosine50,
        "es_configs": es_configs,
        "chosen": chosen,
        "schedules": [cosine50, *schedules],
        "n_first": len(first),
        "split_tasks": (time_tasks, class_tasks, reg_task),
        "time_rows": time_rows,
        "class_rows": class_rows,
        "reg_rows": reg_rows,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke-test run")
    parser.add_argument("--out", type=Path, default=None, help="results file")
    args = parser.parse_args()
    out = args.out or (None if args.quick else RESULTS)
    start = time.perf_counter()

    def log(message):
        print(f"[{time.perf_counter() - start:6.0f}s] {message}", flush=True)

    study, ctx = measure(args.quick, log)
    elapsed = time.perf_counter() - start
    log(f"done in {elapsed:.0f}s")
    table = summary_table(study, list(study.runs), ctx["baseline"], ctx["chosen"])
    print("\n".join(table))
    if out is not None:
        write_report(study, ctx, elapsed, args.quick, out)
        log(f"wrote {out}")


if __name__ == "__main__":
    main()
