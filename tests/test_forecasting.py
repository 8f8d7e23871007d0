"""Direct and recursive multi-step forecasts on arrays and pandas series."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from skrnn import (
    RNNClassifier,
    RNNRegressor,
    SequenceWindower,
    direct_forecast,
    make_windows,
    recursive_forecast,
)


class _LastValuePlusOne:
    """A stand-in regressor whose forecasts are easy to predict by hand."""

    def predict(self, X):
        return X[:, -1, 0] + 1.0


class _LastValuePlusExog:
    def predict(self, X):
        return X[:, -1, 0] + X[:, -1, 1]


def _monthly(n=48):
    index = pd.date_range("2000-01", periods=n, freq="MS")
    return pd.Series(np.sin(np.arange(n) / 3) + 5, index=index, name="sales")


def test_recursive_forecast_feeds_predictions_back():
    forecast = recursive_forecast(_LastValuePlusOne(), np.arange(10.0), 4, window=3)
    np.testing.assert_array_equal(forecast, [10, 11, 12, 13])


def test_recursive_forecast_returns_series_on_future_dates(fast):
    series = _monthly()
    reg = RNNRegressor(**fast).fit(*make_windows(series, window=12))
    forecast = recursive_forecast(reg, series, steps=6, window=12)
    assert isinstance(forecast, pd.Series)
    assert forecast.name == "sales"
    assert forecast.index[0] == pd.Timestamp("2004-01-01")
    assert forecast.index.freqstr == "MS"
    assert len(forecast) == 6


def test_recursive_forecast_with_future_exogenous_columns():
    history = pd.DataFrame({"y": [0.0, 1.0, 2.0], "step": [1.0, 1.0, 1.0]})
    future = pd.DataFrame({"step": [2.0, 3.0]})
    forecast = recursive_forecast(
        _LastValuePlusExog(), history, 2, window=2, target="y", future=future
    )
    # step 1: 2 + 1 (last row's exog); step 2: 3 + 2 (the first future row's exog)
    np.testing.assert_array_equal(forecast, [3.0, 5.0])


def test_recursive_forecast_requires_future_exogenous_columns():
    history = pd.DataFrame({"y": np.arange(5.0), "x": np.ones(5)})
    with pytest.raises(ValueError, match=r"pass future.*shape \(3, 1\)"):
        recursive_forecast(_LastValuePlusExog(), history, 3, window=2, target="y")
    with pytest.raises(ValueError, match="name the one to forecast"):
        recursive_forecast(_LastValuePlusExog(), history, 3, window=2)
    with pytest.raises(ValueError, match=r"future must have shape \(3, 1\)"):
        recursive_forecast(
            _LastValuePlusExog(), history, 3, window=2, target=0, future=np.ones(2)
        )


def test_recursive_forecast_with_windower_pipeline(fast):
    series = _monthly()
    frame = series.to_frame()
    pipe = Pipeline(
        [("win", SequenceWindower(window=6)), ("rnn", RNNRegressor(**fast))]
    )
    pipe.fit(frame.iloc[:-1], series.shift(-1).iloc[:-1])
    forecast = recursive_forecast(pipe, frame, steps=3)
    assert forecast.index[0] == pd.Timestamp("2004-01-01")
    windows = frame.to_numpy()[np.newaxis, -6:]
    assert forecast.iloc[0] == pytest.approx(pipe[-1].predict(windows)[0])


def test_forecasts_from_a_fitted_search_use_its_best_pipeline(fast):
    # The window comes from the best pipeline's SequenceWindower.
    series = _monthly()
    frame = series.to_frame()
    pipe = Pipeline(
        [("win", SequenceWindower(window=6)), ("rnn", RNNRegressor(**fast))]
    )
    search = GridSearchCV(pipe, {"win__window": [3, 6]}, cv=TimeSeriesSplit(2))
    search.fit(frame.iloc[:-1], series.shift(-1).iloc[:-1])
    forecast = recursive_forecast(search, frame, steps=3)
    expected = recursive_forecast(search.best_estimator_, frame, steps=3)
    pd.testing.assert_series_equal(forecast, expected)
    unfitted = GridSearchCV(pipe, {"win__window": [3, 6]})
    with pytest.raises(ValueError, match="window is required"):
        recursive_forecast(unfitted, frame, steps=3)


def test_direct_forecast_predicts_the_horizon_at_once(fast):
    series = _monthly()
    reg = RNNRegressor(**fast).fit(*make_windows(series, window=12, horizon=4))
    forecast = direct_forecast(reg, series, window=12)
    assert list(forecast.index) == list(pd.date_range("2004-01", periods=4, freq="MS"))
    expected = reg.predict(series.to_numpy()[np.newaxis, -12:, np.newaxis])[0]
    np.testing.assert_allclose(forecast.to_numpy(), expected)


def test_forecast_errors(fast):
    with pytest.raises(ValueError, match="window is required"):
        recursive_forecast(_LastValuePlusOne(), np.arange(5.0), 2)
    with pytest.raises(ValueError, match="fewer than window=8"):
        recursive_forecast(_LastValuePlusOne(), np.arange(5.0), 2, window=8)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        recursive_forecast(_LastValuePlusOne(), np.arange(5.0), 0, window=2)
    series = _monthly()
    reg = RNNRegressor(**fast).fit(*make_windows(series, window=4, horizon=2))
    with pytest.raises(ValueError, match="Use direct_forecast"):
        recursive_forecast(reg, series, 2, window=4)


@pytest.mark.parametrize("forecast", [recursive_forecast, direct_forecast])
def test_forecasting_with_a_classifier_is_a_clear_error(forecast, fast):
    series = _monthly()
    X, y = make_windows(series, window=4)
    clf = RNNClassifier(**fast).fit(X, y > 5)
    with pytest.raises(TypeError, match="RNNClassifier is a classifier"):
        forecast(
            clf, series, *([2] if forecast is recursive_forecast else []), window=4
        )


@pytest.mark.parametrize("forecast", [recursive_forecast, direct_forecast])
def test_a_window_other_than_the_training_one_is_a_clear_error(forecast, fast):
    series = _monthly()
    steps = [2] if forecast is recursive_forecast else []
    reg = RNNRegressor(**fast).fit(*make_windows(series, window=6))
    with pytest.raises(ValueError, match="fitted on windows of 6 time steps"):
        forecast(reg, series, *steps, window=4)
    pipe = Pipeline(
        [("win", SequenceWindower(window=6)), ("rnn", RNNRegressor(**fast))]
    ).fit(series.to_frame()[:-1], series.shift(-1)[:-1])
    with pytest.raises(ValueError, match="SequenceWindower makes windows of 6"):
        forecast(pipe, series.to_frame(), *steps, window=4)
