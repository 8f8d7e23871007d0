"""Per-batch training overhead of RNNRegressor against a hand-written PyTorch loop.

Run from the repository root::

    python benchmarks/fit_overhead.py            # full run, writes the results file
    python benchmarks/fit_overhead.py --quick    # CI smoke run (~20 s), writes nothing

The same model is trained three ways, timing the whole ``fit`` of each:

(a) ``hand loop``: a hand-written PyTorch loop over preloaded float32 tensors,
    shuffled by ``torch.randperm`` every epoch and cut into batches by indexing;
    ``nn.LSTM(batch_first=True)`` plus ``nn.Linear`` on the last time step,
    ``MSELoss``, ``Adam``, ``zero_grad``/``backward``/``step``.
(b) ``skorch default``: skorch's ``NeuralNetRegressor`` with its defaults, i.e. its
    ``DataLoader`` over skorch's per-sample ``Dataset`` with the default collate
    (``iterator_train__shuffle=True`` so that it shuffles like the others),
    ``train_split=None`` (no validation), ``verbose=0``.
(c) ``RNNRegressor``: ``skrnn.RNNRegressor(hidden_size=32, batch_size=32,
    lr=1e-3, max_epochs=3, random_state=0)``.

All three do the same math, so that only the per-batch overhead differs:
LSTM with 32 hidden units, batches of 32, windows of 50 steps of a univariate
series, 20,000 samples, Adam with lr 1e-3, 3 epochs. RNNRegressor clips the
gradient norm at 1.0 by default (``clip_grad_norm=1.0``) and standardises ``X``
per feature inside its module and ``y`` outside it, so (a) and (b) do the same:
(a) calls ``torch.nn.utils.clip_grad_norm_(params, 1.0)`` before every step and
(b) uses ``skorch.callbacks.GradientNormClipping(1.0)``; both use a module that
standardises its input by ``x_mean``/``x_scale`` buffers (float64 moments of the
training inputs, stored as float32, like RNNRegressor's) and train on ``y``
standardised in float64 and cast to float32. (a) also seeds its weights and its
shuffling like RNNRegressor (random_state=0), so (a) and (c) compute the same
losses; the script reports how far their loss curves differ as a check.

Timing: torch runs on one thread (``torch.set_num_threads(1)``, set below before
anything else runs) so the numbers do not depend on how many cores are free. The
machine is shared with other jobs, so the three methods are interleaved in
several rounds (a, b, c, a, b, c, ...) and the minimum (the least disturbed run)
and median of each are reported, with their ratios to the hand loop. Wall time is
the measure; the process CPU time of each fit is reported beside it, because it
leaves out the time the process waited for a core while other jobs ran (with one
torch thread and no DataLoader workers, it equals the wall time on an idle
machine).
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import skorch
import torch
from skorch.callbacks import GradientNormClipping
from torch import nn

from skrnn import RNNRegressor

N_THREADS = 1
torch.set_num_threads(N_THREADS)

N_SAMPLES = 20_000
N_SAMPLES_QUICK = 4_000
N_STEPS = 50
HIDDEN_SIZE = 32
BATCH_SIZE = 32
LR = 1e-3
MAX_EPOCHS = 3
CLIP = 1.0
SEED = 0
ROUNDS = 5
RESULTS = Path(__file__).parent / "results" / "fit_overhead.md"
COMMAND = "python benchmarks/fit_overhead.py"


def make_data(n_samples, seed=0):
    """Windows of ``N_STEPS`` steps of a standardised noisy sine, and the next value.

    Returns ``X`` of shape ``(n_samples, N_STEPS)`` (C-contiguous float32) and ``y``
    of shape ``(n_samples,)`` (float32).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples + N_STEPS)
    series = np.sin(2 * np.pi * t / 40) + 0.3 * rng.standard_normal(len(t))
    series = (series - series.mean()) / series.std()
    windows = np.lib.stride_tricks.sliding_window_view(series[:-1], N_STEPS)
    X = np.ascontiguousarray(windows[:n_samples], dtype=np.float32)
    y = series[N_STEPS : N_STEPS + n_samples].astype(np.float32)
    return X, y


class LSTMRegressorModule(nn.Module):
    """The network of (a) and (b): input scaling, LSTM, linear head on the last step.

    Parameters are created in the same order as in ``skrnn``'s ``RecurrentNet``,
    so that the same seed gives the same initial weights.
    """

    def __init__(self, hidden_size=HIDDEN_SIZE):
        super().__init__()
        self.rnn = nn.LSTM(input_size=1, hidden_size=hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)
        self.register_buffer("x_mean", torch.zeros(1))
        self.register_buffer("x_scale", torch.ones(1))

    def forward(self, X):
        out, _ = self.rnn((X - self.x_mean) / self.x_scale)
        return self.head(out[:, -1])


def _scaled(X, y):
    """X as (n, steps, 1) with its float64 moments; y standardised in float64."""
    X3 = X[:, :, np.newaxis]
    # The formulas of skrnn's feature_moments and RNNRegressor's target scaling.
    x64 = X3.reshape(-1, 1).astype(np.float64)
    x_mean = x64.sum(axis=0) / len(x64)
    x_scale = np.sqrt(np.maximum((x64**2).sum(axis=0) / len(x64) - x_mean**2, 0))
    y64 = y.astype(np.float64).reshape(-1, 1)
    y_std = ((y64 - y64.mean(axis=0)) / y64.std(axis=0)).astype(np.float32)
    return X3, y_std, x_mean, x_scale


def _set_moments(module, x_mean, x_scale):
    module.x_mean.copy_(torch.from_numpy(x_mean))
    module.x_scale.copy_(torch.from_numpy(x_scale))


def fit_hand_loop(X, y):
    """(a) A plain PyTorch loop. Returns the mean training loss of every epoch."""
    X3, y_std, x_mean, x_scale = _scaled(X, y)
    X_t, y_t = torch.from_numpy(X3), torch.from_numpy(y_std)
    torch.manual_seed(SEED)
    model = LSTMRegressorModule()
    _set_moments(model, x_mean, x_scale)
    model.train()
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    params = list(model.parameters())
    generator = torch.Generator().manual_seed(SEED)
    n_samples = len(X_t)
    losses = []
    for _ in range(MAX_EPOCHS):
        order = torch.randperm(n_samples, generator=generator)
        total = 0.0
        for lo in range(0, n_samples, BATCH_SIZE):
            index = order[lo : lo + BATCH_SIZE]
            xb, yb = X_t[index], y_t[index]
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, CLIP)
            optimizer.step()
            total += loss.item() * len(index)
        losses.append(total / n_samples)
    return losses


def fit_skorch_default(X, y):
    """(b) skorch's NeuralNetRegressor with its default data loading."""
    X3, y_std, x_mean, x_scale = _scaled(X, y)
    torch.manual_seed(SEED)
    net = skorch.NeuralNetRegressor(
        LSTMRegressorModule,
        criterion=nn.MSELoss,
        optimizer=torch.optim.Adam,
        lr=LR,
        max_epochs=MAX_EPOCHS,
        batch_size=BATCH_SIZE,
        train_split=None,
        iterator_train__shuffle=True,
        callbacks=[("clip", GradientNormClipping(CLIP))],
        verbose=0,
    )
    net.initialize()
    _set_moments(net.module_, x_mean, x_scale)
    net.partial_fit(X3, y_std)
    return list(net.history[:, "train_loss"])


def fit_rnn_regressor(X, y):
    """(c) skrnn's estimator, on the 2D (univariate) windows."""
    reg = RNNRegressor(
        hidden_size=HIDDEN_SIZE,
        batch_size=BATCH_SIZE,
        lr=LR,
        max_epochs=MAX_EPOCHS,
        random_state=SEED,
    )
    reg.fit(X, y)
    return list(reg.loss_curve_)


METHODS = {
    "hand loop": fit_hand_loop,
    "skorch default": fit_skorch_default,
    "RNNRegressor": fit_rnn_regressor,
}


def run(n_samples, rounds):
    X, y = make_data(n_samples)
    # Warm-up: the first call of each method pays for lazy imports and caches.
    X_warm, y_warm = X[: 4 * BATCH_SIZE], y[: 4 * BATCH_SIZE]
    for fit in METHODS.values():
        fit(X_warm, y_warm)
    wall = {name: [] for name in METHODS}
    cpu = {name: [] for name in METHODS}
    curves = {}
    for r in range(rounds):
        for name, fit in METHODS.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            curves[name] = fit(X, y)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
            print(
                f"round {r + 1}/{rounds}  {name:<15} wall {wall[name][-1]:7.3f} s  "
                f"cpu {cpu[name][-1]:7.3f} s"
            )
    return wall, cpu, curves


def format_table(wall, cpu, n_batches):
    """Markdown table: min and median per method, ratios and extra time per batch."""

    def stats(times, name):
        t_min, t_median = min(times[name]), statistics.median(times[name])
        base = times["hand loop"]
        return t_min, t_median, t_min / min(base), t_median / statistics.median(base)

    lines = [
        "| method | wall min (s) | wall median (s) | min / hand | median / hand "
        "| CPU min (s) | CPU min / hand | extra per batch (us) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in wall:
        w_min, w_median, w_ratio, w_median_ratio = stats(wall, name)
        c_min, _, c_ratio, _ = stats(cpu, name)
        extra = 1e6 * (w_min - min(wall["hand loop"])) / n_batches
        lines.append(
            f"| {name} | {w_min:.3f} | {w_median:.3f} | {w_ratio:.3f}x "
            f"| {w_median_ratio:.3f}x | {c_min:.3f} | {c_ratio:.3f}x | {extra:+.0f} |"
        )
    return "\n".join(lines)


def curve_difference(curves):
    a, c = np.array(curves["hand loop"]), np.array(curves["RNNRegressor"])
    return float(np.max(np.abs(a - c) / np.abs(a)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{N_SAMPLES_QUICK} samples, one round, no results file (CI smoke run)",
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help=f"rounds (default {ROUNDS})"
    )
    args = parser.parse_args(argv)
    n_samples = N_SAMPLES_QUICK if args.quick else N_SAMPLES
    rounds = args.rounds or (1 if args.quick else ROUNDS)
    n_batches = MAX_EPOCHS * -(-n_samples // BATCH_SIZE)

    wall, cpu, curves = run(n_samples, rounds)
    table = format_table(wall, cpu, n_batches)
    diff = curve_difference(curves)
    losses = "\n".join(
        f"- {name}: " + ", ".join(f"{v:.5f}" for v in curve)
        for name, curve in curves.items()
    )
    raw = "\n".join(
        f"- {name}: " + ", ".join(f"{t:.3f}" for t in times)
        for name, times in wall.items()
    )
    print()
    print(table)
    print(f"\nloss per epoch (last round):\n{losses}")
    print(f"max relative difference, hand loop vs RNNRegressor losses: {diff:.2e}")
    if args.quick:
        return

    setup = (
        f"LSTM, hidden {HIDDEN_SIZE}, batch {BATCH_SIZE}, {N_STEPS} steps x 1 "
        f"feature, {n_samples} samples, Adam lr {LR:g}, {MAX_EPOCHS} epochs "
        f"({n_batches} batches), gradient norm clipped at {CLIP:g}, inputs and "
        "targets standardised"
    )
    report = f"""# Fit overhead: RNNRegressor vs skorch vs a hand-written loop

Command: `{COMMAND}` (from the repository root)

- date: {datetime.date.today().isoformat()}
- torch {torch.__version__}, skorch {skorch.__version__}, numpy {np.__version__}, \
Python {platform.python_version()}, {platform.machine()}
- threads: `torch.set_num_threads({N_THREADS})` (set at the top of the script)
- model: {setup}
- timing: whole `fit` wall time, the three methods interleaved in {rounds} rounds
  (a, b, c, a, b, c, ...) on a shared machine ({os.cpu_count()} cores; other jobs
  may run concurrently); min and median over the rounds, ratios to the hand
  loop. "CPU" is the process CPU time of the same fits (it leaves out waiting for
  a core). "extra per batch" is the wall minimum minus the hand loop's, divided
  by the {n_batches} batches.

{table}

Target: RNNRegressor <= 1.05x the hand loop.

Wall times per round (s):

{raw}

Loss per epoch (last round; the hand loop and RNNRegressor do the same math from
the same seed, the skorch default shuffles differently):

{losses}

Max relative difference of the hand loop's and RNNRegressor's losses: {diff:.2e}
"""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
