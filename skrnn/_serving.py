"""A prediction service over HTTP, with the standard library's server.

``make_server(model)`` serves a fitted model (or a file of ``skrnn.save``):
batches of sequences, streams of new steps (one :class:`StreamState` per
stream id), and a health endpoint with the model's metadata and the latency of
the last requests. Bad requests get a 4xx answer carrying the message that
``predict`` would raise; nothing answers with a stack trace.
"""

import collections
import hashlib
import json
import logging
import math
import secrets
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ._params import check_positive_int
from ._streaming import check_method, final_step, predict_stream, start_stream

logger = logging.getLogger("skrnn.serving")

# Request latencies kept for the percentiles of /health.
_LATENCY_WINDOW = 1000


class _Refused(Exception):
    """A request answered with a 4xx status and a message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def make_server(
    model,
    *,
    host="127.0.0.1",
    port=8000,
    max_body_bytes=10_000_000,
    max_streams=10_000,
    model_version=None,
):
    """An HTTP server of a fitted model's predictions; start it with
    ``serve_forever()``.

    Endpoints (JSON in and out):

    - ``GET /health``: the model (its steps, version, skrnn's version, fitted
      metadata such as ``n_features_in_``, ``classes_``, the window of a
      windowed Pipeline), the number of open streams, request counts by status, and the
      median and 99th percentile latency of the last 1,000 requests.
    - ``POST /predict`` with ``{"X": ..., "method": "predict"}``: the model's
      ``method`` (``"predict"`` or ``"predict_proba"``) of ``X``, given as
      ``predict`` takes it: nested lists (a 3D batch, 2D univariate sequences,
      or a list of sequences of different lengths), with ``null`` for NaN
      padding, or a list of records (``{"column": value}``) for a model fitted
      on a DataFrame. Answers ``{"predictions": ...}``.
    - ``POST /streams`` with ``{"n_sequences": 1}`` (a windowed Pipeline may
      add ``"history"``: the rows before the stream): opens a stream and
      answers ``{"stream_id": ...}`` (201).
    - ``POST /streams/<id>`` with ``{"X": new steps, "method": "predict"}``:
      feeds the steps (:func:`predict_stream`) and answers the predictions
      after them. Requests on one stream are served one at a time.
    - ``GET /streams/<id>``: the steps read; ``DELETE /streams/<id>`` closes it.

    Invalid input (a wrong shape, NaN inside a sequence, ...) answers 400 with
    the message ``predict`` raises; an unknown stream 404; a body over
    ``max_body_bytes`` 413; more than ``max_streams`` open streams 429. An
    unexpected error answers 500 without details, which go to the
    ``skrnn.serving`` logger.

    Parameters
    ----------
    model : fitted estimator or Pipeline, or path
        What to serve, or a file written by :func:`skrnn.save`.
    host : str, default="127.0.0.1"
        The address to listen on; "0.0.0.0" listens on every interface.
    port : int, default=8000
        The port; 0 picks a free one (see ``server.server_address``).
    max_body_bytes : int, default=10_000_000
        The largest request body accepted.
    max_streams : int, default=10_000
        The most streams open at once.
    model_version : str, default=None
        What ``/health`` names the model's version; None takes, for a file,
        ``"sha256:"`` and the first 16 hex digits of its SHA-256 (two files
        with the same version hold the same model), and for a model object
        nothing.

    Returns
    -------
    server : http.server.ThreadingHTTPServer
        Serves each connection in its own thread; stop it with ``shutdown()``
        (from another thread) and ``server_close()``.

    Examples
    --------
    >>> import threading
    >>> import numpy as np
    >>> from skrnn import RNNRegressor, make_server
    >>> X = np.random.default_rng(0).normal(size=(16, 5, 2))
    >>> reg = RNNRegressor(max_epochs=2, random_state=0).fit(X, X[:, -1, 0])
    >>> server = make_server(reg, port=0)
    >>> thread = threading.Thread(target=server.serve_forever, daemon=True)
    >>> thread.start()
    >>> server.server_address[1] > 0
    True
    >>> server.shutdown(); server.server_close()
    """
    if isinstance(model, str | Path):
        from ._persistence import load

        if model_version is None:
            digest = hashlib.sha256(Path(model).read_bytes()).hexdigest()
            model_version = f"sha256:{digest[:16]}"
        model = load(model)
    check_positive_int("max_body_bytes", max_body_bytes)
    check_positive_int("max_streams", max_streams)
    service = _Service(model, max_body_bytes, max_streams, model_version)

    class Handler(_Handler):
        pass

    Handler.service = service
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


class _Service:
    """The model, its open streams and the request statistics."""

    def __init__(self, model, max_body_bytes, max_streams, model_version):
        self.model = model
        self.max_body_bytes = max_body_bytes
        self.max_streams = max_streams
        self.streams = {}  # id -> [StreamState, Lock]
        self.lock = threading.Lock()
        self.latencies = collections.deque(maxlen=_LATENCY_WINDOW)
        self.counts = collections.Counter()
        self.metadata = {**_metadata(model), "model_version": model_version}

    def health(self):
        with self.lock:
            latencies = sorted(self.latencies)
            counts = dict(self.counts)
            n_streams = len(self.streams)
        return {
            "status": "ok",
            **self.metadata,
            "streams": n_streams,
            "requests": counts,
            "latency_ms": {
                "p50": _percentile(latencies, 0.5),
                "p99": _percentile(latencies, 0.99),
                "of_last": len(latencies),
            },
        }

    def predict(self, body):
        method = _method(body, self.model)
        X = _input(body, "X")
        return {"predictions": _plain(getattr(self.model, method)(X))}

    def open_stream(self, body):
        n_sequences = body.get("n_sequences", 1)
        history = body.get("history")
        history = None if history is None else _input(body, "history")
        state = start_stream(self.model, n_sequences, history=history)
        stream_id = secrets.token_hex(8)
        with self.lock:
            if len(self.streams) >= self.max_streams:
                raise _Refused(
                    HTTPStatus.TOO_MANY_REQUESTS,
                    f"{self.max_streams} streams are open, the most this server "
                    "holds: close some (DELETE /streams/<id>).",
                )
            self.streams[stream_id] = [state, threading.Lock()]
        return {"stream_id": stream_id, "n_sequences": state.n_sequences}

    def feed_stream(self, stream_id, body):
        entry = self._stream(stream_id)
        method = _method(body, self.model)
        X = _input(body, "X")
        with entry[1]:  # one request at a time per stream
            y, entry[0] = predict_stream(self.model, X, entry[0], method=method)
        return {"predictions": _plain(y), "n_steps": entry[0].n_steps}

    def describe_stream(self, stream_id):
        state = self._stream(stream_id)[0]
        return {"n_sequences": state.n_sequences, "n_steps": state.n_steps}

    def close_stream(self, stream_id):
        with self.lock:
            if self.streams.pop(stream_id, None) is None:
                raise _unknown_stream(stream_id)

    def _stream(self, stream_id):
        with self.lock:
            entry = self.streams.get(stream_id)
        if entry is None:
            raise _unknown_stream(stream_id)
        return entry

    def record(self, status, seconds):
        with self.lock:
            self.counts[str(int(status))] += 1
            self.latencies.append(1000 * seconds)


class _Handler(BaseHTTPRequestHandler):
    service = None  # set per server by make_server
    server_version = "skrnn"

    def do_GET(self):
        self._answer(self._get)

    def do_POST(self):
        self._answer(self._post)

    def do_DELETE(self):
        self._answer(self._delete)

    def _get(self, parts):
        if parts == ["health"]:
            return HTTPStatus.OK, self.service.health()
        if len(parts) == 2 and parts[0] == "streams":
            return HTTPStatus.OK, self.service.describe_stream(parts[1])
        raise self._no_route()

    def _post(self, parts):
        if parts == ["predict"]:
            return HTTPStatus.OK, self.service.predict(self._body())
        if parts == ["streams"]:
            return HTTPStatus.CREATED, self.service.open_stream(self._body())
        if len(parts) == 2 and parts[0] == "streams":
            return HTTPStatus.OK, self.service.feed_stream(parts[1], self._body())
        raise self._no_route()

    def _delete(self, parts):
        if len(parts) == 2 and parts[0] == "streams":
            self.service.close_stream(parts[1])
            return HTTPStatus.OK, {"closed": parts[1]}
        raise self._no_route()

    def _answer(self, route):
        start = time.perf_counter()
        try:
            parts = [part for part in self.path.split("?")[0].split("/") if part]
            status, payload = route(parts)
        except _Refused as refused:
            status, payload = refused.status, {"error": str(refused)}
        except (ValueError, TypeError) as error:  # what predict says of bad input
            status, payload = HTTPStatus.BAD_REQUEST, {"error": str(error)}
        except Exception:
            logger.exception("%s %s failed", self.command, self.path)
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            payload = {"error": "The server failed on this request; see its log."}
        body = json.dumps(payload, allow_nan=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.service.record(status, time.perf_counter() - start)

    def _body(self):
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise _Refused(
                HTTPStatus.LENGTH_REQUIRED, "The request needs a Content-Length."
            )
        if int(length) > self.service.max_body_bytes:
            self.close_connection = True  # the body is not read
            raise _Refused(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"The body has {int(length):,} bytes, more than the "
                f"{self.service.max_body_bytes:,} this server accepts: send "
                "smaller batches.",
            )
        try:
            body = json.loads(self.rfile.read(int(length)) or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise _Refused(
                HTTPStatus.BAD_REQUEST, f"The body is not valid JSON: {error}."
            ) from None
        if not isinstance(body, dict):
            raise _Refused(HTTPStatus.BAD_REQUEST, "The body must be a JSON object.")
        return body

    def _no_route(self):
        return _Refused(
            HTTPStatus.NOT_FOUND,
            f"No endpoint {self.command} {self.path}; see GET /health, POST "
            "/predict, POST /streams, POST|GET|DELETE /streams/<id>.",
        )

    def log_message(self, format, *args):
        logger.info("%s - %s", self.address_string(), format % args)


def _unknown_stream(stream_id):
    return _Refused(
        HTTPStatus.NOT_FOUND,
        f"No open stream {stream_id!r}: open one with POST /streams (streams "
        "live in the server's memory and end with it).",
    )


def _method(body, model):
    method = body.get("method", "predict")
    check_method(model, method)
    return method


def _input(body, name):
    """``body[name]`` as the model takes it: an array (null read as NaN), a
    list of arrays of different lengths, or a DataFrame of records."""
    if name not in body:
        raise ValueError(f"The body has no {name!r}.")
    value = body[name]
    if not isinstance(value, list) or not value:
        raise ValueError(f"{name} must be a non-empty list, got {value!r:.80}.")
    if all(isinstance(row, dict) for row in value):
        return pd.DataFrame.from_records(value)
    try:
        return np.asarray(_nan(value), dtype=float)
    except ValueError:  # sequences of different lengths
        return [np.asarray(_nan(item), dtype=float) for item in value]


def _nan(value):
    """Nested lists with None (JSON null) as NaN."""
    if isinstance(value, list):
        return [_nan(item) for item in value]
    return math.nan if value is None else value


def _plain(y):
    """Predictions as JSON values: NaN (and inf) as null, labels as themselves."""
    y = np.asarray(y)
    if y.dtype.kind == "f":
        return np.where(np.isfinite(y), y.astype(object), None).tolist()
    return y.tolist()


def _percentile(sorted_values, q):
    if not sorted_values:
        return None
    return round(
        sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))], 3
    )


def _metadata(model):
    """What /health says of the model: its classes and fitted attributes."""
    from . import __version__

    final = final_step(model)
    steps = (
        [type(step).__name__ for _, step in model.steps]
        if isinstance(model, Pipeline)
        else [type(model).__name__]
    )
    fitted = {}
    for name in ("n_features_in_", "classes_", "n_epochs_", "scaling_", "quantiles_"):
        value = getattr(final, name, None)
        if value is not None:
            fitted[name] = _plain(value) if isinstance(value, np.ndarray) else value
    if isinstance(model, Pipeline):
        for _, step in model.steps:
            if hasattr(step, "window"):
                fitted["window"] = step.window
    return {"skrnn": __version__, "model": steps, "fitted": fitted}
