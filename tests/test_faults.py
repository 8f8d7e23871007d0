"""Faults and hostile input: interrupted fits, odd parameter types, extreme values,
concurrent use. Each ends in a whole model or a clear ValueError/TypeError."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from skrnn import (
    RNNClassifier,
    RNNRegressor,
    SequenceWindower,
    from_sktime,
    make_windows,
    save,
)


class _Interrupt(Callback):
    """Raise KeyboardInterrupt at batch ``batch`` of epoch ``epoch`` (from 1)."""

    def __init__(self, epoch, batch=1):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        if training and len(net.history) == self.epoch:
            self.batch -= 1
            if self.batch == 0:
                raise KeyboardInterrupt


def test_an_interrupted_fit_keeps_its_last_completed_epoch(sequences, fast):
    X, y = sequences
    complete = RNNRegressor(**{**fast, "max_epochs": 2}).fit(X, y)
    reg = RNNRegressor(**{**fast, "max_epochs": 5}, callbacks=[_Interrupt(3)])
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X, y)
    assert reg.n_epochs_ == 2
    assert len(reg.loss_curve_) == 2
    np.testing.assert_array_equal(reg.predict(X), complete.predict(X))


def test_an_interrupt_in_the_first_epoch_leaves_no_model(sequences, fast):
    X, y = sequences
    reg = RNNRegressor(**fast, callbacks=[_Interrupt(1)])
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X, y)
    assert not hasattr(reg, "net_")
    reg.set_params(callbacks=None).fit(X, y)  # the next fit works
    assert reg.n_epochs_ == 3


def test_an_interrupted_warm_start_keeps_the_model_it_had(sequences, fast):
    X, y = sequences
    reg = RNNRegressor(**fast, warm_start=True).fit(X, y)
    before = reg.predict(X)
    reg.set_params(callbacks=[_Interrupt(4)])
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X, y)
    assert reg.n_epochs_ == 3
    np.testing.assert_array_equal(reg.predict(X), before)
    reg.set_params(callbacks=None).partial_fit(X, y)
    assert reg.n_epochs_ == 4


def test_numpy_scalars_are_hyperparameters_like_any_other(sequences, fast):
    X, y = sequences
    grid = {"hidden_size": np.arange(4, 9, 4), "bidirectional": [np.True_]}
    search = GridSearchCV(RNNRegressor(max_epochs=1), grid, cv=2, error_score="raise")
    assert search.fit(X, y).best_estimator_.predict(X).shape == (48,)


@pytest.mark.parametrize("random_state", [-1, 2**32, 2**64])
def test_random_state_must_be_a_32_bit_seed(sequences, fast, random_state):
    with pytest.raises(ValueError, match=r"random_state must be .* \[0, 2\*\*32 - 1\]"):
        RNNRegressor(**{**fast, "random_state": random_state}).fit(*sequences)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"hidden_size": 10**12}, "make a network of about"),
        ({"num_layers": 10**7}, "make a network of about"),
        ({"lr": 1e39}, r"lr must be a float in \(0, 1e6\]"),
    ],
)
def test_absurd_sizes_are_refused_before_allocating(sequences, fast, params, match):
    with pytest.raises(ValueError, match=match):
        RNNRegressor(**{**fast, **params}).fit(*sequences)


def test_a_tensor_that_requires_grad_is_input_like_an_array(sequences, fast):
    X, y = sequences
    reg = RNNRegressor(**fast).fit(X, y)
    tensor = torch.tensor(X, requires_grad=True)
    np.testing.assert_array_equal(reg.predict(tensor), reg.predict(X))


def test_early_stopping_with_no_training_weight_is_a_clear_error(sequences, fast):
    X, y = sequences
    weight = np.r_[np.zeros(43), np.ones(5)]  # only the validation samples count
    reg = RNNRegressor(**fast, early_stopping=True)
    with pytest.raises(ValueError, match="nothing to train on"):
        reg.fit(X, y, sample_weight=weight)


def test_values_beyond_float32_are_refused(sequences, fast):
    X, y = sequences
    with pytest.raises(ValueError, match="beyond float32's range"):
        RNNRegressor(**fast).fit(X * 1e300, y)


def test_a_string_column_is_named_with_the_fix(fast):
    frame = pd.DataFrame({"x": np.arange(8.0), "shop": list("abababab")})
    with pytest.raises(ValueError, match=r"non-numeric columns \['shop'\].*Encoder"):
        SequenceWindower(window=2).fit(frame)
    with pytest.raises(ValueError, match=r"non-numeric columns \['shop'\]"):
        RNNRegressor(**fast).fit(frame, np.arange(8.0))


def test_nan_in_2d_input_points_to_padding_in_3d(fast):
    X = np.ones((6, 4))
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN-padded in 3D"):
        RNNRegressor(**fast).fit(X, np.ones(6))


def test_windows_keep_integers_beyond_float32_exactly():
    values = np.arange(2**24, 2**24 + 10, dtype=np.int64)
    X, _ = make_windows(values, window=3)
    np.testing.assert_array_equal(X[:, -1, 0].astype(np.int64), values[2:-1])
    windows = SequenceWindower(window=3).fit_transform(values[:, None])
    np.testing.assert_array_equal(windows[-1, :, 0].astype(np.int64), values[-3:])


def test_a_window_beyond_memory_is_a_clear_error():
    with pytest.raises(ValueError, match="more than memory holds"):
        SequenceWindower(window=2**40).fit_transform(np.ones((5, 1)))


def test_eight_threads_predict_what_one_does(labelled_sequences, fast):
    X, y = labelled_sequences
    clf = RNNClassifier(**fast).fit(X, y)
    expected = clf.predict_proba(X)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: clf.predict_proba(X), range(32)))
    for proba in results:
        np.testing.assert_array_equal(proba, expected)


def test_setting_the_same_device_touches_nothing(labelled_sequences, fast):
    X, y = labelled_sequences
    clf = RNNClassifier(**fast).fit(X, y)
    weights = [p.data_ptr() for p in clf.net_.module_.parameters()]
    clf.set_params(device="cpu")
    assert [p.data_ptr() for p in clf.net_.module_.parameters()] == weights


def test_sktime_layouts_convert_with_from_sktime(fast):
    sktime = pytest.importorskip("sktime.datasets")
    cube, _ = sktime.load_basic_motions(split="train", return_type="numpy3D")
    assert from_sktime(cube).shape == (40, 100, 6)
    nested, labels = sktime.load_japanese_vowels(
        split="train", return_type="nested_univ"
    )
    with pytest.raises(ValueError, match=r"nested DataFrame .* skrnn\.from_sktime"):
        RNNClassifier(**fast).fit(nested, labels)
    sequences = from_sktime(nested)
    assert {s.shape[1] for s in sequences} == {12}
    clf = RNNClassifier(**fast).fit(sequences, labels)
    assert clf.n_features_in_ == 12
    channels_first = [s.T for s in sequences]
    with pytest.raises(ValueError, match=r"\(n_channels, n_timesteps\).*from_sktime"):
        clf.predict(channels_first)


def test_a_list_of_numbers_is_one_series_and_target_cannot_be_empty():
    X, _ = make_windows([1.0, 2.0, 3.0, 4.0, 5.0], window=2)
    assert X.shape == (3, 2, 1)
    with pytest.raises(ValueError, match="target is empty"):
        make_windows(np.ones((10, 2)), window=2, target=[])


def test_saving_a_search_points_to_its_best_model(sequences, fast, tmp_path):
    search = GridSearchCV(RNNRegressor(**fast), {"hidden_size": [4]}, cv=2)
    search.fit(*sequences)
    with pytest.raises(TypeError, match=r"save\(search\.best_estimator_, path\)"):
        save(search, tmp_path / "search.skrnn")


def test_targets_too_large_to_scale_are_refused(sequences, fast):
    X, y = sequences
    with pytest.raises(ValueError, match="too large to scale"):
        RNNRegressor(**fast).fit(X, y * 1e200)


def test_a_model_with_broken_weights_refuses_to_answer(labelled_sequences, fast):
    X, y = labelled_sequences
    clf = RNNClassifier(**fast).fit(X, y)
    with torch.no_grad():
        clf.net_.module_.head[0].weight.fill_(float("nan"))
    with pytest.raises(ValueError, match="outputs are not finite"):
        clf.predict(X)


def test_padding_far_longer_than_the_data_changes_nothing(rng, fast):
    X = np.full((6, 5000, 1), np.nan)
    X[:, -4:, 0] = rng.normal(size=(6, 4))
    tagger = RNNRegressor(**fast, return_sequences=True, scaling="global")
    tagger.fit(X[:, -4:], X[:, -4:, 0])
    per_step = tagger.predict(X)
    assert per_step.shape == (6, 5000)
    assert np.isnan(per_step[:, :-4]).all()
    np.testing.assert_allclose(per_step[:, -4:], tagger.predict(X[:, -4:]), atol=1e-6)
