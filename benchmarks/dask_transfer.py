"""What a GridSearchCV on a dask cluster sends to its workers, and what they hold.

Two measurements, in bytes and ratios rather than times: the pickle of windows
(strided views) against the series they view, and the bytes every worker of a
``LocalCluster`` reads while a search runs, on the rows with the windower in
the pipeline and on windows made once on the client.

Run from the repository root::

    python benchmarks/dask_transfer.py            # full run
    python benchmarks/dask_transfer.py --quick    # smoke run (~30 s), writes nothing

The protocol, the tables and the conclusions are in ``results/speed.md``.
"""

import pickle
import sys
from pathlib import Path

import _harness as harness
import dask
import distributed
import joblib
import torch
from dask.sizeof import sizeof
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from skrnn import RNNRegressor, SequenceWindower, make_windows

N_FEATURES = 8
MB = 1e6


def _status_mb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / MB
    raise RuntimeError(f"{field} not found in /proc/self/status")


def _reset_peak():
    """Start counting this process's peak memory from now (Linux >= 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def _peak():
    return _status_mb("VmHWM")


def _count_messages():
    """In a worker: record the bytes of every message read from a TCP comm."""
    import distributed.comm.tcp as tcp

    if hasattr(tcp, "message_bytes"):
        tcp.message_bytes.clear()
        return
    read_bytes_rw, read = tcp.read_bytes_rw, tcp.TCP.read
    received = {}  # bytes read so far, per stream

    async def counting_read_bytes_rw(stream, n):
        received[id(stream)] = received.get(id(stream), 0) + n
        return await read_bytes_rw(stream, n)

    async def counting_read(self, deserializers=None):
        key = id(self.stream)
        before = received.get(key, 0)
        try:
            return await read(self, deserializers)
        finally:
            tcp.message_bytes.append(received.get(key, 0) - before)

    tcp.message_bytes = []
    tcp.read_bytes_rw, tcp.TCP.read = counting_read_bytes_rw, counting_read


def _executed(dask_worker):
    return dask_worker.state.executed_count


def _messages():
    import distributed.comm.tcp as tcp

    return list(tcp.message_bytes)


def _pickled_bytes(array):
    buffers = []
    inband = pickle.dumps(array, protocol=5, buffer_callback=buffers.append)
    return len(inband) + sum(buffer.raw().nbytes for buffer in buffers)


def _spanned_bytes(array):
    """The bytes of memory an array (a strided view, say) reads."""
    steps = zip(array.shape, array.strides, strict=True)
    return array.itemsize + sum((n - 1) * stride for n, stride in steps)


def pickling_rows(values, window):
    arrays = {
        "series (2D rows)": values,
        f"make_windows(series, {window})[0]": make_windows(values, window)[0],
        f"SequenceWindower({window}).fit_transform": SequenceWindower(
            window=window
        ).fit_transform(values),
    }
    rows = []
    for name, array in arrays.items():
        assert sizeof(array) == array.nbytes
        pickled = _pickled_bytes(array)
        rows.append(
            {
                "array": name,
                "shape": str(array.shape),
                "read_mb": _spanned_bytes(array) / MB,
                "nbytes_mb": array.nbytes / MB,
                "pickle_mb": pickled / MB,
                "ratio": pickled / values.nbytes,
            }
        )
    return rows


def search(client, estimator, grid, X, y, max_train_size):
    """Run the search on the cluster; what the workers received and held."""
    cv = TimeSeriesSplit(n_splits=2, max_train_size=max_train_size, test_size=1000)
    gs = GridSearchCV(estimator, grid, cv=cv, refit=False, n_jobs=-1)
    client.run(_count_messages)
    executed = client.run(_executed)
    before = client.run(_reset_peak)
    client_before = _reset_peak()
    with joblib.parallel_backend("dask"):
        gs.fit(X, y)
    peaks = client.run(_peak)
    client_rise = _peak() - client_before
    messages = client.run(_messages)
    executed = {w: n - executed[w] for w, n in client.run(_executed).items()}
    n_fits = len(gs.cv_results_["params"]) * cv.get_n_splits()
    x_bytes, y_bytes = _pickled_bytes(X), _pickled_bytes(y)
    received = [m for worker in messages.values() for m in worker]
    x_arrivals = [m for m in received if m >= 0.9 * x_bytes]
    y_arrivals = [m for m in received if 0.9 * y_bytes <= m < 0.9 * x_bytes]
    rest = sum(received) - sum(x_arrivals) - sum(y_arrivals)
    return {
        "n_fits": n_fits,
        "x_mb": x_bytes / MB,
        "total_mb": sum(received) / MB,
        "x_arrivals": len(x_arrivals),
        "y_arrivals": len(y_arrivals),
        "rest_kb_per_fit": rest / n_fits / 1e3,
        "worker_rise_mb": [peaks[w] - before[w] for w in sorted(peaks)],
        "batches": [executed[w] for w in sorted(peaks)],
        "client_rise_mb": client_rise,
    }


def measure(args):
    n_rows, window, max_train_size = (
        (20_000, 16, 1000) if args.quick else (200_000, 32, 2000)
    )
    values, target = harness.random_rows(n_rows, N_FEATURES)
    rnn = RNNRegressor(max_epochs=1, batch_size=64, random_state=0)
    variants = {
        "pipeline": (
            Pipeline([("win", SequenceWindower(window=window)), ("rnn", rnn)]),
            values,
        ),
        "windows": (
            Pipeline([("rnn", rnn)]),
            SequenceWindower(window=window).fit_transform(values),
        ),
    }
    grid = {"rnn__hidden_size": [4, 8], "rnn__lr": [1e-2, 3e-3]}
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # Import torch and skrnn on the workers and pay the first fit's costs.
        warm = values[: 4 * max_train_size]
        search(client, variants["pipeline"][0], grid, warm, target[: len(warm)], 500)
        threads = sorted(
            client.gather(
                [
                    client.submit(torch.get_num_threads, workers=[w], pure=False)
                    for w in client.scheduler_info()["workers"]
                ]
            )
        )
        rows = []
        for name, (estimator, X) in variants.items():
            found = search(client, estimator, grid, X, target, max_train_size)
            rows.append({"variant": name, **found})
            print(rows[-1], file=sys.stderr)
    # The windows differ at the start of each test fold (the pipeline pads, the
    # view made once has history there), so only the bytes are compared.
    n_fits = rows[0]["n_fits"]
    return {
        "environment": {
            "comm compression": str(dask.config.get("distributed.comm.compression")),
            "series": f"{n_rows:,} rows x {N_FEATURES} float32 features "
            f"({values.nbytes / MB:.1f} MB), window {window}",
            "search": f"4 candidates x 2 TimeSeriesSplit folds (max_train_size="
            f"{max_train_size}, test_size=1000) = {n_fits} fits, "
            "RNNRegressor(max_epochs=1, batch_size=64), no refit",
            "torch threads per worker task": str(threads),
        },
        "pickling": pickling_rows(values, window),
        "search": rows,
    }


PICKLING = {
    "array": "{array}",
    "shape": "{shape}",
    "memory it reads (MB)": "{read_mb:.1f}",
    "nbytes = dask sizeof (MB)": "{nbytes_mb:.1f}",
    "pickle (MB)": "{pickle_mb:.1f}",
    "pickle / series": "{ratio:.1f}x",
}
SEARCH = {
    "variant": "{variant}",
    "X pickled (MB)": "{x_mb:.1f}",
    "received by the workers (MB)": "{total_mb:.1f}",
    "arrivals of X, y": "{x_arrivals}, {y_arrivals}",
    "the rest per fit (kB)": "{rest_kb_per_fit:.0f}",
    "X shipped with every fit would be (MB)": lambda r: (
        f"{r['n_fits'] * r['x_mb']:.0f}"
    ),
    "peak rise per worker (MB)": lambda r: ", ".join(
        f"{m:.0f}" for m in r["worker_rise_mb"]
    ),
    "peak rise, client + scheduler (MB)": "{client_rise_mb:.0f}",
    "batches of fits run per worker": lambda r: ", ".join(map(str, r["batches"])),
}


def render(data):
    return "\n\n".join(
        [
            harness.stamp(data["environment"]),
            "### Pickling windows",
            harness.table(data["pickling"], PICKLING, "llrrrr"),
            "### A search on a LocalCluster (2 workers x 1 thread)",
            harness.table(data["search"], SEARCH, "lrrlrrlrl"),
        ]
    )


if __name__ == "__main__":
    args = harness.parser(__doc__).parse_args()
    packages = ["dask", "distributed", "joblib"]
    harness.run(args, "dask_transfer", "speed.md", measure, render, packages)
