"""Dense, batch-norm and dropout layers (course_lib.layers): forward/backward pairs checked against NumPy formulas,
numeric gradients and, when installed, PyTorch."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import requires_torch
from course_lib.jacobian import gradient_check, rel_error
from course_lib.layers import (
    BatchNormCache,
    batchnorm_backward,
    batchnorm_backward_graph,
    batchnorm_forward,
    dense_backward,
    dense_forward,
    dropout_backward,
    dropout_forward,
)


def _rng(seed=0):
    return np.random.default_rng(seed)


# =====================================================================================================================
# dense
# =====================================================================================================================

def test_dense_forward_is_x_times_W_plus_b_row_by_row():
    rng = _rng(0)
    x, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    out = dense_forward(x, W, b)
    expected = np.array([[sum(x[i, j] * W[j, k] for j in range(3)) + b[k] for k in range(4)] for i in range(5)])
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)


def test_dense_backward_matches_numeric_gradients_for_x_W_and_b():
    rng = _rng(1)
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    G = rng.normal(size=(4, 2))  # loss = sum(out * G), so dL/dout = G

    def loss(_):
        return float(np.sum(dense_forward(x, W, b) * G))

    dx, dW, db = dense_backward(G, x, W)
    for name, param, grad in (("x", x, dx), ("W", W, dW), ("b", b, db)):
        check = gradient_check(loss, grad, param)
        assert check.rel_error < 1e-8, f"{name}: {check}"


@given(
    n=st.integers(1, 6), d_in=st.integers(1, 6), d_out=st.integers(1, 6), seed=st.integers(0, 2**16),
    dtype=st.sampled_from([np.float32, np.float64]),
)
@settings(max_examples=40, deadline=None)
def test_dense_pair_matches_numpy_for_any_shape_and_keeps_the_dtype(n, d_in, d_out, seed, dtype):
    rng = _rng(seed)
    x, W, b, dout = (rng.normal(size=s).astype(dtype) for s in ((n, d_in), (d_in, d_out), (d_out,), (n, d_out)))
    out = dense_forward(x, W, b)
    dx, dW, db = dense_backward(dout, x, W)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    x64, W64, dout64 = x.astype(np.float64), W.astype(np.float64), dout.astype(np.float64)
    for got, want in ((out, x64 @ W64 + b), (dx, dout64 @ W64.T), (dW, x64.T @ dout64), (db, dout64.sum(0))):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_dense_accepts_non_contiguous_views_without_performance_warnings():
    # pytest turns every NumbaWarning (NumbaPerformanceWarning included) into an error
    rng = _rng(2)
    big = rng.normal(size=(6, 8))
    x = big[:, ::2]  # (6, 4), strided
    W = rng.normal(size=(3, 4)).T  # (4, 3), Fortran order
    b = rng.normal(size=3)
    np.testing.assert_allclose(dense_forward(x, W, b), x @ W + b, rtol=1e-12)
    dx, dW, _ = dense_backward(np.ones((6, 3)), x, W)
    np.testing.assert_allclose(dW, x.T @ np.ones((6, 3)), rtol=1e-12)


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((np.ones((2, 3)), np.ones((4, 2)), np.ones(2)), ValueError, "x has 3 columns but W has 4 rows"),
        ((np.ones(3), np.ones((3, 2)), np.ones(2)), ValueError, "x must have 2 dimension"),
        ((np.ones((2, 3)), np.ones((3, 2)), np.ones(3)), ValueError, r"b must have shape \(2,\)"),
        ((np.ones((2, 3)), np.ones((3, 2), np.float32), np.ones(2)), TypeError, "W has dtype float32 but x"),
        ((np.ones((0, 3)), np.ones((3, 2)), np.ones(2)), ValueError, "size 0"),
        ((np.ones((2, 3)), "W", np.ones(2)), TypeError, "W must hold real"),
    ],
)
def test_dense_forward_explains_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        dense_forward(*args)


def test_dense_backward_checks_the_shape_of_dout():
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 4\)"):
        dense_backward(np.ones((2, 3)), np.ones((2, 5)), np.ones((5, 4)))


@requires_torch
def test_dense_matches_torch_linear_with_weight_transposed():
    import torch

    rng = _rng(3)
    x, W, b, G = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 4))
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(W.T.copy(), requires_grad=True)  # nn.Linear's weight is (D_out, D_in)
    tb = torch.tensor(b, requires_grad=True)
    tout = torch.nn.functional.linear(tx, tw, tb)
    tout.backward(torch.tensor(G))
    np.testing.assert_allclose(dense_forward(x, W, b), tout.detach().numpy(), rtol=1e-12)
    dx, dW, db = dense_backward(G, x, W)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dW, tw.grad.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(db, tb.grad.numpy(), rtol=1e-12)


# =====================================================================================================================
# batch normalization
# =====================================================================================================================

def _bn_params(d, dtype=np.float64, seed=0):
    rng = _rng(seed)
    gamma = rng.uniform(0.5, 2.0, size=d).astype(dtype)
    beta = rng.normal(size=d).astype(dtype)
    return gamma, beta, np.zeros(d, dtype), np.ones(d, dtype)


def test_batchnorm_training_output_has_mean_beta_and_std_gamma_per_column():
    rng = _rng(4)
    x = rng.normal(3.0, 5.0, size=(64, 3))
    gamma, beta, rm, rv = _bn_params(3)
    out, cache = batchnorm_forward(x, gamma, beta, rm, rv, eps=1e-5)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    var = x.var(axis=0)
    np.testing.assert_allclose(out.std(axis=0), gamma * np.sqrt(var / (var + 1e-5)), rtol=1e-12)
    np.testing.assert_allclose(cache.mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(cache.var, var, rtol=1e-12)  # biased: divides by N


def test_batchnorm_running_stats_take_the_unbiased_variance_with_pytorch_momentum():
    rng = _rng(5)
    x = rng.normal(2.0, 3.0, size=(8, 4))
    gamma, beta, _, _ = _bn_params(4)
    rm, rv = rng.normal(size=4), rng.uniform(0.5, 2.0, size=4)
    rm0, rv0 = rm.copy(), rv.copy()
    batchnorm_forward(x, gamma, beta, rm, rv, momentum=0.3)
    np.testing.assert_allclose(rm, 0.7 * rm0 + 0.3 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(rv, 0.7 * rv0 + 0.3 * x.var(axis=0, ddof=1), rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.0, 1.0])
def test_batchnorm_momentum_zero_keeps_and_one_replaces_the_running_stats(momentum):
    x = _rng(6).normal(size=(5, 2))
    gamma, beta, rm, rv = _bn_params(2)
    batchnorm_forward(x, gamma, beta, rm, rv, momentum=momentum)
    if momentum == 0.0:
        np.testing.assert_array_equal(rm, 0.0)
        np.testing.assert_array_equal(rv, 1.0)
    else:
        np.testing.assert_allclose(rm, x.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(rv, x.var(axis=0, ddof=1), rtol=1e-12)


def test_batchnorm_eval_uses_running_stats_and_changes_nothing():
    rng = _rng(7)
    x = rng.normal(size=(3, 4))
    gamma, beta, _, _ = _bn_params(4)
    rm, rv = rng.normal(size=4), rng.uniform(0.5, 2.0, size=4)
    rm0, rv0 = rm.copy(), rv.copy()
    out, cache = batchnorm_forward(x, gamma, beta, rm, rv, train=False, eps=1e-3)
    np.testing.assert_allclose(out, gamma * (x - rm0) / np.sqrt(rv0 + 1e-3) + beta, rtol=1e-12)
    np.testing.assert_array_equal(rm, rm0)
    np.testing.assert_array_equal(rv, rv0)
    assert cache.train is False
    one, _ = batchnorm_forward(x[:1], gamma, beta, rm, rv, train=False)  # one example is fine at test time
    assert one.shape == (1, 4)


def _bn_loss_factory(x, gamma, beta, rm, rv, G, train):
    """loss = sum(out * G); each call works on copies of the running stats so repeated calls see the same state."""
    def loss(_):
        out, _ = batchnorm_forward(x, gamma, beta, rm.copy(), rv.copy(), train=train)
        return float(np.sum(out * G))
    return loss


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_backward_matches_numeric_gradients(train):
    rng = _rng(8)
    x = rng.normal(1.0, 2.0, size=(6, 3))
    gamma, beta, _, _ = _bn_params(3, seed=1)
    rm, rv = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    G = rng.normal(size=(6, 3))
    _, cache = batchnorm_forward(x, gamma, beta, rm.copy(), rv.copy(), train=train)
    dx, dgamma, dbeta = batchnorm_backward(G, cache)
    loss = _bn_loss_factory(x, gamma, beta, rm, rv, G, train)
    for name, param, grad in (("x", x, dx), ("gamma", gamma, dgamma), ("beta", beta, dbeta)):
        check = gradient_check(loss, grad, param)
        assert check.rel_error < 1e-7, f"{name}: {check}"


def test_batchnorm_dx_differs_from_treating_the_batch_statistics_as_constants():
    # the two extra terms of the closed form matter: the eval-mode formula would be wrong in training
    rng = _rng(9)
    x = rng.normal(size=(4, 2))
    gamma, beta, rm, rv = _bn_params(2)
    G = rng.normal(size=(4, 2))
    _, cache = batchnorm_forward(x, gamma, beta, rm, rv)
    dx, _, _ = batchnorm_backward(G, cache)
    naive = G * gamma * cache.inv_std
    assert rel_error(dx, naive) > 0.1


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batchnorm_closed_form_and_graph_backward_agree(train, dtype):
    rng = _rng(10)
    x = rng.normal(0.5, 2.0, size=(7, 5)).astype(dtype)
    gamma, beta, rm, rv = _bn_params(5, dtype)
    G = rng.normal(size=(7, 5)).astype(dtype)
    _, cache = batchnorm_forward(x, gamma, beta, rm, rv, train=train)
    closed = batchnorm_backward(G, cache)
    graph = batchnorm_backward_graph(G, cache)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for name, a, b in zip(("dx", "dgamma", "dbeta"), closed, graph):
        assert a.dtype == b.dtype == dtype, name
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * np.abs(b).max(), err_msg=name)


@given(
    n=st.integers(2, 9), d=st.integers(1, 5), seed=st.integers(0, 2**16), scale=st.floats(0.1, 10.0),
)
@settings(max_examples=40, deadline=None)
def test_batchnorm_training_dx_sums_to_zero_over_the_batch(n, d, seed, scale):
    # out does not change when a constant is added to a column of x, so dL/dx has zero column sums
    rng = _rng(seed)
    x = rng.normal(size=(n, d)) * scale + rng.normal(size=d)
    gamma, beta, rm, rv = _bn_params(d, seed=seed)
    G = rng.normal(size=(n, d))
    _, cache = batchnorm_forward(x, gamma, beta, rm, rv)
    dx, dgamma, dbeta = batchnorm_backward(G, cache)
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-10 * (np.abs(dx).max() + 1))
    graph = batchnorm_backward_graph(G, cache)
    np.testing.assert_allclose(dx, graph[0], rtol=1e-9, atol=1e-12 * (np.abs(dx).max() + 1))
    np.testing.assert_allclose(dbeta, G.sum(axis=0), rtol=1e-12)


def test_batchnorm_float32_stays_float32_and_matches_float64():
    rng = _rng(11)
    x = rng.normal(size=(16, 3))
    gamma, beta, rm, rv = _bn_params(3)
    g32, b32, rm32, rv32 = (a.astype(np.float32) for a in (gamma, beta, rm, rv))
    out64, cache64 = batchnorm_forward(x, gamma, beta, rm, rv)
    out32, cache32 = batchnorm_forward(x.astype(np.float32), g32, b32, rm32, rv32)
    assert out32.dtype == rm32.dtype == np.float32
    assert all(a.dtype == np.float32 for a in cache32[:6])
    np.testing.assert_allclose(out32, out64, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rv32, rv, rtol=1e-5)
    G = rng.normal(size=(16, 3))
    for a, b in zip(batchnorm_backward(G.astype(np.float32), cache32), batchnorm_backward(G, cache64)):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())


def test_batchnorm_updates_a_strided_running_stat_view_in_place():
    x = _rng(12).normal(size=(4, 3))
    gamma, beta, _, _ = _bn_params(3)
    store = np.zeros((2, 3)).T  # columns of a (3, 2) Fortran view: each column is strided
    rm, rv = store[:, 0], store[:, 1]
    rv[:] = 1.0
    batchnorm_forward(x, gamma, beta, rm, rv, momentum=0.5)
    np.testing.assert_allclose(store[:, 0], 0.5 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(store[:, 1], 0.5 + 0.5 * x.var(axis=0, ddof=1), rtol=1e-12)


def test_batchnorm_cache_is_an_immutable_named_tuple():
    x = _rng(13).normal(size=(3, 2))
    _, cache = batchnorm_forward(x, *_bn_params(2))
    assert isinstance(cache, BatchNormCache)
    assert cache._fields == ("x", "x_hat", "mean", "var", "inv_std", "gamma", "eps", "train")
    with pytest.raises(AttributeError):
        cache.train = False


def _bn_call(**overrides):
    d = 3
    gamma, beta, rm, rv = _bn_params(d)
    args = dict(x=np.ones((4, d)) + np.arange(4.0)[:, None], gamma=gamma, beta=beta, running_mean=rm,
                running_var=rv) | overrides
    return batchnorm_forward(**args)


@pytest.mark.parametrize(
    "overrides, error, message",
    [
        ({"x": np.ones((1, 3))}, ValueError, "at least 2 rows.*N=1.*train=False"),
        ({"gamma": np.ones(2)}, ValueError, r"gamma must have shape \(3,\)"),
        ({"beta": np.ones((3, 1))}, ValueError, r"beta must have shape \(3,\)"),
        ({"running_var": np.ones(4)}, ValueError, r"running_var must have shape \(3,\)"),
        ({"gamma": np.ones(3, np.float32)}, TypeError, "gamma has dtype float32 but x has dtype float64"),
        ({"running_mean": [0.0, 0.0, 0.0]}, TypeError, "running_mean must be a NumPy array.*in place"),
        ({"running_mean": np.zeros(3, np.float32)}, TypeError, "running_mean has dtype float32"),
        ({"x": np.array([[1.0, 2.0, np.nan], [0.0, 1.0, 2.0]])}, ValueError, "x contains a non-finite value"),
        ({"x": np.ones(3)}, ValueError, "x must have 2 dimension"),
        ({"train": "yes"}, TypeError, "train must be True or False"),
        ({"momentum": 1.5}, ValueError, "momentum must be <= 1"),
        ({"eps": 0.0}, ValueError, "eps must be > 0"),
        ({"running_var": -np.ones(3)}, ValueError, "running_var must be >= 0"),
    ],
)
def test_batchnorm_forward_explains_bad_input(overrides, error, message):
    with pytest.raises(error, match=message):
        _bn_call(**overrides)


def test_batchnorm_refuses_read_only_running_stats_in_training_only():
    rm = np.zeros(3)
    rm.setflags(write=False)
    with pytest.raises(ValueError, match="running_mean is read-only"):
        _bn_call(running_mean=rm)
    out, _ = _bn_call(running_mean=rm, train=False)
    assert out.shape == (4, 3)


def test_batchnorm_backward_explains_bad_input():
    _, cache = _bn_call()
    with pytest.raises(TypeError, match="BatchNormCache"):
        batchnorm_backward(np.ones((4, 3)), {"x": 1})
    with pytest.raises(ValueError, match=r"dout must have shape \(4, 3\)"):
        batchnorm_backward(np.ones((3, 4)), cache)
    with pytest.raises(TypeError, match="dout has dtype float32"):
        batchnorm_backward_graph(np.ones((4, 3), np.float32), cache)


@requires_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batchnorm_matches_torch_batchnorm1d_over_several_steps_eval_and_grads(dtype):
    import torch

    rng = _rng(14)
    d, momentum, eps = 4, 0.2, 1e-4
    gamma, beta, rm, rv = _bn_params(d, dtype, seed=2)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    bn = torch.nn.BatchNorm1d(d, eps=eps, momentum=momentum, dtype=tdtype)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
    tol = 1e-12 if dtype == np.float64 else 1e-5
    bn.train()
    for step in range(5):
        x = rng.normal(1.5, 3.0, size=(6 + step, d)).astype(dtype)
        G = rng.normal(size=x.shape).astype(dtype)
        out, cache = batchnorm_forward(x, gamma, beta, rm, rv, momentum=momentum, eps=eps)
        tx = torch.tensor(x, requires_grad=True)
        tout = bn(tx)
        bn.zero_grad()
        tout.backward(torch.tensor(G))
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=tol, atol=tol)
        dx, dgamma, dbeta = batchnorm_backward(G, cache)
        np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=tol, atol=tol * np.abs(dx).max())
        np.testing.assert_allclose(dgamma, bn.weight.grad.numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(dbeta, bn.bias.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(rm, bn.running_mean.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(rv, bn.running_var.numpy(), rtol=tol, atol=tol)

    bn.eval()
    x = rng.normal(size=(3, d)).astype(dtype)
    G = rng.normal(size=x.shape).astype(dtype)
    out, cache = batchnorm_forward(x, gamma, beta, rm, rv, train=False, eps=eps)
    tx = torch.tensor(x, requires_grad=True)
    tout = bn(tx)
    bn.zero_grad()
    tout.backward(torch.tensor(G))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=tol, atol=tol)
    dx, dgamma, dbeta = batchnorm_backward(G, cache)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(dgamma, bn.weight.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(dbeta, bn.bias.grad.numpy(), rtol=tol, atol=tol)


# =====================================================================================================================
# dropout
# =====================================================================================================================

def test_dropout_same_seed_gives_the_same_mask_and_another_seed_another():
    x = np.ones((50, 20))
    _, m1 = dropout_forward(x, 0.5, rng=np.random.default_rng(42))
    _, m2 = dropout_forward(x, 0.5, rng=np.random.default_rng(42))
    _, m3 = dropout_forward(x, 0.5, rng=np.random.default_rng(43))
    np.testing.assert_array_equal(m1, m2)
    assert not np.array_equal(m1, m3)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_inverted_dropout_mask_is_zero_or_one_over_keep_and_keeps_the_mean(p):
    x = _rng(15).normal(size=(400, 500)) + 1.0
    out, mask = dropout_forward(x, p, rng=np.random.default_rng(1))
    assert set(np.unique(mask)) == {0.0, 1.0 / (1.0 - p)}
    np.testing.assert_array_equal(out, x * mask)
    n = mask.size
    dropped = np.mean(mask == 0.0)
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / n)  # five standard errors of a binomial proportion
    assert abs(np.mean(mask) - 1.0) < 5 * np.sqrt(p / (1 - p) / n)  # E[mask] = 1, Var[mask] = p / (1 - p)


def test_dropout_with_p_zero_changes_nothing():
    x = _rng(16).normal(size=(5, 5))
    out, mask = dropout_forward(x, 0.0, rng=_rng(0))
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(mask, 1.0)


def test_inverted_dropout_at_test_time_returns_x_unchanged_with_a_mask_of_ones():
    x = _rng(17).normal(size=(3, 4))
    before = x.copy()
    out, mask = dropout_forward(x, 0.4, train=False)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(mask, np.ones_like(x))
    np.testing.assert_array_equal(x, before)
    assert out is not x


def test_non_inverted_dropout_keeps_with_0_1_and_scales_by_keep_probability_at_test_time():
    p = 0.3
    x = _rng(18).normal(size=(300, 400)) + 2.0
    train_out, mask = dropout_forward(x, p, rng=_rng(2), inverted=False)
    assert set(np.unique(mask)) == {0.0, 1.0}
    test_out, test_mask = dropout_forward(x, p, train=False, inverted=False)
    np.testing.assert_allclose(test_out, x * (1 - p), rtol=1e-15)
    np.testing.assert_allclose(test_mask, 1 - p, rtol=1e-15)
    # test-time output = expected training output: compare the averages over many units
    n = x.size
    assert abs(train_out.mean() - test_out.mean()) < 5 * np.sqrt(p * (1 - p) * np.mean(x**2) / n)


def test_inverted_and_non_inverted_training_outputs_differ_by_the_keep_probability():
    x = _rng(19).normal(size=(10, 10))
    inv, _ = dropout_forward(x, 0.25, rng=_rng(3))
    plain, _ = dropout_forward(x, 0.25, rng=_rng(3), inverted=False)
    np.testing.assert_allclose(inv * 0.75, plain, rtol=1e-15)


def test_dropout_backward_is_dout_times_the_mask_and_matches_numeric_gradients():
    x = _rng(20).normal(size=(4, 5))
    G = _rng(21).normal(size=(4, 5))
    out, mask = dropout_forward(x, 0.4, rng=_rng(7))
    dx = dropout_backward(G, mask)
    np.testing.assert_array_equal(dx, G * mask)

    def loss(v):  # the same seed every call: the same mask
        return float(np.sum(dropout_forward(v, 0.4, rng=_rng(7))[0] * G))

    assert gradient_check(loss, dx, x).rel_error < 1e-9


@pytest.mark.parametrize("inverted", [True, False])
def test_dropout_backward_at_test_time_passes_the_test_time_scaling(inverted):
    x = _rng(22).normal(size=(3, 3))
    G = _rng(23).normal(size=(3, 3))
    _, mask = dropout_forward(x, 0.2, train=False, inverted=inverted)

    def loss(v):
        return float(np.sum(dropout_forward(v, 0.2, train=False, inverted=inverted)[0] * G))

    assert gradient_check(loss, dropout_backward(G, mask), x).rel_error < 1e-9


def test_dropout_keeps_float32_and_the_shape_of_any_input():
    x32 = np.ones((2, 3, 4), np.float32)
    out, mask = dropout_forward(x32, 0.5, rng=_rng(0))
    assert out.dtype == mask.dtype == np.float32 and out.shape == (2, 3, 4)
    assert set(np.unique(mask)) <= {np.float32(0.0), np.float32(2.0)}
    assert dropout_backward(np.ones((2, 3, 4), np.float32), mask).dtype == np.float32
    scalar_out, scalar_mask = dropout_forward(np.array(3.0), 0.5, train=False, inverted=False)
    assert scalar_out.shape == () and scalar_out == 1.5


def test_dropout_without_rng_draws_fresh_masks():
    x = np.ones(1000)
    _, m1 = dropout_forward(x, 0.5)
    _, m2 = dropout_forward(x, 0.5)
    assert not np.array_equal(m1, m2)  # equal with probability 2**-1000


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"p": 1.0}, ValueError, r"probability of DROPPING.*0 <= p < 1.*p=1 would drop every unit"),
        ({"p": -0.1}, ValueError, "p must be >= 0"),
        ({"p": "0.5"}, TypeError, "p must be a real number"),
        ({"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
        ({"train": 1}, TypeError, "train must be True or False"),
        ({"inverted": None}, TypeError, "inverted must be True or False"),
        ({"x": [["a"]]}, TypeError, "x must hold real"),
    ],
)
def test_dropout_forward_explains_bad_input(kwargs, error, message):
    args = {"x": np.ones((2, 2)), "p": 0.5, "rng": _rng(0)} | kwargs
    with pytest.raises(error, match=message):
        dropout_forward(**args)


def test_dropout_backward_explains_bad_input():
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3\) but mask has shape \(3, 2\)"):
        dropout_backward(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(TypeError, match="dout has dtype float32 but mask has dtype float64"):
        dropout_backward(np.ones(3, np.float32), np.ones(3))
    with pytest.raises(TypeError, match="mask must hold real"):
        dropout_backward(np.ones(3), None)
