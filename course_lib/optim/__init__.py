"""Optimizers that update a list of NumPy arrays in place, with PyTorch's names, defaults and update rules.

    from course_lib.optim import Adam
    opt = Adam([W, b], lr=1e-3)
    opt.step([dW, db])             # W and b are updated in place
    opt.lr = 5e-4                  # a schedule may change lr between steps
    saved = opt.state_dict(); opt.load_state_dict(saved); opt.reset()

One module per method, each a Numba kernel beside the class that checks the input:

- `sgd`: SGD (momentum, dampening, Nesterov, weight decay) and NesterovSGD.
- `momentum`: the lectures' notations, Momentum (v = beta v + (1 - beta) g), NesterovLookahead
  (gradient at theta + mu v) and LectureNesterov (the first lecture's look-ahead theta - lr v), and how they map
  onto SGD.
- `adagrad`, `rmsprop`, `adadelta`, `adam` (Adam, AdamW), `adamax`, `nadam`.
- `flat`: `flat_parameters`, one buffer for all parameters so that a step is one kernel call.
- `engine`: the plumbing between a rule and the arrays: `update_rule` compiles a rule for one core and threaded
  (used from `PARALLEL_MIN_SIZE` entries on), `threads()` / `set_threads(n)` (capped by ``COURSE_NUM_THREADS``
  and ``NUMBA_NUM_THREADS``), `threaded_copies()` (a block in which every rule runs threaded: compiles those
  copies ahead, for `course warmup`), `apply_rule` (one call per buffer).

Each rule is a kernel that takes the lecture's quantities by name, e.g.
``_adam_kernel(theta, g, m, v, v_max, t, lr, beta1, beta2, eps, weight_decay, ...)``; `Optimizer.step` checks the
gradients, counts the step and applies the rule.

`OPTIMIZERS` maps lowercase names to classes and `make_optimizer(name, params, **hyper)` builds one by name
(for widgets and training loops). NesterovLookahead and LectureNesterov are not in it: they need the gradient at its look-ahead
point (`step_fn`), which a loop that passes the gradient at the parameters cannot give it.
"""
from course_lib import _validate
from course_lib.optim.adadelta import Adadelta
from course_lib.optim.adagrad import Adagrad
from course_lib.optim.adam import Adam, AdamW
from course_lib.optim.adamax import Adamax
from course_lib.optim.base import Optimizer
from course_lib.optim.flat import flat_parameters
from course_lib.optim.momentum import LectureNesterov, Momentum, NesterovLookahead
from course_lib.optim.nadam import NAdam
from course_lib.optim.rmsprop import RMSprop
from course_lib.optim.sgd import SGD, NesterovSGD

__all__ = [
    "Optimizer", "SGD", "NesterovSGD", "Momentum", "NesterovLookahead", "LectureNesterov", "Adagrad", "RMSprop", "Adadelta", "Adam",
    "AdamW", "Adamax", "NAdam", "flat_parameters", "OPTIMIZERS", "make_optimizer",
]

OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": NesterovSGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adadelta": Adadelta,
    "adam": Adam,
    "adamw": AdamW,
    "adamax": Adamax,
    "nadam": NAdam,
}


def make_optimizer(name, params, **hyper):
    """Build the optimizer called `name` (a key of OPTIMIZERS, any case) over `params` with hyperparameters.

    ``make_optimizer("adam", [W, b], lr=1e-3)`` is ``Adam([W, b], lr=1e-3)``. An unknown name raises ValueError
    listing the names; a hyperparameter the method does not have raises TypeError naming it.
    """
    if not isinstance(name, str):
        raise TypeError(f"optimizer name must be a string, got {type(name).__name__}")
    key = _validate.one_of(name.strip().lower(), "optimizer", tuple(OPTIMIZERS))
    cls = OPTIMIZERS[key]
    try:
        return cls(params, **hyper)
    except TypeError as exc:
        if "unexpected keyword argument" in str(exc) or "missing" in str(exc):
            raise TypeError(f"{cls.__name__} ({key!r}): {exc}") from None
        raise
