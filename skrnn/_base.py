"""The machinery RNNRegressor and RNNClassifier share: fit, continue, predict."""

from contextlib import contextmanager

import numpy as np
import torch
from sklearn.base import BaseEstimator, is_regressor
from sklearn.utils.validation import check_is_fitted
from skorch.helper import predefined_split

from ._module import RecurrentNet
from ._net import BatchIterator, Net, NonFiniteLossError, SequenceDataset
from ._onnx import to_onnx
from ._training import (
    RESERVED_CALLBACKS,
    check_callbacks,
    epochs_per_fit,
    training_callbacks,
    validation_rows,
)
from ._validation import (
    check_params,
    check_sample_weight,
    check_targets_length,
    feature_moments,
    per_step_targets,
    resolve_device,
    validate_sequences,
)

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}

# Parameters fixed once the network exists; warm_start cannot change them.
_ARCHITECTURE = (
    "cell",
    "hidden_size",
    "num_layers",
    "bidirectional",
    "dropout",
    "nonlinearity",
    "head_layers",
    "return_sequences",
    "optimizer",
)

# Batches at prediction time: large enough to amortise per-batch overhead.
_PREDICT_BATCH_SIZE = 1024


class BaseRNN(BaseEstimator):
    """Shared fit/predict machinery; subclasses define the target and the loss."""

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
        device="cpu",
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
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        check_params(self)
        check_callbacks(self.callbacks)
        device = resolve_device(self.device)
        continuing = (self.warm_start or incremental) and self.__sklearn_is_fitted__()
        if continuing:
            self._check_architecture()
        sequences = validate_sequences(self, X, reset=not continuing)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is "
                "None."
            )
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
        target = self._standardise(target, observed, fit_weight, reset=not continuing)
        weight = self._loss_weights(sample_weight, target, observed, incremental)
        if observed is not None:
            observed = torch.from_numpy(observed.astype(np.float32))
        dataset = SequenceDataset(
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
        with _seeded_torch(seed, device):
            if continuing:
                self._update_net(device)
            else:
                self.net_ = self._build_net(sequences, target, device, seed, fit_weight)
            best_epoch = self._train(dataset, valid_rows, incremental)
        self._record_history(valid_rows, best_epoch)
        self.device_ = device
        return self

    def _train(self, dataset, valid_rows, incremental):
        net = self.net_
        if valid_rows is None:
            net.train_split = None
        else:
            train_rows = np.setdiff1d(np.arange(len(dataset)), valid_rows)
            net.train_split = predefined_split(dataset.take(valid_rows))
            dataset = dataset.take(train_rows)
        epochs = 1 if incremental else epochs_per_fit(self, len(dataset))
        net.callbacks = training_callbacks(
            self,
            epochs=epochs,
            validating=valid_rows is not None,
            incremental=incremental,
        )
        net.initialize_callbacks()
        try:
            net.partial_fit(dataset, None, epochs=epochs)
        except NonFiniteLossError:
            # Its weights are NaN: leave the estimator unfitted, not broken.
            del self.net_
            raise
        finally:
            # The fitted model must not keep the validation data (in the split),
            # nor what skrnn's callbacks hold: a copy of the best weights and the
            # schedule's reference to the optimizer, which would be pickled twice
            # and left on the training device.
            net.train_split = None
            stopper = dict(net.callbacks_).get("early_stopping")
            net.drop_callbacks(RESERVED_CALLBACKS)
        return None if stopper is None else stopper.best_epoch_

    def _record_history(self, valid_rows, best_epoch):
        history = self.net_.history
        self.n_epochs_ = len(history)
        self.loss_curve_ = [float(row["train_loss"]) for row in history]
        validated = [float(row.get("valid_loss", np.nan)) for row in history]
        if valid_rows is not None:
            self.validation_indices_ = valid_rows
            self.best_epoch_ = best_epoch
        else:
            self.validation_indices_ = None
            self.best_epoch_ = self.n_epochs_
        self.validation_loss_curve_ = None if np.isnan(validated).all() else validated

    def _build_net(self, sequences, target, device, seed, sample_weight):
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
        }
        net = self._new_net(module_params, self.optimizer, device, seed)
        self._built_with = {name: getattr(self, name) for name in _ARCHITECTURE}
        mean, scale = feature_moments(sequences.values, sample_weight)
        net.module_.x_mean.copy_(torch.from_numpy(mean))
        net.module_.x_scale.copy_(torch.from_numpy(scale))
        return net

    def _new_net(self, module_params, optimizer, device, seed):
        """An initialised net: ``module_params`` for the module, training parameters
        from ``self``, and shuffling seeded by ``seed``."""
        net = Net(
            module=RecurrentNet,
            **{f"module__{name}": value for name, value in module_params.items()},
            criterion=self._criterion,
            optimizer=_OPTIMIZERS[optimizer],
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            batch_size=self.batch_size,
            train_split=None,
            iterator_train=BatchIterator,
            iterator_train__shuffle=self.shuffle,
            iterator_train__generator=torch.Generator().manual_seed(seed),
            iterator_valid=BatchIterator,
            iterator_valid__batch_size=_PREDICT_BATCH_SIZE,
            device=str(device),
            verbose=int(self.verbose >= 2),
        )
        return net.initialize()

    def _check_architecture(self):
        for name, built in self._built_with.items():
            if getattr(self, name) != built:
                raise ValueError(
                    f"{name} changed from {built!r} to {getattr(self, name)!r}, but "
                    "warm_start=True and partial_fit continue the fitted network; "
                    "set warm_start=False and call fit to train a new one."
                )

    def _update_net(self, device):
        """Carry changed training parameters over to the net that is continued."""
        self.net_.set_params(batch_size=self.batch_size, verbose=int(self.verbose >= 2))
        # Plain attributes: skorch's set_params would rebuild the network for them.
        self.net_.lr = self.lr
        self.net_.iterator_train__shuffle = self.shuffle
        for group in self.net_.optimizer_.param_groups:
            # A schedule of the previous fit may have lowered lr; start again.
            group["lr"] = self.lr
            group["weight_decay"] = self.weight_decay
            group.pop("initial_lr", None)
        if self.net_.device != str(device):
            self._move_to(device)

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

    def _standardise(self, target, observed, weight, reset):
        return target

    def _class_weights(self, target, observed, incremental):
        return None

    def _forward(self, X):
        """Validated sequences and the raw network outputs for ``X`` (float64).

        Batches go straight to skorch's ``infer`` rather than through its
        ``forward``, whose per-call overhead (~30 us) is a third of the time of
        predicting one short sequence (``benchmarks/predict_latency.py``).
        """
        check_is_fitted(self)
        sequences = validate_sequences(self, X, reset=False)
        batches = BatchIterator(SequenceDataset(sequences), _PREDICT_BATCH_SIZE)
        net = self.net_
        net._set_training(False)
        with torch.inference_mode():
            outputs = [net.infer(inputs).cpu() for inputs, _ in batches]
        out = outputs[0] if len(outputs) == 1 else torch.cat(outputs)
        return sequences, out.numpy().astype(np.float64)

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

    def to_onnx(self, path, *, opset_version=None):
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

        Notes
        -----
        The graph has one input, ``X``: float32 of shape ``(batch, timesteps,
        n_features)``, for any batch size and any number of time steps (reshape
        2D univariate input to ``(batch, timesteps, 1)``). Its outputs are:

        - regressor: ``predictions``, float64, shaped like :meth:`predict`'s
          result;
        - classifier: ``label``, int64, the index into ``classes_`` of the
          predicted class, and ``probabilities``, float32, shaped like
          :meth:`predict_proba`'s result.

        Where :meth:`predict` would raise an error for a sequence (a NaN inside
        it or in part of a time step, or no observed step), the graph outputs
        NaN, and label -1. Per-step outputs at padding steps are NaN (label -1).

        The export uses torch's TorchScript-based exporter (``dynamo=False``),
        which writes ONNX's recurrent operators: they take the sequence length
        from the data, where torch's newer exporter unrolls the recurrence over
        a fixed number of time steps.
        """
        check_is_fitted(self)
        to_onnx(self, path, opset_version=opset_version)

    def set_params(self, **params):
        """Set parameters; on a fitted estimator, ``device`` also moves the model."""
        if "device" not in params or not self.__sklearn_is_fitted__():
            return super().set_params(**params)
        # Resolved first: an unavailable device changes nothing.
        device = resolve_device(params["device"])
        super().set_params(**params)
        self._move_to(device)
        return self

    def _move_to(self, device):
        # The optimizer state moves with the parameters, so warm_start continues.
        self.net_.module_.to(device)
        self.net_.criterion_.to(device)
        for state in self.net_.optimizer_.state.values():
            for key, value in state.items():
                if torch.is_tensor(value):
                    state[key] = value.to(device)
        self.net_.device = str(device)
        self.device_ = device

    def __setstate__(self, state):
        super().__setstate__(state)
        if "net_" in state:
            # Unpickling maps a network saved on a device this machine lacks (a
            # GPU) to the CPU, and skorch warns; the estimator follows its net.
            self.device_ = torch.device(self.net_.device)
            self.net_.device = str(self.device_)  # skorch may leave a torch.device

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


def _draw_seed(random_state):
    """A seed for torch, drawn without touching numpy's global random state."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    if isinstance(random_state, (int, np.integer)) and not isinstance(
        random_state, bool
    ):
        return int(random_state)
    raise ValueError(
        f"random_state must be None, an int or a numpy random generator, got "
        f"{random_state!r}."
    )


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
