"""The plumbing between an update rule and the arrays it updates: compiling, threads, one call per buffer.

An optimizer module writes its rule once, as a plain loop over 1-D arrays in the lecture's names, and decorates
it with `update_rule`:

    @update_rule
    def _adam_kernel(theta, g, m, v, v_max, t, lr, beta1, beta2, eps, ...):
        ...
        for i in prange(theta.size):
            ...

`update_rule` compiles the same source twice with Numba: once for one core, once with ``parallel=True`` (where
`prange` splits the loop over threads). Calling the result picks one: arrays of at least `PARALLEL_MIN_SIZE`
entries go to the threaded copy, smaller ones to the single-core copy (starting threads costs more than it saves
on a small array). The arithmetic is the same in both, element by element, so the results are bitwise equal.

How many threads: `threads()`. It is the smallest of the cores this process may use, ``NUMBA_NUM_THREADS`` (Numba's
own cap) and the course setting ``COURSE_NUM_THREADS`` (set it to 1 in graders and anywhere several processes
share the cores); under pytest-xdist without that setting, the cores are shared evenly among the workers.
`set_threads(n)` changes it for this process. And while the machine is already busy (a load average above its
cores, read at most once a second), steps stay on one core: a threaded loop ends when its slowest thread does,
and a thread that waits for a core makes the whole step wait (measured in docs/performance.md).

`Optimizer.step` (in `base.py`) calls `apply_rule`: one rule call for the whole model when params and grads tile
one buffer each (see `flat.py`), else one per parameter array.
"""
import contextlib
import functools
import inspect
import os
import threading
import time
import types

import numba
from numba import njit, prange
from numba.np.ufunc import parallel as _numba_parallel

from course_lib._validate import _all_finite_kernel

__all__ = ["update_rule", "apply_rule", "all_finite", "threads", "set_threads", "threaded_copies",
           "PARALLEL_MIN_SIZE", "CHECK_PARALLEL_MIN_SIZE"]

# The size from which the threaded copy of a rule is used (calibrated with float32 Adam: docs/performance.md).
PARALLEL_MIN_SIZE = 50_000
# The same for the finiteness check of the gradient, which does far less per entry than a rule, so that starting
# the threads pays later (float32, minimum of 31 samples, 2026-12-06: 1e5 entries 4.4 us on one core, 5.7 us
# threaded; 3e5 entries 15.9 and 12.0 us; docs/performance.md).
CHECK_PARALLEL_MIN_SIZE = 200_000


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _positive_int(text):
    try:
        value = int(text)
    except (TypeError, ValueError):
        return None
    return value if value >= 1 else None


def _default_threads():
    """min(cores, NUMBA_NUM_THREADS, COURSE_NUM_THREADS); under pytest-xdist the cores are split among workers."""
    n = min(_cores(), numba.config.NUMBA_NUM_THREADS)
    course = _positive_int(os.environ.get("COURSE_NUM_THREADS"))
    if course is not None:
        return max(1, min(n, course))
    workers = _positive_int(os.environ.get("PYTEST_XDIST_WORKER_COUNT"))
    if workers is not None:
        n = n // workers
    return max(1, n)


_threads = _default_threads()


def threads():
    """The number of threads a large optimizer step uses in this process (1: never threaded)."""
    return _threads


def set_threads(n):
    """Use at most `n` threads for large arrays from now on (capped by NUMBA_NUM_THREADS); returns the number set."""
    global _threads
    value = _positive_int(n) if not isinstance(n, bool) else None
    if value is None:
        raise ValueError(f"the number of threads must be a positive integer, got {n!r}")
    _threads = min(value, numba.config.NUMBA_NUM_THREADS)
    return _threads


_load = {"checked": -1.0, "busy": False}
_forced = {"on": False}


@contextlib.contextmanager
def threaded_copies():
    """Inside this block every rule and check called from the main thread runs its threaded copy, whatever the
    array's size, the thread count or the load (Numba compiles that copy on its first call, about 2 s a rule and
    dtype): for compiling the copies ahead of time, e.g. in `course warmup`, so that a notebook's first large step
    does not. Numba runs it on at most `numba.config.NUMBA_NUM_THREADS` threads."""
    before = _forced["on"]
    _forced["on"] = True
    try:
        yield
    finally:
        _forced["on"] = before


def _machine_is_busy():
    """Whether the 1-minute load average exceeds the cores (+ 0.5), checked at most once a second."""
    now = time.monotonic()
    if now - _load["checked"] > 1.0:
        try:
            _load["busy"] = os.getloadavg()[0] > _cores() + 0.5
        except OSError:
            _load["busy"] = False
        _load["checked"] = now
    return _load["busy"]


def _ask_numba_for(n):
    """numba.set_num_threads(n) unless Numba already uses n threads in this thread. (That call checks and launches
    its threads every time: 1-3 us, a tenth of a threaded step at 1e5 entries; reading the count through the
    function Numba installs when it launches them costs 0.1 us.)"""
    current = getattr(_numba_parallel, "_get_num_threads", None)
    if not callable(current) or current() != n:
        numba.set_num_threads(n)


def _use_threads(size, min_size=None):
    """Whether an array of `size` entries goes to the threaded copy (and, if so, Numba's thread count set for it):
    from `min_size` entries on (default `PARALLEL_MIN_SIZE`).

    Only from the main thread: a rule called from another thread (a widget's callback) stays on one core, so that
    no two threaded loops ever run at once."""
    if _forced["on"]:
        return threading.current_thread() is threading.main_thread()
    if (_threads > 1 and size >= (PARALLEL_MIN_SIZE if min_size is None else min_size)
            and threading.current_thread() is threading.main_thread() and not _machine_is_busy()):
        _ask_numba_for(_threads)
        return True
    return False


@njit(cache=True, error_model="numpy", parallel=True)
def _count_not_finite_parallel(x):
    """How many entries of the 1-D array x are NaN or inf (x - x is 0 for finite x), on several threads."""
    bad = 0
    for i in prange(x.size):
        bad += (x[i] - x[i]) != 0
    return bad


def all_finite(x):
    """True if every entry of the 1-D float array x is finite: threaded for large x, as the rules are."""
    if _use_threads(x.size, CHECK_PARALLEL_MIN_SIZE):
        return _count_not_finite_parallel(x) == 0
    return _all_finite_kernel(x)


def _renamed(func, suffix):
    """A copy of `func` under another name, so that Numba's cache keeps its two compilations apart."""
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__ + suffix, func.__defaults__,
                              func.__closure__)
    copy.__qualname__ = func.__qualname__ + suffix
    copy.__module__ = func.__module__
    return copy


class UpdateRule:
    """A rule compiled for one core (`serial`) and for several (`parallel`); calling it picks one by size."""

    def __init__(self, func):
        functools.update_wrapper(self, func)
        self.py_func = func
        self.serial = njit(cache=True, error_model="numpy")(func)
        self.parallel = njit(cache=True, error_model="numpy", parallel=True)(_renamed(func, "_parallel"))
        self.parameters = tuple(inspect.signature(func).parameters)

    def __call__(self, theta, *args):
        if _use_threads(theta.size):
            return self.parallel(theta, *args)
        return self.serial(theta, *args)

    def scalar_names(self, n_states):
        """The names the rule takes after theta, g and its `n_states` state arrays (t, lr, the hyperparameters)."""
        return self.parameters[2 + n_states:]


def update_rule(func):
    """Decorator: compile `func(theta, g, *states, *scalars)` for one and for several threads (see module doc)."""
    return UpdateRule(func)


def apply_rule(kernel, units, grads, names, values):
    """Call `kernel(theta, g, *states, *scalars)` on every (theta, states) of `units` with its gradient.

    `names` are the scalars the rule takes, in its order; `values` a dict holding at least those names.
    """
    scalars = tuple(values[n] for n in names)
    for (theta, states), g in zip(units, grads):
        kernel(theta, g, *states, *scalars)
