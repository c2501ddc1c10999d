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
"""
from numba import njit

from course_lib import _validate
from course_lib.optim.base import Optimizer, check_flag

__all__ = ["SGD", "NesterovSGD"]


@njit(cache=True, error_model="numpy")
def _sgd_kernel(param, grad, buf, lr, momentum, one_minus_dampening, weight_decay, nesterov, has_momentum,
                first_step):
    """One SGD step over 1-D arrays, in place: param, and the momentum buffer `buf` (unused if not has_momentum)."""
    for i in range(param.size):
        g = grad[i] + weight_decay * param[i]
        if has_momentum:
            if first_step:
                b = g
            else:
                b = momentum * buf[i] + one_minus_dampening * g
            buf[i] = b
            if nesterov:
                g = g + momentum * b
            else:
                g = b
        param[i] -= lr * g


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
        self.nesterov = check_flag(nesterov, "nesterov")
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0 (as in torch.optim.SGD), got "
                             f"momentum={self.momentum}, dampening={self.dampening}")
        super().__init__(params, lr)

    def _uses_state(self, name):
        return self.momentum != 0

    def hyperparameters(self):
        return {"momentum": self.momentum, "dampening": self.dampening, "weight_decay": self.weight_decay,
                "nesterov": self.nesterov}

    def _step_scalars(self):
        return (self.lr, self.momentum, 1.0 - self.dampening, self.weight_decay, self.nesterov,
                self.momentum != 0, self.step_count == 1)


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
