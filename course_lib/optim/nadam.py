"""NAdam: Adam with Nesterov momentum (Dozat, 2016), as PyTorch implements it.

Nesterov's idea applied to Adam: instead of stepping along the bias-corrected momentum m_hat_t alone, step along
a mix of the current gradient and the momentum one step ahead. With a momentum coefficient that warms up,

    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)),     M_t = mu_1 * mu_2 * ... * mu_t,

the update is

    m_t = beta1 * m_{t-1} + (1 - beta1) * g_t,     v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
    d_t = sqrt(v_t / (1 - beta2^t)) + eps
    theta <- theta - lr * (1 - mu_t) / (1 - M_t) * g_t / d_t - lr * mu_{t+1} / (1 - M_t * mu_{t+1}) * m_t / d_t

The first term is the "current gradient" part, the second the "look-ahead momentum" part; both coefficients
play the role of Adam's 1 / (1 - beta1^t) bias correction.

The student writes the same rule in NumPy in assignment 05, Part 7 (NAdam).
"""
import numpy as np
from numba import prange

from course_lib import _validate
from course_lib.optim.base import Optimizer, check_betas
from course_lib.optim.engine import update_rule

__all__ = ["NAdam"]


@update_rule
def _nadam_kernel(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, mu, mu_next,
                  mu_product):
    """One NAdam step over 1-D arrays, in place. mu = mu_t, mu_next = mu_{t+1}, mu_product = M_t."""
    bias_correction2 = 1 - beta2**t
    grad_coef = lr * (1 - mu) / (1 - mu_product)  # the current gradient's share
    avg_coef = lr * mu_next / (1 - mu_product * mu_next)  # the look-ahead momentum's share
    l2 = 0.0 if decoupled_weight_decay else weight_decay  # g <- g + wd * theta
    decay = 1 - lr * weight_decay if decoupled_weight_decay else 1.0  # theta <- theta * (1 - lr * wd)
    one_minus_beta1, one_minus_beta2 = 1 - beta1, 1 - beta2
    like = theta.dtype.type  # the constants in theta's dtype
    beta1, one_minus_beta1, beta2, one_minus_beta2, bias_correction2, eps = (
        like(beta1), like(one_minus_beta1), like(beta2), like(one_minus_beta2), like(bias_correction2), like(eps))
    grad_coef, avg_coef, l2, decay = like(grad_coef), like(avg_coef), like(l2), like(decay)
    for i in prange(theta.size):
        g_i = g[i] + l2 * theta[i]
        theta_i = theta[i] * decay
        m_i = beta1 * m[i] + one_minus_beta1 * g_i
        v_i = beta2 * v[i] + one_minus_beta2 * (g_i * g_i)
        m[i] = m_i
        v[i] = v_i
        denom = np.sqrt(v_i / bias_correction2) + eps
        theta_i = theta_i - grad_coef * (g_i / denom)
        theta[i] = theta_i - avg_coef * (m_i / denom)


class NAdam(Optimizer):
    """NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
    decoupled_weight_decay=False), as ``torch.optim.NAdam``.

    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)); `mu_product` holds M_t = mu_1 ... mu_t.

        g <- g + weight_decay * theta   (decoupled_weight_decay=True: theta <- theta * (1 - lr * wd) instead)
        m <- beta1 * m + (1 - beta1) * g,     v <- beta2 * v + (1 - beta2) * g^2
        d = sqrt(v / (1 - beta2^t)) + eps
        theta <- theta - lr (1 - mu_t) / (1 - M_t) * g / d - lr mu_{t+1} / (1 - M_t mu_{t+1}) * m / d

    State: `exp_avg`, `exp_avg_sq` (lists of arrays shaped like params), `mu_product`, `step_count`.
    """

    state_names = ("exp_avg", "exp_avg_sq")
    scalar_state_names = ("mu_product",)
    _kernel = staticmethod(_nadam_kernel)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False):
        self.betas = check_betas(betas)
        self.eps = _validate.scalar(eps, "eps", low=0.0, low_open=True)
        self.weight_decay = _validate.scalar(weight_decay, "weight_decay", low=0.0)
        self.momentum_decay = _validate.scalar(momentum_decay, "momentum_decay", low=0.0)
        self.decoupled_weight_decay = _validate.flag(decoupled_weight_decay, "decoupled_weight_decay")
        super().__init__(params, lr)

    def _reset_scalars(self):
        self.mu_product = 1.0

    def hyperparameters(self):
        return {"betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay,
                "momentum_decay": self.momentum_decay, "decoupled_weight_decay": self.decoupled_weight_decay}

    def _mu(self, t):
        return self.betas[0] * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def rule_arguments(self):
        """As every optimizer's, plus the momentum schedule: mu_t, mu_{t+1} and M_t (updated here, once a step)."""
        t = self.step_count
        mu, mu_next = self._mu(t), self._mu(t + 1)
        self.mu_product *= mu
        return {**super().rule_arguments(), "mu": mu, "mu_next": mu_next, "mu_product": self.mu_product}
