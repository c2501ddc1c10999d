"""Every optimizer takes the same steps as a plain-NumPy transcription of its documented update rule.

The references below are written from the update rules in PyTorch's documentation (the pseudo-code boxes of
torch.optim.SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Adamax, NAdam) and from the lectures' formulas, one
line per formula, with the bias corrections written out as m_hat / v_hat. They do not import course_lib's kernels.
The other optimizer test files import `CONFIGS`, `make_reference`, `run_pair` and `rel_error` from here.
"""
import math

import numpy as np
import pytest

from course_lib.optim import OPTIMIZERS, flat_parameters


# ---- references ------------------------------------------------------------------------------------------------
class _Reference:
    def __init__(self, params, lr):
        self.params = [np.array(p, dtype=np.float64) for p in params]
        self.lr = lr
        self.t = 0

    def zeros(self):
        return [np.zeros_like(p) for p in self.params]

    def step(self, grads):
        self.t += 1
        for k, (p, g) in enumerate(zip(self.params, grads)):
            self.update(k, p, np.array(g, dtype=np.float64))


class RefSGD(_Reference):
    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr)
        self.mu, self.tau, self.wd, self.nesterov = momentum, dampening, weight_decay, nesterov
        self.b = self.zeros()

    def update(self, k, p, g):
        g = g + self.wd * p
        if self.mu != 0:
            if self.t > 1:
                self.b[k] = self.mu * self.b[k] + (1 - self.tau) * g
            else:
                self.b[k] = g.copy()
            g = g + self.mu * self.b[k] if self.nesterov else self.b[k]
        p -= self.lr * g


class RefNesterov(RefSGD):
    def __init__(self, params, lr, momentum=0.9, dampening=0.0, weight_decay=0.0):
        super().__init__(params, lr, momentum, dampening, weight_decay, nesterov=True)


class RefMomentum(_Reference):
    """The first lecture: v = beta v + (1 - beta) g, theta = theta - alpha v."""

    def __init__(self, params, lr, beta=0.9):
        super().__init__(params, lr)
        self.beta = beta
        self.v = self.zeros()

    def update(self, k, p, g):
        self.v[k] = self.beta * self.v[k] + (1 - self.beta) * g
        p -= self.lr * self.v[k]


class RefAdagrad(_Reference):
    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, lr)
        self.lr_decay, self.wd, self.eps = lr_decay, weight_decay, eps
        self.state_sum = [np.full_like(p, initial_accumulator_value) for p in self.params]

    def update(self, k, p, g):
        lr_t = self.lr / (1 + (self.t - 1) * self.lr_decay)
        g = g + self.wd * p
        self.state_sum[k] = self.state_sum[k] + g**2
        p -= lr_t * g / (np.sqrt(self.state_sum[k]) + self.eps)


class RefRMSprop(_Reference):
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 eps_inside_sqrt=False):
        super().__init__(params, lr)
        self.alpha, self.eps, self.wd, self.mu = alpha, eps, weight_decay, momentum
        self.centered, self.inside = centered, eps_inside_sqrt
        self.v, self.g_ave, self.b = self.zeros(), self.zeros(), self.zeros()

    def update(self, k, p, g):
        g = g + self.wd * p
        self.v[k] = self.alpha * self.v[k] + (1 - self.alpha) * g**2
        v_tilde = self.v[k]
        if self.centered:
            self.g_ave[k] = self.g_ave[k] * self.alpha + (1 - self.alpha) * g
            v_tilde = v_tilde - self.g_ave[k] ** 2
        denom = np.sqrt(v_tilde + self.eps) if self.inside else np.sqrt(v_tilde) + self.eps
        if self.mu > 0:
            self.b[k] = self.mu * self.b[k] + g / denom
            p -= self.lr * self.b[k]
        else:
            p -= self.lr * g / denom


class RefAdadelta(_Reference):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        super().__init__(params, lr)
        self.rho, self.eps, self.wd = rho, eps, weight_decay
        self.v, self.u = self.zeros(), self.zeros()

    def update(self, k, p, g):
        g = g + self.wd * p
        self.v[k] = self.v[k] * self.rho + g**2 * (1 - self.rho)
        delta = np.sqrt(self.u[k] + self.eps) / np.sqrt(self.v[k] + self.eps) * g
        self.u[k] = self.u[k] * self.rho + delta**2 * (1 - self.rho)
        p -= self.lr * delta


class RefAdam(_Reference):
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 eps_inside_sqrt=False):
        super().__init__(params, lr)
        (self.b1, self.b2), self.eps, self.wd, self.amsgrad = betas, eps, weight_decay, amsgrad
        self.inside = eps_inside_sqrt
        self.m, self.v, self.v_max = self.zeros(), self.zeros(), self.zeros()

    def update(self, k, p, g):
        if self.decoupled:
            p *= 1 - self.lr * self.wd
        else:
            g = g + self.wd * p
        self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
        self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g**2
        m_hat = self.m[k] / (1 - self.b1**self.t)
        if self.amsgrad:
            self.v_max[k] = np.maximum(self.v_max[k], self.v[k])
            v_hat = self.v_max[k] / (1 - self.b2**self.t)
        else:
            v_hat = self.v[k] / (1 - self.b2**self.t)
        denom = np.sqrt(v_hat + self.eps) if self.inside else np.sqrt(v_hat) + self.eps
        p -= self.lr * m_hat / denom


class RefAdamW(RefAdam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 eps_inside_sqrt=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, eps_inside_sqrt)


class RefAdamax(_Reference):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        (self.b1, self.b2), self.eps, self.wd = betas, eps, weight_decay
        self.m, self.u = self.zeros(), self.zeros()

    def update(self, k, p, g):
        g = g + self.wd * p
        self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
        self.u[k] = np.maximum(self.b2 * self.u[k], np.abs(g) + self.eps)
        p -= self.lr * self.m[k] / ((1 - self.b1**self.t) * self.u[k])


class RefNAdam(_Reference):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False):
        super().__init__(params, lr)
        (self.b1, self.b2), self.eps, self.wd, self.psi = betas, eps, weight_decay, momentum_decay
        self.decoupled = decoupled_weight_decay
        self.m, self.v = self.zeros(), self.zeros()

    def mu(self, t):
        return self.b1 * (1 - 0.5 * 0.96 ** (t * self.psi))

    def update(self, k, p, g):
        t = self.t
        if self.decoupled:
            p *= 1 - self.lr * self.wd
        else:
            g = g + self.wd * p
        self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
        self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g**2
        prod_t = math.prod(self.mu(i) for i in range(1, t + 1))
        prod_next = prod_t * self.mu(t + 1)
        m_hat = self.mu(t + 1) * self.m[k] / (1 - prod_next) + (1 - self.mu(t)) * g / (1 - prod_t)
        v_hat = self.v[k] / (1 - self.b2**t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


REFERENCES = {
    "sgd": RefSGD, "nesterov": RefNesterov, "momentum": RefMomentum, "adagrad": RefAdagrad,
    "rmsprop": RefRMSprop, "adadelta": RefAdadelta, "adam": RefAdam, "adamw": RefAdamW, "adamax": RefAdamax,
    "nadam": RefNAdam,
}

# Defaults and non-default hyperparameters of every method; the ids name what each case exercises.
CONFIGS = [
    pytest.param("sgd", dict(lr=0.05), id="sgd-plain"),
    pytest.param("sgd", dict(lr=0.05, momentum=0.9), id="sgd-momentum"),
    pytest.param("sgd", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01), id="sgd-dampening-wd"),
    pytest.param("sgd", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02), id="sgd-nesterov-wd"),
    pytest.param("nesterov", dict(lr=0.05), id="nesterov-registry"),
    pytest.param("momentum", dict(lr=0.1, beta=0.8), id="momentum-ema"),
    pytest.param("adagrad", dict(), id="adagrad-defaults"),
    pytest.param("adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.3, eps=1e-6),
                 id="adagrad-decay-init-wd"),
    pytest.param("rmsprop", dict(), id="rmsprop-defaults"),
    pytest.param("rmsprop", dict(alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5), id="rmsprop-momentum-wd"),
    pytest.param("rmsprop", dict(centered=True), id="rmsprop-centered"),
    pytest.param("rmsprop", dict(centered=True, momentum=0.9, weight_decay=0.1), id="rmsprop-centered-momentum"),
    pytest.param("rmsprop", dict(eps_inside_sqrt=True, eps=1e-6), id="rmsprop-eps-inside"),
    pytest.param("adadelta", dict(), id="adadelta-defaults"),
    pytest.param("adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.02), id="adadelta-rho-wd"),
    pytest.param("adam", dict(), id="adam-defaults"),
    pytest.param("adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.05, amsgrad=True), id="adam-amsgrad-wd"),
    pytest.param("adam", dict(lr=0.01, eps_inside_sqrt=True, eps=1e-6), id="adam-eps-inside"),
    pytest.param("adamw", dict(), id="adamw-defaults"),
    pytest.param("adamw", dict(lr=0.01, weight_decay=0.1, amsgrad=True), id="adamw-amsgrad"),
    pytest.param("adamax", dict(), id="adamax-defaults"),
    pytest.param("adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.03), id="adamax-betas-wd"),
    pytest.param("nadam", dict(), id="nadam-defaults"),
    pytest.param("nadam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.02, momentum_decay=0.01),
                 id="nadam-momentum-decay-wd"),
    pytest.param("nadam", dict(weight_decay=0.05, decoupled_weight_decay=True), id="nadam-decoupled-wd"),
]

STEPS = 60
TOL = {np.float64: 1e-9, np.float32: 1e-5}


def make_reference(name, params, hyper):
    return REFERENCES[name](params, **hyper)


def rel_error(actual, expected):
    """max |actual - expected| over max |expected|, taken over all entries of all arrays of a model together.

    A norm-wise relative error on the parameter vector as a whole: entries that pass near zero do not blow it up,
    and the tolerance is relative to the parameters' scale.
    """
    if not isinstance(actual, (list, tuple)):
        actual, expected = [actual], [expected]
    actual = np.concatenate([np.ravel(np.asarray(a, np.float64)) for a in actual])
    expected = np.concatenate([np.ravel(np.asarray(e, np.float64)) for e in expected])
    return float(np.max(np.abs(actual - expected), initial=0.0) / max(np.max(np.abs(expected), initial=0.0), 1e-300))


# ---- problems: initial parameters in several layouts, and a gradient that depends on them ----------------------
LAYOUTS = {
    "one-matrix": [(7, 5)],
    "mixed-shapes": [(3, 4), (4,), (), (2, 3, 2)],
    "many-small": [(3,), (2, 2)] * 20,
    "flat-model": [(6, 4), (4,), (4, 3), (3,)],
    "fortran-matrix": [(5, 3), (3,)],
}


def make_problem(layout, dtype, seed=0):
    """(params, grad_fn): params in the layout, grad_fn(params, t) = 0.5 * params + noise_t (scaled per entry).

    The gradient depends on the parameters, so a wrong step changes every later gradient too. For "flat-model"
    params and grads are views into one buffer each; for "fortran-matrix" the matrix is Fortran-ordered.
    """
    rng = np.random.default_rng(seed)
    shapes = LAYOUTS[layout]
    if layout == "flat-model":
        _, params = flat_parameters(shapes, dtype)
        for p in params:
            p[...] = rng.standard_normal(p.shape)
    else:
        params = [np.asarray(rng.standard_normal(s), dtype=dtype) for s in shapes]
        if layout == "fortran-matrix":
            params[0] = np.asfortranarray(params[0])
    scales = [10.0 ** rng.uniform(-2, 1, size=np.shape(p)) for p in params]
    noise = [[rng.standard_normal(np.shape(p)) * s for p, s in zip(params, scales)] for _ in range(STEPS)]
    if layout == "flat-model":
        grad_buffer, grad_views = flat_parameters(shapes, dtype)

        def grad_fn(ps, t):
            for view, p, n in zip(grad_views, ps, noise[t]):
                view[...] = 0.5 * np.asarray(p, np.float64) + n
            return grad_views
    else:
        def grad_fn(ps, t):
            return [(0.5 * np.asarray(p, np.float64) + n).astype(dtype) for p, n in zip(ps, noise[t])]
    return params, grad_fn


def run_pair(opt, ref, grad_fn, steps=STEPS, on_step=None):
    """Step `opt` (on its own params) and `ref` side by side, each with the gradient at its own parameters."""
    for t in range(steps):
        if on_step is not None:
            on_step(t, opt, ref)
        opt.step(grad_fn(opt.params, t))
        ref.step(grad_fn(ref.params, t))


# ---- tests -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name, hyper", CONFIGS)
def test_optimizer_matches_numpy_transcription_of_documented_rule(name, hyper, dtype):
    params, grad_fn = make_problem("mixed-shapes", dtype)
    ref = make_reference(name, params, hyper)
    opt = OPTIMIZERS[name](params, **hyper)
    run_pair(opt, ref, grad_fn)
    assert all(p.dtype == dtype for p in opt.params)
    assert rel_error(opt.params, ref.params) < TOL[dtype]


RICH = {  # one non-default configuration per method, for the layout tests
    "sgd": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "nesterov": dict(lr=0.05, momentum=0.7),
    "momentum": dict(lr=0.1, beta=0.8),
    "adagrad": dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    "rmsprop": dict(centered=True, momentum=0.5),
    "adadelta": dict(weight_decay=0.01),
    "adam": dict(lr=0.01, amsgrad=True),
    "adamw": dict(lr=0.01),
    "adamax": dict(lr=0.01),
    "nadam": dict(lr=0.01),
}


@pytest.mark.parametrize("layout", ["one-matrix", "many-small", "flat-model", "fortran-matrix"])
@pytest.mark.parametrize("name", sorted(RICH))
def test_optimizer_gives_the_same_steps_for_every_parameter_layout(name, layout):
    params, grad_fn = make_problem(layout, np.float64)
    ref = make_reference(name, params, RICH[name])
    opt = OPTIMIZERS[name](params, **RICH[name])
    run_pair(opt, ref, grad_fn)
    assert rel_error(opt.params, ref.params) < 1e-9
    if layout == "fortran-matrix":
        assert opt.params[0].flags.f_contiguous and not opt.params[0].flags.c_contiguous


@pytest.mark.parametrize("name", sorted(RICH))
def test_float64_grads_for_a_float32_flat_model_are_cast_and_params_stay_float32(name):
    params, grad_fn = make_problem("flat-model", np.float32)
    ref = make_reference(name, params, RICH[name])
    opt = OPTIMIZERS[name](params, **RICH[name])

    def float64_grads(ps, t):
        return [np.array(g, dtype=np.float64) for g in grad_fn(ps, t)]

    run_pair(opt, ref, float64_grads)
    assert all(p.dtype == np.float32 for p in opt.params)
    assert rel_error(opt.params, ref.params) < 1e-5


@pytest.mark.parametrize("name", ["sgd", "adagrad", "adam", "nadam"])
def test_learning_rate_set_between_steps_is_used_from_the_next_step(name):
    hyper = RICH[name]
    params, grad_fn = make_problem("mixed-shapes", np.float64)
    ref = make_reference(name, params, hyper)
    opt = OPTIMIZERS[name](params, **hyper)

    base_lr = opt.lr

    def schedule(t, opt, ref):  # inverse-time decay, set on both before each step
        opt.lr = ref.lr = base_lr / (1 + 0.1 * t)

    run_pair(opt, ref, grad_fn, on_step=schedule)
    assert opt.lr == ref.lr == base_lr / (1 + 0.1 * (STEPS - 1))
    assert rel_error(opt.params, ref.params) < 1e-9
