"""Specifications for course_lib.regularization: L2, L1 and elastic-net penalties on the weight matrices only."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import requires_torch
from course_lib.jacobian import numerical_gradient, rel_error
from course_lib.regularization import add_penalty, elastic_net, is_penalised, l1_penalty, l2_penalty


def _params(seed=0, dtype=np.float64):
    """A weight matrix, a bias, batch norm's gamma and beta, a second weight matrix: like MLP.params."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal(4).astype(dtype),
            rng.standard_normal(4).astype(dtype), rng.standard_normal(4).astype(dtype),
            rng.standard_normal((4, 2)).astype(dtype)]


def test_l2_penalty_is_lambda_times_sum_of_squared_weights_with_gradient_2_lambda_w():
    params = _params()
    W1, W2 = params[0], params[4]
    penalty, grads = l2_penalty(params, 0.3)
    assert penalty == pytest.approx(0.3 * (np.sum(W1**2) + np.sum(W2**2)), rel=1e-12)
    np.testing.assert_allclose(grads[0], 2 * 0.3 * W1, rtol=1e-12)
    np.testing.assert_allclose(grads[4], 2 * 0.3 * W2, rtol=1e-12)


def test_penalties_leave_biases_gamma_and_beta_alone():
    params = _params()
    for penalty_fn in (lambda p: l2_penalty(p, 1.0), lambda p: l1_penalty(p, 1.0), lambda p: elastic_net(p, 1.0)):
        _, grads = penalty_fn(params)
        for k in (1, 2, 3):
            assert not is_penalised(params[k])
            assert np.all(grads[k] == 0.0)
    only_vectors = [params[1], params[2]]
    assert l2_penalty(only_vectors, 5.0)[0] == 0.0


def test_l1_penalty_is_lambda_times_sum_of_absolute_weights_with_sign_gradient_and_zero_at_zero():
    W = np.array([[1.5, -2.0], [0.0, 0.25]])
    penalty, grads = l1_penalty([W], 0.1)
    assert penalty == pytest.approx(0.1 * 3.75, rel=1e-12)
    np.testing.assert_array_equal(grads[0], 0.1 * np.array([[1.0, -1.0], [0.0, 1.0]]))


def test_elastic_net_interpolates_between_l1_and_l2():
    params = _params(1)
    p_l1, g_l1 = l1_penalty(params, 0.2)
    p_l2, g_l2 = l2_penalty(params, 0.2)
    assert elastic_net(params, 0.2, l1_ratio=1.0)[0] == pytest.approx(p_l1, rel=1e-12)
    assert elastic_net(params, 0.2, l1_ratio=0.0)[0] == pytest.approx(p_l2, rel=1e-12)
    p_mix, g_mix = elastic_net(params, 0.2, l1_ratio=0.25)
    assert p_mix == pytest.approx(0.25 * p_l1 + 0.75 * p_l2, rel=1e-12)
    np.testing.assert_allclose(g_mix[4], 0.25 * g_l1[4] + 0.75 * g_l2[4], rtol=1e-12)


def test_elastic_net_covers_the_lecture_form_beta_w_squared_plus_abs_w():
    """Lecture: R(W) = sum beta W^2 + |W| times lambda; ours: lam = lambda (1 + beta), l1_ratio = 1 / (1 + beta)."""
    W = np.random.default_rng(2).standard_normal((5, 3))
    lam, beta = 0.05, 0.7
    lecture = lam * np.sum(beta * W**2 + np.abs(W))
    ours, _ = elastic_net([W], lam * (1 + beta), l1_ratio=1 / (1 + beta))
    assert ours == pytest.approx(lecture, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 5), cols=st.integers(1, 5), lam=st.floats(0.0, 3.0), ratio=st.floats(0.0, 1.0),
       seed=st.integers(0, 10_000))
def test_penalty_gradient_matches_central_differences_away_from_zero(rows, cols, lam, ratio, seed):
    rng = np.random.default_rng(seed)
    W = rng.uniform(0.1, 2.0, (rows, cols)) * rng.choice([-1.0, 1.0], (rows, cols))  # |W| >= 0.1: no kink nearby
    _, grads = elastic_net([W], lam, ratio)
    numeric = numerical_gradient(lambda w: elastic_net([w], lam, ratio)[0], W)
    assert rel_error(grads[0], numeric) < 1e-7


def test_add_penalty_adds_to_existing_gradients_in_place_and_keeps_float32():
    params = _params(3, np.float32)
    grads = [np.ones_like(p) for p in params]
    penalty = add_penalty(params, grads, l1=0.1, l2=0.2)
    W = params[0].astype(np.float64)
    assert penalty == pytest.approx(0.1 * np.abs(W).sum() + 0.2 * (W**2).sum() + 0.1 * np.abs(params[4]).sum()
                                    + 0.2 * (params[4].astype(np.float64) ** 2).sum(), rel=1e-6)
    assert grads[0].dtype == np.float32
    np.testing.assert_allclose(grads[0], 1 + 0.1 * np.sign(W) + 0.4 * W, rtol=1e-5)
    assert np.all(grads[1] == 1.0)


@requires_torch
def test_l2_with_half_the_decay_equals_torch_sgd_weight_decay():
    """torch's weight_decay=wd adds wd * W to the gradient: the gradient of (wd/2) sum W^2."""
    import torch

    W = np.random.default_rng(4).standard_normal((4, 3))
    g = np.random.default_rng(5).standard_normal((4, 3))
    wd, lr = 0.1, 0.5
    w_t = torch.tensor(W, requires_grad=True)
    opt = torch.optim.SGD([w_t], lr=lr, weight_decay=wd)
    w_t.grad = torch.tensor(g)
    opt.step()
    grads = [g.copy()]
    add_penalty([W], grads, l2=wd / 2)
    np.testing.assert_allclose(W - lr * grads[0], w_t.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: l2_penalty(_params(), -1.0), "lam"),
    (lambda: elastic_net(_params(), 1.0, l1_ratio=1.5), "l1_ratio"),
    (lambda: l2_penalty(np.ones((2, 2)), 1.0), "params"),
    (lambda: l1_penalty([np.ones((2, 2), dtype=int)], 1.0), "params"),
    (lambda: add_penalty(_params(), _params()[:2], l2=1.0), "grads"),
    (lambda: add_penalty(_params(), [np.zeros((4, 3))] + _params()[1:], l2=1.0), "grads"),
    (lambda: add_penalty(_params(), _params(), l1=float("nan")), "l1"),
])
def test_bad_arguments_raise_errors_that_name_them(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()
