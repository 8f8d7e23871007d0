"""The skorch side: a dataset of preloaded tensors, its batch iterator, the net."""

import copy
import math
import warnings

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.utils import to_tensor


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
        (skorch's dict handling costs ~20 us a batch); a dict with ``starts`` and
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


class GradientNormClipping(Callback):
    """Clip the norm of the gradients of the parameters the optimizer updates.

    Does what ``skorch.callbacks.GradientNormClipping`` does, but reads the
    parameters from the optimizer's param groups instead of skorch's
    ``named_parameters`` generator, which costs ~30 us per batch.
    """

    def __init__(self, gradient_clip_value=None):
        self.gradient_clip_value = gradient_clip_value

    def on_grad_computed(self, net, named_parameters, **kwargs):
        if self.gradient_clip_value is None:
            return
        params = [p for group in net.optimizer_.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(params, self.gradient_clip_value)


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
