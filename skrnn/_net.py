"""The skorch boundary: every use of skorch's net, and only here.

The estimators build, continue, move, train and query their network through the
functions of this module; persistence reads and restores a net's state through
it. Nothing outside it calls a method of skorch's ``NeuralNet`` or imports
skorch, except skorch's public ``Callback`` classes in ``_training.py``.

skorch's private API used here, checked against skorch 1.2 to 1.4 (and bounded
in ``pyproject.toml`` to the major version tested): ``NeuralNet._set_training``
and ``notify`` (overridden, to cut per-batch overhead), ``callbacks_``
(initialised callbacks, edited after a fit), and ``infer`` (batched inference
without ``forward``'s per-call overhead).
"""

import copy
import math
import warnings

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping
from skorch.helper import predefined_split
from skorch.history import History
from skorch.utils import to_tensor

from ._module import ClassificationLoss, RecurrentNet, RegressionLoss
from ._params import plain

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}

# Batches at prediction time: large enough to amortise per-batch overhead.
_PREDICT_BATCH_SIZE = 1024


class SequenceDataset(torch.utils.data.Dataset):
    """Validated sequences (and targets) held as tensors that share the caller's memory.

    Batches are gathered by :meth:`batch` with one indexing operation per tensor,
    instead of skorch's per-sample ``__getitem__`` and collate. ``observed`` marks
    the observed time steps of per-step targets and ``weight`` weights the loss;
    both have the loss's unreduced shape, ``(n_samples[, n_timesteps])``.
    """

    def __init__(self, sequences, y=None, observed=None, weight=None):
        self.X = _shared_tensor(sequences.values)
        self.starts = _shared_tensor(sequences.starts)
        self.lengths = _shared_tensor(sequences.lengths)
        self.y = y
        self.observed = observed
        self.weight = weight
        self.rows = None

    def __len__(self):
        return len(self.X) if self.rows is None else len(self.rows)

    def __getitem__(self, i):
        return self.batch(slice(i, i + 1))

    def take(self, rows):
        """The samples at the sorted indices ``rows``, sharing this dataset's memory.

        A contiguous run of rows (a chronological split) is a view; other rows
        are gathered batch by batch, so the windows are never copied whole.
        """
        subset = copy.copy(self)
        rows = np.asarray(rows)
        if self.rows is None and len(rows) and rows[-1] - rows[0] == len(rows) - 1:
            index = slice(int(rows[0]), int(rows[-1]) + 1)
            for name in ("X", "starts", "lengths", "y", "observed", "weight"):
                tensor = getattr(self, name)
                setattr(subset, name, None if tensor is None else tensor[index])
            return subset
        rows = torch.from_numpy(rows.astype(np.int64))
        subset.rows = rows if self.rows is None else self.rows[rows]
        return subset

    def batch(self, index):
        """Return ``(inputs, target)`` for the samples at ``index`` (slice or indices).

        ``inputs`` is the batch tensor itself when no sequence in it is padded
        (skorch's handling of dicts costs time every batch); a dict with ``starts`` and
        ``lengths`` otherwise. ``target`` is the target tensor, or a dict that
        adds ``observed`` and ``weight`` when the dataset has them.
        """
        if self.rows is not None:
            index = self.rows[index]
        X = self.X[index].to(torch.float32)
        if self.lengths is not None:
            lengths = self.lengths[index]
            if bool((lengths < self.X.shape[1]).any()):
                X = {"X": X, "starts": self.starts[index], "lengths": lengths}
        return X, self._target(index)

    def _target(self, index):
        if self.y is None:
            return None
        if self.observed is None and self.weight is None:
            return self.y[index]
        target = {"y": self.y[index]}
        if self.observed is not None:
            target["observed"] = self.observed[index]
        if self.weight is not None:
            target["weight"] = self.weight[index]
        return target


def _shared_tensor(array):
    if array is None:
        return None
    array = np.asarray(array)
    if any(stride < 0 for stride in array.strides):
        array = array.copy()  # a reversed view (X[:, ::-1]): torch cannot share it
    if array.flags.writeable:
        return torch.from_numpy(array)
    with warnings.catch_warnings():
        # Read-only inputs (memmaps) are never written to; torch only warns.
        warnings.filterwarnings("ignore", "The given NumPy array is not writable")
        return torch.from_numpy(array)


class BatchIterator:
    """Yield mini-batches of a :class:`SequenceDataset`, reshuffled every epoch.

    ``generator`` drives the shuffling, so training order is reproducible without
    touching torch's global random state.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        n_samples = len(self.dataset)
        if self.shuffle:
            order = torch.randperm(n_samples, generator=self.generator)
            for lo in range(0, n_samples, self.batch_size):
                yield self.dataset.batch(order[lo : lo + self.batch_size])
        else:
            for lo in range(0, n_samples, self.batch_size):
                yield self.dataset.batch(slice(lo, lo + self.batch_size))


class NonFiniteLossError(ValueError):
    """The training loss became NaN or infinite: the network diverged."""


class Net(NeuralNet):
    """skorch's NeuralNet with cheaper per-batch hooks for small models.

    The train/eval toggle is a no-op when the mode is unchanged (it otherwise
    halves skorch's per-batch throughput on small models), and per-batch events
    reach only the callbacks whose class defines a handler for them. The loss
    takes the target dicts of :class:`SequenceDataset` (mask and weights), and a
    NaN or infinite training loss stops training with
    :class:`NonFiniteLossError`.
    """

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        # skorch's partial_fit swallows a KeyboardInterrupt, which is also how
        # its EarlyStopping stops; mark a real interrupt for train().
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            self.interrupted_ = not any(
                isinstance(callback, EarlyStopping)
                and callback.misses_ >= callback.patience
                for _, callback in self.callbacks_
            )
            raise

    def _set_training(self, training=True):
        if self.module_.training != training:
            super()._set_training(training)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        if isinstance(y_true, dict):
            return self.criterion_(y_pred, **y_true)
        return self.criterion_(y_pred, y_true)

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        # Checked every batch: one diverged step turns every weight into NaN.
        if training and not math.isfinite(loss.item()):
            raise NonFiniteLossError(
                f"The training loss became {loss.item()} in epoch "
                f"{len(self.history)}: the network diverged. Lower lr (it is "
                f"{self.lr}), keep gradient clipping on (clip_grad_norm), or check "
                "X and y for extreme values."
            )

    def initialize_callbacks(self):
        super().initialize_callbacks()
        self._listen()
        return self

    def drop_callbacks(self, names):
        """Forget the named callbacks of the last fit, and whatever they hold."""
        # skorch initialises callback instances in place: they are in both lists.
        self.callbacks = [
            cb
            for cb in self.callbacks
            if not (isinstance(cb, tuple) and cb[0] in names)
        ]
        self.callbacks_ = [(n, cb) for n, cb in self.callbacks_ if n not in names]
        self._listen()

    def _listen(self):
        # Per-batch events go only to the callbacks whose class handles them:
        # none of skorch's default callbacks does, and each no-op call costs.
        self._batch_listeners = {
            event: [
                cb
                for _, cb in self.callbacks_
                if getattr(type(cb), event) is not getattr(Callback, event)
            ]
            for event in _BATCH_EVENTS
        }

    def notify(self, method_name, **cb_kwargs):
        if method_name not in _BATCH_EVENTS:
            return super().notify(method_name, **cb_kwargs)
        getattr(self, method_name)(self, **cb_kwargs)
        for cb in self._batch_listeners[method_name]:
            getattr(cb, method_name)(self, **cb_kwargs)


_BATCH_EVENTS = ("on_batch_begin", "on_batch_end", "on_grad_computed")


def training_params(estimator):
    """The estimator parameters a net takes besides its architecture."""
    return {
        name: plain(getattr(estimator, name))
        for name in ("lr", "weight_decay", "batch_size", "shuffle", "verbose")
    }


def new_net(module_params, *, classifier, optimizer, training, device, seed):
    """An initialised net over a :class:`RecurrentNet` built from ``module_params``.

    ``classifier`` chooses the loss, ``optimizer`` is a key of ``OPTIMIZERS``,
    ``training`` is :func:`training_params` of the estimator, and ``seed`` seeds
    the shuffling.
    """
    if classifier:
        criterion = {"criterion": ClassificationLoss}
    else:  # the pinball loss over the levels the network predicts, if any
        criterion = {
            "criterion": RegressionLoss,
            "criterion__quantiles": module_params.get("quantiles"),
        }
    net = Net(
        module=RecurrentNet,
        **{f"module__{name}": value for name, value in module_params.items()},
        **criterion,
        optimizer=OPTIMIZERS[optimizer],
        optimizer__weight_decay=training["weight_decay"],
        lr=training["lr"],
        batch_size=training["batch_size"],
        train_split=None,
        iterator_train=BatchIterator,
        iterator_train__shuffle=training["shuffle"],
        iterator_train__generator=torch.Generator().manual_seed(seed),
        iterator_valid=BatchIterator,
        iterator_valid__batch_size=_PREDICT_BATCH_SIZE,
        device=str(device),
        verbose=int(training["verbose"] >= 2),
    )
    return net.initialize()


def continue_net(net, *, training, device):
    """Carry changed training parameters over to a net that trains on."""
    net.set_params(
        batch_size=training["batch_size"], verbose=int(training["verbose"] >= 2)
    )
    # Plain attributes: skorch's set_params would rebuild the network for them.
    net.lr = training["lr"]
    net.iterator_train__shuffle = training["shuffle"]
    for group in net.optimizer_.param_groups:
        # A schedule of the previous fit may have lowered lr; start again.
        group["lr"] = training["lr"]
        group["weight_decay"] = training["weight_decay"]
        group.pop("initial_lr", None)
    if net.device != str(device):
        move_net(net, device)


def move_net(net, device):
    """Move the module, the loss and the optimizer state to ``device``.

    The optimizer state moves with the parameters, so training can continue.
    """
    net.module_.to(device)
    net.criterion_.to(device)
    for state in net.optimizer_.state.values():
        for key, value in state.items():
            if torch.is_tensor(value):
                state[key] = value.to(device)
    net.device = str(device)


def net_device(net):
    """The device of an unpickled net, which skorch may leave as a torch.device.

    Unpickling maps a network saved on a device this machine lacks (a GPU) to
    the CPU, and skorch warns.
    """
    device = torch.device(net.device)
    net.device = str(device)
    return device


def train(net, dataset, *, valid_rows, callbacks, epochs, transient):
    """Train ``net`` on ``dataset`` for ``epochs``, validating on ``valid_rows``.

    ``callbacks`` are the ``(name, callback)`` pairs of this call; those named in
    ``transient`` are dropped afterwards, with the validation split, so that the
    fitted net keeps neither the validation data nor what they hold (a copy of
    the best weights, the schedule's reference to the optimizer). Returns the
    callbacks as they were at the end of training, by name. A diverged fit
    raises :class:`NonFiniteLossError`.
    """
    if valid_rows is None:
        net.train_split = None
    else:
        train_rows = np.setdiff1d(np.arange(len(dataset)), valid_rows)
        net.train_split = predefined_split(dataset.take(valid_rows))
        dataset = dataset.take(train_rows)
    snapshot = _Snapshot(net)
    net.callbacks = [*callbacks, ("snapshot", snapshot)]
    net.initialize_callbacks()
    net.interrupted_ = False
    try:
        net.partial_fit(dataset, None, epochs=epochs)
    finally:
        net.train_split = None
        fitted = dict(net.callbacks_)
        net.drop_callbacks(transient)
    if net.interrupted_:
        del net.interrupted_
        snapshot.restore(net)
        raise KeyboardInterrupt
    del net.interrupted_
    return fitted


class _Snapshot(Callback):
    """The weights, optimizer state and history after the last completed epoch
    (before the first: as training found them), to go back to when training is
    interrupted inside an epoch."""

    def __init__(self, net):
        self.on_epoch_end(net)

    def on_epoch_end(self, net, **kwargs):
        self.module = {
            k: v.detach().clone() for k, v in net.module_.state_dict().items()
        }
        self.optimizer = copy.deepcopy(net.optimizer_.state_dict())
        self.n_epochs = len(net.history)

    def restore(self, net):
        net.module_.load_state_dict(self.module)
        net.optimizer_.load_state_dict(self.optimizer)
        net.history = History(net.history[: self.n_epochs])


def losses(net):
    """The training and validation loss of every epoch (NaN if not validated)."""
    history = net.history
    train = [float(row["train_loss"]) for row in history]
    valid = [float(row.get("valid_loss", np.nan)) for row in history]
    return train, valid


def predict_outputs(net, sequences):
    """The network's raw outputs for validated ``sequences``, as float64 numpy.

    Batches go straight to skorch's ``infer`` rather than through its
    ``forward``, whose per-call overhead is a large share of the time of
    predicting one short sequence.
    """
    batches = BatchIterator(SequenceDataset(sequences), _PREDICT_BATCH_SIZE)
    net._set_training(False)
    with torch.inference_mode():
        outputs = (net.infer(inputs) for inputs, _ in batches)
        return _collect(outputs, len(sequences.values))


def predict_states(net, sequences):
    """The representation the head reads (``RecurrentNet.represent``) for
    validated ``sequences``, as float64 numpy."""
    batches = BatchIterator(SequenceDataset(sequences), _PREDICT_BATCH_SIZE)
    net._set_training(False)
    module = net.module_

    def represent(inputs):
        inputs = to_tensor(inputs, device=net.device)
        if isinstance(inputs, dict):
            return module.represent(**inputs)
        return module.represent(inputs)

    with torch.inference_mode():
        states = (represent(inputs) for inputs, _ in batches)
        return _collect(states, len(sequences.values))


def _collect(batches, n_samples):
    """The output tensors of ``batches`` as one float64 array of ``n_samples``
    rows, written batch by batch into one allocation: holding every batch's
    small output until the end kept the memory of the large temporaries
    between them from being given back (about 100 bytes a sequence)."""
    out, filled = None, 0
    for batch in batches:
        batch = batch.cpu().numpy()
        if out is None:
            out = np.empty((n_samples, *batch.shape[1:]))
        out[filled : filled + len(batch)] = batch
        filled += len(batch)
    return out


def stream_outputs(net, values, state):
    """Raw outputs (float64 numpy) for the new steps ``values`` of streamed
    sequences, read on from ``state`` (a tuple of numpy arrays, the recurrent
    layers' final states; None at the start), and the new state."""
    net._set_training(False)
    device = net.device
    X = torch.as_tensor(values, dtype=torch.float32, device=device)
    if state is not None:
        state = tuple(torch.as_tensor(part, device=device) for part in state)
        state = state if len(state) > 1 else state[0]
    with torch.inference_mode():
        out, state = net.module_.step(X, state)
    state = state if isinstance(state, tuple) else (state,)
    return (
        out.cpu().numpy().astype(np.float64),
        tuple(part.cpu().numpy() for part in state),
    )


def net_state(net):
    """What restores ``net``: its device, module parameters and weights, the
    optimizer state, the shuffling generator's state and the epoch history (less
    its per-batch entries)."""
    return {
        "device": str(net.device),
        "module_params": net.get_params_for("module"),
        "module": net.module_.state_dict(),
        "optimizer": net.optimizer_.state_dict(),
        "generator": net.iterator_train__generator.get_state(),
        "history": [
            {name: value for name, value in row.items() if name != "batches"}
            for row in net.history
        ],
    }


def restore_net(state, *, classifier, optimizer, training, device):
    """A net rebuilt from :func:`net_state`'s ``state`` on ``device``.

    ``state["module"]`` must already be checked against ``module_params``.
    """
    net = new_net(
        state["module_params"],
        classifier=classifier,
        optimizer=optimizer,
        training=training,
        device=device,
        seed=0,
    )
    net.module_.load_state_dict(state["module"])
    net.optimizer_.load_state_dict(state["optimizer"])
    net.iterator_train__generator.set_state(state["generator"])
    net.history_ = History(state["history"])
    return net
