"""Multi-step forecasts from a fitted regressor: direct and recursive, for one
series or every series of a long table."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

from ._params import check_positive_int
from ._quantiles import interval_bounds, sample_quantiles
from ._series import (
    check_long,
    feature_columns,
    known_positions,
    next_rows,
    series_positions,
    target_position,
    time_index,
    with_leads,
)
from ._streaming import final_step
from ._windowing import SequenceWindower, _next_label, _pandas_index


def direct_forecast(
    estimator,
    history,
    *,
    window=None,
    known_future=None,
    future=None,
    id_col=None,
    time_col=None,
    coverage=None,
):
    """Forecast a whole horizon at once from the last window of ``history``.

    The estimator was fitted on windows and targets of shape ``(n, horizon)``, as
    :func:`make_windows` makes them with ``horizon > 1`` (or rows and targets from
    :func:`future_targets`); its prediction for the most recent window is the
    forecast.

    Parameters
    ----------
    estimator : fitted regressor
        Either a regressor that takes windows ``(n, window, n_features)`` (such as
        :class:`RNNRegressor`), or a Pipeline with a :class:`SequenceWindower`
        (after any row-wise steps), which takes rows; or a fitted
        :class:`~sklearn.model_selection.GridSearchCV` (or another search with a
        ``best_estimator_``) of either, which forecasts with its best estimator.
    history : array-like, Series or DataFrame of shape (n_rows,) or (n_rows, n_features)
        The observed series, oldest first, with the columns used in fitting
        (known-future ones as observed, not yet brought forward); or a long
        DataFrame of many series with ``id_col``.
    window : int, default=None
        Time steps per window; read from the SequenceWindower of a Pipeline when
        None. It must be the length of the windows the estimator was fitted on
        (for a skrnn estimator fitted on windows of one length, that is checked).
        A shorter history is front-padded with NaN time steps, which skrnn's
        estimators read as padding.
    known_future : int, str, list or None, default=None
        The covariates the model was fitted with as known in advance (the same
        ``known_future`` as in :func:`make_windows` or :func:`future_targets`).
    future : array-like or DataFrame of shape (horizon, n_known), default=None
        Their values for the ``horizon`` forecast steps, in ``known_future``
        order (a DataFrame may hold other columns too; with ``id_col``, a long
        DataFrame with the future rows of every series).
    id_col : str, default=None
        With a long DataFrame ``history`` (one row per series and time step),
        the series-id column: every series is forecast from its own last
        window, and the result is a DataFrame with one column ``"forecast"``,
        indexed by (series, future timestamp). Read from the Pipeline's
        SequenceWindower when None.
    time_col : str, default=None
        The timestamp column of a long ``history``, which orders each series'
        rows and labels the forecasts: by ``future``'s timestamps when given,
        otherwise by continuing each series' regular spacing. Read from the
        Pipeline's SequenceWindower when None; without one, the forecasts are
        labelled by step number 1, 2, ...
    coverage : float or list of float, default=None
        Also forecast central prediction intervals of these coverages, e.g.
        ``[0.8, 0.95]``, from an estimator fitted with ``loss="quantile"``
        (:meth:`RNNRegressor.predict_interval`). The forecast is then the
        median, and the result a DataFrame with the columns ``"forecast"``,
        ``"lower_80"``, ``"upper_80"``, ``"lower_95"``, ...

    Returns
    -------
    forecast : ndarray of shape (horizon,), Series or DataFrame
        A Series indexed by the future labels when ``history`` has a regularly
        spaced (e.g. monthly) index, otherwise an array; for a long ``history``,
        a DataFrame indexed by (series, future timestamp). With ``coverage``, a
        DataFrame with the interval columns, indexed by the future labels (the
        step numbers 1, 2, ... without them).

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
    model = _Model(estimator, window, id_col, time_col)
    parts = model.series(history, future)
    columns = parts[0].frame.columns
    known = known_positions(known_future, columns, len(columns))
    inputs, horizons = [], []
    for part in parts:
        horizon = None if part.future is None else len(part.future)
        exog = _future_known(part.future, part.frame, known, horizon)
        rows = model.last_rows(len(part.frame))
        raw = _extended(part.frame, known, exog)
        inputs.append(with_leads(raw, rows, next_rows(rows, len(exog)), known))
        horizons.append(len(exog))
    levels = _interval_levels(coverage)
    bounds = None
    if levels is None:
        predictions = model.predict_last(inputs)
    else:  # (n_series, horizon, levels): the median, then each interval's bounds
        quantiles = model.predict_last(inputs, levels=[0.5, *levels])
        predictions = quantiles[..., 0]
        bounds = _interval_columns(coverage, quantiles[..., 1:])
    if known and any(h != predictions.shape[1] for h in horizons):
        raise ValueError(
            f"The estimator forecasts {predictions.shape[1]} steps, but future has "
            f"{sorted(set(horizons))} rows per series; give the known-future "
            f"values of the {predictions.shape[1]} forecast steps."
        )
    return model.output(history, parts, predictions, None, bounds)


def _interval_levels(coverage):
    """The lower and upper level of each interval of ``coverage``; None for none."""
    if coverage is None:
        return None
    return [
        level for c in np.atleast_1d(coverage).tolist() for level in interval_bounds(c)
    ]


def _interval_columns(coverage, values):
    """``{"lower_80": (n_series, horizon), "upper_80": ..., ...}`` from the
    ``values`` at :func:`_interval_levels`."""
    columns = {}
    for i, c in enumerate(np.atleast_1d(coverage).tolist()):
        label = f"{100 * c:g}"
        columns[f"lower_{label}"] = values[..., 2 * i]
        columns[f"upper_{label}"] = values[..., 2 * i + 1]
    return columns


def recursive_forecast(
    estimator,
    history,
    steps,
    *,
    window=None,
    target=None,
    known_future=None,
    future=None,
    static=None,
    id_col=None,
    time_col=None,
    coverage=None,
    n_paths=200,
    random_state=None,
):
    """Forecast ``steps`` ahead one step at a time, feeding predictions back.

    Each step predicts the next value of the target from the most recent window,
    appends it to the history, and predicts again from the shifted window. For a
    multivariate series the target is one of the input columns. The model does
    not forecast the other columns: known-future covariates (fitted with
    ``known_future``, so that the window ending at ``t`` sees their values at
    ``t + 1``) take their values from ``future``, step by step; ``static``
    columns keep their last value; past-only covariates are unknown after the
    history, which limits the forecast to one step.

    Parameters
    ----------
    estimator : fitted regressor
        Either a regressor that takes windows ``(n, window, n_features)`` and
        predicts the next value of the target (such as :class:`RNNRegressor`
        fitted on :func:`make_windows` with ``horizon=1``), or a Pipeline with a
        :class:`SequenceWindower` (after any row-wise steps), which takes rows and
        predicts the next target value for each row (fitted on :func:`future_targets`);
        or a fitted :class:`~sklearn.model_selection.GridSearchCV` (or another
        search with a ``best_estimator_``) of either, which forecasts with its
        best estimator.
    history : array-like, Series or DataFrame of shape (n_rows,) or (n_rows, n_features)
        The observed series, oldest first, with the columns used in fitting
        (known-future ones as observed, not yet brought forward); or a long
        DataFrame of many series with ``id_col``.
    steps : int
        Number of future steps to forecast.
    window : int, default=None
        Time steps per window; read from the SequenceWindower of a Pipeline when
        None. It must be the length of the windows the estimator was fitted on
        (for a skrnn estimator fitted on windows of one length, that is checked).
        A shorter history is front-padded with NaN time steps, which skrnn's
        estimators read as padding.
    target : int or str, default=None
        The forecast column, by position or DataFrame column name; None for a
        univariate series.
    known_future : int, str, list or None, default=None
        The covariates the model was fitted with as known in advance (the same
        ``known_future`` as in :func:`make_windows` or :func:`future_targets`).
    future : array-like or DataFrame of shape (steps, n_known), default=None
        Their values for the ``steps`` future time steps, in ``known_future``
        order (a DataFrame may hold other columns too; with ``id_col``, a long
        DataFrame with the future rows of every series). Step ``k``'s forecast
        is the first to see row ``k`` of ``future``.
    static : int, str, list or None, default=None
        Columns constant within a series (store size, an encoded category):
        carried into the future steps unchanged.
    id_col : str, default=None
        With a long DataFrame ``history`` (one row per series and time step),
        the series-id column: every series is forecast from its own last
        window, and the result is a DataFrame with one column ``"forecast"``,
        indexed by (series, future timestamp). Read from the Pipeline's
        SequenceWindower when None.
    time_col : str, default=None
        The timestamp column of a long ``history``, which orders each series'
        rows and labels the forecasts: by ``future``'s timestamps when given,
        otherwise by continuing each series' regular spacing. Read from the
        Pipeline's SequenceWindower when None; without one, the forecasts are
        labelled by step number 1, 2, ...
    coverage : float or list of float, default=None
        Also forecast central prediction intervals of these coverages, from an
        estimator fitted with ``loss="quantile"``, by sample paths (as DeepAR
        does): each of ``n_paths`` paths per series draws every step's value
        from the predicted quantiles (linear between the fitted levels, and
        continued linearly beyond the outermost ones) and feeds it back. The
        forecast is then the paths' median and the bounds their quantiles, in
        a DataFrame with the columns ``"forecast"``, ``"lower_80"``,
        ``"upper_80"``, ...: the uncertainty of early steps carries into later
        ones, which a one-step model's own intervals do not show.
    n_paths : int, default=200
        Sample paths per series with ``coverage``; each step predicts all paths
        of all series in one call. The bounds of a 95% interval move by a few
        percent of its width between seeds at 200 paths.
    random_state : int, numpy Generator or None, default=None
        Seeds the sample paths.

    Returns
    -------
    forecast : ndarray of shape (steps,), Series or DataFrame
        A Series indexed by the future labels when ``history`` has a regularly
        spaced (e.g. monthly) index, otherwise an array; for a long ``history``,
        a DataFrame indexed by (series, future timestamp). With ``coverage``, a
        DataFrame with the interval columns, indexed by the future labels (the
        step numbers 1, 2, ... without them).

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
    model = _Model(estimator, window, id_col, time_col)
    parts = model.series(history, future)
    columns = parts[0].frame.columns
    column = target_position(target, columns, len(columns), "history")
    known = known_positions(known_future, columns, len(columns), [column])
    fixed = known_positions(static, columns, len(columns), [column], role="static")
    past_only = [
        c for j, c in enumerate(columns) if j != column and j not in known + fixed
    ]
    if past_only and steps > 1:
        raise ValueError(
            f"history's column(s) {past_only} are past-only covariates: their "
            "values after the history are unknown, so a recursive forecast stops "
            "after one step. Name those known in advance with known_future (and "
            "fit with the same known_future), those constant within a series "
            "with static, or forecast the horizon at once with direct_forecast."
        )
    levels = _interval_levels(coverage)
    if levels is not None:
        check_positive_int("n_paths", n_paths)
    raws = []
    for part in parts:
        exog = _future_known(part.future, part.frame, known, steps)
        raw = _extended(part.frame, known, exog, fixed)
        # Only the last window of the history is read, and the future rows.
        raw = raw.iloc[-(model.window + steps) :].reset_index(drop=True)
        raws.append(raw.astype({columns[column]: float}))
    if levels is None:
        forecasts = _feed_back(model, raws, steps, column, known)
        return model.output(history, parts, forecasts, columns[column])
    draw = _path_sampler(model, random_state)
    paths = [raw.copy() for raw in raws for _ in range(n_paths)]
    paths = _feed_back(model, paths, steps, column, known, draw)
    paths = paths.reshape(len(parts), n_paths, steps)
    forecasts = np.median(paths, axis=1)
    bounds = _interval_columns(
        coverage, np.moveaxis(np.quantile(paths, levels, axis=1), 0, -1)
    )
    return model.output(history, parts, forecasts, columns[column], bounds)


def _feed_back(model, raws, steps, column, known, draw=None):
    """Forecast each of ``raws`` (rows of a series, the last ``steps`` of them
    future) ``steps`` ahead, writing each step's value into its row for the
    next: the prediction, or a value drawn by ``draw`` from the quantiles at
    ``draw.levels``. Returns ``(len(raws), steps)``."""
    forecasts = np.empty((len(raws), steps))
    levels = None if draw is None else draw.levels
    for step in range(steps):
        inputs = []
        for raw in raws:
            rows = model.last_rows(len(raw) - steps + step)
            inputs.append(with_leads(raw, rows, next_rows(rows, 1), known))
        predictions = model.predict_last(inputs, levels)
        if predictions.shape[1] != 1:
            raise ValueError(
                f"The estimator predicts {predictions.shape[1]} values per window; "
                "recursive forecasting needs a model of the next value of one "
                "target. Use direct_forecast for a model of the whole horizon."
            )
        values = predictions[:, 0] if draw is None else draw(predictions[:, 0])
        forecasts[:, step] = values
        for raw, value in zip(raws, values, strict=True):
            raw.iloc[len(raw) - steps + step, column] = value
    return forecasts


def _path_sampler(model, random_state):
    """A function that draws one value per row from quantiles at its ``levels``
    (the estimator's fitted ones)."""
    levels = model.levels()
    if len(levels) < 2:
        raise ValueError(
            f"Sample paths need at least two quantile levels to draw between; the "
            f"estimator was fitted with quantiles={levels}."
        )
    rng = np.random.default_rng(random_state)

    def draw(quantiles):
        return sample_quantiles(quantiles, levels, rng.random(len(quantiles)))

    draw.levels = list(levels)
    return draw


class _Model:
    """A fitted forecaster with its window and long-table columns, checked once."""

    def __init__(self, estimator, window, id_col, time_col):
        estimator = getattr(estimator, "best_estimator_", estimator)  # searches
        if _is_classifier(estimator):
            raise TypeError(
                f"{type(estimator).__name__} is a classifier; forecasting needs a "
                "regressor fitted on windows and the values that follow them, such "
                "as RNNRegressor on make_windows(series, window)."
            )
        self.windower = _windower(estimator)
        if self.windower is not None:
            own = self.windower.window
            if window is not None and window != own:
                raise ValueError(
                    f"window={window}, but the Pipeline's SequenceWindower makes "
                    f"windows of {own} steps; leave window=None to use them."
                )
            window = own
            id_col = self.windower.id_col if id_col is None else id_col
            time_col = self.windower.time_col if time_col is None else time_col
        elif window is None:
            raise ValueError(
                "window is required: the number of time steps the estimator's "
                "windows have (or pass a Pipeline with a SequenceWindower)."
            )
        fitted = getattr(estimator, "_window", None)
        if fitted is not None and window != fitted:
            raise ValueError(
                f"window={window}, but the estimator was fitted on windows of "
                f"{fitted} time steps; pass window={fitted}, the window of its "
                "training data."
            )
        self.estimator, self.window = estimator, window
        self.id_col, self.time_col = id_col, time_col

    def last_rows(self, n_rows):
        """The positions of the window ending at row ``n_rows - 1`` (fewer at the
        start of a series)."""
        return np.arange(max(0, n_rows - self.window), n_rows)

    def predict_last(self, inputs, levels=None):
        """``(n_series, n_outputs)``: the prediction for each series' last window;
        with quantile ``levels``, ``(n_series, n_outputs, n_levels)``.

        ``inputs`` holds each series' window of rows, front-padded with NaN time
        steps (which skrnn's estimators read as padding) when shorter than
        ``window``. All series go through one ``predict`` call.
        """
        shape = (len(inputs), -1) if levels is None else (len(inputs), -1, len(levels))
        if self.windower is None:
            X = np.full((len(inputs), self.window, inputs[0].shape[1]), np.nan)
            for i, rows in enumerate(inputs):
                X[i, self.window - len(rows) :] = rows.to_numpy(dtype=float)
            return self._predict(X, levels).reshape(shape)
        id_col, time_col = self.windower.id_col, self.windower.time_col
        if id_col is None:  # a windower of one series: one call per series
            return np.stack(
                [self._predict(rows, levels)[-1].reshape(shape[1:]) for rows in inputs]
            )
        # A windower of a long table: the series side by side, in order.
        table = pd.concat(
            [
                rows.assign(
                    **{id_col: i},
                    **({time_col: np.arange(len(rows))} if time_col else {}),
                )
                for i, rows in enumerate(inputs)
            ],
            ignore_index=True,
        )
        last = np.cumsum([len(rows) for rows in inputs]) - 1
        return self._predict(table, levels)[last].reshape(shape)

    def levels(self):
        """The quantile levels the estimator was fitted with."""
        return self._quantile_model().quantiles_

    def _quantile_model(self):
        """The final estimator, which must predict quantiles."""
        final = final_step(self.estimator)
        if not hasattr(final, "predict_quantiles"):
            raise ValueError(
                f"coverage needs a model of quantiles, but {type(final).__name__} "
                "has no predict_quantiles: fit RNNRegressor(loss='quantile')."
            )
        return final

    def _predict(self, X, levels):
        """The estimator's predictions for ``X``, or its quantiles at ``levels``
        (through a Pipeline's transforms: a Pipeline has no predict_quantiles)."""
        if levels is None:
            return np.asarray(self.estimator.predict(X), dtype=float)
        final = self._quantile_model()
        if isinstance(self.estimator, Pipeline):
            X = self.estimator[:-1].transform(X)
        return np.asarray(final.predict_quantiles(X, quantiles=levels), dtype=float)

    def series(self, history, future):
        """The one series of ``history``, or each series of a long ``history``,
        with its future rows (when given) and timestamps."""
        if self.id_col is None and self.time_col is None:
            return [_Part(None, self._checked(_as_frame(history)), future, None)]
        table = check_long(history, self.id_col, self.time_col, "history")
        features = feature_columns(table, self.id_col, self.time_col)
        futures = self._future_by_series(future)
        parts = []
        for key, rows in series_positions(table, self.id_col, self.time_col):
            own_future = futures.get(key) if futures is not None else None
            if futures is not None and own_future is None:
                raise ValueError(f"future has no rows for series {key!r}.")
            frame = table.iloc[rows][features].reset_index(drop=True)
            times = None if self.time_col is None else table[self.time_col].iloc[rows]
            parts.append(_Part(key, self._checked(frame), own_future, times))
        return parts

    def output(self, history, parts, forecasts, name, bounds=None):
        """The forecasts of one series as an array or a Series on its future
        labels; of a long table as a DataFrame indexed by (series, future time).
        ``bounds`` (interval columns of ``(n_series, horizon)``) make a
        DataFrame of one series too."""
        bounds = bounds or {}
        if self.id_col is None and self.time_col is None:
            if not isinstance(history, pd.DataFrame):
                name = history.name if isinstance(history, pd.Series) else None
            if not bounds:
                return _as_output(forecasts[0], _pandas_index(history), name)
            n_steps = forecasts.shape[1]
            labels = _step_labels(_pandas_index(history), n_steps)
            if labels is None:
                labels = pd.RangeIndex(1, n_steps + 1, name="step")
            columns = {"forecast": forecasts[0]}
            columns.update({key: value[0] for key, value in bounds.items()})
            return pd.DataFrame(columns, index=labels)
        n_steps = forecasts.shape[1]
        keys = np.repeat([part.key for part in parts], n_steps)
        labels = []
        for part in parts:
            labels += _future_labels(part.times, part.future, self.time_col, n_steps)
        index = pd.MultiIndex.from_arrays(
            [keys, labels], names=[self.id_col, self.time_col or "step"]
        )
        columns = {"forecast": forecasts.ravel()}
        columns.update({key: value.ravel() for key, value in bounds.items()})
        return pd.DataFrame(columns, index=index)

    def _checked(self, frame):
        if len(frame) == 0:
            raise ValueError("history has no rows; the forecast starts from them.")
        return frame

    def _future_by_series(self, future):
        """The future rows of each series of a long ``future``, in time order."""
        if future is None:
            return None
        table = check_long(future, self.id_col, self.time_col, "future")
        return {
            key: table.iloc[rows]
            for key, rows in series_positions(table, self.id_col, self.time_col)
        }


class _Part:
    """One series to forecast: its id, feature rows, future rows and timestamps."""

    def __init__(self, key, frame, future, times):
        self.key, self.frame, self.future, self.times = key, frame, future, times


def _as_frame(history):
    if isinstance(history, pd.Series):
        return history.to_frame()
    if isinstance(history, pd.DataFrame):
        return history
    values = np.asarray(history, dtype=float)
    if values.size == 0:
        raise ValueError("history has no rows; the forecast starts from them.")
    return pd.DataFrame(values.reshape(len(values), -1))


def _future_known(future, frame, known, steps):
    """``future`` as a ``(steps, len(known))`` array of the known-future values."""
    if not known:
        if future is not None:
            raise ValueError(
                "future holds the coming values of known-future covariates; name "
                "those columns with known_future (and fit on rows or windows made "
                "with the same known_future)."
            )
        return np.empty((steps or 0, 0))
    names = [frame.columns[j] for j in known]
    if future is None:
        raise ValueError(
            f"The known-future column(s) {names} need their values for the "
            f"forecast steps: pass future, an array or DataFrame with one row per "
            f"step and {len(known)} column(s)."
        )
    if isinstance(future, pd.DataFrame) and set(names) <= set(future.columns):
        future = future[names]
    elif isinstance(future, pd.DataFrame) and not all(
        isinstance(c, Integral) for c in future.columns
    ):
        missing = sorted(set(map(str, names)) - set(map(str, future.columns)))
        raise ValueError(f"future lacks the known-future column(s) {missing}.")
    exog = np.asarray(future, dtype=float).reshape(len(future), -1)
    if exog.shape[1] != len(known) or (steps is not None and len(exog) != steps):
        rows = "one row per forecast step" if steps is None else f"{steps} rows"
        raise ValueError(
            f"future must have {rows} and {len(known)} column(s), the values of "
            f"{names}; got shape {exog.shape}."
        )
    return exog


def _extended(frame, known, exog, static=()):
    """``frame``'s rows followed by one row per future step: the known-future
    values, the static columns' last values, NaN elsewhere (the target is filled
    in by a recursive forecast as it goes)."""
    n_steps = len(exog)
    future = {}
    for j, column in enumerate(frame.columns):
        if j in known:
            future[column] = exog[:, known.index(j)]
        elif j in static:
            future[column] = np.repeat(frame[column].to_numpy()[-1:], n_steps)
        else:
            future[column] = np.full(n_steps, np.nan)
    return pd.concat(
        [frame.reset_index(drop=True), pd.DataFrame(future)], ignore_index=True
    )


def _future_labels(times, future, time_col, n_steps):
    """The timestamps of a series' forecasts: ``future``'s, else the continuation
    of the series' regular spacing, else the step numbers."""
    if time_col is None:
        return list(range(1, n_steps + 1))
    if future is not None and time_col in future.columns:
        return list(future[time_col].iloc[:n_steps])
    labels = _step_labels(time_index(times), n_steps)
    if labels is None:
        raise ValueError(
            f"The {time_col!r} values of a series are not regularly spaced, so the "
            "forecast steps have no timestamps; pass future with a "
            f"{time_col!r} column for them."
        )
    return list(labels)


def _is_classifier(estimator):
    """scikit-learn's is_classifier, False for objects without its tags (a plain
    object with a predict method forecasts too)."""
    try:
        return is_classifier(estimator)
    except (AttributeError, TypeError):
        return False


def _windower(estimator):
    """The SequenceWindower of a Pipeline that windows rows itself (after any
    row-wise steps, such as a ColumnTransformer); None for a model of windows."""
    if not isinstance(estimator, Pipeline):
        return None
    steps = [step for _, step, *_ in estimator.steps]
    return next((s for s in steps if isinstance(s, SequenceWindower)), None)


def _as_output(forecast, index, name):
    """A Series on the future labels when the history's index has a regular step."""
    labels = _step_labels(index, len(forecast))
    return forecast if labels is None else pd.Series(forecast, labels, name=name)


def _step_labels(index, n_steps):
    """The ``n_steps`` labels after ``index`` by its regular step; None without one."""
    first = None if index is None else _next_label(index)
    if first is None:
        return None
    freq = getattr(index, "freq", None)
    step = freq if freq is not None else first - index[-1]
    labels = [index[-1] + k * step for k in range(1, n_steps + 1)]
    if isinstance(index, pd.DatetimeIndex):
        return pd.DatetimeIndex(labels, freq=freq)
    return pd.Index(labels)
