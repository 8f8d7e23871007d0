"""The machinery RNNRegressor and RNNClassifier share: fit, continue, predict.

The scikit-learn side only: parameters are checked against the table in
``_parameter_constraints`` (``_params.py``), inputs converted by
``_validation.py``, scaled by ``_scaling.py``, and the network built, trained
and queried through the skorch boundary, ``_net.py``.
"""

from contextlib import contextmanager
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.utils import TransformerTags
from sklearn.utils.validation import check_is_fitted

from . import _net
from ._categorical import (
    CATEGORICAL,
    EMBEDDING_SIZE,
    categorical_features,
    check_codes,
    code_ranges,
    embedding_sizes,
    vocabularies,
)
from ._onnx import export_onnx
from ._params import (
    BOOLEAN,
    NONE,
    RANDOM_STATE,
    Constraint,
    check_head_layers,
    check_nonlinearity,
    check_positive_int,
    check_stratified_split,
    either,
    integer,
    literal,
    options,
    plain,
    real,
    validate_params,
)
from ._scaling import SEQUENCE_STATISTICS, feature_moments, sequence_moments
from ._streaming import StreamState, check_method
from ._training import (
    CALLBACKS,
    RESERVED_CALLBACKS,
    best_epoch,
    check_callback_names,
    epochs_per_fit,
    training_callbacks,
    validation_rows,
)
from ._validation import (
    InputLayout,
    check_sample_weight,
    check_targets_length,
    check_y_given,
    observed_steps,
    per_step_targets,
    resolve_device,
    thread_count,
    torch_threads,
    validate_sequences,
)

# Parameters fixed once the network exists; warm_start cannot change them.
ARCHITECTURE = (
    "cell",
    "hidden_size",
    "num_layers",
    "bidirectional",
    "dropout",
    "nonlinearity",
    "head_layers",
    "return_sequences",
    "optimizer",
    "cpu_backward",
    "scaling",
    "categorical",
    "embedding_size",
)


class SequenceInput:
    """Validation of sequence input for every skrnn estimator of sequences:
    what ``fit`` saw is recorded, and later input is checked against it; and
    the names of ``transform``'s columns, whose number subclasses give."""

    def _validate_sequences(self, X, *, reset):
        """Validated sequences of ``X``; on ``reset``, record what was fitted on."""
        if reset:
            sequences = validate_sequences(self, X)
            n_step_features = sequences.values.shape[2]
            self._fitted_on_2d = sequences.from_2d
            self._n_step_features = n_step_features
            # The length of every training sequence, when they share one (windows
            # of a series): the forecast helpers check their window against it.
            self._window = (
                sequences.values.shape[1] if sequences.lengths is None else None
            )
            if not sequences.from_2d:
                # For 3D and list input, features per step (2D: validate_data's).
                self.n_features_in_ = n_step_features
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
            return sequences
        fitted = InputLayout(self._fitted_on_2d, self._n_step_features)
        return validate_sequences(self, X, fitted=fitted)

    def get_feature_names_out(self, input_features=None):
        """Names of the :meth:`transform` output: ``"<class>0"``, ``"<class>1"``, ...

        Parameters
        ----------
        input_features : ignored
            Present for the scikit-learn API.

        Returns
        -------
        names : ndarray of str objects
        """
        check_is_fitted(self)
        # As scikit-learn names a transformer's own features: the lowercase
        # class name and the column's position.
        prefix = type(self).__name__.lower()
        return np.asarray(
            [f"{prefix}{i}" for i in range(self._n_columns_out())], dtype=object
        )

    def _n_columns_out(self):
        """The number of columns ``transform`` returns (per time step)."""
        raise NotImplementedError

    def start_stream(self, n_sequences=1):
        """Start a stream of ``n_sequences`` sequences; see
        :func:`skrnn.start_stream`.

        Parameters
        ----------
        n_sequences : int, default=1
            The number of sequences fed side by side.

        Returns
        -------
        state : StreamState
            The zero state ``predict`` starts every sequence from.
        """
        check_is_fitted(self)
        self._check_streamable()
        check_positive_int("n_sequences", n_sequences)
        return StreamState(int(n_sequences))

    def predict_stream(self, X, state, *, method="predict"):
        """Read new time steps on from ``state``; see :func:`skrnn.predict_stream`.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_new_steps[, n_features])
            The next steps of every sequence (2D for a univariate model), all
            observed.
        state : StreamState
            From :meth:`start_stream` or the last call; not changed.
        method : {"predict", "predict_proba"}, default="predict"
            What to return (``"predict_proba"`` for a classifier that has it).

        Returns
        -------
        y : ndarray
            What ``method`` gives on each whole sequence so far: after its last
            step, or for each new step with ``return_sequences``.
        state : StreamState
            The stream after the new steps.
        """
        check_is_fitted(self)
        self._check_streamable()
        if not isinstance(state, StreamState) or state.rows is not None:
            raise TypeError(
                "state must be a StreamState from this estimator's start_stream, "
                f"got {type(state).__name__}."
            )
        check_method(self, method)
        if getattr(X, "ndim", np.ndim(X)) == 2:  # univariate steps, any number
            X = np.asarray(X)[:, :, np.newaxis]
        sequences = self._validate_sequences(X, reset=False)
        if sequences.lengths is not None:
            raise ValueError(
                "X holds time steps that are all NaN: a stream has no padding, "
                "every new step must be observed."
            )
        if len(sequences.values) != state.n_sequences:
            raise ValueError(
                f"X holds {len(sequences.values)} sequences, but the stream has "
                f"{state.n_sequences}: feed the same number of steps to each."
            )
        y, hidden = self._stream(sequences, state, method)
        n_steps = state.n_steps + sequences.values.shape[1]
        return y, StreamState(state.n_sequences, n_steps, hidden)

    def _check_streamable(self):
        """Raise a ValueError that says why the fitted model cannot stream."""

    def _stream(self, sequences, state, method):
        """``method``'s output after the validated new steps, read on from
        ``state``, and the new ``StreamState.hidden``."""
        raise NotImplementedError

    def _categorical_features(self):
        """The positions of the fitted input's categorical features."""
        return ()


class BaseRNN(SequenceInput, BaseEstimator):
    """Shared fit/predict machinery; subclasses define the target and the loss."""

    _architecture: ClassVar[tuple] = ARCHITECTURE

    _parameter_constraints: ClassVar[dict] = {
        "cell": options("gru", "lstm", "rnn"),
        "hidden_size": integer(1),
        "num_layers": integer(1),
        "bidirectional": BOOLEAN,
        "dropout": real("in [0, 1)", lambda v: 0 <= v < 1),
        "nonlinearity": options("relu", "tanh"),
        "head_layers": Constraint(
            "a tuple of layer widths, e.g. (8,) or () for none",
            lambda v: isinstance(v, (tuple, list)),
        ),
        "return_sequences": BOOLEAN,
        "max_epochs": either(literal("auto"), integer(1)),
        "batch_size": integer(1),
        "lr": real("in (0, 1e6]", lambda v: 0 < v <= 1e6),
        "lr_schedule": options("constant", "cosine", "plateau"),
        "optimizer": options("adam", "adamw", "rmsprop", "sgd"),
        "weight_decay": real("in [0, 1e6]", lambda v: 0 <= v <= 1e6),
        "clip_grad_norm": either(NONE, real("> 0", lambda v: v > 0)),
        "early_stopping": BOOLEAN,
        "validation_fraction": real("in (0, 1)", lambda v: 0 < v < 1),
        "validation_split": options("last", "random", "stratified"),
        "n_iter_no_change": integer(1),
        "tol": real(">= 0", lambda v: v >= 0),
        "shuffle": BOOLEAN,
        "warm_start": BOOLEAN,
        "callbacks": CALLBACKS,
        "cpu_backward": options("auto", "torch"),
        "scaling": options("auto", "global", *SEQUENCE_STATISTICS),
        "categorical": CATEGORICAL,
        "embedding_size": EMBEDDING_SIZE,
        "n_threads": either(literal("auto"), integer(1)),
        "random_state": RANDOM_STATE,
        "verbose": integer(0),
    }
    # Rules over several parameters, checked after the table. (The device is
    # checked by resolving it: whether it exists depends on the machine.)
    _parameter_rules: ClassVar[tuple] = (
        check_head_layers,
        check_nonlinearity,
        check_stratified_split,
        check_callback_names,
    )

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
        categorical=None,
        embedding_size="auto",
        device="cpu",
        n_threads="auto",
        random_state=None,
        verbose=0,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.nonlinearity = nonlinearity
        self.head_layers = head_layers
        self.return_sequences = return_sequences
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.clip_grad_norm = clip_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.cpu_backward = cpu_backward
        self.scaling = scaling
        self.categorical = categorical
        self.embedding_size = embedding_size
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        validate_params(self)
        self._check_classes(classes, incremental)
        device = resolve_device(self.device)
        continuing = (self.warm_start or incremental) and self.__sklearn_is_fitted__()
        if continuing:
            self._check_architecture()
        sequences = self._validate_sequences(X, reset=not continuing)
        check_y_given(self, y)
        n_samples = len(sequences.values)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, n_samples)
            if (sample_weight == sample_weight[0]).all():
                sample_weight = None  # uniform: the same fit, bit for bit
        target, observed = self._encode_target(
            y, sequences, reset=not continuing, classes=classes
        )
        check_targets_length(sequences, target)
        seed = _draw_seed(self.random_state)
        held_out = None
        held = self._held_out_rows(n_samples, incremental, seed)
        if held is not None:  # the last samples; the fit sees only the others
            n_samples = int(held[0])
            rows, kept = slice(n_samples, None), slice(0, n_samples)
            held_out = (held, _take(sequences, rows), target[rows])
            sequences, target = _take(sequences, kept), target[kept]
            if observed is not None:
                observed = observed[kept]
            if sample_weight is not None:
                sample_weight = sample_weight[kept]
        valid_rows = None
        if self.early_stopping and not incremental:
            # From the fit's own seed: a continued fit keeps the same split.
            valid_rows = validation_rows(
                self.validation_split, self.validation_fraction, n_samples, target, seed
            )
        # Scaling statistics weigh samples as the loss does, and never see the
        # validation samples.
        fit_weight = sample_weight
        if valid_rows is not None:
            fit_weight = np.ones(n_samples) if fit_weight is None else fit_weight.copy()
            fit_weight[valid_rows] = 0.0
            if not fit_weight.any():
                raise ValueError(
                    "Every training sample outside the validation split has "
                    "sample_weight 0, so there is nothing to train on; check "
                    "sample_weight, or fit without early_stopping."
                )
        if continuing:
            statistic = self.net_.module_.sequence_scaling
        else:
            statistic = self._choose_scaling(sequences, target, observed, fit_weight)
        # Each sequence's own (location, scale) per feature, for the input and the
        # target statistics alike.
        moments = None
        if statistic is not None:
            moments = sequence_moments(sequences.values, statistic)
        target = self._standardise(
            target, observed, fit_weight, moments, reset=not continuing
        )
        weight = self._loss_weights(sample_weight, target, observed, incremental)
        if observed is not None:
            observed = torch.from_numpy(observed.astype(np.float32))
        dataset = _net.SequenceDataset(
            sequences,
            torch.from_numpy(target),
            observed=observed,
            weight=None if weight is None else torch.from_numpy(weight),
        )
        if continuing:
            # Fresh dropout masks for the new epochs, still reproducible.
            seed = int(
                np.random.SeedSequence([seed, self.n_epochs_]).generate_state(1)[0]
            )
        n_train = n_samples - (0 if valid_rows is None else len(valid_rows))
        epochs = 1 if incremental else epochs_per_fit(self, n_train)
        callbacks = training_callbacks(
            self,
            epochs=epochs,
            validating=valid_rows is not None,
            incremental=incremental,
        )
        threads = thread_count(self, device, sequences.values.shape[-1])
        with _seeded_torch(seed, device), torch_threads(threads):
            if continuing:
                _net.continue_net(
                    self.net_, training=_net.training_params(self), device=device
                )
            else:
                self.net_ = self._build_net(
                    sequences, target, device, seed, fit_weight, statistic, moments
                )
            try:
                fitted = _net.train(
                    self.net_,
                    dataset,
                    valid_rows=valid_rows,
                    callbacks=callbacks,
                    epochs=epochs,
                    transient=RESERVED_CALLBACKS,
                )
            except _net.NonFiniteLossError:
                # Its weights are NaN: leave the estimator unfitted, not broken.
                del self.net_
                raise
            except KeyboardInterrupt:
                # The net is back at its last completed epoch: keep that model,
                # or none if not one epoch was ever completed.
                if not _net.losses(self.net_)[0]:
                    del self.net_
                else:
                    self._record_history(valid_rows, None)
                    self.device_ = device
                    self._calibrate(None)
                raise
        self._record_history(valid_rows, best_epoch(fitted))
        self.device_ = device
        self._calibrate(held_out)
        return self

    def _check_classes(self, classes, incremental):
        """Subclasses check ``partial_fit``'s ``classes`` argument."""

    def _held_out_rows(self, n_samples, incremental, seed):
        """The indices of the last samples a fit holds out to calibrate on (a
        regressor's ``calibration``), or None."""
        return None

    def _calibrate(self, held_out):
        """Calibrate on ``held_out``: its indices, validated sequences and
        encoded targets (None: nothing held out)."""

    def _record_history(self, valid_rows, best_epoch):
        train_losses, valid_losses = _net.losses(self.net_)
        self.n_epochs_ = len(train_losses)
        self.loss_curve_ = train_losses
        if valid_rows is not None:
            self.validation_indices_ = valid_rows
            # (None: interrupted, the weights are the last epoch's)
            self.best_epoch_ = best_epoch or self.n_epochs_
        else:
            self.validation_indices_ = None
            self.best_epoch_ = self.n_epochs_
        self.validation_loss_curve_ = (
            None if np.isnan(valid_losses).all() else valid_losses
        )

    def _choose_scaling(self, sequences, target, observed, weight):
        """The per-sequence statistic a new fit scales by; None for global scaling.

        Classifiers scale per sequence only when ``scaling`` names a statistic.
        """
        return self.scaling if self.scaling in SEQUENCE_STATISTICS else None

    @property
    def scaling_(self):
        """The scaling the fitted network uses: "global" or a per-sequence
        statistic ("auto" resolved)."""
        check_is_fitted(self)
        return self.net_.module_.sequence_scaling or "global"

    def _build_net(
        self, sequences, target, device, seed, sample_weight, statistic, moments
    ):
        # Codes of validation samples stay unknown: their embeddings never train.
        features = self._categorical_features()
        self.categories_ = vocabularies(sequences.values, features, sample_weight)
        module_params = {
            "n_features": sequences.values.shape[2],
            "n_outputs": self._n_outputs(target),
            "cell": self.cell,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "nonlinearity": self.nonlinearity,
            "return_sequences": self.return_sequences,
            "head_layers": tuple(self.head_layers),
            "cpu_backward": self.cpu_backward,
            "sequence_scaling": statistic,
            "quantiles": self._quantile_levels(),
            "categorical": features,
            "n_categories": tuple(len(c) for c in self.categories_),
            "code_ranges": code_ranges(self.categories_),
            "embedding_sizes": embedding_sizes(self.embedding_size, self.categories_),
        }
        module_params = {name: plain(value) for name, value in module_params.items()}
        check_network_size(module_params)
        net = _net.new_net(
            module_params,
            classifier=is_classifier(self),
            optimizer=self.optimizer,
            training=_net.training_params(self),
            device=device,
            seed=seed,
        )
        self._built_with = {name: getattr(self, name) for name in self._architecture}
        numeric = [f for f in range(sequences.values.shape[2]) if f not in features]
        net.module_.set_input_scaling(
            *(
                moment[numeric]
                for moment in feature_moments(sequences.values, sample_weight, moments)
            )
        )
        net.module_.set_vocabularies(self.categories_)
        return net

    def _quantile_levels(self):
        """The quantile levels a new network predicts; None for one value."""
        return None

    def _check_architecture(self):
        for name, built in self._built_with.items():
            if getattr(self, name) != built:
                raise ValueError(
                    f"{name} changed from {built!r} to {getattr(self, name)!r}, but "
                    "warm_start=True and partial_fit continue the fitted network; "
                    "set warm_start=False and call fit to train a new one."
                )

    def _loss_weights(self, sample_weight, target, observed, incremental):
        """Loss weights of mean 1 shaped like the unreduced loss, None if uniform.

        They combine ``sample_weight`` with the classifier's ``class_weight``; for
        per-step targets a sample's weight applies to each of its time steps.
        """
        weight = np.ones(len(target)) if sample_weight is None else sample_weight
        if self.return_sequences:
            weight = np.repeat(weight[:, None], target.shape[1], axis=1)
        class_weight = self._class_weights(target, observed, incremental)
        if class_weight is not None:
            weight = weight * class_weight[target]
        counted = weight if observed is None else weight[observed]
        if not counted.any():
            raise ValueError(
                "The loss weights of all samples are zero, so there is nothing to "
                "train on; check class_weight for zeros."
            )
        if (counted == counted[0]).all():
            return None
        return (weight / counted.mean()).astype(np.float32)

    def _standardise(self, target, observed, weight, moments, reset):
        return target

    def _class_weights(self, target, observed, incremental):
        return None

    def _validate_sequences(self, X, *, reset):
        sequences = super()._validate_sequences(X, reset=reset)
        if reset:
            features = categorical_features(self.categorical, self._n_step_features)
            self.is_categorical_ = None
            if features:
                self.is_categorical_ = np.isin(
                    np.arange(self._n_step_features), features
                )
        check_codes(sequences.values, self._categorical_features(), fitting=reset)
        return sequences

    def _categorical_features(self):
        # (getattr: files saved before categorical input have no is_categorical_)
        mask = getattr(self, "is_categorical_", None)
        return () if mask is None else tuple(int(f) for f in np.flatnonzero(mask))

    def _forward(self, X):
        """Validated sequences and the raw network outputs for ``X`` (float64)."""
        check_is_fitted(self)
        sequences = self._validate_sequences(X, reset=False)
        return sequences, self._outputs(sequences)

    def _outputs(self, sequences):
        """The raw network outputs for validated ``sequences`` (float64)."""
        threads = thread_count(self, self.device_, sequences.values.shape[-1])
        with torch_threads(threads):
            out = _net.predict_outputs(self.net_, sequences)
        if not np.isfinite(out).all():  # never an answer made of NaN
            raise ValueError(
                "The network's outputs are not finite for some of these sequences: "
                "its weights hold NaN or inf, or the input is far outside what it "
                "was trained on. Refit it (with a lower lr if training diverged)."
            )
        return out

    def transform(self, X):
        """The learned representation of each sequence: what the head reads.

        For feeding a fitted network's features to another model (PCA,
        clustering, gradient boosting) inside a Pipeline. Padding does not
        change it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in ``fit``.

        Returns
        -------
        states : ndarray of shape (n_samples, n_states)
            The final hidden state of the last layer (``n_states`` is
            ``hidden_size``, twice that for bidirectional cells: both
            directions' final states); with ``return_sequences``, ``(n_samples,
            n_timesteps, n_states)``, the state at every step, NaN at padding.
        """
        check_is_fitted(self)
        sequences = self._validate_sequences(X, reset=False)
        threads = thread_count(self, self.device_, sequences.values.shape[-1])
        with torch_threads(threads):
            states = _net.predict_states(self.net_, sequences)
        if self.net_.module_.return_sequences:
            observed = observed_steps(sequences)
            if observed is not None:
                states[~observed] = np.nan
        return states

    def _stream(self, sequences, state, method):
        threads = thread_count(self, self.device_, sequences.values.shape[-1])
        with torch_threads(threads):
            out, hidden = _net.stream_outputs(self.net_, sequences.values, state.hidden)
        y = self._decode(out, sequences) if method == "predict" else softmax(out)
        return y, hidden

    def _check_streamable(self):
        module = self.net_.module_
        if module.rnn.bidirectional:
            raise ValueError(
                "A bidirectional network cannot stream: its backward direction "
                "reads each sequence from its end, which a stream has not reached."
            )
        if module.sequence_scaling is not None:
            raise ValueError(
                f"This model scales each sequence by statistics of all its steps "
                f"(scaling_={module.sequence_scaling!r}), which change with every "
                "new step, so a stream cannot carry its state. Serve it on windows "
                "(a Pipeline with a SequenceWindower streams by keeping the last "
                "window rows), or fit with scaling='global'."
            )

    def fit_transform(self, X, y, **fit_params):
        """Fit, then return :meth:`transform` of ``X``."""
        return self.fit(X, y, **fit_params).transform(X)

    def _n_columns_out(self):
        rnn = self.net_.module_.rnn
        return rnn.hidden_size * (2 if rnn.bidirectional else 1)

    def _returns_sequences(self):
        check_is_fitted(self)
        return self.net_.module_.return_sequences

    def _per_step_score(self, X, y, sample_weight, metric):
        """``metric`` over the observed time steps, each weighted by its sample."""
        sequences, out = self._forward(X)
        y_true, observed = per_step_targets(y, sequences, numeric=is_regressor(self))
        if observed is None:
            observed = np.ones(y_true.shape[:2], dtype=bool)
        weight = None
        if sample_weight is not None:
            weight = check_sample_weight(sample_weight, len(y_true))
            weight = np.broadcast_to(weight[:, None], observed.shape)[observed]
        y_pred = self._decode(out, sequences)
        return float(metric(y_true[observed], y_pred[observed], sample_weight=weight))

    def to_onnx(self, path, *, opset_version=None, stream=False):
        """Export the fitted network to an ONNX file, with its scaling.

        The graph computes what :meth:`predict` (and, for a classifier,
        :meth:`predict_proba`) compute once the input is validated: it
        standardises ``X``, reads NaN time steps at either end of a sequence as
        padding and, for a regressor, returns targets in their own units. What
        precedes the estimator (a :class:`SequenceWindower`, say) is not part of
        it. It needs the ``export`` extra: ``pip install 'skrnn[export]'``.

        Parameters
        ----------
        path : str or path-like
            The ``.onnx`` file to write.
        opset_version : int, default=None
            ONNX opset to target; None takes torch's default.
        stream : bool, default=False
            Export one call of :meth:`predict_stream` instead: the graph takes
            the new steps and the recurrent state, and returns the predictions
            after them and the new state (see Notes).

        Notes
        -----
        The graph has one input, ``X``: float32 of shape ``(batch, timesteps,
        n_features)``, for any batch size and any number of time steps (reshape
        2D univariate input to ``(batch, timesteps, 1)``); categorical features
        hold their codes, which the graph maps to their embeddings (any code
        unseen in ``fit`` to the unknown one). Its outputs are:

        - regressor: ``predictions``, float64, shaped like :meth:`predict`'s
          result;
        - classifier: ``label``, int64, the index into ``classes_`` of the
          predicted class, and ``probabilities``, float32, shaped like
          :meth:`predict_proba`'s result.

        Where :meth:`predict` would raise an error for a sequence (a NaN inside
        it or in part of a time step, or no observed step), the graph outputs
        NaN, and label -1. Per-step outputs at padding steps are NaN (label -1).

        With ``stream=True`` (unidirectional networks without per-sequence
        scaling, as for :meth:`predict_stream`), the graph has the inputs
        ``X``, the new steps (every one observed), and ``h``, float32
        ``(num_layers, batch, hidden_size)``: the final hidden states of the
        steps before (zeros at the start, as in :meth:`start_stream`), and for
        an LSTM ``c``, its cell states. It outputs what the graph above
        outputs after the new steps (for each new step with
        ``return_sequences``) and ``h_out`` (and ``c_out``), the state to pass
        with the next steps. A :class:`StreamState`'s ``hidden`` holds these
        arrays.

        The export uses torch's TorchScript-based exporter (``dynamo=False``),
        which writes ONNX's recurrent operators: they take the sequence length
        from the data, where torch's newer exporter unrolls the recurrence over
        a fixed number of time steps.
        """
        check_is_fitted(self)
        if stream:
            self._check_streamable()
        export_onnx(
            self.net_.module_,
            path,
            target_scaling=self._target_scaling(),
            opset_version=opset_version,
            stream=stream,
        )

    def _target_scaling(self):
        """``(mean, scale, squeeze)`` of a regressor's targets; None to classify."""
        return None

    def set_params(self, **params):
        """Set parameters; on a fitted estimator, ``device`` also moves the model."""
        if "device" not in params or not self.__sklearn_is_fitted__():
            return super().set_params(**params)
        # Resolved first: an unavailable device changes nothing.
        device = resolve_device(params["device"])
        super().set_params(**params)
        if device != self.device_:  # the same device: touch nothing
            _net.move_net(self.net_, device)
            self.device_ = device
        return self

    def __setstate__(self, state):
        super().__setstate__(state)
        if "net_" in state:
            self.device_ = _net.net_device(self.net_)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        # transform gives the learned states, float64 whatever the input.
        tags.transformer_tags = TransformerTags(preserves_dtype=["float64"])
        return tags


# The most parameters a network may have: 2**31 float32 weights take 8 GB.
_MAX_PARAMETERS = 2**31


def check_network_size(module_params):
    """Raise a ValueError before building a network too large to allocate."""
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[module_params["cell"]]
    hidden = module_params["hidden_size"]
    directions = 2 if module_params["bidirectional"] else 1
    width = module_params["n_features"] + sum(module_params["embedding_sizes"])

    def layer(n_inputs):
        return directions * gates * hidden * (n_inputs + hidden + 2)

    total = layer(width) + (module_params["num_layers"] - 1) * layer(
        directions * hidden
    )
    if total > _MAX_PARAMETERS:
        raise ValueError(
            f"hidden_size={hidden} and num_layers={module_params['num_layers']} "
            f"make a network of about {total:.2g} weights ({4 * total / 2**30:.3g} "
            "GB), more than skrnn builds; choose smaller ones."
        )


def softmax(logits):
    """Probabilities of the logits' last axis (float64 numpy)."""
    proba = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return proba / proba.sum(axis=-1, keepdims=True)


def _take(sequences, rows):
    """The validated ``sequences`` at ``rows`` (a slice keeps a view)."""
    return sequences._replace(
        **{
            name: None if value is None else value[rows]
            for name, value in (
                ("values", sequences.values),
                ("starts", sequences.starts),
                ("lengths", sequences.lengths),
            )
        }
    )


def _draw_seed(random_state):
    """A seed for torch, drawn without touching numpy's global random state."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    return int(random_state)  # an int, as _parameter_constraints checked


@contextmanager
def _seeded_torch(seed, device):
    """Seed torch for the duration of a fit and restore its global state after."""
    if device.type == "cpu":
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(seed)
            yield
        return
    with torch.random.fork_rng(devices=[device.index or 0], device_type=device.type):
        torch.manual_seed(seed)
        yield
