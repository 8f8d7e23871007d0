"""ONNX export: onnxruntime computes what predict and predict_proba compute."""

import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skrnn import RNNClassifier, RNNRegressor, predict_stream, start_stream

ort = pytest.importorskip("onnxruntime")

ARCHITECTURES = [
    {"cell": "lstm"},
    {"cell": "gru", "bidirectional": True, "num_layers": 2},
    {"cell": "rnn", "nonlinearity": "relu", "num_layers": 2, "head_layers": (5,)},
    {"cell": "rnn", "bidirectional": True},
    {"cell": "lstm", "bidirectional": True, "num_layers": 2, "return_sequences": True},
    {"cell": "gru", "return_sequences": True},
]
# Regressors also scale per sequence, outputs mapped back in a feature's units.
PER_SEQUENCE = [
    {"cell": "lstm", "scaling": "last", "target_features": 0},
    {"cell": "gru", "scaling": "standard", "target_features": 1, "bidirectional": True},
    {"cell": "lstm", "scaling": "mean_abs", "return_sequences": True,
     "target_features": [0, 1]},
]  # fmt: skip


def _session(estimator, tmp_path):
    path = tmp_path / "model.onnx"
    estimator.to_onnx(path)
    return ort.InferenceSession(str(path))


def _batches(rng):
    """Batch sizes and lengths other than the training data's (and the export's)."""
    return [rng.normal(size=shape) for shape in [(1, 6, 3), (7, 15, 3), (64, 1, 3)]]


@pytest.fixture(scope="module", params=ARCHITECTURES + PER_SEQUENCE)
def exported_regressor(request, fast, tmp_path_factory):
    """A regressor of each architecture and an onnxruntime session of its export."""
    architecture = request.param
    X = np.random.default_rng(0).normal(size=(40, 6, 3))
    if architecture.get("return_sequences"):
        y = np.stack([X[:, :, 0].cumsum(axis=1), X[:, :, 1]], axis=-1)
    else:
        y = X[:, -1, 0] - X[:, 0, 1]
    reg = RNNRegressor(**fast, **architecture).fit(X, y)
    return reg, _session(reg, tmp_path_factory.mktemp("onnx"))


def test_regressor_graph_predicts_what_predict_does(exported_regressor, rng):
    reg, session = exported_regressor
    for batch in _batches(rng):
        (predicted,) = session.run(None, {"X": batch.astype(np.float32)})
        expected = reg.predict(batch)
        assert predicted.shape == expected.shape
        np.testing.assert_allclose(predicted, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_classifier_graph_predicts_what_predict_proba_does(
    architecture, rng, fast, tmp_path
):
    X = rng.normal(size=(40, 6, 3))
    if architecture.get("return_sequences"):
        y = np.where(X[:, :, 0] > 0, "up", "down")
    else:
        y = np.select([X[:, -1, 0] < -0.5, X[:, -1, 0] > 0.5], ["lo", "hi"], "mid")
    clf = RNNClassifier(**fast, **architecture).fit(X, y)
    session = _session(clf, tmp_path)
    assert [output.name for output in session.get_outputs()] == [
        "label",
        "probabilities",
    ]
    for batch in _batches(rng):
        label, proba = session.run(None, {"X": batch.astype(np.float32)})
        np.testing.assert_allclose(proba, clf.predict_proba(batch), rtol=0, atol=1e-5)
        np.testing.assert_array_equal(clf.classes_[label], clf.predict(batch))


def test_graph_includes_the_scaling_of_inputs_and_targets(rng, fast, tmp_path):
    # Raw units far from 0 and 1: without its standardisation in the graph, the
    # predictions would be off by orders of magnitude.
    X = 50 + 20 * rng.normal(size=(40, 6, 2))
    y = 1000 + 300 * np.c_[X[:, -1, 0] / 20, X[:, -1, 1] / 20]
    reg = RNNRegressor(**fast).fit(X, y)
    session = _session(reg, tmp_path)
    (predicted,) = session.run(None, {"X": X.astype(np.float32)})
    assert predicted.dtype == np.float64
    # float32 network arithmetic: equal to 1e-5 relative to the targets' scale.
    np.testing.assert_allclose(predicted, reg.predict(X), rtol=1e-5, atol=0)


def test_univariate_2d_fit_exports_a_graph_of_one_feature(rng, fast, tmp_path):
    X = rng.normal(size=(40, 6))
    reg = RNNRegressor(**fast).fit(X, X[:, -1])
    session = _session(reg, tmp_path)
    (predicted,) = session.run(None, {"X": X[:, :, None].astype(np.float32)})
    np.testing.assert_allclose(predicted, reg.predict(X), rtol=0, atol=1e-5)


def test_graph_reads_padding_as_predict_does(exported_regressor, rng):
    reg, session = exported_regressor
    padded = rng.normal(size=(4, 9, 3))
    padded[0, :3] = np.nan  # front, as SequenceWindower pads
    padded[1, -2:] = np.nan  # end, as ragged lists are padded
    padded[2, [0, -1]] = np.nan  # both
    (predicted,) = session.run(None, {"X": padded.astype(np.float32)})
    expected = reg.predict(padded)
    np.testing.assert_array_equal(np.isnan(predicted), np.isnan(expected))
    np.testing.assert_allclose(predicted, expected, rtol=0, atol=1e-5)


def test_graph_gives_nan_where_predict_refuses_the_input(rng, fast, tmp_path):
    X = rng.normal(size=(40, 6, 3))
    clf = RNNClassifier(**fast).fit(X, X[:, -1, 0] > 0)
    bad = rng.normal(size=(4, 6, 3))
    bad[0, 2] = np.nan  # a gap inside the sequence
    bad[1, -1, 0] = np.nan  # a partly missing step
    bad[2] = np.nan  # nothing observed
    label, proba = _session(clf, tmp_path).run(None, {"X": bad.astype(np.float32)})
    np.testing.assert_array_equal(label[:3], -1)
    assert np.isnan(proba[:3]).all()
    # The valid sequence beside them gets what predict gives it.
    assert clf.classes_[label[3]] == clf.predict(bad[3:])[0]
    np.testing.assert_allclose(proba[3], clf.predict_proba(bad[3:])[0], atol=1e-5)
    messages = ["NaN inside the sequence", "partly-NaN time step", "all padding"]
    for row, message in zip(bad[:3], messages, strict=True):
        with pytest.raises(ValueError, match=message):
            clf.predict(row[None])


def test_export_needs_a_fitted_estimator(tmp_path):
    with pytest.raises(NotFittedError, match="RNNRegressor instance is not fitted"):
        RNNRegressor().to_onnx(tmp_path / "model.onnx")


def test_export_without_onnx_says_how_to_install_it(monkeypatch, rng, fast, tmp_path):
    X = rng.normal(size=(20, 4, 1))
    reg = RNNRegressor(**fast).fit(X, X[:, -1, 0])
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'skrnn\[export\]'"):
        reg.to_onnx(tmp_path / "model.onnx")


def test_graph_embeds_codes_as_predict_does(rng, fast, tmp_path):
    # Store codes beside a numeric feature; the graph takes the codes themselves.
    X = np.stack([rng.normal(size=(40, 6)), rng.integers(3, 9, size=(40, 6))], -1)
    reg = RNNRegressor(**fast, categorical=1).fit(X, X[:, -1, 0] * X[:, -1, 1])
    session = _session(reg, tmp_path)
    batch = np.stack([rng.normal(size=(5, 7)), rng.integers(-2, 12, size=(5, 7))], -1)
    batch[0, :3] = np.nan  # padding
    (graph,) = session.run(None, {"X": batch.astype(np.float32)})
    np.testing.assert_allclose(graph, reg.predict(batch), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("model", "architecture"),
    [
        (RNNRegressor, {"cell": "lstm", "num_layers": 2}),
        (RNNClassifier, {"cell": "gru"}),
        (RNNRegressor, {"cell": "rnn", "return_sequences": True}),
    ],
)
def test_stream_graph_steps_as_the_python_stream_does(
    rng, fast, tmp_path, model, architecture
):
    X = rng.normal(size=(20, 9, 3))
    if model is RNNClassifier:
        y = X[:, -1, 0] > 0
    else:
        y = X[..., 0] if architecture.get("return_sequences") else X[:, -1, 0]
    estimator = model(**fast, **architecture, scaling="global").fit(X, y)
    path = tmp_path / "step.onnx"
    estimator.to_onnx(path, stream=True)
    session = ort.InferenceSession(str(path))
    names = [i.name for i in session.get_inputs()][1:]  # h (and c)
    state = start_stream(estimator, n_sequences=4)
    layers = architecture.get("num_layers", 1)
    hidden = [np.zeros((layers, 4, 8), np.float32) for _ in names]
    for lo, hi in [(0, 1), (1, 5), (5, 9)]:
        steps = X[:4, lo:hi]
        expected, state = predict_stream(estimator, steps, state)
        outputs = session.run(
            None,
            {"X": steps.astype(np.float32), **dict(zip(names, hidden, strict=True))},
        )
        hidden = outputs[-len(names) :]
        result = outputs[0]
        if model is RNNClassifier:
            result = estimator.classes_[result]
            np.testing.assert_array_equal(result, expected)
        else:
            np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hidden[0], state.hidden[0], atol=1e-6)
