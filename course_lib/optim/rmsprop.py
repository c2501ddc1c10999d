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
"""
import numpy as np
from numba import njit

from course_lib import _validate
from course_lib.optim.base import Optimizer, check_flag

__all__ = ["RMSprop"]


@njit(cache=True, error_model="numpy")
def _rmsprop_kernel(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, one_minus_alpha, eps,
                    weight_decay, momentum, centered, use_momentum, eps_inside_sqrt):
    """One RMSprop step over 1-D arrays, in place (grad_avg used only if centered, the buffer only if momentum)."""
    for i in range(param.size):
        g = grad[i] + weight_decay * param[i]
        s = alpha * square_avg[i] + one_minus_alpha * (g * g)
        square_avg[i] = s
        if centered:
            a = alpha * grad_avg[i] + one_minus_alpha * g
            grad_avg[i] = a
            s = s - a * a  # a running estimate of the variance instead of the raw second moment
        if eps_inside_sqrt:
            denom = np.sqrt(s + eps)
        else:
            denom = np.sqrt(s) + eps
        if use_momentum:
            b = momentum * momentum_buffer[i] + g / denom
            momentum_buffer[i] = b
            param[i] -= lr * b
        else:
            param[i] -= lr * (g / denom)


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
        self.centered = check_flag(centered, "centered")
        self.eps_inside_sqrt = check_flag(eps_inside_sqrt, "eps_inside_sqrt")
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

    def _step_scalars(self):
        return (self.lr, self.alpha, 1.0 - self.alpha, self.eps, self.weight_decay, self.momentum,
                self.centered, self.momentum > 0, self.eps_inside_sqrt)
