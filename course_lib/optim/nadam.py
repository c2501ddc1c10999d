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
"""
import numpy as np
from numba import njit

from course_lib import _validate
from course_lib.optim.base import Optimizer, check_betas, check_flag

__all__ = ["NAdam"]


@njit(cache=True, error_model="numpy")
def _nadam_kernel(param, grad, exp_avg, exp_avg_sq, beta1, one_minus_beta1, beta2, one_minus_beta2,
                  bias_correction2, eps, grad_coef, avg_coef, l2, decay):
    """One NAdam step over 1-D arrays, in place. grad_coef = -lr (1 - mu_t) / (1 - M_t),
    avg_coef = -lr mu_{t+1} / (1 - M_t mu_{t+1}); decay and l2 as in Adam/AdamW."""
    for i in range(param.size):
        p = param[i]
        g = grad[i] + l2 * p
        p = p * decay
        m = beta1 * exp_avg[i] + one_minus_beta1 * g
        v = beta2 * exp_avg_sq[i] + one_minus_beta2 * (g * g)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        denom = np.sqrt(v / bias_correction2) + eps
        p = p + grad_coef * (g / denom)
        param[i] = p + avg_coef * (m / denom)


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
        self.decoupled_weight_decay = check_flag(decoupled_weight_decay, "decoupled_weight_decay")
        super().__init__(params, lr)

    def _reset_scalars(self):
        self.mu_product = 1.0

    def hyperparameters(self):
        return {"betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay,
                "momentum_decay": self.momentum_decay, "decoupled_weight_decay": self.decoupled_weight_decay}

    def _mu(self, t):
        return self.betas[0] * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def _step_scalars(self):
        beta1, beta2 = self.betas
        t = self.step_count
        mu, mu_next = self._mu(t), self._mu(t + 1)
        self.mu_product *= mu
        grad_coef = -self.lr * (1.0 - mu) / (1.0 - self.mu_product)
        avg_coef = -self.lr * mu_next / (1.0 - self.mu_product * mu_next)
        if self.decoupled_weight_decay:
            l2, decay = 0.0, 1.0 - self.lr * self.weight_decay
        else:
            l2, decay = self.weight_decay, 1.0
        return (beta1, 1.0 - beta1, beta2, 1.0 - beta2, 1.0 - beta2**t, self.eps, grad_coef, avg_coef, l2, decay)
