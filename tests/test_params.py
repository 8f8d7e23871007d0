"""The table of parameter constraints: complete, and checked before any data."""

import numpy as np
import pytest

from skrnn import RNNClassifier, RNNRegressor


@pytest.mark.parametrize("cls", [RNNRegressor, RNNClassifier])
def test_every_parameter_has_a_constraint(cls):
    # The device is checked by resolving it, since what exists depends on the machine.
    assert set(cls._parameter_constraints) == set(cls().get_params()) - {"device"}


@pytest.mark.parametrize(
    ("estimator", "match"),
    [
        (RNNRegressor(cell="lsmt"), r"cell must be one of \['gru', 'lstm', 'rnn'\]"),
        (RNNClassifier(class_weight="even"), "class_weight must be None, 'balanced'"),
        (RNNRegressor(random_state="seed"), "random_state must be None, an int"),
        (RNNRegressor(callbacks=["stop"]), "callbacks must be None or a list"),
        (RNNRegressor(device="tpu"), "device must be 'auto', 'cpu', 'cuda'"),
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_parameters_are_checked_before_the_data(estimator, match, method):
    # X is 4D and y is missing: reading either would raise another error.
    with pytest.raises(ValueError, match=match):
        getattr(estimator, method)(np.zeros((2, 2, 2, 2)), None)


def test_rules_over_several_parameters_come_after_the_table():
    # nonlinearity='relu' with a GRU is a rule; the bad lr is in the table.
    with pytest.raises(ValueError, match=r"lr must be a float in \(0, 1e6\]"):
        RNNRegressor(cell="gru", nonlinearity="relu", lr=-1.0).fit(
            np.zeros((2, 3)), None
        )
    with pytest.raises(ValueError, match="nonlinearity='relu' only applies"):
        RNNRegressor(cell="gru", nonlinearity="relu").fit(np.zeros((2, 3)), None)


def test_cpu_backward_must_be_auto_or_torch():
    with pytest.raises(
        ValueError, match=r"cpu_backward must be one of \['auto', 'torch'\]"
    ):
        RNNRegressor(cpu_backward="skrnn").fit(np.zeros((2, 3)), np.zeros(2))
