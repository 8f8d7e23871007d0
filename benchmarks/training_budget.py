"""How long should a default fit train? Stopping rules against today's budget.

Today's default budget (``max_epochs="auto"``: 50 epochs, or at least 500
gradient steps) against rules that stop once the model has stopped improving,
on the nine tasks of ``_harness.make_tasks`` and three seeds, interleaved (task,
seed, then rule) on one torch thread:

- a plateau of the training loss (no data held out): stop when the loss of an
  epoch has not gone below ``(1 - tol)`` times the best so far for ``patience``
  epochs (skorch's ``EarlyStopping`` on ``train_loss``, relative threshold);
- half the epochs (25), for scale.

Run from the repository root::

    python benchmarks/training_budget.py          # full study (~10 min)
    python benchmarks/training_budget.py --quick  # smoke run, writes nothing

The protocol, the tables and the conclusions are in ``results/defaults.md``.
"""

import _harness as harness
import torch
from skorch.callbacks import EarlyStopping

torch.set_num_threads(1)

# label: estimator parameters beyond the defaults (callbacks made per fit)
RULES = {
    "today: max_epochs='auto'": {},
    "training-loss plateau, patience 5, tol 1%": {"plateau": (5, 0.01)},
    "training-loss plateau, patience 10, tol 1%": {"plateau": (10, 0.01)},
    "training-loss plateau, patience 5, tol 0.1%": {"plateau": (5, 0.001)},
    "max_epochs=25": {"max_epochs": 25},
}


def _silent(*args, **kwargs):
    pass


def estimator(task, rule, seed):
    params = dict(RULES[rule])
    plateau = params.pop("plateau", None)
    if plateau is not None:
        patience, tol = plateau
        stopper = EarlyStopping(
            monitor="train_loss",
            patience=patience,
            threshold=tol,
            threshold_mode="rel",
            sink=_silent,
        )
        params["callbacks"] = [("plateau", stopper)]
    return task.estimator(random_state=seed, **params)


def measure(args):
    tasks = harness.make_tasks(quick=args.quick)
    seeds = (0,) if args.quick else harness.SEEDS[:3]
    study = harness.Study(tasks, seeds)
    estimator(tasks[0], next(iter(RULES)), 0).fit(tasks[0].X_train, tasks[0].y_train)
    for task in tasks:
        for seed in seeds:
            for rule in RULES:
                study.fit(rule, task, seed, estimator(task, rule, seed))
        harness.log(f"{task.name} done")
    records = study.records()
    today = records[0]
    for record in records:
        record["time_vs_today"] = study.seconds(record["configuration"]) / (
            study.seconds(today["configuration"])
        )
    return {
        "environment": {"seeds": str(list(seeds)), "threads": "torch 1"},
        "learnable": sorted(study.learnable),
        "results": records,
    }


def render(data):
    names = list(data["results"][0]["score"])
    learnable = set(data["learnable"])
    summary = harness.table(
        data["results"],
        {
            "rule": "{configuration}",
            "mean norm. (learnable)": "{mean_norm:.3f}",
            "mean norm. (all 9)": "{mean_norm_all:.3f}",
            "runs at baseline (learnable)": (
                "{baseline_runs} ({baseline_runs_learnable})"
            ),
            "fit s per seed": "{fit_s:.1f}",
            "time vs today": "{time_vs_today:.2f}",
        },
        "lrrrrr",
    )
    scores = harness.table(
        data["results"],
        {
            "rule": "{configuration}",
            **harness.task_columns(
                names, learnable, lambda n: harness.mean_sd_cell(f"score[{n}]")
            ),
        },
    )
    epochs = harness.table(
        data["results"],
        {
            "rule": "{configuration}",
            **harness.task_columns(names, learnable, lambda n: f"{{epochs[{n}]:.0f}}"),
        },
    )
    return (
        harness.stamp(data["environment"])
        + "\n\n"
        + summary
        + "\n\nScore per task (mean ± sd over seeds):\n\n"
        + scores
        + "\n\nEpochs run per task (mean over seeds):\n\n"
        + epochs
    )


if __name__ == "__main__":
    args = harness.parser(__doc__).parse_args()
    harness.run(args, "training_budget", "defaults.md", measure, render)
