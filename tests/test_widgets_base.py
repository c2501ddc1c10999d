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


# --- the browser-side canvas (course_lib/widgets/_canvas.py, _scene.py) ------------------------------------------

import pytest  # noqa: E402

from course_lib.widgets import _canvas, _scene  # noqa: E402

needs_anywidget = pytest.mark.skipif(not _canvas.available(), reason="anywidget is not installed")


@pytest.fixture
def in_kernel(monkeypatch):
    """Explorers made as in a notebook's kernel: their picture is the browser-side canvas."""
    from course_lib.widgets import _explorer

    monkeypatch.setattr(_explorer, "_in_kernel", lambda: True)
    monkeypatch.delenv("COURSE_EXPLORER_CANVAS", raising=False)


def _canvas_xy(fig, ax, x, y):
    """Data coordinates to the canvas's CSS pixels (y down from the figure's top)."""
    xy = ax.transData.transform(np.column_stack([x, y]))
    return np.column_stack([xy[:, 0], fig.bbox.height - xy[:, 1]])


@needs_anywidget
def test_in_a_kernel_a_slider_move_sends_the_moved_line_in_pixels_and_no_new_picture(in_kernel):
    app, x = _line_explorer()
    canvas = app.figure_widget
    assert isinstance(canvas, _canvas.LiveCanvas) and app.figure.canvas is not canvas
    assert (canvas.width, canvas.height) == (round(app.figure.bbox.width), round(app.figure.bbox.height))
    background = canvas.background
    assert background.startswith(b"\x89PNG") and canvas.full_draws == 1

    app.controls["power"].value = 2.0
    (op,) = canvas.scene
    assert op["k"] == "path" and op["stroke"] and op["fill"] is None and not op["close"]
    ax = app.artists["line"].axes
    np.testing.assert_allclose(np.reshape(op["d"][0], (-1, 2)), _canvas_xy(app.figure, ax, x, x ** 2), atol=0.006)
    clip = ax.bbox
    assert op["clip"] == pytest.approx([clip.x0, app.figure.bbox.height - clip.y1, clip.width, clip.height], abs=0.01)
    assert canvas.background is background and canvas.full_draws == 1  # the static part was not drawn again
    assert canvas.agg_artists == []


@needs_anywidget
def test_what_the_browser_cannot_draw_is_drawn_by_agg_into_the_picture(in_kernel):
    from matplotlib.patches import Rectangle

    fig, ax = make_figure()
    (line,) = ax.plot([0, 1], [0, 1])
    hatched = ax.add_patch(Rectangle((0.2, 0.2), 0.3, 0.3, hatch="//", facecolor="none"))
    app = Explorer("q", {"n": widgets.IntSlider(value=1)}, fig, {"line": line, "box": hatched},
                   lambda values: hatched.set_width(0.1 * values["n"]))
    canvas = app.figure_widget
    assert canvas.agg_artists == [hatched]
    assert [op["k"] for op in canvas.scene] == ["path"]  # the line only
    with_box = canvas.background
    hatched.set_visible(False)
    app.refresh()
    assert canvas.agg_artists == [] and canvas.background != with_box  # the clean static picture again


@needs_anywidget
def test_every_explorer_is_drawn_by_the_browser_alone(in_kernel):
    """No explorer leaves an artist to Agg: every move is a scene of operations, not a new picture."""
    import course_lib.widgets as w

    for name in ("graph_viewer", "activation_explorer", "step_size_explorer", "ema_explorer", "optimizer_race",
                 "schedule_explorer", "init_explorer", "batchnorm_explorer", "dropout_explorer",
                 "training_playground"):
        app = getattr(w, name)()
        if hasattr(app, "wait"):
            app.wait()
        canvas = app.figure_widget
        assert isinstance(canvas, _canvas.LiveCanvas), name
        assert canvas.agg_artists == [], f"{name}: {canvas.agg_artists}"
        assert canvas.scene, name
        if hasattr(app, "stop"):
            app.stop()


@needs_anywidget
def test_bars_and_titles_become_operations_at_their_pixels(in_kernel):
    fig, ax = make_figure()
    bars = ax.bar([0, 1, 2], [1.0, 2.0, 3.0], width=0.5, color="C0")
    title = ax.set_title(r"$\beta_1$ = 0.9, $\eta$ = 0.1")
    app = Explorer("q", {}, fig, {"bars": list(bars)}, lambda values: None)
    path, text = app.figure_widget.scene
    assert path["k"] == "path" and path["close"] and len(path["d"]) == 3  # one operation for the three bars
    corners = np.reshape(path["d"][2], (-1, 2))
    expected = _canvas_xy(fig, ax, [1.75, 2.25], [0.0, 3.0])
    np.testing.assert_allclose([corners[:, 0].min(), corners[:, 0].max()], expected[:, 0], atol=0.006)
    np.testing.assert_allclose([corners[:, 1].max(), corners[:, 1].min()], expected[:, 1], atol=0.006)
    assert text["k"] == "text" and text["align"] == "center" and text["lines"][0][0] == "β₁ = 0.9, η = 0.1"
    centre = (ax.bbox.x0 + ax.bbox.x1) / 2
    assert text["lines"][0][1] == pytest.approx(centre, abs=0.5)  # anchored at the axes' middle
    assert text["lines"][0][2] < fig.bbox.height - ax.bbox.y1  # above the axes


def test_mathtext_is_written_in_unicode_or_left_to_agg():
    assert _scene.unicode_math(r"$\eta$ = 0.1") == "η = 0.1"
    assert _scene.unicode_math(r"$\hat{v}_t = v_t/(1-\beta^t)$") == "v̂ₜ = vₜ/(1−βᵗ)"
    assert _scene.unicode_math(r"$f = \frac{1}{2}(\theta_1^2 + 10\,\theta_2^2)$") == "f = ½(θ₁² + 10 θ₂²)"
    assert _scene.unicode_math("50 % of $x$") == "50 % of x"
    assert _scene.unicode_math("no math") == "no math"
    with pytest.raises(_scene.Unsupported):
        _scene.unicode_math(r"$\int_0^1 f$")


@needs_anywidget
def test_images_keep_their_orientation(in_kernel):
    fig, ax = make_figure()
    data = np.arange(6.0).reshape(2, 3)
    image = ax.imshow(data, cmap="gray", interpolation="nearest")
    app = Explorer("q", {}, fig, {"image": image}, lambda values: None)
    (op,) = app.figure_widget.scene
    rgba = np.frombuffer(op["rgba"], np.uint8).reshape(op["h"], op["w"], 4)
    assert (op["w"], op["h"]) == (3, 2) and not op["smooth"]
    # origin "upper": row 0 of the data is the top row of the canvas, darkest (0) at its left
    np.testing.assert_array_equal(rgba[..., 0], image.to_rgba(data, bytes=True)[..., 0])
    top_left = _canvas_xy(fig, ax, [-0.5], [-0.5])[0]
    assert op["dst"][:2] == pytest.approx(top_left, abs=0.01) and op["dst"][3] > 0


@needs_anywidget
def test_a_click_on_the_canvas_reaches_the_figures_callbacks_in_display_coordinates(in_kernel):
    app, _ = _line_explorer()
    seen = []
    app.figure.canvas.mpl_connect("button_press_event", lambda e: seen.append((e.x, e.y, e.button)))
    app.figure_widget._on_message(app.figure_widget, {"event": "button_press", "x": 100, "y": 50, "button": 1}, [])
    assert seen == [(100, app.figure.bbox.height - 50, 1)]


@needs_anywidget
def test_a_high_density_screen_gets_pictures_at_its_pixel_ratio_and_the_same_scene(in_kernel):
    from io import BytesIO

    from PIL import Image

    app, _ = _line_explorer()
    canvas = app.figure_widget
    scene = canvas.scene
    size = Image.open(BytesIO(canvas.background)).size
    assert size == (canvas.width, canvas.height)
    canvas.pixel_ratio = 2.0  # what the browser reports on a high-density screen
    assert Image.open(BytesIO(canvas.background)).size == (2 * canvas.width, 2 * canvas.height)
    assert canvas.scene == scene and app.figure.dpi == 100  # the scene stays in CSS pixels
    app.controls["power"].value = 2.0
    assert canvas.full_draws == 2  # a move after that is a scene again, not a new picture


@needs_anywidget
def test_an_artist_no_setter_touched_keeps_its_operations_and_a_moved_one_is_written_anew(in_kernel):
    fig, ax = make_figure()
    x = np.linspace(0, 1, 20)
    still, moving = ax.plot(x, x, "C0-", x, 0.5 * x, "C0-")  # one style: their paths share one operation
    app = Explorer("q", {"a": widgets.FloatSlider(value=0.5)}, fig, {"still": still, "moving": moving},
                   lambda values: moving.set_ydata(values["a"] * x))
    canvas = app.figure_widget
    cached = canvas._ops_cache[id(still)][1][0]
    first = [list(d) for d in cached["d"]]
    app.controls["a"].value = 0.25
    (op,) = canvas.scene
    assert len(op["d"]) == 2
    np.testing.assert_allclose(np.reshape(op["d"][1], (-1, 2)), _canvas_xy(fig, ax, x, 0.25 * x), atol=0.006)
    np.testing.assert_allclose(np.reshape(op["d"][0], (-1, 2)), _canvas_xy(fig, ax, x, x), atol=0.006)
    assert canvas._ops_cache[id(still)][1][0] is cached and cached["d"] == first  # reused, never extended

