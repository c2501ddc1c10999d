"""Exponential moving averages (EMA) and their bias correction: the averaging trick behind momentum and Adam.

Lecture notation (x_t is the t-th measurement, t = 1, 2, ...):

    v_0 = 0
    v_t = beta * v_{t-1} + (1 - beta) * x_t
    v_hat_t = v_t / (1 - beta**t)          (bias-corrected EMA)

Unrolling the recursion shows that every past measurement keeps a weight that decays geometrically:

    v_t = (1 - beta) * (x_t + beta * x_{t-1} + beta**2 * x_{t-2} + ... + beta**(t-1) * x_1)

- The weight of x_i is (1 - beta) * beta**(t - i)  (`weights`).
- The weights sum to 1 - beta**t (`coefficient_sum`), not to 1: that is why v_t starts too small, and dividing by
  1 - beta**t (bias correction) rescales them to sum to one. With it, v_hat_1 = x_1.
- 1 / (1 - beta) is the averaging window (`window`): after n = 1/(1 - beta) steps the weight has dropped by
  beta**n = (1 - 1/n)**n, close to 1/e (for beta = 0.9: 0.9**10 = 0.349 against 1/e = 0.368).

PyTorch writes the same recursion as ``v.lerp_(x, 1 - beta)`` (Adam's ``exp_avg``); Adam's ``m_hat`` and ``v_hat``
are exactly the bias-corrected EMAs of the gradient and the squared gradient.
"""
import numpy as np
from numba import njit

from course_lib import _validate

__all__ = ["ema", "EMA", "window", "coefficient_sum", "weights"]


def _check_beta(beta):
    return _validate.scalar(beta, "beta", low=0.0, high=1.0, high_open=True)


@njit(cache=True, error_model="numpy")
def _ema_sequence_kernel(x, out, beta, one_minus_beta, divisors):
    """out[t] = v_{t+1} / divisors[t], where v is the EMA of the rows x[0..t] (rows are time steps).

    One pass over x; the running average v is the only scratch (one row of d values).
    """
    T, d = x.shape
    v = np.zeros(d, dtype=x.dtype)  # v_0 = 0
    for t in range(T):
        for j in range(d):
            v[j] = beta * v[j] + one_minus_beta * x[t, j]
            out[t, j] = v[j] / divisors[t]


def ema(x, beta, bias_correction=True):
    """Exponential moving average of a sequence, every step at once.

    Parameters
    ----------
    x : array of shape (T,) or (T, d)
        The measurements x_1, ..., x_T (for (T, d), each of the d columns is averaged on its own).
    beta : float in [0, 1)
        The decay rate; the averaging window is 1 / (1 - beta).
    bias_correction : bool
        If True (the default) return v_hat_t = v_t / (1 - beta**t); otherwise the raw v_t (which starts near 0).

    Returns
    -------
    array of the same shape and dtype as x (float32 stays float32): row t-1 holds v_t (or v_hat_t).

    Recursion: v_0 = 0, v_t = beta * v_{t-1} + (1 - beta) * x_t, t = 1..T.
    """
    beta = _check_beta(beta)
    bias_correction = _validate.flag(bias_correction, "bias_correction")
    arr = _validate.float_array(x, "x", ndim=(1, 2), finite=True)
    table = arr if arr.ndim == 2 else arr.reshape(-1, 1)
    out = np.empty_like(table)
    dtype = table.dtype.type
    steps = np.arange(1, table.shape[0] + 1, dtype=np.float64)
    # The per-step divisors 1 - beta**t are computed once, outside the kernel's loop (1 without correction).
    divisors = (1.0 - beta**steps) if bias_correction else np.ones_like(steps)
    _ema_sequence_kernel(table, out, dtype(beta), dtype(1.0 - beta), divisors.astype(table.dtype))
    return out.reshape(arr.shape)


def window(beta):
    """The averaging window 1 / (1 - beta): about how many recent measurements the EMA remembers.

    After that many steps a measurement's weight has shrunk by beta**n = (1 - 1/n)**n, roughly 1/e.
    beta = 0.9 gives 10, beta = 0.99 gives 100.
    """
    beta = _check_beta(beta)
    return 1.0 / (1.0 - beta)


def coefficient_sum(beta, t):
    """Sum of the weights of x_1..x_t in v_t: (1 - beta) * (1 + beta + ... + beta**(t-1)) = 1 - beta**t.

    It is below one for every finite t, which is the bias that v_hat_t = v_t / (1 - beta**t) removes.
    """
    beta = _check_beta(beta)
    t = _validate.scalar(t, "t", low=0, integer=True)
    return 1.0 - beta**t


def weights(beta, t):
    """The weight each past measurement carries in v_t: array w of shape (t,), w[i-1] = (1 - beta) * beta**(t - i).

    w[-1] (the newest, x_t) is the largest, 1 - beta; the weights sum to `coefficient_sum(beta, t)`, so
    ``weights(beta, t) @ x == v_t`` for a sequence x of length t.
    """
    beta = _check_beta(beta)
    t = _validate.scalar(t, "t", low=0, integer=True)
    ages = np.arange(t - 1, -1, -1, dtype=np.float64)  # t - i for i = 1..t
    return (1.0 - beta) * beta**ages


class EMA:
    """A streaming exponential moving average: feed one measurement at a time with `update(x)`.

    v_0 = 0, v_t = beta * v_{t-1} + (1 - beta) * x_t; `update` returns v_hat_t = v_t / (1 - beta**t) when
    `bias_correction` is True (the default), else v_t. Measurements may be Python numbers (the value is then a
    float) or arrays of one fixed shape (the value is then an array of that shape and dtype).

    Attributes
    ----------
    beta : float
    bias_correction : bool
    t : int
        How many measurements have been averaged (0 before the first update).
    value : float, array or None
        The current (corrected, if asked) average; None before the first update.
    raw : float, array or None
        The uncorrected v_t.
    """

    def __init__(self, beta, bias_correction=True):
        self.beta = _check_beta(beta)
        self.bias_correction = _validate.flag(bias_correction, "bias_correction")
        self.reset()

    def reset(self):
        """Forget every measurement: t = 0, v_0 = 0."""
        self.t = 0
        self._v = None
        self._scalar = None

    def update(self, x):
        """Average in the next measurement x_t and return the current value."""
        scalar = np.ndim(x) == 0 and not isinstance(x, np.ndarray)
        arr = _validate.float_array(x, "x", finite=True)
        if self._v is None:
            self._v = np.zeros_like(arr)
            self._scalar = scalar
        elif arr.shape != self._v.shape:
            raise ValueError(f"x has shape {arr.shape} but this EMA averages values of shape {self._v.shape}")
        dtype = self._v.dtype.type
        self.t += 1
        _ema_update_kernel(self._v.reshape(-1), arr.astype(self._v.dtype, copy=False).reshape(-1),
                           dtype(self.beta), dtype(1.0 - self.beta))
        return self.value

    @property
    def raw(self):
        if self._v is None:
            return None
        return float(self._v) if self._scalar else self._v.copy()

    @property
    def value(self):
        if self._v is None:
            return None
        if not self.bias_correction:
            return self.raw
        corrected = self._v / self._v.dtype.type(1.0 - self.beta**self.t)
        return float(corrected) if self._scalar else corrected

    def __repr__(self):
        return f"EMA(beta={self.beta}, bias_correction={self.bias_correction}, t={self.t})"


@njit(cache=True, error_model="numpy")
def _ema_update_kernel(v, x, beta, one_minus_beta):
    """v <- beta * v + (1 - beta) * x, in place (both 1-D of the same length)."""
    for i in range(v.size):
        v[i] = beta * v[i] + one_minus_beta * x[i]
