"""Quantile levels: their checks, interpolation between them, and conformal shifts.

The network predicts a fixed, increasing set of levels (``_module.py``); this
module turns those predictions into the levels a user asks for, into intervals,
and calibrates them on held-out samples (split conformal quantile regression,
Romano, Patterson & Candès, 2019, with one shift per level and output).
"""

import itertools
import math

import numpy as np

from ._params import Constraint, _is_real

# Enough for the median, the 80% and the 95% central intervals.
DEFAULT_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)

QUANTILES = Constraint(
    "None or an increasing sequence of floats in (0, 1), e.g. (0.1, 0.5, 0.9)",
    lambda v: (
        v is None
        or (
            isinstance(v, (list, tuple, np.ndarray))
            and len(v) > 0
            and all(_is_real(q) and 0 < q < 1 for q in v)
            and all(a < b for a, b in itertools.pairwise(v))
        )
    ),
)


def check_quantile_loss(estimator):
    """``quantiles`` and ``calibration`` only go with ``loss="quantile"``; the
    levels must reach from below the median to above it, which ``predict``
    returns; calibration is per output, not per time step."""
    quantile = estimator.loss == "quantile"
    if not quantile and estimator.quantiles is not None:
        raise ValueError(
            f"quantiles={estimator.quantiles!r} needs loss='quantile'; with "
            "loss='squared_error' the network predicts the mean."
        )
    if not quantile and estimator.calibration is not None:
        raise ValueError(
            f"calibration={estimator.calibration!r} calibrates quantiles and needs "
            "loss='quantile'; for intervals around a squared-error model, use "
            "MAPIE (see the user guide)."
        )
    if quantile:
        levels = fitted_levels(estimator.quantiles)
        if not levels[0] <= 0.5 <= levels[-1]:
            raise ValueError(
                f"quantiles must span 0.5, since predict returns the median; got "
                f"{levels}. Add 0.5, or a level on its other side."
            )
    if estimator.calibration is not None and estimator.return_sequences:
        raise ValueError(
            "calibration applies to one prediction per sequence; it is not "
            "available with return_sequences=True."
        )


def fitted_levels(quantiles):
    """The levels a quantile network is built with: ``quantiles`` as a tuple of
    floats, or the default ones."""
    return DEFAULT_QUANTILES if quantiles is None else tuple(map(float, quantiles))


def requested_levels(quantiles, fitted):
    """``quantiles`` (float or sequence; None: the ``fitted`` ones) as a 1D
    array, each within the range of the fitted levels."""
    if quantiles is None:
        return np.asarray(fitted)
    levels = np.atleast_1d(np.asarray(quantiles, dtype=np.float64))
    if levels.ndim != 1 or not np.isfinite(levels).all():
        raise ValueError(f"quantiles must be a float or a 1D list, got {quantiles!r}.")
    outside = levels[(levels < fitted[0]) | (levels > fitted[-1])]
    if outside.size:
        raise ValueError(
            f"quantiles {outside.tolist()} are outside the levels the model was "
            f"fitted with, {fitted[0]} to {fitted[-1]}; it can interpolate "
            "between them, not extrapolate. Fit with wider quantiles=..."
        )
    return levels


def interval_bounds(coverage):
    """The lower and upper levels of the central interval of ``coverage``."""
    if not (_is_real(coverage) and 0 < coverage < 1):
        raise ValueError(f"coverage must be a float in (0, 1), got {coverage!r}.")
    alpha = 1 - coverage
    # Rounded: (1 - 0.8) / 2 is 0.09999999999999998, below a fitted 0.1.
    return [round(alpha / 2, 12), round(1 - alpha / 2, 12)]


def interval_levels(coverage, fitted):
    """:func:`interval_bounds`, checked against the ``fitted`` levels."""
    return requested_levels(interval_bounds(coverage), fitted)


def interpolate(values, fitted, levels):
    """Values at ``levels`` from ``values (..., n_fitted)`` at the ``fitted``
    levels, linear in the level between neighbours (so still ordered)."""
    fitted = np.asarray(fitted)
    upper = np.clip(np.searchsorted(fitted, levels, side="left"), 1, len(fitted) - 1)
    if len(fitted) == 1:
        return values[..., np.zeros(len(levels), dtype=int)]
    lower = upper - 1
    weight = (levels - fitted[lower]) / (fitted[upper] - fitted[lower])
    return values[..., lower] * (1 - weight) + values[..., upper] * weight


def sample_quantiles(values, fitted, u):
    """Draw one value per row of ``values (n, n_fitted)``, the quantiles at the
    ``fitted`` levels, at the probabilities ``u (n,)``.

    The quantile function is linear between the fitted levels and continues
    the slope of the outermost pair down to level 0 and up to level 1, so the
    tails beyond the fitted levels are drawn too, as far as one more step.
    """
    fitted = np.asarray(fitted)
    below = values[:, 0] - fitted[0] * (values[:, 1] - values[:, 0]) / (
        fitted[1] - fitted[0]
    )
    above = values[:, -1] + (1 - fitted[-1]) * (values[:, -1] - values[:, -2]) / (
        fitted[-1] - fitted[-2]
    )
    values = np.column_stack([below, values, above])
    levels = np.concatenate([[0.0], fitted, [1.0]])
    k = np.clip(np.searchsorted(levels, u, side="right") - 1, 0, len(levels) - 2)
    weight = (u - levels[k]) / (levels[k + 1] - levels[k])
    rows = np.arange(len(u))
    return values[rows, k] * (1 - weight) + values[rows, k + 1] * weight


def conformal_shifts(y, predicted, levels):
    """Per output and level, the shift that makes the level a calibrated quantile.

    ``y`` is ``(n, n_outputs)``, ``predicted`` the quantiles ``(n, n_outputs,
    n_levels)`` of the same held-out samples. For level ``tau`` the shift is
    the ``ceil(tau (n + 1))``-th smallest residual ``y - q`` (for ``tau >=
    0.5``; the ``floor``-th for lower levels), so that a new sample falls below
    the shifted level with probability at least ``tau`` (at most ``tau`` for a
    lower level) if it is exchangeable with the held-out ones. With fewer than
    ``1 / min(tau, 1 - tau) - 1`` held-out samples the rank is clipped to the
    extreme residual, and that guarantee does not hold.
    """
    residuals = np.sort(y[..., np.newaxis] - predicted, axis=0)
    n = len(residuals)
    ranks = [
        math.ceil(tau * (n + 1)) if tau >= 0.5 else math.floor(tau * (n + 1))
        for tau in levels
    ]
    ranks = np.clip(ranks, 1, n) - 1
    return residuals[ranks, :, np.arange(len(levels))].T
