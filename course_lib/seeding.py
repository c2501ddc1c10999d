"""One call that makes a run repeatable: `seed(n)`.

Numba keeps its own random generator inside compiled code, separate from NumPy's global one: seeding NumPy from
Python does not change what `np.random.random()` returns inside an `@njit` function. `seed` seeds both, and Python's
`random` module too.
"""
import random

import numpy as np
from numba import njit


@njit(cache=True)
def _seed_numba_kernel(n):
    np.random.seed(n)


def seed(n):
    """Seed Python's `random`, NumPy's global generator and Numba's compiled-code generator with the integer `n`.

    Code that takes an explicit `numpy.random.Generator` (``rng=np.random.default_rng(n)``) does not need this;
    it is for code that draws from the global generators.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"seed(n) needs an integer, got {type(n).__name__}")
    n = int(n)
    if not 0 <= n < 2**32:
        raise ValueError(f"seed(n) needs 0 <= n < 2**32, got {n}")
    random.seed(n)
    np.random.seed(n)
    _seed_numba_kernel(n)
