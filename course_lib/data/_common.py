"""Two small helpers that every data module needs: a random generator from a seed, and balanced class sizes."""
import numbers

import numpy as np

from course_lib import _validate as v


def as_rng(rng, name="rng"):
    """A `numpy.random.Generator` from `rng`: an integer seed, an existing Generator (used as is), or None.

    None gives a fresh generator seeded from the operating system (different every call); pass an integer for
    repeatable results.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, numbers.Integral):
        raise TypeError(f"{name} must be an integer seed, a numpy.random.Generator or None, got {type(rng).__name__}")
    return np.random.default_rng(v.scalar(rng, name, low=0, integer=True))


def class_sizes(n_samples, n_classes):
    """Split `n_samples` into `n_classes` sizes that differ by at most one (the first classes get the extra ones)."""
    base, extra = divmod(n_samples, n_classes)
    return [base + (k < extra) for k in range(n_classes)]


def n_rows(arr, name):
    """Number of rows (first axis) of `arr`; raises ValueError for a 0-d or empty array."""
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (one row per sample), got a scalar")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has no rows; it needs at least one sample")
    return arr.shape[0]
