"""
Early stopping, learning-rate schedules and per-step outputs
============================================================

How long to train, how fast, and what to predict are the knobs people tune (and
fear) with recurrent networks. In skrnn they are estimator parameters, so
``GridSearchCV`` can tune them and a ``Pipeline`` can hold them. This example
trains on windows of a noisy series with a fixed number of epochs and with early
stopping, which holds out the chronologically *last* windows (validating on
earlier windows would let training see the future), lowers the learning rate on
a plateau, and restores the best epoch's weights. It draws the loss curves with
:func:`~skrnn.plot_history`, and ends with a many-to-many model that predicts
every time step of a sequence (``return_sequences=True``).
"""

# %%
# A noisy series, cut into windows
# --------------------------------
# ``sin(0.1 t) + 0.5 cos(0.05 t)`` plus noise, 1,000 steps; each window of 20
# steps predicts the next value. The first 80% of the windows train, the rest
# test, in time order.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import mean_squared_error

from skrnn import RNNRegressor, make_windows, plot_history

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly

rng = np.random.default_rng(0)
t = np.arange(1000)
series = np.sin(0.1 * t) + 0.5 * np.cos(0.05 * t) + 0.1 * rng.normal(size=len(t))
X, y = make_windows(series, window=20)
n_train = int(0.8 * len(X))
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

# %%
# Fixed epochs against early stopping
# -----------------------------------
# With early stopping, ``max_epochs`` is only a ceiling: training stops once the
# validation loss (the last 10% of the training windows) has not improved for
# ``n_iter_no_change`` epochs, and the weights of the best epoch come back.
# ``lr_schedule="plateau"`` divides the learning rate by 5 whenever half that
# many epochs pass without improvement.
max_epochs = 5 if FAST else 200
configs = {
    "50 epochs": {"max_epochs": 5 if FAST else 50},
    "early stopping": {"early_stopping": True, "max_epochs": max_epochs},
    "early stopping + plateau": {
        "early_stopping": True,
        "lr_schedule": "plateau",
        "max_epochs": max_epochs,
    },
}
fitted = {}
print(f"{'':26}{'test MSE':>10}{'epochs':>8}{'best':>6}{'seconds':>9}")
for name, params in configs.items():
    reg = RNNRegressor(hidden_size=32, n_iter_no_change=20, random_state=0, **params)
    start = time.perf_counter()
    reg.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    mse = mean_squared_error(y_test, reg.predict(X_test))
    print(f"{name:26}{mse:10.4f}{reg.n_epochs_:8d}{reg.best_epoch_:6d}{seconds:9.1f}")
    fitted[name] = reg
print(f"{'noise variance (the floor)':26}{0.1**2:10.4f}")

# %%
# The loss curves
# ---------------
# The validation loss is measured on windows that come after every training
# window, so it is an honest preview of the test loss; the dotted line marks the
# epoch whose weights the model keeps.
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
for ax, name in zip(axes, ["early stopping", "early stopping + plateau"], strict=True):
    plot_history(fitted[name], ax=ax)
    ax.set_title(name)
fig.tight_layout()

# %%
# Many-to-many: a prediction for every time step
# ----------------------------------------------
# Input ``[sin t, cos t]``, target ``sin t * cos t`` at every step: with
# ``return_sequences=True`` the targets have shape ``(n_samples, n_timesteps)``
# and so do the predictions. Sequences of different lengths are NaN-padded; the
# padding is left out of the loss and predicted as NaN.
starts = rng.uniform(0, 100, size=300)
lengths = rng.integers(10, 31, size=300)
steps = [s + 0.2 * np.arange(n) for s, n in zip(starts, lengths, strict=True)]
sequences = [np.column_stack([np.sin(s), np.cos(s)]) for s in steps]
targets = [np.sin(s) * np.cos(s) for s in steps]
tagger = RNNRegressor(
    return_sequences=True, max_epochs=5 if FAST else 50, random_state=0
).fit(sequences[:250], targets[:250])
pred = tagger.predict(sequences[250:])
print(f"per-step predictions: shape {pred.shape}, NaN at padding steps")
r2 = tagger.score(sequences[250:], targets[250:])
print(f"per-step R^2 on 50 new sequences: {r2:.4f}")

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(targets[250], "k.-", label="sin t cos t")
ax.plot(pred[0], "C1o--", label="prediction")
ax.set_xlabel("time step")
ax.legend()
ax.set_title("return_sequences=True")
plt.show()
