"""Weight penalties: L2 (weight decay), L1 and the elastic net, added to the data loss.

The lecture adds a penalty R(W) to the data loss:

    L = (1/N) sum_i L_i(f(x_i; W), y_i) + lambda * R(W)

    L2:           R(W) = sum_k sum_l W_kl^2          dR/dW = 2 W
    L1:           R(W) = sum_k sum_l |W_kl|          dR/dW = sign(W)   (0 at W = 0, as PyTorch's sign)
    elastic net:  R(W) = sum_k sum_l beta W_kl^2 + |W_kl|

Which arrays are penalised: the weight matrices only, i.e. every parameter with two dimensions (the W of a dense
layer, shape (D_in, D_out)). Biases b, and batch norm's gamma and beta (all one-dimensional), are left alone: they
shift or rescale a unit and do not make the fit more wiggly.

Conventions (this module follows the lecture: no factor 1/2):

- ``l2_penalty(params, lam)`` is lam * sum W^2, with gradient 2 lam W. PyTorch's ``weight_decay=wd`` in ``SGD``
  adds wd * W to the gradient, which is the gradient of (wd / 2) * sum W^2: it equals ``l2_penalty`` with
  ``lam = wd / 2`` (and it acts on every parameter, biases included, unless you use parameter groups).
- ``elastic_net(params, lam, l1_ratio)`` is lam * (l1_ratio * sum |W| + (1 - l1_ratio) * sum W^2), the form with
  one strength and one mixing ratio (l1_ratio = 1: pure L1, l1_ratio = 0: pure L2). The lecture's
  lambda * (beta * sum W^2 + sum |W|) is the same penalty with lam = lambda * (1 + beta) and
  l1_ratio = 1 / (1 + beta).
- Decoupled weight decay (AdamW) is not a penalty on the loss: it belongs to the optimizer (see ``course_lib.optim``).

Every function returns ``(penalty, grads)``: the penalty to add to the loss and a list aligned with ``params`` of
gradients to add to the loss's gradients (zeros for the arrays that are not penalised). ``add_penalty`` does the same
in place on existing gradient arrays, in one fused pass per weight matrix; that is what ``MLP.loss_and_grads`` and
``course_lib.train.fit`` use.
"""
import numpy as np
from numba import njit

from course_lib import _validate

__all__ = ["l2_penalty", "l1_penalty", "elastic_net", "add_penalty", "is_penalised"]


@njit(cache=True, error_model="numpy")
def _penalty_kernel(w, g, l1, l2):
    """g += l1 * sign(w) + 2 * l2 * w for a weight matrix, in one pass; returns l1 * sum|w| + l2 * sum w^2.

    The sums are accumulated in float64 whatever the dtype of w.
    """
    abs_sum = 0.0
    sq_sum = 0.0
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            wij = w[i, j]
            sign = 1.0 if wij > 0 else (-1.0 if wij < 0 else 0.0)
            g[i, j] += l1 * sign + 2.0 * l2 * wij
            abs_sum += abs(wij)
            sq_sum += wij * wij
    return l1 * abs_sum + l2 * sq_sum


def is_penalised(p):
    """True for the arrays the penalties act on: weight matrices (two dimensions), not biases, gamma or beta."""
    return np.ndim(p) == 2


def _check_params(params, name="params"):
    if isinstance(params, np.ndarray) or not hasattr(params, "__iter__"):
        raise TypeError(f"{name} must be a list of arrays like model.params, got {type(params).__name__}")
    arrays = list(params)
    for i, p in enumerate(arrays):
        if not isinstance(p, np.ndarray) or p.dtype not in (np.float32, np.float64):
            raise TypeError(f"{name}[{i}] must be a float32 or float64 numpy array, got {type(p).__name__}")
    return arrays


def _check_grads(params, grads):
    grads = _check_params(grads, "grads")
    if len(grads) != len(params):
        raise ValueError(f"grads has {len(grads)} arrays but params has {len(params)}; they must be aligned")
    for i, (p, g) in enumerate(zip(params, grads)):
        if g.shape != p.shape or g.dtype != p.dtype:
            raise ValueError(f"grads[{i}] has shape {g.shape} and dtype {g.dtype} but params[{i}] has "
                             f"{p.shape} and {p.dtype}")
        if not g.flags.writeable:
            raise ValueError(f"grads[{i}] is read-only; add_penalty adds to it in place")
    return grads


def _strengths(l1, l2):
    l1 = _validate.scalar(l1, "l1", low=0.0)
    l2 = _validate.scalar(l2, "l2", low=0.0)
    return l1, l2


def add_penalty(params, grads, l1=0.0, l2=0.0):
    """Add the elastic-net penalty's gradient to `grads` in place and return the penalty (a Python float).

    penalty = l1 * sum |W| + l2 * sum W^2 over the weight matrices W in `params`;
    grads[k] += l1 * sign(W) + 2 * l2 * W for those matrices (biases, gamma, beta untouched).

    params, grads : aligned lists of arrays (same shapes and dtypes), e.g. ``model.params`` and the gradients from
                    ``model.loss_and_grads``.
    """
    params = _check_params(params)
    grads = _check_grads(params, grads)
    l1, l2 = _strengths(l1, l2)
    if l1 == 0.0 and l2 == 0.0:
        return 0.0
    total = 0.0
    for p, g in zip(params, grads):
        if is_penalised(p):
            total += _penalty_kernel(p, g, p.dtype.type(l1), p.dtype.type(l2))
    return float(total)


def _penalty_and_grads(params, l1, l2):
    params = _check_params(params)
    grads = [np.zeros_like(p) for p in params]
    total = add_penalty(params, grads, l1=l1, l2=l2)
    return total, grads


def l2_penalty(params, lam):
    """L2 penalty (weight decay): returns (lam * sum W^2, grads) with grads = 2 lam W for each weight matrix.

    Only weight matrices count (see the module docstring); the other entries of `grads` are zeros. PyTorch's
    ``weight_decay = wd`` corresponds to ``lam = wd / 2``.
    """
    lam = _validate.scalar(lam, "lam", low=0.0)
    return _penalty_and_grads(params, 0.0, lam)


def l1_penalty(params, lam):
    """L1 penalty: returns (lam * sum |W|, grads) with grads = lam * sign(W) for each weight matrix.

    |W| has a kink at 0; the subgradient used there is 0 (``np.sign(0) == 0``, as in PyTorch). L1 pushes weights to
    exactly zero (sparse weights), L2 only shrinks them.
    """
    lam = _validate.scalar(lam, "lam", low=0.0)
    return _penalty_and_grads(params, lam, 0.0)


def elastic_net(params, lam, l1_ratio=0.5):
    """Elastic net: returns (lam * (l1_ratio * sum |W| + (1 - l1_ratio) * sum W^2), grads).

    l1_ratio in [0, 1] mixes the two: 1 gives `l1_penalty(params, lam)`, 0 gives `l2_penalty(params, lam)`. The
    lecture's lambda * sum (beta W^2 + |W|) is lam = lambda * (1 + beta), l1_ratio = 1 / (1 + beta).
    """
    lam = _validate.scalar(lam, "lam", low=0.0)
    l1_ratio = _validate.scalar(l1_ratio, "l1_ratio", low=0.0, high=1.0)
    return _penalty_and_grads(params, lam * l1_ratio, lam * (1.0 - l1_ratio))
