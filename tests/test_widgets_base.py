"""The explorer mechanism: controls drive one update that moves artists; errors show in the status line."""
import numpy as np
import ipywidgets as widgets

from course_lib.widgets import Explorer, make_figure


def _line_explorer():
    fig, ax = make_figure()
    x = np.linspace(0, 1, 50)
    (line,) = ax.plot(x, x)

    def update(values):
        if values["power"] < 0:
            raise ValueError("power must be >= 0")
        line.set_ydata(x ** values["power"])
        return f"power = {values['power']}"

    slider = widgets.FloatSlider(value=1.0, min=-1.0, max=3.0)
    return Explorer("What does x^p look like?", {"power": slider}, fig, {"line": line}, update), x


def test_moving_a_control_updates_the_artist_in_place():
    app, x = _line_explorer()
    line = app.artists["line"]
    app.controls["power"].value = 2.0
    assert app.artists["line"] is line
    np.testing.assert_allclose(line.get_ydata(), x ** 2, rtol=1e-15)
    assert app.status.value == "power = 2.0"
    assert app.update_count == 2 and app.last_update_seconds >= 0


def test_an_error_in_an_update_shows_in_the_status_line_and_recovers():
    app, x = _line_explorer()
    app.controls["power"].value = -0.5
    assert isinstance(app.error, ValueError)
    assert "power must be &gt;= 0" in app.status.value
    app.controls["power"].value = 3.0
    assert app.error is None
    np.testing.assert_allclose(app.artists["line"].get_ydata(), x ** 3, rtol=1e-15)


def test_the_question_is_shown_above_the_controls():
    app, _ = _line_explorer()
    assert app.children[0] is app.question_label
    assert "What does x^p look like?" in app.question_label.value


def test_a_change_during_an_update_is_folded_into_one_more_update():
    calls = []
    fig, ax = make_figure()
    slider = widgets.IntSlider(value=0, max=10)

    def update(values):
        calls.append(values["n"])
        if values["n"] == 1:  # a change arriving while this update runs
            slider.value = 5
            slider.value = 7

    app = Explorer("q", {"n": slider}, fig, {}, update)
    slider.value = 1
    assert calls == [0, 1, 7]
    assert app.update_count == 3


def test_setting_several_controls_at_once_runs_one_update_with_all_new_values():
    calls = []
    fig, ax = make_figure()
    controls = {"x": widgets.FloatSlider(value=0.0), "y": widgets.FloatSlider(value=0.0)}
    app = Explorer("q", controls, fig, {}, lambda values: calls.append(dict(values)))
    app.set(x=1.0, y=2.0)
    assert calls == [{"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 2.0}]
    try:
        app.set(z=1.0)
    except KeyError as exc:
        assert "'z'" in str(exc) and "'x'" in str(exc)
    else:
        raise AssertionError("an unknown control name must raise KeyError")


def test_a_slider_move_is_blitted_and_shows_the_same_pixels_as_drawing_the_whole_figure():
    """`Explorer.draw` draws the changed (animated) artists over a cached picture of the rest; only when something
    else changed (here the legend, when the bold line changes) is the whole figure drawn again."""
    from course_lib.widgets import ema_explorer

    app = ema_explorer(beta=0.9)
    assert app.draw() is True  # the first picture is drawn whole
    app.controls["beta"].value = 0.95
    assert app.draw() is False  # limits, legend and titles unchanged: blitted
    blitted = np.asarray(app.figure.canvas.buffer_rgba()).copy()
    app.figure.stale = True
    assert app.draw() is True
    np.testing.assert_array_equal(blitted, np.asarray(app.figure.canvas.buffer_rgba()))

    app.controls["bias_correction"].value = not app.controls["bias_correction"].value  # a new legend
    assert app.draw() is True
