"""ESNRegressor and ESNClassifier: the reservoir, its features and the data contract."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from skrnn import (
    ESNClassifier,
    ESNRegressor,
    SequenceWindower,
    direct_forecast,
    future_targets,
    load,
    make_windows,
    recursive_forecast,
    save,
)


@pytest.fixture
def small():
    return {"n_reservoir": 40, "random_state": 0}


@pytest.mark.parametrize("n_reservoir", [40, 400])  # dense, then sparse (ARPACK)
def test_reservoir_is_scaled_to_its_spectral_radius(sequences, n_reservoir):
    esn = ESNRegressor(n_reservoir=n_reservoir, spectral_radius=0.7, random_state=0)
    esn.fit(*sequences)
    radius = np.abs(np.linalg.eigvals(esn.reservoir_weights_)).max()
    assert radius == pytest.approx(0.7, rel=1e-5)
    assert esn.input_weights_.shape == (n_reservoir, 3)
    density = (esn.reservoir_weights_ != 0).mean()
    assert 0.05 < density < 0.15  # connectivity=0.1


@pytest.mark.parametrize(
    ("readout", "width"), [("last", 3 + 40), ("mean", 40), ("both", 3 + 80)]
)
def test_transform_gives_the_readout_features(sequences, small, readout, width):
    X, y = sequences
    esn = ESNRegressor(**small, readout=readout)
    features = esn.fit_transform(X, y)
    assert features.shape == (48, width) == (48, esn.n_features_out_)
    assert list(esn.get_feature_names_out()[:2]) == ["esnregressor0", "esnregressor1"]
    np.testing.assert_array_equal(esn.transform(X), features)


def test_mean_over_the_last_step_alone_is_the_last_state(sequences, small):
    X, y = sequences
    last = ESNRegressor(**small, readout="last").fit(X, y).transform(X)
    mean = ESNRegressor(**small, readout="mean", washout=100).fit(X, y).transform(X)
    # A washout longer than the sequences keeps only each one's last step.
    np.testing.assert_allclose(mean, last[:, 3:])


def test_padding_and_ragged_lists_predict_what_the_observed_steps_do(rng, small):
    X = rng.normal(size=(30, 8, 2))
    y = X[:, -1, 0]
    esn = ESNRegressor(**small).fit(X, y)
    padded = np.full((30, 12, 2), np.nan)
    padded[:, 2:10] = X  # padding at both ends
    np.testing.assert_allclose(esn.predict(padded), esn.predict(X), atol=1e-12)
    ragged = [x[: 4 + i % 4] for i, x in enumerate(X)]
    one_by_one = [esn.predict(x[np.newaxis])[0] for x in ragged]
    np.testing.assert_allclose(esn.predict(ragged), one_by_one, atol=1e-12)


def test_batches_stream_without_changing_the_features(sequences, small):
    X, y = sequences
    whole = ESNRegressor(**small).fit(X, y).transform(X)
    streamed = ESNRegressor(**small, batch_size=5).fit(X, y).transform(X)
    np.testing.assert_allclose(streamed, whole, rtol=1e-12, atol=1e-12)


def test_leak_rate_slows_the_reservoir(rng, small):
    # A step input: after a few steps a slow reservoir's states are still
    # nearer their zero start than a fast one's.
    X_fit = rng.normal(size=(20, 3, 1))
    esn = ESNRegressor(**small, leak_rate=1.0, readout="mean")
    esn.fit(X_fit, X_fit[:, -1, 0])
    fast = esn.transform(np.ones((1, 3, 1)))
    slow = esn.set_params(leak_rate=0.1).transform(np.ones((1, 3, 1)))
    assert np.abs(slow).mean() < 0.5 * np.abs(fast).mean()


def test_esn_learns_the_next_value_of_a_noisy_sine(small):
    series = np.sin(np.arange(600) / 4) + 0.05 * np.random.default_rng(0).normal(
        size=600
    )
    X, y = make_windows(series, window=20)
    esn = ESNRegressor(random_state=0).fit(X[:450], y[:450])
    assert esn.score(X[450:], y[450:]) > 0.98


def test_classifier_decision_and_labels(labelled_sequences, small):
    X, y = labelled_sequences
    clf = ESNClassifier(**small).fit(X, y)
    assert list(clf.classes_) == ["down", "flat", "up"]
    scores = clf.decision_function(X)
    assert scores.shape == (48, 3)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[scores.argmax(axis=1)])
    binary = ESNClassifier(**small).fit(X, y == "up")
    assert binary.decision_function(X).shape == (48,)
    np.testing.assert_array_equal(binary.predict(X), binary.decision_function(X) > 0)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"leak_rate": 0.0}, r"leak_rate must be a float in \(0, 1\]"),
        ({"n_reservoir": 0}, r"n_reservoir must be an integer in \[1, 20000\]"),
        ({"readout": "max"}, r"readout must be one of \['last', 'mean', 'both'\]"),
        ({"connectivity": 1.5}, r"connectivity must be a float in \(0, 1\]"),
    ],
)
def test_bad_parameters_are_named(sequences, params, match):
    with pytest.raises(ValueError, match=match):
        ESNRegressor(**params).fit(*sequences)


def test_bad_targets_are_named(sequences, small):
    X, y = sequences
    with pytest.raises(ValueError, match="one target per sequence"):
        ESNRegressor(**small).fit(X, y[:10])
    with pytest.raises(ValueError, match="only one class"):
        ESNClassifier(**small).fit(X, np.zeros(48))


def test_esn_forecasts_through_a_windower_pipeline_and_a_search(small):
    index = pd.date_range("2000-01", periods=120, freq="MS")
    series = pd.Series(np.sin(np.arange(120) / 3) + 5, index=index, name="sales")
    frame = series.to_frame()
    pipe = Pipeline(
        [("win", SequenceWindower(window=6)), ("esn", ESNRegressor(**small))]
    )
    search = GridSearchCV(pipe, {"win__window": [3, 6]}, cv=TimeSeriesSplit(2))
    search.fit(*future_targets(frame, "sales"))
    forecast = recursive_forecast(search, frame, steps=3)
    assert forecast.index[0] == pd.Timestamp("2010-01-01")
    esn = ESNRegressor(**small).fit(*make_windows(series, window=12, horizon=4))
    assert direct_forecast(esn, series, window=12).shape == (4,)


def test_esn_survives_save_load_and_pickle(labelled_sequences, small, tmp_path):
    X, y = labelled_sequences
    clf = ESNClassifier(**small).fit(X, y)
    save(clf, tmp_path / "esn.safetensors")
    for restored in (
        load(tmp_path / "esn.safetensors"),
        pickle.loads(pickle.dumps(clf)),
    ):
        np.testing.assert_array_equal(
            restored.decision_function(X), clf.decision_function(X)
        )


def test_an_unavailable_device_is_refused_and_changes_nothing(sequences, small):
    esn = ESNRegressor(**small).fit(*sequences)
    with pytest.raises(ValueError, match="cuda:7"):
        esn.set_params(device="cuda:7")
    assert esn.device == "cpu"
    assert str(esn.device_) == "cpu"
