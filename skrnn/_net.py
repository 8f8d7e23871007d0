"""The skorch side: a dataset of preloaded tensors, its batch iterator, the net."""

import warnings

import numpy as np
import torch
from skorch import NeuralNet


class SequenceDataset(torch.utils.data.Dataset):
    """Validated sequences (and targets) held as tensors that share the caller's memory.

    Batches are gathered by :meth:`batch` with one indexing operation per tensor,
    instead of skorch's per-sample ``__getitem__`` and collate.
    """

    def __init__(self, sequences, y=None):
        self.X = _shared_tensor(sequences.values)
        self.starts = _shared_tensor(sequences.starts)
        self.lengths = _shared_tensor(sequences.lengths)
        self.y = y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.batch(slice(i, i + 1))

    def batch(self, index):
        """Return ``(inputs, y)`` for the samples at ``index`` (a slice or indices)."""
        inputs = {"X": self.X[index].to(torch.float32)}
        if self.lengths is not None:
            lengths = self.lengths[index]
            if bool((lengths < self.X.shape[1]).any()):
                inputs["starts"] = self.starts[index]
                inputs["lengths"] = lengths
        return inputs, None if self.y is None else self.y[index]


def _shared_tensor(array):
    if array is None:
        return None
    with warnings.catch_warnings():
        # Read-only inputs (memmaps) are never written to; torch only warns.
        warnings.filterwarnings("ignore", "The given NumPy array is not writable")
        return torch.from_numpy(np.asarray(array))


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


class Net(NeuralNet):
    """skorch's NeuralNet with the per-batch train/eval toggle made a no-op when the
    mode is unchanged, which halves skorch's per-batch overhead on small models."""

    def _set_training(self, training=True):
        if self.module_.training != training:
            super()._set_training(training)
