"""Behaviour of RNNRegressor and RNNClassifier: shapes, padding, determinism,
devices, and use inside scikit-learn's model-selection tools."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skrnn import RNNClassifier, RNNRegressor


def _pad(X, front, back):
    n, _, f = X.shape
    return np.concatenate(
        [np.full((n, front, f), np.nan), X, np.full((n, back, f), np.nan)], axis=1
    )


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_never_changes_a_prediction(sequences, fast, cell, bidirectional):
    X, y = sequences
    reg = RNNRegressor(cell=cell, bidirectional=bidirectional, num_layers=2, **fast)
    reg.fit(_pad(X, 2, 3), y)
    expected = reg.predict(X)
    np.testing.assert_allclose(reg.predict(_pad(X, 4, 0)), expected, atol=1e-5)
    np.testing.assert_allclose(reg.predict(_pad(X, 0, 4)), expected, atol=1e-5)
    np.testing.assert_allclose(reg.predict(list(X)), expected, atol=1e-5)


def test_padding_mixed_within_a_batch(sequences, fast):
    X, y = sequences
    reg = RNNRegressor(bidirectional=True, **fast).fit(X, y)
    ragged = [x[: 4 + i % 8] for i, x in enumerate(X)]
    alone = np.array([reg.predict(x[np.newaxis])[0] for x in ragged])
    np.testing.assert_allclose(reg.predict(ragged), alone, atol=1e-5)


def test_predict_accepts_other_sequence_lengths(sequences, fast):
    X, y = sequences
    reg = RNNRegressor(**fast).fit(X, y)
    assert reg.predict(X[:, :5]).shape == (48,)
    assert reg.predict(np.concatenate([X, X], axis=1)).shape == (48,)


def test_regressor_keeps_a_column_target_a_column(sequences, fast):
    # sklearn's checks cover 1D and (n, k) targets; (n, 1) stays (n, 1) here.
    X, y = sequences
    reg = RNNRegressor(**fast).fit(X, y[:, None])
    assert reg.predict(X).shape == (48, 1)
    assert reg.n_outputs_ == 1


def test_predict_proba_is_float64(labelled_sequences, fast):
    X, y = labelled_sequences
    assert RNNClassifier(**fast).fit(X, y).predict_proba(X).dtype == np.float64


def test_input_dtype_never_changes_the_model(sequences, fast):
    # Integer-valued inputs: every dtype holds the same values, and the network
    # computes in float32 whatever it is given.
    X, y = sequences
    X = np.round(10 * X)
    expected = RNNRegressor(**fast).fit(X, y).predict(X)
    for dtype in [np.float32, np.int64, np.int8]:
        reg = RNNRegressor(**fast).fit(X.astype(dtype), y)
        np.testing.assert_array_equal(reg.predict(X.astype(dtype)), expected)


def test_same_seed_is_bit_for_bit_reproducible(sequences, fast):
    X, y = sequences
    params = {**fast, "dropout": 0.2, "num_layers": 2}
    first = RNNRegressor(**params).fit(X, y).predict(X)
    second = RNNRegressor(**params).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)
    other = RNNRegressor(**{**params, "random_state": 1}).fit(X, y).predict(X)
    assert not np.allclose(first, other)


def test_fit_leaves_global_random_state_alone(sequences, fast):
    X, y = sequences
    torch_state = torch.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()  # noqa: NPY002
    for random_state in [0, None, np.random.RandomState(3)]:
        RNNRegressor(**{**fast, "random_state": random_state}).fit(X, y)
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
def test_training_lowers_the_loss_with_other_parameters(sequences, fast, params):
    reg = RNNRegressor(**{**fast, **params}).fit(*sequences)
    assert len(reg.loss_curve_) == reg.n_epochs_ == 3
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]


@pytest.mark.parametrize(
    ("optimizer", "expected"),
    [
        ("adam", torch.optim.Adam),
        ("adamw", torch.optim.AdamW),
        ("rmsprop", torch.optim.RMSprop),
        ("sgd", torch.optim.SGD),
    ],
)
def test_optimizer_is_the_named_torch_optimizer(sequences, optimizer, expected):
    reg = RNNRegressor(optimizer=optimizer, lr=0.05, weight_decay=1e-3, max_epochs=1)
    torch_optimizer = reg.fit(*sequences).net_.optimizer_
    assert type(torch_optimizer) is expected
    assert torch_optimizer.param_groups[0]["lr"] == 0.05
    assert torch_optimizer.param_groups[0]["weight_decay"] == 1e-3


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"cell": "gru", "hidden_size": 5, "num_layers": 3, "bidirectional": True},
            (torch.nn.GRU, 5, 3, True, "tanh"),
        ),
        (
            {"cell": "rnn", "hidden_size": 4, "nonlinearity": "relu"},
            (torch.nn.RNN, 4, 1, False, "relu"),
        ),
    ],
)
def test_module_follows_architecture_parameters(sequences, params, expected):
    reg = RNNRegressor(**params, max_epochs=1).fit(*sequences)
    rnn = reg.net_.module_.rnn
    assert type(rnn) is expected[0]
    assert (rnn.hidden_size, rnn.num_layers, rnn.bidirectional) == expected[1:4]
    assert getattr(rnn, "nonlinearity", "tanh") == expected[4]
    directions = 2 if expected[3] else 1
    assert reg.net_.module_.head[0].in_features == expected[1] * directions


def test_warm_start_continues_training(sequences, fast):
    X, y = sequences
    reg = RNNRegressor(**{**fast, "warm_start": True}).fit(X, y)
    weights = reg.net_.module_.head[-1].weight.detach().clone()
    module = reg.net_.module_
    reg.fit(X, y)
    assert reg.net_.module_ is module
    assert reg.n_epochs_ == 6
    assert not torch.equal(weights, module.head[-1].weight)
    cold = RNNRegressor(**fast).fit(X, y)
    assert cold.fit(X, y).n_epochs_ == 3


def test_warm_start_uses_changed_training_parameters(sequences, fast):
    X, y = sequences
    reg = RNNRegressor(**{**fast, "warm_start": True}).fit(X, y)
    reg.set_params(max_epochs=2, lr=0.5, batch_size=8, clip_grad_norm=None).fit(X, y)
    assert reg.n_epochs_ == 5
    assert reg.net_.optimizer_.param_groups[0]["lr"] == 0.5
    assert reg.net_.batch_size == 8
    with pytest.raises(ValueError, match="hidden_size changed from 8 to 4"):
        reg.set_params(hidden_size=4).fit(X, y)


def test_warm_start_in_two_fits_draws_new_dropout_masks(sequences, fast):
    X, y = sequences
    params = {**fast, "dropout": 0.5, "num_layers": 2}
    once = RNNRegressor(**{**params, "max_epochs": 6}).fit(X, y).predict(X)
    twice = RNNRegressor(**{**params, "warm_start": True}).fit(X, y).fit(X, y)
    again = RNNRegressor(**{**params, "warm_start": True}).fit(X, y).fit(X, y)
    np.testing.assert_array_equal(twice.predict(X), again.predict(X))
    assert not np.array_equal(twice.predict(X), once)


@pytest.mark.skipif(
    torch.cuda.is_available() or torch.backends.mps.is_available(),
    reason="this machine has an accelerator",
)
def test_auto_device_on_a_cpu_machine(sequences, fast):
    reg = RNNRegressor(**{**fast, "device": "auto"}).fit(*sequences)
    assert reg.device_ == torch.device("cpu")


@pytest.mark.cuda
def test_auto_device_picks_the_gpu(sequences, fast):
    reg = RNNRegressor(**{**fast, "device": "auto"}).fit(*sequences)
    assert reg.device_ == torch.device("cuda:0")
    assert next(reg.net_.module_.parameters()).device == torch.device("cuda:0")


@pytest.mark.skipif(torch.cuda.device_count() > 3, reason="this machine has cuda:3")
def test_unavailable_device_names_the_available_ones(sequences, fast):
    with pytest.raises(ValueError, match=r"not available.*available devices: \['cpu'"):
        RNNRegressor(**{**fast, "device": "cuda:3"}).fit(*sequences)


@pytest.mark.skipif(torch.cuda.device_count() > 3, reason="this machine has cuda:3")
@pytest.mark.parametrize(
    ("device", "message"),
    [("tpu", "device must be 'auto', 'cpu'"), ("cuda:3", "is not available")],
)
def test_set_params_to_a_refused_device_changes_nothing(
    sequences, fast, device, message
):
    X, y = sequences
    reg = RNNRegressor(**fast).fit(X, y)
    expected = reg.predict(X)
    with pytest.raises(ValueError, match=message):
        reg.set_params(device=device)
    assert reg.device == "cpu"
    assert reg.device_ == torch.device("cpu")
    np.testing.assert_array_equal(reg.predict(X), expected)


@pytest.mark.skipif(torch.cuda.device_count() > 3, reason="this machine has cuda:3")
def test_set_params_device_lets_a_model_of_a_missing_gpu_train_here(sequences, fast):
    X, y = sequences
    reg = RNNRegressor(**fast, warm_start=True).fit(X, y)
    expected = reg.predict(X)
    reg.device = "cuda:3"  # as unpickled from a machine that has that GPU
    with pytest.raises(ValueError, match="device='cuda:3' is not available"):
        reg.fit(X, y)
    reg.set_params(device="cpu")
    np.testing.assert_array_equal(reg.predict(X), expected)
    assert reg.fit(X, y).n_epochs_ == 6  # it continues where it was


@pytest.mark.cuda
def test_set_params_device_moves_a_fitted_model_to_the_gpu_and_back(sequences, fast):
    X, y = sequences
    reg = RNNRegressor(**fast, warm_start=True).fit(X, y)
    expected = reg.predict(X)
    reg.set_params(device="cuda")
    assert reg.device_ == torch.device("cuda:0")
    assert all(p.is_cuda for p in reg.net_.module_.parameters())
    for state in reg.net_.optimizer_.state.values():
        assert all(v.is_cuda for v in state.values() if torch.is_tensor(v) and v.dim())
    np.testing.assert_allclose(reg.predict(X), expected, atol=1e-5)
    reg.set_params(device="cpu")  # back, unchanged
    np.testing.assert_array_equal(reg.predict(X), expected)
    # The moved optimizer state continues training where the model now is.
    reg.set_params(device="cuda").fit(X, y)
    assert reg.n_epochs_ == 6
    assert all(p.is_cuda for p in reg.net_.module_.parameters())


def _series_windows(n=120, window=8):
    t = np.arange(n + window)
    series = np.sin(t / 3) + 0.1 * np.cos(t)
    X = np.lib.stride_tricks.sliding_window_view(series[:-1], window)
    return X, series[window:]


def test_grid_search_in_parallel_matches_the_serial_search(fast):
    X, y = _series_windows()
    pipe = make_pipeline(FunctionTransformer(), RNNRegressor(**fast))
    grid = GridSearchCV(
        pipe,
        {"rnnregressor__hidden_size": [4, 8], "rnnregressor__cell": ["gru"]},
        cv=TimeSeriesSplit(n_splits=2),
        n_jobs=2,
    )
    grid.fit(X, y)
    serial = clone(grid).set_params(n_jobs=1).fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    np.testing.assert_allclose(scores, serial.cv_results_["mean_test_score"])
    assert scores[0] != scores[1]  # the nested parameter reached the estimator


def test_head_layers_sit_between_the_recurrent_output_and_the_output(sequences, fast):
    reg = RNNRegressor(**fast, head_layers=(6, 4)).fit(*sequences)
    layers = [type(layer).__name__ for layer in reg.net_.module_.head]
    assert layers == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [reg.net_.module_.head[i].out_features for i in (0, 2, 4)] == [6, 4, 1]
    with pytest.raises(ValueError, match="each width in head_layers must be"):
        RNNRegressor(**fast, head_layers=(8, 0)).fit(*sequences)
    with pytest.raises(ValueError, match="head_layers must be a tuple"):
        RNNRegressor(**fast, head_layers=8).fit(*sequences)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_sequences_of_length_one(rng, fast, return_sequences):
    X = rng.normal(size=(40, 1, 2))  # one-to-one
    y = X[:, :, 0] * 2 if return_sequences else X[:, 0, 0] * 2
    reg = RNNRegressor(**fast, return_sequences=return_sequences).fit(X, y)
    assert reg.predict(X).shape == y.shape


def test_return_sequences_regressor_shapes(sequences, fast):
    X, _ = sequences
    y = X[:, :, :2].cumsum(axis=1)
    reg = RNNRegressor(**fast, return_sequences=True)
    assert reg.fit(X, y[:, :, 0]).predict(X).shape == (48, 12)
    assert reg.fit(X, y).predict(X).shape == (48, 12, 2)
    assert reg.n_outputs_ == 2
    assert reg.predict(X[:, :5]).shape == (48, 5, 2)
    with pytest.raises(ValueError, match=r"target for every time step.*\(48, 12"):
        reg.fit(X, y[:, :-1])


def test_return_sequences_leaves_padding_out_of_loss_and_predictions(sequences, fast):
    X, _ = sequences
    y = X[:, :, 0].cumsum(axis=1)
    X_padded, y_padded = X.copy(), y.copy()
    X_padded[:10, :3] = np.nan  # 10 sequences start late, 5 end early
    X_padded[40:, -2:] = np.nan
    y_padded[:10, :3] = np.nan
    y_padded[40:, -2:] = 1e6
    reg = RNNRegressor(**fast, return_sequences=True, bidirectional=True)
    reg.fit(X_padded, y_padded)
    # Other values at the padding steps: the same training.
    y_other = np.where(np.isnan(X_padded[:, :, 0]), -5.0, y)
    other = RNNRegressor(**fast, return_sequences=True, bidirectional=True)
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


def test_return_sequences_from_lists_of_sequences(sequences, fast):
    X, _ = sequences
    ragged = [x[: 4 + i % 8] for i, x in enumerate(X)]
    targets = [x[:, 0].cumsum() for x in ragged]
    reg = RNNRegressor(**fast, return_sequences=True).fit(ragged, targets)
    pred = reg.predict(ragged)
    assert pred.shape == (48, 11)
    observed = [p[~np.isnan(p)] for p in pred]
    assert [len(p) for p in observed] == [len(t) for t in targets]
    # score is R^2 over the observed steps of all sequences together.
    expected = r2_score(np.concatenate(targets), np.concatenate(observed))
    assert reg.score(ragged, targets) == pytest.approx(expected)


def test_sequence_tagging_classifier(labelled_sequences, fast):
    X, _ = labelled_sequences
    tags = np.where(X[:, :, 0].cumsum(axis=1) > 0, "above", "below")
    X_padded = X.copy()
    X_padded[:6, -4:] = np.nan
    clf = RNNClassifier(**{**fast, "max_epochs": 30}, return_sequences=True)
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


def test_reversed_views_are_read_like_copies(sequences, fast):
    X, y = sequences
    reg = RNNRegressor(**fast).fit(X[::-1], y[::-1])
    reversed_in_time = X[:, ::-1]
    np.testing.assert_array_equal(
        reg.predict(reversed_in_time), reg.predict(reversed_in_time.copy())
    )
    copy = RNNRegressor(**fast).fit(X[::-1].copy(), y[::-1].copy())
    np.testing.assert_array_equal(copy.predict(X), reg.predict(X))
