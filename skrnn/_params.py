"""Parameter constraints: one declarative table per estimator, checked first in fit.

Each estimator class lists its parameters in ``_parameter_constraints``, as
scikit-learn's estimators do, mapping a name to the :class:`Constraint` its
value must meet. :func:`validate_params` checks the table, then the rules that
join several parameters, before ``fit`` looks at any data. (scikit-learn's own
validation module is private, so this is a small equivalent with skrnn's
messages: ``cell must be one of ['gru', 'lstm', 'rnn'], got 'lsmt'.``)
"""

from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import is_classifier


class Constraint(NamedTuple):
    """A test a parameter's value must pass, and its wording in the error."""

    description: str
    accepts: Any  # value -> bool


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def _is_int(value):
    return isinstance(value, Integral) and not _is_bool(value)


def _is_real(value):
    return isinstance(value, Real) and not _is_bool(value) and np.isfinite(value)


def options(*choices):
    """One of the strings ``choices``."""
    return Constraint(
        f"one of {list(choices)}", lambda v: isinstance(v, str) and v in choices
    )


def integer(low):
    """An integer (not a bool) of at least ``low``."""
    return Constraint(f"an integer >= {low}", lambda v: _is_int(v) and v >= low)


def real(bounds, test):
    """A finite real number (not a bool) that passes ``test`` (``bounds`` says how)."""
    return Constraint(f"a float {bounds}", lambda v: _is_real(v) and test(v))


def either(*constraints):
    """Any of ``constraints``."""
    return Constraint(
        " or ".join(c.description for c in constraints),
        lambda v: any(c.accepts(v) for c in constraints),
    )


def literal(value):
    return Constraint(repr(value), lambda v: isinstance(v, str) and v == value)


BOOLEAN = Constraint("True or False", _is_bool)
NONE = Constraint("None", lambda v: v is None)
RANDOM_STATE = Constraint(
    "None, an int in [0, 2**32 - 1] or a numpy random generator",
    lambda v: (
        v is None
        or (_is_int(v) and 0 <= v < 2**32)
        or isinstance(v, (np.random.RandomState, np.random.Generator))
    ),
)


def plain(value):
    """``value`` with numpy scalars (in tuples and lists too) as Python ones,
    which torch's constructors require: ``hidden_size=np.int64(8)`` from a
    ``GridSearchCV`` grid of ``np.arange`` is an int."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return type(value)(plain(item) for item in value)
    return value


def validate_params(estimator):
    """Check ``estimator``'s parameters against its class's table, then its rules.

    Raises a ValueError naming the parameter, what it must be and what it is.
    """
    for name, constraint in type(estimator)._parameter_constraints.items():
        value = getattr(estimator, name)
        if not constraint.accepts(value):
            raise ValueError(f"{name} must be {constraint.description}, got {value!r}.")
    for rule in type(estimator)._parameter_rules:
        rule(estimator)


def check_head_layers(estimator):
    """Each width of ``head_layers`` is a positive integer."""
    for width in estimator.head_layers:
        if not (_is_int(width) and width >= 1):
            raise ValueError(
                f"each width in head_layers must be an integer >= 1, got {width!r}."
            )


def check_nonlinearity(estimator):
    """Only the plain RNN cell takes another nonlinearity than tanh."""
    if estimator.cell != "rnn" and estimator.nonlinearity != "tanh":
        raise ValueError(
            f"nonlinearity={estimator.nonlinearity!r} only applies to cell='rnn'; "
            f"{estimator.cell.upper()} cells have fixed gate nonlinearities."
        )


def check_stratified_split(estimator):
    """A stratified validation split needs one class label per sequence."""
    if (
        estimator.early_stopping
        and estimator.validation_split == "stratified"
        and (not is_classifier(estimator) or estimator.return_sequences)
    ):
        raise ValueError(
            "validation_split='stratified' needs one class label per sequence, so "
            "it only applies to RNNClassifier without return_sequences; use 'last' "
            "for time-ordered samples or 'random' for independent ones."
        )


def check_positive_int(name, value):
    """Raise unless ``value`` is an integer >= 1 (bools excluded)."""
    if not (_is_int(value) and value >= 1):
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
