"""SequenceWindower (row-preserving windows) and make_windows (supervised pairs)."""

from numbers import Integral

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from ._params import check_positive_int
from ._validation import FLOAT_DTYPES


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

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.

    Notes
    -----
    History across folds: when ``transform`` receives a pandas object whose index
    continues directly after the index seen in ``fit`` (the next step of its
    regular spacing, e.g. the next month of a ``DatetimeIndex``), its first windows
    draw on the last ``window - 1`` rows seen in ``fit`` instead of padding. This
    is what happens to the test fold of ``TimeSeriesSplit`` without a ``gap``: it
    uses only the past. Across a gap, for arrays, and for the training data itself
    (``fit_transform``), windows are padded, so ``fit_transform(X)`` equals
    ``fit(X).transform(X)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import SequenceWindower
    >>> X = np.arange(10.0).reshape(5, 2)  # 5 time steps, 2 features
    >>> SequenceWindower(window=3).fit_transform(X).shape
    (5, 3, 2)
    """

    def __init__(self, *, window=10):
        self.window = window

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
            Read-only strided view; row ``i`` holds rows ``i - window + 1 .. i``.
        """
        return _windows(self._fit(X), None, self.window)

    def transform(self, X):
        """Return the windows of ``X``, continuing the fitted data where it can.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Time-ordered rows, oldest first.

        Returns
        -------
        windows : ndarray of shape (n_rows, window, n_features)
            Read-only strided view; row ``i`` holds rows ``i - window + 1 .. i``.
        """
        check_is_fitted(self)
        _reject_1d(X)
        index = _pandas_index(X)
        values = validate_data(
            self, X, reset=False, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan"
        )
        history = self._tail if self._continues(index) else None
        return _windows(values, history, self.window)

    def _fit(self, X):
        check_positive_int("window", self.window)
        _reject_1d(X)
        index = _pandas_index(X)
        values = validate_data(
            self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan"
        )
        self._tail = values[len(values) - self.window + 1 :].copy()
        self._next_index = _next_label(index)
        return values

    def _continues(self, index):
        """Whether ``index`` starts right where the fitted data's index ended."""
        if index is None or self._next_index is None or len(index) == 0:
            return False
        try:
            return bool(index[0] == self._next_index)
        except TypeError:  # labels of another kind (say, dates after integers)
            return False

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
    if history is None or len(history) < window - 1:
        pad = np.full((window - 1, n_features), np.nan, dtype=values.dtype)
        if history is not None and len(history):
            pad[window - 1 - len(history) :] = history
        history = pad
    buffer = np.concatenate([history.astype(values.dtype, copy=False), values])
    return sliding_window_view(buffer, window, axis=0).transpose(0, 2, 1)[:n_rows]


def make_windows(series, window, *, horizon=1, stride=1, target=None):
    """Cut one or several series into supervised ``(X, y)`` windows.

    Window ``j`` of a series holds rows ``s .. s + window - 1`` with
    ``s = j * stride``; its target holds the ``horizon`` rows that follow. This
    changes the number of rows, so it is a function (like ``train_test_split``),
    not a transformer; inside a Pipeline use :class:`SequenceWindower`.

    Parameters
    ----------
    series : array-like, Series, DataFrame, or list of them
        A time-ordered series, oldest first: 1D (univariate) or 2D
        ``(n_rows, n_features)``. A list of series of different lengths (all with
        the same columns) gives the windows of each, concatenated, for one global
        model over many series.
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
    if not isinstance(series, list | tuple):
        return _series_windows(series, window, horizon, stride, target)
    if len(series) == 0:
        raise ValueError("series is an empty list; pass at least one series.")
    pairs = [_series_windows(s, window, horizon, stride, target) for s in series]
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


def _series_windows(series, window, horizon, stride, target):
    columns = getattr(series, "columns", None)
    values = np.asarray(series)
    if values.ndim == 1:
        values = values[:, np.newaxis]
    if values.ndim != 2:
        raise ValueError(
            f"Each series must be 1D or 2D (n_rows, n_features), got {values.ndim}D."
        )
    values = check_array(values, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
    targets = _target_columns(target, columns, values.shape[1], horizon)
    n_windows = (len(values) - window - horizon) // stride + 1
    if n_windows < 1:
        raise ValueError(
            f"A series of {len(values)} rows is too short for window={window} and "
            f"horizon={horizon}: it needs at least {window + horizon} rows."
        )
    X = sliding_window_view(values, window, axis=0).transpose(0, 2, 1)
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
    positions = [_column_position(t, columns, n_features) for t in targets]
    if len(positions) > 1 and horizon > 1:
        raise ValueError(
            "Several target columns need horizon=1; fit one model per target for "
            "multi-step forecasts."
        )
    return positions


def _target_position(target, columns, n_features, what):
    """The position of the one column to forecast; None names the only column of
    ``what`` (the data, in the error message)."""
    if target is None:
        if n_features > 1:
            raise ValueError(
                f"{what} has {n_features} columns; name the one to forecast with "
                "target=<position or column name>."
            )
        return 0
    return _column_position(target, columns, n_features)


def _column_position(target, columns, n_features):
    """The position of a target column given by position or by column name."""
    is_position = isinstance(target, Integral) and not isinstance(target, bool)
    if is_position and 0 <= target < n_features:
        return int(target)
    names = list(columns) if columns is not None else []
    if target in names:
        return names.index(target)
    raise ValueError(
        f"target {target!r} is not a column of the series; use a position in "
        f"[0, {n_features}) or one of the column names {names}."
    )


def future_targets(table, target=None, *, horizon=1):
    """Rows of a time-ordered table and the next ``horizon`` values of a column.

    The targets of row ``t`` are the target column's values at ``t + 1, ..., t +
    horizon``: what ``table[target].shift(-1)`` (to ``shift(-horizon)``) gives,
    without the NaN of the last rows, which have no future yet. Those rows are
    dropped from both, so the pair goes straight into a Pipeline that starts with
    a :class:`SequenceWindower` (whose windows of the kept rows still see every
    earlier row) and into ``GridSearchCV`` with ``TimeSeriesSplit``. To forecast
    from the latest rows, predict on the whole table.

    Parameters
    ----------
    table : DataFrame, Series or array-like of shape (n_rows,) or (n_rows, n_features)
        Time-ordered rows, oldest first.
    target : int, str or None, default=None
        The column to forecast, by position or name; None for a single column.
    horizon : int, default=1
        Number of future steps per row.

    Returns
    -------
    X : DataFrame or ndarray of shape (n_rows - horizon, n_features)
        The rows that have ``horizon`` future values, index kept.
    y : Series, DataFrame or ndarray of shape (n_rows - horizon[, horizon])
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
    """
    check_positive_int("horizon", horizon)
    frame = table.to_frame() if isinstance(table, pd.Series) else table
    pandas = isinstance(frame, pd.DataFrame)
    values = frame.to_numpy() if pandas else np.asarray(frame)
    if values.ndim not in (1, 2):
        raise ValueError(
            f"table must be 1D or 2D (n_rows, n_features), got {values.ndim}D."
        )
    columns = values.reshape(len(values), -1)
    n_rows, n_features = columns.shape
    position = _target_position(
        target, frame.columns if pandas else None, n_features, "table"
    )
    if n_rows <= horizon:
        raise ValueError(
            f"table has {n_rows} rows, too few for horizon={horizon}: no row has "
            f"{horizon} future values."
        )
    future = sliding_window_view(columns[1:, position], horizon)  # (n - h, h)
    kept = n_rows - horizon
    if not pandas:
        X = values[:kept]
        return X, future[:, 0].copy() if horizon == 1 else future.copy()
    name = frame.columns[position]
    X = frame.iloc[:kept]
    if horizon == 1:
        return X, pd.Series(future[:, 0], index=X.index, name=f"{name}+1")
    labels = [f"{name}+{k}" for k in range(1, horizon + 1)]
    return X, pd.DataFrame(future, index=X.index, columns=labels)
