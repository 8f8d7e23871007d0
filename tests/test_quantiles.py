"""Quantile regression, prediction intervals and their conformal calibration."""

import pickle

import numpy as np
import pytest
import torch

from skrnn import RNNRegressor, load, save
from skrnn._module import RecurrentNet, RegressionLoss, pinball_loss
from skrnn._quantiles import conformal_shifts, interpolate

LEVELS = (0.1, 0.5, 0.9)


@pytest.fixture
def quantile_fast(fast):
    return {**fast, "loss": "quantile", "quantiles": LEVELS}


def test_pinball_loss_matches_a_hand_computation():
    y = torch.tensor([1.0, 4.0])
    q = torch.tensor([[0.0, 1.0, 3.0], [2.0, 5.0, 6.0]])  # levels 0.1, 0.5, 0.9
    # y above q: tau * (y - q); y below q: (1 - tau) * (q - y).
    expected = [[0.1 * 1, 0.0, 0.1 * 2], [0.1 * 2, 0.5 * 1, 0.1 * 2]]
    losses = pinball_loss(q, y, torch.tensor(LEVELS))
    torch.testing.assert_close(losses, torch.tensor(expected))
    loss = RegressionLoss(LEVELS)(q[:, None], y[:, None])
    torch.testing.assert_close(loss, torch.tensor(expected).mean())


def test_network_quantiles_cannot_cross_whatever_the_weights():
    net = RecurrentNet(2, 3, hidden_size=4, quantiles=(0.05, 0.3, 0.5, 0.8, 0.95))
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.normal_(std=10.0)  # far from any sensible initialisation
        out = net(torch.randn(64, 5, 2))
    assert out.shape == (64, 3, 5)
    assert (out.diff(dim=-1) >= 0).all()


@pytest.mark.parametrize(
    ("y_shape", "expected"),
    [
        ((60,), (60, 3)),
        ((60, 4), (60, 4, 3)),  # a horizon of 4 direct forecasts
    ],
)
def test_quantile_shapes_add_a_last_axis_to_predicts(
    quantile_fast, rng, y_shape, expected
):
    X = rng.normal(size=(60, 6, 2))
    y = rng.normal(size=y_shape)
    reg = RNNRegressor(**quantile_fast).fit(X, y)
    assert reg.predict_quantiles(X).shape == expected
    assert reg.predict(X).shape == y_shape
    assert reg.predict_interval(X, coverage=0.8).shape == (*y_shape, 2)
    assert reg.predict_quantiles(X, quantiles=[0.2, 0.3]).shape == (*y_shape, 2)


def test_per_step_quantiles_are_nan_at_padding(quantile_fast, rng):
    X = rng.normal(size=(20, 6, 1))
    X[0, :2] = np.nan
    reg = RNNRegressor(**quantile_fast, return_sequences=True)
    reg.fit(X, np.nan_to_num(X[..., 0]).cumsum(axis=1))
    quantiles = reg.predict_quantiles(X)
    assert quantiles.shape == (20, 6, 3)
    assert np.isnan(quantiles[0, :2]).all()
    assert not np.isnan(quantiles[0, 2:]).any()


def test_predict_is_the_median_and_intervals_are_fitted_levels(quantile_fast, rng):
    X = rng.normal(size=(60, 6, 1))
    reg = RNNRegressor(**quantile_fast).fit(X, X[:, -1, 0])
    quantiles = reg.predict_quantiles(X)
    np.testing.assert_array_equal(reg.predict(X), quantiles[:, 1])
    np.testing.assert_array_equal(
        reg.predict_interval(X, coverage=0.8), quantiles[:, [0, 2]]
    )
    assert (np.diff(quantiles, axis=-1) >= 0).all()


def test_levels_between_fitted_ones_are_interpolated(quantile_fast, rng):
    X = rng.normal(size=(60, 6, 1))
    reg = RNNRegressor(**quantile_fast).fit(X, X[:, -1, 0])
    quantiles = reg.predict_quantiles(X)
    at = reg.predict_quantiles(X, quantiles=0.3)[:, 0]
    np.testing.assert_allclose(at, (quantiles[:, 0] + quantiles[:, 1]) / 2)
    with pytest.raises(ValueError, match=r"outside the levels .* 0\.1 to 0\.9"):
        reg.predict_quantiles(X, quantiles=0.95)
    with pytest.raises(ValueError, match="outside the levels"):
        reg.predict_interval(X, coverage=0.95)


def test_interpolation_keeps_levels_ordered():
    values = np.array([[0.0, 1.0, 5.0]])
    out = interpolate(values, (0.1, 0.5, 0.9), np.linspace(0.1, 0.9, 9))
    assert (np.diff(out) >= 0).all()
    np.testing.assert_allclose(out[0, [0, 4, 8]], [0.0, 1.0, 5.0])


def test_conformal_shifts_are_order_statistics_of_the_residuals():
    residuals = np.arange(1.0, 20.0)  # n = 19: ranks ceil(0.9 * 20) = 18, floor 2
    y = residuals[:, None]
    predicted = np.zeros((19, 1, 3))
    shifts = conformal_shifts(y, predicted, (0.1, 0.5, 0.9))
    np.testing.assert_array_equal(shifts, [[2.0, 10.0, 18.0]])


def test_conformal_intervals_cover_as_often_as_they_say(fast, rng):
    # Gaussian noise of sd 0.5 around a learnable signal; 1,000 calibration
    # samples leave a coverage error of about 0.013 (80%) and 0.007 (95%).
    def data(n):
        X = rng.normal(size=(n, 4, 1))
        return X, X[:, -1, 0] + 0.5 * rng.normal(size=n)

    X, y = data(2000)
    reg = RNNRegressor(
        **fast, loss="quantile", calibration="conformal", calibration_fraction=0.5
    ).fit(X, y)
    X_new, y_new = data(4000)
    for coverage, tolerance in ((0.8, 0.04), (0.95, 0.025)):
        lower, upper = reg.predict_interval(X_new, coverage=coverage).T
        covered = np.mean((lower <= y_new) & (y_new <= upper))
        assert abs(covered - coverage) < tolerance, (coverage, covered)


def test_calibration_trains_on_all_but_the_last_samples(quantile_fast, rng):
    X = rng.normal(size=(50, 6, 1))
    y = X[:, -1, 0]
    calibrated = RNNRegressor(**quantile_fast, calibration="conformal").fit(X, y)
    np.testing.assert_array_equal(calibrated.calibration_indices_, np.arange(40, 50))
    assert calibrated.calibration_shifts_.shape == (1, 3)
    plain = RNNRegressor(**quantile_fast).fit(X[:40], y[:40])
    assert calibrated.loss_curve_ == plain.loss_curve_
    assert plain.calibration_shifts_ is None


def test_partial_fit_drops_a_calibration_it_makes_stale(quantile_fast, rng):
    X = rng.normal(size=(50, 6, 1))
    reg = RNNRegressor(**quantile_fast, calibration="conformal").fit(X, X[:, -1, 0])
    reg.partial_fit(X, X[:, -1, 0])
    assert reg.calibration_shifts_ is None


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"quantiles": LEVELS}, "needs loss='quantile'"),
        ({"calibration": "conformal"}, "calibrates quantiles and needs"),
        ({"loss": "quantile", "quantiles": (0.6, 0.9)}, "must span 0.5"),
        ({"loss": "quantile", "quantiles": (0.9, 0.1)}, "increasing sequence"),
        ({"loss": "quantile", "quantiles": (0.0, 0.5)}, "floats in \\(0, 1\\)"),
        (
            {"loss": "quantile", "calibration": "conformal", "return_sequences": True},
            "not available with return_sequences",
        ),
    ],
)
def test_inconsistent_quantile_parameters_are_rejected(sequences, params, match):
    X, y = sequences
    with pytest.raises(ValueError, match=match):
        RNNRegressor(**params).fit(X, y)


def test_a_mean_model_has_no_quantile_methods(sequences, fast):
    reg = RNNRegressor(**fast).fit(*sequences)
    assert not hasattr(reg, "predict_quantiles")
    with pytest.raises(AttributeError) as error:
        reg.predict_interval(sequences[0])
    assert "need loss='quantile'" in str(error.value.__cause__)


def test_coverage_must_be_a_probability(quantile_fast, sequences):
    reg = RNNRegressor(**quantile_fast).fit(*sequences)
    with pytest.raises(ValueError, match=r"coverage must be a float in \(0, 1\)"):
        reg.predict_interval(sequences[0], coverage=80)


def test_calibrated_quantiles_survive_save_load_and_pickle(
    quantile_fast, sequences, tmp_path
):
    X, y = sequences
    reg = RNNRegressor(**quantile_fast, calibration="conformal").fit(X, y)
    save(reg, tmp_path / "model.safetensors")
    expected = reg.predict_quantiles(X)
    for restored in (
        load(tmp_path / "model.safetensors"),
        pickle.loads(pickle.dumps(reg)),
    ):
        np.testing.assert_array_equal(restored.predict_quantiles(X), expected)
        np.testing.assert_array_equal(
            restored.calibration_shifts_, reg.calibration_shifts_
        )


def test_onnx_graph_outputs_every_calibrated_quantile(quantile_fast, rng, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    X = rng.normal(size=(60, 6, 2)) + 3
    y = np.stack([X[:, -1, 0], X[:, -2, 1]], axis=1)
    reg = RNNRegressor(**quantile_fast, calibration="conformal", scaling="mean_abs")
    reg.set_params(target_features=[0, 1]).fit(X, y)
    reg.to_onnx(tmp_path / "model.onnx")
    session = ort.InferenceSession(str(tmp_path / "model.onnx"))
    (out,) = session.run(None, {"X": X.astype(np.float32)})
    np.testing.assert_allclose(out, reg.predict_quantiles(X), rtol=1e-4, atol=1e-4)
