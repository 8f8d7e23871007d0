"""Draw the benchmark results (``benchmarks/results/*.json``) as figures for the docs.

The benchmark scripts store their measurements as JSON and render the same data
as the Markdown tables beside the figures, so a figure always shows the numbers
of its table. ``conf.py`` calls :func:`draw` at the start of every build.
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

RESULTS = Path(__file__).parents[1] / "benchmarks" / "results"


def rows(name, table="results"):
    """The records of one table of ``benchmarks/results/<name>.json``."""
    return json.loads((RESULTS / f"{name}.json").read_text())[table]


def _bars(ax, labels, values, highlight, xlabel, target=None):
    colors = ["C0" if highlight in label else "C7" for label in labels]
    ax.barh(labels, values, color=colors)
    ax.invert_yaxis()
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:.2f}", va="center", fontsize=8)
    if target is not None:
        ax.axvline(target, color="C3", ls="--", lw=1)
        xlabel += f" (dashed: target {target}x)"
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max([*values, target or 0]) * 1.15)


def _grouped(ax, labels, series, xlabel, reference):
    """Horizontal bars, one group per label, one bar per series."""
    height = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        ys = [y + (i - (len(series) - 1) / 2) * height for y in range(len(labels))]
        ax.barh(ys, values, height=height, label=name, color=f"C{i}")
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(reference, color="k", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=8, loc="lower right")


def fit_overhead(axes):
    found = rows("fit_overhead")
    labels = [f"{r['cell']} {r['hidden']} units, {r['steps']} steps" for r in found]
    _grouped(
        axes[0],
        labels,
        {
            "skorch default": [r["skorch_ratio"] for r in found],
            "RNNRegressor": [r["rnn_ratio"] for r in found],
        },
        "fit time / hand loop over torch's module",
        reference=1.0,
    )
    _grouped(
        axes[1],
        labels,
        {
            "hand loop (torch's modules)": [r["hand_vs_lstm"] for r in found],
            "RNNRegressor": [r["rnn_vs_lstm"] for r in found],
        },
        "fit time / the same method's LSTM",
        reference=1.0,
    )
    axes[1].set_yticks([])


def predict_latency(axes):
    found = rows("predict_latency")
    inputs = list(dict.fromkeys((row["steps"], row["input"]) for row in found))
    for ax, (steps, what) in zip(axes, inputs, strict=True):
        chosen = [r for r in found if (r["steps"], r["input"]) == (steps, what)]
        _bars(
            ax,
            [row["method"] for row in chosen],
            [row["ratio"] for row in chosen],
            "RNNRegressor",
            "time / bare module",
            target=2.0 if what == "one sequence" else 1.1,
        )
        ax.set_title(f"{what}, {steps} steps", fontsize=10)


def windower_memory(ax):
    found = rows("windower_memory")
    _bars(
        ax,
        [row["variant"] for row in found],
        [row["rise_mb"] for row in found],
        "pipeline",
        "peak memory rise during fit (MB)",
    )


def early_stopping(ax):
    found = rows("early_stopping", "configurations")
    _bars(
        ax,
        [
            row["configuration"]
            + (" (chosen)" if row["chosen"] else "")
            + f", CPU {row['cpu_ratio']:.2f}x"
            for row in found
        ],
        [row["mean_norm"] for row in found],
        "chosen",
        "mean normalised score on the learnable tasks",
    )


def defaults(ax):
    # Stage 1 of the search; the defaults are its recommendation.
    data = json.loads((RESULTS / "defaults.json").read_text())
    by_label = {row["configuration"]: row for row in data["configurations"]}
    found = [by_label[label] for label in data["stages"][0]["rows"]]
    _bars(
        ax,
        [f"{row['configuration']}, {row['fit_s']:.0f} s" for row in found],
        [row["mean_norm"] for row in found],
        "lr=0.01 h=64 bs=32 clip=1 ep=50",
        "mean normalised score over the tasks (the defaults in blue)",
    )


def forecasting(ax):
    # Mean MASE relative to the better naive forecast: below 1 beats it.
    found = [row for row in rows("forecasting") if row["row"] == "default"]
    labels = [row["data set"] for row in found]

    def ratio(row, value):
        refs = row["references"]
        return value / min(refs["naive"], refs["seasonal naive"])

    series = {"skrnn defaults": [ratio(row, row["mean"]) for row in found]}
    tuned = {r["data set"]: r for r in rows("forecasting") if r["row"] == "tuned"}
    if tuned:
        series["skrnn tuned"] = [
            ratio(row, tuned[row["data set"]]["mean"]) for row in found
        ]
    for model in ("DeepAR", "ETS"):
        series[f"{model} (published)"] = [
            ratio(row, row["published"].get(model, float("nan"))) for row in found
        ]
    _grouped(
        ax,
        labels,
        series,
        "mean MASE / that of the better naive forecast (below 1 beats it)",
        reference=1.0,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def calibration(axes):
    # Reliability curves pooled over the seeds; a point per non-empty bin of
    # confidence, its area proportional to the number of test predictions.
    ece = {(r["data set"], r["method"]): r["ece"][0] for r in rows("calibration")}
    found = {
        (r["data set"], r["method"]): r for r in rows("calibration", "reliability")
    }
    for ax, name in zip(axes, ("ItalyPowerDemand", "JapaneseVowels"), strict=True):
        ax.plot([0, 1], [0, 1], color="k", lw=0.8, ls="--")
        for i, method in enumerate(("default", "sigmoid", "temperature")):
            row = found[name, method]
            shown = [
                (conf / n, hits / n, n)
                for n, hits, conf in zip(
                    row["count"], row["correct"], row["confidence_sum"], strict=True
                )
                if n
            ]
            confidence, accuracy, count = zip(*shown, strict=True)
            total = sum(count)
            ax.plot(
                confidence,
                accuracy,
                color=f"C{i}",
                lw=1,
                marker="o",
                ms=3,
                label=f"{method} (ECE {ece[name, method]:.3f})",
            )
            ax.scatter(
                confidence, accuracy, s=[300 * c / total for c in count], color=f"C{i}"
            )
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("mean top-class confidence in the bin")
        ax.set_title(f"{name} (point area: share of the predictions)", fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    axes[0].set_ylabel("accuracy in the bin")


def draw(outdir):
    """Write one PNG per benchmark into ``outdir``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    figures = {
        "fit_overhead": ((1, 2), (11, 5), fit_overhead),
        "predict_latency": ((2, 2), (12, 4.5), predict_latency),
        "windower_memory": (1, (6, 1.8), windower_memory),
        "defaults": (1, (9, 4.5), defaults),
        "early_stopping": (1, (9, 3.5), early_stopping),
        "forecasting": (1, (10, 5), forecasting),
        "calibration": ((1, 2), (10, 4.5), calibration),
    }
    for name, (grid, size, plot) in figures.items():
        if grid == 1:
            fig, ax = plt.subplots(figsize=size, layout="constrained")
            plot(ax)
        else:
            fig, axes = plt.subplots(*grid, figsize=size, layout="constrained")
            plot(axes.ravel())
        fig.savefig(outdir / f"{name}.png", dpi=100)
        plt.close(fig)
