"""
Metrics, saving and loading, and tuning the number of units
===========================================================

Three chores that course notes do by hand after training a recurrent network:
computing the error metrics, saving the model and loading it back, and trying
several numbers of units in a loop to find the best. This example fits an
``RNNRegressor`` on windows of a noisy series and reports MSE, RMSE, MAE and R²
with :mod:`sklearn.metrics`; saves it with :func:`skrnn.save`, loads it with
:func:`skrnn.load` and pickles it, checking that the predictions are identical;
and replaces the loop over units with ``GridSearchCV`` and ``TimeSeriesSplit``
on the training data only, so the test data never takes part in the choice.
"""

# %%
# A noisy series, cut into windows
# --------------------------------
# ``sin(0.1 t) + 0.5 cos(0.05 t)`` plus Gaussian noise of standard deviation
# 0.1, 1,000 steps. Each window of 50 steps predicts the next value. The first
# 80% of the windows train and the rest test, in time order.
import os
import pickle
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import (
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    root_mean_squared_error,
)
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

import skrnn
from skrnn import RNNRegressor, make_windows

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly
MAX_EPOCHS = 5 if FAST else 50  # 50 is the default

rng = np.random.default_rng(0)
t = np.arange(1000)
signal = np.sin(0.1 * t) + 0.5 * np.cos(0.05 * t)
series = signal + 0.1 * rng.normal(size=len(t))
X, y = make_windows(series, window=50)
n_train = int(0.8 * len(X))
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def report(name, y_true, y_pred):
    """Print the four metrics that course notes compute by hand."""
    print(
        f"{name:26}"
        f"MSE {mean_squared_error(y_true, y_pred):.4f}  "
        f"RMSE {root_mean_squared_error(y_true, y_pred):.4f}  "
        f"MAE {mean_absolute_error(y_true, y_pred):.4f}  "
        f"R2 {r2_score(y_true, y_pred):.4f}"
    )


# %%
# Fit and measure
# ---------------
# skrnn's defaults: an LSTM of 64 units, Adam, 50 epochs. The metrics come
# from :mod:`sklearn.metrics`; ``reg.score`` would give R² directly. With noise
# of standard deviation 0.1, no forecast gets the MSE below about 0.01 or the
# RMSE below about 0.1: the noise-free signal, the best possible forecast, shows
# where that floor lies on these test windows.
start = time.perf_counter()
reg = RNNRegressor(max_epochs=MAX_EPOCHS, random_state=0).fit(X_train, y_train)
print(f"fitted in {time.perf_counter() - start:.1f} s")
predicted = reg.predict(X_test)
report("RNNRegressor", y_test, predicted)
report("noise-free signal", y_test, signal[-len(y_test) :])

# %%
# Save, load, pickle
# ------------------
# :func:`skrnn.save` writes a safetensors file that :func:`skrnn.load` reads
# without running any code from it, so it is safe for a model from an untrusted
# source; a pickle is convenient but executes whatever its author put in it.
# Both give back a model that predicts exactly what the original predicts.
with tempfile.TemporaryDirectory() as folder:
    safe, pickled = Path(folder) / "model.safetensors", Path(folder) / "model.pkl"
    skrnn.save(reg, safe)
    pickled.write_bytes(pickle.dumps(reg))
    copies = {
        "skrnn.load": skrnn.load(safe),
        "pickle": pickle.loads(pickled.read_bytes()),  # only from a trusted source
    }
    sizes = {"skrnn.load": safe.stat().st_size, "pickle": pickled.stat().st_size}
for name, model in copies.items():
    same = np.array_equal(model.predict(X_test), predicted)
    print(f"{name:11} {sizes[name] / 1e3:4.0f} kB, identical predictions: {same}")

# %%
# Tuning the number of units
# --------------------------
# The hand-written way is a loop such as::
#
#     for units in [8, 16, 32, 64, 128]:
#         model = build_model(units)
#         model.fit(X_train, y_train, epochs=50)
#         print(units, model.evaluate(X_test, y_test))
#
# which chooses the number of units by the test error, and then reports that
# same test error as if it were unseen. ``GridSearchCV`` with
# ``TimeSeriesSplit`` scores every ``hidden_size`` on later windows of the
# training data, each fold trained only on the windows before it, and refits the
# best on all training windows; the test windows stay untouched until the end.
units = [8, 16] if FAST else [8, 16, 32, 64, 128]
search = GridSearchCV(
    RNNRegressor(max_epochs=MAX_EPOCHS, random_state=0),
    {"hidden_size": units},
    cv=TimeSeriesSplit(n_splits=3),
    scoring="neg_mean_squared_error",
)
start = time.perf_counter()
search.fit(X_train, y_train)
print(f"searched in {time.perf_counter() - start:.1f} s")
cv = pd.DataFrame(search.cv_results_)
table = pd.DataFrame(
    {
        "hidden_size": cv["param_hidden_size"],
        "CV MSE": -cv["mean_test_score"],
        "std": cv["std_test_score"],
        "rank": cv["rank_test_score"],
        "fit seconds": cv["mean_fit_time"],
    }
)
print(table.to_string(index=False, float_format="{:.4f}".format))
best_predicted = search.predict(X_test)
best_units = search.best_params_["hidden_size"]
report(f"tuned, hidden_size={best_units}", y_test, best_predicted)

# %%
# Predictions and the score per number of units
# ---------------------------------------------
# On the left, the forecasts of the default and the tuned model on the test
# windows; on the right, what the search saw: the mean squared error over the
# ``TimeSeriesSplit`` folds for each ``hidden_size``, with its standard deviation.
fig, (ax, scores) = plt.subplots(
    1, 2, figsize=(11, 3.5), gridspec_kw={"width_ratios": [2, 1]}
)
steps = t[-len(y_test) :]
ax.plot(steps, y_test, ".", color="0.6", label="observed")
ax.plot(steps, signal[-len(y_test) :], "k-", lw=1, label="noise-free signal")
ax.plot(steps, predicted, label="default, hidden_size=64")
ax.plot(steps, best_predicted, "--", label=f"tuned, hidden_size={best_units}")
ax.set_xlabel("t")
ax.set_title("One-step forecasts on the test windows")
ax.legend(fontsize="small")
scores.errorbar(table["hidden_size"], table["CV MSE"], yerr=table["std"], fmt="o-")
scores.axhline(0.1**2, color="grey", linestyle=":", label="noise floor")
scores.set_xscale("log", base=2)
scores.set_xticks(units, [str(u) for u in units])
scores.set_xlabel("hidden_size")
scores.set_ylabel("CV MSE")
scores.set_title("TimeSeriesSplit, training data")
scores.legend(fontsize="small")
fig.tight_layout()
plt.show()
