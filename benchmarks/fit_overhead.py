"""Fit throughput of RNNRegressor against a hand-written PyTorch loop and skorch.

The same model (each cell type, two sizes, two lengths) is trained three ways:
a hand-written loop over torch's own module, skorch's ``NeuralNetRegressor``
with its defaults, and ``RNNRegressor``; all do the same math from the same
seed, so the ratios of their fit times are what each way of training costs.
For the LSTM, the achieved GFLOP/s of the hand loop and of ``RNNRegressor`` are
reported next to the machine's peak (a float32 matrix product on one thread).

Run from the repository root::

    python benchmarks/fit_overhead.py            # full run (~3 min)
    python benchmarks/fit_overhead.py --quick    # smoke run (seconds), writes nothing

The protocol, the tables and the conclusions are in ``results/speed.md``.
"""

import time

import _harness as harness
import numpy as np
import skorch
import torch
from skorch.callbacks import GradientNormClipping
from torch import nn

from skrnn import RNNRegressor

N_THREADS = 1
torch.set_num_threads(N_THREADS)

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
HIDDEN_SIZES = (32, 128)
STEPS = (20, 100)
N_SAMPLES = 4_096
N_SAMPLES_QUICK = 256
BATCH_SIZE = 32
LR = 1e-3
MAX_EPOCHS = 2
CLIP = 1.0
SEED = 0
ROUNDS = 3


def make_data(n_samples, n_steps, seed=0):
    """Windows of ``n_steps`` steps of a standardised noisy sine, and the next value.

    Returns ``X`` of shape ``(n_samples, n_steps)`` (C-contiguous float32) and ``y``
    of shape ``(n_samples,)`` (float32).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples + n_steps)
    series = np.sin(2 * np.pi * t / 40) + 0.3 * rng.standard_normal(len(t))
    series = (series - series.mean()) / series.std()
    windows = np.lib.stride_tricks.sliding_window_view(series[:-1], n_steps)
    X = np.ascontiguousarray(windows[:n_samples], dtype=np.float32)
    y = series[n_steps : n_steps + n_samples].astype(np.float32)
    return X, y


class RegressorModule(nn.Module):
    """The network of (a) and (b): input scaling, recurrent layer, linear head.

    Parameters are created in the same order as in ``skrnn``'s ``RecurrentNet``,
    so that the same seed gives the same initial weights.
    """

    def __init__(self, cell="lstm", hidden_size=32):
        super().__init__()
        self.rnn = CELLS[cell](input_size=1, hidden_size=hidden_size, batch_first=True)
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


def fit_hand_loop(X, y, cell, hidden_size):
    """(a) A plain PyTorch loop. Returns the mean training loss of every epoch."""
    X3, y_std, x_mean, x_scale = _scaled(X, y)
    X_t, y_t = torch.from_numpy(X3), torch.from_numpy(y_std)
    torch.manual_seed(SEED)
    model = RegressorModule(cell, hidden_size)
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


def fit_skorch_default(X, y, cell, hidden_size):
    """(b) skorch's NeuralNetRegressor with its default data loading."""
    X3, y_std, x_mean, x_scale = _scaled(X, y)
    torch.manual_seed(SEED)
    net = skorch.NeuralNetRegressor(
        RegressorModule,
        module__cell=cell,
        module__hidden_size=hidden_size,
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


def fit_rnn_regressor(X, y, cell, hidden_size):
    """(c) skrnn's estimator, on the 2D (univariate) windows."""
    reg = RNNRegressor(
        cell=cell,
        hidden_size=hidden_size,
        batch_size=BATCH_SIZE,
        lr=LR,
        max_epochs=MAX_EPOCHS,
        # The hand loop's and skorch's global standardisation: the same model
        # three ways ("auto" would scale these forecast windows per window).
        scaling="global",
        random_state=SEED,
    )
    reg.fit(X, y)
    return list(reg.loss_curve_)


METHODS = {
    "hand loop": fit_hand_loop,
    "skorch default": fit_skorch_default,
    "RNNRegressor": fit_rnn_regressor,
}


def configurations():
    return [
        (cell, hidden_size, n_steps)
        for n_steps in STEPS
        for hidden_size in HIDDEN_SIZES
        for cell in CELLS
    ]


def lstm_gflop_per_batch(hidden_size, n_steps, n_features=1):
    """GFLOP of one LSTM training step: the gate products of the forward pass
    (2 x batch x 4h x (features + h) per time step), and twice that backward."""
    forward = 2 * BATCH_SIZE * 4 * hidden_size * (n_features + hidden_size) * n_steps
    return 3 * forward / 1e9


def matmul_peak(size=1024, repeats=20):
    """GFLOP/s of a float32 matrix product on one thread: the machine's peak as
    torch reaches it."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def measure(args):
    n_samples = N_SAMPLES_QUICK if args.quick else N_SAMPLES
    rounds = args.rounds or (1 if args.quick else ROUNDS)
    n_batches = MAX_EPOCHS * -(-n_samples // BATCH_SIZE)
    data = {n_steps: make_data(n_samples, n_steps) for n_steps in STEPS}
    # Warm-up: the first call of each method pays for lazy imports and caches.
    X_warm, y_warm = (a[: 4 * BATCH_SIZE] for a in data[STEPS[0]])
    for fit in METHODS.values():
        for cell in CELLS:
            fit(X_warm, y_warm, cell, HIDDEN_SIZES[0])
    methods = {
        (config, name): lambda _, fit=fit, c=config: fit(*data[c[2]], c[0], c[1])
        for config in configurations()
        for name, fit in METHODS.items()
    }
    timings = harness.interleaved(methods, range(rounds))
    rows = []
    for config in configurations():
        cell, hidden_size, n_steps = config
        hand, rnn = timings[config, "hand loop"], timings[config, "RNNRegressor"]
        lstm = ("lstm", hidden_size, n_steps)
        curves = np.array([hand.results[-1], rnn.results[-1]])
        rows.append(
            {
                "cell": cell,
                "hidden": hidden_size,
                "steps": n_steps,
                "hand_ms": 1e3 * hand.min / n_batches,
                "skorch_ratio": timings[config, "skorch default"].min / hand.min,
                "rnn_ratio": rnn.min / hand.min,
                "rnn_cpu_ratio": min(rnn.cpu) / min(hand.cpu),
                "extra_us": 1e6 * (rnn.min - hand.min) / n_batches,
                "hand_vs_lstm": hand.min / timings[lstm, "hand loop"].min,
                "rnn_vs_lstm": rnn.min / timings[lstm, "RNNRegressor"].min,
                "hand_gflops": (
                    lstm_gflop_per_batch(hidden_size, n_steps) * n_batches / hand.min
                    if cell == "lstm"
                    else None
                ),
                "rnn_gflops": (
                    lstm_gflop_per_batch(hidden_size, n_steps) * n_batches / rnn.min
                    if cell == "lstm"
                    else None
                ),
                "loss_difference": np.max(
                    np.abs(curves[0] - curves[1]) / np.abs(curves[0])
                ),
            }
        )
    setup = f"{n_samples} samples, {n_batches} batches a fit, {rounds} rounds"
    peak = f"{matmul_peak():.0f} GFLOP/s (float32 1024x1024 matmul, one thread)"
    return {"environment": {"setup": setup, "peak": peak}, "results": rows}


COLUMNS = {
    "cell": "{cell}",
    "hidden": "{hidden}",
    "steps": "{steps}",
    "hand loop (ms/batch)": "{hand_ms:.2f}",
    "skorch default / hand": "{skorch_ratio:.2f}x",
    "RNNRegressor / hand": "{rnn_ratio:.2f}x",
    "RNNRegressor / hand (CPU)": "{rnn_cpu_ratio:.2f}x",
    "RNNRegressor extra per batch (us)": "{extra_us:+.0f}",
    "hand loop / LSTM's": "{hand_vs_lstm:.2f}x",
    "RNNRegressor / LSTM's": "{rnn_vs_lstm:.2f}x",
    "LSTM GFLOP/s: hand loop, RNNRegressor": "{hand_gflops:.1f}, {rnn_gflops:.1f}",
    "loss difference": "{loss_difference:.1e}",
}


def render(data):
    results = harness.table(data["results"], COLUMNS, "l" + "r" * (len(COLUMNS) - 1))
    return harness.stamp(data["environment"]) + "\n\n" + results


if __name__ == "__main__":
    parser = harness.parser(__doc__)
    parser.add_argument("--rounds", type=int, help=f"rounds (default {ROUNDS})")
    harness.run(parser.parse_args(), "fit_overhead", "speed.md", measure, render)
