import numpy as np
import pytest


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
