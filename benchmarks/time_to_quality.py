"""Time to quality: the default RNNRegressor against a course's hand-written recipe.

Both fit the noisy sine of ``examples/plot_metrics_persistence_tuning.py``
(``_harness.noisy_sine``) once per seed, interleaved: test error, fit time, and
how soon each reaches a given error (from a second, untimed pass that records
the test error after every epoch).

Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/time_to_quality.py   # full run (~1 min)
    python benchmarks/time_to_quality.py --quick    # smoke run (~10 s), writes nothing

The protocol, the tables and the conclusions are in ``results/speed.md``.
"""

import statistics
import time

import numpy as np
import torch

torch.set_num_threads(1)

import _harness as harness  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402
from torch import nn  # noqa: E402

from skrnn import RNNRegressor  # noqa: E402

WINDOW = 50
NOISE = 0.1
RECIPE_EPOCHS = 20
RECIPE_BATCH_SIZE = 32
RECIPE_LR = 1e-3
QUICK_EPOCHS = 2
RECIPE = "course recipe"
SKRNN = "RNNRegressor defaults"


def mse(y_true, y_pred):
    return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))


class CourseRNN(nn.Module):
    """``SimpleRNN(32, relu) -> Dense(8, relu) -> Dense(1)`` on the last time step."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(1, 32, nonlinearity="relu", batch_first=True)
        self.dense = nn.Sequential(nn.Linear(32, 8), nn.ReLU(), nn.Linear(8, 1))

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.dense(out[:, -1]).squeeze(-1)


def fit_recipe(X, y, seed, epochs, after_epoch=None):
    """(a) The course recipe as a hand-written loop.

    Returns the model, the seconds from the start of the fit to the end of each
    epoch and, when ``after_epoch`` is given, what it returned after each.
    """
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = CourseRNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=RECIPE_LR)
    X = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.float32)
    epoch_ends, after = [], []
    for _ in range(epochs):
        order = torch.randperm(len(X))
        for lo in range(0, len(X), RECIPE_BATCH_SIZE):
            batch = order[lo : lo + RECIPE_BATCH_SIZE]
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(X[batch]), y[batch])
            loss.backward()
            optimizer.step()
        epoch_ends.append(time.perf_counter() - start)
        if after_epoch is not None:
            after.append(after_epoch(model))
    return model, epoch_ends, after


def predict_recipe(model, X):
    with torch.no_grad():
        return model(torch.tensor(X, dtype=torch.float32)).numpy().astype(np.float64)


class EpochWeights(Callback):
    """Keeps a copy of the network's weights after every epoch, so that the test
    error of each epoch is computed afterwards by ``predict`` itself (scaling
    included); skrnn's own callbacks are dropped after a fit, user callbacks stay
    in ``net_.callbacks_``."""

    def on_train_begin(self, net, **kwargs):
        self.weights_ = []

    def on_epoch_end(self, net, **kwargs):
        state = net.module_.state_dict()
        self.weights_.append({key: value.clone() for key, value in state.items()})


def fit_skrnn(X, y, seed, max_epochs=None, callbacks=None):
    """(b) RNNRegressor with its defaults (``max_epochs`` only for --quick)."""
    params = {"random_state": seed}
    if max_epochs is not None:
        params["max_epochs"] = max_epochs
    if callbacks is not None:
        params["callbacks"] = callbacks
    return RNNRegressor(**params).fit(X, y)


def test_curves(task, seeds, recipe_epochs, skrnn_epochs):
    """Test MSE after every epoch, per method and seed (untimed)."""
    X_train, y_train, X_test, y_test, _ = task
    found = {RECIPE: [], SKRNN: []}
    for seed in seeds:
        _, _, curve = fit_recipe(
            X_train,
            y_train,
            seed,
            recipe_epochs,
            lambda model: mse(y_test, predict_recipe(model, X_test)),
        )
        found[RECIPE].append(curve)
        weights = [("weights", EpochWeights())]
        reg = fit_skrnn(X_train, y_train, seed, skrnn_epochs, callbacks=weights)
        final = reg.predict(X_test)
        predicted = []
        for state in dict(reg.net_.callbacks_)["weights"].weights_:
            reg.net_.module_.load_state_dict(state)
            predicted.append(reg.predict(X_test))
        np.testing.assert_array_equal(predicted[-1], final)
        found[SKRNN].append([mse(y_test, p) for p in predicted])
    return found


def time_to(threshold, curves, epoch_ends):
    """Median epoch and seconds at which the seeds that reach ``threshold`` do."""
    reached = []
    for curve, ends in zip(curves, epoch_ends, strict=True):
        epoch = next((i for i, value in enumerate(curve) if value <= threshold), None)
        if epoch is not None:
            reached.append((epoch + 1, ends[epoch]))
    if not reached:
        return {"reached": 0, "seeds": len(curves)}
    epochs, seconds = zip(*reached, strict=True)
    return {
        "reached": len(reached),
        "seeds": len(curves),
        "epoch": statistics.median(epochs),
        "seconds": statistics.median(seconds),
    }


def measure(args):
    seeds = harness.SEEDS[:1] if args.quick else harness.SEEDS
    recipe_epochs = QUICK_EPOCHS if args.quick else RECIPE_EPOCHS
    skrnn_epochs = QUICK_EPOCHS if args.quick else None  # None: the default
    task = harness.noisy_sine(window=WINDOW, noise=NOISE)
    X_train, y_train, X_test, y_test, floor_forecast = task
    # Pay for torch's and skorch's lazy imports before any timing.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    fit_recipe(X_train[:64], y_train[:64], seed=0, epochs=1)
    fit_skrnn(X_train[:64], y_train[:64], seed=0, max_epochs=1)

    timings = harness.interleaved(
        {
            RECIPE: lambda seed: fit_recipe(X_train, y_train, seed, recipe_epochs),
            SKRNN: lambda seed: fit_skrnn(X_train, y_train, seed, skrnn_epochs),
        },
        seeds,
    )
    recipes, regs = timings[RECIPE].results, timings[SKRNN].results
    mses = {
        RECIPE: [mse(y_test, predict_recipe(model, X_test)) for model, *_ in recipes],
        SKRNN: [mse(y_test, reg.predict(X_test)) for reg in regs],
    }
    epoch_ends = {RECIPE: [ends for _, ends, _ in recipes], SKRNN: []}
    for reg, wall in zip(regs, timings[SKRNN].wall, strict=True):
        durations = np.array(reg.net_.history[:, "dur"])
        after = np.cumsum(durations[::-1])[::-1]  # this epoch's and later ones'
        epoch_ends[SKRNN].append(list(wall - after + durations))
    per_epoch = test_curves(task, seeds, recipe_epochs, skrnn_epochs)
    for name in per_epoch:
        for curve, value in zip(per_epoch[name], mses[name], strict=True):
            assert curve[-1] == value, (name, curve[-1], value)

    summary = []
    for name, timing in timings.items():
        epochs, wall = len(per_epoch[name][0]), statistics.median(timing.wall)
        summary.append(
            {
                "method": name,
                "epochs": epochs,
                "mse_mean": statistics.mean(mses[name]),
                "mse_sd": statistics.stdev(mses[name]) if len(seeds) > 1 else None,
                "wall_median": wall,
                "per_epoch_ms": 1e3 * wall / epochs,
                "cpu_median": statistics.median(timing.cpu),
                "wall_ratio": wall / timings[RECIPE].median,
                "mse_ratio": statistics.mean(mses[name])
                / statistics.mean(mses[RECIPE]),
            }
        )
    floor, persistence = mse(y_test, floor_forecast), mse(y_test, X_test[:, -1, 0])
    summary += [
        {"method": "noise-free signal (floor)", "mse_mean": floor},
        {"method": "last value of the window (persistence)", "mse_mean": persistence},
    ]
    measured = {
        "mse": mses,
        "wall": {name: timing.wall for name, timing in timings.items()},
        "cpu": {name: timing.cpu for name, timing in timings.items()},
    }
    per_seed = []
    for i, seed in enumerate(seeds):
        row = {"seed": seed}
        for key, values in measured.items():
            recipe, skrnn = values[RECIPE][i], values[SKRNN][i]
            row |= {f"recipe_{key}": recipe, f"skrnn_{key}": skrnn}
            row[f"{key}_ratio"] = skrnn / recipe
        per_seed.append(row)
    ratios = ("mse_ratio", "wall_ratio", "cpu_ratio")
    medians = {key: statistics.median(row[key] for row in per_seed) for key in ratios}
    thresholds = {
        f"beats persistence (MSE <= {persistence:.4f})": persistence,
        f"within 1.5x the floor (MSE <= {1.5 * floor:.4f})": 1.5 * floor,
        f"within 1.2x the floor (MSE <= {1.2 * floor:.4f})": 1.2 * floor,
    }
    quality = [
        {
            "quality": label,
            "method": name,
            **time_to(value, per_epoch[name], epoch_ends[name]),
        }
        for label, value in thresholds.items()
        for name in timings
    ]
    mean_curves = [
        {"method": name, "mse": list(np.mean(curves, axis=0))}
        for name, curves in per_epoch.items()
    ]
    return {
        "summary": summary,
        "per_seed": [*per_seed, {"seed": "median", **medians}],
        "quality": quality,
        "curves": mean_curves,
    }


def _mse(row):
    if row.get("mse_sd") is None:
        return f"{row['mse_mean']:.4f}"
    return f"{row['mse_mean']:.4f} ± {row['mse_sd']:.4f}"


SUMMARY = {
    "method": "{method}",
    "epochs": "{epochs}",
    "test MSE (mean ± sd)": _mse,
    "median fit wall (s)": "{wall_median:.2f}",
    "per epoch (ms)": "{per_epoch_ms:.0f}",
    "median fit CPU (s)": "{cpu_median:.2f}",
    "wall / recipe (median)": "{wall_ratio:.2f}x",
    "MSE / recipe (mean)": "{mse_ratio:.2f}x",
}
PER_SEED = {
    "seed": "{seed}",
    "recipe MSE": "{recipe_mse:.4f}",
    "RNNRegressor MSE": "{skrnn_mse:.4f}",
    "MSE ratio": "{mse_ratio:.2f}x",
    "recipe wall (s)": "{recipe_wall:.2f}",
    "RNNRegressor wall (s)": "{skrnn_wall:.2f}",
    "wall ratio": "{wall_ratio:.2f}x",
    "CPU ratio": "{cpu_ratio:.2f}x",
}
QUALITY = {
    "quality": "{quality}",
    "method": "{method}",
    "seeds reaching it": "{reached}/{seeds}",
    "median epoch": "{epoch:g}",
    "median seconds": "{seconds:.2f}",
}


def render(data):
    per_seed = [row for row in data["per_seed"] if row["seed"] != "median"]
    fit_times = [
        f"- {name}: wall "
        + ", ".join(f"{row[f'{key}_wall']:.2f}" for row in per_seed)
        + "; CPU "
        + ", ".join(f"{row[f'{key}_cpu']:.2f}" for row in per_seed)
        for name, key in ((RECIPE, "recipe"), (SKRNN, "skrnn"))
    ]
    return "\n\n".join(
        [
            harness.stamp(data["environment"]),
            harness.table(data["summary"], SUMMARY, "l" + "r" * 7),
            "Per seed (ratios are RNNRegressor / recipe):",
            harness.table(data["per_seed"], PER_SEED, "r" * 8),
            "Time to quality: the first epoch after which the test MSE is at most the "
            "threshold, and when that epoch ended within the timed fit (medians over "
            "the seeds that reach it). The floor is the noise-free signal's test MSE.",
            harness.table(data["quality"], QUALITY, "llrrr", missing="-"),
            "Test MSE after each epoch, mean over the seeds (from an untimed refit "
            "that ends at exactly the timed test MSE):",
            "\n".join(
                f"- {row['method']}: " + ", ".join(f"{v:.4f}" for v in row["mse"])
                for row in data["curves"]
            ),
            "Fit times per seed (s):",
            "\n".join(fit_times),
        ]
    )


if __name__ == "__main__":
    args = harness.parser(__doc__).parse_args()
    harness.run(args, "time_to_quality", "speed.md", measure, render)
