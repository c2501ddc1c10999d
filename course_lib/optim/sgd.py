"""Stochastic gradient descent, with PyTorch's momentum, dampening, Nesterov and weight decay options.

PyTorch's rule (``torch.optim.SGD``), with g_t the gradient and b the momentum buffer:

    g_t <- g_t + weight_decay * theta                 (L2 penalty folded into the gradient)
    b_1  = g_1                                        (first step: the buffer IS the gradient, no dampening)
    b_t  = momentum * b_{t-1} + (1 - dampening) * g_t (later steps)
    d_t  = g_t + momentum * b_t   if nesterov  else  b_t
    theta <- theta - lr * d_t                         (with momentum = 0: theta <- theta - lr * g_t)

The lectures write momentum in two other notations; both are this rule in disguise (see `momentum.py`):

- v = mu * v - lr * g, theta += v  (velocity notation) is SGD(lr, momentum=mu) with v = -lr * b, for constant lr;
- v = beta * v + (1 - beta) * g, theta -= lr * v  (EMA notation, `Momentum`) is SGD(lr * (1 - beta), momentum=beta).

The student writes plain gradient descent in NumPy in assignment 04, Part B (one epoch of mini-batch gradient
descent), momentum in Part G and Nesterov's look-ahead in Part H.
"""
from numba import prange

from course_lib import _validate
from course_lib.optim.base import Optimizer
from course_lib.optim.engine import update_rule

__all__ = ["SGD", "NesterovSGD"]


@update_rule
def _sgd_kernel(theta, g, b, t, lr, momentum, dampening, weight_decay, nesterov):
    """One SGD step over 1-D arrays theta, g and the momentum buffer b (unused when momentum = 0), in place."""
    first_step = t == 1
    one_minus_dampening = 1 - dampening
    has_momentum = momentum != 0
    like = theta.dtype.type  # the constants in theta's dtype
    lr, momentum, one_minus_dampening, weight_decay = like(lr), like(momentum), like(one_minus_dampening), like(
        weight_decay)
    for i in prange(theta.size):
        g_i = g[i] + weight_decay * theta[i]
        if has_momentum:
            if first_step:
                b_i = g_i
            else:
                b_i = momentum * b[i] + one_minus_dampening * g_i
            b[i] = b_i
            if nesterov:
                g_i = g_i + momentum * b_i
            else:
                g_i = b_i
        theta[i] -= lr * g_i


class SGD(Optimizer):
    """SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False), as ``torch.optim.SGD``.

    Update (PyTorch's convention; b is `momentum_buffer`, t counts steps from 1):

        g <- g + weight_decay * theta
        b <- g on the first step, else momentum * b + (1 - dampening) * g
        theta <- theta - lr * (g + momentum * b)   with nesterov, else   theta - lr * b

    Lecture (velocity) notation: v <- mu * v - lr * g, theta <- theta + v is the same as momentum=mu with
    v = -lr * b while lr stays constant (when a schedule changes lr, PyTorch's b keeps the old gradients
    unscaled, the velocity form keeps them scaled by the old lr).

    State: `momentum_buffer` (a list of arrays shaped like params; None when momentum == 0), `step_count`.
    """

    state_names = ("momentum_buffer",)
    _kernel = staticmethod(_sgd_kernel)

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        self.momentum = _validate.scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
        self.dampening = _validate.scalar(dampening, "dampening", low=0.0, high=1.0)
        self.weight_decay = _validate.scalar(weight_decay, "weight_decay", low=0.0)
        self.nesterov = _validate.flag(nesterov, "nesterov")
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0 (as in torch.optim.SGD), got "
                             f"momentum={self.momentum}, dampening={self.dampening}")
        super().__init__(params, lr)

    def _uses_state(self, name):
        return self.momentum != 0

    def hyperparameters(self):
        return {"momentum": self.momentum, "dampening": self.dampening, "weight_decay": self.weight_decay,
                "nesterov": self.nesterov}


class NesterovSGD(SGD):
    """SGD with Nesterov momentum: ``SGD(params, lr, momentum, nesterov=True)`` (registry name "nesterov").

    PyTorch's form evaluates the gradient at the current parameters phi and steps with
        b <- momentum * b + g(phi),  phi <- phi - lr * (g(phi) + momentum * b).
    It is the lecture's look-ahead method (`NesterovLookahead`) written in the shifted variable
    phi = theta + momentum * v: the look-ahead point becomes the point where the gradient is taken.
    """

    def __init__(self, params, lr, momentum=0.9, dampening=0.0, weight_decay=0.0):
        super().__init__(params, lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                         nesterov=True)
