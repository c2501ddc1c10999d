"""Loss functions with their gradients: softmax cross-entropy, binary cross-entropy on logits, mean squared error.

Each loss returns `(loss, dinput)`: the number to minimise and its gradient with respect to the network's output,
ready for backpropagation. The reductions are PyTorch's defaults (reduction='mean' in `F.cross_entropy`,
`F.binary_cross_entropy_with_logits` and `F.mse_loss`), and tests compare against them.

Why shift by the row max. softmax(z)_c = e^{z_c} / Σ_k e^{z_k} does not change when the same number m is subtracted
from every z_k (e^{z_c - m} = e^{z_c} e^{-m}, and e^{-m} cancels). Taking m = max_k z_k makes every exponent <= 0,
so nothing overflows (e^{1000} is inf in float64, e^{1000 - 1000} = 1), and the largest term is exactly 1, so the
sum is at least 1 and its log never sees 0. The same shift gives

    log softmax(z)_c = z_c - m - log Σ_k e^{z_k - m},

which stays finite (and exact) where softmax itself underflows to 0 and log(0) would be -inf.

For other kernels (the MLP's training step), the row-level pieces are compiled functions that work on one row and
write gradients into buffers you own: `_logsumexp_row`, `_softmax_row`, `_softmax_xent_row`, and the batch kernels
`_softmax_xent_kernel`, `_bce_with_logits_kernel`, `_mse_kernel`, each returning the mean loss.
"""
import math
import sys

import numpy as np
from numba import njit

from course_lib import _validate
from course_lib import activations
from course_lib._numba_cache import forget_if_dependencies_changed
from course_lib.activations import _sigmoid, _softplus

__all__ = ["softmax", "log_softmax", "softmax_cross_entropy", "binary_cross_entropy_with_logits", "mse"]


# ---------------------------------------------------------------------------------------------------------------
# Row-level pieces (for other kernels too).
# ---------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _row_max(z):
    """max_k z_k for one row z (C,) with C >= 1."""
    m = z[0]
    for c in range(1, z.shape[0]):
        if z[c] > m:
            m = z[c]
    return m


@njit(cache=True, error_model="numpy")
def _logsumexp_row(z):
    """log Σ_k e^{z_k} = m + log Σ_k e^{z_k - m} with m = max_k z_k, for one row z (C,) with C >= 1."""
    m = _row_max(z)
    total = 0.0
    for c in range(z.shape[0]):
        total += math.exp(z[c] - m)
    return m + math.log(total)


@njit(cache=True, error_model="numpy")
def _softmax_row(z, out):
    """out = softmax(z) for one row (C,): e^{z_c - m} / Σ_k e^{z_k - m}. For other kernels."""
    m = _row_max(z)
    total = 0.0
    for c in range(z.shape[0]):
        e = math.exp(z[c] - m)
        out[c] = e
        total += e
    inv = 1.0 / total
    for c in range(z.shape[0]):
        out[c] *= inv


@njit(cache=True, error_model="numpy")
def _softmax_xent_row(z, label, scale, dz):
    """Cross-entropy of one row and its scaled gradient; for other kernels.

    loss = -log softmax(z)[label] = m + log Σ_k e^{z_k - m} - z[label];  dz = scale · (softmax(z) - onehot(label)).
    z, dz: (C,); `scale` is 1/N when the batch loss is a mean over N rows. Returns the row's (unscaled) loss.
    """
    m = _row_max(z)
    total = 0.0
    for c in range(z.shape[0]):
        e = math.exp(z[c] - m)
        dz[c] = e
        total += e
    factor = scale / total
    for c in range(z.shape[0]):
        dz[c] *= factor
    dz[label] -= scale
    return math.log(total) + (m - z[label])


@njit(cache=True, error_model="numpy")
def _softmax_xent_kernel(logits, labels, dlogits):
    """Mean cross-entropy over the rows of logits (N, C) with int labels (N,); writes dlogits (N, C) =
    (softmax - onehot) / N and returns the mean loss (accumulated in float64). For other kernels too."""
    n = logits.shape[0]
    scale = 1.0 / n
    total = 0.0
    for i in range(n):
        total += _softmax_xent_row(logits[i], labels[i], scale, dlogits[i])
    return total * scale


@njit(cache=True, error_model="numpy")
def _softmax_kernel(logits, out):
    """Row-wise softmax of logits (M, C) into out (M, C)."""
    for i in range(logits.shape[0]):
        _softmax_row(logits[i], out[i])


@njit(cache=True, error_model="numpy")
def _log_softmax_kernel(logits, out):
    """Row-wise log-softmax of logits (M, C) into out (M, C): (z_c - m) - log Σ_k e^{z_k - m}.

    The two parts are subtracted separately: folding them into logsumexp(z) = m + log Σ first would round away a
    log Σ smaller than the spacing of floats near m (e.g. -7e-15 next to m = 50).
    """
    for i in range(logits.shape[0]):
        z = logits[i]
        m = _row_max(z)
        total = 0.0
        for c in range(z.shape[0]):
            total += math.exp(z[c] - m)
        log_total = math.log(total)
        for c in range(z.shape[0]):
            out[i, c] = (z[c] - m) - log_total


@njit(cache=True, error_model="numpy")
def _bce_with_logits_kernel(z, t, dz):
    """Mean binary cross-entropy over flat logits z (M,) and targets t (M,); writes dz = (σ(z) - t) / M and returns
    the mean loss. Each term is softplus(z) - z t = max(z, 0) - z t + log(1 + e^{-|z|}). For other kernels too."""
    n = z.shape[0]
    scale = 1.0 / n
    total = 0.0
    for i in range(n):
        total += _softplus(z[i]) - z[i] * t[i]
        dz[i] = (_sigmoid(z[i]) - t[i]) * scale
    return total * scale


@njit(cache=True, error_model="numpy")
def _mse_kernel(pred, target, dpred):
    """Mean of (pred - target)² over flat arrays (M,); writes dpred = 2 (pred - target) / M and returns the mean
    loss. For other kernels too."""
    n = pred.shape[0]
    scale = 1.0 / n
    total = 0.0
    for i in range(n):
        diff = pred[i] - target[i]
        total += diff * diff
        dpred[i] = 2.0 * diff * scale
    return total * scale


# ---------------------------------------------------------------------------------------------------------------
# Public functions.
# ---------------------------------------------------------------------------------------------------------------
def _logits_rows(logits, name="logits"):
    """Finite logits with at least one dimension and one class, viewed as rows (M, C) over the last axis."""
    z = _validate.float_array(logits, name, finite=True)
    if z.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (classes on the last axis), got a scalar")
    if z.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one class on its last axis, got shape {z.shape}")
    return z, z.reshape(-1, z.shape[-1])


def softmax(logits):
    """softmax(z)_c = e^{z_c} / Σ_k e^{z_k} along the last axis (rows of an (N, C) array; `dim=-1` in PyTorch).

    Computed with the row max subtracted first (see the module docstring), so logits of size 1e4 are fine.
    logits: any shape (..., C) with C >= 1, finite, float32/float64; returns the same shape and dtype, rows summing
    to 1.
    """
    z, rows = _logits_rows(logits)
    out = np.empty_like(z)
    _softmax_kernel(rows, out.reshape(rows.shape))
    return out


def log_softmax(logits):
    """log softmax(z)_c = z_c - log Σ_k e^{z_k}, along the last axis, via the max shift:
    z_c - m - log Σ_k e^{z_k - m}. Finite where softmax underflows to 0 (e.g. a logit 1e4 below the max)."""
    z, rows = _logits_rows(logits)
    out = np.empty_like(z)
    _log_softmax_kernel(rows, out.reshape(rows.shape))
    return out


def softmax_cross_entropy(logits, labels):
    """Mean softmax cross-entropy of a batch and its gradient: (loss, dlogits).

        loss    = (1/N) Σ_n -log softmax(z_n)[y_n] = (1/N) Σ_n (log Σ_k e^{z_nk} - z_{n,y_n})
        dlogits = (softmax(z) - onehot(y)) / N

    logits: (N, C) finite floats, N >= 1; labels: (N,) integers in [0, C). Returns loss as a NumPy scalar of the
    logits' dtype and dlogits (N, C) in that dtype. Same as `F.cross_entropy(logits, labels)`. Minimising it
    maximises the log-likelihood of the labels; at initialisation (all logits equal) it is log C, a good first check.
    """
    z = _validate.float_array(logits, "logits", ndim=2, finite=True)
    n, c = z.shape
    if n == 0 or c == 0:
        raise ValueError(f"logits must have at least one row and one class, got shape {z.shape}")
    y = _validate.labels_array(labels, "labels", n_classes=c, length=n)
    dz = np.empty_like(z)
    loss = _softmax_xent_kernel(z, y, dz)
    return z.dtype.type(loss), dz


def _pair(a, b, name_a, name_b):
    """Two finite arrays of the same (non-empty) shape, b cast to a's dtype."""
    a = _validate.float_array(a, name_a, finite=True)
    b = _validate.float_array(b, name_b, finite=True)
    b = _validate.cast_to(b, a.dtype, name_b, of=name_a)
    _validate.same_shape(a, b, name_a, name_b)
    if a.size == 0:
        raise ValueError(f"{name_a} is empty (shape {a.shape}); a mean over no elements is undefined")
    return a, b


def binary_cross_entropy_with_logits(logits, targets):
    """Mean binary cross-entropy on logits z with targets t in [0, 1]: (loss, dlogits).

    The lecture's form with h = σ(z),  -(1/M) Σ [t log h + (1 - t) log(1 - h)],  equals (using log σ(z) =
    -softplus(-z) and softplus(-z) = softplus(z) - z)

        loss    = (1/M) Σ [max(z, 0) - z t + log(1 + e^{-|z|})]
        dlogits = (σ(z) - t) / M

    and this form never takes log(0) or overflows, even for |z| = 1e4. The mean is over all M elements. logits and
    targets: the same shape (any, incl. 0-d), finite; targets are cast to the logits' dtype and must lie in [0, 1]
    (PyTorch does not check this). Same as `F.binary_cross_entropy_with_logits(logits, targets)`.
    """
    z, t = _pair(logits, targets, "logits", "targets")
    if t.min() < 0 or t.max() > 1:
        raise ValueError(f"targets must lie in [0, 1] (probabilities of class 1), got values from {t.min()} to "
                         f"{t.max()}")
    dz = np.empty_like(z)
    loss = _bce_with_logits_kernel(z.reshape(-1), t.reshape(-1), dz.reshape(-1))
    return z.dtype.type(loss), dz


def mse(pred, target):
    """Mean squared error over all elements: (loss, dpred).

        loss  = (1/M) Σ (pred - target)²,   dpred = 2 (pred - target) / M

    as `F.mse_loss(pred, target)` (reduction='mean'). The lecture's J = (1/n) Σ_i ||y_i - ŷ_i||² sums over the D
    outputs of each sample and averages over the n samples only: for pred of shape (n, D) it is D times this loss.
    pred and target: the same shape (any, incl. 0-d), finite; target is cast to pred's dtype.
    """
    p, t = _pair(pred, target, "pred", "target")
    dp = np.empty_like(p)
    loss = _mse_kernel(p.reshape(-1), t.reshape(-1), dp.reshape(-1))
    return p.dtype.type(loss), dp


# The loss kernels compile in activations' formulas; Numba's cache only watches this file (see _numba_cache).
forget_if_dependencies_changed(sys.modules[__name__], [activations])
