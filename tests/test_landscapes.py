"""course_lib.landscapes: the 2-D loss surfaces of the optimization lectures and what optimizers do on them."""
import functools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import requires_torch

from course_lib import landscapes as L
from course_lib import optim
from course_lib.jacobian import numerical_gradient, numerical_jacobian, rel_error

NAMES = list(L.LANDSCAPES)


def fractions_of_window(landscape, fractions):
    """Points at given fractions of the landscape's plotting window (0 = left/bottom edge, 1 = right/top)."""
    (x0, x1), (y0, y1) = landscape.bounds
    return [np.array([x0 + a * (x1 - x0), y0 + b * (y1 - y0)]) for a, b in fractions]


# Points where every gradient component is clearly non-zero (so that the elementwise relative error is meaningful),
# away from minima and saddles; the Cliff also gets points on its steep face.
CHECK_FRACTIONS = [(0.2, 0.7), (0.7, 0.15), (0.85, 0.9)]
EXTRA_POINTS = {
    "cliff": [np.array([0.03, 0.4]), np.array([-0.12, -0.7]), np.array([0.2, 1.1])],
    "saddle": [np.array([0.4, 0.3]), np.array([-0.9, 1.4])],
}


def check_points(name):
    landscape = L.make_landscape(name)
    return landscape, [landscape.start] + fractions_of_window(landscape, CHECK_FRACTIONS) + EXTRA_POINTS.get(name, [])


@pytest.fixture(autouse=True)
def warnings_are_errors():
    """Nothing here may print a NumPy or Numba warning (nbgrader scores a cell that writes to stderr as zero)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---- every landscape: gradient, Hessian, minimum -----------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    landscape, points = check_points(name)
    for x in points:
        numeric = numerical_gradient(landscape.f, x.copy(), h=1e-6)
        assert rel_error(landscape.grad(x), numeric) < 1e-7, (name, x)


@pytest.mark.parametrize("name", NAMES)
def test_hessian_matches_differences_of_the_gradient_and_is_symmetric(name):
    landscape, points = check_points(name)
    for x in points:
        H = landscape.hessian(x)
        numeric = numerical_jacobian(landscape.grad, x.copy(), h=1e-6)
        assert H[0, 1] == H[1, 0]
        # entries that are exactly zero (e.g. the Cliff's d2f/dxdy) come out of the differences as ~1e-10 noise
        np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-6 * np.abs(H).max(), err_msg=f"{name} at {x}")


@pytest.mark.parametrize("name", NAMES)
def test_stated_minimum_has_zero_gradient_the_stated_value_and_a_positive_definite_hessian(name):
    landscape = L.make_landscape(name)
    points, value = landscape.minimum
    assert points.ndim == 2 and points.shape[1] == 2
    for x in points:
        assert np.linalg.norm(landscape.grad(x)) < 1e-12
        assert landscape.f(x) == pytest.approx(value, abs=1e-14)
        assert np.all(np.linalg.eigvalsh(landscape.hessian(x)) > 0)


@pytest.mark.parametrize("name", NAMES)
def test_no_point_of_the_plotting_window_lies_below_the_stated_minimum(name):
    landscape = L.make_landscape(name)
    xs, ys, Z = landscape.grid(301)
    assert Z.min() >= landscape.minimum.value - 1e-12
    (x0, x1), (y0, y1) = landscape.bounds
    for px, py in landscape.minimum.points:
        assert x0 < px < x1 and y0 < py < y1
    sx, sy = landscape.start
    assert x0 < sx < x1 and y0 < sy < y1


def test_minima_agree_with_the_published_ones():
    assert L.Rosenbrock(a=2.0, b=50.0).minimum.points.tolist() == [[2.0, 4.0]]
    assert L.Beale().minimum.points.tolist() == [[3.0, 0.5]]
    camel = L.SixHumpCamel().minimum
    assert camel.value == pytest.approx(-1.0316284535, abs=1e-10)  # published to 10 digits
    np.testing.assert_allclose(np.abs(camel.points), [[0.0898, 0.7126]] * 2, atol=1e-4)
    assert camel.points[0] == pytest.approx(-camel.points[1], abs=1e-15)  # f(-x, -y) = f(x, y)
    saddle = L.Saddle()
    assert sorted(saddle.minimum.points[:, 1]) == [-1.0, 1.0] and saddle.minimum.value == -0.25


def test_saddle_point_has_zero_gradient_and_hessian_eigenvalues_of_both_signs():
    saddle = L.Saddle()
    assert np.all(saddle.grad(saddle.saddle_point) == 0)
    eigenvalues = np.linalg.eigvalsh(saddle.hessian(saddle.saddle_point))
    assert eigenvalues.min() < 0 < eigenvalues.max()


@settings(max_examples=40, deadline=None)
@given(condition=st.floats(1.0, 1e3), angle=st.floats(-math.pi, math.pi))
def test_quadratic_has_eigenvalues_one_and_condition_with_the_shallow_axis_at_angle(condition, angle):
    q = L.Quadratic(condition, angle)
    A = q.hessian(np.array([0.3, -0.2]))
    np.testing.assert_allclose(np.linalg.eigvalsh(A), [1.0, condition], rtol=1e-12)
    shallow = np.array([math.cos(angle), math.sin(angle)])
    np.testing.assert_allclose(A @ shallow, shallow, atol=1e-12 * condition)
    x = np.array([0.7, -1.3])
    assert q.f(x) == pytest.approx(0.5 * x @ A @ x, rel=1e-12)


def test_narrow_valley_is_shallow_along_x_and_steep_across():
    valley = L.NarrowValley()
    np.testing.assert_array_equal(valley.hessian(np.zeros(2)), np.diag([0.2, 3.5]))


@pytest.mark.parametrize("name", NAMES)
def test_values_on_grid_is_f_at_every_grid_point_rows_following_y(name):
    landscape = L.make_landscape(name)
    xs = np.linspace(*landscape.bounds[0], 7)
    ys = np.linspace(*landscape.bounds[1], 5)
    Z = L.values_on_grid(landscape, xs, ys)
    assert Z.shape == (5, 7)
    X, Y = np.meshgrid(xs, ys)
    expected = np.array([landscape.f(np.array([x, y])) for x, y in zip(X.ravel(), Y.ravel())]).reshape(X.shape)
    np.testing.assert_array_equal(Z, expected)
    np.testing.assert_array_equal(landscape.values_on_grid(xs, ys), Z)


def test_float32_points_give_float32_results_close_to_float64():
    landscape = L.Rosenbrock()
    x64 = np.array([-0.8, 1.3])
    x32 = x64.astype(np.float32)
    assert type(landscape.f(x32)) is np.float32
    assert landscape.grad(x32).dtype == np.float32 and landscape.hessian(x32).dtype == np.float32
    np.testing.assert_allclose(landscape.grad(x32), landscape.grad(x64), rtol=1e-5)
    np.testing.assert_allclose(landscape.hessian(x32), landscape.hessian(x64), rtol=1e-5)
    Z = L.values_on_grid(landscape, np.linspace(-1, 1, 4, dtype=np.float32), np.zeros(3, np.float32))
    assert Z.dtype == np.float32


# ---- validation ----------------------------------------------------------------------------------------------------

def test_unknown_landscape_name_lists_the_choices():
    with pytest.raises(ValueError, match="rosenbrock") as info:
        L.make_landscape("banana")
    assert "banana" in str(info.value)
    with pytest.raises(ValueError, match="six_hump_camel"):
        L.gradient_descent("camel")


@pytest.mark.parametrize("bad, error", [([1.0, 2.0, 3.0], ValueError), ([[1.0, 2.0]], ValueError),
                                        ([np.nan, 0.0], ValueError), (["a", "b"], TypeError)])
def test_points_must_be_two_finite_numbers(bad, error):
    with pytest.raises(error, match="x0"):
        L.gradient_descent("quadratic", x0=bad)
    with pytest.raises(error, match="^x "):
        L.Quadratic().grad(bad)


def test_bad_hyperparameters_name_the_argument():
    with pytest.raises(ValueError, match="condition"):
        L.Quadratic(condition=0.5)
    with pytest.raises(ValueError, match="steps"):
        L.gradient_descent("quadratic", steps=-1)
    with pytest.raises(ValueError, match="clip_norm"):
        L.gradient_descent("quadratic", clip_norm=0.0)
    with pytest.raises(ValueError, match="lam"):
        L.step_regime(0.1, -1.0)
    with pytest.raises(TypeError, match="landscape"):
        L.values_on_grid(lambda x: 0.0, [0.0], [0.0])


# ---- step size on a quadratic (deck 004) ---------------------------------------------------------------------------

def test_eta_opt_is_one_over_lambda_in_1d_and_two_over_lambda_sum_on_a_quadratic():
    assert L.eta_opt(4.0) == 0.25
    assert L.eta_opt(L.Quadratic(condition=10.0)) == pytest.approx(2.0 / 11.0, rel=1e-15)
    assert L.eta_opt(L.NarrowValley(along=0.2, across=3.5)) == pytest.approx(2.0 / 3.7, rel=1e-15)
    with pytest.raises(ValueError, match="quadratic"):
        L.eta_opt(L.Rosenbrock())


def test_one_step_of_eta_opt_lands_on_the_minimum_in_1d():
    np.testing.assert_array_equal(L.gd_1d(lam=4.0, eta=0.25, x0=3.0, steps=3), [3.0, 0.0, 0.0, 0.0])


def test_step_regime_boundaries():
    lam = 4.0  # 1 / lam and 2 / lam are exact in binary
    assert L.step_regime(0.2, lam) == "monotone"
    assert L.step_regime(0.25, lam) == "monotone"      # eta_opt: lands on the minimum
    assert L.step_regime(0.3, lam) == "oscillating"
    assert L.step_regime(0.5, lam) == "oscillating"    # 2 eta_opt: bounces between x0 and -x0 forever
    assert L.step_regime(0.51, lam) == "divergent"
    np.testing.assert_array_equal(L.gd_1d(lam, 0.5, x0=1.5, steps=4), [1.5, -1.5, 1.5, -1.5, 1.5])


@settings(max_examples=60, deadline=None)
@given(lam=st.floats(0.01, 100.0), ratio=st.floats(0.05, 3.0).filter(lambda r: abs(r - 1) > 1e-3 and abs(r - 2) > 1e-3))
def test_gd_1d_behaves_as_its_regime_is_named(lam, ratio):
    eta = ratio / lam  # ratio = eta * lambda
    xs = L.gd_1d(lam, eta, x0=1.0, steps=20)
    np.testing.assert_allclose(xs, (1.0 - eta * lam) ** np.arange(21), rtol=1e-9, atol=1e-300)
    regime = L.step_regime(eta, lam)
    shrinks = np.all(np.abs(xs[1:]) < np.abs(xs[:-1]))
    flips = np.all(np.sign(xs[1:]) == -np.sign(xs[:-1]))
    if regime == "monotone":
        assert shrinks and np.all(xs > 0)
    elif regime == "oscillating":
        assert shrinks and flips
    else:
        assert regime == "divergent" and flips and np.all(np.abs(xs[1:]) > np.abs(xs[:-1]))


def test_the_three_regimes_on_a_2d_quadratic_are_set_by_the_steep_direction():
    q = L.Quadratic(condition=10.0)  # steep direction y, lambda_max = 10
    x0 = [-4.0, 1.0]
    monotone = L.gradient_descent(q, x0, steps=40, lr=0.09)          # eta < 1 / lambda_max
    oscillating = L.gradient_descent(q, x0, steps=40, lr=0.15)       # 1 / lambda_max < eta < 2 / lambda_max
    divergent = L.gradient_descent(q, x0, steps=40, lr=0.21)         # eta > 2 / lambda_max
    assert np.all(np.diff(monotone.points[:, 1]) < 0) and np.all(monotone.points[:, 1] > 0)
    y = oscillating.points[:, 1]
    assert np.all(np.sign(y[1:]) == -np.sign(y[:-1])) and abs(y[-1]) < 1e-3
    assert not oscillating.diverged and oscillating.values[-1] < oscillating.values[0]
    y = divergent.points[:, 1]  # the steep component flips and grows by |1 - 2.1| = 1.1 per step
    assert np.all(np.sign(y[1:]) == -np.sign(y[:-1])) and np.all(np.abs(y[1:]) > np.abs(y[:-1]))
    assert divergent.values[-1] > 100 * divergent.values[0]
    too_big = L.gradient_descent(q, x0, steps=1000, lr=0.21)
    assert too_big.diverged and too_big.steps < 1000


# ---- divergence is flagged, never warned about -----------------------------------------------------------------------

def test_divergence_stops_the_run_keeps_the_points_finite_and_warns_about_nothing():
    t = L.gradient_descent("quadratic", steps=500, lr=0.5, radius=1e6)
    assert t.diverged and t.info["stop"] == "diverged"
    assert len(t.points) == len(t.values) == len(t.grad_norms) == t.steps + 1 < 501
    assert np.all(np.isfinite(t.points)) and np.all(np.abs(t.points) <= 1e6)
    assert np.abs(t.points[-1]).max() * 4.0 > 1e6  # the next step (factor |1 - 0.5 * 10| = 4) would have left


def test_float32_divergence_is_caught_before_anything_overflows():
    t = L.gradient_descent("rosenbrock", np.array([-1.2, 1.0], dtype=np.float32), steps=200, lr=0.1, radius=1e30)
    assert t.diverged and t.points.dtype == np.float32 and np.all(np.isfinite(t.values))


def test_a_finished_run_has_steps_plus_one_rows_and_is_not_diverged():
    t = L.gradient_descent("quadratic", steps=25, lr=0.05)
    assert t.points.shape == (26, 2) and t.values.shape == t.grad_norms.shape == (26,)
    assert not t.diverged and t.info["stop"] == "steps"
    np.testing.assert_array_equal(t.points[0], L.Quadratic().start)
    q = L.Quadratic()
    for k in (0, 7, 25):
        assert t.values[k] == q.f(t.points[k]) and t.grad_norms[k] == pytest.approx(np.linalg.norm(q.grad(t.points[k])))


# ---- gradient clipping on the cliff (deck 001) ---------------------------------------------------------------------

def test_a_step_on_the_cliff_face_jumps_off_the_window_and_clipping_prevents_it():
    cliff = L.Cliff()
    (x_min, x_max), _ = cliff.bounds
    plain = L.gradient_descent(cliff, steps=80, lr=0.1)
    jumps = np.linalg.norm(np.diff(plain.points, axis=0), axis=1)
    assert jumps.max() > 10.0 and plain.points[:, 0].min() < x_min
    clipped = L.gradient_descent(cliff, steps=80, lr=0.1, clip_norm=1.0)
    steps = np.linalg.norm(np.diff(clipped.points, axis=0), axis=1)
    assert steps.max() <= 0.1 * 1.0 + 1e-12
    assert np.all(np.diff(clipped.values) < 0)  # a capped step never overshoots down the face
    assert clipped.values[-1] - cliff.minimum.value < 1e-3


# ---- optimizers on the landscapes (course_lib.optim) ---------------------------------------------------------------

# a step size that is stable for each method on Quadratic(condition=10) (adadelta's lr multiplies its own step)
STABLE_LR = {"sgd": 0.05, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.5, "rmsprop": 0.05, "adadelta": 1.0,
             "adam": 0.1, "adamw": 0.1, "adamax": 0.1, "nadam": 0.1}


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_every_optimizer_runs_on_the_quadratic_and_lowers_the_loss(name):
    t = L.run("quadratic", name, steps=60, lr=STABLE_LR.get(name, 0.05))
    assert t.points.shape == (61, 2) and not t.diverged
    assert np.all(np.isfinite(t.points)) and np.all(np.isfinite(t.values))
    assert t.values[-1] < t.values[0]
    assert name in t.label


def test_run_accepts_a_name_a_class_or_a_factory_and_they_agree():
    by_name = L.run("beale", "adam", steps=30, lr=0.05)
    by_class = L.run("beale", optim.Adam, steps=30, lr=0.05)
    by_factory = L.run("beale", functools.partial(optim.Adam, lr=0.05), steps=30)
    np.testing.assert_array_equal(by_name.points, by_class.points)
    np.testing.assert_array_equal(by_name.points, by_factory.points)


def test_run_with_sgd_takes_exactly_the_plain_gradient_descent_steps():
    for clip in (None, 1.0):
        ours = L.gradient_descent("cliff", steps=50, lr=0.1, clip_norm=clip)
        theirs = L.run("cliff", "sgd", steps=50, lr=0.1, clip_norm=clip)
        np.testing.assert_allclose(theirs.points, ours.points, rtol=1e-15, atol=0)


def test_run_refuses_unknown_names_and_already_built_optimizers():
    with pytest.raises(ValueError, match="adam"):
        L.run("quadratic", "adamm", lr=0.1)
    built = optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="already built"):
        L.run("quadratic", built)


def test_run_keeps_float32():
    t = L.run("rosenbrock", "adam", np.array([-1.2, 1.0], np.float32), steps=20, lr=0.01)
    assert t.points.dtype == np.float32 and not t.diverged


def test_lookahead_nesterov_and_pytorch_nesterov_agree_after_the_change_of_variables():
    # NesterovLookahead: v <- mu v - lr grad f(theta + mu v), theta <- theta + v; PyTorch's SGD(nesterov=True) runs
    # on phi = theta + mu v. Since v_k = theta_k - theta_(k-1), phi_k = theta_k + mu (theta_k - theta_(k-1)).
    mu, lr = 0.9, 0.01
    theta = L.run("rosenbrock", optim.NesterovLookahead, steps=60, lr=lr, momentum=mu).points
    phi = L.run("rosenbrock", "sgd", steps=60, lr=lr, momentum=mu, nesterov=True).points
    expected = theta.copy()
    expected[1:] += mu * (theta[1:] - theta[:-1])
    np.testing.assert_allclose(phi, expected, rtol=1e-9, atol=1e-12)


def test_momentum_calms_the_zigzag_across_the_narrow_valley_and_arrives_sooner():
    # deck 000: alpha = .55 zigzags across the valley, alpha = .55 with beta = .75 does not
    plain = L.run("narrow_valley", "sgd", steps=300, lr=0.55)
    heavy = L.run("narrow_valley", "momentum", steps=300, lr=0.55, beta=0.75)

    def sign_flips(y):
        return int(np.sum(np.sign(y[1:]) != np.sign(y[:-1])))

    assert sign_flips(plain.points[:20, 1]) == 19           # every single step crosses the valley floor
    assert sign_flips(heavy.points[:20, 1]) <= 6
    assert heavy.steps_to_reach(1e-8) < plain.steps_to_reach(1e-8)


def test_tuned_heavy_ball_beats_the_best_plain_step_on_an_ill_conditioned_quadratic():
    q = L.IllConditioned()  # condition number 50
    kappa = q.condition
    plain = L.gradient_descent(q, steps=600, lr=L.eta_opt(q))
    # Polyak's heavy ball: lr = 4 / (sqrt(L) + sqrt(mu))^2, momentum = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2
    heavy = L.run(q, "sgd", steps=600, lr=4.0 / (math.sqrt(kappa) + 1.0) ** 2,
                  momentum=((math.sqrt(kappa) - 1.0) / (math.sqrt(kappa) + 1.0)) ** 2)
    assert plain.steps_to_reach(1e-10) is not None
    assert heavy.steps_to_reach(1e-10) < plain.steps_to_reach(1e-10) / 3


def test_adaptive_steps_cross_the_plateau_where_gradient_descent_crawls():
    plateau = L.Plateau()
    gd = L.gradient_descent(plateau, steps=100, lr=0.1)
    adam = L.run(plateau, "adam", steps=100, lr=0.1)
    assert np.linalg.norm(gd.points[-1] - gd.points[0]) < 0.5   # the gradient there is about 0.02
    assert adam.values[-1] < 1e-2


# ---- the saddle ----------------------------------------------------------------------------------------------------

def test_gradient_descent_lingers_near_the_saddle_then_escapes_to_a_minimum():
    saddle = L.Saddle()
    t = L.gradient_descent(saddle, steps=150, lr=0.1)
    assert t.grad_norms.min() < 0.01 * t.grad_norms[0]
    np.testing.assert_allclose(t.final_point, [0.0, 1.0], atol=1e-6)


# ---- second-order methods (deck 004) -------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(condition=st.floats(1.0, 100.0), angle=st.floats(-math.pi, math.pi),
       x0=st.tuples(st.floats(-10, 10), st.floats(-10, 10)))
def test_one_newton_step_lands_on_the_minimum_of_a_quadratic(condition, angle, x0):
    # solving H d = g loses about condition * 1e-16 relative to rounding, hence condition <= 100 for 1e-12
    t = L.newton(L.Quadratic(condition, angle), list(x0), steps=1)
    assert np.abs(t.points[1]).max() < 1e-12 * max(1.0, np.abs(x0).max())


def test_damped_newton_halves_the_distance_to_a_quadratic_minimum_every_step():
    t = L.newton(L.Quadratic(condition=30.0, angle=0.4), [3.0, -2.0], steps=5, damping=0.5)
    for k in range(6):
        np.testing.assert_allclose(t.points[k], 0.5 ** k * np.array([3.0, -2.0]), rtol=1e-12, atol=1e-15)


def test_newton_is_attracted_by_the_saddle_point_while_gradient_descent_escapes():
    saddle = L.Saddle()
    start = [0.3, 0.2]
    t = L.newton(saddle, start, steps=6)
    np.testing.assert_allclose(t.final_point, saddle.saddle_point, atol=1e-12)
    gd = L.gradient_descent(saddle, start, steps=200, lr=0.1)
    assert gd.final_value == pytest.approx(saddle.minimum.value, abs=1e-10)


def test_newton_converges_quadratically_near_rosenbrocks_minimum():
    t = L.newton("rosenbrock", [1.2, 1.2], steps=6)
    errors = np.linalg.norm(t.points - 1.0, axis=1)
    assert errors[-1] < 1e-14
    # after the first step the number of correct digits roughly doubles: 4e-2, 1e-3, 3e-7, 1e-13
    for before, after in zip(errors[1:4], errors[2:5]):
        assert after < 2.0 * before ** 2


def test_newton_stops_where_the_hessian_is_singular():
    t = L.newton(L.Saddle(), [0.5, 1.0 / math.sqrt(3.0)], steps=5)  # d2f/dy2 = 3 y^2 - 1 = 0
    assert t.steps == 0 and t.info["stop"] == "singular Hessian" and not t.diverged


def test_bfgs_reaches_rosenbrocks_minimum_with_decreasing_values():
    t = L.bfgs("rosenbrock", max_steps=200)
    np.testing.assert_allclose(t.final_point, [1.0, 1.0], atol=1e-8)
    np.testing.assert_array_equal(t.points[0], L.Rosenbrock().start)
    assert np.all(np.diff(t.values) <= 0)  # the line search only accepts steps that lower f
    assert t.info["success"] and t.steps < 100 and t.info["njev"] >= t.steps


def test_newton_cost_grows_as_n_squared_in_memory_and_n_cubed_in_work():
    small, big = L.newton_cost(1000), L.newton_cost(2000)
    assert big["hessian_entries"] == 4 * small["hessian_entries"] == 4 * 10**6
    assert big["inverse_flops"] == 8 * small["inverse_flops"]
    # deck 004: N in the hundreds of millions; 10^8 float32 parameters need 4 * 10^16 bytes of Hessian
    assert L.newton_cost(10**8)["hessian_bytes"] == 4 * 10**16
    assert L.newton_cost(10**8, bytes_per_float=8)["gradient_bytes"] == 8 * 10**8


# ---- convergence rate (deck 004) -----------------------------------------------------------------------------------

def test_convergence_rates_of_a_geometric_sequence_are_its_ratio():
    values = 2.0 + 3.0 * 0.5 ** np.arange(10)
    np.testing.assert_allclose(L.convergence_rates(values, 2.0), 0.5, rtol=1e-12)
    rates = L.convergence_rates([1.0, 0.0, 0.0], 0.0)  # reached exactly: the next ratio is undefined, no warning
    assert rates[0] == 0.0 and np.isnan(rates[1])


def test_gd_at_eta_opt_converges_linearly_with_the_predicted_rate_for_kappa_10():
    result = L.quadratic_convergence(condition=10.0, steps=30)  # start along the slowest direction
    expected = (9.0 / 11.0) ** 2
    assert result.predicted == pytest.approx(expected, rel=1e-15) == L.optimal_rate(10.0)
    np.testing.assert_allclose(result.rates, expected, rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(condition=st.floats(1.5, 200.0), start=st.tuples(st.floats(0.1, 5), st.floats(-5, 5)))
def test_at_eta_opt_every_start_gives_the_same_rate(condition, start):
    # both eigen-components shrink by (kappa - 1) / (kappa + 1) in size, so f shrinks by its square from step one
    result = L.quadratic_convergence(condition, steps=10, x0=list(start))
    np.testing.assert_allclose(result.rates, L.optimal_rate(condition), rtol=1e-6)


def test_away_from_eta_opt_the_slowest_component_sets_the_rate():
    result = L.quadratic_convergence(condition=10.0, steps=80, x0=[1.0, 1.0], eta=0.05)
    assert result.predicted == pytest.approx((1.0 - 0.05) ** 2)
    assert result.rates[-1] == pytest.approx(result.predicted, rel=1e-9)
    assert result.rates[0] < result.predicted  # early on the fast component still shrinks the gap quicker


# ---- an independent oracle -----------------------------------------------------------------------------------------

@requires_torch
@pytest.mark.parametrize("name", ["rosenbrock", "beale", "six_hump_camel", "cliff", "plateau", "ill_conditioned"])
def test_gradient_and_hessian_agree_with_torch_autograd(name):
    import torch

    landscape = L.make_landscape(name)
    formulas = {
        "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        "beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
        "six_hump_camel": lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
        "cliff": lambda x, y: 0.5 * ((x + 2) ** 2 + y**2) + 100 * torch.sigmoid(10 * x),
        "plateau": lambda x, y: 1 - torch.exp(-(x**2 + y**2) / 2),
        "ill_conditioned": lambda x, y: 0.5 * torch.stack([x, y]) @ torch.tensor(landscape.A) @ torch.stack([x, y]),
    }
    f = formulas[name]
    for x in [landscape.start] + fractions_of_window(landscape, CHECK_FRACTIONS):
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        value = f(t[0], t[1])
        (grad,) = torch.autograd.grad(value, t)
        hessian = torch.autograd.functional.hessian(lambda v: f(v[0], v[1]), t.detach())
        assert landscape.f(x) == pytest.approx(value.item(), rel=1e-12)
        np.testing.assert_allclose(landscape.grad(x), grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(landscape.hessian(x), hessian.numpy(), rtol=1e-9, atol=1e-12)


def test_a_landscape_defined_outside_the_module_works_everywhere():
    from numba import njit

    @njit
    def value(x, y, p):
        return p[0] * (x * x + y * y) ** 2

    @njit
    def grad(x, y, p):
        r2 = x * x + y * y
        return 4.0 * p[0] * r2 * x, 4.0 * p[0] * r2 * y

    @njit
    def hessian(x, y, p):
        r2 = x * x + y * y
        return 4.0 * p[0] * (r2 + 2.0 * x * x), 8.0 * p[0] * x * y, 4.0 * p[0] * (r2 + 2.0 * y * y)

    class Quartic(L.Landscape):
        name = "quartic"
        _value, _grad, _hessian = staticmethod(value), staticmethod(grad), staticmethod(hessian)

        def __init__(self):
            super().__init__((0.5,), [0.0, 0.0], 0.0, ((-2, 2), (-2, 2)), [1.5, -1.0])

    quartic = Quartic()
    xs, ys, Z = quartic.grid(9)
    assert Z[0, 0] == quartic.f(np.array([-2.0, -2.0])) == 32.0
    assert L.gradient_descent(quartic, steps=50, lr=0.1).final_value < quartic.f(quartic.start)
