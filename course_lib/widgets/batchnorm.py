"""Batch-norm explorer: what batch norm does to a layer's inputs, and why eval mode uses running averages (decks 003,
004).

One unit's input x comes from a skewed, shifted distribution (x = 4 + 1.5 g, g ~ Gamma(2, 1): mean 7, variance 4.5,
skewness 1.41). Batch norm (Ioffe & Szegedy; `course_lib.layers.batchnorm_forward`, PyTorch's BatchNorm1d) maps a
mini-batch B = {x_1..x_m} to

    mu_B = (1/m) sum_i x_i,   sigma_B^2 = (1/m) sum_i (x_i - mu_B)^2,
    xhat_i = (x_i - mu_B) / sqrt(sigma_B^2 + eps),   y_i = gamma xhat_i + beta.

In training (mode "train") every batch is normalized with its own mu_B and sigma_B^2, so the outputs have mean
beta and standard deviation gamma (up to eps), whatever the input's shift and scale; the same x gets a slightly
different output in every batch it lands in. Each training batch also updates the running statistics, EMAs with
beta_EMA = 1 - momentum (PyTorch's momentum convention), starting from running_mean = 0, running_var = 1:

    running_mean <- (1 - momentum) running_mean + momentum mu_B
    running_var  <- (1 - momentum) running_var  + momentum sigma_B^2 m / (m - 1)      (unbiased)

so after k batches running_mean = sum_{t=1..k} momentum (1 - momentum)^(k-t) mu_t: the start's weight
(1 - momentum)^k decays and the running statistics approach the population's mean and variance. At test time
(mode "eval") there may be one example, and its output must not depend on the others: y = gamma (x - running_mean)
/ sqrt(running_var + eps) + beta, a fixed function of x. That is only right once the running statistics have
converged: with few steps (or a tiny momentum) the eval outputs are shifted and scaled wrongly.

The data (seeded): the input histogram shows 32 batches of m = `batch_size` examples; the "steps" slider says how
many training batches (others, drawn after them) have updated the running statistics. See `explorer_data`.
"""
import ipywidgets as widgets
import numpy as np

from course_lib import _validate
from course_lib.layers import batchnorm_forward
from course_lib.plots import COLORS
from course_lib.widgets._coarse import set_limits
from course_lib.widgets._explorer import Explorer, make_figure

__all__ = ["batchnorm_explorer", "QUESTION", "POPULATION_MEAN", "POPULATION_VAR", "MAX_STEPS", "SHOWN_BATCHES",
           "EPS", "sample_inputs", "explorer_data", "running_statistics"]

QUESTION = "What does batch norm do to a layer's inputs, and why does eval mode use running averages?"

POPULATION_MEAN = 4.0 + 1.5 * 2.0   # 4 + 1.5 E[g], E[g] = shape * scale = 2
POPULATION_VAR = 1.5**2 * 2.0       # 1.5^2 Var[g], Var[g] = shape * scale^2 = 2
MAX_STEPS = 200
SHOWN_BATCHES = 32
EPS = 1e-5
_BEFORE_RANGE = (0.0, 20.0)
_AFTER_RANGE = (-8.0, 8.0)
_BINS = 64


def sample_inputs(n, rng):
    """n inputs x = 4 + 1.5 g, g ~ Gamma(shape 2, scale 1), from the Generator `rng`: float64 of shape (n,)."""
    return 4.0 + 1.5 * rng.gamma(2.0, 1.0, size=n)


def explorer_data(batch_size=32, seed=0):
    """(shown, training): the batches the explorer shows, (SHOWN_BATCHES, batch_size, 1), and the training
    batches that update the running statistics, (MAX_STEPS, batch_size, 1); both from one
    ``np.random.default_rng(seed)``, shown first."""
    batch_size = _validate.scalar(batch_size, "batch_size", low=2, high=1024, integer=True)
    rng = np.random.default_rng(_validate.scalar(seed, "seed", low=0, integer=True))
    shown = sample_inputs(SHOWN_BATCHES * batch_size, rng).reshape(SHOWN_BATCHES, batch_size, 1)
    training = sample_inputs(MAX_STEPS * batch_size, rng).reshape(MAX_STEPS, batch_size, 1)
    return shown, training


def running_statistics(training, momentum):
    """running_mean and running_var after k = 0..len(training) training batches, each of shape (len + 1,), as
    `batchnorm_forward(train=True)` leaves them (starting from 0 and 1)."""
    momentum = _validate.scalar(momentum, "momentum", low=0.0, high=1.0)
    running_mean, running_var = np.zeros(1), np.ones(1)
    means, variances = [0.0], [1.0]
    ones, zeros = np.ones(1), np.zeros(1)
    for batch in training:
        batchnorm_forward(batch, ones, zeros, running_mean, running_var, train=True, momentum=momentum, eps=EPS)
        means.append(float(running_mean[0]))
        variances.append(float(running_var[0]))
    return np.array(means), np.array(variances)


def _counts(values, value_range):
    """Counts of `values` in _BINS equal bins over value_range, clipped into the range so that nothing falls off
    the picture."""
    return np.histogram(np.clip(values, *value_range), bins=_BINS, range=value_range)[0]


def batchnorm_explorer(momentum=0.1, steps=10, mode="eval", gamma=1.0, beta=0.0, *, batch_size=32, seed=0):
    """Histograms of one unit's inputs before and after batch norm, and its running statistics; returns an
    `Explorer`.

    Parameters
    ----------
    momentum : float in [0, 1], PyTorch's momentum of the running averages (beta_EMA = 1 - momentum).
    steps : int in [0, MAX_STEPS], training batches that have updated the running statistics.
    mode : "train" (batch statistics) or "eval" (running statistics).
    gamma : float in [0.1, 3], beta : float in [-3, 3], the learned scale and shift.
    batch_size : m, examples per batch (>= 2); seed : the data's seed (`explorer_data`).

    Controls: "mode" (toggle), "momentum", "steps", "gamma", "beta". Artists: "before" and "after" (the input and output
    histograms, each one StepPatch of _BINS bins: ``artists["after"].get_data().values`` are the counts), "mean_used" (vertical line at the mean the normalization subtracts),
    "target" (vertical line at beta), "running_mean" and "running_var" (their values against the step k =
    0..MAX_STEPS), "population_mean" and "population_var" (horizontal lines), "now" (vertical line at k) and
    "now_markers" (the running mean and variance at k). `app.results`: "x" and "out" (the shown inputs and
    outputs, shape (SHOWN_BATCHES * m, 1)), "running_mean" and "running_var" after k steps (floats).
    """
    momentum = _validate.scalar(momentum, "momentum", low=0.0, high=1.0)
    steps = _validate.scalar(steps, "steps", low=0, high=MAX_STEPS, integer=True)
    _validate.one_of(mode, "mode", ("train", "eval"))
    gamma = _validate.scalar(gamma, "gamma", low=0.1, high=3.0)
    beta = _validate.scalar(beta, "beta", low=-3.0, high=3.0)
    shown, training = explorer_data(batch_size, seed)
    x = shown.reshape(-1, 1)

    fig, (ax_in, ax_out, ax_run) = make_figure(1, 3, figsize=(13.0, 3.8))
    # Each histogram is one artist (a filled step outline, `stairs`): drawn in a fraction of 64 bars' time.
    before = ax_in.stairs(_counts(x[:, 0], _BEFORE_RANGE), np.linspace(*_BEFORE_RANGE, _BINS + 1), fill=True,
                          color="0.6")
    ax_in.axvline(POPULATION_MEAN, color="black", linestyle=":", linewidth=1.2,
                  label=f"population mean {POPULATION_MEAN:g}")
    mean_used = ax_in.axvline(0.0, color=COLORS["vermillion"], linewidth=2.0, label="mean subtracted")
    ax_in.set_xlim(*_BEFORE_RANGE)
    ax_in.set_xlabel("input x")
    ax_in.set_ylabel("count")
    ax_in.set_title("before batch norm", fontsize="small")
    ax_in.legend(loc="upper right", fontsize="x-small")

    after = ax_out.stairs(np.zeros(_BINS), np.linspace(*_AFTER_RANGE, _BINS + 1), fill=True, color=COLORS["blue"])
    # The output axis is fixed (a changed limit would redraw the whole figure): as high as the tallest bar of the
    # training-mode outputs at gamma = 0.5; a narrower output (smaller gamma, or eval mode before the running
    # statistics have converged, whose outputs pile up at the edge) runs off the top.
    normalized = (shown - shown.mean(axis=1, keepdims=True)) / np.sqrt(shown.var(axis=1, keepdims=True) + EPS)
    ax_out.set_ylim(0.0, 1.1 * _counts(0.5 * normalized.ravel(), _AFTER_RANGE).max())
    target = ax_out.axvline(0.0, color="black", linestyle=":", linewidth=1.2, label=r"$\beta$ (target mean)")
    ax_out.set_xlim(*_AFTER_RANGE)
    ax_out.set_xlabel(r"output $y = \gamma\,\hat{x} + \beta$")
    ax_out.legend(loc="upper right", fontsize="x-small")

    k_all = np.arange(MAX_STEPS + 1)
    (run_mean,) = ax_run.plot(k_all, k_all, color=COLORS["vermillion"], label="running_mean")
    (run_var,) = ax_run.plot(k_all, k_all, color=COLORS["green"], label="running_var")
    population_mean = ax_run.axhline(POPULATION_MEAN, color=COLORS["vermillion"], linestyle=":", linewidth=1.0)
    population_var = ax_run.axhline(POPULATION_VAR, color=COLORS["green"], linestyle=":", linewidth=1.0)
    now = ax_run.axvline(0.0, color="0.4", linewidth=1.0)
    (now_markers,) = ax_run.plot([0, 0], [0, 0], "o", color="black", markersize=5)
    ax_run.set_xlim(0, MAX_STEPS)
    ax_run.set_ylim(-0.3, 1.25 * max(POPULATION_MEAN, POPULATION_VAR))
    ax_run.set_xlabel("training batches seen k")
    ax_run.set_title("running statistics\n(dotted: population)", fontsize="small")
    ax_run.legend(loc="lower right", fontsize="x-small")

    artists = {"before": before, "after": after, "mean_used": mean_used, "target": target,
               "running_mean": run_mean, "running_var": run_var, "population_mean": population_mean,
               "population_var": population_var, "now": now, "now_markers": now_markers}
    results = {}
    controls = {
        "mode": widgets.ToggleButtons(options=[("train (batch stats)", "train"), ("eval (running stats)", "eval")],
                                      value=mode, description="mode"),
        "momentum": widgets.FloatSlider(value=momentum, min=0.0, max=1.0, step=0.01, description="momentum"),
        "steps": widgets.IntSlider(value=steps, min=0, max=MAX_STEPS, description="steps k"),
        "gamma": widgets.FloatSlider(value=gamma, min=0.1, max=3.0, step=0.05, description="γ"),
        "beta": widgets.FloatSlider(value=beta, min=-3.0, max=3.0, step=0.05, description="β"),
    }
    cache = {"momentum": None}

    def update(values):
        m, k = values["momentum"], values["steps"]
        g, b = np.array([values["gamma"]]), np.array([values["beta"]])
        if cache["momentum"] != m:
            cache["means"], cache["vars"] = running_statistics(training, m)
            cache["momentum"] = m
        means, variances = cache["means"], cache["vars"]
        rm, rv = np.array([means[k]]), np.array([variances[k]])

        if values["mode"] == "train":
            # every shown batch normalized with its own statistics (scratch running arrays: nothing is updated)
            out = np.concatenate([batchnorm_forward(batch, g, b, np.zeros(1), np.ones(1), train=True, eps=EPS)[0]
                                  for batch in shown])
            subtracted = float(shown.mean(axis=1).mean())
            used = f"each batch's own μ<sub>B</sub> (they average {subtracted:.3g})"
        else:
            out, _ = batchnorm_forward(x, g, b, rm, rv, train=False, eps=EPS)
            subtracted = float(rm[0])
            used = f"running_mean = {subtracted:.3g}"
        results.update(x=x, out=out, running_mean=float(rm[0]), running_var=float(rv[0]))

        after.set_data(_counts(out[:, 0], _AFTER_RANGE))
        mean_used.set_xdata([subtracted, subtracted])
        target.set_xdata([b[0], b[0]])
        run_mean.set_ydata(means)
        run_var.set_ydata(variances)
        now.set_xdata([k, k])
        now_markers.set_data([k, k], [means[k], variances[k]])
        ax_out.set_title(f"after ({values['mode']}):\nmean {out.mean():+.3f}, std {out.std():.3f}",
                         fontsize="small")
        weight = (1.0 - m) ** k
        return (f"subtracted: {used} · after k = {k} batches running_mean = {rm[0]:.3f} (population "
                f"{POPULATION_MEAN:g}), running_var = {rv[0]:.3f} (population {POPULATION_VAR:g}); the start "
                f"(0 and 1) still weighs (1 − momentum)<sup>k</sup> = {weight:.3g}")

    # The input histogram and the population lines never change: they stay in the cached picture.
    static = (before, population_mean, population_var)
    app = Explorer(QUESTION, controls, fig, artists, update,
                   animated=lambda: [a for a in artists.values() if a not in static])
    app.results = results
    return app
