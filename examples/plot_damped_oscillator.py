"""
Learning the dynamics of a damped, driven oscillator
====================================================

The damped, driven harmonic oscillator ``x'' + eta x' + x = F(t)`` is a favourite
of course notes on recurrent networks: simulate it, cut the trajectory into
windows by hand, train an LSTM with a hand-written loop to predict the next
velocity, and compare with the simulation. Here ``scipy.integrate.solve_ivp``
simulates it, :func:`~skrnn.make_windows` cuts windows of ``(x, v, F)``, and an
``RNNRegressor`` learns the next velocity from the first two thirds of the
trajectory. On the last third it is checked two ways: one step ahead (every
window holds the true past) and free-running, where the predicted velocities are
integrated into positions and fed back, so that errors can accumulate.
"""

# %%
# Simulating the oscillator
# -------------------------
# Damping ``eta = 0.3`` and a drive made of three sines with incommensurate
# frequencies, so that the trajectory never repeats exactly. ``solve_ivp``
# integrates the system ``x' = v, v' = F(t) - eta v - x`` accurately and we
# sample it every ``dt = 0.1``: 3,000 steps, the first 2,000 train.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.integrate import solve_ivp
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error, r2_score

from skrnn import RNNRegressor, make_windows

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly

eta, dt, n_steps, n_train = 0.3, 0.1, 3000, 2000


def drive(t):
    return np.cos(0.7 * t) + 0.6 * np.sin(1.9 * t + 1) + 0.4 * np.cos(0.23 * t)


def oscillator(t, state):
    x, v = state
    return [v, drive(t) - eta * v - x]


t = dt * np.arange(n_steps)
solution = solve_ivp(
    oscillator, (0, t[-1]), [1.0, 0.0], t_eval=t, rtol=1e-10, atol=1e-10
)
x, v = solution.y
force = drive(t)
table = np.column_stack([x, v, force])  # one row per time step: (x, v, F)

# %%
# Windows of (x, v, F) and the next velocity
# ------------------------------------------
# Each window holds the last 10 steps of all three columns; ``target=1`` makes
# its target the velocity at the step after it. A window belongs to the test set
# when its target lies in the last 1,000 steps: it may *read* the end of the
# training period (that is the past), but no training target comes from it.
window = 10
X, y = make_windows(table, window=window, target=1)  # (2990, 10, 3), (2990,)
target_step = np.arange(window, n_steps)  # the time step of each target
train = target_step < n_train
X_train, y_train, X_test, y_test = X[train], y[train], X[~train], y[~train]

reg = RNNRegressor(max_epochs=5 if FAST else 50, random_state=0)
start = time.perf_counter()
reg.fit(X_train, y_train)
print(f"fitted on {len(X_train)} windows in {time.perf_counter() - start:.1f} s")

# %%
# One step ahead
# --------------
# Two baselines: persistence (the next velocity is the current one), and a
# linear regression on the flattened windows. The oscillator is a *linear*
# system, so the linear regression is all but exact here; the network has to
# discover that structure from data and gets close. (For a non-linear
# oscillator, a pendulum or a Duffing oscillator say, the linear model would
# fail, while the network would be fitted the same way.) Consecutive
# velocities are close, so even persistence has an R^2 near 1: compare the MSEs.
one_step = reg.predict(X_test)
linear = LinearRegression().fit(X_train.reshape(len(X_train), -1), y_train)
linear_one_step = linear.predict(X_test.reshape(len(X_test), -1))
print(f"\n{'next velocity, test':22}{'MSE':>10}{'R^2':>10}")
for name, pred in [
    ("persistence", X_test[:, -1, 1]),
    ("linear regression", linear_one_step),
    ("RNN", one_step),
]:
    print(f"{name:22}{mean_squared_error(y_test, pred):10.2e}", end="")
    print(f"{r2_score(y_test, pred):10.5f}")

# %%
# Free-running rollout
# --------------------
# Starting from the last true window before the test period, the model predicts
# the next velocity, the position follows by the trapezoidal rule, the drive is
# known, and the new row ``(x, v, F)`` replaces the oldest one in the window.
# :func:`~skrnn.recursive_forecast` feeds back only the target column and takes
# the other columns as known in advance, but the position here depends on the
# predicted velocities, so the loop is written out, as in the course notes.
# The linear model's small rollout error is mostly that of the trapezoidal rule.


def rollout(predict_next_velocity):
    rows = table[n_train - window : n_train].copy()
    positions, velocities = [], []
    for step in range(n_train, n_steps):
        v_next = predict_next_velocity(rows[np.newaxis])
        x_next = rows[-1, 0] + dt * (rows[-1, 1] + v_next) / 2
        rows = np.vstack([rows[1:], [x_next, v_next, force[step]]])
        positions.append(x_next)
        velocities.append(v_next)
    return np.array(positions), np.array(velocities)


start = time.perf_counter()
x_free, v_free = rollout(lambda w: reg.predict(w)[0])
seconds = time.perf_counter() - start
x_linear, v_linear = rollout(lambda w: linear.predict(w.reshape(1, -1))[0])
x_true, v_true = x[n_train:], v[n_train:]
print(f"\nfree-running over {n_steps - n_train} steps ({seconds:.1f} s for the RNN)")
print(f"{'':22}{'MSE of x':>10}{'MSE of v':>10}{'R^2 of x':>10}")
for name, (xs, vs) in [
    ("linear regression", (x_linear, v_linear)),
    ("RNN", (x_free, v_free)),
]:
    print(
        f"{name:22}{mean_squared_error(x_true, xs):10.2e}"
        f"{mean_squared_error(v_true, vs):10.2e}{r2_score(x_true, xs):10.5f}"
    )
print(f"{'variance of the truth':22}{x_true.var():10.2e}{v_true.var():10.2e}")

# %%
# The trajectories
# ----------------
# Top: the true velocity and the one-step predictions. Bottom: the true
# position and the free-running rollout, which only ever saw the truth before
# the dotted line. The damping makes the oscillator forget its past within a
# few ``2 / eta`` time units, which is why a small error per step does not grow
# without bound.
shown = slice(n_train - 300, n_steps)
t_test = t[n_train:]
fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
axes[0].plot(t[shown], v[shown], color="black", label="true v")
axes[0].plot(t_test, one_step, "C1--", label="one step ahead (RNN)")
axes[0].set_ylabel("velocity v")
axes[1].plot(t[shown], x[shown], color="black", label="true x")
axes[1].plot(t_test, x_free, "C0--", label="free-running (RNN)")
axes[1].plot(t[shown], force[shown], color="grey", alpha=0.4, label="drive F(t)")
axes[1].set_ylabel("position x")
axes[1].set_xlabel("t")
for ax in axes:
    ax.axvline(t[n_train], color="grey", linestyle=":")
    ax.legend(loc="upper left", fontsize="small")
fig.tight_layout()
plt.show()
