"""Optimizer race: several optimizers from the same start on the same 2-D landscape, paths and costs side by side.

Every optimizer gets the same learning rate `lr` and the same averaging rate `beta`, and is followed by
`landscapes.run` for the same number of steps. How the two knobs reach each method (`hyperparameters`):

    sgd                       theta <- theta - lr g
    momentum                  v <- beta v + (1 - beta) g,  theta <- theta - lr v            (optim.Momentum)
    nesterov                  the same, with g taken at the look-ahead point theta - lr beta v
    adam, adamw, adamax, nadam  lr, betas = (beta, 0.999): Adam's first moment is the same EMA of g as momentum's v
    adagrad, rmsprop          lr (RMSprop keeps PyTorch's alpha = 0.99 for its average of g^2)
    adadelta                  neither: it needs no learning rate (PyTorch's lr = 1.0 is the lecture's method)

The lecture's EMA notation (deck 000) keeps lr and beta apart, so momentum and plain GD with the same lr take
steps of the same size on a constant gradient, and the race compares what the averaging does, not a hidden
change of step size. Nesterov in that notation is `optim.NesterovLookahead` (velocity notation
u <- mu u - lr_u grad f(theta + mu u), theta <- theta + u) with u = -lr v, mu = beta and lr_u = lr (1 - beta); its
look-ahead point theta + mu u = theta - lr beta v is where the momentum part of the coming step carries theta.
(Deck 000 writes the look-ahead as W* = W - alpha v_W, one full old step ahead rather than beta times it; see
`course_lib.optim.momentum`. PyTorch's SGD(nesterov=True), registered as "nesterov" in `optim.OPTIMIZERS`, is the
same method in the shifted variable phi = theta + mu u and in PyTorch's step scale, so it is not used here.)

`optimizer_race(preset="lecture")` is the deck's comparison on the narrow valley (`landscapes.NarrowValley`),
alpha = .55: plain gradient descent zigzags across the valley, momentum with beta = .75 averages the zigzag away,
Nesterov with beta = .75 damps it further.
"""
import functools
import math

import numpy as np
import ipywidgets as widgets
from matplotlib.ticker import FixedLocator

from course_lib import _validate, landscapes, optim
from course_lib.plots import color, plot_landscape, plot_trajectory
from course_lib.widgets._coarse import set_limits
from course_lib.widgets._explorer import Explorer, make_figure, steady_legend

__all__ = ["optimizer_race", "QUESTION", "PRESETS", "SUGGESTED", "hyperparameters", "optimizer_factory"]

QUESTION = "Which optimizer gets to the minimum of this landscape fastest, and how do their paths differ?"

# Settings under which each landscape shows something worth seeing: (lr, beta, steps). Choosing a landscape in
# the dropdown loads them (and the landscape's own start point).
SUGGESTED = {
    "quadratic": (0.15, 0.5, 60),
    "ill_conditioned": (0.03, 0.9, 150),
    "narrow_valley": (0.55, 0.75, 40),
    "rosenbrock": (0.01, 0.9, 300),  # plain GD diverges here, momentum does not
    "beale": (0.05, 0.9, 300),
    "saddle": (0.1, 0.9, 100),
    "six_hump_camel": (0.1, 0.9, 150),
    "cliff": (0.1, 0.9, 100),
    "plateau": (0.5, 0.9, 150),
}

# Starting values of `optimizer_race(preset=...)`; "lecture" is deck 000's comparison.
PRESETS = {
    "lecture": dict(landscape="narrow_valley", optimizers=("sgd", "momentum", "nesterov"), lr=0.55, beta=0.75,
                    steps=40, start=None),
}

# Palette index per method (the lecture's colours for the first three: red GD, orange momentum, purple Nesterov);
# the methods that share a colour with another are dashed.
_STYLE = {"sgd": (3, "-"), "momentum": (1, "-"), "nesterov": (4, "-"), "adam": (0, "-"), "rmsprop": (2, "-"),
          "adagrad": (5, "-"), "adadelta": (7, "-"), "adamw": (0, "--"), "adamax": (2, "--"), "nadam": (5, "--")}
_NAMES = tuple(optim.OPTIMIZERS)
_ADAM_FAMILY = ("adam", "adamw", "adamax", "nadam")
_LR_RANGE = (1e-4, 3.0)
_GAP_FLOOR = 1e-16  # f - f* below this (or exactly 0) is drawn at this height on the log axis
# The cost panel's limits change only with the landscape (a changed limit redraws the whole figure): its step axis
# (symlog: linear to 10, logarithmic after) ends at the steps slider's largest value (a shorter race simply ends
# earlier); its log axis runs from below the floor 1e-16 (where
# converging runs end) to the power of ten above the largest gap f - f* on the landscape's window (no start inside
# it is higher; a diverging run leaves through the top).
_MAX_STEPS = 300
_STEP_TICKS = (0, 3, 10, 30, 100, 300)


def hyperparameters(name, lr, beta):
    """The keyword arguments the race gives optimizer `name` for the shared lr and beta (see the module text).

    For "nesterov" they are those of `optim.NesterovLookahead`: lr (1 - beta) and momentum = beta.
    """
    _validate.one_of(name, "optimizer", _NAMES)
    lr = _validate.scalar(lr, "lr", low=0.0, low_open=True)
    beta = _validate.scalar(beta, "beta", low=0.0, high=1.0, high_open=True)
    if name == "momentum":
        return {"lr": lr, "beta": beta}
    if name == "nesterov":
        return {"lr": lr * (1.0 - beta), "momentum": beta}
    if name in _ADAM_FAMILY:
        return {"lr": lr, "betas": (beta, 0.999)}
    if name == "adadelta":
        return {}
    return {"lr": lr}


def optimizer_factory(name, lr, beta):
    """A function params -> optimizer for `landscapes.run`, built with `hyperparameters(name, lr, beta)`."""
    cls = optim.NesterovLookahead if name == "nesterov" else optim.OPTIMIZERS[name]
    return functools.partial(cls, **hyperparameters(name, lr, beta))


def _resolve(landscape, optimizers, lr, beta, steps, start, preset):
    """The starting values: the preset's, overridden by any argument given explicitly."""
    chosen = {"landscape": landscape, "optimizers": optimizers, "lr": lr, "beta": beta, "steps": steps,
              "start": start}
    if preset is not None:
        _validate.one_of(preset, "preset", tuple(PRESETS))
        for key, value in PRESETS[preset].items():
            if chosen[key] is None:
                chosen[key] = value
    if chosen["landscape"] is None:
        chosen["landscape"] = "ill_conditioned"
    _validate.one_of(chosen["landscape"], "landscape", tuple(landscapes.LANDSCAPES))
    lr_s, beta_s, steps_s = SUGGESTED[chosen["landscape"]]
    for key, value in (("optimizers", ("sgd", "momentum", "nesterov", "adam")), ("lr", lr_s), ("beta", beta_s),
                       ("steps", steps_s)):
        if chosen[key] is None:
            chosen[key] = value
    if isinstance(chosen["optimizers"], str):
        chosen["optimizers"] = (chosen["optimizers"],)
    chosen["optimizers"] = tuple(chosen["optimizers"])
    for name in chosen["optimizers"]:
        _validate.one_of(name, "optimizer", _NAMES)
    chosen["lr"] = _validate.scalar(chosen["lr"], "lr", low=_LR_RANGE[0], high=_LR_RANGE[1])
    chosen["beta"] = _validate.scalar(chosen["beta"], "beta", low=0.0, high=0.99)
    chosen["steps"] = _validate.scalar(chosen["steps"], "steps", low=1, high=_MAX_STEPS, integer=True)
    return chosen


def optimizer_race(landscape=None, optimizers=None, lr=None, beta=None, steps=None, start=None, *, preset=None):
    """Race optimizers on a 2-D landscape; returns an `Explorer`.

    An argument left at None takes the preset's value if a preset is given, else the landscape's suggestion in
    `SUGGESTED`; the landscape defaults to "ill_conditioned" and the optimizers to sgd, momentum, nesterov, adam.

    Parameters
    ----------
    landscape : a name in `landscapes.LANDSCAPES`.
    optimizers : names in `optim.OPTIMIZERS` to race.
    lr : float in [1e-4, 3], the shared learning rate (alpha in deck 000).
    beta : float in [0, 0.99], the shared averaging rate (momentum's beta, Adam's beta_1).
    steps : int in [1, 300].
    start : (x, y) inside the landscape's bounds, default `landscape.start`.
    preset : "lecture" for deck 000's comparison (see `PRESETS`).

    Controls: "landscape" (dropdown; choosing one loads its `SUGGESTED` lr, beta, steps and its start),
    "optimizers" (multi-select), "lr" (log slider), "beta", "steps", "x0" and "y0" (the start; clicking on the
    contour plot of a live ipympl canvas sets both). Artists: "paths" and "costs", dicts name -> Line2D for every
    method (hidden unless selected); "start" (the start marker); "contour" (re-created only when the landscape
    changes). Left: the paths on the contour plot; right: f(theta_k) - f* against k on a log axis (k on a symlog
    axis, linear to 10, up to 300 whatever the steps).
    """
    chosen = _resolve(landscape, optimizers, lr, beta, steps, start, preset)
    fig, (ax_path, ax_cost) = make_figure(1, 2, figsize=(10.5, 4.0))

    paths, costs = {}, {}
    for name in _NAMES:
        index, style = _STYLE[name]
        paths[name] = plot_trajectory(np.zeros((1, 2)), ax_path, label=name, i=index)
        paths[name].set(linestyle=style, zorder=3, visible=False)
        (costs[name],) = ax_cost.plot([0], [1.0], color=color(index), linestyle=style, label=name, visible=False)
    (start_marker,) = ax_path.plot([0.0], [0.0], "s", color="white", markeredgecolor="black", markersize=7,
                                   zorder=4, label="start")
    ax_cost.set_yscale("log")
    ax_cost.set_xlabel("step k")
    # Linear over the first 10 steps, logarithmic after: a race of 40 steps and one of 300 both read well on the
    # same axis, which never changes with the steps slider.
    ax_cost.set_xscale("symlog", linthresh=10, linscale=0.6)
    ax_cost.set_xlim(0, _MAX_STEPS)
    ax_cost.set_xticks(_STEP_TICKS, labels=[str(k) for k in _STEP_TICKS])
    ax_cost.xaxis.set_minor_locator(FixedLocator([k for k in (*range(1, 10), *range(20, 100, 10), 200)]))
    ax_cost.set_ylabel(r"$f(\theta_k) - f^*$")
    artists = {"paths": paths, "costs": costs, "start": start_marker}

    first = landscapes.make_landscape(chosen["landscape"])
    x_start, y_start = (first.start if chosen["start"] is None else
                        _validate.check_shape(_validate.float_array(chosen["start"], "start", ndim=1, finite=True),
                                              (2,), "start"))
    (x_lo, x_hi), (y_lo, y_hi) = first.bounds
    if not (x_lo <= x_start <= x_hi and y_lo <= y_start <= y_hi):
        raise ValueError(f"start {[float(x_start), float(y_start)]} lies outside the landscape's bounds "
                         f"{first.bounds}")

    def coordinate_slider(description, value, low, high):
        return widgets.FloatSlider(value=float(value), min=low, max=high, step=(high - low) / 200,
                                   description=description, readout_format=".3g")

    controls = {
        "landscape": widgets.Dropdown(options=list(landscapes.LANDSCAPES), value=chosen["landscape"],
                                      description="landscape"),
        "optimizers": widgets.SelectMultiple(options=list(_NAMES), value=chosen["optimizers"], rows=5,
                                             description="optimizers"),
        "lr": widgets.FloatLogSlider(value=chosen["lr"], base=10, min=math.log10(_LR_RANGE[0]),
                                     max=math.log10(_LR_RANGE[1]), step=0.01, description="lr (α)",
                                     readout_format=".3g"),
        "beta": widgets.FloatSlider(value=chosen["beta"], min=0.0, max=0.99, step=0.01, description="β"),
        "steps": widgets.IntSlider(value=chosen["steps"], min=1, max=_MAX_STEPS, description="steps"),
        "x0": coordinate_slider("start x", x_start, x_lo, x_hi),
        "y0": coordinate_slider("start y", y_start, y_lo, y_hi),
    }
    state = {"name": None, "landscape": None, "contour": None}

    def set_range(slider, low, high, value):
        # widen first, so that no intermediate state clamps the value; then narrow to the new range
        slider.min, slider.max = min(slider.min, low), max(slider.max, high)
        slider.value = float(value)
        slider.min, slider.max = low, high
        slider.step = (high - low) / 200

    def set_landscape(name, load_suggestion):
        """Draw the contours of landscape `name` (the only step that re-creates artists); optionally move the
        other controls to the landscape's suggested settings. Changing them from here makes the Explorer run one
        more update with the new values, which redraws the same picture."""
        land = landscapes.make_landscape(name)
        if state["contour"] is not None:
            state["contour"].remove()
            for line in [line for line in ax_path.lines if line.get_label() == "minimum"]:
                line.remove()
        _, _, contour = plot_landscape(land, ax=ax_path)
        (x_lo, x_hi), (y_lo, y_hi) = land.bounds
        highest = float(np.nanmax(land.values_on_grid(np.linspace(x_lo, x_hi, 60), np.linspace(y_lo, y_hi, 60))))
        f_star = getattr(getattr(land, "minimum", None), "value", 0.0)
        set_limits(ax_cost, _GAP_FLOOR / 10.0, 10.0 ** math.ceil(math.log10(max(highest - f_star, _GAP_FLOOR))))
        state.update(name=name, landscape=land, contour=contour)
        artists["contour"] = contour
        if load_suggestion:
            lr_s, beta_s, steps_s = SUGGESTED[name]
            (x_lo, x_hi), (y_lo, y_hi) = land.bounds
            controls["lr"].value, controls["beta"].value, controls["steps"].value = lr_s, beta_s, steps_s
            set_range(controls["x0"], x_lo, x_hi, land.start[0])
            set_range(controls["y0"], y_lo, y_hi, land.start[1])
            return {key: control.value for key, control in controls.items()}
        return None

    def update(values):
        if values["landscape"] != state["name"]:
            reloaded = set_landscape(values["landscape"], load_suggestion=state["name"] is not None)
            values = reloaded or values
        land = state["landscape"]
        x0 = np.array([values["x0"], values["y0"]])
        start_marker.set_data([x0[0]], [x0[1]])
        selected = [name for name in _NAMES if name in values["optimizers"]]
        report, shown = [], []
        for name in _NAMES:
            if name not in selected:
                paths[name].set_visible(False)
                costs[name].set_visible(False)
                continue
            run = landscapes.run(land, optimizer_factory(name, values["lr"], values["beta"]), x0=x0,
                                 steps=values["steps"])
            gap = np.maximum(run.values - run.f_star, _GAP_FLOOR)
            paths[name].set_data(run.points[:, 0], run.points[:, 1])
            costs[name].set_data(np.arange(gap.shape[0]), gap)
            paths[name].set_visible(True)
            costs[name].set_visible(True)
            shown.append(paths[name])
            reached = run.steps_to_reach(1e-3)
            if run.diverged:
                outcome = f"diverged after {run.steps} steps"
            elif reached is not None:
                outcome = f"f − f* ≤ 1e-3 after {reached} steps"
            else:
                outcome = f"f − f* = {run.final_value - run.f_star:.2g} after {run.steps} steps"
            report.append(f"<b>{name}</b>: {outcome}")
        steady_legend(ax_path, handles=shown + [start_marker], loc="upper right", fontsize="small")
        if not selected:
            return "choose at least one optimizer"
        return " · ".join(report)

    app = Explorer(QUESTION, controls, fig, artists, update)

    def on_click(event):
        # ipympl canvases report clicks: a click on the contour plot moves the start there
        if event.inaxes is ax_path and event.xdata is not None and event.ydata is not None:
            clamp = lambda key, value: float(min(max(value, controls[key].min), controls[key].max))  # noqa: E731
            app.set(x0=clamp("x0", event.xdata), y0=clamp("y0", event.ydata))  # one update, not two

    app.click_connection = fig.canvas.mpl_connect("button_press_event", on_click)
    return app
