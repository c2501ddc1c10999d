"""Layers as forward/backward pairs: dense (fully connected), activation, batch normalization and dropout.

One convention for every pair (CS231n's): ``out, cache = <layer>_forward(x, ...)`` returns the output and what the
backward pass needs, and ``<layer>_backward(dout, cache)`` takes the upstream gradient dL/d(out) and returns the
gradients of the loss with respect to the forward's inputs, in the same order. A network is these pairs composed:
forward through the layers keeping the caches, backward through them in reverse (tests/test_model.py composes them
by hand and matches `course_lib.model.MLP` to 1e-12). Batches are row-major: x has shape (N, D), one example per row.

    pair                                       forward returns        backward(dout, cache) returns
    affine_forward(x, W, b)                    out, DenseCache         dx, dW, db
    activation_forward(z, name, **params)      a, ActivationCache      dz
    batchnorm_forward(x, gamma, beta, ...)     out, BatchNormCache     dx, dgamma, dbeta
    dropout_forward(x, p, ...)                 out, mask               dx

The dense layer's first pair, ``out = dense_forward(x, W, b)`` and ``dense_backward(dout, x, W)``, predates the
convention and is kept as it was (the notebooks use it); `dense_backward` also accepts ``(dout, cache)``.

    dense      out = x W + b                  W: (D_in, D_out), as in the lectures' x W (PyTorch's nn.Linear
                                              stores the transpose, weight = W.T, and computes x weight^T + bias)
    batchnorm  out = gamma * x_hat + beta,    x_hat = (x - mu_B) / sqrt(sigma_B^2 + eps), per column
    dropout    out = x * mask                 mask = 0 (dropped, probability p) or 1/(1-p) (kept)

Each Numba kernel (`_name_kernel`) sits beside the validated function that calls it; float32 stays float32 and
float64 stays float64 (sums inside the batch-norm kernels are accumulated in float64). Arrays given to one call must
share one dtype: mixing float32 and float64 raises TypeError (plain lists are converted to the dtype of x).
"""
from typing import NamedTuple

import numpy as np
from numba import njit

from course_lib import _validate

__all__ = [
    "affine_forward", "affine_backward", "DenseCache", "activation_forward", "activation_backward", "ActivationCache",
    "dense_forward", "dense_backward",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_graph", "BatchNormCache",
    "dropout_forward", "dropout_backward",
]


def _like(arr, name, dtype, ref="x"):
    """`arr` as a contiguous array of `dtype`: lists are converted, an ndarray of another float dtype is an error."""
    if isinstance(arr, np.ndarray) and arr.dtype.kind == "f" and arr.dtype != dtype:
        raise TypeError(
            f"{name} has dtype {arr.dtype} but {ref} has dtype {np.dtype(dtype)}; use one dtype for all arrays "
            f"(e.g. {name}.astype(np.{np.dtype(dtype).name}))"
        )
    return _validate.float_array(arr, name, dtype=dtype)


_flag = _validate.flag


# =====================================================================================================================
# Dense (fully connected) layer
# =====================================================================================================================

@njit(inline="always", error_model="numpy")
def _add_bias(out, b):
    """out[i, j] += b[j] for every row i: the bias copied to every example. Shared with `model`."""
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] += b[j]


@njit(inline="always", error_model="numpy")
def _bias_grad(dout, db):
    """db[j] = sum_i dout[i, j] (one pass over dout): the copy gate adds the gradients. Shared with `model`."""
    db[:] = 0.0
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            db[j] += dout[i, j]


@njit(cache=True, error_model="numpy")
def _dense_forward_kernel(x, W, b):
    """out = x @ W, then b added to every row in place."""
    out = np.dot(x, W)
    _add_bias(out, b)
    return out


@njit(cache=True, error_model="numpy")
def _dense_backward_kernel(dout, x, W):
    """dx = dout @ W^T, dW = x^T @ dout, db[j] = sum_i dout[i, j]."""
    dx = np.dot(dout, W.T)
    dW = np.dot(x.T, dout)
    db = np.empty(dout.shape[1], dtype=dout.dtype)
    _bias_grad(dout, db)
    return dx, dW, db


def _dense_inputs(x, W):
    x = _validate.float_array(x, "x", ndim=2)
    W = _like(W, "W", x.dtype)
    if W.ndim != 2:
        raise ValueError(f"W must have 2 dimensions (D_in, D_out), got shape {W.shape}")
    if x.shape[1] != W.shape[0]:
        raise ValueError(
            f"x has {x.shape[1]} columns but W has {W.shape[0]} rows; x (N, D_in) @ W (D_in, D_out) needs them equal"
        )
    if 0 in x.shape or 0 in W.shape:
        raise ValueError(f"x {x.shape} and W {W.shape} must not have a dimension of size 0")
    return x, W


def dense_forward(x, W, b):
    """Fully connected layer: out = x W + b, i.e. out[i, k] = sum_j x[i, j] W[j, k] + b[k].

    x : (N, D_in) batch, one example per row.   W : (D_in, D_out).   b : (D_out,).
    Returns out : (N, D_out). (Backward needs x and W again: keep them, as `dense_backward(dout, x, W)` takes them.)
    PyTorch's nn.Linear holds weight = W.T of shape (D_out, D_in).
    """
    x, W = _dense_inputs(x, W)
    b = _like(b, "b", x.dtype)
    _validate.check_shape(b, (W.shape[1],), "b")
    return _dense_forward_kernel(x, W, b)


def dense_backward(dout, x, W=None):
    """Gradients of the dense layer, given dout = dL/d(out) of shape (N, D_out):

        dx = dout W^T   (N, D_in)      dW = x^T dout   (D_in, D_out)      db = sum over the batch of dout   (D_out,)

    (db sums over rows because b was copied to every row in the forward pass: the copy gate adds gradients.)
    Called as ``dense_backward(dout, x, W)`` or, like every other pair, ``dense_backward(dout, cache)`` with the
    `DenseCache` from `affine_forward`. Returns (dx, dW, db), the order of the forward's inputs.
    """
    if W is None and isinstance(x, DenseCache):
        x, W = x
    elif W is None:
        raise TypeError("dense_backward takes (dout, x, W) or (dout, cache) with the DenseCache from affine_forward")
    x, W = _dense_inputs(x, W)
    dout = _like(dout, "dout", x.dtype)
    _validate.check_shape(dout, (x.shape[0], W.shape[1]), "dout")
    return _dense_backward_kernel(dout, x, W)


class DenseCache(NamedTuple):
    """What `affine_forward` hands to the backward pass: x (N, D_in) and W (D_in, D_out), as the forward saw them."""

    x: np.ndarray
    W: np.ndarray


def affine_forward(x, W, b):
    """The dense layer in the pair convention: out = x W + b (as `dense_forward`), and the cache for backward.

    x : (N, D_in).  W : (D_in, D_out).  b : (D_out,).  Returns (out (N, D_out), DenseCache(x, W)).
    """
    x, W = _dense_inputs(x, W)
    b = _like(b, "b", x.dtype)
    _validate.check_shape(b, (W.shape[1],), "b")
    return _dense_forward_kernel(x, W, b), DenseCache(x, W)


def affine_backward(dout, cache):
    """dx = dout W^T, dW = x^T dout, db = sum over rows of dout, from the `DenseCache` of `affine_forward`.

    dout : (N, D_out).  Returns (dx (N, D_in), dW (D_in, D_out), db (D_out,)).
    """
    if not isinstance(cache, DenseCache):
        raise TypeError(f"cache must be the DenseCache returned by affine_forward, got {type(cache).__name__}")
    return dense_backward(dout, cache)


# =====================================================================================================================
# Activation (elementwise)
# =====================================================================================================================

class ActivationCache(NamedTuple):
    """What `activation_forward` hands to the backward pass: its input z, the activation's name and parameters."""

    z: np.ndarray
    name: str
    params: dict


def activation_forward(z, name="relu", **params):
    """a = f(z) elementwise, f one of `course_lib.activations`' elementwise functions by name ("relu", "tanh",
    "leaky_relu" with slope=..., ...). z : any shape. Returns (a, ActivationCache) with a of z's shape."""
    from course_lib import activations  # (activations does not import layers)

    if not isinstance(name, str) or not callable(getattr(activations, name + "_grad", None)):
        names = sorted(n[:-5] for n in dir(activations) if n.endswith("_grad") and not n.startswith("_"))
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(names)}")
    z = _validate.float_array(z, "z")
    return getattr(activations, name)(z, **params), ActivationCache(z, name, dict(params))


def activation_backward(dout, cache):
    """dz = dout * f'(z) (the elementwise chain rule; no Jacobian is formed). dout : z's shape. Returns dz."""
    from course_lib import activations

    if not isinstance(cache, ActivationCache):
        raise TypeError(f"cache must be the ActivationCache returned by activation_forward, got "
                        f"{type(cache).__name__}")
    dout = _like(dout, "dout", cache.z.dtype, ref="z")
    _validate.same_shape(dout, cache.z, "dout", "z")
    return dout * getattr(activations, cache.name + "_grad")(cache.z, **cache.params)


# =====================================================================================================================
# Batch normalization
# =====================================================================================================================

class BatchNormCache(NamedTuple):
    """What `batchnorm_forward` hands to the backward pass (read-only by convention; nothing is stored elsewhere).

    x       : (N, D) the input.
    x_hat   : (N, D) the normalized input (x - mean) * inv_std.
    mean    : (D,) the mean used: the batch mean mu_B in training, running_mean in evaluation.
    var     : (D,) the variance used: the biased batch variance sigma_B^2 in training, running_var in evaluation.
    inv_std : (D,) 1 / sqrt(var + eps).
    gamma   : (D,) the scale.
    eps     : the eps that was used.
    train   : True if the batch statistics were used (then mean and var depend on x and backward accounts for it).
    """

    x: np.ndarray
    x_hat: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    eps: float
    train: bool


@njit(cache=True, error_model="numpy")
def _batch_statistics(x, running_mean, running_var, momentum):
    """Column means mu_B and biased variances var_B of x (N, D), as float64 (two passes), and the running update in
    place, as PyTorch's BatchNorm1d: running_mean <- (1 - m) running_mean + m mu_B and running_var <- (1 - m)
    running_var + m var_B N / (N - 1) (the UNBIASED variance). Returns (mu_B, var_B). Shared with `model`."""
    n, d = x.shape
    mean64 = np.zeros(d)
    var64 = np.zeros(d)
    for i in range(n):
        for j in range(d):
            mean64[j] += x[i, j]
    for j in range(d):
        mean64[j] /= n
    for i in range(n):
        for j in range(d):
            diff = x[i, j] - mean64[j]
            var64[j] += diff * diff
    for j in range(d):
        var64[j] /= n  # biased: used to normalize
        running_mean[j] = (1.0 - momentum) * running_mean[j] + momentum * mean64[j]
        running_var[j] = (1.0 - momentum) * running_var[j] + momentum * var64[j] * n / (n - 1.0)  # unbiased
    return mean64, var64


@njit(cache=True, error_model="numpy")
def _batchnorm_train_kernel(x, gamma, beta, running_mean, running_var, momentum, eps):
    """Batch statistics and the running-statistic update (`_batch_statistics`), then x_hat and out."""
    n, d = x.shape
    mean64, var64 = _batch_statistics(x, running_mean, running_var, momentum)
    mean = np.empty(d, dtype=x.dtype)
    var = np.empty(d, dtype=x.dtype)
    inv_std = np.empty(d, dtype=x.dtype)
    for j in range(d):
        mean[j] = mean64[j]
        var[j] = var64[j]
        inv_std[j] = 1.0 / np.sqrt(var64[j] + eps)
    x_hat = np.empty_like(x)
    out = np.empty_like(x)
    for i in range(n):
        for j in range(d):
            xh = (x[i, j] - mean64[j]) * inv_std[j]
            x_hat[i, j] = xh
            out[i, j] = gamma[j] * xh + beta[j]
    return out, x_hat, mean, var, inv_std


@njit(cache=True, error_model="numpy")
def _batchnorm_eval_kernel(x, gamma, beta, running_mean, running_var, eps):
    """Normalize with the fixed running statistics: x_hat = (x - running_mean) / sqrt(running_var + eps)."""
    n, d = x.shape
    inv_std = np.empty(d, dtype=x.dtype)
    for j in range(d):
        inv_std[j] = 1.0 / np.sqrt(running_var[j] + eps)
    x_hat = np.empty_like(x)
    out = np.empty_like(x)
    for i in range(n):
        for j in range(d):
            xh = (x[i, j] - running_mean[j]) * inv_std[j]
            x_hat[i, j] = xh
            out[i, j] = gamma[j] * xh + beta[j]
    return out, x_hat, inv_std


@njit(cache=True, error_model="numpy")
def _batchnorm_sums(dout, x_hat):
    """The column sums batch norm's backward pass needs, in one pass (float64): dbeta = sum_i dout and
    dgamma = sum_i dout * x_hat. (`course_lib.model`'s kernel uses them too.)"""
    n, d = dout.shape
    sum_dout = np.zeros(d)
    sum_dout_xhat = np.zeros(d)
    for i in range(n):
        for j in range(d):
            sum_dout[j] += dout[i, j]
            sum_dout_xhat[j] += dout[i, j] * x_hat[i, j]
    return sum_dout, sum_dout_xhat


@njit(cache=True, error_model="numpy")
def _batchnorm_backward_kernel(dout, x_hat, gamma, inv_std, train):
    """One pass for the column sums sum(dout) and sum(dout * x_hat), one for dx (closed form)."""
    n, d = dout.shape
    sum_dout, sum_dout_xhat = _batchnorm_sums(dout, x_hat)
    dx = np.empty_like(dout)
    for i in range(n):
        for j in range(d):
            if train:
                dx[i, j] = gamma[j] * inv_std[j] / n * (n * dout[i, j] - sum_dout[j] - x_hat[i, j] * sum_dout_xhat[j])
            else:
                dx[i, j] = gamma[j] * inv_std[j] * dout[i, j]
    dgamma = np.empty(d, dtype=dout.dtype)
    dbeta = np.empty(d, dtype=dout.dtype)
    for j in range(d):
        dgamma[j] = sum_dout_xhat[j]
        dbeta[j] = sum_dout[j]
    return dx, dgamma, dbeta


def _running_stat(arr, name, dtype, d, train):
    """A running statistic (D,). In training it is updated in place, so it must be a writable ndarray of x's dtype;
    in evaluation it is only read, and lists are accepted."""
    if train:
        if not isinstance(arr, np.ndarray):
            raise TypeError(
                f"{name} must be a NumPy array (it is updated in place during training), got {type(arr).__name__}"
            )
        if arr.dtype != dtype:
            raise TypeError(
                f"{name} has dtype {arr.dtype} but x has dtype {np.dtype(dtype)}; it is updated in place, so it must "
                f"have x's dtype (create it with np.zeros(D, dtype=np.{np.dtype(dtype).name}))"
            )
        if not arr.flags.writeable:
            raise ValueError(f"{name} is read-only, but training updates it in place")
    else:
        arr = _like(arr, name, dtype)
    _validate.check_shape(arr, (d,), name)
    _validate.check_finite(arr, name)
    return arr


def batchnorm_forward(x, gamma, beta, running_mean, running_var, train=True, momentum=0.1, eps=1e-5):
    """Batch normalization of each column (feature) of x, the lecture's algorithm (Ioffe and Szegedy, 2015):

        mu_B      = (1/N) sum_i x_i                      mini-batch mean, per column
        sigma_B^2 = (1/N) sum_i (x_i - mu_B)^2           mini-batch variance (biased: divides by N)
        x_hat_i   = (x_i - mu_B) / sqrt(sigma_B^2 + eps) normalize
        y_i       = gamma * x_hat_i + beta               scale and shift

    x : (N, D).  gamma, beta : (D,).  running_mean, running_var : (D,) arrays of x's dtype.
    train=True : normalize with the batch statistics (N >= 2) and update the running statistics IN PLACE exactly as
        torch.nn.BatchNorm1d does (its `momentum` convention):

            running_mean = (1 - momentum) * running_mean + momentum * mu_B
            running_var  = (1 - momentum) * running_var  + momentum * sigma_B^2 * N / (N - 1)   (unbiased!)

        i.e. an exponential moving average with beta = 1 - momentum (momentum=0.1 is beta=0.9). Note that
        normalization uses the biased variance while running_var averages the unbiased one, as in PyTorch.
    train=False : the lecture's test-time rule: normalize with running_mean and running_var; nothing is changed.

    Returns (out, cache): out (N, D) and a `BatchNormCache` for `batchnorm_backward`.
    """
    x = _validate.float_array(x, "x", ndim=2)
    train = _flag(train, "train")
    n, d = x.shape
    if d == 0:
        raise ValueError(f"x must have at least one column, got shape {x.shape}")
    if train and n < 2:
        raise ValueError(
            f"batchnorm in training needs at least 2 rows in x, got N={n}: the variance of a single example is 0 and "
            "the unbiased estimate for running_var divides by N - 1 (use train=False to normalize one example)"
        )
    if n == 0:
        raise ValueError("x has no rows")
    dtype = x.dtype.type
    gamma = _like(gamma, "gamma", x.dtype)
    beta = _like(beta, "beta", x.dtype)
    _validate.check_shape(gamma, (d,), "gamma")
    _validate.check_shape(beta, (d,), "beta")
    momentum = dtype(_validate.scalar(momentum, "momentum", low=0.0, high=1.0))
    eps = dtype(_validate.scalar(eps, "eps", low=0.0, low_open=True))
    rm = _running_stat(running_mean, "running_mean", x.dtype, d, train)
    rv = _running_stat(running_var, "running_var", x.dtype, d, train)
    if rv.size and rv.min() < 0:
        raise ValueError(f"running_var must be >= 0, got a minimum of {rv.min()}")

    if not train:
        out, x_hat, inv_std = _batchnorm_eval_kernel(x, gamma, beta, rm, rv, eps)
        cache = BatchNormCache(x, x_hat, np.array(rm), np.array(rv), inv_std, gamma, float(eps), False)
        return out, cache

    _validate.check_finite(x, "x")  # one NaN would poison the running statistics for good
    # The kernel updates contiguous arrays; a strided view is updated through a copy that is written back.
    rm_work = rm if rm.flags.c_contiguous else np.ascontiguousarray(rm)
    rv_work = rv if rv.flags.c_contiguous else np.ascontiguousarray(rv)
    out, x_hat, mean, var, inv_std = _batchnorm_train_kernel(x, gamma, beta, rm_work, rv_work, momentum, eps)
    if rm_work is not rm:
        rm[...] = rm_work
    if rv_work is not rv:
        rv[...] = rv_work
    return out, BatchNormCache(x, x_hat, mean, var, inv_std, gamma, float(eps), True)


def _backward_inputs(dout, cache):
    if not isinstance(cache, BatchNormCache):
        raise TypeError(f"cache must be the BatchNormCache returned by batchnorm_forward, got {type(cache).__name__}")
    dout = _like(dout, "dout", cache.x.dtype, ref="the forward input x")
    _validate.check_shape(dout, cache.x.shape, "dout")
    return dout


def batchnorm_backward(dout, cache):
    """Gradients of batch normalization, the simplified closed form (per column, sums over the batch i = 1..N):

        dbeta  = sum_i dout_i
        dgamma = sum_i dout_i * x_hat_i
        dx_i   = gamma / (N * sigma) * (N * dout_i - sum_k dout_k - x_hat_i * sum_k dout_k * x_hat_k)

    with sigma = sqrt(sigma_B^2 + eps). The two subtracted terms are what the dependence of mu_B and sigma_B on
    every x_i adds; `batchnorm_backward_graph` derives the same numbers gate by gate. In evaluation mode
    (cache.train False) the statistics are constants and dx_i = gamma * dout_i / sqrt(running_var + eps).

    dout : (N, D) upstream gradient.  Returns (dx (N, D), dgamma (D,), dbeta (D,)).
    """
    dout = _backward_inputs(dout, cache)
    return _batchnorm_backward_kernel(dout, cache.x_hat, cache.gamma, cache.inv_std, cache.train)


def batchnorm_backward_graph(dout, cache):
    """The same gradients as `batchnorm_backward`, by backpropagating through the forward computation graph one
    gate at a time (plain NumPy, slow but readable). The forward pass, as a graph over each column:

        1 mu    = mean(x)           (sum gate, then * 1/N)
        2 xmu   = x - mu            (subtract gate; mu is broadcast to every row)
        3 sq    = xmu ** 2          (square gate)
        4 var   = mean(sq)
        5 std   = sqrt(var + eps)
        6 istd  = 1 / std
        7 x_hat = xmu * istd        (mul gate; xmu is used twice: in 3 and here)
        8 g     = gamma * x_hat     (mul gate)
        9 out   = g + beta          (add gate)

    Broadcasting a (D,) vector to every row is a copy gate, so its gradient is a sum over the batch.
    Returns (dx, dgamma, dbeta).
    """
    dout = _backward_inputs(dout, cache)
    x, gamma, eps = cache.x, cache.gamma, cache.eps
    n = x.shape[0]
    # recompute the forward graph's intermediate values from the cache
    xmu = x - cache.mean
    std = np.sqrt(cache.var + x.dtype.type(eps))
    istd = 1.0 / std
    x_hat = xmu * istd

    # 9 add gate: the gradient passes to both inputs unchanged; beta was broadcast to every row, so sum the rows
    dbeta = dout.sum(axis=0)
    dg = dout
    # 8 mul gate (swap multiplier): d(gamma * x_hat)/d(gamma) = x_hat (summed over rows), /d(x_hat) = gamma
    dgamma = (dg * x_hat).sum(axis=0)
    dx_hat = dg * gamma
    if not cache.train:
        # evaluation: mu and var are constants, so only branch 7 -> 2 -> x carries gradient
        return dx_hat * istd, dgamma, dbeta
    # 7 mul gate: d(xmu * istd)/d(xmu) = istd, /d(istd) = xmu (istd was broadcast: sum the rows)
    dxmu_direct = dx_hat * istd
    distd = (dx_hat * xmu).sum(axis=0)
    # 6 reciprocal gate: d(1/s)/ds = -1/s^2
    dstd = -distd / std**2
    # 5 square-root gate: d sqrt(v + eps)/dv = 1 / (2 sqrt(v + eps))
    dvar = dstd * 0.5 / std
    # 4 mean gate: each of the N entries contributed 1/N
    dsq = np.broadcast_to(dvar / n, x.shape)
    # 3 square gate: d(xmu^2)/d(xmu) = 2 xmu
    dxmu_via_var = 2.0 * xmu * dsq
    # xmu fed both 3 and 7 (copy gate): add the two gradients
    dxmu = dxmu_direct + dxmu_via_var
    # 2 subtract gate: +1 towards x, -1 towards mu (mu was broadcast: sum the rows)
    dx_direct = dxmu
    dmu = -dxmu.sum(axis=0)
    # 1 mean gate: each x_i contributed 1/N to mu
    dx_via_mean = np.broadcast_to(dmu / n, x.shape)
    # x fed both 1 and 2 (copy gate): add
    dx = dx_direct + dx_via_mean
    dtype = x.dtype
    return dx.astype(dtype, copy=False), dgamma.astype(dtype, copy=False), dbeta.astype(dtype, copy=False)


# =====================================================================================================================
# Dropout
# =====================================================================================================================

@njit(cache=True, error_model="numpy")
def _dropout_kernel(x, u, p, scale, out):
    """One pass over flat arrays: u holds uniform [0, 1) draws and is overwritten with the mask.
    A unit is dropped where u < p (probability p) and kept, times `scale`, otherwise."""
    for k in range(x.size):
        m = scale if u[k] >= p else 0.0
        u[k] = m
        out[k] = x[k] * m


@njit(cache=True, error_model="numpy")
def _apply_mask_kernel(a, mask, out):
    """out = a * mask over flat arrays (dropout's backward pass)."""
    for k in range(a.size):
        out[k] = a[k] * mask[k]


def _drop_probability(p):
    p = _validate.scalar(p, "p", low=0.0)
    if p >= 1.0:
        raise ValueError(
            f"p is the probability of DROPPING a unit and must satisfy 0 <= p < 1, got {p}: p=1 would drop every "
            "unit (and inverted dropout would divide by 1 - p = 0)"
        )
    return p


def dropout_forward(x, p, train=True, rng=None, inverted=True):
    """Dropout: in training, zero each unit independently with probability p (p = probability of DROPPING).

    inverted=True (default; what PyTorch's nn.Dropout does):
        training : mask = 0 with probability p, else 1/(1-p);  out = x * mask.  E[mask] = 1, so E[out] = x ...
        test     : ... and at test time out = x, nothing to rescale;  mask = ones.
    inverted=False (the lecture's original form, written there with the KEEP probability 1-p):
        training : mask = 0 with probability p, else 1;  out = x * mask
        test     : out = x * (1-p), so a unit's output at test time equals its expected output in training;
                   mask = an array full of (1-p).

    In every case out = x * mask and the returned mask is what `dropout_backward` multiplies dout by, so the pair
    also differentiates the test-time scaling. (With train=False the mask is ones or (1-p), never None.)

    x : any shape.  rng : a numpy.random.Generator (the same seed gives the same mask); None uses a fresh
    np.random.default_rng(). Draws come from rng.random(x.shape) in x's dtype. Returns (out, mask), both x's shape.
    """
    x = _validate.float_array(x, "x")
    p = _drop_probability(p)
    train = _flag(train, "train")
    inverted = _flag(inverted, "inverted")
    if rng is None:
        rng = np.random.default_rng()
    elif not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)) or None, got {type(rng).__name__}")
    dtype = x.dtype.type
    if not train:
        mask = np.full(x.shape, 1.0 if inverted else 1.0 - p, dtype=x.dtype)
        out = np.empty_like(x)
        _apply_mask_kernel(x.reshape(-1), mask.reshape(-1), out.reshape(-1))
        return out, mask
    mask = rng.random(x.shape, dtype=x.dtype)  # uniform draws; the kernel turns them into the mask in place
    out = np.empty_like(x)
    scale = dtype(1.0 / (1.0 - p)) if inverted else dtype(1.0)
    _dropout_kernel(x.reshape(-1), mask.reshape(-1), dtype(p), scale, out.reshape(-1))
    return out, mask


def dropout_backward(dout, mask):
    """Gradient of dropout: dx = dout * mask (dropped units pass no gradient, kept ones are scaled like x was).

    dout, mask : arrays of the same shape and dtype (mask as returned by `dropout_forward`). Returns dx.
    """
    mask = _validate.float_array(mask, "mask")
    dout = _like(dout, "dout", mask.dtype, ref="mask")
    _validate.same_shape(dout, mask, "dout", "mask")
    dx = np.empty_like(dout)
    _apply_mask_kernel(dout.reshape(-1), mask.reshape(-1), dx.reshape(-1))
    return dx
