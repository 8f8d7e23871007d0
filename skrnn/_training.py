"""Training control: the validation split, the epoch budget, and the skorch
callbacks of one fit (gradient clipping, schedules, progress, early stopping)."""

import copy
import math
import sys

import numpy as np
import torch
from skorch.callbacks import Callback, EarlyStopping, LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau
from tqdm.auto import tqdm

from ._params import Constraint

# Names of the callbacks skrnn adds; user callbacks must not take them.
RESERVED_CALLBACKS = (
    "clip",
    "lr_schedule",
    "progress",
    "early_stopping",
    "snapshot",
)

# ReduceLROnPlateau divides the learning rate by this.
_PLATEAU_FACTOR = 0.2
# max_epochs="auto": 50 epochs, but at least 500 gradient steps on small data sets,
# where 50 epochs undertrain (benchmarks/defaults.py), and at most 2,500 on large
# ones, where more bought nothing on 6,400-10,000 windows (benchmarks/step_budget.py).
_AUTO_EPOCHS = 50
_AUTO_STEPS = 500
_AUTO_MAX_STEPS = 2500


def _is_callback_list(callbacks):
    if callbacks is None:
        return True
    if not isinstance(callbacks, (list, tuple)):
        return False
    return all(
        isinstance(item, Callback)
        or (
            isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Callback)
        )
        for item in callbacks
    )


CALLBACKS = Constraint(
    "None or a list of skorch callbacks or (name, callback) pairs", _is_callback_list
)


def check_callback_names(estimator):
    """User callbacks must not take the names of skrnn's own."""
    for item in estimator.callbacks or []:
        if isinstance(item, tuple) and item[0] in RESERVED_CALLBACKS:
            raise ValueError(
                f"The callback name {item[0]!r} is taken by skrnn's own callbacks "
                f"{list(RESERVED_CALLBACKS)}; choose another name."
            )


def validation_rows(
    split, fraction, n_samples, labels, seed, held_for="early_stopping=True"
):
    """Sorted indices of the samples held out to validate (or calibrate) on.

    ``split`` is "last" (the chronologically last ``fraction`` of the samples),
    "random" (a random ``fraction``) or "stratified" (a random ``fraction`` of
    each class of ``labels``). At least one sample is held out and one kept;
    ``held_for`` names the parameter that holds them out, for the error.
    """
    if n_samples < 2:
        raise ValueError(
            f"{held_for} holds out samples, which needs at least 2 samples, got "
            f"{n_samples} sample."
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
    gradient steps where the training set is too small for that, and no more
    epochs than ``_AUTO_MAX_STEPS`` steps take (at least one) where it is large.
    """
    if isinstance(estimator.max_epochs, str):  # "auto", checked by check_params
        steps_per_epoch = -(-n_train // estimator.batch_size)
        epochs = max(_AUTO_EPOCHS, -(-_AUTO_STEPS // steps_per_epoch))
        return min(epochs, max(1, -(-_AUTO_MAX_STEPS // steps_per_epoch)))
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


def best_epoch(callbacks):
    """The epoch whose weights early stopping restored, or None without it."""
    stopper = callbacks.get("early_stopping")
    return None if stopper is None else stopper.best_epoch_


class GradientNormClipping(Callback):
    """Clip the norm of the gradients of the parameters the optimizer updates.

    Does what ``skorch.callbacks.GradientNormClipping`` does, but reads the
    parameters from the optimizer's param groups instead of skorch's
    ``named_parameters`` generator, which costs more than the clipping itself
    on small models.
    """

    def __init__(self, gradient_clip_value=None):
        self.gradient_clip_value = gradient_clip_value

    def on_grad_computed(self, net, named_parameters, **kwargs):
        if self.gradient_clip_value is None:
            return
        params = [p for group in net.optimizer_.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(params, self.gradient_clip_value)


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
