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
        pixel_ratio = traitlets.Float(1.0).tag(sync=True)  # the screen's device pixels per CSS pixel (set by it)

        def __init__(self, figure, **kwargs):
            super().__init__(**kwargs)
            self.figure = figure
            self.full_draws = 0
            self.agg_artists = []       # the artists of the last draw that Agg drew (the browser could not)
            self.last_encode_seconds = None
            self._background = None     # the cached static picture at 1x (Agg's copy_from_bbox)
            self._static_ratio = None   # the pixel ratio the static picture was rendered at (None: not yet)
            self._sent_clean = False    # whether `background` holds the static picture only
            self._legends_key = None    # which legends `foreground` shows, and where
            self._ops_cache = {}        # the scene's operations of artists not changed since (see _scene.scene)
            self.redraw = None          # the explorer's draw, for when the screen asks for sharper pictures
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
            start = time.perf_counter()
            if self._static_ratio is None or fig.stale:  # the axes may move: every artist is written anew
                self._ops_cache.clear()
            ops, left = scene(animated, fig, canvas.get_renderer(), self._ops_cache)
            # On a high-density screen the pictures are rendered at its pixel ratio (at most 2), so that the
            # static text is as sharp as the scene; at 1x when Agg must also draw what the browser cannot.
            ratio = 1.0 if left else min(max(self.pixel_ratio, 1.0), 2.0)
            full = self._static_ratio != ratio or fig.stale
            updates = {}
            layout_moved_axes = False
            if full:
                dpi = fig.dpi
                if ratio != 1.0:
                    fig.set_dpi(dpi * ratio)
                try:
                    FigureCanvasAgg.draw(canvas)
                    if self.full_draws == 0:
                        # Constrained layout placed the axes around the first picture's labels; it stays (its
                        # solver would otherwise cost more than the rest of every later full draw).
                        fig.set_layout_engine("none")
                        layout_moved_axes = True
                    static = png(_buffer(canvas))
                    self._background = canvas.copy_from_bbox(fig.bbox) if ratio == 1.0 else None
                    updates.update(self._legends(legends, ratio))  # (this clears the canvas's buffer)
                finally:
                    if ratio != 1.0:
                        fig.set_dpi(dpi)
                self._static_ratio = ratio
                self.full_draws += 1
                if layout_moved_axes:  # the scene again, where the axes are now
                    self._ops_cache.clear()
                    ops, left = scene(animated, fig, canvas.get_renderer(), self._ops_cache)
            if left:  # what the browser cannot draw: Agg blits it over the static picture (at 1x)
                canvas.restore_region(self._background)
                renderer = canvas.get_renderer()
                for artist in left:
                    artist.draw(renderer)
                updates["background"] = png(_buffer(canvas))
                self._sent_clean = False
            elif full or not self._sent_clean:
                if not full:  # the picture without what Agg drew over it before
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

        def _legends(self, legends, ratio):
            """{"foreground": PNG of the legends} when they changed, else {}. The same legends in the same places
            keep their picture: a legend costs tens of ms to draw (where loc="best" puts one is decided when it is
            made or changed). Leaves the canvas's buffer cleared."""
            fig, canvas = self.figure, self.figure.canvas
            shown = [lg for lg in legends if lg.get_visible() and (lg.axes is None or lg.axes.get_visible())]
            key = [(id(lg), (lg.axes or fig).bbox.bounds) for lg in shown] + [ratio]
            if key == self._legends_key and not any(lg.stale for lg in shown):
                return {}
            renderer = canvas.get_renderer()
            renderer.clear()
            for legend in shown:
                legend.draw(renderer)
            self._legends_key = key
            return {"foreground": png(_buffer(canvas)) if shown else b""}

        @traitlets.observe("pixel_ratio")
        def _on_pixel_ratio(self, change):
            if self._static_ratio is not None and self.redraw is not None:
                self._static_ratio = None  # the pictures again, at the screen's density
                self.redraw()

        def _on_message(self, _, content, buffers):
            if content.get("event") != "button_press":
                return
            canvas = self.figure.canvas
            x, y = float(content["x"]), self.figure.bbox.height - float(content["y"])
            event = MouseEvent("button_press_event", canvas, x, y, button=int(content.get("button", 1)))
            canvas.callbacks.process("button_press_event", event)
else:
    LiveCanvas = None
