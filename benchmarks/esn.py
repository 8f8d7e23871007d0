"""Echo state networks beside the trained RNNs: defaults, accuracy, fit time.

Three studies, on the data of ``real_data.py`` and ``forecasting.py``:

1. **defaults**: every configuration of ``DEFAULT_GRID`` cross-validated on the
   *training* sets of the real-data cases (each case's own splitter); a
   configuration's score on a case is normalised between the grid's worst and
   best there, and the defaults are the configuration with the best mean.
2. **compare**: on each real-data case, the default ``ESNRegressor`` /
   ``ESNClassifier``, the ESN tuned by ``GridSearchCV`` over ``TUNED_GRID`` on
   the training set, and the default RNN of ``real_data.py``, fitted in turns
   seed by seed, test score and fit time.
3. **forecasting**: the default ``ESNRegressor`` on the M3 and Tourism sets of
   ``forecasting.py`` (windows and protocol as there), MASE, next to the RNN
   default's recorded MASE (``results/forecasting.json``).

Run from the repository root::

    python benchmarks/esn.py          # full run (~15 min on 2 cores)
    python benchmarks/esn.py --quick  # one seed, a few configurations, two sets

The conclusions are in ``results/esn.md``.
"""

import itertools
import time

import _harness as harness
import forecasting
import numpy as np
import real_data
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline

from skrnn import ESNClassifier, ESNRegressor, SequenceWindower

DEFAULT_GRID = {
    "spectral_radius": [0.5, 0.9, 1.2],
    "leak_rate": [0.3, 1.0],
    "input_scaling": [0.2, 1.0],
    "alpha": [1e-2, 1.0, 100.0],
}
QUICK_GRID = {"spectral_radius": [0.5, 0.9], "leak_rate": [0.3, 1.0]}
TUNED_GRID = {"spectral_radius": [0.5, 0.9, 1.2], "alpha": [1e-2, 1.0, 100.0]}
SEEDS = (0, 1, 2)
QUICK_FORECAST_SETS = ("M3 yearly", "Tourism yearly")


def esn(case, seed, **params):
    """The ESN counterpart of a real-data case's default model."""
    if case.metric == "accuracy":
        return ESNClassifier(random_state=seed, **params)
    if case.name == "Airline":  # rows through the same windower as the RNN's
        return Pipeline(
            [
                ("win", SequenceWindower(window=real_data.AIRLINE_WINDOW)),
                ("esn", ESNRegressor(random_state=seed, **params)),
            ]
        )
    return ESNRegressor(random_state=seed, **params)


def _prefixed(case, params):
    prefix = "esn__" if case.name == "Airline" else ""
    return {prefix + key: value for key, value in params.items()}


def study_defaults(cases, grid):
    """Each configuration's mean CV score per case, normalised per case."""
    configs = [
        dict(zip(grid, values, strict=True))
        for values in itertools.product(*grid.values())
    ]
    rows = []
    for case in cases:
        scores = []
        for params in configs:
            cv = cross_val_score(
                esn(case, 0, **params),
                case.X_train,
                case.y_train,
                cv=case.cv(0),
                scoring=case.scoring,
            )
            scores.append(float(np.mean(cv)))
        low, high = min(scores), max(scores)
        for params, score in zip(configs, scores, strict=True):
            rows.append(
                {
                    "case": case.name,
                    "params": params,
                    "cv": score,
                    "normalised": (score - low) / (high - low) if high > low else 1.0,
                }
            )
        harness.log(f"defaults: {case.name}, {len(configs)} configurations")
    return rows


def compare(cases, seeds):
    """Default ESN, tuned ESN and default RNN per case: test score, fit time."""
    rows = []
    for case in cases:
        found = {"ESN default": [], "ESN tuned": [], "RNN default": []}
        seconds = {kind: [] for kind in found}
        chosen = []
        for seed in seeds:
            models = {
                "ESN default": esn(case, seed),
                "ESN tuned": GridSearchCV(
                    esn(case, seed),
                    _prefixed(case, TUNED_GRID),
                    cv=case.cv(seed),
                    scoring=case.scoring,
                ),
                "RNN default": case.default(seed),
            }
            for kind, model in models.items():
                start = time.perf_counter()
                model.fit(case.X_train, case.y_train)
                seconds[kind].append(time.perf_counter() - start)
                fitted = getattr(model, "best_estimator_", model)
                found[kind].append(float(case.score(fitted)))
            chosen.append(models["ESN tuned"].best_params_)
            harness.log(
                f"compare: {case.name} seed {seed}: "
                + ", ".join(f"{k} {v[-1]:.4f}" for k, v in found.items())
            )
        for kind, values in found.items():
            rows.append(
                {
                    "case": case.name,
                    "metric": case.metric,
                    "row": kind,
                    "values": values,
                    "mean": float(np.mean(values)),
                    "sd": float(np.std(values)),
                    "fit_s": float(np.median(seconds[kind])),
                    "chosen": [str(c) for c in chosen] if kind == "ESN tuned" else [],
                }
            )
    return rows


def forecast_suite(names, seeds, n_series):
    recorded = {
        (row["data set"], row["row"]): row
        for row in harness.load("forecasting")["results"]
    }
    rows = []
    for name in names:
        data = forecasting.DataSet(name, n_series)
        X, y = data.windows(data.table)
        values, seconds = [], []
        for seed in seeds:
            start = time.perf_counter()
            model = ESNRegressor(random_state=seed).fit(X, y)
            seconds.append(time.perf_counter() - start)
            values.append(data.mase(data.forecast(model, data.table)))
        rnn = recorded.get((name, "default"))
        rows.append(
            {
                "data set": name,
                "windows": len(X),
                "values": values,
                "mean": float(np.mean(values)),
                "sd": float(np.std(values)),
                "fit_s": float(np.median(seconds)),
                "scaling": model.scaling_,
                "naive": data.mase(data.naive()),
                "seasonal naive": data.mase(data.seasonal_naive()),
                "rnn": None if rnn is None else rnn["mean"],
                "rnn_fit_s": None if rnn is None else rnn["fit_s"],
            }
        )
        harness.log(f"forecasting: {name}: ESN MASE {rows[-1]['mean']:.3f}")
    return rows


def measure(args):
    cases = real_data.make_cases()
    seeds = SEEDS[:1] if args.quick else SEEDS
    if args.quick:
        cases = cases[:1]
    return {
        "environment": {"seeds": str(list(seeds))},
        "defaults": study_defaults(cases, QUICK_GRID if args.quick else DEFAULT_GRID),
        "compare": compare(cases, seeds),
        "forecasting": forecast_suite(
            QUICK_FORECAST_SETS if args.quick else tuple(forecasting.DATA_SETS),
            seeds,
            forecasting.QUICK_SERIES if args.quick else None,
        ),
    }


def _fmt(metric, value):
    return f"{value:.3f}" if metric == "accuracy" else f"{value:.4f}"


def render_defaults(rows):
    cases = list(dict.fromkeys(row["case"] for row in rows))
    by_config = {}
    for row in rows:
        key = tuple(sorted(row["params"].items()))
        by_config.setdefault(key, {})[row["case"]] = row
    ranked = sorted(
        by_config.items(),
        key=lambda item: -np.mean([r["normalised"] for r in item[1].values()]),
    )
    table = []
    for key, per_case in ranked[:10]:
        entry = {"configuration": ", ".join(f"{k}={v:g}" for k, v in key)}
        for case in cases:
            entry[case] = (
                f"{per_case[case]['cv']:.4f} ({per_case[case]['normalised']:.2f})"
            )
        entry["mean"] = f"{np.mean([r['normalised'] for r in per_case.values()]):.3f}"
        table.append(entry)
    columns = {"configuration": "{configuration}"}
    columns.update({case: "{" + case + "}" for case in cases})
    columns["mean normalised"] = "{mean}"
    return (
        f"The ten best of {len(by_config)} configurations (CV score, and normalised "
        "between the grid's worst and best on the case, in brackets):\n\n"
        + harness.table(table, columns)
    )


def render_compare(rows):
    columns = {
        "case": "{case}",
        "row": "{row}",
        "mean ± sd": lambda r: (
            f"{_fmt(r['metric'], r['mean'])} ± {_fmt(r['metric'], r['sd'])}"
        ),
        "per seed": lambda r: " ".join(_fmt(r["metric"], v) for v in r["values"]),
        "fit s (median)": "{fit_s:.2f}",
    }
    text = harness.table(rows, columns)
    ratios = []
    for case in dict.fromkeys(row["case"] for row in rows):
        mine = {row["row"]: row for row in rows if row["case"] == case}
        ratios.append(
            {
                "case": case,
                "ratio": mine["ESN default"]["fit_s"] / mine["RNN default"]["fit_s"],
                "gap": mine["ESN default"]["mean"] - mine["RNN default"]["mean"],
                "metric": mine["ESN default"]["metric"],
            }
        )
    text += "\n\nDefault ESN against default RNN, measured in the same run:\n\n"
    text += harness.table(
        ratios,
        {
            "case": "{case}",
            "ESN fit time / RNN fit time": "{ratio:.3f}",
            "ESN - RNN (test metric)": lambda r: f"{r['gap']:+.4f} ({r['metric']})",
        },
    )
    return text


def render_forecasting(rows):
    def rnn(row):
        if row["rnn"] is None:
            return ""
        return f"{row['rnn']:.3f} ({row['rnn_fit_s']:.0f} s)"

    return harness.table(
        rows,
        {
            "data set": "{data set}",
            "windows": "{windows}",
            "ESN MASE": "{mean:.3f} ± {sd:.3f}",
            "ESN fit s": "{fit_s:.1f}",
            "scaling": "{scaling}",
            "RNN default MASE (recorded)": rnn,
            "naive": "{naive:.3f}",
            "seasonal naive": "{seasonal naive:.3f}",
        },
    )


def render(data):
    return {
        "defaults": harness.stamp(data["environment"])
        + "\n\n"
        + render_defaults(data["defaults"]),
        "compare": render_compare(data["compare"]),
        "forecasting": render_forecasting(data["forecasting"]),
    }


if __name__ == "__main__":
    harness.run(
        harness.parser(__doc__).parse_args(),
        "esn",
        "esn.md",
        measure,
        render,
        packages=("torch", "scikit-learn"),
    )
