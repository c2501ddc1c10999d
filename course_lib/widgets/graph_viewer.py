"""Graph viewer: how values flow forward and gradients flow backward through a small expression (deck 004).

Each expression is built from `course_lib.graph.Value` gates; `output.backward()` applies the chain rule from the
output back to the inputs (downstream gradient = upstream gradient x local gradient) and `graph.draw` shows every
node's data and grad. The expressions are the lecture's worked examples:

- "(x+y)z" at x = -2, y = 5, z = -4: q = x + y = 3, f = q z = -12; df/dx = df/dy = z = -4 (the add gate copies
  the upstream gradient to both inputs), df/dz = q = 3 (the mul gate swaps its inputs).
- "neuron": f = 1 / (1 + e^{-(w0 x0 + w1 x1 + w2)}) gate by gate as in the lecture (*, +, negate, exp, +1, 1/x)
  at w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3: the sum is 1, f = sigma(1) = 0.731, and the gradient entering the
  sum is sigma(1) (1 - sigma(1)) = 0.197.
- "neuron_sigmoid_gate": the same neuron with sigma as ONE gate, whose local gradient is sigma (1 - sigma): same
  numbers, shorter graph.
- "tanh_neuron": f = tanh(w0 x0 + w1 x1 + w2), local gradient 1 - tanh^2.
- "max_gate": f = 2 (x y + max(z, w)) at x = 3, y = -4, z = 2, w = -1: the max gate routes the whole gradient to
  the larger input (z) and none to w.

Changing an input rebuilds the small graph (a few microseconds) and rewrites the numbers in each box in place. Each
expression's picture is drawn once, the first time it is chosen, on the one axes of the figure; choosing another
expression hides the old picture's boxes and arrows and shows the other's (drawing takes 50-100 ms, mostly
matplotlib fitting the arrows to the boxes; showing costs nothing).

Only the numbers are redrawn when an input moves. Each box is drawn once, in the figure's cached picture, with its
label and the words "data" and "grad" followed by blanks for a number of `_WIDTH` characters (monospace; a number longer in
.4g is shown with fewer digits);
the numbers are separate texts without a box, laid out over those blanks (same font, same centred lines of equal
length, so every character falls in its cell). Drawing text is most of a redraw's cost; a box's frame and words
never change.
"""
import html
import re

import ipywidgets as widgets
from matplotlib.text import Text
from matplotlib.transforms import IdentityTransform

from course_lib import _validate
from course_lib.graph import Value, draw, topological_order
from course_lib.widgets._explorer import Explorer, make_figure, steady_limits

__all__ = ["graph_viewer", "QUESTION", "EXPRESSIONS", "build_expression"]

_WIDTH = 7  # characters a box holds for a number: box_text's .4g ("-0.1966") where it fits, see `_number`


class _Numbers(Text):
    """The numbers of a box, drawn over it: left-aligned where the box's blanks begin (`skip` characters into its
    lines), found from the box's own layout when drawn, so every character falls in its monospace cell at any dpi.
    Blanks are glyphs too: writing only the numbers draws a third of the characters."""

    def __init__(self, box, skip, lines_before):
        super().__init__(0.0, 0.0, "", ha="left", va="center", multialignment="left",
                         fontproperties=box.get_fontproperties(), zorder=box.get_zorder() + 0.5, animated=True)
        self.box, self.skip, self.lines_before = box, skip, lines_before
        self.set_transform(IdentityTransform())
        self._key = None

    def _place(self):
        fig = self.box.figure
        key = (tuple(self.box.get_transform().transform(self.box.get_position())), fig.dpi)
        if key != self._key:
            self._key = key
            extent = self.box.get_window_extent(fig._get_renderer())
            columns = max(len(line) for line in self.box.get_text().split("\n"))
            self._x, self._y = extent.x0 + self.skip * extent.width / columns, (extent.y0 + extent.y1) / 2

    # Whoever lays it out (Agg's draw, the browser canvas's scene, get_window_extent) asks one of these first.
    def get_transform(self):
        self._place()
        return super().get_transform()

    def get_unitless_position(self):
        self._place()
        return super().get_unitless_position()


def _number(value):
    """`value` in at most _WIDTH characters: .4g as `graph.box_text` writes it when that fits, otherwise fewer
    digits and a short exponent (5.33e-09 -> 5.33e-9, -1.066e-08 -> -1.07e-8)."""
    for digits in (4, 3, 2, 1):
        text = f"{value:.{digits}g}"
        if len(text) > _WIDTH or "e" in text:
            text = re.sub(r"e([+-])0*(\d)", r"e\1\2", text)
        if len(text) <= _WIDTH:
            return text
    return text

QUESTION = "How do values flow forward and gradients flow backward through this expression?"


def _sum_times(x, y, z):
    q = x + y
    q.label = "q"
    return q * z


def _weighted_sum(w0, x0, w1, x1, w2):
    s = w0 * x0 + w1 * x1 + w2
    s.label = "s"
    return s


def _neuron(w0, x0, w1, x1, w2):
    s = _weighted_sum(w0, x0, w1, x1, w2)
    return (1.0 + (-s).exp()) ** -1  # the lecture's gates: *-1, exp, +1, 1/x


def _neuron_sigmoid_gate(w0, x0, w1, x1, w2):
    return _weighted_sum(w0, x0, w1, x1, w2).sigmoid()


def _tanh_neuron(w0, x0, w1, x1, w2):
    return _weighted_sum(w0, x0, w1, x1, w2).tanh()


def _max_gate(x, y, z, w):
    return 2.0 * (x * y + z.max(w))


# name -> (dropdown label, builder, the inputs in order with their starting values)
_NEURON_INPUTS = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
EXPRESSIONS = {
    "(x+y)z": ("f = (x + y) z", _sum_times, {"x": -2.0, "y": 5.0, "z": -4.0}),
    "neuron": ("sigmoid neuron, gate by gate", _neuron, _NEURON_INPUTS),
    "neuron_sigmoid_gate": ("sigmoid neuron, one σ gate", _neuron_sigmoid_gate, _NEURON_INPUTS),
    "tanh_neuron": ("tanh neuron", _tanh_neuron, _NEURON_INPUTS),
    "max_gate": ("f = 2 (x y + max(z, w))", _max_gate, {"x": 3.0, "y": -4.0, "z": 2.0, "w": -1.0}),
}
_ALL_INPUTS = tuple(dict.fromkeys(name for _, _, inputs in EXPRESSIONS.values() for name in inputs))


def build_expression(expression, **values):
    """Build `expression` (a key of EXPRESSIONS) at the given input values (missing ones take the lecture's) and
    run backward. Returns (output, inputs) with `inputs` a dict name -> leaf Value holding data and grad."""
    _validate.one_of(expression, "expression", tuple(EXPRESSIONS))
    _, builder, defaults = EXPRESSIONS[expression]
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise ValueError(f"expression {expression!r} has inputs {', '.join(defaults)}; got {', '.join(unknown)}")
    inputs = {name: Value(_validate.scalar(values.get(name, default), name), label=name)
              for name, default in defaults.items()}
    output = builder(**inputs)
    output.label = "f"
    output.backward()
    return output, inputs


def graph_viewer(expression="neuron", **values):
    """Show an expression's computation graph with every node's value and gradient; returns an `Explorer`.

    expression : a key of `EXPRESSIONS`; values : starting input values (e.g. x=1.0), the lecture's by default.

    Controls: "expression" (dropdown; choosing one resets its inputs to the lecture's values), and one slider per
    input name over all expressions ("x", "y", "z", "w", "w0", "x0", "w1", "x1", "w2"), only the current
    expression's shown. Artists: "drawing" (the `graph.GraphDrawing` of the current graph), "output" (the output
    Value), "inputs" (name -> leaf Value, with .data and .grad), "boxes" (node -> the Text box showing its label
    and the words data and grad) and "numbers" (node -> the Text of its data and grad, drawn over the box).
    The figure has one axes; every expression's picture lives in it, only the current one visible.
    """
    output, inputs = build_expression(expression, **values)  # checks the arguments before anything is drawn
    for name, leaf in inputs.items():
        _validate.scalar(leaf.data, name, low=-5.0, high=5.0)  # the sliders' range
    fig, ax = make_figure(figsize=(10.0, 4.2))
    artists = {}
    controls = {"expression": widgets.Dropdown(options=[(label, key) for key, (label, _, _) in EXPRESSIONS.items()],
                                               value=expression, description="expression")}
    for name in _ALL_INPUTS:
        start = inputs[name].data if name in inputs else 0.0
        controls[name] = widgets.FloatSlider(value=start, min=-5.0, max=5.0, step=0.1, description=name)
    state = {"expression": expression}

    def show_inputs(current):
        for name in _ALL_INPUTS:
            controls[name].layout.display = None if name in EXPRESSIONS[current][2] else "none"

    pictures = {}  # expression -> (GraphDrawing, its boxes and number texts in topological order, (xlim, ylim))

    def split_box(box, node):
        """Make `box` the static part (label, "data", "grad", blanks) and return the animated text of its numbers.
        All the box's lines have the same number of characters; the numbers start 5 characters in."""
        width = max(len(node.label or ""), 5 + _WIDTH)
        lines = [] if not node.label else [node.label.center(width)]
        box.set_text("\n".join(lines + ["data".ljust(width), "grad".ljust(width)]))
        numbers = _Numbers(box, skip=5, lines_before=len(lines))
        ax.add_artist(numbers)
        return numbers

    def numbers_text(node, numbers):
        return "\n".join([""] * numbers.lines_before + [_number(node.data), _number(node.grad)])

    def show_picture(current, out, order):
        """Show the picture of `current` (drawing it the first time) and hide the others; returns its boxes and
        number texts. The same expression always builds the same graph in the same order, so box k belongs to
        node k."""
        for key, (drawing, _, numbers, _) in pictures.items():
            for artist in [*drawing.boxes.values(), *drawing.ops.values(), *drawing.arrows, *numbers]:
                artist.set_visible(key == current)
        if current not in pictures:
            drawing = draw(out, ax=ax)
            boxes = [drawing.boxes[node] for node in order]
            numbers = [split_box(box, node) for box, node in zip(boxes, order)]
            (x_lo, x_hi) = ax.get_xlim()  # room for the boxes of the first and last columns
            pictures[current] = (drawing, boxes, numbers, ((x_lo - 0.25, x_hi + 0.25), ax.get_ylim()))
        drawing, boxes, numbers, (xlim, ylim) = pictures[current]
        steady_limits(ax, *xlim, which="x", fill=1.0, headroom=0.0)  # set only when they differ: a slider keeps
        steady_limits(ax, *ylim, fill=1.0, headroom=0.0)             # them, and is drawn by blitting
        artists["drawing"] = drawing
        return boxes, numbers

    def update(values):
        current = values["expression"]
        defaults = EXPRESSIONS[current][2]
        if current != state["expression"]:
            # a new expression starts at the lecture's numbers; the slider changes made here are folded by the
            # Explorer into one more update, which finds the picture already shown
            state["expression"] = current
            show_inputs(current)
            for name, default in defaults.items():
                controls[name].value = default
            values = {name: control.value for name, control in controls.items()}
        out, leaves = build_expression(current, **{name: values[name] for name in defaults})
        order = topological_order(out)
        boxes, numbers = show_picture(current, out, order)
        for node, text in zip(order, numbers):
            text.set_text(numbers_text(node, text))
        artists.update(output=out, inputs=leaves, boxes=dict(zip(order, boxes)), numbers=dict(zip(order, numbers)))
        grads = ", ".join(f"∂f/∂{name} = {leaf.grad:.4g}" for name, leaf in leaves.items())
        return html.escape(f"f = {out.data:.4g} · {grads}")

    show_inputs(expression)
    # Only the numbers change with a slider. The boxes and arrows stay in the cached picture (each arrow is clipped
    # against the boxes it joins, which costs milliseconds per arrow).
    return Explorer(QUESTION, controls, fig, artists, update, animated=lambda: artists["numbers"])
