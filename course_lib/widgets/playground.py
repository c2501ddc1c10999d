"""Training playground: how architecture and optimizer choices change what a network learns (all decks).

Every change of a control trains a fresh network from scratch with `course_lib.train.fit`: an MLP
``MLP([2, *hidden, C], activation, batchnorm=..., dropout=p, seed=seed)`` (He initialization, softmax output with
cross-entropy cost, C classes) on a 2-D toy set, optimizer ``make_optimizer(name, model.params, lr=lr)``,
``fit(model, optimizer, X, y, epochs, batch_size, seed=seed, progress=False)``: mini-batch gradient descent with
`batch_size` examples per step ("all": batch gradient descent, one step per epoch). Everything is seeded, so the
same settings always give the same network.

Left: the decision boundary, the class `model.predict` gives every point of a 100 x 100 grid around the data
(`plots.plot_decision_boundary`, then `plots.update_decision_boundary` as training goes on), with the data on top.
Middle and right: the training cost and accuracy after each epoch (evaluation mode: no dropout, batch norm's running
statistics).

Training runs in a background thread, so the notebook stays responsive: a new change cancels the run in progress at
its next epoch and starts another (the latest settings win; nothing queues up). The move itself shows the new
network before training (the initial weights' boundary, no curves yet: training starts from scratch), so the screen
answers at once; the run's thread draws the trained network when it ends. A run that lasts longer than 0.1 s
shows what it has then (so a move changes the picture soon, however long the run), then redraws the curves and the
boundary about three times a second and shows its progress in the status line. `app.wait()` blocks until the
current run has finished (tests, scripts); `app.results` then holds its "model", "history" and "seconds".

The data sets (`course_lib.data`, seeded with `seed`): "spiral" (300 points, 3 arms), "moons", "circles" and "xor"
(200 points, 2 classes each).
"""
import math
import threading
import time

import ipywidgets as widgets
import numpy as np

from course_lib import _validate, optim
from course_lib.data import make_circles, make_moons, make_spiral, make_xor
from course_lib.model import MLP
from course_lib.plots import COLORS, plot_decision_boundary, update_decision_boundary
from course_lib.train import fit
from course_lib.widgets._coarse import decades, set_limits
from course_lib.widgets._explorer import Explorer, make_figure

__all__ = ["training_playground", "QUESTION", "DATASETS", "ACTIVATIONS", "BATCH_SIZES", "parse_hidden",
           "build_model"]

QUESTION = "How do architecture and optimizer choices change what a network learns?"

DATASETS = {
    "spiral": lambda seed: make_spiral(300, 3, seed=seed),
    "moons": lambda seed: make_moons(200, seed=seed),
    "circles": lambda seed: make_circles(200, seed=seed),
    "xor": lambda seed: make_xor(200, seed=seed),
}
ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid")
BATCH_SIZES = (("1", 1), ("8", 8), ("16", 16), ("32", 32), ("64", 64), ("128", 128), ("all", 0))  # 0: batch GD
RESOLUTION = 60  # decision-boundary grid points per side: 3.6k predictions per redraw (10k at 100: 5x the time)
_MAX_LAYERS, _MAX_WIDTH = 6, 512
_LR_RANGE = (1e-4, 3.0)
_EPOCH_RANGE = (1, 1000)
_REDRAW_EVERY = 0.3  # seconds between redraws of a long run
# A run still going after this many seconds shows what it has (a move's answer starts there); a shorter one is drawn
# once, when it ends. (Drawing while the run goes on costs more than the draw: measured in the browser, a redraw
# after the first epoch of a 50-epoch run reached the screen later than the finished run's.)
_FIRST_DRAW = 0.1
_THREAD = "training-playground"  # the name of the runs' threads
# The curves' limits hardly ever move (a changed limit redraws the whole figure): the epoch axis is logarithmic from
# 1 to the slider's 1000 whatever the run's length (a shorter run simply ends earlier, and the first epochs, where
# most happens, keep their room); the cost axis spans whole decades: from 1e-3 (until a cost falls below that; then
# in steps of three decades) to 10 (the costs start near ln C; only a diverging run goes higher).


def parse_hidden(hidden):
    """Hidden widths from text like "64, 64" (or a sequence of ints): a tuple of ints, () for no hidden layer."""
    if isinstance(hidden, str):
        parts = [part.strip() for part in hidden.replace(";", ",").split(",")]
        parts = [part for part in parts if part and part.lower() != "none"]
        try:
            widths = tuple(int(part) for part in parts)
        except ValueError:
            raise ValueError(f"hidden must list whole layer widths separated by commas, like '64, 64'; got "
                             f"{hidden!r}") from None
    elif isinstance(hidden, (list, tuple)):
        widths = tuple(_validate.scalar(w, f"hidden[{i}]", integer=True) for i, w in enumerate(hidden))
    else:
        raise TypeError(f"hidden must be text like '64, 64' or a list of widths, got {type(hidden).__name__}")
    if len(widths) > _MAX_LAYERS:
        raise ValueError(f"hidden may have at most {_MAX_LAYERS} layers here, got {len(widths)}")
    for i, width in enumerate(widths):
        if not 1 <= width <= _MAX_WIDTH:
            raise ValueError(f"hidden layer {i + 1} must have 1 to {_MAX_WIDTH} units, got {width}")
    return widths


def build_model(settings, n_classes):
    """The untrained network for `settings` (a dict as the playground's controls give it, hidden parsed)."""
    return MLP([2, *settings["hidden"], n_classes], activation=settings["activation"],
               batchnorm=settings["batchnorm"], dropout=settings["dropout"], seed=settings["seed"])


class _Run:
    """One training run in its own thread: its settings, a cancel flag, and what it has to show so far."""

    def __init__(self, settings):
        self.settings = settings
        self.cancel = threading.Event()
        self.thread = None
        self.snapshot = None  # dict: epoch, cost, accuracy, model, done, history, seconds
        self.model = None  # the network, built (and drawn untrained) by the update that made the run
        self.error = None


def training_playground(dataset="spiral", hidden="64,64", activation="relu", optimizer="adam", lr=0.01,
                        batch_size=64, dropout=0.0, batchnorm=False, epochs=50, *, seed=0):
    """Train a small network on a 2-D data set and watch its decision boundary; returns an `Explorer`.

    Parameters
    ----------
    dataset : "spiral", "moons", "circles" or "xor".
    hidden : hidden widths, text like "64,64" ("" for none) or a list of ints (at most 6 layers of 1..512).
    activation : one of `ACTIVATIONS`.   optimizer : a name in `course_lib.optim.OPTIMIZERS`.
    lr : float in [1e-4, 3], the learning rate (log slider).
    batch_size : 1, 8, 16, 32, 64, 128 or 0 / None for the whole set (batch gradient descent).
    dropout : float in [0, 0.8], the probability of dropping a hidden unit in training (inverted dropout).
    batchnorm : batch norm after every hidden dense layer, before its activation.
    epochs : int in [1, 1000].   seed : int, seeds the data, the initial weights, the shuffling and the masks.

    Controls: "dataset", "hidden" (text), "activation", "optimizer", "lr", "batch_size", "dropout", "batchnorm",
    "epochs". Artists: "image" and "scatter" (the decision boundary and the data; re-created when the data set
    changes), "cost" and "accuracy" (per-epoch lines). `app.wait(timeout=None)` waits for the current run (True
    when it has finished); `app.results` holds the finished run's "model", "history", "seconds" and "settings".
    """
    _validate.one_of(dataset, "dataset", tuple(DATASETS))
    hidden_text = ", ".join(str(w) for w in parse_hidden(hidden))
    _validate.one_of(activation, "activation", ACTIVATIONS)
    if not isinstance(optimizer, str):
        raise TypeError(f"optimizer must be a name like 'adam', got {type(optimizer).__name__}")
    _validate.one_of(optimizer, "optimizer", tuple(optim.OPTIMIZERS))
    lr = _validate.scalar(lr, "lr", low=_LR_RANGE[0], high=_LR_RANGE[1])
    batch_size = 0 if batch_size is None else batch_size
    _validate.one_of(batch_size, "batch_size", tuple(size for _, size in BATCH_SIZES))
    dropout = _validate.scalar(dropout, "dropout", low=0.0, high=0.8)
    if not isinstance(batchnorm, (bool, np.bool_)):
        raise TypeError(f"batchnorm must be True or False, got {type(batchnorm).__name__}")
    epochs = _validate.scalar(epochs, "epochs", low=_EPOCH_RANGE[0], high=_EPOCH_RANGE[1], integer=True)
    seed = _validate.scalar(seed, "seed", low=0, integer=True)
    data = {}

    def dataset_of(name):
        if name not in data:
            data[name] = DATASETS[name](seed)
        return data[name]

    controls = {
        "dataset": widgets.Dropdown(options=list(DATASETS), value=dataset, description="data"),
        "hidden": widgets.Text(value=hidden_text, description="hidden", continuous_update=False,
                               placeholder="e.g. 64, 64"),
        "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation"),
        "optimizer": widgets.Dropdown(options=list(optim.OPTIMIZERS), value=optimizer, description="optimizer"),
        "lr": widgets.FloatLogSlider(value=lr, base=10, min=math.log10(_LR_RANGE[0]), max=math.log10(_LR_RANGE[1]),
                                     step=0.05, description="lr", readout_format=".3g"),
        "batch_size": widgets.SelectionSlider(options=list(BATCH_SIZES), value=batch_size, description="batch"),
        "dropout": widgets.FloatSlider(value=dropout, min=0.0, max=0.8, step=0.05, description="dropout p"),
        "batchnorm": widgets.Checkbox(value=bool(batchnorm), description="batch norm"),
        "epochs": widgets.IntSlider(value=epochs, min=_EPOCH_RANGE[0], max=_EPOCH_RANGE[1],
                                    description="epochs", continuous_update=False),
    }

    def settings_of(values):
        """The run's settings from the controls' values (raises for bad hidden text)."""
        return {"dataset": values["dataset"], "hidden": parse_hidden(values["hidden"]),
                "activation": values["activation"], "optimizer": values["optimizer"], "lr": values["lr"],
                "batch_size": values["batch_size"], "dropout": values["dropout"],
                "batchnorm": bool(values["batchnorm"]), "epochs": values["epochs"], "seed": seed}

    # ---- the figure -------------------------------------------------------------------------------------------
    fig, (ax_db, ax_cost, ax_acc) = make_figure(1, 3, figsize=(13.0, 3.9))
    first = settings_of({key: control.value for key, control in controls.items()})
    X0, y0 = dataset_of(dataset)
    _, _, image, scatter = plot_decision_boundary(build_model(first, int(y0.max()) + 1), X0, y0, ax=ax_db,
                                                  resolution=RESOLUTION)
    (cost_line,) = ax_cost.plot([], [], color=COLORS["vermillion"], marker=".", markersize=3)
    ax_cost.set_yscale("log")
    for ax in (ax_cost, ax_acc):
        ax.set_xscale("log")
        ax.set_xlim(1, _EPOCH_RANGE[1])
        ax.set_xticks([1, 10, 100, 1000], labels=["1", "10", "100", "1000"])
    ax_cost.set_xlabel("epoch")
    ax_cost.set_ylabel("training cost")
    (acc_line,) = ax_acc.plot([], [], color=COLORS["blue"], marker=".", markersize=3)
    ax_acc.set_ylim(0.0, 1.02)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("training accuracy")
    artists = {"image": image, "scatter": scatter, "cost": cost_line, "accuracy": acc_line}
    results = {}
    state = {"run": None, "app": None, "shown_dataset": dataset}
    lock = threading.RLock()

    # ---- training, in a worker thread ---------------------------------------------------------------------------
    def publish(run):
        """Let the Explorer redraw (its update draws the current run's snapshot); stale runs stay silent."""
        app = state["app"]
        if app is not None and state["run"] is run:
            app.refresh()

    def train(run):
        settings = run.settings
        start = time.perf_counter()
        try:
            X, y = dataset_of(settings["dataset"])
            model = run.model  # the untrained network the move drew, trained in place from here
            opt = optim.make_optimizer(settings["optimizer"], model.params, lr=settings["lr"])
            last_draw = [time.perf_counter()]

            def watch(epoch, history, model):
                if run.cancel.is_set():
                    return True
                now = time.perf_counter()
                wait = _FIRST_DRAW if run.snapshot is None else _REDRAW_EVERY
                if now - last_draw[0] > wait and epoch + 1 < settings["epochs"]:
                    run.snapshot = {"epoch": epoch + 1, "cost": list(history.cost),
                                    "accuracy": list(history.accuracy), "model": model.copy(), "done": False}
                    publish(run)
                    last_draw[0] = time.perf_counter()
                return False

            history = fit(model, opt, X, y, epochs=settings["epochs"], batch_size=settings["batch_size"] or None,
                          seed=settings["seed"], progress=False, callbacks=[watch])
            if run.cancel.is_set():
                return
            run.snapshot = {"epoch": history.epochs_run, "cost": list(history.cost),
                            "accuracy": list(history.accuracy), "model": model, "done": True, "history": history,
                            "seconds": time.perf_counter() - start}
        except Exception as exc:  # shown in the status line by the next update
            run.error = exc
        publish(run)

    def start(run):
        run.thread = threading.Thread(target=train, args=(run,), daemon=True, name=_THREAD)
        run.thread.start()

    # ---- drawing -------------------------------------------------------------------------------------------------
    def show_dataset(settings):
        """New data: a new boundary image and scatter (for the untrained network) around it."""
        nonlocal image, scatter
        X, y = dataset_of(settings["dataset"])
        image.remove()
        scatter.remove()
        _, _, image, scatter = plot_decision_boundary(build_model(settings, int(y.max()) + 1), X, y, ax=ax_db,
                                                      resolution=RESOLUTION)
        left, right, bottom, top = image.get_extent()
        ax_db.set_xlim(left, right)  # the old image's limits would stay otherwise
        ax_db.set_ylim(bottom, top)
        artists.update(image=image, scatter=scatter)
        state["shown_dataset"] = settings["dataset"]

    def draw_untrained(model):
        """Epoch 0: the initial network's boundary, empty curves (the axes' limits stay as they are)."""
        update_decision_boundary(image, model)
        cost_line.set_data([], [])
        acc_line.set_data([], [])

    def draw(snapshot, n_epochs):
        update_decision_boundary(image, snapshot["model"])
        epochs_done = np.arange(1, len(snapshot["cost"]) + 1)
        cost_line.set_data(epochs_done, snapshot["cost"])
        acc_line.set_data(epochs_done, snapshot["accuracy"])
        costs = np.asarray(snapshot["cost"], dtype=float)
        costs = costs[np.isfinite(costs) & (costs > 0)]
        if costs.size:
            set_limits(ax_cost, *decades(costs.min() / 1.5, max(costs.max() * 1.5, 10.0), every=1, every_low=3))

    def update(values):
        with lock:
            current = state["run"]
            if threading.current_thread().name == _THREAD and current is not None:
                # A run drawing its progress: it shows the current run only. The values it read may be older than
                # the latest move (which has already chosen the run); starting or cancelling runs is the controls'
                # job alone.
                settings = current.settings
            else:
                try:
                    settings = settings_of(values)
                except Exception:
                    if current is not None:
                        current.cancel.set()
                    state["run"] = None
                    raise
            if current is None or current.settings != settings:
                if current is not None:
                    current.cancel.set()
                current = _Run(settings)
                state["run"] = current  # started by the controls' second observer, after this update is shown
                if settings["dataset"] != state["shown_dataset"]:
                    show_dataset(settings)
                # The new run's first picture is its network before training (the boundary of the initial
                # weights, no curves yet): drawn now, in the move's own update, so the move changes the screen at
                # once; the trained picture follows from the worker. (Waiting for the run put its training time
                # and a thread hop between the input and the first new pixel: ~120 ms in the browser.)
                X, y = dataset_of(settings["dataset"])
                current.model = build_model(settings, int(y.max()) + 1)
                draw_untrained(current.model)
            if current.error is not None:
                raise current.error
            snapshot = current.snapshot
            n_epochs = settings["epochs"]
            if snapshot is None:
                return f"training… 0 of {n_epochs} epochs (the untrained network)"
            draw(snapshot, n_epochs)
            done = (f"cost {snapshot['cost'][-1]:.3g}, training accuracy {snapshot['accuracy'][-1]:.1%}"
                    if snapshot["cost"] else "no epoch completed")
            if not snapshot["done"]:
                return f"training… {snapshot['epoch']} of {n_epochs} epochs · {done}"
            history = snapshot["history"]
            results.update(model=snapshot["model"], history=history, seconds=snapshot["seconds"],
                           settings=settings)
            note = "" if history.stopped_reason.startswith("completed") else f" · {history.stopped_reason}"
            return (f"trained {history.epochs_run} epochs ({history.steps} steps) in {snapshot['seconds']:.2f} s · "
                    f"{done}{note}")

    app = Explorer(QUESTION, controls, fig, artists, update)
    app.results = results

    def start_pending(change=None):
        """Start the current run if it has not started. Observing after the Explorer's own observer means the
        update (and its status line) is complete before the worker can publish anything."""
        with lock:
            run = state["run"]
            if run is not None and run.thread is None:
                start(run)

    for control in controls.values():
        control.observe(start_pending, names="value")

    def wait(timeout=None):
        """Block until the current run has finished (and been drawn); False if `timeout` seconds passed first."""
        deadline = None if timeout is None else time.perf_counter() + timeout
        while True:
            run = state["run"]
            if run is None or run.thread is None:
                return True
            remaining = None if deadline is None else max(0.0, deadline - time.perf_counter())
            run.thread.join(remaining)
            if run.thread.is_alive():
                return False
            if state["run"] is run:
                return True

    app.wait = wait
    state["app"] = app
    start_pending()
    return app
