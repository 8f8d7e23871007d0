"""Time to quality: the default RNNRegressor against a course's hand-written recipe.

Run from the repository root::

    python benchmarks/time_to_quality.py            # full run (~1 min), writes results
    python benchmarks/time_to_quality.py --quick    # smoke run (~5 s), writes nothing

The task is the one of ``examples/plot_metrics_persistence_tuning.py``: 1,000
steps of ``sin(0.1 t) + 0.5 cos(0.05 t)`` plus Gaussian noise of standard
deviation 0.1 (one series, drawn once), cut by ``make_windows(series, window=50)``
into windows and next values; the first 80% of the windows train and the last
20% test, in time order. Two references frame the errors: the noise-free signal
(the best possible forecast, the floor near 0.1**2) and the last value of each
window (persistence, the trivial forecast).

Two methods are fitted on the same windows, once per seed 0..4:

(a) ``course recipe``: the Keras recipe ``SimpleRNN(32, activation="relu") ->
    Dense(8, relu) -> Dense(1)``, Adam at Keras's default lr 1e-3, MSE, 20
    epochs, written out as the hand-written PyTorch loop of
    ``examples/plot_noisy_sine_course_recipe.py`` (``nn.RNN`` with ReLU, PyTorch's
    default initialisation, shuffled mini-batches, unscaled data as in the
    course). Batches of 32: ``model.fit`` is called without ``batch_size`` in the
    recipe, so Keras uses its default of 32 (the example's 16 is that example's
    notes' choice for another task). Seeded by ``torch.manual_seed(seed)``.
(b) ``RNNRegressor defaults``: ``RNNRegressor(random_state=seed)``, every other
    parameter at its default (LSTM of 64 units, linear head, Adam at lr 1e-2,
    batches of 32, ``max_epochs="auto"``: 50 epochs on these 760 windows,
    gradient norm clipped at 1, inputs and targets
    standardised inside the estimator).

Timing: torch runs on one thread (``torch.set_num_threads(1)``, set below before
anything else runs). The machine is shared with other jobs, so the two methods
are interleaved (a, b, a, b, ... one pair per seed) and medians are reported,
with the ratio of RNNRegressor's wall time to the recipe's per seed and of the
medians. Wall time is ``time.perf_counter`` around the fit only; the process CPU
time of the same fit is reported beside it, because it leaves out the time the
process waited for a core. torch imports ``torch._dynamo`` when it builds its
first optimizer (~1.5 s), and each method pays for lazy imports at its first
fit, so one optimizer and one short fit of each are made before any timing.

Time to quality: a second, untimed pass refits both methods with the same seeds
and records the test MSE after every epoch (the recipe calls a function after
each epoch; RNNRegressor takes a skorch callback that runs its network on the
test windows and is unscaled by the mean and standard deviation of the training
targets, as RNNRegressor does). Neither consumes random numbers, so the last
epoch gives exactly the timed pass's test MSE (checked). The time at which an
epoch ended is read from the timed pass: the recipe's loop records it, and for
RNNRegressor it is the fit's wall time minus the durations (``history`` column
``dur``) of the epochs after it.
"""

import argparse
import datetime
import os
import platform
import statistics
import time

import numpy as np
import torch

torch.set_num_threads(1)

import sklearn  # noqa: E402
import skorch  # noqa: E402
from _results import publish  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402
from torch import nn  # noqa: E402

from skrnn import RNNRegressor, make_windows  # noqa: E402

N_STEPS = 1000
WINDOW = 50
NOISE = 0.1
TRAIN_FRACTION = 0.8
SEEDS = (0, 1, 2, 3, 4)
RECIPE_EPOCHS = 20
RECIPE_BATCH_SIZE = 32
RECIPE_LR = 1e-3
QUICK_EPOCHS = 2
COMMAND = "OMP_NUM_THREADS=1 python benchmarks/time_to_quality.py"
RECIPE = "course recipe"
SKRNN = "RNNRegressor defaults"


def make_task(seed=0):
    """Train and test windows of the noisy series, and the two reference forecasts."""
    rng = np.random.default_rng(seed)
    t = np.arange(N_STEPS)
    signal = np.sin(0.1 * t) + 0.5 * np.cos(0.05 * t)
    series = signal + NOISE * rng.normal(size=N_STEPS)
    X, y = make_windows(series, window=WINDOW)
    n_train = int(TRAIN_FRACTION * len(X))
    n_test = len(X) - n_train
    references = {
        "noise-free signal (floor)": signal[-n_test:],
        "last value of the window (persistence)": X[n_train:, -1, 0],
    }
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:], references


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

    Returns the model, the ``time.perf_counter`` at the end of each epoch and,
    when ``after_epoch`` is given, what ``after_epoch(model)`` returned after each.
    """
    torch.manual_seed(seed)
    model = CourseRNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=RECIPE_LR)
    X = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.float32)
    epoch_ends, after = [], []
    for _ in range(epochs):
        order = torch.randperm(len(X))
        for start in range(0, len(X), RECIPE_BATCH_SIZE):
            batch = order[start : start + RECIPE_BATCH_SIZE]
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(X[batch]), y[batch])
            loss.backward()
            optimizer.step()
        epoch_ends.append(time.perf_counter())
        if after_epoch is not None:
            after.append(after_epoch(model))
    return model, epoch_ends, after


def predict_recipe(model, X):
    with torch.no_grad():
        return model(torch.tensor(X, dtype=torch.float32)).numpy().astype(np.float64)


class TestOutputs(Callback):
    """Runs the network on ``X`` after every epoch and keeps its raw outputs.

    The outputs are on the standardised target scale; skrnn's own callbacks are
    dropped after a fit, user callbacks stay in ``net_.callbacks_``.
    """

    def __init__(self, X):
        self.X = X

    def on_train_begin(self, net, **kwargs):
        self.outputs_ = []

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        training = module.training
        module.eval()  # as in predict (no dropout, float64 head)
        with torch.inference_mode():
            out = module(torch.as_tensor(self.X, dtype=torch.float32))
        module.train(training)
        self.outputs_.append(out.numpy().astype(np.float64).ravel())


def fit_skrnn(X, y, seed, max_epochs=None, callbacks=None):
    """(b) RNNRegressor with its defaults (``max_epochs`` only for --quick)."""
    params = {"random_state": seed}
    if max_epochs is not None:
        params["max_epochs"] = max_epochs
    if callbacks is not None:
        params["callbacks"] = callbacks
    return RNNRegressor(**params).fit(X, y)


def timed(function, *args, **kwargs):
    start, start_cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    return result, start, wall, cpu


def warm_up(X_train, y_train):
    """Pay for torch's and skorch's lazy imports before any timing."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    fit_recipe(X_train[:64], y_train[:64], seed=0, epochs=1)
    fit_skrnn(X_train[:64], y_train[:64], seed=0, max_epochs=1)


def timed_pass(task, seeds, recipe_epochs, skrnn_epochs):
    """Fit both methods per seed, interleaved; MSE, wall, CPU and epoch end times."""
    X_train, y_train, X_test, y_test, _ = task
    rows = {RECIPE: [], SKRNN: []}
    for seed in seeds:
        (model, ends, _), start, wall, cpu = timed(
            fit_recipe, X_train, y_train, seed, recipe_epochs
        )
        rows[RECIPE].append(
            {
                "seed": seed,
                "mse": mse(y_test, predict_recipe(model, X_test)),
                "wall": wall,
                "cpu": cpu,
                "epoch_times": [end - start for end in ends],
            }
        )
        reg, _, wall, cpu = timed(fit_skrnn, X_train, y_train, seed, skrnn_epochs)
        durations = list(reg.net_.history[:, "dur"])
        after = np.cumsum(durations[::-1])[::-1]  # time of this and later epochs
        rows[SKRNN].append(
            {
                "seed": seed,
                "mse": mse(y_test, reg.predict(X_test)),
                "wall": wall,
                "cpu": cpu,
                "epoch_times": [
                    wall - a + d for a, d in zip(after, durations, strict=True)
                ],
            }
        )
        print(
            f"seed {seed}  "
            + "  ".join(
                f"{name}: MSE {r[-1]['mse']:.4f} wall {r[-1]['wall']:.2f} s "
                f"cpu {r[-1]['cpu']:.2f} s"
                for name, r in rows.items()
            )
        )
    return rows


def curve_pass(task, seeds, recipe_epochs, skrnn_epochs):
    """Test MSE after every epoch, per method and seed (untimed)."""
    X_train, y_train, X_test, y_test, _ = task
    # RNNRegressor standardises y by its mean and (population) standard deviation.
    y_mean, y_scale = y_train.mean(), y_train.std()
    curves = {RECIPE: [], SKRNN: []}

    def test_mse(model):
        return mse(y_test, predict_recipe(model, X_test))

    for seed in seeds:
        _, _, curve = fit_recipe(X_train, y_train, seed, recipe_epochs, test_mse)
        curves[RECIPE].append(curve)
        reg = fit_skrnn(
            X_train,
            y_train,
            seed,
            skrnn_epochs,
            callbacks=[("test", TestOutputs(X_test))],
        )
        outputs = dict(reg.net_.callbacks_)["test"].outputs_
        predicted = [out * y_scale + y_mean for out in outputs]
        np.testing.assert_allclose(predicted[-1], reg.predict(X_test), rtol=1e-9)
        curves[SKRNN].append([mse(y_test, p) for p in predicted])
    return curves


def summary(values):
    return (
        f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"
        if len(values) > 1
        else f"{values[0]:.4f}"
    )


def time_to(threshold, rows, curves):
    """Per seed: the first epoch whose test MSE <= threshold and its time (or None)."""
    reached = []
    for row, curve in zip(rows, curves, strict=True):
        epoch = next((i for i, value in enumerate(curve) if value <= threshold), None)
        reached.append(
            None if epoch is None else (epoch + 1, row["epoch_times"][epoch])
        )
    return reached


def report(task, rows, curves, seeds):
    """The Markdown tables, the mean per-epoch curves and the verdict."""
    _, _, _, y_test, references = task
    reference_mse = {name: mse(y_test, pred) for name, pred in references.items()}
    floor = reference_mse["noise-free signal (floor)"]
    persistence = reference_mse["last value of the window (persistence)"]
    mses = {name: [r["mse"] for r in rows[name]] for name in rows}
    walls = {name: [r["wall"] for r in rows[name]] for name in rows}
    cpus = {name: [r["cpu"] for r in rows[name]] for name in rows}
    wall_ratio = [s / h for s, h in zip(walls[SKRNN], walls[RECIPE], strict=True)]
    cpu_ratio = [s / h for s, h in zip(cpus[SKRNN], cpus[RECIPE], strict=True)]
    mse_ratio = [s / h for s, h in zip(mses[SKRNN], mses[RECIPE], strict=True)]
    median_ratio = statistics.median(walls[SKRNN]) / statistics.median(walls[RECIPE])
    mean_mse_ratio = statistics.mean(mses[SKRNN]) / statistics.mean(mses[RECIPE])
    epochs = {name: len(curves[name][0]) for name in curves}

    lines = [
        "| method | epochs | test MSE (mean ± sd) | median fit wall (s) "
        "| per epoch (ms) | median fit CPU (s) | wall / recipe (median) "
        "| MSE / recipe (mean) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in rows:
        wall_r = median_ratio if name == SKRNN else 1.0
        mse_r = mean_mse_ratio if name == SKRNN else 1.0
        lines.append(
            f"| {name} | {epochs[name]} | {summary(mses[name])} | "
            f"{statistics.median(walls[name]):.2f} | "
            f"{1e3 * statistics.median(walls[name]) / epochs[name]:.0f} | "
            f"{statistics.median(cpus[name]):.2f} | {wall_r:.2f}x | {mse_r:.2f}x |"
        )
    for name, value in reference_mse.items():
        lines.append(f"| {name} | | {value:.4f} | | | | | |")
    main_table = "\n".join(lines)

    lines = [
        "| seed | recipe MSE | RNNRegressor MSE | MSE ratio | recipe wall (s) "
        "| RNNRegressor wall (s) | wall ratio | CPU ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, seed in enumerate(seeds):
        lines.append(
            f"| {seed} | {mses[RECIPE][i]:.4f} | {mses[SKRNN][i]:.4f} | "
            f"{mse_ratio[i]:.2f}x | {walls[RECIPE][i]:.2f} | {walls[SKRNN][i]:.2f} | "
            f"{wall_ratio[i]:.2f}x | {cpu_ratio[i]:.2f}x |"
        )
    lines.append(
        f"| median | | | {statistics.median(mse_ratio):.2f}x | | | "
        f"{statistics.median(wall_ratio):.2f}x | {statistics.median(cpu_ratio):.2f}x |"
    )
    seed_table = "\n".join(lines)

    near_floor = f"within 1.5x the floor (MSE <= {1.5 * floor:.4f})"
    thresholds = {
        f"beats persistence (MSE <= {persistence:.4f})": persistence,
        near_floor: 1.5 * floor,
        f"within 1.2x the floor (MSE <= {1.2 * floor:.4f})": 1.2 * floor,
    }
    quality = {}
    lines = [
        "| quality | method | seeds reaching it | median epoch | median seconds |",
        "|---|---|---:|---:|---:|",
    ]
    for label, threshold in thresholds.items():
        for name in rows:
            reached = [r for r in time_to(threshold, rows[name], curves[name]) if r]
            epoch = statistics.median(r[0] for r in reached) if reached else None
            seconds = statistics.median(r[1] for r in reached) if reached else None
            quality[label, name] = f"{len(reached)}/{len(seeds)} seeds" + (
                f" after a median {seconds:.2f} s (epoch {epoch:g})" if reached else ""
            )
            lines.append(
                f"| {label} | {name} | {len(reached)}/{len(seeds)} | "
                + (f"{epoch:g} | {seconds:.2f} |" if reached else "- | - |")
            )
    quality_table = "\n".join(lines)

    curve_lines = []
    for name in curves:
        mean_curve = np.mean(curves[name], axis=0)
        curve_lines.append(
            f"- {name}: " + ", ".join(f"{value:.4f}" for value in mean_curve)
        )
    curve_text = "\n".join(curve_lines)
    raw = "\n".join(
        f"- {name}: wall "
        + ", ".join(f"{w:.2f}" for w in walls[name])
        + "; CPU "
        + ", ".join(f"{c:.2f}" for c in cpus[name])
        for name in rows
    )

    verdict = (
        f"RNNRegressor's defaults end at a test MSE of {summary(mses[SKRNN])} "
        f"against the recipe's {summary(mses[RECIPE])} (ratio of the means "
        f"{mean_mse_ratio:.2f}x, median of the per-seed ratios "
        f"{statistics.median(mse_ratio):.2f}x; floor {floor:.4f}), in "
        f"{median_ratio:.2f}x the recipe's median wall time for {epochs[SKRNN]} "
        f"epochs against {epochs[RECIPE]}; {near_floor}: RNNRegressor on "
        f"{quality[near_floor, SKRNN]}, the recipe on {quality[near_floor, RECIPE]}."
    )
    return main_table, seed_table, quality_table, curve_text, raw, verdict


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"one seed, {QUICK_EPOCHS} epochs per method, no results file",
    )
    args = parser.parse_args(argv)
    seeds = SEEDS[:1] if args.quick else SEEDS
    recipe_epochs = QUICK_EPOCHS if args.quick else RECIPE_EPOCHS
    skrnn_epochs = QUICK_EPOCHS if args.quick else None  # None: the default

    begin = time.perf_counter()
    task = make_task()
    warm_up(task[0], task[1])
    rows = timed_pass(task, seeds, recipe_epochs, skrnn_epochs)
    curves = curve_pass(task, seeds, recipe_epochs, skrnn_epochs)
    for name in rows:
        for row, curve in zip(rows[name], curves[name], strict=True):
            assert curve[-1] == row["mse"], (name, row["seed"], curve[-1], row["mse"])
    total = time.perf_counter() - begin
    main_table, seed_table, quality_table, curve_text, raw, verdict = report(
        task, rows, curves, seeds
    )
    print(f"\n{main_table}\n\n{seed_table}\n\n{quality_table}\n\n{curve_text}\n")
    print(verdict)
    if args.quick:
        return

    X_train, _, X_test, _, _ = task
    text = f"""# Time to quality: default RNNRegressor vs a course's hand-written recipe

Command: `{COMMAND}` (from the repository root; {total:.0f} s in all)

- date: {datetime.date.today().isoformat()}
- torch {torch.__version__}, skorch {skorch.__version__}, scikit-learn \
{sklearn.__version__}, numpy {np.__version__}, Python {platform.python_version()}, \
{platform.machine()}
- machine: {os.cpu_count()} cores, shared with other jobs (timings are noisy)
- threads: `torch.set_num_threads(1)` (set at the top of the script), \
OMP_NUM_THREADS={os.environ.get("OMP_NUM_THREADS", "unset")}
- task: `sin(0.1 t) + 0.5 cos(0.05 t)` + N(0, {NOISE}²) noise, {N_STEPS} steps, \
`make_windows(series, window={WINDOW})`; {len(X_train)} training windows (first \
{TRAIN_FRACTION:.0%}), {len(X_test)} test windows (last), in time order; one \
series for all seeds
- course recipe: hand-written PyTorch loop of `SimpleRNN(32, relu) -> Dense(8, \
relu) -> Dense(1)`, Adam lr {RECIPE_LR:g}, MSE, batch {RECIPE_BATCH_SIZE} (Keras's \
default), {RECIPE_EPOCHS} epochs, unscaled data, `torch.manual_seed(seed)`
- RNNRegressor defaults: `RNNRegressor(random_state=seed)` (LSTM 64, Adam lr 1e-2, \
batch 32, 50 epochs, clip 1, standardised inputs and targets)
- seeds: {", ".join(map(str, seeds))}; test MSE is mean ± sd over the seeds
- timing: `fit` only (`time.perf_counter`), the methods interleaved (recipe, \
RNNRegressor, recipe, ...); medians over the seeds; "CPU" is the process CPU time \
of the same fits. One optimizer and one short fit of each method were made first.

{main_table}

Per seed (ratios are RNNRegressor / recipe):

{seed_table}

Time to quality: the first epoch after which the test MSE is at most the \
threshold, and when that epoch ended within the timed fit (medians over the \
seeds that reach it). The floor is the noise-free signal's test MSE.

{quality_table}

Test MSE after each epoch, mean over the seeds (from an untimed refit that ends \
at exactly the timed test MSE):

{curve_text}

Fit times per seed (s):

{raw}

Verdict: {verdict}
"""
    publish("time_to_quality", text)


if __name__ == "__main__":
    main()
