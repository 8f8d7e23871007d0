"""Torch threads for a fit: one, two, and what ``n_threads="auto"`` picks.

Run from the repository root::

    python benchmarks/threads.py            # full run (~4 minutes)
    python benchmarks/threads.py --quick    # smoke run, writes nothing

Four model and data sizes, each fitted with one and with two torch threads
(``n_threads=1`` / ``2``), interleaved, on the idle machine and while another
process keeps one core busy (a spinning Python loop), as a shared machine or a
parallel search does. The protocol, the tables and the conclusions are in
``results/speed.md``.
"""

import multiprocessing

import _harness as harness
import numpy as np

from skrnn import RNNRegressor
from skrnn._validation import SMALL_STEP_MACS

# name: (samples, time steps, features, hidden units, batch size)
CASES = {
    "tiny": (256, 24, 1, 64, 32),
    "default on 2,000 windows": (2000, 24, 1, 64, 32),
    "wide: 8 features, 128 units": (2000, 100, 8, 128, 32),
    "large batches: 256": (8000, 50, 4, 64, 256),
}
EPOCHS = 3
ROUNDS = 5


def _spin(stop):
    while not stop.is_set():
        pass


def fit_with(threads, X, y, hidden, batch):
    def fit(seed):
        reg = RNNRegressor(
            hidden_size=hidden,
            batch_size=batch,
            max_epochs=EPOCHS,
            scaling="global",
            n_threads=threads,
            random_state=seed,
        )
        return reg.fit(X, y)

    return fit


def measure_case(name, case, rounds, load):
    n, steps, features, hidden, batch = case
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, steps, features)).astype(np.float32)
    y = X[:, -3:, 0].sum(axis=1)
    methods = {t: fit_with(t, X, y, hidden, batch) for t in (1, 2)}
    for method in methods.values():
        method(0)  # warm up
    timings = harness.interleaved(methods, range(rounds))
    macs = batch * 4 * hidden * (features + hidden)
    return {
        "case": name,
        "load": load,
        "macs_per_step": macs,
        "auto": 1 if macs < SMALL_STEP_MACS else "caller's (2 here)",
        "one_s": timings[1].min,
        "two_s": timings[2].min,
        "two_over_one": timings[2].min / timings[1].min,
        "two_over_one_median": timings[2].median / timings[1].median,
    }


def measure(args):
    cases = dict(list(CASES.items())[:2]) if args.quick else CASES
    rounds = 2 if args.quick else ROUNDS
    rows = [measure_case(n, c, rounds, "idle") for n, c in cases.items()]
    stop = multiprocessing.Event()
    spinner = multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
    spinner.start()
    try:
        rows += [measure_case(n, c, rounds, "one core busy") for n, c in cases.items()]
    finally:
        stop.set()
        spinner.join()
    timing = f"min (and median) of {rounds} interleaved rounds, {EPOCHS} epochs"
    return {"environment": {"timing": timing}, "results": rows}


COLUMNS = {
    "case": "{case}",
    "load": "{load}",
    "multiply-adds per step": "{macs_per_step:,}",
    'n_threads="auto"': "{auto}",
    "1 thread (s)": "{one_s:.2f}",
    "2 threads (s)": "{two_s:.2f}",
    "2 / 1 (min)": "{two_over_one:.2f}",
    "2 / 1 (median)": "{two_over_one_median:.2f}",
}


def render(data):
    results = harness.table(data["results"], COLUMNS, "ll" + "r" * 6)
    return harness.stamp(data["environment"]) + "\n\n" + results


if __name__ == "__main__":
    harness.run(
        harness.parser(__doc__).parse_args(), "threads", "speed.md", measure, render
    )
