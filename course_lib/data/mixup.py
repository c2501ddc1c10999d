"""Mixup (Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018): train on blends of examples.

For each example i a partner j = pi(i) is drawn (pi a random permutation of the batch) and a weight
lambda_i ~ Beta(alpha, alpha); the new example and its target are the same blend of the pair:
    x~_i = lambda_i x_i + (1 - lambda_i) x_j,        y~_i = lambda_i y_i + (1 - lambda_i) y_j.
The lecture's picture: 40% cat + 60% dog gives the target (cat: 0.4, dog: 0.6). Targets must be one-hot (or any
rows summing to one), so the blended targets sum to one too. Only the training data is mixed; test on originals.

alpha sets how strong the mixing is: small alpha puts lambda near 0 or 1 (mostly one of the two examples), alpha = 1
makes lambda uniform on [0, 1], large alpha concentrates it at 1/2. alpha = 0 is the limit with no mixing
(lambda = 1: plain training, "empirical risk minimization"). Here lambda is drawn per example; the paper's
reference code draws one lambda per mini-batch.
"""
import numpy as np
from numba import njit

from course_lib import _validate as v
from course_lib.data._common import as_rng, n_rows


@njit(cache=True, error_model="numpy")
def _mixup_kernel(A, lam, one_minus_lam, partner, out):
    """out[i] = lam[i] * A[i] + (1 - lam[i]) * A[partner[i]] for the rows of A (N, D), in one pass."""
    n, d = A.shape
    for i in range(n):
        a = lam[i]
        b = one_minus_lam[i]
        j = partner[i]
        for k in range(d):
            out[i, k] = a * A[i, k] + b * A[j, k]


def _blend(A, lam, partner):
    flat = A.reshape(A.shape[0], -1)
    lam_t = lam.astype(A.dtype)
    out = np.empty_like(flat)
    _mixup_kernel(flat, lam_t, (1.0 - lam).astype(A.dtype), partner, out)
    return out.reshape(A.shape)


def mixup(X, Y_onehot, alpha=0.2, rng=None, return_params=False):
    """Blend every example with a random partner: returns (X_mix, Y_mix).

    X: (N, ...) float32/float64; Y_onehot: (N, C) targets whose rows sum to one (see `one_hot`); dtypes are kept.
    lambda_i ~ Beta(alpha, alpha), one per example; partner = a random permutation of 0..N-1 (an example may be
    its own partner). The draws come from `rng` (integer seed, numpy Generator or None), lambda first.
    alpha >= 0; alpha = 0 gives lambda = 1 (no mixing).
    With `return_params=True` returns (X_mix, Y_mix, lam (N,) float64, partner (N,) int64).
    """
    X = v.float_array(X, "X", finite=True)
    n = n_rows(X, "X")
    Y = v.float_array(Y_onehot, "Y_onehot", finite=True)
    if Y.ndim != 2:
        hint = "; turn labels into targets with one_hot(y)" if Y.ndim == 1 else ""
        raise ValueError(f"Y_onehot must have shape (N, C), got {Y.shape}{hint}")
    if Y.shape[0] != n:
        raise ValueError(f"Y_onehot has {Y.shape[0]} rows but X has {n}; they must match")
    alpha = v.scalar(alpha, "alpha", low=0.0)
    rng = as_rng(rng, "rng")
    lam = np.ones(n) if alpha == 0.0 else rng.beta(alpha, alpha, size=n)
    partner = rng.permutation(n).astype(np.int64)
    X_mix = _blend(X, lam, partner)
    Y_mix = _blend(Y, lam, partner)
    if return_params:
        return X_mix, Y_mix, lam, partner
    return X_mix, Y_mix
