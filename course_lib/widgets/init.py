"""Initialization explorer: why deep nets need a careful initialization (deck 004, the lecture's table).

A deep stack of equally wide dense layers gets a fixed batch of unit-Gaussian inputs, and each hidden layer's
activations a^{[l]} = f(a^{[l-1]} W^{[l]}) are shown as a histogram with their mean and standard deviation, the
lecture's table as a picture. A unit sums fan_in inputs, so with independent zero-mean inputs of variance v

    Var(z) = fan_in * Var(W) * v,

and the scheme decides what happens to v layer after layer (`course_lib.init`):

    normal(s)   W = s * randn           Var(W) = s^2          s = 0.01, width 256: z shrinks by 0.01 * 16 = 0.16
                                                             per layer, the activations collapse onto 0 (and the
                                                             gradients of W, proportional to them, with them);
                                                             s = 1: z grows by 16, tanh and sigmoid saturate
    xavier      W = randn / sqrt(fan_in)   Var(W) = 1/fan_in  keeps Var(z) = v for linear units: tanh shrinks
                                                             slowly, ReLU halves the variance per layer
    he          W = randn * sqrt(2/fan_in) Var(W) = 2/fan_in  doubles Xavier for ReLU, which zeroes half its inputs

The network is `course_lib.model.MLP([width] * (MAX_DEPTH + 1) + [1], activation, output="linear", init=scheme,
init_scale=scale (normal only), seed=seed)` evaluated on X = np.random.default_rng(seed + 1).standard_normal(
(n_samples, width)); the first `depth` hidden layers are shown. Layer l's weights are drawn before those of the
layers after it, so they and the activations of layers 1..depth are exactly those of a network that is only `depth`
layers deep: `init.layer_statistics` of that network gives the numbers written in each histogram's top corner.
(The titles, "layer l", never change: text whose size changes is laid out again at every move, and a title that
changes its size moves what is around it.)

Each histogram has 40 bins over a fixed range per activation (tanh [-1, 1], sigmoid [0, 1], ReLU [0, 3]); values
outside it are counted in the end bins, so saturated or exploding units show as spikes at the edges. For ReLU the
histogram counts the positive values only and the title says how many are exactly 0 (about half: ReLU zeroes every
negative input), which would otherwise be one bar dwarfing the rest. The histograms' heights are scaled to end 
below the numbers (the count axis has no ticks).
"""
import math

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.transforms import IdentityTransform

from course_lib import _validate, init as init_lib
from course_lib.model import MLP
from course_lib.plots import color, plot_layer_statistics
from course_lib.widgets._coarse import set_limits
from course_lib.widgets._explorer import Explorer, make_figure

__all__ = ["init_explorer", "QUESTION", "SCHEMES", "ACTIVATIONS", "MAX_DEPTH", "VALUE_RANGES", "input_batch"]

QUESTION = "Why do deep nets need a careful initialization?"

SCHEMES = ("normal", "xavier", "he")
ACTIVATIONS = ("tanh", "relu", "sigmoid")
MAX_DEPTH = 10  # the lecture's ten layers
VALUE_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "relu": (0.0, 3.0)}
BINS = 40
_SCALE_RANGE = (1e-3, 3.0)
_TOP = 1.5  # the count axis's top: the tallest bar (height 1) ends below the numbers in the corner


class _Cover(Rectangle):
    """A rectangle of the figure's colour over an axes and everything around it (tick labels, title): how a layer
    past `depth` disappears without hiding its axes, which would redraw the whole figure (it is animated). Its
    place is the axes' tight box, found when it is drawn (the layout is made at the figure's first draw)."""

    def __init__(self, ax):
        super().__init__((0.0, 0.0), 1.0, 1.0, transform=IdentityTransform(), facecolor=ax.figure.get_facecolor(),
                         edgecolor="none", linewidth=0, zorder=10, clip_on=False)  # zorder: over the titles
        self.ax = ax
        self.set_figure(ax.figure)
        self._key = None  # the axes' position and the figure's size the box was found for

    def get_transform(self):  # what drawing it (Agg, or the browser's canvas) asks first
        fig = self.ax.figure
        # The axes' box in pixels (not `get_position()`: that applies the aspect, which marks the figure stale and
        # would make every move that uncovers a layer a whole-figure draw). The titles are static.
        key = (tuple(self.ax.bbox.bounds), fig.dpi, tuple(fig.bbox.bounds))
        if key != self._key:
            stale = fig.stale
            box = self.ax.get_tightbbox(fig._get_renderer()).padded(2.0)
            # Measuring applies the axes' aspect, which sets its position again (to the same box) and marks the
            # figure stale: nothing moved, and the next draw need not be a whole-figure one.
            fig.stale = stale
            self._key = key
            self.set_bounds(box.x0, box.y0, box.width, box.height)
        return super().get_transform()


def input_batch(width=256, n_samples=200, seed=0):
    """The explorer's fixed inputs: unit-Gaussian, shape (n_samples, width), from default_rng(seed + 1) (the
    network's own generator uses `seed`)."""
    return np.random.default_rng(seed + 1).standard_normal((n_samples, width))


def _histogram(a, activation):
    """Counts in BINS equal bins over the activation's value range, values outside it clipped into the end bins.
    For ReLU only the positive values are counted (the zeros, about half, would dwarf them)."""
    low, high = VALUE_RANGES[activation]
    if activation == "relu":
        a = a[a > 0.0]
    counts, _ = np.histogram(np.clip(a, low, high), bins=BINS, range=(low, high))
    return counts


def init_explorer(scheme="normal", scale=0.01, depth=10, activation="tanh", *, width=256, n_samples=200, seed=0):
    """Per-layer activation histograms of a deep net at initialization; returns an `Explorer`.

    Parameters
    ----------
    scheme : "normal", "xavier" or "he" (see the module text).
    scale : float in [1e-3, 3], the standard deviation s of the "normal" scheme (ignored by the others).
    depth : int in [1, MAX_DEPTH], the number of hidden layers shown.
    activation : "tanh", "relu" or "sigmoid".
    width : int, every layer's width (and the input's); n_samples : rows of the input batch; seed : int.

    Controls: "scheme", "scale" (disabled unless the scheme is "normal"), "depth", "activation". Artists: "axes"
    (MAX_DEPTH axes), "bars" (one StepPatch of BINS bins per layer, heights = counts / the tallest count), "titles"
    (each axes' title Text, "layer l"; static), "stats" (one Text per axes in its top left corner: mean and std, for
    ReLU also the share of zeros), "covers" (one per axes: visible over the layers past `depth`). `app.results["statistics"]` is the table [(layer, mean, std), ...]
    for the shown layers, `app.results["activations"]` their activations (arrays (n_samples, width)) and
    `app.results["counts"]` their histograms' counts.
    """
    _validate.one_of(scheme, "scheme", SCHEMES)
    _validate.one_of(activation, "activation", ACTIVATIONS)
    scale = _validate.scalar(scale, "scale", low=_SCALE_RANGE[0], high=_SCALE_RANGE[1])
    depth = _validate.scalar(depth, "depth", low=1, high=MAX_DEPTH, integer=True)
    width = _validate.scalar(width, "width", low=1, high=2048, integer=True)
    n_samples = _validate.scalar(n_samples, "n_samples", low=2, high=10_000, integer=True)
    seed = _validate.scalar(seed, "seed", low=0, integer=True)
    X = input_batch(width, n_samples, seed)

    cache = {"key": None}
    unit = {}  # activation -> (its network under "normal" with s = 1, that network's unit weights)

    def _model(scheme_name, s, act):
        """MLP(..., init=scheme_name, init_scale=s, seed=seed). For "normal" the weights are s * randn: the
        network drawn once with s = 1 is kept and its weights multiplied by s, the same numbers (`init.initialize`
        stores `s * standard_normal(...)`, biases 0) without drawing 650k of them again at every move."""
        if scheme_name != "normal":
            return MLP([width] * (MAX_DEPTH + 1) + [1], activation=act, output="linear", init=scheme_name,
                       seed=seed)
        if act not in unit:
            model = MLP([width] * (MAX_DEPTH + 1) + [1], activation=act, output="linear", init="normal",
                        init_scale=1.0, seed=seed)
            unit[act] = (model, [p.copy() if name.startswith("W") else None
                                 for name, p in zip(model.param_names, model.params)])
        model, weights = unit[act]
        for p, w in zip(model.params, weights):
            if w is not None:
                np.multiply(w, s, out=p)
        model.reset_buffers()
        return model

    def compute(scheme_name, s, act):
        """Activations, table and histogram counts of all MAX_DEPTH layers (one network per setting)."""
        key = (scheme_name, s if scheme_name == "normal" else None, act)
        if cache["key"] != key:
            layers = init_lib.layer_activations(_model(scheme_name, key[1], act), X)
            table = [(l, float(a.mean()), float(a.std())) for l, a in enumerate(layers, start=1)]
            counts = [_histogram(a, act) for a in layers]
            cache.update(key=key, layers=layers, table=table, counts=counts)
        return cache["layers"], cache["table"], cache["counts"]

    layers, _, _ = compute(scheme, scale, activation)
    fig, axes = make_figure(2, MAX_DEPTH // 2, figsize=(11.5, 5.4), sharey=False)
    axes = list(np.ravel(axes))
    _, _, containers = plot_layer_statistics(layers, axes=axes, bins=BINS, value_range=VALUE_RANGES[activation])
    # Each histogram is one artist (a filled step outline) instead of BINS bars, and its heights are the counts
    # divided by the tallest (the count axis has no ticks): the axes' limits never change with a slider, so a move
    # is drawn over the cached picture of the axes instead of drawing the whole figure again.
    bars = []
    for ax, container in zip(axes, containers):
        container.remove()
        bars.append(ax.stairs(np.zeros(BINS), np.linspace(*VALUE_RANGES[activation], BINS + 1), fill=True,
                              color=color(0)))
        ax.set_ylim(0.0, _TOP)
        ax.tick_params(labelsize="x-small")
        ax.set_title(f"layer {len(bars)}", fontsize="small")
    titles = [ax.title for ax in axes]
    stats = [ax.text(0.03, 0.97, "", transform=ax.transAxes, ha="left", va="top", fontsize="x-small",
                     family="monospace") for ax in axes]
    covers = [_Cover(ax) for ax in axes]
    for artist in [*bars, *stats, *covers]:
        artist.set_animated(True)  # from the start: making an artist animated later redraws the whole figure
    for cover in covers:
        cover.set_zorder(10)  # over the titles
    artists = {"axes": axes, "bars": bars, "titles": titles, "stats": stats, "covers": covers}
    results = {}

    controls = {
        "scheme": widgets.Dropdown(options=list(SCHEMES), value=scheme, description="init"),
        "scale": widgets.FloatLogSlider(value=scale, base=10, min=math.log10(_SCALE_RANGE[0]),
                                        max=math.log10(_SCALE_RANGE[1]), step=0.05, description="std s",
                                        readout_format=".3g"),
        "depth": widgets.IntSlider(value=depth, min=1, max=MAX_DEPTH, description="depth"),
        "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation"),
    }

    def update(values):
        act = values["activation"]
        controls["scale"].disabled = values["scheme"] != "normal"
        layers, table, counts = compute(values["scheme"], values["scale"], act)
        n_shown = values["depth"]
        low, high = VALUE_RANGES[act]
        edges = np.linspace(low, high, BINS + 1)
        for l, ax in enumerate(axes):
            covers[l].set_visible(l >= n_shown)
            set_limits(ax, low, high, which="x")  # changes with the activation only (hidden layers too)
            if l >= n_shown:
                continue
            bars[l].set_data(counts[l] / max(int(counts[l].max()), 1), edges)
            _, mean, std = table[l]
            zeros = f"\n{np.mean(layers[l] == 0.0):.0%} are 0" if act == "relu" else ""
            stats[l].set_text(f"mean {mean:+.3f}\nstd  {std:.3g}{zeros}")
        shown = table[:n_shown]
        results.update(statistics=shown, activations=layers[:n_shown], counts=counts[:n_shown])
        deepest = layers[n_shown - 1]
        if act == "tanh":
            extra = f"{np.mean(np.abs(deepest) > 0.98):.0%} of layer {n_shown}'s values saturated (|a| > 0.98)"
        elif act == "sigmoid":
            extra = (f"{np.mean((deepest < 0.02) | (deepest > 0.98)):.0%} of layer {n_shown}'s values saturated "
                     f"(a < 0.02 or a > 0.98)")
        else:
            extra = f"{np.mean(deepest == 0.0):.0%} of layer {n_shown}'s values are 0"
        stds = ", ".join(f"{std:.3g}" for _, _, std in shown)
        return f"std of the activations, layer 1 to {n_shown}: {stds} · {extra}"

    def animated():
        """What a move changes: the shown layers' histograms and numbers, and the covers over the others."""
        n_shown = controls["depth"].value
        return [*bars[:n_shown], *stats[:n_shown], *covers[n_shown:]]

    app = Explorer(QUESTION, controls, fig, artists, update, animated=animated)
    app.results = results
    return app
