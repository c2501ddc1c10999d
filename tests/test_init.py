"""Specifications for course_lib.init: the schemes' scales, the lecture's layer-statistics table, symmetry."""
import math

import numpy as np
import pytest

from conftest import requires_torch
from course_lib import init
from course_lib.model import MLP
from course_lib.optim import SGD


# ---------------------------------------------------------------------------------------------------------------
# Each scheme draws with the scale it promises
# ---------------------------------------------------------------------------------------------------------------
# 300 x 500 = 150000 draws: the sample std is within about 0.2% of the true one (3 standard errors: 0.55%).
@pytest.mark.parametrize("make, expected_std", [
    (init.normal(0.01), 0.01),
    (init.xavier, math.sqrt(1 / 300)),
    (init.xavier_normal, math.sqrt(2 / 800)),
    (init.xavier_uniform, math.sqrt(2 / 800)),
    (init.he, math.sqrt(2 / 300)),
])
def test_each_scheme_draws_weights_with_its_standard_deviation(make, expected_std):
    W = make(300, 500, np.random.default_rng(0))
    assert W.shape == (300, 500)
    assert abs(W.mean()) < 3 * expected_std / math.sqrt(W.size)
    assert W.std() == pytest.approx(expected_std, rel=0.01)


def test_xavier_uniform_stays_inside_the_glorot_limit():
    W = init.xavier_uniform(30, 70, np.random.default_rng(1))
    limit = math.sqrt(6 / 100)
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.95 * limit


def test_lecture_xavier_is_randn_over_sqrt_fan_in():
    W = init.xavier(40, 30, np.random.default_rng(2))
    np.testing.assert_allclose(W, np.random.default_rng(2).standard_normal((40, 30)) / math.sqrt(40), rtol=1e-15)


def test_zeros_and_constant_fill_the_matrix():
    assert np.all(init.zeros(3, 4) == 0.0)
    W = init.constant(0.25)(3, 4)
    assert W.shape == (3, 4) and np.all(W == 0.25)


@requires_torch
def test_scales_match_torch_init_functions():
    import torch

    torch.manual_seed(0)
    fan_in, fan_out = 200, 400
    weight = torch.empty(fan_out, fan_in, dtype=torch.float64)  # torch stores (out, in)
    pairs = [
        (torch.nn.init.kaiming_normal_, dict(mode="fan_in", nonlinearity="relu"), init.he),
        (torch.nn.init.xavier_normal_, {}, init.xavier_normal),
        (torch.nn.init.xavier_uniform_, {}, init.xavier_uniform),
    ]
    for torch_init, kwargs, ours in pairs:
        theirs = torch_init(weight, **kwargs).numpy().std()
        assert ours(fan_in, fan_out, np.random.default_rng(3)).std() == pytest.approx(theirs, rel=0.02)


# ---------------------------------------------------------------------------------------------------------------
# initialize(model, ...)
# ---------------------------------------------------------------------------------------------------------------
def test_initialize_sets_weights_by_scheme_biases_to_zero_and_gamma_to_one():
    model = MLP([4, 6, 3], batchnorm=True, seed=0)
    model.flat_params[:] = 5.0
    model.running_vars[0][:] = 7.0
    init.initialize(model, "xavier", seed=1)
    W1, b1, gamma1, beta1, W2, b2 = model.params
    np.testing.assert_allclose(W1, init.xavier(4, 6, np.random.default_rng(1)), rtol=1e-15)
    assert np.all(b1 == 0) and np.all(beta1 == 0) and np.all(b2 == 0) and np.all(gamma1 == 1)
    assert np.all(model.running_vars[0] == 1.0) and np.all(model.running_means[0] == 0.0)


def test_initialize_is_reproducible_with_a_seed_and_scale_multiplies_the_weights():
    a, b = MLP([5, 7, 2], seed=0), MLP([5, 7, 2], seed=0)
    init.initialize(a, "he", seed=3)
    init.initialize(b, "he", scale=0.5, seed=3)
    np.testing.assert_allclose(b.params[0], 0.5 * a.params[0], rtol=1e-15)
    init.initialize(b, "normal", scale=0.02, seed=4)
    assert b.params[0].std() < 0.05
    init.initialize(b, "constant", scale=0.3)
    assert np.all(b.params[0] == 0.3) and np.all(b.params[2] == 0.3)


def test_float32_and_float64_models_with_the_same_seed_start_from_the_same_weights():
    m64 = MLP([6, 8, 3], seed=5)
    m32 = MLP([6, 8, 3], seed=5, dtype=np.float32)
    np.testing.assert_allclose(m32.flat_params, m64.flat_params, rtol=1e-6)


def test_a_function_can_serve_as_the_scheme():
    model = MLP([3, 4, 2], init=lambda fan_in, fan_out, rng: np.full((fan_in, fan_out), fan_in * 10.0 + fan_out))
    assert np.all(model.params[0] == 34.0) and np.all(model.params[2] == 42.0)


# ---------------------------------------------------------------------------------------------------------------
# The lecture's table: activation statistics layer by layer in a deep tanh net
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def unit_gaussian_batch():
    return np.random.default_rng(0).standard_normal((500, 500))


def _deep_net(scheme, scale=None, activation="tanh"):
    return MLP([500] * 11 + [10], activation=activation, init=scheme, init_scale=scale, seed=0)


def test_small_random_weights_collapse_tanh_activations_toward_zero_layer_by_layer(unit_gaussian_batch):
    stats = init.layer_statistics(_deep_net("normal", 0.01), unit_gaussian_batch)
    assert [layer for layer, _, _ in stats] == list(range(1, 11))
    stds = [std for _, _, std in stats]
    assert all(later < earlier for earlier, later in zip(stds, stds[1:]))  # strictly shrinking
    # each layer multiplies the std by about 0.01 * sqrt(500) = 0.22 while tanh is still linear
    assert stds[0] == pytest.approx(0.01 * math.sqrt(500), rel=0.05)
    assert stds[-1] < 1e-5
    assert all(abs(mean) < 0.1 * std for _, mean, std in stats)  # centred on 0


def test_xavier_keeps_tanh_activations_spread_across_ten_layers(unit_gaussian_batch):
    stds = [std for _, _, std in init.layer_statistics(_deep_net("xavier"), unit_gaussian_batch)]
    assert 0.55 < stds[0] < 0.7  # tanh of a unit Gaussian
    assert all(later < earlier for earlier, later in zip(stds, stds[1:]))  # still shrinking, but slowly
    assert stds[-1] > 0.15
    assert stds[-1] / stds[0] > 0.25


def test_he_keeps_relu_activations_at_their_scale_where_xavier_halves_their_variance(unit_gaussian_batch):
    def rms(scheme):
        acts = init.layer_activations(_deep_net(scheme, activation="relu"), unit_gaussian_batch)
        return [math.sqrt(np.mean(a**2)) for a in acts]

    he, xavier = rms("he"), rms("xavier")
    assert 0.6 < he[-1] / he[0] < 1.6
    # Xavier's variance 1/fan_in: ReLU keeps half of it per layer, so the RMS shrinks by about sqrt(1/2) per layer.
    assert xavier[-1] / xavier[0] == pytest.approx(math.sqrt(0.5) ** 9, rel=0.5)


def test_layer_statistics_summarise_layer_activations():
    X = np.random.default_rng(1).standard_normal((50, 4))
    model = MLP([4, 6, 5, 3], activation="tanh", seed=2)
    acts = init.layer_activations(model, X)
    stats = init.layer_statistics(model, X)
    assert [(a.shape) for a in acts] == [(50, 6), (50, 5)]
    for (layer, mean, std), a in zip(stats, acts):
        assert mean == pytest.approx(a.mean(), rel=1e-12) and std == pytest.approx(a.std(), rel=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Symmetry
# ---------------------------------------------------------------------------------------------------------------
def _train_a_few_steps(model, steps=25):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 4))
    y = rng.integers(0, 3, 40)
    opt = SGD(model.params, lr=0.5)
    for _ in range(steps):
        _, grads = model.loss_and_grads(X, y)
        opt.step(grads)


def test_constant_init_keeps_every_hidden_unit_identical_after_training():
    model = MLP([4, 6, 5, 3], activation="tanh", init="constant", init_scale=0.3, seed=0)
    start = model.flat_params.copy()
    _train_a_few_steps(model)
    W1, b1, W2, b2, W3, _ = model.params
    assert not np.allclose(model.flat_params, start)  # training did change the weights ...
    np.testing.assert_array_equal(W1, W1[:, :1] * np.ones((1, 6)))  # ... but all units of layer 1 stay equal
    np.testing.assert_array_equal(b1, np.full(6, b1[0]))
    np.testing.assert_array_equal(W2, W2[0] * np.ones((6, 1)))  # same outgoing weights from every layer-1 unit
    np.testing.assert_array_equal(W2, W2[:, :1] * np.ones((1, 5)))  # and layer 2's units are equal too
    np.testing.assert_array_equal(W3, W3[0] * np.ones((5, 1)))


def test_random_init_breaks_the_symmetry():
    model = MLP([4, 6, 5, 3], activation="tanh", init="xavier", seed=0)
    _train_a_few_steps(model)
    W1 = model.params[0]
    assert np.min(np.abs(W1[:, :, None] - W1[:, None, :]).sum(axis=0) + np.eye(6) * 1e9) > 1e-3


# ---------------------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, message", [
    (lambda: init.initialize(MLP([2, 2]), "glorot"), ValueError, "choose one of.*'xavier_uniform'"),
    (lambda: init.initialize(MLP([2, 2]), "constant"), ValueError, "scale"),
    (lambda: init.initialize(MLP([2, 2]), 3), TypeError, "init scheme"),
    (lambda: init.initialize(MLP([2, 2]), "he", seed=-1), ValueError, "seed"),
    (lambda: init.initialize(MLP([2, 2]), lambda a, b, rng: np.zeros((1, 1))), ValueError, "shape"),
    (lambda: init.normal(-0.1), ValueError, "std"),
    (lambda: init.he(0, 3), ValueError, "fan_in"),
    (lambda: init.xavier(3, 2, rng="seed"), TypeError, "rng"),
])
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
