"""Many series in one long DataFrame, and covariates with roles."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from skrnn import (
    RNNRegressor,
    SequenceWindower,
    direct_forecast,
    future_targets,
    make_windows,
    recursive_forecast,
)


def _long(shuffle=True):
    """Two monthly series of different lengths and levels, rows interleaved."""
    parts = []
    for name, n, level in [("a", 30, 10.0), ("b", 24, 1000.0)]:
        dates = pd.date_range("2020-01", periods=n, freq="MS")
        value = level + np.arange(n, dtype=float)
        parts.append(pd.DataFrame({"store": name, "month": dates, "sales": value}))
    table = pd.concat(parts, ignore_index=True)
    if shuffle:
        table = table.sample(frac=1.0, random_state=0).reset_index(drop=True)
    return table


def _series(table, name):
    rows = table[table["store"] == name].sort_values("month")
    return rows["sales"].to_numpy()


class _LastValuePlusOne:
    def predict(self, X):
        return X[:, -1, 0] + 1.0


class _LastValuePlusSteps:
    def predict(self, X):
        return X[:, -1, :1] + np.arange(1.0, 4.0)


def test_make_windows_of_a_long_table_equal_those_of_each_series():
    table = _long()
    X, y = make_windows(table, 5, horizon=2, id_col="store", time_col="month")
    series = [_series(table, name) for name in table["store"].unique()]
    X_list, y_list = make_windows(series, 5, horizon=2)
    np.testing.assert_array_equal(X, X_list)
    np.testing.assert_array_equal(y, y_list)
    # no window spans two series: every window is one run of consecutive values
    assert (np.diff(X[:, :, 0], axis=1) == 1).all()


def test_future_targets_of_a_long_table_stay_within_each_series():
    table = _long()
    X, y = future_targets(table, "sales", horizon=2, id_col="store", time_col="month")
    assert len(X) == len(table) - 2 * 2  # each series loses its own last 2 rows
    np.testing.assert_array_equal(y.index, X.index)
    np.testing.assert_array_equal(y["sales+1"], X["sales"] + 1)
    np.testing.assert_array_equal(y["sales+2"], X["sales"] + 2)
    assert list(X.columns) == ["store", "month", "sales"]
    assert X.index.is_monotonic_increasing  # table order kept


def test_windower_on_a_long_table_pads_each_series_and_keeps_row_order():
    table = _long()
    windower = SequenceWindower(window=3, id_col="store", time_col="month")
    windows = windower.fit_transform(table)
    assert windows.shape == (len(table), 3, 1)
    np.testing.assert_array_equal(windows[:, -1, 0], table["sales"])
    first = table.groupby("store")["month"].transform("min") == table["month"]
    assert np.isnan(windows[first.to_numpy(), :2]).all()
    later = ~first.to_numpy() & ~np.isnan(windows[:, 0, 0])
    assert (np.diff(windows[later, :, 0], axis=1) == 1).all()
    assert list(windower.feature_names_in_) == ["sales"]


def test_windower_continues_each_series_after_its_fitted_rows():
    table = _long(shuffle=False)
    early = table["month"] < "2021-06-01"
    windower = SequenceWindower(window=3, id_col="store", time_col="month")
    windower.fit(table[early])
    later = windower.transform(table[~early])
    np.testing.assert_array_equal(later, windower.fit_transform(table)[~early])
    assert not np.isnan(later).any()


def test_static_columns_and_history_in_one_pipeline(fast):
    # A categorical store attribute, one-hot encoded before the windower, rides
    # along as channels constant within each series.
    table = _long()
    table["size"] = table["store"].map({"a": "small", "b": "large"})
    encode = ColumnTransformer(
        [("size", OneHotEncoder(sparse_output=False), ["size"])],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    pipe = Pipeline(
        [
            ("encode", encode),
            ("win", SequenceWindower(window=4, id_col="store", time_col="month")),
            ("rnn", RNNRegressor(**fast)),
        ]
    )
    X, y = future_targets(table, "sales", id_col="store", time_col="month")
    pipe.fit(X, y)
    assert pipe[1].feature_names_in_.tolist() == ["size_large", "size_small", "sales"]
    assert pipe.predict(X).shape == (len(X),)
    forecast = recursive_forecast(
        pipe, table, 3, window=4, target="sales", static="size",
        id_col="store", time_col="month",
    )  # fmt: skip
    assert forecast.shape == (6, 1)
    with pytest.raises(ValueError, match=r"\['size'\] are past-only"):
        recursive_forecast(
            pipe, table, 3, target="sales", id_col="store", time_col="month"
        )


def test_recursive_forecast_of_every_series_of_a_long_table():
    table = _long()
    forecast = recursive_forecast(
        _LastValuePlusOne(), table, 3, window=4, id_col="store", time_col="month"
    )
    assert forecast.index.names == ["store", "month"]
    assert list(forecast.columns) == ["forecast"]
    a = forecast.loc["a"]["forecast"]
    np.testing.assert_array_equal(a, _series(table, "a")[-1] + [1, 2, 3])
    assert list(a.index) == list(pd.date_range("2022-07", periods=3, freq="MS"))
    b = forecast.loc["b"]["forecast"]
    np.testing.assert_array_equal(b, _series(table, "b")[-1] + [1, 2, 3])
    assert b.index[0] == pd.Timestamp("2022-01-01")


def test_direct_forecast_of_a_long_table_through_its_pipeline(fast):
    # The Pipeline's windower names the id and time columns; the forecast of each
    # series is the model's prediction for that series' own last window.
    table = _long()
    pipe = Pipeline(
        [
            ("win", SequenceWindower(window=4, id_col="store", time_col="month")),
            ("rnn", RNNRegressor(**fast)),
        ]
    )
    pipe.fit(
        *future_targets(table, "sales", horizon=2, id_col="store", time_col="month")
    )
    forecast = direct_forecast(pipe, table)
    assert forecast.shape == (4, 1)
    last_b = _series(table, "b")[-4:].reshape(1, 4, 1)
    np.testing.assert_allclose(
        forecast.loc["b"]["forecast"], pipe[-1].predict(last_b)[0]
    )


def test_long_forecasts_take_known_future_rows_per_series():
    table = _long()
    table["promo"] = 0.0
    future = pd.DataFrame(
        {
            "store": ["b", "a", "a", "b", "a", "b"],
            "month": pd.to_datetime(
                ["2022-01", "2022-07", "2022-08", "2022-02", "2022-09", "2022-03"]
            ),
            "promo": [0.0, 0.0, 5.0, 0.0, 0.0, 0.0],
        }
    )

    class _LevelPlusPromo:
        def predict(self, X):
            return X[:, -1, 0] + X[:, -1, 1]

    forecast = recursive_forecast(
        _LevelPlusPromo(),
        table,
        3,
        window=2,
        target="sales",
        known_future="promo",
        future=future,
        id_col="store",
        time_col="month",
    )
    last_a = _series(table, "a")[-1]
    np.testing.assert_array_equal(
        forecast.loc["a"]["forecast"], last_a + np.array([0, 5, 5])
    )
    with pytest.raises(ValueError, match="no rows for series 'b'"):
        recursive_forecast(
            _LevelPlusPromo(),
            table,
            3,
            window=2,
            target="sales",
            known_future="promo",
            future=future[future["store"] == "a"],
            id_col="store",
            time_col="month",
        )


def test_known_future_columns_are_brought_forward_in_make_windows():
    promo = np.array([0, 0, 1, 0, 0, 0, 1, 0], dtype=float)
    table = pd.DataFrame({"sales": np.arange(8.0), "promo": promo})
    X, y = make_windows(table, 3, horizon=2, target="sales", known_future="promo")
    # window 0 covers rows 0..2 and forecasts rows 3, 4: its last step holds the
    # promo of exactly those rows
    np.testing.assert_array_equal(X[0, -1], [2.0, promo[3], promo[4]])
    np.testing.assert_array_equal(y[0], [3.0, 4.0])
    assert X.shape == (4, 3, 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"id_col": "shop"}, ValueError, r"no column\(s\) \['shop'\]"),
        ({"id_col": "store", "time_col": "store"}, ValueError, "two different"),
        (
            {"id_col": "store", "time_col": "month", "known_future": "sales"},
            ValueError,
            "target cannot",
        ),
        ({"id_col": "store"}, TypeError, r"\['month'\] of the long table are not"),
    ],
)
def test_long_table_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_windows(_long(), 3, target="sales", **kwargs)


def test_long_table_needs_a_dataframe_and_unique_timestamps():
    with pytest.raises(TypeError, match="long DataFrame"):
        make_windows(np.ones((10, 2)), 3, id_col="store")
    table = _long()
    table.loc[1, "month"] = table.loc[0, "month"]
    table.loc[1, "store"] = table.loc[0, "store"]
    with pytest.raises(ValueError, match="same 'month'"):
        SequenceWindower(window=2, id_col="store", time_col="month").fit(table)


def test_long_direct_forecasts_carry_intervals_through_the_pipeline(fast):
    table = _long()
    pipe = Pipeline(
        [
            ("win", SequenceWindower(window=4, id_col="store", time_col="month")),
            ("rnn", RNNRegressor(**fast, loss="quantile")),
        ]
    )
    pipe.fit(
        *future_targets(table, "sales", horizon=2, id_col="store", time_col="month")
    )
    forecast = direct_forecast(pipe, table, coverage=0.8)
    assert list(forecast.columns) == ["forecast", "lower_80", "upper_80"]
    last_b = _series(table, "b")[-4:].reshape(1, 4, 1)
    np.testing.assert_allclose(
        forecast.loc["b"][["lower_80", "upper_80"]],
        pipe[-1].predict_interval(last_b, coverage=0.8)[0],
    )


def test_long_recursive_forecasts_draw_paths_per_series(fast):
    table = _long()
    pipe = Pipeline(
        [
            ("win", SequenceWindower(window=4, id_col="store", time_col="month")),
            ("rnn", RNNRegressor(**fast, loss="quantile")),
        ]
    )
    pipe.fit(*future_targets(table, "sales", id_col="store", time_col="month"))
    forecast = recursive_forecast(
        pipe, table, 3, coverage=0.8, n_paths=20, random_state=0
    )
    assert forecast.index.names == ["store", "month"]
    assert list(forecast.columns) == ["forecast", "lower_80", "upper_80"]
    assert (forecast["lower_80"] <= forecast["upper_80"]).all()
    # The first step of every path draws from the same predicted quantiles.
    last_b = _series(table, "b")[-4:].reshape(1, 4, 1)
    lower, upper = pipe[-1].predict_quantiles(last_b, quantiles=[0.025, 0.975])[0]
    first_b = forecast.loc["b"].iloc[0]
    assert lower <= first_b["lower_80"] <= first_b["upper_80"] <= upper
