"""The five explorers (EMA, step size, optimizer race, activation, graph viewer): every control moves the figure's
data to the right numbers, leaves no error behind and warns about nothing."""
import functools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from matplotlib.backend_bases import MouseEvent

from course_lib import activations, ema, landscapes, optim
from course_lib.widgets import activation_explorer, ema_explorer, graph_viewer, optimizer_race, step_size_explorer
from course_lib.widgets.optimizer_race import SUGGESTED


def move(app, name, value):
    """Set a control as a slider drag would; the update must succeed and must not warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app.controls[name].value = value
    assert app.error is None, f"{name} = {value!r} left an error: {app.error!r}"
    return app


def build(factory, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = factory(*args, **kwargs)
    assert app.error is None, app.error
    return app


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# --- EMA ----------------------------------------------------------------------------------------------------------

def test_ema_lines_are_the_library_ema_of_the_signal_for_every_beta():
    app = build(ema_explorer)
    signal = np.asarray(app.artists["raw"].get_ydata())
    for beta in (0.5, 0.8, 0.95, 0.99, 0.999, 0.9):
        move(app, "beta", beta)
        corrected = np.asarray(app.artists["corrected"].get_ydata())
        uncorrected = np.asarray(app.artists["uncorrected"].get_ydata())
        np.testing.assert_allclose(corrected, ema.ema(signal, beta, bias_correction=True), rtol=1e-12)
        np.testing.assert_allclose(uncorrected, ema.ema(signal, beta, bias_correction=False), rtol=1e-12)
        # the first step written out: v_1 = (1 - beta) theta_1, and the corrected one is theta_1 itself
        assert uncorrected[0] == pytest.approx((1 - beta) * signal[0], rel=1e-12)
        assert corrected[0] == pytest.approx(signal[0], rel=1e-12)


def test_ema_uncorrected_average_starts_far_below_the_signal_and_corrected_does_not():
    app = build(ema_explorer, beta=0.95)
    signal = np.asarray(app.artists["raw"].get_ydata())
    uncorrected = np.asarray(app.artists["uncorrected"].get_ydata())
    corrected = np.asarray(app.artists["corrected"].get_ydata())
    level = signal[:20].mean()
    assert uncorrected[:5].max() < 0.3 * level  # the weights sum to 1 - 0.95^5 = 0.23 at t = 5
    assert np.abs(corrected[:20] - level).max() < 0.3 * level


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_ema_window_is_marked_at_one_over_one_minus_beta_with_its_weight_sum(beta):
    app = build(ema_explorer)
    move(app, "beta", beta)
    window = 1.0 / (1.0 - beta)
    assert np.asarray(app.artists["window_line"].get_xdata()) == pytest.approx([window, window], rel=1e-12)
    span = app.artists["window_span"]
    assert span.get_x() == 0.0 and span.get_width() == pytest.approx(window, rel=1e-12)
    t = round(window)
    assert f"{1 - beta ** t:.3f}" in app.status.value  # 0.750, 0.651, 0.634: tends to 1 - 1/e


def test_ema_window_longer_than_the_signal_is_clipped_to_it():
    app = build(ema_explorer, steps=100)
    move(app, "beta", 0.999)
    assert app.artists["window_span"].get_width() == pytest.approx(101.0)
    assert "longer than the signal" in app.status.value


def test_ema_bias_correction_checkbox_moves_the_emphasis_not_the_data():
    app = build(ema_explorer)
    corrected, uncorrected = app.artists["corrected"], app.artists["uncorrected"]
    before = np.array(corrected.get_ydata())
    assert corrected.get_linewidth() > uncorrected.get_linewidth()
    move(app, "bias_correction", False)
    assert uncorrected.get_linewidth() > corrected.get_linewidth()
    np.testing.assert_array_equal(corrected.get_ydata(), before)
    move(app, "bias_correction", True)
    assert corrected.get_linewidth() > uncorrected.get_linewidth()


def test_ema_explorer_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="beta"):
        ema_explorer(beta=1.0)
    with pytest.raises(TypeError, match="bias_correction"):
        ema_explorer(bias_correction="yes")


# --- step size ----------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _step_app():
    return build(step_size_explorer)


@settings(max_examples=40, deadline=None)
@given(ratio=st.floats(0.1, 2.2), condition=st.sampled_from([1.0, 2.5, 10.0, 37.5, 50.0]))
def test_step_size_iterates_follow_the_closed_form_x0_times_factor_to_the_k(ratio, condition):
    app = _step_app()
    move(app, "condition", condition)
    move(app, "ratio", ratio)
    r, kappa = app.controls["ratio"].value, app.controls["condition"].value
    eta = r / kappa  # eta_opt = 1 / lambda with lambda = kappa
    k = np.arange(31)
    np.testing.assert_allclose(app.artists["iterates"].get_ydata(), (1 - eta * kappa) ** k, rtol=1e-10,
                               atol=1e-13)
    upper, lower = app.artists["envelope"]
    np.testing.assert_allclose(upper.get_ydata(), np.abs(1 - eta * kappa) ** k, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(lower.get_ydata(), -np.abs(1 - eta * kappa) ** k, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("ratio", [0.3, 1.0, 1.7, 1.95])
def test_step_size_two_d_path_shrinks_each_eigendirection_by_its_own_factor(ratio):
    app = build(step_size_explorer, ratio=ratio, condition=20.0)
    eta = ratio / 20.0
    k = np.arange(31)
    path = app.artists["path"]
    # f = 1/2 (x^2 + 20 y^2) from (-4.5, 1): x_k = -4.5 (1 - eta)^k, y_k = (1 - 20 eta)^k
    np.testing.assert_allclose(path.get_xdata(), -4.5 * (1 - eta) ** k, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(path.get_ydata(), (1 - 20 * eta) ** k, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("ratio, regime, factor", [(0.5, "monotone", 0.5), (1.0, "monotone", 0.0),
                                                   (1.5, "oscillating", 0.5), (2.0, "oscillating", 1.0),
                                                   (2.1, "divergent", 1.1)])
def test_step_size_status_names_the_regime_and_the_convergence_factor(ratio, regime, factor):
    app = _step_app()
    move(app, "condition", 10.0)
    move(app, "ratio", ratio)
    assert f"<b>{regime}</b>" in app.status.value
    assert f"|1 − ηλ| = {factor:.3f}" in app.status.value


def test_step_size_divergent_run_stops_early_inside_a_finite_radius_without_warnings():
    app = _step_app()
    move(app, "condition", 10.0)
    move(app, "ratio", 2.2)
    path = np.column_stack([app.artists["path"].get_xdata(), app.artists["path"].get_ydata()])
    assert len(path) < 31 and np.isfinite(path).all() and np.abs(path).max() <= 50.0
    assert "left the window" in app.status.value
    assert np.isfinite(app.artists["iterates"].get_ydata()).all()


def test_step_size_contours_are_ellipses_of_the_landscape_moved_in_place():
    """The contour lines are exact level sets f = c of the 2-D quadratic; a new condition number reshapes the same
    artist (no new contour set, so the figure is not drawn again)."""
    app = build(step_size_explorer)
    contour = app.artists["contour"]
    move(app, "ratio", 1.3)
    assert app.artists["contour"] is contour
    for kappa in (30.0, 1.0):
        move(app, "condition", kappa)
        assert app.artists["contour"] is contour
        levels = []
        for segment in contour.get_segments():
            x, y = segment[:, 0], segment[:, 1]
            f = landscapes.Quadratic(condition=kappa).values_on_grid  # f on a point: the grid of one point
            values = 0.5 * (x ** 2 + kappa * y ** 2)
            np.testing.assert_allclose(values, values[0], rtol=1e-12)  # one level per line
            assert f(x[:1], y[:1])[0, 0] == pytest.approx(values[0], rel=1e-12)
            levels.append(values[0])
        assert len(levels) == 15 and np.all(np.diff(levels) > 0)
        assert f"{kappa:g}" in app.artists["path"].axes.get_title()
    ax = app.artists["path"].axes
    assert sum(line.get_label() == "minimum" for line in ax.lines) == 1


def test_step_size_explorer_rejects_values_outside_the_sliders():
    with pytest.raises(ValueError, match="ratio"):
        step_size_explorer(ratio=3.0)
    with pytest.raises(ValueError, match="condition"):
        step_size_explorer(condition=0.5)


# --- optimizer race -----------------------------------------------------------------------------------------------

def reference_run(landscape, name, lr, beta, x0, steps):
    """The race's rule for sharing lr and beta, written out independently: EMA-notation momentum and Nesterov,
    Adam's beta_1 = beta."""
    hyper = {"sgd": dict(lr=lr), "momentum": dict(lr=lr, beta=beta), "adam": dict(lr=lr, betas=(beta, 0.999)),
             "rmsprop": dict(lr=lr)}
    if name == "nesterov":
        factory = functools.partial(optim.NesterovLookahead, lr=lr * (1 - beta), momentum=beta)
        return landscapes.run(landscape, factory, x0=x0, steps=steps)
    return landscapes.run(landscape, name, x0=x0, steps=steps, **hyper[name])


def path_of(app, name):
    line = app.artists["paths"][name]
    return np.column_stack([line.get_xdata(), line.get_ydata()])


def assert_paths_match_runs(app):
    values = app.values()
    land = landscapes.make_landscape(values["landscape"])
    x0 = np.array([values["x0"], values["y0"]])
    for name in values["optimizers"]:
        expected = reference_run(land, name, values["lr"], values["beta"], x0, values["steps"])
        np.testing.assert_allclose(path_of(app, name), expected.points, rtol=1e-12, atol=1e-14)
        gap = np.maximum(expected.values - expected.f_star, 1e-16)
        np.testing.assert_allclose(app.artists["costs"][name].get_ydata(), gap, rtol=1e-12)


def test_race_paths_and_costs_equal_landscapes_run_for_every_control_setting():
    app = build(optimizer_race, optimizers=("sgd", "momentum", "nesterov", "adam", "rmsprop"), steps=40)
    assert_paths_match_runs(app)
    for name, value in [("lr", 0.01), ("lr", 0.1), ("beta", 0.5), ("beta", 0.95), ("steps", 12), ("x0", 1.5),
                        ("y0", -0.7)]:
        move(app, name, value)
        assert_paths_match_runs(app)
    assert path_of(app, "sgd")[0] == pytest.approx([1.5, -0.7])
    assert len(path_of(app, "adam")) == 13


def test_race_lecture_preset_plain_gd_zigzags_across_the_valley_and_momentum_calms_it():
    app = build(optimizer_race, preset="lecture")
    values = app.values()
    assert values["landscape"] == "narrow_valley" and values["optimizers"] == ("sgd", "momentum", "nesterov")
    assert (values["lr"], values["beta"]) == pytest.approx((0.55, 0.75))
    assert_paths_match_runs(app)
    across = path_of(app, "sgd")[:, 1]
    k = np.arange(len(across))
    # plain GD across the valley (curvature 3.5): y_k = y_0 (1 - .55 * 3.5)^k, a sign flip every step
    np.testing.assert_allclose(across, 1.0 * (1 - 0.55 * 3.5) ** k, rtol=1e-10)
    final = {name: app.artists["costs"][name].get_ydata()[-1] for name in values["optimizers"]}
    assert final["momentum"] < final["sgd"] / 10 and final["nesterov"] < final["sgd"] / 10
    zigzag = {name: np.abs(np.diff(path_of(app, name)[:, 1])).sum() for name in values["optimizers"]}
    assert zigzag["momentum"] < zigzag["sgd"] / 2 and zigzag["nesterov"] < zigzag["sgd"] / 2


@pytest.mark.parametrize("landscape", ["rosenbrock", "saddle", "cliff", "beale"])
def test_race_choosing_a_landscape_redraws_its_contours_and_loads_its_suggestion(landscape):
    app = build(optimizer_race)
    contour = app.artists["contour"]
    move(app, "landscape", landscape)
    land = landscapes.make_landscape(landscape)
    values = app.values()
    lr, beta, steps = SUGGESTED[landscape]
    assert (values["lr"], values["beta"], values["steps"]) == pytest.approx((lr, beta, steps))
    assert (values["x0"], values["y0"]) == pytest.approx(tuple(land.start))
    assert (app.controls["x0"].min, app.controls["x0"].max) == pytest.approx(land.bounds[0])
    assert app.artists["contour"] is not contour
    ax = app.artists["start"].axes
    assert sum(line.get_label() == "minimum" for line in ax.lines) == 1
    assert_paths_match_runs(app)


def test_race_plain_gd_diverging_on_rosenbrock_is_reported_without_warnings():
    app = build(optimizer_race, landscape="rosenbrock", optimizers=("sgd", "momentum"), lr=0.01)
    assert "<b>sgd</b>: diverged" in app.status.value
    assert np.isfinite(path_of(app, "sgd")).all()
    assert app.artists["costs"]["momentum"].get_ydata()[-1] < 0.1


def test_race_shows_only_the_selected_optimizers():
    app = build(optimizer_race)
    move(app, "optimizers", ("adam", "adadelta"))
    visible = {name for name, line in app.artists["paths"].items() if line.get_visible()}
    assert visible == {"adam", "adadelta"}
    assert {name for name, line in app.artists["costs"].items() if line.get_visible()} == visible
    move(app, "optimizers", ())
    assert not any(line.get_visible() for line in app.artists["paths"].values())
    assert "choose at least one" in app.status.value


def test_race_click_on_the_contour_plot_moves_the_start_there():
    app = build(optimizer_race)
    ax = app.artists["start"].axes
    x, y = ax.transData.transform((1.0, 0.5))
    event = MouseEvent("button_press_event", app.figure.canvas, x, y, button=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app.figure.canvas.callbacks.process("button_press_event", event)
    assert app.error is None
    assert (app.controls["x0"].value, app.controls["y0"].value) == pytest.approx((1.0, 0.5), abs=1e-9)
    assert path_of(app, "sgd")[0] == pytest.approx([1.0, 0.5], abs=1e-9)


def test_race_rejects_unknown_names_and_out_of_range_values():
    with pytest.raises(ValueError, match="landscape"):
        optimizer_race(landscape="moon")
    with pytest.raises(ValueError, match="optimizer"):
        optimizer_race(optimizers=("sgd", "lbfgs"))
    with pytest.raises(ValueError, match="lr"):
        optimizer_race(lr=10.0)
    with pytest.raises(ValueError, match="preset"):
        optimizer_race(preset="lectures")
    with pytest.raises(ValueError, match="start"):
        optimizer_race(start=(100.0, 0.0))


# --- activation ---------------------------------------------------------------------------------------------------

SETTINGS = {"slope": 0.2, "alpha": 0.5, "beta": 2.0, "approximate": True}


def expected_activation(name, x):
    params = {"leaky_relu": {"slope": 0.2}, "elu": {"alpha": 0.5}, "swish": {"beta": 2.0},
              "gelu": {"approximate": True}}.get(name, {})
    if name == "prelu":
        return activations.prelu(x, 0.5), activations.prelu_grad(x, 0.5)[0]
    f, f_grad = activations.ACTIVATIONS[name]
    return f(x, **params), f_grad(x, **params)


def test_activation_lines_are_the_activation_and_its_derivative_for_every_choice():
    app = build(activation_explorer)
    for key, value in SETTINGS.items():
        move(app, key, value)
    for name in app.controls["name"].options:
        move(app, "name", name)
        x = np.asarray(app.artists["f"].get_xdata())
        f, df = expected_activation(name, x)
        np.testing.assert_allclose(app.artists["f"].get_ydata(), f, rtol=1e-15, atol=0)
        np.testing.assert_allclose(app.artists["f_prime"].get_ydata(), df, rtol=1e-15, atol=0)
        low, high = app.figure.axes[0].get_ylim()
        assert low <= min(f.min(), df.min()) and high >= max(f.max(), df.max())


@pytest.mark.parametrize("name, control, values, function", [
    ("leaky_relu", "slope", (0.0, 0.3, 1.0), lambda x, v: activations.leaky_relu(x, slope=v)),
    ("elu", "alpha", (0.0, 0.5, 2.0), lambda x, v: activations.elu(x, alpha=v)),
    ("prelu", "alpha", (0.25, 1.5), lambda x, v: activations.prelu(x, v)),
    ("swish", "beta", (0.0, 1.0, 5.0), lambda x, v: activations.swish(x, beta=v)),
    ("gelu", "approximate", (True, False), lambda x, v: activations.gelu(x, approximate=v)),
])
def test_activation_parameter_controls_reshape_the_curve(name, control, values, function):
    app = build(activation_explorer, name=name)
    x = np.asarray(app.artists["f"].get_xdata())
    for value in values:
        move(app, control, value)
        np.testing.assert_allclose(app.artists["f"].get_ydata(), function(x, app.controls[control].value),
                                   rtol=1e-15, atol=0)


def test_activation_only_the_parameter_it_takes_is_enabled():
    app = build(activation_explorer)
    expected = {"sigmoid": set(), "leaky_relu": {"slope"}, "elu": {"alpha"}, "prelu": {"alpha"}, "swish": {"beta"},
                "gelu": {"approximate"}}
    for name, enabled in expected.items():
        move(app, "name", name)
        assert {k for k in ("slope", "alpha", "beta", "approximate") if not app.controls[k].disabled} == enabled


def shaded(app):
    """The visible shaded regions as an array of (start, end) rows, left to right."""
    spans = sorted((s.get_x(), s.get_x() + s.get_width()) for s in app.artists["spans"] if s.get_visible())
    return np.array(spans, dtype=float).reshape(-1, 2)


def test_activation_sigmoid_is_shaded_beyond_the_analytic_saturation_edge():
    app = build(activation_explorer, name="sigmoid", threshold=0.01)
    # sigma (1 - sigma) = 0.01  <=>  sigma = (1 + sqrt(0.96)) / 2  <=>  x = log(sigma / (1 - sigma))
    root = math.sqrt(0.96)
    edge = math.log((1 + root) / (1 - root))
    (left, right) = shaded(app)
    assert left == pytest.approx((-6.0, -edge), rel=1e-9)
    assert right == pytest.approx((edge, 6.0), rel=1e-9)
    assert "f'(0) = 0.25" in app.status.value and "max f' on [−6, 6] = 0.25 at x = 0.00" in app.status.value


def test_activation_threshold_slider_moves_the_shaded_regions():
    app = build(activation_explorer, name="tanh", threshold=0.01)
    for threshold in (0.001, 0.1, 0.5):
        move(app, "threshold", threshold)
        # 1 - tanh^2 = threshold  <=>  x = atanh(sqrt(1 - threshold))
        edge = math.atanh(math.sqrt(1 - app.controls["threshold"].value))
        np.testing.assert_allclose(shaded(app), [(-6.0, -edge), (edge, 6.0)], rtol=1e-9)


def test_activation_relu_is_dead_on_the_whole_negative_side_and_leaky_relu_only_below_its_slope():
    app = build(activation_explorer, name="relu", threshold=0.01)
    np.testing.assert_allclose(shaded(app), [(-6.0, 0.0)], rtol=0, atol=1e-9)
    move(app, "name", "leaky_relu")
    move(app, "slope", 0.05)
    assert shaded(app).shape == (0, 2)  # |f'| is 0.05 or 1, never below 0.01
    move(app, "threshold", 0.1)
    np.testing.assert_allclose(shaded(app), [(-6.0, 0.0)], rtol=0, atol=1e-9)
    assert "f'(0) = 0.05" in app.status.value


def test_activation_status_gives_selu_derivative_at_zero_lambda_alpha():
    app = build(activation_explorer, name="selu")
    assert f"f'(0) = {activations.SELU_SCALE * activations.SELU_ALPHA:.4g}" in app.status.value


def test_activation_explorer_rejects_unknown_names():
    with pytest.raises(ValueError, match="activation"):
        activation_explorer(name="softsign")


# --- graph viewer -------------------------------------------------------------------------------------------------

def gradients(app):
    return {name: leaf.grad for name, leaf in app.artists["inputs"].items()}


def test_graph_viewer_sum_times_gives_the_lecture_numbers():
    app = build(graph_viewer, expression="(x+y)z")
    assert app.artists["output"].data == -12.0
    assert gradients(app) == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert "f = -12 · ∂f/∂x = -4, ∂f/∂y = -4, ∂f/∂z = 3" in app.status.value
    for name, value in [("x", 1.5), ("y", -0.5), ("z", 2.0)]:
        move(app, name, value)
        x, y, z = (app.controls[k].value for k in "xyz")
        assert app.artists["output"].data == pytest.approx((x + y) * z, rel=1e-12)
        assert gradients(app) == pytest.approx({"x": z, "y": z, "z": x + y}, rel=1e-12)


@pytest.mark.parametrize("expression", ["neuron", "neuron_sigmoid_gate"])
def test_graph_viewer_sigmoid_neuron_gradients_are_sigma_times_one_minus_sigma_times_the_other_input(expression):
    app = build(graph_viewer, expression=expression)
    for name, value in [(None, None), ("w0", -1.0), ("x1", 0.5), ("w2", 2.0)]:
        if name is not None:
            move(app, name, value)
        w0, x0, w1, x1, w2 = (app.controls[k].value for k in ("w0", "x0", "w1", "x1", "w2"))
        s = w0 * x0 + w1 * x1 + w2
        local = sigmoid(s) * (1 - sigmoid(s))
        assert app.artists["output"].data == pytest.approx(sigmoid(s), rel=1e-12)
        assert gradients(app) == pytest.approx({"w0": local * x0, "x0": local * w0, "w1": local * x1,
                                                "x1": local * w1, "w2": local}, rel=1e-12)
    # the lecture's numbers at the start: f = 0.73, d/dw2 = 0.20 (sum = 1)
    move(app, "expression", "tanh_neuron")
    move(app, "expression", expression)
    assert "f = 0.7311" in app.status.value and "∂f/∂w2 = 0.1966" in app.status.value


@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.floats(-5, 5), min_size=5, max_size=5))
def test_graph_viewer_tanh_neuron_gradients_match_one_minus_tanh_squared(values):
    app = _tanh_app()
    for name, value in zip(("w0", "x0", "w1", "x1", "w2"), values):
        move(app, name, value)
    w0, x0, w1, x1, w2 = (app.controls[k].value for k in ("w0", "x0", "w1", "x1", "w2"))
    local = 1 - math.tanh(w0 * x0 + w1 * x1 + w2) ** 2
    assert gradients(app) == pytest.approx({"w0": local * x0, "x0": local * w0, "w1": local * x1, "x1": local * w1,
                                            "w2": local}, rel=1e-12, abs=1e-300)


@functools.lru_cache(maxsize=None)
def _tanh_app():
    return build(graph_viewer, expression="tanh_neuron")


def test_graph_viewer_max_gate_routes_the_gradient_to_the_larger_input():
    app = build(graph_viewer, expression="max_gate")
    assert app.artists["output"].data == -20.0  # 2 (3 * -4 + max(2, -1))
    assert gradients(app) == {"x": -8.0, "y": 6.0, "z": 2.0, "w": 0.0}
    move(app, "w", 4.0)
    assert gradients(app) == {"x": -8.0, "y": 6.0, "z": 0.0, "w": 2.0}


def shown_text(app, node):
    """What a node's box reads: its box (label, "data", "grad", each line padded to one length) with the number
    text drawn over its blanks. Checks the geometry: the numbers start exactly 5 monospace cells into the box's text,
    within its lines, and fit in its blanks."""
    box, numbers = app.artists["boxes"][node], app.artists["numbers"][node]
    assert box.get_fontfamily() == numbers.get_fontfamily() == ["monospace"]
    under, over = box.get_text().split("\n"), numbers.get_text().split("\n")
    assert len(under) == len(over)
    columns = len(under[0])
    assert all(len(line) == columns for line in under)
    renderer = app.figure.canvas.get_renderer()
    b, n = box.get_window_extent(renderer), numbers.get_window_extent(renderer)
    assert n.x0 == pytest.approx(b.x0 + 5 * b.width / columns, abs=0.5)
    assert b.y0 - 1 <= n.y0 and n.y1 <= b.y1 + 1
    lines = []
    for u, o in zip(under, over):
        assert len(o) <= columns - 5 and (not o or u[5:].strip() == ""), (u, o)  # a number covers only blanks
        lines.append((u[:5] + o) if o else u.strip())
    return "\n".join(line.strip() for line in lines)


def test_graph_viewer_choosing_an_expression_shows_its_inputs_at_the_lecture_values():
    app = build(graph_viewer)
    move(app, "w0", 1.0)
    move(app, "expression", "(x+y)z")
    shown = {name for name, c in app.controls.items() if name != "expression" and c.layout.display != "none"}
    assert shown == {"x", "y", "z"}
    assert (app.controls["x"].value, app.controls["y"].value, app.controls["z"].value) == (-2.0, 5.0, -4.0)
    drawing = app.artists["drawing"]
    assert drawing.ax is app.figure.axes[0] and len(app.figure.axes) == 1  # the same axes, redrawn
    assert len(drawing.boxes) == 5  # x, y, z, q, f
    assert shown_text(app, app.artists["output"]) == "f\ndata -12\ngrad 1"
    move(app, "z", 1.0)
    assert shown_text(app, app.artists["output"]) == "f\ndata 3\ngrad 1"  # f = 3 * 1, df/df = 1
    assert app.artists["drawing"] is drawing  # an input change rewrites the boxes, it draws nothing new
    move(app, "expression", "neuron")
    assert app.controls["w0"].value == 2.0  # back at the lecture's value, not the 1.0 set before
    neuron = app.artists["drawing"]
    move(app, "expression", "(x+y)z")
    assert app.artists["drawing"] is drawing  # drawn once, shown again
    assert all(box.get_visible() for box in drawing.boxes.values())
    assert not any(artist.get_visible() for artist in [*neuron.boxes.values(), *neuron.arrows])
    assert all(text.get_visible() for text in app.artists["numbers"].values())


def test_graph_viewer_boxes_show_every_number_in_its_place():
    """Extreme inputs give numbers like 5.33e-09: shortened to fit the box (fewer digits, short exponent)."""
    app = build(graph_viewer)
    move(app, "w0", 4.5)
    move(app, "x0", -4.9)
    for node in app.artists["numbers"]:
        data, grad = shown_text(app, node).split("\n")[-2:]
        assert float(data.removeprefix("data ")) == pytest.approx(node.data, rel=0.06, abs=1e-300)
        assert float(grad.removeprefix("grad ")) == pytest.approx(node.grad, rel=0.06, abs=1e-300)


def test_graph_viewer_rejects_unknown_expressions_and_inputs():
    with pytest.raises(ValueError, match="expression"):
        graph_viewer("x*y*z")
    with pytest.raises(ValueError, match="w0"):
        graph_viewer("(x+y)z", w0=1.0)
    with pytest.raises(ValueError, match="x"):
        graph_viewer("(x+y)z", x=10.0)


# --- Drawing: a slider move is drawn over the cached picture, not by drawing the whole figure again -----------------

def slider_stops(slider, stride=1):
    """Every `stride`-th value of a slider from its minimum to its maximum, as its arrow keys step through them."""
    stops = np.arange(slider.min, slider.max + slider.step / 2, slider.step * stride)
    return list(slider.base ** stops) if hasattr(slider, "base") else [float(v) for v in stops]


def full_draws_over(app, name, values):
    """How many of the draws after moving control `name` through `values` drew the whole figure (a changed limit,
    legend or title that is not animated); the picture before the first move is drawn whole and not counted."""
    app.draw()
    full = 0
    for value in values:
        move(app, name, value)
        full += app.draw()
    return full


@pytest.mark.parametrize("name", ["ratio", "condition"])
def test_step_size_sliders_never_redraw_the_whole_figure(name):
    app = build(step_size_explorer)
    assert full_draws_over(app, name, slider_stops(app.controls[name], stride=7)) == 0


@pytest.mark.parametrize("name, stride", [("lr", 15), ("beta", 5), ("x0", 9), ("y0", 9)])
def test_race_sliders_never_redraw_the_whole_figure(name, stride):
    """The cost axis spans the floor 1e-16 to the largest gap on the landscape: no lr, beta or start moves it."""
    app = build(optimizer_race, preset="lecture")
    assert full_draws_over(app, name, slider_stops(app.controls[name], stride)) == 0


def test_race_steps_never_redraw_the_whole_figure():
    """The step axis ends at the slider's largest value, 300: a shorter race simply ends earlier."""
    app = build(optimizer_race, preset="lecture")
    stops = list(range(1, 301, 3))
    assert full_draws_over(app, "steps", stops + [91, 209, 91, 40]) == 0
    assert app.artists["costs"]["sgd"].axes.get_xlim() == (0, 300)  # (symlog: linear to 10, logarithmic after)
    np.testing.assert_array_equal(app.artists["costs"]["sgd"].get_xdata(), np.arange(41))  # 40 steps: k = 0..40


@pytest.mark.parametrize("name", ["w0", "x1", "w2"])
def test_graph_viewer_sliders_never_redraw_the_whole_figure(name):
    app = build(graph_viewer)
    assert full_draws_over(app, name, slider_stops(app.controls[name], stride=9)) == 0


def test_ema_and_activation_sliders_never_redraw_the_whole_figure():
    app = build(ema_explorer)
    assert full_draws_over(app, "beta", [value for _, value in app.controls["beta"].options]) == 0
    app = build(activation_explorer)
    assert full_draws_over(app, "threshold", slider_stops(app.controls["threshold"], stride=3)) == 0


@pytest.mark.parametrize("name, parameter", [("leaky_relu", "slope"), ("elu", "alpha"), ("prelu", "alpha"),
                                             ("swish", "beta")])
def test_activation_parameter_sliders_never_redraw_the_whole_figure(name, parameter):
    """The y axis holds f and f' for every value of the activation's parameter: fixed while its slider moves."""
    app = build(activation_explorer, name=name)
    stops = slider_stops(app.controls[parameter], stride=4)
    assert full_draws_over(app, parameter, stops + stops[::-1]) == 0
    low, high = app.artists["f"].axes.get_ylim()
    for value in (stops[0], stops[-1]):
        move(app, parameter, value)
        for line in (app.artists["f"], app.artists["f_prime"]):
            assert low < line.get_ydata().min() and line.get_ydata().max() < high
