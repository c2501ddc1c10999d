"""Numeric gradients, Jacobians, rel_error and the gradient-check report (course_lib.jacobian)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.jacobian import GradientCheck, gradient_check, numerical_gradient, numerical_jacobian, rel_error


# --- numerical_gradient ------------------------------------------------------------------------------------------

def test_numerical_gradient_of_a_quadratic_form_is_the_symmetrised_matrix_times_x():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    grad = numerical_gradient(lambda v: 0.5 * v @ A @ v, x)
    exact = 0.5 * (A + A.T) @ x
    # a quadratic has no third derivative, so the central difference is exact up to rounding
    np.testing.assert_allclose(grad, exact, rtol=1e-9, atol=1e-10)


def test_numerical_gradient_keeps_the_shape_of_a_matrix_input():
    x = np.arange(6.0).reshape(2, 3) / 7
    grad = numerical_gradient(lambda w: np.sum(np.sin(w)), x)
    assert grad.shape == (2, 3)
    np.testing.assert_allclose(grad, np.cos(x), rtol=1e-9)


def test_numerical_gradient_error_shrinks_like_h_squared():
    x = np.array([0.7])
    exact = np.exp(0.7)
    err_big = abs(numerical_gradient(lambda v: np.exp(v[0]), x, h=1e-2)[0] - exact)
    err_small = abs(numerical_gradient(lambda v: np.exp(v[0]), x, h=1e-3)[0] - exact)
    # the leading error term is f'''(x) h^2 / 6: ten times smaller h, a hundred times smaller error
    assert err_big == pytest.approx(exact * 1e-4 / 6, rel=1e-3)
    assert err_big / err_small == pytest.approx(100.0, rel=1e-2)


def test_numerical_gradient_restores_x_exactly_and_sees_closure_reads():
    x = np.array([[0.1, 0.2], [0.3, 0.4]])
    before = x.copy()
    grad = numerical_gradient(lambda _unused: np.sum(x**3), x)  # f reads x through the closure
    np.testing.assert_array_equal(x, before)
    # for a cubic the central difference is off by exactly h^2: ((x+h)^3 - (x-h)^3) / 2h = 3x^2 + h^2
    np.testing.assert_allclose(grad, 3 * before**2 + 1e-10, rtol=0, atol=1e-11)


def test_numerical_gradient_works_on_a_strided_view_and_restores_it():
    base = np.arange(12.0).reshape(3, 4) / 10
    view = base[:, ::2]
    before = base.copy()
    grad = numerical_gradient(lambda v: np.sum(v**2), view)
    np.testing.assert_allclose(grad, 2 * before[:, ::2], rtol=1e-9)
    np.testing.assert_array_equal(base, before)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0])
    calls = []

    def f(v):
        calls.append(v.copy())
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    assert calls[0][0] == 1.0 + 1e-5
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_gradient_accepts_lists_and_zero_dimensional_points():
    np.testing.assert_allclose(numerical_gradient(lambda v: v[0] * v[1], [2, 3]), [3.0, 2.0], rtol=1e-9)
    assert numerical_gradient(lambda v: float(v) ** 2, np.array(1.5)) == pytest.approx(3.0, rel=1e-9)


def test_numerical_gradient_rejects_a_vector_valued_f_and_points_to_the_jacobian():
    with pytest.raises(ValueError, match=r"scalar.*shape \(2,\).*numerical_jacobian"):
        numerical_gradient(lambda v: v * 2, np.ones(2))


def test_numerical_gradient_names_the_entry_where_f_is_not_finite():
    with pytest.raises(ValueError, match=r"non-finite value \(nan\) at x\[1\] - h"):
        numerical_gradient(lambda v: v[0] + (np.log(v[1]) if v[1] > 0 else float("nan")), np.array([1.0, 5e-6]))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"f": 3.0}, TypeError, "f must be a function"),
        ({"x": np.ones(2, np.float32)}, TypeError, "float64"),
        ({"x": ["a"]}, TypeError, "x must hold real"),
        ({"h": 0.0}, ValueError, "h must be > 0"),
        ({"f": lambda v: "loss"}, TypeError, "real number"),
    ],
)
def test_numerical_gradient_explains_bad_arguments(kwargs, error, message):
    args = {"f": lambda v: float(np.sum(v)), "x": np.ones(2), "h": 1e-5} | kwargs
    with pytest.raises(error, match=message):
        numerical_gradient(**args)


def test_numerical_gradient_refuses_a_read_only_array():
    x = np.ones(2)
    x.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        numerical_gradient(np.sum, x)


# --- numerical_jacobian ------------------------------------------------------------------------------------------

def test_jacobian_of_a_linear_map_is_its_matrix_with_outputs_as_rows():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 5))  # R^5 -> R^3
    J = numerical_jacobian(lambda v: A @ v, rng.normal(size=5))
    assert J.shape == (3, 5)
    np.testing.assert_allclose(J, A, rtol=1e-9, atol=1e-11)


def test_jacobian_of_elementwise_relu_is_the_lectures_diagonal_of_zeros_and_ones():
    x = np.array([1.0, -2.0, 3.0, -1.0])
    J = numerical_jacobian(lambda v: np.maximum(0.0, v), x)
    np.testing.assert_allclose(J, np.diag([1.0, 0.0, 1.0, 0.0]), rtol=0, atol=1e-10)
    upstream = np.array([4.0, -1.0, 5.0, 9.0])
    # dL/dx = J^T dL/dy; for an elementwise gate that is just a mask on the upstream gradient
    np.testing.assert_allclose(J.T @ upstream, [4.0, 0.0, 5.0, 0.0], rtol=0, atol=1e-9)


def test_jacobian_flattens_matrix_inputs_and_outputs_in_row_major_order():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    J = numerical_jacobian(lambda m: m.T, x)  # transposing permutes entries: J is a permutation matrix
    expected = np.zeros((4, 4))
    for i in range(2):
        for j in range(2):
            expected[j * 2 + i, i * 2 + j] = 1.0  # output (j, i) comes from input (i, j)
    np.testing.assert_allclose(J, expected, atol=1e-10)


def test_jacobian_chain_rule_multiplies_jacobians():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(3, 4))
    x = rng.normal(size=4)

    def inner(v):
        return W @ v

    def outer(z):
        return np.tanh(z)

    J_composed = numerical_jacobian(lambda v: outer(inner(v)), x)
    J_chain = numerical_jacobian(outer, inner(x)) @ numerical_jacobian(inner, x)
    np.testing.assert_allclose(J_composed, J_chain, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(J_composed, np.diag(1 - np.tanh(W @ x) ** 2) @ W, rtol=1e-8, atol=1e-10)


def test_jacobian_rejects_an_output_that_changes_size_or_is_not_finite():
    with pytest.raises(ValueError, match="must not change"):
        numerical_jacobian(lambda v: np.ones(3) if v[0] > 1 else np.ones(2), np.array([1.0]))
    with pytest.raises(ValueError, match="non-finite"):
        numerical_jacobian(lambda v: v * np.inf, np.array([1.0]))


# --- rel_error ---------------------------------------------------------------------------------------------------

def test_rel_error_is_the_largest_elementwise_ratio():
    a = np.array([1.0, 100.0, 0.0])
    b = np.array([1.1, 100.0, 0.0])
    # elementwise: 0.1 / 2.1, 0, and 0 for the two zeros (guarded by the 1e-8 floor)
    assert rel_error(a, b) == pytest.approx(0.1 / 2.1, rel=1e-12)


def test_rel_error_takes_the_ratio_before_the_max_so_a_wrong_small_entry_shows():
    a = np.array([1000.0, 1e-3])
    b = np.array([1000.0, 2e-3])
    assert rel_error(a, b) == pytest.approx(1e-3 / 3e-3, rel=1e-12)
    ratio_of_maxima = np.max(np.abs(a - b)) / np.max(np.abs(a) + np.abs(b))
    assert ratio_of_maxima < 1e-6  # the other reading of the formula would call this a perfect match


def test_rel_error_floor_makes_tiny_absolute_differences_small():
    assert rel_error(np.array([0.0]), np.array([1e-12])) == pytest.approx(1e-12 / 1e-8, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=8).flatmap(
        lambda a: st.tuples(st.just(a), st.lists(st.floats(-1e6, 1e6), min_size=len(a), max_size=len(a)))
    )
)
def test_rel_error_is_symmetric_and_between_zero_and_one(pair):
    a, b = np.array(pair[0]), np.array(pair[1])
    e = rel_error(a, b)
    assert e == rel_error(b, a)
    assert 0.0 <= e <= 1.0
    assert rel_error(a, a) == 0.0


def test_rel_error_is_one_for_opposite_signs():
    assert rel_error([2.0, 3.0], [2.0, -3.0]) == 1.0


def test_rel_error_checks_shapes_and_finiteness():
    with pytest.raises(ValueError, match=r"a has shape \(2,\) but b has shape \(3,\)"):
        rel_error(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="b contains a non-finite value"):
        rel_error(np.ones(2), np.array([1.0, np.inf]))
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0


# --- gradient_check ----------------------------------------------------------------------------------------------

def _loss(w):
    return float(np.sum(np.tanh(w) ** 2))


def _grad(w):
    return 2 * np.tanh(w) * (1 - np.tanh(w) ** 2)


def test_gradient_check_passes_a_correct_gradient():
    w = np.random.default_rng(3).normal(size=(3, 2))
    report = gradient_check(_loss, _grad(w), w)
    assert isinstance(report, GradientCheck)
    assert report.ok and report.rel_error < 1e-8
    np.testing.assert_allclose(report.numeric, report.analytic, rtol=1e-8)


def test_gradient_check_accepts_the_gradient_as_a_function():
    w = np.random.default_rng(4).normal(size=5)
    assert gradient_check(_loss, _grad, w).ok


def test_gradient_check_finds_the_one_wrong_element_and_reports_it():
    w = np.random.default_rng(5).normal(size=(3, 2))
    wrong = _grad(w)
    wrong[2, 1] *= 1.01  # one element 1% off
    report = gradient_check(_loss, wrong, w)
    assert not report.ok
    assert report.worst_index == (2, 1)
    assert report.rel_error == pytest.approx(0.01 / 2.01, rel=1e-6)
    text = str(report)
    assert "FAILED" in text and "x[2, 1]" in text
    assert f"{report.numeric[2, 1]:.10g}" in text and f"{wrong[2, 1]:.10g}" in text
    assert repr(report) == text


def test_gradient_check_tolerance_decides_ok():
    w = np.array([0.3, -0.2])
    wrong = _grad(w) * (1 + 1e-5)
    assert not gradient_check(_loss, wrong, w).ok
    assert gradient_check(_loss, wrong, w, tol=1e-4).ok


def test_gradient_check_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"analytic_grad has shape \(3,\) but x has shape \(2, 2\)"):
        gradient_check(_loss, np.ones(3), np.ones((2, 2)))
