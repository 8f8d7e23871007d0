"""Per-sequence scaling: statistics, the "auto" choice, and invariance to units."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.pipeline import Pipeline

from skrnn import (
    RNNClassifier,
    RNNRegressor,
    SequenceWindower,
    future_targets,
    make_windows,
    recursive_forecast,
)
from skrnn._scaling import SEQUENCE_STATISTICS, sequence_statistics


@pytest.fixture
def series_windows(rng):
    """Windows and 3-step targets of four series whose levels span 5 decades."""
    steps = np.arange(80)
    series = [
        level * (2 + np.sin(steps / 3 + rng.uniform(0, 6)))
        for level in (1.0, 10.0, 1e3, 1e5)
    ]
    return make_windows(series, 12, horizon=3)


@pytest.mark.parametrize(
    ("statistic", "expected"),
    # (location, scale) of feature 0 (-3, 1 observed), then of feature 1 (-3, 0)
    [
        ("mean_abs", [[0.0, 2.0], [0.0, 1.5]]),
        ("standard", [[-1.0, 2.0], [-1.5, 1.5]]),
        ("last", [[1.0, 2.0], [0.0, 1.5]]),
    ],
)
def test_statistics_are_of_the_observed_steps(statistic, expected):
    x = torch.tensor([np.nan, -3.0, 1.0, np.nan], dtype=torch.float64)
    x = torch.stack([x, x], dim=1)[None]  # (1, 4, 2), NaN padding at both ends
    x[0, 2, 1] = 0.0
    location, scale = sequence_statistics(x, statistic)
    assert location.shape == scale.shape == (1, 1, 2)
    got = torch.stack([location[0, 0], scale[0, 0]], dim=1)  # (feature, stat)
    np.testing.assert_allclose(got.numpy(), expected)


@pytest.mark.parametrize("statistic", SEQUENCE_STATISTICS)
@pytest.mark.parametrize("value", [0.0, 5.0])
def test_constant_sequences_get_a_finite_nonzero_scale(statistic, value):
    x = torch.full((1, 6, 1), value, dtype=torch.float32)
    location, scale = sequence_statistics(x, statistic)
    assert torch.isfinite(location).all()
    assert (scale > 0).all()
    assert torch.isfinite(scale).all()


@pytest.mark.parametrize("statistic", SEQUENCE_STATISTICS)
def test_a_series_in_other_units_gets_its_forecast_in_those_units(
    statistic, series_windows, fast
):
    X, y = series_windows
    reg = RNNRegressor(**fast, scaling=statistic).fit(X, y)
    assert reg.scaling_ == statistic
    scaled = X.copy()
    scaled[:5] *= 1000.0
    np.testing.assert_allclose(
        reg.predict(scaled)[:5], 1000.0 * reg.predict(X)[:5], rtol=1e-4
    )


def test_auto_scales_forecast_windows_per_sequence(series_windows, fast):
    X, y = series_windows
    assert RNNRegressor(**fast).fit(X, y).scaling_ == "last"


def test_auto_keeps_global_scaling_for_targets_in_other_units(rng, fast):
    # The target is not a value of the series: the last value does not predict
    # it, so per-sequence scaling (which would divide it by the series' scale)
    # is not chosen.
    X = rng.normal(size=(60, 10, 1)) * rng.uniform(1, 100, size=(60, 1, 1))
    y = rng.normal(size=60)
    assert RNNRegressor(**fast).fit(X, y).scaling_ == "global"


def test_auto_keeps_global_scaling_when_the_target_feature_is_unknown(sequences, fast):
    X, y = sequences  # three features: which one is y in?
    assert RNNRegressor(**fast).fit(X, y).scaling_ == "global"
    named = RNNRegressor(**fast, target_features=0).fit(X, y)
    assert named.scaling_ == "last"


def test_classifiers_scale_globally_unless_told(labelled_sequences, fast):
    X, y = labelled_sequences
    assert RNNClassifier(**fast).fit(X, y).scaling_ == "global"
    assert RNNClassifier(**fast, scaling="standard").fit(X, y).scaling_ == "standard"


def test_per_sequence_scaling_of_several_features_needs_the_target_feature(
    sequences, fast
):
    X, y = sequences
    with pytest.raises(ValueError, match=r"target_features=<position>"):
        RNNRegressor(**fast, scaling="last").fit(X, y)


@pytest.mark.parametrize(
    ("target_features", "message"),
    [([0, 1], r"2 entries, but y has 1 outputs"), (3, r"\[3\] are not positions")],
)
def test_target_features_must_fit_the_data(sequences, fast, target_features, message):
    X, y = sequences
    reg = RNNRegressor(**fast, target_features=target_features)
    with pytest.raises(ValueError, match=message):
        reg.fit(X, y)


def test_target_features_maps_each_output_to_its_feature(rng, fast):
    # Two series of very different levels as two features, each forecast.
    X = np.abs(rng.normal(size=(50, 8, 2))) * [1.0, 1e4]
    y = X[:, -1, :] * 1.1
    reg = RNNRegressor(**fast, scaling="mean_abs", target_features=[0, 1]).fit(X, y)
    scaled = X * [1.0, 1e3]  # only feature 1 (output 1's units) changes
    np.testing.assert_allclose(
        reg.predict(scaled)[:, 1] / reg.predict(X)[:, 1], 1e3, rtol=1e-4
    )


def test_padding_never_changes_a_per_sequence_prediction(series_windows, fast):
    X, y = series_windows
    reg = RNNRegressor(**fast, scaling="standard").fit(X, y)
    padded = np.full((len(X), 16, 1), np.nan)
    padded[:, 2:14] = X
    np.testing.assert_allclose(reg.predict(padded), reg.predict(X), rtol=1e-6)


def test_per_step_targets_are_mapped_back_per_sequence(rng, fast):
    level = 10.0 ** rng.integers(0, 5, size=(40, 1, 1))
    X = level * (1.5 + rng.normal(size=(40, 10, 1)) * 0.1)
    y = 2 * X[:, :, 0]
    reg = RNNRegressor(**fast, return_sequences=True, scaling="mean_abs").fit(X, y)
    assert reg.predict(X).shape == (40, 10)
    np.testing.assert_allclose(reg.predict(X * 7.0), 7.0 * reg.predict(X), rtol=1e-4)


def test_all_zero_and_constant_sequences_predict_finite_values(series_windows, fast):
    X, y = series_windows
    reg = RNNRegressor(**fast, scaling="standard").fit(X, y)
    flat = np.stack([np.zeros((12, 1)), np.full((12, 1), 3.0)])
    assert np.isfinite(reg.predict(flat)).all()


def test_warm_start_keeps_the_scaling_and_refuses_a_change(series_windows, fast):
    X, y = series_windows
    reg = RNNRegressor(**fast, warm_start=True).fit(X, y)
    reg.fit(X, y)
    assert reg.scaling_ == "last"
    reg.set_params(scaling="global")
    with pytest.raises(ValueError, match="scaling changed"):
        reg.fit(X, y)


def test_sample_weights_count_in_the_auto_choice(rng, fast):
    # Half the samples forecast a series, half have unrelated targets; weight
    # decides which half the choice sees.
    X = rng.normal(size=(80, 6, 1)).cumsum(axis=1)
    y = np.r_[X[:40, -1, 0], rng.normal(size=40) * 50]
    forecast_only = np.r_[np.ones(40), np.zeros(40)]
    reg = RNNRegressor(**fast).fit(X, y, sample_weight=forecast_only)
    assert reg.scaling_ == "last"
    reg = RNNRegressor(**fast).fit(X, y, sample_weight=1 - forecast_only)
    assert reg.scaling_ == "global"


def test_partial_fit_keeps_the_scaling_of_its_first_call(series_windows, fast, rng):
    X, y = series_windows
    reg = RNNRegressor(**fast).partial_fit(X, y)
    assert reg.scaling_ == "last"
    # Targets that alone would keep global scaling: the network keeps its own.
    reg.partial_fit(X, rng.normal(size=y.shape))
    assert reg.scaling_ == "last"
    assert np.isfinite(reg.predict(X)).all()


def test_recursive_forecast_of_a_windower_pipeline_follows_the_units(fast):
    # Forecasting from a history 1000 times larger, value by value fed back.
    table = pd.DataFrame({"load": 50 + 10 * np.sin(np.arange(80) / 4)})
    pipe = Pipeline(
        [("win", SequenceWindower(window=8)), ("rnn", RNNRegressor(**fast))]
    ).fit(*future_targets(table, "load"))
    assert pipe[-1].scaling_ == "last"
    forecast = recursive_forecast(pipe, table, 5)
    np.testing.assert_allclose(
        recursive_forecast(pipe, table * 1000.0, 5), 1000.0 * forecast, rtol=1e-4
    )


@pytest.mark.cuda
def test_a_per_sequence_model_moved_to_the_gpu_predicts_as_on_the_cpu(
    series_windows, fast
):
    X, y = series_windows
    reg = RNNRegressor(**fast, scaling="standard").fit(X, y)
    expected = reg.predict(X)
    reg.set_params(device="cuda")
    np.testing.assert_allclose(reg.predict(X), expected, rtol=1e-4)
