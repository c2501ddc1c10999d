"""Activation explorer: where each activation saturates, and what its derivative does there (deck 003).

Backpropagation multiplies the upstream gradient by the local derivative f'(x) of every activation it passes
(dL/dx = dL/df * f'(x)). Where |f'(x)| is tiny the unit passes (almost) nothing back: it is *saturated*, and the
weights feeding it stop learning. The sigmoid saturates on both sides (and f' is at most f'(0) = 1/4, so even an
unsaturated sigmoid shrinks the gradient by 4), tanh on both sides (f'(0) = 1), ReLU on the whole negative side
(a "dead" unit), leaky ReLU, PReLU and ELU with alpha > 0 never completely on the negative side.

The figure draws f (solid) and f' (dashed) on [-6, 6] (`plots.plot_activation`) and shades the regions where
|f'(x)| < threshold (`activations.saturation_regions`). PReLU with one scalar slope alpha is leaky ReLU with
slope alpha (f(x) = x for x > 0, alpha x otherwise); it is listed so that its learned slope can be tried.
Conventions at kinks follow `course_lib.activations` (PyTorch's): ReLU'(0) = 0, leaky'(0) = slope, ELU'(0) = alpha.
"""
import numpy as np
import ipywidgets as widgets

from course_lib import _validate, activations
from course_lib.plots import COLORS, plot_activation
from course_lib.widgets._coarse import set_limits
from course_lib.widgets._explorer import Explorer, make_figure, steady_legend

__all__ = ["activation_explorer", "QUESTION", "NAMES", "PARAMETERS", "activation_pair"]

QUESTION = "Where does each activation saturate, and what does its derivative do there?"

NAMES = tuple(activations.ACTIVATIONS) + ("prelu",)

# The one parameter each activation takes, by control name (the others are disabled while it is shown).
PARAMETERS = {"leaky_relu": "slope", "elu": "alpha", "prelu": "alpha", "swish": "beta", "gelu": "approximate"}

_X = np.linspace(-6.0, 6.0, 1201)  # step 0.01; 0 is a grid point (index 600)
_MAX_SPANS = 4  # shaded regions kept ready; more are added if an activation ever needs them


def activation_pair(name, slope=0.1, alpha=1.0, beta=1.0, approximate=False):
    """(f, f_prime, params): the activation `name` and its derivative as functions of x alone, and the keyword
    arguments they were given (only the one parameter the activation takes; see `PARAMETERS`)."""
    _validate.one_of(name, "activation", NAMES)
    values = {"slope": slope, "alpha": alpha, "beta": beta, "approximate": approximate}
    key = PARAMETERS.get(name)
    params = {} if key is None else {key: values[key]}
    if name == "prelu":
        a = params["alpha"]
        return (lambda x: activations.prelu(x, a)), (lambda x: activations.prelu_grad(x, a)[0]), params
    f, f_grad = activations.ACTIVATIONS[name]
    return (lambda x: f(x, **params)), (lambda x: f_grad(x, **params)), params


def _regions(name, threshold, params):
    if name == "prelu":  # one scalar alpha: the same function as leaky ReLU with slope alpha
        return activations.saturation_regions("leaky_relu", threshold, slope=params["alpha"])
    return activations.saturation_regions(name, threshold, **params)


def activation_explorer(name="sigmoid", threshold=0.01, *, slope=0.1, alpha=1.0, beta=1.0, approximate=False):
    """Plot an activation and its derivative with the saturated regions shaded; returns an `Explorer`.

    Parameters
    ----------
    name : one of `NAMES` (the keys of `activations.ACTIVATIONS`, and "prelu").
    threshold : float in [1e-4, 0.5]; x is shaded where |f'(x)| < threshold.
    slope : leaky ReLU's negative slope, in [0, 1] (0.1 as on the lecture's slide, so that it is visible;
        PyTorch's default is 0.01).
    alpha : ELU's alpha (saturation level -alpha) or PReLU's slope, in [0, 2].
    beta : swish's beta, in [0, 5] (beta = 1 is SiLU; large beta approaches ReLU, beta = 0 gives x/2).
    approximate : GELU's tanh approximation instead of the exact x Phi(x).

    Controls: "name", "slope", "alpha", "beta", "approximate" (disabled unless the activation takes it),
    "threshold" (log slider). Artists: "f" and "f_prime" (Line2D on the fixed grid x = -6..6, step 0.01) and
    "spans" (a list of Rectangles, the shaded regions; unused ones are hidden).
    """
    _validate.one_of(name, "activation", NAMES)
    threshold = _validate.scalar(threshold, "threshold", low=1e-4, high=0.5)
    slope = _validate.scalar(slope, "slope", low=0.0, high=1.0)
    alpha = _validate.scalar(alpha, "alpha", low=0.0, high=2.0)
    beta = _validate.scalar(beta, "beta", low=0.0, high=5.0)
    if not isinstance(approximate, (bool, np.bool_)):
        raise TypeError(f"approximate must be True or False, got {type(approximate).__name__}")

    fig, ax = make_figure(figsize=(6.4, 3.8))
    _, _, (line_f, line_df) = plot_activation("sigmoid", x=_X, ax=ax)
    spans = [ax.axvspan(0.0, 1.0, color=COLORS["vermillion"], alpha=0.12, linewidth=0, zorder=0, visible=False)
             for _ in range(_MAX_SPANS)]
    ax.set_xlim(_X[0], _X[-1])
    artists = {"f": line_f, "f_prime": line_df, "spans": spans}

    controls = {
        "name": widgets.Dropdown(options=list(NAMES), value=name, description="activation"),
        "slope": widgets.FloatSlider(value=slope, min=0.0, max=1.0, step=0.01, description="slope"),
        "alpha": widgets.FloatSlider(value=alpha, min=0.0, max=2.0, step=0.05, description="α"),
        "beta": widgets.FloatSlider(value=beta, min=0.0, max=5.0, step=0.1, description="β"),
        "approximate": widgets.Checkbox(value=bool(approximate), description="GELU tanh approximation"),
        "threshold": widgets.FloatLogSlider(value=threshold, base=10, min=-4, max=np.log10(0.5), step=0.05,
                                            description="|f'| <", readout_format=".2g"),
    }

    y_ranges = {}

    def y_limits(current):
        """The y limits for activation `current`: they hold f and f' for every value of its parameter's slider
        (computed once per activation), so that moving the slider never changes the axes (which would redraw the
        whole figure)."""
        if current not in y_ranges:
            key = PARAMETERS.get(current)
            control = controls.get(key)
            if isinstance(control, widgets.Checkbox):
                settings = [{key: False}, {key: True}]
            elif control is not None:
                settings = [{key: float(v)} for v in np.linspace(control.min, control.max, 21)]
            else:
                settings = [{}]
            low, high = 0.0, 1.0
            for setting in settings:
                f, f_prime, _ = activation_pair(current, **setting)
                y, dy = f(_X), f_prime(_X)
                low, high = min(low, y.min(), dy.min()), max(high, y.max(), dy.max())
            pad = 0.06 * (high - low)
            y_ranges[current] = (low - pad, high + pad)
        return y_ranges[current]

    def update(values):
        current = values["name"]
        for key in ("slope", "alpha", "beta", "approximate"):
            controls[key].disabled = PARAMETERS.get(current) != key
        f, f_prime, params = activation_pair(current, values["slope"], values["alpha"], values["beta"],
                                             values["approximate"])
        y, dy = f(_X), f_prime(_X)
        line_f.set_ydata(y)
        line_df.set_ydata(dy)
        # The legend names the activation; its parameter is on its slider (a legend that changed with every
        # slider move would mean drawing the whole figure each time).
        line_f.set_label(f"{current}(x)")
        line_df.set_label(f"{current}'(x)")
        steady_legend(ax, loc="upper left", fontsize="small")
        set_limits(ax, *y_limits(current))

        regions = _regions(current, values["threshold"], params)
        visible = [(max(lo, _X[0]), min(hi, _X[-1])) for lo, hi in regions if hi > _X[0] and lo < _X[-1]]
        while len(spans) < len(visible):
            spans.append(ax.axvspan(0.0, 1.0, color=COLORS["vermillion"], alpha=0.12, linewidth=0, zorder=0))
        for span, (lo, hi) in zip(spans, visible):
            span.set_x(lo)
            span.set_width(hi - lo)
            span.set_visible(True)
        for span in spans[len(visible):]:
            span.set_visible(False)

        at_zero = float(f_prime(np.array(0.0)))
        peak = int(np.argmax(dy))
        where = f" at x = {_X[peak]:.2f}" if np.count_nonzero(dy == dy[peak]) == 1 else ""
        edges = ", ".join(f"[{lo:.2f}, {hi:.2f}]" for lo, hi in regions) or "nowhere"
        return (f"f'(0) = {at_zero:.4g} · max f' on [−6, 6] = {dy[peak]:.4g}{where} · "
                f"|f'| < {values['threshold']:.2g} on {edges}")

    return Explorer(QUESTION, controls, fig, artists, update)
