"""What a timing means depends on where it was taken: the CPU, its cores and memory, the library versions, and
how busy the machine was. `describe()` collects all of it for results.json and docs/performance.md."""
import os
import platform
import sys

__all__ = ["describe", "load_average", "optional_torch"]


def optional_torch():
    """The `torch` module, or None when PyTorch is not installed (its columns are then left out)."""
    try:
        import torch
    except Exception:
        return None
    return torch


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def load_average():
    """The 1, 5 and 15 minute load averages (runnable processes), or None where the OS does not say."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def describe():
    """A JSON-ready dict: CPU model, cores, memory, Python and library versions, thread settings, load."""
    import numba
    import numpy as np

    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numba": numba.__version__,
        "torch": None,
        "torch_threads": None,
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "thread_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                                   "NUMBA_NUM_THREADS") if k in os.environ},
        "load_average": load_average(),
    }
    torch = optional_torch()
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info
