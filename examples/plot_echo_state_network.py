"""
Echo state networks: a recurrent baseline that trains in a second
=================================================================

An echo state network (ESN) is a large recurrent layer whose weights are drawn
at random and never trained (the reservoir), read out by a linear model. The
course notes list it among the answers to vanishing gradients: nothing is
backpropagated through time, and the readout is one ridge solve.
:class:`~skrnn.ESNRegressor` and :class:`~skrnn.ESNClassifier` take the same
input as the trained networks, so this example puts each beside its
:class:`~skrnn.RNNRegressor` / :class:`~skrnn.RNNClassifier` counterpart on two
tasks from the course and the UCR archive, and draws the score each reaches
against the time its fit took, for three reservoir sizes.

The classification data ships with sktime (``pip install -e ".[examples]"``).
"""

# %%
# The course's noisy sine and ItalyPowerDemand
# --------------------------------------------
# The noisy sine of the course, ``sin(0.02 t) + 2 U(0, 1)``, forecast one step
# ahead from windows of 4 steps; the best possible test MSE is the noise
# variance, 1/3. ItalyPowerDemand: 67 training days of 24 hourly demand values,
# 1,029 test days, two classes.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import accuracy_score, mean_squared_error
from sktime.datasets import load_italy_power_demand

from skrnn import ESNClassifier, ESNRegressor, RNNClassifier, RNNRegressor, make_windows

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly
rnn_epochs = 3 if FAST else "auto"

rng = np.random.default_rng(0)
t = np.arange(1000)
series = np.sin(0.02 * t) + 2 * rng.uniform(size=len(t))
X, y = make_windows(series, window=4)
n_train = 800 - 4
sine = (X[:n_train], y[:n_train], X[n_train:], y[n_train:])

X_fit, y_fit = load_italy_power_demand(split="train", return_type="numpy3D")
X_new, y_new = load_italy_power_demand(split="test", return_type="numpy3D")
italy = (X_fit.transpose(0, 2, 1), y_fit, X_new.transpose(0, 2, 1), y_new)


def timed(model, data, score):
    """Fit ``model`` on the training part; its test score and fit seconds."""
    X_train, y_train, X_test, y_test = data
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return score(y_test, model.predict(X_test)), seconds


# %%
# Three reservoir sizes against the trained LSTM
# ----------------------------------------------
# The ESNs run at their defaults (a spectral radius of 0.9, a leak rate of 0.3,
# a ridge penalty of 1) with 100, 500 (the default) and 2,000 units; the RNNs at
# theirs.
results = {"noisy sine": {}, "ItalyPowerDemand": {}}
for size in (100, 500, 2000):
    results["noisy sine"][f"ESN {size}"] = timed(
        ESNRegressor(n_reservoir=size, random_state=0), sine, mean_squared_error
    )
    results["ItalyPowerDemand"][f"ESN {size}"] = timed(
        ESNClassifier(n_reservoir=size, random_state=0), italy, accuracy_score
    )
results["noisy sine"]["RNN (LSTM)"] = timed(
    RNNRegressor(max_epochs=rnn_epochs, random_state=0), sine, mean_squared_error
)
results["ItalyPowerDemand"]["RNN (LSTM)"] = timed(
    RNNClassifier(max_epochs=rnn_epochs, random_state=0), italy, accuracy_score
)
for task, rows in results.items():
    for name, (score, seconds) in rows.items():
        print(f"{task:>16} {name:>11}: score {score:.4f}, fit {seconds:6.2f} s")

# %%
# The reservoir of 500 units fits both tasks in a fraction of a second, and
# scores about what the LSTM scores in several seconds; ``benchmarks/esn.py``
# measures this over seeds on the real-data cases of the documentation, with
# the defaults chosen there by cross-validation on the training sets.
#
# Score against fit time
# ----------------------
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
labels = {
    "noisy sine": "test MSE (1/3 is the noise floor)",
    "ItalyPowerDemand": "test accuracy",
}
for ax, (task, rows) in zip(axes, results.items(), strict=True):
    for name, (score, seconds) in rows.items():
        marker = "s" if name.startswith("RNN") else "o"
        ax.scatter(seconds, score, marker=marker, s=50)
        ax.annotate(name, (seconds, score), textcoords="offset points", xytext=(5, 5))
    ax.set_xscale("log")
    ax.set_xlabel("fit time (s, log scale)")
    ax.set_ylabel(labels[task])
    ax.set_title(task)
axes[0].axhline(1 / 3, color="gray", ls=":", lw=1)
fig.tight_layout()
plt.show()
