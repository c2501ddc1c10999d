"""The one mechanism behind every exploration: a question, controls, a figure, and an update that moves artists.

An `Explorer` is an ipywidgets `VBox`:

    question (one sentence, above everything)
    controls (sliders, dropdowns, checkboxes)   |   the figure
    status line (numbers worth reading, or what went wrong)

Moving a control calls `update(values)` with the current value of every control. The update changes the data of
the artists the explorer made once (`line.set_data`, `image.set_data`, ...) instead of drawing a new figure, so a
change shows within a blink. Tests reach everything from Python: `app.controls["beta"].value = 0.5` triggers the same
update a slider drag does, and `app.artists` holds what it changed.

With the `ipympl` backend (`%matplotlib widget`) the figure is a live canvas; with any other backend it is shown
as an image that is re-rendered after each update.
"""
import html
import time

import ipywidgets as widgets
import matplotlib


def interactive_backend():
    """True when matplotlib draws into ipympl canvases (``%matplotlib widget``)."""
    backend = matplotlib.get_backend().lower()
    return "ipympl" in backend or backend.endswith("widget")


def make_figure(nrows=1, ncols=1, figsize=None, **kwargs):
    """A figure for an explorer: a live ipympl canvas if that backend is active, otherwise a plain Figure.

    The figure is never shown by itself (no duplicate static copy under the cell); the explorer shows it.
    Returns (fig, axes).
    """
    if figsize is None:
        figsize = (4.6 * ncols, 3.4 * nrows)
    if interactive_backend():
        import matplotlib.pyplot as plt

        with plt.ioff():
            fig, axes = plt.subplots(nrows, ncols, figsize=figsize, **kwargs)
        fig.canvas.header_visible = False
        fig.canvas.toolbar_visible = False
        return fig, axes
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes


def _in_kernel():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


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
    """

    def __init__(self, question, controls, figure, artists, update):
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
        if interactive_backend() and isinstance(figure.canvas, widgets.DOMWidget):
            self.figure_widget = figure.canvas
        else:
            self.figure_widget = widgets.Output()
        panel = widgets.VBox(list(self.controls.values()), layout=widgets.Layout(min_width="300px"))
        super().__init__([self.question_label, widgets.HBox([panel, self.figure_widget]), self.status])
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
        if self.figure_widget is self.figure.canvas:
            self.figure.canvas.draw_idle()
        elif _in_kernel():
            from IPython.display import display

            self.figure_widget.clear_output(wait=True)
            with self.figure_widget:
                display(self.figure)

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
