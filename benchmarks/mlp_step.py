"""Row 2: one training step of an MLP (forward, backward, Adam update), course_lib against NumPy and PyTorch.

The networks are ReLU MLPs with a softmax/cross-entropy output, trained with Adam (lr = 1e-3):

- 2-64-64-3 on 64 and on 600 points of the 3-arm spiral (the course's playground size);
- 784-256-128-10 on a batch of 128 synthetic 784-dimensional inputs (MNIST-sized; random data is as good as
  real digits for timing);

each in float32 and float64. The contenders compute the same step from the same weights:

- ``course_lib``: ``model.loss_and_grads(X, y)`` then ``opt.step(model.grads)`` (one Numba pass for forward and
  backward, one kernel call for the update over the flat parameter buffer);
- ``numpy``: `NumpyMLP` below, the straightforward vectorised implementation a student would write, with
  `benchmarks.numpy_optim.NumpyAdam` on each array;
- ``torch``: ``nn.Sequential`` of ``nn.Linear`` and ``nn.ReLU``, ``nn.CrossEntropyLoss`` and
  ``torch.optim.Adam`` (its CPU default).

Each contender runs with 1 and with 2 threads (``name@1``, ``name@2``): ``torch.set_num_threads`` for PyTorch,
and `benchmarks.blas` for the matrix products of NumPy and of course_lib (whose kernel calls BLAS for them).
A contender's figure is its faster thread count, so everyone is compared at their best; the ``@t`` entries and
the same-thread ratios are in results.json.

Also timed: 200 full-batch steps on 600 spiral points in float64, the way a notebook trains a network:
``train.fit(model, opt, X, y, epochs=200, progress=False)`` (which also evaluates the cost and accuracy after
every epoch), a bare loop of 200 course_lib steps, and the same 200 steps in NumPy and PyTorch, all with one
thread (a 600 x 64 product gains little from a second one, and each run takes a while).

Before timing, each implementation takes one step from course_lib's initial weights; the costs and the updated
weights are compared with course_lib's (`agreement`).
"""
import numpy as np

from benchmarks import blas
from benchmarks.machine import optional_torch
from benchmarks.numpy_optim import NumpyAdam
from benchmarks.timing import best_of_threads, compare, ratio, ratio_target, target
from course_lib import train
from course_lib.data import make_spiral
from course_lib.model import MLP
from course_lib.optim import Adam

__all__ = ["CASES", "QUICK_CASES", "NumpyMLP", "run"]

SPIRAL_NET = (2, 64, 64, 3)
MNIST_NET = (784, 256, 128, 10)
# name: (layer sizes, data, batch size)
CASES = {
    "spiral-64": (SPIRAL_NET, "spiral", 64),
    "spiral-600": (SPIRAL_NET, "spiral", 600),
    "mnist-128": (MNIST_NET, "random", 128),
}
QUICK_CASES = {"spiral-64": CASES["spiral-64"], "mnist-8": (MNIST_NET, "random", 8)}
LR = 1e-3
FIT_STEPS = 200


class NumpyMLP:
    """A ReLU MLP with softmax cross-entropy in plain vectorised NumPy, one NumpyAdam per parameter array.

    params = [W1, b1, ..., WL, bL] with W^{[l]} of shape (D_{l-1}, D_l), the layout of course_lib's MLP.
    """

    def __init__(self, params, lr=LR):
        self.params = [p.copy() for p in params]
        self.optimizers = [NumpyAdam(p, lr=lr) for p in self.params]

    def loss_and_grads(self, X, y):
        n = X.shape[0]
        weights, biases = self.params[0::2], self.params[1::2]
        activations, a = [X], X
        for W, b in zip(weights[:-1], biases[:-1]):
            a = np.maximum(a @ W + b, 0.0)
            activations.append(a)
        z = a @ weights[-1] + biases[-1]
        z = z - z.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        cost = -log_probs[np.arange(n), y].mean()
        dz = np.exp(log_probs)                      # softmax
        dz[np.arange(n), y] -= 1.0
        dz /= n
        grads = [None] * len(self.params)
        for l in range(len(weights) - 1, -1, -1):
            a_prev = activations[l]
            grads[2 * l] = a_prev.T @ dz
            grads[2 * l + 1] = dz.sum(axis=0)
            if l:
                dz = (dz @ weights[l].T) * (a_prev > 0)
        return cost, grads

    def step(self, X, y):
        cost, grads = self.loss_and_grads(X, y)
        for opt, g in zip(self.optimizers, grads):
            opt.step(g)
        return cost


class TorchMLP:
    """The same network and step in PyTorch: nn.Sequential, CrossEntropyLoss, torch.optim.Adam (CPU default)."""

    def __init__(self, torch, params, lr=LR):
        self.torch = torch
        nn = torch.nn
        weights, biases = params[0::2], params[1::2]
        layers = []
        for k, (W, b) in enumerate(zip(weights, biases)):
            linear = nn.Linear(W.shape[0], W.shape[1], dtype=torch.float64 if W.dtype == np.float64 else torch.float32)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))  # nn.Linear stores W^T
                linear.bias.copy_(torch.from_numpy(b))
            layers.append(linear)
            if k < len(weights) - 1:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr)

    def step(self, X, y):
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.net(X), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def params(self):
        out = []
        for layer in self.net:
            if hasattr(layer, "weight"):
                out += [layer.weight.detach().numpy().T, layer.bias.detach().numpy()]
        return out


def _data(kind, n, n_in, n_classes, dtype, seed=0):
    if kind == "spiral":
        X, y = make_spiral(n_samples=n, n_classes=n_classes, seed=seed)
    else:
        rng = np.random.default_rng(seed)
        X, y = rng.standard_normal((n, n_in)), rng.integers(0, n_classes, n)
    return X.astype(dtype), y.astype(np.int64)


def _course_lib(sizes, dtype):
    model = MLP(list(sizes), dtype=dtype, seed=0)
    return model, Adam(model.params, lr=LR)


def _max_rel_diff(params, reference):
    scale = max(float(np.max(np.abs(r))) for r in reference)
    return max(float(np.max(np.abs(p - r))) for p, r in zip(params, reference)) / scale


def _agreement(sizes, X, y, torch):
    """One step from course_lib's initial weights: {impl: {"cost_diff", "max_rel_diff"}} relative to course_lib."""
    model, opt = _course_lib(sizes, X.dtype)
    start = [p.copy() for p in model.params]
    cost, grads = model.loss_and_grads(X, y)
    opt.step(grads)
    out = {}
    reference = NumpyMLP(start)
    numpy_cost = reference.step(X, y)
    out["numpy"] = {"cost_diff": abs(numpy_cost - cost) / abs(cost),
                    "max_rel_diff": _max_rel_diff(reference.params, model.params)}
    if torch is not None:
        net = TorchMLP(torch, start)
        torch_cost = net.step(torch.from_numpy(X), torch.from_numpy(y))
        out["torch"] = {"cost_diff": abs(torch_cost - cost) / abs(cost),
                        "max_rel_diff": _max_rel_diff(net.params(), model.params)}
    return out


THREADS = (1, 2)


def _threaded(steps, torch, threads):
    """{"name@t": step} and {"name@t": set-up} for every contender and thread count: before each sample, BLAS
    (for NumPy's matrix products and the np.dot in course_lib's kernel) and PyTorch get t threads."""
    timed, setup = {}, {}
    for t in threads:
        def set_threads(t=t):
            blas.set_threads(t)
            if torch is not None:
                torch.set_num_threads(t)

        for name, make in steps.items():
            timed[f"{name}@{t}"] = make()
            setup[f"{name}@{t}"] = set_threads
    return timed, setup


def _ratios(stats, reference):
    """Every contender's median over `reference`'s: best-of-threads names against the reference's best, and
    ``name@t`` against ``reference@t`` (the same thread count)."""
    out = {}
    for key in stats:
        name, _, t = key.partition("@")
        if name != reference:
            out[key] = ratio(stats, key, f"{reference}@{t}" if t else reference)
    return out


def _step_case(name, sizes, kind, n, dtype, repeats, warmup, min_sample_s, torch, threads):
    X, y = _data(kind, n, sizes[0], sizes[-1], dtype)
    start = _course_lib(sizes, dtype)[0].params

    def course_lib():
        model, opt = _course_lib(sizes, dtype)
        return lambda: opt.step(model.loss_and_grads(X, y)[1])

    def numpy():
        net = NumpyMLP(start)
        return lambda: net.step(X, y)

    makers = {"course_lib": course_lib, "numpy": numpy}
    if torch is not None:
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

        def pytorch():
            net = TorchMLP(torch, start)
            return lambda: net.step(Xt, yt)

        makers["torch"] = pytorch
    steps, setup = _threaded(makers, torch, threads)
    stats = best_of_threads(compare(steps, repeats, warmup=warmup, min_sample_s=min_sample_s, setup=setup))
    return {
        "case": name,
        "sizes": list(sizes),
        "batch": n,
        "dtype": np.dtype(dtype).name,
        "timings": stats,
        "ratios": _ratios(stats, "course_lib"),
        "agreement": _agreement(sizes, X, y, torch),
    }


def _fit_case(steps_per_run, repeats, warmup, torch, threads):
    """200 full-batch steps on 600 spiral points (float64): fit, a bare course_lib loop, NumPy, PyTorch."""
    X, y = _data("spiral", 600, 2, 3, np.float64)
    start = _course_lib(SPIRAL_NET, np.float64)[0].params

    def loop(step):
        def run_steps():
            for _ in range(steps_per_run):
                step()
        return run_steps

    def fit():
        model, opt = _course_lib(SPIRAL_NET, np.float64)
        return lambda: train.fit(model, opt, X, y, epochs=steps_per_run, progress=False)

    def course_lib():
        model, opt = _course_lib(SPIRAL_NET, np.float64)
        return loop(lambda: opt.step(model.loss_and_grads(X, y)[1]))

    def numpy():
        net = NumpyMLP(start)
        return loop(lambda: net.step(X, y))

    makers = {"course_lib_fit": fit, "course_lib": course_lib, "numpy": numpy}
    if torch is not None:
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

        def pytorch():
            net = TorchMLP(torch, start)
            return loop(lambda: net.step(Xt, yt))

        makers["torch"] = pytorch
    runs, setup = _threaded(makers, torch, threads)
    stats = best_of_threads(compare(runs, repeats, warmup=warmup, min_sample_s=0.0, setup=setup))
    return {
        "case": f"fit-{steps_per_run}-spiral-600",
        "steps": steps_per_run,
        "dtype": "float64",
        "timings": stats,
        "ratios": _ratios(stats, "course_lib_fit"),
    }


def run(cases=None, dtypes=(np.float32, np.float64), repeats=25, warmup=3, min_sample_s=2e-3,
        fit_steps=FIT_STEPS, threads=THREADS):
    """Time every case in both dtypes and the full-batch training run; {"results", "fit", "targets"}."""
    torch = optional_torch()
    default_threads = (None if torch is None else torch.get_num_threads()), blas.get_threads()
    cases = CASES if cases is None else cases
    results = []
    try:
        for name, (sizes, kind, n) in cases.items():
            for dtype in dtypes:
                results.append(_step_case(name, sizes, kind, n, dtype, repeats, warmup, min_sample_s, torch,
                                          threads))
        fit = _fit_case(fit_steps, repeats, warmup, torch, threads[:1])
    finally:
        if torch is not None:
            torch.set_num_threads(default_threads[0])
        if default_threads[1]:
            blas.set_threads(max(default_threads[1]))
    return {"results": results, "fit": fit, "targets": targets(results, fit)}


def targets(results, fit):
    """Issue 9's goals: spiral step >= 2x NumPy and >= 3x PyTorch; MNIST-sized >= 1x both; 200 steps < 100 ms."""
    out = []
    for r in results:
        t, case = r["timings"], f"{r['case']} {r['dtype']}"
        if r["case"] == "spiral-64":
            out.append(ratio_target("mlp", f"{case} vs numpy", ">= 2x numpy (each at its best threads)", t, "numpy",
                                    "course_lib", 2.0))
            out.append(ratio_target("mlp", f"{case} vs torch", ">= 3x torch (each at its best threads)", t, "torch",
                                    "course_lib", 3.0))
        elif r["case"] == "mnist-128":
            out.append(ratio_target("mlp", f"{case} vs numpy", ">= 1x numpy (each at its best threads)", t, "numpy",
                                    "course_lib", 1.0))
            out.append(ratio_target("mlp", f"{case} vs torch 2 threads", ">= 1x torch@2 (course_lib at its best "
                                    "threads)", t, "torch@2", "course_lib", 1.0))
    if fit["steps"] == FIT_STEPS:
        stats = fit["timings"]["course_lib_fit"]  # at its best thread count
        out.append(target("mlp", "200 full-batch steps, 600 spiral points (fit)", "<= 100 ms",
                          stats["median_s"] * 1e3, stats["min_s"] * 1e3, 100.0, higher_is_better=False))
    return out
