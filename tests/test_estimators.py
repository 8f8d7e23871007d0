"""Behaviour of RNNRegressor and RNNClassifier: shapes, padding, determinism,
devices, and use inside scikit-learn's model-selection tools."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skrnn import RNNClassifier, RNNRegressor

FAST = {"max_epochs": 3, "hidden_size": 8, "random_state": 0}


def _pad(X, front, back):
    n, _, f = X.shape
    return np.concatenate(
        [np.full((n, front, f), np.nan), X, np.full((n, back, f), np.nan)], axis=1
    )


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_never_changes_a_prediction(sequences, cell, bidirectional):
    X, y = sequences
    reg = RNNRegressor(cell=cell, bidirectional=bidirectional, num_layers=2, **FAST)
    reg.fit(_pad(X, 2, 3), y)
    expected = reg.predict(X)
    np.testing.assert_allclose(reg.predict(_pad(X, 4, 0)), expected, atol=1e-5)
    np.testing.assert_allclose(reg.predict(_pad(X, 0, 4)), expected, atol=1e-5)
    np.testing.assert_allclose(reg.predict(list(X)), expected, atol=1e-5)


def test_padding_mixed_within_a_batch(sequences):
    X, y = sequences
    reg = RNNRegressor(bidirectional=True, **FAST).fit(X, y)
    ragged = [x[: 4 + i % 8] for i, x in enumerate(X)]
    alone = np.array([reg.predict(x[np.newaxis])[0] for x in ragged])
    np.testing.assert_allclose(reg.predict(ragged), alone, atol=1e-5)


def test_predict_accepts_other_sequence_lengths(sequences):
    X, y = sequences
    reg = RNNRegressor(**FAST).fit(X, y)
    assert reg.predict(X[:, :5]).shape == (48,)
    assert reg.predict(np.concatenate([X, X], axis=1)).shape == (48,)


def test_regressor_output_shape_follows_y(sequences):
    X, y = sequences
    assert RNNRegressor(**FAST).fit(X, y).predict(X).shape == (48,)
    y2 = np.column_stack([y, -y, 2 * y])
    reg = RNNRegressor(**FAST).fit(X, y2)
    assert reg.predict(X).shape == (48, 3)
    assert reg.n_outputs_ == 3
    assert RNNRegressor(**FAST).fit(X, y[:, None]).predict(X).shape == (48, 1)


def test_predictions_are_float64(sequences, labelled_sequences):
    X, y = sequences
    assert RNNRegressor(**FAST).fit(X, y).predict(X).dtype == np.float64
    Xc, yc = labelled_sequences
    assert RNNClassifier(**FAST).fit(Xc, yc).predict_proba(Xc).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_any_real_dtype_trains(sequences, dtype):
    X, y = sequences
    reg = RNNRegressor(**FAST).fit((X * 10).astype(dtype), y)
    assert np.isfinite(reg.predict((X * 10).astype(dtype))).all()


def test_classifier_string_labels_and_probabilities(labelled_sequences):
    X, y = labelled_sequences
    clf = RNNClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, ["down", "flat", "up"])
    proba = clf.predict_proba(X)
    assert proba.shape == (48, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_classifier_binary_integer_labels(labelled_sequences):
    X, y = labelled_sequences
    y = np.where(y == "up", 7, 3)
    clf = RNNClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [3, 7])
    assert set(clf.predict(X)) <= {3, 7}
    assert clf.predict_proba(X).shape == (48, 2)


def test_same_seed_is_bit_for_bit_reproducible(sequences):
    X, y = sequences
    params = {**FAST, "dropout": 0.2, "num_layers": 2}
    first = RNNRegressor(**params).fit(X, y).predict(X)
    second = RNNRegressor(**params).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)
    other = RNNRegressor(**{**params, "random_state": 1}).fit(X, y).predict(X)
    assert not np.allclose(first, other)


def test_fit_leaves_global_random_state_alone(sequences):
    X, y = sequences
    torch_state = torch.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()  # noqa: NPY002
    for random_state in [0, None, np.random.RandomState(3)]:
        RNNRegressor(**{**FAST, "random_state": random_state}).fit(X, y)
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)  # noqa: NPY002


def test_defaults_learn_an_unscaled_regression(rng):
    t = np.arange(400)
    series = 300 + 80 * np.sin(2 * np.pi * t / 20) + rng.normal(0, 4, len(t))
    X = np.lib.stride_tricks.sliding_window_view(series[:-1], 20)
    y = series[20:]
    X_train, X_test, y_train, y_test = X[:300], X[300:], y[:300], y[300:]
    reg = RNNRegressor(random_state=0).fit(X_train, y_train)
    baseline = DummyRegressor().fit(X_train, y_train).score(X_test, y_test)
    assert baseline < 0.0
    assert reg.score(X_test, y_test) > 0.9


def test_defaults_learn_an_unscaled_classification(rng):
    # Two channels in the hundreds: a rising, falling or flat drift, plus noise.
    t = np.linspace(0, 1, 30)[:, None]
    labels = rng.choice(["rising", "falling", "flat"], size=300)
    slope = np.select([labels == "rising", labels == "falling"], [60.0, -60.0], 0.0)
    X = 500 + slope[:, None, None] * t * [1.0, 0.5] + rng.normal(0, 20, (300, 30, 2))
    clf = RNNClassifier(random_state=0).fit(X[:200], labels[:200])
    majority = DummyClassifier().fit(X[:200], labels[:200]).score(X[200:], labels[200:])
    assert majority < 0.45
    assert clf.score(X[200:], labels[200:]) > 0.9


@pytest.mark.parametrize(
    "params",
    [
        {"cell": "gru", "num_layers": 2, "dropout": 0.3},
        {"cell": "rnn", "nonlinearity": "relu", "bidirectional": True},
        {"optimizer": "sgd", "clip_grad_norm": None, "weight_decay": 1e-4},
        {"optimizer": "adamw", "shuffle": False, "batch_size": 7},
        {"optimizer": "rmsprop"},
    ],
)
def test_parameters_train_finite_models(sequences, params):
    X, y = sequences
    reg = RNNRegressor(**{**FAST, **params}).fit(X, y)
    assert np.isfinite(reg.predict(X)).all()
    assert len(reg.loss_curve_) == reg.n_epochs_ == 3


def test_module_follows_architecture_parameters(sequences):
    X, y = sequences
    reg = RNNRegressor(
        cell="gru", hidden_size=5, num_layers=3, bidirectional=True, **{"max_epochs": 1}
    ).fit(X, y)
    rnn = reg.net_.module_.rnn
    assert isinstance(rnn, torch.nn.GRU)
    assert (rnn.hidden_size, rnn.num_layers, rnn.bidirectional) == (5, 3, True)
    assert reg.net_.module_.head[0].in_features == 10


def test_warm_start_continues_training(sequences):
    X, y = sequences
    reg = RNNRegressor(**{**FAST, "warm_start": True}).fit(X, y)
    weights = reg.net_.module_.head[-1].weight.detach().clone()
    module = reg.net_.module_
    reg.fit(X, y)
    assert reg.net_.module_ is module
    assert reg.n_epochs_ == 6
    assert not torch.equal(weights, module.head[-1].weight)
    cold = RNNRegressor(**FAST).fit(X, y)
    assert cold.fit(X, y).n_epochs_ == 3


def test_warm_start_uses_changed_training_parameters(sequences):
    X, y = sequences
    reg = RNNRegressor(**{**FAST, "warm_start": True}).fit(X, y)
    reg.set_params(max_epochs=2, lr=0.5, batch_size=8, clip_grad_norm=None).fit(X, y)
    assert reg.n_epochs_ == 5
    assert reg.net_.optimizer_.param_groups[0]["lr"] == 0.5
    assert reg.net_.batch_size == 8
    with pytest.raises(ValueError, match="hidden_size changed from 8 to 4"):
        reg.set_params(hidden_size=4).fit(X, y)


def test_warm_start_in_two_fits_draws_new_dropout_masks(sequences):
    X, y = sequences
    params = {**FAST, "dropout": 0.5, "num_layers": 2}
    once = RNNRegressor(**{**params, "max_epochs": 6}).fit(X, y).predict(X)
    twice = RNNRegressor(**{**params, "warm_start": True}).fit(X, y).fit(X, y)
    again = RNNRegressor(**{**params, "warm_start": True}).fit(X, y).fit(X, y)
    np.testing.assert_array_equal(twice.predict(X), again.predict(X))
    assert not np.array_equal(twice.predict(X), once)


def test_auto_device_on_a_cpu_machine(sequences):
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this machine has an accelerator")
    reg = RNNRegressor(**{**FAST, "device": "auto"}).fit(*sequences)
    assert reg.device_ == torch.device("cpu")


def test_unavailable_device_names_the_available_ones(sequences):
    if torch.cuda.device_count() > 3:
        pytest.skip("this machine has cuda:3")
    with pytest.raises(ValueError, match=r"not available.*available devices: \['cpu'"):
        RNNRegressor(**{**FAST, "device": "cuda:3"}).fit(*sequences)


def test_set_params_device_moves_a_fitted_model(sequences):
    X, y = sequences
    reg = RNNRegressor(**FAST).fit(X, y)
    expected = reg.predict(X)
    reg.set_params(device="cpu")
    assert reg.device_ == torch.device("cpu")
    np.testing.assert_array_equal(reg.predict(X), expected)
    with pytest.raises(ValueError, match="device must be"):
        reg.set_params(device="tpu")
    assert reg.device == "cpu"  # a refused device changes nothing
    reg.fit(X, y)


def test_pickle_round_trip_predicts_identically(sequences):
    X, y = sequences
    reg = RNNRegressor(**FAST).fit(X, y)
    restored = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(restored.predict(X), reg.predict(X))
    unfitted = pickle.loads(pickle.dumps(RNNClassifier(hidden_size=3)))
    assert unfitted.get_params() == RNNClassifier(hidden_size=3).get_params()


def test_clone_is_unfitted_with_same_params(sequences):
    reg = RNNRegressor(**FAST).fit(*sequences)
    copy = clone(reg)
    assert copy.get_params() == reg.get_params()
    assert not hasattr(copy, "net_")


def test_pipeline_with_scaler_and_float64(sequences):
    X, y = sequences
    pipe = make_pipeline(StandardScaler(), RNNRegressor(**FAST))
    pipe.fit(X[:, :, 0] * 1000, y)
    assert pipe.predict(X[:, :, 0] * 1000).shape == (48,)


def _series_windows(n=120, window=8):
    t = np.arange(n + window)
    series = np.sin(t / 3) + 0.1 * np.cos(t)
    X = np.lib.stride_tricks.sliding_window_view(series[:-1], window)
    return X, series[window:]


def test_grid_search_over_nested_params_in_parallel():
    X, y = _series_windows()
    pipe = make_pipeline(FunctionTransformer(), RNNRegressor(**FAST))
    grid = GridSearchCV(
        pipe,
        {"rnnregressor__hidden_size": [4, 8], "rnnregressor__cell": ["gru"]},
        cv=TimeSeriesSplit(n_splits=2),
        n_jobs=2,
    )
    grid.fit(X, y)
    assert set(grid.best_params_) == {"rnnregressor__hidden_size", "rnnregressor__cell"}
    serial = clone(grid).set_params(n_jobs=1).fit(X, y)
    np.testing.assert_allclose(
        grid.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )


def test_cross_val_score_with_time_series_split():
    X, y = _series_windows()
    scores = cross_val_score(
        RNNRegressor(**FAST), X, y, cv=TimeSeriesSplit(n_splits=3), scoring="r2"
    )
    assert scores.shape == (3,)
    assert np.isfinite(scores).all()


def test_head_layers_sit_between_the_recurrent_output_and_the_output(sequences):
    reg = RNNRegressor(**FAST, head_layers=(6, 4)).fit(*sequences)
    layers = [type(layer).__name__ for layer in reg.net_.module_.head]
    assert layers == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [reg.net_.module_.head[i].out_features for i in (0, 2, 4)] == [6, 4, 1]
    with pytest.raises(ValueError, match="each width in head_layers must be"):
        RNNRegressor(**FAST, head_layers=(8, 0)).fit(*sequences)
    with pytest.raises(ValueError, match="head_layers must be a tuple"):
        RNNRegressor(**FAST, head_layers=8).fit(*sequences)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_sequences_of_length_one(rng, return_sequences):
    X = rng.normal(size=(40, 1, 2))  # one-to-one
    y = X[:, :, 0] * 2 if return_sequences else X[:, 0, 0] * 2
    reg = RNNRegressor(**FAST, return_sequences=return_sequences).fit(X, y)
    assert reg.predict(X).shape == y.shape


def test_return_sequences_regressor_shapes(sequences):
    X, _ = sequences
    y = X[:, :, :2].cumsum(axis=1)
    reg = RNNRegressor(**FAST, return_sequences=True)
    assert reg.fit(X, y[:, :, 0]).predict(X).shape == (48, 12)
    assert reg.fit(X, y).predict(X).shape == (48, 12, 2)
    assert reg.n_outputs_ == 2
    assert reg.predict(X[:, :5]).shape == (48, 5, 2)
    with pytest.raises(ValueError, match=r"target for every time step.*\(48, 12"):
        reg.fit(X, y[:, :-1])


def test_return_sequences_leaves_padding_out_of_loss_and_predictions(sequences):
    X, _ = sequences
    y = X[:, :, 0].cumsum(axis=1)
    X_padded, y_padded = X.copy(), y.copy()
    X_padded[:10, :3] = np.nan  # 10 sequences start late, 5 end early
    X_padded[40:, -2:] = np.nan
    y_padded[:10, :3] = np.nan
    y_padded[40:, -2:] = 1e6
    reg = RNNRegressor(**FAST, return_sequences=True, bidirectional=True)
    reg.fit(X_padded, y_padded)
    # Other values at the padding steps: the same training.
    y_other = np.where(np.isnan(X_padded[:, :, 0]), -5.0, y)
    other = RNNRegressor(**FAST, return_sequences=True, bidirectional=True)
    assert other.fit(X_padded, y_other).loss_curve_ == reg.loss_curve_
    pred = reg.predict(X_padded)
    np.testing.assert_array_equal(np.isnan(pred), np.isnan(X_padded[:, :, 0]))
    # A padded sequence predicts at each step what it predicts unpadded.
    np.testing.assert_allclose(pred[:10, 3:], reg.predict(X[:10, 3:]), atol=1e-5)
    np.testing.assert_allclose(pred[40:, :-2], reg.predict(X[40:, :-2]), atol=1e-5)
    y_missing = y.copy()
    y_missing[2, 5] = np.nan
    with pytest.raises(ValueError, match="time step 5 of sample 2"):
        reg.fit(X_padded, y_missing)


def test_return_sequences_from_lists_of_sequences(sequences):
    X, _ = sequences
    ragged = [x[: 4 + i % 8] for i, x in enumerate(X)]
    targets = [x[:, 0].cumsum() for x in ragged]
    reg = RNNRegressor(**FAST, return_sequences=True).fit(ragged, targets)
    pred = reg.predict(ragged)
    assert pred.shape == (48, 11)
    assert [int(np.sum(~np.isnan(p))) for p in pred] == [len(t) for t in targets]
    assert -1 < reg.score(ragged, targets) <= 1


def test_sequence_tagging_classifier(labelled_sequences):
    X, _ = labelled_sequences
    tags = np.where(X[:, :, 0].cumsum(axis=1) > 0, "above", "below")
    X_padded = X.copy()
    X_padded[:6, -4:] = np.nan
    clf = RNNClassifier(**{**FAST, "max_epochs": 30}, return_sequences=True)
    clf.fit(X_padded, tags)
    assert clf.classes_.tolist() == ["above", "below"]
    proba = clf.predict_proba(X_padded)
    assert proba.shape == (48, 12, 2)
    assert np.isnan(proba[:6, -4:]).all()
    np.testing.assert_allclose(proba[6:].sum(axis=2), 1.0)
    labels = clf.predict(X_padded)
    assert labels.shape == (48, 12)
    assert (labels[:6, -4:] == None).all()  # noqa: E711 (elementwise)
    assert set(labels[6:].ravel()) <= {"above", "below"}
    assert clf.score(X_padded, tags) > 0.8
    assert clf.predict(X).dtype == tags.dtype  # no padding: plain labels


def test_reversed_views_are_read_like_copies(sequences):
    X, y = sequences
    reg = RNNRegressor(**FAST).fit(X[::-1], y[::-1])
    reversed_in_time = X[:, ::-1]
    np.testing.assert_array_equal(
        reg.predict(reversed_in_time), reg.predict(reversed_in_time.copy())
    )
    copy = RNNRegressor(**FAST).fit(X[::-1].copy(), y[::-1].copy())
    np.testing.assert_array_equal(copy.predict(X), reg.predict(X))
