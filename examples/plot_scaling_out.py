"""
Scaling out: the same GridSearchCV on a dask cluster
====================================================

A grid search that outgrows one machine moves to a cluster through joblib's
``"dask"`` backend, without changing the search or the estimators. This example
tunes a ``SequenceWindower`` + ``RNNRegressor`` pipeline on this machine, then
runs the very same ``GridSearchCV`` on a dask cluster: a ``LocalCluster`` of
worker processes by default, or a remote cluster when ``SKRNN_SCHEDULER`` holds
its scheduler's address (``tcp://scheduler:8786``), the only line that changes.
It shows how many torch threads each worker runs, and that with a fixed
``random_state`` the cluster finds the same best parameters and the same scores,
bit for bit. See :doc:`/scaling` for threads, data movement and GPUs.
"""

# %%
# The series, the pipeline and the grid
# -------------------------------------
# An hourly series with a daily cycle, 2,000 hours; each row's recent history
# predicts the next hour. The window length is a parameter of the windower, so
# it is tuned with the network's size.
import os
import time

import joblib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from distributed import Client, LocalCluster
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from skrnn import RNNRegressor, SequenceWindower, future_targets

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly
# None starts a LocalCluster here; "tcp://scheduler:8786" uses that cluster.
SCHEDULER = os.environ.get("SKRNN_SCHEDULER")

n_hours = 600 if FAST else 2000
hours = pd.date_range("2024-01-01", periods=n_hours, freq="h")
rng = np.random.default_rng(0)
load = 300 + 50 * np.sin(2 * np.pi * hours.hour / 24) + rng.normal(0, 5, n_hours)
table = pd.DataFrame({"load": load}, index=hours)
table, target = future_targets(table, "load")  # each hour, and the next hour's load

pipe = Pipeline(
    [
        ("win", SequenceWindower()),
        ("rnn", RNNRegressor(max_epochs=3 if FAST else 20, random_state=0)),
    ]
)
grid = {"win__window": [12, 24], "rnn__hidden_size": [16, 32] if FAST else [32, 64]}
search = GridSearchCV(
    pipe,
    grid,
    cv=TimeSeriesSplit(n_splits=3),
    scoring="neg_root_mean_squared_error",
    n_jobs=-1,
)

# %%
# On this machine
# ---------------
# A fit with an integer ``random_state`` is reproducible bit for bit for the same
# number of torch threads. Dask's workers run torch on one thread each (below),
# so the local search does too, one fit after another.
#
# The ``if __name__ == "__main__":`` lines are for running this file as a
# script: dask starts each worker process with Python's ``spawn``, which imports
# the script again in the new process, and the guard keeps that import from
# running the searches. sphinx-gallery and Jupyter never import it again.
if __name__ == "__main__":
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    start = time.perf_counter()
    local = clone(search).set_params(n_jobs=1).fit(table, target)
    local_seconds = time.perf_counter() - start
    torch.set_num_threads(threads)
    print(f"local search: {local_seconds:.1f} s, best {local.best_params_}")

# %%
# On a cluster
# ------------
# ``Client`` takes either a cluster object or a scheduler's address, so one
# variable chooses between a ``LocalCluster`` of two worker processes with one
# thread each and a cluster that is already running elsewhere. Inside
# ``joblib.parallel_backend("dask")``, ``n_jobs=-1`` means every thread of every
# worker. joblib scatters the table and the target (every argument larger than
# 1 kB) to the cluster once per search, and each task refers to them.
#
# Each worker's nanny sets ``OMP_NUM_THREADS=1`` and ``MKL_NUM_THREADS=1`` before
# it starts the worker's process, so torch runs one thread per fit and the
# fits of a machine do not compete for its cores. A remote cluster's workers
# need skrnn installed, in the same version as here.
if __name__ == "__main__":
    cluster = SCHEDULER or LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=None
    )
    client = Client(cluster)
    client.wait_for_workers(1, timeout=120)
    print(f"torch threads per worker: {client.run(torch.get_num_threads)}")
    start = time.perf_counter()
    with joblib.parallel_backend("dask"):
        remote = clone(search).fit(table, target)
    remote_seconds = time.perf_counter() - start
    print(f"cluster search: {remote_seconds:.1f} s, best {remote.best_params_}")

# %%
# The same choice, the same scores
# --------------------------------
# The cluster fitted the 12 candidate-fold pairs; the refit of the best
# candidate on all the data ran here, in ``fit``, as it does locally. Its scores
# equal the local ones bit for bit, and the best model predicts here like any
# other.
if __name__ == "__main__":
    same_scores = np.array_equal(
        local.cv_results_["mean_test_score"], remote.cv_results_["mean_test_score"]
    )
    print(f"same best parameters: {local.best_params_ == remote.best_params_}")
    print(f"identical mean CV scores: {same_scores}")
    print(f"next hour: {remote.predict(table[-1:])[0]:.1f}")
    client.close()
    if SCHEDULER is None:
        cluster.close()

# %%
# Score per candidate
# -------------------
# The RMSE of each candidate over the folds, as the two searches measured it.
# The times are those of a small search: the cluster's include starting
# torch and skrnn in each new worker process, and its two workers share this
# machine's cores with the client. Candidates that take minutes each are where
# a cluster pays.
if __name__ == "__main__":
    labels = [
        f"window={p['win__window']}\nhidden={p['rnn__hidden_size']}"
        for p in local.cv_results_["params"]
    ]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for shift, name, result, seconds in [
        (-0.2, "this machine", local, local_seconds),
        (0.2, "cluster", remote, remote_seconds),
    ]:
        scores = -result.cv_results_["mean_test_score"]
        ax.bar(x + shift, scores, 0.4, label=f"{name}, search {seconds:.0f} s")
    ax.set_xticks(x, labels)
    ax.set_ylabel("CV RMSE")
    ax.set_title("Mean RMSE over the folds, per candidate")
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    plt.show()
