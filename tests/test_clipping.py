"""Gradient clipping by total norm and by value, against their definitions and torch.nn.utils."""
import math

import numpy as np
import pytest
from conftest import requires_torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.clipping import clip_grad_norm, clip_grad_value
from course_lib.optim import flat_parameters


def make_grads(seed=0, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    return [np.array(rng.standard_normal(s) * scale, dtype=dtype) for s in [(3, 4), (4,), (), (2, 2, 2)]]


def definition_norm(grads, p):
    """||g||_p of all entries together, straight from the definition."""
    flat = np.concatenate([np.ravel(g).astype(np.float64) for g in grads])
    if math.isinf(p):
        return float(np.max(np.abs(flat), initial=0.0))
    return float(np.sum(np.abs(flat) ** p) ** (1 / p))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf])
def test_clip_grad_norm_returns_the_total_norm_and_scales_every_gradient_by_the_same_factor(p):
    grads = make_grads(1)
    original = [g.copy() for g in grads]
    total = definition_norm(original, p)
    max_norm = 0.3 * total
    returned = clip_grad_norm(grads, max_norm, norm_type=p)
    assert returned == pytest.approx(total, rel=1e-12)
    coef = max_norm / (total + 1e-6)
    for g, g0 in zip(grads, original):
        np.testing.assert_allclose(g, coef * g0, rtol=1e-13)
    assert definition_norm(grads, p) == pytest.approx(max_norm * total / (total + 1e-6), rel=1e-12)


def test_gradients_already_inside_the_ball_are_left_as_they_are():
    grads = make_grads(2)
    original = [g.copy() for g in grads]
    total = clip_grad_norm(grads, max_norm=1e3)
    assert total < 1e3
    for g, g0 in zip(grads, original):
        np.testing.assert_array_equal(g, g0)


def test_clipping_keeps_the_direction_of_the_whole_gradient():
    grads = make_grads(3, scale=50.0)
    before = np.concatenate([g.ravel() for g in grads])
    clip_grad_norm(grads, 1.0)
    after = np.concatenate([g.ravel() for g in grads])
    cosine = before @ after / (np.linalg.norm(before) * np.linalg.norm(after))
    assert cosine == pytest.approx(1.0, abs=1e-14)
    assert np.linalg.norm(after) == pytest.approx(1.0, rel=1e-6)


def test_float32_gradients_stay_float32_and_a_single_array_is_accepted():
    g = np.random.default_rng(4).standard_normal(1000).astype(np.float32) * 10
    g0 = g.copy()
    total = clip_grad_norm(g, 5.0)
    assert g.dtype == np.float32
    assert total == pytest.approx(np.linalg.norm(g0.astype(np.float64)), rel=1e-12)
    np.testing.assert_allclose(g, g0 * (5.0 / (total + 1e-6)), rtol=1e-6)


def test_a_flat_gradient_buffer_is_clipped_like_separate_arrays():
    flat, views = flat_parameters([(3, 4), (4,), (2, 2)], np.float64)
    flat[:] = np.random.default_rng(5).standard_normal(flat.size) * 3
    separate = [v.copy() for v in views]
    assert clip_grad_norm(views, 1.5) == pytest.approx(clip_grad_norm(separate, 1.5), rel=1e-14)
    for a, b in zip(views, separate):
        np.testing.assert_allclose(a, b, rtol=1e-15)


def test_nonfinite_total_norm_raises_only_when_asked_and_then_changes_nothing():
    grads = make_grads(6)
    grads[1][0] = np.inf
    before = [g.copy() for g in grads]
    with pytest.raises(ValueError, match="total 2.0-norm of the gradients is inf"):
        clip_grad_norm(grads, 1.0, error_if_nonfinite=True)
    for g, g0 in zip(grads, before):
        np.testing.assert_array_equal(g, g0)
    assert clip_grad_norm(grads, 1.0) == math.inf  # torch's default: scaled by 1 / (inf + 1e-6) = 0
    assert np.all(grads[0] == 0) and np.isnan(grads[1][0])


@pytest.mark.parametrize("call, error, message", [
    (lambda: clip_grad_norm([np.ones(3)], -1.0), ValueError, "max_norm must be >= 0"),
    (lambda: clip_grad_norm([np.ones(3)], 1.0, norm_type=0), ValueError, "norm_type must be > 0"),
    (lambda: clip_grad_norm([np.ones(3)], 1.0, norm_type="fro"), TypeError, "norm_type must be a positive number"),
    (lambda: clip_grad_norm([[1.0, 2.0]], 1.0), TypeError, r"grads\[0\] must be a NumPy array"),
    (lambda: clip_grad_norm([np.ones(3, np.int64)], 1.0), TypeError, r"grads\[0\] must have dtype float32"),
    (lambda: clip_grad_norm([np.ones((3, 3))[:, 0]], 1.0), ValueError, r"grads\[0\] is not contiguous"),
    (lambda: clip_grad_value([np.broadcast_to(np.ones(1), (3,))], 1.0), ValueError, "read-only"),
    (lambda: clip_grad_value([np.ones(3)], -0.5), ValueError, "clip_value must be >= 0"),
    (lambda: clip_grad_value(3.0, 1.0), TypeError, "grads must be an array or a list"),
])
def test_bad_input_is_rejected_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_clip_grad_value_clamps_each_entry_and_keeps_nan():
    g = np.array([-3.0, -0.5, 0.0, 0.7, 2.0, np.nan])
    clip_grad_value(g, 1.0)
    np.testing.assert_array_equal(g[:5], [-1.0, -0.5, 0.0, 0.7, 1.0])
    assert np.isnan(g[5])
    f32 = np.array([[5.0, -5.0]], np.float32)
    clip_grad_value([f32], 0.25)
    assert f32.dtype == np.float32 and np.all(f32 == np.float32([[0.25, -0.25]]))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e3), max_norm=st.floats(0.0, 10.0),
       p=st.sampled_from([1.0, 2.0, 4.0, math.inf]), dtype=st.sampled_from([np.float32, np.float64]))
def test_after_clipping_the_norm_is_at_most_max_norm(seed, scale, max_norm, p, dtype):
    grads = make_grads(seed, dtype, scale)
    total = clip_grad_norm(grads, max_norm, norm_type=p)
    after = definition_norm(grads, p)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert after <= (max_norm + 1e-6) * (1 + tol)  # inside the ball (the 1e-6 of the rule's denominator aside)
    assert after <= total * (1 + tol)  # and clipping never lengthens the gradient


@requires_torch
@pytest.mark.torch
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_norm_matches_torch(p, dtype):
    import torch

    grads = make_grads(7, dtype, scale=5.0)
    tensors = [torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype, requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.from_numpy(g.copy())
    expected = float(torch.nn.utils.clip_grad_norm_(tensors, 2.0, norm_type=p))
    returned = clip_grad_norm(grads, 2.0, norm_type=p)
    tol = 1e-9 if dtype == np.float64 else 1e-5
    assert returned == pytest.approx(expected, rel=tol)
    for g, t in zip(grads, tensors):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=tol, atol=tol * 1e-3)


@requires_torch
@pytest.mark.torch
def test_clip_grad_value_matches_torch():
    import torch

    grads = make_grads(8, scale=2.0)
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.from_numpy(g.copy())
    torch.nn.utils.clip_grad_value_(tensors, 0.8)
    clip_grad_value(grads, 0.8)
    for g, t in zip(grads, tensors):
        np.testing.assert_array_equal(g, t.grad.numpy())
