"""SequenceWindower (row-preserving windows) and make_windows (supervised pairs)."""

import warnings
from functools import partial

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from ._params import check_positive_int
from ._series import (
    check_long,
    column_position,
    feature_columns,
    known_positions,
    next_rows,
    numeric_features,
    series_positions,
    target_position,
    time_index,
    with_leads,
)
from ._validation import check_numeric_columns

# Windows keep their values: float32 input stays float32, and any other (integers
# beyond 2**24 included) becomes float64, never float32 on the way.
EXACT_DTYPES = (np.float64, np.float32)


class SequenceWindower(TransformerMixin, BaseEstimator):
    """Turn time-ordered rows into windows of their recent history.

    Output row ``i`` is the sequence of input rows ``i - window + 1, ..., i``: the
    row itself and the ``window - 1`` rows before it, never a later row. Rows
    without enough history are front-padded with NaN time steps, which
    :class:`RNNRegressor` and :class:`RNNClassifier` read as padding. The number
    of rows never changes, so ``y`` stays aligned and ``window`` can be tuned by
    ``GridSearchCV`` like any other hyperparameter (``windower__window``).

    The output is a read-only, zero-copy strided view of ``(n_rows + window - 1)
    x n_features`` values, not a materialised ``n_rows x window x n_features``
    array, and the estimators gather its batches lazily.

    Parameters
    ----------
    window : int, default=10
        Number of time steps per output sequence (the current row included).
    id_col : str, default=None
        For a long DataFrame of many series (one row per series and time step),
        the column naming each row's series: windows never span two series, and
        each series' first rows are padded. Not a feature. Columns constant
        within a series (static covariates) become channels repeated at every
        time step, so "static features + recent history" is this windower
        followed by an estimator.
    time_col : str, default=None
        The timestamp column of a long DataFrame: each series' windows follow its
        order (rows may come in any order; output row ``i`` is still the window
        ending at input row ``i``). Not a feature.

    Attributes
    ----------
    n_features_in_ : int
        Number of feature columns of ``X`` seen in ``fit`` (without ``id_col``
        and ``time_col``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature column names, when ``X`` was a DataFrame with string column names.

    Notes
    -----
    History across folds: when ``transform`` receives a pandas object whose index
    continues directly after the index seen in ``fit`` (the next step of its
    regular spacing, e.g. the next month of a ``DatetimeIndex``), its first windows
    draw on the last ``window - 1`` rows seen in ``fit`` instead of padding. This
    is what happens to the test fold of ``TimeSeriesSplit`` without a ``gap``: it
    uses only the past. Across a gap, for arrays, and for the training data itself
    (``fit_transform``), windows are padded, so ``fit_transform(X)`` equals
    ``fit(X).transform(X)``. With ``id_col``, the same holds for each series
    whose ``time_col`` continues right after its fitted rows; without
    ``time_col``, every series is padded.

    With ``id_col`` or ``time_col`` the output is materialised (one copy of
    ``n_rows x window x n_features`` values), not a view.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import SequenceWindower
    >>> X = np.arange(10.0).reshape(5, 2)  # 5 time steps, 2 features
    >>> SequenceWindower(window=3).fit_transform(X).shape
    (5, 3, 2)
    """

    def __init__(self, *, window=10, id_col=None, time_col=None):
        self.window = window
        self.id_col = id_col
        self.time_col = time_col

    def fit(self, X, y=None):
        """Remember the number of features and the last ``window - 1`` rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Time-ordered rows, oldest first.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceWindower
            The fitted transformer.
        """
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return its windows, padded at the start.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Time-ordered rows, oldest first.
        y : None
            Ignored.

        Returns
        -------
        windows : ndarray of shape (n_rows, window, n_features)
            Read-only strided view (a copy for a long table); row ``i`` holds
            rows ``i - window + 1 .. i`` (of its own series).
        """
        values, groups = self._fit(X)
        if groups is None:
            return _windows(values, None, self.window)
        return _grouped_windows(values, groups, {}, self.window)

    def transform(self, X):
        """Return the windows of ``X``, continuing the fitted data where it can.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Time-ordered rows, oldest first.

        Returns
        -------
        windows : ndarray of shape (n_rows, window, n_features)
            Read-only strided view (a copy for a long table); row ``i`` holds
            rows ``i - window + 1 .. i`` (of its own series).
        """
        check_is_fitted(self)
        check_positive_int("window", self.window)  # set_params after fit
        if not self._is_long():
            _reject_1d(X)
            check_numeric_columns(X)
            index = _pandas_index(X)
            values = validate_data(
                self, X, reset=False, dtype=EXACT_DTYPES, ensure_all_finite="allow-nan"
            )
            history = self._tail if _starts_at(index, self._next_index) else None
            if history is None and len(values) < self.window:
                warnings.warn(
                    f"SequenceWindower(window={self.window}) got {len(values)} rows "
                    "that do not continue the rows seen in fit, so every window is "
                    "front-padded: a prediction from it reads less history than "
                    "the window. To predict row by row, keep the last rows with "
                    "skrnn.start_stream(pipeline, history=...) and "
                    "skrnn.predict_stream.",
                    UserWarning,
                    stacklevel=2,
                )
            return _windows(values, history, self.window)
        values, groups = self._long_values(X, reset=False)
        tails = {
            key: self._tails[key]
            for key, times in groups
            if _starts_at(times.labels, self._next_times.get(key))
        }
        return _grouped_windows(values, groups, tails, self.window)

    def _fit(self, X):
        """The feature values of ``X`` and, for a long table, its series; the last
        rows of each series are kept to continue it in ``transform``."""
        check_positive_int("window", self.window)
        if not self._is_long():
            _reject_1d(X)
            check_numeric_columns(X)
            index = _pandas_index(X)
            values = validate_data(
                self, X, dtype=EXACT_DTYPES, ensure_all_finite="allow-nan"
            )
            self._tail = values[max(0, len(values) - self.window + 1) :].copy()
            self._next_index = _next_label(index)
            return values, None
        values, groups = self._long_values(X, reset=True)
        self._tails, self._next_times = {}, {}
        for key, times in groups:
            rows = times.positions
            self._tails[key] = values[
                rows[max(0, len(rows) - self.window + 1) :]
            ].copy()
            self._next_times[key] = _next_label(times.labels)
        return values, groups

    def _is_long(self):
        return self.id_col is not None or self.time_col is not None

    def _long_values(self, X, reset):
        """Feature values of a long table and ``[(key, _SeriesRows)]`` of its series."""
        table = check_long(X, self.id_col, self.time_col, "X")
        features = numeric_features(table, self.id_col, self.time_col)
        values = validate_data(
            self,
            table[features],
            reset=reset,
            dtype=EXACT_DTYPES,
            ensure_all_finite="allow-nan",
        )
        stamps = None if self.time_col is None else table[self.time_col].to_numpy()
        groups = [
            (key, _SeriesRows(rows, None if stamps is None else stamps[rows]))
            for key, rows in series_positions(table, self.id_col, self.time_col)
        ]
        return values, groups

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _pandas_index(X):
    return X.index if isinstance(X, pd.Series | pd.DataFrame) else None


def _next_label(index):
    """The label that would follow ``index`` by its regular spacing, if it has one."""
    if index is None or len(index) < 2:
        return None
    if getattr(index, "freq", None) is not None:
        return index[-1] + index.freq
    try:
        steps = index[1:] - index[:-1]
        step = steps[0]
        if (steps != step).any() or not step > step * 0:
            return None
        return index[-1] + step
    except TypeError:  # labels without arithmetic (strings, say): no continuation
        return None


def _reject_1d(X):
    ndim = len(X.shape) if hasattr(X, "shape") else np.asarray(X).ndim
    if ndim == 1:
        raise ValueError(
            "Expected 2D time-ordered rows (n_rows, n_features), got 1D data instead. "
            "Reshape your data: use series.to_frame() for a pandas Series or "
            "array.reshape(-1, 1) for a single feature."
        )


def _windows(values, history, window):
    """Strided windows over ``values``, preceded by ``history`` or NaN padding."""
    n_rows, n_features = values.shape
    history = _history(history, window, n_features, values.dtype)
    buffer = np.concatenate([history, values])
    return sliding_window_view(buffer, window, axis=0).transpose(0, 2, 1)[:n_rows]


def _history(history, window, n_features, dtype):
    """The ``window - 1`` rows before a series: ``history``, NaN-padded in front."""
    if history is not None and len(history) >= window - 1:
        return history.astype(dtype, copy=False)
    try:
        pad = np.full((window - 1, n_features), np.nan, dtype=dtype)
    except (MemoryError, ValueError):
        raise ValueError(
            f"window={window} needs {window - 1:,} rows of padding before the "
            "data, more than memory holds; choose a window about as long as the "
            "history the model needs."
        ) from None
    if history is not None and len(history):
        pad[window - 1 - len(history) :] = history
    return pad


class _SeriesRows:
    """The row positions of one series of a long table, oldest first, and their
    timestamps (None without a time column)."""

    def __init__(self, positions, stamps):
        self.positions = positions
        self.labels = None if stamps is None else time_index(stamps)


def _starts_at(index, label):
    """Whether ``index`` starts at ``label``: the step after the fitted rows."""
    if index is None or label is None or len(index) == 0:
        return False
    try:
        return bool(index[0] == label)
    except TypeError:  # labels of another kind (say, dates after integers)
        return False


def _grouped_windows(values, groups, tails, window):
    """The windows of each series of a long table, in the table's row order.

    Each series' rows, preceded by its continued ``tails[key]`` or NaN padding,
    go into one buffer; output row ``i`` is the window ending at input row ``i``.
    """
    n_features = values.shape[1]
    pieces, starts, offset = [], np.empty(len(values), dtype=np.intp), 0
    for key, times in groups:
        rows = times.positions
        pieces += [_history(tails.get(key), window, n_features, values.dtype)]
        pieces.append(values[rows])
        starts[rows] = offset + np.arange(len(rows))
        offset += window - 1 + len(rows)
    buffer = np.concatenate(pieces)
    return sliding_window_view(buffer, window, axis=0).transpose(0, 2, 1)[starts]


def make_windows(
    series,
    window,
    *,
    horizon=1,
    stride=1,
    target=None,
    known_future=None,
    id_col=None,
    time_col=None,
):
    """Cut one or several series into supervised ``(X, y)`` windows.

    Window ``j`` of a series holds rows ``s .. s + window - 1`` with
    ``s = j * stride``; its target holds the ``horizon`` rows that follow. This
    changes the number of rows, so it is a function (like ``train_test_split``),
    not a transformer; inside a Pipeline use :class:`SequenceWindower`. No window
    spans two series.

    Parameters
    ----------
    series : array-like, Series, DataFrame, or list of them
        A time-ordered series, oldest first: 1D (univariate) or 2D
        ``(n_rows, n_features)``. A list of series of different lengths (all with
        the same columns) gives the windows of each, concatenated, for one global
        model over many series. So does a long DataFrame with ``id_col``.
    window : int
        Time steps per input sequence.
    horizon : int, default=1
        Number of future steps in each target.
    stride : int, default=1
        Distance between the starts of consecutive windows.
    target : int, str, list or None, default=None
        Column(s) to forecast, by position or DataFrame column name. None means
        the only column of a univariate series, or every column when
        ``horizon=1``. Several target columns need ``horizon=1``.
    known_future : int, str, list or None, default=None
        Covariates known in advance (calendar, promotions, planned prices). Each
        becomes ``horizon`` columns in place, so that a window's time step ``t``
        holds their values at ``t + 1 .. t + horizon``: the last step of a
        window sees them for exactly the steps its target covers. Every other
        column is past-only: observed up to ``t``. Columns constant within a
        series (static covariates: store size, category code) need no role;
        each window repeats them at every step.
    id_col : str, default=None
        With a long DataFrame (one row per series and time step, as
        statsforecast, neuralforecast and darts keep many series), the column
        naming each row's series. It is not a feature.
    time_col : str, default=None
        The timestamp column of a long DataFrame: rows of a series are put in its
        order. Not a feature. Without it, rows are taken in table order.

    Returns
    -------
    X : ndarray of shape (n_windows, window, n_features)
        The windows; for a single series a read-only strided view, not a copy.
    y : ndarray of shape (n_windows,), (n_windows, horizon) or (n_windows, n_targets)
        1D for one target column and ``horizon=1``.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import make_windows
    >>> X, y = make_windows(np.arange(10.0), window=4, horizon=2)
    >>> X.shape, y.shape
    ((5, 4, 1), (5, 2))
    >>> X[0, :, 0], y[0]
    (array([0., 1., 2., 3.]), array([4., 5.]))
    """
    for name, value in (("window", window), ("horizon", horizon), ("stride", stride)):
        check_positive_int(name, value)
    cut = partial(
        _series_windows,
        window=window,
        horizon=horizon,
        stride=stride,
        target=target,
        known_future=known_future,
    )
    if id_col is not None or time_col is not None:
        table = check_long(series, id_col, time_col, "series")
        features = numeric_features(table, id_col, time_col)
        groups = series_positions(table, id_col, time_col)
        series = [table.iloc[rows][features] for _, rows in groups]
    elif not isinstance(series, list | tuple) or all(np.ndim(s) == 0 for s in series):
        return cut(series)  # one series (a list of numbers is one, too)
    if len(series) == 0:
        raise ValueError("series is empty; pass at least one series.")
    pairs = [cut(s) for s in series]
    n_features = {X.shape[2] for X, _ in pairs}
    if len(n_features) > 1:
        raise ValueError(
            "All series must have the same number of columns, got "
            f"{sorted(n_features)}."
        )
    return (
        np.concatenate([X for X, _ in pairs]),
        np.concatenate([y for _, y in pairs]),
    )


def _series_windows(series, window, horizon, stride, target, known_future):
    columns = getattr(series, "columns", None)
    values = np.asarray(series)
    if values.ndim == 1:
        values = values[:, np.newaxis]
    if values.ndim != 2:
        raise ValueError(
            f"Each series must be 1D or 2D (n_rows, n_features), got {values.ndim}D."
        )
    values = check_array(values, dtype=EXACT_DTYPES, ensure_all_finite="allow-nan")
    targets = _target_columns(target, columns, values.shape[1], horizon)
    known = known_positions(known_future, columns, values.shape[1], targets)
    n_windows = (len(values) - window - horizon) // stride + 1
    if n_windows < 1:
        raise ValueError(
            f"A series of {len(values)} rows is too short for window={window} and "
            f"horizon={horizon}: it needs at least {window + horizon} rows. (A "
            "list is read as a list of series; pass one series given as a list of "
            "rows as np.asarray(rows).)"
        )
    inputs = values
    if known:
        rows = np.arange(len(values) - horizon)
        inputs = with_leads(
            pd.DataFrame(values), rows, next_rows(rows, horizon), known
        ).to_numpy(dtype=values.dtype)
    X = sliding_window_view(inputs, window, axis=0).transpose(0, 2, 1)
    X = X[: (n_windows - 1) * stride + 1 : stride]
    future = values[window:, targets]
    y = sliding_window_view(future, horizon, axis=0)[
        : (n_windows - 1) * stride + 1 : stride
    ]
    # y is (n_windows, n_targets, horizon): one of the two is 1 by construction.
    y = y.reshape(n_windows, -1)
    return X, y.ravel() if y.shape[1] == 1 else y


def _target_columns(target, columns, n_features, horizon):
    if target is None:
        if n_features > 1 and horizon > 1:
            raise ValueError(
                f"The series has {n_features} columns; with horizon={horizon}, choose "
                "the column to forecast with target=<position or name>."
            )
        return list(range(n_features))
    targets = target if isinstance(target, list | tuple) else [target]
    if not targets:
        raise ValueError(
            "target is empty; name the column(s) to forecast, or None for all."
        )
    positions = [column_position(t, columns, n_features) for t in targets]
    if len(positions) > 1 and horizon > 1:
        raise ValueError(
            "Several target columns need horizon=1; fit one model per target for "
            "multi-step forecasts."
        )
    return positions


def future_targets(
    table, target=None, *, horizon=1, known_future=None, id_col=None, time_col=None
):
    """Rows of a time-ordered table and the next ``horizon`` values of a column.

    The targets of row ``t`` are the target column's values at ``t + 1, ..., t +
    horizon``: what ``table[target].shift(-1)`` (to ``shift(-horizon)``) gives,
    without the NaN of the last rows, which have no future yet. Those rows are
    dropped from both, so the pair goes straight into a Pipeline that starts with
    a :class:`SequenceWindower` (whose windows of the kept rows still see every
    earlier row) and into ``GridSearchCV`` with ``TimeSeriesSplit``. To forecast
    from the latest rows, use :func:`recursive_forecast` or
    :func:`direct_forecast` with the same ``known_future``.

    Parameters
    ----------
    table : DataFrame, Series or array-like of shape (n_rows,) or (n_rows, n_features)
        Time-ordered rows, oldest first; with ``id_col``, a long DataFrame of
        many series.
    target : int, str or None, default=None
        The column to forecast, by position or name; None for a single column.
    horizon : int, default=1
        Number of future steps per row.
    known_future : int, str, list or None, default=None
        Covariates known in advance (calendar, promotions). Row ``t`` of ``X``
        holds their values for the steps it forecasts, in columns
        ``"<name>+1"`` to ``"<name>+<horizon>"`` in place of ``<name>``, so a
        window ending at ``t`` sees tomorrow's promotion. Other columns are
        past-only, observed up to ``t``.
    id_col : str, default=None
        The series-id column of a long DataFrame: targets never cross from one
        series into the next, and each series loses its own last rows. Kept in
        ``X`` for a :class:`SequenceWindower` with the same ``id_col``.
    time_col : str, default=None
        The timestamp column of a long DataFrame, which orders each series' rows.
        Kept in ``X``.

    Returns
    -------
    X : DataFrame or ndarray of shape (n_kept, n_columns)
        The rows that have ``horizon`` future values, in table order, index kept.
    y : Series, DataFrame or ndarray of shape (n_kept,) or (n_kept, horizon)
        The next value (``horizon=1``: 1D) or values of the target, aligned
        with ``X``; for pandas input a Series named ``"<target>+1"`` or a
        DataFrame with columns ``"<target>+1"`` to ``"<target>+<horizon>"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn import future_targets
    >>> table = pd.DataFrame({"sales": [1.0, 2.0, 3.0, 4.0], "promo": [0, 1, 0, 1]})
    >>> X, y = future_targets(table, "sales", horizon=2)
    >>> X.index.tolist(), y.columns.tolist(), y.to_numpy().tolist()
    ([0, 1], ['sales+1', 'sales+2'], [[2.0, 3.0], [3.0, 4.0]])
    >>> X, y = future_targets(table, "sales", known_future="promo")
    >>> X.columns.tolist(), X["promo+1"].tolist()
    (['sales', 'promo+1'], [1, 0, 1])
    """
    check_positive_int("horizon", horizon)
    check_long(table, id_col, time_col, "table")
    frame = table.to_frame() if isinstance(table, pd.Series) else table
    pandas = isinstance(frame, pd.DataFrame)
    if not pandas:
        values = np.asarray(frame)
        if values.ndim not in (1, 2):
            raise ValueError(
                f"table must be 1D or 2D (n_rows, n_features), got {values.ndim}D."
            )
        frame = pd.DataFrame(values.reshape(len(values), -1))
    features = feature_columns(frame, id_col, time_col)
    if not features:
        raise ValueError("table has no feature columns; it needs at least one.")
    position = target_position(target, features, len(features), "table")
    known = known_positions(known_future, features, len(features), [position])
    rows, future_rows = [], []
    for _, positions in series_positions(frame, id_col, time_col):
        kept = len(positions) - horizon
        if kept > 0:
            rows.append(positions[:kept])
            future_rows.append(sliding_window_view(positions[1:], horizon))
    if not rows:
        raise ValueError(
            f"table has no series longer than horizon={horizon} rows: no row has "
            f"{horizon} future values."
        )
    rows, future_rows = np.concatenate(rows), np.concatenate(future_rows)
    order = np.argsort(rows, kind="stable")  # back to table order
    rows, future_rows = rows[order], future_rows[order]
    y = frame[features[position]].to_numpy()[future_rows]
    led = with_leads(frame[features], rows, future_rows, known)
    for column in (id_col, time_col):
        if column is not None:
            led.insert(
                list(frame.columns).index(column), column, frame[column].iloc[rows]
            )
    if not pandas:
        X = led.to_numpy()
        X = X.ravel() if np.asarray(table).ndim == 1 else X
        return X, y[:, 0] if horizon == 1 else y
    name = features[position]
    if horizon == 1:
        return led, pd.Series(y[:, 0], index=led.index, name=f"{name}+1")
    labels = [f"{name}+{k}" for k in range(1, horizon + 1)]
    return led, pd.DataFrame(y, index=led.index, columns=labels)
