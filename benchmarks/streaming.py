"""Streaming: the latency of one new step, carried state against re-reading the history.

A default ``RNNRegressor(scaling="global")`` (LSTM, 64 units, 2 features,
trained briefly: the weights do not change the cost) serves one sequence that
grows one step at a time. After a history of ``L`` steps (1, 100, 1,000 and
10,000), a new step is predicted two ways, interleaved round by round in one
run:

- **predict**: ``reg.predict(history)`` on all ``L + 1`` steps, what serving
  without a state must do;
- **stream**: ``predict_stream(reg, step, state)`` from the state after ``L``
  steps.

Both answers are checked to agree; the table gives the median and minimum
wall time per new step over the rounds.

Run from the repository root::

    python benchmarks/streaming.py          # full run (~1 min)
    python benchmarks/streaming.py --quick  # fewer rounds; writes nothing

The protocol, the tables and the conclusions are in ``results/streaming.md``.
"""

import _harness as harness
import numpy as np
import torch

from skrnn import RNNRegressor, predict_stream, start_stream

HISTORIES = (1, 100, 1_000, 10_000)


def measure(args):
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 50, 2))
    reg = RNNRegressor(max_epochs=2, scaling="global", random_state=0)
    reg.fit(X, X[:, -1, 0])
    sequence = rng.normal(size=(1, max(HISTORIES) + 1, 2))
    rounds = range(5 if args.quick else 30)
    results = []
    for length in HISTORIES:
        history, step = sequence[:, : length + 1], sequence[:, length : length + 1]
        _, state = predict_stream(reg, sequence[:, :length], start_stream(reg))
        streamed, _ = predict_stream(reg, step, state)
        np.testing.assert_allclose(streamed, reg.predict(history), rtol=1e-4)
        timings = harness.interleaved(
            {
                "predict": lambda _, history=history: reg.predict(history),
                "stream": lambda _, step=step, state=state: predict_stream(
                    reg, step, state
                ),
            },
            rounds,
        )
        for name, timing in timings.items():
            results.append(
                {
                    "history": length,
                    "method": name,
                    "median_ms": 1000 * timing.median,
                    "min_ms": 1000 * timing.min,
                }
            )
        harness.log(
            f"history {length}: predict {1000 * timings['predict'].median:.2f} ms, "
            f"stream {1000 * timings['stream'].median:.2f} ms"
        )
    return {
        "environment": {"rounds": len(rounds), "torch threads": 1},
        "results": results,
    }


def render(data):
    by_length = {}
    for row in data["results"]:
        by_length.setdefault(row["history"], {})[row["method"]] = row
    rows = [
        {
            "history": f"{length:,}",
            **{f"{name}_median": r["median_ms"] for name, r in methods.items()},
            **{f"{name}_min": r["min_ms"] for name, r in methods.items()},
            "ratio": methods["predict"]["median_ms"] / methods["stream"]["median_ms"],
        }
        for length, methods in by_length.items()
    ]
    columns = {
        "history (steps)": "{history}",
        "predict on the history, ms (min)": "{predict_median:.2f} ({predict_min:.2f})",
        "stream step, ms (min)": "{stream_median:.2f} ({stream_min:.2f})",
        "predict / stream": "{ratio:.1f}x",
    }
    return "\n\n".join(
        [
            harness.stamp(data["environment"]),
            "Median (minimum) wall time to predict after one new step.",
            harness.table(rows, columns, "lrrr"),
        ]
    )


if __name__ == "__main__":
    args = harness.parser(__doc__).parse_args()
    harness.run(args, "streaming", "streaming.md", measure, render)
