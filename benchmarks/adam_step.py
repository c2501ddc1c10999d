"""How long one Adam step takes: course_lib's fused kernel against NumPy with in-place operations.

    python -m benchmarks.adam_step                   # 1e4 .. 1e7 float32 parameters, 25 repetitions
    python -m benchmarks.adam_step --repeats 50 --sizes 100000 1000000

NumPy's version is as fast as NumPy allows: every operation writes into preallocated arrays (no temporaries
allocated per step), but each of its ~10 operations still sweeps the whole array, while the kernel makes one
pass. Both do the same arithmetic as ``torch.optim.Adam`` (eps outside the square root). The course_lib timing
includes everything a user pays for: checking the gradient (shape, dtype, finiteness) and the per-step scalars.

Timings are the median of `repeats` runs after a warm-up, with the two implementations interleaved so that
both see the same machine state.
"""
import argparse
import time

import numpy as np

from course_lib.optim import Adam

SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
REPEATS = 25


class NumpyAdam:
    """Adam on one float32 array with NumPy's in-place operations and one scratch buffer."""

    def __init__(self, param, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.param, self.lr, self.betas, self.eps = param, lr, betas, eps
        self.m = np.zeros_like(param)
        self.v = np.zeros_like(param)
        self.scratch = np.empty_like(param)
        self.t = 0

    def step(self, grad):
        beta1, beta2 = self.betas
        self.t += 1
        step_size = self.lr / (1 - beta1**self.t)
        bias_correction2_sqrt = (1 - beta2**self.t) ** 0.5
        m, v, s = self.m, self.v, self.scratch
        m *= beta1                                  # m = beta1 m + (1 - beta1) g
        np.multiply(grad, 1 - beta1, out=s)
        m += s
        v *= beta2                                  # v = beta2 v + (1 - beta2) g^2
        np.multiply(grad, grad, out=s)
        s *= 1 - beta2
        v += s
        np.sqrt(v, out=s)                           # denominator sqrt(v) / sqrt(1 - beta2^t) + eps
        s /= bias_correction2_sqrt
        s += self.eps
        np.divide(m, s, out=s)                      # theta -= lr / (1 - beta1^t) * m / denominator
        s *= step_size
        self.param -= s


def _time_once(fn, arg):
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start


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
        for _ in range(warmup):
            ours.step([grad])
            reference.step(grad)
        ours_times, numpy_times = [], []
        for _ in range(repeats):
            ours_times.append(_time_once(ours.step, [grad]))
            numpy_times.append(_time_once(reference.step, grad))
        ours_s, numpy_s = float(np.median(ours_times)), float(np.median(numpy_times))
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
