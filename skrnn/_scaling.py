"""Scaling: the statistics of inputs and targets, and how they are applied.

Inputs are standardised per feature with statistics of the observed time steps
of the training sequences; the network holds them as buffers, so that a saved
or exported module carries its own preprocessing. Regression targets are
standardised per output, and predictions mapped back. The statistics weigh
samples as the loss does and never see the validation samples. With
per-sequence scaling, each sequence is first scaled by statistics of its own
observed steps (:func:`sequence_statistics`), and a regressor's targets with
those of the input feature they are measured in.
"""

import numpy as np
import torch

from ._validation import CHUNK_ELEMENTS


def standardise(x, mean, scale):
    """``(x - mean) / scale``, for numpy arrays and torch tensors alike."""
    return (x - mean) / scale


def unstandardise(z, mean, scale):
    """The inverse of :func:`standardise`."""
    return z * scale + mean


def feature_moments(values, sample_weight=None, moments=None):
    """Per-feature mean and standard deviation over the observed time steps.

    ``values`` is ``(n_samples, n_timesteps, n_features)`` with NaN at padding
    steps. With ``sample_weight``, each sample's steps count with its weight, so
    that integer weights give the moments of the repeated samples. A constant
    feature gets a standard deviation of 1, so scaling leaves it at 0. With
    ``moments``, each sequence's own ``(location, scale)`` from
    :func:`sequence_moments`, the moments are those of the sequences scaled by
    them, as the network reads them.
    """
    n_features = values.shape[2]
    total = np.zeros(n_features)
    total_sq = np.zeros(n_features)
    count = np.zeros(n_features)
    chunk = max(1, CHUNK_ELEMENTS // values[0].size)
    for lo in range(0, len(values), chunk):
        block = values[lo : lo + chunk].astype(np.float64)
        if moments is not None:
            location, scale = (m[lo : lo + chunk, np.newaxis] for m in moments)
            block = (block - location) / scale
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


# Per-sequence scaling ------------------------------------------------------------

SEQUENCE_STATISTICS = ("mean_abs", "standard", "last")
# The statistic of scaling="auto" when it scales per sequence, chosen by the
# forecasting benchmark (benchmarks/results/forecasting.md).
AUTO_STATISTIC = "last"


def sequence_statistics(x, statistic):
    """Location and scale of each feature of each sequence, over its observed steps.

    ``x`` is a tensor ``(batch, n_timesteps, n_features)`` with NaN at padding
    steps; the result is ``(location, scale)``, each ``(batch, 1, n_features)``,
    so that ``(x - location) / scale`` scales every sequence by its own values:

    - "mean_abs": location 0, scale the mean absolute value (DeepAR's scaling);
    - "standard": the mean and the standard deviation (RevIN's);
    - "last": the last observed value and the mean absolute value, so that the
      network predicts the change from the last value.

    All three follow the units: multiplying a sequence by ``c > 0``
    multiplies its location and scale by ``c``. A scale that is zero (a
    constant or all-zero sequence) falls back to the mean absolute value, and
    that to 1, so no statistic is ever NaN, infinite or zero. The operations are
    elementwise and reductions only, so the same code runs in the ONNX graph.
    """
    observed = ~torch.isnan(x)
    values = torch.where(observed, x, torch.zeros_like(x))
    count = observed.sum(dim=1, keepdim=True).clamp(min=1).to(x.dtype)
    mean_abs = values.abs().sum(dim=1, keepdim=True) / count
    ones = torch.ones_like(mean_abs)
    if statistic == "mean_abs":
        location, scale = torch.zeros_like(mean_abs), mean_abs
    elif statistic == "standard":
        location = values.sum(dim=1, keepdim=True) / count
        deviation = torch.where(observed, values - location, torch.zeros_like(x))
        scale = torch.sqrt((deviation**2).sum(dim=1, keepdim=True) / count)
        # Rounding leaves a constant sequence a tiny deviation: treat it as none.
        scale = torch.where(scale > 1e-6 * mean_abs, scale, mean_abs)
    else:  # "last"
        steps = torch.arange(x.shape[1], device=x.device).view(1, -1, 1)
        last = (steps * observed).amax(dim=1, keepdim=True)
        location = values.gather(1, last)
        scale = mean_abs
    scale = torch.where(scale > 0, scale, ones)
    return location, scale


def sequence_moments(values, statistic):
    """:func:`sequence_statistics` of numpy ``values``, in float64 and chunks.

    Returns ``(location, scale)``, numpy arrays ``(n_samples, n_features)``.
    """
    location = np.empty((len(values), values.shape[2]))
    scale = np.empty_like(location)
    chunk = max(1, CHUNK_ELEMENTS // max(1, values[0].size))
    for lo in range(0, len(values), chunk):
        block = torch.from_numpy(np.array(values[lo : lo + chunk], dtype=np.float64))
        loc, sc = sequence_statistics(block, statistic)
        location[lo : lo + chunk] = loc[:, 0].numpy()
        scale[lo : lo + chunk] = sc[:, 0].numpy()
    return location, scale
