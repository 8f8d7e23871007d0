"""Categorical input features: token ids and category codes, embedded."""

import numpy as np
import pytest

from skrnn import RNNClassifier, RNNRegressor
from skrnn._categorical import embedding_sizes


@pytest.fixture
def tokens(rng):
    """60 token sequences of 3 to 8 ids from 0 to 5; the label is whether the
    last id is odd: a property of codes, not of their size."""
    X = [rng.integers(0, 6, size=rng.integers(3, 9)) for _ in range(60)]
    y = np.array([int(x[-1] % 2) for x in X])
    return X, y


def test_embedded_codes_learn_what_numbers_cannot(tokens):
    X, y = tokens
    params = {"max_epochs": 60, "hidden_size": 8, "random_state": 0}
    embedded = RNNClassifier(**params, categorical="all").fit(X, y)
    as_numbers = RNNClassifier(**params).fit(X, y)
    assert embedded.score(X, y) == 1.0
    assert as_numbers.score(X, y) < 0.9


def test_fitted_vocabulary_is_the_codes_seen(tokens, fast):
    X, y = tokens
    clf = RNNClassifier(**fast, categorical=0).fit(X, y)
    assert clf.is_categorical_.tolist() == [True]
    np.testing.assert_array_equal(clf.categories_[0], np.arange(6))


def test_codes_are_labels_not_numbers(tokens, fast):
    # Renaming the codes (keeping their order) fits the same model, bit for bit.
    X, y = tokens
    renamed = [1000 + 7 * x for x in X]
    clf = RNNClassifier(**fast, categorical="all")
    proba = clf.fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(clf.fit(renamed, y).predict_proba(renamed), proba)


@pytest.mark.parametrize("unknown", [6, 99, 2**30, -1])
def test_unseen_and_negative_codes_read_as_unknown(tokens, fast, unknown):
    X, y = tokens
    clf = RNNClassifier(**fast, categorical="all").fit(X, y)
    seen = np.array([[1, 2, 3]])
    # Every unknown code has the same, zero, embedding: the states agree.
    expected = clf.transform(np.array([[1, 2, 3, 6]]))
    np.testing.assert_array_equal(
        clf.transform(np.array([[1, 2, 3, unknown]])), expected
    )
    assert not np.array_equal(expected, clf.transform(np.append(seen, [[0]], axis=1)))


def test_padding_does_not_change_a_token_prediction(tokens, fast):
    X, y = tokens
    clf = RNNClassifier(**fast, categorical="all").fit(X, y)
    short = X[0][:2]
    together = clf.predict_proba([short, np.arange(6), np.arange(9) % 6])[0]
    np.testing.assert_allclose(together, clf.predict_proba([short])[0], atol=1e-6)


def test_categorical_beside_numeric_features(rng, fast):
    # A store code and a price: the target is the price plus a store effect.
    n, T = 64, 5
    price = 100 + rng.normal(size=(n, T)).cumsum(axis=1)
    store = np.repeat(rng.integers(0, 4, size=(n, 1)), T, axis=1)
    X = np.stack([price, store], axis=-1)
    y = price[:, -1] + 3.0 * store[:, 0]
    reg = RNNRegressor(**fast, categorical=[1], target_features=0).fit(X, y)
    assert reg.predict(X).shape == (n,)
    assert reg.scaling_ == "last"  # per sequence, in the price's units
    assert reg.transform(X).shape == (n, 8)


def test_non_integer_codes_are_an_error(tokens, fast):
    X, y = tokens
    clf = RNNClassifier(**fast, categorical="all")
    with pytest.raises(ValueError, match="Feature 0 is categorical, so it must hold"):
        clf.fit([x + 0.5 for x in X], y)
    clf.fit(X, y)
    with pytest.raises(ValueError, match=r"holds 2\.5"):
        clf.predict([np.array([1.0, 2.5])])


def test_codes_beyond_float32_precision_are_an_error(tokens, fast):
    X, y = tokens
    X = [x + 2**24 for x in X]
    with pytest.raises(ValueError, match="OrdinalEncoder"):
        RNNClassifier(**fast, categorical="all").fit(X, y)


@pytest.mark.parametrize(
    ("categorical", "match"),
    [
        ([2], r"categorical names features \[2\], but X has 2 features"),
        ([0, 0], "categorical must be None, 'all', an int or a list of distinct"),
        ("some", "categorical must be"),
    ],
)
def test_categorical_must_name_features(rng, fast, categorical, match):
    X = rng.integers(0, 3, size=(10, 4, 2))
    with pytest.raises(ValueError, match=match):
        RNNClassifier(**fast, categorical=categorical).fit(X, np.arange(10) % 2)


def test_a_target_cannot_be_measured_in_codes(rng, fast):
    X = rng.integers(0, 3, size=(10, 4, 2)).astype(float)
    reg = RNNRegressor(**fast, categorical=[0, 1], target_features=1)
    with pytest.raises(ValueError, match=r"target_features \[1\] are categorical"):
        reg.fit(X, X[:, -1, 1])


def test_validation_samples_add_nothing_to_the_vocabulary(fast):
    X = np.array([[0, 1]] * 18 + [[2, 3]] * 2)
    clf = RNNClassifier(**fast, categorical="all", early_stopping=True)
    clf.set_params(validation_split="last", validation_fraction=0.1)
    clf.fit(X, np.arange(20) % 2)
    np.testing.assert_array_equal(clf.categories_[0], [0, 1])


def test_warm_start_keeps_the_vocabulary(tokens, fast):
    X, y = tokens
    clf = RNNClassifier(**fast, categorical="all", warm_start=True).fit(X, y)
    clf.fit([x + 10 for x in X], y)  # codes the network cannot place: unknown
    np.testing.assert_array_equal(clf.categories_[0], np.arange(6))
    clf.set_params(categorical=None)
    with pytest.raises(ValueError, match="categorical changed"):
        clf.fit(X, y)


def test_auto_embedding_size_grows_with_the_vocabulary():
    categories = [np.arange(n) for n in (1, 7, 100, 10_000)]
    assert embedding_sizes("auto", categories) == (2, 5, 21, 50)
    assert embedding_sizes(3, categories) == (3, 3, 3, 3)
