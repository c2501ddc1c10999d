"""How many threads the BLAS libraries use for matrix products, read and set at run time.

NumPy's ``@`` and the ``np.dot`` inside course_lib's Numba kernels (which calls SciPy's BLAS) both run on
OpenBLAS, which by default starts one thread per core. A fair comparison with PyTorch at 1 and at 2 threads
sets the same count for them: `set_threads(n)` sets it in every OpenBLAS library loaded in this process (NumPy's
and SciPy's are separate copies). On a busy machine this matters a lot: a two-thread product waits whenever the
other thread's core is taken by another process, and one thread can then be several times faster.

Works on Linux (it finds the libraries in /proc/self/maps); elsewhere `available()` is False and the thread
count stays whatever OpenBLAS chose.
"""
import ctypes
import os

__all__ = ["available", "get_threads", "set_threads"]

_SYMBOLS = [(f"{prefix}_set_num_threads{suffix}", f"{prefix}_get_num_threads{suffix}")
            for prefix in ("scipy_openblas", "openblas") for suffix in ("64_", "")]
_libraries = None


def _openblas_libraries():
    """[(set_num_threads, get_num_threads)] of every OpenBLAS in the process (NumPy's and SciPy's loaded first)."""
    global _libraries
    if _libraries is None:
        import numpy  # noqa: F401
        import scipy.linalg.cython_blas  # noqa: F401  (the BLAS that Numba's np.dot calls)

        paths = set()
        try:
            with open("/proc/self/maps") as maps:
                for line in maps:
                    path = line.split()[-1]
                    name = os.path.basename(path).lower()
                    if "openblas" in name and ".so" in name:
                        paths.add(path)
        except OSError:
            paths = set()
        _libraries = []
        for path in sorted(paths):
            lib = ctypes.CDLL(path)
            for set_name, get_name in _SYMBOLS:
                if hasattr(lib, set_name) and hasattr(lib, get_name):
                    setter, getter = getattr(lib, set_name), getattr(lib, get_name)
                    setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                    _libraries.append((setter, getter))
                    break
    return _libraries


def available():
    """True if this process's BLAS thread count can be set."""
    return bool(_openblas_libraries())


def get_threads():
    """The thread counts of the loaded OpenBLAS libraries (a list; empty when unknown)."""
    return [getter() for _, getter in _openblas_libraries()]


def set_threads(n):
    """Use `n` threads in every loaded OpenBLAS."""
    for setter, _ in _openblas_libraries():
        setter(int(n))
