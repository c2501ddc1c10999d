"""Momentum and Nesterov momentum in the lectures' own notations, and how they map onto PyTorch's SGD.

Three ways to write gradient descent with momentum appear in the lectures and in libraries:

1. EMA notation (the first lecture's preferred form, `Momentum`): the velocity is an exponential moving average
   of the gradients, so lr and beta stay separate knobs:
        v <- beta * v + (1 - beta) * g,   theta <- theta - lr * v,   v_0 = 0.
2. Velocity notation (deep-learning book, CS231n): v <- mu * v - lr * g,  theta <- theta + v.
3. PyTorch (`SGD(momentum=mu)`): b <- mu * b + g (b = g on the first step),  theta <- theta - lr * b.

How they relate (each is tested in tests/test_optim_notation.py):

- (2) = (3) with v = -lr * b, as long as lr is constant: v_t = -lr * (g_t + mu g_{t-1} + mu^2 g_{t-2} + ...).
- (1) = (3) with lr_3 = lr_1 * (1 - beta), mu = beta and b = v / (1 - beta), from the FIRST step on: both
  buffers are sums of the past gradients weighted beta^(t-i), PyTorch's first step b_1 = g_1 is exactly
  beta * 0 + g_1, so no special case is needed. Scaling lr_3 = lr_1 * (1 - beta) is what makes (1) keep lr and
  beta apart: in (3) raising mu also raises the step size for a constant gradient (lr / (1 - mu)), in (1) not.
- (1) vs SGD(lr, momentum=beta, dampening=beta): PyTorch's first step sets b_1 = g_1 with NO dampening, while
  (1) has v_1 = (1 - beta) g_1. The difference b_t - v_t = beta^t * g_1 never vanishes (it only decays), so
  the two coincide from step 2 on only if g_1 = 0, or if (1) is started from v_0 = g_1 instead of 0 (then
  v_1 = g_1 = b_1 and the recursions agree forever). PyTorch's first step is the "start the average at the
  first sample" alternative to bias correction.

Nesterov (look-ahead) momentum, velocity notation (deep-learning book, the third lecture):
        v <- mu * v - lr * grad f(theta + mu * v),   theta <- theta + v.
The gradient is taken at the look-ahead point theta + mu * v, where momentum alone would carry theta.
With phi = theta + mu * v this becomes PyTorch's SGD(nesterov=True) on phi, whose gradient is at phi itself:
        b <- mu * b + g(phi),   phi <- phi - lr * (g(phi) + mu * b)     (v = -lr * b, constant lr).
The first lecture writes the look-ahead in EMA notation instead (`LectureNesterov`):
        theta* = theta - lr * v,   v <- beta * v + (1 - beta) * grad f(theta*),   theta <- theta - lr * v,
looking one full old step ahead rather than mu times it. That is a different method from PyTorch's (no change of
variables maps one onto the other); tests/test_optim_notation.py checks it against a transcription of the slide.

The student writes the same rules in NumPy in assignment 04, Part G (momentum in two notations) and Part H
(Nesterov's look-ahead).
"""
import numpy as np
from numba import njit, prange

from course_lib import _validate
from course_lib.optim.base import Optimizer, memory_order
from course_lib.optim.engine import update_rule


@update_rule
def _momentum_kernel(theta, g, v, lr, beta):
    """v <- beta * v + (1 - beta) * g;  theta <- theta - lr * v. In place, 1-D arrays."""
    one_minus_beta = 1 - beta
    like = theta.dtype.type  # the constants in theta's dtype
    lr, beta, one_minus_beta = like(lr), like(beta), like(one_minus_beta)
    for i in prange(theta.size):
        v_i = beta * v[i] + one_minus_beta * g[i]
        v[i] = v_i
        theta[i] -= lr * v_i

__all__ = ["Momentum", "NesterovLookahead", "LectureNesterov"]


class Momentum(Optimizer):
    """Momentum(params, lr, beta=0.9): gradient descent with momentum in the lecture's EMA notation.

        v <- beta * v + (1 - beta) * g,   theta <- theta - lr * v,   v_0 = 0   (no bias correction)

    The velocity v is an exponential moving average of the gradients (averaging window 1 / (1 - beta)), so a
    constant gradient g eventually moves theta by lr * g per step whatever beta is.

    PyTorch: ``SGD(params, lr=lr * (1 - beta), momentum=beta)`` takes exactly the same steps (its buffer is
    v / (1 - beta)). The kernel is SGD's with dampening = beta and no first-step special case.

    State: `velocity` (a list of arrays shaped like params), `step_count`.
    """

    state_names = ("velocity",)
    _kernel = staticmethod(_momentum_kernel)

    def __init__(self, params, lr, beta=0.9):
        self.beta = _validate.scalar(beta, "beta", low=0.0, high=1.0, high_open=True)
        super().__init__(params, lr)

    def hyperparameters(self):
        return {"beta": self.beta}


@update_rule
def _nesterov_lookahead_kernel(theta, g, v, lr, momentum):
    """v <- mu * v - lr * g (g taken at the look-ahead point); theta <- theta + v. In place, 1-D arrays."""
    like = theta.dtype.type  # the constants in theta's dtype
    lr, momentum = like(lr), like(momentum)
    for i in prange(theta.size):
        v_i = momentum * v[i] - lr * g[i]
        v[i] = v_i
        theta[i] += v_i


@njit(cache=True, error_model="numpy")
def _lookahead_point_kernel(out, param, velocity, momentum):
    """out <- theta + mu * v: where momentum alone would carry theta."""
    for i in range(param.size):
        out[i] = param[i] + momentum * velocity[i]


class NesterovLookahead(Optimizer):
    """NesterovLookahead(params, lr, momentum=0.9): Nesterov momentum as the lectures write it.

        v <- mu * v - lr * grad f(theta + mu * v),   theta <- theta + v,   v_0 = 0

    The caller evaluates the gradient at the look-ahead point, not at theta:

        points = opt.lookahead_point()      # theta + mu * v, one new array per parameter
        opt.step(grad_f(points))            # or simply: opt.step_fn(grad_f)

    PyTorch: ``SGD(params, lr, momentum=mu, nesterov=True)`` run on phi = theta + mu * v (started at
    phi_0 = theta_0, since v_0 = 0) produces phi_t = theta_t + mu * v_t at every step, for constant lr.

    State: `velocity` (a list of arrays shaped like params), `step_count`.
    """

    state_names = ("velocity",)
    _kernel = staticmethod(_nesterov_lookahead_kernel)

    def __init__(self, params, lr, momentum=0.9):
        self.momentum = _validate.scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
        super().__init__(params, lr)

    def hyperparameters(self):
        return {"momentum": self.momentum}

    def lookahead_point(self):
        """theta + mu * v for every parameter (new arrays, shaped like params): where to take the gradient."""
        points = []
        for p, (param, (velocity,)) in zip(self.params, self._units):
            out = np.empty_like(p)  # same memory layout as p, so its 1-D view lines up with `param`
            _lookahead_point_kernel(out.reshape(-1, order=memory_order(p)), param, velocity,
                                    param.dtype.type(self.momentum))
            points.append(out)
        return points

    def step_fn(self, grad_fn):
        """One step with the gradient computed by `grad_fn(points)` at the look-ahead points; returns the grads.

        `grad_fn` receives the list `lookahead_point()` and must return a list of gradients in the same order.
        """
        if not callable(grad_fn):
            raise TypeError(f"grad_fn must be a function of the list of look-ahead points, got {grad_fn!r}")
        grads = grad_fn(self.lookahead_point())
        self.step(grads)
        return grads


class LectureNesterov(Momentum):
    """LectureNesterov(params, lr, beta=0.9): Nesterov momentum exactly as the first lecture writes it (EMA notation).

        theta* = theta - lr * v                         (the look-ahead: one full old step ahead)
        v      <- beta * v + (1 - beta) * grad f(theta*)
        theta  <- theta - lr * v,   v_0 = 0

    As with `NesterovLookahead`, the caller evaluates the gradient at `lookahead_point()` (or uses `step_fn`). The
    update itself is `Momentum`'s; only where the gradient is taken differs. PyTorch has no exact counterpart: its
    `SGD(nesterov=True)` corresponds to looking ahead by beta times the old step (`NesterovLookahead`).
    """

    def lookahead_point(self):
        """theta - lr * v for every parameter (new arrays, shaped like params): where to take the gradient."""
        points = []
        for p, (param, (velocity,)) in zip(self.params, self._units):
            out = np.empty_like(p)
            _lookahead_point_kernel(out.reshape(-1, order=memory_order(p)), param, velocity, param.dtype.type(-self.lr))
            points.append(out)
        return points

    step_fn = NesterovLookahead.step_fn
