"""Dropout explorer: which units dropout switches off, and why the train and test outputs agree on average (deck 003).

A hidden layer of 64 units with fixed activations h_j >= 0 (drawn once, seeded) feeds one unit of the next layer,
y = sum_j w_j a_j. In training every hidden unit is dropped independently with probability p (`layers.dropout_forward`;
p is the probability of DROPPING, as in PyTorch):

    inverted dropout (PyTorch's, the default):   train  a_j = h_j m_j / (1 - p)     test  a_j = h_j
    test-time scaling (the lecture's slide):     train  a_j = h_j m_j               test  a_j = h_j (1 - p)

with m_j = 0 (probability p) or 1. Since E[m_j] = 1 - p, in both conventions E[y_train] = y_test: the test output is
the average of the outputs of the 2^64 thinned networks the masks select (the "ensemble" view), without any mask.
Forget the scaling (train with h_j m_j and test with h_j) and the test output is 1 / (1 - p) times too large.

Left: the 8 x 8 hidden units under one mask (the "mask seed" slider draws another one), coloured by the value they
pass on in training, dropped units grey. Right: the histogram of y_train over 4000 masks, with its mean (dashed) and
the test output (solid): they agree up to the sampling error of the mean. Dotted: where the scaling, forgotten, would
put the training mean (inverted) or the test output (test-time scaling): off by the factor 1 - p.

Recipe (seeded, see `hidden_layer`): h = uniform(0.2, 1.0), w = (normal(0.5, 1.0)) / 8 from default_rng(seed);
the shown mask is ``dropout_forward(h, p, rng=default_rng(mask_seed))``, the 4000 training outputs come from
``dropout_forward(np.tile(h, (4000, 1)), p, rng=default_rng(seed + 1))``.
"""
import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.colors import Normalize

from course_lib import _validate
from course_lib.layers import dropout_forward
from course_lib.plots import COLORS
from course_lib.widgets._coarse import set_limits
from course_lib.widgets._explorer import Explorer, make_figure

__all__ = ["dropout_explorer", "QUESTION", "GRID", "N_MASKS", "hidden_layer"]

QUESTION = "Which units does dropout switch off, and why do the train and test outputs agree on average?"

GRID = (8, 8)
N_MASKS = 4000
_P_MAX = 0.9
_BINS = 50
# The histogram's axes are fixed for each convention (a changed limit would redraw the whole figure on every move
# of p): they hold the outputs at these p (the widest spreads of the slider's range) and the bars at their tallest.
# Its 50 bins span the outputs of the current p, so the bars keep their height and the spread shows as width.
_RANGE_PS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, _P_MAX)

def hidden_layer(seed=0):
    """(h, w): the 64 hidden activations, uniform in [0.2, 1], and the next unit's weights, normal(0.5, 1) / 8, both
    float64 of shape (64,) from ``np.random.default_rng(seed)`` (h first)."""
    rng = np.random.default_rng(_validate.scalar(seed, "seed", low=0, integer=True))
    n = GRID[0] * GRID[1]
    h = rng.uniform(0.2, 1.0, size=n)
    w = rng.normal(0.5, 1.0, size=n) / 8.0
    return h, w


def dropout_explorer(p=0.5, inverted=True, mask_seed=0, *, seed=0):
    """Dropout masks on a grid of units and the train/test outputs of the next unit; returns an `Explorer`.

    Parameters
    ----------
    p : float in [0, 0.9], the probability of dropping a unit.
    inverted : True for inverted dropout (scale by 1/(1-p) in training), False for test-time scaling by (1-p).
    mask_seed : int in [0, 99], the seed of the mask shown on the grid.
    seed : int, the seed of the layer (`hidden_layer`) and of the many masks (seed + 1).

    Controls: "p", "inverted" (toggle), "mask_seed". Artists: "grid" (AxesImage of the units' training values,
    dropped units masked and drawn grey), "histogram" (a StepPatch: the counts of y_train over N_MASKS masks in 50 bins spanning them), "train_mean"
    and "test_output" (vertical lines), "forgotten" (vertical line: the training mean without 1/(1-p), inverted, or the
    test output without (1-p), test-time scaling).
    `app.results`: "mask" (the shown mask, as `dropout_forward` returns it, shape (64,)), "train_outputs" (N_MASKS,),
    "test_output" (float).
    """
    p = _validate.scalar(p, "p", low=0.0, high=_P_MAX)
    if not isinstance(inverted, (bool, np.bool_)):
        raise TypeError(f"inverted must be True or False, got {type(inverted).__name__}")
    mask_seed = _validate.scalar(mask_seed, "mask_seed", low=0, high=99, integer=True)
    seed = _validate.scalar(seed, "seed", low=0, integer=True)
    h, w = hidden_layer(seed)
    many = np.tile(h, (N_MASKS, 1))

    fig, (ax_grid, ax_hist) = make_figure(1, 2, figsize=(10.0, 4.0), width_ratios=(1, 1.5))
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="0.8")  # masked (dropped) units: grey
    grid = ax_grid.imshow(np.ma.masked_all(GRID), cmap=cmap, norm=Normalize(0.0, 2.0), interpolation="nearest")
    fig.colorbar(grid, ax=ax_grid, shrink=0.8, label="value passed on in training")
    ax_grid.set_xticks([])
    ax_grid.set_yticks([])

    # one artist for the 50 bars (a filled step outline): drawn in a fraction of their time
    histogram = ax_hist.stairs(np.zeros(_BINS), np.linspace(0.0, 1.0, _BINS + 1), fill=True, color="0.7",
                               label=f"y in training ({N_MASKS} masks)")
    train_mean = ax_hist.axvline(0.0, color=COLORS["blue"], linestyle="--", linewidth=2.0, label="mean in training")
    test_output = ax_hist.axvline(0.0, color=COLORS["vermillion"], linewidth=2.0, label="test output")
    forgotten = ax_hist.axvline(0.0, color="black", linestyle=":", linewidth=1.5, label="scaling forgotten")
    ax_hist.set_xlabel(r"output of the next unit $y = \sum_j w_j a_j$")
    ax_hist.set_ylabel("count")
    ax_hist.legend(loc="upper right", fontsize="x-small")
    artists = {"grid": grid, "histogram": histogram, "train_mean": train_mean, "test_output": test_output,
               "forgotten": forgotten}
    results = {}
    cache = {"key": None}

    controls = {
        "p": widgets.FloatSlider(value=p, min=0.0, max=_P_MAX, step=0.05, description="p (drop)"),
        "inverted": widgets.ToggleButtons(options=[("inverted (÷(1−p) in training)", True),
                                                   ("test-time scaling (×(1−p) at test)", False)],
                                          value=bool(inverted), description="convention"),
        "mask_seed": widgets.IntSlider(value=mask_seed, min=0, max=99, description="mask seed"),
    }

    def outputs_of(drop, inv):
        """y_train over the N_MASKS masks, the test output and the output with the scaling forgotten."""
        rng = np.random.default_rng(seed + 1)
        outputs = dropout_forward(many, drop, train=True, rng=rng, inverted=inv)[0] @ w
        test = float(dropout_forward(h, drop, train=False, inverted=inv)[0] @ w)
        # Forgetting the scaling: inverted dropout without its 1/(1-p) trains with plain masks, whose mean is
        # (1-p) sum_j w_j h_j; test-time scaling without its (1-p) tests with sum_j w_j h_j. Either way train and
        # test disagree by the factor 1 - p.
        wrong = (1.0 - drop) * float(h @ w) if inv else float(h @ w)
        return outputs, test, wrong

    def span(outputs, test, wrong):
        return min(outputs.min(), test, wrong, 0.0), max(outputs.max(), test, wrong)

    def bin_edges(outputs, width):
        """_BINS bins over the outputs' range (at least 1 % of the axis `width`: p = 0 gives one bar)."""
        low, high = float(outputs.min()), float(outputs.max())
        pad = max(0.02 * (high - low), 0.005 * width)
        return np.linspace(low - pad, high + pad, _BINS + 1)

    axis_limits = {}

    def limits(inv):
        """(x limits, top count) of the histogram for a convention, computed once (see _RANGE_PS)."""
        if inv not in axis_limits:
            spans, tallest = [], 0
            for q in _RANGE_PS:
                outputs, test, wrong = outputs_of(q, inv)
                spans.append(span(outputs, test, wrong))
                tallest = max(tallest, int(np.histogram(outputs, bins=_BINS)[0].max()))
            lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
            pad = 0.05 * (hi - lo)
            axis_limits[inv] = (lo - pad, hi + pad), 1.15 * tallest
        return axis_limits[inv]

    def update(values):
        drop, inv = values["p"], values["inverted"]
        shown, mask = dropout_forward(h, drop, train=True, rng=np.random.default_rng(values["mask_seed"]),
                                      inverted=inv)
        grid.set_data(np.ma.masked_where(mask == 0.0, shown).reshape(GRID))
        n_dropped = int(np.sum(mask == 0.0))
        ax_grid.set_title(f"one mask: {n_dropped} of {h.size} units dropped (grey)", fontsize="small")

        if cache["key"] != (drop, inv):  # the mask seed alone leaves the many masks as they are
            cache.update(key=(drop, inv), result=outputs_of(drop, inv))
        outputs, test, wrong = cache["result"]
        mean, spread = float(outputs.mean()), float(outputs.std())
        results.update(mask=mask, train_outputs=outputs, test_output=test)

        (left, right), top = limits(inv)
        edges = bin_edges(outputs, right - left)
        counts, _ = np.histogram(outputs, bins=edges)
        histogram.set_data(counts, edges)
        set_limits(ax_hist, left, right, which="x")
        set_limits(ax_hist, 0, top)  # p = 0 (one bar of all the masks) runs off the top
        train_mean.set_xdata([mean, mean])
        test_output.set_xdata([test, test])
        forgotten.set_xdata([wrong, wrong])
        forgotten.set_visible(drop > 0.0)
        error = spread / np.sqrt(N_MASKS)
        mistake = ("training mean without ÷(1−p)" if inv else "test output without ×(1−p)") + f" = {wrong:.4f}"
        return (f"mean of {N_MASKS} training outputs = {mean:.4f} ± {error:.4f} (standard error) · test output = "
                f"{test:.4f} · {mistake} · y varies from mask to mask: std {spread:.3f}")

    app = Explorer(QUESTION, controls, fig, artists, update)
    app.results = results
    return app
