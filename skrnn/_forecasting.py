"""Multi-step forecasts from a fitted regressor: direct and recursive."""

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

from ._params import check_positive_int
from ._windowing import (
    SequenceWindower,
    _next_label,
    _pandas_index,
    _target_position,
)


def direct_forecast(estimator, history, *, window=None):
    """Forecast a whole horizon at once from the last window of ``history``.

    The estimator was fitted on windows and targets of shape ``(n, horizon)``, as
    :func:`make_windows` makes them with ``horizon > 1``; its prediction for the
    most recent window is the forecast.

    Parameters
    ----------
    estimator : fitted regressor
        Either a regressor that takes windows ``(n, window, n_features)`` (such as
        :class:`RNNRegressor`), or a Pipeline whose first step is a
        :class:`SequenceWindower`, which takes rows; or a fitted
        :class:`~sklearn.model_selection.GridSearchCV` (or another search with a
        ``best_estimator_``) of either, which forecasts with its best estimator.
    history : array-like, Series or DataFrame of shape (n_rows,) or (n_rows, n_features)
        The observed series, oldest first, with the columns used in fitting.
    window : int, default=None
        Time steps per window; read from the SequenceWindower of a Pipeline when
        None. It must be the length of the windows the estimator was fitted on
        (for a skrnn estimator fitted on windows of one length, that is checked).

    Returns
    -------
    forecast : ndarray of shape (horizon,) or Series
        A Series indexed by the future labels when ``history`` has a regularly
        spaced (e.g. monthly) index, otherwise an array.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNRegressor, direct_forecast, make_windows
    >>> series = np.sin(np.arange(200) / 5)
    >>> X, y = make_windows(series, window=20, horizon=3)
    >>> reg = RNNRegressor(max_epochs=2, random_state=0).fit(X, y)
    >>> direct_forecast(reg, series, window=20).shape
    (3,)
    """
    estimator = _best(estimator)
    window, frame, index = _prepare(estimator, history, window)
    forecast = np.asarray(_predict_last(estimator, frame, window), dtype=float).ravel()
    return _as_output(forecast, index, _series_name(history))


def recursive_forecast(
    estimator, history, steps, *, window=None, target=None, future=None
):
    """Forecast ``steps`` ahead one step at a time, feeding predictions back.

    Each step predicts the next value of the target from the most recent window,
    appends it to the history, and predicts again from the shifted window. For a
    multivariate series the target is one of the input columns; the other columns
    must be given for the future steps (``future``), since the model does not
    forecast them.

    Parameters
    ----------
    estimator : fitted regressor
        Either a regressor that takes windows ``(n, window, n_features)`` and
        predicts the next value of the target (such as :class:`RNNRegressor`
        fitted on :func:`make_windows` with ``horizon=1``), or a Pipeline whose
        first step is a :class:`SequenceWindower`, which takes rows and predicts
        the next target value for each row; or a fitted
        :class:`~sklearn.model_selection.GridSearchCV` (or another search with a
        ``best_estimator_``) of either, which forecasts with its best estimator.
    history : array-like, Series or DataFrame of shape (n_rows,) or (n_rows, n_features)
        The observed series, oldest first, with the columns used in fitting.
    steps : int
        Number of future steps to forecast.
    window : int, default=None
        Time steps per window; read from the SequenceWindower of a Pipeline when
        None. It must be the length of the windows the estimator was fitted on
        (for a skrnn estimator fitted on windows of one length, that is checked).
    target : int or str, default=None
        The forecast column, by position or DataFrame column name; None for a
        univariate series.
    future : array-like or DataFrame of shape (steps, n_features - 1), default=None
        The other (exogenous) columns for the ``steps`` future time steps, in the
        order of ``history``'s columns without the target. Required when
        ``history`` has more than one column.

    Returns
    -------
    forecast : ndarray of shape (steps,) or Series
        A Series indexed by the future labels when ``history`` has a regularly
        spaced (e.g. monthly) index, otherwise an array.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNRegressor, make_windows, recursive_forecast
    >>> series = np.sin(np.arange(200) / 5)
    >>> X, y = make_windows(series, window=20)
    >>> reg = RNNRegressor(max_epochs=2, random_state=0).fit(X, y)
    >>> recursive_forecast(reg, series, steps=5, window=20).shape
    (5,)
    """
    check_positive_int("steps", steps)
    estimator = _best(estimator)
    window, frame, index = _prepare(estimator, history, window)
    column = _target_position(target, frame.columns, frame.shape[1], "history")
    exog = _future_exogenous(future, frame, column, steps)
    rows = frame.iloc[-window:].copy()
    forecast = np.empty(steps)
    for step in range(steps):
        value = np.asarray(_predict_last(estimator, rows, window), dtype=float).ravel()
        if value.size != 1:
            raise ValueError(
                f"The estimator predicts {value.size} values per window; recursive "
                "forecasting needs a model of the next value of one target. Use "
                "direct_forecast for a model of the whole horizon."
            )
        forecast[step] = value[0]
        new_row = np.insert(exog[step], column, value[0])
        rows = pd.concat(
            [rows.iloc[1:], pd.DataFrame([new_row], columns=rows.columns)],
            ignore_index=True,
        )
    name = frame.columns[column] if isinstance(history, pd.DataFrame) else None
    return _as_output(forecast, index, _series_name(history) or name)


def _best(estimator):
    """A fitted search's refitted best estimator, any other estimator itself."""
    return getattr(estimator, "best_estimator_", estimator)


def _prepare(estimator, history, window):
    """The window (from a leading SequenceWindower if not given) and the history
    as a DataFrame, once the estimator is known to forecast with that window."""
    if _is_classifier(estimator):
        raise TypeError(
            f"{type(estimator).__name__} is a classifier; forecasting needs a "
            "regressor fitted on windows and the values that follow them, such as "
            "RNNRegressor on make_windows(series, window)."
        )
    if _takes_rows(estimator):
        own = estimator[0].window
        if window is not None and window != own:
            raise ValueError(
                f"window={window}, but the Pipeline's SequenceWindower makes windows "
                f"of {own} steps; leave window=None to use them."
            )
        window = own
    elif window is None:
        raise ValueError(
            "window is required: the number of time steps the estimator's "
            "windows have (or pass a Pipeline starting with SequenceWindower)."
        )
    fitted = getattr(estimator, "_window", None)
    if fitted is not None and window != fitted:
        raise ValueError(
            f"window={window}, but the estimator was fitted on windows of {fitted} "
            f"time steps; pass window={fitted}, the window of its training data."
        )
    frame = history.to_frame() if isinstance(history, pd.Series) else history
    if not isinstance(frame, pd.DataFrame):
        values = np.asarray(frame, dtype=float)
        frame = pd.DataFrame(values.reshape(len(values), -1))
    if len(frame) < window:
        raise ValueError(
            f"history has {len(frame)} rows, fewer than window={window}; the "
            "forecast starts from one full window."
        )
    return window, frame, _pandas_index(history)


def _is_classifier(estimator):
    """scikit-learn's is_classifier, False for objects without its tags (a plain
    object with a predict method forecasts too)."""
    try:
        return is_classifier(estimator)
    except (AttributeError, TypeError):
        return False


def _takes_rows(estimator):
    """Whether the estimator windows rows itself: a Pipeline led by the windower."""
    return isinstance(estimator, Pipeline) and isinstance(
        estimator[0], SequenceWindower
    )


def _series_name(history):
    return history.name if isinstance(history, pd.Series) else None


def _predict_last(model, rows, window):
    """The model's prediction for the window ending at the last row."""
    if _takes_rows(model):
        return model.predict(rows.iloc[-window:])[-1]
    return model.predict(rows.to_numpy(dtype=float)[np.newaxis, -window:])[0]


def _future_exogenous(future, frame, column, steps):
    n_exog = frame.shape[1] - 1
    if n_exog == 0:
        if future is not None:
            raise ValueError("history has only the target column; future must be None.")
        return np.empty((steps, 0))
    if future is None:
        raise ValueError(
            f"history has {n_exog} column(s) besides the target; the model needs "
            f"their values for the {steps} future steps: pass future, an array or "
            f"DataFrame of shape ({steps}, {n_exog})."
        )
    if isinstance(future, pd.DataFrame) and isinstance(frame.columns[0], str):
        others = [c for i, c in enumerate(frame.columns) if i != column]
        missing = set(others) - set(future.columns)
        if missing:
            raise ValueError(f"future lacks the column(s) {sorted(missing)}.")
        future = future[others]
    exog = np.asarray(future, dtype=float).reshape(len(future), -1)
    if exog.shape != (steps, n_exog):
        raise ValueError(
            f"future must have shape ({steps}, {n_exog}): one row per forecast step "
            f"and the history's columns without the target; got {exog.shape}."
        )
    return exog


def _as_output(forecast, index, name):
    """A Series on the future labels when the history's index has a regular step."""
    first = None if index is None else _next_label(index)
    if first is None:
        return forecast
    freq = getattr(index, "freq", None)
    step = freq if freq is not None else first - index[-1]
    labels = [index[-1] + k * step for k in range(1, len(forecast) + 1)]
    future_index = pd.Index(labels)
    if isinstance(index, pd.DatetimeIndex):
        future_index = pd.DatetimeIndex(labels, freq=freq)
    return pd.Series(forecast, index=future_index, name=name)
