"""plot_history draws the loss curves of fitted estimators."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skrnn import RNNRegressor, plot_history

plt = pytest.importorskip("matplotlib.pyplot")


def test_plot_history_draws_both_losses_and_the_best_epoch(rng):
    X, y = rng.normal(size=(60, 6, 2)), rng.normal(size=60)
    reg = RNNRegressor(hidden_size=32, max_epochs=100, early_stopping=True)
    reg.set_params(n_iter_no_change=3, validation_fraction=0.25, random_state=0)
    ax = plot_history(reg.fit(X, y))
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == [
        "training loss",
        "validation loss",
        f"best epoch ({reg.best_epoch_})",
    ]
    np.testing.assert_array_equal(lines["training loss"].get_ydata(), reg.loss_curve_)
    assert ax.get_yscale() == "log"
    plt.close("all")


def test_plot_history_of_a_pipeline_on_given_axes(sequences):
    pipe = make_pipeline(
        FunctionTransformer(), RNNRegressor(max_epochs=2, hidden_size=4)
    ).fit(*sequences)
    _, ax = plt.subplots()
    assert plot_history(pipe, ax=ax, log_scale=False) is ax
    assert [line.get_label() for line in ax.get_lines()] == ["training loss"]
    plt.close("all")


def test_plot_history_needs_a_fitted_rnn():
    with pytest.raises(TypeError, match="needs a fitted RNNRegressor"):
        plot_history(FunctionTransformer())
    with pytest.raises(NotFittedError, match="RNNRegressor instance is not fitted"):
        plot_history(RNNRegressor())
