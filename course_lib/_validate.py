"""Input checks shared by every public function, so that bad input gets an error that names the problem.

A Numba kernel never sees an array whose shape, dtype or values it was not written for: the thin public function
calls these first. Every check raises `TypeError` (wrong kind of thing) or `ValueError` (right kind, wrong value)
with the argument's name in the message.
"""
import math
import numbers

import numpy as np
from numba import njit

FLOAT_DTYPES = (np.float32, np.float64)


@njit(cache=True, error_model="numpy")
def _all_finite_kernel(x):
    """True if every entry of the 1-D array x is finite (x - x is 0 for finite x and NaN for NaN or inf), in one
    pass with no temporary array (unlike np.isfinite(x).all())."""
    bad = False
    for i in range(x.size):
        bad |= (x[i] - x[i]) != 0
    return not bad


@njit(cache=True, error_model="numpy")
def _min_max_kernel(x):
    """(min, max) of a non-empty 1-D array in one pass."""
    low = high = x[0]
    for i in range(1, x.size):
        low = min(low, x[i])
        high = max(high, x[i])
    return low, high


def float_array(x, name, *, dtype=None, ndim=None, finite=False, copy=False):
    """Return `x` as a C-contiguous float32/float64 array (lists and integers become float64).

    Raises TypeError for non-numeric input or complex numbers, ValueError for a wrong number of dimensions or
    (with `finite=True`) NaN/inf values. A float16 array is promoted to float32. With `dtype`, the result is cast.
    """
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except Exception as exc:  # ragged lists and the like
            raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__} ({exc})") from None
    kind = arr.dtype.kind
    if kind in "biu":
        arr = arr.astype(np.float64)
    elif kind == "f":
        if arr.dtype == np.float16 or arr.dtype.itemsize > 8:
            arr = arr.astype(np.float32 if arr.dtype == np.float16 else np.float64)
    else:
        raise TypeError(f"{name} must hold real floating-point numbers, got dtype {arr.dtype}")
    if dtype is not None:
        arr = cast_to(arr, dtype, name)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {arr.shape}")
    if finite:
        check_finite(arr, name)
    if copy:
        return np.array(arr, order="C", copy=True)
    return np.asarray(arr, order="C")  # (np.ascontiguousarray would turn a 0-d array into shape (1,))


def in_place_arrays(arrays, name, changed_by):
    """Check arrays that `changed_by` (e.g. "the optimizer") will overwrite in place: each must be a NumPy array of
    float32 or float64, writable, and contiguous (so that its 1-D view is the array itself, not a copy).
    Messages name the array as ``name[i]``."""
    for i, a in enumerate(arrays):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{name}[{i}] must be a NumPy array ({changed_by} changes it in place), got "
                            f"{type(a).__name__}")
        if a.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{name}[{i}] must have dtype float32 or float64, got {a.dtype}")
        if not a.flags.writeable:
            raise ValueError(f"{name}[{i}] is read-only; {changed_by} changes it in place")
        if not (a.flags.c_contiguous or a.flags.f_contiguous):
            raise ValueError(f"{name}[{i}] is not contiguous (a strided view); pass the array it is a view of")


def cast_to(value, dtype, name, *, of=None):
    """`value` (a number or array) cast to `dtype`, with a ValueError instead of an overflow warning when a finite
    value does not fit (1e300 in float32). `of` names the array whose dtype it is, for the message."""
    if isinstance(value, np.ndarray) and value.dtype == dtype:
        return value  # nothing to cast (the common case, and a training step's: no time spent)
    value = np.asarray(value)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        cast = value.astype(dtype, copy=False)
    if cast.dtype.kind == "f" and value.dtype.kind in "fiu" and (np.isinf(cast) & np.isfinite(value)).any():
        whose = f", the dtype of {of}" if of else ""
        raise ValueError(f"{name} has a value too large for {np.dtype(dtype).name}{whose}")
    return cast


def check_finite(arr, name):
    """Raise ValueError naming `name` and the first bad index if `arr` holds NaN or inf."""
    if arr.dtype in FLOAT_DTYPES and arr.flags.c_contiguous:
        finite = arr.size == 0 or _all_finite_kernel(arr.reshape(-1))
    else:
        finite = arr.size == 0 or np.isfinite(arr).all()
    if not finite:
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = tuple(int(i) for i in bad) if arr.ndim else ()
        value = arr[tuple(bad)] if arr.ndim else arr[()]
        raise ValueError(f"{name} contains a non-finite value ({value}) at index {where}")
    return arr


def check_shape(arr, shape, name):
    """Raise ValueError if `arr.shape` differs from `shape` (entries of `None` match any size)."""
    ok = len(arr.shape) == len(shape) and all(s is None or s == a for a, s in zip(arr.shape, shape))
    if not ok:
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    return arr


def same_shape(a, b, name_a, name_b):
    """Raise ValueError naming both shapes if `a` and `b` differ in shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must match")


def scalar(value, name, *, low=None, high=None, low_open=False, high_open=False, integer=False):
    """Check a real scalar hyperparameter and return it as a Python float (or int with `integer=True`).

    `low`/`high` bound it (closed unless `low_open`/`high_open`); NaN and inf are rejected, as are booleans.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        kind = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {kind}, got {type(value).__name__}")
    if integer:
        if isinstance(value, numbers.Integral):
            value = int(value)
        elif float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    else:
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


def labels_array(y, name, n_classes=None, length=None):
    """Integer class labels as an int64 array of shape (N,), each in [0, n_classes)."""
    arr = np.asarray(y)
    if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got {arr.shape}")
    if length is not None and arr.shape[0] != length:
        raise ValueError(f"{name} has {arr.shape[0]} labels but there are {length} rows of inputs")
    if n_classes is not None and arr.size:
        low, high = _min_max_kernel(arr) if arr.dtype == np.int64 and arr.flags.c_contiguous else (arr.min(), arr.max())
        if low < 0 or high >= n_classes:
            raise ValueError(f"{name} must lie in [0, {n_classes}), got values from {low} to {high}")
    return np.ascontiguousarray(arr, dtype=np.int64)


def flag(value, name):
    """A setting that must be True or False (a NumPy bool too), returned as a Python bool.

    Anything else raises TypeError, even 0 and 1: ``flag(1, "inplace")`` is more likely a slip than a choice."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def one_of(value, name, choices):
    """Raise ValueError listing the choices if `value` is not one of them."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {name} {value!r}; choose one of {listed}")
    return value
