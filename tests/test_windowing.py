"""SequenceWindower and make_windows: shapes, no look-ahead, history across folds."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from skrnn import RNNRegressor, SequenceWindower, future_targets, make_windows


def _table(n=60, n_features=2, start="2000-01"):
    index = pd.date_range(start, periods=n, freq="MS")
    values = np.arange(n * n_features, dtype=float).reshape(n, n_features)
    return pd.DataFrame(
        values, index=index, columns=[f"x{i}" for i in range(n_features)]
    )


def test_row_i_holds_rows_up_to_i():
    X = np.arange(12.0).reshape(6, 2)
    windows = SequenceWindower(window=3).fit_transform(X)
    assert windows.shape == (6, 3, 2)
    np.testing.assert_array_equal(windows[4], X[2:5])
    np.testing.assert_array_equal(windows[1, 1:], X[:2])
    assert np.isnan(windows[1, 0]).all()
    assert np.isnan(windows[0, :2]).all()


def test_output_is_a_view_not_a_copy():
    X = np.arange(2000.0, dtype=np.float32).reshape(1000, 2)
    windows = SequenceWindower(window=50).fit_transform(X)
    assert windows.dtype == np.float32
    assert windows.base is not None
    assert not windows.flags.writeable
    assert windows.strides[0] == windows.strides[1]  # rows overlap: a strided view


def test_fit_transform_equals_fit_then_transform():
    X = _table()
    windower = SequenceWindower(window=4)
    np.testing.assert_array_equal(
        windower.fit_transform(X), SequenceWindower(window=4).fit(X).transform(X)
    )


def test_changing_a_later_row_never_changes_an_earlier_window_or_prediction(fast):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = rng.normal(size=40)
    pipe = Pipeline(
        [("win", SequenceWindower(window=5)), ("rnn", RNNRegressor(**fast))]
    )
    pipe.fit(X, y)
    windows, predictions = pipe[0].transform(X), pipe.predict(X)
    for j in (10, 25, 39):
        changed = X.copy()
        changed[j:] += 100.0
        np.testing.assert_array_equal(pipe[0].transform(changed)[:j], windows[:j])
        np.testing.assert_allclose(
            pipe.predict(changed)[:j], predictions[:j], rtol=1e-6
        )


def test_transform_continues_fitted_history_when_index_continues():
    X = _table()
    windower = SequenceWindower(window=4).fit(X.iloc[:30])
    windows = windower.transform(X.iloc[30:])
    np.testing.assert_array_equal(windows[0], X.iloc[27:31].to_numpy())
    np.testing.assert_array_equal(windows, windower.fit_transform(X)[30:])


@pytest.mark.parametrize(
    "test_part",
    [
        pytest.param(lambda X: X.iloc[32:], id="gap"),
        pytest.param(lambda X: X.iloc[30:].to_numpy(), id="array"),
        pytest.param(lambda X: X.iloc[:30], id="training data"),
    ],
)
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_transform_pads_when_data_does_not_continue(test_part):
    X = _table()
    windows = SequenceWindower(window=4).fit(X.iloc[:30]).transform(test_part(X))
    assert np.isnan(windows[0, :3]).all()


def test_history_continues_for_integer_index():
    X = _table().reset_index(drop=True)
    windows = SequenceWindower(window=3).fit(X.iloc[:10]).transform(X.iloc[10:])
    np.testing.assert_array_equal(windows[0], X.iloc[8:11].to_numpy())


def test_window_longer_than_fitted_data_pads_the_rest():
    X = _table()
    windows = SequenceWindower(window=5).fit(X.iloc[:2]).transform(X.iloc[2:4])
    assert np.isnan(windows[0, :2]).all()
    np.testing.assert_array_equal(windows[0, 2:], X.iloc[:3].to_numpy())


def test_1d_input_suggests_reshape_or_to_frame():
    with pytest.raises(ValueError, match=r"to_frame\(\).*reshape\(-1, 1\)"):
        SequenceWindower().fit(pd.Series([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        SequenceWindower().fit(np.arange(3.0))


@pytest.mark.parametrize("window", [0, 2.5, True, None])
def test_bad_window_is_an_error(window):
    with pytest.raises(ValueError, match="window must be an integer >= 1"):
        SequenceWindower(window=window).fit(np.ones((5, 1)))


def test_window_is_a_hyperparameter_of_a_grid_search(fast):
    t = np.arange(150)
    X = pd.DataFrame({"x": np.sin(t / 4)}, index=pd.RangeIndex(150))
    y = np.sin((t + 1) / 4)
    pipe = Pipeline([("win", SequenceWindower()), ("rnn", RNNRegressor(**fast))])
    cv = TimeSeriesSplit(n_splits=2, gap=3)
    grid = GridSearchCV(pipe, {"win__window": [2, 6]}, cv=cv, refit=False)
    grid.fit(X, y)
    # Each candidate scores what its pipeline scores when fitted by hand.
    for window, score in zip([2, 6], grid.cv_results_["mean_test_score"], strict=True):
        by_hand = [
            clone(pipe)
            .set_params(win__window=window)
            .fit(X.iloc[train], y[train])
            .score(X.iloc[test], y[test])
            for train, test in cv.split(X)
        ]
        assert score == pytest.approx(np.mean(by_hand), rel=1e-12)
    assert len(set(grid.cv_results_["mean_test_score"])) == 2


def test_make_windows_univariate_with_horizon():
    X, y = make_windows(np.arange(10.0), window=4, horizon=2)
    assert X.shape == (5, 4, 1)
    assert y.shape == (5, 2)
    np.testing.assert_array_equal(X[-1, :, 0], [4, 5, 6, 7])
    np.testing.assert_array_equal(y[-1], [8, 9])


def test_make_windows_stride_and_one_step_target():
    X, y = make_windows(np.arange(10.0), window=3, stride=3)
    np.testing.assert_array_equal(X[:, 0, 0], [0, 3, 6])
    np.testing.assert_array_equal(y, [3, 6, 9])


def test_make_windows_multivariate_target_column():
    table = _table(n=20, n_features=3)
    X, y = make_windows(table, window=5, horizon=3, target="x1")
    assert X.shape == (13, 5, 3)
    np.testing.assert_array_equal(y[0], table["x1"].iloc[5:8])
    X_all, y_all = make_windows(table, window=5)
    assert X_all.shape == (15, 5, 3)
    assert y_all.shape == (15, 3)
    np.testing.assert_array_equal(y_all[0], table.iloc[5])


def test_make_windows_list_of_series_of_different_lengths():
    X, y = make_windows([np.arange(10.0), np.arange(100.0, 106.0)], window=3)
    assert X.shape == (7 + 3, 3, 1)
    np.testing.assert_array_equal(y[-3:], [103, 104, 105])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window": 8, "horizon": 3}, "too short.*at least 11 rows"),
        ({"window": 0}, "window must be an integer >= 1"),
        ({"window": 2, "stride": 0}, "stride must be an integer >= 1"),
        ({"window": 2, "target": "z"}, "target 'z' is not a column"),
    ],
)
def test_make_windows_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_windows(np.arange(10.0), **kwargs)


def test_make_windows_needs_a_target_for_multivariate_horizons():
    with pytest.raises(ValueError, match="choose the column to forecast"):
        make_windows(np.ones((20, 2)), window=3, horizon=2)


def test_future_targets_are_the_next_values_without_the_last_rows():
    index = pd.date_range("2024-01-01", periods=6, freq="D")
    table = pd.DataFrame(
        {"sales": np.arange(6.0), "promo": [0, 1, 0, 1, 0, 1]}, index=index
    )
    X, y = future_targets(table, "sales")
    pd.testing.assert_frame_equal(X, table.iloc[:5])
    pd.testing.assert_series_equal(
        y, table["sales"].shift(-1).iloc[:5].rename("sales+1")
    )
    X, y = future_targets(table, 0, horizon=3)
    assert len(X) == len(y) == 3
    assert list(y.columns) == ["sales+1", "sales+2", "sales+3"]
    np.testing.assert_array_equal(y.to_numpy(), [[1, 2, 3], [2, 3, 4], [3, 4, 5]])
    assert (y.index == X.index).all()


def test_future_targets_of_an_array():
    X, y = future_targets(np.arange(5.0), horizon=2)
    np.testing.assert_array_equal(X, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(y, [[1, 2], [2, 3], [3, 4]])


@pytest.mark.parametrize(
    ("table", "kwargs", "message"),
    [
        (np.zeros((5, 2)), {}, "name the one to forecast"),
        (np.zeros(3), {"horizon": 3}, "no series longer than horizon=3"),
        (np.zeros((5, 2)), {"target": "x"}, "not a column"),
    ],
)
def test_future_targets_errors(table, kwargs, message):
    with pytest.raises(ValueError, match=message):
        future_targets(table, **kwargs)


def test_future_targets_feed_a_windower_pipeline(fast):
    table = pd.DataFrame({"load": np.sin(np.arange(60) / 4)})
    pipe = Pipeline(
        [("win", SequenceWindower(window=6)), ("rnn", RNNRegressor(**fast))]
    )
    pipe.fit(*future_targets(table, "load"))
    assert pipe.predict(table).shape == (60,)


def test_a_shifted_target_with_nan_names_the_fix(fast):
    table = pd.DataFrame({"load": np.arange(20.0)})
    pipe = Pipeline([("win", SequenceWindower(window=4)), ("rnn", RNNRegressor())])
    with pytest.raises(ValueError, match=r"the last 2\. .*future_targets"):
        pipe.fit(table, table["load"].shift(-2))


def test_fitted_rows_fewer_than_the_window_are_all_kept():
    table = pd.DataFrame({"x": np.arange(1.0, 10.0)})
    windower = SequenceWindower(window=5).fit(table[:3])
    first = windower.transform(table[3:])[0, :, 0]
    np.testing.assert_array_equal(first, [np.nan, 1, 2, 3, 4])
