"""RNNRegressor and RNNClassifier: scikit-learn estimators composed over skorch."""

from contextlib import contextmanager

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_array, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._module import RecurrentNet
from ._net import BatchIterator, GradientNormClipping, Net, SequenceDataset
from ._validation import (
    check_params,
    check_targets_length,
    feature_moments,
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
    "optimizer",
)

# Batches at prediction time: large enough to amortise per-batch overhead.
_PREDICT_BATCH_SIZE = 1024


class _BaseRNN(BaseEstimator):
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
        max_epochs=50,
        batch_size=32,
        lr=1e-2,
        optimizer="adam",
        weight_decay=0.0,
        clip_grad_norm=1.0,
        shuffle=True,
        warm_start=False,
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
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.clip_grad_norm = clip_grad_norm
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, X, y):
        check_params(self)
        device = resolve_device(self.device)
        continuing = self.warm_start and hasattr(self, "net_")
        sequences = validate_sequences(self, X, reset=not continuing)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is "
                "None."
            )
        target = self._encode_target(y, reset=not continuing)
        check_targets_length(sequences, target)
        dataset = SequenceDataset(sequences, torch.from_numpy(target))
        seed = _draw_seed(self.random_state)
        if continuing:
            # Fresh dropout masks for the new epochs, still reproducible.
            seed = int(
                np.random.SeedSequence([seed, self.n_epochs_]).generate_state(1)[0]
            )
        with _seeded_torch(seed, device):
            if continuing:
                self._update_net(device)
            else:
                self.net_ = self._build_net(sequences, target, device, seed)
            self.net_.partial_fit(dataset, None)
        self.device_ = device
        self.n_epochs_ = len(self.net_.history)
        self.loss_curve_ = list(self.net_.history[:, "train_loss"])
        return self

    def _build_net(self, sequences, target, device, seed):
        n_outputs = self._n_outputs(target)
        net = Net(
            module=RecurrentNet,
            module__n_features=sequences.values.shape[2],
            module__n_outputs=n_outputs,
            module__cell=self.cell,
            module__hidden_size=self.hidden_size,
            module__num_layers=self.num_layers,
            module__bidirectional=self.bidirectional,
            module__dropout=self.dropout,
            module__nonlinearity=self.nonlinearity,
            criterion=self._criterion,
            optimizer=_OPTIMIZERS[self.optimizer],
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=None,
            iterator_train=BatchIterator,
            iterator_train__shuffle=self.shuffle,
            iterator_train__generator=torch.Generator().manual_seed(seed),
            iterator_valid=BatchIterator,
            iterator_valid__batch_size=_PREDICT_BATCH_SIZE,
            callbacks=[("clip", GradientNormClipping(self.clip_grad_norm))],
            device=str(device),
            verbose=int(self.verbose > 0),
        )
        net.initialize()
        self._built_with = {name: getattr(self, name) for name in _ARCHITECTURE}
        mean, scale = feature_moments(sequences.values)
        net.module_.x_mean.copy_(torch.from_numpy(mean))
        net.module_.x_scale.copy_(torch.from_numpy(scale))
        return net

    def _update_net(self, device):
        """Carry changed training parameters over to the net that warm_start keeps."""
        for name, built in self._built_with.items():
            if getattr(self, name) != built:
                raise ValueError(
                    f"{name} changed from {built!r} to {getattr(self, name)!r}, but "
                    "warm_start=True continues the fitted network; set "
                    "warm_start=False to fit a new one."
                )
        self.net_.set_params(
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            callbacks__clip__gradient_clip_value=self.clip_grad_norm,
            verbose=int(self.verbose > 0),
        )
        # A plain attribute: skorch's set_params would rebuild the network for it.
        self.net_.iterator_train__shuffle = self.shuffle
        if self.net_.device != str(device):
            self._move_to(device)

    def _forward(self, X):
        """Raw network outputs for ``X`` as a float64 array."""
        check_is_fitted(self)
        sequences = validate_sequences(self, X, reset=False)
        with torch.inference_mode():
            out = self.net_.forward(SequenceDataset(sequences))
        return out.numpy().astype(np.float64)

    def set_params(self, **params):
        """Set parameters; on a fitted estimator, ``device`` also moves the model."""
        super().set_params(**params)
        if "device" in params and hasattr(self, "net_"):
            self._move_to(resolve_device(self.device))
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class RNNRegressor(RegressorMixin, _BaseRNN):
    """Recurrent neural network regressor (LSTM, GRU or Elman RNN).

    Each sample is a sequence; the network reads it up to its last observed time
    step and maps the final hidden state to one or several targets. Inputs and
    targets are standardised inside the estimator, so unscaled data (values in
    the hundreds, say) trains without a preprocessing step.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
        Recurrent cell: :class:`torch.nn.LSTM`, :class:`torch.nn.GRU` or
        :class:`torch.nn.RNN`. On CPU the LSTM trains several times faster than the
        other two, because only it has a fused kernel.
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
    max_epochs : int, default=50
        Number of passes over the training data.
    batch_size : int, default=32
        Number of sequences per gradient step.
    lr : float, default=1e-2
        Learning rate. With gradient clipping, 1e-2 trained best over the tasks of
        ``benchmarks/defaults.py``; lower it for long training runs.
    optimizer : {"adam", "adamw", "rmsprop", "sgd"}, default="adam"
        Optimisation algorithm from :mod:`torch.optim`.
    weight_decay : float, default=0.0
        L2 penalty (decoupled for "adamw").
    clip_grad_norm : float or None, default=1.0
        Maximum norm of the gradient of all parameters together; None disables
        clipping. Clipping prevents the exploding gradients that leave recurrent
        networks stuck on long sequences.
    shuffle : bool, default=True
        Whether to shuffle the training sequences every epoch.
    warm_start : bool, default=False
        When True, ``fit`` continues training the fitted network for
        ``max_epochs`` more epochs instead of starting anew, with the current
        training parameters (``lr``, ``batch_size``, ...); changing an
        architecture parameter or ``optimizer`` then is an error.
    device : str, default="cpu"
        Where to train and predict: "cpu", "cuda", "cuda:N", "mps", or "auto"
        for the best available. Calling ``set_params(device=...)`` on a fitted
        estimator moves the model.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and shuffling. With an int, training
        on CPU is bit-for-bit reproducible. Fitting never changes the global
        numpy or torch random state; None draws fresh entropy from the OS.
    verbose : int, default=0
        0 is silent; 1 or more prints one line of training loss per epoch.

    Attributes
    ----------
    n_features_in_ : int
        For 2D input, the number of columns (time steps), as in scikit-learn;
        for 3D and list input, the number of features per time step.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.
    n_outputs_ : int
        Number of regression targets.
    net_ : skorch.NeuralNet
        The trained skorch net; its ``module_`` is the PyTorch model.
    device_ : torch.device
        The device the model lives on.
    n_epochs_ : int
        Number of epochs trained in total.
    loss_curve_ : list of float
        Training loss (mean squared error of the standardised targets) per epoch.

    See Also
    --------
    RNNClassifier : The same network for classification.

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
    """

    _criterion = torch.nn.MSELoss

    def fit(self, X, y):
        """Train the network on sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences: 2D for univariate, 3D batch-first, or a list of arrays of
            shape ``(T_i, n_features)`` or ``(T_i,)`` of varying length. NaN time
            steps at either end of a 3D or list sequence are padding.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        Returns
        -------
        self : RNNRegressor
            The fitted estimator.
        """
        return self._fit(X, y)

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
            Predictions, 1D when ``y`` was 1D in ``fit``.
        """
        y_pred = self._forward(X) * self._y_scale + self._y_mean
        return y_pred.ravel() if self._y_ndim == 1 else y_pred

    def _encode_target(self, y, reset):
        y = check_array(
            y, ensure_2d=False, dtype=np.float64, input_name="y", estimator=self
        )
        if y.ndim not in (1, 2):
            raise ValueError(
                f"y must be 1D (n_samples,) or 2D (n_samples, n_outputs), got shape "
                f"{y.shape}."
            )
        y2d = y.reshape(len(y), -1)
        if reset:
            self._y_ndim = y.ndim
            self.n_outputs_ = y2d.shape[1]
            self._y_mean = y2d.mean(axis=0)
            self._y_scale = y2d.std(axis=0)
            self._y_scale[self._y_scale == 0] = 1.0
        elif y2d.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2d.shape[1]} outputs, but the estimator was fitted with "
                f"{self.n_outputs_}; set warm_start=False to fit a new model."
            )
        return ((y2d - self._y_mean) / self._y_scale).astype(np.float32)

    def _n_outputs(self, target):
        return target.shape[1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class RNNClassifier(ClassifierMixin, _BaseRNN):
    """Recurrent neural network classifier (LSTM, GRU or Elman RNN).

    Each sample is a sequence; the network reads it up to its last observed time
    step and maps the final hidden state to class probabilities (softmax, trained
    with cross-entropy). Inputs are standardised inside the estimator.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
        Recurrent cell: :class:`torch.nn.LSTM`, :class:`torch.nn.GRU` or
        :class:`torch.nn.RNN`. On CPU the LSTM trains several times faster than the
        other two, because only it has a fused kernel.
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
    max_epochs : int, default=50
        Number of passes over the training data.
    batch_size : int, default=32
        Number of sequences per gradient step.
    lr : float, default=1e-2
        Learning rate. With gradient clipping, 1e-2 trained best over the tasks of
        ``benchmarks/defaults.py``; lower it for long training runs.
    optimizer : {"adam", "adamw", "rmsprop", "sgd"}, default="adam"
        Optimisation algorithm from :mod:`torch.optim`.
    weight_decay : float, default=0.0
        L2 penalty (decoupled for "adamw").
    clip_grad_norm : float or None, default=1.0
        Maximum norm of the gradient of all parameters together; None disables
        clipping. Clipping prevents the exploding gradients that leave recurrent
        networks stuck at chance accuracy on long sequences.
    shuffle : bool, default=True
        Whether to shuffle the training sequences every epoch.
    warm_start : bool, default=False
        When True, ``fit`` continues training the fitted network for
        ``max_epochs`` more epochs instead of starting anew, with the current
        training parameters (``lr``, ``batch_size``, ...); changing an
        architecture parameter or ``optimizer`` then is an error.
    device : str, default="cpu"
        Where to train and predict: "cpu", "cuda", "cuda:N", "mps", or "auto"
        for the best available. Calling ``set_params(device=...)`` on a fitted
        estimator moves the model.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and shuffling. With an int, training
        on CPU is bit-for-bit reproducible. Fitting never changes the global
        numpy or torch random state; None draws fresh entropy from the OS.
    verbose : int, default=0
        0 is silent; 1 or more prints one line of training loss per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the columns of :meth:`predict_proba`.
    n_features_in_ : int
        For 2D input, the number of columns (time steps), as in scikit-learn;
        for 3D and list input, the number of features per time step.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.
    net_ : skorch.NeuralNet
        The trained skorch net; its ``module_`` is the PyTorch model.
    device_ : torch.device
        The device the model lives on.
    n_epochs_ : int
        Number of epochs trained in total.
    loss_curve_ : list of float
        Training loss (cross-entropy) per epoch.

    See Also
    --------
    RNNRegressor : The same network for regression.

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
    """

    _criterion = torch.nn.CrossEntropyLoss

    def fit(self, X, y):
        """Train the network on sequences ``X`` and class labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences: 2D for univariate, 3D batch-first, or a list of arrays of
            shape ``(T_i, n_features)`` or ``(T_i,)`` of varying length. NaN time
            steps at either end of a 3D or list sequence are padding.
        y : array-like of shape (n_samples,)
            Class labels (numbers or strings), at least two distinct ones.

        Returns
        -------
        self : RNNClassifier
            The fitted estimator.
        """
        return self._fit(X, y)

    def predict_proba(self, X):
        """Class probabilities for sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; each row sums to 1.
        """
        logits = self._forward(X)
        proba = np.exp(logits - logits.max(axis=1, keepdims=True))
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predict class labels for sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._forward(X)
        return self.classes_[logits.argmax(axis=1)]

    def _encode_target(self, y, reset):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            self.classes_, encoded = np.unique(y, return_inverse=True)
            if len(self.classes_) < 2:
                raise ValueError(
                    "RNNClassifier needs at least 2 classes in y, but y contains only "
                    f"1 class: {self.classes_[0]!r}."
                )
            return encoded.astype(np.int64)
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ValueError(
                f"y contains labels not seen in the first fit: "
                f"{np.unique(y[unknown])}; set warm_start=False to fit a new model."
            )
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def _n_outputs(self, target):
        return len(self.classes_)


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
