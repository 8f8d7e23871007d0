"""Scaling: the statistics of inputs and targets, and how they are applied.

Inputs are standardised per feature with statistics of the observed time steps
of the training sequences; the network holds them as buffers, so that a saved
or exported module carries its own preprocessing. Regression targets are
standardised per output, and predictions mapped back. The statistics weigh
samples as the loss does and never see the validation samples.
"""

import numpy as np

from ._validation import CHUNK_ELEMENTS


def standardise(x, mean, scale):
    """``(x - mean) / scale``, for numpy arrays and torch tensors alike."""
    return (x - mean) / scale


def unstandardise(z, mean, scale):
    """The inverse of :func:`standardise`."""
    return z * scale + mean


def feature_moments(values, sample_weight=None):
    """Per-feature mean and standard deviation over the observed time steps.

    ``values`` is ``(n_samples, n_timesteps, n_features)`` with NaN at padding
    steps. With ``sample_weight``, each sample's steps count with its weight, so
    that integer weights give the moments of the repeated samples. A constant
    feature gets a standard deviation of 1, so scaling leaves it at 0.
    """
    n_features = values.shape[2]
    total = np.zeros(n_features)
    total_sq = np.zeros(n_features)
    count = np.zeros(n_features)
    chunk = max(1, CHUNK_ELEMENTS // values[0].size)
    for lo in range(0, len(values), chunk):
        block = values[lo : lo + chunk].astype(np.float64)
        observed = ~np.isnan(block)
        block[~observed] = 0.0
        weight = 1.0
        if sample_weight is not None:
            weight = sample_weight[lo : lo + chunk, np.newaxis, np.newaxis]
        total += (block * weight).sum(axis=(0, 1))
        total_sq += (block**2 * weight).sum(axis=(0, 1))
        count += (observed * weight).sum(axis=(0, 1))
    count = np.maximum(count, np.finfo(np.float64).tiny)
    mean = total / count
    var = np.maximum(total_sq / count - mean**2, 0.0)
    std = np.sqrt(var)
    std[std < 1e-8 * np.maximum(1.0, np.abs(mean))] = 1.0
    return mean, std


def target_moments(target, observed=None, sample_weight=None):
    """Per-output mean and standard deviation of regression targets.

    ``target`` is ``(n_samples, n_outputs)`` or, per time step, ``(n_samples,
    n_timesteps, n_outputs)`` with ``observed`` marking the steps that count.
    Samples are weighted like the data that integer weights stand for; a
    constant output gets a standard deviation of 1.
    """
    n_outputs = target.shape[-1]
    seen = target.reshape(-1, n_outputs)
    weight = sample_weight
    if weight is not None and target.ndim == 3:
        weight = np.repeat(weight, target.shape[1])
    if observed is not None:
        seen = target[observed]
        if weight is not None:
            weight = weight[observed.ravel()]
    mean = np.average(seen, axis=0, weights=weight)
    scale = np.sqrt(np.average((seen - mean) ** 2, axis=0, weights=weight))
    scale[scale == 0] = 1.0
    return mean, scale
