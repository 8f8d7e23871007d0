"""
Serving a model: streams of sensor readings over HTTP
=====================================================

A deployed recurrent model sees one new reading at a time. Re-reading each
sensor's whole history for every reading costs more as the history grows;
carrying the network's hidden state costs the same at every step.
:func:`~skrnn.start_stream` and :func:`~skrnn.predict_stream` do that with an
explicit state the caller keeps (one per sensor; it pickles), and
:func:`~skrnn.make_server` serves a saved model over HTTP with the standard
library: batches on ``POST /predict``, streams on ``POST /streams/<id>``, and
``GET /health`` with the model's metadata and latency. This example trains a
next-reading forecaster, saves it, serves it on a free local port, feeds three
sensors' readings one request at a time, and checks every answer against
``predict`` on the history.
"""

# %%
# A forecaster of the next reading, saved to a file
# -------------------------------------------------
# Many-to-many (``return_sequences=True``): after every reading, the next one.
import json
import os
import tempfile
import threading
import time
import urllib.request

import matplotlib.pyplot as plt
import numpy as np

import skrnn
from skrnn import RNNRegressor

FAST = os.environ.get("SKRNN_FAST") == "1"  # CI runs every example quickly
rng = np.random.default_rng(0)


def sensors(n, n_steps):
    """Readings of ``n`` sensors: drifting oscillations with noise."""
    t = np.arange(n_steps + 1)
    period = rng.uniform(15, 40, size=(n, 1))
    level = rng.uniform(-2, 2, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    signal = level + np.sin(2 * np.pi * t / period + phase)
    return signal + 0.05 * rng.normal(size=signal.shape)


readings = sensors(200, 120)
X, y = readings[:, :-1, np.newaxis], readings[:, 1:]
model = RNNRegressor(
    return_sequences=True,
    scaling="global",  # per-sequence scaling cannot stream (it re-reads the past)
    max_epochs=5 if FAST else 60,
    random_state=0,
).fit(X, y)
folder = tempfile.mkdtemp()
path = os.path.join(folder, "sensors.skrnn")
skrnn.save(model, path)

# %%
# The service, on a free port of this machine
# -------------------------------------------
server = skrnn.make_server(path, port=0)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = "http://{}:{}".format(*server.server_address[:2])


def call(method, route, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + route, data=data, method=method)
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


print(json.dumps(call("GET", "/health")["fitted"]))

# %%
# Three sensors, one reading per request
# --------------------------------------
# Each sensor has its own stream; each request sends one reading and gets the
# forecast of the next. A batch request on the whole history answers the same.
new = sensors(3, 150)[:, :-1]
streams = [call("POST", "/streams", {"n_sequences": 1})["stream_id"] for _ in new]
forecasts, stream_ms = np.empty_like(new), []
for t in range(new.shape[1]):
    for k, stream_id in enumerate(streams):
        start = time.perf_counter()
        answer = call("POST", f"/streams/{stream_id}", {"X": [[new[k, t]]]})
        stream_ms.append(1000 * (time.perf_counter() - start))
        forecasts[k, t] = answer["predictions"][0][0]
history = call("POST", "/predict", {"X": new[:, :, np.newaxis].tolist()})
gap = np.abs(np.array(history["predictions"]) - forecasts).max()
print(f"largest difference, stream against predict on the history: {gap:.1e}")
health = call("GET", "/health")
print("server latency (ms):", health["latency_ms"], "requests:", health["requests"])
server.shutdown()
server.server_close()

# %%
# The readings, the streamed forecasts, and the time per request
# --------------------------------------------------------------
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=(2, 1))
for k, colour in enumerate(["tab:blue", "tab:orange", "tab:green"]):
    left.plot(new[k], color=colour, lw=1)
    left.plot(np.arange(1, new.shape[1] + 1), forecasts[k], color=colour, ls="--")
left.set_xlabel("reading")
left.set_title("readings (solid) and next-reading forecasts (dashed)")
right.hist(stream_ms, bins=30, color="tab:blue")
right.set_xlabel("milliseconds per stream request (HTTP included)")
right.set_title(f"{len(stream_ms)} stream requests")
fig.tight_layout()
