"""EMA explorer: how beta trades smoothness for lag, and why the uncorrected average starts too low.

Lecture notation (deck 000), theta_t the t-th measurement:

    v_0 = 0,   v_t = beta * v_{t-1} + (1 - beta) * theta_t,   v_hat_t = v_t / (1 - beta**t)   (bias-corrected)

The weights of theta_1..theta_t in v_t sum to 1 - beta**t, not 1, so v_t starts near 0 and reaches only about
1 - 1/e = 63 % of the signal's level after one averaging window 1 / (1 - beta); dividing by 1 - beta**t fixes that.
A larger beta averages over a longer window: a smoother line that lags further behind the signal.

The figure shows one fixed noisy signal (seeded, so every student sees the same one), the raw measurements, both
averages (`course_lib.ema.ema` with and without correction; the checkbox chooses which one is drawn bold), and the
first averaging window t = 1 .. 1/(1 - beta) shaded, with a vertical line at its end.
"""
import numpy as np
import ipywidgets as widgets

from course_lib import _validate, ema as ema_lib
from course_lib.plots import COLORS
from course_lib.widgets._explorer import Explorer, make_figure, steady_legend

__all__ = ["ema_explorer", "QUESTION", "BETAS", "noisy_signal"]

QUESTION = ("How does β trade smoothness for lag, and why does the average start too low without bias "
            "correction?")

# The beta slider's stops: 1 - beta (the inverse window) runs from 0.5 down to 0.001 in roughly even steps on a
# log scale, and the lecture's 0.9, 0.99 and 0.999 are among them.
BETAS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.985, 0.99, 0.993, 0.995, 0.997, 0.998, 0.9985,
         0.999)


def noisy_signal(steps=250, seed=0):
    """The explorer's measurements theta_1..theta_steps, float64 of shape (steps,).

    A level of 10 with a slow swing (amplitude 4, period 150 steps) plus Gaussian noise of standard deviation 1.5,
    from `np.random.default_rng(seed)`. The level is far from 0 on purpose: that is what makes the uncorrected
    average's start (v_1 = (1 - beta) theta_1) visibly too low.
    """
    steps = _validate.scalar(steps, "steps", low=2, integer=True)
    seed = _validate.scalar(seed, "seed", low=0, integer=True)
    t = np.arange(1, steps + 1, dtype=np.float64)
    rng = np.random.default_rng(seed)
    return 10.0 + 4.0 * np.sin(2.0 * np.pi * t / 150.0) + 1.5 * rng.standard_normal(steps)


def _beta_slider(beta):
    stops = sorted(set(BETAS) | {beta})  # a beta off the list is added, so the start value is exact
    return widgets.SelectionSlider(options=[(f"{b:g}", b) for b in stops], value=beta, description="β",
                                   continuous_update=True)


def ema_explorer(beta=0.9, bias_correction=True, *, steps=250, seed=0):
    """Explore the exponential moving average of a noisy signal; returns an `Explorer`.

    Parameters
    ----------
    beta : float in [0.5, 0.999], the decay rate to start with (the slider steps through `BETAS`).
    bias_correction : bool, whether the corrected average v_hat_t is the one drawn bold at the start.
    steps : int, length T of the signal; seed : int, the noise seed.

    Controls: "beta" (slider), "bias_correction" (checkbox). Artists: "raw" (the measurements, a Line2D of markers),
    "corrected" (v_hat_t) and "uncorrected" (v_t) lines, each of length T with x = t = 1..T, "window_line" (vertical
    line at t = 1/(1 - beta)) and "window_span" (the shaded first window, a Rectangle).
    """
    beta = _validate.scalar(beta, "beta", low=0.5, high=0.999)
    if not isinstance(bias_correction, (bool, np.bool_)):
        raise TypeError(f"bias_correction must be True or False, got {type(bias_correction).__name__}")
    signal = noisy_signal(steps, seed)
    t = np.arange(1, signal.shape[0] + 1, dtype=np.float64)

    fig, ax = make_figure(figsize=(7.0, 3.6))
    (raw,) = ax.plot(t, signal, "o", color="0.6", markersize=2.5, label=r"measurements $\theta_t$")
    (corrected,) = ax.plot(t, signal, color=COLORS["blue"], label=r"corrected $\hat v_t = v_t / (1-\beta^t)$")
    (uncorrected,) = ax.plot(t, signal, color=COLORS["vermillion"], label=r"uncorrected $v_t$")
    window_span = ax.axvspan(0.0, 1.0, color=COLORS["orange"], alpha=0.15, linewidth=0, zorder=0)
    window_line = ax.axvline(1.0, color=COLORS["orange"], linestyle=":", linewidth=1.5,
                             label=r"window $1/(1-\beta)$")
    pad = 0.05 * (signal.max() - min(signal.min(), 0.0))
    ax.set_xlim(0.0, t[-1] + 1.0)
    ax.set_ylim(min(signal.min(), 0.0) - pad, signal.max() + pad)
    ax.set_xlabel("step t")
    ax.set_ylabel("value")
    artists = {"raw": raw, "corrected": corrected, "uncorrected": uncorrected, "window_line": window_line,
               "window_span": window_span}

    controls = {
        "beta": _beta_slider(beta),
        "bias_correction": widgets.Checkbox(value=bool(bias_correction), description="bias correction (bold)"),
    }

    def update(values):
        b = values["beta"]
        corrected.set_ydata(ema_lib.ema(signal, b, bias_correction=True))
        uncorrected.set_ydata(ema_lib.ema(signal, b, bias_correction=False))
        # The chosen average is bold; the other stays visible, faded, for comparison.
        bold, faint = (corrected, uncorrected) if values["bias_correction"] else (uncorrected, corrected)
        bold.set(linewidth=2.2, alpha=1.0, linestyle="-", zorder=3)
        faint.set(linewidth=1.0, alpha=0.6, linestyle="--", zorder=2)
        steady_legend(ax, loc="lower right", fontsize="small")  # made again when the line styles change

        n = ema_lib.window(b)
        window_line.set_xdata([n, n])
        window_span.set_x(0.0)
        window_span.set_width(min(n, t[-1] + 1.0))
        t_window = max(1, int(round(n)))
        weight_sum = ema_lib.coefficient_sum(b, t_window)
        beyond = " (longer than the signal)" if n > t[-1] else ""
        return (f"window 1/(1−β) = {n:.4g} steps{beyond} · at t = {t_window} the weights sum to "
                f"1 − β<sup>t</sup> = {weight_sum:.3f}, so v<sub>t</sub> is only {100 * weight_sum:.0f} % of the "
                f"level there; v̂<sub>t</sub> divides by it · first step: v<sub>1</sub> = "
                f"{(1 - b) * signal[0]:.3g}, v̂<sub>1</sub> = θ<sub>1</sub> = {signal[0]:.3g}")

    return Explorer(QUESTION, controls, fig, artists, update)
