"""Categorical input features: which they are, their codes, their embeddings.

An estimator's ``categorical`` parameter names the input features (by position
among the features per time step) that hold integer codes: token ids, a store
number, a weekday. The network reads each through a learned embedding
(``_module.CodeEmbedding``); this module checks the codes and collects the
vocabulary each embedding is built for.
"""

import numpy as np

from ._params import Constraint, either, integer, literal

# float32 represents every integer up to 2**24 exactly; larger codes would
# silently merge with their neighbours.
MAX_CODE = 2**24 - 1

# A position among the features per time step.
_POSITION = integer(0)

CATEGORICAL = Constraint(
    "None, 'all', an int or a list of distinct ints (feature positions)",
    lambda v: (
        v is None
        or (isinstance(v, str) and v == "all")
        or _POSITION.accepts(v)
        or (
            isinstance(v, (list, tuple))
            and len(v) > 0
            and all(_POSITION.accepts(f) for f in v)
            and len(set(v)) == len(v)
        )
    ),
)
EMBEDDING_SIZE = either(literal("auto"), integer(1))


def categorical_features(categorical, n_features):
    """The sorted positions ``categorical`` names among ``n_features``."""
    if categorical is None:
        return ()
    if isinstance(categorical, str):  # "all"
        return tuple(range(n_features))
    positions = [categorical] if _POSITION.accepts(categorical) else list(categorical)
    outside = [int(f) for f in positions if f >= n_features]
    if outside:
        raise ValueError(
            f"categorical names features {outside}, but X has {n_features} features "
            "per time step (positions 0 to "
            f"{n_features - 1}; 2D input and lists of 1D sequences have one: 0)."
        )
    return tuple(sorted(int(f) for f in positions))


def check_codes(values, features, *, fitting):
    """Raise unless the categorical ``features`` of ``values`` hold integers.

    NaN (padding) and negative codes pass: they read as unknown. In ``fit``,
    codes must also be at most :data:`MAX_CODE`.
    """
    for feature in features:
        codes = values[..., feature]
        finite = np.isfinite(codes)
        wrong = finite & (codes != np.floor(codes))
        if wrong.any():
            raise ValueError(
                f"Feature {feature} is categorical, so it must hold integer codes, "
                f"but it holds {float(codes[wrong][0]):g}. Encode categories as "
                "integers (OrdinalEncoder, pandas' .cat.codes, TextSequencer for "
                "text), or leave the feature out of categorical= if it is a number."
            )
        if fitting and (codes[finite] > MAX_CODE).any():
            raise ValueError(
                f"Feature {feature} is categorical, but holds codes above {MAX_CODE}, "
                "which float32 cannot tell apart; number the categories from 0 "
                "(OrdinalEncoder, pandas' .cat.codes)."
            )


def vocabularies(values, features, sample_weight=None):
    """Per categorical feature, the distinct non-negative codes of the samples
    that ``sample_weight`` counts (all without it), sorted."""
    if sample_weight is not None:
        values = values[np.asarray(sample_weight) > 0]
    categories = []
    for feature in features:
        codes = np.unique(values[..., feature])
        codes = codes[np.isfinite(codes) & (codes >= 0)]
        categories.append(codes.astype(np.int64))
    return categories


def embedding_sizes(embedding_size, categories):
    """The embedding width of each feature: ``embedding_size``, or with "auto"
    ``min(50, round(1.6 * n ** 0.56))`` for ``n`` codes and the unknown one
    (fastai's rule, capped)."""
    if embedding_size != "auto":
        return tuple(int(embedding_size) for _ in categories)
    return tuple(min(50, round(1.6 * (len(c) + 1) ** 0.56)) for c in categories)


def code_ranges(categories):
    """The length of each feature's code table: one more than its largest code."""
    return tuple(int(c.max()) + 1 if len(c) else 1 for c in categories)
