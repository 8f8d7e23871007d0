"""Peak memory of fitting SequenceWindower + RNNRegressor on a long series.

Each variant (the pipeline on the rows, and the same fit on a materialised copy
of the windows) runs in a fresh process, which reports how far its peak resident
set size (VmHWM) rises above its footprint after imports and data.

Run from the repository root::

    python benchmarks/windower_memory.py           # full run (~1 min per variant)
    python benchmarks/windower_memory.py --quick   # 20,000 rows, writes nothing

The protocol, the tables and the conclusions are in ``results/speed.md``.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import _harness as harness

N_FEATURES, WINDOW, BATCH_SIZE = 8, 128, 256


def _rss_mb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def _child(variant, n_rows):
    """Fit once in this process and print the peak-memory rise as JSON."""
    import numpy as np
    import torch
    from sklearn.pipeline import Pipeline

    from skrnn import RNNRegressor, SequenceWindower

    torch.set_num_threads(2)
    X, y = harness.random_rows(n_rows, N_FEATURES)
    rnn = RNNRegressor(
        hidden_size=16, batch_size=BATCH_SIZE, max_epochs=1, random_state=0
    )
    baseline = _rss_mb("VmRSS")
    # Reset the peak so that it counts from here (Linux >= 4.0).
    Path("/proc/self/clear_refs").write_text("5")
    if variant == "pipeline":
        Pipeline([("win", SequenceWindower(window=WINDOW)), ("rnn", rnn)]).fit(X, y)
    else:
        windows = np.ascontiguousarray(SequenceWindower(window=WINDOW).fit_transform(X))
        rnn.fit(windows, y)
    print(json.dumps({"rise_mb": _rss_mb("VmHWM") - baseline, "baseline_mb": baseline}))


def measure(args):
    n_rows = 20_000 if args.quick else 200_000
    rows = []
    for variant in ("pipeline", "materialised"):
        command = [sys.executable, __file__, "--child", variant, "--rows", str(n_rows)]
        out = subprocess.run(command, check=True, capture_output=True, text=True)
        rows.append({"variant": variant, **json.loads(out.stdout.splitlines()[-1])})
        print(f"{variant:>13}: peak rises {rows[-1]['rise_mb']:.0f} MB")
    materialised = n_rows * WINDOW * N_FEATURES * 4 / 1e6
    setup = f"{n_rows:,} rows; a materialised window array holds {materialised:.0f} MB"
    return {"environment": {"setup": setup}, "results": rows}


COLUMNS = {
    "variant": "{variant}",
    "peak rise above footprint (MB)": "{rise_mb:.0f}",
    "footprint after imports and data (MB)": "{baseline_mb:.0f}",
}


def render(data):
    results = harness.table(data["results"], COLUMNS, "lrr")
    return harness.stamp(data["environment"]) + "\n\n" + results


if __name__ == "__main__":
    parser = harness.parser(__doc__)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.rows)
    else:
        harness.run(args, "windower_memory", "speed.md", measure, render)
