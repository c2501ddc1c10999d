"""Exponential moving averages: the recursion, bias correction and the lecture's facts about the weights."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.ema import EMA, coefficient_sum, ema, weights, window


def direct_loop(x, beta, bias_correction=True):
    """The lecture's recursion, one step at a time, in float64."""
    v = np.zeros(np.shape(x)[1:])
    out = []
    for t, x_t in enumerate(np.asarray(x, np.float64), start=1):
        v = beta * v + (1 - beta) * x_t
        out.append(v / (1 - beta**t) if bias_correction else v.copy())
    return np.array(out)


@pytest.mark.parametrize("bias_correction", [True, False])
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.999])
def test_ema_matches_a_direct_loop_over_the_recursion(beta, bias_correction):
    x = np.random.default_rng(0).standard_normal(300).cumsum()
    np.testing.assert_allclose(ema(x, beta, bias_correction), direct_loop(x, beta, bias_correction), rtol=1e-12,
                               atol=1e-12)


def test_bias_correction_makes_the_first_value_equal_the_first_measurement():
    x = np.array([3.7, -1.0, 2.0])
    for beta in (0.5, 0.9, 0.99, 0.999):
        assert ema(x, beta)[0] == pytest.approx(3.7, rel=1e-15)
        assert ema(x, beta, bias_correction=False)[0] == pytest.approx((1 - beta) * 3.7, rel=1e-15)


def test_constant_input_gives_a_constant_corrected_sequence_and_a_raw_one_that_climbs_as_one_minus_beta_to_t():
    t = np.arange(1, 101)
    np.testing.assert_allclose(ema(np.full(100, 5.0), 0.9), 5.0, rtol=1e-12)
    np.testing.assert_allclose(ema(np.full(100, 5.0), 0.9, bias_correction=False), 5.0 * (1 - 0.9**t), rtol=1e-12)


def test_each_column_of_a_t_by_d_input_is_averaged_on_its_own():
    x = np.random.default_rng(1).standard_normal((50, 3))
    together = ema(x, 0.8)
    assert together.shape == (50, 3)
    for j in range(3):
        np.testing.assert_allclose(together[:, j], ema(x[:, j], 0.8), rtol=1e-14)
    np.testing.assert_allclose(together, direct_loop(x, 0.8), rtol=1e-12)


def test_float32_input_stays_float32_and_close_to_float64():
    x = np.random.default_rng(2).standard_normal((200, 2))
    out = ema(x.astype(np.float32), 0.95)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, direct_loop(x.astype(np.float32), 0.95), rtol=1e-5, atol=1e-5)


def test_ema_accepts_lists_and_an_empty_sequence():
    np.testing.assert_allclose(ema([1, 2, 3], 0.5), direct_loop([1.0, 2.0, 3.0], 0.5), rtol=1e-15)
    assert ema(np.zeros(0), 0.9).shape == (0,)


@pytest.mark.parametrize("x, beta, error, message", [
    (np.ones(3), 1.0, ValueError, "beta must be < 1"),
    (np.ones(3), -0.1, ValueError, "beta must be >= 0"),
    (np.ones(3), "0.9", TypeError, "beta must be a real number"),
    (np.ones((2, 2, 2)), 0.9, ValueError, r"x must have 1 or 2 dimension\(s\)"),
    (np.array([1.0, np.nan]), 0.9, ValueError, r"x contains a non-finite value \(nan\) at index \(1,\)"),
    (np.array(["a"]), 0.9, TypeError, "x must hold real floating-point numbers"),
])
def test_bad_input_gets_an_error_naming_the_argument(x, beta, error, message):
    with pytest.raises(error, match=message):
        ema(x, beta)


def test_window_is_one_over_one_minus_beta():
    assert window(0.9) == pytest.approx(10.0, rel=1e-14)
    assert window(0.99) == pytest.approx(100.0, rel=1e-12)
    assert window(0.0) == 1.0


def test_weight_falls_to_about_one_over_e_after_one_window():
    # The lecture: 0.9^10 = (1 - 1/10)^10 is about 0.348, against 1/e about 0.368; the gap closes as beta -> 1.
    w = weights(0.9, 30)
    assert w[-1 - 10] / w[-1] == pytest.approx(0.9**10, rel=1e-12)
    assert 0.9**10 == pytest.approx(0.3487, abs=1e-4)
    gaps = [abs((1 - 1 / n) ** n - 1 / math.e) for n in (10, 100, 1000)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 2e-4


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.999])
@pytest.mark.parametrize("t", [1, 2, 3, 25])
def test_weights_sum_to_one_minus_beta_to_the_t(beta, t):
    assert coefficient_sum(beta, t) == pytest.approx(1 - beta**t, rel=1e-14)
    assert weights(beta, t).sum() == pytest.approx(coefficient_sum(beta, t), rel=1e-12)


def test_weights_times_the_measurements_is_the_uncorrected_average():
    x = np.random.default_rng(3).standard_normal(40)
    w = weights(0.85, 40)
    assert w[-1] == pytest.approx(0.15) and np.all(np.diff(w) > 0)  # the newest measurement weighs most
    assert w @ x == pytest.approx(ema(x, 0.85, bias_correction=False)[-1], rel=1e-12)
    assert coefficient_sum(0.9, 0) == 0.0 and weights(0.9, 0).shape == (0,)


def test_streaming_ema_matches_the_whole_sequence_for_scalars():
    x = np.random.default_rng(4).standard_normal(60)
    stream = EMA(0.9)
    assert stream.value is None and stream.t == 0
    values = [stream.update(float(v)) for v in x]
    assert all(isinstance(v, float) for v in values)
    np.testing.assert_allclose(values, ema(x, 0.9), rtol=1e-12)
    assert stream.t == 60 and stream.value == values[-1]
    assert stream.raw == pytest.approx(ema(x, 0.9, bias_correction=False)[-1], rel=1e-12)


def test_streaming_ema_of_arrays_keeps_shape_and_dtype():
    x = np.random.default_rng(5).standard_normal((20, 2, 3)).astype(np.float32)
    stream = EMA(0.7, bias_correction=False)
    for frame in x:
        value = stream.update(frame)
    assert value.shape == (2, 3) and value.dtype == np.float32
    np.testing.assert_allclose(value, direct_loop(x.reshape(20, 6), 0.7, False)[-1].reshape(2, 3), rtol=1e-5)
    value[...] = 99.0  # the returned value is a copy
    assert not np.any(stream.value == 99.0)


def test_streaming_ema_reset_and_shape_errors():
    stream = EMA(0.5)
    stream.update(np.ones(3))
    with pytest.raises(ValueError, match=r"x has shape \(4,\) but this EMA averages values of shape \(3,\)"):
        stream.update(np.ones(4))
    with pytest.raises(ValueError, match="non-finite"):
        stream.update(np.array([1.0, np.inf, 0.0]))
    assert stream.t == 1
    stream.reset()
    assert stream.t == 0 and stream.value is None
    assert stream.update(4.0) == pytest.approx(4.0, rel=1e-15)


@settings(max_examples=50, deadline=None)
@given(beta=st.floats(0.0, 0.9999), T=st.integers(0, 40), d=st.integers(1, 3), seed=st.integers(0, 1000),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_corrected_ema_stays_within_the_range_of_the_measurements_so_far(beta, T, d, seed, dtype):
    # The corrected weights are positive and sum to one: every v_hat_t is a weighted mean of x_1..x_t.
    x = np.random.default_rng(seed).uniform(-5, 5, (T, d)).astype(dtype)
    out = ema(x, beta)
    assert out.shape == x.shape and out.dtype == dtype
    if T:
        slack = 1e-4 if dtype == np.float32 else 1e-10
        assert np.all(out <= np.maximum.accumulate(x, axis=0) + slack)
        assert np.all(out >= np.minimum.accumulate(x, axis=0) - slack)
