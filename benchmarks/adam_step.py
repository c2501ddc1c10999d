"""How long one Adam step takes: course_lib's fused kernel against NumPy with in-place operations.

    python -m benchmarks.adam_step                   # 1e4 .. 1e7 float32 parameters, 25 repetitions
    python -m benchmarks.adam_step --repeats 50 --sizes 100000 1000000

NumPy's version is as fast as NumPy allows: every operation writes into preallocated arrays (no temporaries
allocated per step), but each of its ~10 operations still sweeps the whole array, while the kernel makes one
pass. Both do the same arithmetic as ``torch.optim.Adam`` (eps outside the square root). The course_lib timing
includes everything a user pays for: checking the gradient (shape, dtype, finiteness) and the per-step scalars.

Timings are the median of `repeats` runs after a warm-up, with the two implementations interleaved so that
both see the same machine state (`benchmarks.timing.compare`). ``python -m benchmarks`` runs this comparison
and more (other optimizers, float64, PyTorch, the bandwidth limit); this script is the quick look at Adam.
"""
import argparse

import numpy as np

from benchmarks.numpy_optim import NumpyAdam
from benchmarks.timing import compare
from course_lib.optim import Adam

SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
REPEATS = 25


def run(sizes=SIZES, repeats=REPEATS, warmup=3, seed=0):
    """Time one Adam step for each size; return one dict per size.

    Each row: size, repeats, course_lib_ms and numpy_ms (medians), ratio (numpy / course_lib: how many times
    faster the kernel is), course_lib_gb_s (the kernel's effective memory traffic: 7 float32 arrays
    read or written per step), and max_rel_diff (the two implementations' parameters after all the steps).
    """
    rows = []
    rng = np.random.default_rng(seed)
    for size in sizes:
        size = int(size)
        start = rng.standard_normal(size).astype(np.float32)
        grad = rng.standard_normal(size).astype(np.float32)
        ours_param, numpy_param = start.copy(), start.copy()
        ours = Adam([ours_param], lr=1e-3)
        reference = NumpyAdam(numpy_param, lr=1e-3)
        stats = compare({"course_lib": lambda: ours.step([grad]), "numpy": lambda: reference.step(grad)},
                        repeats, warmup=warmup, min_sample_s=0.0)
        ours_s, numpy_s = stats["course_lib"]["median_s"], stats["numpy"]["median_s"]
        diff = float(np.max(np.abs(ours_param - numpy_param)) / np.max(np.abs(numpy_param)))
        rows.append({
            "size": size,
            "repeats": repeats,
            "course_lib_ms": ours_s * 1e3,
            "numpy_ms": numpy_s * 1e3,
            "ratio": numpy_s / ours_s,
            "course_lib_gb_s": 7 * 4 * size / ours_s / 1e9,
            "max_rel_diff": diff,
        })
    return rows


def format_table(rows):
    lines = [f"{'params':>12} {'course_lib ms':>14} {'numpy ms':>10} {'numpy/course_lib':>17} {'GB/s':>7}"
             f" {'rel diff':>9}"]
    for r in rows:
        lines.append(f"{r['size']:>12,} {r['course_lib_ms']:>14.4f} {r['numpy_ms']:>10.4f} {r['ratio']:>16.2f}x"
                     f" {r['course_lib_gb_s']:>7.1f} {r['max_rel_diff']:>9.1e}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time one float32 Adam step: course_lib kernel vs in-place NumPy.")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    if args.repeats < 1 or any(s < 1 for s in args.sizes):
        parser.error("--sizes and --repeats must be positive")
    print(f"One Adam step on float32 parameters (median of {args.repeats} after warm-up, interleaved)")
    print(format_table(run(args.sizes, args.repeats)))


if __name__ == "__main__":
    main()
