"""GridSearchCV with n_jobs=2 against n_jobs=1: speed-up and the parameters chosen.

Run from the repository root::

    python benchmarks/parallel_search.py            # full run (~4 min)
    python benchmarks/parallel_search.py --quick    # smoke run (~1 min), writes nothing

The protocol, the tables and the conclusions are in ``results/speed.md``.
"""

import _harness as harness
import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_validate
from sklearn.pipeline import Pipeline

from skrnn import RNNRegressor, SequenceWindower

GRID = {"win__window": [6, 12, 24], "rnn__hidden_size": [16, 32, 64]}
N_CANDIDATES = len(GRID["win__window"]) * len(GRID["rnn__hidden_size"])


class ThreadRecordingRNN(RNNRegressor):
    """RNNRegressor that remembers how many torch threads its fit ran with."""

    def fit(self, X, y, sample_weight=None):
        self.torch_threads_ = torch.get_num_threads()
        return super().fit(X, y, sample_weight)


def series(n_rows, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_rows)
    values = 300 + 50 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 5, n_rows)
    return values[:-1, None], values[1:]


def search(n_jobs, max_epochs, X, y):
    pipe = Pipeline(
        [
            ("win", SequenceWindower()),
            ("rnn", ThreadRecordingRNN(max_epochs=max_epochs, random_state=0)),
        ]
    )
    gs = GridSearchCV(
        pipe,
        GRID,
        cv=TimeSeriesSplit(n_splits=3),
        scoring="neg_root_mean_squared_error",
        n_jobs=n_jobs,
        return_train_score=False,
    )
    return gs.fit(X, y)


def fold_threads(n_jobs, X, y):
    """The torch thread counts the fold fits of a search ran with."""
    pipe = Pipeline(
        [
            ("win", SequenceWindower(window=12)),
            ("rnn", ThreadRecordingRNN(max_epochs=1, random_state=0)),
        ]
    )
    result = cross_validate(
        pipe, X, y, cv=TimeSeriesSplit(n_splits=3), n_jobs=n_jobs, return_estimator=True
    )
    return sorted({est[-1].torch_threads_ for est in result["estimator"]})


def measure(args):
    rounds, max_epochs, n_rows = (1, 1, 400) if args.quick else (3, 20, 2000)
    X, y = series(n_rows)
    default_threads = torch.get_num_threads()
    runs = {
        "1": (1, default_threads),
        "1, one thread": (1, 1),
        "2": (2, default_threads),
    }

    def method(n_jobs, n_threads):
        def fit(_):
            torch.set_num_threads(n_threads)
            return search(n_jobs, max_epochs, X, y)

        return fit

    methods = {label: method(*run) for label, run in runs.items()}
    threads = {"1": fold_threads(1, X, y), "1, one thread": [1]}
    threads["2"] = fold_threads(2, X, y)
    # One untimed round starts joblib's workers and pays torch's one-off costs.
    harness.interleaved(methods, [0])
    timings = harness.interleaved(methods, range(rounds))
    torch.set_num_threads(default_threads)
    without_refit = {
        label: min(w - gs.refit_time_ for w, gs in zip(t.wall, t.results, strict=True))
        for label, t in timings.items()
    }
    rows = [
        {
            "n_jobs": label,
            "threads": threads[label],
            "wall_min": timing.min,
            "wall_median": timing.median,
            "speedup": timings["1"].min / timing.min,
            "cv_min": without_refit[label],
            "cv_speedup": without_refit["1"] / without_refit[label],
        }
        for label, timing in timings.items()
    ]
    choices = [
        {
            "n_jobs": label,
            "best_params": timings[label].results[-1].best_params_,
            "cv_scores": timings[label].results[-1].cv_results_["mean_test_score"],
        }
        for label in ("1", "2")
    ]
    search_text = (
        f"SequenceWindower + RNNRegressor(max_epochs={max_epochs}), {N_CANDIDATES} "
        f"candidates ({GRID}) x 3 TimeSeriesSplit folds + refit, {n_rows - 1} rows; "
        f"{rounds} rounds, the three runs alternating"
    )
    return {"environment": {"search": search_text}, "results": rows, "choices": choices}


COLUMNS = {
    "n_jobs": "{n_jobs}",
    "torch threads per fit": "{threads}",
    "wall min (s)": "{wall_min:.1f}",
    "wall median (s)": "{wall_median:.1f}",
    "speed-up (min)": "{speedup:.2f}x",
    "min without the refit (s)": "{cv_min:.1f}",
    "its speed-up": "{cv_speedup:.2f}x",
}


def render(data):
    choices = [
        f"- n_jobs={row['n_jobs']}: {row['best_params']}; "
        f"{np.round(row['cv_scores'], 3).tolist()}"
        for row in data["choices"]
    ]
    return "\n\n".join(
        [
            harness.stamp(data["environment"]),
            harness.table(data["results"], COLUMNS, "rlrrrrr"),
            "Best parameters and mean CV scores (negative RMSE) per candidate:",
            "\n".join(choices),
        ]
    )


if __name__ == "__main__":
    args = harness.parser(__doc__).parse_args()
    harness.run(args, "parallel_search", "speed.md", measure, render, ["joblib"])
