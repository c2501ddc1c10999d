"""Gradient clipping: keep one bad batch (a "cliff" in the loss) from throwing the parameters far away.

Two rules, both applied to the gradients IN PLACE before the optimizer step:

- Clip by norm (`clip_grad_norm`, like ``torch.nn.utils.clip_grad_norm_``): treat all gradients as one long
  vector g, compute its p-norm ||g||_p = (sum_i |g_i|^p)^(1/p) (the largest |g_i| for p = inf) and, if it exceeds
  max_norm, scale every gradient by the same factor
        clip_coef = min(1, max_norm / (||g||_p + 1e-6)),
  which keeps the direction of the step and caps its length (the 1e-6 avoids dividing by zero).
- Clip by value (`clip_grad_value`, like ``torch.nn.utils.clip_grad_value_``): clamp each entry to
  [-clip_value, clip_value]. Cheaper, but it changes the direction of g.

The norm is accumulated in float64 whatever the gradients' dtype; the gradients keep their dtype.
"""
import math

import numpy as np
from numba import njit

from course_lib import _validate
from course_lib.optim.base import check_flag, memory_order
from course_lib.optim.flat import covering_buffer

__all__ = ["clip_grad_norm", "clip_grad_value"]


@njit(cache=True, error_model="numpy")
def _abs_power_sum_kernel(x, p):
    """sum_i |x_i|^p in float64 (p = 1 and p = 2 without calling pow)."""
    total = 0.0
    for i in range(x.size):
        a = abs(np.float64(x[i]))
        if p == 2.0:
            total += a * a
        elif p == 1.0:
            total += a
        else:
            total += a**p
    return total


@njit(cache=True, error_model="numpy")
def _abs_max_kernel(x):
    """max_i |x_i| (NaN if any entry is NaN), in float64; 0 for an empty array."""
    largest = 0.0
    for i in range(x.size):
        a = abs(np.float64(x[i]))
        if a > largest or a != a:
            largest = a
            if a != a:
                return a
    return largest


@njit(cache=True, error_model="numpy")
def _scale_kernel(x, factor):
    """x <- factor * x, in place."""
    for i in range(x.size):
        x[i] = factor * x[i]


@njit(cache=True, error_model="numpy")
def _clamp_kernel(x, low, high):
    """x <- min(max(x, low), high), in place; NaN stays NaN (as torch.clamp)."""
    for i in range(x.size):
        if x[i] > high:
            x[i] = high
        elif x[i] < low:
            x[i] = low


def _check_grads(grads):
    """The gradients as 1-D views of writable float arrays (one view of the whole buffer if they tile one)."""
    if isinstance(grads, np.ndarray):
        grads = [grads]
    if not isinstance(grads, (list, tuple)):
        raise TypeError(f"grads must be an array or a list of arrays, got {type(grads).__name__}")
    _validate.in_place_arrays(grads, "grads", "clipping")
    flat = covering_buffer(list(grads))
    if flat is not None:
        return [flat]
    return [g.reshape(-1, order=memory_order(g)) for g in grads]


def clip_grad_norm(grads, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their total norm is at most max_norm; return the norm BEFORE clipping.

    Parameters
    ----------
    grads : array or list of arrays (float32/float64, writable), changed in place
    max_norm : float >= 0
    norm_type : float > 0 or math.inf
        p of the p-norm, over all entries of all gradients (as if concatenated into one vector).
    error_if_nonfinite : bool
        If True, raise ValueError (and change nothing) when the total norm is NaN or inf. If False (PyTorch's
        default), such gradients are scaled by max_norm / (inf + 1e-6) = 0 (NaN entries stay NaN).

    Returns
    -------
    total_norm : float, ||g||_p before clipping.

    Rule (PyTorch's): clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1, and every gradient is
    multiplied by it (also when it is 1, which changes nothing).
    """
    units = _check_grads(grads)
    max_norm = _validate.scalar(max_norm, "max_norm", low=0.0)
    if isinstance(norm_type, (bool, np.bool_)) or not isinstance(norm_type, (int, float, np.integer, np.floating)):
        raise TypeError(f"norm_type must be a positive number or math.inf, got {norm_type!r}")
    p = float(norm_type)
    if not (p > 0):
        raise ValueError(f"norm_type must be > 0 (or math.inf), got {norm_type}")
    error_if_nonfinite = check_flag(error_if_nonfinite, "error_if_nonfinite")
    if math.isinf(p):
        total_norm = max((_abs_max_kernel(g) for g in units), default=0.0)
    else:
        total_norm = sum(_abs_power_sum_kernel(g, p) for g in units) ** (1.0 / p)
    total_norm = float(total_norm)
    if not math.isfinite(total_norm):
        if error_if_nonfinite:
            raise ValueError(f"the total {p}-norm of the gradients is {total_norm}; nothing was clipped")
        clip_coef = 0.0 if math.isinf(total_norm) else math.nan
    else:
        clip_coef = min(max_norm / (total_norm + 1e-6), 1.0)
    for g in units:
        _scale_kernel(g, g.dtype.type(clip_coef))
    return total_norm


def clip_grad_value(grads, clip_value):
    """Clamp every gradient entry to [-clip_value, clip_value], in place (``torch.nn.utils.clip_grad_value_``).

    grads : array or list of arrays (float32/float64, writable); clip_value : float >= 0. Returns None.
    """
    units = _check_grads(grads)
    clip_value = _validate.scalar(clip_value, "clip_value", low=0.0)
    for g in units:
        dtype = g.dtype.type
        _clamp_kernel(g, dtype(-clip_value), dtype(clip_value))
