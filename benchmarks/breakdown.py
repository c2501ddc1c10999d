"""Where the time of a small step goes: the measurements behind the explanations in docs/performance.md.

    python -m benchmarks.breakdown

Every figure is the MINIMUM per call over 31 samples of many calls: a part that takes microseconds is best
timed by its fastest run, and on a busy machine medians of such parts mostly measure other processes. Questions:

1. Adam on 10 float32 parameters, and on the spiral net's flat buffer: how much of ``opt.step`` is checking the
   gradient, gathering the rule's named arguments, and the kernel? (This calls Optimizer's private pieces, as
   ``step`` does.)
2. Adam's update at 1e4 and 1e5 float32 parameters: what does its second division cost? PyTorch divides sqrt(v)
   by sqrt(1 - beta2^t); course_lib multiplies by the reciprocal, computed once per step, which gives the same
   update to within rounding. The first loop is a copy of Adam's in PyTorch's form (without amsgrad and weight
   decay), the second is course_lib's own `_adam_kernel` on one core (which also passes through its weight-decay
   terms and computes its per-step constants).
3. An activation loop on a (600, 64) batch: the shared ``_activation_value(code, x, param)``, which
   tests `code` for every element, against the same loop specialized per activation with ``literal_unroll``
   (the branch is decided when the loop is compiled, so the loop vectorizes). This measurement is why
   course_lib.model compiles its ReLU and leaky-ReLU loops on their own; the other activations share one loop.
4. One training step of the 2-64-64-3 spiral net on 64 points (float64, one BLAS thread): checking the inputs,
   the forward+backward kernel, the optimizer step, all of it, and the NumPy step of `benchmarks.mlp_step`.
5. Adam on 1e7 float32 parameters (arrays far larger than the caches): the whole ``opt.step``, its check that
   the gradient is finite (one more read of g before anything is written), the kernel alone on one core and on
   all of `course_lib.optim.engine.threads()`, the bandwidth-limit kernels of `benchmarks.bandwidth` with
   Adam's traffic (one core and threaded), and ``torch.optim.Adam(fused=True)`` at 1 and that many threads when
   PyTorch is installed: minimums side by side, the threaded path timed even when the machine is busy.
"""
import argparse
import time

import numba
import numpy as np
from numba import literal_unroll, njit

from benchmarks import blas
from benchmarks.bandwidth import PARALLEL_PATTERNS, PATTERNS
from course_lib.activations import ACTIVATION_CODES, activation_code
from course_lib.model import _activation_value
from course_lib._validate import _all_finite_kernel
from course_lib.optim import Adam, engine
from course_lib.optim.adam import _adam_kernel
from course_lib.optim.flat import covering_buffer

__all__ = ["run"]

CODES = tuple(sorted(set(ACTIVATION_CODES.values())))


@njit(cache=True, error_model="numpy")
def _adam_divide_kernel(param, grad, exp_avg, exp_avg_sq, beta1, one_minus_beta1, beta2, one_minus_beta2,
                        step_size, bias_correction2_sqrt, eps):
    """Adam's loop in PyTorch's form: denom = sqrt(v) / sqrt(1 - beta2^t) + eps (a division per element)."""
    for i in range(param.size):
        g = grad[i]
        m = beta1 * exp_avg[i] + one_minus_beta1 * g
        v = beta2 * exp_avg_sq[i] + one_minus_beta2 * (g * g)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        param[i] -= step_size * (m / (np.sqrt(v) / bias_correction2_sqrt + eps))


@njit(cache=True, error_model="numpy")
def _dispatch_loop_kernel(z, out, code, param):
    """out = f(z) elementwise with the activation chosen per element (course_lib.model's loop for activations
    other than ReLU and leaky ReLU)."""
    n, d = z.shape
    for i in range(n):
        for j in range(d):
            out[i, j] = _activation_value(code, z[i, j], param)


@njit(cache=True, error_model="numpy")
def _specialized_loop_kernel(z, out, code, param):
    """The same, with one loop per activation code: inside it `c` is a compile-time constant."""
    n, d = z.shape
    for c in literal_unroll(CODES):
        if code == c:
            for i in range(n):
                for j in range(d):
                    out[i, j] = _activation_value(c, z[i, j], param)


def fastest(fn, calls, samples=31):
    """The minimum time per call of `fn` over `samples` samples of `calls` calls each (after 3 warm-up calls)."""
    for _ in range(3):
        fn()
    best = np.inf
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return float(best)


def _optimizer_step_parts(calls):
    """Adam on one array of 10 float32, and on the spiral net's 6 arrays that tile one float64 buffer."""
    from benchmarks.mlp_step import SPIRAL_NET, _course_lib

    f32 = np.float32
    param, grad = np.ones(10, f32), np.full(10, 0.5, f32)
    opt = Adam([param])
    opt.step([grad])
    unit_param, states = opt._units[0]

    def scalars():
        values = opt.rule_arguments()
        return tuple(values[n] for n in opt._rule_names)

    ready = scalars()
    model, model_opt = _course_lib(SPIRAL_NET, np.float64)
    grads = model.grads
    return {
        "one array, 10 float32": {
            "opt.step (all of it)": fastest(lambda: opt.step([grad]), calls),
            "checking the gradient (_check_grads)": fastest(lambda: opt._check_grads([grad]), calls),
            "the rule's named arguments (rule_arguments)": fastest(scalars, calls),
            "the kernel call alone": fastest(lambda: opt._kernel(unit_param, grad, *states, *ready), calls),
        },
        "spiral net, 6 arrays in one buffer (4,483 float64)": {
            "opt.step (all of it)": fastest(lambda: model_opt.step(grads), calls),
            "checking the gradients (_check_grads)": fastest(lambda: model_opt._check_grads(grads), calls),
            "of which finding the buffer (covering_buffer)": fastest(lambda: covering_buffer(grads), calls),
        },
    }


def _adam_division(sizes, calls):
    f32 = np.float32
    beta1, beta2, eps, t = f32(0.9), f32(0.999), f32(1e-8), 10
    moments = (beta1, f32(1 - 0.9), beta2, f32(1 - 0.999))  # 1 - beta in float64, then rounded, as course_lib
    bc2_sqrt = f32(np.sqrt(1.0 - 0.999**t))
    step_size = f32(1e-3 / (1.0 - 0.9**t))
    out = {}
    for size in sizes:
        grad = np.random.default_rng(0).standard_normal(size).astype(f32)
        # one step from theta = 0, so that theta IS the update (not rounded to the ulp of a larger theta)
        divide = (np.zeros(size, f32), grad, np.zeros(size, f32), np.zeros(size, f32))
        ours = (np.zeros(size, f32), grad, np.zeros(size, f32), np.zeros(size, f32), np.empty(0, f32))

        def pytorch_form():
            _adam_divide_kernel(*divide, *moments, step_size, bc2_sqrt, eps)

        def course_lib_kernel():  # Adam without weight decay: l2 = 0, decay = 1, no amsgrad, eps outside the sqrt
            _adam_kernel.serial(*ours, float(t), 1e-3, 0.9, 0.999, 1e-8, 0.0, False, False, False)

        pytorch_form()
        course_lib_kernel()
        update_divide, update_ours = divide[0].copy(), ours[0].copy()
        n = max(1, calls * 1000 // size)
        out[size] = {
            "divide by sqrt(1 - beta2^t) (PyTorch)": fastest(pytorch_form, n),
            "multiply by its reciprocal (course_lib)": fastest(course_lib_kernel, n),
            "max difference of the updates (relative)": float(np.max(np.abs(update_ours - update_divide))
                                                              / np.max(np.abs(update_divide))),
        }
    return out


def _activation_loops(calls):
    z = np.random.default_rng(0).standard_normal((600, 64))
    out_a, out_b = np.empty_like(z), np.empty_like(z)
    result = {}
    for name in ("relu", "tanh", "gelu"):
        code, param = activation_code(name)
        _dispatch_loop_kernel(z, out_a, code, param)
        _specialized_loop_kernel(z, out_b, code, param)
        assert np.array_equal(out_a, out_b), name
        result[name] = {
            "per-element dispatch": fastest(lambda: _dispatch_loop_kernel(z, out_a, code, param),
                                                               calls),
            "specialized with literal_unroll": fastest(lambda: _specialized_loop_kernel(z, out_b, code, param), calls),
        }
    return result


def _spiral_step_parts(calls):
    from benchmarks.mlp_step import SPIRAL_NET, NumpyMLP, _course_lib, _data

    X, y = _data("spiral", 64, 2, 3, np.float64)
    model, opt = _course_lib(SPIRAL_NET, np.float64)
    labels, targets = model._targets(y, 64)
    numpy_net = NumpyMLP(model.params)
    return {
        "checking X and y": fastest(lambda: (model._inputs(X), model._targets(y, 64)), calls),
        "forward + backward kernel": fastest(lambda: model._run(X, labels, targets, True, True), calls),
        "opt.step (4,483 parameters)": fastest(lambda: opt.step(model.grads), calls),
        "course_lib step (all of it)": fastest(lambda: opt.step(model.loss_and_grads(X, y)[1]), calls),
        "NumPy step": fastest(lambda: numpy_net.step(X, y), calls),
    }


def _adam_large(size, calls):
    f32 = np.float32
    rng = np.random.default_rng(0)
    param, grad = rng.standard_normal(size).astype(f32), rng.standard_normal(size).astype(f32)
    opt = Adam([param], lr=1e-6)
    opt.step([grad])
    unit_param, states = opt._units[0]
    values = opt.rule_arguments()
    ready = tuple(values[n] for n in opt._rule_names)
    limit_kernel, limit_parallel = PATTERNS["4r3w"][0], PARALLEL_PATTERNS["4r3w"]
    spare = [np.zeros(size, f32) for _ in range(3)]
    numba.set_num_threads(engine.threads())
    parts = {
        "opt.step (all of it)": fastest(lambda: opt.step([grad]), calls),
        "checking that g is finite (one core)": fastest(lambda: _all_finite_kernel(grad), calls),
        "checking that g is finite (threaded)": fastest(lambda: engine.all_finite(grad), calls),
        "the kernel alone, one core": fastest(lambda: opt._kernel.serial(unit_param, grad, *states, *ready), calls),
        f"the kernel alone, {engine.threads()} threads": fastest(
            lambda: opt._kernel.parallel(unit_param, grad, *states, *ready), calls),
        "bandwidth limit (read 4, write 3), one core": fastest(
            lambda: limit_kernel(spare[0], grad, spare[1], spare[2]), calls),
        f"bandwidth limit, {engine.threads()} threads": fastest(
            lambda: limit_parallel(spare[0], grad, spare[1], spare[2]), calls),
    }
    fused, torch_threads = _torch_fused_adam(param.copy(), grad)
    if fused is not None:
        try:
            for t in sorted({1, engine.threads()}):
                parts[f"torch.optim.Adam(fused=True), {t} thread(s)"] = fastest(lambda t=t: fused(t), calls)
        finally:
            fused(torch_threads)
    return parts


def _torch_fused_adam(param, grad):
    """(step, PyTorch's thread count): step(t) takes one torch.optim.Adam(fused=True) step on t threads; (None,
    None) without torch."""
    from benchmarks.machine import optional_torch

    torch = optional_torch()
    if torch is None:
        return None, None
    tensor = torch.from_numpy(param)
    tensor.grad = torch.from_numpy(grad)
    try:
        opt = torch.optim.Adam([tensor], lr=1e-6, fused=True)
        opt.step()
    except Exception:
        return None, None

    def step(threads):
        torch.set_num_threads(threads)
        opt.step()

    return step, torch.get_num_threads()


def run(calls=200):
    """{question: {part: seconds}} (see the module docstring); `calls` sets how many calls a sample makes."""
    before = blas.get_threads()
    blas.set_threads(1)
    try:
        return {
            "optimizer step parts (Adam, 10 float32)": _optimizer_step_parts(calls),
            "Adam kernel, second division (float32)": _adam_division((10_000, 100_000), calls),
            "activation loop (600 x 64, float64)": _activation_loops(max(1, calls // 10)),
            "spiral-64 step parts (float64, 1 BLAS thread)": _spiral_step_parts(max(1, calls // 10)),
            # the full size only in a real run: the test (calls=2) uses arrays that still stream from memory
            "Adam step, float32, far larger than the caches": _adam_large(10_000_000 if calls >= 20 else 1_000_000,
                                                                          max(1, calls // 100)),
        }
    finally:
        if before:
            blas.set_threads(max(before))


def _print(tree, indent=0):
    for key, value in tree.items():
        if isinstance(value, dict):
            print(" " * indent + str(key))
            _print(value, indent + 2)
        elif "difference" in key:  # a ratio, not a time
            print(" " * indent + f"{key:<44} {value:.1e}")
        else:
            print(" " * indent + f"{key:<44} {value * 1e6:9.2f} us")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per sample (default 200)")
    args = parser.parse_args(argv)
    _print(run(args.calls))


if __name__ == "__main__":
    main()
