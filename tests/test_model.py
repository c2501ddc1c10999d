"""Specifications for course_lib.model.MLP: one compiled forward/backward pass, checked against numbers we can trust.

Gradient checks compare `loss_and_grads` with central differences (course_lib.jacobian) on every parameter at once:
rel_error (elementwise, then the max) must be < 1e-6 in float64. Inputs are random, so no pre-activation sits within
h = 1e-5 of a kink (ReLU at 0).
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import requires_torch
from course_lib.activations import ACTIVATION_CODES
from course_lib.jacobian import numerical_gradient, rel_error
from course_lib.model import MLP
from course_lib.optim.flat import covering_buffer

GRAD_TOL = 1e-6
ACTIVATIONS = sorted({name for name, code in ACTIVATION_CODES.items() if name != "linear"})


def _data(n=7, d=3, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, k, n)


def _gradients(model, X, y, **kwargs):
    """(analytic, numeric): the gradient from loss_and_grads and central differences of the training cost, as
    lists aligned with model.params."""
    model.loss_and_grads(X, y, **kwargs)
    analytic = [g.copy() for g in model.grads]

    def cost(_theta):  # numerical_gradient perturbs model.flat_params in place
        return model.loss_and_grads(X, y, **kwargs)[0]

    flat = numerical_gradient(cost, model.flat_params)
    numeric, start = [], 0
    for p in model.params:
        numeric.append(flat[start:start + p.size].reshape(p.shape))
        start += p.size
    return analytic, numeric


def _grad_check(model, X, y, **kwargs):
    """rel_error between the analytic gradient and central differences, over all parameters."""
    analytic, numeric = _gradients(model, X, y, **kwargs)
    return rel_error(np.concatenate([a.ravel() for a in analytic]), np.concatenate([n.ravel() for n in numeric]))


def _bn_grad_check(model, X, y, **kwargs):
    """With batch norm the dense bias b before it has a zero gradient (BN subtracts the batch mean): check that
    it is 0 on both sides, and rel_error on every other parameter."""
    analytic, numeric = _gradients(model, X, y, **kwargs)
    rest_a, rest_n = [], []
    for name, a, n in zip(model.param_names, analytic, numeric):
        if name.startswith("b") and not name.startswith("beta") and name != f"b{len(model.sizes) - 1}":
            assert np.max(np.abs(a)) < 1e-12 and np.max(np.abs(n)) < 1e-8, name
        else:
            rest_a.append(a.ravel())
            rest_n.append(n.ravel())
    return rel_error(np.concatenate(rest_a), np.concatenate(rest_n))


# ---------------------------------------------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_central_differences_for_every_activation(activation):
    X, y = _data()
    model = MLP([3, 5, 4, 3], activation=activation, seed=1)
    assert _grad_check(model, X, y) < GRAD_TOL


def test_gradients_match_central_differences_for_leaky_relu_with_its_slope():
    X, y = _data(seed=2)
    model = MLP([3, 6, 3], activation="leaky_relu", activation_params={"slope": 0.2}, seed=3)
    assert _grad_check(model, X, y) < GRAD_TOL


@pytest.mark.parametrize("output, k, make_y", [
    ("softmax", 3, lambda rng, n: rng.integers(0, 3, n)),
    ("sigmoid", 1, lambda rng, n: rng.integers(0, 2, n).astype(float)),            # y of shape (N,)
    ("sigmoid", 1, lambda rng, n: rng.integers(0, 2, (n, 1)).astype(float)),       # y of shape (N, 1)
    ("sigmoid", 3, lambda rng, n: rng.integers(0, 2, (n, 3)).astype(float)),       # multi-label
    ("linear", 1, lambda rng, n: rng.standard_normal(n)),
    ("linear", 2, lambda rng, n: rng.standard_normal((n, 2))),
])
def test_gradients_match_central_differences_for_every_output(output, k, make_y):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((6, 3))
    model = MLP([3, 5, k], activation="tanh", output=output, seed=5)
    assert _grad_check(model, X, make_y(rng, 6)) < GRAD_TOL


def test_gradients_match_central_differences_with_batch_norm():
    X, y = _data(n=9, seed=6)
    model = MLP([3, 5, 4, 3], activation="tanh", batchnorm=True, seed=7)
    rng = np.random.default_rng(8)
    for p, name in zip(model.params, model.param_names):  # gamma, beta away from their defaults
        if name.startswith(("gamma", "beta")):
            p[...] = rng.uniform(0.5, 1.5, p.shape)
    assert _bn_grad_check(model, X, y) < GRAD_TOL


def test_gradients_match_central_differences_with_a_fixed_dropout_mask():
    X, y = _data(n=8, seed=9)
    model = MLP([3, 6, 5, 3], activation="tanh", dropout=0.4, seed=10)
    model.loss_and_grads(X, y)  # draws masks
    masks = model.dropout_masks
    assert [m.shape for m in masks] == [(8, 6), (8, 5)]
    assert 0 < sum(m.sum() for m in masks) < 8 * 11  # some units dropped, some kept
    assert _grad_check(model, X, y, masks=masks) < GRAD_TOL


@pytest.mark.parametrize("l2, l1", [(0.1, 0.0), (0.0, 0.05), (0.1, 0.05)])
def test_gradients_match_central_differences_with_weight_penalties(l2, l1):
    X, y = _data(seed=11)
    model = MLP([3, 5, 3], activation="tanh", seed=12)
    assert _grad_check(model, X, y, l2=l2, l1=l1) < GRAD_TOL


# relu and leaky_relu run in loops of their own (compiled with the activation fixed), elu in the shared one
@pytest.mark.parametrize("activation", ["elu", "relu", "leaky_relu"])
def test_gradients_match_central_differences_with_batch_norm_dropout_and_penalty_together(activation):
    X, y = _data(n=10, seed=13)
    model = MLP([3, 6, 5, 3], activation=activation, batchnorm=True, dropout=0.3, seed=14)
    model.loss_and_grads(X, y)
    assert _bn_grad_check(model, X, y, masks=model.dropout_masks, l2=0.01, l1=0.01) < GRAD_TOL


def test_penalty_adds_lambda_times_weight_norms_to_the_cost_but_not_for_biases():
    X, y = _data(seed=15)
    model = MLP([3, 4, 3], seed=16)
    model.params[1][...] = 5.0  # a large bias must not change the penalty
    base, _ = model.loss_and_grads(X, y)
    W1, W2 = model.params[0], model.params[2]
    penalised, _ = model.loss_and_grads(X, y, l2=0.3, l1=0.2)
    expected = 0.3 * (np.sum(W1**2) + np.sum(W2**2)) + 0.2 * (np.abs(W1).sum() + np.abs(W2).sum())
    assert penalised - base == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# PyTorch as the oracle
# ---------------------------------------------------------------------------------------------------------------
def _torch_twin(model):
    """The same network in PyTorch (float64): Linear (weight = W.T), BatchNorm1d, activation, for each layer."""
    import torch

    torch_acts = {"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh(), "sigmoid": torch.nn.Sigmoid(),
                  "elu": torch.nn.ELU(), "gelu": torch.nn.GELU(), "swish": torch.nn.SiLU()}
    layers, k = [], 0
    L = len(model.sizes) - 1
    for l in range(1, L + 1):
        lin = torch.nn.Linear(model.sizes[l - 1], model.sizes[l]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(model.params[k].T))
            lin.bias.copy_(torch.tensor(model.params[k + 1]))
        layers.append(lin)
        k += 2
        if l < L:
            if model.batchnorm:
                bn = torch.nn.BatchNorm1d(model.sizes[l], momentum=model.bn_momentum, eps=model.bn_eps).double()
                with torch.no_grad():
                    bn.weight.copy_(torch.tensor(model.params[k]))
                    bn.bias.copy_(torch.tensor(model.params[k + 1]))
                layers.append(bn)
                k += 2
            layers.append(torch_acts[model.activation])
    return torch.nn.Sequential(*layers)


def _torch_grads(net):
    """Gradients in our layout: W = weight.T, so dW = weight.grad.T."""
    import torch

    grads = []
    for module in net:
        if isinstance(module, torch.nn.Linear):
            grads += [module.weight.grad.numpy().T, module.bias.grad.numpy()]
        elif isinstance(module, torch.nn.BatchNorm1d):
            grads += [module.weight.grad.numpy(), module.bias.grad.numpy()]
    return grads


@requires_torch
@pytest.mark.parametrize("activation, batchnorm", [("relu", False), ("tanh", True), ("gelu", False),
                                                   ("swish", True)])
def test_softmax_cost_and_gradients_equal_torch_cross_entropy(activation, batchnorm):
    import torch

    X, y = _data(n=12, d=4, k=3, seed=17)
    model = MLP([4, 8, 6, 3], activation=activation, batchnorm=batchnorm, seed=18)
    net = _torch_twin(model)
    cost_t = torch.nn.functional.cross_entropy(net(torch.tensor(X)), torch.tensor(y))
    cost_t.backward()
    cost, grads = model.loss_and_grads(X, y)
    assert cost == pytest.approx(cost_t.item(), rel=1e-12)
    for g, g_t, name in zip(grads, _torch_grads(net), model.param_names):
        np.testing.assert_allclose(g, g_t, rtol=1e-9, atol=1e-13, err_msg=name)
    if batchnorm:  # running statistics updated the torch way (unbiased variance, momentum 0.1)
        bns = [m for m in net if isinstance(m, torch.nn.BatchNorm1d)]
        for mean, var, bn in zip(model.running_means, model.running_vars, bns):
            np.testing.assert_allclose(mean, bn.running_mean.numpy(), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(var, bn.running_var.numpy(), rtol=1e-12)


@requires_torch
def test_evaluation_mode_equals_torch_eval_after_training_passes():
    import torch

    X, y = _data(n=16, d=4, k=3, seed=19)
    model = MLP([4, 8, 3], activation="tanh", batchnorm=True, seed=20)
    net = _torch_twin(model)
    for part in range(4):  # four training passes move the running statistics away from (0, 1)
        model.loss_and_grads(X[4 * part:4 * part + 4], y[4 * part:4 * part + 4])
        net(torch.tensor(X[4 * part:4 * part + 4]))
    net.eval()
    probs_t = torch.softmax(net(torch.tensor(X)), dim=1).detach().numpy()
    np.testing.assert_allclose(model.forward(X), probs_t, rtol=1e-10)


@requires_torch
@pytest.mark.parametrize("output", ["sigmoid", "linear"])
def test_sigmoid_and_linear_costs_equal_torch_bce_with_logits_and_mse(output):
    import torch

    rng = np.random.default_rng(21)
    X = rng.standard_normal((10, 3))
    t = rng.integers(0, 2, (10, 2)).astype(float) if output == "sigmoid" else rng.standard_normal((10, 2))
    model = MLP([3, 7, 2], activation="relu", output=output, seed=22)
    net = _torch_twin(model)
    z = net(torch.tensor(X))
    loss_fn = torch.nn.functional.binary_cross_entropy_with_logits if output == "sigmoid" else torch.nn.functional.mse_loss
    cost_t = loss_fn(z, torch.tensor(t))
    cost_t.backward()
    cost, grads = model.loss_and_grads(X, t)
    assert cost == pytest.approx(cost_t.item(), rel=1e-12)
    for g, g_t in zip(grads, _torch_grads(net)):
        np.testing.assert_allclose(g, g_t, rtol=1e-9, atol=1e-13)


# ---------------------------------------------------------------------------------------------------------------
# Outputs, modes and the babysitting checks
# ---------------------------------------------------------------------------------------------------------------
def test_initial_softmax_cost_with_small_weights_is_log_of_the_number_of_classes():
    """Babysitting step 1: with tiny random weights all classes are equally likely, so the cost is log C."""
    rng = np.random.default_rng(23)
    X = rng.standard_normal((200, 20))
    y = rng.integers(0, 10, 200)
    model = MLP([20, 50, 10], init="normal", init_scale=1e-3, seed=24)
    assert model.loss(X, y) == pytest.approx(math.log(10), abs=1e-4)


def test_forward_gives_probabilities_and_logits_give_the_scores_behind_them():
    X, _ = _data(n=5, d=3)
    model = MLP([3, 4, 3], seed=25)
    probs, z = model.forward(X), model.logits(X)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probs, expected / expected.sum(axis=1, keepdims=True), rtol=1e-12)
    sig = MLP([3, 4, 2], output="sigmoid", seed=25)
    np.testing.assert_allclose(sig.forward(X), 1 / (1 + np.exp(-sig.logits(X))), rtol=1e-12)
    lin = MLP([3, 4, 2], output="linear", seed=25)
    np.testing.assert_array_equal(lin.forward(X), lin.logits(X))


def test_forward_equals_the_layer_formulas_written_with_numpy():
    X, _ = _data(n=6, d=3)
    model = MLP([3, 5, 4, 2], activation="tanh", output="linear", seed=26)
    W1, b1, W2, b2, W3, b3 = model.params
    expected = np.tanh(np.tanh(X @ W1 + b1) @ W2 + b2) @ W3 + b3
    np.testing.assert_allclose(model.forward(X), expected, rtol=1e-12)
    hidden = model.hidden_activations(X)
    np.testing.assert_allclose(hidden[0], np.tanh(X @ W1 + b1), rtol=1e-12)
    assert [h.shape for h in hidden] == [(6, 5), (6, 4)]


def test_predict_and_accuracy_for_each_output():
    X, y = _data(n=30, d=3, k=3, seed=27)
    model = MLP([3, 8, 3], seed=28)
    pred = model.predict(X)
    np.testing.assert_array_equal(pred, np.argmax(model.forward(X), axis=1))
    assert model.accuracy(X, y) == pytest.approx(np.mean(pred == y))
    sig = MLP([3, 8, 1], output="sigmoid", seed=28)
    t = (X[:, 0] > 0).astype(float)
    assert sig.predict(X).shape == (30,)
    assert set(np.unique(sig.predict(X))) <= {0, 1}
    assert sig.accuracy(X, t) == pytest.approx(np.mean(sig.predict(X) == t))
    lin = MLP([3, 8, 1], output="linear", seed=28)
    assert lin.predict(X).shape == (30,)
    with pytest.raises(ValueError, match="classifier"):
        lin.accuracy(X, X[:, 0])


def test_inverted_dropout_keeps_the_expected_activation_and_is_off_in_evaluation():
    rng = np.random.default_rng(29)
    X = rng.standard_normal((4000, 3))
    model = MLP([3, 50, 2], activation="relu", output="linear", dropout=0.5, seed=30)
    model.forward(X, train=True)
    kept = np.concatenate([m.ravel() for m in model.dropout_masks])
    assert abs(kept.mean() - 0.5) < 0.01  # about half of the units dropped
    plain = MLP([3, 50, 2], activation="relu", output="linear", seed=30)
    plain.load_state_dict(model.state_dict())
    no_drop = plain.hidden_activations(X)[0]
    masks = model.dropout_masks
    np.testing.assert_allclose(model.forward(X), plain.forward(X), rtol=1e-12)  # evaluation: no dropout
    # Training: dropped units are 0, kept ones are divided by 1 - p = 0.5, so the mean is unchanged on average.
    W1, b1 = model.params[0], model.params[1]
    a = np.maximum(X @ W1 + b1, 0) * masks[0] / 0.5
    np.testing.assert_allclose(a.mean(), no_drop.mean(), rtol=0.02)


def test_the_same_seed_draws_the_same_weights_and_dropout_masks():
    X, y = _data(n=10, seed=31)
    a = MLP([3, 6, 3], dropout=0.5, seed=32)
    b = MLP([3, 6, 3], dropout=0.5, seed=32)
    np.testing.assert_array_equal(a.flat_params, b.flat_params)
    a.loss_and_grads(X, y)
    b.loss_and_grads(X, y)
    np.testing.assert_array_equal(a.dropout_masks[0], b.dropout_masks[0])
    assert not np.array_equal(MLP([3, 6, 3], seed=33).flat_params, a.flat_params)


def test_batch_norm_uses_batch_statistics_in_training_and_running_statistics_in_evaluation():
    rng = np.random.default_rng(34)
    X = rng.standard_normal((50, 3)) * 3 + 2
    model = MLP([3, 4, 2], activation="identity", output="linear", batchnorm=True, seed=35)
    W1, b1 = model.params[0], model.params[1]
    z = X @ W1 + b1
    assert np.all(model.running_means[0] == 0.0) and np.all(model.running_vars[0] == 1.0)  # PyTorch's start
    out = model.forward(X, train=True)  # one training pass: the hidden layer is exactly standardized
    W2, b2 = model.params[4], model.params[5]
    xhat = (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-5)
    np.testing.assert_allclose(out, xhat @ W2 + b2, rtol=1e-10)
    np.testing.assert_allclose(model.running_means[0], 0.1 * z.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(model.running_vars[0], 0.9 + 0.1 * z.var(axis=0, ddof=1), rtol=1e-12)
    # evaluation uses the running statistics, not the batch's
    rm, rv = model.running_means[0], model.running_vars[0]
    np.testing.assert_allclose(model.forward(X), (z - rm) / np.sqrt(rv + 1e-5) @ W2 + b2, rtol=1e-10)


def test_float32_model_computes_in_float32_and_agrees_with_float64():
    X, y = _data(n=20, d=3, seed=36)
    m64 = MLP([3, 16, 3], activation="tanh", batchnorm=True, seed=37)
    m32 = MLP([3, 16, 3], activation="tanh", batchnorm=True, seed=37, dtype=np.float32)
    c64, g64 = m64.loss_and_grads(X, y)
    c32, g32 = m32.loss_and_grads(X, y)
    assert all(p.dtype == np.float32 for p in m32.params + g32)
    assert m32.forward(X).dtype == np.float32
    assert c32 == pytest.approx(c64, rel=1e-5)
    np.testing.assert_allclose(m32.flat_grads, m64.flat_grads, rtol=1e-3, atol=1e-5)


def test_results_do_not_depend_on_the_batch_sizes_seen_before():
    """The scratch buffers are reused between calls: a pass on another batch size must not leak into the next."""
    X, y = _data(n=10, seed=42)
    model = MLP([3, 6, 5, 3], batchnorm=True, seed=43)
    first = model.forward(X)
    cost, _ = model.loss_and_grads(X, y)
    grads = model.flat_grads.copy()
    model.reset_buffers()
    for rows in (3, 10, 7, 2, 9):  # more sizes than the model keeps scratch buffers for
        model.forward(X[:rows])
        model.loss_and_grads(X[:rows], y[:rows])
    model.reset_buffers()
    np.testing.assert_array_equal(model.forward(X), first)
    assert model.loss_and_grads(X, y)[0] == cost
    np.testing.assert_array_equal(model.flat_grads, grads)


def test_params_and_grads_are_named_views_into_one_flat_buffer_each():
    model = MLP([2, 3, 3, 2], batchnorm=True, seed=38)
    assert model.param_names == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]
    assert [p.shape for p in model.params] == [(2, 3), (3,), (3,), (3,), (3, 3), (3,), (3,), (3,), (3, 2), (2,)]
    assert covering_buffer(model.params) is model.flat_params
    assert covering_buffer(model.grads) is model.flat_grads
    model.params[0][1, 2] = 7.5  # writing a view writes the model
    assert model.flat_params[5] == 7.5
    assert model.n_params == 6 + 3 * 3 + 9 + 3 * 3 + 6 + 2


def test_state_dict_round_trip_and_copy_are_independent():
    X, y = _data(n=12, seed=39)
    model = MLP([3, 5, 3], batchnorm=True, dropout=0.2, seed=40)
    model.loss_and_grads(X, y)
    state = model.state_dict()
    assert set(state) == {"W1", "b1", "gamma1", "beta1", "W2", "b2", "running_mean1", "running_var1"}
    twin = model.copy()
    np.testing.assert_array_equal(twin.forward(X), model.forward(X))
    c1, _ = model.loss_and_grads(X, y)
    c2, _ = twin.loss_and_grads(X, y)  # same generator state: same dropout masks
    assert c1 == c2
    twin.params[0][...] = 0.0
    assert np.any(model.params[0] != 0.0)
    model.params[0][...] += 1.0
    model.load_state_dict(state)
    np.testing.assert_array_equal(model.params[0], state["W1"])
    np.testing.assert_array_equal(model.running_vars[0], state["running_var1"])


def test_load_state_dict_checks_everything_before_writing():
    model = MLP([3, 5, 3], seed=41)
    before = model.flat_params.copy()
    bad = model.state_dict()
    bad["W1"][...] = 9.0
    bad["W2"] = np.zeros((4, 3))
    with pytest.raises(ValueError, match="W2"):
        model.load_state_dict(bad)
    np.testing.assert_array_equal(model.flat_params, before)
    with pytest.raises(ValueError, match="missing"):
        model.load_state_dict({"W1": before})


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 9), widths=st.lists(st.integers(1, 6), min_size=0, max_size=3), k=st.integers(2, 4),
       batchnorm=st.booleans(), seed=st.integers(0, 1000))
def test_any_architecture_gives_finite_cost_and_gradients_shaped_like_the_params(n, widths, k, batchnorm, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = rng.integers(0, k, n)
    model = MLP([3, *widths, k], batchnorm=batchnorm, seed=seed)
    cost, grads = model.loss_and_grads(X, y)
    assert math.isfinite(cost) and cost >= 0
    assert [g.shape for g in grads] == [p.shape for p in model.params]
    assert np.all(np.isfinite(model.flat_grads))
    np.testing.assert_allclose(model.forward(X).sum(axis=1), 1.0, rtol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(sizes=[3]), ValueError, "at least the input and output"),
    (dict(sizes=[3, 0, 2]), ValueError, r"sizes\[1\]"),
    (dict(sizes=[3, 2.5, 2]), TypeError, r"sizes\[1\]"),
    (dict(sizes="32"), TypeError, "sizes"),
    (dict(sizes=[3, 2], activation="rleu"), ValueError, "choose one of.*'relu'"),
    (dict(sizes=[3, 2], output="softmax_ce"), ValueError, "choose one of.*'sigmoid'"),
    (dict(sizes=[3, 2], init="kaiming"), ValueError, "choose one of.*'he'"),
    (dict(sizes=[3, 2], init="constant"), ValueError, "scale"),
    (dict(sizes=[3, 1]), ValueError, "softmax output needs at least 2"),
    (dict(sizes=[3, 2], dropout=1.0), ValueError, "dropout"),
    (dict(sizes=[3, 2], dtype=np.int32), TypeError, "dtype"),
    (dict(sizes=[3, 2], batchnorm=1), TypeError, "batchnorm"),
    (dict(sizes=[3, 4, 2], activation="leaky_relu", activation_params={"alpha": 1.0}), TypeError, "slope"),
])
def test_bad_construction_arguments_raise_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        MLP(**kwargs)


@pytest.mark.parametrize("X, y, message", [
    (np.ones((4, 2)), np.zeros(4, dtype=int), r"X must have shape \(any, 3\)"),
    (np.ones(3), np.zeros(1, dtype=int), "X must have 2 dimension"),
    (np.array([[1.0, np.nan, 0.0]]), np.zeros(1, dtype=int), "X contains a non-finite value"),
    (np.ones((0, 3)), np.zeros(0, dtype=int), "no rows"),
    (np.ones((4, 3)), np.array([0, 1, 2, 3]), r"y must lie in \[0, 3\)"),
    (np.ones((4, 3)), np.array([0, 1, 2]), "3 labels but there are 4 rows"),
    (np.ones((4, 3)), np.array([0.5, 1, 2, 0]), "integer class labels"),
    (np.ones((4, 3)), np.zeros((4, 3), dtype=int), r"shape \(N,\)"),
])
def test_bad_data_raises_errors_naming_the_argument(X, y, message):
    model = MLP([3, 4, 3], seed=0)
    with pytest.raises((TypeError, ValueError), match=message):
        model.loss_and_grads(X, y)


def test_bad_targets_masks_and_batch_sizes_raise_clear_errors():
    X = np.ones((4, 3))
    sig = MLP([3, 4, 1], output="sigmoid", seed=0)
    with pytest.raises(ValueError, match=r"0/1 targets"):
        sig.loss_and_grads(X, np.array([0.0, 1.0, 2.0, 0.0]))
    lin = MLP([3, 4, 2], output="linear", seed=0)
    with pytest.raises(ValueError, match=r"shape \(4, 2\)"):
        lin.loss_and_grads(X, np.zeros(4))
    drop = MLP([3, 4, 3], dropout=0.5, seed=0)
    with pytest.raises(ValueError, match="masks"):
        drop.loss_and_grads(X, np.zeros(4, dtype=int), masks=[np.ones((4, 5))])
    with pytest.raises(ValueError, match="0 \\(drop\\) and 1 \\(keep\\)"):
        drop.loss_and_grads(X, np.zeros(4, dtype=int), masks=[np.full((4, 4), 0.5)])
    with pytest.raises(ValueError, match="dropout=0.0"):
        MLP([3, 4, 3], seed=0).loss_and_grads(X, np.zeros(4, dtype=int), masks=[np.ones((4, 4))])
    bn = MLP([3, 4, 3], batchnorm=True, seed=0)
    with pytest.raises(ValueError, match="at least 2 examples"):
        bn.loss_and_grads(X[:1], np.zeros(1, dtype=int))
    with pytest.raises(ValueError, match="l2"):
        bn.loss_and_grads(X, np.zeros(4, dtype=int), l2=-1.0)


# ---- the MLP is the composition of course_lib.layers' forward/backward pairs -----------------------------------
def _composed_loss_and_grads(model, X, y, masks=None):
    """The network written as the lectures draw it: forward through layers.* keeping each cache, the softmax
    cross-entropy, then backward through the same pairs in reverse. Returns (loss, {param name: gradient})."""
    from course_lib import layers, losses

    p = dict(zip(model.param_names, model.params))
    L = len(model.sizes) - 1
    a, caches = X, []
    for l in range(1, L + 1):
        z, dense_cache = layers.affine_forward(a, p[f"W{l}"], p[f"b{l}"])
        if l == L:
            caches.append((dense_cache, None, None, None))
            break
        bn_cache = None
        if model.batchnorm:
            d = model.sizes[l]
            z, bn_cache = layers.batchnorm_forward(z, p[f"gamma{l}"], p[f"beta{l}"], np.zeros(d), np.ones(d),
                                                   train=True, momentum=model.bn_momentum, eps=model.bn_eps)
        a, act_cache = layers.activation_forward(z, model.activation, **model.activation_params)
        mask = None
        if masks is not None:
            mask = masks[l - 1] / (1.0 - model.dropout)  # inverted dropout with the given keep/drop pattern
            a = a * mask
        caches.append((dense_cache, bn_cache, act_cache, mask))
    loss, dz = losses.softmax_cross_entropy(z, y)
    grads = {}
    for l in range(L, 0, -1):
        dense_cache, bn_cache, act_cache, mask = caches[l - 1]
        if l < L:
            if mask is not None:
                dz = layers.dropout_backward(dz, mask)
            dz = layers.activation_backward(dz, act_cache)
            if bn_cache is not None:
                dz, grads[f"gamma{l}"], grads[f"beta{l}"] = layers.batchnorm_backward(dz, bn_cache)
        dz, grads[f"W{l}"], grads[f"b{l}"] = layers.affine_backward(dz, dense_cache)
    return float(loss), grads


@pytest.mark.parametrize("kwargs", [
    pytest.param(dict(activation="relu"), id="relu"),
    pytest.param(dict(activation="tanh", batchnorm=True), id="tanh+batchnorm"),
    pytest.param(dict(activation="leaky_relu", activation_params={"slope": 0.1}, batchnorm=True, dropout=0.3),
                 id="leaky_relu+batchnorm+dropout"),
])
def test_the_mlp_is_the_composition_of_the_layer_pairs_to_1e_12(kwargs):
    """model.py fuses the whole pass into one kernel for speed; composing layers.* by hand must give the same cost
    and every gradient to 1e-12 (relative to the largest gradient entry: with batch norm, db is 0 up to rounding)."""
    X, y = _data(n=9, d=4, k=3, seed=5)
    model = MLP([4, 6, 5, 3], seed=2, **kwargs)
    masks = None
    if kwargs.get("dropout"):
        rng = np.random.default_rng(1)
        masks = [(rng.random((9, d)) >= 0.3).astype(float) for d in (6, 5)]
    loss, grads = model.loss_and_grads(X, y, masks=masks)
    composed_loss, composed = _composed_loss_and_grads(model, X, y, masks)
    assert abs(float(loss) - composed_loss) <= 1e-12 * abs(composed_loss)
    assert sorted(composed) == sorted(model.param_names)
    scale = max(float(np.max(np.abs(g))) for g in composed.values())
    for name, g in zip(model.param_names, grads):
        assert np.max(np.abs(g - composed[name])) <= 1e-12 * scale, name


def test_the_old_dense_pair_and_the_cache_convention_agree():
    from course_lib import layers

    rng = np.random.default_rng(0)
    x, W, b, dout = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4), \
        rng.standard_normal((5, 4))
    out, cache = layers.affine_forward(x, W, b)
    np.testing.assert_array_equal(out, layers.dense_forward(x, W, b))
    for new, old in zip(layers.affine_backward(dout, cache), layers.dense_backward(dout, x, W)):
        np.testing.assert_array_equal(new, old)
    for new, old in zip(layers.dense_backward(dout, cache), layers.dense_backward(dout, x, W)):
        np.testing.assert_array_equal(new, old)
    with pytest.raises(TypeError, match="DenseCache"):
        layers.affine_backward(dout, (x, W, b))
    with pytest.raises(TypeError, match="dense_backward takes"):
        layers.dense_backward(dout, x)


# ---------------------------------------------------------------------------------------------------------------
# The kernel's fused pieces compute what the separate ones do
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_softmax_and_cross_entropy_equal_the_losses_pieces_bitwise(dtype):
    from course_lib.losses import _softmax_row, _softmax_xent_kernel
    from course_lib.model import _softmax_and_xent

    rng = np.random.default_rng(0)
    for n, k in [(600, 3), (5, 1), (7, 10)]:
        z = (30 * rng.standard_normal((n, k))).astype(dtype)
        labels = rng.integers(0, k, n)
        out, dz, out_ref, dz_ref = (np.empty_like(z) for _ in range(4))
        cost = _softmax_and_xent(z, labels, out, dz)
        for i in range(n):
            _softmax_row(z[i], out_ref[i])
        assert cost == _softmax_xent_kernel(z, labels, dz_ref)
        assert np.array_equal(out, out_ref) and np.array_equal(dz, dz_ref)


def test_fraction_correct_follows_numpys_argmax_with_ties_and_nans():
    from course_lib.model import _fraction_correct

    rng = np.random.default_rng(1)
    for trial in range(200):
        n, k = rng.integers(1, 20), rng.integers(1, 5)
        out = rng.integers(0, 3, (n, k)).astype(float)  # many ties
        if trial % 3 == 0:
            out[rng.random((n, k)) < 0.2] = np.nan
        labels = rng.integers(0, k, n)
        assert _fraction_correct(out, labels) == float(np.mean(np.argmax(out, axis=1) == labels))
