"""
Tuning an RNN forecaster with GridSearchCV and TimeSeriesSplit
==============================================================

The main demo: a :class:`~skrnn.SequenceWindower` and an
:class:`~skrnn.RNNRegressor` sit in a scikit-learn ``Pipeline``, and
``GridSearchCV`` tunes how many past hours the network reads (the window) over
time-ordered folds, exactly as it would tune any other regressor. The series is
unscaled (values around 300); the estimator scales inputs and targets itself.
The tuned model is compared with the naive forecast (the last observed value)
on the same folds.
"""

# %%
# An hourly load series, and the next hour as the target
# ------------------------------------------------------
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from skrnn import RNNRegressor, SequenceWindower, future_targets

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly
start = time.perf_counter()
rng = np.random.default_rng(0)
hours = pd.date_range("2024-01-01", periods=400 if FAST else 1200, freq="h")
t = np.arange(len(hours))
load = 300 + 50 * np.sin(2 * np.pi * t / 24) + 0.05 * t + rng.normal(0, 5, len(t))
table = pd.DataFrame({"load": load}, index=hours)
# Every hour but the last, and the load of the hour after it.
X, y = future_targets(table, "load")
print(f"{len(X)} hours; load from {y.min():.0f} to {y.max():.0f}")

# %%
# A pipeline tuned over chronological folds
# -----------------------------------------
# The windower turns each row into the window of its last ``window`` hours
# without changing the number of rows, so ``y`` stays aligned and the window is
# a hyperparameter like any other. ``verbose=3`` prints a line per fit as the
# search goes.
pipe = Pipeline(
    [
        ("windower", SequenceWindower()),
        ("rnn", RNNRegressor(max_epochs=3 if FAST else "auto", random_state=0)),
    ]
)
cv = TimeSeriesSplit(n_splits=3)
search = GridSearchCV(
    pipe,
    {"windower__window": [6, 24, 48]},
    cv=cv,
    scoring="neg_mean_absolute_error",
    verbose=3,
)
search.fit(X, y)
print("best parameters:", search.best_params_)

# %%
# Compared with the naive forecast
# --------------------------------
# The naive forecast of the next hour is this hour's load. Both are scored on
# the test part of every fold.
naive = [
    mean_absolute_error(y.iloc[test], X["load"].iloc[test]) for _, test in cv.split(X)
]
print(f"MAE, naive forecast: {np.mean(naive):.2f}")
print(f"MAE, tuned RNN:      {-search.best_score_:.2f}")
print(f"demo took {time.perf_counter() - start:.0f} s")

# %%
# The last two days, and the forecast of each next hour
# -----------------------------------------------------
last = X.index[-48:]
forecast = search.best_estimator_.predict(X)[-48:]
fig, ax = plt.subplots(figsize=(9, 3.5))
ax.plot(last + pd.Timedelta(hours=1), y.iloc[-48:], color="black", label="actual")
ax.plot(last + pd.Timedelta(hours=1), forecast, label="RNN, one hour ahead")
ax.plot(last + pd.Timedelta(hours=1), X["load"].iloc[-48:], ls=":", label="naive")
ax.set_ylabel("load")
ax.legend()
fig.tight_layout()
plt.show()
