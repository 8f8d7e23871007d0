"""The prediction service, tested over real HTTP on a free localhost port."""

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from skrnn import RNNClassifier, RNNRegressor, make_server, save


def _call(server, method, path, body=None, raw=None):
    """(status, JSON answer) of one request to ``server``."""
    host, port = server.server_address[:2]
    data = (
        raw if raw is not None else None if body is None else json.dumps(body).encode()
    )
    request = urllib.request.Request(
        f"http://{host}:{port}{path}", data=data, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 12, 2))
    return X, X[:, -3:, 0].sum(axis=1)


@pytest.fixture(scope="module")
def regressor(data):
    X, y = data
    return RNNRegressor(
        max_epochs=3, hidden_size=8, scaling="global", random_state=0
    ).fit(X, y)


def _serve(model, **params):
    server = make_server(model, port=0, **params)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture(scope="module")
def server(regressor):
    server = _serve(regressor, max_body_bytes=200_000, max_streams=50)
    yield server
    server.shutdown()
    server.server_close()


def test_predict_answers_what_predict_gives(server, regressor, data):
    X, _ = data
    status, answer = _call(server, "POST", "/predict", {"X": X[:5].tolist()})
    assert status == 200
    np.testing.assert_array_equal(answer["predictions"], regressor.predict(X[:5]))


def test_sequences_of_different_lengths_with_null_padding(server, regressor, data):
    X, _ = data
    batch = [X[0, :4].tolist(), X[1].tolist()]
    padded = [[[None, None]] * 2 + X[2, :10].tolist()]
    _, answer = _call(server, "POST", "/predict", {"X": batch})
    np.testing.assert_allclose(
        answer["predictions"], regressor.predict([X[0, :4], X[1]])
    )
    _, answer = _call(server, "POST", "/predict", {"X": padded})
    np.testing.assert_allclose(
        answer["predictions"], regressor.predict(X[2:3, :10]), atol=1e-6
    )


def test_a_classifier_serves_labels_and_probabilities(data):
    X, y = data
    clf = RNNClassifier(max_epochs=2, hidden_size=8, random_state=0)
    clf.fit(X, np.where(y > 0, "up", "down"))
    server = _serve(clf)
    try:
        _, labels = _call(server, "POST", "/predict", {"X": X.tolist()})
        body = {"X": X.tolist(), "method": "predict_proba"}
        _, proba = _call(server, "POST", "/predict", body)
        _, health = _call(server, "GET", "/health")
    finally:
        server.shutdown()
        server.server_close()
    assert labels["predictions"] == clf.predict(X).tolist()
    np.testing.assert_allclose(proba["predictions"], clf.predict_proba(X))
    assert health["fitted"]["classes_"] == ["down", "up"]


def test_health_names_the_model_and_its_latency(server):
    _call(server, "POST", "/predict", {"X": [[[0.0, 0.0]]]})
    status, health = _call(server, "GET", "/health")
    assert status == 200
    assert health["model"] == ["RNNRegressor"]
    assert health["fitted"]["n_features_in_"] == 2
    assert health["skrnn"]
    assert health["latency_ms"]["p50"] > 0


def test_a_stream_predicts_what_predict_gives_on_the_history(server, regressor, data):
    X, _ = data
    _, opened = _call(server, "POST", "/streams", {"n_sequences": 3})
    path = f"/streams/{opened['stream_id']}"
    for t in range(12):
        status, answer = _call(server, "POST", path, {"X": X[:3, t : t + 1].tolist()})
        assert status == 200
    np.testing.assert_allclose(
        answer["predictions"], regressor.predict(X[:3]), rtol=1e-5
    )
    assert _call(server, "GET", path)[1] == {"n_sequences": 3, "n_steps": 12}
    assert _call(server, "DELETE", path)[0] == 200
    status, answer = _call(server, "POST", path, {"X": X[:3, :1].tolist()})
    assert status == 404
    assert "No open stream" in answer["error"]


@pytest.mark.parametrize(
    ("path", "body", "status", "match"),
    [
        ("/predict", {"X": [[[1.0, 2.0, 3.0]]]}, 400, "X has 3 features per time step"),
        ("/predict", {"X": [[[1.0, 2.0], [None, 1.0], [1.0, 1.0]]]}, 400, "NaN"),
        ("/predict", {"X": "abc"}, 400, "X must be a non-empty list"),
        ("/predict", {"Y": [1]}, 400, "The body has no 'X'"),
        ("/predict", {"X": [[[1.0, 2.0]]], "method": "predict_proba"}, 400, "method"),
        ("/streams/nope", {"X": [[[1.0, 2.0]]]}, 404, "No open stream 'nope'"),
        ("/nowhere", {}, 404, "No endpoint POST /nowhere"),
    ],
)
def test_bad_requests_get_a_4xx_with_the_reason(
    server, regressor, path, body, status, match
):
    answer_status, answer = _call(server, "POST", path, body)
    assert answer_status == status
    assert match in answer["error"]


def test_the_message_is_the_one_predict_raises(server, regressor):
    X = np.ones((1, 3, 2))
    X[0, 1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN") as raised:
        regressor.predict(X)
    _, answer = _call(server, "POST", "/predict", {"X": [[[1, 1], [None, 1], [1, 1]]]})
    assert answer["error"] == str(raised.value)


def test_oversized_and_malformed_bodies_are_refused(server):
    status, answer = _call(server, "POST", "/predict", raw=b" " * 300_000)
    assert status == 413
    assert "more than the 200,000" in answer["error"]
    status, answer = _call(server, "POST", "/predict", raw=b"{not json")
    assert status == 400
    assert "not valid JSON" in answer["error"]


def test_a_saved_model_file_is_served(regressor, data, tmp_path):
    X, _ = data
    save(regressor, tmp_path / "model.skrnn")
    server = _serve(tmp_path / "model.skrnn")
    try:
        _, answer = _call(server, "POST", "/predict", {"X": X[:2].tolist()})
        _, health = _call(server, "GET", "/health")
    finally:
        server.shutdown()
        server.server_close()
    np.testing.assert_array_equal(answer["predictions"], regressor.predict(X[:2]))
    assert health["model_version"].startswith("sha256:")


def test_concurrent_requests_are_all_answered_right(server, regressor, data):
    X, _ = data
    expected = regressor.predict(X)

    def batch(i):
        rows = [i % 40, (7 * i) % 40]
        status, answer = _call(server, "POST", "/predict", {"X": X[rows].tolist()})
        return status == 200 and np.allclose(answer["predictions"], expected[rows])

    def stream(i):
        _, opened = _call(server, "POST", "/streams", {"n_sequences": 1})
        path = f"/streams/{opened['stream_id']}"
        for t in range(12):
            status, answer = _call(
                server, "POST", path, {"X": X[i : i + 1, t : t + 1].tolist()}
            )
        _call(server, "DELETE", path)
        return status == 200 and np.allclose(
            answer["predictions"], expected[i], rtol=1e-5
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(batch, range(240)))
        streams = list(pool.map(stream, range(8)))
    assert all(batches)
    assert all(streams)
    latency = _call(server, "GET", "/health")[1]["latency_ms"]
    print(f"p50 {latency['p50']} ms, p99 {latency['p99']} ms")  # shown with -s
