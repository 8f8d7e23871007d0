"""Training control: the validation split, early stopping, schedules, progress."""

import copy
import math
import sys

import numpy as np
from skorch.callbacks import Callback, EarlyStopping, LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau
from tqdm.auto import tqdm

from ._net import GradientNormClipping

# Names of the callbacks skrnn adds; user callbacks must not take them.
RESERVED_CALLBACKS = ("clip", "lr_schedule", "progress", "early_stopping")

# ReduceLROnPlateau divides the learning rate by this.
_PLATEAU_FACTOR = 0.2
# max_epochs="auto": 50 epochs, but at least 500 gradient steps on small data sets,
# where 50 epochs undertrain (benchmarks/defaults.py, stage 4).
_AUTO_EPOCHS = 50
_AUTO_STEPS = 500


def check_callbacks(callbacks):
    """Check the ``callbacks`` parameter: skorch callbacks, optionally named."""
    if callbacks is None:
        return
    expected = (
        "callbacks must be None or a list of skorch callbacks or (name, callback) "
        f"pairs, got {callbacks!r}."
    )
    if not isinstance(callbacks, (list, tuple)):
        raise ValueError(expected)
    for item in callbacks:
        name, callback = item if isinstance(item, tuple) else (None, item)
        if not isinstance(callback, Callback):
            raise ValueError(expected)
        if name in RESERVED_CALLBACKS:
            raise ValueError(
                f"The callback name {name!r} is taken by skrnn's own callbacks "
                f"{list(RESERVED_CALLBACKS)}; choose another name."
            )


def validation_rows(split, fraction, n_samples, labels, seed):
    """Sorted indices of the samples held out to validate on.

    ``split`` is "last" (the chronologically last ``fraction`` of the samples),
    "random" (a random ``fraction``) or "stratified" (a random ``fraction`` of
    each class of ``labels``). At least one sample is held out and one kept.
    """
    if n_samples < 2:
        raise ValueError(
            f"early_stopping=True holds out a validation set, which needs at least "
            f"2 samples, got {n_samples} sample."
        )
    n_valid = min(max(1, math.ceil(fraction * n_samples)), n_samples - 1)
    if split == "last":
        return np.arange(n_samples - n_valid, n_samples)
    rng = np.random.default_rng(seed)
    if split == "random":
        return np.sort(rng.permutation(n_samples)[:n_valid])
    chosen = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        # Each class in proportion; a class too small for a share stays in training.
        chosen.append(members[: min(round(fraction * len(members)), len(members) - 1)])
    rows = np.concatenate(chosen)
    if len(rows) == 0:
        rows = rng.permutation(n_samples)[:1]
    return np.sort(rows)


def epochs_per_fit(estimator, n_train):
    """The epochs one ``fit`` makes on ``n_train`` training sequences.

    ``max_epochs="auto"`` makes ``_AUTO_EPOCHS``, or enough for ``_AUTO_STEPS``
    gradient steps where the training set is too small for that.
    """
    if isinstance(estimator.max_epochs, str):  # "auto", checked by check_params
        steps_per_epoch = -(-n_train // estimator.batch_size)
        return max(_AUTO_EPOCHS, -(-_AUTO_STEPS // steps_per_epoch))
    return estimator.max_epochs


def training_callbacks(estimator, *, epochs, validating, incremental):
    """The skorch callbacks for one call of ``fit`` or ``partial_fit``.

    User callbacks come before the early stopping callback, so that they still
    see the epoch at which training stops.
    """
    callbacks = [("clip", GradientNormClipping(estimator.clip_grad_norm))]
    if estimator.lr_schedule != "constant" and not incremental:
        callbacks.append(("lr_schedule", _schedule(estimator, epochs, validating)))
    # Copies, so that fitting leaves the parameter as the user set it.
    callbacks += copy.deepcopy(list(estimator.callbacks or []))
    if estimator.verbose == 1:
        callbacks.append(("progress", EpochProgress(epochs, type(estimator).__name__)))
    if validating:
        stopping = EarlyStopping(
            monitor="valid_loss",
            patience=estimator.n_iter_no_change,
            threshold=estimator.tol,
            threshold_mode="abs",
            load_best=True,
        )
        callbacks.append(("early_stopping", stopping))
    return callbacks


def _schedule(estimator, epochs, validating):
    if estimator.lr_schedule == "cosine":
        # last_epoch=-1: every fit runs its own schedule from the current lr.
        return LRScheduler(CosineAnnealingLR, T_max=epochs, last_epoch=-1)
    return LRScheduler(
        ReduceLROnPlateau,
        monitor="valid_loss" if validating else "train_loss",
        factor=_PLATEAU_FACTOR,
        # torch counts the epochs without improvement it tolerates, not the ones
        # after which it acts.
        patience=max(1, estimator.n_iter_no_change // 2) - 1,
        threshold=estimator.tol,
        threshold_mode="abs",
    )


class EpochProgress(Callback):
    """A tqdm progress bar over epochs showing the losses and the epoch time."""

    def __init__(self, epochs, description):
        self.epochs = epochs
        self.description = description

    def on_train_begin(self, net, **kwargs):
        self.bar_ = tqdm(
            total=self.epochs, desc=self.description, unit="epoch", file=sys.stderr
        )

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        postfix = {"train_loss": f"{row['train_loss']:.4g}"}
        if "valid_loss" in row:
            postfix["valid_loss"] = f"{row['valid_loss']:.4g}"
        postfix["dur"] = f"{row['dur']:.2f}s"
        self.bar_.set_postfix(postfix, refresh=False)
        self.bar_.update()

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
        del self.bar_  # holds the terminal: a fitted estimator must pickle
