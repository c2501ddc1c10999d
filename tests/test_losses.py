"""Losses: softmax cross-entropy, binary cross-entropy on logits and MSE give PyTorch's values and the gradients
that central differences measure, stay finite for logits of size 1e4, and reject bad input by name."""
import contextlib
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numba import njit
from scipy import special

from conftest import requires_torch

from course_lib import losses as L
from course_lib.jacobian import numerical_gradient, rel_error


def _problem(seed, n=6, c=4, scale=2.0):
    rng = np.random.default_rng(seed)
    return scale * rng.normal(size=(n, c)), rng.integers(0, c, size=n)


@contextlib.contextmanager
def _no_warnings():
    """Any Python warning, or a floating-point problem that NumPy would warn about by default, is an error inside
    (NumPy ignores underflow by default, e.g. a float64 target of 1e-140 becoming 0 in float32)."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield


# ------------------------------------------------------------------------------------------------ softmax
def test_softmax_rows_are_probabilities_equal_to_the_textbook_formula():
    z, _ = _problem(0)
    p = L.softmax(z)
    np.testing.assert_allclose(p, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)


def test_softmax_ignores_a_constant_added_to_a_row_which_is_why_the_max_can_be_subtracted():
    z, _ = _problem(1)
    shifted = z + np.array([[1000.0], [-1000.0], [0.0], [5e3], [-7.5], [1e4]])
    with _no_warnings():
        np.testing.assert_allclose(L.softmax(shifted), L.softmax(z), rtol=1e-10, atol=1e-15)


def test_log_softmax_is_log_of_softmax_and_stays_finite_where_softmax_underflows():
    z, _ = _problem(2)
    np.testing.assert_allclose(L.log_softmax(z), np.log(L.softmax(z)), rtol=1e-13)
    with _no_warnings():
        np.testing.assert_array_equal(L.log_softmax(np.array([1e4, 0.0, -1e4])), [0.0, -1e4, -2e4])
        np.testing.assert_array_equal(L.softmax(np.array([1e4, 0.0, -1e4])), [1.0, 0.0, 0.0])


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), (1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_work_along_the_last_axis_of_any_shape_and_keep_the_dtype(shape, dtype):
    z = np.random.default_rng(3).normal(size=shape)
    for fn, ref in ((L.softmax, special.softmax), (L.log_softmax, special.log_softmax)):
        out = fn(z.astype(dtype))
        assert out.dtype == dtype and out.shape == shape
        tol = 1e-5 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(out, ref(z, axis=-1), rtol=tol, atol=tol * 1e-2)


@pytest.mark.parametrize("bad, error, match", [
    (3.0, ValueError, "at least one dimension"),
    (np.ones((2, 0)), ValueError, "at least one class"),
    (np.array([1.0, np.nan]), ValueError, r"logits contains a non-finite value \(nan\) at index \(1,\)"),
    (np.array([1.0, np.inf]), ValueError, "logits contains a non-finite"),
    ("abc", TypeError, "logits must"),
    (np.ones(3, complex), TypeError, "logits must hold real"),
])
def test_softmax_bad_input_names_logits(bad, error, match):
    for fn in (L.softmax, L.log_softmax):
        with pytest.raises(error, match=match):
            fn(bad)


# ------------------------------------------------------------------------------------------------ cross-entropy
def test_cross_entropy_is_the_mean_negative_log_probability_of_the_labels():
    z, y = _problem(4)
    loss, _ = L.softmax_cross_entropy(z, y)
    expected = -np.mean(special.log_softmax(z, axis=1)[np.arange(len(y)), y])
    assert loss == pytest.approx(expected, rel=1e-13)


def test_cross_entropy_is_log_c_when_all_logits_are_equal():
    # The lecture's first sanity check: an untrained classifier over C classes has loss log C.
    for c in (2, 10, 1000):
        loss, dz = L.softmax_cross_entropy(np.zeros((3, c)), [0, c - 1, c // 2])
        assert loss == pytest.approx(math.log(c), rel=1e-14)
        np.testing.assert_allclose(dz[0], (np.full(c, 1 / c) - np.eye(c)[0]) / 3, rtol=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n_and_matches_central_differences():
    z, y = _problem(5)
    loss, dz = L.softmax_cross_entropy(z, y)
    np.testing.assert_allclose(dz, (special.softmax(z, axis=1) - np.eye(4)[y]) / len(y), rtol=1e-12, atol=1e-17)
    numeric = numerical_gradient(lambda v: L.softmax_cross_entropy(v, y)[0], z.copy())
    assert rel_error(numeric, dz) < 1e-7
    np.testing.assert_allclose(dz.sum(axis=1), 0.0, atol=1e-16)


def test_cross_entropy_is_exact_and_warning_free_for_logits_of_size_1e4():
    z = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    with _no_warnings():
        loss, dz = L.softmax_cross_entropy(z, [0, 1, 2])
    # row losses: 0, 2e4, log 3
    assert loss == pytest.approx((0.0 + 2e4 + math.log(3)) / 3, rel=1e-15)
    np.testing.assert_allclose(dz, np.array([[0, 0, 0], [1, -1, 0], [1 / 3, 1 / 3, -2 / 3]]) / 3, rtol=1e-15,
                               atol=1e-300)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_keeps_the_dtype(dtype):
    z, y = _problem(6)
    loss, dz = L.softmax_cross_entropy(z.astype(dtype), y)
    ref_loss, ref_dz = L.softmax_cross_entropy(z, y)
    assert loss.dtype == dtype and dz.dtype == dtype and dz.shape == z.shape
    tol = 1e-5 if dtype == np.float32 else 1e-15
    assert loss == pytest.approx(ref_loss, rel=tol)
    np.testing.assert_allclose(dz, ref_dz, rtol=tol, atol=tol * 1e-2)


@njit
def _user_training_step(logits, labels, dlogits):
    # How another kernel (the MLP's) uses the row-level piece: its own loop, its own buffer.
    n = logits.shape[0]
    total = 0.0
    for i in range(n):
        total += L._softmax_xent_row(logits[i], labels[i], 1.0 / n, dlogits[i])
    return total / n


def test_the_row_level_kernels_give_the_same_loss_and_gradient_as_the_public_function():
    z, y = _problem(7)
    loss, dz = L.softmax_cross_entropy(z, y)
    buffer = np.empty_like(z)
    assert _user_training_step(z, y, buffer) == pytest.approx(loss, rel=1e-15)
    np.testing.assert_allclose(buffer, dz, rtol=1e-15)
    buffer2 = np.empty_like(z)
    assert L._softmax_xent_kernel(z, y, buffer2) == loss
    np.testing.assert_array_equal(buffer2, dz)


@pytest.mark.parametrize("logits, labels, error, match", [
    (np.zeros((3, 4)), [0, 1, 4], ValueError, r"labels must lie in \[0, 4\), got values from 0 to 4"),
    (np.zeros((3, 4)), [0, -1, 2], ValueError, r"labels must lie in \[0, 4\)"),
    (np.zeros((3, 4)), [0, 1], ValueError, "labels has 2 labels but there are 3 rows"),
    (np.zeros((3, 4)), [0.5, 1, 2], TypeError, "labels must hold integer class labels"),
    (np.zeros((3, 4)), ["a", "b", "c"], TypeError, "labels must hold integer"),
    (np.zeros((3, 4)), [[0], [1], [2]], ValueError, r"labels must have shape \(N,\)"),
    (np.zeros(4), [0], ValueError, "logits must have 2 dimension"),
    (np.zeros((0, 4)), [], ValueError, "at least one row"),
    (np.full((2, 2), np.nan), [0, 1], ValueError, "logits contains a non-finite"),
    (np.zeros((2, 2), complex), [0, 1], TypeError, "logits must hold real"),
    ("zz", [0], TypeError, "logits must"),
])
def test_cross_entropy_bad_input_names_the_argument(logits, labels, error, match):
    with pytest.raises(error, match=match):
        L.softmax_cross_entropy(logits, labels)


def test_cross_entropy_accepts_integer_valued_float_labels_and_any_integer_dtype():
    z, y = _problem(8)
    reference = L.softmax_cross_entropy(z, y)[0]
    assert L.softmax_cross_entropy(z, y.astype(np.float64))[0] == reference
    assert L.softmax_cross_entropy(z, y.astype(np.uint8))[0] == reference


# ------------------------------------------------------------------------------------------------ binary CE
def test_binary_cross_entropy_equals_the_lecture_form_with_h_equal_sigma_of_z():
    rng = np.random.default_rng(9)
    z, t = 3 * rng.normal(size=(4, 5)), rng.uniform(size=(4, 5))
    h = special.expit(z)
    loss, dz = L.binary_cross_entropy_with_logits(z, t)
    assert loss == pytest.approx(-np.mean(t * np.log(h) + (1 - t) * np.log(1 - h)), rel=1e-12)
    np.testing.assert_allclose(dz, (h - t) / z.size, rtol=1e-13)


def test_binary_cross_entropy_gradient_matches_central_differences():
    rng = np.random.default_rng(10)
    z, t = 2 * rng.normal(size=(3, 4)), (rng.uniform(size=(3, 4)) > 0.5).astype(float)
    _, dz = L.binary_cross_entropy_with_logits(z, t)
    assert rel_error(numerical_gradient(lambda v: L.binary_cross_entropy_with_logits(v, t)[0], z.copy()), dz) < 1e-7


def test_binary_cross_entropy_is_exact_and_warning_free_for_logits_of_size_1e4():
    z = np.array([1e4, -1e4, 1e4, -1e4])
    with _no_warnings():
        loss, dz = L.binary_cross_entropy_with_logits(z, [0.0, 1.0, 1.0, 0.0])
    assert loss == (1e4 + 1e4 + 0 + 0) / 4
    np.testing.assert_array_equal(dz, np.array([1.0, -1.0, 0.0, 0.0]) / 4)


@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_takes_any_shape_and_keeps_the_dtype(shape, dtype):
    rng = np.random.default_rng(11)
    z, t = rng.normal(size=shape), rng.uniform(size=shape)
    loss, dz = L.binary_cross_entropy_with_logits(z.astype(dtype), t)
    assert loss.dtype == dtype and dz.dtype == dtype and dz.shape == shape
    ref = np.mean(np.logaddexp(0, z) - z * t)
    tol = 1e-5 if dtype == np.float32 else 1e-13
    assert loss == pytest.approx(ref, rel=tol)


@pytest.mark.parametrize("logits, targets, error, match", [
    (np.zeros(3), [0.0, 1.5, 1.0], ValueError, r"targets must lie in \[0, 1\]"),
    (np.zeros(3), [0.0, -0.1, 1.0], ValueError, r"targets must lie in \[0, 1\]"),
    (np.zeros(3), np.zeros(4), ValueError, r"logits has shape \(3,\) but targets has shape \(4,\)"),
    (np.zeros(0), np.zeros(0), ValueError, "logits is empty"),
    (np.array([np.inf]), [1.0], ValueError, "logits contains a non-finite"),
    (np.zeros(2), [np.nan, 1.0], ValueError, "targets contains a non-finite"),
    (np.zeros(2), ["0", "1"], TypeError, "targets must hold real"),
])
def test_binary_cross_entropy_bad_input_names_the_argument(logits, targets, error, match):
    with pytest.raises(error, match=match):
        L.binary_cross_entropy_with_logits(logits, targets)


# ------------------------------------------------------------------------------------------------ MSE
def test_mse_is_the_mean_squared_difference_and_its_gradient_matches_central_differences():
    rng = np.random.default_rng(12)
    p, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    loss, dp = L.mse(p, t)
    assert loss == pytest.approx(np.mean((p - t) ** 2), rel=1e-14)
    assert rel_error(numerical_gradient(lambda v: L.mse(v, t)[0], p.copy()), dp) < 1e-7


def test_the_lectures_mse_sums_over_outputs_so_it_is_d_times_the_mean_over_all_elements():
    rng = np.random.default_rng(13)
    n, d = 8, 3
    y, y_hat = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    lecture_j = np.mean(np.sum((y - y_hat) ** 2, axis=1))  # J = (1/n) Σ_i ||y_i - ŷ_i||²
    assert lecture_j == pytest.approx(d * L.mse(y_hat, y)[0], rel=1e-14)


@pytest.mark.parametrize("shape", [(), (4,), (2, 3, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mse_takes_any_shape_and_keeps_the_dtype(shape, dtype):
    rng = np.random.default_rng(14)
    p, t = rng.normal(size=shape), rng.normal(size=shape)
    loss, dp = L.mse(p.astype(dtype), t)
    assert loss.dtype == dtype and dp.dtype == dtype and dp.shape == shape
    tol = 1e-5 if dtype == np.float32 else 1e-14
    assert loss == pytest.approx(np.mean((p - t) ** 2), rel=tol)
    np.testing.assert_allclose(dp, 2 * (p - t) / max(p.size, 1), rtol=tol, atol=tol * 1e-2)


@pytest.mark.parametrize("pred, target, error, match", [
    (np.zeros((2, 3)), np.zeros((3, 2)), ValueError, r"pred has shape \(2, 3\) but target has shape \(3, 2\)"),
    (np.zeros(0), np.zeros(0), ValueError, "pred is empty"),
    ([1.0, np.nan], [1.0, 2.0], ValueError, "pred contains a non-finite"),
    ([1.0, 2.0], "ab", TypeError, "target must"),
    (np.ones(2, complex), np.ones(2), TypeError, "pred must hold real"),
    (np.ones(2, np.float32), [1.0, 1e300], ValueError, r"target has a value too large for float32, the dtype of pred"),
])
def test_mse_bad_input_names_the_argument(pred, target, error, match):
    with pytest.raises(error, match=match):
        L.mse(pred, target)


# ------------------------------------------------------------------------------------------------ properties
@st.composite
def batches(draw):
    n = draw(st.integers(1, 6))
    c = draw(st.integers(1, 6))
    logits = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-1e4, 1e4)))
    labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(-2, c + 1)))
    return logits, labels


@settings(max_examples=60, deadline=None)
@given(batch=batches())
def test_random_batches_give_the_reference_loss_or_a_clear_label_error(batch):
    z, y = batch
    c = z.shape[1]
    if y.min() < 0 or y.max() >= c:
        with pytest.raises(ValueError, match=rf"labels must lie in \[0, {c}\)"):
            L.softmax_cross_entropy(z, y)
        return
    with _no_warnings():
        loss, dz = L.softmax_cross_entropy(z, y)
    reference = np.mean(special.logsumexp(z, axis=1) - z[np.arange(len(y)), y])
    assert loss >= 0
    assert abs(loss - reference) <= 1e-12 * (1 + np.abs(z).max())
    np.testing.assert_allclose(dz.sum(axis=1), 0.0, atol=1e-15)
    assert np.all(dz[np.arange(len(y)), y] <= 0) and np.all(np.abs(dz) <= 1 / len(y))


@settings(max_examples=60, deadline=None)
@given(z=hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                    elements=st.floats(-1e4, 1e4, width=32)),
       t=st.floats(0, 1))
def test_random_logits_give_finite_nonnegative_binary_cross_entropy(z, t):
    with _no_warnings():
        loss, dz = L.binary_cross_entropy_with_logits(z, np.full(z.shape, t))
    assert np.isfinite(loss) and loss >= 0 and dz.dtype == z.dtype and dz.shape == z.shape
    z64 = z.astype(np.float64)
    reference = np.mean(np.logaddexp(0, z64) - z64 * t)
    tol = 1e-5 if z.dtype == np.float32 else 1e-12
    assert abs(loss - reference) <= tol * (1 + np.abs(z64).max())


# ------------------------------------------------------------------------------------------------ PyTorch oracle
def _torch_loss_and_grad(fn, x, *args):
    import torch

    xt = torch.tensor(x, requires_grad=True)
    loss = fn(xt, *args)
    loss.backward()
    return loss.item(), xt.grad.numpy()


@requires_torch
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_cross_entropy_matches_torch_cross_entropy(dtype, rtol, scale):
    import torch
    import torch.nn.functional as F

    z, y = _problem(15, n=9, c=5, scale=scale)
    z = z.astype(dtype)
    loss, dz = L.softmax_cross_entropy(z, y)
    ref_loss, ref_dz = _torch_loss_and_grad(F.cross_entropy, z, torch.tensor(y))
    assert loss == pytest.approx(ref_loss, rel=rtol)
    np.testing.assert_allclose(dz, ref_dz, rtol=rtol, atol=rtol * 1e-3)


@requires_torch
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_binary_cross_entropy_and_mse_match_torch(dtype, rtol):
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(16)
    z = np.concatenate([3 * rng.normal(size=20), [1e4, -1e4, 0.0]]).astype(dtype)
    t = np.concatenate([rng.uniform(size=20), [0.0, 1.0, 0.5]]).astype(dtype)
    loss, dz = L.binary_cross_entropy_with_logits(z, t)
    ref_loss, ref_dz = _torch_loss_and_grad(F.binary_cross_entropy_with_logits, z, torch.tensor(t))
    assert loss == pytest.approx(ref_loss, rel=rtol)
    np.testing.assert_allclose(dz, ref_dz, rtol=rtol, atol=rtol * 1e-3)
    p, q = rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=(4, 3)).astype(dtype)
    loss, dp = L.mse(p, q)
    ref_loss, ref_dp = _torch_loss_and_grad(F.mse_loss, p, torch.tensor(q))
    assert loss == pytest.approx(ref_loss, rel=rtol)
    np.testing.assert_allclose(dp, ref_dp, rtol=rtol, atol=rtol * 1e-3)


@requires_torch
def test_softmax_and_log_softmax_match_torch_on_the_last_axis():
    import torch

    z = 50 * np.random.default_rng(17).normal(size=(2, 3, 5))
    zt = torch.tensor(z)
    np.testing.assert_allclose(L.softmax(z), torch.softmax(zt, dim=-1).numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(L.log_softmax(z), torch.log_softmax(zt, dim=-1).numpy(), rtol=1e-12)
