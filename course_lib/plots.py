"""Pictures for the course, with one consistent look.

Every function draws on an axes you pass (or a new figure), labels its axes, uses the colour-blind-safe Okabe-Ito
palette, and returns the matplotlib objects it made, so that the explorers in `course_lib.widgets` can update their
data in place instead of drawing a new figure on every slider move.

- `plot_landscape` / `plot_trajectories`: contour lines of a 2-D loss landscape with optimizer paths on top.
- `plot_decision_boundary`: what a classifier predicts over the plane, with the data points.
- `plot_activation`: an activation function and its derivative.
- `plot_layer_statistics`: per-layer histograms of activations (the initialization lecture's table as a picture).
- `plot_learning_curves`: cost and accuracy per epoch (delegates to `History.plot`).

Importing this module applies the course's figure defaults (`setup`): every new figure, including one made with a
bare ``plt.subplots(figsize=...)`` in a notebook, uses matplotlib's constrained layout, so axis labels, tick labels
and titles are never cut off at the figure's edge. `layout_problems(fig)` says which text of a figure sticks out of
it or overlaps another label; the tests run it on every figure of every notebook.
"""
import warnings

import numpy as np

from course_lib._style import COLORS, PALETTE, color, new_axes  # the course's look, shared with the models' .plot()

# What `setup` changes: a layout engine for every figure. Nothing else (sizes, fonts, dpi stay matplotlib's).
COURSE_RC = {"figure.constrained_layout.use": True}


def setup():
    """Apply the course's figure defaults (`COURSE_RC`); done on import of `course_lib.plots`, safe to repeat.

    Constrained layout makes room for labels and titles whenever a figure is drawn. A cell that still calls
    ``fig.tight_layout()`` switches that one figure to tight layout, which fits the labels too, so matplotlib's
    warning about the change ("The figure layout has changed to tight") is not shown.
    """
    import matplotlib

    matplotlib.rcParams.update(COURSE_RC)
    warnings.filterwarnings("ignore", message="The figure layout has changed to tight", category=UserWarning)


def _axes(ax, **kwargs):
    if ax is None:
        return new_axes(**kwargs)
    return ax.figure, ax


def grid_values(f, bounds, resolution=120):
    """Evaluate f(point) on a grid over bounds = ((x_min, x_max), (y_min, y_max)); returns (xs, ys, Z)."""
    (x0, x1), (y0, y1) = bounds
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    Z = np.empty((resolution, resolution))
    point = np.empty(2)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            point[0], point[1] = x, y
            Z[i, j] = f(point)
    return xs, ys, Z


def plot_landscape(landscape, ax=None, bounds=None, levels=30, log=True, resolution=120, filled=False):
    """Contour lines of a 2-D landscape (an object with `f(x)`, `bounds` and `minimum`, see `course_lib.landscapes`).

    With `log=True` the levels are spaced logarithmically above the minimum value, which shows narrow valleys.
    Returns (fig, ax, contour).
    """
    fig, ax = _axes(ax)
    bounds = bounds if bounds is not None else landscape.bounds
    values = getattr(landscape, "values_on_grid", None)
    if values is not None:
        xs = np.linspace(bounds[0][0], bounds[0][1], resolution)
        ys = np.linspace(bounds[1][0], bounds[1][1], resolution)
        Z = values(xs, ys)
    else:
        xs, ys, Z = grid_values(landscape.f, bounds, resolution)
    finite = Z[np.isfinite(Z)]
    low, high = float(finite.min()), float(finite.max())
    if log and high > low:
        levels = low + np.geomspace(1e-3 * (high - low) + 1e-12, high - low, levels)
    draw = ax.contourf if filled else ax.contour
    contour = draw(xs, ys, Z, levels=levels, cmap="viridis", linewidths=0.8) if not filled else draw(
        xs, ys, Z, levels=levels, cmap="viridis")
    minimum = getattr(landscape, "minimum", None)
    if minimum is not None:
        points = np.atleast_2d(np.asarray(minimum[0] if isinstance(minimum, tuple) else minimum, dtype=float))
        ax.plot(points[:, 0], points[:, 1], "*", color=COLORS["vermillion"], markersize=12, label="minimum")
    ax.set_xlim(bounds[0])
    ax.set_ylim(bounds[1])
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.set_title(getattr(landscape, "name", ""))
    return fig, ax, contour


def plot_trajectory(points, ax, label=None, i=0):
    """One optimizer path (an (n, 2) array, or an object with `.points`) as a line with markers; returns the line."""
    points = np.asarray(getattr(points, "points", points), dtype=float)
    (line,) = ax.plot(points[:, 0], points[:, 1], "o-", color=color(i), markersize=2.5, linewidth=1.2, label=label)
    return line


def plot_trajectories(landscape, trajectories, ax=None, **contour_kwargs):
    """Contours of `landscape` with each trajectory of the dict {label: trajectory} on top.

    Returns (fig, ax, lines) with `lines` a dict label -> Line2D (update with `line.set_data(x, y)`).
    """
    fig, ax, _ = plot_landscape(landscape, ax=ax, **contour_kwargs)
    lines = {label: plot_trajectory(t, ax, label=label, i=i) for i, (label, t) in enumerate(trajectories.items())}
    if lines:
        ax.legend(loc="best", fontsize="small")
    return fig, ax, lines


def decision_grid(X, resolution=150, margin=0.5):
    """A grid covering the data X (N, 2) with a margin; returns (xx, yy, points (resolution², 2))."""
    X = np.asarray(X, dtype=float)
    x0, y0 = X.min(axis=0) - margin
    x1, y1 = X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def plot_decision_boundary(model, X, y, ax=None, resolution=150):
    """Shade the plane by the class `model.predict` gives each point and draw the data on top.

    Returns (fig, ax, image, scatter); to redraw after more training, call `update_decision_boundary`.
    """
    from matplotlib.colors import ListedColormap

    fig, ax = _axes(ax)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    n_classes = int(y.max()) + 1 if y.size else 2
    cmap = ListedColormap(PALETTE[:max(n_classes, 2)])
    xx, yy, points = decision_grid(X, resolution)
    Z = np.asarray(model.predict(points)).reshape(xx.shape)
    image = ax.imshow(Z, origin="lower", extent=(xx.min(), xx.max(), yy.min(), yy.max()), cmap=cmap, alpha=0.3,
                      vmin=0, vmax=max(n_classes, 2) - 1, aspect="auto", interpolation="nearest")
    scatter = ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=0, vmax=max(n_classes, 2) - 1, s=12,
                         edgecolors="white", linewidths=0.3)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    image.grid = (xx, yy, points)
    return fig, ax, image, scatter


def update_decision_boundary(image, model):
    """Recompute the predictions behind an image made by `plot_decision_boundary` (no new artists)."""
    xx, _, points = image.grid
    image.set_data(np.asarray(model.predict(points)).reshape(xx.shape))
    return image


def plot_activation(name, x=None, ax=None, **params):
    """An activation from `course_lib.activations.ACTIVATIONS` and its derivative on x (default −5..5).

    Returns (fig, ax, (line_f, line_df)).
    """
    from course_lib.activations import ACTIVATIONS

    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(sorted(ACTIVATIONS))}")
    f, f_grad = ACTIVATIONS[name]
    fig, ax = _axes(ax)
    x = np.linspace(-5.0, 5.0, 401) if x is None else np.asarray(x, dtype=float)
    (line_f,) = ax.plot(x, f(x, **params), color=color(0), label=f"{name}(x)")
    (line_df,) = ax.plot(x, f_grad(x, **params), color=color(1), linestyle="--", label=f"{name}'(x)")
    ax.axhline(0.0, color="0.7", linewidth=0.6)
    ax.axvline(0.0, color="0.7", linewidth=0.6)
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.legend(loc="upper left", fontsize="small")
    return fig, ax, (line_f, line_df)


def plot_layer_statistics(activations, axes=None, bins=40, value_range=(-1.0, 1.0)):
    """Histograms of each layer's activations (a list of arrays, first = layer 1), with mean and std in the titles.

    This is the initialization lecture's table as a picture: with small random weights in a deep tanh net the
    histograms collapse onto 0 layer by layer. Returns (fig, axes, bar_containers).
    """
    n = len(activations)
    if axes is None:
        fig, axes = new_axes(1, n, figsize=(1.9 * n, 2.4), sharey=True)
    axes = np.atleast_1d(axes)
    fig = axes[0].figure
    containers = []
    for i, (ax, a) in enumerate(zip(axes, activations)):
        a = np.asarray(a, dtype=float).ravel()
        _, _, bars = ax.hist(a, bins=bins, range=value_range, color=color(0))
        ax.set_title(f"layer {i + 1}\nmean {a.mean():+.3f}\nstd {a.std():.3f}", fontsize="small")
        ax.set_yticks([])
        containers.append(bars)
    axes[0].set_ylabel("count")
    return fig, axes, containers


def plot_learning_curves(history, **kwargs):
    """Cost and accuracy per epoch of a `course_lib.train.History` (same as `history.plot()`)."""
    return history.plot(**kwargs)


# Texts that lay out a figure (as opposed to annotations and legends placed on the data): two of them overlapping
# means the layout failed, e.g. crowded tick labels or a title written over the tick labels of the axes above.
_LABEL_KINDS = ("tick label", "axis label", "offset text", "title", "figure title")


def _text_kinds(fig):
    """{id(text): (kind, where)} for the labels of every axes of `fig` (tick labels, axis labels, titles)."""
    kinds = {}
    for number, ax in enumerate(fig.get_axes(), start=1):
        where = f"axes {number}"
        for name, axis in ax._axis_map.items():
            for tick in axis.majorTicks + axis.minorTicks:
                for label in (tick.label1, tick.label2):
                    kinds[id(label)] = ("tick label", f"{name} of {where}")
            kinds[id(axis.label)] = ("axis label", f"{name} of {where}")
            kinds[id(axis.offsetText)] = ("offset text", f"{name} of {where}")
        for title in (ax.title, ax._left_title, ax._right_title):
            kinds[id(title)] = ("title", where)
    for attribute in ("_suptitle", "_supxlabel", "_supylabel"):
        text = getattr(fig, attribute, None)
        if text is not None:
            kinds[id(text)] = ("figure title", "figure")
    return kinds


def _drawn_texts(fig):
    """Draw `fig` once without making pixels (layout engine included) and return (renderer, texts drawn)."""
    from matplotlib.backend_bases import _get_renderer
    from matplotlib.text import Text

    renderer = _get_renderer(fig)
    drawn = []
    original = Text.draw

    def draw(text, renderer_):
        if renderer_ is renderer and text.get_visible() and text.get_text().strip():
            drawn.append(text)
        return original(text, renderer_)

    Text.draw = draw
    try:
        with renderer._draw_disabled():
            fig.draw(renderer)
    finally:
        Text.draw = original
    return renderer, list({id(t): t for t in drawn}.values())


def layout_problems(fig, tolerance=1.0):
    """What is wrong with the text of a figure as drawn at its own size, one sentence per problem ([] = nothing).

    Draws `fig` once (without making pixels; its layout engine runs as it would on screen) and checks every text
    matplotlib actually draws: tick labels of the ticks in view, axis labels, titles, legends, annotations.
    - A text whose box sticks out of the figure by more than `tolerance` pixels is cut off.
    - Two labels (tick labels, axis labels, offset texts, titles) whose boxes overlap by more than `tolerance`
      pixels both ways are written over each other.
    """
    renderer, texts = _drawn_texts(fig)
    kinds = _text_kinds(fig)
    width, height = fig.bbox.width, fig.bbox.height
    problems = []
    boxes = []
    for text in texts:
        kind, where = kinds.get(id(text), ("text", ""))
        name = f"{kind} {text.get_text()!r}" + (f" ({where})" if where else "")
        box = text.get_window_extent(renderer)
        outside = {"left": -box.x0, "bottom": -box.y0, "right": box.x1 - width, "top": box.y1 - height}
        for side, pixels in outside.items():
            if pixels > tolerance:
                problems.append(f"{name} is cut off: it sticks out {pixels:.0f} px past the {side} edge of the "
                                f"{width:.0f}x{height:.0f} px figure")
        if kind in _LABEL_KINDS:
            boxes.append((name, box))
    for i, (name_a, a) in enumerate(boxes):
        for name_b, b in boxes[i + 1:]:
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > tolerance and dy > tolerance:
                problems.append(f"{name_a} overlaps {name_b} ({dx:.0f}x{dy:.0f} px)")
    return problems


setup()
