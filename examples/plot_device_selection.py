"""
Choosing the device: CPU, GPU or "auto"
=======================================

In PyTorch course notes, running on a GPU means ``device = torch.device("cuda"
if torch.cuda.is_available() else "cpu")`` at the top of the notebook, then
``model.to(device)`` and ``x.to(device)`` for every batch in the training and
prediction loops, and ``torch.load(path, map_location="cpu")`` to read the model
back on a laptop. In skrnn the device is one estimator parameter: ``device="cpu"``
(the default), ``"cuda"``, ``"cuda:N"``, ``"mps"``, or ``"auto"`` for the best one
this machine has. This example fits the same model on the CPU and with
``device="auto"``, compares fit times and predictions, moves a fitted model with
``set_params(device=...)``, and loads it in a process that sees no GPU, from a
pickle and from :func:`skrnn.save`. It runs the same with or without a GPU; on a
machine without one, ``"auto"`` is the CPU and it says so.
"""

# %%
# What this machine has
# ---------------------
# The devices PyTorch can use, found with public torch calls. ``device="auto"``
# picks the first CUDA GPU, else Apple's ``"mps"``, else the CPU.
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import skrnn
from skrnn import RNNRegressor, make_windows

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly

devices = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
if torch.backends.mps.is_available():
    devices.append("mps")
print(f"torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
for i in range(torch.cuda.device_count()):
    print(f"  cuda:{i} is {torch.cuda.get_device_name(i)}")
print(f"devices skrnn can use here: {devices}")
expected = devices[1] if len(devices) > 1 else "cpu"
print(f'device="auto" will train on: {expected}')

# %%
# The same model on each device
# -----------------------------
# Windows of 32 steps of a noisy, slowly modulated sine predict the next value;
# the first 80% of the windows train, the rest test. Each device gets a short
# warm-up fit first, so that the timings leave out one-off start-up costs (a
# GPU's CUDA context takes a second or two to create).
rng = np.random.default_rng(0)
t = np.arange(800 if FAST else 4000)
series = np.sin(0.2 * t) * (1 + 0.5 * np.sin(0.01 * t)) + 0.1 * rng.normal(size=len(t))
X, y = make_windows(series, window=32)
n_train = int(0.8 * len(X))
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

fitted, fit_seconds, predictions = {}, {}, {}
for device in ["cpu", "auto"]:
    warm_up = RNNRegressor(max_epochs=1, device=device, random_state=0)
    warm_up.fit(X_train[:64], y_train[:64])
    # 5 epochs are enough to check that the example runs.
    model = RNNRegressor(max_epochs=5 if FAST else 50, device=device, random_state=0)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fit_seconds[device] = time.perf_counter() - start
    fitted[device] = model
    predictions[device] = model.predict(X_test)
    rmse = np.sqrt(np.mean((predictions[device] - y_test) ** 2))
    print(
        f'device="{device}": trained on {model.device_}, fit {fit_seconds[device]:.1f}'
        f" s, test RMSE {rmse:.4f}"
    )

# %%
# Do the predictions agree?
# -------------------------
# On the CPU, a fit with an integer ``random_state`` is reproducible bit for
# bit, so when ``"auto"`` resolves to the CPU the two models are the same. A GPU
# starts from the same initial weights and sees the batches in the same order,
# but its kernels round differently, and the small differences grow over the
# epochs: the predictions agree closely, not exactly.
difference = np.abs(predictions["auto"] - predictions["cpu"]).max()
if fitted["auto"].device_.type == "cpu":
    print(
        'No GPU on this machine: device="auto" resolved to the CPU, so both fits '
        "ran on the CPU (any difference in their fit times is noise)."
    )
    identical = np.array_equal(predictions["auto"], predictions["cpu"])
    print(f"identical predictions: {identical}")
else:
    print(
        f'device="auto" trained on {fitted["auto"].device_}; largest difference '
        f"from the CPU model's predictions: {difference:.2e} (the targets' sd is "
        f"{y_test.std():.2f})"
    )

# %%
# Moving a fitted model
# ---------------------
# ``set_params(device=...)`` on a fitted estimator moves its network (and the
# optimizer's state, so that ``warm_start`` can continue there). The weights do
# not change, so the predictions do not either, up to float rounding of a
# different device's kernels.
model = fitted["auto"]
before = model.predict(X_test)
print(f"\nthe auto model lives on {model.device_}")
model.set_params(device="cpu")
after = model.predict(X_test)
print(
    f'after set_params(device="cpu"): on {model.device_}, predictions changed by '
    f"at most {np.abs(after - before).max():.2e}"
)
model.set_params(device="auto")
print(f'after set_params(device="auto"): on {model.device_} again')

# A device this machine lacks is an error that lists the available ones, and
# leaves the model (and its ``device`` parameter) as it was.
if not torch.cuda.is_available():
    try:
        model.set_params(device="cuda")
    except ValueError as error:
        print(f"ValueError: {error}")
    print(f"still on {model.device_}, with device={model.device!r}")

# %%
# Loading a model where there is no GPU
# -------------------------------------
# A model fitted on a GPU must also be usable on a laptop or a CPU-only server.
# We save the ``"auto"`` model (on a GPU if this machine has one) as a pickle
# and with :func:`skrnn.save`, then load both in a new Python process that sees
# no CUDA GPU (``CUDA_VISIBLE_DEVICES=""``): a network saved on a GPU comes back
# on the CPU, with a warning that says so. ``skrnn.load(path, device="cpu")``
# asks for the CPU explicitly and warns about nothing.
folder = Path(tempfile.mkdtemp())
with open(folder / "model.pkl", "wb") as f:
    pickle.dump(model, f)
skrnn.save(model, folder / "model.safetensors")
np.save(folder / "X_test.npy", X_test)
np.save(folder / "expected.npy", model.predict(X_test))

on_cpu = skrnn.load(folder / "model.safetensors", device="cpu")
print(f'\nskrnn.load(..., device="cpu") here: on {on_cpu.device_}')

CHILD = """
import pickle, sys, warnings
from pathlib import Path
import numpy as np
import torch
import skrnn

folder = Path(sys.argv[1])
X_test = np.load(folder / "X_test.npy")
expected = np.load(folder / "expected.npy")
print(f"  child process: CUDA available: {torch.cuda.is_available()}")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with open(folder / "model.pkl", "rb") as f:
        loaded = {"pickle": pickle.load(f)}
    loaded["skrnn.load"] = skrnn.load(folder / "model.safetensors")
for name, model in loaded.items():
    difference = np.abs(model.predict(X_test) - expected).max()
    print(f"  {name:10} loaded on {model.device_}, predictions differ by "
          f"{difference:.2e}")
for message in dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught):
    print(f"  {message}")
"""
child = subprocess.run(
    [sys.executable, "-c", CHILD, str(folder)],
    env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    capture_output=True,
    text=True,
    check=True,
)
print(child.stdout, end="")

# %%
# Fit time and predictions
# ------------------------
# Left: the fit time on each device. Whether a GPU is faster depends on the
# work per step: a small network on batches of 32 keeps a GPU mostly idle, and
# larger ``batch_size``, ``hidden_size`` or longer sequences are where it pays.
# Right: the two models' predictions of the last 200 test steps.
fig, (bars, ax) = plt.subplots(
    1, 2, figsize=(11, 3.5), gridspec_kw={"width_ratios": [1, 3]}
)
labels = [f'"{d}"\n({fitted[d].device_})' for d in fit_seconds]
bars.bar(labels, list(fit_seconds.values()), color=["C0", "C1"])
bars.set_ylabel("fit time, s")
bars.set_title("Fit time")
last = slice(-200, None)
steps = np.arange(len(y_test))[last]
ax.plot(steps, y_test[last], "k.", ms=3, label="truth")
ax.plot(steps, predictions["cpu"][last], "C0-", lw=3, alpha=0.5, label='"cpu"')
ax.plot(
    steps,
    predictions["auto"][last],
    "C1--",
    label=f'"auto" ({fitted["auto"].device_})',
)
ax.set_xlabel("test window")
ax.margins(y=0.3)
ax.legend(loc="upper left", ncols=3)
ax.set_title("Predictions on the test windows")
fig.tight_layout()
plt.show()
