"""Schedule explorer: how a learning-rate schedule moves the rate, and what that does to the loss (decks 000, 002).

Gradient descent with a schedule (deck 000), epochs counted from 0 as in `course_lib.schedules`:

    for epoch e = 0, 1, ..., E - 1:
        alpha_e = schedule(e)
        theta <- theta - alpha_e * v      (one full-batch step per epoch, v the momentum average below)

Left: alpha_e against e for the chosen schedule (from `course_lib.schedules.SCHEDULES`) and, dashed, the constant
rate alpha_0 it starts from, both divided by the schedule's largest rate max_e alpha_e (written in the panel's title):
the shape of the schedule, on an axis that never moves. Right: the training cost after each epoch of a small network trained under each of the
two (`course_lib.train.fit`), so the effect of the decay can be read off directly.

The network and the run are fixed and small so that a slider move retrains within a blink: a 2-16-3 ReLU MLP (He
initialization, seed 0) on a 150-point, 3-arm spiral (`make_spiral(150, 3, seed=0)`), full batch, momentum in the
lecture's EMA notation (`optim.Momentum`, beta = 0.9):

    v <- beta v + (1 - beta) g,     theta <- theta - alpha_e v

which is PyTorch's ``SGD(lr=alpha_e (1 - beta), momentum=beta)``: the starting rate alpha_0 = 25 here is PyTorch's
lr = 2.5. At that rate the constant schedule makes fast progress, then the cost jumps up around epoch 30 and the run
never recovers; the decays keep it stable and end with a much lower cost. Schedules that go back up (warm restarts,
cyclic) show the jump again at each restart. A decay that is too fast (exponential with a small gamma) stops
learning early: its rates sum to a finite number, the Robbins-Monro condition sum alpha_e = inf fails.

Each schedule's parameters are sliders named as in its class (``lr0``, ``drop``, ``every``, ``gamma``, ``T_max``,
...); only the chosen schedule's sliders are shown. Two exceptions: `Linear`'s ``epochs`` (N_e) is the control
``decay_epochs`` (``epochs`` is the length of the run), and `OneCycle`'s ``total_steps`` is always the run's length.
``milestones`` (MultiStep) is a text box, e.g. ``15, 30, 45``.
"""
import math

import ipywidgets as widgets
import numpy as np

from course_lib import _validate, optim, schedules
from course_lib.data import make_spiral
from course_lib.model import MLP
from course_lib.plots import COLORS
from course_lib.train import fit
from course_lib.widgets._explorer import Explorer, make_figure

__all__ = ["schedule_explorer", "QUESTION", "SUGGESTED", "train_under", "make_schedule"]

QUESTION = "How does this schedule move the learning rate, and what does that do to the loss?"

BETA = 0.9  # momentum's averaging rate in the runs

# The values each schedule starts from when it is chosen: chosen for a 60-epoch run of the network above (the
# SCHEDULES classes' own defaults are for 100 epochs and a smaller rate).
SUGGESTED = {
    "constant": {"lr0": 25.0},
    "step": {"lr0": 25.0, "drop": 0.5, "every": 15},
    "multistep": {"lr0": 25.0, "milestones": (20, 40), "gamma": 0.3},
    "exponential": {"lr0": 25.0, "gamma": 0.95},
    "inverse_time": {"lr0": 25.0, "decay": 0.1},
    "inverse_sqrt": {"lr0": 25.0, "k": 1.0},
    "linear": {"lr0": 25.0, "lr_final": 0.2, "epochs": 60},
    "cosine": {"lr0": 25.0, "T_max": 60, "lr_min": 0.0},
    "cosine_warm_restarts": {"lr0": 25.0, "T_0": 10, "T_mult": 2, "lr_min": 0.0},
    "cyclic": {"base_lr": 1.0, "max_lr": 20.0, "step_size": 10},
    "one_cycle": {"max_lr": 25.0, "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4},
    "keras_step_drop": {"lr0": 25.0, "drop": 0.5, "epochs_drop": 15},
    "keras_constant_then_exponential": {"lr0": 25.0, "constant_epochs": 10, "k": 0.1},
}

# Control name of a schedule parameter where it differs from the parameter's own name.
_CONTROL_NAME = {"epochs": "decay_epochs"}
# Parameters that are not sliders: they are the length of the run.
_TIED_TO_RUN = {"one_cycle": "total_steps"}
_EPOCH_RANGE = (10, 200)
# The axes' limits never change (a changed limit redraws the whole figure, 60-200 ms): the epoch axes end at the
# longest run (a shorter run simply ends earlier), the rate axis shows alpha_e / max alpha in [0, 1.05], and the cost
# axis is fixed (the cost starts near ln 3 = 1.1; the spikes of a rate too large run off the top, as a divergence
# does).
_RATE_TOP = 1.05
_COST_TOP = 2.5


def _parameter_controls():
    """One control per parameter name used by any schedule (shared where two schedules use the same name). The
    ranges keep every pair that a schedule constrains valid: lr_min <= 0.1 <= lr0, base_lr <= 1 <= max_lr."""
    def log(description, low, high):
        return widgets.FloatLogSlider(base=10, min=math.log10(low), max=math.log10(high), step=0.01,
                                      description=description, readout_format=".3g")

    def linear(description, low, high, step):
        return widgets.FloatSlider(min=low, max=high, step=step, description=description, readout_format=".3g")

    def whole(description, low, high):
        return widgets.IntSlider(min=low, max=high, description=description)

    return {
        "lr0": log("α₀ (lr0)", 0.1, 100.0),
        "drop": linear("drop", 0.05, 1.0, 0.05),
        "every": whole("every", 1, 50),
        "milestones": widgets.Text(description="milestones", continuous_update=False),
        "gamma": linear("γ (gamma)", 0.01, 1.0, 0.01),
        "decay": log("δ (decay)", 1e-3, 10.0),
        "k": linear("k", 0.01, 2.0, 0.01),
        "lr_final": linear("α_f (lr_final)", 0.0, 5.0, 0.05),
        "decay_epochs": whole("N_e (epochs)", 1, 200),
        "T_max": whole("T_max", 1, 200),
        "lr_min": linear("α_min (lr_min)", 0.0, 0.1, 0.001),
        "T_0": whole("T_0", 1, 100),
        "T_mult": whole("T_mult", 1, 4),
        "base_lr": log("base_lr", 0.01, 1.0),
        "max_lr": log("max_lr", 1.0, 100.0),
        "step_size": whole("step_size", 1, 50),
        "pct_start": linear("pct_start", 0.15, 0.9, 0.05),
        "div_factor": log("div_factor", 1.0, 1e3),
        "final_div_factor": log("final_div_factor", 1.0, 1e5),
        "epochs_drop": whole("epochs_drop", 1, 50),
        "constant_epochs": whole("constant_epochs", 0, 100),
    }


def _bounds(slider):
    """(low, high) of a slider's values; a log slider stores the exponents (rounding is forgiven)."""
    if isinstance(slider, widgets.FloatLogSlider):
        return slider.base ** slider.min * (1 - 1e-12), slider.base ** slider.max * (1 + 1e-12)
    return slider.min, slider.max


def _slider_parameters(name):
    """The parameters of schedule `name` that have a control, in the class's order."""
    return [p for p in schedules.SCHEDULES[name].defaults if p != _TIED_TO_RUN.get(name)]


def _parse_milestones(text):
    if not isinstance(text, str):
        return tuple(text)
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise ValueError(f"milestones must be whole epochs separated by commas, like '15, 30, 45'; got {text!r}") \
            from None


def make_schedule(name, run_length, **params):
    """The schedule `name` with `params` (its class's parameter names), as the explorer builds it for a run of
    `run_length` epochs: OneCycle's total_steps is `run_length`; milestones may be given as text ("15, 30, 45")."""
    _validate.one_of(name, "schedule", tuple(schedules.SCHEDULES))
    params = dict(params)
    if "milestones" in params:
        params["milestones"] = _parse_milestones(params["milestones"])
    tied = _TIED_TO_RUN.get(name)
    if tied is not None:
        params[tied] = run_length
    return schedules.SCHEDULES[name](**params)


_DATA = {}


def _spiral():
    if "spiral" not in _DATA:
        _DATA["spiral"] = make_spiral(150, 3, seed=0)
    return _DATA["spiral"]


def train_under(schedule, epochs):
    """Train the explorer's network (see the module text) for `epochs` full-batch epochs under `schedule`;
    returns the `History`. Same schedule, same numbers: everything is seeded."""
    X, y = _spiral()
    model = MLP([2, 16, 3], activation="relu", init="he", seed=0)
    optimizer = optim.Momentum(model.params, lr=schedule(0), beta=BETA)
    return fit(model, optimizer, X, y, epochs=epochs, schedule=schedule, progress=False)


def _resolve(name, epochs, params):
    _validate.one_of(name, "schedule", tuple(schedules.SCHEDULES))
    epochs = _validate.scalar(epochs, "epochs", low=_EPOCH_RANGE[0], high=_EPOCH_RANGE[1], integer=True)
    start = dict(SUGGESTED[name])
    allowed = _slider_parameters(name)
    for key, value in params.items():
        key = "epochs" if name == "linear" and key == "decay_epochs" else key
        if key not in allowed:
            listed = ", ".join(allowed)
            raise TypeError(f"schedule {name!r} has no parameter {key!r} with a slider; its parameters: {listed}")
        start[key] = value
    make_schedule(name, epochs, **start)  # the schedule's own checks, with its own messages
    return epochs, start


def schedule_explorer(name="step", epochs=60, **params):
    """Explore a learning-rate schedule and its effect on training; returns an `Explorer`.

    Parameters
    ----------
    name : a key of `course_lib.schedules.SCHEDULES` ("step", "cosine", "exponential", ...).
    epochs : int in [10, 200], the length E of the run.
    **params : the schedule's parameters to start from (its class's names; the rest come from `SUGGESTED`).

    Controls: "schedule" (dropdown), "epochs", and one control per schedule parameter (see the module text; those
    of other schedules are hidden). Artists: "lr" (alpha_e / max_e alpha_e against e = 0..E-1, drawn as steps),
    "lr_constant" (the constant alpha_0 = schedule(0), divided by the same max), "loss" and "loss_constant" (training cost after each epoch under the schedule
    and under the constant rate; shorter than E if a run diverged). `app.results` holds the last runs: "schedule"
    (the object), "history" and "history_constant" (`train.History`), "peak" (max_e alpha_e, the rate axis's unit).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a schedule name like 'step', got {type(name).__name__}")
    epochs, start = _resolve(name, epochs, params)

    fig, (ax_lr, ax_loss) = make_figure(1, 2, figsize=(10.0, 3.8))
    (lr_constant,) = ax_lr.plot([0], [1.0], linestyle="--", color="0.55", drawstyle="steps-post",
                                label=r"constant $\alpha_0$")
    (lr_line,) = ax_lr.plot([0], [1.0], color=COLORS["blue"], drawstyle="steps-post", linewidth=2.0,
                            label="schedule")
    ax_lr.set_xlabel("epoch e")
    ax_lr.set_ylabel(r"learning rate $\alpha_e$ / max $\alpha$")
    ax_lr.set_ylim(0.0, _RATE_TOP)
    ax_lr.legend(loc="upper right", fontsize="small")  # the runs of 60 epochs leave the right empty
    (loss_constant,) = ax_loss.plot([0], [1.0], linestyle="--", color="0.55", label=r"constant $\alpha_0$")
    (loss_line,) = ax_loss.plot([0], [1.0], color=COLORS["vermillion"], linewidth=2.0, label="schedule")
    ax_loss.set_xlabel("epoch e")
    ax_loss.set_ylabel("training cost after the epoch")
    ax_loss.legend(loc="upper right", fontsize="small")
    ax_loss.set_ylim(0.0, _COST_TOP)
    for ax in (ax_lr, ax_loss):
        ax.set_xlim(0, _EPOCH_RANGE[1])
    artists = {"lr": lr_line, "lr_constant": lr_constant, "loss": loss_line, "loss_constant": loss_constant}

    parameter_controls = _parameter_controls()
    controls = {
        "schedule": widgets.Dropdown(options=list(schedules.SCHEDULES), value=name, description="schedule"),
        "epochs": widgets.IntSlider(value=epochs, min=_EPOCH_RANGE[0], max=_EPOCH_RANGE[1], description="epochs"),
        **parameter_controls,
    }

    def load(schedule_name, values):
        """Show the sliders of `schedule_name` and set them to `values` (parameter name -> value)."""
        shown = {_CONTROL_NAME.get(p, p) for p in _slider_parameters(schedule_name)}
        for key, control in parameter_controls.items():
            control.layout.display = None if key in shown else "none"
        for param, value in values.items():
            control = parameter_controls[_CONTROL_NAME.get(param, param)]
            if param == "milestones":
                control.value = ", ".join(str(m) for m in _parse_milestones(value))
                continue
            low, high = _bounds(control)
            if not low <= value <= high:  # a slider would silently clamp it
                raise ValueError(f"{param} must lie in [{low:g}, {high:g}] (the slider's range), got {value}")
            control.value = value

    load(name, start)
    state = {"name": name, "key": None, "status": ""}
    results = {}

    def update(values):
        chosen = values["schedule"]
        if chosen != state["name"]:
            # A new schedule: its sliders, at its suggested values. Setting them makes the Explorer run one more
            # update with the new values, which finds the same key below and does not train again.
            state["name"] = chosen
            load(chosen, SUGGESTED[chosen])
            values = {key: control.value for key, control in controls.items()}
        n_epochs = values["epochs"]
        params = {p: values[_CONTROL_NAME.get(p, p)] for p in _slider_parameters(chosen)}
        schedule = make_schedule(chosen, n_epochs, **params)
        key = (chosen, repr(schedule), n_epochs)
        if key == state["key"]:
            return state["status"]

        e = np.arange(n_epochs)
        rates = np.array([schedule(int(k)) for k in e])
        history = train_under(schedule, n_epochs)
        baseline_key = (float(rates[0]), n_epochs)
        if state.get("baseline_key") != baseline_key:  # most slider moves leave the baseline as it was
            state["baseline"] = train_under(schedules.Constant(rates[0]), n_epochs)
            state["baseline_key"] = baseline_key
        history_constant = state["baseline"]
        results.update(schedule=schedule, history=history, history_constant=history_constant)

        peak = float(rates.max())
        scale = peak if peak > 0.0 else 1.0
        lr_line.set_data(e, rates / scale)
        lr_constant.set_data(e, np.full(n_epochs, rates[0] / scale))
        ax_lr.set_title(f"largest rate max α = {peak:.3g}", fontsize="medium")  # (titles are drawn as they change)
        results["peak"] = peak
        loss_line.set_data(np.arange(history.epochs_run), history.cost)
        loss_constant.set_data(np.arange(history_constant.epochs_run), history_constant.cost)

        def outcome(h):
            if h.epochs_run < n_epochs:
                return f"diverged at epoch {h.epochs_run}"
            return f"final cost {h.cost[-1]:.3f}, accuracy {h.accuracy[-1]:.0%}"

        state["key"] = key
        state["status"] = (f"<b>{chosen}</b>: α from {rates[0]:.3g} to {rates[-1]:.3g}, Σα<sub>e</sub> = "
                           f"{rates.sum():.4g} · schedule: {outcome(history)} · constant α₀: "
                           f"{outcome(history_constant)}")
        return state["status"]

    app = Explorer(QUESTION, controls, fig, artists, update)
    app.results = results
    return app
