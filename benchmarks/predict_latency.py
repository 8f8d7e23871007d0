"""Prediction latency of RNNRegressor against its bare torch module and onnxruntime.

Run from the repository root (onnxruntime comes with the ``export`` extra)::

    python benchmarks/predict_latency.py            # full run
    python benchmarks/predict_latency.py --quick    # smoke run (~30 s), writes nothing

The protocol, the tables and the conclusions are in ``results/speed.md``.
"""

import tempfile
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)

import _harness as harness  # noqa: E402
import onnxruntime  # noqa: E402

from skrnn import RNNRegressor  # noqa: E402

N_BATCH = 10_000
CHUNK = 1024


def fitted(n_timesteps, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(512, n_timesteps, 1)).astype(np.float32)
    y = X[:, -5:, 0].sum(axis=1)
    # Global scaling, as recorded; "auto" would scale these windows per window,
    # whose statistics predict computes as well (not measured here).
    reg = RNNRegressor(max_epochs=2, scaling="global", random_state=seed)
    return reg.fit(X, y)


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


def repeat(function, calls):
    for _ in range(calls):
        function()


def measure_steps(n_timesteps, rounds, single_calls, workdir):
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
        repeated = {
            name: lambda _, f=function, n=calls: repeat(f, n)
            for name, function in found.items()
        }
        timings = harness.interleaved(repeated, range(rounds))
        bare = min(t.min for name, t in timings.items() if name.startswith("bare"))
        for name, t in timings.items():
            rows.append(
                {
                    "steps": n_timesteps,
                    "input": label,
                    "method": name,
                    "min_s": t.min / calls,
                    "median_s": t.median / calls,
                    "ratio": t.min / bare,
                }
            )
    return rows


def measure(args):
    rounds, single_calls = (2, 50) if args.quick else (7, 500)
    with tempfile.TemporaryDirectory() as workdir:
        rows = []
        for n_timesteps in (20, 100):
            rows += measure_steps(n_timesteps, rounds, single_calls, Path(workdir))
    timing = f"{rounds} rounds of {single_calls} calls (one sequence) or 1 call"
    return {"environment": {"timing": timing}, "results": rows}


def _duration(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    return f"{seconds * 1e3:.1f} ms"


COLUMNS = {
    "steps": "{steps}",
    "input": "{input}",
    "method": "{method}",
    "min per call": lambda row: _duration(row["min_s"]),
    "median per call": lambda row: _duration(row["median_s"]),
    "min / bare": "{ratio:.2f}x",
}


def render(data):
    results = harness.table(data["results"], COLUMNS, "rllrrr")
    return harness.stamp(data["environment"]) + "\n\n" + results


if __name__ == "__main__":
    args = harness.parser(__doc__).parse_args()
    harness.run(args, "predict_latency", "speed.md", measure, render, ["onnxruntime"])
