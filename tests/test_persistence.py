"""Persistence: pickle and joblib in a fresh process, models fitted on a GPU loaded
on a CPU, and the safe format of skrnn.save / skrnn.load."""

import json
import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pandas as pd
import pytest
import safetensors.numpy
import sklearn
import torch
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from skrnn import RNNClassifier, RNNRegressor, SequenceWindower, load, save
from skrnn._persistence import _digest

KINDS = ("regressor", "forecaster", "classifier", "tagger", "pipeline")


def _fitted(rng, fast, kinds=KINDS):
    """Fitted estimators of the given kinds, and inputs to predict on."""
    X = rng.normal(size=(40, 6, 2))
    y = X[:, -1, 0] - X[:, -2, 1]
    frame = pd.DataFrame(
        rng.normal(size=(60, 2)),
        columns=["load", "temp"],
        index=pd.date_range("2024-01-01", periods=60, freq="h"),
    )
    fit = {
        "regressor": lambda: (
            RNNRegressor(
                **fast, early_stopping=True, lr_schedule="plateau", head_layers=(4,)
            ).fit(X, np.c_[y, 2 * y]),
            X,
        ),
        "forecaster": lambda: (  # scaled per sequence, outputs in feature 0's units
            RNNRegressor(**fast, scaling="last", target_features=0).fit(
                X + 5.0, np.c_[X[:, -1, 0], 1.1 * X[:, -1, 0]] + 5.0
            ),
            X + 5.0,
        ),
        "classifier": lambda: (
            RNNClassifier(
                **fast, cell="gru", bidirectional=True, class_weight="balanced"
            ).fit(X, np.where(y > 0, "up", "down")),
            X,
        ),
        "tagger": lambda: (
            RNNClassifier(**fast, return_sequences=True).fit(X, X[:, :, 0] > 0),
            [X[0], X[1, 2:]],
        ),
        "pipeline": lambda: (
            make_pipeline(
                SequenceWindower(window=5), RNNRegressor(**fast, cell="rnn")
            ).fit(frame[:48], frame["load"].shift(-1)[:48].fillna(0.0)),
            frame[48:],
        ),
    }
    return {kind: fit[kind]() for kind in kinds}


def _outputs(model, X):
    outputs = [model.predict(X)]
    if hasattr(model, "predict_proba"):
        outputs.append(model.predict_proba(X))
    return outputs


def _run(script, tmp_path, *, without_gpu=False):
    """Run ``script`` in a fresh interpreter; fail with its output if it fails.

    ``without_gpu`` hides every GPU from it, as on a machine that has none.
    """
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""} if without_gpu else None
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_pickle_joblib_and_safe_format_round_trip_in_a_fresh_process(
    rng, fast, tmp_path
):
    expected = {}
    for name, (model, X) in _fitted(rng, fast).items():
        with open(tmp_path / f"{name}.pkl", "wb") as f:
            pickle.dump(model, f)
        joblib.dump(model, tmp_path / f"{name}.joblib")
        save(model, tmp_path / f"{name}.safetensors")
        expected[name] = (X, _outputs(model, X))
    joblib.dump(expected, tmp_path / "expected.joblib")
    unfitted = RNNClassifier(hidden_size=3, class_weight={"a": 2.0})
    with open(tmp_path / "unfitted.pkl", "wb") as f:
        pickle.dump(unfitted, f)
    save(unfitted, tmp_path / "unfitted.safetensors")
    _run(
        """
        import pickle, sys
        from pathlib import Path
        import joblib, numpy as np
        import skrnn

        path = Path(sys.argv[1])
        expected = joblib.load(path / "expected.joblib")
        for name, (X, outputs) in expected.items():
            with open(path / f"{name}.pkl", "rb") as f:
                pickled = pickle.load(f)
            for model in (
                pickled,
                joblib.load(path / f"{name}.joblib"),
                skrnn.load(path / f"{name}.safetensors"),
            ):
                predicted = [model.predict(X)]
                if hasattr(model, "predict_proba"):
                    predicted.append(model.predict_proba(X))
                for got, want in zip(predicted, outputs, strict=True):
                    np.testing.assert_array_equal(got, want)
        with open(path / "unfitted.pkl", "rb") as f:
            for model in (pickle.load(f), skrnn.load(path / "unfitted.safetensors")):
                assert model.get_params()["class_weight"] == {"a": 2.0}
                assert not hasattr(model, "net_")
        """,
        tmp_path,
    )


@pytest.mark.cuda
def test_model_fitted_on_a_gpu_loads_and_predicts_on_a_machine_without_one(
    rng, fast, tmp_path
):
    X = rng.normal(size=(40, 6, 2))
    model = RNNRegressor(**fast, device="cuda").fit(X, X[:, -1, 0])
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", model.predict(X))
    (tmp_path / "gpu.pkl").write_bytes(pickle.dumps(model))
    save(model, tmp_path / "gpu.safetensors")
    _run(
        """
        import pickle, sys, warnings
        from pathlib import Path
        import numpy as np, torch
        import skrnn

        path = Path(sys.argv[1])
        assert not torch.cuda.is_available()
        X, expected = np.load(path / "X.npy"), np.load(path / "expected.npy")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # each says it loads on the CPU
            pickled = pickle.loads((path / "gpu.pkl").read_bytes())
            saved = skrnn.load(path / "gpu.safetensors")
        for model in (pickled, saved):
            assert model.device_ == torch.device("cpu")
            # The CPU's kernels, not cuDNN's: equal to float32 rounding.
            np.testing.assert_allclose(model.predict(X), expected, atol=1e-5)
        """,
        tmp_path,
        without_gpu=True,
    )


def _device_tensors(model):
    """The storages that would live on the GPU had ``model`` been fitted there."""
    net = model.net_
    tensors = [*net.module_.state_dict().values()]
    for state in net.optimizer_.state.values():
        tensors += [value for value in state.values() if torch.is_tensor(value)]
    return {tensor.untyped_storage().data_ptr() for tensor in tensors}


def test_pickle_of_a_model_fitted_on_a_gpu_loads_and_predicts_on_a_cpu(
    rng, fast, tmp_path
):
    model, X = _fitted(rng, fast, ["regressor"])["regressor"]
    expected = model.predict(X)
    # Pickle it as a CUDA fit would be pickled: skorch's device "cuda", and the
    # module's and optimizer's storages tagged "cuda:0", so that loading them
    # without mapping them to the CPU fails on this machine, as on a real one.
    on_device = _device_tensors(model)

    def tag(storage):
        return "cuda:0" if storage.data_ptr() in on_device else None

    model.device, model.device_ = "cuda", torch.device("cuda:0")
    model.net_.device = "cuda"
    torch.serialization.register_package(0, tag, lambda storage, location: None)
    try:
        payload = pickle.dumps(model)
    finally:
        torch.serialization._package_registry[:] = [
            entry for entry in torch.serialization._package_registry if entry[1] != tag
        ]
    assert b"cuda:0" in payload
    (tmp_path / "gpu.pkl").write_bytes(payload)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", expected)
    result = _run(
        """
        import pickle, sys, warnings
        from pathlib import Path
        import numpy as np, torch

        path = Path(sys.argv[1])
        assert not torch.cuda.is_available()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = pickle.loads((path / "gpu.pkl").read_bytes())
        X = np.load(path / "X.npy")
        np.testing.assert_array_equal(model.predict(X), np.load(path / "expected.npy"))
        assert model.device_ == torch.device("cpu") and model.net_.device == "cpu"
        assert model.device == "cuda"  # the parameter is the user's
        # It trains on here once told to.
        model.set_params(device="cpu", warm_start=True, max_epochs=1).fit(X, X[:, -1])
        print(*{str(w.message) for w in caught}, sep="\\n")
        """,
        tmp_path,
        without_gpu=True,
    )
    assert "no CUDA devices are available" in result.stdout


def test_saved_model_keeps_its_parameters_and_fitted_attributes(rng, fast, tmp_path):
    for name, (model, _) in _fitted(rng, fast).items():
        save(model, tmp_path / f"{name}.safetensors")
        loaded = load(tmp_path / f"{name}.safetensors")
        assert repr(loaded.get_params()) == repr(model.get_params()), name
        final = loaded[-1] if name == "pipeline" else loaded
        original = model[-1] if name == "pipeline" else model
        for attribute, value in vars(original).items():
            if attribute == "net_":
                continue
            got = getattr(final, attribute)
            if isinstance(value, np.ndarray):
                assert got.dtype == value.dtype, attribute
                np.testing.assert_array_equal(got, value)
            else:
                assert repr(got) == repr(value), attribute
        history = [
            {k: v for k, v in row.items() if k != "batches"}
            for row in original.net_.history
        ]
        assert final.net_.history == history


def test_loaded_model_continues_training_as_the_saved_one_would(rng, fast, tmp_path):
    models = _fitted(rng, fast, ["regressor", "classifier"])
    model, X = models["regressor"]
    save(model, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    y = np.c_[X[:, -1, 0], X[:, -1, 1]]
    for estimator in (model, loaded):
        estimator.set_params(warm_start=True, max_epochs=2).fit(X, y)
        estimator.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.n_epochs_ == model.n_epochs_ == 6
    clf, X = models["classifier"]
    save(clf, tmp_path / "clf.safetensors")
    loaded = load(tmp_path / "clf.safetensors")
    labels = np.where(X[:, 0, 0] > 0, "up", "down")
    np.testing.assert_array_equal(
        loaded.partial_fit(X, labels).predict_proba(X),
        clf.partial_fit(X, labels).predict_proba(X),
    )


def test_model_saved_on_a_gpu_loads_on_the_cpu(rng, fast, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)  # no GPU, even here
    model, X = _fitted(rng, fast, ["regressor"])["regressor"]
    expected = model.predict(X)
    model.device = model.net_.device = "cuda:0"
    save(model, tmp_path / "gpu.safetensors")
    with pytest.warns(UserWarning, match="saved on device cuda:0, which this machine"):
        loaded = load(tmp_path / "gpu.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), expected)
    assert loaded.device_ == torch.device("cpu")
    assert loaded.device == "cuda:0"
    loaded = load(tmp_path / "gpu.safetensors", device="cpu")  # no warning
    assert loaded.device == "cpu"
    loaded.set_params(warm_start=True, max_epochs=1).fit(X, expected)
    with pytest.raises(ValueError, match="device='cuda:7' is not available"):
        load(tmp_path / "gpu.safetensors", device="cuda:7")


def test_windower_keeps_the_history_it_continues_from(rng, tmp_path):
    values = rng.normal(size=(12, 2))
    indexes = [
        # (an offset, not its alias: "ME" is pandas >= 2.2's, "M" warns there)
        pd.date_range(
            "2024-01-31", periods=12, freq=pd.offsets.MonthEnd(), tz="Europe/Paris"
        ),
        pd.period_range("2024-01", periods=12, freq="M"),
        pd.RangeIndex(100, 112),
        pd.timedelta_range("1h", periods=12, freq="h"),
    ]
    for index in indexes:
        frame = pd.DataFrame(values, index=index)
        windower = SequenceWindower(window=4).fit(frame[:8])
        save(windower, tmp_path / "windower.safetensors")
        loaded = load(tmp_path / "windower.safetensors")
        later = loaded.transform(frame[8:])
        np.testing.assert_array_equal(later, windower.transform(frame[8:]))
        assert not np.isnan(later).any()  # it did continue from the fitted rows


def test_metadata_requests_are_kept(fast, tmp_path):
    with sklearn.config_context(enable_metadata_routing=True):
        model = RNNRegressor(**fast).set_fit_request(sample_weight=True)
        model.set_score_request(sample_weight="weights")
        save(model, tmp_path / "model.safetensors")
        loaded = load(tmp_path / "model.safetensors")
        routing = loaded.get_metadata_routing()
        assert routing.fit.requests == {"sample_weight": True}
        assert routing.score.requests == {"sample_weight": "weights"}


class _Recorder(Callback):
    pass


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (RNNRegressor(callbacks=[_Recorder()]), "RNNRegressor.callbacks holds a"),
        (
            RNNRegressor(random_state=np.random.RandomState(0)),
            "RNNRegressor.random_state holds a RandomState",
        ),
        (make_pipeline(StandardScaler(), RNNRegressor()), "not StandardScaler"),
    ],
)
def test_what_the_safe_format_cannot_store_is_a_clear_error(model, message, tmp_path):
    with pytest.raises(TypeError, match=message):
        save(model, tmp_path / "model.safetensors")
    assert not list(tmp_path.iterdir())  # not even a partial file


def test_a_parameter_missing_from_an_older_file_takes_its_default(tmp_path):
    path = tmp_path / "model.safetensors"
    save(RNNRegressor(hidden_size=3), path)
    # As if the file predates the parameter.
    _forge(path, lambda header, tensors: header["estimator"]["attributes"].pop("tol"))
    loaded = load(path)
    assert loaded.tol == RNNRegressor().tol
    assert loaded.hidden_size == 3


def test_save_replaces_a_file_atomically(rng, tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_text("an older model")
    save(RNNRegressor(hidden_size=3), path)
    assert load(path).hidden_size == 3
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]
    fresh = tmp_path / "fresh.safetensors"
    fresh.touch()  # permissions as this process creates files
    mode = fresh.stat().st_mode
    fresh.unlink()
    save(RNNRegressor(), fresh)
    assert fresh.stat().st_mode == mode


def _flip(path, position):
    content = bytearray(path.read_bytes())
    content[position] ^= 0xFF
    path.write_bytes(bytes(content))


def _replace(path, old, new):
    content = path.read_bytes()
    assert old in content
    path.write_bytes(content.replace(old, new))


def _forge(path, edit):
    """Rewrite a saved file after ``edit`` changes its header, with a valid digest."""
    with safetensors.safe_open(path, framework="np") as f:
        header = json.loads(f.metadata()["skrnn"])
        tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
    edit(header, tensors)
    text = json.dumps(header)
    metadata = {"skrnn": text, "sha256": _digest(text, tensors)}
    safetensors.numpy.save_file(tensors, path, metadata=metadata)


def _set(*keys, value):
    def edit(header, tensors):
        target = header
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return edit


def _params(header):
    return header["estimator"]["attributes"]["net_"]["__net__"]["module_params"]


@pytest.fixture(scope="module")
def saved(fast, tmp_path_factory):
    """The bytes of a file that skrnn.save wrote of a fitted regressor."""
    X = np.random.default_rng(0).normal(size=(16, 4, 1))
    path = tmp_path_factory.mktemp("saved") / "model.safetensors"
    save(RNNRegressor(**fast).fit(X, X[:, -1, 0]), path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda path: path.write_bytes(path.read_bytes()[:-100]), "truncated"),
        (lambda path: path.write_bytes(b""), "truncated"),
        (lambda path: path.write_bytes(b"\x80\x04not a model"), "truncated or not a"),
        (lambda path: _flip(path, -40), "modified or damaged"),  # a weight
        (
            lambda path: _replace(path, b'hidden_size\\": 8', b'hidden_size\\": 9'),
            "modified or damaged",
        ),
        (
            lambda path: safetensors.numpy.save_file({"w": np.zeros(2)}, path),
            "not one written by skrnn.save",
        ),
        (
            lambda path: _forge(path, _set("estimator", "class", value="posix.system")),
            "unknown class 'posix.system'",
        ),
        (
            lambda path: _forge(path, _set("version", value=99)),
            "Upgrade skrnn",
        ),
        (
            lambda path: _forge(
                path, lambda header, tensors: _params(header).update(hidden_size=9)
            ),
            "weights do not match",
        ),
        (
            lambda path: _forge(
                path, lambda header, tensors: _params(header).update(cell="evil")
            ),
            "invalid network parameters",
        ),
        (
            lambda path: _forge(
                path,
                _set("estimator", "attributes", "cell", value={"__import__": "os"}),
            ),
            "unknown tag",
        ),
        (
            lambda path: _forge(path, _set("estimator", "attributes", "lr", value=-1)),
            "lr must be",
        ),
        (
            lambda path: _forge(
                path,
                lambda header, tensors: header["estimator"]["attributes"]["net_"][
                    "__net__"
                ].update(device="evil:0"),
            ),
            "Expected one of",
        ),
        (
            lambda path: _forge(
                path,
                _set("estimator", "attributes", "predict", value="shadowed"),
            ),
            "sets RNNRegressor.predict, not an attribute",
        ),
        (
            lambda path: _forge(
                path,
                _set(
                    "estimator",
                    "attributes",
                    "feature_names_in_",
                    value={"__array__": ["a"], "dtype": "<U100000000", "shape": [1]},
                ),
            ),
            "an array of unexpected dtype",
        ),
        (
            lambda path: _forge(
                path,
                _set(
                    "estimator",
                    "attributes",
                    "feature_names_in_",
                    value={"__array__": ["a"], "dtype": "<U1", "shape": [10**12]},
                ),
            ),
            "is not its length",
        ),
        (
            lambda path: _forge(
                path,
                _set("estimator", "attributes", "_n_step_features", value=7),
            ),
            "input features do not match",
        ),
    ],
)
def test_damaged_or_tampered_file_is_a_clear_error(damage, message, saved, tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(saved)
    damage(path)
    with pytest.raises(ValueError, match=message):
        load(path)


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_load_never_unpickles(tmp_path):
    exploit = _Exploit()
    exploit.marker = tmp_path / "owned"
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps(exploit))
    with pytest.raises(ValueError, match=r"not a file written by skrnn\.save"):
        load(path)
    assert not exploit.marker.exists()


def test_pipeline_of_windower_and_regressor_round_trips(rng, fast, tmp_path):
    # The windower's history and the regressor's scaling come back together.
    model, frame = _fitted(rng, fast, ["pipeline"])["pipeline"]
    save(model, tmp_path / "pipeline.safetensors")
    loaded = load(tmp_path / "pipeline.safetensors")
    assert isinstance(loaded, Pipeline)
    assert [name for name, _ in loaded.steps] == [name for name, _ in model.steps]
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))


def test_a_one_class_file_for_a_two_class_network_is_refused(fast, tmp_path):
    X = np.random.default_rng(0).normal(size=(16, 4, 1))
    path = tmp_path / "clf.safetensors"
    save(RNNClassifier(**fast).fit(X, np.where(X[:, -1, 0] > 0, "a", "b")), path)
    _forge(
        path,
        _set(
            "estimator",
            "attributes",
            "classes_",
            value={"__array__": ["a"], "dtype": "<U1", "shape": [1]},
        ),
    )
    with pytest.raises(ValueError, match="classes_ has 1 entries for a network of 2"):
        load(path)


def test_load_refuses_a_directory_and_a_pipe_at_once(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        load(tmp_path)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ValueError, match="not a regular file"):
        load(tmp_path / "pipe")


def test_a_failed_save_leaves_the_previous_file_whole(saved, tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    path.write_bytes(saved)
    model = load(path)

    def full_disk(self, data):
        with open(self, "wb") as file:
            file.write(data[:100])  # part of it, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(path), "write_bytes", full_disk)
    with pytest.raises(OSError, match=r"could not write .*model\.safetensors"):
        save(model, path)
    assert path.read_bytes() == saved
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_save_to_a_directory_is_a_clear_error(saved, tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(saved)
    with pytest.raises(ValueError, match="is a directory"):
        save(load(path), tmp_path)


def test_a_signed_file_loads_only_with_its_key(saved, tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(saved)
    model = load(path)
    save(model, path, key="team secret")
    assert isinstance(load(path, key=b"team secret"), RNNRegressor)
    load(path)  # without a key, the digest still guards against damage
    with pytest.raises(ValueError, match="not signed with this key"):
        load(path, key="another secret")
    # Whoever rewrites the file, digest and all, cannot sign it without the key.
    _forge(path, _set("estimator", "attributes", "lr", value=0.5))
    with pytest.raises(ValueError, match="not signed with this key"):
        load(path, key="team secret")
    save(model, path)  # unsigned
    with pytest.raises(ValueError, match="not signed with this key"):
        load(path, key="team secret")
