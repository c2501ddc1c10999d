"""What a student waits for in a fresh kernel: ``import course_lib``, then the first call of every public kernel.

Run in a fresh process by `benchmarks.startup` (``python -m benchmarks.first_calls``); prints one JSON object:

    {"import_s": ..., "modules": {"activations": seconds, ...}, "first_calls_s": ..., "failed": [...],
     "kernels": {"total": ..., "called": ..., "not_called": [...]}}

The tour is `course_lib.warmup.TOUR` (what ``course warmup`` runs). Each entry of `modules` is the time to import
that module and call each of its public functions once on tiny float64 inputs (the course's default dtype; float32
kernels compile or load separately, on first use). With a warm Numba cache that is loading machine code from disk;
with a cold one, compiling it.

`kernels` checks the tour itself: among course_lib's cached Numba functions named ``_*_kernel``, how many now have
a compiled signature. A kernel that only runs inside another one (compiled into it, or loaded with it from the
cache) shows as not called here though its code is loaded.
"""
import json
import sys
import time

_start = time.perf_counter()
import course_lib  # noqa: E402, F401  (timed: this is the import a student pays for)

IMPORT_S = time.perf_counter() - _start

from course_lib.warmup import TOUR  # noqa: E402  (the tour lives in the package: `course warmup`)


def _kernel_coverage():
    """(total, called, names not called) over course_lib's cached `_*_kernel` Numba functions."""
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    found = {}
    for mod_name, mod in list(sys.modules.items()):
        if not mod_name.startswith("course_lib") or mod is None:
            continue
        for attr, obj in vars(mod).items():
            obj = getattr(obj, "serial", obj)  # an optimizer's update rule: its one-core copy (optim.engine)
            if isinstance(obj, Dispatcher) and attr.endswith("_kernel") and not isinstance(obj._cache, NullCache):
                found[f"{obj.py_func.__module__}.{attr}"] = bool(obj.signatures)
    not_called = sorted(name for name, called in found.items() if not called)
    return len(found), len(found) - len(not_called), not_called


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="Time import course_lib and the first call of every kernel.")
    parser.add_argument("--only", help="comma-separated parts of the tour (default: all): " + ", ".join(TOUR))
    args = parser.parse_args(argv)
    parts = list(TOUR) if args.only is None else args.only.split(",")
    unknown = sorted(set(parts) - set(TOUR))
    if unknown:
        parser.error(f"unknown tour parts {unknown}; choose from {list(TOUR)}")
    modules, failed = {}, []
    tour_start = time.perf_counter()
    for name in parts:
        tour = TOUR[name]
        start = time.perf_counter()
        try:
            tour()
        except Exception as exc:  # an API that moved: report it, keep timing the rest
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
        modules[name] = time.perf_counter() - start
    first_calls_s = time.perf_counter() - tour_start
    total, called, not_called = _kernel_coverage()
    json.dump({"import_s": IMPORT_S, "modules": modules, "first_calls_s": first_calls_s, "failed": failed,
               "kernels": {"total": total, "called": called, "not_called": not_called}}, sys.stdout)


if __name__ == "__main__":
    main()
