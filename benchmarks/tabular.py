"""A tabular user's comparison: a default RNNRegressor against gradient boosting.

The same windows of one hourly series (a daily and a weekly cycle and AR(1)
noise; the next value as target), at three data sizes: a default
``RNNRegressor`` on the windows against a default
``HistGradientBoostingRegressor`` on the same windows flattened into lag
columns, the first 80% of the windows to fit, the rest to test. Fit time (min of
interleaved rounds) and test R^2.

Run from the repository root::

    python benchmarks/tabular.py            # full run (~4 minutes)
    python benchmarks/tabular.py --quick    # smoke run, writes nothing

The protocol, the tables and the conclusions are in ``results/speed.md``.
"""

import _harness as harness
import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingRegressor

from skrnn import RNNRegressor, make_windows

WINDOW = 24
SIZES = (1000, 2000, 8000)
ROUNDS = 2


def series(n_rows, seed=0):
    t = np.arange(n_rows)
    daily, weekly = np.sin(2 * np.pi * t / 24), 0.5 * np.sin(2 * np.pi * t / 168)
    return daily + weekly + harness.ar1_noise(n_rows, seed)


def measure_size(n_windows, rounds):
    X, y = make_windows(series(n_windows + WINDOW), WINDOW)
    n_train = int(0.8 * len(X))
    X_train, y_train, X_test, y_test = (
        X[:n_train],
        y[:n_train],
        X[n_train:],
        y[n_train:],
    )
    flat_train, flat_test = (
        X_train.reshape(n_train, -1),
        X_test.reshape(len(X_test), -1),
    )

    def rnn(seed):
        model = RNNRegressor(random_state=seed).fit(X_train, y_train)
        return model.score(X_test, y_test), model.n_epochs_

    def boosting(seed):
        model = HistGradientBoostingRegressor(random_state=seed)
        return model.fit(flat_train, y_train).score(flat_test, y_test), None

    timings = harness.interleaved({"rnn": rnn, "hgb": boosting}, range(rounds))
    rnn_scores = [score for score, _ in timings["rnn"].results]
    hgb_scores = [score for score, _ in timings["hgb"].results]
    return {
        "windows": n_windows,
        "rnn_s": timings["rnn"].min,
        "hgb_s": timings["hgb"].min,
        "ratio": timings["rnn"].min / timings["hgb"].min,
        "rnn_r2": float(np.mean(rnn_scores)),
        "hgb_r2": float(np.mean(hgb_scores)),
        "epochs": float(np.mean([e for _, e in timings["rnn"].results])),
    }


def measure(args):
    torch.set_num_threads(2)
    sizes = SIZES[:1] if args.quick else SIZES
    rounds = 1 if args.quick else ROUNDS
    rows = []
    for n in sizes:
        rows.append(measure_size(n, rounds))
        harness.log(f"{n} windows done")
    timing = f"min of {rounds} interleaved rounds (seeds 0..{rounds - 1}); R^2 mean"
    return {"environment": {"timing": timing}, "results": rows}


COLUMNS = {
    "windows of 24 steps": "{windows:,}",
    "RNNRegressor fit (s)": "{rnn_s:.1f}",
    "epochs": "{epochs:.0f}",
    "HistGradientBoosting fit (s)": "{hgb_s:.2f}",
    "RNN / HGB time": "{ratio:.1f}x",
    "RNN test R^2": "{rnn_r2:.3f}",
    "HGB test R^2": "{hgb_r2:.3f}",
}


def render(data):
    results = harness.table(data["results"], COLUMNS, "r" * len(COLUMNS))
    return harness.stamp(data["environment"]) + "\n\n" + results


if __name__ == "__main__":
    harness.run(
        harness.parser(__doc__).parse_args(), "tabular", "speed.md", measure, render
    )
