"""Draw the benchmark results (``benchmarks/results/*.md``) as figures for the docs.

The benchmark scripts write Markdown tables; this reads them back, so a figure
always shows the numbers of the table beside it. ``conf.py`` calls :func:`draw`
at the start of every build.
"""

import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import _results  # noqa: E402  (benchmarks/_results.py: where results are written)


def _text(name):
    """Section ``name`` of ``results/speed.md``, or ``results/<name>.md``."""
    if name in _results.SPEED_SECTIONS:
        return _results.sections()[name]
    return (_results.RESULTS / f"{name}.md").read_text()


def tables(name):
    """Every Markdown table of a results section or file, as lists of row dicts."""
    found, current = [], None
    for line in _text(name).splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if current is None:
            current = {"header": cells, "rows": []}
            found.append(current)
        elif not set("".join(cells)) <= set("-:"):
            current["rows"].append(dict(zip(current["header"], cells, strict=True)))
    return [table["rows"] for table in found]


def table_with(name, column):
    """The first table of ``results/<name>.md`` that has ``column``."""
    for rows in tables(name):
        if rows and column in rows[0]:
            return rows
    raise ValueError(f"no table with a {column!r} column in the {name} results")


def number(cell):
    """The first number in a cell: '1.047x' -> 1.047, '0.70 ± 0.1' -> 0.70."""
    return float(re.search(r"-?\d+(?:\.\d+)?", cell.replace(",", "")).group())


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
    rows = table_with("fit_overhead", "RNNRegressor / hand")
    labels = [f"{r['cell']} {r['hidden']} units, {r['steps']} steps" for r in rows]
    _grouped(
        axes[0],
        labels,
        {
            "skorch default": [number(r["skorch default / hand"]) for r in rows],
            "RNNRegressor": [number(r["RNNRegressor / hand"]) for r in rows],
        },
        "fit time / hand loop over torch's module",
        reference=1.0,
    )
    _grouped(
        axes[1],
        labels,
        {
            "hand loop (torch's modules)": [
                number(r["hand loop / LSTM's"]) for r in rows
            ],
            "RNNRegressor": [number(r["RNNRegressor / LSTM's"]) for r in rows],
        },
        "fit time / the same method's LSTM",
        reference=1.0,
    )
    axes[1].set_yticks([])


def predict_latency(axes):
    rows = table_with("predict_latency", "min / bare")
    inputs = list(dict.fromkeys((row["steps"], row["input"]) for row in rows))
    for ax, (steps, what) in zip(axes, inputs, strict=True):
        chosen = [r for r in rows if (r["steps"], r["input"]) == (steps, what)]
        _bars(
            ax,
            [row["method"] for row in chosen],
            [number(row["min / bare"]) for row in chosen],
            "RNNRegressor",
            "time / bare module",
            target=2.0 if what == "one sequence" else 1.1,
        )
        ax.set_title(f"{what}, {steps} steps", fontsize=10)


def windower_memory(ax):
    rows = table_with("windower_memory", "peak rise above footprint (MB)")
    _bars(
        ax,
        [row["variant"] for row in rows],
        [number(row["peak rise above footprint (MB)"]) for row in rows],
        "pipeline",
        "peak memory rise during fit (MB)",
    )


def early_stopping(ax):
    rows = table_with("early_stopping", "mean norm. (learnable)")
    _bars(
        ax,
        [
            row["configuration"].replace("**(chosen)**", "(chosen)")
            + f", CPU {number(row['CPU time vs baseline']):.2f}x"
            for row in rows
        ],
        [number(row["mean norm. (learnable)"]) for row in rows],
        "chosen",
        "mean normalised score on the learnable tasks",
    )


def defaults(ax):
    # Stage 1 of the search; the defaults are its recommendation.
    rows = table_with("defaults", "mean norm.")
    _bars(
        ax,
        [f"{row['configuration']}, {row['fit s (all tasks)']} s" for row in rows],
        [number(row["mean norm."]) for row in rows],
        "lr=0.01 h=64 bs=32 clip=1 ep=50",
        "mean normalised score over the tasks (the defaults in blue)",
    )


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
