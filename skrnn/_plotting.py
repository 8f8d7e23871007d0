"""Plots of fitted estimators; matplotlib is an optional dependency."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import BaseRNN


def plot_history(estimator, *, ax=None, log_scale=True):
    """Draw the training and validation loss of a fitted estimator per epoch.

    Parameters
    ----------
    estimator : RNNRegressor, RNNClassifier, Pipeline or search
        A fitted estimator, a fitted Pipeline whose last step is one, or a
        fitted ``GridSearchCV`` (or other search) over one: its best model.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes when None.
    log_scale : bool, default=True
        Whether the loss axis is logarithmic (a loss falling by orders of
        magnitude stays readable).

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on: the training loss, the validation loss when the
        estimator was validated, and a dotted line at ``best_epoch_`` when early
        stopping restored an earlier epoch's weights.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNRegressor, plot_history
    >>> X = np.random.default_rng(0).normal(size=(64, 10, 1))
    >>> reg = RNNRegressor(max_epochs=5, early_stopping=True, random_state=0)
    >>> ax = plot_history(reg.fit(X, X[:, -1, 0]))
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['training loss', 'validation loss']
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "plot_history needs matplotlib: pip install 'skrnn[plot]'."
        ) from error
    # A fitted search: its refitted best model.
    estimator = getattr(estimator, "best_estimator_", estimator)
    estimator = getattr(estimator, "steps", [(None, estimator)])[-1][1]
    if not isinstance(estimator, BaseRNN):
        raise TypeError(
            "plot_history needs a fitted RNNRegressor or RNNClassifier (or a "
            f"Pipeline ending in one), got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    if ax is None:
        _, ax = plt.subplots()
    epochs = np.arange(1, len(estimator.loss_curve_) + 1)
    ax.plot(epochs, estimator.loss_curve_, label="training loss")
    if estimator.validation_loss_curve_ is not None:
        ax.plot(epochs, estimator.validation_loss_curve_, label="validation loss")
        if estimator.best_epoch_ != len(epochs):
            ax.axvline(
                estimator.best_epoch_,
                color="grey",
                linestyle=":",
                label=f"best epoch ({estimator.best_epoch_})",
            )
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(type(estimator).__name__)
    ax.legend()
    return ax
