"""Input conversion: 2D/3D/list input, NaN padding, and the errors for bad input."""

import numpy as np
import pytest

from skrnn import RNNClassifier, RNNRegressor
from skrnn._scaling import feature_moments
from skrnn._validation import validate_sequences


def _validate(X):
    return validate_sequences(RNNRegressor(), X)


def test_2d_input_is_univariate_sequences():
    seqs = validate_sequences(RNNRegressor(), np.ones((5, 7)))
    assert seqs.values.shape == (5, 7, 1)
    assert seqs.starts is None
    assert seqs.lengths is None
    assert seqs.from_2d


def test_3d_input_counts_features_per_step():
    est = RNNRegressor(max_epochs=1).fit(np.ones((5, 7, 3)), np.ones(5))
    assert est.n_features_in_ == 3


def test_float_input_is_not_copied():
    X = np.ones((5, 7, 3), dtype=np.float32)
    assert np.shares_memory(_validate(X).values, X)
    X64 = np.ones((5, 7), dtype=np.float64)
    assert np.shares_memory(_validate(X64).values, X64)


def test_integer_input_becomes_float():
    assert _validate(np.ones((5, 7, 3), dtype=np.int64)).values.dtype.kind == "f"


def test_padding_bounds_at_either_end():
    X = np.ones((3, 6, 2))
    X[0, :2] = np.nan  # front padding
    X[1, 4:] = np.nan  # end padding
    X[2, [0, 5]] = np.nan  # both
    seqs = _validate(X)
    np.testing.assert_array_equal(seqs.starts, [2, 0, 1])
    np.testing.assert_array_equal(seqs.lengths, [4, 4, 4])


def test_list_of_variable_length_sequences_is_end_padded():
    X = [np.ones((4, 2)), np.ones((6, 2)), np.ones((1, 2))]
    seqs = _validate(X)
    assert seqs.values.shape == (3, 6, 2)
    np.testing.assert_array_equal(seqs.starts, [0, 0, 0])
    np.testing.assert_array_equal(seqs.lengths, [4, 6, 1])


def test_list_of_1d_sequences_is_univariate():
    est = RNNRegressor()
    seqs = validate_sequences(est, [np.arange(3.0), np.arange(5.0)])
    assert seqs.values.shape == (2, 5, 1)


def test_list_of_equal_length_lists_is_2d():
    est = RNNRegressor()
    seqs = validate_sequences(est, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert seqs.values.shape == (2, 3, 1)
    assert est.n_features_in_ == 3


def test_feature_moments_ignore_padding():
    X = np.array([[[1.0], [3.0], [np.nan]], [[np.nan], [5.0], [7.0]]])
    mean, std = feature_moments(X)
    np.testing.assert_allclose(mean, [4.0])
    np.testing.assert_allclose(std, [np.sqrt(5.0)])


def test_feature_moments_constant_feature_has_unit_scale():
    mean, std = feature_moments(np.full((4, 3, 1), 7.0))
    np.testing.assert_allclose(mean, [7.0])
    np.testing.assert_allclose(std, [1.0])


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.ones(5), "got a 1D array.*Reshape your data"),
        (np.ones((2, 3, 4, 5)), "got a 4D array"),
        (np.ones((0, 4, 2)), "0 sample"),
        (np.ones((3, 0, 2)), "at least one time step"),
        (np.ones((3, 4, 0)), "at least one time step and one feature"),
    ],
)
def test_bad_array_shapes_and_values(X, match):
    with pytest.raises(ValueError, match=match):
        _validate(X)


def test_nan_inside_a_sequence_is_an_error():
    X = np.ones((3, 6, 2))
    X[1, 3] = np.nan
    with pytest.raises(ValueError, match=r"Sample 1 has NaN inside the sequence"):
        _validate(X)


def test_partly_nan_time_step_is_an_error():
    X = np.ones((3, 6, 2))
    X[2, 0, 1] = np.nan
    with pytest.raises(ValueError, match=r"Sample 2 has a partly-NaN time step \(0\)"):
        _validate(X)


def test_all_padding_sequence_is_an_error():
    X = np.ones((3, 6, 2))
    X[0] = np.nan
    with pytest.raises(ValueError, match="Sample 0 is all padding"):
        _validate(X)


def test_infinity_in_3d_is_an_error():
    X = np.ones((3, 6, 2))
    X[2, 5, 0] = -np.inf
    with pytest.raises(ValueError, match=r"infinity \(first in sample 2\)"):
        _validate(X)


def test_list_with_different_feature_counts_is_an_error():
    with pytest.raises(ValueError, match="same number of features"):
        _validate([np.ones((4, 2)), np.ones((5, 3))])


def test_complex_data_is_an_error():
    with pytest.raises(ValueError, match="Complex data not supported"):
        _validate(np.ones((3, 4, 2)) + 1j)


def test_non_numeric_object_data_is_an_error():
    X = np.ones((3, 4, 2), dtype=object)
    X[0, 0, 0] = "a"
    with pytest.raises(ValueError, match="could not convert"):
        _validate(X)


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_mismatched_lengths_of_x_and_y(Estimator):
    X = np.ones((6, 4, 2))
    y = np.array([0, 1] * 3)[:5]
    with pytest.raises(ValueError, match="6 sequences but 5 targets"):
        Estimator(max_epochs=1).fit(X, y)


def test_feature_count_mismatch_at_predict(sequences):
    X, y = sequences
    reg = RNNRegressor(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features per time step, but"):
        reg.predict(X[:, :, :2])
    with pytest.raises(ValueError, match=r"X is 2D, i\.e\. univariate sequences"):
        reg.predict(X[:, :, 0])


def test_2d_fitted_model_accepts_3d_univariate_of_any_length(sequences):
    X, y = sequences
    reg = RNNRegressor(max_epochs=1).fit(X[:, :, 0], y)
    assert reg.predict(X[:, :5, :1]).shape == (48,)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"cell": "lsmt"}, r"cell must be one of \['gru', 'lstm', 'rnn'\], got 'lsmt'"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"nonlinearity": "sigmoid", "cell": "rnn"}, "nonlinearity must be one of"),
        ({"nonlinearity": "relu"}, "only applies to cell='rnn'"),
        ({"hidden_size": 0}, "hidden_size must be an integer >= 1, got 0"),
        ({"hidden_size": 8.0}, "hidden_size must be an integer"),
        ({"num_layers": -1}, "num_layers must be an integer >= 1"),
        ({"max_epochs": 0}, "max_epochs must be 'auto' or an integer >= 1, got 0"),
        ({"max_epochs": "Auto"}, "max_epochs must be 'auto' or an integer >= 1"),
        ({"batch_size": None}, "batch_size must be an integer >= 1"),
        ({"lr": 0.0}, r"lr must be a float in \(0, 1e6\]"),
        ({"lr": np.nan}, r"lr must be a float in \(0, 1e6\]"),
        ({"weight_decay": -1.0}, r"weight_decay must be a float in \[0, 1e6\]"),
        ({"dropout": 1.0}, r"dropout must be a float in \[0, 1\)"),
        ({"clip_grad_norm": 0}, "clip_grad_norm must be None or a float > 0"),
        ({"bidirectional": "yes"}, "bidirectional must be True or False"),
        ({"verbose": -1}, "verbose must be an integer >= 0"),
        ({"random_state": "seed"}, "random_state must be None, an int"),
        ({"device": "tpu"}, "device must be 'auto', 'cpu', 'cuda'"),
    ],
)
def test_bad_parameters_are_named_in_the_error(sequences, params, match):
    with pytest.raises(ValueError, match=match):
        RNNRegressor(**{"max_epochs": 1, **params}).fit(*sequences)
