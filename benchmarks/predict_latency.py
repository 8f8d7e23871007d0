"""Prediction latency of RNNRegressor against its bare torch module and onnxruntime.

Run from the repository root (onnxruntime comes with the ``export`` extra)::

    python benchmarks/predict_latency.py            # full run, writes the results file
    python benchmarks/predict_latency.py --quick    # smoke run (~30 s), writes nothing

A default ``RNNRegressor`` (LSTM, 64 hidden units) is fitted for 2 epochs on
univariate sequences of 20 and of 100 time steps (the weights do not matter for
timing), and then predicts, given float32 numpy input:

(a) ``RNNRegressor.predict``: everything a user calls, input validation,
    padding detection, batching, the float64 head and unscaling included.
(b) ``bare module``: ``net_.module_(torch.from_numpy(X))`` under
    ``torch.inference_mode()``, the module in eval mode, the output turned back
    into numpy; no validation, no unscaling. For 10,000 sequences also
    (b') ``bare module, 1024 per call``: the same in chunks of 1024 sequences,
    which is how ``predict`` batches (one call on 10,000 sequences is slower).
(c) ``onnxruntime``: ``session.run`` of the graph that ``to_onnx`` writes, which
    also detects padding and unscales.

One sequence is predicted in many calls per round; 10,000 sequences in one call
per round. torch runs on one thread and onnxruntime's session on one thread, so
the numbers do not depend on how many cores are free; the methods alternate in
several rounds on a shared machine and the minimum (least disturbed) and median
time per call are reported, with ratios to the fastest bare module call.
Targets: predict on one sequence at most 2x the bare module, on 10,000 at most
1.1x.
"""

import argparse
import datetime
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)

import onnxruntime  # noqa: E402
import sklearn  # noqa: E402
import skorch  # noqa: E402
from _results import publish  # noqa: E402

from skrnn import RNNRegressor  # noqa: E402

N_BATCH = 10_000
CHUNK = 1024
TARGETS = {"one sequence": 2.0, f"{N_BATCH:,} sequences": 1.1}


def fitted(n_timesteps, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(512, n_timesteps, 1)).astype(np.float32)
    y = X[:, -5:, 0].sum(axis=1)
    return RNNRegressor(max_epochs=2, random_state=seed).fit(X, y)


def methods(reg, X, path):
    """The ways of predicting ``X``, each a function of no arguments."""
    module = reg.net_.module_.eval()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    reg.to_onnx(path)
    session = onnxruntime.InferenceSession(str(path), options)

    def bare(X=X):
        with torch.inference_mode():
            return module(torch.from_numpy(X)).numpy()

    found = {
        "RNNRegressor.predict": lambda: reg.predict(X),
        "bare module": bare,
    }
    if len(X) > CHUNK:
        found[f"bare module, {CHUNK} per call"] = lambda: np.concatenate(
            [bare(X[lo : lo + CHUNK]) for lo in range(0, len(X), CHUNK)]
        )
    found["onnxruntime"] = lambda: session.run(None, {"X": X})[0]
    return found


def time_per_call(function, calls):
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def measure(n_timesteps, rounds, single_calls, workdir):
    reg = fitted(n_timesteps)
    rng = np.random.default_rng(1)
    rows = []
    for label, n_samples, calls in [
        ("one sequence", 1, single_calls),
        (f"{N_BATCH:,} sequences", N_BATCH, 1),
    ]:
        X = rng.normal(size=(n_samples, n_timesteps, 1)).astype(np.float32)
        found = methods(reg, X, workdir / f"model_{n_timesteps}.onnx")
        # The methods agree before they are timed.
        expected = reg.predict(X)
        for name, function in found.items():
            got = np.asarray(function()).reshape(expected.shape)
            if not name.startswith("bare"):
                np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
            function()  # warm up
        times = {name: [] for name in found}
        for _ in range(rounds):
            for name, function in found.items():
                times[name].append(time_per_call(function, calls))
        bare = min(min(t) for name, t in times.items() if name.startswith("bare"))
        for name, t in times.items():
            rows.append((n_timesteps, label, name, min(t), statistics.median(t), bare))
    return rows


def report(rows, rounds, single_calls):
    lines = [
        "# Prediction latency: RNNRegressor.predict vs the bare module and ONNX",
        "",
        "Command: `python benchmarks/predict_latency.py` (from the repository root)",
        "",
        f"- date: {datetime.date.today().isoformat()}",
        f"- torch {torch.__version__}, skorch {skorch.__version__}, scikit-learn "
        f"{sklearn.__version__}, onnxruntime {onnxruntime.__version__}, numpy "
        f"{np.__version__}, Python {platform.python_version()}, {platform.machine()}",
        "- threads: `torch.set_num_threads(1)`, onnxruntime session on 1 thread",
        "- model: default RNNRegressor (LSTM, hidden 64, linear head), univariate "
        "float32 input",
        f"- timing: time per call, the methods alternating in {rounds} rounds of "
        f"{single_calls} calls (one sequence) or 1 call ({N_BATCH:,} sequences); "
        "min and median over the rounds; ratios of the minimum to the fastest bare "
        "module call for that input",
        "",
        "| steps | input | method | min per call | median per call | min / bare |",
        "|---:|---|---|---:|---:|---:|",
    ]
    for n_timesteps, label, name, best, median, bare in rows:
        lines.append(
            f"| {n_timesteps} | {label} | {name} | {_duration(best)} | "
            f"{_duration(median)} | {best / bare:.2f}x |"
        )
    lines += ["", "Targets, for RNNRegressor.predict against the bare module:", ""]
    for label, target in TARGETS.items():
        ratios = [
            best / bare
            for _, row_label, name, best, _, bare in rows
            if row_label == label and name == "RNNRegressor.predict"
        ]
        verdict = "met" if max(ratios) <= target else "NOT met"
        lines.append(
            f"- {label}: at most {target}x; measured "
            f"{', '.join(f'{r:.2f}x' for r in ratios)}: {verdict}"
        )
    return "\n".join(lines) + "\n"


def _duration(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    return f"{seconds * 1e3:.1f} ms"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, no file")
    args = parser.parse_args(argv)
    rounds, single_calls = (2, 50) if args.quick else (7, 500)
    with tempfile.TemporaryDirectory() as workdir:
        rows = []
        for n_timesteps in (20, 100):
            rows += measure(n_timesteps, rounds, single_calls, Path(workdir))
    text = report(rows, rounds, single_calls)
    publish("predict_latency", text, args.quick)


if __name__ == "__main__":
    main()
