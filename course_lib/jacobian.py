"""Numeric derivatives, to check the gradients that backpropagation computes.

The lecture's vocabulary:

- f: R^n -> R (a loss) has a *gradient* of the same shape as its input, (df/dx)_j = df/dx_j.
- f: R^n -> R^m has a *Jacobian*, the m x n matrix J[i, j] = df_i/dx_j (rows: outputs, columns: inputs).

Both are estimated here with the *central difference*

    df/dx_j  ~  ( f(x + h e_j) - f(x - h e_j) ) / (2 h),

whose error shrinks like h^2 (the one-sided difference (f(x + h e_j) - f(x)) / h only like h). With h = 1e-5 and
float64 arithmetic a smooth function's derivative comes out right to about 1e-10 relative; near a kink (ReLU at 0, a
max with a tie) the two sides disagree and so may the check.

`rel_error` and `gradient_check` turn "numeric vs analytic" into one number and a readable report. Everything here is
plain NumPy: these are the slow, obviously-correct references that the fast kernels are tested against.
"""
import math
import numbers
from dataclasses import dataclass

import numpy as np

from course_lib import _validate

__all__ = ["numerical_gradient", "numerical_jacobian", "rel_error", "gradient_check", "GradientCheck"]


def _point(x):
    """The array the derivative is taken at: a float64 ndarray is used (and perturbed) in place, anything else is
    converted to a new float64 array. float32 is refused: its rounding (about 1e-7 relative) swamps a step of 1e-5."""
    if isinstance(x, np.ndarray):
        if x.dtype == np.float32 or x.dtype == np.float16:
            raise TypeError(
                f"x has dtype {x.dtype}; numeric derivatives need float64 (float32 rounding swamps the step h): "
                "pass x.astype(np.float64)"
            )
        if x.dtype == np.float64:
            if not x.flags.writeable:
                raise ValueError("x is read-only; numeric derivatives change one entry at a time, so x must be writable")
            return x
    return _validate.float_array(x, "x", dtype=np.float64, copy=True)


def _step(h):
    return _validate.scalar(h, "h", low=0.0, low_open=True)


def _scalar_value(value, where):
    """Check that f returned one finite real number and return it as a float."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"f must return a real number, got a bool {where}")
    if isinstance(value, numbers.Real):
        out = float(value)
    else:
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiu":
            raise TypeError(f"f must return a real number, got {type(value).__name__} {where}")
        if arr.ndim != 0:
            raise ValueError(
                f"f must return a scalar (a loss), got an array of shape {arr.shape} {where}; "
                "for vector-valued f use numerical_jacobian"
            )
        out = float(arr)
    if not math.isfinite(out):
        raise ValueError(f"f returned a non-finite value ({out}) {where}")
    return out


def _vector_value(value, where, size=None):
    """Check that f returned finite real numbers and return them as a flat float64 array."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"f must return real numbers, got {type(value).__name__} with dtype {arr.dtype} {where}")
    flat = arr.astype(np.float64).ravel()
    if size is not None and flat.size != size:
        raise ValueError(f"f returned {flat.size} values {where} but {size} at x itself; its output size must not change")
    if not np.isfinite(flat).all():
        raise ValueError(f"f returned a non-finite value {where}")
    return flat


def _where(index, sign):
    return f"at x[{', '.join(str(int(i)) for i in index)}] {sign} h"


def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of a scalar function: grad[j] = (f(x + h e_j) - f(x - h e_j)) / (2h).

    f : callable, f(x) -> a finite real scalar. It is called as f(x) with the perturbed array, so it may either use
        its argument or read the same array through a closure (both see the perturbation).
    x : float64 array of any shape (a float64 ndarray, even a strided view, is perturbed in place, one entry at a
        time, and restored exactly afterwards, also if f raises); lists and integer arrays are converted to a new
        float64 array.
    h : step, > 0.

    Returns a float64 array of the same shape as x. Costs 2 * x.size calls of f.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of x, got {type(f).__name__}")
    x = _point(x)
    h = _step(h)
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):  # row-major order, works for any strides (x is changed in place)
        original = x[idx]
        try:
            x[idx] = original + h
            plus = _scalar_value(f(x), _where(idx, "+"))
            x[idx] = original - h
            minus = _scalar_value(f(x), _where(idx, "-"))
        finally:
            x[idx] = original
        grad[idx] = (plus - minus) / (2.0 * h)
    return grad


def numerical_jacobian(f, x, h=1e-5):
    """Central-difference Jacobian J[i, j] = df_i/dx_j ~ (f_i(x + h e_j) - f_i(x - h e_j)) / (2h).

    f : callable, f(x) -> array of finite real numbers (any shape; it is flattened, so i indexes f(x).ravel()).
    x : float64 array of any shape (j indexes x.ravel()); perturbed in place and restored, as in numerical_gradient.
    h : step, > 0.

    Returns a float64 array of shape (m, n) with m = f(x).size and n = x.size: row i is the gradient of output i,
    column j says how every output moves when input j moves. (The lecture's vector chain rule multiplies these:
    J_{g o f}(x) = J_g(f(x)) @ J_f(x).) Costs 1 + 2n calls of f.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of x, got {type(f).__name__}")
    x = _point(x)
    h = _step(h)
    m = _vector_value(f(x), "at x").size
    jac = np.zeros((m, x.size), dtype=np.float64)
    for j, idx in enumerate(np.ndindex(x.shape)):  # j runs over x.ravel() order
        original = x[idx]
        try:
            x[idx] = original + h
            plus = _vector_value(f(x), _where(idx, "+"), m)
            x[idx] = original - h
            minus = _vector_value(f(x), _where(idx, "-"), m)
        finally:
            x[idx] = original
        jac[:, j] = (plus - minus) / (2.0 * h)
    return jac


def _elementwise_rel_error(a, b):
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


def _comparable(a, b):
    a = _validate.float_array(a, "a", dtype=np.float64, finite=True)
    b = _validate.float_array(b, "b", dtype=np.float64, finite=True)
    _validate.same_shape(a, b, "a", "b")
    return a, b


def rel_error(a, b):
    """Largest elementwise relative error between two arrays of the same shape:

        rel_error(a, b) = max over k of  |a_k - b_k| / max(1e-8, |a_k| + |b_k|).

    The ratio is taken element by element, *then* the maximum, so one wrong small entry is not hidden by large
    correct ones (max|a - b| / max(|a| + |b|) would hide it). The floor 1e-8 keeps two (near-)zero entries from
    dividing by zero: where both are 0 the error is 0. The result lies in [0, 1]; 1 means opposite signs or one of the
    two is zero. Rule of thumb from the lecture's notebooks: < 1e-7 is a correct gradient, around 1e-4 is suspicious
    unless there is a kink, > 1e-2 is a bug. An empty pair of arrays gives 0.0. Both inputs must be finite.
    """
    a, b = _comparable(a, b)
    if a.size == 0:
        return 0.0
    return float(np.max(_elementwise_rel_error(a, b)))


@dataclass(frozen=True)
class GradientCheck:
    """Result of `gradient_check`: print it (or just show it in a notebook) for a one-look report.

    rel_error   : rel_error(numeric, analytic), the worst elementwise relative error.
    ok          : rel_error <= tol.
    worst_index : index into x (a tuple, () for a scalar x) of the element with that worst error.
    numeric, analytic : the two gradients (float64, shape of x); tol and h: the settings used.
    """

    rel_error: float
    ok: bool
    worst_index: tuple
    numeric: np.ndarray
    analytic: np.ndarray
    tol: float
    h: float

    def __str__(self):
        verdict = "OK" if self.ok else "FAILED"
        cmp = "<=" if self.ok else ">"
        if self.numeric.size == 0:
            return f"gradient check {verdict}: x is empty, nothing to compare"
        idx = ", ".join(str(i) for i in self.worst_index)
        return (
            f"gradient check {verdict}: relative error {self.rel_error:.3e} {cmp} tol {self.tol:.1e} "
            f"(central differences, h={self.h:g})\n"
            f"  worst element x[{idx}]: numeric {self.numeric[self.worst_index]:.10g} "
            f"vs analytic {self.analytic[self.worst_index]:.10g}"
        )

    def __repr__(self):
        return str(self)

    def _repr_pretty_(self, printer, cycle):  # IPython/Jupyter display
        printer.text(str(self))


def gradient_check(f, analytic_grad, x, h=1e-5, tol=1e-7):
    """Compare an analytic gradient with the central-difference one and report the worst element.

    f             : callable, f(x) -> finite real scalar (as in numerical_gradient).
    analytic_grad : the gradient you computed, an array of x's shape, or a callable g(x) returning it (called once,
                    at the unperturbed x).
    x             : the point, float64 array of any shape (restored after the check).
    tol           : pass threshold on rel_error (default 1e-7, right for float64 away from kinks).

    Returns a `GradientCheck` whose `.rel_error` is rel_error(numeric, analytic) (elementwise ratio, then max),
    `.ok` is rel_error <= tol, and `.worst_index` says which element of x had the largest error.
    """
    x = _point(x)
    tol = _validate.scalar(tol, "tol", low=0.0)
    if callable(analytic_grad):
        analytic_grad = analytic_grad(x)
    analytic = _validate.float_array(analytic_grad, "analytic_grad", dtype=np.float64, finite=True, copy=True)
    if analytic.shape != x.shape:
        raise ValueError(f"analytic_grad has shape {analytic.shape} but x has shape {x.shape}; a gradient has x's shape")
    numeric = numerical_gradient(f, x, h)
    if x.size == 0:
        return GradientCheck(0.0, True, (), numeric, analytic, tol, _step(h))
    errors = _elementwise_rel_error(numeric, analytic)
    worst = np.unravel_index(int(np.argmax(errors)), x.shape)
    worst = tuple(int(i) for i in worst)
    err = float(errors[worst])
    return GradientCheck(err, err <= tol, worst, numeric, analytic, tol, _step(h))
