"""Resources: predict's memory on a million short sequences and on one very long one.

A default ``RNNRegressor(scaling="global")`` (LSTM, 64 units, one feature,
trained briefly on 256 sequences of 10 steps) predicts, each case in a fresh
process:

- **a million short sequences**: a float32 array ``(1_000_000, 10, 1)``;
- **100,000 ragged sequences**: a list of 5 to 15 steps each;
- **one long sequence**: ``(1, 100_000, 1)``.

Each row gives the size of the input, the process's peak resident memory
above what it held just before ``predict`` (``ru_maxrss``), and the wall time.
``predict`` works in batches of 1,024 sequences, so its own memory should not
grow with the number of sequences.

Run from the repository root::

    python benchmarks/resources.py          # full run (~1 min)
    python benchmarks/resources.py --quick  # a tenth of each case; writes nothing

The protocol, the tables and the conclusions are in ``results/resources.md``.
"""

import json
import resource
import subprocess
import sys
import time

import _harness as harness
import numpy as np

CASES = {
    "a million short sequences": "short",
    "100,000 ragged sequences": "ragged",
    "one long sequence": "long",
}


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(case, scale):
    """Fit, build the input, predict; print the measurements as JSON."""
    import torch

    from skrnn import RNNRegressor

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 10, 1)).astype(np.float32)
    reg = RNNRegressor(max_epochs=2, scaling="global", random_state=0)
    reg.fit(X, X[:, -1, 0])
    if case == "short":
        data = rng.normal(size=(int(1_000_000 * scale), 10, 1)).astype(np.float32)
        size = data.nbytes
    elif case == "ragged":
        data = [
            rng.normal(size=(n, 1)).astype(np.float32)
            for n in rng.integers(5, 16, size=int(100_000 * scale))
        ]
        size = sum(x.nbytes for x in data)
    else:
        data = rng.normal(size=(1, int(100_000 * scale), 1)).astype(np.float32)
        size = data.nbytes
    reg.predict(data[:2])  # first-call costs outside the measurement
    before, start = _peak_mb(), time.perf_counter()
    y = reg.predict(data)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "input_mb": size / 2**20,
                "extra_peak_mb": _peak_mb() - before,
                "seconds": seconds,
                "n_predictions": len(y),
            }
        )
    )


def measure(args):
    scale = 0.1 if args.quick else 1.0
    results = []
    for name, case in CASES.items():
        answer = subprocess.run(
            [sys.executable, __file__, "--case", case, "--scale", str(scale)],
            capture_output=True,
            text=True,
            check=True,
        )
        row = {"case": name, **json.loads(answer.stdout.strip().splitlines()[-1])}
        harness.log(f"{name}: {row}")
        results.append(row)
    return {"environment": {"torch threads": 1}, "results": results}


COLUMNS = {
    "case": "{case}",
    "predictions": "{n_predictions:,}",
    "input, MB": "{input_mb:.1f}",
    "peak memory above the input, MB": "{extra_peak_mb:.1f}",
    "predict, s": "{seconds:.2f}",
}


def render(data):
    return "\n\n".join(
        [
            harness.stamp(data["environment"]),
            harness.table(data["results"], COLUMNS, "lrrrr"),
        ]
    )


if __name__ == "__main__":
    if "--case" in sys.argv:
        run_case(sys.argv[sys.argv.index("--case") + 1], float(sys.argv[-1]))
    else:
        parser = harness.parser(__doc__)
        args = parser.parse_args()
        harness.run(args, "resources", "resources.md", measure, render)
