import os
from types import MappingProxyType

import numpy as np
import pytest
import torch


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "cuda: needs a CUDA GPU; skipped on a machine without one"
    )
    # pytest-xdist's own marker, known here also when it is not installed.
    config.addinivalue_line("markers", "xdist_group(name): run on one xdist worker")
    # Under pytest-xdist, each worker process trains on one torch thread (and the
    # processes it starts inherit that), so that workers do not oversubscribe the
    # cores they share. Results stay bit-for-bit reproducible within a process.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"
        torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if item.get_closest_marker("cuda"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def fast():
    """Parameters for a fit of a fraction of a second, for the tests of what a fit
    does rather than how well it learns. Read-only: extend it as {**fast, ...}."""
    return MappingProxyType({"max_epochs": 3, "hidden_size": 8, "random_state": 0})


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def sequences(rng):
    """48 sequences of 12 steps and 3 features, with a regression target."""
    X = rng.normal(size=(48, 12, 3))
    y = X[:, -1, 0] + 0.5 * X[:, -2, 1]
    return X, y


@pytest.fixture
def labelled_sequences(rng):
    """48 sequences of 12 steps and 2 features with three string labels."""
    X = rng.normal(size=(48, 12, 2))
    score = X[:, :, 0].mean(axis=1)
    y = np.select([score < -0.1, score > 0.1], ["down", "up"], "flat")
    return X, y
