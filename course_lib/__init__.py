"""course_lib: the library behind the course on training neural networks.

Every module teaches one idea and can be read like the lecture:

- `activations`, `losses`, `layers`: forward and backward passes (Numba kernels beside validated functions).
- `graph`: a scalar autodiff `Value` (the computation-graph lecture); `jacobian`: numeric gradients and checks.
- `ema`: exponential moving averages with bias correction; `optim`: the optimizers; `schedules`: learning rates.
- `model`, `init`, `train`, `regularization`, `ensembles`, `transfer`: networks, training, penalties, ensembles.
- `data`, `landscapes`, `plots`, `widgets`: data sets, loss landscapes, pictures and explorations.
- `grading`: the helpers that the assignments' tests use to explain what is wrong.
- `instructor`: the tools behind the `course` command (`release`, `verify`, `grade/`, `classroom/`, `warmup`,
  `cli`). Their old paths (``course_lib.release``, ``course_lib.grade.run``, ...) are aliases of the same modules
  (`_aliases`).

Submodules load on first use (``course_lib.optim`` works after ``import course_lib``), so importing the package
stays fast.
"""
import importlib

from course_lib import _aliases
from course_lib.seeding import seed

_aliases.install()

__version__ = "0.1.0"
__all__ = ["seed", "__version__"]

_SUBMODULES = {
    "activations", "losses", "layers", "graph", "jacobian", "ema", "optim", "schedules", "model", "init",
    "train", "data", "landscapes", "plots", "widgets", "grading", "regularization", "clipping", "ensembles",
    "transfer", "instructor", "release", "verify", "grade", "warmup", "classroom", "cli", "expected",
}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"course_lib.{name}")
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
