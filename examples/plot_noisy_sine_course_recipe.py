"""
A course-notes RNN recipe, by hand and in skrnn
===============================================

Course notes on recurrent networks often forecast a noisy sine,
``sin(0.02 t) + 2 U(0, 1)``, from windows of 4 steps with a Keras
``SimpleRNN(32, activation="relu") -> Dense(8, relu) -> Dense(1)`` trained with
Adam on the mean squared error. This example writes that recipe out as the
hand-written PyTorch loop it takes without Keras (windowing, module, training
loop, prediction), counts its lines, then builds the same network in two
statements of skrnn, and finally lets ``GridSearchCV`` with ``TimeSeriesSplit``
tune the window length and the width on the training part only. Each model's
test MSE is printed next to the noise floor: no forecast can expect to beat the
variance of the noise, ``Var(2 U(0, 1)) = 1/3``.
"""

# %%
# The noisy sine
# --------------
# 1,000 steps of ``sin(0.02 t)`` plus uniform noise on ``[0, 2)``. The first 800
# steps train; the models forecast each of the last 200 from the 4 steps before
# it. The best possible forecast is ``sin(0.02 t) + 1`` (the noise has mean 1),
# and its squared error is the noise variance, 1/3 on average.
import inspect
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from torch import nn

from skrnn import RNNRegressor, SequenceWindower, make_windows

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly
EPOCHS = 5 if FAST else 100  # the notes train for 100 epochs

rng = np.random.default_rng(0)
t = np.arange(1000)
series = np.sin(0.02 * t) + 2 * rng.uniform(size=len(t))
n_train, window = 800, 4
train = series[:n_train]
# Test windows may start before step 800: their inputs are the past, not a leak.
test = series[n_train - window :]
truth = np.sin(0.02 * t[n_train:]) + 1  # the best forecast, noise mean included
# torch imports torch._dynamo when it builds its first optimizer (a second or
# more): do it here, so that neither timing below includes it.
torch.optim.Adam([torch.zeros(1, requires_grad=True)])

# %%
# The recipe by hand
# ------------------
# Without Keras, the notes' recipe is all of this: a function that cuts the
# series into windows and next values, the module, a loop over epochs and
# shuffled mini-batches of 16 with Adam at ``lr=1e-3``, and a prediction
# function. As in the notes, the data is not scaled.


def windows_by_hand(data, window):
    X, y = [], []
    for i in range(len(data) - window):
        X.append(data[i : i + window])
        y.append(data[i + window])
    return np.array(X)[:, :, None], np.array(y)  # (n_windows, window, 1 feature)


class CourseRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(1, 32, nonlinearity="relu", batch_first=True)
        self.dense = nn.Sequential(nn.Linear(32, 8), nn.ReLU(), nn.Linear(8, 1))

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.dense(out[:, -1]).squeeze(-1)  # read the last time step


def fit_by_hand(X, y, epochs, batch_size=16, seed=0):
    torch.manual_seed(seed)
    model = CourseRNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    X = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.float32)
    for _ in range(epochs):
        order = torch.randperm(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(X[batch]), y[batch])
            loss.backward()
            optimizer.step()
    return model


def predict_by_hand(model, X):
    with torch.no_grad():
        return model(torch.tensor(X, dtype=torch.float32)).numpy()


recipe = [
    windows_by_hand,
    CourseRNN.__init__,  # the methods: sphinx-gallery cannot find a class's source
    CourseRNN.forward,
    fit_by_hand,
    predict_by_hand,
]
n_lines = 1 + sum(  # 1 for the class statement
    line.strip() != "" and not line.strip().startswith("#")
    for part in recipe
    for line in inspect.getsource(part).splitlines()
)
print(f"the hand-written recipe: {n_lines} lines of code")
X_train, y_train = windows_by_hand(train, window)
X_test, y_test = windows_by_hand(test, window)
start = time.perf_counter()
by_hand = fit_by_hand(X_train, y_train, epochs=EPOCHS)
seconds = {"by hand": time.perf_counter() - start}
predictions = {"by hand": predict_by_hand(by_hand, X_test)}

# %%
# The same model in skrnn
# -----------------------
# :func:`~skrnn.make_windows` cuts the same windows, and ``RNNRegressor`` builds
# the same network: an Elman RNN of 32 ReLU units (``cell="rnn"``,
# ``nonlinearity="relu"``) and a ``Dense(8, relu)`` layer before the output
# (``head_layers=(8,)``). ``lr``, ``batch_size`` and ``max_epochs`` are set to
# the recipe's values instead of skrnn's defaults, so that only the library
# differs. skrnn still standardises inputs and targets and clips the gradient
# norm at 1, which changes the optimisation path, not the model.
X_train, y_train = make_windows(train, window)
start = time.perf_counter()
same = RNNRegressor(
    cell="rnn",
    nonlinearity="relu",
    hidden_size=32,
    head_layers=(8,),
    lr=1e-3,
    batch_size=16,
    max_epochs=EPOCHS,
    random_state=0,
).fit(X_train, y_train)
seconds["skrnn, same model"] = time.perf_counter() - start
predictions["skrnn, same model"] = same.predict(make_windows(test, window)[0])
same_windows = np.array_equal(X_train, windows_by_hand(train, window)[0])
print(f"make_windows gives the hand-written windows: {same_windows}")

# %%
# Tuned with GridSearchCV
# -----------------------
# The window length of 4 is the notes' choice; with a
# :class:`~skrnn.SequenceWindower` in a Pipeline it is a hyperparameter like the
# number of units. The pipeline takes the series as rows and each row's next
# value as target; ``TimeSeriesSplit`` scores every candidate on later parts of
# the first 800 steps, so the test part plays no role in the choice. On 800
# noisy points a fixed number of epochs overfits, so the regressor uses early
# stopping (on the chronologically last 10% of each training fold) with
# ``max_epochs`` as a ceiling; everything else is skrnn's default LSTM.
rows = pd.DataFrame({"x": series})  # the RangeIndex is the time step
next_value = rows["x"].shift(-1)
# Row 799 would need step 800 as target, so training stops at row 798. The test
# rows' index continues the training rows', so their windows reach back into the
# training rows instead of being padded.
train_rows, y_rows = rows.iloc[: n_train - 1], next_value.iloc[: n_train - 1]
test_rows = rows.iloc[n_train - 1 : -1]
max_epochs = 10 if FAST else 200
rnn = RNNRegressor(early_stopping=True, max_epochs=max_epochs, random_state=0)
pipeline = Pipeline([("windower", SequenceWindower()), ("rnn", rnn)])
grid = {
    "windower__window": [4, 8] if FAST else [4, 8, 16],
    "rnn__hidden_size": [32] if FAST else [32, 64],
}
search = GridSearchCV(
    pipeline, grid, cv=TimeSeriesSplit(n_splits=3), scoring="neg_mean_squared_error"
)
start = time.perf_counter()
search.fit(train_rows, y_rows)
seconds["skrnn, tuned"] = time.perf_counter() - start
predictions["skrnn, tuned"] = search.predict(test_rows)
cv = pd.DataFrame(search.cv_results_)
print(
    pd.DataFrame(
        {
            "window": cv["param_windower__window"],
            "hidden_size": cv["param_rnn__hidden_size"],
            "CV MSE": -cv["mean_test_score"],
        }
    ).to_string(index=False, float_format="{:.4f}".format)
)
print("chosen:", search.best_params_)

# %%
# Test errors against the noise floor
# -----------------------------------
# The hand-written loop and skrnn train the same network and land at the same
# error; the difference is the number of lines. A longer window lets the tuned
# model average out more of the noise; its time is that of the whole search.
# With 200 test points, the MSE itself is uncertain by about +-0.02, and the true
# sine scores below 1/3 on this stretch because its noise happens to be a little
# smaller than average.
print(f"\n{'':28}{'test MSE':>10}{'seconds':>9}")
for name, predicted in predictions.items():
    mse = mean_squared_error(y_test, predicted)
    print(f"{name:28}{mse:10.4f}{seconds[name]:9.1f}")
print(f"{'noise floor, Var(2 U(0,1))':28}{1 / 3:10.4f}")
print(f"{'true sin(0.02 t) + 1 here':28}{mean_squared_error(y_test, truth):10.4f}")

fig, ax = plt.subplots(figsize=(9, 4))
ax.plot(t[n_train:], y_test, ".", color="0.7", label="observed")
ax.plot(t[n_train:], truth, "k-", lw=2, label="sin(0.02 t) + 1")
for name, predicted in predictions.items():
    ax.plot(t[n_train:], predicted, lw=1.5, label=name)
ax.set_xlabel("t")
ax.set_title("One-step forecasts on the test part")
ax.legend(ncol=3, fontsize="small")
fig.tight_layout()
plt.show()
