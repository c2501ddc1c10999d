"""Matplotlib artists as drawing operations for the browser's canvas (`_canvas.js`), in CSS pixels.

`scene(artists, renderer)` turns the changing artists of an explorer into a list of operations that a 2-D canvas
draws as they come, in display (pixel) coordinates with y pointing down and the figure's top-left corner at 0, 0
(at the explorer's 100 dpi a display pixel is a CSS pixel):

    {"k": "path",    "d": [[x0, y0, x1, y1, ...], ...], "close": bool, "fill": css colour or None,
                     "stroke": css colour or None, "lw": px, "dash": [px, ...] or None, "cap": ..., "join": ...}
    {"k": "markers", "shape": [[x0, y0, ...], ...] (around 0, 0), "xy": [x0, y0, x1, y1, ...],
                     "fill": colour or [colour per point], "stroke": colour or [...], "lw": px, "scale": [...] or None}
    {"k": "text",    "lines": [[text, x, y], ...] (each line's anchor on its baseline), "font": css font,
                     "color": colour, "align": "left" | "center" | "right", "rot": radians (counter-clockwise)}
    {"k": "image",   "rgba": bytes (h x w x 4), "w": w, "h": h, "dst": [x, y, width, height], "smooth": bool}

and every operation has "clip": [x, y, width, height] or None (the artist's clip box: its axes); an artist's
alpha is folded into its colours. Shapes come from matplotlib itself (`Path.to_polygons`), so bars, stairs,
fill_between, markers and circles land where Agg would put them; text is placed with matplotlib's own line layout
(`Text._get_layout`) and drawn by the browser's font. Mathtext is written in Unicode (`unicode_math`).

An artist this module cannot draw faithfully (hatches, path effects, arrows and annotations, unknown collections,
TeX it cannot spell) raises `Unsupported`; the explorer then draws it with Agg into the picture instead.
"""
import re

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.collections import Collection
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Affine2D

__all__ = ["Unsupported", "scene", "ops_for", "unicode_math"]


class Unsupported(Exception):
    """This artist is drawn by Agg, not in the browser."""


def _css(rgba, alpha=None):
    r, g, b, a = mcolors.to_rgba(rgba, alpha)
    if a <= 0:
        return None
    return f"rgba({round(r * 255)},{round(g * 255)},{round(b * 255)},{a:.3g})"


def _round(a):
    return np.round(np.asarray(a, dtype=float), 2).ravel().tolist()


class _Frame:
    """Display coordinates (y up, origin bottom-left) to canvas coordinates (y down)."""

    def __init__(self, figure):
        self.height = figure.bbox.height
        self.px_per_pt = figure.dpi / 72.0

    def flip(self, xy):
        xy = np.asarray(xy, dtype=float).reshape(-1, 2).copy()
        xy[:, 1] = self.height - xy[:, 1]
        return xy

    def clip(self, artist):
        if not artist.get_clip_on():
            return None
        box = artist.get_clip_box()
        path = artist.get_clip_path()
        if path is not None:  # an axes' patch: a rectangle is its bbox; anything else is drawn by Agg
            tpath, transform = path.get_transformed_path_and_affine()
            verts = transform.transform(tpath.vertices)
            lo, hi = verts.min(axis=0), verts.max(axis=0)
            if not np.all(np.isclose(verts, lo) | np.isclose(verts, hi)):
                raise Unsupported("a clip path that is not a rectangle")
            if box is None:
                return [lo[0], self.height - hi[1], hi[0] - lo[0], hi[1] - lo[1]]
            lo, hi = np.maximum(lo, [box.x0, box.y0]), np.minimum(hi, [box.x1, box.y1])
            return _round([lo[0], self.height - hi[1], max(hi[0] - lo[0], 0), max(hi[1] - lo[1], 0)])
        if box is None:
            return None
        return _round([box.x0, self.height - box.y1, box.width, box.height])


_CAPS = {"butt": "butt", "round": "round", "projecting": "square"}


def _dashes(dash_pattern, frame):
    """A matplotlib dash pattern (offset, lengths in points, already scaled by the line width) in CSS pixels."""
    _, seq = dash_pattern
    if not seq:
        return None
    return _round(np.asarray(seq) * frame.px_per_pt)


def _polylines(path, transform, frame, closed_only=False):
    return [_round(frame.flip(p)) for p in path.to_polygons(transform, closed_only=closed_only) if len(p)]


def _line(line, frame):
    if line.get_drawstyle() not in ("default", "steps", "steps-pre", "steps-mid", "steps-post"):
        raise Unsupported(f"drawstyle {line.get_drawstyle()!r}")
    if line.get_path_effects() or line.get_markevery() is not None or line.get_sketch_params():
        raise Unsupported("path effects, markevery or sketch")
    alpha = line.get_alpha()
    path = line.get_path()
    transform = line.get_transform()
    clip = frame.clip(line)
    ops = []
    stroke = _css(line.get_color(), alpha)
    if line.get_linestyle() not in ("None", " ", "") and line.get_linewidth() > 0 and stroke:
        dash = _dashes(line._dash_pattern, frame) if line.is_dashed() else None
        cap = line.get_dash_capstyle() if dash else line.get_solid_capstyle()
        join = line.get_dash_joinstyle() if dash else line.get_solid_joinstyle()
        ops.append({"k": "path", "d": _polylines(path, transform, frame), "close": False, "fill": None,
                    "stroke": stroke, "lw": round(line.get_linewidth() * frame.px_per_pt, 2), "dash": dash,
                    "cap": _CAPS.get(cap, "butt"), "join": join if join in ("miter", "round", "bevel") else "round",
                    "clip": clip})
    marker = line._marker
    if marker.get_marker() not in ("None", "none", " ", "", None):
        if marker.get_fillstyle() not in ("full", "none"):
            raise Unsupported(f"marker fill style {marker.get_fillstyle()!r}")
        size = line.get_markersize() * frame.px_per_pt
        mtrans = marker.get_transform().frozen()
        if marker.get_marker() != ",":
            mtrans = mtrans.scale(size)
        mtrans = mtrans.scale(1, -1)  # y down
        shape = [_round(p) for p in marker.get_path().to_polygons(mtrans, closed_only=False)]
        xy = transform.transform(np.column_stack([line.get_xdata(orig=False), line.get_ydata(orig=False)]))
        xy = xy[np.isfinite(xy).all(axis=1)]
        filled = marker.is_filled() and marker.get_fillstyle() != "none"
        ops.append({"k": "markers", "shape": shape, "xy": _round(frame.flip(xy)),
                    "fill": _css(line.get_markerfacecolor(), alpha) if filled else None,
                    "stroke": _css(line.get_markeredgecolor(), alpha),
                    "lw": round(line.get_markeredgewidth() * frame.px_per_pt, 2), "scale": None,
                    "close": filled, "clip": clip})
    return ops


def _patch(patch, frame):
    if patch.get_hatch() or patch.get_path_effects():
        raise Unsupported("a hatched patch or path effects")
    fill = _css(patch.get_facecolor()) if patch.get_fill() else None  # (the colours carry the patch's alpha)
    stroke = _css(patch.get_edgecolor()) if patch.get_linewidth() > 0 else None
    if fill is None and stroke is None:
        return []
    dash = _dashes(patch._dash_pattern, frame) if patch.get_linestyle() not in (
        "solid", "-") else None
    closed = patch.get_fill()
    return [{"k": "path", "d": _polylines(patch.get_path(), patch.get_transform(), frame), "close": closed,
             "fill": fill, "stroke": stroke, "lw": round(patch.get_linewidth() * frame.px_per_pt, 2),
             "dash": dash, "cap": _CAPS.get(patch.get_capstyle(), "butt"), "join": patch.get_joinstyle(),
             "clip": frame.clip(patch)}]


def _colors(colors, n):
    """One CSS colour, or one per item (cycled as matplotlib cycles them)."""
    colors = np.asarray(colors)
    if len(colors) == 0:
        return None
    if len(colors) == 1:
        return _css(colors[0])
    return [_css(colors[i % len(colors)]) or "rgba(0,0,0,0)" for i in range(n)]


def _collection(coll, frame, renderer):
    if coll.get_hatch() or coll.get_path_effects() or type(coll).__name__ not in (
            "PathCollection", "PolyCollection", "FillBetweenPolyCollection", "LineCollection", "PatchCollection",
            "QuadContourSet", "ContourSet"):
        raise Unsupported(f"{type(coll).__name__}")
    coll.update_scalarmappable()
    if hasattr(coll, "set_sizes") and coll.get_sizes() is not None and len(coll.get_sizes()):
        coll.set_sizes(coll.get_sizes(), frame.px_per_pt * 72.0)  # the sizes' transforms at this dpi
    paths, transforms = coll.get_paths(), coll.get_transforms()
    offsets = coll.get_offsets()
    lw = np.asarray(coll.get_linewidths(), dtype=float).ravel() * frame.px_per_pt
    styles = coll.get_linestyles()
    if any(offset not in (None, 0) or dashes for offset, dashes in styles):
        raise Unsupported("dashed collections")
    lw_px = round(float(lw[0] if len(lw) else 0.0), 2)
    is_lines = type(coll).__name__ == "LineCollection" or (hasattr(coll, "levels") and not coll.filled)
    clip = frame.clip(coll)
    has_offsets = offsets is not None and len(offsets) and not (len(offsets) == 1 and len(paths) > 1)
    if has_offsets and len(paths) == 1 and len(set(lw.tolist())) <= 1:  # a scatter: one shape at many places
        xy = coll.get_offset_transform().transform(offsets)
        t = np.asarray(transforms) if len(transforms) else np.eye(3)[None]
        flip = np.diag([1.0, -1.0, 1.0])
        shape = [_round(p) for p in paths[0].to_polygons(Affine2D(flip @ t[0]), closed_only=False)]
        scales = np.sqrt(np.abs(np.linalg.det(t[:, :2, :2]) / max(abs(np.linalg.det(t[0, :2, :2])), 1e-300)))
        n = len(xy)
        return [{"k": "markers", "shape": shape, "xy": _round(frame.flip(xy)),
                 "fill": None if is_lines else _colors(coll.get_facecolors(), n),
                 "stroke": _colors(coll.get_edgecolors(), n) if lw_px > 0 else None, "lw": lw_px,
                 "scale": None if np.allclose(scales, 1.0) else _round(scales[np.arange(n) % len(scales)]),
                 "close": not is_lines, "clip": clip}]
    if has_offsets:
        raise Unsupported("a collection of several paths at offsets")
    transform = coll.get_transform()
    fills = [] if is_lines else list(coll.get_facecolors())
    edges = list(coll.get_edgecolors())
    ops = []
    for i, path in enumerate(paths):
        width = round(float(lw[i % len(lw)]), 2) if len(lw) else 0.0
        fill = _css(fills[i % len(fills)]) if fills else None
        edge = _css(edges[i % len(edges)]) if edges and width > 0 else None
        if fill is None and edge is None or not len(path.vertices):
            continue
        ops.append({"k": "path", "d": _polylines(path, transform, frame), "close": not is_lines,
                    "fill": fill, "stroke": edge, "lw": width, "dash": None, "cap": "butt", "join": "round",
                    "clip": clip})
    return ops


# --- text --------------------------------------------------------------------------------------------------------

_GREEK = {name: chr(code) for name, code in [
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3F5),
    ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("iota", 0x3B9), ("kappa", 0x3BA),
    ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1),
    ("sigma", 0x3C3), ("tau", 0x3C4), ("upsilon", 0x3C5), ("phi", 0x3D5), ("varphi", 0x3C6), ("chi", 0x3C7),
    ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394), ("Theta", 0x398), ("Lambda", 0x39B),
    ("Xi", 0x39E), ("Pi", 0x3A0), ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Psi", 0x3A8), ("Omega", 0x3A9)]}
_SYMBOLS = {"times": "×", "cdot": "·", "pm": "±", "mp": "∓", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥",
            "neq": "≠", "ne": "≠", "approx": "≈", "sim": "∼", "infty": "∞", "partial": "∂", "nabla": "∇",
            "sqrt": "√", "to": "→", "rightarrow": "→", "leftarrow": "←", "in": "∈", "sum": "∑", "prod": "∏",
            "ell": "ℓ", "hat": "", "odot": "⊙", "circ": "∘", "ldots": "…", "cdots": "⋯", "log": "log",
            "exp": "exp", "max": "max", "min": "min", "mathrm": "", "mathbf": "", "mathit": "", "rm": "",
            "langle": "⟨", "rangle": "⟩", ",": " ", ";": " ", "!": "", " ": " ", "quad": " ", "%": "%",
            "{": "{", "}": "}", "_": "_", "$": "$", "#": "#", "&": "&", "backslash": "\\"}
_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))
_SUP = dict(zip("0123456789+-=()inTtklmx*", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿᵀᵗᵏˡᵐˣ*"))
_SUP["−"] = "⁻"


def _script(body, table):
    out = "".join(table.get(c, "") for c in body)
    if len(out) != len(body):
        raise Unsupported(f"no Unicode sub/superscript for {body!r}")
    return out


def unicode_math(s):
    """Matplotlib's mathtext (`$...$` parts) written in Unicode: $\\eta$ -> η, $\\beta_1$ -> β₁, $x^2$ -> x²,
    $\\hat{m}$ -> m̂. Text outside dollars is kept. Raises `Unsupported` for TeX it cannot write (a fraction,
    a subscript letter Unicode lacks): that text is drawn by Agg."""
    if s.count("$") - s.count(r"\$") < 2:
        return s.replace(r"\$", "$")
    parts = re.split(r"(?<!\\)\$", s)
    out = []
    for i, part in enumerate(parts):
        out.append(part.replace(r"\$", "$") if i % 2 == 0 else _math(part))
    return "".join(out)


_FRACTIONS = {("1", "2"): "½", ("1", "3"): "⅓", ("2", "3"): "⅔", ("1", "4"): "¼", ("3", "4"): "¾"}


def _fraction(m):
    top, bottom = m.group(1).strip(), m.group(2).strip()
    if (top, bottom) in _FRACTIONS:
        return _FRACTIONS[top, bottom]
    wrap = lambda t: t if re.fullmatch(r"\\?\w+(_\w|\^\w)?", t) else f"({t})"
    return f"{wrap(top)}/{wrap(bottom)}"


def _math(tex):
    tex = re.sub(r"\\hat\{(\w)\}|\\hat\s*(\w)", lambda m: (m.group(1) or m.group(2)) + "\u0302", tex)
    tex = re.sub(r"\\bar\{(\w)\}|\\bar\s*(\w)", lambda m: (m.group(1) or m.group(2)) + "\u0304", tex)
    tex = re.sub(r"\\(?:mathrm|mathbf|mathit|text|operatorname)\{([^{}]*)\}", r"\1", tex)
    tex = re.sub(r"\\sqrt\{([^{}]*)\}", lambda m: "√" + (m.group(1) if re.fullmatch(r"\\?\w+", m.group(1))
                                                          else f"({m.group(1)})"), tex)
    tex = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", _fraction, tex)

    def command(m):
        name = m.group(1)
        if name in _GREEK:
            return _GREEK[name]
        if name in _SYMBOLS:
            return _SYMBOLS[name]
        raise Unsupported(f"TeX command \\{name}")

    tex = re.sub(r"\\([A-Za-z]+|[,;! %{}_$#&])", command, tex)
    tex = re.sub(r"_\{([^{}]*)\}|_(\S)", lambda m: _script(m.group(1) or m.group(2), _SUB), tex)
    tex = re.sub(r"\^\{([^{}]*)\}|\^(\S)", lambda m: _script(m.group(1) or m.group(2), _SUP), tex)
    if re.search(r"[\\{}^_]", tex):
        raise Unsupported(f"TeX {tex!r}")
    return tex.replace("-", "−")


_ALIGN = {"left": 0.0, "center": 0.5, "right": 1.0}
_GENERIC = {"sans-serif": "sans-serif", "sans": "sans-serif", "serif": "serif", "monospace": "monospace",
            "cursive": "cursive", "fantasy": "fantasy"}


def _css_family(families):
    """A CSS font-family list for matplotlib's family list: the fonts rcParams names first (DejaVu Sans, as Agg
    draws), then the generic family."""
    from matplotlib import rcParams

    names, generic = [], "sans-serif"
    for family in families:
        if family in _GENERIC:
            names += rcParams[f"font.{_GENERIC[family]}"][:2]
            generic = _GENERIC[family]
            break
        names.append(family)
    return ", ".join(f'"{n}"' for n in names) + f", {generic}"


def _text(text, frame, renderer):
    if isinstance(text, Annotation) or text.get_path_effects() or text.get_usetex():
        raise Unsupported("an annotation, path effects or usetex")
    if not text.get_text():
        return []
    ops = []
    if text.get_bbox_patch() is not None:
        text.update_bbox_position_size(renderer)
        ops += _patch(text.get_bbox_patch(), frame)
    _, info, _ = text._get_layout(renderer)
    posx, posy = text.get_transform().transform(
        (float(text.convert_xunits(text._x)), float(text.convert_yunits(text._y))))
    angle = np.deg2rad(text.get_rotation())
    malign = text._get_multialignment()
    frac = _ALIGN.get(malign, 0.0)
    lines = []
    for line, (w, _, _), (x, y) in info:
        s = unicode_math(line)
        ax_, ay_ = posx + x + frac * w * np.cos(angle), posy + y + frac * w * np.sin(angle)
        lines.append([s, round(float(ax_), 2), round(float(frame.height - ay_), 2)])
    fp = text.get_fontproperties()
    weight = fp.get_weight()
    weight = "bold" if weight in ("bold", "heavy", "extra bold", "black", "semibold", "demibold") or (
        isinstance(weight, (int, float)) and weight >= 600) else "normal"
    style = "italic" if fp.get_style() in ("italic", "oblique") else "normal"
    size = fp.get_size_in_points() * frame.px_per_pt
    family = _css_family(fp.get_family())
    ops.append({"k": "text", "lines": lines, "font": f"{style} {weight} {size:.2f}px {family}",
                "color": _css(text.get_color(), text.get_alpha()), "align": malign if malign in _ALIGN else "left",
                "rot": round(float(angle), 4), "clip": frame.clip(text)})
    return ops


def _image(image, frame, renderer):
    if image.get_interpolation() not in ("nearest", "none", "antialiased", "auto", "bilinear") or \
            image.get_transform() != image.axes.transData or image.axes.name != "rectilinear":
        raise Unsupported("an image that is not a plain imshow")
    array = image.get_array()
    if array is None:
        return []
    rgba = image.to_rgba(array, alpha=image.get_alpha(), bytes=True)
    if rgba.ndim != 3:
        raise Unsupported("an image of unexpected shape")
    x0, x1, y0, y1 = image.get_extent()
    # Column 0 lies at x0; row 0 at y1 for origin "upper" (imshow's default) and at y0 for "lower".
    row0, row_last = (y1, y0) if image.origin == "upper" else (y0, y1)
    (px0, py0), (px1, py1) = image.axes.transData.transform([(x0, row0), (x1, row_last)])
    c0, c1 = frame.height - py0, frame.height - py1  # canvas rows run top to bottom
    if c0 > c1:
        rgba, c0, c1 = rgba[::-1], c1, c0
    if px0 > px1:
        rgba, px0, px1 = rgba[:, ::-1], px1, px0
    rgba = np.ascontiguousarray(rgba)
    h, w = rgba.shape[:2]
    return [{"k": "image", "rgba": rgba.tobytes(), "w": int(w), "h": int(h),
             "dst": _round([px0, c0, px1 - px0, c1 - c0]),
             "smooth": image.get_interpolation() not in ("nearest", "none"), "clip": frame.clip(image)}]


def ops_for(artist, frame, renderer):
    """The drawing operations of one visible artist; raises `Unsupported` for what the browser cannot draw."""
    if isinstance(artist, Line2D):
        return _line(artist, frame)
    if isinstance(artist, Text):
        return _text(artist, frame, renderer)
    if isinstance(artist, Patch):
        return _patch(artist, frame)
    if isinstance(artist, Collection):
        return _collection(artist, frame, renderer)
    if isinstance(artist, AxesImage):
        return _image(artist, frame, renderer)
    raise Unsupported(type(artist).__name__)


def _style_key(op):
    return tuple((k, str(v)) for k, v in op.items() if k not in ("d",))


def _plain_rectangle(artist):
    """A Rectangle in its axes' data coordinates, unrotated (a bar): its corners can be transformed in bulk."""
    return (type(artist) is Rectangle and artist.axes is not None and artist.get_angle() == 0
            and artist.get_data_transform() is artist.axes.transData)


def _rectangle_key(r):
    return (r.axes, tuple(r.get_facecolor()), tuple(r.get_edgecolor()), r.get_linewidth(), r.get_fill(),
            r.get_linestyle(), r.get_hatch(), r.get_clip_on(),
            r.get_clip_box() and tuple(r.get_clip_box().bounds),  # each bar has a clip box (and path) of its own
            id(getattr(r.get_clip_path(), "_patch", r.get_clip_path())))


def _bars(rects, frame, left):
    """The operations of many plain rectangles (a histogram's bars): one per style, corners transformed at once.
    A style the browser cannot draw (a hatch) leaves its bars to Agg (appended to `left`)."""
    groups = {}
    for r in rects:
        groups.setdefault(_rectangle_key(r), []).append(r)
    ops = []
    for group in groups.values():
        try:
            op = _patch(group[0], frame)
        except Unsupported:
            left += group
            continue
        if not op:
            continue
        corners = np.array([(r.get_x(), r.get_y(), r.get_x() + r.get_width(), r.get_y() + r.get_height())
                            for r in group], dtype=float)
        ax = group[0].axes
        lo = frame.flip(ax.transData.transform(corners[:, :2]))
        hi = frame.flip(ax.transData.transform(corners[:, 2:]))
        quads = np.stack([lo[:, 0], lo[:, 1], hi[:, 0], lo[:, 1], hi[:, 0], hi[:, 1], lo[:, 0], hi[:, 1]], axis=1)
        op[0]["d"] = np.round(quads, 2).tolist()
        ops += op
    return ops


def _visible(artist):
    return artist.get_visible() and (getattr(artist, "axes", None) is None or artist.axes.get_visible())


def scene(artists, figure, renderer, cache=None):
    """(operations, the artists left for Agg) for `artists` in drawing order; invisible ones are skipped.
    Neighbouring paths of one style (the bars of a histogram) become one operation.

    `cache` ({id: (artist, operations)}, kept by the caller and emptied whenever the axes may have moved, i.e. after
    every whole-figure draw): an artist that matplotlib has not marked stale since it was written (no setter was
    called on it) reuses its operations, e.g. a landscape's contour lines while only a path moves."""
    frame = _Frame(figure)
    ops, left, bars = [], [], []

    def add(new):
        for op in new:
            if ops and op["k"] == "path" and ops[-1]["k"] == "path" and _style_key(op) == _style_key(ops[-1]):
                ops[-1] = dict(ops[-1], d=ops[-1]["d"] + op["d"])  # a copy: cached operations stay as they were
            else:
                ops.append(op)

    for artist in artists:
        if not _visible(artist):
            continue
        if _plain_rectangle(artist):
            bars.append(artist)
            continue
        if bars:
            add(_bars(bars, frame, left))
            bars = []
        cached = cache.get(id(artist)) if cache is not None else None
        if cached is not None and cached[0] is artist and not artist.stale:
            add(cached[1])
            continue
        try:
            new = ops_for(artist, frame, renderer)
        except (Unsupported, AttributeError, TypeError, ValueError):
            left.append(artist)
            continue
        if cache is not None:
            cache[id(artist)] = (artist, new)
            artist.stale = False  # (animated: this tells no one else) set again by any change to it
        add(new)
    if bars:
        add(_bars(bars, frame, left))
    return ops, left
