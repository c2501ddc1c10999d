"""Row 1: one optimizer step on N parameters, course_lib against NumPy, torch.optim and the bandwidth limit.

For Adam, SGD with momentum (0.9) and RMSProp, for N = 1e4 .. 1e7 in float32 and float64, the contenders are

- ``course_lib``: ``opt.step([g])``, everything a user pays for (checking the gradient, the per-step constants,
  one fused kernel pass). For Adam it runs with 1 thread and with `course_lib.optim.engine.threads()` (set with
  `engine.set_threads` before each sample; arrays from `engine.PARALLEL_MIN_SIZE` entries on use the threaded
  loop, unless the machine is busy), and its figure is the faster, as PyTorch's;
- ``numpy``: `benchmarks.numpy_optim`, in-place NumPy (no temporaries, but one sweep per operation);
- ``torch``, ``torch_foreach``, ``torch_fused``: ``torch.optim`` with its CPU default, ``foreach=True`` and
  ``fused=True`` (left out where this PyTorch does not support it on CPU), on tensors that share memory with
  NumPy arrays. Each runs with 1 thread (``torch@1``, like course_lib and the limit kernel, which use one core);
  for Adam, whose goals name PyTorch, also with PyTorch's default thread count (``torch@2`` on two cores), and
  the variant's figure is the faster of the two, so course_lib is compared with PyTorch at its best;
- ``limit``: `benchmarks.bandwidth`, a kernel with the optimizer's memory traffic and no real arithmetic, on one
  core and (for Adam) threaded on course_lib's thread count; its figure is the faster of the two.

Reported per contender: time per step (median, min, max), GB/s = bytes the update must move / time, and the ratio
to course_lib (their time / course_lib's time: above 1 means course_lib is faster). For course_lib, the share of the
limit = limit's time / course_lib's time. Before timing, every implementation takes three steps from the same start
with the same gradients and its parameters are compared with course_lib's (`max_rel_diff`), so the benchmark
is known to compare like with like.
"""
import numpy as np

from benchmarks import bandwidth
from benchmarks.machine import optional_torch
from benchmarks.numpy_optim import NUMPY_OPTIMIZERS
from benchmarks.timing import best_of_threads, compare, ratio, ratio_target
import numba

from course_lib import optim
from course_lib.optim import engine

__all__ = ["SIZES", "QUICK_SIZES", "OPTIMIZERS", "run"]

_COURSE_THREADS = engine.threads()  # course_lib's thread count in this process, read before any run changes it

SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
QUICK_SIZES = (2_000,)
DTYPES = (np.float32, np.float64)

# name: (course_lib class, hyperparameters, torch.optim class name, memory pattern). The NumPy class is
# NUMPY_OPTIMIZERS[name]; all three get the same hyperparameters.
OPTIMIZERS = {
    "adam": (optim.Adam, {"lr": 1e-3}, "Adam", "4r3w"),
    "sgd_momentum": (optim.SGD, {"lr": 1e-2, "momentum": 0.9}, "SGD", "3r2w"),
    "rmsprop": (optim.RMSprop, {"lr": 1e-3}, "RMSprop", "3r2w"),
}
TORCH_VARIANTS = {"torch": {}, "torch_foreach": {"foreach": True}, "torch_fused": {"fused": True}}


def _torch_optimizer(torch, name, hyper, variant, param):
    """torch.optim.<name> in `variant` over a tensor that shares `param`'s memory: (optimizer, tensor)."""
    tensor = torch.from_numpy(param)
    return getattr(torch.optim, name)([tensor], **hyper, **TORCH_VARIANTS[variant]), tensor


def _torch_stepper(torch, name, hyper, param, grad, variant):
    """A zero-argument step of torch.optim.<name>, or None and the reason this PyTorch cannot run it on CPU."""
    try:
        opt, tensor = _torch_optimizer(torch, name, hyper, variant, param)
        tensor.grad = torch.from_numpy(grad)
        opt.step()  # some unsupported combinations only fail here
    except Exception as exc:  # e.g. RMSprop has no fused=True
        return None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return opt.step, None


def thread_counts(torch):
    """PyTorch's thread counts to try: 1 and its default (the number of cores), or just 1 on one core."""
    return sorted({1, torch.get_num_threads()})


def _contenders(name, size, dtype, grad, rng, torch, threads):
    """({contender: zero-argument step}, {contender: set-up before each sample}, {variant: why it is missing})."""
    cls, hyper, torch_name, pattern = OPTIMIZERS[name]
    start = rng.standard_normal(size).astype(dtype)
    ours = cls([start.copy()], **hyper)
    reference = NUMPY_OPTIMIZERS[name](start.copy(), **hyper)
    steps = {"numpy": lambda: reference.step(grad)}
    setup, missing = {}, {}
    course_threads = sorted({1, _COURSE_THREADS}) if len(threads) > 1 else [1]
    for t in course_threads:
        steps[f"course_lib@{t}"] = lambda: ours.step([grad])
        setup[f"course_lib@{t}"] = lambda t=t: engine.set_threads(t)
    if torch is not None:
        for variant in TORCH_VARIANTS:
            for t in threads:
                step, why = _torch_stepper(torch, torch_name, hyper, start.copy(), grad, variant)
                if step is None:
                    missing[variant] = why
                    break
                steps[f"{variant}@{t}"] = step
                setup[f"{variant}@{t}"] = lambda t=t: torch.set_num_threads(t)
    kernel, n_states, _, _ = bandwidth.PATTERNS[pattern]
    arrays = (start.copy(), grad) + tuple(np.zeros(size, dtype) for _ in range(n_states))
    steps["limit@1"] = lambda: kernel(*arrays)
    if course_threads[-1] > 1:
        threaded = bandwidth.PARALLEL_PATTERNS[pattern]
        steps[f"limit@{course_threads[-1]}"] = lambda: threaded(*arrays)
        setup[f"limit@{course_threads[-1]}"] = lambda t=course_threads[-1]: numba.set_num_threads(t)
    return steps, setup, missing


def _agreement(name, size, dtype, rng, torch, steps=3):
    """max |theta - theta_course_lib| / max |theta_course_lib| after `steps` identical steps, per implementation."""
    cls, hyper, torch_name, _ = OPTIMIZERS[name]
    start = rng.standard_normal(size).astype(dtype)
    grads = [rng.standard_normal(size).astype(dtype) for _ in range(steps)]
    ours_param = start.copy()
    ours = cls([ours_param], **hyper)
    numpy_param = start.copy()
    numpy_opt = NUMPY_OPTIMIZERS[name](numpy_param, **hyper)
    for g in grads:
        ours.step([g])
        numpy_opt.step(g)
    scale = float(np.max(np.abs(ours_param)))
    diffs = {"numpy": float(np.max(np.abs(numpy_param - ours_param))) / scale}
    if torch is not None:
        for variant in TORCH_VARIANTS:
            param = start.copy()
            try:
                opt, tensor = _torch_optimizer(torch, torch_name, hyper, variant, param)
                for g in grads:
                    tensor.grad = torch.from_numpy(g)
                    opt.step()
            except Exception:
                continue  # reported as missing by _contenders
            diffs[variant] = float(np.max(np.abs(param - ours_param))) / scale
    return diffs


def run(sizes=SIZES, dtypes=DTYPES, optimizers=tuple(OPTIMIZERS), repeats=25, warmup=3, min_sample_s=2e-3,
        threads=None, seed=0):
    """Time every (optimizer, dtype, size) case; returns {"results": [...], "targets": [...]} (see module doc).

    `threads`: PyTorch's thread counts to try for Adam (default: 1 and its default count); the other
    optimizers use the first of them.
    """
    torch = optional_torch()
    if torch is None:
        threads = []
    elif threads is None:
        threads = thread_counts(torch)
    default_threads = None if torch is None else torch.get_num_threads()
    course_default = engine.threads()
    rng = np.random.default_rng(seed)
    try:
        # Adam at both thread counts (PyTorch's, or without it course_lib's); the others at the first
        adam_threads = threads if torch is not None else sorted({1, course_default})
        results = [_case(name, np.dtype(dtype), int(size), repeats, warmup, min_sample_s,
                         adam_threads if name == "adam" else adam_threads[:1], rng, torch)
                   for name in optimizers for dtype in dtypes for size in sizes]
    finally:
        engine.set_threads(course_default)
        numba.set_num_threads(course_default)
        if torch is not None:
            torch.set_num_threads(default_threads)
    return {"results": results, "targets": targets(results)}


def _case(name, dtype, size, repeats, warmup, min_sample_s, threads, rng, torch):
    """One (optimizer, dtype, size): the agreement check, then the interleaved timings."""
    pattern = OPTIMIZERS[name][3]
    diffs = _agreement(name, min(size, 10_000), dtype, rng, torch)
    grad = rng.standard_normal(size).astype(dtype)
    steps, setup, missing = _contenders(name, size, dtype, grad, rng, torch, threads)
    stats = best_of_threads(compare(steps, repeats, warmup=warmup, min_sample_s=min_sample_s, setup=setup))
    moved = bandwidth.traffic_bytes(pattern, size, dtype.itemsize)
    return {
        "optimizer": name,
        "dtype": dtype.name,
        "size": size,
        "pattern": pattern,
        "bytes_per_step": moved,
        "timings": stats,
        "ratios": {k: ratio(stats, k, "course_lib") for k in stats if k != "course_lib"},
        "gb_s": {k: moved / s["median_s"] / 1e9 for k, s in stats.items()},
        "fraction_of_limit": ratio(stats, "limit", "course_lib"),
        "max_rel_diff": diffs,
        "missing": missing,
    }


def _find(results, optimizer, dtype, size):
    for r in results:
        if (r["optimizer"], r["dtype"], r["size"]) == (optimizer, dtype, size):
            return r
    return None


def targets(results):
    """Issues 9 and 19's goals for the float32 Adam step, each met / missed / None (not measured in this run)."""
    def goal(size, name, text, slower, threshold):
        case = _find(results, "adam", "float32", size)
        return ratio_target("optimizer", name, text, case and case["timings"], slower, "course_lib", threshold)

    out = [goal(10_000_000, "adam f32 1e7 vs bandwidth limit", ">= 0.85 (limit time / course_lib time, both at "
                "their best threads)", "limit", 0.85),
           goal(10_000_000, "adam f32 1e7 vs torch fused", ">= 1.0x torch_fused (best threads)", "torch_fused", 1.0),
           goal(10_000_000, "adam f32 1e7 vs numpy", ">= 4x numpy", "numpy", 4.0)]
    for size in (10_000, 100_000):
        out.append(goal(size, f"adam f32 {size:.0e} vs torch.optim.Adam", ">= 5x torch default (best threads)",
                        "torch", 5.0))
        out.append(goal(size, f"adam f32 {size:.0e} vs numpy", ">= 3x numpy", "numpy", 3.0))
    return out
