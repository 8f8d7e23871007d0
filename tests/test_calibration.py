"""RNNClassifier inside scikit-learn's probability calibration."""

import numpy as np
import pytest
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from skrnn import RNNClassifier

# method="temperature" came with scikit-learn 1.8
HAS_TEMPERATURE = tuple(map(int, sklearn.__version__.split(".")[:2])) >= (1, 8)


@pytest.mark.parametrize("ndim", [2, 3])
def test_calibrated_classifier_cv_gives_probabilities(labelled_sequences, fast, ndim):
    X, y = labelled_sequences
    X = X[:, :, 0] if ndim == 2 else X  # 2D: univariate sequences
    calibrated = CalibratedClassifierCV(RNNClassifier(**fast), cv=2).fit(X, y)
    proba = calibrated.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(calibrated.classes_, ["down", "flat", "up"])
    assert np.isin(calibrated.predict(X), calibrated.classes_).all()


@pytest.mark.parametrize(
    "method",
    [
        "isotonic",
        pytest.param(
            "temperature",
            marks=pytest.mark.skipif(
                not HAS_TEMPERATURE, reason="temperature scaling: scikit-learn 1.8"
            ),
        ),
    ],
)
def test_calibrated_classifier_cv_methods(labelled_sequences, fast, method):
    X, y = labelled_sequences
    calibrated = CalibratedClassifierCV(RNNClassifier(**fast), method=method, cv=2)
    proba = calibrated.fit(X, y).predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_frozen_prefit_classifier_is_calibrated_without_refitting(rng, fast):
    X = rng.normal(size=(80, 12, 2))
    y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    classifier = RNNClassifier(**fast).fit(X[:40], y[:40])
    before = classifier.predict_proba(X[40:])
    calibrated = CalibratedClassifierCV(FrozenEstimator(classifier), cv=2)
    proba = calibrated.fit(X[40:], y[40:]).predict_proba(X[40:])
    assert proba.shape == (40, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # The calibration data only fit the calibrator; the network is untouched.
    np.testing.assert_array_equal(classifier.predict_proba(X[40:]), before)
    assert calibrated.calibrated_classifiers_[0].estimator.estimator is classifier
