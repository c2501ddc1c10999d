"""The explorers for schedules, initialization, batch norm, dropout and the training playground: every control moves
the figure's data to the numbers the library gives for the same settings, leaves no error behind and warns about
nothing."""
import math
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from course_lib import init, optim, schedules
from course_lib.data import make_moons, make_spiral, make_xor
from course_lib.layers import dropout_forward
from course_lib.model import MLP
from course_lib.train import fit
from course_lib.widgets import batchnorm as bn_widget
from course_lib.widgets import playground as playground_widget
from course_lib.widgets.batchnorm import batchnorm_explorer
from course_lib.widgets.dropout import dropout_explorer, hidden_layer
from course_lib.widgets.init import MAX_DEPTH, init_explorer
from course_lib.widgets.playground import training_playground
from course_lib.widgets.schedule import SUGGESTED, schedule_explorer


def move(app, name, value):
    """Set a control as a slider drag would; the update must succeed and must not warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app.controls[name].value = value
        if hasattr(app, "wait"):
            assert app.wait(timeout=120), "the training run did not finish"
    assert app.error is None, f"{name} = {value!r} left an error: {app.error!r}"
    return app


def build(factory, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = factory(*args, **kwargs)
        if hasattr(app, "wait"):
            assert app.wait(timeout=120), "the training run did not finish"
    assert app.error is None, app.error
    return app


# --- schedule ------------------------------------------------------------------------------------------------------

def schedule_from_controls(app):
    """The schedule the controls describe, built here from the class's own parameters."""
    values = app.values()
    name, epochs = values["schedule"], values["epochs"]
    cls = schedules.SCHEDULES[name]
    params = {}
    for param in cls.defaults:
        if param == "total_steps":  # OneCycle runs for the whole run
            params[param] = epochs
        elif param == "epochs":  # Linear's N_e
            params[param] = values["decay_epochs"]
        elif param == "milestones":
            params[param] = tuple(int(m) for m in values["milestones"].split(","))
        else:
            params[param] = values[param]
    return cls(**params), epochs


def drawn_rates(app):
    """The rates the "lr" curve shows: it is drawn as a share of the largest rate, `app.results["peak"]`."""
    return app.artists["lr"].get_ydata() * app.results["peak"]


def reference_training(schedule, epochs):
    """The module text's run, written out: 2-16-3 ReLU net, 150-point spiral, full batch, EMA momentum 0.9."""
    X, y = make_spiral(150, 3, seed=0)
    model = MLP([2, 16, 3], activation="relu", init="he", seed=0)
    return fit(model, optim.Momentum(model.params, lr=0.1, beta=0.9), X, y, epochs=epochs, schedule=schedule,
               progress=False)


def test_schedule_lr_curve_is_the_schedule_for_every_schedule_in_the_dropdown():
    app = build(schedule_explorer)
    for name in schedules.SCHEDULES:
        move(app, "schedule", name)
        schedule, epochs = schedule_from_controls(app)
        e = np.arange(epochs)
        np.testing.assert_array_equal(app.artists["lr"].get_xdata(), e)
        rates = np.array([schedule(int(k)) for k in e])
        # drawn as a share of the largest rate, which the panel's title gives
        assert app.results["peak"] == rates.max()
        assert f"{rates.max():.3g}" in app.artists["lr"].axes.get_title()
        np.testing.assert_allclose(app.artists["lr"].get_ydata(), rates / rates.max(), rtol=1e-15)
        np.testing.assert_allclose(app.artists["lr_constant"].get_ydata(), schedule(0) / rates.max(), rtol=1e-15)
        # the run really used those rates, epoch by epoch
        np.testing.assert_allclose(app.results["history"].lr, [schedule(int(k)) for k in e], rtol=1e-15)


def test_schedule_choosing_a_schedule_shows_exactly_its_sliders_at_the_suggested_values():
    app = build(schedule_explorer)
    for name, suggested in SUGGESTED.items():
        move(app, "schedule", name)
        params = {"decay_epochs" if p == "epochs" else p for p in schedules.SCHEDULES[name].defaults} - {"total_steps"}
        shown = {key for key, control in app.controls.items()
                 if key not in ("schedule", "epochs") and control.layout.display != "none"}
        assert shown == params, name
        for param, value in suggested.items():
            control = app.controls["decay_epochs" if param == "epochs" else param]
            if param == "milestones":
                assert control.value == ", ".join(map(str, value))
            else:
                assert control.value == pytest.approx(value, rel=1e-12)


def test_schedule_loss_curves_are_the_costs_of_fit_under_the_schedule_and_under_constant_alpha0():
    app = build(schedule_explorer, "cosine", epochs=40, T_max=30)
    schedule, epochs = schedule_from_controls(app)
    expected = reference_training(schedule, epochs)
    np.testing.assert_allclose(app.artists["loss"].get_ydata(), expected.cost, rtol=1e-12)
    baseline = reference_training(schedules.Constant(schedule(0)), epochs)
    np.testing.assert_allclose(app.artists["loss_constant"].get_ydata(), baseline.cost, rtol=1e-12)


def slider_ends(control):
    """The two ends of a slider's range (a log slider stores exponents)."""
    if hasattr(control, "base"):
        return [control.base ** control.min, control.base ** control.max]
    return [control.min, control.max]


def test_schedule_every_parameter_slider_reaches_both_ends_without_an_error():
    # The slider ranges are chosen so that no combination breaks a schedule's own constraint
    # (lr_min <= lr0, base_lr <= max_lr, pct_start * total_steps > 1): each slider at either end, the others
    # where the schedule's suggestion put them, must give a valid schedule and a run.
    app = build(schedule_explorer, epochs=10)
    for name in schedules.SCHEDULES:
        move(app, "schedule", name)
        shown = [key for key, control in app.controls.items()
                 if key not in ("schedule", "epochs", "milestones") and control.layout.display != "none"]
        for key in shown:
            start = app.controls[key].value
            for value in slider_ends(app.controls[key]) + [start]:
                move(app, key, value)
                schedule, epochs = schedule_from_controls(app)
                np.testing.assert_allclose(drawn_rates(app), [schedule(e) for e in range(epochs)],
                                           rtol=1e-15)


def test_schedule_sliders_move_the_rate_curve_to_the_step_decay_formula():
    app = build(schedule_explorer, "step")
    for name, value in (("lr0", 3.0), ("drop", 0.25), ("every", 7), ("epochs", 33), ("lr0", 50.0), ("drop", 1.0)):
        move(app, name, value)
        v = app.values()
        e = np.arange(v["epochs"])
        np.testing.assert_allclose(drawn_rates(app), v["lr0"] * v["drop"] ** (e // v["every"]),
                                   rtol=1e-14)


@settings(max_examples=12, deadline=None)
@given(lr0=st.floats(0.1, 100.0), t_max=st.integers(1, 200), lr_min=st.floats(0.0, 0.1))
def test_schedule_cosine_curve_is_the_annealing_formula(lr0, t_max, lr_min):
    app = _cosine_app()
    move(app, "lr0", lr0)
    move(app, "T_max", t_max)
    move(app, "lr_min", lr_min)
    v = app.values()
    e = np.arange(v["epochs"])
    expected = v["lr_min"] + (v["lr0"] - v["lr_min"]) * (1 + np.cos(np.pi * e / v["T_max"])) / 2
    np.testing.assert_allclose(drawn_rates(app), expected, rtol=1e-12, atol=1e-15)


_COSINE = []


def _cosine_app():
    if not _COSINE:
        _COSINE.append(build(schedule_explorer, "cosine", epochs=20))
    return _COSINE[0]


def test_schedule_default_shows_the_constant_rate_blowing_up_where_step_decay_settles():
    app = build(schedule_explorer)
    constant, decayed = app.results["history_constant"].cost, app.results["history"].cost
    assert max(constant[30:]) > 2 * max(decayed[30:])  # the jump the module text describes
    assert constant[-1] > 2 * decayed[-1]


def test_schedule_one_cycle_follows_the_run_length_and_milestones_come_from_text():
    app = build(schedule_explorer, "one_cycle")
    for epochs in (10, 137, 60):
        move(app, "epochs", epochs)
        schedule = app.results["schedule"]
        assert schedule.total_steps == epochs and len(app.artists["lr"].get_ydata()) == epochs
    move(app, "schedule", "multistep")
    move(app, "milestones", "5, 12")
    e = np.arange(app.values()["epochs"])
    v = app.values()
    np.testing.assert_allclose(drawn_rates(app),
                               v["lr0"] * v["gamma"] ** ((e >= 5).astype(int) + (e >= 12)), rtol=1e-14)


def test_schedule_bad_milestones_show_an_error_naming_them_and_the_app_recovers():
    app = build(schedule_explorer, "multistep")
    app.controls["milestones"].value = "10, ten"
    assert isinstance(app.error, ValueError) and "milestones" in str(app.error)
    app.controls["milestones"].value = "30, 20"
    assert isinstance(app.error, ValueError) and "increasing" in str(app.error)
    move(app, "milestones", "20, 30")


def test_schedule_explorer_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="schedule"):
        schedule_explorer("warp")
    with pytest.raises(ValueError, match="drop"):
        schedule_explorer("step", drop=2.0)
    with pytest.raises(TypeError, match="T_max"):
        schedule_explorer("step", T_max=10)
    with pytest.raises(ValueError, match="epochs"):
        schedule_explorer("step", epochs=5)
    with pytest.raises(ValueError, match="lr0 must lie in"):
        schedule_explorer("step", lr0=500.0)  # a valid schedule, but beyond the slider


# --- initialization -----------------------------------------------------------------------------------------------

def reference_activations(scheme, scale, depth, activation, width=256, n_samples=200):
    """A net exactly `depth` layers deep, built as the module text says, on the explorer's inputs."""
    model = MLP([width] * (depth + 1) + [1], activation=activation, output="linear", init=scheme,
                init_scale=scale if scheme == "normal" else None, seed=0)
    X = np.random.default_rng(1).standard_normal((n_samples, width))
    return model, X


@pytest.mark.parametrize("scheme, scale, depth, activation", [
    ("normal", 0.01, 10, "tanh"), ("normal", 1.0, 4, "sigmoid"), ("xavier", 0.01, 7, "tanh"),
    ("he", 0.01, 10, "relu"), ("xavier", 0.01, 3, "relu"),
])
def test_init_histograms_and_titles_are_layer_statistics_of_a_net_that_deep(scheme, scale, depth, activation):
    app = build(init_explorer, scheme=scheme, scale=scale, depth=depth, activation=activation, width=64,
                n_samples=100)
    model, X = reference_activations(scheme, scale, depth, activation, width=64, n_samples=100)
    table = init.layer_statistics(model, X)
    assert [layer for layer, _, _ in app.results["statistics"]] == list(range(1, depth + 1))
    np.testing.assert_allclose(np.array(app.results["statistics"]), np.array(table), rtol=1e-12, atol=1e-300)
    low, high = {"tanh": (-1, 1), "sigmoid": (0, 1), "relu": (0, 3)}[activation]
    for l, a in enumerate(init.layer_activations(model, X)):
        values = a[a > 0] if activation == "relu" else a  # ReLU's histogram counts its positive values
        counts, _ = np.histogram(np.clip(values, low, high), bins=40, range=(low, high))
        if l < depth:  # each shown histogram: the counts, scaled so that the tallest bar has height 1
            np.testing.assert_array_equal(app.results["counts"][l], counts)
            np.testing.assert_allclose(app.artists["bars"][l].get_data().values, counts / counts.max(), rtol=1e-15)
            np.testing.assert_allclose(app.artists["bars"][l].get_data().edges, np.linspace(low, high, 41))
            assert f"std  {table[l][2]:.3g}" in app.artists["stats"][l].get_text()  # the numbers; the title is static
            assert app.artists["titles"][l].get_text() == f"layer {l + 1}"
    # the layers past `depth` are covered, the others not
    assert [cover.get_visible() for cover in app.artists["covers"]] == [l >= depth for l in range(MAX_DEPTH)]


def test_init_every_control_moves_the_table_to_layer_statistics():
    app = build(init_explorer, width=64, n_samples=100)
    for name, value in (("scale", 0.1), ("scale", 1.0), ("activation", "relu"), ("scheme", "he"), ("depth", 4),
                        ("activation", "sigmoid"), ("scheme", "xavier"), ("depth", 10), ("activation", "tanh")):
        move(app, name, value)
        v = app.values()
        model, X = reference_activations(v["scheme"], v["scale"], v["depth"], v["activation"], 64, 100)
        np.testing.assert_allclose(np.array(app.results["statistics"]), np.array(init.layer_statistics(model, X)),
                                   rtol=1e-12, atol=1e-300)
        assert app.controls["scale"].disabled == (v["scheme"] != "normal")


def test_init_xavier_tanh_reproduces_the_lecture_table():
    app = build(init_explorer, scheme="xavier", activation="tanh")
    lecture = [0.627953, 0.486051, 0.407723, 0.357108, 0.320917, 0.292116, 0.273387, 0.254935, 0.239266, 0.228008]
    stds = [std for _, _, std in app.results["statistics"]]
    np.testing.assert_allclose(stds, lecture, rtol=0.03)  # the deck's net: width 500, 1000 examples; ours 256, 200


def test_init_small_weights_collapse_large_ones_saturate_he_keeps_relu_alive():
    app = build(init_explorer)  # normal(0.01), tanh: each layer multiplies the std by about 0.01 * sqrt(256)
    stds = np.array([std for _, _, std in app.results["statistics"]])
    np.testing.assert_allclose(stds[1:] / stds[:-1], 0.16, rtol=0.1)
    move(app, "scale", 1.0)
    deepest = app.results["activations"][-1]
    assert np.mean(np.abs(deepest) > 0.98) > 0.5 and "saturated" in app.status.value
    move(app, "activation", "relu")
    move(app, "scheme", "xavier")  # Var(W) = 1/fan_in: ReLU halves the variance at every layer
    stds = np.array([std for _, _, std in app.results["statistics"]])
    assert stds[-1] / stds[0] < 0.1
    move(app, "scheme", "he")  # doubled: the std stays of the same size
    stds = np.array([std for _, _, std in app.results["statistics"]])
    assert 0.5 < stds[-1] / stds[0] < 2.0


def test_init_explorer_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="scheme"):
        init_explorer(scheme="lecun")
    with pytest.raises(ValueError, match="depth"):
        init_explorer(depth=MAX_DEPTH + 1)
    with pytest.raises(ValueError, match="scale"):
        init_explorer(scale=0.0)


# --- batch norm ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bn_app():
    return build(batchnorm_explorer)


def ema_of_batches(training, momentum, k):
    """running_mean and running_var after k batches, from the EMA formula written out (start 0 and 1)."""
    batch_means = training[:k, :, 0].mean(axis=1)
    batch_vars = training[:k, :, 0].var(axis=1, ddof=1)  # running_var averages the unbiased variance
    weights = momentum * (1.0 - momentum) ** (k - 1 - np.arange(k))
    start = (1.0 - momentum) ** k
    return float(weights @ batch_means + start * 0.0), float(weights @ batch_vars + start * 1.0)


@pytest.mark.parametrize("momentum", [0.1, 0.5, 0.01, 1.0])
def test_bn_running_statistics_after_k_steps_are_the_ema_of_the_batch_statistics(bn_app, momentum):
    _, training = bn_widget.explorer_data(32, 0)
    move(bn_app, "momentum", momentum)
    for k in (0, 1, 7, 60, 200):
        move(bn_app, "steps", k)
        mean, var = ema_of_batches(training, momentum, k)
        assert bn_app.results["running_mean"] == pytest.approx(mean, rel=1e-12, abs=1e-15)
        assert bn_app.results["running_var"] == pytest.approx(var, rel=1e-12)
        assert bn_app.artists["running_mean"].get_ydata()[k] == pytest.approx(mean, rel=1e-12, abs=1e-15)
        assert list(bn_app.artists["now_markers"].get_ydata()) == pytest.approx([mean, var], rel=1e-12, abs=1e-15)


@settings(max_examples=30, deadline=None)
@given(gamma=st.floats(0.1, 3.0), beta=st.floats(-3.0, 3.0))
def test_bn_train_mode_gives_every_batch_mean_beta_and_std_gamma(gamma, beta):
    app = _train_mode_app()
    move(app, "gamma", gamma)
    move(app, "beta", beta)
    g, b = app.values()["gamma"], app.values()["beta"]
    out = app.results["out"][:, 0].reshape(bn_widget.SHOWN_BATCHES, -1)
    x = app.results["x"][:, 0].reshape(bn_widget.SHOWN_BATCHES, -1)
    np.testing.assert_allclose(out.mean(axis=1), b, atol=1e-12)
    shrink = np.sqrt(x.var(axis=1) / (x.var(axis=1) + bn_widget.EPS))  # eps keeps the std just below gamma
    np.testing.assert_allclose(out.std(axis=1), g * shrink, rtol=1e-10)


_TRAIN_MODE = []


def _train_mode_app():
    if not _TRAIN_MODE:
        _TRAIN_MODE.append(build(batchnorm_explorer, mode="train"))
    return _TRAIN_MODE[0]


def test_bn_eval_mode_normalizes_with_the_running_statistics(bn_app):
    move(bn_app, "mode", "eval")
    for k, gamma, beta in ((3, 1.0, 0.0), (50, 2.0, -1.0), (200, 0.5, 2.5)):
        move(bn_app, "steps", k)
        move(bn_app, "gamma", gamma)
        move(bn_app, "beta", beta)
        r = bn_app.results
        expected = gamma * (r["x"] - r["running_mean"]) / np.sqrt(r["running_var"] + bn_widget.EPS) + beta
        np.testing.assert_allclose(r["out"], expected, rtol=1e-12, atol=1e-12)
        # the histogram's bars count those outputs (clipped into the plotted range)
        counts, _ = np.histogram(np.clip(r["out"][:, 0], -8, 8), bins=64, range=(-8, 8))
        np.testing.assert_array_equal(bn_app.artists["after"].get_data().values, counts)
    move(bn_app, "gamma", 1.0)
    move(bn_app, "beta", 0.0)


def test_bn_eval_outputs_are_off_until_the_running_averages_have_converged(bn_app):
    move(bn_app, "mode", "eval")
    move(bn_app, "momentum", 0.1)
    move(bn_app, "steps", 5)  # running_mean = (1 - 0.9^5) of the way to 7: the outputs are shifted up
    assert bn_app.results["out"].mean() > 1.0
    move(bn_app, "steps", 200)
    out = bn_app.results["out"]
    assert abs(out.mean()) < 0.15 and abs(out.std() - 1.0) < 0.15
    assert bn_app.results["running_mean"] == pytest.approx(bn_widget.POPULATION_MEAN, rel=0.05)
    assert bn_app.results["running_var"] == pytest.approx(bn_widget.POPULATION_VAR, rel=0.25)


def test_bn_explorer_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="momentum"):
        batchnorm_explorer(momentum=1.5)
    with pytest.raises(ValueError, match="mode"):
        batchnorm_explorer(mode="test")
    with pytest.raises(ValueError, match="steps"):
        batchnorm_explorer(steps=bn_widget.MAX_STEPS + 1)


# --- dropout ------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dropout_app():
    return build(dropout_explorer)


@pytest.mark.parametrize("inverted", [True, False])
def test_dropout_grid_greys_exactly_the_units_the_mask_drops(dropout_app, inverted):
    h, _ = hidden_layer(0)
    move(dropout_app, "inverted", inverted)
    for p, mask_seed in ((0.5, 0), (0.2, 17), (0.9, 99), (0.0, 3)):
        move(dropout_app, "p", p)
        move(dropout_app, "mask_seed", mask_seed)
        out, mask = dropout_forward(h, p, rng=np.random.default_rng(mask_seed), inverted=inverted)
        shown = dropout_app.artists["grid"].get_array()
        np.testing.assert_array_equal(np.ma.getmaskarray(shown).ravel(), mask == 0)
        np.testing.assert_allclose(shown.compressed(), out[mask != 0], rtol=1e-15)
        assert f"{int(np.sum(mask == 0))} of 64 units dropped" in dropout_app.artists["grid"].axes.get_title()


@pytest.mark.parametrize("inverted", [True, False])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_mean_training_output_matches_the_test_output(dropout_app, p, inverted):
    h, w = hidden_layer(0)
    move(dropout_app, "inverted", inverted)
    move(dropout_app, "p", p)
    outputs, test = dropout_app.results["train_outputs"], dropout_app.results["test_output"]
    assert test == pytest.approx(float(h @ w) * (1.0 if inverted else 1.0 - p), rel=1e-12)
    standard_error = outputs.std() / math.sqrt(outputs.size)
    assert abs(outputs.mean() - test) < 4 * standard_error
    line = dropout_app.artists
    assert line["test_output"].get_xdata()[0] == pytest.approx(test, rel=1e-12)
    assert line["train_mean"].get_xdata()[0] == pytest.approx(outputs.mean(), rel=1e-12)
    # without the scaling, training and test would disagree by the factor 1 - p
    wrong = line["forgotten"].get_xdata()[0]
    assert (wrong / test if inverted else test / wrong) == pytest.approx(1.0 - p, rel=1e-12)


def test_dropout_drops_a_fraction_p_of_the_units_over_many_masks(dropout_app):
    move(dropout_app, "p", 0.3)
    dropped = 0
    for mask_seed in range(100):
        move(dropout_app, "mask_seed", mask_seed)
        dropped += int(np.sum(dropout_app.results["mask"] == 0))
    assert dropped / 6400 == pytest.approx(0.3, abs=0.03)  # 6400 draws: standard error 0.006


def test_dropout_explorer_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="p"):
        dropout_explorer(p=0.95)
    with pytest.raises(TypeError, match="inverted"):
        dropout_explorer(inverted="yes")


# --- training playground ------------------------------------------------------------------------------------------

def reference_run(dataset, hidden, activation, optimizer, lr, batch_size, dropout, batchnorm, epochs, seed=0):
    """The module text's recipe, written out."""
    X, y = {"spiral": lambda: make_spiral(300, 3, seed=seed), "moons": lambda: make_moons(200, seed=seed),
            "xor": lambda: make_xor(200, seed=seed)}[dataset]()
    model = MLP([2, *hidden, int(y.max()) + 1], activation=activation, batchnorm=batchnorm, dropout=dropout,
                seed=seed)
    opt = optim.make_optimizer(optimizer, model.params, lr=lr)
    history = fit(model, opt, X, y, epochs=epochs, batch_size=batch_size, seed=seed, progress=False)
    return model, history


def assert_boundary_is_the_prediction(app):
    image = app.artists["image"]
    xx, _, points = image.grid
    np.testing.assert_array_equal(image.get_array(), app.results["model"].predict(points).reshape(xx.shape))


@pytest.mark.parametrize("dataset, accuracy", [("xor", 0.9), ("moons", 0.97)])
def test_playground_learns_xor_and_moons(dataset, accuracy):
    app = build(training_playground, dataset=dataset, epochs=40)
    history = app.results["history"]
    assert history.epochs_run == 40 and history.accuracy[-1] >= accuracy
    assert_boundary_is_the_prediction(app)
    np.testing.assert_allclose(app.artists["accuracy"].get_ydata(), history.accuracy, rtol=0)
    np.testing.assert_allclose(app.artists["cost"].get_ydata(), history.cost, rtol=0)
    X, _ = make_xor(200) if dataset == "xor" else make_moons(200)
    np.testing.assert_array_equal(app.artists["scatter"].get_offsets(), X)


def test_playground_run_is_the_documented_fit_and_repeats_exactly():
    kwargs = dict(dataset="moons", hidden="16, 8", activation="tanh", optimizer="momentum", lr=0.3, batch_size=16,
                  dropout=0.2, batchnorm=True, epochs=12)
    first, second = build(training_playground, **kwargs), build(training_playground, **kwargs)
    model, history = reference_run("moons", (16, 8), "tanh", "momentum", 0.3, 16, 0.2, True, 12)
    for app in (first, second):
        np.testing.assert_array_equal(app.results["history"].cost, history.cost)
        np.testing.assert_array_equal(app.results["model"].flat_params, model.flat_params)


def test_playground_every_control_retrains_without_errors_and_the_boundary_follows():
    app = build(training_playground, epochs=3)
    for name, values in (("dataset", ["spiral", "moons", "circles", "xor"]), ("hidden", ["8", "", "32, 16, 8"]),
                         ("activation", ["tanh", "sigmoid", "gelu", "leaky_relu", "elu"]),
                         ("optimizer", list(optim.OPTIMIZERS)), ("lr", [0.1, 1.0, 1e-3]),
                         ("batch_size", [1, 0, 128]), ("dropout", [0.5, 0.0]), ("batchnorm", [True, False]),
                         ("epochs", [1, 15])):
        for value in values:
            move(app, name, value)
            history, used = app.results["history"], app.results["settings"]
            assert history.epochs_run <= app.values()["epochs"]
            assert used["dataset"] == app.values()["dataset"] and used["lr"] == app.values()["lr"]
            assert_boundary_is_the_prediction(app)
            assert app.status.value.startswith("trained")


def test_playground_latest_settings_win_and_the_run_they_replace_is_cancelled(monkeypatch):
    runs = []

    def recording_fit(*args, **kwargs):
        history = fit(*args, **kwargs)
        runs.append((kwargs["epochs"], history))
        return history

    monkeypatch.setattr(playground_widget, "fit", recording_fit)
    app = build(training_playground, dataset="moons", epochs=5)
    app.controls["epochs"].value = 1000  # a long run ...
    app.controls["epochs"].value = 20  # ... replaced at once
    assert app.wait(timeout=120) and app.error is None
    for thread in threading.enumerate():
        if thread.name == "training-playground":
            thread.join(timeout=60)
    long_runs = [history for epochs, history in runs if epochs == 1000]
    assert len(long_runs) == 1 and long_runs[0].epochs_run < 1000
    assert "stopped by callback" in long_runs[0].stopped_reason
    assert app.results["settings"]["epochs"] == 20 and app.results["history"].epochs_run == 20, (app.status.value, [(e, h.epochs_run) for e, h in runs])
    assert "trained 20 epochs" in app.status.value


def test_playground_long_runs_redraw_and_report_progress_before_they_finish(monkeypatch):
    monkeypatch.setattr(playground_widget, "_REDRAW_EVERY", 0.0)  # redraw after every epoch
    monkeypatch.setattr(playground_widget, "_FIRST_DRAW", 0.0)  # the first one too
    app = build(training_playground, dataset="xor", epochs=3)
    statuses = []
    app.status.observe(lambda change: statuses.append(change["new"]), names="value")
    move(app, "epochs", 10)
    progress = [s for s in statuses if s.startswith("training…")]
    assert any("9 of 10 epochs" in s for s in progress)  # the last redraw before the end
    assert statuses[-1].startswith("trained 10 epochs")


def test_playground_a_move_shows_the_untrained_network_at_once_then_the_trained_one():
    # The move's own update draws the new run's network before training (so the screen changes at once); the
    # captured picture is the one the browser gets before the run's thread has started.
    app = build(training_playground, dataset="moons", hidden="8", epochs=6)
    seen = []

    def capture(change):
        if change["new"].startswith("training… 0 of"):
            seen.append((app.artists["image"].get_array().copy(), len(app.artists["cost"].get_xdata()),
                         len(app.artists["accuracy"].get_ydata())))
    app.status.observe(capture, names="value")
    move(app, "hidden", "5, 3")
    assert len(seen) == 1, [s[1:] for s in seen]
    boundary, n_cost, n_accuracy = seen[0]
    untrained = MLP([2, 5, 3, 2], activation="relu", seed=0)
    xx, _, points = app.artists["image"].grid
    np.testing.assert_array_equal(boundary, untrained.predict(points).reshape(xx.shape))
    assert n_cost == 0 and n_accuracy == 0  # no curves yet (the axes stay: test_playground_sliders_keep_the_axes)
    assert app.status.value.startswith("trained 6 epochs")
    assert_boundary_is_the_prediction(app)
    assert not np.array_equal(app.artists["image"].get_array(), boundary)  # the trained network's own boundary


def test_playground_bad_hidden_text_shows_the_error_and_recovers():
    app = build(training_playground, dataset="xor", epochs=5)
    app.controls["hidden"].value = "64, lots"
    assert isinstance(app.error, ValueError) and "hidden" in str(app.error)
    app.controls["hidden"].value = "9999"
    assert isinstance(app.error, ValueError) and "512" in str(app.error)
    move(app, "hidden", "12")
    assert app.results["model"].sizes == (2, 12, 2)


def test_playground_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="dataset"):
        training_playground(dataset="mnist")
    with pytest.raises(ValueError, match="optimizer"):
        training_playground(optimizer="lbfgs")
    with pytest.raises(ValueError, match="lr"):
        training_playground(lr=10.0)
    with pytest.raises(ValueError, match="batch_size"):
        training_playground(batch_size=50)


# --- Drawing: a slider move is drawn over the cached picture, not by drawing the whole figure again -----------------

def slider_stops(slider, stride=1):
    """Every `stride`-th value of a slider from its minimum to its maximum, as its arrow keys step through them."""
    stops = np.arange(slider.min, slider.max + slider.step / 2, slider.step * stride)
    return list(slider.base ** stops) if hasattr(slider, "base") else [float(v) for v in stops]


def full_draws_over(app, name, values):
    """How many of the draws after moving control `name` through `values` drew the whole figure (a changed limit,
    legend or title that is not animated); the picture before the first move is drawn whole and not counted."""
    wait = getattr(app, "wait", None)
    if wait:
        wait()
    app.draw()
    full = 0
    for value in values:
        move(app, name, value)
        if wait:
            assert wait(timeout=60)
        full += app.draw()
    return full


@pytest.mark.parametrize("inverted", [True, False])
def test_dropout_p_never_redraws_the_whole_figure(inverted):
    """The histogram's axes hold every p of the slider for the convention shown."""
    app = build(dropout_explorer, inverted=inverted)
    stops = slider_stops(app.controls["p"])
    assert full_draws_over(app, "p", stops + stops[::-1]) == 0
    assert full_draws_over(app, "mask_seed", [3, 50, 99]) == 0
    # every training output lies inside the fixed axis, whatever p
    for p in (0.05, 0.45, 0.9):
        move(app, "p", p)
        low, high = app.artists["train_mean"].axes.get_xlim()
        outputs = app.results["train_outputs"]
        assert low < outputs.min() and outputs.max() < high


@pytest.mark.parametrize("name, stride", [("gamma", 3), ("beta", 6), ("momentum", 5), ("steps", 7)])
def test_bn_sliders_never_redraw_the_whole_figure(name, stride):
    app = build(batchnorm_explorer)
    for mode in ("eval", "train"):
        move(app, "mode", mode)
        assert full_draws_over(app, name, slider_stops(app.controls[name], stride)) == 0


@pytest.mark.parametrize("name, stride", [("scale", 3), ("depth", 1)])
def test_init_sliders_never_redraw_the_whole_figure(name, stride):
    app = build(init_explorer, width=32, n_samples=50)
    stops = slider_stops(app.controls[name], stride)
    assert full_draws_over(app, name, stops + stops[::-1]) == 0


def test_init_layers_past_depth_are_blank():
    """A layer past `depth` is covered with the figure's colour: its axes, ticks and title leave no pixel behind."""
    app = build(init_explorer, width=32, n_samples=50)
    app.draw()
    move(app, "depth", 4)
    assert app.draw() is False
    pixels = np.asarray(app.figure.canvas.buffer_rgba())
    height = pixels.shape[0]
    renderer = app.figure.canvas.get_renderer()
    for l, ax in enumerate(app.artists["axes"]):
        box = ax.get_tightbbox(renderer)
        region = pixels[int(height - box.y1) + 1:int(height - box.y0) - 1, int(box.x0) + 1:int(box.x1) - 1, :3]
        blank = bool((region == 255).all())
        assert blank == (l >= 4), f"layer {l + 1}"


def test_schedule_sliders_never_redraw_the_whole_figure():
    """The axes never move: rates are drawn as a share of the largest, the epoch axes end at the longest run."""
    app = build(schedule_explorer)
    lr0 = slider_stops(app.controls["lr0"], stride=6)
    assert full_draws_over(app, "lr0", lr0 + lr0[::-1]) == 0
    assert full_draws_over(app, "epochs", list(range(10, 201, 5)) + [60]) == 0
    assert full_draws_over(app, "drop", slider_stops(app.controls["drop"], stride=3)) == 0
    move(app, "schedule", "cyclic")
    assert full_draws_over(app, "max_lr", slider_stops(app.controls["max_lr"], stride=20)) == 0
    for ax in app.figure.axes:
        assert ax.get_xlim() == (0, 200)
    assert app.artists["lr"].axes.get_ylim() == (0.0, 1.05)


def test_playground_sliders_keep_the_axes():
    app = build(training_playground, epochs=12)
    assert full_draws_over(app, "dropout", [0.2, 0.5, 0.0]) == 0
    assert full_draws_over(app, "lr", [0.003, 0.03, 0.01]) == 0
    # the epoch axis is logarithmic up to the slider's 1000: a longer or shorter run keeps it
    assert full_draws_over(app, "epochs", [3, 25, 60, 12]) == 0
    assert app.artists["cost"].axes.get_xlim() == (1, 1000)
