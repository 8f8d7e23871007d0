"""Streaming inference: step by step, what predict gives on the whole history."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

from skrnn import (
    ESNClassifier,
    ESNRegressor,
    RNNClassifier,
    RNNRegressor,
    SequenceWindower,
    predict_stream,
    start_stream,
)

ARCHITECTURES = [
    {"cell": "lstm"},
    {"cell": "gru", "num_layers": 2},
    {"cell": "rnn", "nonlinearity": "relu", "head_layers": (4,)},
    {"cell": "lstm", "num_layers": 2, "dropout": 0.2},
]


@pytest.fixture(scope="module")
def long_sequences():
    """6 sequences of 80 steps, 2 features in the hundreds (scaled inside)."""
    return 100 + 10 * np.random.default_rng(0).normal(size=(6, 80, 2))


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_a_stream_predicts_what_predict_does_on_the_history(
    long_sequences, fast, architecture
):
    X = long_sequences
    reg = RNNRegressor(**fast, **architecture).fit(X, X[:, -1, 0])
    state = start_stream(reg, n_sequences=len(X))
    for t in range(X.shape[1]):
        y, state = predict_stream(reg, X[:, t : t + 1], state)
        if t in (0, 9, 79):
            np.testing.assert_allclose(y, reg.predict(X[:, : t + 1]), rtol=1e-5)
    assert state.n_steps == 80


def test_a_classifier_streams_labels_and_probabilities(long_sequences, fast):
    X = long_sequences
    clf = RNNClassifier(**fast, cell="gru").fit(X, X[:, -1, 0] > 100)
    state = start_stream(clf, n_sequences=len(X))
    proba, after = predict_stream(clf, X, state, method="predict_proba")
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-6)
    labels, _ = predict_stream(clf, X, state)
    np.testing.assert_array_equal(labels, clf.predict(X))
    assert after.n_steps == 80


def test_per_step_outputs_stream_for_the_new_steps(long_sequences, fast):
    X = long_sequences
    tagger = RNNRegressor(**fast, return_sequences=True).fit(X, X[..., 0].cumsum(1))
    state = start_stream(tagger, n_sequences=len(X))
    parts = []
    for lo, hi in [(0, 5), (5, 6), (6, 80)]:
        y, state = predict_stream(tagger, X[:, lo:hi], state)
        parts.append(y)
    np.testing.assert_allclose(
        np.concatenate(parts, axis=1), tagger.predict(X), rtol=1e-5, atol=1e-4
    )


def test_embedded_codes_stream(fast):
    X = np.random.default_rng(0).integers(0, 5, size=(4, 30)).astype(float)
    clf = RNNClassifier(**fast, categorical="all").fit(X, X[:, -1] > 2)
    state = start_stream(clf, n_sequences=4)
    for t in range(30):
        proba, state = predict_stream(
            clf, X[:, t : t + 1], state, method="predict_proba"
        )
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-6)


def test_a_state_is_a_checkpoint_that_pickles(long_sequences, fast):
    X = long_sequences
    reg = RNNRegressor(**fast).fit(X, X[:, -1, 0])
    _, middle = predict_stream(reg, X[:, :40], start_stream(reg, len(X)))
    restored = pickle.loads(pickle.dumps(middle))
    y, _ = predict_stream(reg, X[:, 40:], middle)
    again, _ = predict_stream(reg, X[:, 40:], restored)
    np.testing.assert_array_equal(again, y)
    np.testing.assert_allclose(y, reg.predict(X), rtol=1e-5)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"bidirectional": True}, "A bidirectional network cannot stream"),
        ({"scaling": "last", "target_features": 0}, "cannot carry its state"),
    ],
)
def test_models_that_cannot_stream_say_why(long_sequences, fast, params, match):
    X = long_sequences
    reg = RNNRegressor(**fast, **params).fit(X, X[:, -1, 0])
    with pytest.raises(ValueError, match=match):
        start_stream(reg)


@pytest.mark.parametrize(
    ("steps", "error", "match"),
    [
        (np.ones((3, 1, 2)), ValueError, "X holds 3 sequences, but the stream has 2"),
        (np.array([[[np.nan] * 2, [1, 1]]] * 2), ValueError, "a stream has no padding"),
        (np.ones((2, 1, 3)), ValueError, "X has 3 features per time step"),
    ],
)
def test_bad_steps_are_an_error(long_sequences, fast, steps, error, match):
    X = long_sequences
    reg = RNNRegressor(**fast).fit(X, X[:, -1, 0])
    with pytest.raises(error, match=match):
        predict_stream(reg, steps, start_stream(reg, n_sequences=2))


def test_state_must_come_from_start_stream(long_sequences, fast):
    X = long_sequences
    reg = RNNRegressor(**fast).fit(X, X[:, -1, 0])
    with pytest.raises(TypeError, match="state must be a StreamState"):
        predict_stream(reg, X, {"hidden": None})


def test_univariate_steps_are_2d(fast):
    X = np.random.default_rng(0).normal(size=(5, 12))
    reg = RNNRegressor(**fast, scaling="global").fit(X, X[:, -1])
    y, _ = predict_stream(reg, X, start_stream(reg, n_sequences=5))
    np.testing.assert_allclose(y, reg.predict(X), rtol=1e-5)


@pytest.fixture
def windowed():
    """A windowed Pipeline and a noisy sine table of 100 rows."""
    t = np.arange(100)
    table = pd.DataFrame(
        {"y": 10 * np.sin(t / 5) + np.random.default_rng(0).normal(size=100)}
    )
    pipe = make_pipeline(
        SequenceWindower(window=8),
        RNNRegressor(max_epochs=3, hidden_size=8, random_state=0),
    )
    return pipe, table


@pytest.mark.parametrize("as_array", [False, True])
def test_a_windowed_pipeline_streams_row_by_row(windowed, as_array):
    pipe, table = windowed
    data = table.to_numpy() if as_array else table
    pipe.fit(data[:59], table["y"].to_numpy()[1:60])
    state = start_stream(pipe, history=data[:60])
    streamed = []
    for i in range(60, 100):
        y, state = predict_stream(pipe, data[i : i + 1], state)
        streamed.append(y[0])
    np.testing.assert_array_equal(streamed, pipe.predict(data)[60:])
    assert len(state.rows) == 7  # window - 1


def test_row_by_row_predict_without_a_stream_warns(windowed):
    pipe, table = windowed
    pipe.fit(table[:59], table["y"][1:60].to_numpy())
    with pytest.warns(UserWarning, match="start_stream"):
        pipe.predict(table.iloc[[70]])


@pytest.mark.parametrize("readout", ["last", "mean", "both"])
def test_an_echo_state_network_streams(long_sequences, readout):
    X = long_sequences
    esn = ESNRegressor(n_reservoir=50, readout=readout, washout=5, random_state=0)
    esn.fit(X, X[:, -1, 0])
    state = start_stream(esn, n_sequences=len(X))
    for lo, hi in [(0, 3), (3, 4), (4, 30), (30, 80)]:  # across the washout
        y, state = predict_stream(esn, X[:, lo:hi], state)
        np.testing.assert_allclose(y, esn.predict(X[:, :hi]), rtol=1e-9)


def test_an_echo_state_classifier_streams_labels(long_sequences):
    X = long_sequences
    esn = ESNClassifier(n_reservoir=50, random_state=0).fit(X, X[:, -1, 0] > 100)
    labels, _ = predict_stream(esn, X, start_stream(esn, n_sequences=len(X)))
    np.testing.assert_array_equal(labels, esn.predict(X))
