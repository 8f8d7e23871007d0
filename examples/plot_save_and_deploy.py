"""
Saving, loading and deploying a forecasting pipeline
====================================================

A model earns its keep after training: saved, loaded somewhere else, fed the
same preprocessing, and asked for one prediction at a time. This example fits a
``SequenceWindower`` + ``RNNRegressor`` pipeline on an hourly load series and
then:

- pickles it, and saves it with :func:`skrnn.save`, a format that is safe to
  load from an untrusted source, and checks that both give back the same
  predictions;
- shows that a damaged file is refused with a clear error;
- exports the network to ONNX with ``to_onnx`` and runs it with onnxruntime,
  with no torch and no skrnn needed on the serving side;
- times one prediction in each form.
"""

# %%
# An hourly series and a forecasting pipeline
# -------------------------------------------
# Load with a daily cycle that follows the temperature, plus noise. Each row's
# window holds the last 24 hours, and the target is the next hour's load.
import os
import pickle
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.pipeline import make_pipeline

import skrnn
from skrnn import RNNRegressor, SequenceWindower

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly

rng = np.random.default_rng(0)
hours = pd.date_range("2024-01-01", periods=24 * 60, freq="h")
temperature = 10 + 8 * np.sin(2 * np.pi * (hours.hour - 9) / 24)
load = 500 + 15 * temperature + 40 * np.sin(2 * np.pi * hours.dayofweek / 7)
table = pd.DataFrame(
    {"load": load + 10 * rng.normal(size=len(hours)), "temperature": temperature},
    index=hours,
)
target = table["load"].shift(-1)  # the next hour
n_train = int(0.8 * len(table))
train, test = table[:n_train], table[n_train:-1]

pipeline = make_pipeline(
    SequenceWindower(window=24),
    RNNRegressor(max_epochs=3 if FAST else 30, random_state=0),
).fit(train, target[:n_train])
predicted = pipeline.predict(test)
rmse = np.sqrt(np.mean((predicted - target[n_train:-1]) ** 2))
print(f"test RMSE: {rmse:.1f} (noise sd 10)")

# %%
# Pickle, and the safe format
# ---------------------------
# Both give back a pipeline that predicts exactly what the original predicts,
# the windower's memory of the last training rows included: its first test
# windows continue from the training data. Loading a pickle runs whatever code
# the file holds; :func:`skrnn.load` parses JSON and copies numbers, so it is
# the one to use for a model from an untrusted source.
folder = Path(tempfile.mkdtemp())
with open(folder / "model.pkl", "wb") as f:
    pickle.dump(pipeline, f)
skrnn.save(pipeline, folder / "model.safetensors")

with open(folder / "model.pkl", "rb") as f:
    from_pickle = pickle.load(f)
from_safe = skrnn.load(folder / "model.safetensors")
for name, loaded in [("pickle", from_pickle), ("skrnn.save", from_safe)]:
    size = (folder / ("model.pkl" if name == "pickle" else "model.safetensors")).stat()
    same = np.array_equal(loaded.predict(test), predicted)
    print(f"{name:11} {size.st_size / 1e3:6.0f} kB, identical predictions: {same}")

# %%
# A damaged file is refused
# -------------------------
# The file carries a SHA-256 digest of its content. One changed byte, or a cut-off
# download, gives a ``ValueError`` that says so, never a half-working model.
damaged = bytearray((folder / "model.safetensors").read_bytes())
damaged[-100] ^= 0xFF
(folder / "damaged.safetensors").write_bytes(bytes(damaged))
try:
    skrnn.load(folder / "damaged.safetensors")
except ValueError as error:
    print(f"ValueError: {str(error)[:90]}...")

# %%
# Serving with ONNX
# -----------------
# ``to_onnx`` exports the regressor's network with its scaling of inputs and
# targets, so the graph takes the raw windows and returns the forecast in the
# units of ``load``. The windows are the windower's output, front-padded with NaN
# where the history is short; the graph reads that padding as ``predict`` does.
import onnxruntime  # noqa: E402  (the "export" extra: pip install "skrnn[export]")

windower, regressor = from_safe[0], from_safe[-1]
regressor.to_onnx(folder / "model.onnx")
session = onnxruntime.InferenceSession(str(folder / "model.onnx"))
windows = windower.transform(test).astype(np.float32)
(from_onnx,) = session.run(None, {"X": windows})
print(f"ONNX vs predict: largest difference {np.abs(from_onnx - predicted).max():.2e}")

# %%
# One prediction at a time
# ------------------------
# A service predicts the newest window as it arrives. ``predict`` skips generic
# checks for float arrays and calls the module directly, so one call costs
# little more than the bare torch module; onnxruntime is faster still.
one = windows[-1:]
module = regressor.net_.module_


def bare_module():
    with torch.inference_mode():
        return module(torch.from_numpy(one))


def per_call(function, calls=20 if FAST else 500):
    function()
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls * 1e6


latency = {
    "RNNRegressor.predict": per_call(lambda: regressor.predict(one)),
    "bare torch module": per_call(bare_module),
    "onnxruntime": per_call(lambda: session.run(None, {"X": one})),
}
for name, microseconds in latency.items():
    print(f"{name:22} {microseconds:7.0f} us per window")

fig, (ax, bars) = plt.subplots(
    1, 2, figsize=(11, 3.5), gridspec_kw={"width_ratios": [3, 1]}
)
last = slice(-72, None)
ax.plot(test.index[last], target[n_train:-1].to_numpy()[last], "k-", label="truth")
ax.plot(test.index[last], predicted[last], "C0-", lw=3, alpha=0.5, label="predict")
ax.plot(test.index[last], from_onnx[last], "C1--", label="onnxruntime")
ax.set_ylabel("load, next hour")
ax.legend()
ax.set_title("The last three days of the test period")
bars.barh(list(latency), list(latency.values()), color=["C0", "C7", "C1"])
bars.set_xlabel("microseconds per window")
bars.invert_yaxis()
fig.tight_layout()
plt.show()
