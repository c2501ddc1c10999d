"""Adagrad: a per-parameter learning rate that shrinks with the sum of all past squared gradients.

Lecture notation (G_t = sum of g_1^2 .. g_t^2, elementwise):

    theta_{t+1} = theta_t - eta * g_t / (sqrt(G_t) + eps)

Parameters that saw large gradients take small steps and rarely-updated ones take large steps; because G_t only
grows, the steps keep shrinking, which can stop learning too early (the motivation for RMSProp and Adadelta).
One lecture writes sqrt(G_t + eps); PyTorch, CS231n and this module put eps outside the root.

The student writes the same rule in NumPy in assignment 05, Part 1 (Adagrad).
"""
import numpy as np
from numba import prange

from course_lib import _validate
from course_lib.optim.base import Optimizer
from course_lib.optim.engine import update_rule

__all__ = ["Adagrad"]


@update_rule
def _adagrad_kernel(theta, g, G, t, lr, lr_decay, weight_decay, eps):
    """G <- G + g^2; theta <- theta - clr * g / (sqrt(G) + eps), clr = lr / (1 + (t - 1) lr_decay). In place."""
    clr = lr / (1 + (t - 1) * lr_decay)
    like = theta.dtype.type  # the constants in theta's dtype
    clr, weight_decay, eps = like(clr), like(weight_decay), like(eps)
    for i in prange(theta.size):
        g_i = g[i] + weight_decay * theta[i]
        G_i = G[i] + g_i * g_i
        G[i] = G_i
        theta[i] -= clr * (g_i / (np.sqrt(G_i) + eps))


class Adagrad(Optimizer):
    """Adagrad(params, lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10).

    Update, as ``torch.optim.Adagrad`` (t counts steps from 1; `state_sum` is the lecture's G):

        g <- g + weight_decay * theta
        clr = lr / (1 + (t - 1) * lr_decay)          (inverse-time decay of the base rate)
        G <- G + g^2                                 (G starts at initial_accumulator_value)
        theta <- theta - clr * g / (sqrt(G) + eps)

    State: `state_sum` (a list of arrays shaped like params), `step_count`.
    """

    state_names = ("state_sum",)
    _kernel = staticmethod(_adagrad_kernel)

    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        self.lr_decay = _validate.scalar(lr_decay, "lr_decay", low=0.0)
        self.weight_decay = _validate.scalar(weight_decay, "weight_decay", low=0.0)
        self.initial_accumulator_value = _validate.scalar(initial_accumulator_value, "initial_accumulator_value",
                                                          low=0.0)
        self.eps = _validate.scalar(eps, "eps", low=0.0, low_open=True)
        super().__init__(params, lr)

    def _initial_value(self, name):
        return self.initial_accumulator_value

    def hyperparameters(self):
        return {"lr_decay": self.lr_decay, "weight_decay": self.weight_decay,
                "initial_accumulator_value": self.initial_accumulator_value, "eps": self.eps}
