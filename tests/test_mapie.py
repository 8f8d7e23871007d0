"""skrnn inside MAPIE's conformal regressors (scikit-learn-contrib)."""

import numpy as np
import pytest

from skrnn import RNNRegressor, make_windows

mapie_regression = pytest.importorskip("mapie.regression")
mapie_subsample = pytest.importorskip("mapie.subsample")


@pytest.fixture
def windows(rng):
    """2D univariate windows of a noisy sine, in time order, and the next values."""
    series = np.sin(np.arange(330) / 4) + 0.2 * rng.normal(size=330)
    return make_windows(series, window=10)


def test_split_conformal_regressor_wraps_an_rnn(windows, fast):
    X, y = windows
    mapie = mapie_regression.SplitConformalRegressor(
        RNNRegressor(**fast), confidence_level=[0.8, 0.95], prefit=False
    )
    mapie.fit(X[:200], y[:200]).conformalize(X[200:280], y[200:280])
    y_pred, y_intervals = mapie.predict_interval(X[280:])
    assert y_pred.shape == (40,)
    assert y_intervals.shape == (40, 2, 2)  # (samples, lower/upper, levels)
    widths = y_intervals[:, 1] - y_intervals[:, 0]
    assert (widths[:, 1] >= widths[:, 0]).all()  # 95% holds the 80% interval


def test_time_series_regressor_runs_enbpi_over_rnns(windows, fast):
    X, y = windows
    mapie = mapie_regression.TimeSeriesRegressor(
        RNNRegressor(**fast),
        method="enbpi",
        cv=mapie_subsample.BlockBootstrap(n_resamplings=3, n_blocks=3, random_state=0),
    )
    mapie.fit(X[:280], y[:280])
    y_pred, y_intervals = mapie.predict(X[280:], confidence_level=0.9)
    assert y_pred.shape == (40,)
    assert y_intervals.shape == (40, 2, 1)
    assert (y_intervals[:, 0] <= y_intervals[:, 1]).all()
