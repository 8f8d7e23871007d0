"""Rows of many series in one long table, and covariates known in advance.

The bookkeeping shared by ``make_windows``, ``future_targets``, ``SequenceWindower``
and the forecast helpers: which rows belong to which series and in what order
(``series_positions``), which columns are features, and how a known-future
column is brought forward so that row ``t`` holds its values for ``t + 1 .. t +
horizon`` (``with_leads``), which is what is known at time ``t``.
"""

from collections.abc import Hashable
from numbers import Integral

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype


def check_long(table, id_col, time_col, what):
    """``table`` as a DataFrame holding ``id_col`` and ``time_col`` (each optional)."""
    named = [c for c in (id_col, time_col) if c is not None]
    if not named:
        return table
    unhashable = [c for c in named if not isinstance(c, Hashable)]
    if unhashable:
        raise TypeError(
            f"id_col and time_col each name one column, got {unhashable[0]!r}; "
            "give the column's name, e.g. id_col='store'."
        )
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"id_col/time_col name columns of a long DataFrame, but {what} is a "
            f"{type(table).__name__}; pass a DataFrame with a series-id column (and "
            "a timestamp column), one row per series and time step."
        )
    missing = [c for c in named if c not in table.columns]
    if missing:
        raise ValueError(
            f"{what} has no column(s) {missing}; its columns are {list(table.columns)}."
        )
    if id_col is not None and id_col == time_col:
        raise ValueError("id_col and time_col must name two different columns.")
    if table.empty:
        raise ValueError(f"{what} has no rows.")
    return table


def feature_columns(table, id_col, time_col):
    """The columns of a long table that are features: all but the id and time."""
    return [c for c in table.columns if c not in (id_col, time_col)]


def numeric_features(table, id_col, time_col):
    """The feature columns of a long table, checked to be numbers."""
    features = feature_columns(table, id_col, time_col)
    other = [c for c in features if not is_numeric_dtype(table[c])]
    if other:
        raise TypeError(
            f"The column(s) {other} of the long table are not numbers, and every "
            "column but id_col and time_col is a feature. Name a timestamp column "
            "with time_col; encode categories first (for instance a OneHotEncoder "
            "in a ColumnTransformer before the windower)."
        )
    return features


def series_positions(table, id_col, time_col):
    """``[(key, positions)]``: the row positions of each series, oldest first.

    Series come in the order of their first row; ``key`` is the series id (None
    without ``id_col``). Rows are put in ``time_col`` order when given, otherwise
    kept in table order.
    """
    n_rows = len(table)
    if id_col is None:
        groups = [(None, np.arange(n_rows))]
    else:
        codes, keys = pd.factorize(table[id_col], sort=False)
        if (codes < 0).any():
            raise ValueError(
                f"The series-id column {id_col!r} has missing values; every row must "
                "name its series."
            )
        order = np.argsort(codes, kind="stable")
        bounds = np.cumsum(np.bincount(codes, minlength=len(keys)))[:-1]
        groups = list(zip(keys, np.split(order, bounds), strict=True))
    if time_col is None:
        return groups
    times = table[time_col].to_numpy()
    sorted_groups = []
    for key, positions in groups:
        positions = positions[np.argsort(times[positions], kind="stable")]
        stamps = times[positions]
        if len(stamps) > 1 and (stamps[1:] == stamps[:-1]).any():
            where = "" if key is None else f" of series {key!r}"
            raise ValueError(
                f"Two rows{where} have the same {time_col!r}; each series needs one "
                "row per time step."
            )
        sorted_groups.append((key, positions))
    return sorted_groups


def time_index(stamps):
    """Timestamps as an index, with the frequency of regular dates (monthly dates
    are irregular in days, regular by their frequency)."""
    index = pd.Index(stamps)
    if isinstance(index, pd.DatetimeIndex) and len(index) >= 3:
        return pd.DatetimeIndex(index, freq=pd.infer_freq(index))
    return index


def target_position(target, columns, n_features, what):
    """The position of the one column to forecast; None names the only column of
    ``what`` (the data, in the error message)."""
    if target is None:
        if n_features > 1:
            raise ValueError(
                f"{what} has {n_features} columns; name the one to forecast with "
                "target=<position or column name>."
            )
        return 0
    return column_position(target, columns, n_features)


def column_position(target, columns, n_features, parameter="target"):
    """The position of a column given by position or by column name."""
    is_position = isinstance(target, Integral) and not isinstance(target, bool)
    if is_position and 0 <= target < n_features:
        return int(target)
    names = list(columns) if columns is not None else []
    if target in names:
        return names.index(target)
    raise ValueError(
        f"{parameter} {target!r} is not a column of the series; use a position in "
        f"[0, {n_features}) or one of the column names {names}."
    )


def known_positions(
    columns_named, columns, n_features, targets=(), role="known_future"
):
    """Positions of the columns of a covariate role, none of them a target."""
    if columns_named is None:
        return []
    names = (
        columns_named if isinstance(columns_named, list | tuple) else [columns_named]
    )
    positions = [column_position(c, columns, n_features, role) for c in names]
    if len(set(positions)) < len(positions):
        raise ValueError(f"{role} names a column twice: {list(names)}.")
    overlap = sorted(set(positions) & set(targets))
    if overlap:
        raise ValueError(
            f"The target cannot be a {role} column: its future is what the "
            f"model forecasts (column position(s) {overlap})."
        )
    return positions


def next_rows(rows, horizon):
    """``(len(rows), horizon)``: the positions of the ``horizon`` steps after each
    of ``rows`` (positions of one series, in time order)."""
    return rows[:, np.newaxis] + np.arange(1, horizon + 1)


def with_leads(frame, rows, future_rows, known):
    """Rows ``rows`` of ``frame``, each known-future column replaced by its values
    at ``future_rows``.

    ``future_rows`` is ``(len(rows), horizon)``: for each row, the positions of the
    time steps it forecasts. Column ``c`` becomes ``c+1 .. c+horizon`` in place,
    so row ``t`` carries what is known at ``t``: the past of every column and
    the coming values of the known-future ones. Without known-future columns the
    rows come back unchanged.
    """
    if not known:
        return frame.iloc[rows]
    columns = {}
    for j, name in enumerate(frame.columns):
        values = frame.iloc[:, j].to_numpy()
        if j not in known:
            columns[name] = values[rows]
            continue
        for k in range(future_rows.shape[1]):
            columns[f"{name}+{k + 1}"] = values[future_rows[:, k]]
    return pd.DataFrame(columns, index=frame.index[rows])
