"""Accuracy on real data: four public benchmarks, next to their published results.

ItalyPowerDemand, BasicMotions, Covid3Month (as they ship with sktime) and the
airline passengers, each on its published split and metric; skrnn with its
defaults and tuned by ``GridSearchCV`` on the training data, over five seeds.

Run from the repository root::

    python benchmarks/real_data.py          # full run (~35 min)
    python benchmarks/real_data.py --quick  # seed 0, defaults only, writes nothing

The protocol, the tables and the conclusions are in ``results/real_data.md``.
"""

import time
from collections import Counter
from dataclasses import dataclass, field

import _harness as harness
import numpy as np
import torch
from sklearn.metrics import accuracy_score, mean_absolute_percentage_error
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    TimeSeriesSplit,
)
from sklearn.pipeline import Pipeline

from skrnn import RNNClassifier, RNNRegressor, SequenceWindower, recursive_forecast

CORE_GRID = {
    "hidden_size": [32, 64],
    "max_epochs": ["auto", 200],
    "lr": [1e-3, 1e-2],
}
AIRLINE_WINDOW = 12  # the default row's window: one seasonal period


@dataclass
class Case:
    name: str
    metric: str  # "accuracy", "RMSE" or "MAPE"
    anchors: dict  # published results, {method: value}
    default_target: float
    tuned_target: float | None
    X_train: object
    y_train: object
    score: object  # function(fitted model) -> test metric
    default: object  # function(seed) -> unfitted default model
    grid: dict
    cv: object  # function(seed) -> CV splitter
    cv_text: str  # the splitter, for the report
    scoring: str
    cv_metric: str  # what the CV score is, for the report
    references: dict = field(default_factory=dict)  # computed from the data

    def search(self, seed):
        return GridSearchCV(
            self.default(seed),
            self.grid,
            cv=self.cv(seed),
            scoring=self.scoring,
            n_jobs=1,
            error_score="raise",
        )


def _classification(name, anchors, default_target, tuned_target):
    X_train, y_train = harness.ucr_uea(name, "train")
    X_test, y_test = harness.ucr_uea(name, "test")
    labels, counts = np.unique(y_test, return_counts=True)
    majority = np.full(len(y_test), labels[counts.argmax()])
    return Case(
        name="".join(part.title() for part in name.split("_")),
        metric="accuracy",
        anchors=anchors,
        default_target=default_target,
        tuned_target=tuned_target,
        X_train=X_train,
        y_train=y_train,
        score=lambda model: accuracy_score(y_test, model.predict(X_test)),
        default=lambda seed: RNNClassifier(random_state=seed),
        grid={**CORE_GRID, "bidirectional": [False, True]},
        cv=lambda seed: StratifiedKFold(5, shuffle=True, random_state=seed),
        cv_text="StratifiedKFold(5, shuffle=True, random_state=seed)",
        scoring="accuracy",
        cv_metric="accuracy",
        references={"majority class": accuracy_score(y_test, majority)},
    )


def _rmse(y_true, y_pred):
    return float(np.sqrt(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)))


def covid_3month():
    X_train, y_train = harness.covid_3month("train")
    X_test, y_test = harness.covid_3month("test")
    return Case(
        name="Covid3Month",
        metric="RMSE",
        anchors={"ROCKET": 0.0389, "FCN": 0.0436, "training mean": 0.0447},
        default_target=0.043,
        tuned_target=0.0436,
        X_train=X_train,
        y_train=y_train,
        score=lambda model: _rmse(y_test, model.predict(X_test)),
        default=lambda seed: RNNRegressor(random_state=seed),
        grid={**CORE_GRID, "early_stopping": [False, True]},
        cv=lambda seed: KFold(5, shuffle=True, random_state=seed),
        cv_text="KFold(5, shuffle=True, random_state=seed)",
        scoring="neg_root_mean_squared_error",
        cv_metric="RMSE",
        references={
            "training mean": _rmse(y_test, np.full(len(y_test), y_train.mean()))
        },
    )


def airline():
    data = harness.Airline()
    z, horizon = data.z, data.horizon

    def mape(z_forecast):
        return mean_absolute_percentage_error(
            data.test, data.passengers_from(z_forecast)
        )

    def default(seed):
        return Pipeline(
            [
                ("win", SequenceWindower(window=AIRLINE_WINDOW)),
                ("rnn", RNNRegressor(random_state=seed)),
            ]
        )

    seasonal_naive = np.tile(data.train.to_numpy()[-12:], horizon // 12)
    return Case(
        name="Airline",
        metric="MAPE",
        anchors={"AutoARIMA": 0.0415, "Holt-Winters": 0.0511, "seasonal naive": 0.1319},
        default_target=0.065,
        tuned_target=None,
        X_train=z.to_frame().iloc[:-1],
        y_train=z.shift(-1).iloc[:-1],
        score=lambda model: mape(recursive_forecast(model, z, horizon)),
        default=default,
        grid={
            "win__window": [12, 24],
            **{f"rnn__{key}": values for key, values in CORE_GRID.items()},
        },
        cv=lambda seed: TimeSeriesSplit(3),
        cv_text="TimeSeriesSplit(3)",
        scoring="neg_mean_absolute_error",
        cv_metric="one-step MAE of z",
        references={
            "seasonal naive": mean_absolute_percentage_error(data.test, seasonal_naive),
            "z = 0 (same growth as a year before)": mape(np.zeros(horizon)),
            "z = training mean of z": mape(np.full(horizon, z.mean())),
        },
    )


def make_cases():
    return [
        _classification(
            "italy_power_demand",
            {"ROCKET": 0.970, "LSTM-FCN": 0.962, "1NN-DTW": 0.950},
            default_target=0.96,
            tuned_target=0.962,
        ),
        _classification(
            "basic_motions",
            {"ROCKET family": 1.000},
            default_target=0.975,
            tuned_target=None,
        ),
        covid_3month(),
        airline(),
    ]


def _params(params):
    return ", ".join(
        f"{key.removeprefix('rnn__').removeprefix('win__')}={value}"
        for key, value in params.items()
    )


def run(case, kind, seeds):
    """One row: the default estimator or the search, fitted once per seed."""
    values, seconds, tuned = [], [], []
    for seed in seeds:
        model = case.default(seed) if kind == "default" else case.search(seed)
        start = time.perf_counter()
        model.fit(case.X_train, case.y_train)
        seconds.append(time.perf_counter() - start)
        fitted = model if kind == "default" else model.best_estimator_
        values.append(float(case.score(fitted)))
        harness.log(f"{case.name} {kind} seed {seed}: {case.metric} {values[-1]:.4f}")
        if kind == "tuned":
            # The CV score and rank of the default parameters, in every grid.
            defaults = case.default(seed).get_params()
            index = model.cv_results_["params"].index(
                {key: defaults[key] for key in case.grid}
            )
            tuned.append(
                {
                    "seed": seed,
                    "params": _params(model.best_params_),
                    "cv_score": abs(float(model.best_score_)),
                    "default_cv": abs(model.cv_results_["mean_test_score"][index]),
                    "rank": model.cv_results_["rank_test_score"][index],
                    "value": values[-1],
                }
            )
    target = case.default_target if kind == "default" else case.tuned_target
    higher = case.metric == "accuracy"
    mean = float(np.mean(values))
    row = {
        "case": case.name,
        "row": kind,
        "metric": case.metric,
        "values": values,
        "mean": mean,
        "sd": float(np.std(values)),
        "fit_s": float(np.mean(seconds)),
        "anchors": case.anchors,
        "target": target,
        "met": None
        if target is None
        else (mean >= target if higher else mean <= target),
    }
    if tuned:
        choice, count = Counter(t["params"] for t in tuned).most_common(1)[0]
        row["tuned"] = {
            "grid": ", ".join(f"`{key}` {values}" for key, values in case.grid.items()),
            "candidates": int(np.prod([len(v) for v in case.grid.values()])),
            "cv": f"`{case.cv_text}`, scoring `{case.scoring}`; the CV scores below "
            f"are the mean {case.cv_metric} over the folds",
            "choice": f"({count} of {len(tuned)} seeds): {choice}",
            "seeds": tuned,
        }
    return row


def measure(args):
    torch.set_num_threads(args.threads)

    cases = make_cases()
    # Warm up torch (first-call overheads) so that the first timed fit is not slowed.
    RNNRegressor(max_epochs=2, random_state=0).fit(cases[0].X_train, np.arange(67))
    seeds = (0,) if args.quick else harness.SEEDS
    kinds = ("default",) if args.quick else ("default", "tuned")
    references = [
        {"case": case.name, "metric": case.metric, "name": name, "value": value}
        for case in cases
        for name, value in case.references.items()
    ]
    return {
        "environment": {"seeds": str(list(seeds)), "GridSearchCV n_jobs": 1},
        "results": [run(case, kind, seeds) for case in cases for kind in kinds],
        "references": references,
    }


def _fmt(metric, value):
    return f"{value:.3f}" if metric == "accuracy" else f"{value:.4f}"


def _target(row):
    if row["target"] is None:
        return "no target"
    sign = ">=" if row["metric"] == "accuracy" else "<="
    met = "met" if row["met"] else "**not met**"
    return f"{met} ({sign} {_fmt(row['metric'], row['target'])})"


RESULTS = {
    "case": "{case}",
    "row": "{row}",
    "metric": "{metric}",
    "mean ± sd": lambda r: (
        f"{_fmt(r['metric'], r['mean'])} ± {_fmt(r['metric'], r['sd'])}"
    ),
    "per seed": lambda r: " ".join(_fmt(r["metric"], v) for v in r["values"]),
    "fit s": "{fit_s:.1f}",
    "published": lambda r: ", ".join(
        f"{name} {_fmt(r['metric'], value)}" for name, value in r["anchors"].items()
    ),
    "target": _target,
}


def render(data):
    parts = [
        harness.stamp(data["environment"]),
        "## Results",
        harness.table(data["results"], RESULTS, "lllllrll"),
        "## References computed from the data",
        "Simple predictors, computed here to check the data and the metric against "
        "the published numbers:",
        "\n".join(
            f"- {r['case']}, {r['name']}: {r['metric']} {_fmt(r['metric'], r['value'])}"
            for r in data["references"]
        ),
    ]
    tuned_rows = [row for row in data["results"] if "tuned" in row]
    if tuned_rows:
        parts.append("## Tuned parameters")
    for row in tuned_rows:
        tuned = row["tuned"]
        columns = {
            "seed": "{seed}",
            "chosen parameters": "{params}",
            "CV score": "{cv_score:.4f}",
            f"CV score of the defaults (rank of {tuned['candidates']})": (
                "{default_cv:.4f} ({rank})"
            ),
            f"test {row['metric']}": lambda r, m=row["metric"]: _fmt(m, r["value"]),
        }
        parts += [
            f"### {row['case']}",
            f"- grid ({tuned['candidates']} candidates): {tuned['grid']}\n"
            f"- cv: {tuned['cv']}\n"
            f"- most common choice {tuned['choice']}",
            harness.table(tuned["seeds"], columns, "rlrrr"),
        ]
    return "\n\n".join(parts)


if __name__ == "__main__":
    parser = harness.parser(__doc__)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args()
    harness.run(
        args, "real_data", "real_data.md", measure, render, ["sktime", "pandas"]
    )
