"""Peak memory of fitting SequenceWindower + RNNRegressor on a long series.

SequenceWindower returns a zero-copy strided view, and RNNRegressor gathers each
batch from it when needed, so fitting on 200,000 windows of 128 steps x 8 features
(a materialised float32 copy would be 200,000 x 128 x 8 x 4 B = 819 MB) should
cost little more than the series itself. Each variant runs in a fresh process; the
number reported is how far the peak resident set size (VmHWM) rises above the
process's footprint after imports and data creation.

Variants, side by side:

- ``pipeline``: ``Pipeline([SequenceWindower(128), RNNRegressor(...)])``, fit one
  epoch with batch size 256 (the benchmark of the issue; target below 300 MB);
- ``materialised``: the same fit on ``np.ascontiguousarray`` of the windows, what a
  hand-made window array costs.

Run ``python benchmarks/windower_memory.py`` (about a minute per variant on
2 cores); ``--quick`` uses 20,000 rows. Results go to
the ``windower_memory`` section of ``benchmarks/results/speed.md``.
"""

import argparse
import datetime
import json
import subprocess
import sys
from pathlib import Path

from _results import publish

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
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, N_FEATURES)).astype(np.float32)
    y = X[:, 0].cumsum().astype(np.float32)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.rows)
        return
    n_rows = 20_000 if args.quick else 200_000
    materialised_mb = n_rows * WINDOW * N_FEATURES * 4 / 1e6
    rows = []
    for variant in ("pipeline", "materialised"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", variant, "--rows", str(n_rows)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        rows.append((variant, result["rise_mb"], result["baseline_mb"]))
        print(f"{variant:>13}: peak rises {result['rise_mb']:.0f} MB")
    table = "\n".join(
        f"| {variant} | {rise:.0f} | {base:.0f} |" for variant, rise, base in rows
    )
    report = f"""# Windower memory: peak resident memory while fitting

Command: `python benchmarks/windower_memory.py{" --quick" if args.quick else ""}`
({datetime.date.today()}). {n_rows:,} rows x {N_FEATURES} float32 features, window
{WINDOW}, RNNRegressor(hidden_size=16, batch_size={BATCH_SIZE}, max_epochs=1). A
materialised window array would hold {materialised_mb:.0f} MB.

| variant | peak rise above footprint (MB) | footprint after imports and data (MB) |
|---|---:|---:|
{table}

Target for `pipeline`: below 300 MB.
"""
    publish("windower_memory", report, args.quick)


if __name__ == "__main__":
    main()
