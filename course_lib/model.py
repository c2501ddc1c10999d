"""A multi-layer perceptron (MLP) whose whole forward and backward pass is one Numba-compiled function.

Notation (the lectures'): L dense layers, layer l maps a^{[l-1]} (N, D_{l-1}) to a^{[l]} (N, D_l), a^{[0]} = X:

    z^{[l]} = a^{[l-1]} W^{[l]} + b^{[l]}              W^{[l]}: (D_{l-1}, D_l), b^{[l]}: (D_l,)
    hidden layers (l < L), in this order:
        s^{[l]} = BN(z^{[l]}) = gamma^{[l]} * xhat + beta^{[l]}   (only with batchnorm=True; else s = z)
        a^{[l]} = dropout(f(s^{[l]}))                             (only with dropout > 0 and in training)
    output layer: z^{[L]} are the logits (scores), and
        "softmax": yhat = softmax(z^{[L]}),  cost = -(1/N) sum_i log yhat_{i, y_i}       (integer labels y_i)
        "sigmoid": yhat = sigma(z^{[L]}),    cost = -(1/(N K)) sum_ik t log yhat + (1-t) log(1-yhat)   (t in {0,1})
        "linear":  yhat = z^{[L]},           cost = (1/(N K)) sum_ik (yhat - t)^2                       (MSE)

These are PyTorch's ``CrossEntropyLoss``, ``BCEWithLogitsLoss`` and ``MSELoss`` with their default mean reduction.
W is stored (D_in, D_out), so a row of X times W gives the layer's outputs: PyTorch's ``nn.Linear.weight`` is the
transpose, W = weight.T.

Backward pass (the chain rule, layer by layer, from the output back):

    dz^{[L]} = (yhat - onehot(y)) / N  (softmax),  (yhat - t) / (N K)  (sigmoid),  2 (yhat - t) / (N K)  (linear)
    for l = L, ..., 1:
        dW^{[l]} = a^{[l-1]}^T dz^{[l]}          db^{[l]} = sum over the rows of dz^{[l]}
        da^{[l-1]} = dz^{[l]} W^{[l]}^T
        ds^{[l-1]} = da^{[l-1]} * mask / (1 - p) * f'(s^{[l-1]})                 (dropout, then the activation)
        batch norm: dbeta = sum_i ds,  dgamma = sum_i ds * xhat,
                    dz = gamma / (N sigma) * (N ds - dbeta - xhat * dgamma)       (sigma = sqrt(var + eps))

Batch norm (Ioffe & Szegedy; PyTorch ``BatchNorm1d`` semantics): in training, xhat = (z - mu_B) / sqrt(var_B + eps)
with the mini-batch mean and biased variance, and the running statistics are updated as
running_mean <- (1 - momentum) running_mean + momentum mu_B, running_var <- (1 - momentum) running_var +
momentum var_B N / (N - 1) (unbiased). In evaluation the running statistics replace mu_B and var_B. Defaults
momentum = 0.1, eps = 1e-5. BN sits after the dense layer and before the activation, as in the lecture. (With BN, the
dense bias b is redundant: BN subtracts the mean, so db is 0. It is kept so every layer has the same parameters.)

Dropout (Srivastava et al.): "inverted" dropout, as in PyTorch: in training each hidden activation is dropped with
probability p = `dropout` and the kept ones are divided by 1 - p, so nothing changes at test time. (The lecture's
slide keeps units with probability p and multiplies by p at test time instead; same expected values.) The masks come
from the model's own generator, seeded by `seed`, so a run repeats exactly. To check gradients, fix the masks:
``loss_and_grads(X, y, masks=[m1, m2, ...])`` with one 0/1 array of shape (N, D_l) per hidden layer
(1 = keep); ``model.dropout_masks`` holds the masks of the last training pass.

The network IS the composition of `course_lib.layers`' forward/backward pairs (affine, batch norm, activation,
dropout, then the loss): tests/test_model.py composes those pairs by hand and matches this model's cost and every
gradient to 1e-12. The model does not call them one by one because it is trained for hundreds of steps inside
sliders and graded loops: one compiled pass over the whole network, reading the parameters from one buffer and
writing intermediates into a reused scratch buffer, avoids a Python call, a validation and new arrays per layer and
per step (the measured cost is in docs/performance.md, "one training step"). The layer loops it needs that
`layers` also has are shared with it, inlined where they are cheap (`layers._add_bias`, `layers._bias_grad`,
`layers._batch_statistics`, `layers._batchnorm_sums`).

Parameters live in ONE flat buffer (`flat_params`), and `params` is the list of views into it, in layer order
``[W1, b1, (gamma1, beta1,) W2, b2, ...]`` (`param_names` says which is which); gradients likewise (`flat_grads`,
`grads`). Writing into ``model.params[k]`` changes the model; an optimizer built on ``model.params`` updates the
whole model in one kernel call. The pass's intermediate arrays (z, a, their gradients) live in a scratch buffer kept
per batch size, so a training step allocates nothing that grows with N.
"""
import math
import sys

import numpy as np
from numba import njit

from course_lib import _validate
from course_lib import activations, layers, losses, regularization
from course_lib._numba_cache import forget_if_dependencies_changed
from course_lib.activations import ACTIVATION_CODES, LEAKY_RELU, RELU, _sigmoid, activation_code
from course_lib.layers import _add_bias, _batch_statistics, _batchnorm_sums, _bias_grad
from course_lib.losses import _bce_with_logits_kernel, _mse_kernel, _row_max, _softmax_row
from course_lib.optim.flat import flat_parameters
from course_lib.regularization import _penalty_kernel

__all__ = ["MLP", "OUTPUTS"]

SOFTMAX, SIGMOID, LINEAR = 0, 1, 2
OUTPUTS = {"softmax": SOFTMAX, "sigmoid": SIGMOID, "linear": LINEAR}

# The activations' scalar formulas, compiled INTO the kernel below (inline="always") from the very same Python
# source as `activations._activation_value` / `_activation_deriv`: called as separate functions, once per element,
# they cost several times more than the formula itself (no loop vectorization).
_activation_value = njit(inline="always", error_model="numpy")(activations._activation_value.py_func)
_activation_deriv = njit(inline="always", error_model="numpy")(activations._activation_deriv.py_func)

# Columns of the layout table that tells the kernel where each layer's arrays are in the flat buffers.
_D_IN, _D_OUT, _W, _B, _GAMMA, _BETA, _COL = range(7)


# ---------------------------------------------------------------------------------------------------------------
# Small compiled pieces
# ---------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _matrix(flat, offset, rows, cols):
    """The (rows, cols) matrix stored in flat[offset : offset + rows*cols], row by row (a view, no copy)."""
    return flat[offset:offset + rows * cols].reshape(rows, cols)


@njit(cache=True, error_model="numpy")
def _softmax_and_xent(z, labels, out, dz):
    """out = softmax(z) and the mean cross-entropy with its gradient dz = (out - onehot(labels)) / N, for z (N, K):
    `losses._softmax_row` and `losses._softmax_xent_kernel` in one pass, each row's exponentials computed once
    (the same operations in the same order: bitwise the same results, tested)."""
    n, k = z.shape
    scale = 1.0 / n
    cost = 0.0
    for i in range(n):
        m = _row_max(z[i])
        total = 0.0
        for c in range(k):
            e = math.exp(z[i, c] - m)
            out[i, c] = e
            total += e
        inv = 1.0 / total
        factor = scale / total
        for c in range(k):
            dz[i, c] = out[i, c] * factor
            out[i, c] *= inv
        dz[i, labels[i]] -= scale
        cost += math.log(total) + (m - z[i, labels[i]])
    return cost * scale


@njit(cache=True, error_model="numpy")
def _output_layer(z, labels, targets, out_code, out, dz):
    """Output activation and cost for the logits z (N, K); dcost/dz goes into dz (N, K).

    out receives yhat (softmax probabilities, sigmoid probabilities, or z itself for a linear output). labels (N,)
    are used for softmax, targets (N, K) for sigmoid and linear; with neither (empty arrays) the cost is NaN and dz
    is left alone (forward only). The costs and their gradients come from `course_lib.losses`' compiled pieces
    (means over N for softmax, over N*K otherwise, accumulated in float64).
    """
    n, k = z.shape
    if out_code == SOFTMAX:
        if labels.shape[0] == 0:
            for i in range(n):
                _softmax_row(z[i], out[i])
            return np.nan
        return _softmax_and_xent(z, labels, out, dz)
    if out_code == SIGMOID:
        for i in range(n):
            for j in range(k):
                out[i, j] = _sigmoid(z[i, j])
        if targets.shape[0] == 0:
            return np.nan
        return _bce_with_logits_kernel(z.reshape(n * k), targets.reshape(n * k), dz.reshape(n * k))
    for i in range(n):
        for j in range(k):
            out[i, j] = z[i, j]
    if targets.shape[0] == 0:
        return np.nan
    return _mse_kernel(z.reshape(n * k), targets.reshape(n * k), dz.reshape(n * k))


@njit(cache=True, error_model="numpy")
def _fraction_correct(out, labels):
    """mean(argmax(out, axis=1) == labels) for out (N, K), labels (N,), without the temporaries; np.argmax's rule:
    the first largest entry of a row, or its first NaN."""
    n, k = out.shape
    correct = 0
    for i in range(n):
        best = 0
        for j in range(1, k):
            if out[i, best] != out[i, best]:  # a NaN is the row's argmax
                break
            if out[i, j] > out[i, best] or out[i, j] != out[i, j]:
                best = j
        correct += best == labels[i]
    return correct / n


# ---------------------------------------------------------------------------------------------------------------
# One layer's pieces, forward and backward side by side. Every array they write is given to them (views into the
# model's workspace), so a training step allocates nothing of size N.
# ---------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _dense_forward(a, theta, layout, l, z, with_bias):
    """z = a W + b for dense layer l: a (N, D_in) -> z (N, D_out); without `with_bias`, z = a W only (the
    activation loop that reads z next adds b: one pass over z fewer)."""
    d_in, d_out = layout[l, _D_IN], layout[l, _D_OUT]
    np.dot(a, _matrix(theta, layout[l, _W], d_in, d_out), z)
    if with_bias:
        _add_bias(z, theta[layout[l, _B]:layout[l, _B] + d_out])


@njit(cache=True, error_model="numpy")
def _dense_backward(a, dz, theta, grad, layout, l, da, with_bias):
    """dW = a^T dz and db = sum over the rows of dz, written into `grad`; da = dz W^T (N, D_in) unless da is
    empty (the first layer: nobody needs the gradient with respect to X). Without `with_bias`, db is left to
    the activation's backward loop that made dz (one pass over dz fewer)."""
    d_in, d_out = layout[l, _D_IN], layout[l, _D_OUT]
    np.dot(a.T, dz, _matrix(grad, layout[l, _W], d_in, d_out))
    if with_bias:
        _bias_grad(dz, grad[layout[l, _B]:layout[l, _B] + d_out])
    if da.shape[0] > 0:
        np.dot(dz, _matrix(theta, layout[l, _W], d_in, d_out).T, da)


@njit(cache=True, error_model="numpy")
def _batchnorm_train_forward(z, running_mean, running_var, momentum, eps, inv_std):
    """Training-mode batch norm, in place: z <- xhat = (z - mu_B) / sqrt(var_B + eps), with the batch mean mu_B and
    biased variance var_B of each column; updates the running statistics (unbiased variance, as PyTorch) and
    stores inv_std = 1 / sqrt(var_B + eps) (D,) for the backward pass. (gamma and beta are applied by
    `_activation_forward`, so that z keeps xhat for the backward pass.)"""
    n, d = z.shape
    mu, var = _batch_statistics(z, running_mean, running_var, momentum)
    for j in range(d):
        inv_std[j] = 1.0 / np.sqrt(var[j] + eps)
    for i in range(n):
        for j in range(d):
            z[i, j] = (z[i, j] - mu[j]) * inv_std[j]


@njit(cache=True, error_model="numpy")
def _batchnorm_eval_forward(z, gamma, beta, running_mean, running_var, eps):
    """Evaluation-mode batch norm, in place: z <- gamma (z - running_mean) / sqrt(running_var + eps) + beta."""
    n, d = z.shape
    for j in range(d):
        scale = gamma[j] / np.sqrt(running_var[j] + eps)
        for i in range(n):
            z[i, j] = scale * (z[i, j] - running_mean[j]) + beta[j]


@njit(cache=True, error_model="numpy")
def _batchnorm_backward(ds, xhat, gamma, inv_std, dgamma, dbeta):
    """Back through s = gamma xhat + beta and xhat = (z - mu_B) * inv_std, in place: ds <- dz.

    dbeta = sum_i ds,  dgamma = sum_i ds * xhat  (written into the gradient buffer),
    dz = gamma inv_std / N * (N ds - dbeta - xhat dgamma)   (mu_B and var_B depend on every row of the batch)."""
    n, d = ds.shape
    sum_ds, sum_ds_xhat = _batchnorm_sums(ds, xhat)
    for j in range(d):
        dbeta[j] = sum_ds[j]
        dgamma[j] = sum_ds_xhat[j]
    for i in range(n):
        for j in range(d):
            ds[i, j] = gamma[j] * inv_std[j] / n * (n * ds[i, j] - sum_ds[j] - xhat[i, j] * sum_ds_xhat[j])


@njit(inline="always", error_model="numpy")
def _activation_forward_loop(z, gamma, beta, scale_shift, code, act_param, uniform, col, drop_p, a, hidden_out, b):
    n, d = z.shape
    dropping = uniform.shape[0] > 0
    adding_bias = b.shape[0] > 0
    keep_scale = 1.0 / (1.0 - drop_p)
    for i in range(n):
        for j in range(d):
            if adding_bias:
                z[i, j] += b[j]  # z = a W + b, kept for the backward pass
            s = gamma[j] * z[i, j] + beta[j] if scale_shift else z[i, j]
            value = _activation_value(code, s, act_param)
            if dropping:
                value = value * keep_scale if uniform[i, col + j] >= drop_p else 0.0
            a[i, j] = value
            if hidden_out.shape[0] > 0:
                hidden_out[i, col + j] = value


@njit(cache=True, error_model="numpy")
def _activation_forward(z, gamma, beta, scale_shift, act_code, act_param, uniform, col, drop_p, a, hidden_out, b):
    """a = dropout(f(s)) for a hidden layer (N, D); s = gamma z + beta when `scale_shift` (z holds batch norm's
    xhat), else s = z. Unit j of row i is kept where uniform[i, col + j] >= drop_p and then divided by 1 - drop_p
    (no dropout when uniform is empty). hidden_out, if not empty, receives a in columns col..
    b, if not empty, is the dense layer's bias, added to z first (z <- z + b, in place, as `_add_bias` does).

    ReLU and leaky ReLU get loops of their own, compiled with the activation fixed (so that the loop vectorizes);
    the other activations share one loop. Why, measured: docs/performance.md, "Where the time goes"."""
    if act_code == RELU:
        _activation_forward_loop(z, gamma, beta, scale_shift, RELU, act_param, uniform, col, drop_p, a, hidden_out,
                                 b)
    elif act_code == LEAKY_RELU:
        _activation_forward_loop(z, gamma, beta, scale_shift, LEAKY_RELU, act_param, uniform, col, drop_p, a,
                                 hidden_out, b)
    else:
        _activation_forward_loop(z, gamma, beta, scale_shift, act_code, act_param, uniform, col, drop_p, a,
                                 hidden_out, b)


@njit(inline="always", error_model="numpy")
def _activation_backward_loop(da, z, gamma, beta, scale_shift, code, act_param, uniform, col, drop_p, db):
    n, d = da.shape
    dropping = uniform.shape[0] > 0
    summing_db = db.shape[0] > 0
    keep_scale = 1.0 / (1.0 - drop_p)
    if summing_db:
        db[:] = 0.0
    for i in range(n):
        for j in range(d):
            s = gamma[j] * z[i, j] + beta[j] if scale_shift else z[i, j]
            ds = da[i, j] * _activation_deriv(code, s, act_param)
            if dropping:
                ds = ds * keep_scale if uniform[i, col + j] >= drop_p else 0.0
            da[i, j] = ds
            if summing_db:
                db[j] += da[i, j]  # the dense layer's db = sum over the rows of dz = ds, as `_bias_grad` sums


@njit(cache=True, error_model="numpy")
def _activation_backward(da, z, gamma, beta, scale_shift, act_code, act_param, uniform, col, drop_p, db):
    """Back through a = dropout(f(s)), in place: da <- ds = da * mask / (1 - p) * f'(s) (same s and mask as
    `_activation_forward`, and the same loops of their own for ReLU and leaky ReLU). db, if not empty, receives
    the sum over the rows of ds: the bias gradient of the dense layer below when ds is its dz (no batch norm)."""
    if act_code == RELU:
        _activation_backward_loop(da, z, gamma, beta, scale_shift, RELU, act_param, uniform, col, drop_p, db)
    elif act_code == LEAKY_RELU:
        _activation_backward_loop(da, z, gamma, beta, scale_shift, LEAKY_RELU, act_param, uniform, col, drop_p,
                                  db)
    else:
        _activation_backward_loop(da, z, gamma, beta, scale_shift, act_code, act_param, uniform, col, drop_p, db)


# ---------------------------------------------------------------------------------------------------------------
# The whole network: forward, cost, backward
# ---------------------------------------------------------------------------------------------------------------
def workspace_size(sizes, n):
    """Entries of the scratch buffer `_mlp_kernel` needs for a batch of n rows (see `_workspace_slots`)."""
    hidden, k = sum(sizes[1:-1]), sizes[-1]
    return n * (3 * hidden + 2 * k) + hidden


@njit(cache=True, error_model="numpy")
def _workspace_slots(layout, n):
    """Where each layer's arrays live in the workspace, for a batch of n rows: slots[l] = offsets of
    z (pre-activation, or xhat with BN), a (activation output) and da (its gradient), each (N, D_l); for the
    output layer: the logits z and dz. The hidden layers' BN inv_std (D_l each) follow at slots[L, 0] + column."""
    n_layers = layout.shape[0]
    slots = np.full((n_layers + 1, 3), -1, dtype=np.int64)
    offset = 0
    for l in range(n_layers):
        width = n * layout[l, _D_OUT]
        kinds = 3 if l < n_layers - 1 else 2
        for kind in range(kinds):
            slots[l, kind] = offset
            offset += width
    slots[n_layers, 0] = offset
    return slots


@njit(cache=True, error_model="numpy")
def _mlp_kernel(X, labels, targets, theta, grad, layout, act_code, act_param, out_code, running_mean, running_var,
                bn_momentum, bn_eps, uniform, drop_p, train, want_grad, work, out, hidden_out):
    """One pass of the MLP on a batch X (N, D_0): forward, cost, and (want_grad) backward into `grad`.

    theta / grad : the flat parameter / gradient buffers; `layout[l]` gives layer l's sizes, the offsets of its
                   W, b, gamma, beta in them (-1: none) and its first column among all hidden units (H of them).
    train        : batch statistics (and running-stat update) for BN, dropout on; otherwise running statistics,
                   no dropout. want_grad needs train.
    uniform      : (N, H) numbers, a hidden unit is kept where uniform >= drop_p (empty: no dropout).
    work         : scratch buffer of `workspace_size(sizes, N)` entries for every intermediate array.
    out          : receives the output activations yhat (N, D_L).
    hidden_out   : (N, H) receives every hidden layer's activations side by side (empty: not wanted).
    Returns the cost (NaN without labels/targets).
    """
    n = X.shape[0]
    last = layout.shape[0] - 1
    slots = _workspace_slots(layout, n)
    no_drop = np.empty((0, 0), dtype=uniform.dtype)
    drop = uniform if train else no_drop  # no dropout in evaluation

    # ---------------- forward: dense -> (batch norm) -> activation -> (dropout), layer by layer ----------------
    a = X
    for l in range(last):
        d, col, g0, b0 = layout[l, _D_OUT], layout[l, _COL], layout[l, _GAMMA], layout[l, _BETA]
        z = _matrix(work, slots[l, 0], n, d)
        batchnorm = g0 >= 0
        _dense_forward(a, theta, layout, l, z, batchnorm)  # without batch norm the activation loop adds b
        gamma = theta[g0:g0 + d] if batchnorm else theta[:0]
        beta = theta[b0:b0 + d] if batchnorm else theta[:0]
        bias = theta[:0] if batchnorm else theta[layout[l, _B]:layout[l, _B] + d]
        if batchnorm and train:
            inv_std = work[slots[last + 1, 0] + col:slots[last + 1, 0] + col + d]
            _batchnorm_train_forward(z, running_mean[col:col + d], running_var[col:col + d], bn_momentum, bn_eps,
                                     inv_std)
        elif batchnorm:
            _batchnorm_eval_forward(z, gamma, beta, running_mean[col:col + d], running_var[col:col + d], bn_eps)
        a = _matrix(work, slots[l, 1], n, d)
        _activation_forward(z, gamma, beta, batchnorm and train, act_code, act_param, drop, col, drop_p, a,
                            hidden_out, bias)
    k = layout[last, _D_OUT]
    z = _matrix(work, slots[last, 0], n, k)  # the logits
    _dense_forward(a, theta, layout, last, z, True)
    dz = _matrix(work, slots[last, 1], n, k)
    cost = _output_layer(z, labels, targets, out_code, out, dz)
    if not want_grad:
        return cost

    # ---------------- backward: the same layers in reverse order ----------------
    bias_summed = False  # whether the activation's backward loop already summed this layer's db
    for l in range(last, -1, -1):
        if l == 0:
            _dense_backward(X, dz, theta, grad, layout, l, no_drop, not bias_summed)
            break
        h = l - 1  # the hidden layer whose output a^{[h]} was the input of layer l
        d, col, g0, b0 = layout[h, _D_OUT], layout[h, _COL], layout[h, _GAMMA], layout[h, _BETA]
        da = _matrix(work, slots[h, 2], n, d)
        _dense_backward(_matrix(work, slots[h, 1], n, d), dz, theta, grad, layout, l, da, not bias_summed)
        z = _matrix(work, slots[h, 0], n, d)
        batchnorm = g0 >= 0
        gamma = theta[g0:g0 + d] if batchnorm else theta[:0]
        beta = theta[b0:b0 + d] if batchnorm else theta[:0]
        # without batch norm, ds is layer h's dz: its db is summed in the same loop
        db = grad[:0] if batchnorm else grad[layout[h, _B]:layout[h, _B] + d]
        _activation_backward(da, z, gamma, beta, batchnorm, act_code, act_param, drop, col, drop_p, db)
        bias_summed = not batchnorm
        if batchnorm:
            inv_std = work[slots[last + 1, 0] + col:slots[last + 1, 0] + col + d]
            _batchnorm_backward(da, z, gamma, inv_std, grad[g0:g0 + d], grad[b0:b0 + d])
        dz = da
    return cost


# ---------------------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------------------
_flag = _validate.flag


def _check_sizes(sizes):
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a list of layer widths like [2, 64, 64, 3], got {type(sizes).__name__}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least the input and output widths (2 numbers), got {sizes}")
    return tuple(_validate.scalar(s, f"sizes[{k}]", low=1, integer=True) for k, s in enumerate(sizes))


class MLP:
    """A fully connected network: dense layers, optional batch norm and dropout on the hidden layers.

    MLP(sizes, activation="relu", output="softmax", batchnorm=False, dropout=0.0, init="he", seed=0,
        dtype=np.float64, activation_params=None, init_scale=None, bn_momentum=0.1, bn_eps=1e-5)

    sizes      : [D_0, D_1, ..., D_L]: input width, hidden widths, output width (at least 2 numbers, each >= 1).
    activation : hidden activation, a name from `course_lib.activations.ACTIVATION_CODES` ("relu", "tanh", ...);
                 `activation_params` passes its parameter, e.g. {"slope": 0.1} for "leaky_relu".
    output     : "softmax" (integer labels, cross-entropy), "sigmoid" (0/1 targets, binary cross-entropy) or
                 "linear" (real targets, mean squared error). See the module docstring for the formulas.
    batchnorm  : batch norm after every hidden dense layer, before its activation.
    dropout    : probability p of dropping each hidden activation in training (inverted dropout), 0 <= p < 1.
    init       : weight initialization, a name from `course_lib.init.INITS` or a function (see `course_lib.init`);
                 `init_scale` is its scale (the value for "constant", the std for "normal", a gain otherwise).
    seed       : seeds the model's generator `rng` (initial weights, then the dropout masks); None: not repeatable.
    dtype      : np.float64 or np.float32; parameters, gradients and outputs have it, inputs are cast to it.

    Main methods: `forward`, `logits`, `loss_and_grads` (a training pass), `loss`, `predict`, `accuracy`,
    `hidden_activations`, `state_dict` / `load_state_dict` / `copy`.
    """

    def __init__(self, sizes, activation="relu", output="softmax", batchnorm=False, dropout=0.0, init="he", seed=0,
                 dtype=np.float64, activation_params=None, init_scale=None, bn_momentum=0.1, bn_eps=1e-5):
        from course_lib import init as init_module  # init.py documents the schemes; it does not import this module

        self.sizes = _check_sizes(sizes)
        if not isinstance(activation, str):
            raise TypeError(f"activation must be a name like 'relu', got {type(activation).__name__}")
        _validate.one_of(activation, "activation", tuple(ACTIVATION_CODES))
        if activation_params is not None and not isinstance(activation_params, dict):
            raise TypeError(f"activation_params must be a dict like {{'slope': 0.1}}, got "
                            f"{type(activation_params).__name__}")
        self.activation = activation
        self.activation_params = dict(activation_params or {})
        self._act_code, self._act_param = activation_code(activation, **self.activation_params)
        if not isinstance(output, str):
            raise TypeError(f"output must be a name like 'softmax', got {type(output).__name__}")
        self.output = _validate.one_of(output, "output", tuple(OUTPUTS))
        if output == "softmax" and self.sizes[-1] < 2:
            raise ValueError(f"a softmax output needs at least 2 classes, got sizes[-1] = {self.sizes[-1]}; "
                             "use output='sigmoid' for one yes/no output")
        self.batchnorm = _flag(batchnorm, "batchnorm")
        self.dropout = _validate.scalar(dropout, "dropout", low=0.0, high=1.0, high_open=True)
        self.bn_momentum = _validate.scalar(bn_momentum, "bn_momentum", low=0.0, high=1.0)
        self.bn_eps = _validate.scalar(bn_eps, "bn_eps", low=0.0, low_open=True)
        if dtype not in (np.float32, np.float64, np.dtype(np.float32), np.dtype(np.float64)):
            raise TypeError(f"dtype must be np.float32 or np.float64, got {dtype!r}")
        self.dtype = np.dtype(dtype).type
        if seed is not None:
            seed = _validate.scalar(seed, "seed", low=0, integer=True)
        self.seed = seed
        self.init = init
        self.init_scale = init_scale
        self._build()
        self.rng = np.random.default_rng(seed)
        init_module.initialize(self, init, scale=init_scale)

    # ---- construction -------------------------------------------------------------------------------------------
    def _build(self):
        """Allocate the flat buffers, the views into them, and the layout table the kernel reads."""
        L = len(self.sizes) - 1
        names, shapes = [], []
        for l in range(1, L + 1):
            d_in, d_out = self.sizes[l - 1], self.sizes[l]
            names += [f"W{l}", f"b{l}"]
            shapes += [(d_in, d_out), (d_out,)]
            if self.batchnorm and l < L:
                names += [f"gamma{l}", f"beta{l}"]
                shapes += [(d_out,), (d_out,)]
        self.param_names = names
        self.flat_params, self.params = flat_parameters(shapes, self.dtype)
        self.flat_grads, self.grads = flat_parameters(shapes, self.dtype)

        hidden = self.sizes[1:-1]
        self._n_hidden_units = int(sum(hidden))
        H = self._n_hidden_units if self.batchnorm else 0
        self._running = np.zeros(2 * H, dtype=self.dtype)
        self._running_mean, self._running_var = self._running[:H], self._running[H:]
        self.running_means, self.running_vars = [], []
        layout = np.full((L, 7), -1, dtype=np.int64)
        offsets = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
        index = {name: k for k, name in enumerate(names)}
        col = 0
        for l in range(1, L + 1):
            row = layout[l - 1]
            row[_D_IN], row[_D_OUT] = self.sizes[l - 1], self.sizes[l]
            row[_W], row[_B] = offsets[index[f"W{l}"]], offsets[index[f"b{l}"]]
            if l < L:
                row[_COL] = col
                if self.batchnorm:
                    row[_GAMMA], row[_BETA] = offsets[index[f"gamma{l}"]], offsets[index[f"beta{l}"]]
                    self.running_means.append(self._running_mean[col:col + self.sizes[l]])
                    self.running_vars.append(self._running_var[col:col + self.sizes[l]])
                col += self.sizes[l]
        self._layout = layout
        self._empty_labels = np.empty(0, dtype=np.int64)
        self._empty_2d = np.empty((0, 0), dtype=self.dtype)
        self._last_uniform = None
        self._workspaces = {}

    def reset_buffers(self):
        """Batch norm's running statistics back to their start: mean 0, variance 1 (as PyTorch)."""
        self._running_mean[:] = 0.0
        self._running_var[:] = 1.0
        self._last_uniform = None

    # ---- checking the inputs ------------------------------------------------------------------------------------
    @property
    def n_params(self):
        """Number of trainable numbers (weights, biases, gamma, beta)."""
        return int(self.flat_params.size)

    def _inputs(self, X, name="X"):
        X = _validate.float_array(X, name, ndim=2, finite=True, dtype=self.dtype)
        if not X.flags.writeable:  # the kernel is compiled for writable arrays; a read-only one would recompile
            X = X.copy()
        _validate.check_shape(X, (None, self.sizes[0]), name)
        if X.shape[0] == 0:
            raise ValueError(f"{name} has no rows: give at least one example")
        return X

    def _targets(self, y, n, name="y"):
        """(labels, targets) for the kernel: int64 labels for softmax, (N, K) float targets otherwise."""
        k = self.sizes[-1]
        if self.output == "softmax":
            return _validate.labels_array(y, name, n_classes=k, length=n), self._empty_2d
        t = _validate.float_array(y, name, ndim=(1, 2), finite=True, dtype=self.dtype)
        if t.ndim == 1:
            if k != 1:
                raise ValueError(f"{name} must have shape ({n}, {k}) for {k} outputs, got {t.shape}")
            t = t.reshape(-1, 1)
        if t.shape[0] != n:
            raise ValueError(f"{name} has {t.shape[0]} rows but there are {n} rows of inputs")
        _validate.check_shape(t, (n, k), name)
        if self.output == "sigmoid" and t.size and (t.min() < 0 or t.max() > 1):
            raise ValueError(f"{name} must hold 0/1 targets (or probabilities in [0, 1]) for a sigmoid output, "
                             f"got values from {t.min()} to {t.max()}")
        return self._empty_labels, np.ascontiguousarray(t)

    def _masks(self, masks, n):
        """The user's fixed dropout masks as one (N, H) array of 0/1 (1 = keep)."""
        if self.dropout == 0.0:
            raise ValueError("masks were given but this model has dropout=0.0; build it with dropout > 0")
        hidden = self.sizes[1:-1]
        if isinstance(masks, np.ndarray) or not isinstance(masks, (list, tuple)) or len(masks) != len(hidden):
            raise ValueError(f"masks must be a list of {len(hidden)} arrays, one per hidden layer, shapes "
                             f"{[(n, h) for h in hidden]}")
        keep = np.empty((n, self._n_hidden_units), dtype=self.dtype)
        col = 0
        for k, (m, h) in enumerate(zip(masks, hidden)):
            m = np.asarray(m)
            if m.shape != (n, h):
                raise ValueError(f"masks[{k}] must have shape ({n}, {h}), got {m.shape}")
            if not np.all((m == 0) | (m == 1)):
                raise ValueError(f"masks[{k}] must hold 0 (drop) and 1 (keep) only")
            keep[:, col:col + h] = m
            col += h
        return keep

    # ---- the passes ---------------------------------------------------------------------------------------------
    def _run(self, X, labels, targets, train, want_grad, out_code=None, uniform=None, hidden_out=None):
        """Call the kernel on checked arrays; returns (cost, yhat)."""
        n = X.shape[0]
        if train and self.batchnorm and n < 2:
            raise ValueError("batch norm needs at least 2 examples per training batch (the variance of one example "
                             "is 0); use batch_size >= 2 or batchnorm=False")
        if uniform is None:
            if train and self.dropout > 0.0:
                uniform = self.rng.random((n, self._n_hidden_units), dtype=self.dtype)
            else:
                uniform = self._empty_2d
        if train and self.dropout > 0.0:
            self._last_uniform = uniform
        out = np.empty((n, self.sizes[-1]), dtype=self.dtype)
        t = self.dtype
        cost = _mlp_kernel(
            X, labels, targets, self.flat_params, self.flat_grads, self._layout, self._act_code,
            t(self._act_param), OUTPUTS[self.output] if out_code is None else out_code,
            self._running_mean, self._running_var, t(self.bn_momentum), t(self.bn_eps), uniform, t(self.dropout),
            train, want_grad, self._workspace(n), out, self._empty_2d if hidden_out is None else hidden_out)
        return float(cost), out

    def _workspace(self, n):
        """The scratch buffer for batches of n rows, kept for reuse (the last few batch sizes seen)."""
        work = self._workspaces.pop(n, None)
        if work is None:
            work = np.empty(workspace_size(self.sizes, n), dtype=self.dtype)
            if len(self._workspaces) >= 4:
                self._workspaces.pop(next(iter(self._workspaces)))
        self._workspaces[n] = work  # most recently used last
        return work

    def _penalty(self, l1, l2, add_to_grads):
        """l1 * sum|W| + l2 * sum W^2 over the weight matrices; optionally add its gradient to `grads`."""
        if l1 == 0.0 and l2 == 0.0:
            return 0.0
        total = 0.0
        t = self.dtype
        for name, p, g in zip(self.param_names, self.params, self.grads):
            if name.startswith("W"):
                sink = g if add_to_grads else np.zeros_like(g)
                total += _penalty_kernel(p, sink, t(l1), t(l2))
        return float(total)

    def forward(self, X, train=False):
        """The network's output yhat for inputs X (N, D_0): shape (N, D_L).

        "softmax": class probabilities (rows sum to 1); "sigmoid": probabilities in (0, 1); "linear": the values.
        train=False (default) is evaluation mode (BN running statistics, no dropout); train=True runs a training
        pass without gradients (BN batch statistics and running-stat update, dropout masks drawn).
        """
        X = self._inputs(X)
        train = _flag(train, "train")
        return self._run(X, self._empty_labels, self._empty_2d, train, False)[1]

    __call__ = forward

    def logits(self, X, train=False):
        """The output layer's pre-activations z^{[L]} (N, D_L), the scores before softmax/sigmoid."""
        X = self._inputs(X)
        train = _flag(train, "train")
        return self._run(X, self._empty_labels, self._empty_2d, train, False, out_code=LINEAR)[1]

    def loss_and_grads(self, X, y, l2=0.0, l1=0.0, masks=None):
        """A TRAINING pass: (cost, grads) with grads aligned with `params`.

        cost = data cost (see the module docstring) + l1 * sum|W| + l2 * sum W^2 (weights only; see
        `course_lib.regularization`). Batch norm uses the batch statistics and updates the running ones; dropout
        draws new masks from `rng` unless `masks` fixes them (a list of 0/1 arrays (N, D_l), one per hidden layer).

        y: integer labels (N,) for softmax; 0/1 targets (N,) or (N, 1) [(N, K) for K outputs] for sigmoid; targets
        (N, K) (or (N,) when K = 1) for linear.

        The returned grads are the model's gradient buffers (`model.grads`): the next pass overwrites them; copy
        them to keep them.
        """
        X = self._inputs(X)
        labels, targets = self._targets(y, X.shape[0])
        l1, l2 = _validate.scalar(l1, "l1", low=0.0), _validate.scalar(l2, "l2", low=0.0)
        uniform = None if masks is None else self._masks(masks, X.shape[0])
        return self._loss_and_grads_checked(X, labels, targets, l1, l2, uniform)

    def _loss_and_grads_checked(self, X, labels, targets, l1=0.0, l2=0.0, uniform=None):
        """loss_and_grads on arrays already checked (the training loop checks the data once, not every step)."""
        return self._training_pass_checked(X, labels, targets, l1, l2, uniform)[:2]

    def _training_pass_checked(self, X, labels, targets, l1=0.0, l2=0.0, uniform=None):
        """(cost, grads, yhat): loss_and_grads on checked arrays, and the output yhat it computed on the way."""
        cost, out = self._run(X, labels, targets, True, True, uniform=uniform)
        cost += self._penalty(l1, l2, add_to_grads=True)
        return cost, self.grads, out

    def loss(self, X, y, l2=0.0, l1=0.0):
        """The cost in evaluation mode (no dropout, BN running statistics), plus the optional weight penalty."""
        X = self._inputs(X)
        labels, targets = self._targets(y, X.shape[0])
        l1, l2 = _validate.scalar(l1, "l1", low=0.0), _validate.scalar(l2, "l2", low=0.0)
        return self._loss_checked(X, labels, targets, l1, l2)[0]

    def _loss_checked(self, X, labels, targets, l1=0.0, l2=0.0):
        """(cost, yhat) in evaluation mode on checked arrays."""
        cost, out = self._run(X, labels, targets, False, False)
        return cost + self._penalty(l1, l2, add_to_grads=False), out

    def predict(self, X):
        """Predictions: class indices (N,) for softmax; 0/1 (N,) for one sigmoid output, (N, K) for K; values for
        linear (shape (N, D_L), or (N,) when D_L = 1)."""
        return self._predictions(self.forward(X))

    def _predictions(self, out):
        if self.output == "softmax":
            return np.argmax(out, axis=1)
        if self.output == "sigmoid":
            labels = (out > 0.5).astype(np.int64)
            return labels[:, 0] if labels.shape[1] == 1 else labels
        return out[:, 0] if out.shape[1] == 1 else out

    def accuracy(self, X, y):
        """Fraction of correct predictions (evaluation mode). For sigmoid outputs, of correct 0/1 entries."""
        X = self._inputs(X)
        labels, targets = self._targets(y, X.shape[0])
        return self._accuracy_from(self.forward(X), labels, targets)

    def _accuracy_from(self, out, labels, targets):
        if self.output == "softmax":
            return float(_fraction_correct(out, labels))
        if self.output == "sigmoid":
            return float(np.mean((out > 0.5) == (targets > 0.5)))
        raise ValueError("accuracy needs a classifier (output='softmax' or 'sigmoid'); a linear output has none: "
                         "use loss() (the mean squared error)")

    def hidden_activations(self, X):
        """Every hidden layer's activations a^{[l]} in evaluation mode: a list of arrays (N, D_l), l = 1..L-1."""
        X = self._inputs(X)
        table = np.empty((X.shape[0], self._n_hidden_units), dtype=self.dtype)
        self._run(X, self._empty_labels, self._empty_2d, False, False, hidden_out=table)
        out, col = [], 0
        for h in self.sizes[1:-1]:
            out.append(table[:, col:col + h].copy())
            col += h
        return out

    @property
    def dropout_masks(self):
        """The 0/1 keep-masks (one (N, D_l) array per hidden layer) of the last training pass, or None."""
        if self._last_uniform is None:
            return None
        masks, col = [], 0
        for h in self.sizes[1:-1]:
            masks.append((self._last_uniform[:, col:col + h] >= self.dropout).astype(self.dtype))
            col += h
        return masks

    # ---- saving and restoring -----------------------------------------------------------------------------------
    def _buffer_items(self):
        items = list(zip(self.param_names, self.params))
        for l, (m, v) in enumerate(zip(self.running_means, self.running_vars), start=1):
            items += [(f"running_mean{l}", m), (f"running_var{l}", v)]
        return items

    def state_dict(self):
        """Copies of every parameter and batch-norm buffer, by name ("W1", "b1", "gamma1", "running_mean1", ...)."""
        return {name: a.copy() for name, a in self._buffer_items()}

    def load_state_dict(self, state):
        """Copy a `state_dict()` back into this model's arrays, in place (optimizers keep working on them).

        Every name and shape is checked before anything is written.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        items = self._buffer_items()
        expected = [name for name, _ in items]
        if sorted(state) != sorted(expected):
            missing = sorted(set(expected) - set(state))
            extra = sorted(set(state) - set(expected))
            raise ValueError(f"state does not fit this model: missing {missing}, unexpected {extra}")
        checked = []
        for name, target in items:
            value = _validate.float_array(state[name], f"state[{name!r}]", dtype=self.dtype)
            _validate.check_shape(value, target.shape, f"state[{name!r}]")
            checked.append((target, value))
        for target, value in checked:
            target[...] = value
        return self

    def copy(self):
        """An independent model with the same configuration, parameters, buffers and generator state."""
        twin = MLP(self.sizes, activation=self.activation, output=self.output, batchnorm=self.batchnorm,
                   dropout=self.dropout, init="zeros", seed=self.seed, dtype=self.dtype,
                   activation_params=self.activation_params, bn_momentum=self.bn_momentum, bn_eps=self.bn_eps)
        twin.init, twin.init_scale = self.init, self.init_scale
        twin.load_state_dict(self.state_dict())
        twin.rng.bit_generator.state = self.rng.bit_generator.state
        return twin

    def __repr__(self):
        extras = ""
        if self.batchnorm:
            extras += ", batchnorm=True"
        if self.dropout:
            extras += f", dropout={self.dropout}"
        return (f"MLP({list(self.sizes)}, activation={self.activation!r}, output={self.output!r}{extras}, "
                f"dtype={np.dtype(self.dtype).name}, n_params={self.n_params})")


# The kernels above compile in code from these modules; Numba's cache only watches this file (see _numba_cache).
forget_if_dependencies_changed(sys.modules[__name__], [activations, layers, losses, regularization])
