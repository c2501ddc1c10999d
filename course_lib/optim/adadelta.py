"""Adadelta: RMSProp whose step size is itself a running RMS of the past updates, so no learning rate is needed.

Lecture notation (E[.] is an exponential moving average with decay gamma, called rho here and in PyTorch):

    E[g^2]_t = gamma * E[g^2]_{t-1} + (1 - gamma) * g_t^2
    RMS[x]_t = sqrt(E[x^2]_t + eps)
    Delta theta_t = -(RMS[Delta theta]_{t-1} / RMS[g]_t) * g_t
    E[Delta theta^2]_t = gamma * E[Delta theta^2]_{t-1} + (1 - gamma) * Delta theta_t^2
    theta_{t+1} = theta_t + Delta theta_t

The ratio of two RMS values has the units of theta (the "units" argument of the Adadelta paper). PyTorch adds a
learning rate lr that multiplies Delta theta (default 1.0, which is the lecture's method).

The student writes the same rule in NumPy in assignment 05, Part 3 (Adadelta).
"""
import numpy as np
from numba import prange

from course_lib import _validate
from course_lib.optim.base import Optimizer
from course_lib.optim.engine import update_rule

__all__ = ["Adadelta"]


@update_rule
def _adadelta_kernel(theta, g, S, D, lr, rho, eps, weight_decay):
    """One Adadelta step over 1-D arrays, in place: S is E[g^2], D is E[Delta theta^2]."""
    one_minus_rho = 1 - rho
    like = theta.dtype.type  # the constants in theta's dtype
    lr, rho, one_minus_rho, eps, weight_decay = like(lr), like(rho), like(one_minus_rho), like(eps), like(weight_decay)
    for i in prange(theta.size):
        g_i = g[i] + weight_decay * theta[i]
        S_i = rho * S[i] + one_minus_rho * (g_i * g_i)
        S[i] = S_i
        delta = np.sqrt(D[i] + eps) / np.sqrt(S_i + eps) * g_i  # RMS[Delta theta]_{t-1} / RMS[g]_t * g
        D[i] = rho * D[i] + one_minus_rho * (delta * delta)
        theta[i] -= lr * delta


class Adadelta(Optimizer):
    """Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0), as ``torch.optim.Adadelta``.

        g <- g + weight_decay * theta
        S <- rho * S + (1 - rho) * g^2                        (`square_avg`, the lecture's E[g^2])
        delta = sqrt(D + eps) / sqrt(S + eps) * g             (D = `acc_delta`, the lecture's E[Delta theta^2])
        D <- rho * D + (1 - rho) * delta^2
        theta <- theta - lr * delta

    State: `square_avg`, `acc_delta` (lists of arrays shaped like params), `step_count`.
    """

    state_names = ("square_avg", "acc_delta")
    _kernel = staticmethod(_adadelta_kernel)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        self.rho = _validate.scalar(rho, "rho", low=0.0, high=1.0)
        self.eps = _validate.scalar(eps, "eps", low=0.0, low_open=True)
        self.weight_decay = _validate.scalar(weight_decay, "weight_decay", low=0.0)
        super().__init__(params, lr)

    def hyperparameters(self):
        return {"rho": self.rho, "eps": self.eps, "weight_decay": self.weight_decay}
