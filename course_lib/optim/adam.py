"""Adam (momentum + RMSProp + bias correction) and AdamW (Adam with decoupled weight decay).

Lecture notation (g_t the gradient, t = 1, 2, ...; m and v start at 0):

    m_t = beta1 * m_{t-1} + (1 - beta1) * g_t          (EMA of the gradient: momentum)
    v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2        (EMA of the squared gradient: RMSProp)
    m_hat = m_t / (1 - beta1^t),  v_hat = v_t / (1 - beta2^t)     (bias correction, see course_lib.ema)
    theta <- theta - eta * m_hat / (sqrt(v_hat) + eps)           (Kingma & Ba, PyTorch: the default)
    theta <- theta - eta * m_hat / sqrt(v_hat + eps)             (the first lecture's form: eps_inside_sqrt=True)

Bias correction makes the first step lr-sized: m_hat_1 = g_1 and v_hat_1 = g_1^2, so theta moves by
lr * g / (|g| + eps), about lr in every coordinate with a nonzero gradient.

Weight decay: Adam(weight_decay=wd) adds wd * theta to the gradient (an L2 penalty, which then gets divided by
sqrt(v_hat) like the rest of the gradient); AdamW shrinks theta directly, theta <- theta * (1 - lr * wd), before
the Adam step (Loshchilov & Hutter's decoupled weight decay), which is what PyTorch's AdamW does.
"""
import numpy as np
from numba import njit

from course_lib import _validate
from course_lib.optim.base import Optimizer, check_betas, check_flag

__all__ = ["Adam", "AdamW"]


@njit(cache=True, error_model="numpy")
def _adam_kernel(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, one_minus_beta1, beta2,
                 one_minus_beta2, l2, decay, step_size, bias_correction2, inv_bias_correction2_sqrt, eps, amsgrad,
                 eps_inside_sqrt):
    """One Adam/AdamW step over 1-D arrays, in place. Per-step scalars come precomputed:

    step_size = lr / (1 - beta1^t), bias_correction2 = 1 - beta2^t, inv_bias_correction2_sqrt =
    1 / sqrt(1 - beta2^t), decay = 1 - lr * wd (AdamW) or 1 (Adam), l2 = wd (Adam) or 0 (AdamW).
    `max_exp_avg_sq` is read only with amsgrad.

    sqrt(v) / sqrt(1 - beta2^t) is computed as sqrt(v) * (1 / sqrt(1 - beta2^t)), the reciprocal made once per
    step: the same number to within rounding, and one division per element fewer (division and square root are
    what this loop waits for; see benchmarks/breakdown.py).
    """
    for i in range(param.size):
        p = param[i]
        g = grad[i] + l2 * p  # Adam's L2 penalty (0 for AdamW)
        p = p * decay  # AdamW's decoupled decay (1 for Adam)
        m = beta1 * exp_avg[i] + one_minus_beta1 * g
        v = beta2 * exp_avg_sq[i] + one_minus_beta2 * (g * g)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        if amsgrad:  # normalise by the largest v seen so far, so the effective step never grows
            v = max(max_exp_avg_sq[i], v)
            max_exp_avg_sq[i] = v
        if eps_inside_sqrt:
            denom = np.sqrt(v / bias_correction2 + eps)
        else:
            denom = np.sqrt(v) * inv_bias_correction2_sqrt + eps
        param[i] = p - step_size * (m / denom)


class Adam(Optimizer):
    """Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, eps_inside_sqrt=False).

    Update, as ``torch.optim.Adam`` (`exp_avg` is the lecture's m, `exp_avg_sq` its v, t = step_count):

        g <- g + weight_decay * theta
        m <- beta1 * m + (1 - beta1) * g,        v <- beta2 * v + (1 - beta2) * g^2
        amsgrad:  v_max <- max(v_max, v), and v_max replaces v below
        theta <- theta - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
               = theta - lr * m_hat / (sqrt(v_hat) + eps)
        eps_inside_sqrt=True: theta <- theta - lr * m_hat / sqrt(v_hat + eps)   (the lecture's form, not PyTorch's)

    State: `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq` (None unless amsgrad), `step_count`.
    """

    state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _kernel = staticmethod(_adam_kernel)
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 eps_inside_sqrt=False):
        self.betas = check_betas(betas)
        self.eps = _validate.scalar(eps, "eps", low=0.0, low_open=True)
        self.weight_decay = _validate.scalar(weight_decay, "weight_decay", low=0.0)
        self.amsgrad = check_flag(amsgrad, "amsgrad")
        self.eps_inside_sqrt = check_flag(eps_inside_sqrt, "eps_inside_sqrt")
        super().__init__(params, lr)

    def _uses_state(self, name):
        return name != "max_exp_avg_sq" or self.amsgrad

    def hyperparameters(self):
        return {"betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay, "amsgrad": self.amsgrad,
                "eps_inside_sqrt": self.eps_inside_sqrt}

    def _step_scalars(self):
        beta1, beta2 = self.betas
        t = self.step_count
        bias_correction1 = 1.0 - beta1**t
        bias_correction2 = 1.0 - beta2**t
        if self._decoupled:
            l2, decay = 0.0, 1.0 - self.lr * self.weight_decay
        else:
            l2, decay = self.weight_decay, 1.0
        return (beta1, 1.0 - beta1, beta2, 1.0 - beta2, l2, decay, self.lr / bias_correction1, bias_correction2,
                1.0 / bias_correction2**0.5, self.eps, self.amsgrad, self.eps_inside_sqrt)


class AdamW(Adam):
    """AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, eps_inside_sqrt=False).

    Adam with decoupled weight decay, as ``torch.optim.AdamW``: first theta <- theta * (1 - lr * weight_decay),
    then the Adam step computed from the raw gradient (no wd * theta added to g). Unlike Adam's L2 penalty,
    the shrinkage is not divided by sqrt(v_hat), so every weight decays at the same relative rate lr * wd.
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 eps_inside_sqrt=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         eps_inside_sqrt=eps_inside_sqrt)
