"""Direct and recursive multi-step forecasts on arrays and pandas series."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from skrnn import (
    RNNClassifier,
    RNNRegressor,
    SequenceWindower,
    direct_forecast,
    future_targets,
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


def test_a_history_shorter_than_the_window_is_padded(fast):
    series = np.sin(np.arange(40) / 3)
    reg = RNNRegressor(**fast).fit(*make_windows(series, window=8, horizon=2))
    forecast = direct_forecast(reg, series[:5], window=8)
    padded = np.concatenate([np.full(3, np.nan), series[:5]]).reshape(1, 8, 1)
    np.testing.assert_allclose(forecast, reg.predict(padded)[0])


def test_recursive_forecast_returns_series_on_future_dates(fast):
    series = _monthly()
    reg = RNNRegressor(**fast).fit(*make_windows(series, window=12))
    forecast = recursive_forecast(reg, series, steps=6, window=12)
    assert isinstance(forecast, pd.Series)
    assert forecast.name == "sales"
    assert forecast.index[0] == pd.Timestamp("2004-01-01")
    assert forecast.index.freqstr == "MS"
    assert len(forecast) == 6


def test_recursive_forecast_feeds_each_known_future_value_at_its_step():
    # _LastValuePlusExog adds the window's last exogenous value: with the promo
    # brought forward, the forecast of step k is the first to see future[k].
    history = pd.DataFrame({"y": [0.0, 1.0, 2.0], "promo": [9.0, 9.0, 9.0]})
    future = pd.DataFrame({"promo": [1.0, 2.0, 3.0]})
    args = (_LastValuePlusExog(), history, 3)
    kwargs = {"window": 2, "target": "y", "known_future": ["promo"]}
    forecast = recursive_forecast(*args, **kwargs, future=future)
    np.testing.assert_array_equal(forecast, [3.0, 5.0, 8.0])
    moved = future.assign(promo=[1.0, 2.0, 100.0])
    changed = recursive_forecast(*args, **kwargs, future=moved)
    np.testing.assert_array_equal(changed, [3.0, 5.0, 105.0])


def test_a_known_future_promotion_moves_only_the_forecast_of_its_step(fast):
    rng = np.random.default_rng(0)
    promo = (rng.random(300) < 0.2).astype(float)
    sales = 10 + 5 * promo + rng.normal(0, 0.3, 300)
    table = pd.DataFrame({"sales": sales, "promo": promo})
    pipe = Pipeline(
        [("win", SequenceWindower(window=4)), ("rnn", RNNRegressor(**fast))]
    )
    pipe.fit(*future_targets(table, "sales", known_future="promo"))
    kwargs = {"target": "sales", "known_future": "promo"}
    base = recursive_forecast(pipe, table, 4, future=np.zeros(4), **kwargs)
    moved = recursive_forecast(pipe, table, 4, future=[0, 0, 1, 0], **kwargs)
    np.testing.assert_array_equal(moved.iloc[:2], base.iloc[:2])
    assert moved.iloc[2] > base.iloc[2] + 1  # the promotion lifts its own step


def test_direct_forecast_sees_the_known_future_of_its_whole_horizon():
    class _SumOfLastStep:
        def predict(self, X):
            return X[:, -1, 1:] + X[:, -1, :1]  # promo+1..promo+3 plus the level

    history = pd.DataFrame({"y": [0.0, 1.0, 2.0], "promo": [9.0, 9.0, 9.0]})
    forecast = direct_forecast(
        _SumOfLastStep(), history, window=2, known_future="promo", future=[1, 2, 3]
    )
    np.testing.assert_array_equal(forecast, [3.0, 4.0, 5.0])


def test_known_future_errors():
    history = pd.DataFrame({"y": np.arange(5.0), "x": np.ones(5)})
    model = _LastValuePlusExog()
    with pytest.raises(ValueError, match=r"\['x'\] are past-only covariates"):
        recursive_forecast(model, history, 3, window=2, target="y")
    assert len(recursive_forecast(model, history, 1, window=2, target="y")) == 1
    with pytest.raises(ValueError, match="name the one to forecast"):
        recursive_forecast(model, history, 3, window=2)
    with pytest.raises(ValueError, match="pass future"):
        recursive_forecast(model, history, 3, window=2, target=0, known_future="x")
    with pytest.raises(ValueError, match=r"3 rows and 1 column.*got shape \(2, 1\)"):
        recursive_forecast(
            model, history, 3, window=2, target=0, known_future="x", future=[1, 2]
        )
    with pytest.raises(ValueError, match="name those columns with known_future"):
        recursive_forecast(model, history, 1, window=2, target=0, future=[1])
    with pytest.raises(ValueError, match="target cannot be a known_future"):
        recursive_forecast(model, history, 1, window=2, target=0, known_future=0)


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
    with pytest.raises(ValueError, match="history has no rows"):
        recursive_forecast(_LastValuePlusOne(), np.arange(0.0), 2, window=8)
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


def test_direct_forecast_with_coverage_adds_interval_columns(fast):
    series = _monthly()
    X, y = make_windows(series, window=12, horizon=3)
    reg = RNNRegressor(**fast, loss="quantile").fit(X, y)
    forecast = direct_forecast(reg, series, window=12, coverage=[0.8, 0.95])
    assert list(forecast.columns) == [
        "forecast",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
    ]
    assert forecast.index[0] == pd.Timestamp("2004-01-01")
    last = series.to_numpy()[np.newaxis, -12:, np.newaxis]
    np.testing.assert_allclose(forecast["forecast"], reg.predict(last)[0])
    np.testing.assert_allclose(
        forecast[["lower_80", "upper_80"]], reg.predict_interval(last, 0.8)[0]
    )
    unlabelled = direct_forecast(reg, series.to_numpy(), window=12, coverage=0.8)
    assert list(unlabelled.index) == [1, 2, 3]


def test_intervals_need_a_quantile_model(fast):
    series = _monthly()
    reg = RNNRegressor(**fast).fit(*make_windows(series, window=12, horizon=3))
    with pytest.raises(ValueError, match="no predict_quantiles"):
        direct_forecast(reg, series, window=12, coverage=0.8)
    with pytest.raises(ValueError, match=r"coverage must be a float in \(0, 1\)"):
        direct_forecast(reg, series, window=12, coverage=95)


class _RandomWalkQuantiles:
    """A stand-in quantile model of a Gaussian random walk of unit steps."""

    quantiles_ = tuple(np.linspace(0.01, 0.99, 99).round(2))

    def predict(self, X):
        return X[:, -1, 0]

    def predict_quantiles(self, X, quantiles=None):
        levels = self.quantiles_ if quantiles is None else quantiles
        return X[:, -1, 0, None] + norm.ppf(levels)


def test_recursive_intervals_widen_as_sample_paths_accumulate_noise():
    # After k unit Gaussian steps the next value is N(last, k): the 80% bounds
    # are last -+ 1.2816 sqrt(k), up to the sampling error of 4,000 paths.
    history = np.zeros(10)
    forecast = recursive_forecast(
        _RandomWalkQuantiles(),
        history,
        steps=4,
        window=3,
        coverage=0.8,
        n_paths=4000,
        random_state=0,
    )
    expected = 1.2816 * np.sqrt([1, 2, 3, 4])
    np.testing.assert_allclose(forecast["upper_80"], expected, atol=0.12)
    np.testing.assert_allclose(forecast["lower_80"], -expected, atol=0.12)
    np.testing.assert_allclose(forecast["forecast"], 0.0, atol=0.1)


def test_sample_paths_are_reproducible_by_seed():
    kwargs = {"steps": 3, "window": 3, "coverage": 0.9, "n_paths": 50}
    model, history = _RandomWalkQuantiles(), np.arange(10.0)
    first = recursive_forecast(model, history, random_state=1, **kwargs)
    again = recursive_forecast(model, history, random_state=1, **kwargs)
    other = recursive_forecast(model, history, random_state=2, **kwargs)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


def test_recursive_intervals_need_a_quantile_model():
    with pytest.raises(ValueError, match="no predict_quantiles"):
        recursive_forecast(
            _LastValuePlusOne(), np.arange(10.0), steps=2, window=3, coverage=0.8
        )
