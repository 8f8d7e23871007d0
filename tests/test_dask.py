"""Scaling out: GridSearchCV on a real dask LocalCluster through joblib's backend.

A module-scoped fixture starts 2 worker processes of one thread each. pytest has
no timeout of its own here, so every call that waits on the cluster has one: the
searches run in a daemon thread that the test stops waiting for (``within``), and
fits submitted directly wait through ``Future.result(timeout=...)``. A hung
cluster fails its test, and the daemon thread never keeps pytest from exiting.

Results are compared bit for bit, which holds for the same number of torch
threads: the workers run one each, so the local searches do too (``one_thread``).
"""

import os
import threading

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TimeSeriesSplit,
    cross_validate,
)
from sklearn.pipeline import Pipeline

from skrnn import RNNClassifier, RNNRegressor, SequenceWindower

distributed = pytest.importorskip("distributed")

# Under pytest-xdist with --dist loadgroup, these tests share one worker, and so
# one cluster.
pytestmark = pytest.mark.xdist_group("dask")

TIMEOUT = 60  # seconds for any one wait on the cluster


class ThreadRecordingRNN(RNNRegressor):
    """RNNRegressor that remembers the torch threads and process of its fit.

    Pickled by reference: the workers inherit this process's ``sys.path`` (dask
    spawns them), so they import this module to unpickle it.
    """

    def fit(self, X, y, sample_weight=None):
        self.torch_threads_, self.pid_ = torch.get_num_threads(), os.getpid()
        return super().fit(X, y, sample_weight)


def within(seconds, function, *args):
    """Return ``function(*args)``, or fail the test if it takes over ``seconds``."""
    outcome = {}

    def call():
        try:
            outcome["value"] = function(*args)
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"{function.__name__} did not return within {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture(scope="module")
def client():
    def start():
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = distributed.Client(cluster, timeout=TIMEOUT)
        client.wait_for_workers(2, timeout=TIMEOUT)
        return cluster, client

    # The nanny sets OMP_NUM_THREADS=1 and the like in the environment of the
    # process that runs it, this one; the tests that follow must not inherit them.
    environ = dict(os.environ)
    try:
        cluster, client = within(TIMEOUT, start)
        yield client
        client.close(timeout=TIMEOUT)
        cluster.close(timeout=TIMEOUT)
    finally:
        os.environ.clear()
        os.environ.update(environ)


@pytest.fixture
def one_thread():
    """Run the local fits on one torch thread, as the dask workers do."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _series(n_rows=240):
    rng = np.random.default_rng(0)
    t = np.arange(n_rows)
    values = np.sin(2 * np.pi * t / 24) + 0.1 * rng.normal(size=n_rows)
    return values[:-1, None], values[1:]


def _pipeline(fast):
    return Pipeline([("win", SequenceWindower()), ("rnn", RNNRegressor(**fast))])


def _search_on_dask(search, X, y):
    with joblib.parallel_backend("dask"):
        return search.fit(X, y)


def _cross_validate_on_dask(estimator, X, y):
    with joblib.parallel_backend("dask"):
        result = cross_validate(
            estimator, X, y, cv=TimeSeriesSplit(n_splits=3), return_estimator=True
        )
    return result["estimator"]


def _on_each_worker(client, function):
    """``function()`` run as a task (in a worker's executor thread) on each worker."""
    futures = [
        client.submit(function, workers=[worker], pure=False)
        for worker in sorted(client.scheduler_info()["workers"])
    ]
    return [future.result(timeout=TIMEOUT) for future in futures]


def test_grid_search_of_a_pipeline_on_dask_matches_the_local_search(
    client, one_thread, fast
):
    X, y = _series()
    grid = {"win__window": [6, 12], "rnn__hidden_size": [4, 8]}
    search = GridSearchCV(
        _pipeline(fast), grid, cv=TimeSeriesSplit(n_splits=2), n_jobs=-1
    )
    remote = within(TIMEOUT, _search_on_dask, clone(search), X, y)
    local = clone(search).set_params(n_jobs=1).fit(X, y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    # The candidates differ, so the equality above is not that of a tie.
    assert len(set(local.cv_results_["mean_test_score"])) == 4


def test_grid_search_of_a_classifier_on_dask_matches_the_local_search(
    client, one_thread, fast, labelled_sequences
):
    X, y = labelled_sequences
    search = GridSearchCV(
        RNNClassifier(**fast),
        {"hidden_size": [4, 8], "cell": ["lstm", "gru"]},
        cv=StratifiedKFold(n_splits=2),
        scoring="neg_log_loss",
        n_jobs=-1,
    )
    remote = within(TIMEOUT, _search_on_dask, clone(search), X, y)
    local = clone(search).set_params(n_jobs=1).fit(X, y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


def test_each_worker_runs_torch_on_one_thread(client, fast):
    # The nanny sets OMP_NUM_THREADS=MKL_NUM_THREADS=1 before it spawns a worker
    # (distributed.nanny.pre-spawn-environ); torch reads them when it starts, and
    # MKL_NUM_THREADS wins when both are set.
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        # os.getenv, not os.environ.get, whose pickle carries this process's environ.
        environ = within(TIMEOUT, client.run, os.getenv, name)
        assert list(environ.values()) == ["1", "1"], name
    assert _on_each_worker(client, torch.get_num_threads) == [1, 1]
    # So does each fit that joblib sends there, in a worker's executor thread.
    X, y = _series(120)
    pipe = _pipeline(fast).set_params(
        rnn=ThreadRecordingRNN(hidden_size=4, max_epochs=1, random_state=0)
    )
    fitted = within(TIMEOUT, _cross_validate_on_dask, pipe, X, y)
    workers = within(TIMEOUT, client.run, os.getpid)
    assert {model[-1].pid_ for model in fitted} <= set(workers.values())
    assert [model[-1].torch_threads_ for model in fitted] == [1, 1, 1]


def test_model_fitted_on_a_worker_predicts_on_the_client_as_a_local_fit(
    client, one_thread, fast
):
    X, y = _series()
    remote = client.submit(clone(_pipeline(fast)).fit, X, y, pure=False)
    remote = remote.result(timeout=TIMEOUT)
    local = clone(_pipeline(fast)).fit(X, y)
    assert remote[-1].device_ == torch.device("cpu")
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))
