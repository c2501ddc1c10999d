"""What a student waits for in a fresh kernel: ``import course_lib``, then the first call of every public kernel.

Run in a fresh process by `benchmarks.startup` (``python -m benchmarks.first_calls``); prints one JSON object:

    {"import_s": ..., "modules": {"activations": seconds, ...}, "first_calls_s": ..., "failed": [...],
     "kernels": {"total": ..., "called": ..., "not_called": [...]}}

Each entry of `modules` is the time to import that module and call each of its public functions once on tiny
float64 inputs (the course's default dtype; float32 kernels compile or load separately, on first use). With a
warm Numba cache that is loading machine code from disk; with a cold one, compiling it.

`kernels` checks the tour itself: among course_lib's cached Numba functions named ``_*_kernel``, how many now have
a compiled signature. A kernel that only runs inside another one (compiled into it, or loaded with it from the
cache) shows as not called here though its code is loaded.
"""
import json
import sys
import time

_start = time.perf_counter()
import course_lib  # noqa: E402  (timed: this is the import a student pays for)

IMPORT_S = time.perf_counter() - _start


def _activations():
    import numpy as np

    from course_lib import activations as A

    x = np.linspace(-2.0, 2.0, 7)
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "swish", "gelu", "identity"):
        getattr(A, name)(x)
        getattr(A, name + "_grad")(x)
    alpha = np.full(7, 0.25)
    A.prelu(x, alpha)
    A.prelu_grad(x, alpha)
    A.prelu_backward(np.ones(7), x, alpha)
    X, W, b = np.ones((4, 3)), np.ones((2, 3, 5)), np.zeros((2, 5))  # K = 2 pieces, 3 -> 5
    A.maxout(X, W, b)
    A.maxout_backward(np.ones((4, 5)), X, W, b)


def _losses():
    import numpy as np

    from course_lib import losses as L

    z, y = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]), np.array([1, 2])
    L.softmax(z)
    L.log_softmax(z)
    L.softmax_cross_entropy(z, y)
    L.binary_cross_entropy_with_logits(z, (z > 0).astype(float))
    L.mse(z, np.zeros_like(z))


def _layers():
    import numpy as np

    from course_lib import layers

    x, W, b = np.ones((4, 3)), np.ones((3, 2)), np.zeros(2)
    out = layers.dense_forward(x, W, b)
    layers.dense_backward(np.ones((4, 2)), x, W)
    x = np.arange(12.0).reshape(4, 3)
    out, cache = layers.batchnorm_forward(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
    layers.batchnorm_backward(np.ones_like(out), cache)
    layers.batchnorm_forward(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), train=False)
    out, mask = layers.dropout_forward(x, 0.5, rng=np.random.default_rng(0))
    layers.dropout_backward(np.ones_like(out), mask)


def _ema():
    import numpy as np

    from course_lib import ema

    ema.ema(np.arange(10.0), 0.9)
    tracker = ema.EMA(0.9)
    tracker.update(np.ones(3))


def _optim():
    import numpy as np

    from course_lib import optim

    for name in optim.OPTIMIZERS:
        w = np.ones(5)
        hyper = {} if name in ("adam", "adamw", "adamax", "nadam", "adagrad", "rmsprop", "adadelta") else {"lr": 0.1}
        optim.make_optimizer(name, [w], **hyper).step([np.full(5, 0.5)])
    w = np.ones(5)
    optim.NesterovLookahead([w], lr=0.1).step_fn(lambda p: [2 * p[0]])
    w = np.ones(5)
    optim.LectureNesterov([w], lr=0.1).step_fn(lambda p: [2 * p[0]])


def _clipping_regularization():
    import numpy as np

    from course_lib import clipping, regularization

    grads = [np.ones(4), np.ones((2, 2))]
    clipping.clip_grad_norm(grads, 1.0)
    clipping.clip_grad_norm(grads, 1.0, norm_type=float("inf"))
    clipping.clip_grad_value(grads, 0.5)
    regularization.add_penalty([np.ones((2, 2))], [np.zeros((2, 2))], l1=0.1, l2=0.1)


def _landscapes():
    import numpy as np

    from course_lib import landscapes as S

    grid = np.linspace(-1.0, 1.0, 5)
    for name in S.LANDSCAPES:
        land = S.make_landscape(name)
        S.values_on_grid(land, grid, grid)
        S.gradient_descent(land, steps=3, lr=1e-3)
        S.newton(land, steps=2)
    S.run("quadratic", "adam", steps=3, lr=0.1)
    S.gd_1d(1.0, 0.5)
    S.quadratic_convergence(steps=5)
    S.convergence_rates(np.array([1.0, 0.5, 0.25]), 0.0)


def _model_and_training():
    import numpy as np

    from course_lib import model as M
    from course_lib import train
    from course_lib.data import make_spiral
    from course_lib.optim import Adam

    X, y = make_spiral(60)
    for options in ({}, {"batchnorm": True, "dropout": 0.2}):
        net = M.MLP([2, 8, 3], seed=0, **options)
        net.loss_and_grads(X, y)
        net.predict(X)
    for output, target in (("sigmoid", (y == 1).astype(float)), ("linear", X[:, 0])):
        M.MLP([2, 8, 1], output=output, seed=0).loss_and_grads(X, target)
    net = M.MLP([2, 8, 3], seed=0)
    train.fit(net, Adam(net.params), X, y, epochs=2, batch_size=20, progress=False)


def _data():
    import numpy as np

    from course_lib import data

    X, y = data.load_digits(scale=True)
    data.augment_digits(X[:4], np.random.default_rng(0))
    data.mixup(X[:4], data.one_hot(y[:4], 10), rng=np.random.default_rng(0))


def _seeding():
    course_lib.seed(0)


TOUR = {
    "activations": _activations,
    "losses": _losses,
    "layers": _layers,
    "ema": _ema,
    "optim": _optim,
    "clipping+regularization": _clipping_regularization,
    "landscapes": _landscapes,
    "model+train": _model_and_training,
    "data": _data,
    "seeding": _seeding,
}


def _kernel_coverage():
    """(total, called, names not called) over course_lib's cached `_*_kernel` Numba functions."""
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    found = {}
    for mod_name, mod in list(sys.modules.items()):
        if not mod_name.startswith("course_lib") or mod is None:
            continue
        for attr, obj in vars(mod).items():
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
