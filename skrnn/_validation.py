"""Input conversion (2D, 3D, lists of sequences, NaN padding), targets, devices."""

import contextlib
from numbers import Real
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

FLOAT_DTYPES = (np.float32, np.float64)

# Number of array elements inspected at a time when scanning for padding or
# computing moments, so that a large (possibly strided, zero-copy) input is
# never copied whole.
CHUNK_ELEMENTS = 1 << 20


class Sequences(NamedTuple):
    """Validated sequences: the values and, where padding exists, its bounds.

    ``values`` has shape ``(n_samples, n_timesteps, n_features)`` and dtype float32
    or float64; it is a view of the caller's array whenever possible. Sample ``i``
    holds real data in ``values[i, starts[i]:starts[i] + lengths[i]]`` and NaN
    padding elsewhere. ``starts`` and ``lengths`` are None when no sample is
    padded, which lets the model take its dense fast path. ``from_2d`` says
    whether they came from a 2D array (univariate sequences, scikit-learn's rules).
    """

    values: np.ndarray
    starts: np.ndarray | None
    lengths: np.ndarray | None
    from_2d: bool = False


class InputLayout(NamedTuple):
    """What a fitted estimator was fitted on: 2D input or not, features per step."""

    from_2d: bool
    n_step_features: int


def validate_sequences(estimator, X, *, fitted=None):
    """Convert ``X`` to :class:`Sequences`, checking it against what was fitted.

    2D input ``(n_samples, n_timesteps)`` is a batch of univariate sequences and
    follows scikit-learn's rules (dense, no NaN, ``n_features_in_`` columns),
    through :func:`sklearn.utils.validation.validate_data`, which sets or checks
    ``estimator``'s ``n_features_in_`` and ``feature_names_in_``. 3D input
    ``(n_samples, n_timesteps, n_features)`` and lists of ``(T_i, n_features)`` or
    ``(T_i,)`` arrays may carry NaN padding at either end of a sequence.

    ``fitted`` is None when fitting, else the :class:`InputLayout` of the fit,
    which ``X`` must match.
    """
    if torch.is_tensor(X):  # a tensor that requires grad refuses np.asarray
        X = X.detach().cpu().numpy()
    if type(X) is np.ndarray and X.ndim == 3 and X.dtype in FLOAT_DTYPES and len(X):
        # What check_array would return, without its checks that a float
        # ndarray passes anyway, which cost a large share of predicting one
        # sequence.
        values = X
    elif isinstance(X, (list, tuple)) and _is_ragged(X):
        values = _pad_ragged(X, estimator)
    else:
        if not hasattr(X, "shape"):
            X = np.asarray(X)
        ndim = len(X.shape)
        if ndim == 2:
            return _validate_2d(estimator, X, fitted)
        if ndim != 3:
            raise ValueError(
                f"Expected a 2D array (n_samples, n_timesteps), a 3D array "
                f"(n_samples, n_timesteps, n_features) or a list of sequences, got "
                f"a {ndim}D array instead. Reshape your data: array.reshape(1, -1) "
                "makes one univariate sequence of a 1D array."
            )
        values = check_array(
            X,
            dtype=FLOAT_DTYPES,
            allow_nd=True,
            ensure_all_finite=False,
            estimator=estimator,
            input_name="X",
        )
    _, n_timesteps, n_features = values.shape
    if n_timesteps == 0 or n_features == 0:
        raise ValueError(
            f"X has shape {values.shape}: every sequence needs at least one time "
            "step and one feature."
        )
    if fitted is not None:
        _check_step_features(fitted, n_features)
    starts, lengths = _padding_bounds(values)
    return Sequences(values, starts, lengths)


def _is_ragged(X):
    """Whether a list/tuple holds sequences of different shapes.

    A list of equal-shape sequences is the array it stacks to (2D or 3D), as in
    scikit-learn, where a list of equal-length lists is a 2D array.
    """
    try:
        return len({np.shape(x) for x in X}) > 1
    except ValueError:  # a sequence that is itself ragged: let check_array explain
        return True


def _pad_ragged(X, estimator):
    """Stack sequences of different lengths into one array, NaN-padded at the end."""
    seqs = []
    for i, x in enumerate(X):
        # A float array needs no conversion (check_array's costs most of the time
        # of 100,000 short sequences); NaN and inf are checked once padded.
        if not (type(x) is np.ndarray and x.dtype in FLOAT_DTYPES):
            x = check_array(
                x if hasattr(x, "shape") else np.asarray(x),
                dtype=FLOAT_DTYPES,
                ensure_2d=False,
                ensure_all_finite=False,
                estimator=estimator,
                input_name=f"X[{i}]",
            )
        if x.ndim == 1:
            x = x[:, np.newaxis]
        if x.ndim != 2:
            raise ValueError(
                f"X[{i}] has {x.ndim} dimensions; each sequence in a list must be "
                "(n_timesteps, n_features) or (n_timesteps,)."
            )
        if len(x) == 0:
            raise ValueError(
                f"X[{i}] is an empty sequence; it needs at least one step."
            )
        seqs.append(x)
    n_features = {x.shape[1] for x in seqs}
    if len(n_features) > 1:
        raise ValueError(
            "All sequences in X must have the same number of features per time "
            f"step, got {sorted(n_features)[:10]}. Each sequence is (n_timesteps, "
            "n_features); if yours are (n_channels, n_timesteps), as in aeon and "
            "sktime, convert them with skrnn.from_sktime(X)."
        )
    return _end_pad(seqs, np.nan, np.result_type(*seqs))


def _end_pad(arrays, fill, dtype):
    """Stack arrays of different lengths (same trailing shape), padded at the end."""
    padded = np.full(
        (len(arrays), max(len(a) for a in arrays), *arrays[0].shape[1:]),
        fill,
        dtype=dtype,
    )
    for i, a in enumerate(arrays):
        padded[i, : len(a)] = a
    return padded


def _validate_2d(estimator, X, fitted):
    """2D input: univariate sequences with scikit-learn's rules for 2D arrays."""
    check_numeric_columns(X)
    if fitted is None or fitted.from_2d:
        try:
            values = validate_data(
                estimator,
                X,
                reset=fitted is None,
                dtype=FLOAT_DTYPES,
                ensure_min_samples=1,
            )
        except ValueError as error:
            if "NaN" not in str(error):
                raise
            raise ValueError(
                "2D input (n_samples, n_timesteps) is dense univariate sequences and "
                "holds no NaN. For sequences of different lengths, pass them as a "
                "list of 1D arrays, or NaN-padded in 3D: X[:, :, np.newaxis]. "
                "Otherwise impute the missing values first."
            ) from None
    else:
        # Fitted on 3D or list input: a 2D batch is univariate sequences of any
        # length, which only a model of one feature per time step can read.
        _check_step_features(fitted, 1, from_2d=True)
        values = check_array(X, dtype=FLOAT_DTYPES, estimator=estimator)
    check_float32_range(values)
    return Sequences(values[:, :, np.newaxis], None, None, from_2d=True)


def _check_step_features(fitted, n_features, *, from_2d=False):
    expected = fitted.n_step_features
    if n_features != expected:
        if from_2d:
            raise ValueError(
                "X is 2D, i.e. univariate sequences, but the estimator was fitted on "
                f"sequences with {expected} features per time step; pass a 3D array "
                f"(n_samples, n_timesteps, {expected})."
            )
        raise ValueError(
            f"X has {n_features} features per time step, but the estimator was "
            f"fitted with {expected} features per time step."
        )


# The largest float32: skrnn computes in float32, where larger values are inf.
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_numeric_target(y, estimator, **params):
    """``check_array`` of a regressor's ``y`` as float64; labels are a clear error."""
    try:
        return check_array(
            y,
            ensure_2d=False,
            dtype=np.float64,
            input_name="y",
            estimator=estimator,
            **params,
        )
    except ValueError as error:
        if "could not convert" not in str(error):
            raise
        raise ValueError(
            f"{type(estimator).__name__} needs numeric targets, but y holds labels "
            f"({error}); use a classifier for classes."
        ) from None


def check_float32_range(values, offset=0):
    """Raise unless the finite values of float64 ``values`` fit in float32."""
    if values.dtype != np.float64:
        return
    with np.errstate(invalid="ignore"):
        beyond = np.isfinite(values) & (np.abs(values) > _FLOAT32_MAX)
    if beyond.any():
        i = offset + np.argwhere(beyond)[0, 0]
        raise ValueError(
            f"X has values beyond float32's range (+-3.4e38), first in sample "
            f"{i}; skrnn computes in float32, where they would be infinite. "
            "Rescale X (e.g. divide by a power of 10) or take a log."
        )


def check_numeric_columns(X, name="X"):
    """Raise a ValueError naming the non-numeric columns of a DataFrame."""
    if not hasattr(X, "dtypes") or not hasattr(X, "columns"):
        return
    if len(X) and any(isinstance(cell, pd.Series) for cell in X.iloc[0]):
        raise ValueError(
            f"{name} is a nested DataFrame (a series in each cell), sktime's "
            "'nested_univ' format; convert it with skrnn.from_sktime(X)."
        )
    wrong = [
        column
        for column, dtype in X.dtypes.items()
        if not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        )
    ]
    if wrong:
        raise ValueError(
            f"{name} has non-numeric columns {wrong[:5]}: encode them first, e.g. "
            "with OrdinalEncoder (then categorical= embeds the codes) or "
            "OneHotEncoder in a ColumnTransformer, or drop them."
        )


def from_sktime(X):
    """Sequences in aeon's and sktime's layouts, in skrnn's.

    aeon and sktime keep multivariate series channels first: a 3D array
    ``(n_samples, n_channels, n_timesteps)`` ("numpy3D"), a list of
    ``(n_channels, n_timesteps_i)`` arrays for unequal lengths, or a nested
    DataFrame ("nested_univ": one column per channel, a series in each cell).
    skrnn reads time steps first, ``(n_samples, n_timesteps, n_features)``:
    passed as they are, channels-first arrays would be read as
    ``n_timesteps`` features of ``n_channels`` steps, without an error. This
    converts them.

    Parameters
    ----------
    X : ndarray, list of 2D arrays, or nested DataFrame
        Series in aeon's or sktime's layout: ``(n_samples, n_channels,
        n_timesteps)``, ``(n_channels, n_timesteps_i)`` each, or "nested_univ".

    Returns
    -------
    sequences : ndarray of shape (n_samples, n_timesteps, n_channels) or list
        A transposed view of a 3D array; a list of ``(n_timesteps_i,
        n_channels)`` arrays otherwise (sequences of different lengths are
        padded inside the estimators).

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import from_sktime
    >>> from_sktime(np.zeros((40, 6, 100))).shape  # 6 channels, 100 steps
    (40, 100, 6)
    """
    if isinstance(X, pd.DataFrame):
        return [
            np.stack([np.asarray(cell, dtype=float) for cell in row], axis=1)
            for row in X.itertuples(index=False)
        ]
    if isinstance(X, (list, tuple)):
        arrays = [np.asarray(x) for x in X]
        if any(x.ndim != 2 for x in arrays):
            raise ValueError(
                "from_sktime takes a list of 2D (n_channels, n_timesteps) arrays."
            )
        return [x.T for x in arrays]
    X = np.asarray(X)
    if X.ndim != 3:
        raise ValueError(
            "from_sktime takes a 3D array (n_samples, n_channels, n_timesteps), a "
            f"list of 2D arrays or a nested DataFrame, got a {X.ndim}D array."
        )
    return X.transpose(0, 2, 1)


def _padding_bounds(values):
    """Find the padding of each sequence, rejecting NaN and inf elsewhere.

    Returns ``(starts, lengths)``, or ``(None, None)`` when nothing is padded.
    """
    n_samples, n_timesteps, _ = values.shape
    starts = np.zeros(n_samples, dtype=np.int64)
    lengths = np.full(n_samples, n_timesteps, dtype=np.int64)
    chunk = max(1, CHUNK_ELEMENTS // values[0].size)
    for lo in range(0, n_samples, chunk):
        block = values[lo : lo + chunk]
        check_float32_range(block, lo)
        finite = np.isfinite(block)
        if finite.all():
            continue
        nan = np.isnan(block)
        if not (finite | nan).all():
            i = lo + np.argwhere(~(finite | nan))[0, 0]
            raise ValueError(
                f"X contains infinity (first in sample {i}). Only NaN is accepted, "
                "and only as padding at the start or end of a sequence."
            )
        pad_step = nan.all(axis=2)
        partial = nan.any(axis=2) & ~pad_step
        if partial.any():
            i, t = np.argwhere(partial)[0]
            raise ValueError(
                f"Sample {lo + i} has a partly-NaN time step ({t}): a time step is "
                "either all features or all NaN (padding). Impute the missing "
                "features first, e.g. with sklearn.impute."
            )
        valid = ~pad_step
        empty = ~valid.any(axis=1)
        if empty.any():
            i = lo + np.flatnonzero(empty)[0]
            raise ValueError(
                f"Sample {i} is all padding: every time step is NaN. Each sequence "
                "needs at least one observed time step."
            )
        first = valid.argmax(axis=1)
        end = n_timesteps - valid[:, ::-1].argmax(axis=1)
        gaps = valid.sum(axis=1) != end - first
        if gaps.any():
            i = np.flatnonzero(gaps)[0]
            t = first[i] + np.flatnonzero(~valid[i, first[i] : end[i]])[0]
            raise ValueError(
                f"Sample {lo + i} has NaN inside the sequence (time step {t}). NaN "
                "time steps are only allowed as padding at the start or end of a "
                "sequence; fill the gaps inside a sequence first."
            )
        starts[lo : lo + chunk] = first
        lengths[lo : lo + chunk] = end - first
    if (lengths == n_timesteps).all():
        return None, None
    return starts, lengths


def check_targets_length(sequences, y):
    if len(sequences.values) != len(y):
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {len(sequences.values)} "
            f"sequences but {len(y)} targets."
        )


def per_step_targets(y, sequences, *, numeric):
    """Targets with one value (or row of outputs) per time step of ``sequences``.

    ``y`` is an array ``(n_samples, n_timesteps[, n_outputs])`` or a list of
    per-sequence targets of varying length, end-padded here as a list ``X`` is.
    Returns ``(y, observed)``: ``observed`` is the boolean ``(n_samples,
    n_timesteps)`` mask of the steps that are not padding in ``X``, or None when
    nothing is padded. Numeric targets must be finite at the observed steps.
    """
    n_samples, n_timesteps = sequences.values.shape[:2]
    if isinstance(y, (list, tuple)) and _is_ragged(y):
        y = _pad_ragged_targets(y, numeric)
    elif numeric:
        y = check_array(
            y,
            ensure_2d=False,
            allow_nd=True,
            dtype=np.float64,
            ensure_all_finite=False,
            input_name="y",
        )
    else:
        y = np.asarray(y)
    if y.ndim not in ((2, 3) if numeric else (2,)) or y.shape[:2] != (
        n_samples,
        n_timesteps,
    ):
        outputs = "[, n_outputs]" if numeric else ""
        raise ValueError(
            "With return_sequences=True, y needs a target for every time step of X: "
            f"an array of shape ({n_samples}, {n_timesteps}{outputs}) or a list of "
            f"per-sequence targets as long as the sequences; got shape {y.shape}."
        )
    observed = observed_steps(sequences)
    if numeric:
        missing = ~np.isfinite(y.reshape(n_samples, n_timesteps, -1)).all(axis=2)
        if observed is not None:
            missing &= observed
        if missing.any():
            i, t = np.argwhere(missing)[0]
            raise ValueError(
                f"y is missing or infinite at time step {t} of sample {i}, which is "
                "observed in X; only the padding steps of X may lack a target."
            )
    return y, observed


def observed_steps(sequences):
    """Boolean ``(n_samples, n_timesteps)`` mask of the steps that are not padding.

    None when no sequence is padded.
    """
    if sequences.lengths is None:
        return None
    steps = np.arange(sequences.values.shape[1])
    starts = sequences.starts[:, None]
    return (steps >= starts) & (steps < starts + sequences.lengths[:, None])


def _pad_ragged_targets(y, numeric):
    targets = [np.asarray(t, dtype=np.float64 if numeric else None) for t in y]
    tails = {t.shape[1:] for t in targets}
    if len(tails) > 1:
        raise ValueError(
            f"The per-sequence targets in y have different numbers of outputs: "
            f"{sorted(tails)}."
        )
    if numeric:
        return _end_pad(targets, np.nan, np.float64)
    return _end_pad(targets, None, object)


def check_y_given(estimator, y):
    """A supervised fit's ``y`` is not None (scikit-learn's wording)."""
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y "
            "is None."
        )


def check_sample_weight(sample_weight, n_samples):
    """``sample_weight`` as a float64 array of ``n_samples`` weights >= 0."""
    if isinstance(sample_weight, Real):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    weight = check_array(
        sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight"
    )
    if weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per sample, "
            f"got shape {weight.shape}."
        )
    if (weight < 0).any():
        raise ValueError(
            "sample_weight must be non-negative, got a negative weight at sample "
            f"{np.flatnonzero(weight < 0)[0]}."
        )
    if not weight.any():
        raise ValueError(
            "The weights of all samples are zero, so there is nothing to train "
            "on; give some samples a positive sample_weight."
        )
    return weight


# n_threads="auto": one torch thread when a time step's gate products are smaller
# than this many multiply-adds (batch x gate rows x inputs). Below it a second
# thread gains nothing on an idle 2-core machine (benchmarks/threads.py) and
# costs several times the fit when another process holds a core.
SMALL_STEP_MACS = 2**21
_GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def thread_count(estimator, device, n_features):
    """The torch threads for a fit or predict of ``estimator``; None to leave
    torch's setting as it is (an accelerator, or a model large enough to gain)."""
    if estimator.n_threads != "auto":
        return estimator.n_threads
    if device.type != "cpu":
        return None
    rows = _GATES[estimator.cell] * estimator.hidden_size
    step = estimator.batch_size * rows * (n_features + estimator.hidden_size)
    return 1 if step < SMALL_STEP_MACS else None


@contextlib.contextmanager
def torch_threads(count):
    """Run with ``count`` torch threads, and give the caller's setting back."""
    if count is None or count == torch.get_num_threads():
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def resolve_device(device):
    """Turn a ``device`` parameter into an available :class:`torch.device`."""
    available = available_devices()
    if device == "auto":
        return torch.device(available[1] if len(available) > 1 else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        resolved = None
    if resolved is None or resolved.type not in ("cpu", "cuda", "mps"):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}."
        )
    if resolved.type == "cuda" and resolved.index is None:
        resolved = torch.device("cuda:0")
    if resolved.type in ("cpu", "mps"):
        resolved = torch.device(resolved.type)
    if str(resolved) not in available:
        raise ValueError(
            f"device={device!r} is not available on this machine; available devices: "
            f"{available}. Use device='auto' to pick the best available one."
        )
    return resolved


def available_devices():
    """Devices this machine can train on, the preferred accelerator second."""
    devices = ["cpu"]
    devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        devices.append("mps")
    return devices
