"""scikit-learn's estimator checks, run on every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skrnn import RNNClassifier, RNNRegressor

# The checks fit on a few hundred samples; fewer epochs keep the suite fast while
# every check, including the accuracy ones, still passes.
ESTIMATORS = [
    RNNRegressor(max_epochs=50, lr=1e-2, random_state=0),
    RNNClassifier(max_epochs=50, lr=1e-2, random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
