"""The speed limit of an optimizer step: how fast can one core stream an optimizer's arrays through memory?

An optimizer step on N parameters does a few flops per parameter but must read and write several arrays of N
numbers. Adam reads theta, g, m, v and writes theta, m, v: 7 arrays, 7 * N * itemsize bytes. For large N the
arrays do not fit in any cache, so the step cannot be faster than moving those bytes, whatever the arithmetic.

The kernels below have exactly an optimizer's memory pattern and next to no arithmetic (one addition per value
written). Their time is the best any implementation with that pattern can do on one core of this machine, and
bytes / time is the achievable memory bandwidth. An optimizer step "at 90% of the limit" takes 1 / 0.9 times
the time of the matching kernel here.

- `_stream_4r3w_kernel`: Adam's pattern (read 4 arrays, write 3).
- `_stream_3r2w_kernel`: SGD with momentum and RMSProp's pattern (read theta, g and one state; write theta, state).

`PARALLEL_PATTERNS` holds the same kernels compiled with ``parallel=True`` (the loop split over Numba's threads):
the limit for a step that uses several cores, as course_lib's does above `course_lib.optim.engine.PARALLEL_MIN_SIZE`.
"""
from numba import njit, prange

__all__ = ["PATTERNS", "PARALLEL_PATTERNS", "traffic_bytes"]


@njit(cache=True, error_model="numpy")
def _stream_4r3w_kernel(param, grad, state1, state2):
    """Read param, grad, state1, state2; write param, state1, state2 (one add each): Adam's traffic."""
    for i in range(param.size):
        p, g, a, b = param[i], grad[i], state1[i], state2[i]
        state1[i] = a + g
        state2[i] = b + g
        param[i] = p + a


@njit(cache=True, error_model="numpy")
def _stream_3r2w_kernel(param, grad, state):
    """Read param, grad, state; write param, state (one add each): SGD-momentum's and RMSProp's traffic."""
    for i in range(param.size):
        p, g, s = param[i], grad[i], state[i]
        state[i] = s + g
        param[i] = p + s


@njit(cache=True, error_model="numpy", parallel=True)
def _stream_4r3w_parallel(param, grad, state1, state2):
    """`_stream_4r3w_kernel` on several threads."""
    for i in prange(param.size):
        p, g, a, b = param[i], grad[i], state1[i], state2[i]
        state1[i] = a + g
        state2[i] = b + g
        param[i] = p + a


@njit(cache=True, error_model="numpy", parallel=True)
def _stream_3r2w_parallel(param, grad, state):
    """`_stream_3r2w_kernel` on several threads."""
    for i in prange(param.size):
        p, g, s = param[i], grad[i], state[i]
        state[i] = s + g
        param[i] = p + s


PARALLEL_PATTERNS = {"4r3w": _stream_4r3w_parallel, "3r2w": _stream_3r2w_parallel}

# name: (kernel, number of state arrays, arrays read, arrays written)
PATTERNS = {
    "4r3w": (_stream_4r3w_kernel, 2, 4, 3),
    "3r2w": (_stream_3r2w_kernel, 1, 3, 2),
}


def traffic_bytes(pattern, size, itemsize):
    """Bytes an update with this pattern must move: (arrays read + arrays written) * size * itemsize.

    (A write to memory that is not in cache may also cost a read of the line first; that is the same for
    every implementation, so it is left out of the count, as is usual for "effective bandwidth".)
    """
    _, _, reads, writes = PATTERNS[pattern]
    return (reads + writes) * size * itemsize
