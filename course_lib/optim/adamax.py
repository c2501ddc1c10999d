"""Adamax: Adam with the RMS of the gradients replaced by a decaying maximum of their absolute values.

Lecture notation: Adam's v is an EMA of |g|^2; letting the exponent 2 -> infinity turns
    u_t = (beta2^p * u_{t-1}^p + (1 - beta2^p) |g_t|^p)^(1/p)   into   u_t = max(beta2 * u_{t-1}, |g_t|),
a running maximum that needs no bias correction. Only m is bias-corrected:

    m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
    theta <- theta - lr / (1 - beta1^t) * m_t / u_t

The student writes the same rule in NumPy in assignment 05, Part 6 (Adamax).
"""
import numpy as np
from numba import prange

from course_lib import _validate
from course_lib.optim.base import Optimizer, check_betas
from course_lib.optim.engine import update_rule

__all__ = ["Adamax"]


@update_rule
def _adamax_kernel(theta, g, m, u, t, lr, beta1, beta2, eps, weight_decay):
    """One Adamax step over 1-D arrays, in place: m the first moment, u the decaying maximum of |g|."""
    bias_correction1 = 1 - beta1**t
    clr = lr / bias_correction1  # lr * m_hat = clr * m
    one_minus_beta1 = 1 - beta1
    like = theta.dtype.type  # the constants in theta's dtype
    beta1, one_minus_beta1, beta2, eps, clr, weight_decay = (like(beta1), like(one_minus_beta1), like(beta2),
                                                             like(eps), like(clr), like(weight_decay))
    for i in prange(theta.size):
        g_i = g[i] + weight_decay * theta[i]
        m_i = beta1 * m[i] + one_minus_beta1 * g_i
        m[i] = m_i
        u_i = max(beta2 * u[i], np.abs(g_i) + eps)
        u[i] = u_i
        theta[i] -= clr * (m_i / u_i)


class Adamax(Optimizer):
    """Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0), as ``torch.optim.Adamax``.

        g <- g + weight_decay * theta
        m <- beta1 * m + (1 - beta1) * g                  (`exp_avg`)
        u <- max(beta2 * u, |g| + eps)                    (`exp_inf`; PyTorch adds eps inside the max)
        theta <- theta - lr / (1 - beta1^t) * m / u

    State: `exp_avg`, `exp_inf` (lists of arrays shaped like params), `step_count`.
    """

    state_names = ("exp_avg", "exp_inf")
    _kernel = staticmethod(_adamax_kernel)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.betas = check_betas(betas)
        self.eps = _validate.scalar(eps, "eps", low=0.0, low_open=True)
        self.weight_decay = _validate.scalar(weight_decay, "weight_decay", low=0.0)
        super().__init__(params, lr)

    def hyperparameters(self):
        return {"betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay}
