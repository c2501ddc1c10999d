"""Step-size explorer: what gradient descent does as the step passes eta_opt and 2 eta_opt (deck 004).

On f(x) = 1/2 lambda x^2 one gradient step is x_{k+1} = x_k - eta lambda x_k = (1 - eta lambda) x_k, so

    x_k = x_0 (1 - eta lambda)^k,       eta_opt = 1 / lambda   (the first step lands on the minimum)

and the convergence factor |1 - eta lambda| decides everything (`landscapes.step_regime`):

    eta <  eta_opt             0 < 1 - eta lambda < 1     monotone convergence
    eta_opt < eta < 2 eta_opt  -1 < 1 - eta lambda < 0    oscillating convergence (x flips sign every step)
    eta >  2 eta_opt           |1 - eta lambda| > 1       divergence

Left: that 1-D problem, the iterates x_k against k, with the envelope +-x_0 |1 - eta lambda|^k.
Right: the 2-D quadratic f = 1/2 (x^2 + kappa y^2) (`landscapes.Quadratic(condition=kappa)`, eigenvalues 1 and
kappa). The left panel is its steep direction: lambda = kappa, and the step is given as a multiple of that
direction's eta_opt = 1/kappa, the smallest per-coordinate optimum. Past 2/kappa the steep direction diverges
whatever the other one does (deck 004: eta < 2 min_i eta_i,opt), while below it the shallow direction shrinks
only by 1 - eta per step: with a large condition number kappa, gradient descent crawls along the valley.
"""
import matplotlib
import numpy as np
import ipywidgets as widgets
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize

from course_lib import _validate, landscapes
from course_lib.plots import COLORS, plot_landscape, plot_trajectory
from course_lib.widgets._explorer import Explorer, make_figure

__all__ = ["step_size_explorer", "QUESTION", "contour_lines"]

QUESTION = "What happens as the step size passes η_opt and 2η_opt?"

# The 2-D run stops once a coordinate leaves this radius: far enough outside the plotted window (at most 5 x 2.5)
# that the path visibly leaves it, small enough that a divergent run stops after a few steps without overflow.
_RADIUS = 50.0
_LEVELS = 15
_ANGLES = np.linspace(0.0, 2.0 * np.pi, 181)


def contour_lines(kappa):
    """The contour lines of f = 1/2 (x^2 + kappa y^2) that `plots.plot_landscape(levels=15)` draws (the same
    levels, log-spaced over the values on its 120 x 120 grid, and colours), as exact ellipses x = sqrt(2c) cos t,
    y = sqrt(2c / kappa) sin t: (landscape, segments, colors). Ellipses are a few hundred points that one artist
    moves in place when kappa changes; a contour set would have to be made again (a whole-figure draw)."""
    landscape = landscapes.Quadratic(condition=kappa)
    (x_lo, x_hi), (y_lo, y_hi) = landscape.bounds
    Z = landscape.values_on_grid(np.linspace(x_lo, x_hi, 120), np.linspace(y_lo, y_hi, 120))
    low, high = float(Z.min()), float(Z.max())
    levels = low + np.geomspace(1e-3 * (high - low) + 1e-12, high - low, _LEVELS)
    segments = [np.column_stack([np.sqrt(2 * c) * np.cos(_ANGLES), np.sqrt(2 * c / kappa) * np.sin(_ANGLES)])
                for c in levels]
    colors = matplotlib.colormaps["viridis"](Normalize(levels[0], levels[-1])(levels))
    return landscape, segments, colors


def step_size_explorer(ratio=0.9, condition=10.0, *, steps=30):
    """Gradient descent on a 1-D and a 2-D quadratic with the step eta = ratio * eta_opt; returns an `Explorer`.

    Parameters
    ----------
    ratio : float in [0.1, 2.2], eta / eta_opt with eta_opt = 1 / lambda = 1 / kappa.
    condition : float in [1, 50], kappa = lambda_max / lambda_min of the 2-D quadratic (lambda_min = 1); the 1-D
        problem uses lambda = kappa.
    steps : int, number of gradient steps drawn.

    Controls: "ratio", "condition". Artists: "iterates" (x_k against k = 0..steps, 1-D), "envelope" (the pair of
    lines +-x_0 |1 - eta lambda|^k), "path" (the 2-D trajectory), "contour" (the 2-D landscape's contour lines,
    one LineCollection of ellipses, see `contour_lines`, moved in place when the condition number changes).
    """
    ratio = _validate.scalar(ratio, "ratio", low=0.1, high=2.2)
    condition = _validate.scalar(condition, "condition", low=1.0, high=50.0)
    steps = _validate.scalar(steps, "steps", low=1, high=500, integer=True)
    k = np.arange(steps + 1, dtype=np.float64)
    x0 = 1.0  # the 1-D start; also the steep coordinate of the 2-D start (-4.5, 1)

    fig, (ax1, ax2) = make_figure(1, 2, figsize=(10.0, 3.8))
    ax1.axhline(0.0, color="0.7", linewidth=0.8)
    (upper,) = ax1.plot(k, k, ":", color="0.45", linewidth=1.0, label=r"$\pm x_0\,|1-\eta\lambda|^k$")
    (lower,) = ax1.plot(k, k, ":", color="0.45", linewidth=1.0)
    (iterates,) = ax1.plot(k, k, "o-", color=COLORS["blue"], markersize=3.5, linewidth=1.2, label="$x_k$")
    ax1.set_xlim(-0.5, steps + 0.5)
    ax1.set_ylim(-1.6 * x0, 1.6 * x0)  # a divergent sequence runs off the top and bottom instead of rescaling
    ax1.set_xlabel("step k")
    ax1.set_ylabel("$x_k$")
    ax1.legend(loc="upper right", fontsize="small")

    state = {"condition": None, "landscape": None}
    controls = {
        "ratio": widgets.FloatSlider(value=ratio, min=0.1, max=2.2, step=0.01, description="η / η_opt",
                                     readout_format=".2f"),
        "condition": widgets.FloatSlider(value=condition, min=1.0, max=50.0, step=0.5, description="κ",
                                         readout_format=".1f"),
    }
    artists = {"iterates": iterates, "envelope": (upper, lower)}

    # The axes, labels and minimum as `plot_landscape` makes them; its contour set gives way to the ellipses.
    _, _, contour_set = plot_landscape(landscapes.Quadratic(condition=condition), ax=ax2, levels=_LEVELS)
    contour_set.remove()
    contour = LineCollection([], linewidths=0.8, zorder=2)
    ax2.add_collection(contour, autolim=False)
    artists["contour"] = contour

    def set_condition(kappa):
        """The 2-D landscape for this kappa: its contour lines moved in place, and its title."""
        landscape, segments, colors = contour_lines(kappa)
        contour.set_segments(segments)
        contour.set_color(colors)
        ax2.set_title(rf"$f = \frac{{1}}{{2}}(\theta_1^2 + {kappa:g}\,\theta_2^2)$", fontsize="medium")
        state.update(condition=kappa, landscape=landscape)

    set_condition(condition)
    path = plot_trajectory(state["landscape"].start[None, :], ax2, label="gradient descent", i=3)
    path.set_zorder(3)  # above the contour lines
    artists["path"] = path

    def update(values):
        r, kappa = values["ratio"], values["condition"]
        if kappa != state["condition"]:
            set_condition(kappa)
        lam = kappa  # the 1-D problem is the steep direction
        eta = r / lam
        factor = 1.0 - eta * lam

        xs = landscapes.gd_1d(lam, eta, x0=x0, steps=steps)
        iterates.set_ydata(xs)
        envelope = x0 * np.abs(factor) ** k
        upper.set_ydata(envelope)
        lower.set_ydata(-envelope)

        run = landscapes.gradient_descent(state["landscape"], steps=steps, lr=eta, radius=_RADIUS)
        path.set_data(run.points[:, 0], run.points[:, 1])

        regime = landscapes.step_regime(r, 1.0)  # the regime depends on eta * lambda = ratio alone
        shallow = abs(1.0 - eta)  # the factor along the shallow direction (eigenvalue 1)
        slowest = max(abs(factor), shallow)
        stopped = f" · the 2-D run left the window after {run.steps} steps" if run.diverged else ""
        return (f"η = {eta:.4g} = {r:.2f} η_opt of the 1-D problem (1/λ = {1 / lam:.4g}, the steep direction's "
                f"η_i,opt) · <b>{regime}</b> · "
                f"|1 − ηλ| = {abs(factor):.3f} (steep), |1 − η| = {shallow:.3f} (shallow): in 2-D the error is "
                f"multiplied by {slowest:.3f} per step in the slowest direction{stopped} · the 2-D problem's "
                f"η_opt = 2/(λ_min + λ_max) = 2/(1+κ) is {2.0 * kappa / (1.0 + kappa):.2f} times the 1-D one")

    return Explorer(QUESTION, controls, fig, artists, update)
