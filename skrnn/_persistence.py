"""save and load: a file format that stores estimators without pickle.

A file is a safetensors file. Its tensors are the arrays (network weights,
optimizer state, scaling statistics); its header metadata holds everything else
as JSON, where a tagged object such as ``{"__tuple__": [...]}`` stands for each
value that JSON has no type for. Loading parses JSON and copies numbers into
arrays: it never unpickles and never imports a name read from the file, so a
file from an untrusted source cannot execute code. Only the classes in
``_CLASSES`` can be stored.
"""

import hashlib
import hmac
import inspect
import json
import math
import os
import secrets
import stat
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import safetensors
import safetensors.numpy
import sklearn
import torch
from sklearn.base import BaseEstimator, is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import MetadataRequest

from . import _net
from ._base import BaseRNN
from ._esn import BaseESN, ESNClassifier, ESNRegressor
from ._estimators import RNNClassifier, RNNRegressor
from ._module import RecurrentNet
from ._params import check_positive_int, validate_params
from ._text import TextSequencer
from ._validation import available_devices, resolve_device
from ._windowing import SequenceWindower

_FORMAT = "skrnn"
_VERSION = 1
_CLASSES = {
    cls.__name__: cls
    for cls in (
        RNNRegressor,
        RNNClassifier,
        ESNRegressor,
        ESNClassifier,
        SequenceWindower,
        TextSequencer,
        Pipeline,
    )
}
# numpy dtypes kept in JSON rather than as tensors: labels and names.
_JSON_ARRAY_KINDS = "OUS"
# The widest item of such an array (bytes): a label of 16,384 characters. A
# file's JSON may claim any width; this bounds the memory a claim can take.
_MAX_ITEMSIZE = 2**16


class _FormatError(ValueError):
    """The file's content is not what save writes."""


def save(estimator, path, *, key=None):
    """Save an estimator to ``path`` in a format that loading cannot exploit.

    The file is a `safetensors <https://huggingface.co/docs/safetensors>`_ file:
    the arrays (network weights, optimizer state, scaling statistics) are its
    tensors and the rest (hyperparameters, fitted metadata, training history) is
    JSON in its header. Unlike a pickle, loading it runs no code from the file,
    so it is safe to load a model from a source you do not trust. A SHA-256
    digest of the content is stored too, and :func:`load` refuses a file that
    does not match it.

    Parameters
    ----------
    estimator : RNNRegressor, RNNClassifier, ESNRegressor, ESNClassifier, \
SequenceWindower or Pipeline
        The estimator, fitted or not; a Pipeline may hold these (and
        "passthrough"). Other objects cannot be stored without code: use pickle
        or skops for them.
    path : str or path-like
        The file to write. It is replaced atomically, so an interrupted save
        leaves any previous file intact.
    key : bytes or str, default=None
        A secret that signs the file (HMAC-SHA256 of its digest), so that
        ``load(path, key=key)`` can tell it was written by someone holding the
        key, not only that it is undamaged. None writes no signature.

    See Also
    --------
    load : Read the estimator back.

    Notes
    -----
    What is not stored: skorch callbacks given as the ``callbacks`` parameter and
    ``random_state`` given as a random generator (set an int or None before
    saving), and the per-batch entries of ``net_.history``. Everything else is,
    including the optimizer state, so a loaded estimator continues training with
    ``warm_start`` or ``partial_fit`` exactly as the saved one would.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from skrnn import RNNRegressor, load, save
    >>> X = np.random.default_rng(0).normal(size=(32, 5, 1))
    >>> reg = RNNRegressor(max_epochs=2, random_state=0).fit(X, X[:, -1, 0])
    >>> path = Path(tempfile.mkdtemp()) / "model.safetensors"
    >>> save(reg, path)
    >>> loaded = load(path)
    >>> bool((loaded.predict(X) == reg.predict(X)).all())
    True
    """
    tensors = {}
    state = _Encoder(tensors).estimator(estimator, "")
    header = {
        "format": _FORMAT,
        "version": _VERSION,
        "skrnn": _package_version(),
        "scikit-learn": sklearn.__version__,
        "torch": torch.__version__,
        "estimator": state,
    }
    text = json.dumps(header, allow_nan=False)
    digest = _digest(text, tensors)
    metadata = {"skrnn": text, "sha256": digest}
    if key is not None:
        metadata["hmac-sha256"] = _signature(key, digest)
    path = Path(path)
    content = safetensors.numpy.save(tensors, metadata=metadata)
    # Written beside the target and renamed over it once complete. (Python's
    # open, not safetensors' save_file or mkstemp, which create files private to
    # their owner.)
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give save the path of a file.")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(content)
        os.replace(tmp, path)
    except OSError as error:
        # The message names the file asked for, not the temporary one.
        raise type(error)(
            error.errno,
            f"skrnn.save could not write {path} ({error.strerror}); a file "
            "already there is unchanged",
        ) from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load(path, *, device=None, key=None):
    """Load an estimator written by :func:`save`.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    device : str, default=None
        Where to put the networks: "cpu", "cuda", "cuda:N", "mps" or "auto".
        This also becomes each estimator's ``device`` parameter. None keeps the
        device each was saved on; a network saved on a device that this machine
        lacks (a GPU) is loaded on the CPU with a warning, and its ``device``
        parameter is left as it was.
    key : bytes or str, default=None
        The secret the file was signed with (``save(..., key=key)``): the file
        must carry a signature made with it. None checks no signature (the
        digest still detects damage).

    Returns
    -------
    estimator : RNNRegressor, RNNClassifier, SequenceWindower or Pipeline
        The estimator as it was saved.

    Raises
    ------
    ValueError
        If the file is not a skrnn model file, is truncated, or was modified
        after it was written (its content no longer matches its digest), or,
        with ``key``, is not signed with it.

    See Also
    --------
    save : Write an estimator.
    """
    if device is not None:
        resolve_device(device)  # an unavailable device is the caller's error
    _check_regular_file(path)
    try:
        with safetensors.safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
    except safetensors.SafetensorError as error:
        raise ValueError(
            f"{path} is not a file written by skrnn.save: it is truncated or not a "
            f"safetensors file ({error})."
        ) from None
    text = metadata.get("skrnn")
    if text is None:
        raise ValueError(
            f"{path} is a safetensors file but not one written by skrnn.save: its "
            "header has no skrnn metadata."
        )
    digest = _digest(text, tensors)
    if key is not None:
        signature = metadata.get("hmac-sha256")
        if signature is None or not hmac.compare_digest(
            signature, _signature(key, digest)
        ):
            raise ValueError(
                f"{path} is not signed with this key: it was written without a "
                "key, with another one, or changed after it was signed. Do not use "
                "it; ask its author for the file and the key it was signed with."
            )
    if metadata.get("sha256") != digest:
        raise ValueError(
            f"{path} was modified or damaged after skrnn.save wrote it: its content "
            "does not match the digest stored with it. Do not use it; save the "
            "model again from its source."
        )
    try:
        header = json.loads(text)
        version = header["version"]
        if header["format"] != _FORMAT or not isinstance(version, int):
            raise _FormatError("its header does not name the skrnn format")
    except (_FormatError, KeyError, TypeError, RecursionError, ValueError) as error:
        raise ValueError(f"{path} is not a valid skrnn model file: {error}.") from None
    if version > _VERSION:
        raise ValueError(
            f"{path} was written by skrnn {header.get('skrnn')} in format version "
            f"{version}; this skrnn ({_package_version()}) reads versions up to "
            f"{_VERSION}. Upgrade skrnn to load it."
        )
    try:
        return _Decoder(tensors, device).estimator(header["estimator"])
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RuntimeError,
        RecursionError,
    ) as error:
        raise ValueError(f"{path} is not a valid skrnn model file: {error}.") from None


class _Encoder:
    """Turn estimators into JSON-ready values, moving arrays to ``tensors``."""

    def __init__(self, tensors):
        self.tensors = tensors

    def estimator(self, estimator, key):
        name = type(estimator).__name__
        if hasattr(estimator, "best_estimator_"):
            raise TypeError(
                f"skrnn.save stores models, not a {name}: save its refitted best "
                "model, save(search.best_estimator_, path) (cv_results_ is a "
                "table: pandas.DataFrame(search.cv_results_).to_csv(...))."
            )
        if _CLASSES.get(name) is not type(estimator):
            raise TypeError(
                "skrnn.save stores RNNRegressor, RNNClassifier, ESNRegressor, "
                "ESNClassifier, SequenceWindower, TextSequencer and Pipelines of "
                f"them, not {name}. "
                "Save other objects with pickle or skops.io; skrnn's estimators "
                "scale their inputs themselves, so a scaler in front of them is "
                "rarely needed."
            )
        attributes = {}
        for attribute, value in vars(estimator).items():
            where = f"{name}.{attribute}"
            if attribute == "net_":
                attributes[attribute] = {"__net__": self.net(value, _join(key, "net_"))}
            elif attribute == "_metadata_request":
                attributes[attribute] = {"__requests__": _requests(value)}
            else:
                attributes[attribute] = self.value(value, _join(key, attribute), where)
        return {"class": name, "attributes": attributes}

    def net(self, net, key):
        state = _net.net_state(net)
        return {
            "device": state["device"],
            "module_params": self.value(
                state["module_params"], _join(key, "params"), "module parameters"
            ),
            "module": {
                name: self.array(value, _join(key, f"module/{name}"))
                for name, value in state["module"].items()
            },
            "optimizer": self.value(
                state["optimizer"], _join(key, "optimizer"), "optimizer state"
            ),
            "generator": self.array(state["generator"], _join(key, "generator")),
            "history": self.value(state["history"], _join(key, "history"), "history"),
        }

    def array(self, value, key):
        ref = {"__tensor__": key}
        if torch.is_tensor(value):
            value = value.detach().cpu().numpy()
            ref["torch"] = True
        if value.dtype.kind not in "biuf":
            raise TypeError(
                f"{key} is an array of {value.dtype}, which cannot be saved"
            )
        # ascontiguousarray would turn a 0-d array into 1-d.
        self.tensors[key] = value if value.flags.c_contiguous else value.copy()
        return ref

    def value(self, value, key, where):
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, int | np.integer):
            return int(value)
        if isinstance(value, float | np.floating):
            value = float(value)
            return value if math.isfinite(value) else {"__float__": str(value)}
        if isinstance(value, np.ndarray) and value.dtype.kind in _JSON_ARRAY_KINDS:
            items = [self.value(item, key, where) for item in value.ravel().tolist()]
            return {
                "__array__": items,
                "dtype": value.dtype.str,
                "shape": list(value.shape),
            }
        if isinstance(value, np.ndarray) or torch.is_tensor(value):
            return self.array(value, key)
        if isinstance(value, list):
            return [
                self.value(v, _join(key, _name(v, i)), where)
                for i, v in enumerate(value)
            ]
        if isinstance(value, tuple):
            if _name(value, None) is not None:  # a (name, step) pair: key by name
                return {"__tuple__": [value[0], self.value(value[1], key, where)]}
            items = [self.value(v, _join(key, i), where) for i, v in enumerate(value)]
            return {"__tuple__": items}
        if isinstance(value, dict):
            pairs = [
                [self.value(k, key, where), self.value(v, _join(key, k), where)]
                for k, v in value.items()
            ]
            if all(isinstance(k, str) and not k.startswith("__") for k in value):
                return dict(pairs)
            return {"__dict__": pairs}
        if isinstance(value, torch.device):
            return {"__device__": str(value)}
        if isinstance(value, pd.Timestamp):
            return {"__timestamp__": value.isoformat()}
        if isinstance(value, pd.Timedelta):
            return {"__timedelta__": int(value.value)}
        if isinstance(value, pd.Period):
            return {"__period__": str(value), "freq": value.freqstr}
        if isinstance(value, BaseEstimator):
            return {"__estimator__": self.estimator(value, key)}
        raise TypeError(
            f"{where} holds a {type(value).__name__}, which skrnn.save cannot store "
            "without code. Before saving, set it to a plain value (callbacks=None, "
            "random_state=an int), or save with pickle."
        )


class _Decoder:
    """Rebuild what :class:`_Encoder` wrote, from JSON values and ``tensors``."""

    def __init__(self, tensors, device):
        self.tensors = tensors
        self.device = device

    def estimator(self, state):
        cls = _CLASSES.get(state["class"])
        if cls is None:
            raise _FormatError(f"it names an unknown class {state['class']!r}")
        estimator = cls.__new__(cls)
        # Defaults first: a file written before a parameter existed lacks it.
        for name, param in inspect.signature(cls.__init__).parameters.items():
            if param.default is not param.empty:
                setattr(estimator, name, param.default)
        params = set(inspect.signature(cls.__init__).parameters)
        for name, value in _mapping(state["attributes"]).items():
            if name.startswith("__") or (
                hasattr(cls, name) and name not in params | {"_metadata_request"}
            ):
                # Would shadow a method or property (an attribute "predict").
                raise _FormatError(f"it sets {cls.__name__}.{name}, not an attribute")
            if isinstance(value, dict) and "__net__" in value:
                continue
            if isinstance(value, dict) and "__requests__" in value:
                value = _metadata_request(estimator, value["__requests__"])
            else:
                value = self.value(value)
            setattr(estimator, name, value)
        if isinstance(estimator, BaseRNN):
            if self.device is not None:
                estimator.device = self.device
            _check(validate_params, estimator)
            attributes = state["attributes"]
            net = attributes.get("net_")
            if net is not None:
                built_with = attributes.get("_built_with")
                self.net(estimator, _mapping(net["__net__"]), built_with)
        elif isinstance(estimator, BaseESN):
            if self.device is not None:
                estimator.device = self.device
            _check(validate_params, estimator)
            if "device_" in state["attributes"]:
                estimator.device_ = self.device_for(estimator, estimator.device_)
        elif isinstance(estimator, SequenceWindower):
            _check(check_positive_int, "window", estimator.window)
        return estimator

    def net(self, estimator, state, built_with):
        module_params = _mapping(self.value(state["module_params"]))
        weights = {name: self.tensor(ref) for name, ref in state["module"].items()}
        _check_weights(module_params, weights)
        device = self.device_for(estimator, torch.device(state["device"]))
        # The optimizer the net was built with (it may differ from the
        # estimator's optimizer parameter, set after the fit).
        optimizer = _mapping(self.value(built_with))["optimizer"]
        net = _check(
            _net.restore_net,
            {
                "module_params": module_params,
                "module": weights,
                "optimizer": self.value(state["optimizer"]),
                "generator": self.tensor(state["generator"]),
                "history": self.value(state["history"]),
            },
            classifier=is_classifier(estimator),
            optimizer=optimizer,
            training=_net.training_params(estimator),
            device=device,
        )
        estimator.net_ = net
        estimator.device_ = device
        _check_consistent(estimator)

    def device_for(self, estimator, saved):
        """Where a model saved on ``saved`` is loaded: load's ``device``, else
        ``saved`` if this machine has it, else the CPU (with a warning)."""
        if self.device is not None:
            return resolve_device(self.device)
        if str(saved) in available_devices():
            return saved
        warnings.warn(
            f"The {type(estimator).__name__} was saved on device {saved}, which "
            "this machine does not have; it is loaded on the CPU. Its device "
            f"parameter is still {estimator.device!r}: set_params(device=...) "
            "moves it.",
            UserWarning,
            stacklevel=5,
        )
        return torch.device("cpu")

    def tensor(self, ref):
        if not isinstance(ref, dict) or ref.get("__tensor__") not in self.tensors:
            raise _FormatError(f"a reference to a missing tensor: {ref!r}")
        array = self.tensors[ref["__tensor__"]]
        return torch.from_numpy(array) if ref.get("torch") else array

    def value(self, value):
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if not isinstance(value, dict):
            raise _FormatError(f"an unexpected value {value!r}")
        if not any(key.startswith("__") for key in value):
            return {key: self.value(v) for key, v in value.items()}
        if "__tensor__" in value:
            return self.tensor(value)
        if "__tuple__" in value:
            return tuple(self.value(v) for v in value["__tuple__"])
        if "__dict__" in value:
            return {self.value(k): self.value(v) for k, v in value["__dict__"]}
        if "__float__" in value:
            return float(_one_of(value["__float__"], ("nan", "inf", "-inf")))
        if "__array__" in value:
            dtype = np.dtype(value["dtype"])
            if dtype.kind not in _JSON_ARRAY_KINDS or dtype.itemsize > _MAX_ITEMSIZE:
                raise _FormatError(f"an array of unexpected dtype {dtype}")
            shape = [int(n) for n in value["shape"]]
            if math.prod(shape) != len(value["__array__"]) or min(shape, default=0) < 0:
                raise _FormatError(f"an array whose shape {shape} is not its length")
            items = [self.value(v) for v in value["__array__"]]
            array = np.empty(len(items), dtype=dtype)
            array[:] = items
            return array.reshape(shape)
        if "__device__" in value:
            return torch.device(value["__device__"])
        if "__timestamp__" in value:
            return pd.Timestamp(value["__timestamp__"])
        if "__timedelta__" in value:
            return pd.Timedelta(int(value["__timedelta__"]), unit="ns")
        if "__period__" in value:
            return pd.Period(value["__period__"], freq=value["freq"])
        if "__estimator__" in value:
            return self.estimator(value["__estimator__"])
        raise _FormatError(f"an unknown tag in {sorted(value)}")


def _join(key, name):
    return f"{key}/{name}" if key else str(name)


def _name(item, default):
    """The name of a ``(name, step)`` pair, else ``default``."""
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return item[0]
    return default


def _check_consistent(estimator):
    """Raise a _FormatError unless the fitted attributes fit the network."""
    module = estimator.net_.module_
    n_outputs = module.head[-1].out_features // len(module.quantiles or (0,))
    if is_classifier(estimator):
        expected = len(getattr(estimator, "classes_", ()))
        what = "classes_"
    else:
        expected = len(np.atleast_1d(getattr(estimator, "_y_mean", ())))
        what = "target scaling"
    if expected != n_outputs:
        raise _FormatError(
            f"its {what} has {expected} entries for a network of {n_outputs} outputs"
        )
    if getattr(estimator, "_n_step_features", None) != module.n_features:
        raise _FormatError(
            "its recorded input features do not match the network's "
            f"{module.n_features}"
        )


def _check_weights(module_params, weights):
    """Check that the weights fit the module before allocating any memory."""
    try:
        with torch.device("meta"):
            expected = RecurrentNet(**module_params).state_dict()
    except Exception as error:
        raise _FormatError(
            f"invalid network parameters {module_params}: {error}"
        ) from None
    shapes = {name: (tuple(t.shape), t.dtype) for name, t in expected.items()}
    found = {name: (tuple(t.shape), t.dtype) for name, t in weights.items()}
    if shapes != found:
        raise _FormatError(
            "the network weights do not match its parameters "
            f"(expected {shapes}, found {found})"
        )


def _check(function, *args, **kwargs):
    """Call ``function``; a failure means the file holds inconsistent values."""
    try:
        return function(*args, **kwargs)
    except (RuntimeError, ValueError, KeyError, IndexError, TypeError) as error:
        raise _FormatError(str(error)) from None


def _mapping(value):
    if not isinstance(value, dict):
        raise _FormatError(f"a mapping was expected, found {value!r}")
    return value


def _one_of(value, choices):
    if value not in choices:
        raise _FormatError(f"{value!r} is not one of {choices}")
    return value


def _requests(metadata_request):
    """The metadata requests set by ``set_{method}_request``, by method."""
    return {
        method: dict(request.requests)
        for method, request in _methods(metadata_request).items()
        if request.requests
    }


def _metadata_request(estimator, requests):
    request = MetadataRequest(owner=estimator)
    methods = _methods(request)
    for method, params in _mapping(requests).items():
        add = methods[_one_of(method, tuple(methods))].add_request
        for param, alias in _mapping(params).items():
            _check(add, param=param, alias=alias)
    return request


def _methods(metadata_request):
    return {
        method: request
        for method, request in vars(metadata_request).items()
        if hasattr(request, "add_request")
    }


def _digest(text, tensors):
    """SHA-256 of the JSON header and every tensor's name, dtype, shape and bytes."""
    digest = hashlib.sha256(text.encode())
    for key in sorted(tensors):
        array = tensors[key]
        digest.update(f"{key}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())  # C order whatever the layout
    return digest.hexdigest()


def _check_regular_file(path):
    """Raise a clear error for a path that is not a regular file (reading a
    FIFO would wait for a writer forever)."""
    mode = os.stat(path).st_mode  # a missing file: FileNotFoundError
    if stat.S_ISDIR(mode):
        raise ValueError(
            f"{path} is a directory; give the path of a file written by skrnn.save."
        )
    if not stat.S_ISREG(mode):
        raise ValueError(
            f"{path} is not a regular file (a pipe, socket or device); skrnn.load "
            "reads files written by skrnn.save."
        )


def _signature(key, digest):
    """HMAC-SHA256 of ``digest`` with the secret ``key`` (bytes or str)."""
    if isinstance(key, str):
        key = key.encode()
    if not isinstance(key, bytes) or not key:
        raise TypeError("key must be non-empty bytes or str.")
    return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()


def _package_version():
    from . import __version__

    return __version__
