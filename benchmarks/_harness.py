"""The shared harness of the benchmarks: tasks, seeds, timing and the results store.

Each script measures, returns its results as data (lists of records) and hands
them to :func:`run`, which stamps them with the environment, saves them as
``results/<script>.json`` and renders them into the script's blocks of a results
Markdown file, such as the lines between ``<!-- begin <script> tables -->`` and
``<!-- end <script> tables -->``. Everything outside the blocks (the protocol,
the conclusions) is written by hand and never overwritten. Every script takes
``--quick`` (a tiny run that prints its tables and writes nothing) and
``--render`` (render the stored data again, without measuring).
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import re
import statistics
import string
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

from skrnn import RNNClassifier, RNNRegressor, make_windows

RESULTS = Path(__file__).parent / "results"
SEEDS = (0, 1, 2, 3, 4)
FAIL_FRACTION = 0.1  # "stays at baseline": closes < 10% of the gap to perfect
_START = time.perf_counter()
_OMP_NUM_THREADS = os.environ.get("OMP_NUM_THREADS", "unset")  # as launched


def log(message):
    """Print a progress line with the seconds since the start."""
    print(f"[{time.perf_counter() - _START:6.0f}s] {message}", flush=True)


# Tasks --------------------------------------------------------------------------


@dataclass
class Task:
    """A train/test split with its metric, baseline and what counts as learning it."""

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
            counts = np.unique(y_eval, return_counts=True)[1]
            self.baseline = float(counts.max()) / len(y_eval)

    def estimator(self, **params):
        return (RNNRegressor if self.kind == "reg" else RNNClassifier)(**params)

    def score(self, estimator):
        if self.on_train:
            return estimator.score(self.X_train, self.y_train)
        return estimator.score(self.X_test, self.y_test)

    def failed(self, score):
        """Whether a run "stays at baseline" (or misses the check's pass mark)."""
        if self.threshold is not None:
            return score <= self.threshold
        return score < self.baseline + FAIL_FRACTION * (1 - self.baseline)

    def normalised(self, score):
        return (score - self.baseline) / (1 - self.baseline)

    def record(self):
        metric = "R^2" if self.kind == "reg" else "accuracy"
        if self.on_train:
            metric = f"training {metric} (check: > {self.threshold})"
        return {
            "task": self.name,
            "what": self.description,
            "n_train": len(self.X_train),
            "n_test": "same" if self.on_train else len(self.X_test),
            "shape": str(self.X_train.shape),
            "metric": metric,
            "baseline": self.baseline,
            "reference": self.reference,
        }


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
    from sklearn.utils.estimator_checks import _regression_dataset

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
    """The nine synthetic tasks of ``defaults.py`` and ``early_stopping.py``."""
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
        if quick:  # small slices, shorter sequences
            X_train, y_train = X_train[:64, :40], y_train[:64]
            X_test, y_test = X_test[:64, :40], y_test[:64]
        description = " ".join(make.__doc__.split())
        split = (X_train, y_train, X_test, y_test)
        tasks.append(
            Task(name, description, kind, *split, "threshold" in extra, **extra)
        )
    return tasks


def ar1_noise(n_rows, seed, phi=0.7, sd=0.3):
    """AR(1) noise: ``e[i] = phi e[i - 1] + N(0, sd)``, starting at 0."""
    shocks = np.random.default_rng(seed).normal(0, sd, n_rows)
    noise = np.zeros(n_rows)
    for i in range(1, n_rows):
        noise[i] = phi * noise[i - 1] + shocks[i]
    return noise


def noisy_sine(n_steps=1000, window=50, noise=0.1, seed=0):
    """``sin(0.1 t) + 0.5 cos(0.05 t)`` plus Gaussian noise, in windows and next
    values; the first 80% of the windows train, the rest test. Returns the split
    and the noise-free signal at the test targets (the best possible forecast).

    ``examples/plot_metrics_persistence_tuning.py`` draws the same series."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    signal = np.sin(0.1 * t) + 0.5 * np.cos(0.05 * t)
    series = signal + noise * rng.normal(size=n_steps)
    X, y = make_windows(series, window=window)
    n_train = int(0.8 * len(X))
    return (*_split(X, y, n_train), signal[n_train - len(X) :])


def random_rows(n_rows, n_features=8, seed=0):
    """Rows of float32 Gaussian noise; target: the running sum of the first column."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features)).astype(np.float32)
    return X, X[:, 0].cumsum().astype(np.float32)


# Real data sets, as they ship with sktime (no download) -------------------------


def ucr_uea(name, split):
    """(X, y) of a UCR/UEA data set, X as (n, timesteps, channels)."""
    import sktime.datasets

    loader = getattr(sktime.datasets, f"load_{name}")
    X, y = loader(split=split, return_type="numpy3D")
    return X.transpose(0, 2, 1), y


def covid_3month(split):
    """(X, y) of the TSER data set Covid3Month, X as (n, timesteps, 1)."""
    from sktime.datasets import load_covid_3month
    from sktime.datatypes import convert_to

    X, y = load_covid_3month(split=split)
    return convert_to(X, to_type="numpy3D").transpose(0, 2, 1), y


@dataclass
class Airline:
    """Monthly airline passengers: 108 months to train, 36 to forecast, and
    ``z = (1 - B)(1 - B^12) log(passengers)`` of the training months, which the
    models see (as in ``examples/plot_airline_forecast.py``)."""

    n_train: int = 108
    horizon: int = 36

    def __post_init__(self):
        from sktime.datasets import load_airline

        passengers = load_airline()
        passengers.index = passengers.index.to_timestamp()
        passengers = passengers.asfreq("MS")
        self.train = passengers.iloc[: self.n_train]
        self.test = passengers.iloc[self.n_train : self.n_train + self.horizon]
        self.log_train = np.log(self.train)
        self.z = self.log_train.diff().diff(12).dropna()

    def passengers_from(self, z_forecast):
        """Undo the differencing and the log, continuing the training series."""
        logs = list(self.log_train.to_numpy())
        for value in np.asarray(z_forecast):
            logs.append(logs[-1] + logs[-12] - logs[-13] + value)
        return np.exp(logs[self.n_train :])


# Timing -------------------------------------------------------------------------


@dataclass
class Timing:
    """Wall and CPU seconds of one method, one per round, and what it returned."""

    wall: list = field(default_factory=list)
    cpu: list = field(default_factory=list)
    results: list = field(default_factory=list)

    @property
    def min(self):
        return min(self.wall)

    @property
    def median(self):
        return statistics.median(self.wall)


def interleaved(methods, rounds):
    """Call every method once a round, in turn, and time each call.

    ``methods`` maps names to functions of the round's value (a seed, say); the
    methods alternate so that a slow spell of a shared machine hits them alike,
    and every timing is read as a ratio to another of the same run. The process
    CPU time leaves out the time the process waited for a core.
    """
    timings = {name: Timing() for name in methods}
    for value in rounds:
        for name, method in methods.items():
            wall, cpu = time.perf_counter(), time.process_time()
            result = method(value)
            timings[name].cpu.append(time.process_time() - cpu)
            timings[name].wall.append(time.perf_counter() - wall)
            timings[name].results.append(result)
    return timings


# A study of configurations on tasks and seeds -----------------------------------


@dataclass
class Run:
    """One fit of one configuration on one task with one seed."""

    score: float
    wall: float
    cpu: float = float("nan")
    n_epochs: int = 0
    best_epoch: int = 0


class Study:
    """Configurations ("rows") fitted on tasks and seeds: ``runs[row][task][seed]``.

    A row is a hashable label of a configuration. A row *learns* a task when no
    seed's run stays at baseline; the *learnable* tasks are those some row learns
    (of all rows so far, or of those fitted before :meth:`freeze`). The others
    only measure overfitting: they are left out of :meth:`quality` and
    disqualify no one.
    """

    def __init__(self, tasks, seeds):
        self.tasks, self.seeds = tasks, seeds
        self.runs = {}
        self._learnable = None

    def fit(self, row, task, seed, estimator):
        """Fit ``estimator`` on ``task``, record the run, return the estimator."""
        wall, cpu = time.perf_counter(), time.process_time()
        estimator.fit(task.X_train, task.y_train)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        epochs = (estimator.n_epochs_, estimator.best_epoch_)
        self.record(row, task, seed, Run(task.score(estimator), wall, cpu, *epochs))
        return estimator

    def record(self, row, task, seed, run):
        self.runs.setdefault(row, {}).setdefault(task.name, {})[seed] = run

    def scores(self, row, task):
        return np.array([run.score for run in self.runs[row][task.name].values()])

    @property
    def learnable(self):
        if self._learnable is not None:
            return self._learnable
        learned = {
            task.name
            for task in self.tasks
            for row in self.runs
            if not any(task.failed(score) for score in self.scores(row, task))
        }
        return learned or {task.name for task in self.tasks}

    def freeze(self):
        """Keep the learnable tasks of the rows so far."""
        self._learnable = self.learnable

    def failures(self, row):
        return [
            (task, seed, run.score)
            for task in self.tasks
            for seed, run in sorted(self.runs[row][task.name].items())
            if task.failed(run.score)
        ]

    def disqualified(self, row):
        return any(task.name in self.learnable for task, _, _ in self.failures(row))

    def quality(self, row, names=None):
        """Mean normalised score over seeds and the learnable (or named) tasks."""
        names = self.learnable if names is None else names
        normalised = [
            task.normalised(self.scores(row, task)).mean()
            for task in self.tasks
            if task.name in names
        ]
        return float(np.mean(normalised))

    def seconds(self, row, clock="wall"):
        by_task = self.runs[row].values()
        return sum(getattr(run, clock) for runs in by_task for run in runs.values())

    def best(self, rows, clock="wall", tolerance=0.01):
        """The cheapest qualified row within ``tolerance`` of the best quality."""
        ok = [row for row in rows if not self.disqualified(row)] or list(rows)
        top = max(self.quality(row) for row in ok)
        near = [row for row in ok if self.quality(row) >= top - tolerance]
        return min(near, key=lambda row: self.seconds(row, clock))

    def records(self, rows=None):
        """One record per row: per-task results, the summaries, the failed runs."""
        every = {task.name for task in self.tasks}
        out = []
        for row in self.runs if rows is None else rows:
            runs = {t.name: list(self.runs[row][t.name].values()) for t in self.tasks}

            def per_task(attr, runs=runs):
                return {
                    t: np.mean([getattr(r, attr) for r in rs]) for t, rs in runs.items()
                }

            failures = self.failures(row)
            learnable = [f for f in failures if f[0].name in self.learnable]
            out.append(
                {
                    "configuration": str(row),
                    "score": {
                        t: mean_sd([r.score for r in rs]) for t, rs in runs.items()
                    },
                    "epochs": per_task("n_epochs"),
                    "best_epoch": per_task("best_epoch"),
                    "seconds": per_task("wall"),
                    "fit_s": self.seconds(row) / len(self.seeds),
                    "mean_norm": self.quality(row),
                    "mean_norm_all": self.quality(row, every),
                    "baseline_runs": len(failures),
                    "baseline_runs_learnable": len(learnable),
                    "disqualified": self.disqualified(row),
                    "failures": [[task.name, seed, s] for task, seed, s in failures],
                }
            )
        return out


def mean_sd(values):
    """``[mean, sd]`` (ddof=0) of the values."""
    return [float(np.mean(values)), float(np.std(values))]


# Rendering ----------------------------------------------------------------------


def _cell(row, template, missing):
    if callable(template):
        return template(row)
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    if any(row.get(f.split("[")[0].split(".")[0]) is None for f in fields):
        return missing
    return template.format(**row)


def table(rows, columns, align=None, missing=""):
    """A Markdown table of ``rows`` (dicts).

    ``columns`` maps each header to a format string over a row, such as
    ``"{mean:.3f} ± {sd:.3f}"``, or to a function of the row; ``align`` has an
    "l" or "r" per column (default: all left). A cell whose fields are missing
    or None shows ``missing``.
    """
    align = align or "l" * len(columns)
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "".join("---:|" if a == "r" else "---|" for a in align),
    ]
    for row in rows:
        cells = [_cell(row, template, missing) for template in columns.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mean_sd_cell(field, digits=3):
    """The format of a ``[mean, sd]`` field, ``"{field[0]:.3f} ± {field[1]:.3f}"``."""
    return f"{{{field}[0]:.{digits}f}} ± {{{field}[1]:.{digits}f}}"


def task_columns(names, learnable, cell):
    """A column per task, marked † when not learnable; ``cell(name)`` its format."""
    return {n + ("" if n in learnable else " †"): cell(n) for n in names}


def stamp(environment):
    """The environment of a run as Markdown bullets."""

    def text(value):
        if isinstance(value, dict):
            return ", ".join(f"{key} {item}" for key, item in value.items())
        return str(value)

    return "\n".join(
        f"- {key}: {text(value)}" for key, value in environment.items() if value
    )


# The results store --------------------------------------------------------------


def environment(packages=()):
    """Date, command, versions, machine and threads of this run."""
    import torch

    names = ("skrnn", "torch", "skorch", "scikit-learn", "numpy", *packages)
    versions = {name: importlib.metadata.version(name) for name in names}
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    model = next(
        (line.split(":", 1)[1].strip() for line in lines if "model name" in line),
        platform.processor(),
    )
    return {
        "date": datetime.date.today().isoformat(),
        "command": "python "
        + " ".join([f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]]),
        "versions": {**versions, "Python": platform.python_version()},
        "machine": f"{model}, {os.cpu_count()} cores, {platform.machine()}, "
        + platform.system(),
        "threads": f"torch {torch.get_num_threads()}, "
        f"OMP_NUM_THREADS={_OMP_NUM_THREADS}",
    }


def save(name, data):
    """Write ``results/<name>.json``, one record of each table per line."""

    def dump(value):
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = ",\n".join(
                f"  {json.dumps(item, default=_plain)}" for item in value
            )
            return f"[\n{items}\n ]"
        return json.dumps(value, default=_plain)

    body = ",\n".join(
        f" {json.dumps(key)}: {dump(value)}" for key, value in data.items()
    )
    (RESULTS / f"{name}.json").write_text("{\n" + body + "\n}\n")


def _plain(value):
    return value.tolist()  # numpy scalars and arrays


def load(name):
    return json.loads((RESULTS / f"{name}.json").read_text())


def write_block(markdown, name, text):
    """Make ``text`` the block ``name`` of ``results/<markdown>``; keep the rest.

    A block runs from a line ``<!-- begin <name> -->`` to a line ``<!-- end
    <name> -->``; a missing block is added at the end of the file.
    """
    path = RESULTS / markdown
    old = path.read_text() if path.exists() else ""
    block = f"<!-- begin {name} -->\n{text.strip()}\n<!-- end {name} -->"
    pattern = re.compile(
        rf"^<!-- begin {re.escape(name)} -->$.*?^<!-- end {re.escape(name)} -->$",
        re.MULTILINE | re.DOTALL,
    )
    if pattern.search(old):
        path.write_text(pattern.sub(lambda _: block, old, count=1))
    else:
        path.write_text(old + ("\n" if old else "") + block + "\n")


def parser(doc):
    """The command line every benchmark takes."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a tiny run; print, write nothing"
    )
    parser.add_argument(
        "--render", action="store_true", help="render the stored results again"
    )
    return parser


def run(args, name, markdown, measure, render, packages=()):
    """Measure, store and render: ``measure(args)`` returns the tables (and
    ``"environment"``, what to add to the stamp); ``render(data)`` returns the
    Markdown of the block ``<name> tables``, or a dict of blocks' Markdown."""
    if args.render:
        data = load(name)
    else:
        load_average, start = os.getloadavg()[0], time.perf_counter()
        tables = measure(args)
        env = {
            **environment(packages),
            "minutes": round((time.perf_counter() - start) / 60, 1),
            "load average": f"{load_average:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end",
            **tables.pop("environment", {}),
        }
        data = {"environment": env, **tables}
    blocks = render(data)
    if not isinstance(blocks, dict):
        blocks = {"tables": blocks}
    if args.quick:
        print("\n\n".join(blocks.values()))
        return
    if not args.render:
        save(name, data)
        print(f"wrote results/{name}.json", file=sys.stderr)
    for key, text in blocks.items():
        write_block(markdown, f"{name} {key}", text)
    print(f"rendered its tables into results/{markdown}", file=sys.stderr)
