"""
Many-to-one, many-to-many and one-to-one on the same data
=========================================================

Course notes on recurrent networks (Keras or PyTorch) often introduce the three
input/output shapes of an RNN on one toy problem: the inputs ``[sin t, cos t]``
and the target ``sin t * cos t``. There, each shape means reshaping the arrays
by hand, setting ``input_shape=(timesteps, features)``, adding
``return_sequences=True`` and a ``TimeDistributed(Dense(1))`` head for the
many-to-many case, and writing the training loop. With skrnn the shape of ``X``
and ``y`` is all there is to it: ``(n, 2, 2)`` windows and one target each
(many-to-one), ``(n, 20, 2)`` sequences with ``return_sequences=True`` and a
target per step (many-to-many), and ``(n, 1, 2)`` single steps (one-to-one).
Every model predicts the product at the *next* time step and is scored on the
same last 200 steps, after training on the first 800 only.
"""

# %%
# The data: one time axis, three layouts
# --------------------------------------
# 1,001 samples of ``t`` with a step of 0.1 give 1,000 pairs: the features at
# step ``k`` and the product at step ``k + 1``. Pairs with ``k < 800`` train and
# the rest test, in time order, whatever the layout. ``make_windows`` cuts the
# features into windows of 2 steps; it would also return the next *features* as
# targets, which we drop for the product.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error, r2_score

from skrnn import RNNRegressor, make_windows

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly

t = 0.1 * np.arange(1001)
features = np.column_stack([np.sin(t), np.cos(t)])  # (1001, 2)
product = np.sin(t) * np.cos(t)
n_train = 800  # pairs k = 0 .. 799 train, k = 800 .. 999 test
seq_len = 20  # time steps per many-to-many sequence

# Many-to-one: the 2 steps k - 1 and k predict the product at step k + 1.
X_m2o, _ = make_windows(features, window=2)  # (999, 2, 2); window j ends at k = j + 1
y_m2o = product[2:]
# Many-to-many: 50 consecutive sequences of 20 steps, a target for every step.
X_m2m = features[:-1].reshape(-1, seq_len, 2)  # (50, 20, 2)
y_m2m = product[1:].reshape(-1, seq_len)  # (50, 20)
# One-to-one: a single time step in, one value out.
X_o2o = features[:-1, np.newaxis, :]  # (1000, 1, 2)
y_o2o = product[1:]

shapes = {
    "many-to-one": (X_m2o, y_m2o, n_train - 1),
    "many-to-many": (X_m2m, y_m2m, n_train // seq_len),
    "one-to-one": (X_o2o, y_o2o, n_train),
}
for name, (X, y, split) in shapes.items():
    print(f"{name:13} X {X.shape!s:12} y {y.shape!s:9} train {split} samples")

# %%
# One estimator, three shapes
# ---------------------------
# ``RNNRegressor`` reads the layout from ``X``: 3D arrays are ``(n_samples,
# n_timesteps, n_features)``. Only the many-to-many model needs a parameter,
# ``return_sequences=True``. It also gets more epochs: its 40 training
# sequences make 2 gradient steps per epoch, against 25 for the others (the
# user guide's advice for small data sets). ``cell="rnn"`` would give the
# ``SimpleRNN`` of the course notes; the default LSTM learns faster on CPU.
epochs = {"many-to-one": 50, "many-to-many": 200, "one-to-one": 50}
predictions = {}
print(f"\n{'test, last 200 steps':21}{'MSE':>10}{'R^2':>8}")
for name, (X, y, split) in shapes.items():
    reg = RNNRegressor(
        return_sequences=name == "many-to-many",
        max_epochs=max(5, epochs[name] // 10) if FAST else epochs[name],
        random_state=0,
    ).fit(X[:split], y[:split])
    truth, pred = y[split:].ravel(), reg.predict(X[split:]).ravel()
    predictions[name] = pred
    mse, r2 = mean_squared_error(truth, pred), r2_score(truth, pred)
    print(f"{name:21}{mse:10.2e}{r2:8.4f}")

# %%
# A linear baseline
# -----------------
# The product is not a linear function of ``sin`` and ``cos``: a linear
# regression on the same flattened 2-step windows explains almost nothing, so
# the networks' R^2 near 1 is learned non-linearity. (One step is enough, too:
# ``sin t`` and ``cos t`` together pin down the phase, hence the next product.)
flat = X_m2o.reshape(len(X_m2o), -1)  # (999, 4): 2 steps x 2 features
split = n_train - 1
linear = LinearRegression().fit(flat[:split], y_m2o[:split])
y_test = y_m2o[split:]  # product[801:], the same 200 steps as every model's test
linear_pred = linear.predict(flat[split:])
print(
    f"{'linear regression':21}{mean_squared_error(y_test, linear_pred):10.2e}"
    f"{r2_score(y_test, linear_pred):8.4f}"
)

# %%
# Predictions against the truth
# -----------------------------
# All three layouts predict the same 200 test steps, so they line up on one
# time axis.
t_test = t[n_train + 1 :]
fig, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True, sharey=True)
for ax, (name, pred) in zip(axes, predictions.items(), strict=True):
    ax.plot(t_test, y_test, color="black", label="sin t cos t")
    ax.plot(t_test, pred, "C1.", markersize=4, label="prediction")
    ax.set_title(name)
axes[0].set_ylim(-0.65, 0.8)  # room for the legend
axes[0].legend(loc="upper right", ncol=2)
axes[-1].set_xlabel("t")
fig.tight_layout()
plt.show()
