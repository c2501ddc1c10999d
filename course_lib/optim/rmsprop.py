"""RMSProp: divide each gradient by a running root-mean-square of its recent values.

Lecture notation (S is an exponential moving average of the squared gradient, beta typically 0.9 or 0.99):

    S <- beta * S + (1 - beta) * g^2
    theta <- theta - alpha * g / sqrt(S + eps)        (one lecture: eps inside the root)
    theta <- theta - alpha * g / (sqrt(S) + eps)      (CS231n and PyTorch: eps outside the root, the default here)

Unlike Adagrad's ever-growing sum, the EMA forgets old gradients, so the steps do not shrink to zero. PyTorch
calls beta `alpha` and the learning rate `lr`; this module uses PyTorch's names.

The two eps placements are related: sqrt(S + eps**2) <= sqrt(S) + eps <= sqrt(2) * sqrt(S + eps**2), so
eps_inside_sqrt=True with eps_in = eps_out**2 takes steps at most sqrt(2) times larger than the default with
eps_out, equal where S = 0 or S >> eps_out**2. Moving the same eps inside (1e-8 stays 1e-8) is a much bigger
change: the step for S = 0 is lr * g / 1e-8 outside but lr * g / 1e-4 inside.

The student writes the same rule in NumPy in assignment 05, Part 2 (RMSProp, with eps inside or outside the root).
"""
import numpy as np
from numba import prange

from course_lib import _validate
from course_lib.optim.base import Optimizer
from course_lib.optim.engine import update_rule

__all__ = ["RMSprop"]


@update_rule
def _rmsprop_kernel(theta, g, S, g_avg, b, lr, alpha, eps, weight_decay, momentum, centered, eps_inside_sqrt):
    """One RMSprop step over 1-D arrays, in place: S the EMA of g^2, g_avg the EMA of g (used only if centered),
    b the momentum buffer (used only if momentum > 0)."""
    use_momentum = momentum > 0
    one_minus_alpha = 1 - alpha
    like = theta.dtype.type  # the constants in theta's dtype
    lr, alpha, one_minus_alpha, eps, weight_decay, momentum = (like(lr), like(alpha), like(one_minus_alpha),
                                                               like(eps), like(weight_decay), like(momentum))
    for i in prange(theta.size):
        g_i = g[i] + weight_decay * theta[i]
        S_i = alpha * S[i] + one_minus_alpha * (g_i * g_i)
        S[i] = S_i
        if centered:
            a_i = alpha * g_avg[i] + one_minus_alpha * g_i
            g_avg[i] = a_i
            S_i = S_i - a_i * a_i  # a running estimate of the variance instead of the raw second moment
        if eps_inside_sqrt:
            denom = np.sqrt(S_i + eps)
        else:
            denom = np.sqrt(S_i) + eps
        if use_momentum:
            b_i = momentum * b[i] + g_i / denom
            b[i] = b_i
            theta[i] -= lr * b_i
        else:
            theta[i] -= lr * (g_i / denom)


class RMSprop(Optimizer):
    """RMSprop(params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
    eps_inside_sqrt=False).

    Update, as ``torch.optim.RMSprop`` (`square_avg` is the lecture's S, `alpha` the lecture's beta):

        g <- g + weight_decay * theta
        S <- alpha * S + (1 - alpha) * g^2
        centered:  m <- alpha * m + (1 - alpha) * g,  S~ = S - m^2  (else S~ = S)
        d = sqrt(S~) + eps          (eps_inside_sqrt=True: d = sqrt(S~ + eps), the lecture's form)
        momentum > 0:  b <- momentum * b + g / d,  theta <- theta - lr * b
        else:          theta <- theta - lr * g / d

    There is no bias correction: S starts at 0, so the first steps are large (g / sqrt(1 - alpha) for a
    constant g on step 1). With eps_inside_sqrt=False it matches PyTorch; True is not a PyTorch option.

    State: `square_avg`, `grad_avg` (None unless centered), `momentum_buffer` (None unless momentum > 0),
    `step_count`.
    """

    state_names = ("square_avg", "grad_avg", "momentum_buffer")
    _kernel = staticmethod(_rmsprop_kernel)

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 eps_inside_sqrt=False):
        self.alpha = _validate.scalar(alpha, "alpha", low=0.0, high=1.0, high_open=True)
        self.eps = _validate.scalar(eps, "eps", low=0.0, low_open=True)
        self.weight_decay = _validate.scalar(weight_decay, "weight_decay", low=0.0)
        self.momentum = _validate.scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
        self.centered = _validate.flag(centered, "centered")
        self.eps_inside_sqrt = _validate.flag(eps_inside_sqrt, "eps_inside_sqrt")
        super().__init__(params, lr)

    def _uses_state(self, name):
        if name == "grad_avg":
            return self.centered
        if name == "momentum_buffer":
            return self.momentum > 0
        return True

    def hyperparameters(self):
        return {"alpha": self.alpha, "eps": self.eps, "weight_decay": self.weight_decay,
                "momentum": self.momentum, "centered": self.centered, "eps_inside_sqrt": self.eps_inside_sqrt}
