"""transform on the RNN estimators: the learned representation the head reads."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from skrnn import RNNClassifier, RNNRegressor


@pytest.mark.parametrize(("bidirectional", "width"), [(False, 8), (True, 16)])
def test_states_are_the_final_hidden_states(sequences, fast, bidirectional, width):
    X, y = sequences
    reg = RNNRegressor(**fast, bidirectional=bidirectional).fit(X, y)
    states = reg.transform(X)
    assert states.shape == (48, width)
    names = reg.get_feature_names_out()
    assert list(names[:2]) == ["rnnregressor0", "rnnregressor1"]
    assert len(names) == width
    # The head reads these states: a linear map of them is the prediction.
    head = reg.net_.module_.head[0]
    out = states @ head.weight.detach().double().numpy().T + head.bias.detach().numpy()
    expected = (reg.predict(X) - reg._y_mean[0]) / reg._y_scale[0]
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-4, atol=1e-4)


def test_padding_does_not_change_the_states(sequences, fast):
    X, y = sequences
    reg = RNNRegressor(**fast).fit(X, y)
    padded = np.full((48, 15, 3), np.nan)
    padded[:, 1:13] = X
    np.testing.assert_allclose(reg.transform(padded), reg.transform(X), atol=1e-6)


def test_per_step_states_are_nan_at_padding(rng, fast):
    X = rng.normal(size=(20, 6, 1))
    X[0, :2] = np.nan
    reg = RNNRegressor(**fast, return_sequences=True)
    reg.fit(X, np.nan_to_num(X[..., 0]).cumsum(axis=1))
    states = reg.transform(X)
    assert states.shape == (20, 6, 8)
    assert np.isnan(states[0, :2]).all()
    assert not np.isnan(states[0, 2:]).any()


def test_a_fitted_network_feeds_pca_and_boosting_in_a_pipeline(
    labelled_sequences, fast
):
    X, y = labelled_sequences
    pipe = Pipeline(
        [
            ("rnn", RNNClassifier(**fast)),
            ("pca", PCA(n_components=2)),
            ("hgb", HistGradientBoostingClassifier(max_iter=10)),
        ]
    )
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (48,)
    assert pipe[:-1].transform(X).shape == (48, 2)
