"""Model ensembles: average what several networks predict, and snapshot ensembles collected from one run.

Deck 004 ("Model ensembles"):

1. train several independent models;
2. at test time average their predicted probability distributions, then take the argmax.

With M models that give class probabilities p^{(m)}(x) (softmax rows, or sigmoid outputs), the ensemble predicts

    p_bar(x) = (1/M) sum_{m=1}^{M} p^{(m)}(x),      yhat(x) = argmax_k p_bar_k(x)   (softmax)
                                                     yhat(x) = [p_bar(x) > 1/2]       (sigmoid)

It is the probabilities that are averaged, not the logits and not the votes (PyTorch has no built-in for this;
``torch.stack([m(x).softmax(-1) for m in models]).mean(0)`` is the same). The members' mistakes are partly
independent, so the average is usually right more often than a typical member: "enjoy 2% extra performance".

Snapshot ensembles (Huang et al. 2017, "Snapshot ensembles: train 1, get M for free") get the members from ONE
training run: with cosine annealing and warm restarts (SGDR, Loshchilov & Hutter 2017;
`course_lib.schedules.CosineWarmRestarts`) the learning rate falls to its minimum at the end of every cycle, the
network settles into a minimum there, and the restart kicks it out towards another one. Saving the model at the end
of each cycle gives M different networks for the price of one run. `SnapshotCollector` is a `course_lib.train.fit`
callback that does the saving.

No Numba here: the work is the networks' forward passes (compiled in `course_lib.model`); averaging is M in-place
additions, one pass each, without temporaries.
"""
import math

import numpy as np

from course_lib import _validate

__all__ = ["average_probabilities", "ensemble_predict", "ensemble_accuracy", "SnapshotCollector"]


def _check_models(models):
    """The ensemble's members as a list of classifier MLPs that agree on input width, output width and output."""
    from course_lib.model import MLP

    if isinstance(models, MLP):
        raise TypeError("models must be a list of models; wrap a single model as [model]")
    if isinstance(models, (str, bytes, dict)) or not hasattr(models, "__iter__"):
        raise TypeError(f"models must be a list of course_lib.model.MLP, got {type(models).__name__}")
    models = list(models)
    if not models:
        raise ValueError("models is empty: an ensemble needs at least one model")
    first = None
    for i, model in enumerate(models):
        if not isinstance(model, MLP):
            raise TypeError(f"models[{i}] must be a course_lib.model.MLP, got {type(model).__name__}")
        if model.output == "linear":
            raise ValueError(f"models[{i}] has a linear output: it predicts values, not probabilities; "
                             "average_probabilities needs softmax or sigmoid outputs")
        if first is None:
            first = model
            continue
        if model.output != first.output:
            raise ValueError(f"models[{i}] has a {model.output} output but models[0] has a {first.output} output; "
                             "all members must predict the same kind of probabilities")
        if model.sizes[0] != first.sizes[0] or model.sizes[-1] != first.sizes[-1]:
            raise ValueError(f"models[{i}] maps {model.sizes[0]} inputs to {model.sizes[-1]} outputs but models[0] "
                             f"maps {first.sizes[0]} to {first.sizes[-1]}; the members must agree")
    return models


def _average(models, X):
    """p_bar for already checked models: sum the members' probabilities in place, then divide by M."""
    dtype = np.result_type(*[m.dtype for m in models])
    total = None
    for model in models:
        probs = model.forward(X)  # evaluation mode: no dropout, batch norm's running statistics
        if total is None:
            total = probs.astype(dtype, copy=True)
        else:
            total += probs
    total /= dtype.type(len(models))
    return total


def average_probabilities(models, X):
    """The ensemble's predicted probabilities p_bar(X) = (1/M) sum_m model_m.forward(X).

    models : a list of M `course_lib.model.MLP` classifiers (all softmax, or all sigmoid) with the same input and
             output widths.
    X      : inputs of shape (N, D_0).

    Returns an array of shape (N, D_L): for softmax members each row is a probability distribution (it sums to 1),
    for sigmoid members each entry is a probability in (0, 1). Every member runs in evaluation mode. The dtype is the
    members' (float32 stays float32; mixed members give float64).
    """
    return _average(_check_models(models), X)


def _decide(models, probs):
    if models[0].output == "softmax":
        return np.argmax(probs, axis=1)
    labels = (probs > 0.5).astype(np.int64)
    return labels[:, 0] if labels.shape[1] == 1 else labels


def ensemble_predict(models, X):
    """The ensemble's predictions: argmax_k p_bar_k(X), shape (N,), for softmax members; p_bar(X) > 1/2 (0/1 of
    shape (N,) for one output, (N, K) for K) for sigmoid members. As `MLP.predict`, for the averaged model."""
    models = _check_models(models)
    return _decide(models, _average(models, X))


def ensemble_accuracy(models, X, y):
    """Fraction of the N examples that the ensemble classifies correctly (as `MLP.accuracy`, for p_bar).

    y : integer labels (N,) for softmax members; 0/1 targets (N,) or (N, K) for sigmoid members (then the fraction
        of correct 0/1 entries).
    """
    models = _check_models(models)
    probs = _average(models, X)
    labels, targets = models[0]._targets(y, probs.shape[0])
    return models[0]._accuracy_from(probs, labels, targets)


class SnapshotCollector:
    """A `course_lib.train.fit` callback that saves a copy of the model at the end of every restart cycle.

        schedule  = CosineWarmRestarts(lr0=0.1, T_0=10)
        collector = SnapshotCollector(schedule)
        fit(model, optimizer, X, y, epochs=50, schedule=schedule, callbacks=[collector])
        p_bar = average_probabilities(collector.models, X_test)     # the snapshot ensemble (Huang et al. 2017)

    `schedule` must have restarts: an object with ``cycle(epoch) -> (T_cur, T_i)``, like
    `course_lib.schedules.CosineWarmRestarts`. Epoch e (0-based) ends a cycle when epoch e + 1 starts a new one
    (T_cur = 0 there): with T_0 = 10, T_mult = 1 the snapshots are taken after epochs 9, 19, 29, ..., where the
    rate has annealed to its minimum. Pass the same schedule to `fit`; the collector checks that the rate fit used in
    each epoch is the schedule's, so a mismatch raises a ValueError instead of silently saving the wrong models.

    Attributes: `models` (the saved `MLP.copy()` snapshots, oldest first; independent of the training model),
    `epochs` (the epoch after which each was taken). The callback never stops training (it returns False).
    """

    def __init__(self, schedule):
        if not callable(schedule) or not callable(getattr(schedule, "cycle", None)):
            raise TypeError("schedule must be a schedule with warm restarts, such as "
                            f"course_lib.schedules.CosineWarmRestarts (it has cycle(epoch)), got {schedule!r}")
        self.schedule = schedule
        self.reset()

    def reset(self):
        """Forget the snapshots taken so far (before training again)."""
        self.models = []
        self.epochs = []

    def ends_cycle(self, epoch):
        """True if `epoch` (0-based) is the last epoch of its cycle: the next epoch restarts the schedule."""
        epoch = _validate.scalar(epoch, "epoch", low=0, integer=True)
        t_cur, _ = self.schedule.cycle(epoch + 1)
        return t_cur == 0

    def __call__(self, epoch, history, model):
        epoch = _validate.scalar(epoch, "epoch", low=0, integer=True)
        used = getattr(history, "lr", None)
        if used is not None and len(used) > epoch:
            expected = self.schedule(epoch)
            if not math.isclose(used[epoch], expected, rel_tol=1e-12, abs_tol=1e-300):
                raise ValueError(f"fit used the rate {used[epoch]:g} in epoch {epoch}, but the collector's schedule "
                                 f"gives {expected:g}: pass the same schedule to fit and to SnapshotCollector")
        if self.ends_cycle(epoch):
            self.models.append(model.copy())
            self.epochs.append(epoch)
        return False

    def __repr__(self):
        return f"SnapshotCollector({self.schedule!r}, {len(self.models)} snapshots after epochs {self.epochs})"
