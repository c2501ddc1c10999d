"""Compile every kernel once, now, instead of in the middle of a lecture: ``course warmup`` (run by ``make venv``).

Numba compiles a kernel the first time it is called and keeps the machine code in its cache, so every later
kernel (every restart, every notebook) loads it in milliseconds. On a fresh install those first calls would add
up to about half a minute, spread over the first cells that happen to call them: a 14 s pause on the first
training step looks like a hang. The tour below calls each public function that runs a kernel once, on tiny
float64 inputs (the course's default dtype, and the one every notebook uses; a kernel's float32 version still
compiles on its first use).
`course grade` runs it too, so that every student's run starts from compiled kernels
(`course_lib.instructor.grade.kernel_cache`).

`benchmarks.first_calls` times the same tour: that is the warm and cold start-up row of docs/performance.md.
"""
import sys
import time

__all__ = ["TOUR", "run"]


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
    # The threaded copies that large float64 steps take (from 50,000 entries), for the optimizers notebooks use most.
    from course_lib.optim import engine

    with engine.threaded_copies():
        for name, hyper in (("adam", {}), ("adamw", {}), ("sgd", {"lr": 0.1, "momentum": 0.9})):
            w = np.ones(5)
            optim.make_optimizer(name, [w], **hyper).step([np.full(5, 0.5)])


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
    import course_lib

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


def run(parts=None, progress=True, file=None):
    """Call the tour's `parts` (default: all of it); returns ({part: seconds}, [failures]).

    A part that raises is reported in the failures ("part: error") and the others still run: a warm-up must
    never stop an install. `progress` shows a tqdm bar on `file` (default stdout).
    """
    from tqdm import tqdm

    parts = list(TOUR) if parts is None else list(parts)
    unknown = sorted(set(parts) - set(TOUR))
    if unknown:
        raise ValueError(f"unknown warm-up parts {unknown}; choose from {list(TOUR)}")
    seconds, failed = {}, []
    bar = tqdm(parts, desc="compiling or loading course_lib's kernels", unit="part", file=file or sys.stdout,
               disable=not progress, dynamic_ncols=True)
    for name in bar:
        bar.set_postfix_str(name)
        start = time.perf_counter()
        try:
            TOUR[name]()
        except Exception as exc:  # an API that moved: report it, keep warming the rest
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
        seconds[name] = time.perf_counter() - start
    bar.close()
    return seconds, failed
