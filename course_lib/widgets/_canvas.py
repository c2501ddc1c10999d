"""The explorer's picture drawn in the browser: an anywidget canvas (`_canvas.js`) fed by matplotlib.

`LiveCanvas(figure)` shows a matplotlib figure whose changing artists the browser draws itself:

- the static part (axes, ticks, labels: everything that is not animated) is rendered by Agg into a PNG only when it
  changed (the figure is stale: a limit, a title that is not animated, a new artist); the legends go into a second,
  transparent PNG drawn on top, so that the lines they explain never cover them;
- the changing (animated) artists are not rendered by Agg: `_scene.scene` writes them as drawing operations in
  CSS pixels (a few kB of JSON; images as raw bytes), and the browser draws them over the picture in one frame;
- an artist `_scene` cannot draw is rendered by Agg over the cached static picture (blitting, as before this
  canvas existed), and that picture goes out instead: slower, never wrong.

Clicks on the canvas reach the figure's matplotlib callbacks (`mpl_connect("button_press_event", ...)`), in the
same display coordinates Agg uses. The figure keeps its Agg canvas, so everything works without a browser too
(tests draw and read `scene` directly).
"""
import time
from io import BytesIO
from pathlib import Path

import numpy as np
from matplotlib.backend_bases import MouseEvent
from matplotlib.backends.backend_agg import FigureCanvasAgg

from course_lib.widgets._scene import scene

try:
    import anywidget
    import traitlets
except ImportError:  # the explorers then use ipympl (see _explorer.make_figure)
    anywidget = None

__all__ = ["LiveCanvas", "available", "png"]

PNG_COMPRESS_LEVEL = 1  # zlib's fastest: a changed picture is encoded in a few ms instead of tens


def available():
    return anywidget is not None


def png(rgba):
    """PNG bytes of an (h, w, 4) uint8 picture."""
    from PIL import Image

    with BytesIO() as out:
        Image.fromarray(np.ascontiguousarray(rgba)).save(out, format="png", compress_level=PNG_COMPRESS_LEVEL)
        return out.getvalue()


def _buffer(canvas):
    return np.asarray(canvas.get_renderer().buffer_rgba())


if anywidget is not None:
    class LiveCanvas(anywidget.AnyWidget):
        """The figure's picture with its changing artists drawn by the browser. `show(animated)` draws."""

        _esm = Path(__file__).with_name("_canvas.js")
        width = traitlets.Int(0).tag(sync=True)        # CSS pixels (the figure's pixels at its dpi of 100)
        height = traitlets.Int(0).tag(sync=True)
        background = traitlets.Bytes(b"").tag(sync=True)  # PNG: the static part (and what Agg had to draw)
        foreground = traitlets.Bytes(b"").tag(sync=True)  # PNG: the legends, transparent elsewhere
        scene = traitlets.List([]).tag(sync=True)         # drawing operations (_scene.py)

        def __init__(self, figure, **kwargs):
            super().__init__(**kwargs)
            self.figure = figure
            self.full_draws = 0
            self.agg_artists = []       # the artists of the last draw that Agg drew (the browser could not)
            self.last_encode_seconds = None
            self._background = None     # the cached static picture (Agg's copy_from_bbox)
            self._sent_clean = False    # whether `background` holds the static picture only
            self._legends_key = None    # which legends `foreground` shows, and where
            self.width, self.height = round(figure.bbox.width), round(figure.bbox.height)
            self.on_msg(self._on_message)

        def show(self, animated):
            """Draw `animated` (the changing artists, in drawing order) over the static picture; True if the static
            picture had to be rendered again."""
            fig = self.figure
            canvas = fig.canvas
            legends = [ax.legend_ for ax in fig.axes if ax.legend_ is not None] + list(fig.legends)
            for legend in legends:  # legends go on top of the scene, in their own picture
                if not legend.get_animated():
                    legend.set_animated(True)
                    fig.stale = True
            full = self._background is None or fig.stale
            updates = {}
            start = time.perf_counter()
            if full:
                FigureCanvasAgg.draw(canvas)
                if self.full_draws == 0:
                    # Constrained layout placed the axes around the first picture's labels; it stays (its solver
                    # would otherwise cost more than the rest of every later full draw).
                    fig.set_layout_engine("none")
                self._background = canvas.copy_from_bbox(fig.bbox)
                static = png(_buffer(canvas))
                shown = [lg for lg in legends if lg.get_visible() and (lg.axes is None or lg.axes.get_visible())]
                key = [(id(lg), (lg.axes or fig).bbox.bounds) for lg in shown]
                if key != self._legends_key or any(lg.stale for lg in shown):
                    # The same legends in the same places keep their picture: a legend costs tens of ms to draw
                    # (where loc="best" puts it is decided once, when it is made or changed).
                    renderer = canvas.get_renderer()
                    renderer.clear()
                    for legend in shown:
                        legend.draw(renderer)
                    updates["foreground"] = png(_buffer(canvas)) if shown else b""
                    self._legends_key = key
                canvas.restore_region(self._background)
                self.full_draws += 1
            renderer = canvas.get_renderer()
            ops, left = scene(animated, fig, renderer)
            if left:  # what the browser cannot draw: Agg draws it over the static picture
                if not full:
                    canvas.restore_region(self._background)
                for artist in left:
                    artist.draw(renderer)
                updates["background"] = png(_buffer(canvas))
                self._sent_clean = False
            elif full or not self._sent_clean:
                if not full:
                    canvas.restore_region(self._background)
                updates["background"] = static if full else png(_buffer(canvas))
                self._sent_clean = True
            self.last_encode_seconds = time.perf_counter() - start
            self.agg_artists = left
            fig.stale = False
            updates["scene"] = ops
            with self.hold_sync():
                for name, value in updates.items():
                    setattr(self, name, value)
            return full

        def _on_message(self, _, content, buffers):
            if content.get("event") != "button_press":
                return
            canvas = self.figure.canvas
            x, y = float(content["x"]), self.figure.bbox.height - float(content["y"])
            event = MouseEvent("button_press_event", canvas, x, y, button=int(content.get("button", 1)))
            canvas.callbacks.process("button_press_event", event)
else:
    LiveCanvas = None
