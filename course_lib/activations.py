"""Activation functions f(x) and their derivatives f'(x), elementwise (the lecture on activations).

Each activation is written once, as a scalar formula (`_activation_value` / `_activation_deriv`, with its derivative
right beside it). The array kernels loop over those scalar formulas, and so can any other kernel (the MLP's forward
and backward passes): look up an integer code in `ACTIVATION_CODES` (or call `activation_code(name, **params)`) and
call the two scalar functions inside your own loop.

    name         f(x)                                         f'(x)
    identity     x                                            1
    sigmoid      σ(x) = 1 / (1 + e^{-x})                      σ(x) (1 - σ(x))
    tanh         (e^x - e^{-x}) / (e^x + e^{-x})              1 - tanh²(x)
    relu         max(0, x)                                    1 if x > 0 else 0
    leaky_relu   x if x > 0 else slope·x                      1 if x > 0 else slope
    elu          x if x > 0 else α (e^x - 1)                  1 if x > 0 else α e^x
    selu         λ · elu(x) with α = α_SELU                   λ · elu'(x)
    softplus     log(1 + e^x)                                 σ(x)
    swish        x σ(βx)                                      β f + σ(βx) (1 - β f)
    gelu         x Φ(x), Φ the standard normal CDF            Φ(x) + x φ(x)
    gelu (tanh)  ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))     see `_gelu_tanh_deriv`

Conventions (the same as PyTorch's `torch.sigmoid`, `torch.tanh`, `F.relu`, `F.leaky_relu`, `F.elu`, `F.selu`,
`F.softplus`, `F.silu`, `F.gelu`; tests compare against them):

- At a kink the derivative takes the value of the branch that holds x = 0, as PyTorch's autograd does:
  ReLU'(0) = 0, leaky_relu'(0) = slope, ELU'(0) = α, SELU'(0) = λα, PReLU'(0) = α. (The lecture's "f' = 1 otherwise"
  would give 1 at 0; any value between the two one-sided slopes is a valid subgradient, and x = 0 exactly is rare.)
- Leaky ReLU: the lecture writes max(0.1x, x) on one slide and max(0.01x, x) on another; PyTorch's default
  negative_slope, and ours, is 0.01. max(slope·x, x) equals the piecewise form only for 0 <= slope <= 1; the
  piecewise form is used for every slope.
- Every formula is evaluated so that no exponential overflows: σ(-1000) = 0, softplus(1000) = 1000, and swish, GELU,
  ELU are exact at ±1e4 (and at ±inf, where PyTorch's swish and GELU give NaN). NaN in gives NaN out.
- float32 stays float32, float64 stays float64; the output has the shape of the input (0-d included).
"""
import math

import numpy as np
from numba import njit

from course_lib import _validate

__all__ = [
    "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad", "leaky_relu", "leaky_relu_grad",
    "elu", "elu_grad", "selu", "selu_grad", "softplus", "softplus_grad", "swish", "swish_grad", "gelu", "gelu_grad",
    "identity", "identity_grad", "prelu", "prelu_grad", "prelu_backward", "maxout", "maxout_backward",
    "ACTIVATIONS", "ACTIVATION_CODES", "activation_code", "saturation_regions", "SELU_ALPHA", "SELU_SCALE",
]

# SELU's constants (Klambauer et al., 2017), to the digits PyTorch uses: they make a layer's outputs keep mean 0 and
# variance 1 when its inputs have them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# √(2/π) and the cubic coefficient of GELU's tanh approximation; 1/√2 and 1/√(2π) for the exact form.
_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

# ---------------------------------------------------------------------------------------------------------------
# Integer codes: how a compiled kernel says which activation it wants.
# ---------------------------------------------------------------------------------------------------------------
IDENTITY, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SELU, SOFTPLUS, SWISH, GELU, GELU_TANH = range(11)

ACTIVATION_CODES = {
    "identity": IDENTITY, "linear": IDENTITY, "sigmoid": SIGMOID, "tanh": TANH, "relu": RELU,
    "leaky_relu": LEAKY_RELU, "elu": ELU, "selu": SELU, "softplus": SOFTPLUS, "swish": SWISH, "silu": SWISH,
    "gelu": GELU, "gelu_tanh": GELU_TANH,
}

# The one hyperparameter each activation takes (name, default); the others ignore `param`.
_PARAMS = {LEAKY_RELU: ("slope", 0.01), ELU: ("alpha", 1.0), SWISH: ("beta", 1.0)}


# ---------------------------------------------------------------------------------------------------------------
# Scalar building blocks (for other kernels too).
# ---------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _sigmoid(x):
    """σ(x) = 1 / (1 + e^{-x}), computed through e^{-|x|} <= 1 so that the exponential never overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@njit(cache=True, error_model="numpy")
def _sigmoid_deriv(x):
    """σ'(x) = σ(x)(1 - σ(x)) = e^{-|x|} / (1 + e^{-|x|})².

    The second form is the same number (σ' is even), but it keeps all its digits where σ(x) rounds to 1: for x = 40,
    1 - σ(x) is 0 in float64 while σ'(40) = 4.2e-18.
    """
    z = math.exp(-abs(x))
    return z / ((1.0 + z) * (1.0 + z))


@njit(cache=True, error_model="numpy")
def _tanh_deriv(x):
    """tanh'(x) = 1 - tanh²(x) = 4 e^{-2|x|} / (1 + e^{-2|x|})², the second form without cancellation for large |x|."""
    z = math.exp(-2.0 * abs(x))
    return 4.0 * z / ((1.0 + z) * (1.0 + z))


@njit(cache=True, error_model="numpy")
def _softplus(x):
    """softplus(x) = log(1 + e^x) = max(x, 0) + log(1 + e^{-|x|}): the exponential is at most 1, so
    softplus(1000) = 1000 exactly instead of log(inf). (PyTorch returns x itself above its threshold 20; the two
    differ by less than 2e-9 there, the true value being x + e^{-x}.)"""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@njit(cache=True, error_model="numpy")
def _swish(x, beta):
    """swish(x) = x σ(βx). Where σ(βx) underflows to 0 the product is 0 (also at x = -inf, where x·0 is NaN)."""
    s = _sigmoid(beta * x)
    if s == 0.0:
        return 0.0
    return x * s


@njit(cache=True, error_model="numpy")
def _swish_deriv(x, beta):
    """swish'(x) = β f + σ(βx)(1 - β f) with f = x σ(βx) (the lecture's form).

    Expanding, β f + σ - σ β f = σ + βx σ (1 - σ) = σ(βx) (1 + βx σ(-βx)), which is what is computed: 1 - σ(βx) is
    taken as σ(-βx), so no digits cancel for large βx. Where either σ underflows, βx σ(-βx) is below 1e-300 and the
    derivative is σ(βx) itself (0 or 1); this also gives the right limits at ±inf.
    """
    s = _sigmoid(beta * x)
    s_neg = _sigmoid(-beta * x)
    if s == 0.0 or s_neg == 0.0:
        return s
    return s * (1.0 + beta * x * s_neg)


@njit(cache=True, error_model="numpy")
def _gelu(x):
    """GELU(x) = x Φ(x) with Φ(x) = ½ (1 + erf(x/√2)) = ½ erfc(-x/√2).

    erfc keeps full relative accuracy for very negative x, where 1 + erf(...) would cancel to 0. Where Φ underflows
    (x < -38) the value is 0, including at x = -inf.
    """
    cdf = 0.5 * math.erfc(-x * _INV_SQRT2)
    if cdf == 0.0:
        return 0.0
    return x * cdf


@njit(cache=True, error_model="numpy")
def _gelu_deriv(x):
    """GELU'(x) = Φ(x) + x φ(x), φ(x) = e^{-x²/2} / √(2π) the standard normal density. Where φ underflows
    (|x| > 38.6), x φ(x) is negligible and the derivative is Φ(x) (0 or 1)."""
    cdf = 0.5 * math.erfc(-x * _INV_SQRT2)
    pdf = _INV_SQRT_2PI * math.exp(-0.5 * x * x)
    if pdf == 0.0:
        return cdf
    return cdf + x * pdf


@njit(cache=True, error_model="numpy")
def _gelu_tanh(x):
    """GELU's tanh approximation (PyTorch's approximate='tanh'):

        ½ x (1 + tanh(u)),  u = √(2/π) (x + 0.044715 x³).

    Since ½ (1 + tanh(u)) = σ(2u), this is x σ(2u): a swish whose slope grows with x, and it is computed that way,
    with no cancellation in 1 + tanh(u) for negative x.
    """
    u = _GELU_C * (x + _GELU_A * x * x * x)
    s = _sigmoid(2.0 * u)
    if s == 0.0:
        return 0.0
    return x * s


@njit(cache=True, error_model="numpy")
def _gelu_tanh_deriv(x):
    """d/dx [x σ(2u)] = σ(2u) + 2 x σ(2u) σ(-2u) u',  u' = √(2/π) (1 + 3·0.044715 x²).

    In tanh form: ½ (1 + tanh u) + ½ x (1 - tanh² u) u'. Where σ(2u) or σ(-2u) underflows, the second term is
    negligible and the derivative is σ(2u) (0 or 1).
    """
    u = _GELU_C * (x + _GELU_A * x * x * x)
    s = _sigmoid(2.0 * u)
    s_neg = _sigmoid(-2.0 * u)
    if s == 0.0 or s_neg == 0.0:
        return s
    du = _GELU_C * (1.0 + 3.0 * _GELU_A * x * x)
    return s + 2.0 * x * s * s_neg * du


@njit(cache=True, error_model="numpy")
def _activation_value(code, x, param):
    """f(x) for one scalar x; `code` from ACTIVATION_CODES, `param` = slope (leaky_relu), alpha (elu) or beta
    (swish), ignored by the others. For other kernels: call it inside your own loop."""
    if x != x:  # NaN in, NaN out (otherwise e.g. relu would turn NaN into 0)
        return x
    if code == IDENTITY:
        return x
    if code == SIGMOID:
        return _sigmoid(x)
    if code == TANH:
        return math.tanh(x)
    if code == RELU:
        return x if x > 0 else 0.0
    if code == LEAKY_RELU:
        return x if x > 0 else param * x
    if code == ELU:
        return x if x > 0 else param * math.expm1(x)
    if code == SELU:
        return SELU_SCALE * x if x > 0 else SELU_SCALE * SELU_ALPHA * math.expm1(x)
    if code == SOFTPLUS:
        return _softplus(x)
    if code == SWISH:
        return _swish(x, param)
    if code == GELU:
        return _gelu(x)
    if code == GELU_TANH:
        return _gelu_tanh(x)
    return math.nan  # unknown code: the public functions never pass one


@njit(cache=True, error_model="numpy")
def _activation_deriv(code, x, param):
    """f'(x) for one scalar x, same arguments as `_activation_value`. At a kink (x = 0 exactly) it gives the value
    of the x <= 0 branch, as PyTorch does: ReLU'(0) = 0, leaky_relu'(0) = slope, ELU'(0) = alpha."""
    if x != x:
        return x
    if code == IDENTITY:
        return 1.0
    if code == SIGMOID:
        return _sigmoid_deriv(x)
    if code == TANH:
        return _tanh_deriv(x)
    if code == RELU:
        return 1.0 if x > 0 else 0.0
    if code == LEAKY_RELU:
        return 1.0 if x > 0 else param
    if code == ELU:
        return 1.0 if x > 0 else param * math.exp(x)
    if code == SELU:
        return SELU_SCALE if x > 0 else SELU_SCALE * SELU_ALPHA * math.exp(x)
    if code == SOFTPLUS:
        return _sigmoid(x)
    if code == SWISH:
        return _swish_deriv(x, param)
    if code == GELU:
        return _gelu_deriv(x)
    if code == GELU_TANH:
        return _gelu_tanh_deriv(x)
    return math.nan


# ---------------------------------------------------------------------------------------------------------------
# Array kernels: one pass over the flattened input.
# ---------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _activation_kernel(code, x, param, out):
    """out[i] = f(x[i]) for 1-d arrays x and out of the same length."""
    for i in range(x.shape[0]):
        out[i] = _activation_value(code, x[i], param)


@njit(cache=True, error_model="numpy")
def _activation_grad_kernel(code, x, param, out):
    """out[i] = f'(x[i]) for 1-d arrays x and out of the same length."""
    for i in range(x.shape[0]):
        out[i] = _activation_deriv(code, x[i], param)


def _apply(code, x, param, grad, param_name="param"):
    """Validate x, cast param to x's dtype, run the value or derivative kernel; returns an array shaped like x."""
    x = _validate.float_array(x, "x")
    param = _validate.cast_to(param, x.dtype, param_name, of="x")[()]
    out = np.empty_like(x)
    kernel = _activation_grad_kernel if grad else _activation_kernel
    kernel(code, x.reshape(-1), param, out.reshape(-1))
    return out


def activation_code(name, **params):
    """(code, param) for `_activation_value(code, x, param)` / `_activation_deriv`, with the parameter checked.

    `activation_code("leaky_relu", slope=0.1)` -> (LEAKY_RELU, 0.1); `activation_code("gelu", approximate=True)` ->
    (GELU_TANH, 0.0); unnamed parameters take their defaults (slope 0.01, alpha 1.0, beta 1.0).
    """
    if not isinstance(name, str):
        raise TypeError(f"activation name must be a string, got {type(name).__name__}")
    _validate.one_of(name, "activation", tuple(ACTIVATION_CODES))
    code = ACTIVATION_CODES[name]
    if code == GELU and "approximate" in params:
        code = _gelu_code(params.pop("approximate"))
    allowed = _PARAMS.get(code)
    for key in params:
        if allowed is None or key != allowed[0]:
            takes = f"takes only {allowed[0]!r}" if allowed else "takes no parameters"
            raise TypeError(f"activation {name!r} {takes}; got {key!r}")
    if allowed is None:
        return code, 0.0
    key, default = allowed
    return code, _validate.scalar(params.get(key, default), key)


def _gelu_code(approximate):
    """GELU or GELU_TANH from approximate = False/'none' or True/'tanh' (PyTorch spells it with the strings)."""
    if isinstance(approximate, (bool, np.bool_)):
        return GELU_TANH if approximate else GELU
    if isinstance(approximate, str) and approximate in ("none", "tanh"):
        return GELU_TANH if approximate == "tanh" else GELU
    raise ValueError(f"approximate must be True/False or 'tanh'/'none', got {approximate!r}")


# ---------------------------------------------------------------------------------------------------------------
# Public functions: f(x) and f'(x), same shape and dtype as x.
# ---------------------------------------------------------------------------------------------------------------
def identity(x):
    """f(x) = x (a linear output layer). Shape and dtype of x."""
    return _apply(IDENTITY, x, 0.0, grad=False)


def identity_grad(x):
    """f'(x) = 1 everywhere."""
    return _apply(IDENTITY, x, 0.0, grad=True)


def sigmoid(x):
    """σ(x) = 1 / (1 + e^{-x}), the logistic function (CDF of the logistic distribution); range (0, 1), σ(0) = ½.

    Saturates on both sides: σ'(x) -> 0 for |x| large, which is why deep sigmoid networks stall. Stable for any x:
    σ(-1000) = 0, σ(1000) = 1 without overflow. x: any shape, float32/float64; returns the same shape and dtype.
    """
    return _apply(SIGMOID, x, 0.0, grad=False)


def sigmoid_grad(x):
    """σ'(x) = σ(x)(1 - σ(x)), at most σ'(0) = ¼ (so each sigmoid layer shrinks a backpropagated gradient by 4 or
    more). Computed as e^{-|x|} / (1 + e^{-|x|})², which keeps its digits where σ rounds to 1."""
    return _apply(SIGMOID, x, 0.0, grad=True)


def tanh(x):
    """tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x}) = 2σ(2x) - 1: zero-centred, range (-1, 1), still saturating."""
    return _apply(TANH, x, 0.0, grad=False)


def tanh_grad(x):
    """tanh'(x) = 1 - tanh²(x); tanh'(0) = 1, -> 0 for |x| large."""
    return _apply(TANH, x, 0.0, grad=True)


def relu(x):
    """ReLU(x) = max(0, x): no saturation for x > 0, cheap; a unit whose input stays negative is "dead"."""
    return _apply(RELU, x, 0.0, grad=False)


def relu_grad(x):
    """ReLU'(x) = 1 for x > 0, 0 for x <= 0 (ReLU'(0) = 0, as in PyTorch)."""
    return _apply(RELU, x, 0.0, grad=True)


def leaky_relu(x, slope=0.01):
    """Leaky ReLU: f(x) = x for x > 0, slope·x otherwise; = max(slope·x, x) for 0 <= slope <= 1.

    Default slope 0.01 as in PyTorch (`F.leaky_relu(x, negative_slope=0.01)`) and the CS231n slide; another lecture
    slide uses 0.1. The slope is cast to x's dtype.
    """
    slope = _validate.scalar(slope, "slope")
    return _apply(LEAKY_RELU, x, slope, grad=False, param_name="slope")


def leaky_relu_grad(x, slope=0.01):
    """f'(x) = 1 for x > 0, slope for x <= 0 (f'(0) = slope, as in PyTorch)."""
    slope = _validate.scalar(slope, "slope")
    return _apply(LEAKY_RELU, x, slope, grad=True, param_name="slope")


def elu(x, alpha=1.0):
    """ELU: f(x) = x for x > 0, α (e^x - 1) for x <= 0 (Clevert et al.; PyTorch `F.elu(x, alpha)`).

    Saturates to -α for x -> -inf; e^x - 1 is computed with expm1, exact near 0.
    """
    alpha = _validate.scalar(alpha, "alpha")
    return _apply(ELU, x, alpha, grad=False, param_name="alpha")


def elu_grad(x, alpha=1.0):
    """f'(x) = 1 for x > 0, α e^x for x <= 0 (f'(0) = α, as in PyTorch; continuous only for α = 1)."""
    alpha = _validate.scalar(alpha, "alpha")
    return _apply(ELU, x, alpha, grad=True, param_name="alpha")


def selu(x):
    """SELU(x) = λ x for x > 0, λ α (e^x - 1) for x <= 0, with λ = SELU_SCALE ≈ 1.0507 and α = SELU_ALPHA ≈ 1.67326
    (PyTorch's exact constants)."""
    return _apply(SELU, x, 0.0, grad=False)


def selu_grad(x):
    """SELU'(x) = λ for x > 0, λ α e^x for x <= 0 (SELU'(0) = λα ≈ 1.7581, as in PyTorch)."""
    return _apply(SELU, x, 0.0, grad=True)


def softplus(x):
    """softplus(x) = log(1 + e^x), a smooth ReLU; softplus(0) = log 2. Computed as max(x, 0) + log(1 + e^{-|x|})."""
    return _apply(SOFTPLUS, x, 0.0, grad=False)


def softplus_grad(x):
    """softplus'(x) = 1 / (1 + e^{-x}) = σ(x); softplus'(0) = ½."""
    return _apply(SOFTPLUS, x, 0.0, grad=True)


def swish(x, beta=1.0):
    """Swish: f(x) = x σ(βx) (Ramachandran, Zoph and Le, 2017). β = 1 is PyTorch's `F.silu`; β -> inf gives ReLU,
    β = 0 gives x/2. The β is cast to x's dtype."""
    beta = _validate.scalar(beta, "beta")
    return _apply(SWISH, x, beta, grad=False, param_name="beta")


def swish_grad(x, beta=1.0):
    """f'(x) = β f(x) + σ(βx)(1 - β f(x)) (the lecture's form; computed as σ(βx)(1 + βx σ(-βx)))."""
    beta = _validate.scalar(beta, "beta")
    return _apply(SWISH, x, beta, grad=True, param_name="beta")


def gelu(x, approximate=False):
    """GELU(x) = x Φ(x), Φ the standard normal CDF (PyTorch `F.gelu`).

    approximate=True (or 'tanh', PyTorch's spelling) uses ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))), which differs
    from the exact form by less than 5e-4.
    """
    return _apply(_gelu_code(approximate), x, 0.0, grad=False)


def gelu_grad(x, approximate=False):
    """GELU'(x) = Φ(x) + x φ(x) (φ the normal density); with approximate=True the derivative of the tanh form."""
    return _apply(_gelu_code(approximate), x, 0.0, grad=True)


ACTIVATIONS = {
    "identity": (identity, identity_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "selu": (selu, selu_grad),
    "softplus": (softplus, softplus_grad),
    "swish": (swish, swish_grad),
    "gelu": (gelu, gelu_grad),
}


# ---------------------------------------------------------------------------------------------------------------
# PReLU: a leaky ReLU whose slope is learned, one slope per unit (or one for all).
# ---------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _prelu_kernel(x, alpha, out):
    """out[m, d] = x[m, d] if x[m, d] > 0 else alpha[d] x[m, d];  x, out: (M, D), alpha: (D,)."""
    for m in range(x.shape[0]):
        for d in range(x.shape[1]):
            out[m, d] = _activation_value(LEAKY_RELU, x[m, d], alpha[d])


@njit(cache=True, error_model="numpy")
def _prelu_grad_kernel(x, alpha, dx, dalpha):
    """Elementwise partial derivatives: dx = ∂f/∂x (1 or alpha[d]), dalpha = ∂f/∂alpha (0 or x); all (M, D)."""
    for m in range(x.shape[0]):
        for d in range(x.shape[1]):
            v = x[m, d]
            dx[m, d] = _activation_deriv(LEAKY_RELU, v, alpha[d])
            dalpha[m, d] = 0.0 if v > 0 else v


@njit(cache=True, error_model="numpy")
def _prelu_backward_kernel(dout, x, alpha, dx, dalpha):
    """Chain rule through PReLU in one pass: dx = dout ∂f/∂x (M, D), dalpha[d] += Σ_m dout[m, d] ∂f/∂alpha[d]
    (dalpha: (D,) float64 accumulator, zeroed by the caller)."""
    for m in range(x.shape[0]):
        for d in range(x.shape[1]):
            v = x[m, d]
            g = dout[m, d]
            dx[m, d] = g * _activation_deriv(LEAKY_RELU, v, alpha[d])
            if not v > 0:
                dalpha[d] += g * v


def _prelu_inputs(x, alpha):
    """x as an (M, D) view and alpha as a (D,) array in x's dtype; D = 1 for a scalar alpha."""
    x = _validate.float_array(x, "x")
    if isinstance(alpha, np.ndarray) and alpha.ndim == 0:
        alpha = alpha[()]
    if np.ndim(alpha) == 0:
        a = _validate.cast_to(np.full(1, _validate.scalar(alpha, "alpha")), x.dtype, "alpha", of="x")
        return x, x.reshape(x.size, 1), a
    a = _validate.cast_to(_validate.float_array(alpha, "alpha", ndim=1, finite=True), x.dtype, "alpha", of="x")
    if x.ndim == 0 or x.shape[-1] != a.shape[0]:
        raise ValueError(f"alpha has {a.shape[0]} slopes, one per unit of x's last axis, but x has shape {x.shape}")
    return x, x.reshape(int(np.prod(x.shape[:-1])), a.shape[0]), a


def prelu(x, alpha):
    """PReLU (He et al., 2015): f(x) = max(αx, x) for α <= 1, i.e. x for x > 0 and α x otherwise, α learned.

    x: any shape (..., D). alpha: a scalar (one slope shared by all units) or an array of shape (D,), one slope per
    unit of the last axis. For x of shape (N, D) this is torch's `nn.PReLU(num_parameters=D)`; for images torch puts
    the slopes on axis 1 (channels), here they always go on the last axis (NumPy broadcasting). alpha is cast to x's
    dtype. Returns an array shaped like x.
    """
    x, x2, a = _prelu_inputs(x, alpha)
    out = np.empty_like(x)
    _prelu_kernel(x2, a, out.reshape(x2.shape))
    return out


def prelu_grad(x, alpha):
    """Elementwise partial derivatives (df/dx, df/dalpha), both shaped like x:

        df/dx     = 1 for x > 0, α for x <= 0     (the leaky-ReLU derivative; α at 0, as in PyTorch)
        df/dalpha = 0 for x > 0, x for x <= 0

    To get the gradient of a loss L with respect to alpha, multiply by the upstream gradient dout = dL/df and sum
    over every element that shares a slope: `(dout * dfda).sum()` for a scalar alpha,
    `(dout * dfda).reshape(-1, D).sum(axis=0)` for alpha of shape (D,). `prelu_backward` does exactly that.
    """
    x, x2, a = _prelu_inputs(x, alpha)
    dx = np.empty_like(x)
    dalpha = np.empty_like(x)
    _prelu_grad_kernel(x2, a, dx.reshape(x2.shape), dalpha.reshape(x2.shape))
    return dx, dalpha


def prelu_backward(dout, x, alpha):
    """Backward pass of PReLU: dout = dL/df (shape of x) -> (dx, dalpha).

    dx = dout · df/dx (shape of x); dalpha = Σ dout · df/dalpha over the elements that share the slope: a 0-d array
    for a scalar alpha, shape (D,) for per-unit slopes. Both in x's dtype (the sum is accumulated in float64).
    """
    x, x2, a = _prelu_inputs(x, alpha)
    dout = _validate.cast_to(_validate.float_array(dout, "dout"), x.dtype, "dout", of="x")
    _validate.same_shape(dout, x, "dout", "x")
    dx = np.empty_like(x)
    acc = np.zeros(a.shape[0], dtype=np.float64)
    _prelu_backward_kernel(dout.reshape(x2.shape), x2, a, dx.reshape(x2.shape), acc)
    dalpha = acc.astype(x.dtype)
    return dx, (dalpha.reshape(()) if np.ndim(alpha) == 0 else dalpha)


# ---------------------------------------------------------------------------------------------------------------
# Maxout (Goodfellow et al., 2013): the max of K affine pieces instead of affine-then-nonlinearity.
# ---------------------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _maxout_kernel(x, W, b, out, which, row):
    """out[n, j] = max_k (x[n] W[k] + b[k])[j] and which[n, j] = the first k that attains it.

    x (N, D_in), W (K, D_in, D_out), b (K, D_out), out (N, D_out) float, which (N, D_out) int64, row (D_out,) scratch:
    each piece's pre-activation for one sample is built in `row` (walking W[k] row by row, in memory order) and then
    compared with the best so far.
    """
    n_samples, d_in = x.shape
    n_pieces, _, d_out = W.shape
    for n in range(n_samples):
        for k in range(n_pieces):
            for j in range(d_out):
                row[j] = b[k, j]
            for i in range(d_in):
                xi = x[n, i]
                for j in range(d_out):
                    row[j] += xi * W[k, i, j]
            for j in range(d_out):
                if k == 0 or row[j] > out[n, j]:
                    out[n, j] = row[j]
                    which[n, j] = k


@njit(cache=True, error_model="numpy")
def _maxout_backward_kernel(dout, x, W, which, dx, dW, db):
    """Route each dout[n, j] to the winning piece k = which[n, j] only:

        db[k, j] += dout[n, j],  dW[k, i, j] += x[n, i] dout[n, j],  dx[n, i] += W[k, i, j] dout[n, j].

    dx, dW, db must be zeroed by the caller.
    """
    n_samples, d_in = x.shape
    d_out = W.shape[2]
    for n in range(n_samples):
        for j in range(d_out):
            k = which[n, j]
            g = dout[n, j]
            db[k, j] += g
            for i in range(d_in):
                dW[k, i, j] += x[n, i] * g
                dx[n, i] += W[k, i, j] * g


def _maxout_inputs(x, W, b):
    x = _validate.float_array(x, "x", ndim=2, finite=True)
    W = _validate.cast_to(_validate.float_array(W, "W", ndim=3, finite=True), x.dtype, "W", of="x")
    b = _validate.cast_to(_validate.float_array(b, "b", ndim=2, finite=True), x.dtype, "b", of="x")
    n_pieces, d_in, d_out = W.shape
    if n_pieces == 0:
        raise ValueError("W must hold at least one piece: got shape (0, D_in, D_out), and a max over no pieces "
                         "is undefined")
    if d_in != x.shape[1]:
        raise ValueError(f"W has shape {W.shape}, so x must have {d_in} columns (shape (N, {d_in})), "
                         f"got {x.shape}")
    _validate.check_shape(b, (n_pieces, d_out), "b")
    return x, W, b


def _maxout_forward(x, W, b):
    out = np.empty((x.shape[0], W.shape[2]), dtype=x.dtype)
    which = np.empty(out.shape, dtype=np.int64)
    _maxout_kernel(x, W, b, out, which, np.empty(W.shape[2], dtype=x.dtype))
    return out, which


def maxout(x, W, b):
    """Maxout unit: out = max_k (x W_k + b_k), the lecture's max(w_1ᵀx + b_1, w_2ᵀx + b_2) for K pieces.

    x: (N, D_in); W: (K, D_in, D_out); b: (K, D_out) -> out: (N, D_out). With K = 2, W_1 = 0, b_1 = 0 it is ReLU of
    the other piece; it never saturates and never dies, at K times the parameters. W and b are cast to x's dtype;
    all three must be finite.
    """
    x, W, b = _maxout_inputs(x, W, b)
    return _maxout_forward(x, W, b)[0]


def maxout_backward(dout, x, W, b):
    """Gradients of maxout: dout (N, D_out) = dL/dout -> (dx (N, D_in), dW (K, D_in, D_out), db (K, D_out)).

    Only the winning piece of each output gets gradient (the max passes it through, like a ReLU gate). If several
    pieces tie for the max, the first one (lowest k) wins, in the forward pass and here alike. The forward pass is
    recomputed to find the winners.
    """
    x, W, b = _maxout_inputs(x, W, b)
    dout = _validate.cast_to(_validate.float_array(dout, "dout", ndim=2, finite=True), x.dtype, "dout", of="x")
    _validate.check_shape(dout, (x.shape[0], W.shape[2]), "dout")
    _, which = _maxout_forward(x, W, b)
    dx, dW, db = np.zeros_like(x), np.zeros_like(W), np.zeros_like(b)
    _maxout_backward_kernel(dout, x, W, which, dx, dW, db)
    return dx, dW, db


# ---------------------------------------------------------------------------------------------------------------
# Where does an activation saturate?
# ---------------------------------------------------------------------------------------------------------------
def saturation_regions(name, threshold=1e-2, *, span=50.0, **params):
    """Intervals of x where |f'(x)| < threshold: where a unit passes back (almost) no gradient.

    Returns a list of (low, high) pairs in increasing order; a region that reaches ±span is reported as running to
    ±inf (for these activations |f'| is monotone out there). Example: sigmoid with threshold 0.01 gives
    [(-inf, -4.585), (4.585, inf)]; relu gives [(-inf, 0.0)]; leaky_relu with slope 0.01 gives [] (|f'| is never
    below 0.01). `params` are the activation's (slope, alpha, beta, approximate).

    Method: |f'| is evaluated on a grid of step 1e-3 over [-span, span] and each change of side is refined by
    bisection to about 1e-12, so a region narrower than the grid step can be missed.
    """
    code, param = activation_code(name, **params)
    threshold = _validate.scalar(threshold, "threshold", low=0.0, low_open=True)
    span = _validate.scalar(span, "span", low=0.0, low_open=True)
    n_points = int(round(2 * span / 1e-3)) + 1
    grid = np.linspace(-span, span, n_points)
    slopes = np.empty_like(grid)
    _activation_grad_kernel(code, grid, param, slopes)
    flat = np.abs(slopes) < threshold

    def inside(v):
        return abs(_activation_deriv(code, v, param)) < threshold

    def boundary(lo, hi):  # inside(lo) != inside(hi): bisect to the switch
        side_lo = inside(lo)
        while hi - lo > 1e-12 * max(1.0, abs(lo)):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            if inside(mid) == side_lo:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    regions = []
    start = -math.inf if flat[0] else None
    for i in np.flatnonzero(flat[1:] != flat[:-1]):
        edge = boundary(grid[i], grid[i + 1])
        if flat[i]:
            regions.append((start, edge))
            start = None
        else:
            start = edge
    if start is not None:
        regions.append((start, math.inf))
    return [(float(lo), float(hi)) for lo, hi in regions]
