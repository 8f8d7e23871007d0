"""RNNRegressor and RNNClassifier: scikit-learn estimators composed over skorch."""

from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import column_or_1d
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._base import ARCHITECTURE, BaseRNN, softmax
from ._params import NONE, Constraint, either, integer, options, real
from ._quantiles import (
    QUANTILES,
    check_quantile_loss,
    conformal_shifts,
    fitted_levels,
    interpolate,
    interval_levels,
    requested_levels,
)
from ._scaling import (
    AUTO_STATISTIC,
    sequence_moments,
    standardise,
    target_moments,
    unstandardise,
)
from ._training import validation_rows
from ._validation import check_numeric_target, observed_steps, per_step_targets

# A position among the input features (target_features).
_FEATURE_POSITION = integer(0)


def _has_quantiles(estimator):
    """Whether the regressor predicts quantiles (for ``available_if``)."""
    if estimator.loss != "quantile":
        raise AttributeError(
            "predict_quantiles and predict_interval need loss='quantile'; this "
            "model predicts the mean (see the user guide, 'Prediction intervals')."
        )
    return True


class TargetsInInputUnits:
    """Per-sequence scaling of a regressor's targets: each output is measured in
    the units of an input feature (``target_features``), and is scaled and mapped
    back with that feature's statistics of its own sequence (RNNRegressor and
    ESNRegressor)."""

    _target_constraints: ClassVar[dict] = {
        "target_features": Constraint(
            "None, an int or a list of ints (input feature positions)",
            lambda v: (
                v is None
                or _FEATURE_POSITION.accepts(v)
                or (
                    isinstance(v, (list, tuple))
                    and len(v) > 0
                    and all(_FEATURE_POSITION.accepts(f) for f in v)
                )
            ),
        ),
    }

    def _choose_scaling(self, sequences, target, observed, weight):
        n_features = sequences.values.shape[2]
        features = self._resolve_target_features(n_features, target.shape[-1])
        self._target_features = features
        if self.scaling == "global":
            return None
        if self.scaling != "auto":
            if features is None:
                raise ValueError(
                    f"scaling={self.scaling!r} maps predictions back in the units of "
                    f"the input feature y is measured in, but X has {n_features} "
                    "features per time step: name it with target_features=<position> "
                    "(the target= given to make_windows), or set scaling='global'."
                )
            return self.scaling
        if features is None:
            return None
        if self.target_features is None and not _naive_beats_mean(
            sequences, target, observed, weight, features
        ):
            return None
        return AUTO_STATISTIC

    def _resolve_target_features(self, n_features, n_outputs):
        """The input feature each output is measured in; None if unknown."""
        given = self.target_features
        coded = self._categorical_features()
        if given is None:
            return (0,) * n_outputs if n_features == 1 and not coded else None
        features = (
            (given,) * n_outputs if _FEATURE_POSITION.accepts(given) else tuple(given)
        )
        if len(features) != n_outputs:
            raise ValueError(
                f"target_features has {len(features)} entries, but y has {n_outputs} "
                "outputs: give one input feature per output, or one int for all."
            )
        outside = [f for f in features if f >= n_features]
        if outside:
            raise ValueError(
                f"target_features {outside} are not positions of the {n_features} "
                "features per time step of X."
            )
        coded = sorted(set(features) & set(coded))
        if coded:
            raise ValueError(
                f"target_features {coded} are categorical features (categorical=), "
                "whose codes have no units; name the numeric feature y is measured "
                "in, or set scaling='global'."
            )
        return tuple(int(f) for f in features)

    def _target_statistics(self, moments, per_step):
        """The per-sequence ``moments`` of each output's input feature, shaped to
        broadcast against targets (``per_step``: of every time step)."""
        location, scale = moments
        features = list(self._target_features)
        location, scale = location[:, features], scale[:, features]
        if per_step:
            return location[:, np.newaxis], scale[:, np.newaxis]
        return location, scale


class RNNRegressor(RegressorMixin, TargetsInInputUnits, BaseRNN):
    """Recurrent neural network regressor (LSTM, GRU or Elman RNN).

    Each sample is a sequence; the network reads it up to its last observed time
    step and maps the final hidden state to one or several targets, or, with
    ``return_sequences=True``, maps every time step to targets. Inputs and
    targets are scaled inside the estimator, so unscaled data (values in the
    hundreds, say) trains without a preprocessing step, and a forecasting model
    over many series of different sizes scales each window by its own values.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
        Recurrent cell: :class:`torch.nn.LSTM`, :class:`torch.nn.GRU` or
        :class:`torch.nn.RNN`. On CPU the LSTM trains fastest, because only it has
        a fused kernel; GRUs of up to 64 units and RNNs train through skrnn's own
        backward pass there, 1.1 to 1.7 times faster than through torch's.
    hidden_size : int, default=64
        Number of features of the hidden state.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Whether to also read each sequence backwards; the head then sees both
        directions' final states.
    dropout : float, default=0.0
        Dropout probability between stacked layers and on the recurrent output
        that feeds the head.
    nonlinearity : {"tanh", "relu"}, default="tanh"
        Activation of ``cell="rnn"``; other cells only accept "tanh".
    head_layers : tuple of int, default=()
        Widths of fully connected ReLU layers between the recurrent output and
        the output layer: ``(8,)`` makes the head ``Dense(8) -> Dense(n_outputs)``.
    return_sequences : bool, default=False
        False is many-to-one: one prediction per sequence, from its last observed
        step. True is many-to-many: one prediction per time step. ``y`` then has
        shape ``(n_samples, n_timesteps)`` or ``(n_samples, n_timesteps,
        n_outputs)``, or is a list of per-sequence targets; padding steps are
        left out of the loss and predicted as NaN.
    max_epochs : int or "auto", default="auto"
        Number of passes over the training data; with ``early_stopping``, the
        most that are made. "auto" makes 50, or more on small training sets:
        enough for 500 gradient steps, e.g. 250 epochs for 40 sequences at
        ``batch_size=32``: a few dozen sequences make only one or two steps per
        epoch, and 50 epochs leave them undertrained. On large training sets it
        makes no more epochs than 2,500 steps take (at least one), e.g. 13 for
        6,400 sequences: more bought no accuracy there.
    batch_size : int, default=32
        Number of sequences per gradient step.
    lr : float, default=1e-2
        Learning rate. With gradient clipping, 1e-2 trained best over the
        benchmark tasks of the documentation; lower it for long training runs.
    lr_schedule : {"constant", "plateau", "cosine"}, default="constant"
        How the learning rate changes during a fit. "plateau" divides it by 5
        whenever the monitored loss (the validation loss with ``early_stopping``,
        else the training loss) has not improved by ``tol`` for
        ``n_iter_no_change // 2`` epochs; "cosine" anneals it to 0 over
        ``max_epochs``. Every call of ``fit`` starts again from ``lr``.
    optimizer : {"adam", "adamw", "rmsprop", "sgd"}, default="adam"
        Optimisation algorithm from :mod:`torch.optim`.
    weight_decay : float, default=0.0
        L2 penalty (decoupled for "adamw").
    clip_grad_norm : float or None, default=1.0
        Maximum norm of the gradient of all parameters together; None disables
        clipping. Clipping prevents the exploding gradients that leave recurrent
        networks stuck on long sequences.
    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training samples,
        stop when their loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and restore the weights of the best epoch.
        Off by default: on the benchmark tasks it saved time but scored lower,
        having less data to learn from.
    validation_fraction : float, default=0.1
        Fraction of the training samples held out with ``early_stopping``.
    validation_split : {"last", "random"}, default="last"
        Which samples are held out. "last" takes the last ones, in the order of
        ``X``: when the samples are windows of a time series (from
        :class:`SequenceWindower` or :func:`make_windows`), that validates on the
        most recent data and keeps the future out of training. "random" draws
        them at random, for independent sequences stored in some order.
    n_iter_no_change : int, default=20
        Number of epochs without improvement before early stopping stops. RNN
        losses often stall for a few epochs on small data before they fall
        again, and 10 stopped too early on the benchmark tasks.
    tol : float, default=1e-4
        Smallest decrease of the (standardised) loss that counts as improvement,
        an absolute amount as in scikit-learn's MLP. On nearly noise-free data,
        whose loss falls far below ``tol``, early stopping then stops too soon:
        set ``tol=0`` there.
    shuffle : bool, default=True
        Whether to shuffle the training sequences every epoch.
    warm_start : bool, default=False
        When True, ``fit`` continues training the fitted network for
        ``max_epochs`` more epochs instead of starting anew, with the current
        training parameters (``lr``, ``batch_size``, ...); changing an
        architecture parameter or ``optimizer`` then is an error.
    callbacks : list of skorch callbacks or (name, callback) pairs, default=None
        Extra :mod:`skorch.callbacks`, e.g. a ``Checkpoint``. They are copied at
        each fit and run before early stopping. The names "clip", "lr_schedule",
        "progress", "early_stopping" and "snapshot" are skrnn's own. A fit
        interrupted (Ctrl-C, ``KeyboardInterrupt``) inside an epoch goes back
        to the weights of its last completed epoch, whose model it keeps (and
        with none completed, the model it started from, or no model), and the
        interrupt goes on to the caller.
    cpu_backward : {"auto", "torch"}, default="auto"
        How GRU and RNN cells train on a CPU. "auto" takes skrnn's own backward
        pass for RNN cells and GRU cells of up to 64 units: it computes torch's
        gradients (to float rounding) in fewer, larger operations, and trains
        these cells faster than autograd does. "torch" always uses torch's
        autograd, e.g. to rule skrnn's pass out when a fit surprises you. LSTM
        cells, GPUs and prediction always use torch's own kernels.
    scaling : {"auto", "global", "mean_abs", "standard", "last"}, default="auto"
        How each sequence is scaled before the global standardisation of every
        feature. "global" only standardises. The others first scale each
        sequence by its own statistics over its observed steps: "mean_abs"
        divides by the mean absolute value (DeepAR's scaling), "standard"
        subtracts the mean and divides by the standard deviation (RevIN's),
        "last" subtracts the last value and divides by the mean absolute value.
        Targets are scaled, and predictions mapped back, with the statistics of
        the input feature they are measured in (``target_features``), so one
        global model fits series of any size. "auto" takes "last" when the
        targets are in an input feature's units (``target_features`` given, or
        univariate input whose last value predicts ``y`` better than its mean
        does, as for forecasts) and "global" otherwise. See the user guide.
    target_features : int, list of int or None, default=None
        The input feature(s) ``y`` is measured in, for per-sequence scaling: an
        int when every output is in that feature's units (e.g. the ``target``
        column of :func:`make_windows` and its horizon), or a list with one
        feature per output. None means the only feature of univariate input and
        unknown otherwise.
    categorical : None, "all", int or list of int, default=None
        The input features that hold integer codes rather than numbers, by
        position among the features per time step: token ids (2D input or
        lists of 1D sequences have one feature, so ``categorical="all"``), or
        a store number or weekday beside numeric features. Each goes through a
        learned embedding (:class:`torch.nn.Embedding`) instead of the scaling
        of the numeric features. The codes seen in ``fit`` (``categories_``) get
        an embedding each; at prediction any other code (a new word, a new
        store), and any negative code (pandas' ``.cat.codes`` marks a missing
        category with -1), reads as "unknown", whose embedding is zero. Codes
        must be integers from 0 to 16,777,215; NaN steps at either end of a
        sequence are padding, as for numeric input. None treats every feature
        as a number, integers included.
    embedding_size : int or "auto", default="auto"
        The width of each categorical feature's embedding. "auto" gives
        ``min(50, round(1.6 * n ** 0.56))`` for ``n`` codes seen in ``fit``
        plus the unknown one (fastai's rule): 5 for the 7 weekdays, 50 from
        about 470 codes on.
    loss : {"squared_error", "quantile"}, default="squared_error"
        The training loss. "squared_error" predicts the mean. "quantile"
        minimises the pinball loss over ``quantiles``: one network predicts
        every level of every output, the levels never cross (each is the
        median's prediction plus or minus a sum of non-negative steps), and
        :meth:`predict` returns the median, :meth:`predict_quantiles` and
        :meth:`predict_interval` the rest.
    quantiles : sequence of float or None, default=None
        Increasing levels in (0, 1) for ``loss="quantile"``, spanning 0.5; None
        takes (0.025, 0.1, 0.5, 0.9, 0.975): the median and the 80% and 95%
        central intervals. Levels in between are interpolated at prediction.
    calibration : {None, "conformal"}, default=None
        With "conformal" (``loss="quantile"`` only), ``fit`` holds out the last
        ``calibration_fraction`` of the samples, in the order of ``X``, trains
        on the others, and shifts each quantile level of each output by the
        conformal quantile of its residuals on the held-out samples (split
        conformal quantile regression). For windows of a time series that
        calibrates on the most recent data, and the shifted levels are covered
        as often as they say when the future behaves like that recent past.
        It corrects over-confident quantiles (as a network's can be on small
        data) at the cost of training on fewer samples.
    calibration_fraction : float, default=0.2
        Fraction of the samples held out for ``calibration``. The extreme
        levels need enough of them: the 0.025 and 0.975 levels are calibrated
        from at least 39 samples.
    device : str, default="cpu"
        Where to train and predict: "cpu", "cuda", "cuda:N", "mps", or "auto"
        for the best available. Calling ``set_params(device=...)`` on a fitted
        estimator moves the model.
    n_threads : "auto" or int, default="auto"
        The torch threads of ``fit`` and ``predict``; the caller's setting
        (``torch.get_num_threads()``) is given back afterwards. "auto" uses one
        thread for a model too small to gain from more (a time step of a
        batch under about two million multiply-adds: the default LSTM of 64
        units with batches of 32 on up to ~190 features), where a second thread
        gains nothing and costs several times the fit when another process
        holds a core; otherwise, and on an accelerator, it leaves torch's
        setting as it is.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation split.
        With an int, training on CPU is bit-for-bit reproducible for the same
        number of torch threads (see ``n_threads``). Fitting never
        changes the global numpy or torch random state; None draws fresh
        entropy from the OS.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar over the epochs with the training
        and validation loss and the epoch time; 2 prints a table, one row per
        epoch.

    Attributes
    ----------
    n_features_in_ : int
        For 2D input, the number of columns (time steps), as in scikit-learn;
        for 3D and list input, the number of features per time step.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.
    n_outputs_ : int
        Number of regression targets (per time step, with ``return_sequences``).
    is_categorical_ : ndarray of bool of shape (n_step_features,) or None
        Which features per time step are categorical; None without
        ``categorical``.
    categories_ : list of ndarray
        The codes seen in ``fit`` of each categorical feature, in order of
        position; empty without ``categorical``.
    scaling_ : str
        The scaling the network uses: "global" or the per-sequence statistic
        ("auto" resolved).
    net_ : skorch.NeuralNet
        The trained skorch net; its ``module_`` is the PyTorch model.
    device_ : torch.device
        The device the model lives on.
    n_epochs_ : int
        Number of epochs trained in total, over all calls of ``fit`` with
        ``warm_start`` and of ``partial_fit``.
    loss_curve_ : list of float
        Training loss per epoch: the mean squared error of the standardised
        targets, or their mean pinball loss for ``loss="quantile"``.
    validation_loss_curve_ : list of float or None
        Validation loss per epoch, NaN for epochs trained without validation;
        None when no epoch was validated.
    best_epoch_ : int
        The epoch (counted from 1, over all epochs) whose weights the model
        holds: with ``early_stopping`` the best validated one, else the last.
    validation_indices_ : ndarray of int or None
        Indices, into the ``X`` of the last fit, of the samples held out for
        validation; None without ``early_stopping``.
    quantiles_ : tuple of float or None
        The levels the network predicts with ``loss="quantile"``; else None.
    calibration_shifts_ : ndarray of shape (n_outputs, n_quantiles) or None
        What ``calibration="conformal"`` adds to each output's quantiles: in the
        targets' units with global scaling, and in units of each sequence's
        scale with per-sequence scaling (see ``scaling_``), so that a shift
        fits series of any size; None without calibration.
    calibration_indices_ : ndarray of int or None
        Indices, into the ``X`` of the last fit, of the samples held out for
        ``calibration``; None without it.

    See Also
    --------
    RNNClassifier : The same network for classification.
    plot_history : Draw ``loss_curve_`` and ``validation_loss_curve_``.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 10, 2))  # 64 sequences, 10 steps, 2 features
    >>> y = X[:, -1, 0] - X[:, -2, 1]
    >>> reg = RNNRegressor(max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X).shape
    (64,)
    >>> per_step = RNNRegressor(return_sequences=True, max_epochs=5)
    >>> per_step.fit(X, X.cumsum(axis=1)).predict(X).shape
    (64, 10, 2)
    """

    _architecture: ClassVar[tuple] = (
        *ARCHITECTURE,
        "target_features",
        "loss",
        "quantiles",
    )
    _parameter_rules: ClassVar[tuple] = (
        *BaseRNN._parameter_rules,
        check_quantile_loss,
    )
    _parameter_constraints: ClassVar[dict] = {
        **BaseRNN._parameter_constraints,
        **TargetsInInputUnits._target_constraints,
        "loss": options("squared_error", "quantile"),
        "quantiles": QUANTILES,
        "calibration": either(NONE, options("conformal")),
        "calibration_fraction": real("in (0, 1)", lambda v: 0 < v < 1),
    }

    def __init__(
        self,
        *,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        nonlinearity="tanh",
        head_layers=(),
        return_sequences=False,
        max_epochs="auto",
        batch_size=32,
        lr=1e-2,
        lr_schedule="constant",
        optimizer="adam",
        weight_decay=0.0,
        clip_grad_norm=1.0,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="last",
        n_iter_no_change=20,
        tol=1e-4,
        shuffle=True,
        warm_start=False,
        callbacks=None,
        cpu_backward="auto",
        scaling="auto",
        target_features=None,
        categorical=None,
        embedding_size="auto",
        loss="squared_error",
        quantiles=None,
        calibration=None,
        calibration_fraction=0.2,
        device="cpu",
        n_threads="auto",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            cell=cell,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            nonlinearity=nonlinearity,
            head_layers=head_layers,
            return_sequences=return_sequences,
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            lr_schedule=lr_schedule,
            optimizer=optimizer,
            weight_decay=weight_decay,
            clip_grad_norm=clip_grad_norm,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            validation_split=validation_split,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            shuffle=shuffle,
            warm_start=warm_start,
            callbacks=callbacks,
            cpu_backward=cpu_backward,
            scaling=scaling,
            categorical=categorical,
            embedding_size=embedding_size,
            device=device,
            n_threads=n_threads,
            random_state=random_state,
            verbose=verbose,
        )
        self.target_features = target_features
        self.loss = loss
        self.quantiles = quantiles
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction

    def fit(self, X, y, sample_weight=None):
        """Train the network on sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences: 2D for univariate, 3D batch-first, or a list of arrays of
            shape ``(T_i, n_features)`` or ``(T_i,)`` of varying length. NaN time
            steps at either end of a 3D or list sequence are padding.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; with ``return_sequences``, per time step:
            ``(n_samples, n_timesteps[, n_outputs])`` or a list of arrays.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (and the validation loss); integer
            weights act like repeating samples. With metadata routing, request
            it with ``set_fit_request(sample_weight=True)``.

        Returns
        -------
        self : RNNRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``X`` and ``y``, continuing any previous training.

        The first call builds the network. Neither early stopping nor
        ``lr_schedule`` apply: each call is one epoch at the learning rate ``lr``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, as in :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : RNNRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict targets for sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`. For 3D and list input the length may
            differ from the training sequences.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, 1D when ``y`` was 1D in ``fit``. With
            ``return_sequences``, ``(n_samples, n_timesteps[, n_outputs])``, NaN
            at padding steps.
        """
        sequences, out = self._forward(X)
        y_pred = self._decode(out, sequences)
        if self.net_.module_.quantiles is None:
            return y_pred
        return interpolate(y_pred, self.quantiles_, [0.5])[..., 0]

    @available_if(_has_quantiles)
    def predict_quantiles(self, X, quantiles=None):
        """Predict quantiles of the targets for sequences ``X``.

        Only with ``loss="quantile"``. Levels the network was not fitted with
        are interpolated linearly between the neighbouring fitted ones, so
        they stay ordered; levels outside the fitted range are an error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.
        quantiles : float or sequence of float, default=None
            The levels to predict; None predicts the fitted ``quantiles_``.

        Returns
        -------
        y_quantiles : ndarray
            The shape of :meth:`predict`'s result plus a last axis, one entry
            per level: ``(n_samples, n_quantiles)`` for 1D ``y``,
            ``(n_samples, n_outputs, n_quantiles)`` for 2D ``y`` (a horizon of
            direct forecasts), and per time step with ``return_sequences``. With
            ``calibration``, the calibrated quantiles.
        """
        levels = requested_levels(quantiles, self.quantiles_)
        sequences, out = self._forward(X)
        y_quantiles = self._decode(out, sequences)
        if quantiles is None:
            return y_quantiles
        return interpolate(y_quantiles, self.quantiles_, levels)

    @available_if(_has_quantiles)
    def predict_interval(self, X, coverage=0.9):
        """Predict central prediction intervals for sequences ``X``.

        Only with ``loss="quantile"``: the interval of ``coverage`` runs from
        the ``(1 - coverage) / 2`` quantile to the ``(1 + coverage) / 2`` one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.
        coverage : float, default=0.9
            The probability the interval is meant to hold the target with, in
            (0, 1); its bounds must lie within the fitted quantile levels.

        Returns
        -------
        y_interval : ndarray
            The shape of :meth:`predict`'s result plus a last axis of 2: the
            lower bound at ``[..., 0]`` and the upper at ``[..., 1]``.
        """
        return self.predict_quantiles(X, interval_levels(coverage, self.quantiles_))

    @property
    def quantiles_(self):
        """The quantile levels the fitted network predicts; None for the mean."""
        check_is_fitted(self)
        return self.net_.module_.quantiles

    def score(self, X, y, sample_weight=None):
        """:math:`R^2` of the predictions, over observed time steps if per step.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.
        y : array-like
            True targets, shaped as in :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample.

        Returns
        -------
        score : float
            :func:`sklearn.metrics.r2_score`, averaged uniformly over outputs.
        """
        if not self._returns_sequences():
            return super().score(X, y, sample_weight=sample_weight)
        return self._per_step_score(X, y, sample_weight, r2_score)

    def _decode(self, out, sequences):
        """Raw outputs as predictions in the targets' units, shaped like ``y``;
        a quantile network's levels on a last axis, calibrated."""
        module = self.net_.module_
        quantiles = module.quantiles is not None
        y_pred = self._sequence_units(out)
        shifts = getattr(self, "calibration_shifts_", None)
        if shifts is not None:
            # Shifted levels may cross; sorting them (a monotone rearrangement)
            # brings each nearer the true quantile (Chernozhukov et al., 2010).
            y_pred = np.sort(y_pred + shifts.T[:, np.newaxis], axis=0)
        statistic = module.sequence_scaling
        if statistic is not None:
            location, scale = self._sequence_statistics(sequences)
            y_pred = y_pred * scale + location
        if module.return_sequences:
            observed = observed_steps(sequences)
            if observed is not None:
                y_pred = np.where(observed[..., np.newaxis], y_pred, np.nan)
            squeeze = self._y_ndim == 2
        else:
            squeeze = self._y_ndim == 1
        if squeeze:
            y_pred = y_pred[..., 0]
        return np.moveaxis(y_pred, 0, -1) if quantiles else y_pred

    def _sequence_units(self, out):
        """Raw outputs in the units of the targets scaled per sequence (the
        targets' own units with global scaling); a quantile network's levels
        on the first axis, where the rest broadcasts as for one value each."""
        if self.net_.module_.quantiles is not None:
            out = np.moveaxis(out, -1, 0)
        return unstandardise(out, self._y_mean, self._y_scale)

    def _sequence_statistics(self, sequences):
        """Each sequence's (location, scale) of each output's input feature."""
        return self._target_statistics(
            sequence_moments(sequences.values, self.net_.module_.sequence_scaling),
            per_step=self.net_.module_.return_sequences,
        )

    def _quantile_levels(self):
        return fitted_levels(self.quantiles) if self.loss == "quantile" else None

    def _held_out_rows(self, n_samples, incremental, seed):
        if self.calibration is None or incremental:
            return None
        return validation_rows(
            "last",
            self.calibration_fraction,
            n_samples,
            None,
            seed,
            held_for=f"calibration={self.calibration!r}",
        )

    def _calibrate(self, held_out):
        # A continued fit (partial_fit) makes the last calibration stale.
        self.calibration_shifts_ = None
        self.calibration_indices_ = None
        if held_out is None:
            return
        rows, sequences, target = held_out
        # Residuals in units of each window's scale with per-sequence scaling:
        # the shift of a level then fits series of any size alike.
        predicted = np.moveaxis(self._sequence_units(self._outputs(sequences)), 0, -1)
        if self.net_.module_.sequence_scaling is not None:
            location, scale = self._sequence_statistics(sequences)
            target = (target - location) / scale
        self.calibration_shifts_ = conformal_shifts(target, predicted, self.quantiles_)
        self.calibration_indices_ = rows

    def _encode_target(self, y, sequences, reset, classes=None):
        if self.return_sequences:
            y, observed = per_step_targets(y, sequences, numeric=True)
            check_target_range(y if observed is None else y[observed])
            if reset:
                self._y_ndim = y.ndim
            return y.reshape(y.shape[0], y.shape[1], -1), observed
        y = check_numeric_target(y, self, ensure_all_finite="allow-nan")
        _reject_missing_targets(y)
        check_target_range(y)
        if y.ndim not in (1, 2):
            raise ValueError(
                f"y must be 1D (n_samples,) or 2D (n_samples, n_outputs), got shape "
                f"{y.shape}."
            )
        if reset:
            self._y_ndim = y.ndim
        return y.reshape(len(y), -1), None

    def _standardise(self, target, observed, weight, moments, reset):
        """Targets scaled to mean 0 and variance 1 per output, as float32: after
        each was scaled by its sequence's ``moments``, with per-sequence scaling."""
        n_outputs = target.shape[-1]
        if moments is not None:
            location, scale = self._target_statistics(
                moments, per_step=target.ndim == 3
            )
            target = (target - location) / scale
            seen = target if observed is None else target[observed]
            check_target_range(seen, "in units of each sequence's scale")
        if reset:
            self.n_outputs_ = n_outputs
            self._y_mean, self._y_scale = target_moments(target, observed, weight)
        elif n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} outputs, but the estimator was fitted with "
                f"{self.n_outputs_}; set warm_start=False to fit a new model."
            )
        target = standardise(target, self._y_mean, self._y_scale)
        if observed is not None:
            target[~observed] = 0.0  # padding: masked out of the loss
        return target.astype(np.float32)

    def _target_scaling(self):
        module = self.net_.module_
        squeeze = self._y_ndim == (2 if module.return_sequences else 1)
        features = None if module.sequence_scaling is None else self._target_features
        shifts = getattr(self, "calibration_shifts_", None)
        return self._y_mean, self._y_scale, squeeze, features, shifts

    def _n_outputs(self, target):
        return target.shape[-1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class RNNClassifier(ClassifierMixin, BaseRNN):
    """Recurrent neural network classifier (LSTM, GRU or Elman RNN).

    Each sample is a sequence; the network reads it up to its last observed time
    step and maps the final hidden state to class probabilities (softmax, trained
    with cross-entropy), or, with ``return_sequences=True``, labels every time
    step (sequence tagging). Inputs are standardised inside the estimator.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
        Recurrent cell: :class:`torch.nn.LSTM`, :class:`torch.nn.GRU` or
        :class:`torch.nn.RNN`. On CPU the LSTM trains fastest, because only it has
        a fused kernel; GRUs of up to 64 units and RNNs train through skrnn's own
        backward pass there, 1.1 to 1.7 times faster than through torch's.
    hidden_size : int, default=64
        Number of features of the hidden state.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Whether to also read each sequence backwards; the head then sees both
        directions' final states.
    dropout : float, default=0.0
        Dropout probability between stacked layers and on the recurrent output
        that feeds the head.
    nonlinearity : {"tanh", "relu"}, default="tanh"
        Activation of ``cell="rnn"``; other cells only accept "tanh".
    head_layers : tuple of int, default=()
        Widths of fully connected ReLU layers between the recurrent output and
        the output layer: ``(8,)`` makes the head ``Dense(8) -> Dense(n_classes)``.
    return_sequences : bool, default=False
        False is many-to-one: one label per sequence, from its last observed
        step. True is sequence tagging: one label per time step. ``y`` then has
        shape ``(n_samples, n_timesteps)`` or is a list of per-sequence label
        arrays; padding steps are left out of the loss, predicted as None by
        :meth:`predict` and as NaN by :meth:`predict_proba`.
    max_epochs : int or "auto", default="auto"
        Number of passes over the training data; with ``early_stopping``, the
        most that are made. "auto" makes 50, or more on small training sets:
        enough for 500 gradient steps, e.g. 250 epochs for 40 sequences at
        ``batch_size=32``: a few dozen sequences make only one or two steps per
        epoch, and 50 epochs leave them undertrained. On large training sets it
        makes no more epochs than 2,500 steps take (at least one), e.g. 13 for
        6,400 sequences: more bought no accuracy there.
    batch_size : int, default=32
        Number of sequences per gradient step.
    lr : float, default=1e-2
        Learning rate. With gradient clipping, 1e-2 trained best over the
        benchmark tasks of the documentation; lower it for long training runs.
    lr_schedule : {"constant", "plateau", "cosine"}, default="constant"
        How the learning rate changes during a fit. "plateau" divides it by 5
        whenever the monitored loss (the validation loss with ``early_stopping``,
        else the training loss) has not improved by ``tol`` for
        ``n_iter_no_change // 2`` epochs; "cosine" anneals it to 0 over
        ``max_epochs``. Every call of ``fit`` starts again from ``lr``.
    optimizer : {"adam", "adamw", "rmsprop", "sgd"}, default="adam"
        Optimisation algorithm from :mod:`torch.optim`.
    weight_decay : float, default=0.0
        L2 penalty (decoupled for "adamw").
    clip_grad_norm : float or None, default=1.0
        Maximum norm of the gradient of all parameters together; None disables
        clipping. Clipping prevents the exploding gradients that leave recurrent
        networks stuck at chance accuracy on long sequences.
    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training samples,
        stop when their loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and restore the weights of the best epoch.
        Off by default: on the benchmark tasks it saved time but scored lower,
        having less data to learn from.
    validation_fraction : float, default=0.1
        Fraction of the training samples held out with ``early_stopping``.
    validation_split : {"stratified", "last", "random"}, default="stratified"
        Which samples are held out. "stratified" draws the same fraction of
        every class at random, which keeps all classes in both sets even when
        the training set is sorted by class, as UCR/UEA archives are. Use
        "last" when the samples are in time order (windows of one series), so
        that validation is on the most recent data and the future stays out of
        training.
    n_iter_no_change : int, default=20
        Number of epochs without improvement before early stopping stops. RNN
        losses often stall for a few epochs on small data before they fall
        again, and 10 stopped too early on the benchmark tasks.
    tol : float, default=1e-4
        Smallest decrease of the loss (cross-entropy) that counts as improvement.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as ``{label: weight}``; "balanced"
        weights each class by ``n_samples / (n_classes * count)`` (with
        :meth:`partial_fit`, counting all the data seen so far). They multiply
        ``sample_weight``.
    shuffle : bool, default=True
        Whether to shuffle the training sequences every epoch.
    warm_start : bool, default=False
        When True, ``fit`` continues training the fitted network for
        ``max_epochs`` more epochs instead of starting anew, with the current
        training parameters (``lr``, ``batch_size``, ...); changing an
        architecture parameter or ``optimizer`` then is an error.
    callbacks : list of skorch callbacks or (name, callback) pairs, default=None
        Extra :mod:`skorch.callbacks`, e.g. a ``Checkpoint``. They are copied at
        each fit and run before early stopping. The names "clip", "lr_schedule",
        "progress", "early_stopping" and "snapshot" are skrnn's own. A fit
        interrupted (Ctrl-C, ``KeyboardInterrupt``) inside an epoch goes back
        to the weights of its last completed epoch, whose model it keeps (and
        with none completed, the model it started from, or no model), and the
        interrupt goes on to the caller.
    cpu_backward : {"auto", "torch"}, default="auto"
        How GRU and RNN cells train on a CPU. "auto" takes skrnn's own backward
        pass for RNN cells and GRU cells of up to 64 units: it computes torch's
        gradients (to float rounding) in fewer, larger operations, and trains
        these cells faster than autograd does. "torch" always uses torch's
        autograd, e.g. to rule skrnn's pass out when a fit surprises you. LSTM
        cells, GPUs and prediction always use torch's own kernels.
    scaling : {"auto", "global", "mean_abs", "standard", "last"}, default="auto"
        How each sequence is scaled before the global standardisation of every
        feature. "global" (what "auto" means for a classifier) only
        standardises; the others first scale each feature of each sequence by
        its own statistics over its observed steps: "mean_abs" divides by the
        mean absolute value, "standard" subtracts the mean and divides by the
        standard deviation, "last" subtracts the last value and divides by the
        mean absolute value. Per-sequence scaling makes the class depend on the
        shape of a sequence, not on its level or size.
    categorical : None, "all", int or list of int, default=None
        The input features that hold integer codes rather than numbers, by
        position among the features per time step: token ids (2D input or
        lists of 1D sequences have one feature, so ``categorical="all"``), or
        a store number or weekday beside numeric features. Each goes through a
        learned embedding (:class:`torch.nn.Embedding`) instead of the scaling
        of the numeric features. The codes seen in ``fit`` (``categories_``) get
        an embedding each; at prediction any other code (a new word, a new
        store), and any negative code (pandas' ``.cat.codes`` marks a missing
        category with -1), reads as "unknown", whose embedding is zero. Codes
        must be integers from 0 to 16,777,215; NaN steps at either end of a
        sequence are padding, as for numeric input. None treats every feature
        as a number, integers included.
    embedding_size : int or "auto", default="auto"
        The width of each categorical feature's embedding. "auto" gives
        ``min(50, round(1.6 * n ** 0.56))`` for ``n`` codes seen in ``fit``
        plus the unknown one (fastai's rule): 5 for the 7 weekdays, 50 from
        about 470 codes on.
    device : str, default="cpu"
        Where to train and predict: "cpu", "cuda", "cuda:N", "mps", or "auto"
        for the best available. Calling ``set_params(device=...)`` on a fitted
        estimator moves the model.
    n_threads : "auto" or int, default="auto"
        The torch threads of ``fit`` and ``predict``; the caller's setting
        (``torch.get_num_threads()``) is given back afterwards. "auto" uses one
        thread for a model too small to gain from more (a time step of a
        batch under about two million multiply-adds: the default LSTM of 64
        units with batches of 32 on up to ~190 features), where a second thread
        gains nothing and costs several times the fit when another process
        holds a core; otherwise, and on an accelerator, it leaves torch's
        setting as it is.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation split.
        With an int, training on CPU is bit-for-bit reproducible for the same
        number of torch threads (see ``n_threads``). Fitting never
        changes the global numpy or torch random state; None draws fresh
        entropy from the OS.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar over the epochs with the training
        and validation loss and the epoch time; 2 prints a table, one row per
        epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the columns of :meth:`predict_proba`.
    n_features_in_ : int
        For 2D input, the number of columns (time steps), as in scikit-learn;
        for 3D and list input, the number of features per time step.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.
    is_categorical_ : ndarray of bool of shape (n_step_features,) or None
        Which features per time step are categorical; None without
        ``categorical``.
    categories_ : list of ndarray
        The codes seen in ``fit`` of each categorical feature, in order of
        position; empty without ``categorical``.
    scaling_ : str
        The scaling the network uses: "global" or the per-sequence statistic
        ("auto" resolved).
    net_ : skorch.NeuralNet
        The trained skorch net; its ``module_`` is the PyTorch model.
    device_ : torch.device
        The device the model lives on.
    n_epochs_ : int
        Number of epochs trained in total, over all calls of ``fit`` with
        ``warm_start`` and of ``partial_fit``.
    loss_curve_ : list of float
        Training loss (cross-entropy, weighted) per epoch.
    validation_loss_curve_ : list of float or None
        Validation loss per epoch, NaN for epochs trained without validation;
        None when no epoch was validated.
    best_epoch_ : int
        The epoch (counted from 1, over all epochs) whose weights the model
        holds: with ``early_stopping`` the best validated one, else the last.
    validation_indices_ : ndarray of int or None
        Indices, into the ``X`` of the last fit, of the samples held out for
        validation; None without ``early_stopping``.

    See Also
    --------
    RNNRegressor : The same network for regression.
    plot_history : Draw ``loss_curve_`` and ``validation_loss_curve_``.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 10, 2))  # 64 sequences, 10 steps, 2 features
    >>> y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    >>> clf = RNNClassifier(max_epochs=5, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (64, 2)
    >>> tagger = RNNClassifier(return_sequences=True, max_epochs=5)
    >>> tagger.fit(X, np.where(X[:, :, 0] > 0, "up", "down")).predict(X).shape
    (64, 10)
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseRNN._parameter_constraints,
        "class_weight": Constraint(
            "None, 'balanced' or a dict {label: weight}",
            lambda v: v is None or isinstance(v, dict) or _is_balanced(v),
        ),
    }

    def __init__(
        self,
        *,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        nonlinearity="tanh",
        head_layers=(),
        return_sequences=False,
        max_epochs="auto",
        batch_size=32,
        lr=1e-2,
        lr_schedule="constant",
        optimizer="adam",
        weight_decay=0.0,
        clip_grad_norm=1.0,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="stratified",
        n_iter_no_change=20,
        tol=1e-4,
        class_weight=None,
        shuffle=True,
        warm_start=False,
        callbacks=None,
        cpu_backward="auto",
        scaling="auto",
        categorical=None,
        embedding_size="auto",
        device="cpu",
        n_threads="auto",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            cell=cell,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            nonlinearity=nonlinearity,
            head_layers=head_layers,
            return_sequences=return_sequences,
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            lr_schedule=lr_schedule,
            optimizer=optimizer,
            weight_decay=weight_decay,
            clip_grad_norm=clip_grad_norm,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            validation_split=validation_split,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            shuffle=shuffle,
            warm_start=warm_start,
            callbacks=callbacks,
            cpu_backward=cpu_backward,
            scaling=scaling,
            categorical=categorical,
            embedding_size=embedding_size,
            device=device,
            n_threads=n_threads,
            random_state=random_state,
            verbose=verbose,
        )
        self.class_weight = class_weight

    def fit(self, X, y, sample_weight=None):
        """Train the network on sequences ``X`` and class labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences: 2D for univariate, 3D batch-first, or a list of arrays of
            shape ``(T_i, n_features)`` or ``(T_i,)`` of varying length. NaN time
            steps at either end of a 3D or list sequence are padding.
        y : array-like of shape (n_samples,)
            Class labels (numbers or strings), at least two distinct ones; with
            ``return_sequences``, ``(n_samples, n_timesteps)`` or a list of
            per-sequence label arrays.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (and the validation loss); integer
            weights act like repeating samples. With metadata routing, request
            it with ``set_fit_request(sample_weight=True)``.

        Returns
        -------
        self : RNNClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``X`` and ``y``, continuing any previous training.

        The first call builds the network and needs ``classes``. Neither early
        stopping nor ``lr_schedule`` apply: each call is one epoch at the
        learning rate ``lr``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.
        y : array-like of shape (n_samples,)
            Class labels, as in :meth:`fit`.
        classes : array-like of shape (n_classes,), default=None
            All the labels that any call will see; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : RNNClassifier
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _check_classes(self, classes, incremental):
        if not incremental:
            return
        if classes is None and not self.__sklearn_is_fitted__():
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the "
                "labels of every class any later call may see."
            )
        if (
            classes is not None
            and self.__sklearn_is_fitted__()
            and not np.array_equal(np.unique(classes), self.classes_)
        ):
            raise ValueError(
                f"classes={list(np.unique(classes))} differs from the classes of "
                f"the first call to partial_fit, {list(self.classes_)}."
            )

    def predict_proba(self, X):
        """Class probabilities for sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; each row sums to 1. With
            ``return_sequences``, ``(n_samples, n_timesteps, n_classes)``, NaN at
            padding steps.
        """
        sequences, logits = self._forward(X)
        proba = softmax(logits)
        observed = observed_steps(sequences)
        if self.net_.module_.return_sequences and observed is not None:
            proba[~observed] = np.nan
        return proba

    def predict(self, X):
        """Predict class labels for sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``. With ``return_sequences``, ``(n_samples,
            n_timesteps)``; when some sequences are padded, an object array with
            None at the padding steps.
        """
        sequences, logits = self._forward(X)
        return self._decode(logits, sequences)

    def score(self, X, y, sample_weight=None):
        """Accuracy; per observed time step with ``return_sequences``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.
        y : array-like
            True labels, shaped as in :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample.

        Returns
        -------
        score : float
            The fraction of correct labels.
        """
        if not self._returns_sequences():
            return super().score(X, y, sample_weight=sample_weight)
        return self._per_step_score(X, y, sample_weight, accuracy_score)

    def _decode(self, logits, sequences):
        labels = self.classes_[logits.argmax(axis=-1)]
        observed = observed_steps(sequences)
        if self.net_.module_.return_sequences and observed is not None:
            labels = labels.astype(object)
            labels[~observed] = None
        return labels

    def _encode_target(self, y, sequences, reset, classes=None):
        if self.return_sequences:
            labels, observed = per_step_targets(y, sequences, numeric=False)
            seen = labels if observed is None else labels[observed]
        else:
            labels = seen = column_or_1d(y, warn=True)
            observed = None
        check_classification_targets(seen.ravel())
        if reset:
            self.classes_ = np.unique(seen if classes is None else classes)
            if len(self.classes_) == 0:
                raise ValueError("y is empty; give one label per sequence of X.")
            if len(self.classes_) < 2:
                raise ValueError(
                    "RNNClassifier needs at least 2 classes in y, but y contains "
                    f"only 1 class: {self.classes_[0]!r}."
                )
        unknown = ~np.isin(seen, self.classes_)
        if unknown.any():
            raise ValueError(
                f"y contains labels that are not in classes_ {list(self.classes_)}: "
                f"{list(np.unique(seen[unknown]))}."
            )
        target = np.zeros(labels.shape, dtype=np.int64)
        if observed is None:
            target[...] = np.searchsorted(self.classes_, labels)
        else:
            target[observed] = np.searchsorted(self.classes_, seen)
        return target, observed

    def _class_weights(self, target, observed, incremental):
        seen = target.ravel() if observed is None else target[observed]
        counts = np.bincount(seen, minlength=len(self.classes_))
        if incremental and hasattr(self, "_class_counts"):
            counts = counts + self._class_counts
        self._class_counts = counts
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, dict):
            return compute_class_weight(
                self.class_weight, classes=self.classes_, y=self.classes_[seen]
            )
        # n_samples / (n_classes * count), as sklearn's "balanced"; partial_fit
        # counts all the data seen so far.
        present = counts > 0
        weights = np.ones(len(counts))
        weights[present] = counts.sum() / (present.sum() * counts[present])
        return weights

    def _n_outputs(self, target):
        return len(self.classes_)


def _reject_missing_targets(y):
    """A NaN target is an error that names its usual cause: a shifted column."""
    missing = np.isnan(y).reshape(len(y), -1).any(axis=1)
    if not missing.any():
        return
    n_missing = int(missing.sum())
    where = ""
    if missing[-n_missing:].all():
        where = f": the last {n_missing}" if n_missing > 1 else ": the last one"
    raise ValueError(
        f"Input y contains NaN, in {n_missing} of {len(y)} rows{where}. A target "
        "made with shift(-h) has no value in the last h rows: drop them (X[:-h], "
        "y[:-h]), or make X and y with skrnn.future_targets(table, target, "
        "horizon=h), which leaves them out."
    )


# Targets are standardised by their variance, which overflows float64 beyond this.
_MAX_TARGET = 1e150


def check_target_range(y, units=""):
    """Raise unless the targets can be standardised (their variance is finite)."""
    if y.size and np.abs(y).max() > _MAX_TARGET:
        raise ValueError(
            f"y has values up to {np.abs(y).max():.3g}{' ' + units if units else ''}, "
            "too large to scale "
            f"(beyond {_MAX_TARGET:g}, their variance overflows); rescale y, e.g. "
            "divide it by a power of 10, or model its log."
        )


def _naive_beats_mean(sequences, target, observed, weight, features):
    """Whether the target feature's last value (per step: its current value)
    predicts the targets better than their mean does, over the samples that
    ``weight`` counts: targets in the units of that input feature, as forecasts
    are."""
    values = sequences.values
    n_samples, n_timesteps = values.shape[:2]
    weight = np.ones(n_samples) if weight is None else weight
    if target.ndim == 3:
        naive = np.asarray(values[:, :, list(features)], dtype=np.float64)
        weight = np.repeat(weight[:, np.newaxis], n_timesteps, axis=1)
        if observed is not None:
            target, naive, weight = target[observed], naive[observed], weight[observed]
    else:
        if sequences.lengths is None:
            last = np.full(n_samples, n_timesteps - 1)
        else:
            last = sequences.starts + sequences.lengths - 1
        naive = np.asarray(values[np.arange(n_samples), last], dtype=np.float64)
        naive = naive[:, list(features)]
    target = target.reshape(-1, target.shape[-1])
    naive = naive.reshape(target.shape)
    weight = weight.reshape(-1, 1)
    mean = (target * weight).sum(axis=0) / weight.sum()
    return bool(
        (weight * (target - naive) ** 2).sum() < (weight * (target - mean) ** 2).sum()
    )


def _is_balanced(value):
    return isinstance(value, str) and value == "balanced"
