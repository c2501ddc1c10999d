"""The one mechanism behind every exploration: a question, controls, a figure, and an update that moves artists.

An `Explorer` is an ipywidgets `VBox`:

    question (one sentence, above everything)
    controls (sliders, dropdowns, checkboxes), in rows
    the figure (at most 820 px wide: it fits a laptop's notebook beside JupyterLab's file browser)
    status line (numbers worth reading, or what went wrong)

Moving a control calls `update(values)` with the current value of every control. The update changes the data of
the artists the explorer made once (`line.set_data`, `image.set_data`, ...) instead of drawing a new figure. Tests
reach everything from Python: `app.controls["beta"].value = 0.5` triggers the same update a slider drag does, and
`app.artists` holds what it changed.

How a change reaches the screen fast (docs/performance.md, "Interactivity in the browser"): in a kernel the figure
is shown by the browser-side canvas of `_canvas.LiveCanvas` (with anywidget; whatever pyplot's backend is,
``%matplotlib inline`` included). The artists in `artists` (and every axes title) are *animated*: matplotlib
renders everything else into a picture only when it changes (a limit, a legend, a new artist: matplotlib marks the
figure stale then, and animated artists never do), and the animated artists travel as drawing operations in pixels
(`_scene.py`) that the browser draws over that picture. An artist the browser cannot draw is blitted by Agg into
the picture instead. Without anywidget (or with ``COURSE_EXPLORER_CANVAS=ipympl``) the figure is an ipympl canvas
and the animated artists are blitted by Agg: drawn over a cached picture of the rest, the changed pixels sent as PNG.
Outside a kernel (tests, scripts) the figure keeps an Agg canvas and `draw` blits into it.
"""
import html
import os
import threading
import time
from io import BytesIO

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from course_lib.widgets import _canvas

DPI = 100
MAX_WIDTH_IN = 8.2   # 820 px: the width of a notebook's output area at 1280 px with the file browser open
PNG_COMPRESS_LEVEL = _canvas.PNG_COMPRESS_LEVEL  # zlib's fastest: a picture is encoded in a few ms, not tens


def interactive_backend():
    """True when pyplot draws into ipympl canvases (``%matplotlib widget``). The explorers no longer need it: they
    make their own live canvas in a kernel (see `make_figure`)."""
    backend = matplotlib.get_backend().lower()
    return "ipympl" in backend or backend.endswith("widget")


def _keep_backend(backend):
    """Undo what importing ipympl does to a notebook that draws with another backend (``%matplotlib inline``):
    ipympl's ``__init__`` switches pyplot to itself and registers a ``post_execute`` callback that shows pyplot's
    figures as widgets. The explorers make their canvases themselves and need neither; static figures stay images
    (and the grader's guard, which watches IPython's callbacks, sees nothing new)."""
    if matplotlib.rcParams["backend"] == backend:
        return
    matplotlib.use(backend)
    try:
        from IPython import get_ipython
        from ipympl.backend_nbagg import flush_figures
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and flush_figures in shell.events.callbacks["post_execute"]:
        shell.events.unregister("post_execute", flush_figures)


def _live_canvas(fig):
    """An ipympl canvas widget for `fig` (without pyplot, so any backend is fine), or None without ipympl."""
    backend = matplotlib.rcParams["backend"]
    try:
        from ipympl.backend_nbagg import Canvas, FigureManager
    except ImportError:
        return None
    finally:
        _keep_backend(backend)

    class _Canvas(Canvas):
        explorer_draw = None  # the Explorer's draw (blitting), set by the Explorer that shows this canvas

        def draw(self):  # also what the browser's own requests (first view, refresh, resize) end in
            self._png_is_old = True
            try:
                if self.explorer_draw is not None:
                    self.explorer_draw()
                else:
                    FigureCanvasAgg.draw(self)
            finally:
                self.manager.refresh_all()

        def send_binary(self, data):
            # Before its view exists ipympl would send raw pixels as a picture (a "broken" image that stops the
            # view from drawing); the view asks for a full picture once it is there. Until then the picture is
            # kept as the widget's data URL (what a saved notebook's widget state shows).
            if not self.syncing_data_url:
                super().send_binary(data)
                return
            from base64 import b64encode

            from PIL import Image

            with BytesIO() as png:
                Image.fromarray(self._last_buff.view(np.uint8).reshape((*self._last_buff.shape, 4))).save(
                    png, format="png", compress_level=PNG_COMPRESS_LEVEL)
                self._data_url = b64encode(png.getvalue()).decode("ascii")

        def get_diff_image(self):  # ipympl's own, with a fast PNG encoder setting
            if not self._png_is_old:
                return None
            pixels = np.asarray(self.get_renderer().buffer_rgba())
            buff = pixels.view(np.uint32).squeeze(2)
            if self._force_full or buff.shape != self._last_buff.shape or (pixels[:, :, 3] != 255).any():
                self.set_image_mode("full")
                output = buff
            else:
                self.set_image_mode("diff")
                output = np.where(buff != self._last_buff, buff, 0)
            self._last_buff = buff.copy()
            self._force_full = False
            self._png_is_old = False
            from PIL import Image

            with BytesIO() as png:
                Image.fromarray(output.view(np.uint8).reshape((*output.shape, 4))).save(
                    png, format="png", compress_level=PNG_COMPRESS_LEVEL)
                return png.getvalue()

    canvas = _Canvas(fig)
    FigureManager(canvas, 0)
    canvas.header_visible = False
    canvas.toolbar_visible = False
    canvas.toolbar.layout.display = "none"  # not even an invisible toolbar beside the picture (38 px)
    canvas.footer_visible = False
    canvas.resizable = False
    canvas.capture_scroll = False
    return canvas


def make_figure(nrows=1, ncols=1, figsize=None, **kwargs):
    """A figure for an explorer, (fig, axes), with a plain Agg canvas: the `Explorer` shows it in the browser's
    canvas (`_canvas.LiveCanvas`). In a kernel without anywidget (or with ``COURSE_EXPLORER_CANVAS=ipympl``) its
    canvas is a live ipympl widget instead (made here, not by pyplot).

    The figure is at most `MAX_WIDTH_IN` wide (a wider `figsize` is scaled down, its height by half as much), with
    constrained layout so that no label is clipped. It is never shown by itself; the explorer shows it.
    """
    if figsize is None:
        figsize = (4.6 * ncols, 3.4 * nrows)
    width, height = figsize
    if width > MAX_WIDTH_IN:
        height *= (1 + MAX_WIDTH_IN / width) / 2
        width = MAX_WIDTH_IN
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, **kwargs)
    if _in_kernel() and not _browser_draws() and _live_canvas(fig) is not None:
        return fig, axes
    FigureCanvasAgg(fig)
    return fig, axes


def _browser_draws():
    """True when the explorers' changing artists are drawn in the browser (`_canvas.LiveCanvas`, needs
    anywidget); ``COURSE_EXPLORER_CANVAS=ipympl`` keeps the ipympl canvas with blitting (to compare the two)."""
    return _canvas.available() and os.environ.get("COURSE_EXPLORER_CANVAS", "browser") != "ipympl"


def _in_kernel():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _flatten_artists(value):
    if isinstance(value, Artist):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _flatten_artists(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _flatten_artists(v)


def steady_limits(ax, low, high, which="y", log=False, fill=0.5, headroom=0.1):
    """Make `ax`'s x or y limits (`which`) hold [low, high], but leave them alone while they already hold it and
    it fills at least `fill` of them (on a log scale if `log`); new limits get `headroom` extra room at the top.
    True if they changed. An axis whose limits change means drawing the whole figure again (`Explorer.draw`); a
    slider move that keeps them is drawn by blitting, several times faster."""
    get, set_ = (ax.get_ylim, ax.set_ylim) if which == "y" else (ax.get_xlim, ax.set_xlim)
    lo, hi = get()
    scale = np.log if log else (lambda v: v)
    if lo <= low and high <= hi and scale(high) - scale(low) >= fill * (scale(hi) - scale(lo)):
        return False
    if log:  # room on both ends: a log axis's data move up and down
        low, high = low / (high / low) ** headroom, high * (high / low) ** headroom
    else:
        high = high + headroom * (high - low)
    set_(low, high)
    return True


def _style(handle):
    return tuple(str(getattr(handle, f"get_{p}", lambda: None)())
                 for p in ("color", "facecolor", "linestyle", "linewidth", "alpha", "marker", "visible"))


def steady_legend(ax, handles=None, **kwargs):
    """`ax.legend(handles=..., **kwargs)`, made again only when its entries (labels and styles) differ from the
    legend already there: a new legend means drawing the whole figure again (`Explorer.draw`)."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    else:
        labels = [h.get_label() for h in handles]
    key = (tuple(labels), tuple(_style(h) for h in handles), tuple(sorted(kwargs.items())))
    if ax.legend_ is not None and getattr(ax.legend_, "_explorer_key", None) == key:
        return ax.legend_
    legend = ax.legend(handles=handles, labels=labels, **kwargs)
    legend._explorer_key = key
    return legend


def _control_width(control):
    """Even 270 px columns; buttons as wide as their words, and a dropdown or checkbox wide enough for its longest
    text (about 7.5 px a character at JupyterLab's 13 px font), so that no text is cut off."""
    if isinstance(control, (widgets.ToggleButtons, widgets.RadioButtons)):
        return "auto"
    if isinstance(control, widgets.Dropdown):
        longest = max((len(label) for label in control._options_labels), default=0)
        return f"{max(270, 80 + 8 + round(7.5 * longest) + 30)}px"
    if isinstance(control, widgets.Checkbox):
        return f"{max(270, 120 + round(7.5 * len(control.description)))}px"  # after an 80 px indent
    return "270px"


class Explorer(widgets.VBox):
    """A question, its controls and a figure whose artists `update(values)` changes in place.

    Parameters
    ----------
    question : str
        The one question this exploration answers, shown above it.
    controls : dict[str, ipywidgets.ValueWidget]
        Named controls; `update` receives {name: value}.
    figure : matplotlib.figure.Figure
    artists : dict
        The artists `update` changes, exposed for tests and for students who want to look inside.
    update : callable(values) -> str or None
        Changes the artists' data for the given control values; may return a short status text (HTML allowed).
    animated : callable() -> artists, optional
        The artists that change and are drawn over the cached picture (see `draw`); by default all of `artists`.
    """

    def __init__(self, question, controls, figure, artists, update, animated=None):
        self._animated = animated
        self._draw_lock = threading.RLock()  # the playground draws from its training thread
        self.question = question
        self.controls = dict(controls)
        self.figure = figure
        self.artists = artists
        self._update = update
        self.error = None
        self.last_update_seconds = None
        self.update_count = 0
        self._busy = False
        self._pending = False
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.5em"))
        self.question_label = widgets.HTML(f"<b>{html.escape(question)}</b>")
        self.full_draws = 0      # whole-figure draws; the other redraws blit the animated artists only
        self.last_draw_seconds = None
        self._background = None
        if isinstance(figure.canvas, widgets.DOMWidget):  # the live ipympl canvas of `make_figure`
            self.figure_widget = figure.canvas
            self.figure_widget.layout = widgets.Layout(flex="0 0 auto")
            figure.canvas.explorer_draw = self.draw
        elif _in_kernel() and _browser_draws():  # the changing artists drawn by the browser
            self.figure_widget = _canvas.LiveCanvas(figure, layout=widgets.Layout(flex="0 0 auto"))
            self.figure_widget.redraw = self.draw
        else:
            self.figure_widget = widgets.Output()
        # The controls flow in rows above the figure (three to a row in a notebook 850 px wide, the width at
        # 1280 px with the file browser open), so that the explorer is short enough to see whole on a laptop.
        panel = widgets.Box(list(self.controls.values()),
                            layout=widgets.Layout(display="flex", flex_flow="row wrap", align_items="flex-start",
                                                  width="100%", max_width="100%"))
        for control in self.controls.values():
            if hasattr(control, "style") and hasattr(control.style, "description_width"):
                control.style.description_width = control.style.description_width or "80px"
            control.layout.width = _control_width(control)
            if isinstance(control, widgets.ToggleButtons):
                control.style.button_width = "auto"  # each button as wide as its words, none cut off
            control.layout.max_width = "100%"
        super().__init__([self.question_label, panel, self.figure_widget, self.status],
                         layout=widgets.Layout(width="100%", max_width="100%", overflow="hidden"))
        self.add_class("course-explorer")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self):
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def set(self, **values):
        """Set several controls at once and run ONE update with all the new values (e.g. a clicked start point)."""
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise KeyError(f"no control named {', '.join(map(repr, unknown))}; the controls are "
                           f"{', '.join(map(repr, self.controls))}")
        busy, self._busy = self._busy, True  # changes below only mark an update as pending
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._busy = busy
        self._pending = False
        self.refresh()

    def refresh(self):
        """Run the update for the current control values and redraw; errors are shown, not raised."""
        start = time.perf_counter()
        try:
            message = self._update(self.values())
        except Exception as exc:  # shown in the status line: a slider must never leave a traceback behind
            self.error = exc
            self.status.value = f"<span style='color:#D55E00'>{html.escape(type(exc).__name__)}: " \
                                f"{html.escape(str(exc))}</span>"
        else:
            self.error = None
            self.status.value = message or ""
        self.last_update_seconds = time.perf_counter() - start
        self.update_count += 1
        self._redraw()

    def _redraw(self):
        if self._browser_canvas():
            self.draw()  # sends the new scene (and a picture only when the static part changed)
        elif self.figure_widget is self.figure.canvas:
            with self._draw_lock:
                self.draw()
                # The changed pixels go to the browser now (no draw_idle round trip); before the view is there
                # they become the widget's data URL (see _live_canvas's send_binary).
                self.figure.canvas.blit()
        elif _in_kernel():
            from IPython.display import display

            self.figure_widget.clear_output(wait=True)
            with self.figure_widget:
                display(self.figure)

    def _browser_canvas(self):
        return _canvas.LiveCanvas is not None and isinstance(self.figure_widget, _canvas.LiveCanvas)

    def draw(self):
        """Draw the figure the fast way; True if the whole figure (its static part) had to be drawn.

        With the browser's canvas (`_canvas.LiveCanvas`) the animated artists are sent as drawing operations and
        drawn by the browser over a picture of the rest. Otherwise they are drawn into the Agg buffer:

        The artists in `artists` are animated: each redraw restores the cached picture of everything else and
        draws them over it (and the legends over them). Only when the figure is stale, i.e. something that is not
        an animated artist changed (axis limits, a title, a legend, a new artist), is everything drawn again and
        the cached picture replaced."""
        with self._draw_lock:
            return self._draw()

    def _draw(self):
        start = time.perf_counter()
        fig, canvas = self.figure, self.figure.canvas
        # The explorer's artists, and every axes title (titles that tell the current numbers change with them).
        # (`set_title` moves all three of an axes' titles, so all three are animated.)
        titles = [t for ax in fig.axes for t in (ax.title, getattr(ax, "_left_title", None),
                                                 getattr(ax, "_right_title", None)) if t is not None]
        changing = self.artists if self._animated is None else self._animated()
        # Axes (and figures) in `artists` are containers for tests to reach, not pictures that change: hiding one
        # marks the figure stale and its static part is drawn again.
        animated = [a for a in dict.fromkeys([*_flatten_artists(changing), *titles])
                    if not isinstance(a, (Axes, Figure))]
        for artist in animated:
            if not artist.get_animated():
                artist.set_animated(True)
                fig.stale = True
        if self._browser_canvas():
            full = self.figure_widget.show(sorted(animated, key=lambda a: a.get_zorder()))
            self.full_draws = self.figure_widget.full_draws
            self.last_draw_seconds = time.perf_counter() - start
            return full
        full = self._background is None or fig.stale
        if full:
            FigureCanvasAgg.draw(canvas)  # not the live canvas's own draw(): that would send a picture without them
            if self.full_draws == 0:
                # Constrained layout placed the axes around the first picture's labels; it stays (its solver
                # would otherwise cost more than the rest of every later full draw).
                fig.set_layout_engine("none")
            self._background = canvas.copy_from_bbox(fig.bbox)
            self.full_draws += 1
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        axes_with_animated = []
        for artist in sorted(animated, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                artist.draw(renderer)
            ax = getattr(artist, "axes", None)
            if isinstance(ax, Axes) and ax not in axes_with_animated:
                axes_with_animated.append(ax)
        for ax in axes_with_animated:  # legends stay on top of the lines they explain
            if ax.legend_ is not None and ax.legend_.get_visible():
                ax.legend_.draw(renderer)
        fig.stale = False
        self.last_draw_seconds = time.perf_counter() - start
        return full

    def _on_change(self, change):
        # Latest wins: a change that arrives while an update runs (from a thread or a nested event) is folded into
        # one more update with the newest values, never queued once per change.
        if self._busy:
            self._pending = True
            return
        self._busy = True
        try:
            self.refresh()
            while self._pending:
                self._pending = False
                self.refresh()
        finally:
            self._busy = False
