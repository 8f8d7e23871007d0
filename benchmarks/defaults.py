"""Choose the default hyperparameters of RNNRegressor and RNNClassifier by measurement.

A staged search over ``lr``, ``hidden_size``, ``max_epochs``, ``batch_size``,
``clip_grad_norm`` and a minimum of gradient steps, on the nine synthetic tasks
of ``_harness.make_tasks`` and three seeds; :class:`_harness.Study` scores the
configurations and picks the cheapest within 0.01 of the best.

Run from the repository root::

    python benchmarks/defaults.py          # full study (~22 min)
    python benchmarks/defaults.py --quick  # smoke test, seconds, writes nothing

The protocol, the tables and the conclusions are in ``results/defaults.md``.
"""

import time

import _harness as harness
import torch
from _harness import Run

from skrnn import RNNRegressor

torch.set_num_threads(1)

# The defaults before this study (with max_epochs=100); the screen starts from them.
PREVIOUS = {"lr": 1e-3, "hidden_size": 64, "batch_size": 32, "clip_grad_norm": 1.0}
AUTO_STEPS = (250, 500, 1000)  # the middle one is max_epochs="auto"
# Everything not studied is pinned, so that later changes of the package defaults
# do not change these measurements.
FIXED = {"cell": "lstm", "num_layers": 1, "dropout": 0.0, "optimizer": "adam"}


def label(config, epochs):
    clip = config["clip_grad_norm"]
    return (
        f"lr={config['lr']:g} h={config['hidden_size']} bs={config['batch_size']} "
        f"clip={'None' if clip is None else f'{clip:g}'} ep={epochs}"
    )


class Search:
    """Trains configurations into the rows of a :class:`_harness.Study`.

    Training runs in chunks of epochs with ``warm_start=True``, which continues
    the same network and optimizer, so one run gives the rows of several
    ``max_epochs``; ``configs[row]`` is ``(config, epochs)``.
    """

    def __init__(self, study, chunk):
        self.study, self.chunk = study, chunk
        self.configs, self._models = {}, {}

    def train(self, config, epochs):
        """Train ``config`` up to each of ``epochs`` (multiples of the chunk)."""
        for task in self.study.tasks:
            for seed in self.study.seeds:
                key = (frozenset(config.items()), task.name, seed)
                if key not in self._models:
                    params = {**FIXED, **config, "random_state": seed}
                    est = task.estimator(
                        **params, max_epochs=self.chunk, warm_start=True
                    )
                    self._models[key] = [est, 0.0]
                est, seconds = self._models[key]
                for target in epochs:
                    while getattr(est, "n_epochs_", 0) < target:
                        start = time.perf_counter()
                        est.fit(task.X_train, task.y_train)
                        seconds += time.perf_counter() - start
                    run = Run(task.score(est), seconds, n_epochs=target)
                    self.study.record(label(config, target), task, seed, run)
                self._models[key][1] = seconds
            harness.log(f"  {label(config, max(epochs))} {task.name} done")
        self.configs |= {label(config, target): (config, target) for target in epochs}
        return [label(config, target) for target in epochs]

    def train_auto(self, config, epochs, steps):
        """Fresh fits for ``epochs`` or at least ``steps`` gradient steps."""
        row = label(config, f"auto(>={steps} steps)")
        for task in self.study.tasks:
            per_epoch = -(-len(task.X_train) // config["batch_size"])
            n_epochs = max(epochs, -(-steps // per_epoch))
            done = self.study.runs.get(label(config, n_epochs), {}).get(task.name)
            for seed in self.study.seeds:
                if done is not None:  # the same epochs as a row trained before
                    self.study.record(row, task, seed, done[seed])
                    continue
                params = {**FIXED, **config, "random_state": seed}
                est = task.estimator(**params, max_epochs=n_epochs)
                self.study.fit(row, task, seed, est)
            harness.log(f"  {row} {task.name} ({n_epochs} epochs) done")
        return row


def measure(args):
    tasks = harness.make_tasks(quick=args.quick)
    if args.quick:
        seeds, chunk, lrs, hidden_sizes = (0,), 2, (3e-3,), (32,)
        auto_steps = (4, 8, 16)
    else:
        seeds, chunk, auto_steps = harness.SEEDS[:3], 50, AUTO_STEPS
        lrs, hidden_sizes = (1e-3, 3e-3, 1e-2), (32, 64)
    study = harness.Study(tasks, seeds)
    search = Search(study, chunk)
    # Warm up torch (first-call overheads) so the first timed fit is not penalised.
    RNNRegressor(max_epochs=2, random_state=0).fit(tasks[0].X_train, tasks[0].y_train)
    ep1, ep2, ep4 = chunk, 2 * chunk, 4 * chunk

    harness.log("stage 1: lr x hidden_size")
    stage1 = []
    for lr in lrs:
        for hidden_size in hidden_sizes:
            config = {**PREVIOUS, "lr": lr, "hidden_size": hidden_size}
            stage1 += search.train(config, [ep1, ep2])
    best1 = search.configs[study.best(stage1)][0]

    harness.log("stage 2: epochs and batch_size")
    search.train(best1, [ep4])
    bs64 = {**best1, "batch_size": 64}
    search.train(bs64, [ep1, ep2, ep4])
    stage2 = [label(c, e) for c in (best1, bs64) for e in (ep1, ep2, ep4)]
    best2 = study.best(stage2)

    harness.log("stage 3: clip_grad_norm")
    config2, epochs2 = search.configs[best2]
    no_clip = {**config2, "clip_grad_norm": None}
    search.train(no_clip, [e for e in (ep1, ep2, ep4) if e <= epochs2])
    stage3 = [best2, label(no_clip, epochs2)]
    best3 = study.best(stage3)

    harness.log("stage 4: max_epochs='auto'")
    config3, epochs3 = search.configs[best3]
    stage4 = [best3] + [search.train_auto(config3, epochs3, n) for n in auto_steps]
    auto = stage4[2]  # max_epochs="auto": at least 500 steps
    keep_auto = not study.disqualified(auto) and (
        study.quality(auto) >= study.quality(best3) - 0.01
    )
    recommended = auto if keep_auto else best3
    harness.log(f"recommended: {recommended}")

    stages = {
        "Stage 1: lr x hidden_size (batch_size=32, clip_grad_norm=1.0)": stage1,
        "Stage 2: max_epochs and batch_size around the best of stage 1": stage2,
        "Stage 3: gradient clipping for the best of stage 2": stage3,
        "Stage 4: a minimum of gradient steps (max_epochs='auto')": stage4,
    }
    previous = label(PREVIOUS, ep2)
    if previous in study.runs:
        stages["Defaults before this study"] = [previous]
    rows = list(dict.fromkeys(row for rows in stages.values() for row in rows))
    return {
        "tasks": [task.record() for task in tasks],
        "learnable": [task.name for task in tasks if task.name in study.learnable],
        "stages": [{"stage": title, "rows": rows} for title, rows in stages.items()],
        "configurations": study.records(rows),
        "choice": {"recommended": recommended, "previous": previous},
    }


TASKS = {
    "task": "{task}",
    "what": "{what}",
    "train / test": "{n_train} / {n_test}",
    "X shape (train)": "{shape}",
    "metric": "{metric}",
    "baseline": "{baseline:.3f}",
    "for context": "{reference}",
}


def render(data):
    names = [task["task"] for task in data["tasks"]]
    baseline = {task["task"]: task["baseline"] for task in data["tasks"]}
    marked = {n: n + ("" if n in data["learnable"] else " †") for n in names}
    by_label = {row["configuration"]: row for row in data["configurations"]}
    scores = harness.task_columns(
        names, data["learnable"], lambda n: harness.mean_sd_cell(f"score[{n}]")
    )
    columns = {
        "configuration": "{configuration}",
        **scores,
        "mean norm.": "{mean_norm:.3f}",
        "fit s (all tasks)": "{fit_s:.0f}",
        "baseline runs": lambda row: (
            f"{row['baseline_runs']}"
            + (" (disqualified)" if row["disqualified"] else "")
        ),
    }
    parts = [
        harness.stamp(data["environment"]),
        "## Tasks",
        harness.table(data["tasks"], TASKS),
    ]
    for stage in data["stages"]:
        rows = [by_label[row] for row in stage["rows"]]
        parts += [f"## {stage['stage']}", harness.table(rows, columns)]
    seconds = {n: f"{{seconds[{n}]:.1f}}" for n in names}
    unlearned = [n for n in names if n not in data["learnable"]]
    parts += [
        "## Fit seconds per task (mean over seeds, cumulative up to the epochs)",
        harness.table(
            data["configurations"], {"configuration": "{configuration}", **seconds}
        ),
        "## Runs that stayed at baseline",
        f"No configuration learned these tasks with every seed: {unlearned} (†). "
        "They disqualify no one and are left out of `mean norm.`.",
        "\n".join(
            f"- {row['configuration']}"
            + (" **(disqualified)**" if row["disqualified"] else "")
            + ": "
            + ", ".join(
                f"{task} seed {seed}: {score:.3f} (baseline {baseline[task]:.3f})"
                for task, seed, score in row["failures"]
            )
            for row in data["configurations"]
            if row["failures"]
        ),
    ]
    chosen = by_label[data["choice"]["recommended"]]
    compare = {f"recommended ({chosen['configuration']})": chosen}
    if data["choice"]["previous"] in by_label:
        previous = by_label[data["choice"]["previous"]]
        compare[f"defaults before this study ({previous['configuration']})"] = previous
    failed = {task for task, _, _ in chosen["failures"]}
    rows = [
        {
            "task": marked[n],
            "baseline": f"{baseline[n]:.3f}",
            **{h: "{:.3f} ± {:.3f}".format(*r["score"][n]) for h, r in compare.items()},
            "beats": "**no**" if n in failed else "yes",
        }
        for n in names
    ]
    rows.append(
        {
            "task": "fit seconds, all tasks",
            **{h: f"{r['fit_s']:.0f}" for h, r in compare.items()},
        }
    )
    columns = {"task": "{task}", "baseline": "{baseline}"}
    columns |= {h: lambda row, h=h: row[h] for h in compare}
    columns["recommended beats baseline in every seed"] = "{beats}"
    parts += [
        "## Recommendation (by the rule of the protocol)",
        f"`{chosen['configuration']}`: mean normalised score "
        f"{chosen['mean_norm']:.3f}, {chosen['fit_s']:.0f} s to fit all tasks (mean "
        "over seeds).",
        harness.table(rows, columns),
    ]
    return "\n\n".join(parts)


if __name__ == "__main__":
    args = harness.parser(__doc__).parse_args()
    harness.run(args, "defaults", "defaults.md", measure, render)
