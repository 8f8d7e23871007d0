"""Decide the early-stopping, validation-split and schedule defaults by measurement.

Early stopping (patience and epochs) and learning-rate schedules on the nine
tasks of ``_harness.make_tasks``; each ``validation_split`` on windows of one
series and on training sets sorted by class or target.

Run from the repository root::

    python benchmarks/early_stopping.py          # full study (~9 min)
    python benchmarks/early_stopping.py --quick  # smoke test, seconds, writes nothing

``--quick`` uses one seed, small slices of the tasks, and epochs and patiences
divided by 10. The protocol, the tables and the conclusions are in
``results/early_stopping.md``.
"""

from dataclasses import dataclass, replace

import _harness as harness
import numpy as np
import torch

from skrnn import make_windows

torch.set_num_threads(1)

PINNED = {
    "cell": "lstm",
    "hidden_size": 64,
    "lr": 1e-2,
    "batch_size": 32,
    "clip_grad_norm": 1.0,
    "num_layers": 1,
    "dropout": 0.0,
    "optimizer": "adam",
    "validation_fraction": 0.1,
    "tol": 1e-4,
}
DEFAULT_SPLIT = {"reg": "last", "clf": "stratified"}  # the defaults as measured


@dataclass(frozen=True)
class Config:
    early_stopping: bool
    max_epochs: int
    n_iter_no_change: int = 10
    lr_schedule: str = "constant"

    def __str__(self):
        if not self.early_stopping:
            text = f"no early stopping, max_epochs={self.max_epochs}"
        else:
            text = (
                f"early stopping, n_iter_no_change={self.n_iter_no_change}, "
                f"max_epochs={self.max_epochs}"
            )
        if self.lr_schedule != "constant":
            text += f", {self.lr_schedule}"
        return text

    def estimator(self, task, seed, split=None):
        return task.estimator(
            **PINNED,
            early_stopping=self.early_stopping,
            max_epochs=self.max_epochs,
            n_iter_no_change=self.n_iter_no_change,
            lr_schedule=self.lr_schedule,
            validation_split=split or DEFAULT_SPLIT[task.kind],
            random_state=seed,
        )


def drifting_series(n_rows, window, horizon, seed=10):
    """Windows of one hourly series: a daily cycle, a weekly cycle whose amplitude
    grows over time, and AR(1) noise; target: the next ``horizon`` values. The
    first 80% of the windows train; the test windows whose targets overlap
    training targets are left out."""
    t = np.arange(n_rows)
    noise = harness.ar1_noise(n_rows, seed)
    weekly = 0.5 * (1 + 1.5 * t / n_rows) * np.sin(2 * np.pi * t / 168)
    series = np.sin(2 * np.pi * t / 24) + weekly + noise
    X, y = make_windows(series, window, horizon=horizon)
    n_train, n_gap = int(0.8 * len(X)), horizon - 1
    name = "drifting_seasonal" + ("" if horizon == 1 else f"_h{horizon}")
    test = slice(n_train + n_gap, None)
    return harness.Task(name, "", "reg", X[:n_train], y[:n_train], X[test], y[test])


def sorted_task(task, suffix="sorted by label"):
    order = np.argsort(task.y_train, kind="stable")
    return harness.Task(
        f"{task.name} ({suffix})",
        task.description,
        task.kind,
        task.X_train[order],
        task.y_train[order],
        task.X_test,
        task.y_test,
    )


def split_rows(tasks, splits, config, seeds):
    """One record per task and validation split, mean ± sd over the seeds."""
    rows = []
    for task in tasks:
        for split in splits:
            runs = {}
            for seed in seeds:
                est = config.estimator(task, seed, split).fit(
                    task.X_train, task.y_train
                )
                valid = est.validation_indices_
                valid_loss = est.validation_loss_curve_[est.best_epoch_ - 1]
                found = {
                    "score": task.score(est),
                    "epochs": est.n_epochs_,
                    "best_epoch": est.best_epoch_,
                    "valid_loss": valid_loss,
                }
                if task.kind == "reg":
                    # The validation loss's scale: MSE of each standardised
                    # output, averaged over the outputs.
                    mse = np.mean((est.predict(task.X_test) - task.y_test) ** 2, axis=0)
                    found["test_loss"] = np.mean(mse / np.var(task.y_train, axis=0))
                    found["ratio"] = found["test_loss"] / valid_loss
                else:
                    found["classes"] = len(np.unique(task.y_train[valid]))
                for key, value in found.items():
                    runs.setdefault(key, []).append(value)
            row = {"task": task.name, "split": split, "n_valid": len(valid)}
            row |= {key: harness.mean_sd(v) for key, v in runs.items()}
            if task.kind == "clf":
                row["classes"] = sorted(set(runs["classes"]))
                row["n_classes"] = len(np.unique(task.y_train))
            rows.append(row)
            harness.log(f"  {task.name} validation_split={split!r} done")
    return rows


def measure(args):
    tasks = harness.make_tasks(quick=args.quick)
    if args.quick:
        seeds, short, long, patiences, n_rows, window = (0,), 5, 20, (1, 2), 400, 24
    else:
        seeds, short, long, patiences = harness.SEEDS[:3], 50, 200, (10, 20)
        n_rows, window = 2048, 48
    study = harness.Study(tasks, seeds)
    # Warm up torch (first-call overheads) so that the first timed fit is fair.
    Config(True, 3).estimator(tasks[0], 0).fit(tasks[0].X_train, tasks[0].y_train)

    def add(configs):
        for task in tasks:
            for seed in seeds:
                for config in configs:  # interleaved, so a slow spell hits all
                    study.fit(config, task, seed, config.estimator(task, seed))
            harness.log(f"  {task.name} done ({len(configs)} configurations)")

    baseline = Config(False, short)
    es_configs = [Config(True, m, n) for n in patiences for m in (short, long)]
    harness.log("part 1, round 1")
    add([baseline, *es_configs, Config(False, short, patiences[0], "cosine")])
    study.freeze()
    chosen = study.best(es_configs, clock="cpu")
    harness.log(f"part 1, round 2: schedules for {chosen}")
    add([replace(chosen, lr_schedule=s) for s in ("plateau", "cosine")])
    configurations = study.records()
    for config, row in zip(study.runs, configurations, strict=True):
        row["chosen"] = config == chosen
        for clock in ("cpu", "wall"):
            ratio = study.seconds(config, clock) / study.seconds(baseline, clock)
            row[f"{clock}_ratio"] = ratio
        row["mean_epochs"] = np.mean(list(row["epochs"].values()))
        row["mean_best_epoch"] = np.mean(list(row["best_epoch"].values()))

    harness.log("part 2: validation split for windows of one series")
    by_name = {task.name: task for task in tasks}
    series = [
        drifting_series(n_rows, window, 1),
        drifting_series(n_rows, window, 24),
        by_name["seasonal"],
    ]
    series = split_rows(series, ("last", "random"), chosen, seeds)
    harness.log("part 3: validation split for sorted sequences")
    by_label = [sorted_task(by_name["shapes"]), sorted_task(by_name["motions"])]
    by_label = split_rows(by_label, ("stratified", "random", "last"), chosen, seeds)
    by_target = [sorted_task(by_name["multivariate"], "sorted by target")]
    by_target = split_rows(by_target, ("last", "random"), chosen, seeds)
    return {
        "learnable": [task.name for task in tasks if task.name in study.learnable],
        "configurations": configurations,
        "series": series,
        "sorted": by_label,
        "sorted_regression": by_target,
    }


SUMMARY = {
    "configuration": lambda row: (
        row["configuration"] + (" **(chosen)**" if row["chosen"] else "")
    ),
    "mean norm. (learnable)": "{mean_norm:.3f}",
    "mean norm. (all 9)": "{mean_norm_all:.3f}",
    "runs at baseline (learnable)": lambda row: (
        f"{row['baseline_runs']} ({row['baseline_runs_learnable']})"
        + (" (disqualified)" if row["disqualified"] else "")
    ),
    "mean epochs run": "{mean_epochs:.1f}",
    "mean best epoch": "{mean_best_epoch:.1f}",
    "CPU time vs baseline": "{cpu_ratio:.2f}",
    "wall time vs baseline": "{wall_ratio:.2f}",
}
REGRESSION_SPLIT = {
    "task": "{task}",
    "validation_split": "{split}",
    "test R^2": harness.mean_sd_cell("score"),
    "best validation loss": harness.mean_sd_cell("valid_loss"),
    "test loss (MSE / var(y_train))": harness.mean_sd_cell("test_loss"),
    "test / validation loss": harness.mean_sd_cell("ratio", 2),
    "epochs run": harness.mean_sd_cell("epochs", 1),
    "best epoch": harness.mean_sd_cell("best_epoch", 1),
}
CLASSIFICATION_SPLIT = {
    "task": "{task}",
    "validation_split": "{split}",
    "test accuracy": harness.mean_sd_cell("score"),
    "classes in validation set (of the training set's)": lambda row: (
        "/".join(map(str, row["classes"])) + f" (of {row['n_classes']})"
    ),
    "validation samples": "{n_valid}",
    "epochs run": harness.mean_sd_cell("epochs", 1),
    "best epoch": harness.mean_sd_cell("best_epoch", 1),
}


def render(data):
    rows = data["configurations"]
    names, learnable = list(rows[0]["score"]), data["learnable"]
    scores = harness.task_columns(
        names, learnable, lambda n: harness.mean_sd_cell(f"score[{n}]")
    )
    epochs = harness.task_columns(
        names, learnable, lambda n: f"{{epochs[{n}]:.0f}} ({{best_epoch[{n}]:.0f}})"
    )
    failures = [
        f"- {row['configuration']}: "
        + ", ".join(
            f"{task} seed {seed}: {score:.3f}" for task, seed, score in row["failures"]
        )
        for row in rows
        if row["failures"]
    ]
    configuration = {"configuration": "{configuration}"}
    return {
        "scores": "\n\n".join(
            [
                harness.stamp(data["environment"]),
                harness.table(rows, SUMMARY),
                "Mean score per task (± sd over seeds):",
                harness.table(rows, configuration | scores),
                "Mean epochs run per task (best epoch in parentheses):",
                harness.table(rows, configuration | epochs),
                "Runs that stayed at baseline:",
                "\n".join(failures),
            ]
        ),
        "series": harness.table(data["series"], REGRESSION_SPLIT),
        "sorted": harness.table(data["sorted"], CLASSIFICATION_SPLIT),
        "sorted_regression": harness.table(data["sorted_regression"], REGRESSION_SPLIT),
    }


if __name__ == "__main__":
    args = harness.parser(__doc__).parse_args()
    harness.run(args, "early_stopping", "early_stopping.md", measure, render)
