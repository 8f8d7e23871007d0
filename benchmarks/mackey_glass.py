"""Mackey-Glass: ESNRegressor against reservoirpy's published echo state network.

The chaotic Mackey-Glass series (tau=17, a=0.2, b=0.1, n=10, x0=1.2), generated
here as ``reservoirpy.datasets.mackey_glass`` generates it, on the set-ups of
reservoirpy's README (one step ahead) and of its tutorial "General
Introduction to Reservoir Computing" (10 and 100 steps ahead, and a free run
fed with its own predictions after training one step ahead). skrnn fits
windows of the series from :func:`make_windows`: its reservoir starts from
zero at every window, where reservoirpy's runs once through the whole series.
The ESN's parameters are chosen on a time-ordered hold-out of each training
part; the defaults and (one step ahead) the default LSTM ``RNNRegressor`` on
the same windows are reported beside it.

Run from the repository root::

    python benchmarks/mackey_glass.py          # full run (~6 minutes)
    python benchmarks/mackey_glass.py --quick  # one configuration, seed 0

The protocol and the conclusions are in ``results/mackey_glass.md``.
"""

import itertools
from dataclasses import dataclass

import _harness as harness
import numpy as np
import torch

from skrnn import ESNRegressor, RNNRegressor, make_windows, recursive_forecast

SEEDS = (0, 1, 2)
GRID = {
    "window": [50, 100],
    "scaling": ["auto", "global"],
    "spectral_radius": [0.9, 1.25],
    "leak_rate": [0.3, 1.0],
    "alpha": [1e-8, 1e-4],
}
QUICK_GRID = {
    "window": [50],
    "scaling": ["global"],
    "spectral_radius": [1.25],
    "leak_rate": [0.3],
    "alpha": [1e-5],
}
HOLD_OUT = 400  # the last training targets, to choose the parameters on
TOLERANCE = 0.1  # a free run is valid while |error| <= 10% of the series' range
README = "https://github.com/reservoirpy/reservoirpy/blob/1fc1135/README.md"
TUTORIAL = (
    "https://github.com/reservoirpy/reservoirpy/blob/7f55e59/tutorials/"
    "3-General_Introduction_to_Reservoir_Computing.ipynb"
)
TUTORIAL_ESN = (
    "Reservoir(100, lr=0.3, sr=1.25, input_scaling=1.0, rc_connectivity=0.1, "
    "input_connectivity=0.2, seed=1234) >> Ridge(ridge=1e-8)"
)


def mackey_glass(n_timesteps, tau=17, a=0.2, b=0.1, n=10, x0=1.2, h=1.0, seed=5555):
    """The Mackey-Glass series as ``reservoirpy.datasets.mackey_glass`` computes it.

    Reimplemented from reservoirpy/datasets/_chaos.py (MIT licence): a history
    of ``tau / h`` values drawn uniformly in ``x0 ± 0.1`` by
    ``numpy.random.default_rng(seed)`` (reservoirpy's default dataset seed is
    5555), then one classic Runge-Kutta step of size ``h`` per time step, with
    ``x(t - tau)`` held at its value at the start of the step.
    """

    def slope(x, x_tau):
        return -b * x + a * x_tau / (1 + x_tau**n)

    lag = int(np.floor(tau / h))
    rng = np.random.default_rng(seed)
    values = np.empty(lag + n_timesteps)
    values[:lag] = x0 + 0.2 * (rng.random(lag) - 0.5)
    x = x0
    for i in range(lag, lag + n_timesteps):
        values[i] = x
        x_tau = values[i - lag] if tau > 0 else 0.0
        k1 = h * slope(x, x_tau)
        k2 = h * slope(x + 0.5 * k1, x_tau)
        k3 = h * slope(x + 0.5 * k2, x_tau)
        k4 = h * slope(x + k3, x_tau)
        x = x + k1 / 6 + k2 / 3 + k3 / 3 + k4 / 6
    return values[lag:]


@dataclass
class Task:
    """A published set-up: the series, the horizon and the training part.

    Window ``t`` (its last step at row ``t``) predicts row ``t + horizon``;
    the windows ending before row ``n_train`` train, the others test, so the
    test targets are reservoirpy's.
    """

    name: str
    n_timesteps: int
    rescale: bool  # to [-1, 1], as the tutorial does
    n_train: int
    horizon: int
    source: str
    published_setup: str
    published: dict
    reservoirpy_params: dict  # the published ESN's, in skrnn's names

    def __post_init__(self):
        series = mackey_glass(self.n_timesteps)
        if self.rescale:
            series = 2 * (series - series.min()) / np.ptp(series) - 1
        self.series = series

    def windows(self, window):
        """``(X, y, t)``: the windows, their targets and the row each ends at."""
        X, y = make_windows(self.series, window, horizon=self.horizon)
        y = y if self.horizon == 1 else y[:, -1]
        return X, y, np.arange(len(X)) + window - 1


TASKS = [
    Task(
        "README, 1 step",
        2000,
        False,
        1599,
        1,
        README,
        "mackey_glass(2000), unscaled; to_forecasting(test_size=0.2): 1,599 "
        "training and 400 test steps; ESN(units=100, sr=1.25, lr=0.3, "
        "ridge=1e-5), fit with warmup=100",
        {"rmse": 0.0020282, "r2": 0.99992},
        {"n_reservoir": 100, "spectral_radius": 1.25, "leak_rate": 0.3, "alpha": 1e-5},
    ),
    Task(
        "tutorial, 1 step",
        2510,
        True,
        2000,
        1,
        TUTORIAL,
        "(reports only the free run of this model)",
        {},
        {"n_reservoir": 500, "spectral_radius": 0.99, "leak_rate": 0.3, "alpha": 1e-4},
    ),
    Task(
        "tutorial, 10 steps",
        2510,
        True,
        2000,
        10,
        TUTORIAL,
        "mackey_glass(2510) rescaled to [-1, 1]; to_forecasting(forecast=10): "
        f"the first 2,000 steps train, 500 test; {TUTORIAL_ESN}",
        {"nrmse": 0.006855, "r2": 0.99918},
        {"n_reservoir": 100, "spectral_radius": 1.25, "leak_rate": 0.3, "alpha": 1e-8},
    ),
    Task(
        "tutorial, 100 steps",
        2510,
        True,
        2000,
        100,
        TUTORIAL,
        "as for 10 steps, with forecast=100: 410 test steps; the same ESN",
        {"nrmse": 0.054411, "r2": 0.95083},
        {"n_reservoir": 100, "spectral_radius": 1.25, "leak_rate": 0.3, "alpha": 1e-8},
    ),
]
FREE_RUN_TASK = "tutorial, 1 step"
PUBLISHED_PARAMS = "ESN, reservoirpy's parameters"
# The tutorial's free run: after training one step ahead, the reservoir reads
# 100 test steps, then feeds its predictions back for 400 steps.
FREE_RUNS = [
    {"start": "end of training", "first": 2001, "steps": 500},
    {"start": "tutorial: after 100 test steps", "first": 2100, "steps": 400},
]
PUBLISHED_FREE_RUN = {
    "source": TUTORIAL,
    "setup": "one step ahead, the first 2,000 steps; Reservoir(500, lr=0.3, "
    "sr=0.99, input_scaling=1.0, rc_connectivity=0.1, input_connectivity=0.2, "
    "seed=1234) >> Ridge(ridge=1e-4); reset, 100 test steps as warm-up, "
    "400 generated",
    "nrmse": 0.1286,
    "r2": 0.7292,
}


def scores(prediction, truth):
    """reservoirpy's NRMSE (RMSE / (max - min) of the truth), R^2 and RMSE;
    None where a prediction diverged."""
    with np.errstate(over="ignore", invalid="ignore"):
        mse = float(np.mean((prediction - truth) ** 2))
    if not np.isfinite(mse):
        return {"nrmse": None, "r2": None, "rmse": None}
    rmse = np.sqrt(mse)
    return {"nrmse": rmse / np.ptp(truth), "r2": 1 - mse / truth.var(), "rmse": rmse}


def free_run(model, series, first, steps, window):
    """Forecast rows ``first ..`` from the rows before, feeding predictions back."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            forecast = recursive_forecast(model, series[:first], steps, window=window)
    except ValueError:  # a diverged forecast grew to infinity, which X refuses
        return np.full(steps, np.inf)
    return np.asarray(forecast)


def valid_steps(prediction, truth, tolerance):
    """Steps before the absolute error first exceeds ``tolerance``."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(prediction - truth) <= tolerance)
    return int(np.argmax(bad)) if bad.any() else len(truth)


def free_run_scores(model, series, first, steps, window):
    truth = series[first : first + steps]
    forecast = free_run(model, series, first, steps, window)
    return {
        "nrmse_100": scores(forecast[:100], truth[:100])["nrmse"],
        **scores(forecast, truth),
        "valid_steps": valid_steps(forecast, truth, TOLERANCE * np.ptp(series)),
    }


def configurations(grid):
    return [
        dict(zip(grid, values, strict=True))
        for values in itertools.product(*grid.values())
    ]


def tune(task, grid, free_running):
    """Fit every configuration (seed 0) on the training windows before the
    hold-out and score it on the hold-out's windows (and, ``free_running``,
    on a free run through the hold-out's rows)."""
    start = task.n_train - HOLD_OUT
    rows = []
    for config in configurations(grid):
        params = {k: v for k, v in config.items() if k != "window"}
        X, y, t = task.windows(config["window"])
        fit, held_out = t < start, (t >= start) & (t < task.n_train)
        model = ESNRegressor(random_state=0, **params).fit(X[fit], y[fit])
        row = {"task": task.name, **config}
        row["nrmse"] = scores(model.predict(X[held_out]), y[held_out])["nrmse"]
        if free_running:  # rows start + 1 .. n_train, the last training target
            result = free_run_scores(
                model, task.series, start + 1, HOLD_OUT, config["window"]
            )
            row["free_nrmse"] = result["nrmse"]
        rows.append(row)
    return rows


def best(rows, key):
    finite = [row for row in rows if row[key] is not None]
    return min(finite, key=lambda row: row[key])


def params_of(row):
    return {key: row[key] for key in GRID if key != "window"}


def measure_task(task, tuning, seeds, lstm):
    """Test scores per seed of the defaults, the tuned ESN, the ESN at the
    published parameters (global scaling, as reservoirpy scales nothing per
    window) and (``lstm``) the default RNNRegressor, all on the tuned
    configuration's windows; their fit times measured in turns. Returns the
    rows and the fitted models."""
    chosen = best(tuning, "nrmse")
    window = chosen["window"]
    X, y, t = task.windows(window)
    train, test = t < task.n_train, t >= task.n_train
    methods = {
        "ESN defaults": lambda seed: ESNRegressor(random_state=seed),
        "ESN tuned": lambda seed: ESNRegressor(random_state=seed, **params_of(chosen)),
        PUBLISHED_PARAMS: lambda seed: ESNRegressor(
            random_state=seed, scaling="global", **task.reservoirpy_params
        ),
    }
    if lstm:
        methods["LSTM defaults"] = lambda seed: RNNRegressor(random_state=seed)
    timings = harness.interleaved(
        {
            name: lambda seed, m=make: m(seed).fit(X[train], y[train])
            for name, make in methods.items()
        },
        seeds,
    )
    rows = []
    for name, timing in timings.items():
        per_seed = [scores(m.predict(X[test]), y[test]) for m in timing.results]
        rows.append(
            {
                "task": task.name,
                "model": name,
                "window": window,
                "n_train": int(train.sum()),
                "n_test": int(test.sum()),
                "seeds": list(seeds),
                **{
                    metric: harness.mean_sd([s[metric] for s in per_seed])
                    for metric in ("nrmse", "r2", "rmse")
                },
                "fit_s": timing.wall,
                "fit_cpu_s": timing.cpu,
            }
        )
    return rows, {name: (window, timing.results) for name, timing in timings.items()}


def measure_free_runs(task, models, seeds):
    rows = []
    for name, (window, fitted) in models.items():
        for run in FREE_RUNS:
            per_seed = [
                free_run_scores(model, task.series, run["first"], run["steps"], window)
                for model in fitted
            ]
            rows.append(
                {
                    "model": name,
                    "window": window,
                    **run,
                    "seeds": list(seeds),
                    **{
                        key: [s[key] for s in per_seed]
                        for key in ("nrmse_100", "nrmse", "r2", "valid_steps")
                    },
                }
            )
    return rows


def free_run_models(task, tuning, seeds, one_step_models):
    """The one-step models to run free: those of :func:`measure_task`, the
    defaults with global scaling, and the ESN chosen by its free run on the
    hold-out."""
    window = one_step_models["ESN defaults"][0]
    X, y, t = task.windows(window)
    train = t < task.n_train
    global_defaults = [
        ESNRegressor(random_state=seed, scaling="global").fit(X[train], y[train])
        for seed in seeds
    ]
    chosen = best(tuning, "free_nrmse")
    X, y, t = task.windows(chosen["window"])
    train = t < task.n_train
    free = [
        ESNRegressor(random_state=seed, **params_of(chosen)).fit(X[train], y[train])
        for seed in seeds
    ]
    return {
        "ESN defaults": one_step_models["ESN defaults"],
        "ESN defaults, scaling='global'": (window, global_defaults),
        PUBLISHED_PARAMS: one_step_models[PUBLISHED_PARAMS],
        "ESN tuned (1 step)": one_step_models["ESN tuned"],
        "ESN tuned (free run)": (chosen["window"], free),
    }


def measure(args):
    torch.set_num_threads(2)
    grid = QUICK_GRID if args.quick else GRID
    seeds = SEEDS[:1] if args.quick else SEEDS
    RNNRegressor(max_epochs=2, random_state=0).fit(*make_windows(np.arange(64.0), 8))
    tuning, results, free_runs = [], [], []
    for task in TASKS:
        free_running = task.name == FREE_RUN_TASK
        rows = tune(task, grid, free_running)
        tuning += rows
        harness.log(f"{task.name}: {len(rows)} configurations tuned")
        rows, models = measure_task(
            task, rows, seeds, lstm=task.name.startswith("README")
        )
        results += rows
        if free_running:
            task_rows = [row for row in tuning if row["task"] == task.name]
            models = free_run_models(task, task_rows, seeds, models)
            free_runs += measure_free_runs(task, models, seeds)
        harness.log(f"{task.name}: measured")
    choices = []
    for task in TASKS:
        rows = [row for row in tuning if row["task"] == task.name]
        keys = ("nrmse", "free_nrmse") if task.name == FREE_RUN_TASK else ("nrmse",)
        for key in keys:
            choices.append({**best(rows, key), "chosen_by": key})
    # The tutorial scores its step k (the prediction of row 2101 + k) against
    # row 2100 + k: what a perfect free run would score so.
    series = next(t for t in TASKS if t.name == FREE_RUN_TASK).series
    shifted = scores(series[2101:2501], series[2100:2500])["nrmse"]
    published = [
        {"task": t.name, "source": t.source, "setup": t.published_setup, **t.published}
        for t in TASKS
        if t.published
    ]
    return {
        "environment": {
            "seeds": str(list(seeds)),
            "defaults": str(ESNRegressor().get_params()),
            "grid": str(grid),
        },
        "results": results,
        "free_runs": free_runs,
        "choices": choices,
        "tuning": tuning,
        "published": published,
        "published_free_run": [{**PUBLISHED_FREE_RUN, "shifted_nrmse": shifted}],
    }


def _number(value, digits=4):
    if value is None:
        return "diverged"
    if abs(value) >= 1e4:
        return f"{value:.1e}"
    return f"{value:.{digits}g}"


def _mean_sd(row, key, digits=3):
    mean, sd = row[key]
    if mean is None:
        return "diverged"
    return f"{_number(mean, digits)} ± {_number(sd, 2)}"


def _seeds(values, digits=3):
    return " / ".join(
        str(v) if isinstance(v, int) else _number(v, digits) for v in values
    )


RESULT_COLUMNS = {
    "task": "{task}",
    "model": "{model}",
    "window": "{window}",
    "NRMSE (max-min)": lambda r: _mean_sd(r, "nrmse"),
    "R^2": lambda r: f"{r['r2'][0]:.6f} ± {r['r2'][1]:.1e}",
    "RMSE": lambda r: _mean_sd(r, "rmse"),
    "fit s (min)": lambda r: f"{min(r['fit_s']):.1f}",
}
FREE_RUN_COLUMNS = {
    "model": "{model}",
    "window": "{window}",
    "start": "{start}",
    "steps": "{steps}",
    "NRMSE first 100": lambda r: _seeds(r["nrmse_100"]),
    "NRMSE all": lambda r: _seeds(r["nrmse"]),
    "R^2 all": lambda r: _seeds(r["r2"]),
    f"steps with error <= {TOLERANCE:.0%} of range": lambda r: _seeds(r["valid_steps"]),
}
CHOICE_COLUMNS = {
    "task": "{task}",
    "chosen by hold-out": lambda r: {
        "nrmse": "NRMSE of the windows",
        "free_nrmse": "NRMSE of a 400-step free run",
    }[r["chosen_by"]],
    "window": "{window}",
    "scaling": "{scaling}",
    "spectral_radius": "{spectral_radius}",
    "leak_rate": "{leak_rate}",
    "alpha": "{alpha:g}",
    "hold-out NRMSE": lambda r: _number(r[r["chosen_by"]]),
}


def published_table(data):
    columns = {
        "task": "{task}",
        "NRMSE (max-min)": "{nrmse}",
        "R^2": "{r2}",
        "RMSE": "{rmse}",
        "set-up": "{setup}",
        "source": "[link]({source})",
    }
    return harness.table(data["published"], columns, missing="")


def scaling_summary(tuning):
    """How the free runs on the hold-out went, by scaling."""
    lines = []
    rows = [row for row in tuning if "free_nrmse" in row]
    for scaling in sorted({row["scaling"] for row in rows}):
        values = [row["free_nrmse"] for row in rows if row["scaling"] == scaling]
        finite = sorted(v for v in values if v is not None)
        wild = sum(v is None or v > 1 for v in values)
        median = _number(float(np.median(finite))) if finite else "-"
        lines.append(
            f"- `scaling={scaling!r}`: {len(values)} configurations, free-run "
            f"NRMSE best {_number(finite[0]) if finite else '-'}, median {median}; "
            f"{wild} diverged (NRMSE > 1)"
        )
    return "\n".join(lines)


def timing_lines(data):
    lines = []
    for task in sorted({row["task"] for row in data["results"]}):
        rows = {r["model"]: r for r in data["results"] if r["task"] == task}
        if "LSTM defaults" not in rows:
            continue
        lstm = min(rows["LSTM defaults"]["fit_s"])
        for name in ("ESN defaults", "ESN tuned"):
            ratio = lstm / min(rows[name]["fit_s"])
            lines.append(f"- {task}: LSTM defaults / {name} fit time: {ratio:.0f}x")
    return "\n".join(lines)


def render(data):
    free = data["published_free_run"][0]
    return {
        "tables": "\n\n".join(
            [
                harness.stamp(data["environment"]),
                "### Published (reservoirpy)",
                published_table(data),
                f"Free run ([source]({free['source']})): NRMSE {free['nrmse']}, "
                f"R^2 {free['r2']} over 400 steps; {free['setup']}. Its plot compares "
                "the prediction of row 2101 + k with row 2100 + k; on that "
                "alignment a perfect forecast would score NRMSE "
                f"{free['shifted_nrmse']:.4f}.",
                "### skrnn: test scores (mean ± sd over seeds)",
                harness.table(data["results"], RESULT_COLUMNS, "lllrrrr"),
                timing_lines(data),
                "### skrnn: free runs of the one-step models (seeds 0 / 1 / 2)",
                harness.table(data["free_runs"], FREE_RUN_COLUMNS, "lrlrrrrr"),
                "### Chosen parameters (seed 0, hold-out of the training part)",
                harness.table(data["choices"], CHOICE_COLUMNS, "llllrrrr"),
                scaling_summary(data["tuning"]),
            ]
        )
    }


if __name__ == "__main__":
    harness.run(
        harness.parser(__doc__).parse_args(),
        "mackey_glass",
        "mackey_glass.md",
        measure,
        render,
    )
