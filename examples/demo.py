"""
Tuning an RNN forecaster with GridSearchCV and TimeSeriesSplit
==============================================================

The main demo: an :class:`~skrnn.RNNRegressor` sits in a scikit-learn
``Pipeline`` and is tuned with ``GridSearchCV`` over time-ordered folds, exactly
like any other regressor. The series is synthetic and unscaled (values around
300), and the estimator scales inputs and targets itself.
"""

# %%
# A noisy seasonal series, cut into windows of the previous 24 steps
# ------------------------------------------------------------------
import os

import numpy as np
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from skrnn import RNNRegressor

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly
rng = np.random.default_rng(0)
t = np.arange(600 if FAST else 1500)
series = 300 + 50 * np.sin(2 * np.pi * t / 24) + 0.05 * t + rng.normal(0, 5, len(t))

window = 24
X = np.lib.stride_tricks.sliding_window_view(series[:-1], window)  # (n, 24)
y = series[window:]  # the value right after each window
print(f"{len(X)} windows of {window} steps; y ranges {y.min():.0f}..{y.max():.0f}")


# %%
# A pipeline tuned over chronological folds
# -----------------------------------------
# 2D ``X`` holds univariate sequences, one per row. The first step keeps only
# the most recent ``n_steps`` of each window, so the grid tunes how much
# history the network reads.
def last_steps(X, n_steps=window):
    return X[:, -n_steps:]


pipe = Pipeline(
    [
        ("history", FunctionTransformer(last_steps)),
        ("rnn", RNNRegressor(max_epochs=10 if FAST else 40, random_state=0)),
    ]
)
grid = GridSearchCV(
    pipe,
    {
        "history__kw_args": [{"n_steps": 12}, {"n_steps": 24}],
        "rnn__hidden_size": [16, 32] if FAST else [32, 64],
    },
    cv=TimeSeriesSplit(n_splits=3),
    scoring="neg_mean_absolute_error",
)
grid.fit(X, y)
print("best parameters:", grid.best_params_)
print(f"best cross-validated MAE: {-grid.best_score_:.2f}")

# %%
# Compared with predicting the mean
# ---------------------------------
cv = TimeSeriesSplit(n_splits=3)
baseline = -cross_val_score(
    DummyRegressor(), X, y, cv=cv, scoring="neg_mean_absolute_error"
).mean()
tuned = -cross_val_score(
    grid.best_estimator_, X, y, cv=cv, scoring="neg_mean_absolute_error"
).mean()
print(f"MAE, mean baseline: {baseline:.2f}   tuned RNN: {tuned:.2f}")
