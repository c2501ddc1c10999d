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

The student writes the same rule in NumPy in assignment 05, Part 4 (Adam with bias correction) and Part 5 (AdamW,
decoupled weight decay).
"""
import numpy as np
from numba import prange

from course_lib import _validate
from course_lib.optim.base import Optimizer, check_betas
from course_lib.optim.engine import update_rule

__all__ = ["Adam", "AdamW"]


@update_rule
def _adam_kernel(theta, g, m, v, v_max, t, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, amsgrad,
                 eps_inside_sqrt):
    """One Adam/AdamW step over 1-D arrays theta, g, m, v (and v_max, read only with amsgrad), in place.

    t is the step number (1 on the first step). The per-step constants are computed once, before the loop, in
    float64 as PyTorch does, and then used in theta's dtype (float32 stays float32):
    lr * m_hat = step_size * m, and sqrt(v_hat) = sqrt(v) * inv_sqrt_bias_correction2.
    """
    bias_correction1 = 1 - beta1**t
    bias_correction2 = 1 - beta2**t
    step_size = lr / bias_correction1
    inv_sqrt_bias_correction2 = 1 / bias_correction2**0.5
    l2 = 0.0 if decoupled_weight_decay else weight_decay  # Adam: g <- g + wd * theta
    decay = 1 - lr * weight_decay if decoupled_weight_decay else 1.0  # AdamW: theta <- theta * (1 - lr * wd)
    one_minus_beta1, one_minus_beta2 = 1 - beta1, 1 - beta2
    like = theta.dtype.type  # the constants in theta's dtype
    beta1, beta2, one_minus_beta1, one_minus_beta2, eps = (like(beta1), like(beta2), like(one_minus_beta1),
                                                           like(one_minus_beta2), like(eps))
    step_size, bias_correction2, inv_sqrt_bias_correction2 = (like(step_size), like(bias_correction2),
                                                              like(inv_sqrt_bias_correction2))
    l2, decay = like(l2), like(decay)
    for i in prange(theta.size):
        g_i = g[i] + l2 * theta[i]
        theta_i = theta[i] * decay
        m_i = beta1 * m[i] + one_minus_beta1 * g_i
        v_i = beta2 * v[i] + one_minus_beta2 * (g_i * g_i)
        m[i] = m_i
        v[i] = v_i
        if amsgrad:  # normalise by the largest v seen so far, so the effective step never grows
            v_i = max(v_max[i], v_i)
            v_max[i] = v_i
        if eps_inside_sqrt:
            denom = np.sqrt(v_i / bias_correction2 + eps)  # sqrt(v_hat + eps)
        else:
            denom = np.sqrt(v_i) * inv_sqrt_bias_correction2 + eps  # sqrt(v_hat) + eps
        theta[i] = theta_i - step_size * (m_i / denom)  # theta - lr * m_hat / denom


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
        self.amsgrad = _validate.flag(amsgrad, "amsgrad")
        self.eps_inside_sqrt = _validate.flag(eps_inside_sqrt, "eps_inside_sqrt")
        super().__init__(params, lr)

    def _uses_state(self, name):
        return name != "max_exp_avg_sq" or self.amsgrad

    def hyperparameters(self):
        return {"betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay, "amsgrad": self.amsgrad,
                "eps_inside_sqrt": self.eps_inside_sqrt}

    def rule_arguments(self):
        return {**super().rule_arguments(), "decoupled_weight_decay": self._decoupled}


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
