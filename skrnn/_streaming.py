"""Streaming inference: feed new time steps, get the next prediction.

A fitted recurrent estimator streams by carrying its hidden state from one
call to the next, so a step costs the same whatever the history's length. A
Pipeline that windows a table (:class:`SequenceWindower`) streams by keeping
the last ``window - 1`` rows instead: its model reads a window, not a state.
Either way the state is a :class:`StreamState` the caller keeps, copies,
pickles and restores, one per customer or sensor.
"""

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ._params import check_positive_int
from ._windowing import SequenceWindower


@dataclass(frozen=True)
class StreamState:
    """Where a stream stands: what :func:`predict_stream` needs to go on.

    A plain, immutable record: :func:`predict_stream` returns a new one and
    leaves the one it was given as it was, so keeping an old state is a
    checkpoint. It pickles (``pickle.dumps(state)``) with the numpy arrays it
    holds, and a restored state goes on where it stopped.

    Attributes
    ----------
    n_sequences : int
        The number of sequences streamed side by side (1 for a windowed table).
    n_steps : int
        The number of time steps read so far (per sequence).
    hidden : tuple of ndarray or None
        A recurrent estimator's state after the steps read: for an RNN the
        final hidden state of every layer, ``(num_layers, n_sequences,
        hidden_size)``, and for an LSTM its cell state too; for an echo state
        network the reservoir state and the sum of its states after the
        washout. None before the first step.
    rows : ndarray, DataFrame or None
        A windowed Pipeline's last ``window - 1`` input rows; None otherwise.
    """

    n_sequences: int
    n_steps: int = 0
    hidden: tuple | None = None
    rows: Any = None


def start_stream(model, n_sequences=1, *, history=None):
    """Start a stream of ``n_sequences`` sequences through a fitted model.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        An :class:`RNNRegressor` or :class:`RNNClassifier` (unidirectional),
        an :class:`ESNRegressor` or :class:`ESNClassifier`, each without
        per-sequence scaling, a Pipeline ending in one, or a Pipeline with a
        :class:`SequenceWindower` over a table of one series.
    n_sequences : int, default=1
        The number of sequences fed side by side (each call feeds the same
        number of steps to each). A windowed table is one sequence.
    history : array-like or DataFrame, default=None
        For a windowed Pipeline: the rows before the stream (the training
        table, say); its last ``window - 1`` rows make the first windows
        whole. Without it, the first windows are front-padded. Recurrent
        estimators start from the zero state, as ``predict`` does: feed the
        history as the first steps.

    Returns
    -------
    state : StreamState
        The stream's start, for :func:`predict_stream`.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNRegressor, predict_stream, start_stream
    >>> X = np.random.default_rng(0).normal(size=(32, 20, 2))
    >>> reg = RNNRegressor(max_epochs=2, random_state=0).fit(X, X[:, -1, 0])
    >>> state = start_stream(reg, n_sequences=32)
    >>> for t in range(20):  # one step of every sequence at a time
    ...     y, state = predict_stream(reg, X[:, t : t + 1], state)
    >>> bool(np.allclose(y, reg.predict(X), atol=1e-5))
    True
    """
    windower = _windower(model)
    if windower is None:
        if history is not None:
            raise ValueError(
                "history= keeps the last rows of a windowed Pipeline; a recurrent "
                "model starts from the zero state, as predict does: feed the "
                "history with predict_stream as the stream's first steps."
            )
        return final_step(model).start_stream(n_sequences)
    check_positive_int("n_sequences", n_sequences)
    if n_sequences != 1:
        raise ValueError(
            "A windowed Pipeline streams the rows of one table (n_sequences=1); "
            "keep one state per series."
        )
    return StreamState(
        1, rows=None if history is None else _last_rows(history, windower)
    )


def predict_stream(model, X, state, *, method="predict"):
    """Feed new time steps to a stream; predict after them.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        The model the stream was started with (:func:`start_stream`).
    X : array-like
        The new steps. For a recurrent estimator: ``(n_sequences,
        n_new_steps, n_features)``, or ``(n_sequences, n_new_steps)`` for a
        univariate model; every step observed (no NaN). For a windowed
        Pipeline: new rows of the table, as ``predict`` takes them.
    state : StreamState
        Where the stream stands; not changed.
    method : {"predict", "predict_proba"}, default="predict"
        What to return, as the model's method of that name does.

    Returns
    -------
    y : ndarray
        What ``method`` gives on the whole history so far (to float32
        rounding): after the last new step, shaped as for ``n_sequences``
        sequences, or for each new step with ``return_sequences`` or a
        windowed Pipeline.
    state : StreamState
        The stream after the new steps.
    """
    if not isinstance(state, StreamState):
        raise TypeError(
            f"state must be a StreamState from start_stream, got "
            f"{type(state).__name__}."
        )
    windower = _windower(model)
    if windower is None:
        if isinstance(model, Pipeline) and len(model) > 1:
            X = model[:-1].transform(X)
        return final_step(model).predict_stream(X, state, method=method)
    if state.hidden is not None:
        raise ValueError("This state belongs to a recurrent model's stream.")
    check_method(model, method)
    n_new = len(X)
    rows = X if state.rows is None else _concat(state.rows, X)
    with warnings.catch_warnings():
        # Without enough history the first windows are padded, as start_stream
        # says; that is what the windower's warning about short input is for.
        warnings.filterwarnings("ignore", "SequenceWindower", UserWarning)
        y = getattr(model, method)(rows)[len(rows) - n_new :]
    return y, replace(
        state, rows=_last_rows(rows, windower), n_steps=state.n_steps + n_new
    )


def _windower(model):
    """The SequenceWindower of a Pipeline, or None."""
    if not isinstance(model, Pipeline):
        return None
    windowers = [step for _, step in model.steps if isinstance(step, SequenceWindower)]
    if not windowers:
        return None
    if windowers[0].id_col is not None or windowers[0].time_col is not None:
        raise ValueError(
            "Streaming a long table (id_col/time_col) is not supported: stream "
            "each series' rows with its own state."
        )
    return windowers[0]


def final_step(model):
    """The last step of a Pipeline, or the model itself."""
    return model[-1] if isinstance(model, Pipeline) else model


def check_method(model, method):
    """Raise unless ``method`` is "predict" or "predict_proba" and ``model``
    has it: what a stream (or a request to the service) may ask for."""
    methods = [m for m in ("predict", "predict_proba") if hasattr(model, m)]
    if method not in methods:
        raise ValueError(f"method must be one of {methods}, got {method!r}.")


def _last_rows(rows, windower):
    """The last ``window - 1`` rows: what the next row's window reads before it."""
    keep = windower.window - 1
    start = max(0, len(rows) - keep)
    return rows.iloc[start:] if hasattr(rows, "iloc") else np.asarray(rows)[start:]


def _concat(old, new):
    if isinstance(old, pd.DataFrame | pd.Series):
        return pd.concat([old, new])
    return np.concatenate([old, np.asarray(new)])
