"""Echo state networks: a fixed random reservoir, read out by ridge regression.

The reservoir is a recurrent layer whose weights are drawn once and never
trained: ``state = (1 - leak_rate) * state + leak_rate * tanh(W_in u + W state +
b)``, with ``W`` scaled to a spectral radius below 1 so that the state forgets
its start (the echo state property). Only the linear readout is fitted, in
closed form by scikit-learn's :class:`~sklearn.linear_model.Ridge`, on features
of each sequence's states; so a fit costs one pass of the data through the
reservoir and one linear solve, with no backpropagation.
"""

from typing import ClassVar

import numpy as np
import torch
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import eigs
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.linear_model import Ridge
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import TransformerTags, check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._base import SequenceInput
from ._estimators import TargetsInInputUnits, check_target_range
from ._params import (
    RANDOM_STATE,
    Constraint,
    integer,
    options,
    real,
    validate_params,
)
from ._scaling import (
    SEQUENCE_STATISTICS,
    feature_moments,
    sequence_moments,
    sequence_statistics,
    standardise,
)
from ._validation import (
    check_numeric_target,
    check_sample_weight,
    check_y_given,
    resolve_device,
)

_READOUTS = ("last", "mean", "both")


class BaseESN(SequenceInput, BaseEstimator):
    """What ESNRegressor and ESNClassifier share: the reservoir and its features."""

    _parameter_constraints: ClassVar[dict] = {
        # The recurrent weights are dense: 20,000 units take 1.6 GB to draw.
        "n_reservoir": Constraint(
            "an integer in [1, 20000]", lambda v: integer(1).accepts(v) and v <= 20_000
        ),
        "spectral_radius": real("> 0", lambda v: v > 0),
        "leak_rate": real("in (0, 1]", lambda v: 0 < v <= 1),
        "input_scaling": real("> 0", lambda v: v > 0),
        "bias_scaling": real(">= 0", lambda v: v >= 0),
        "connectivity": real("in (0, 1]", lambda v: 0 < v <= 1),
        "alpha": real(">= 0", lambda v: v >= 0),
        "washout": Constraint(
            "an integer in [0, 10**9]",
            lambda v: integer(0).accepts(v) and v <= 10**9,
        ),
        "readout": options(*_READOUTS),
        "batch_size": integer(1),
        "scaling": options("auto", "global", *SEQUENCE_STATISTICS),
        "random_state": RANDOM_STATE,
    }
    _parameter_rules: ClassVar[tuple] = ()

    def __init__(
        self,
        *,
        n_reservoir=500,
        spectral_radius=0.9,
        leak_rate=0.3,
        input_scaling=1.0,
        bias_scaling=1.0,
        connectivity=0.1,
        alpha=1.0,
        washout=0,
        readout="last",
        batch_size=256,
        scaling="auto",
        device="cpu",
        random_state=None,
    ):
        self.n_reservoir = n_reservoir
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.connectivity = connectivity
        self.alpha = alpha
        self.washout = washout
        self.readout = readout
        self.batch_size = batch_size
        self.scaling = scaling
        self.device = device
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Run ``X`` through a new reservoir and fit the readout to ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences: 2D for univariate, 3D batch-first, or a list of arrays of
            shape ``(T_i, n_features)`` or ``(T_i,)`` of varying length. NaN time
            steps at either end of a 3D or list sequence are padding.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets (class labels for the classifier).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the ridge fit (and in the input scaling).

        Returns
        -------
        self
            The fitted estimator.
        """
        self._fit(X, y, sample_weight)
        return self

    def fit_transform(self, X, y, sample_weight=None):
        """Fit, and return the reservoir features of ``X`` (see :meth:`transform`).

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit`.

        Returns
        -------
        features : ndarray of shape (n_samples, `n_features_out_`)
        """
        return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight):
        """Fit; return the reservoir features of ``X``."""
        validate_params(self)
        device = resolve_device(self.device)
        sequences = self._validate_sequences(X, reset=True)
        check_y_given(self, y)
        n_samples = len(sequences.values)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, n_samples)
        target = self._encode_target(y, n_samples)
        statistic = self._choose_scaling(
            sequences, target.reshape(n_samples, -1), None, sample_weight
        )
        self.scaling_ = statistic or "global"
        moments = None
        if statistic is not None:
            moments = sequence_moments(sequences.values, statistic)
            target = self._scaled_target(target, moments)
        self._x_mean, self._x_scale = feature_moments(
            sequences.values, sample_weight, moments
        )
        rng = check_random_state(self.random_state)
        self.input_weights_, self.reservoir_weights_, self.bias_ = _draw_reservoir(
            sequences.values.shape[2],
            self.n_reservoir,
            spectral_radius=self.spectral_radius,
            input_scaling=self.input_scaling,
            bias_scaling=self.bias_scaling,
            connectivity=self.connectivity,
            rng=rng,
        )
        self.device_ = device
        features = self._features(sequences)
        ridge = Ridge(alpha=self.alpha).fit(features, target, sample_weight)
        self.coef_, self.intercept_ = ridge.coef_, ridge.intercept_
        self.n_features_out_ = features.shape[1]
        return features

    def transform(self, X):
        """The reservoir features of ``X``, which the readout is fitted on.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`; of any length for 3D and list input.

        Returns
        -------
        features : ndarray of shape (n_samples, `n_features_out_`)
            Per sequence: with ``readout="last"`` its last observed input
            (standardised) and the reservoir state there; "mean" the mean state
            over its observed steps after ``washout``; "both" all three.
        """
        check_is_fitted(self)
        return self._features(self._validate_sequences(X, reset=False))

    def _n_columns_out(self):
        return self.n_features_out_

    def _decision(self, X):
        check_is_fitted(self)
        sequences = self._validate_sequences(X, reset=False)
        decision = self._readout(self._features(sequences), sequences)
        if not np.isfinite(decision).all():  # never an answer made of NaN
            raise ValueError(
                "The readout's values are not finite for some of these sequences: "
                "the targets or the input are too extreme for it (or alpha too "
                "small). Rescale y, or raise alpha."
            )
        return decision

    def _check_streamable(self):
        if self.scaling_ != "global":
            raise ValueError(
                f"This model scales each sequence by statistics of all its steps "
                f"(scaling_={self.scaling_!r}), which change with every new step, "
                "so a stream cannot carry its state. Serve it on windows (a "
                "Pipeline with a SequenceWindower streams by keeping the last "
                "window rows), or fit with scaling='global'."
            )

    def _stream(self, sequences, state, method):
        dtype = torch.float64 if self.device_.type == "cpu" else torch.float32
        weights, mean, scale = self._tensors(dtype)
        X = torch.tensor(np.asarray(sequences.values)).to(self.device_, dtype)
        hidden = state.hidden
        if hidden is None:
            hidden = (X.new_zeros(len(X), len(self.bias_)),) * 2
        else:
            hidden = tuple(torch.from_numpy(h).to(self.device_, dtype) for h in hidden)
        with torch.inference_mode():
            features, *hidden = _run_on(
                standardise(X, mean, scale),
                *hidden,
                state.n_steps,
                *weights,
                leak_rate=self.leak_rate,
                washout=self.washout,
                readout=self.readout,
            )
        decision = self._readout(features.cpu().numpy().astype(np.float64), sequences)
        return self._predictions(decision), tuple(h.cpu().numpy() for h in hidden)

    def _tensors(self, dtype):
        """The reservoir's weights and the input statistics, as tensors."""
        weights = [
            torch.from_numpy(w).to(self.device_, dtype)
            for w in (self.input_weights_, self.reservoir_weights_, self.bias_)
        ]
        mean, scale = (
            torch.from_numpy(m).to(self.device_, dtype)
            for m in (self._x_mean, self._x_scale)
        )
        return weights, mean, scale

    def _predictions(self, decision):
        """What ``predict`` returns for the readout's ``decision``."""
        return decision

    def _readout(self, features, sequences):
        return features @ self.coef_.T + self.intercept_

    def _choose_scaling(self, sequences, target, observed, weight):
        """The per-sequence statistic (None: global scaling); a classifier
        scales per sequence only when ``scaling`` names a statistic."""
        return self.scaling if self.scaling in SEQUENCE_STATISTICS else None

    def _scaled_target(self, target, moments):
        return target

    def _features(self, sequences):
        # float64 on a CPU: a float32 product's rounding depends on the batch,
        # and a sequence's features would depend on the others beside it.
        dtype = torch.float64 if self.device_.type == "cpu" else torch.float32
        weights, mean, scale = self._tensors(dtype)
        statistic = None if self.scaling_ == "global" else self.scaling_
        out = []
        values, starts, lengths = sequences.values, sequences.starts, sequences.lengths
        with torch.inference_mode():
            for lo in range(0, len(values), self.batch_size):
                rows = slice(lo, lo + self.batch_size)
                X = torch.tensor(np.asarray(values[rows])).to(self.device_, dtype)
                if statistic is not None:
                    location, by = sequence_statistics(X, statistic)
                    X = (X - location) / by
                X = standardise(X, mean, scale)
                out.append(
                    _run(
                        X,
                        None if starts is None else torch.from_numpy(starts[rows]),
                        None if lengths is None else torch.from_numpy(lengths[rows]),
                        *weights,
                        leak_rate=self.leak_rate,
                        washout=self.washout,
                        readout=self.readout,
                    )
                    .cpu()
                    .numpy()
                )
        return np.concatenate(out).astype(np.float64)

    def set_params(self, **params):
        """Set parameters; on a fitted estimator, ``device`` also moves where the
        reservoir runs."""
        if "device" in params and self.__sklearn_is_fitted__():
            self.device_ = resolve_device(params["device"])  # unavailable: raises
        return super().set_params(**params)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coef_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        # transform gives the reservoir features, float64 whatever the input.
        tags.transformer_tags = TransformerTags(preserves_dtype=["float64"])
        return tags


def _draw_reservoir(
    n_inputs,
    n_reservoir,
    *,
    spectral_radius,
    input_scaling,
    bias_scaling,
    connectivity,
    rng,
):
    """Input weights ``(n_reservoir, n_inputs)``, recurrent weights ``(n_reservoir,
    n_reservoir)`` and bias ``(n_reservoir,)``, float32, uniform in [-1, 1] times
    their scaling; the recurrent ones sparse (``connectivity``) and scaled to
    ``spectral_radius``."""
    W_in = rng.uniform(-1, 1, (n_reservoir, n_inputs)) * input_scaling
    W = rng.uniform(-1, 1, (n_reservoir, n_reservoir))
    W *= rng.random_sample((n_reservoir, n_reservoir)) < connectivity
    radius = _spectral_radius(W)
    if radius > 0:
        W *= spectral_radius / radius
    bias = rng.uniform(-1, 1, n_reservoir) * bias_scaling
    return W_in.astype(np.float32), W.astype(np.float32), bias.astype(np.float32)


def _spectral_radius(W):
    """The largest absolute eigenvalue of ``W``: dense for small reservoirs,
    else by ARPACK on the sparse matrix (a dense solve of 2,000 units takes
    seconds; several eigenvalues and a wide basis make ARPACK find the
    largest among the many near it, as a random matrix has)."""
    n = len(W)
    if n <= 300:
        return float(np.abs(np.linalg.eigvals(W)).max())
    values = eigs(
        csr_matrix(W), k=6, ncv=60, which="LM", v0=np.ones(n), return_eigenvectors=False
    )
    return float(np.abs(values).max())


def _run(X, starts, lengths, W_in, W, bias, *, leak_rate, washout, readout):
    """Reservoir features of a batch ``X (batch, T, n_inputs)``, standardised, with
    NaN at padding; sequence i observed at steps ``starts[i]`` to ``starts[i] +
    lengths[i] - 1`` (None: all)."""
    batch, n_steps, _ = X.shape
    if lengths is None:
        lengths = torch.full((batch,), n_steps)
    elif bool(starts.any()):  # shift each sequence to start at step 0
        steps = torch.arange(n_steps)
        index = (steps + starts[:, None]).clamp_(max=n_steps - 1).to(X.device)
        X = X.gather(1, index[:, :, None].expand(-1, -1, X.shape[2]))
    X = torch.nan_to_num(X, nan=0.0)
    lengths = lengths.to(X.device)
    state = X.new_zeros(batch, W.shape[0])
    last = torch.zeros_like(state)
    total = torch.zeros_like(state)
    first = torch.clamp(lengths - 1, max=washout)  # keep at least the last step
    for t in range(int(lengths.max())):
        state = _update(state, X[:, t], W_in, W, bias, leak_rate)
        if readout != "mean":
            last = torch.where((lengths - 1 == t)[:, None], state, last)
        if readout != "last":
            total += state * ((first <= t) & (t < lengths))[:, None]
    parts = []
    if readout != "mean":
        last_input = X[torch.arange(batch, device=X.device), lengths - 1]
        parts += [last_input, last]
    if readout != "last":
        parts.append(total / (lengths - first)[:, None])
    return torch.cat(parts, dim=1)


def _update(state, x, W_in, W, bias, leak_rate):
    """The reservoir state after input ``x (batch, n_inputs)``."""
    drive = torch.tanh(torch.addmm(bias, x, W_in.T).addmm_(state, W.T))
    return drive if leak_rate == 1 else torch.lerp(state, drive, leak_rate)


def _run_on(X, state, total, n_before, W_in, W, bias, *, leak_rate, washout, readout):
    """:func:`_run`'s features after the new steps ``X`` (standardised, all
    observed) of sequences that have read ``n_before`` steps, reaching
    ``state``, and whose states from step ``washout`` on add up to ``total``;
    with the new ``state`` and ``total``."""
    for t in range(X.shape[1]):
        state = _update(state, X[:, t], W_in, W, bias, leak_rate)
        if n_before + t >= washout:
            total = total + state
    n_steps = n_before + X.shape[1]
    parts = []
    if readout != "mean":
        parts += [X[:, -1], state]
    if readout != "last":
        # As _run: the mean after the washout, or the last state before it ends.
        parts.append(total / (n_steps - washout) if n_steps > washout else state)
    return torch.cat(parts, dim=1), state, total


class ESNRegressor(RegressorMixin, TargetsInInputUnits, BaseESN):
    """Echo state network regressor: a random reservoir, a ridge readout.

    A large recurrent layer with fixed random weights (the reservoir) reads each
    sequence; only a linear readout of its states is fitted, in closed form.
    That makes it the fastest recurrent baseline: no backpropagation, a fit in
    about a second. It takes the same input as :class:`RNNRegressor`, and sits
    in the same Pipelines and forecast helpers.

    Parameters
    ----------
    n_reservoir : int, default=500
        Number of reservoir units.
    spectral_radius : float, default=0.9
        The largest absolute eigenvalue the recurrent weights are scaled to:
        near 1 the reservoir remembers longer, above 1 it may stop forgetting
        its start (and its states then depend on more than the input).
    leak_rate : float, default=0.3
        In (0, 1]: the share of each new state that replaces the old one;
        smaller rates make a slower reservoir, for slowly varying input. The
        defaults (0.3 here, the rest as shown) scored best on average in a
        cross-validation over the training sets of the documentation's
        real-data cases (``benchmarks/esn.py``); 1.0 ranked eighth of 36.
    input_scaling : float, default=1.0
        Scale of the input weights (on standardised input): larger drives the
        units further into the tanh's nonlinear range.
    bias_scaling : float, default=1.0
        Scale of the units' random biases.
    connectivity : float, default=0.1
        Share of nonzero recurrent weights.
    alpha : float, default=1.0
        Ridge penalty of the readout (:class:`~sklearn.linear_model.Ridge`).
    washout : int, default=0
        Steps at the start of each sequence left out of the mean state
        (``readout="mean"`` or "both"), while the reservoir forgets its zero
        start; a sequence keeps at least its last step.
    readout : {"last", "mean", "both"}, default="last"
        The features of a sequence the readout sees: "last" the last observed
        input and the reservoir state there, "mean" the mean state over the
        observed steps after ``washout``, "both" all of them.
    batch_size : int, default=256
        Sequences run through the reservoir at once; memory is bounded by it,
        not by the number of samples.
    scaling : {"auto", "global", "mean_abs", "standard", "last"}, default="auto"
        How each sequence is scaled before the global standardisation, and its
        targets with it, as in :class:`RNNRegressor`: "auto" scales each
        window by its own statistics ("last") when the targets are in the
        units of an input feature (forecasts), so that one readout fits series
        of any size, and globally otherwise.
    target_features : int, list of int or None, default=None
        The input feature(s) ``y`` is measured in, as in :class:`RNNRegressor`.
    device : str, default="cpu"
        Where the reservoir runs: "cpu", "cuda", "cuda:N", "mps" or "auto".
    random_state : int, RandomState instance or None, default=None
        Seeds the reservoir's weights.

    Attributes
    ----------
    n_features_in_ : int
        For 2D input, the number of columns (time steps); for 3D and list
        input, the number of features per time step.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.
    input_weights_, reservoir_weights_, bias_ : ndarray
        The reservoir: ``(n_reservoir, n_features)``, ``(n_reservoir,
        n_reservoir)`` and ``(n_reservoir,)``.
    coef_, intercept_ : ndarray
        The readout, as in :class:`~sklearn.linear_model.Ridge`.
    n_features_out_ : int
        The number of reservoir features per sequence (see :meth:`transform`).
    scaling_ : str
        The scaling in use: "global" or the per-sequence statistic.
    device_ : torch.device
        The device the reservoir runs on.

    See Also
    --------
    ESNClassifier : The same reservoir for classification.
    RNNRegressor : A trained recurrent network.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import ESNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 10, 2))
    >>> y = X[:, -1, 0] - X[:, -2, 1]
    >>> ESNRegressor(random_state=0).fit(X, y).predict(X).shape
    (64,)
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseESN._parameter_constraints,
        **TargetsInInputUnits._target_constraints,
    }

    def __init__(
        self,
        *,
        n_reservoir=500,
        spectral_radius=0.9,
        leak_rate=0.3,
        input_scaling=1.0,
        bias_scaling=1.0,
        connectivity=0.1,
        alpha=1.0,
        washout=0,
        readout="last",
        batch_size=256,
        scaling="auto",
        target_features=None,
        device="cpu",
        random_state=None,
    ):
        super().__init__(
            n_reservoir=n_reservoir,
            spectral_radius=spectral_radius,
            leak_rate=leak_rate,
            input_scaling=input_scaling,
            bias_scaling=bias_scaling,
            connectivity=connectivity,
            alpha=alpha,
            washout=washout,
            readout=readout,
            batch_size=batch_size,
            scaling=scaling,
            device=device,
            random_state=random_state,
        )
        self.target_features = target_features

    def predict(self, X):
        """Predict targets for sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, 1D when ``y`` was 1D in ``fit``.
        """
        y = self._decision(X)
        # Ridge gives one coefficient vector for a y of one column: keep (n, 1).
        return y.reshape(len(y), -1) if getattr(self, "_y_ndim", 1) == 2 else y

    def _scaled_target(self, target, moments):
        location, scale = self._target_statistics(moments, per_step=False)
        flat = target.reshape(len(target), -1)
        scaled = ((flat - location) / scale).reshape(target.shape)
        check_target_range(scaled, "in units of each sequence's scale")
        return scaled

    def _readout(self, features, sequences):
        y = super()._readout(features, sequences)
        if self.scaling_ == "global":
            return y
        moments = sequence_moments(sequences.values, self.scaling_)
        location, scale = self._target_statistics(moments, per_step=False)
        return (y.reshape(len(y), -1) * scale + location).reshape(y.shape)

    def _encode_target(self, y, n_samples):
        y = check_numeric_target(y, self)
        if y.ndim not in (1, 2) or len(y) != n_samples:
            raise ValueError(
                f"y must have shape ({n_samples},) or ({n_samples}, n_outputs), one "
                f"target per sequence of X, got shape {y.shape}."
            )
        check_target_range(y)
        self._y_ndim = y.ndim
        return y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class ESNClassifier(ClassifierMixin, BaseESN):
    """Echo state network classifier: a random reservoir, a ridge readout.

    As :class:`ESNRegressor`, with a ridge classifier's readout (one-vs-rest
    targets of -1 and 1, as :class:`~sklearn.linear_model.RidgeClassifier`
    fits them): the class with the largest decision value wins.

    Parameters
    ----------
    n_reservoir, spectral_radius, leak_rate, input_scaling, bias_scaling, \
connectivity, alpha, washout, batch_size, device, random_state
        As in :class:`ESNRegressor`.
    scaling : {"auto", "global", "mean_abs", "standard", "last"}, default="auto"
        As in :class:`RNNClassifier`: "auto" standardises each feature
        globally; a statistic first scales each sequence by its own.
    readout : {"last", "mean", "both"}, default="both"
        As in :class:`ESNRegressor`; the mean state describes a whole sequence,
        which classification needs more than forecasting.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_, feature_names_in_, input_weights_, reservoir_weights_, \
bias_, coef_, intercept_, n_features_out_, scaling_, device_
        As in :class:`ESNRegressor`.

    See Also
    --------
    ESNRegressor : The same reservoir for regression.
    RNNClassifier : A trained recurrent network.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import ESNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 10, 2))
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    >>> ESNClassifier(random_state=0).fit(X, y).predict(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        *,
        n_reservoir=500,
        spectral_radius=0.9,
        leak_rate=0.3,
        input_scaling=1.0,
        bias_scaling=1.0,
        connectivity=0.1,
        alpha=1.0,
        washout=0,
        readout="both",
        batch_size=256,
        scaling="auto",
        device="cpu",
        random_state=None,
    ):
        super().__init__(
            n_reservoir=n_reservoir,
            spectral_radius=spectral_radius,
            leak_rate=leak_rate,
            input_scaling=input_scaling,
            bias_scaling=bias_scaling,
            connectivity=connectivity,
            alpha=alpha,
            washout=washout,
            readout=readout,
            batch_size=batch_size,
            scaling=scaling,
            device=device,
            random_state=random_state,
        )

    def decision_function(self, X):
        """The readout's value of each class (of the positive one, for two).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        scores = self._scores(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predict the class of each sequence of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._predictions(self._decision(X))

    def _predictions(self, decision):
        scores = decision.reshape(len(decision), -1)  # two classes: one column
        if scores.shape[1] == 1:
            return self.classes_[(scores[:, 0] > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]

    def _scores(self, X):
        scores = self._decision(X)
        return scores.reshape(len(scores), -1)  # two classes: one column

    def _encode_target(self, y, n_samples):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if len(y) != n_samples:
            raise ValueError(
                f"y has {len(y)} labels, but X has {n_samples} sequences; give one "
                "label per sequence."
            )
        binarizer = LabelBinarizer(pos_label=1, neg_label=-1)
        target = binarizer.fit_transform(y).astype(np.float64)
        self.classes_ = binarizer.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_[0]!r}); a classifier needs at "
                "least two."
            )
        return target
