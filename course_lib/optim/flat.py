"""One contiguous buffer for all of a model's parameters (and another for their gradients).

A network has many small arrays (a weight matrix and a bias per layer). Updating them one by one costs a Python
round trip per array, which dominates for small models. If the arrays are *views into one 1-D buffer*, laid out
one after another, an optimizer can update the whole buffer with a single kernel call instead:

    flat, (W1, b1, W2, b2) = flat_parameters([(3, 4), (4,), (4, 2), (2,)], np.float64)
    # flat has 3*4 + 4 + 4*2 + 2 = 26 entries; W1 is flat[0:12].reshape(3, 4), b1 is flat[12:16], ...

Writing into W1 writes into `flat` and the other way round. The optimizers detect such a layout on their own
(`covering_buffer`); any other list of arrays still works, one kernel call per array.
"""
import math

import numpy as np

from course_lib import _validate

__all__ = ["flat_parameters", "covering_buffer"]


def flat_parameters(shapes, dtype=np.float64):
    """Allocate one zero-filled 1-D buffer and return (flat, views), the views shaped as asked, in order.

    Parameters
    ----------
    shapes : sequence of shapes (tuples of non-negative ints, or ints for 1-D)
    dtype : np.float32 or np.float64

    Returns
    -------
    flat : array of shape (sum of sizes,)
    views : list of arrays, views[k] = flat[offset_k : offset_k + size_k].reshape(shapes[k])
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    if isinstance(shapes, (str, bytes)) or not hasattr(shapes, "__iter__"):
        raise TypeError(f"shapes must be a list of shapes, got {type(shapes).__name__}")
    clean = []
    for k, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, (int, np.integer)) else shape
        try:
            shape = tuple(_validate.scalar(s, f"shapes[{k}]", low=0, integer=True) for s in shape)
        except TypeError:
            raise TypeError(f"shapes[{k}] must be a tuple of non-negative integers, got {shape!r}") from None
        clean.append(shape)
    sizes = [math.prod(s) for s in clean]
    flat = np.zeros(sum(sizes), dtype=dtype)
    views, offset = [], 0
    for shape, size in zip(clean, sizes):
        views.append(flat[offset:offset + size].reshape(shape))
        offset += size
    return flat, views


def covering_buffer(arrays):
    """Return the 1-D buffer that `arrays` tile exactly, in order, or None if they do not.

    "Tile" means: every array is a C-contiguous view of the same 1-D, contiguous, owning base array; array k
    starts where array k-1 ends; the first starts at the base's start and the last ends at its end. Only then is
    one kernel call on the base the same as one call per array.
    """
    if not arrays:
        return None
    base = arrays[0].base if isinstance(arrays[0], np.ndarray) else None
    if not isinstance(base, np.ndarray) or base.ndim != 1 or not base.flags.c_contiguous or base.base is not None:
        return None
    address = base.__array_interface__["data"][0]
    itemsize = base.itemsize
    for a in arrays:
        if not isinstance(a, np.ndarray) or a.base is not base or a.dtype != base.dtype:
            return None
        if not a.flags.c_contiguous or a.__array_interface__["data"][0] != address:
            return None
        address += a.size * itemsize
    if address != base.__array_interface__["data"][0] + base.size * itemsize:
        return None
    return base
