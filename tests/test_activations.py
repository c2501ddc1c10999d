"""Activations: values and derivatives as in the lecture and PyTorch, stable at the extremes, clear errors."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numba import njit
from scipy import integrate, optimize, special

from conftest import requires_torch

from course_lib import activations as A
from course_lib.jacobian import numerical_gradient, rel_error

# (name, params) pairs: every smooth activation and every parameter that changes the formula.
CASES = [
    ("identity", {}), ("sigmoid", {}), ("tanh", {}), ("relu", {}), ("leaky_relu", {}), ("leaky_relu", {"slope": 0.1}),
    ("elu", {}), ("elu", {"alpha": 1.7}), ("selu", {}), ("softplus", {}), ("swish", {}), ("swish", {"beta": 1.7}),
    ("swish", {"beta": -0.5}), ("gelu", {}), ("gelu", {"approximate": True}),
]
IDS = [name + "".join(f"-{k}={v}" for k, v in params.items()) for name, params in CASES]

# Points on a 0.1 grid, shifted off 0 so that no point is within the central-difference step of a kink.
SMOOTH_POINTS = np.linspace(-4.0, 4.0, 81) + 0.0123


def f_of(name, params):
    f, _ = A.ACTIVATIONS[name]
    return lambda x: f(x, **params)


def grad_of(name, params):
    _, g = A.ACTIVATIONS[name]
    return lambda x: g(x, **params)


# ------------------------------------------------------------------------------------------------ derivatives
@pytest.mark.parametrize("name, params", CASES, ids=IDS)
def test_every_derivative_matches_central_differences(name, params):
    f, g = f_of(name, params), grad_of(name, params)
    h = 1e-5
    numeric = (f(SMOOTH_POINTS + h) - f(SMOOTH_POINTS - h)) / (2 * h)
    assert rel_error(numeric, g(SMOOTH_POINTS)) < 1e-7


def test_sigmoid_derivative_is_sigma_times_one_minus_sigma_and_tanh_derivative_is_one_minus_tanh_squared():
    x = SMOOTH_POINTS
    s, t = A.sigmoid(x), A.tanh(x)
    np.testing.assert_allclose(A.sigmoid_grad(x), s * (1 - s), rtol=1e-12)
    np.testing.assert_allclose(A.tanh_grad(x), 1 - t * t, rtol=1e-9)


def test_lecture_values_at_zero():
    assert A.sigmoid(0.0) == 0.5 and A.sigmoid_grad(0.0) == 0.25
    assert A.tanh(0.0) == 0.0 and A.tanh_grad(0.0) == 1.0
    assert A.softplus(0.0) == pytest.approx(math.log(2), rel=1e-15) and A.softplus_grad(0.0) == 0.5
    assert A.swish(0.0) == 0.0 and A.swish_grad(0.0) == 0.5
    assert A.gelu(0.0) == 0.0 and A.gelu_grad(0.0) == 0.5


def test_tanh_is_a_rescaled_sigmoid():
    x = np.linspace(-8, 8, 33)
    np.testing.assert_allclose(A.tanh(x), 2 * A.sigmoid(2 * x) - 1, rtol=1e-12, atol=1e-15)


def test_softplus_derivative_is_the_sigmoid():
    x = np.linspace(-30, 30, 61)
    np.testing.assert_array_equal(A.softplus_grad(x), A.sigmoid(x))


@pytest.mark.parametrize("beta", [1.0, 1.7, 0.3])
def test_swish_derivative_matches_the_lecture_form_beta_f_plus_sigma_times_one_minus_beta_f(beta):
    x = np.linspace(-6, 6, 49)
    f, s = A.swish(x, beta=beta), A.sigmoid(beta * x)
    np.testing.assert_allclose(A.swish_grad(x, beta=beta), beta * f + s * (1 - beta * f), rtol=1e-12, atol=1e-15)


def test_swish_with_large_beta_approaches_relu_and_with_zero_beta_is_half_x():
    x = np.linspace(-3, 3, 25)
    np.testing.assert_allclose(A.swish(x, beta=200.0), A.relu(x), atol=2e-3)
    np.testing.assert_allclose(A.swish(x, beta=0.0), x / 2, rtol=1e-15)


def test_gelu_is_x_times_the_normal_cdf_and_the_tanh_form_is_within_5e_4():
    x = np.linspace(-6, 6, 121)
    np.testing.assert_allclose(A.gelu(x), x * special.ndtr(x), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(A.gelu_grad(x), special.ndtr(x) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi),
                               rtol=1e-12, atol=1e-300)
    assert np.max(np.abs(A.gelu(x) - A.gelu(x, approximate=True))) < 5e-4
    np.testing.assert_array_equal(A.gelu(x, approximate="tanh"), A.gelu(x, approximate=True))
    np.testing.assert_array_equal(A.gelu(x, approximate="none"), A.gelu(x))


def test_selu_constants_give_zero_mean_unit_variance_for_standard_normal_input():
    # The defining property of SELU (Klambauer et al.): N(0, 1) in -> mean 0, variance 1 out.
    density = lambda z: np.exp(-z * z / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    selu = lambda z: float(A.selu(z))  # noqa: E731
    mean = integrate.quad(lambda z: selu(z) * density(z), -40, 40, points=[0.0], epsabs=1e-13, epsrel=1e-13)[0]
    second = integrate.quad(lambda z: selu(z) ** 2 * density(z), -40, 40, points=[0.0], epsabs=1e-13,
                            epsrel=1e-13)[0]
    assert abs(mean) < 1e-9
    assert abs(second - 1.0) < 1e-9
    np.testing.assert_allclose(A.selu(np.array([-2.0, 3.0])),
                               A.SELU_SCALE * A.elu(np.array([-2.0, 3.0]), alpha=A.SELU_ALPHA), rtol=1e-15)


# ------------------------------------------------------------------------------------------------ kinks
def test_relu_derivative_at_zero_is_zero_like_pytorch():
    np.testing.assert_array_equal(A.relu_grad(np.array([-1.0, -0.0, 0.0, 1e-300, 2.0])), [0, 0, 0, 1, 1])


def test_leaky_relu_derivative_at_zero_is_the_slope():
    np.testing.assert_array_equal(A.leaky_relu_grad(np.array([-3.0, 0.0, 3.0]), slope=0.1), [0.1, 0.1, 1.0])
    np.testing.assert_array_equal(A.leaky_relu(np.array([-3.0, 0.0, 3.0])), [-0.03, 0.0, 3.0])


def test_elu_and_selu_derivatives_at_zero_take_the_exponential_branch():
    assert A.elu_grad(0.0, alpha=2.5) == 2.5
    assert A.elu_grad(1e-12, alpha=2.5) == 1.0
    assert A.selu_grad(0.0) == A.SELU_SCALE * A.SELU_ALPHA
    assert A.selu_grad(1e-12) == A.SELU_SCALE


def test_leaky_relu_equals_the_lecture_max_form_for_slopes_up_to_one():
    x = np.linspace(-5, 5, 41)
    for slope in (0.0, 0.01, 0.1, 1.0):
        np.testing.assert_array_equal(A.leaky_relu(x, slope=slope), np.maximum(slope * x, x))


# ------------------------------------------------------------------------------------------------ dtypes, shapes
@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 4)])
@pytest.mark.parametrize("name, params", CASES, ids=IDS)
def test_float32_stays_float32_and_matches_float64(name, params, shape):
    x64 = np.random.default_rng(5).uniform(-6, 6, size=shape)
    x32 = x64.astype(np.float32)
    for fn in (f_of(name, params), grad_of(name, params)):
        out32, out64 = fn(x32), fn(x32.astype(np.float64))
        assert out32.dtype == np.float32 and out32.shape == shape
        assert out64.dtype == np.float64 and out64.shape == shape
        np.testing.assert_allclose(out32, out64, rtol=1e-5, atol=1e-7)


def test_python_numbers_and_lists_become_float64_with_their_shape():
    assert A.relu(3).dtype == np.float64 and A.relu(3).shape == ()
    assert A.sigmoid_grad([[0, 1]]).shape == (1, 2)
    assert A.tanh(np.array(0.5, dtype=np.float16)).dtype == np.float32


def test_non_contiguous_input_gives_the_same_values():
    x = np.linspace(-3, 3, 24).reshape(4, 6)
    np.testing.assert_array_equal(A.gelu(x.T), A.gelu(x).T)
    np.testing.assert_array_equal(A.elu_grad(x[:, ::2]), A.elu_grad(x)[:, ::2])


def test_input_is_not_modified():
    x = np.linspace(-3, 3, 7)
    before = x.copy()
    for f, g in A.ACTIVATIONS.values():
        f(x), g(x)
    np.testing.assert_array_equal(x, before)


# ------------------------------------------------------------------------------------------------ extremes
def test_extreme_inputs_give_the_limits_without_overflow_or_warnings():
    x = np.array([-1e4, -1000.0, 1000.0, 1e4])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        np.testing.assert_array_equal(A.sigmoid(x), [0, 0, 1, 1])
        np.testing.assert_array_equal(A.sigmoid_grad(x), [0, 0, 0, 0])
        np.testing.assert_array_equal(A.tanh(x), [-1, -1, 1, 1])
        np.testing.assert_array_equal(A.tanh_grad(x), [0, 0, 0, 0])
        np.testing.assert_array_equal(A.softplus(x), [0, 0, 1000, 1e4])
        np.testing.assert_array_equal(A.softplus_grad(x), [0, 0, 1, 1])
        np.testing.assert_array_equal(A.elu(x, alpha=2.0), [-2, -2, 1000, 1e4])
        np.testing.assert_array_equal(A.elu_grad(x, alpha=2.0), [0, 0, 1, 1])
        np.testing.assert_array_equal(A.selu(x[:1]), [-A.SELU_SCALE * A.SELU_ALPHA])
        for beta in (1.0, 0.5):  # swish(-1000) with β = 0.5 is -1000 σ(-500) ≈ -7e-215: a limit up to 1e-200
            np.testing.assert_allclose(A.swish(x, beta=beta), [0, 0, 1000, 1e4], rtol=1e-15, atol=1e-200)
            np.testing.assert_allclose(A.swish_grad(x, beta=beta), [0, 0, 1, 1], rtol=1e-15, atol=1e-200)
        for approximate in (False, True):
            np.testing.assert_array_equal(A.gelu(x, approximate=approximate), [0, 0, 1000, 1e4])
            np.testing.assert_array_equal(A.gelu_grad(x, approximate=approximate), [0, 0, 1, 1])
        for x32 in (x.astype(np.float32),):
            for f, g in A.ACTIVATIONS.values():
                assert np.isfinite(f(x32)).all() and np.isfinite(g(x32)).all()


def test_sigmoid_derivative_keeps_its_digits_where_sigma_rounds_to_one():
    # σ(40) is 1.0 in float64, so σ(1 - σ) would be 0; the true σ'(40) = e^-40 / (1 + e^-40)^2.
    assert A.sigmoid_grad(40.0) == pytest.approx(math.exp(-40), rel=1e-14)
    assert A.tanh_grad(20.0) == pytest.approx(4 * math.exp(-40), rel=1e-14)


def test_infinities_give_the_limits_and_nan_propagates():
    x = np.array([-np.inf, np.inf])
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(A.sigmoid(x), [0, 1])
        np.testing.assert_array_equal(A.softplus(x), [0, np.inf])
        np.testing.assert_array_equal(A.elu(x), [-1, np.inf])
        np.testing.assert_array_equal(A.swish(x), [0, np.inf])
        np.testing.assert_array_equal(A.gelu(x), [0, np.inf])
        np.testing.assert_array_equal(A.gelu(x, approximate=True), [0, np.inf])
        np.testing.assert_array_equal(A.swish_grad(x), [0, 1])
        np.testing.assert_array_equal(A.gelu_grad(x), [0, 1])
        np.testing.assert_array_equal(A.gelu_grad(x, approximate=True), [0, 1])
    for name, params in CASES:
        assert np.isnan(f_of(name, params)(np.nan)) and np.isnan(grad_of(name, params)(np.nan)), name


# ------------------------------------------------------------------------------------------------ properties
FLOATS = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    elements=st.floats(-1e4, 1e4, width=32),
)


@settings(max_examples=60, deadline=None)
@given(x=FLOATS)
def test_random_arrays_keep_shape_and_dtype_and_satisfy_the_symmetries(x):
    for f, g in A.ACTIVATIONS.values():
        for out in (f(x), g(x)):
            assert out.shape == x.shape and out.dtype == x.dtype
            assert np.isfinite(out).all()
    x = x.astype(np.float64)
    tol = 1e-12 * (1 + np.abs(x))
    assert np.all(np.abs(A.sigmoid(x) + A.sigmoid(-x) - 1) <= 1e-15)
    assert np.all(np.abs(A.tanh(x) + A.tanh(-x)) <= 1e-15)
    for f in (A.softplus, A.swish, A.gelu, A.relu):  # f(x) - f(-x) = x: the "odd part" of each is x/2
        assert np.all(np.abs(f(x) - f(-x) - x) <= tol)
    for g in (A.sigmoid_grad, A.tanh_grad, A.relu_grad, A.elu_grad, A.softplus_grad):  # monotone activations
        assert np.all(g(x) >= 0)
    assert np.all((A.sigmoid(x) >= 0) & (A.sigmoid(x) <= 1) & (A.elu(x) >= -1))


@settings(max_examples=40, deadline=None)
@given(bad=st.one_of(st.text(min_size=1), st.none(), st.dictionaries(st.text(), st.integers(), max_size=2),
                     st.complex_numbers(allow_nan=False).map(lambda z: np.array([z, 1j]))))
def test_random_non_numeric_input_raises_type_error_naming_x(bad):
    for f, g in A.ACTIVATIONS.values():
        for fn in (f, g):
            with pytest.raises(TypeError, match=r"\bx\b"):
                fn(bad)


# ------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("bad", ["1.0", np.array(["a", "b"]), np.ones(3, complex), [[1.0, 2.0], [3.0]]])
def test_non_real_input_raises_type_error_naming_x(bad):
    with pytest.raises(TypeError, match="x must"):
        A.relu(bad)


@pytest.mark.parametrize("fn, kwargs, error, match", [
    (A.leaky_relu, {"slope": "0.1"}, TypeError, "slope"),
    (A.leaky_relu_grad, {"slope": float("nan")}, ValueError, "slope must be finite"),
    (A.elu, {"alpha": None}, TypeError, "alpha"),
    (A.elu_grad, {"alpha": float("inf")}, ValueError, "alpha"),
    (A.swish, {"beta": True}, TypeError, "beta"),
    (A.gelu, {"approximate": "yes"}, ValueError, "approximate"),
    (A.gelu_grad, {"approximate": 1}, ValueError, "approximate"),
])
def test_bad_parameters_raise_naming_the_parameter(fn, kwargs, error, match):
    with pytest.raises(error, match=match):
        fn(np.ones(3), **kwargs)


def test_a_parameter_too_large_for_float32_is_a_value_error_not_an_overflow_warning():
    x32 = np.ones(3, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="slope has a value too large for float32"):
            A.leaky_relu(x32, slope=1e300)
        with pytest.raises(ValueError, match="alpha has a value too large for float32"):
            A.prelu(x32, np.array([1e300, 1.0, 1.0]))
        with pytest.raises(ValueError, match="W has a value too large for float32"):
            A.maxout(np.ones((1, 2), np.float32), np.full((1, 2, 1), 1e300), np.ones((1, 1)))
    assert A.leaky_relu(np.ones(3), slope=1e300).dtype == np.float64  # fits in float64


def test_unknown_parameter_is_a_type_error():
    with pytest.raises(TypeError):
        A.relu(np.ones(2), slope=0.1)


# ------------------------------------------------------------------------------------------------ registry, codes
def test_registry_has_every_lecture_activation_as_value_and_derivative_pairs():
    names = {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "swish", "gelu"}
    assert names <= set(A.ACTIVATIONS)
    for name in names:
        f, g = A.ACTIVATIONS[name]
        assert f is getattr(A, name) and g is getattr(A, name + "_grad")


@njit
def _user_kernel(code, x, param, value, deriv):
    # How another kernel (the MLP's) uses the scalar functions inside its own loop.
    for i in range(x.shape[0]):
        value[i] = A._activation_value(code, x[i], param)
        deriv[i] = A._activation_deriv(code, x[i], param)


@pytest.mark.parametrize("name, params", CASES, ids=IDS)
def test_scalar_functions_for_other_kernels_agree_with_the_array_functions(name, params):
    key = "gelu_tanh" if params.get("approximate") else name
    code, param = A.activation_code(key, **{k: v for k, v in params.items() if k != "approximate"})
    x = np.linspace(-5, 5, 21)
    value, deriv = np.empty_like(x), np.empty_like(x)
    _user_kernel(code, x, param, value, deriv)
    np.testing.assert_array_equal(value, f_of(name, params)(x))
    np.testing.assert_array_equal(deriv, grad_of(name, params)(x))


def test_activation_codes_cover_identity_and_the_gelu_flag():
    assert A.ACTIVATION_CODES["identity"] == A.ACTIVATION_CODES["linear"]
    assert A.activation_code("gelu", approximate=True) == (A.ACTIVATION_CODES["gelu_tanh"], 0.0)
    assert A.activation_code("leaky_relu") == (A.ACTIVATION_CODES["leaky_relu"], 0.01)
    assert A.activation_code("swish", beta=2) == (A.ACTIVATION_CODES["swish"], 2.0)
    assert len(set(A.ACTIVATION_CODES.values())) == len(set(A.ACTIVATION_CODES) - {"linear", "silu"})
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        A.activation_code("rleu")
    with pytest.raises(TypeError, match="takes only 'slope'"):
        A.activation_code("leaky_relu", alpha=0.2)
    with pytest.raises(TypeError, match="takes no parameters"):
        A.activation_code("tanh", beta=1.0)


# ------------------------------------------------------------------------------------------------ PReLU
def test_prelu_with_a_scalar_alpha_is_leaky_relu_with_that_slope():
    x = np.random.default_rng(1).normal(size=(3, 4, 5))
    np.testing.assert_array_equal(A.prelu(x, 0.2), A.leaky_relu(x, slope=0.2))
    dx, dalpha = A.prelu_grad(x, 0.2)
    np.testing.assert_array_equal(dx, A.leaky_relu_grad(x, slope=0.2))
    np.testing.assert_array_equal(dalpha, np.where(x > 0, 0.0, x))


def test_prelu_per_unit_slopes_broadcast_on_the_last_axis():
    x = np.random.default_rng(2).normal(size=(2, 3, 4)).astype(np.float32)
    alpha = np.array([0.0, 0.1, 0.5, 2.0])
    out = A.prelu(x, alpha)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.where(x > 0, x, alpha.astype(np.float32) * x), rtol=0)
    dx, dalpha = A.prelu_grad(x, alpha)
    np.testing.assert_array_equal(dx, np.where(x > 0, 1.0, np.broadcast_to(alpha, x.shape)).astype(np.float32))
    assert A.prelu_grad(0.0, 0.3)[0] == 0.3  # at the kink, like leaky ReLU and PyTorch


def test_prelu_backward_gives_the_gradient_of_alpha_by_summing_over_units_that_share_it():
    rng = np.random.default_rng(3)
    x, dout, alpha = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)), np.array([0.1, 0.25, -0.3])
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink
    loss = lambda a: float(np.sum(dout * A.prelu(x, a)))  # noqa: E731
    dx, dalpha = A.prelu_backward(dout, x, alpha)
    assert rel_error(dalpha, numerical_gradient(loss, alpha.copy())) < 1e-7
    assert rel_error(dx, numerical_gradient(lambda v: float(np.sum(dout * A.prelu(v, alpha))), x.copy())) < 1e-7
    # the recipe in prelu_grad's docstring gives the same sums
    np.testing.assert_allclose(dalpha, (dout * A.prelu_grad(x, alpha)[1]).reshape(-1, 3).sum(axis=0), rtol=1e-12)
    dx_s, dalpha_s = A.prelu_backward(dout, x, 0.2)
    assert dalpha_s.shape == () and dalpha_s == pytest.approx(np.sum(dout * np.minimum(x, 0)), rel=1e-12)


@pytest.mark.parametrize("x, alpha, error, match", [
    (np.ones((2, 3)), np.ones(4), ValueError, "alpha has 4 slopes"),
    (np.ones(()), np.ones(1), ValueError, "alpha has 1 slopes"),
    (np.ones((2, 3)), np.ones((3, 1)), ValueError, "alpha must have 1 dimension"),
    (np.ones((2, 3)), "0.1", TypeError, "alpha"),
    (np.ones((2, 3)), np.array([0.1, np.nan, 0.1]), ValueError, "alpha contains a non-finite value"),
    ("x", 0.1, TypeError, "x must"),
])
def test_prelu_bad_input_names_the_argument(x, alpha, error, match):
    with pytest.raises(error, match=match):
        A.prelu(x, alpha)


def test_prelu_backward_rejects_a_dout_of_another_shape():
    with pytest.raises(ValueError, match=r"dout has shape \(2, 2\) but x has shape \(2, 3\)"):
        A.prelu_backward(np.ones((2, 2)), np.ones((2, 3)), 0.1)


# ------------------------------------------------------------------------------------------------ maxout
def _maxout_reference(x, W, b):
    return np.max(np.einsum("ni,kij->knj", x, W) + b[:, None, :], axis=0)


def _maxout_problem(seed, n=5, d_in=4, k=3, d_out=2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d_in)), rng.normal(size=(k, d_in, d_out)), rng.normal(size=(k, d_out))


def test_maxout_is_the_max_over_affine_pieces():
    x, W, b = _maxout_problem(0, n=7, d_in=5, k=4, d_out=3)
    np.testing.assert_allclose(A.maxout(x, W, b), _maxout_reference(x, W, b), rtol=1e-13)
    out32 = A.maxout(x.astype(np.float32), W.astype(np.float32), b.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, _maxout_reference(x, W, b), rtol=1e-5, atol=1e-6)


def test_maxout_with_a_zero_piece_is_relu_of_the_other():
    x, W, b = _maxout_problem(1, k=2)
    W[0], b[0] = 0.0, 0.0
    np.testing.assert_allclose(A.maxout(x, W, b), A.relu(x @ W[1] + b[1]), rtol=1e-14)


def test_maxout_backward_matches_numeric_gradients():
    x, W, b = _maxout_problem(2, n=4, d_in=3, k=3, d_out=2)
    dout = np.random.default_rng(9).normal(size=(4, 2))
    dx, dW, db = A.maxout_backward(dout, x, W, b)
    loss = lambda xx, WW, bb: float(np.sum(dout * A.maxout(xx, WW, bb)))  # noqa: E731
    assert rel_error(dx, numerical_gradient(lambda v: loss(v, W, b), x.copy())) < 1e-7
    assert rel_error(dW, numerical_gradient(lambda v: loss(x, v, b), W.copy())) < 1e-7
    assert rel_error(db, numerical_gradient(lambda v: loss(x, W, v), b.copy())) < 1e-7


def test_maxout_ties_send_the_gradient_to_the_first_piece():
    x = np.ones((1, 2))
    W = np.ones((3, 2, 1))
    b = np.zeros((3, 1))
    _, dW, db = A.maxout_backward(np.ones((1, 1)), x, W, b)
    np.testing.assert_array_equal(db[:, 0], [1, 0, 0])
    np.testing.assert_array_equal(dW[:, :, 0], [[1, 1], [0, 0], [0, 0]])


@pytest.mark.parametrize("x, W, b, error, match", [
    (np.ones((2, 3)), np.ones((2, 4, 5)), np.ones((2, 5)), ValueError, "x must have 4 columns"),
    (np.ones((2, 3)), np.ones((2, 3, 5)), np.ones((2, 4)), ValueError, r"b must have shape \(2, 5\)"),
    (np.ones((2, 3)), np.ones((0, 3, 5)), np.ones((0, 5)), ValueError, "at least one piece"),
    (np.ones(3), np.ones((2, 3, 5)), np.ones((2, 5)), ValueError, "x must have 2 dimension"),
    (np.ones((2, 3)), np.ones((3, 5)), np.ones((2, 5)), ValueError, "W must have 3 dimension"),
    (np.ones((2, 3)), np.full((2, 3, 5), np.inf), np.ones((2, 5)), ValueError, "W contains a non-finite"),
    (np.ones((2, 3)), np.ones((2, 3, 5), complex), np.ones((2, 5)), TypeError, "W must hold real"),
])
def test_maxout_bad_input_names_the_argument(x, W, b, error, match):
    with pytest.raises(error, match=match):
        A.maxout(x, W, b)


def test_maxout_backward_rejects_a_dout_of_the_wrong_shape():
    x, W, b = _maxout_problem(3)
    with pytest.raises(ValueError, match=r"dout must have shape \(5, 2\)"):
        A.maxout_backward(np.ones((5, 3)), x, W, b)


# ------------------------------------------------------------------------------------------------ saturation
def test_sigmoid_saturates_where_sigma_times_one_minus_sigma_drops_below_the_threshold():
    t = 0.01
    s = (1 + math.sqrt(1 - 4 * t)) / 2  # σ(1 - σ) = t
    edge = math.log(s / (1 - s))
    (lo1, hi1), (lo2, hi2) = A.saturation_regions("sigmoid", t)
    assert lo1 == -math.inf and hi2 == math.inf
    assert hi1 == pytest.approx(-edge, abs=1e-9) and lo2 == pytest.approx(edge, abs=1e-9)


def test_saturation_regions_of_tanh_relu_elu_and_leaky_relu():
    t = 0.05
    edge = math.atanh(math.sqrt(1 - t))  # 1 - tanh² = t
    regions = A.saturation_regions("tanh", t)
    assert regions[0][1] == pytest.approx(-edge, abs=1e-9) and regions[1][0] == pytest.approx(edge, abs=1e-9)
    [(lo, hi)] = A.saturation_regions("relu")
    assert lo == -math.inf and hi == pytest.approx(0.0, abs=1e-9)
    [(lo, hi)] = A.saturation_regions("elu", 0.01, alpha=2.0)  # 2 e^x < 0.01
    assert lo == -math.inf and hi == pytest.approx(math.log(0.01 / 2.0), abs=1e-9)
    assert A.saturation_regions("leaky_relu", 0.01) == []  # |f'| >= slope everywhere: never saturates
    assert A.saturation_regions("leaky_relu", 0.01, slope=0.001)[0][0] == -math.inf


def test_gelu_has_a_small_flat_spot_where_its_derivative_crosses_zero():
    regions = A.saturation_regions("gelu", 0.01)
    assert regions[0][0] == -math.inf
    lo, hi = regions[1]
    zero = optimize.brentq(lambda v: special.ndtr(v) + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi), -1, -0.5)
    assert lo < zero < hi and hi - lo < 0.1
    assert abs(float(A.gelu_grad(lo))) == pytest.approx(0.01, rel=1e-6)


def test_saturation_regions_rejects_bad_names_and_thresholds():
    with pytest.raises(ValueError, match="unknown activation"):
        A.saturation_regions("sigmod")
    with pytest.raises(ValueError, match="threshold must be >"):
        A.saturation_regions("sigmoid", 0.0)


# ------------------------------------------------------------------------------------------------ PyTorch oracle
ORACLE_POINTS = np.concatenate([np.linspace(-20, 20, 4001), [0.0, -0.0, 1e-8, -1e-8]])


def _torch_fn(name, params):
    import torch
    import torch.nn.functional as F

    table = {
        "identity": lambda t: t * 1.0,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "leaky_relu": lambda t: F.leaky_relu(t, negative_slope=params.get("slope", 0.01)),
        "elu": lambda t: F.elu(t, alpha=params.get("alpha", 1.0)),
        "selu": F.selu,
        "softplus": F.softplus,
        "swish": (F.silu if params.get("beta", 1.0) == 1.0
                  else lambda t: t * torch.sigmoid(params["beta"] * t)),
        "gelu": lambda t: F.gelu(t, approximate="tanh" if params.get("approximate") else "none"),
    }
    return table[name]


def _assert_close_to_torch(ours, theirs, x, rtol):
    """|ours - theirs| <= rtol |theirs| + 4 eps (1 + |x|). The absolute part is PyTorch's own rounding: it forms
    1 - σ, 1 - tanh², 1 + erf(x/√2) and 1 + tanh(u) directly, which for large |x| leaves an error of about
    eps·|x| where the true value is tiny (GELU(-5) in float32 comes out 17% off there); we keep those digits."""
    slack = rtol * np.abs(theirs) + 4 * np.finfo(x.dtype).eps * (1 + np.abs(x))
    worst = np.argmax(np.abs(ours - theirs) - slack)
    assert np.all(np.abs(ours - theirs) <= slack), (x[worst], ours[worst], theirs[worst])


@requires_torch
@pytest.mark.parametrize("name, params", CASES, ids=IDS)
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-9), (np.float32, 1e-5)])
def test_values_and_autograd_derivatives_match_pytorch(name, params, dtype, rtol):
    import torch

    x = ORACLE_POINTS.astype(dtype)
    if name == "softplus":
        x = x[x <= 20]  # above its threshold 20 PyTorch returns x exactly, and slope 1 (we keep e^-x: < 2e-9 off)
    t = torch.tensor(x, requires_grad=True)
    y = _torch_fn(name, params)(t)
    y.sum().backward()
    _assert_close_to_torch(f_of(name, params)(x), y.detach().numpy(), x, rtol)
    _assert_close_to_torch(grad_of(name, params)(x), t.grad.numpy(), x, rtol)


@requires_torch
def test_prelu_matches_torch_prelu_with_one_slope_per_unit():
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(4)
    x, dout, alpha = rng.normal(size=(8, 3)), rng.normal(size=(8, 3)), np.array([0.25, -0.1, 1.5])
    x[0] = 0.0  # the kink, to compare the value chosen there
    xt, at = torch.tensor(x, requires_grad=True), torch.tensor(alpha, requires_grad=True)
    yt = F.prelu(xt, at)
    yt.backward(torch.tensor(dout))
    np.testing.assert_allclose(A.prelu(x, alpha), yt.detach().numpy(), rtol=1e-15)
    dx, dalpha = A.prelu_backward(dout, x, alpha)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(dalpha, at.grad.numpy(), rtol=1e-12)


@requires_torch
def test_maxout_and_its_backward_match_torch_autograd():
    import torch

    x, W, b = _maxout_problem(6, n=6, d_in=5, k=3, d_out=4)
    dout = np.random.default_rng(7).normal(size=(6, 4))
    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    yt = (torch.einsum("ni,kij->knj", xt, Wt) + bt[:, None, :]).max(dim=0).values
    yt.backward(torch.tensor(dout))
    np.testing.assert_allclose(A.maxout(x, W, b), yt.detach().numpy(), rtol=1e-12)
    for ours, theirs in zip(A.maxout_backward(dout, x, W, b), (xt.grad, Wt.grad, bt.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-15)
