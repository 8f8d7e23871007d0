"""What a GridSearchCV on a dask cluster sends to its workers, and what they hold.

Run from the repository root::

    python benchmarks/dask_transfer.py            # full run, writes the results file
    python benchmarks/dask_transfer.py --quick    # smoke run (~30 s), writes nothing

Two measurements, in bytes and ratios rather than times:

1. Pickling windows, no cluster. ``make_windows`` and ``SequenceWindower``
   return zero-copy strided views of the series. Pickling such a view (as
   joblib, dask and multiprocessing do to send an argument to another process)
   writes every window out: ``window`` times the bytes of the series. The table
   gives each array's own bytes, its logical size (``nbytes``, which is also what
   ``dask.sizeof`` reports), and the bytes of its pickle (protocol 5, in band and
   out of band together).

2. A search on a ``LocalCluster`` of 2 worker processes of one thread each,
   inside ``joblib.parallel_backend("dask")``: 4 candidates x 2
   ``TimeSeriesSplit`` folds of ``max_train_size`` rows, no refit. The same
   search runs on

   - ``pipeline``: ``Pipeline([SequenceWindower(window), RNNRegressor()])`` on the
     2D series, which makes the windows inside each fit, on the worker;
   - ``windows``: ``RNNRegressor()`` on ``SequenceWindower(window).fit_transform``
     of the series, the 3D view, made once on the client.

   Every worker counts the bytes of each message it reads from the network (a
   wrapper around ``distributed.comm.tcp``'s reads, installed with
   ``client.run``): from the scheduler (tasks, scattered data) and from the other
   worker (data it fetches). A message of at least 90% of the pickled ``X``
   (or ``y``) is an arrival of it; the rest, divided by the number of fits, is
   what each fit costs on top. Each worker also counts the tasks it ran.
   joblib's dask backend scatters every argument larger than 1 kB to one worker
   once per search and sends a reference with each task; the other worker
   fetches it from the first, so ``X`` should arrive twice, not once per fit.
   Each process's peak resident memory (VmHWM) is reset before the search
   and read after it; the rise is reported for each worker and for this process,
   which holds the client and, for a ``LocalCluster``, the scheduler.
"""

import argparse
import datetime
import os
import pickle
import platform
import sys
from pathlib import Path

import dask
import distributed
import joblib
import numpy as np
import sklearn
import torch
from _results import publish
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


def series(n_rows):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(n_rows, N_FEATURES)).astype(np.float32)
    return values, values[:, 0].cumsum().astype(np.float32)


def pickling_table(values, window):
    arrays = {
        "series (2D rows)": values,
        f"make_windows(series, {window})[0]": make_windows(values, window)[0],
        f"SequenceWindower({window}).fit_transform": SequenceWindower(
            window=window
        ).fit_transform(values),
    }
    lines = [
        "| array | shape | memory it reads (MB) | nbytes = dask sizeof (MB) | "
        "pickle (MB) | pickle / series |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, array in arrays.items():
        assert sizeof(array) == array.nbytes
        pickled = _pickled_bytes(array)
        lines.append(
            f"| {name} | {array.shape} | {_spanned_bytes(array) / MB:.1f} | "
            f"{array.nbytes / MB:.1f} | {pickled / MB:.1f} | "
            f"{pickled / values.nbytes:.1f}x |"
        )
    return lines


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
        "scores": gs.cv_results_["mean_test_score"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, no file")
    args = parser.parse_args(argv)
    n_rows, window, max_train_size = (
        (20_000, 16, 1000) if args.quick else (200_000, 32, 2000)
    )
    values, target = series(n_rows)
    pickling = pickling_table(values, window)

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
        results = {}
        for name, (estimator, X) in variants.items():
            results[name] = search(client, estimator, grid, X, target, max_train_size)
            print(name, results[name], file=sys.stderr)
    # The windows differ at the start of each test fold (the pipeline pads, the
    # view made once has history there), so only the bytes are compared.
    lines = [
        "# Data movement: GridSearchCV on a dask cluster",
        "",
        "Command: `python benchmarks/dask_transfer.py` (from the repository root)",
        "",
        f"- date: {datetime.date.today().isoformat()}",
        f"- {os.cpu_count()} cores; dask {dask.__version__}, distributed "
        f"{distributed.__version__}, joblib {joblib.__version__}, scikit-learn "
        f"{sklearn.__version__}, torch {torch.__version__}, numpy "
        f"{np.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}; comm compression: "
        f"{dask.config.get('distributed.comm.compression')}",
        f"- series: {n_rows:,} rows x {N_FEATURES} float32 features "
        f"({values.nbytes / MB:.1f} MB), window {window}",
        "",
        "## Pickling windows",
        "",
        *pickling,
        "",
        "## A search on a LocalCluster (2 workers x 1 thread)",
        "",
        f"4 candidates x 2 TimeSeriesSplit folds (max_train_size={max_train_size}, "
        f"test_size=1000) = {results['pipeline']['n_fits']} fits, "
        "RNNRegressor(max_epochs=1, batch_size=64), no refit; torch threads per "
        f"worker task: {threads}.",
        "",
        "| variant | X pickled (MB) | received by the workers (MB) | "
        "arrivals of X, y | the rest per fit (kB) | X shipped with every fit "
        "would be (MB) | peak rise per worker (MB) | peak rise, client + "
        "scheduler (MB) | batches of fits run per worker |",
        "|---|---:|---:|---|---:|---:|---|---:|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['x_mb']:.1f} | {r['total_mb']:.1f} | "
            f"{r['x_arrivals']}, {r['y_arrivals']} | "
            f"{r['rest_kb_per_fit']:.0f} | {r['n_fits'] * r['x_mb']:.0f} | "
            f"{', '.join(f'{m:.0f}' for m in r['worker_rise_mb'])} | "
            f"{r['client_rise_mb']:.0f} | {', '.join(map(str, r['batches']))} |"
        )
    pipe, windows = results["pipeline"], results["windows"]
    lines += [
        "",
        f"`X` arrived {pipe['x_arrivals']} times for {pipe['n_fits']} fits, and `y` "
        f"{pipe['y_arrivals']} times: joblib's dask backend scattered each once and "
        "the other worker fetched it from the first, instead of one copy per fit. "
        f"The rest, {pipe['rest_kb_per_fit']:.0f} kB per fit, is the tasks "
        "themselves (a clone of the estimator, its parameters, the scorer), the "
        "fold indices, which are scattered too, and control messages. The "
        "windows made on the client travelled as "
        f"{windows['x_mb'] / pipe['x_mb']:.0f}x the bytes of the series "
        f"({windows['total_mb'] / pipe['total_mb']:.0f}x in all), raised the peak "
        "memory of the worker that held them "
        f"{max(windows['worker_rise_mb']) / max(pipe['worker_rise_mb']):.0f}x as "
        "much as the pipeline did (the pipeline makes the same windows as a view "
        "on the worker), and raised this process's peak by "
        f"{windows['client_rise_mb']:.0f} MB to pickle them.",
    ]
    if 0 in windows["batches"]:
        lines[-1] += (
            " Rather than copy the windows to the second worker, dask ran every "
            "fit on the worker that held them: the search lost its parallelism too."
        )
    text = "\n".join(lines) + "\n"
    publish("dask_transfer", text, args.quick)


if __name__ == "__main__":
    main()
