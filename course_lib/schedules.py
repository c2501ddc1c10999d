"""Learning-rate schedules: the learning rate as a function of the epoch.

The lecture writes plain gradient descent with a schedule as

    for epoch in 1, ..., max_epoch:
        theta <- theta - alpha * g
        alpha <- f(alpha, epoch)

Here a schedule is a small callable object, ``alpha = sched(epoch)``, with the epoch counted **from 0**:
``sched(0)`` is the rate for the first pass through the data, ``sched(e)`` the rate after ``e`` completed epochs.
That is the sequence PyTorch gives when its scheduler is stepped once per epoch and
``optimizer.param_groups[0]["lr"]`` is read before each epoch's steps; the scheduler named in each docstring gives
the same numbers (the tests check this against ``torch.optim.lr_scheduler``).

Notation: alpha_0 (``lr0``) is the initial rate, e the epoch (0-based), N_e a number of epochs. The deeplearningbook
slides write epsilon_k for the same rate and PyTorch writes eta_t.

Two schedules depend on the training run itself and are *stateful*: ``ReduceOnPlateau`` and ``Babysitter``. They are
told each epoch's cost with ``step(cost)`` and keep the current rate in ``.lr``; ``is_stateful(sched)`` tells them
apart. Calling them as ``sched(epoch)`` only looks up rates already decided (epochs seen so far).

Helpers: ``plot_schedules`` draws any set of schedules; ``robbins_monro`` checks empirically whether a schedule
satisfies the convergence conditions sum(alpha) = inf, sum(alpha^2) < inf; ``SCHEDULES`` maps names to the classes
whose parameters are plain numbers (for sliders), each with a ``defaults`` dict.

No Numba here: every schedule is a scalar formula, evaluated once per epoch.
"""
import math
import numbers
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from course_lib._validate import flag, scalar

__all__ = [
    "Schedule", "StatefulSchedule", "Constant", "StepDecay", "MultiStep", "Exponential", "InverseTime",
    "InverseSqrt", "Linear", "Table", "Cosine", "CosineWarmRestarts", "Cyclic", "OneCycle", "Warmup",
    "KerasStepDrop", "KerasConstantThenExponential", "keras_step_drop", "keras_constant_then_exponential",
    "ReduceOnPlateau", "Babysitter", "is_stateful", "plot_schedules", "robbins_monro", "satisfies_robbins_monro",
    "RobbinsMonroReport", "SCHEDULES",
]


# --------------------------------------------------------------------------------------------------------------------
# Shared argument checks (all built on course_lib._validate)
# --------------------------------------------------------------------------------------------------------------------

def _epoch(epoch):
    """The epoch as a non-negative Python int (epochs are counted from 0)."""
    return scalar(epoch, "epoch", low=0, integer=True)


def _lr(value, name):
    """A learning rate: a finite number > 0."""
    return scalar(value, name, low=0, low_open=True)


def _count(value, name, low=1):
    """A whole number of epochs, at least `low`."""
    return scalar(value, name, low=low, integer=True)


def _schedule(schedule, name="schedule"):
    if not callable(schedule):
        raise TypeError(f"{name} must be a schedule (a callable epoch -> lr), got {type(schedule).__name__}")
    return schedule


def _cost(cost):
    """The cost of an epoch as a float; NaN and +inf (a diverged epoch) come back as they are."""
    if isinstance(cost, np.ndarray) and cost.ndim == 0:
        cost = cost.item()
    if isinstance(cost, numbers.Real) and not isinstance(cost, (bool, np.bool_)):
        if math.isnan(cost) or cost == math.inf:
            return float(cost)
    return scalar(cost, "cost")


# --------------------------------------------------------------------------------------------------------------------
# Schedules that are functions of the epoch
# --------------------------------------------------------------------------------------------------------------------

class Schedule:
    """Base of the schedules that are plain functions of the epoch: ``lr = sched(epoch)``, epoch = 0, 1, 2, ...

    A subclass sets ``defaults`` (its constructor's parameters in order, with the values the course's sliders start
    from), stores each parameter under the same name, and writes the formula in ``_rate(epoch)``; ``__call__``
    checks the epoch first. ``max_epoch`` is the last epoch at which the schedule is defined (``None``: all).
    """

    defaults = {}
    stateful = False
    max_epoch = None

    def __call__(self, epoch):
        epoch = _epoch(epoch)
        if self.max_epoch is not None and epoch > self.max_epoch:
            raise ValueError(f"{type(self).__name__} is defined for epochs 0 to {self.max_epoch}, got epoch {epoch}")
        return float(self._rate(epoch))

    def _rate(self, epoch):
        raise NotImplementedError

    def params(self):
        """This schedule's parameters as a dict (the keys of ``defaults``)."""
        return {name: getattr(self, name) for name in self.defaults}

    def __repr__(self):
        args = ", ".join(f"{name}={value!r}" for name, value in self.params().items())
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """alpha_e = alpha_0 for every epoch (PyTorch: no scheduler, or ``ConstantLR`` with factor 1).

    The baseline every decay is compared with, and the example that breaks the Robbins-Monro condition
    sum(alpha^2) < inf.
    """

    defaults = {"lr0": 0.1}

    def __init__(self, lr0):
        self.lr0 = _lr(lr0, "lr0")

    def _rate(self, epoch):
        return self.lr0


class StepDecay(Schedule):
    """Step decay: alpha_e = alpha_0 * drop^floor(e / every)   (PyTorch ``StepLR(step_size=every, gamma=drop)``).

    The rate is multiplied by `drop` after every `every` epochs: with drop = 0.5 and every = 10 it halves at epochs
    10, 20, 30, ... ("decay the learning rate by half every few epochs"). Keras's example in the lecture drops one
    epoch earlier; see `KerasStepDrop`.
    """

    defaults = {"lr0": 0.1, "drop": 0.5, "every": 10}

    def __init__(self, lr0, drop, every):
        self.lr0 = _lr(lr0, "lr0")
        self.drop = scalar(drop, "drop", low=0, low_open=True, high=1)
        self.every = _count(every, "every")

    def _rate(self, epoch):
        return self.lr0 * self.drop ** (epoch // self.every)


class MultiStep(Schedule):
    """alpha_e = alpha_0 * gamma^(number of milestones <= e)   (PyTorch ``MultiStepLR``).

    Step decay at hand-picked epochs, e.g. milestones (30, 60, 90): the rate is multiplied by `gamma` at the start of
    epochs 30, 60 and 90. `milestones` must be strictly increasing whole numbers >= 1.
    """

    defaults = {"lr0": 0.1, "milestones": (30, 60, 90), "gamma": 0.1}

    def __init__(self, lr0, milestones, gamma=0.1):
        self.lr0 = _lr(lr0, "lr0")
        self.gamma = scalar(gamma, "gamma", low=0, low_open=True, high=1)
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise TypeError(f"milestones must be a sequence of epochs, got {type(milestones).__name__}")
        marks = tuple(_count(m, f"milestones[{i}]") for i, m in enumerate(milestones))
        if not marks:
            raise ValueError("milestones must hold at least one epoch")
        for i in range(1, len(marks)):
            if marks[i] <= marks[i - 1]:
                raise ValueError(f"milestones must be strictly increasing, got {marks[i - 1]} then {marks[i]}")
        self.milestones = marks

    def _rate(self, epoch):
        return self.lr0 * self.gamma ** bisect_right(self.milestones, epoch)


class Exponential(Schedule):
    """Exponential decay: alpha_e = gamma^e * alpha_0   (PyTorch ``ExponentialLR``).

    The lecture's Method 2, alpha = 0.95^N_e * alpha_0, is ``Exponential(lr0, 0.95)``. The other lecture writes
    alpha = alpha_0 * exp(-k t): that is gamma = exp(-k). Any gamma < 1 makes sum(alpha) finite, so exponential decay
    breaks the Robbins-Monro condition sum(alpha) = inf: it can stop training before the minimum is reached.
    """

    defaults = {"lr0": 0.1, "gamma": 0.95}

    def __init__(self, lr0, gamma):
        self.lr0 = _lr(lr0, "lr0")
        self.gamma = scalar(gamma, "gamma", low=0, low_open=True, high=1)

    def _rate(self, epoch):
        return self.lr0 * self.gamma ** epoch


class InverseTime(Schedule):
    """Inverse-time ("1/t") decay, the lecture's Method 1: alpha = alpha_0 / (1 + delta * N_e), delta = `decay`.

    Epoch numbering: the lecture's table lists, for alpha_0 = 0.2 and delta = 1, Epoch 1 -> 0.1, 2 -> 0.2/3,
    3 -> 0.05, 4 -> 0.2/5: its "Epoch N_e" row is the rate after N_e completed epochs. Ours is the same number:
    ``InverseTime(0.2, 1)(1) == 0.1`` is the rate used in our epoch 1 (the second pass); our epoch 0 uses the
    undecayed alpha_0 = 0.2, a row the table does not show.

    This is what Keras's old ``SGD(decay=...)`` argument did per iteration. No PyTorch class has it built in
    (``LambdaLR(opt, lambda e: 1 / (1 + decay * e))``). It satisfies both Robbins-Monro conditions.
    """

    defaults = {"lr0": 0.2, "decay": 1.0}

    def __init__(self, lr0, decay):
        self.lr0 = _lr(lr0, "lr0")
        self.decay = scalar(decay, "decay", low=0)

    def _rate(self, epoch):
        return self.lr0 / (1.0 + self.decay * epoch)


class InverseSqrt(Schedule):
    """Inverse-square-root decay, the lecture's Methods 3 and 4: alpha = k / sqrt(N_e) * alpha_0.

    The lecture counts epochs from 1, so with our 0-based epoch e: alpha_e = k * alpha_0 / sqrt(e + 1), which starts
    at k * alpha_0. Method 4 is the same formula in iterations t instead of epochs. sum(alpha) = inf but
    sum(alpha^2) = inf too (a harmonic series), so it breaks the second Robbins-Monro condition, barely.
    PyTorch: ``LambdaLR(opt, lambda e: k / math.sqrt(e + 1))``.
    """

    defaults = {"lr0": 0.1, "k": 1.0}

    def __init__(self, lr0, k=1.0):
        self.lr0 = _lr(lr0, "lr0")
        self.k = scalar(k, "k", low=0, low_open=True)

    def _rate(self, epoch):
        return self.k * self.lr0 / math.sqrt(epoch + 1.0)


class Linear(Schedule):
    """Linear decay, then constant:  alpha_e = (1 - e/N_e) alpha_0 + (e/N_e) alpha_f  for e <= N_e, else alpha_f.

    The lecture's "Linear Rate Decay" loop updates alpha after each epoch with the epoch just finished, so the
    rate after e completed epochs, which is our epoch e, uses e/N_e. The deeplearningbook slide writes it
    epsilon_k = (1 - a) epsilon_0 + a epsilon_tau with a = k/tau, then keeps epsilon constant after tau; it suggests
    epsilon_tau of about 1% of epsilon_0. `epochs` is N_e (tau), `lr_final` is alpha_f (may be 0).
    PyTorch: ``LinearLR(start_factor=1, end_factor=lr_final/lr0, total_iters=epochs)``.
    """

    defaults = {"lr0": 0.1, "lr_final": 0.001, "epochs": 50}

    def __init__(self, lr0, lr_final, epochs):
        self.lr0 = _lr(lr0, "lr0")
        self.lr_final = scalar(lr_final, "lr_final", low=0)
        self.epochs = _count(epochs, "epochs")

    def _rate(self, epoch):
        if epoch >= self.epochs:
            return self.lr_final
        a = epoch / self.epochs
        return (1.0 - a) * self.lr0 + a * self.lr_final


class Table(Schedule):
    """The lecture's Method 5, "set alpha using a table": ``Table({0: 0.1, 30: 0.01, 60: 0.001})``.

    Piecewise constant: alpha_e is the rate of the largest key <= e. The table must have an entry for epoch 0 (the
    rate to start with); keys are whole epochs >= 0 and rates are > 0. PyTorch: ``MultiStepLR`` covers tables whose
    rates shrink by one common factor, ``LambdaLR`` the rest.
    """

    def __init__(self, table):
        if not isinstance(table, dict):
            raise TypeError(f"table must be a dict {{epoch: lr}}, got {type(table).__name__}")
        entries = sorted((_count(e, "table key (an epoch)", low=0), _lr(lr, f"table[{e!r}]"))
                         for e, lr in table.items())
        epochs = [e for e, _ in entries]
        if not epochs or epochs[0] != 0:
            raise ValueError(f"table must give the rate for epoch 0 (the start), got epochs {epochs}")
        self.epochs = tuple(epochs)
        self.rates = tuple(lr for _, lr in entries)

    def _rate(self, epoch):
        return self.rates[bisect_right(self.epochs, epoch) - 1]

    def params(self):
        return {"table": dict(zip(self.epochs, self.rates))}

    def __repr__(self):
        return f"Table({self.params()['table']!r})"


class Cosine(Schedule):
    """Cosine annealing: alpha_e = alpha_min + (alpha_0 - alpha_min) (1 + cos(pi e / T_max)) / 2
    (PyTorch ``CosineAnnealingLR(T_max, eta_min=lr_min)``; SGDR without restarts).

    The rate glides from alpha_0 at e = 0 to alpha_min at e = T_max, slowly at both ends. After T_max the same
    formula goes on, as PyTorch's does: the cosine climbs back to alpha_0 at e = 2 T_max, falls again at 3 T_max, and
    so on (period 2 T_max). Stop training at T_max, or use `CosineWarmRestarts` for deliberate restarts.
    """

    defaults = {"lr0": 0.1, "T_max": 100, "lr_min": 0.0}

    def __init__(self, lr0, T_max, lr_min=0.0):
        self.lr0 = _lr(lr0, "lr0")
        self.T_max = _count(T_max, "T_max")
        self.lr_min = scalar(lr_min, "lr_min", low=0, high=self.lr0)

    def _rate(self, epoch):
        return self.lr_min + (self.lr0 - self.lr_min) * (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0


class CosineWarmRestarts(Schedule):
    """SGDR, cosine annealing with warm restarts (Loshchilov & Hutter 2016; PyTorch ``CosineAnnealingWarmRestarts``).

    alpha_e = alpha_min + (alpha_0 - alpha_min) (1 + cos(pi T_cur / T_i)) / 2, where T_cur counts the epochs since
    the last restart and T_i is the length of the current cycle: T_0 first, then T_0 T_mult, T_0 T_mult^2, ...
    At each restart (T_cur = 0) the rate jumps back to alpha_0. With T_0 = 10, T_mult = 2 the restarts are at epochs
    10, 30, 70, 150, ...
    """

    defaults = {"lr0": 0.1, "T_0": 10, "T_mult": 1, "lr_min": 0.0}

    def __init__(self, lr0, T_0, T_mult=1, lr_min=0.0):
        self.lr0 = _lr(lr0, "lr0")
        self.T_0 = _count(T_0, "T_0")
        self.T_mult = _count(T_mult, "T_mult")
        self.lr_min = scalar(lr_min, "lr_min", low=0, high=self.lr0)

    def cycle(self, epoch):
        """(T_cur, T_i): epochs since the last restart and the length of the cycle that `epoch` falls in."""
        t_cur = _epoch(epoch)
        if self.T_mult == 1:
            return t_cur % self.T_0, self.T_0
        t_i = self.T_0
        while t_cur >= t_i:  # whole numbers, so this is exact; cycles grow geometrically: few iterations
            t_cur -= t_i
            t_i *= self.T_mult
        return t_cur, t_i

    def _rate(self, epoch):
        t_cur, t_i = self.cycle(epoch)
        return self.lr_min + (self.lr0 - self.lr_min) * (1.0 + math.cos(math.pi * t_cur / t_i)) / 2.0


class Cyclic(Schedule):
    """Triangular cyclical learning rate (Smith 2017; PyTorch ``CyclicLR(mode="triangular",
    step_size_up=step_size)`` stepped once per epoch).

        cycle = floor(1 + e / (2 step_size)),   x = |e / step_size - 2 cycle + 1|,
        alpha_e = base_lr + (max_lr - base_lr) max(0, 1 - x).

    The rate climbs linearly from base_lr to max_lr in `step_size` epochs and back down in as many, forever.
    PyTorch's CyclicLR is usually stepped per batch; here one step is one epoch.
    """

    defaults = {"base_lr": 0.001, "max_lr": 0.1, "step_size": 10}

    def __init__(self, base_lr, max_lr, step_size):
        self.base_lr = _lr(base_lr, "base_lr")
        self.max_lr = scalar(max_lr, "max_lr", low=self.base_lr)
        self.step_size = _count(step_size, "step_size")

    def _rate(self, epoch):
        cycle = math.floor(1.0 + epoch / (2.0 * self.step_size))
        x = abs(epoch / self.step_size - 2.0 * cycle + 1.0)
        return self.base_lr + (self.max_lr - self.base_lr) * max(0.0, 1.0 - x)


class OneCycle(Schedule):
    """The 1cycle policy (Smith & Topin 2017) with cosine annealing, two phases (PyTorch ``OneCycleLR(max_lr,
    total_steps, pct_start, anneal_strategy="cos", div_factor, final_div_factor, three_phase=False)``).

    alpha starts at alpha_init = max_lr / div_factor, rises to max_lr over the first pct_start of the run, then falls
    to alpha_init / final_div_factor at the last epoch, e = total_steps - 1. Each phase is a half cosine,
    cos_anneal(a, b, p) = b + (a - b) (1 + cos(pi p)) / 2 for p from 0 to 1. With e_1 = pct_start total_steps - 1
    (PyTorch's phase boundary, a float):

        e <= e_1:  alpha_e = cos_anneal(alpha_init, max_lr, e / e_1)
        e >  e_1:  alpha_e = cos_anneal(max_lr, alpha_init / final_div_factor, (e - e_1) / (total_steps - 1 - e_1))

    Defined for epochs 0 to total_steps - 1 only (PyTorch raises too when stepped past the end). The warm-up phase
    must be longer than one step (pct_start * total_steps > 1), else PyTorch divides by zero.
    """

    defaults = {"max_lr": 0.1, "total_steps": 100, "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4}

    def __init__(self, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        self.max_lr = _lr(max_lr, "max_lr")
        self.total_steps = _count(total_steps, "total_steps", low=2)
        self.pct_start = scalar(pct_start, "pct_start", low=0, low_open=True, high=1, high_open=True)
        self.div_factor = scalar(div_factor, "div_factor", low=1)
        self.final_div_factor = scalar(final_div_factor, "final_div_factor", low=1)
        self._peak = float(self.pct_start * self.total_steps) - 1.0
        if self._peak <= 0:
            raise ValueError(
                f"pct_start * total_steps must be > 1 (the warm-up needs more than one step), got "
                f"{self.pct_start} * {self.total_steps} = {self.pct_start * self.total_steps}")
        self.max_epoch = self.total_steps - 1
        self.initial_lr = self.max_lr / self.div_factor
        self.final_lr = self.initial_lr / self.final_div_factor

    @staticmethod
    def _cos_anneal(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1.0)

    def _rate(self, epoch):
        if epoch <= self._peak:
            return self._cos_anneal(self.initial_lr, self.max_lr, epoch / self._peak)
        pct = (epoch - self._peak) / (self.total_steps - 1 - self._peak)
        return self._cos_anneal(self.max_lr, self.final_lr, pct)


class Warmup(Schedule):
    """Linear warm-up for `warmup_epochs` (W) epochs, then the wrapped schedule from its own epoch 0:

        e <  W:  alpha_e = schedule(0) * (start_factor + (1 - start_factor) e / W)
        e >= W:  alpha_e = schedule(e - W)

    so the rate climbs in equal steps from start_factor * schedule(0) and reaches schedule(0) at e = W, where the
    wrapped schedule starts (shifted by W epochs). PyTorch: ``SequentialLR([LinearLR(start_factor,
    total_iters=W), inner], milestones=[W])``, where ``inner`` is the wrapped schedule's own scheduler.
    (``ChainedScheduler([LinearLR, inner])`` is different: it multiplies, so the decay already runs during the
    warm-up. That is ``Warmup`` with the wrapped schedule evaluated at e instead of e - W; not offered here.)
    """

    def __init__(self, schedule, warmup_epochs, start_factor=1.0 / 3.0):
        _schedule(schedule)
        if is_stateful(schedule):
            raise TypeError(f"Warmup wraps a function of the epoch; {type(schedule).__name__} is stateful")
        self.schedule = schedule
        self.warmup_epochs = _count(warmup_epochs, "warmup_epochs")
        self.start_factor = scalar(start_factor, "start_factor", low=0, low_open=True, high=1)
        inner_end = getattr(schedule, "max_epoch", None)
        self.max_epoch = None if inner_end is None else inner_end + self.warmup_epochs

    def _rate(self, epoch):
        w = self.warmup_epochs
        if epoch >= w:
            return self.schedule(epoch - w)
        return self.schedule(0) * (self.start_factor + (1.0 - self.start_factor) * epoch / w)

    def params(self):
        return {"schedule": self.schedule, "warmup_epochs": self.warmup_epochs, "start_factor": self.start_factor}


class KerasStepDrop(Schedule):
    """The Keras lecture's custom ``step_decay``: alpha_e = alpha_0 * drop^floor((1 + e) / epochs_drop).

    Keras numbers epochs from 0 too, but the ``1 + epoch`` makes the first drop happen one epoch early: with
    epochs_drop = 10 the rate halves at epochs 9, 19, 29, ... (after 9 epochs, not 10). So
    ``KerasStepDrop(lr0, drop, n)(e) == StepDecay(lr0, drop, n)(e + 1)``; PyTorch's ``StepLR`` is `StepDecay`.
    """

    defaults = {"lr0": 0.1, "drop": 0.5, "epochs_drop": 10}

    def __init__(self, lr0=0.1, drop=0.5, epochs_drop=10):
        self.lr0 = _lr(lr0, "lr0")
        self.drop = scalar(drop, "drop", low=0, low_open=True, high=1)
        self.epochs_drop = _count(epochs_drop, "epochs_drop")

    def _rate(self, epoch):
        return self.lr0 * self.drop ** ((1 + epoch) // self.epochs_drop)


class KerasConstantThenExponential(Schedule):
    """The Keras lecture's ``scheduler``: constant, then exponential decay.

        e <  constant_epochs:  alpha_e = alpha_0
        e >= constant_epochs:  alpha_e = alpha_0 * exp(k (constant_epochs - e))

    With the lecture's alpha_0 = 0.001, constant_epochs = 10, k = 0.1 the rate is 0.001 for epochs 0 to 10 (at
    e = 10 the exponential is exp(0) = 1) and is multiplied by exp(-0.1) ~ 0.905 each epoch after that. (Keras
    computes this in float32 with ``tf.math.exp``; here it is float64.) PyTorch: ``SequentialLR([ConstantLR(factor=1),
    ExponentialLR(gamma=exp(-k))], milestones=[constant_epochs])``.
    """

    defaults = {"lr0": 0.001, "constant_epochs": 10, "k": 0.1}

    def __init__(self, lr0=0.001, constant_epochs=10, k=0.1):
        self.lr0 = _lr(lr0, "lr0")
        self.constant_epochs = _count(constant_epochs, "constant_epochs", low=0)
        self.k = scalar(k, "k", low=0)

    def _rate(self, epoch):
        if epoch < self.constant_epochs:
            return self.lr0
        return self.lr0 * math.exp(self.k * (self.constant_epochs - epoch))


def keras_step_drop(lr0=0.1, drop=0.5, epochs_drop=10):
    """The lecture's Keras ``step_decay`` example: halve every 10 epochs, one epoch early. See `KerasStepDrop`."""
    return KerasStepDrop(lr0, drop, epochs_drop)


def keras_constant_then_exponential(lr0=0.001, constant_epochs=10, k=0.1):
    """The lecture's Keras example: constant for 10 epochs, then times exp(-0.1) per epoch. See
    `KerasConstantThenExponential`."""
    return KerasConstantThenExponential(lr0, constant_epochs, k)


# --------------------------------------------------------------------------------------------------------------------
# Stateful schedules: the rate depends on the costs seen so far
# --------------------------------------------------------------------------------------------------------------------

class StatefulSchedule:
    """Base of the schedules that react to the training run.

    Use: train an epoch with ``sched.lr``, then ``sched.step(cost)`` with that epoch's cost; it returns the rate for
    the next epoch (also in ``sched.lr``). ``history`` lists the rate used in each completed epoch, so ``sched(e)``
    answers for the epochs seen so far (and the current one) and raises a ValueError for the future.
    """

    stateful = True

    def __call__(self, epoch):
        epoch = _epoch(epoch)
        if epoch < len(self.history):
            return self.history[epoch]
        if epoch == len(self.history):
            return self.lr
        raise ValueError(
            f"{type(self).__name__} is stateful: its rate for epoch {epoch} depends on costs not seen yet "
            f"({len(self.history)} epochs so far). Call .step(cost) once per epoch and read .lr")

    @property
    def max_epoch(self):
        """The last epoch whose rate is known: the current one."""
        return len(self.history)

    def params(self):
        return {name: getattr(self, name) for name in self.defaults}

    def __repr__(self):
        args = ", ".join(f"{name}={value!r}" for name, value in self.params().items())
        return f"{type(self).__name__}({args})"


class ReduceOnPlateau(StatefulSchedule):
    """Reduce the rate when the cost stops improving (PyTorch ``ReduceLROnPlateau``, mode "min", threshold_mode
    "rel"; same decisions).

    After each epoch, ``step(cost)``:

    1. the cost is an improvement if cost < best * (1 - threshold); then best = cost and the count of bad epochs is
       reset, otherwise the count goes up by one;
    2. during a cooldown (the `cooldown` epochs after a reduction) bad epochs are not counted;
    3. when more than `patience` bad epochs have been counted, alpha <- max(factor * alpha, min_lr) (ignored if that
       changes alpha by less than `eps`), the cooldown starts and the count is reset.

    A NaN or +inf cost (a diverged epoch) counts as a bad epoch, as in PyTorch.
    """

    defaults = {"lr0": 0.1, "factor": 0.1, "patience": 10, "threshold": 1e-4, "cooldown": 0, "min_lr": 0.0,
                "eps": 1e-8}

    def __init__(self, lr0, factor=0.1, patience=10, threshold=1e-4, cooldown=0, min_lr=0.0, eps=1e-8):
        self.lr0 = _lr(lr0, "lr0")
        self.factor = scalar(factor, "factor", low=0, low_open=True, high=1, high_open=True)
        self.patience = _count(patience, "patience", low=0)
        self.threshold = scalar(threshold, "threshold", low=0, high=1, high_open=True)
        self.cooldown = _count(cooldown, "cooldown", low=0)
        self.min_lr = scalar(min_lr, "min_lr", low=0, high=self.lr0)
        self.eps = scalar(eps, "eps", low=0)
        self.lr = self.lr0
        self.best = math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.history = []

    def step(self, cost):
        """Record this epoch's cost; return the rate for the next epoch."""
        cost = _cost(cost)
        self.history.append(self.lr)
        if cost < self.best * (1.0 - self.threshold):
            self.best = cost
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self.lr


class Babysitter(StatefulSchedule):
    """The lecture's Method 6, the "babysitter algorithm": halve the rate when the cost goes up, and run again.

    After each epoch the loop calls ``lr = sched.step(cost)`` with the cost after the epoch, then reads
    ``sched.redo``:

    - ``redo is False``: the cost did not rise (cost <= the last accepted cost): the epoch is accepted, keep its
      parameters and go on with the same rate ``lr``.
    - ``redo is True``: the cost rose (or is NaN/+inf): ``lr`` has been multiplied by `factor` (a half); restore the
      parameters saved before this epoch and run the same epoch again with the smaller rate.

    The first epoch is compared with `initial_cost` (the cost before training) if given; otherwise it is accepted.
    The rate never goes below `min_lr`: once there, a rising cost is accepted with ``redo = False``, so the loop
    cannot halve forever. ``redos`` counts the reruns so far.

        for epoch in range(n):
            saved = params.copy()
            while True:
                train_one_epoch(params, sched.lr)
                sched.step(cost(params))
                if not sched.redo:
                    break
                params[:] = saved

    The lecture's version watches the cost after every batch and, as soon as it rises (before all batches are
    done), halves alpha and runs the epoch again. That is the same object used per batch: call ``step`` with each
    batch's cost and, on ``redo``, restore the parameters saved at the start of the epoch and restart it (``history``
    then counts accepted batches).
    """

    defaults = {"lr0": 0.1, "factor": 0.5, "min_lr": 1e-8, "initial_cost": None}

    def __init__(self, lr0, factor=0.5, min_lr=1e-8, initial_cost=None):
        self.lr0 = _lr(lr0, "lr0")
        self.factor = scalar(factor, "factor", low=0, low_open=True, high=1, high_open=True)
        self.min_lr = scalar(min_lr, "min_lr", low=0, high=self.lr0)
        self.initial_cost = None if initial_cost is None else scalar(initial_cost, "initial_cost")
        self.lr = self.lr0
        self.reference = self.initial_cost
        self.redo = False
        self.redos = 0
        self.history = []

    def step(self, cost):
        """Judge this epoch's cost; return the rate for the next run (and set ``redo``)."""
        cost = _cost(cost)
        diverged = math.isnan(cost) or cost == math.inf
        rose = diverged or (self.reference is not None and cost > self.reference)
        if rose and self.lr > self.min_lr:
            self.lr = max(self.lr * self.factor, self.min_lr)
            self.redo = True
            self.redos += 1
            return self.lr
        if diverged:
            raise ValueError(f"cost is {cost} even at min_lr = {self.min_lr}: training diverges at every rate tried")
        self.redo = False
        self.history.append(self.lr)
        self.reference = cost
        return self.lr


def is_stateful(schedule):
    """True for schedules that need ``step(cost)`` each epoch (ReduceOnPlateau, Babysitter), False for plain
    functions of the epoch (every other class here, or any callable ``epoch -> lr``)."""
    _schedule(schedule)
    return bool(getattr(schedule, "stateful", False))


# --------------------------------------------------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------------------------------------------------

def _named(schedules):
    """[(name, schedule)] from a dict, a list/tuple or a single schedule."""
    if isinstance(schedules, dict):
        items = list(schedules.items())
        for name, _ in items:
            if not isinstance(name, str):
                raise TypeError(f"schedule names must be strings, got {type(name).__name__}")
    elif callable(schedules):
        items = [(repr(schedules), schedules)]
    elif isinstance(schedules, (list, tuple)):
        items = [(getattr(s, "__name__", None) or repr(s), s) for s in schedules]
    else:
        raise TypeError(f"schedules must be a dict name -> schedule, a list of schedules or one schedule, "
                        f"got {type(schedules).__name__}")
    if not items:
        raise ValueError("schedules is empty: give at least one schedule to plot")
    for i, (name, s) in enumerate(items):
        _schedule(s, f"schedules[{name!r}]" if isinstance(schedules, dict) else f"schedules[{i}]")
    return items


def plot_schedules(schedules, epochs=100, ax=None, log=False):
    """Draw learning rate against epoch for each schedule, epochs 0 to `epochs` - 1.

    `schedules`: a dict name -> schedule (the names label the legend), a list of schedules (labelled by their
    repr) or one schedule. A schedule defined for fewer epochs (OneCycle, or a stateful one that has seen only some
    epochs) is drawn as far as it goes. The rate is constant during an epoch, so lines are drawn as steps. Colours
    are the colour-blind-safe Okabe-Ito palette (line styles change after eight schedules); `log=True` uses a
    logarithmic rate axis (epochs with rate 0 are then left out).

    Returns (fig, ax, lines), one matplotlib Line2D per schedule in order.
    """
    from course_lib._style import PALETTE, new_axes

    items = _named(schedules)
    epochs = _count(epochs, "epochs")
    log = flag(log, "log")
    if ax is None:
        fig, ax = new_axes()
    elif not hasattr(ax, "plot") or not hasattr(ax, "figure"):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    else:
        fig = ax.figure
    styles = ["-", "--", ":", "-."]
    lines = []
    for i, (name, s) in enumerate(items):
        last = getattr(s, "max_epoch", None)
        n = epochs if last is None else min(epochs, last + 1)
        x = np.arange(n)
        y = np.array([s(int(e)) for e in x], dtype=float)
        (line,) = ax.plot(x, y, drawstyle="steps-post", color=PALETTE[i % len(PALETTE)],
                          linestyle=styles[(i // len(PALETTE)) % len(styles)], label=name)
        lines.append(line)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate $\\alpha$")
    ax.legend(fontsize="small")
    return fig, ax, lines


# --------------------------------------------------------------------------------------------------------------------
# Robbins-Monro conditions, checked empirically
# --------------------------------------------------------------------------------------------------------------------

@dataclass
class RobbinsMonroReport:
    """What `robbins_monro` found. `checkpoints` are epoch counts n; `sum_lr[i]` and `sum_lr_squared[i]` are the
    partial sums over epochs 0 to checkpoints[i] - 1. `growth_lr` / `growth_lr_squared` are the ratios
    (growth over the last decade) / (growth over the decade before) used for the verdicts."""

    epochs: int
    checkpoints: tuple
    sum_lr: tuple
    sum_lr_squared: tuple
    growth_lr: float
    growth_lr_squared: float
    sum_diverges: bool
    sum_squared_converges: bool
    reasoning: str

    @property
    def satisfied(self):
        """Both conditions hold (empirically)."""
        return self.sum_diverges and self.sum_squared_converges

    def __str__(self):
        rows = [f"{'n':>10}  {'sum alpha':>14}  {'sum alpha^2':>14}"]
        rows += [f"{n:>10}  {a:>14.6g}  {b:>14.6g}" for n, a, b in zip(self.checkpoints, self.sum_lr,
                                                                        self.sum_lr_squared)]
        return "\n".join(rows) + "\n" + self.reasoning


def _decade_growth(partial_sums, n):
    """(S(n) - S(n/10)) / (S(n/10) - S(n/100)) from a cumulative-sum array; 0 when neither decade adds anything."""
    last = partial_sums[n - 1] - partial_sums[n // 10 - 1]
    before = partial_sums[n // 10 - 1] - partial_sums[n // 100 - 1]
    if before <= 0.0:
        return math.inf if last > 0.0 else 0.0
    return float(last / before)


def robbins_monro(schedule, epochs=10**5, still_growing=0.9):
    """Check the Robbins-Monro conditions sum_e alpha_e = inf and sum_e alpha_e^2 < inf **empirically**.

    SGD's gradient is noisy; with these two conditions the steps are long enough in total to reach the minimum
    (sum = inf) while the noise they add stays finite (sum of squares < inf). No computer can sum to infinity, so
    this looks at how the partial sums S(n) = sum_{e < n} alpha_e grow over the last two decades of `epochs` = N:

        r = (S(N) - S(N/10)) / (S(N/10) - S(N/100)).

    For a rate that decays like e^-p, r tends to 10^(1-p): about 10 for a constant rate, 1 for 1/t (the sum grows
    like log n, by the same amount each decade: divergent), 0.1 for 1/t^2 (convergent), 0 for exponential decay. A
    sum is judged divergent when r >= `still_growing` (0.9, i.e. p <= 1.05). The same test is applied to the
    squares. Borderline cases need more epochs: e.g. 1/(1 + decay e) with 1/decay comparable to N looks constant.

    Typical verdicts: InverseTime satisfies both; Constant fails sum(alpha^2) < inf; Exponential fails
    sum(alpha) = inf; InverseSqrt fails sum(alpha^2) < inf (its squares are a harmonic series).

    Returns a `RobbinsMonroReport` (``.satisfied``, the partial sums at each power of ten, and the reasoning in
    words; ``print(report)`` shows all of it).
    """
    _schedule(schedule)
    if is_stateful(schedule):
        raise TypeError(f"robbins_monro needs a function of the epoch; {type(schedule).__name__} is stateful "
                        "(its rates depend on the costs of a training run)")
    n = _count(epochs, "epochs", low=1000)
    still_growing = scalar(still_growing, "still_growing", low=0, low_open=True)
    last = getattr(schedule, "max_epoch", None)
    if last is not None and last + 1 < n:
        raise ValueError(f"{schedule!r} is only defined for {last + 1} epochs; robbins_monro needs epochs = {n}")
    rates = np.fromiter((schedule(e) for e in range(n)), dtype=np.float64, count=n)
    sums = np.cumsum(rates)
    sums_sq = np.cumsum(rates * rates)
    checkpoints = tuple(10**k for k in range(1, int(math.log10(n)) + 1) if 10**k < n) + (n,)
    r1, r2 = _decade_growth(sums, n), _decade_growth(sums_sq, n)
    diverges, sq_converges = r1 >= still_growing, r2 < still_growing

    def words(r, what, verdict):
        return (f"{what}: the last decade (epochs {n // 10} to {n}) added {r:.3g} times what the decade before "
                f"added, so the sum {'still grows' if verdict else 'levels off'}: it looks "
                f"{'divergent' if verdict else 'convergent'}.")

    reasoning = "\n".join([
        words(r1, "sum alpha", diverges) + (" OK (needs = inf)." if diverges else " FAILS (needs = inf)."),
        words(r2, "sum alpha^2", not sq_converges) + (" OK (needs < inf)." if sq_converges else
                                                      " FAILS (needs < inf)."),
        f"Verdict (empirical, from {n} epochs): the Robbins-Monro conditions are "
        f"{'satisfied' if diverges and sq_converges else 'not satisfied'}.",
    ])
    return RobbinsMonroReport(
        epochs=n, checkpoints=checkpoints, sum_lr=tuple(float(sums[c - 1]) for c in checkpoints),
        sum_lr_squared=tuple(float(sums_sq[c - 1]) for c in checkpoints), growth_lr=r1, growth_lr_squared=r2,
        sum_diverges=bool(diverges), sum_squared_converges=bool(sq_converges), reasoning=reasoning)


def satisfies_robbins_monro(schedule, epochs=10**5):
    """True if `robbins_monro` judges both conditions to hold (empirically; see its docstring)."""
    return robbins_monro(schedule, epochs).satisfied


# Classes whose parameters are plain numbers, for widgets: ``cls(**cls.defaults)`` builds the starting schedule.
# Not here: Table and Warmup (their arguments are a dict and a schedule) and the stateful ReduceOnPlateau and
# Babysitter (they need the costs of a training run).
SCHEDULES = {
    "constant": Constant,
    "step": StepDecay,
    "multistep": MultiStep,
    "exponential": Exponential,
    "inverse_time": InverseTime,
    "inverse_sqrt": InverseSqrt,
    "linear": Linear,
    "cosine": Cosine,
    "cosine_warm_restarts": CosineWarmRestarts,
    "cyclic": Cyclic,
    "one_cycle": OneCycle,
    "keras_step_drop": KerasStepDrop,
    "keras_constant_then_exponential": KerasConstantThenExponential,
}
