"""Transfer learning (deck 004): reuse the hidden layers that a network learned on a task with plenty of data (the
*source*) for a related task that has only a few labelled examples (the *target*).

    source net:  x -> hidden layers 1..L-1, learned on the source  -> output layer for the source's classes
    target net:  x -> the same hidden layers, copied               -> a new output layer for the target's classes

The deck: "set these [the early layers] to the already learned weights from another network; learn these [the last
layers] on your own task". The target net can then be trained in two ways:

- **frozen** (the copied layers as a fixed feature extractor): only the new output layer learns. The deck's other
  option, "use network as feature extractor, train SVM/LR on extracted features", is the same thing, since the
  output layer on top of frozen features is a logistic regression.
- **fine-tuned**: the copied layers are only the starting point, and every layer keeps learning.

What is here:

- `transfer_hidden_layers(source, target)` copies W^{[l]}, b^{[l]} and, with batch norm, gamma^{[l]}, beta^{[l]},
  running_mean^{[l]} and running_var^{[l]} of every hidden layer l = 1..L-1 of one `course_lib.model.MLP` into
  another with the same input and hidden widths. The output layers may differ (another number of classes).
- `FrozenOptimizer(optimizer_factory, params, frozen)` wraps an optimizer so that `course_lib.train.fit` leaves the
  frozen parameters alone. The inner optimizer is built on the trainable parameters only, as in PyTorch, where one
  writes ``torch.optim.Adam(p for p in model.parameters() if p.requires_grad)``. Building it on all parameters and
  zeroing the frozen gradients would NOT be enough: momentum still moves a parameter whose gradient is zero, and
  decoupled weight decay (AdamW) shrinks it.
- `hidden_parameter_indices(model)`: the positions in ``model.params`` of the hidden layers' parameters, the usual
  set to freeze.
- `few_shot_split(X, y, classes, per_class, seed)`: the target's few labelled examples, k per class, and the rest.

One thing freezing does not stop: batch norm's running averages are not parameters (no gradient, no optimizer), so a
training pass still updates them, as in PyTorch in ``model.train()`` mode.

No Numba here: the work is copying arrays and choosing which ones an optimizer sees.
"""
import numbers
import re

import numpy as np

from course_lib import _validate
from course_lib.optim.base import check_params

__all__ = ["hidden_parameter_indices", "transfer_hidden_layers", "FrozenOptimizer", "few_shot_split"]


def _check_mlp(model, name):
    from course_lib.model import MLP

    if not isinstance(model, MLP):
        raise TypeError(f"{name} must be a course_lib.model.MLP, got {type(model).__name__}")
    return model


def _layer_of(param_name):
    """The layer number l of a parameter called "W3", "b3", "gamma3" or "beta3"."""
    return int(re.fullmatch(r"[A-Za-z]+(\d+)", param_name).group(1))


def hidden_parameter_indices(model):
    """Positions in ``model.params`` of the hidden layers' parameters: W^{[l]}, b^{[l]} (and gamma^{[l]},
    beta^{[l]} with batch norm) for l = 1..L-1, in order. Everything except the output layer's W^{[L]} and b^{[L]}.

    For MLP([64, 128, 10]) that is [0, 1] (W1, b1); with batchnorm=True, [0, 1, 2, 3] (W1, b1, gamma1, beta1).
    """
    model = _check_mlp(model, "model")
    last = len(model.sizes) - 1
    return [k for k, name in enumerate(model.param_names) if _layer_of(name) < last]


def transfer_hidden_layers(source, target):
    """Copy every hidden layer of `source` into `target`, in place; returns the copied positions in target.params.

    Copied: W^{[l]} (D_{l-1}, D_l), b^{[l]} (D_l,) and, with batch norm, gamma^{[l]}, beta^{[l]}, running_mean^{[l]},
    running_var^{[l]} (D_l,) for l = 1..L-1. Not copied: the output layer W^{[L]}, b^{[L]}, which belongs to the
    target's own task (it keeps its initialization).

    The two networks must agree on the input width and every hidden width (sizes[:-1]), the activation and
    batchnorm; their output widths may differ. A float64 source may be copied into a float32 target (the values are
    rounded). The returned list is `hidden_parameter_indices(target)`, ready to be passed as `frozen` to
    `FrozenOptimizer`.

    PyTorch: ``target.load_state_dict({k: v for k, v in source.state_dict().items() if not k.startswith("out")},
    strict=False)``, with "out" the output layer's name.
    """
    source = _check_mlp(source, "source")
    target = _check_mlp(target, "target")
    if tuple(source.sizes[:-1]) != tuple(target.sizes[:-1]):
        raise ValueError(f"source and target must have the same input and hidden widths: source has sizes "
                         f"{list(source.sizes)}, target {list(target.sizes)} (only the last entry, the output width, "
                         "may differ)")
    if source.activation != target.activation or source.activation_params != target.activation_params:
        raise ValueError(f"source uses activation {source.activation!r} {source.activation_params or ''} but target "
                         f"uses {target.activation!r} {target.activation_params or ''}: the copied features only mean "
                         "something with the activation they were learned with")
    if source.batchnorm != target.batchnorm:
        raise ValueError(f"source has batchnorm={source.batchnorm} but target has batchnorm={target.batchnorm}; "
                         "build both with the same setting")
    copied = hidden_parameter_indices(target)
    for k in copied:
        target.params[k][...] = source.params[k]
    for src_stat, dst_stat in zip(source.running_means + source.running_vars,
                                  target.running_means + target.running_vars):
        dst_stat[...] = src_stat
    return copied


class FrozenOptimizer:
    """An optimizer over `params` that never changes the ones listed in `frozen`.

        FrozenOptimizer(optimizer_factory, params, frozen)

    optimizer_factory : a function list_of_arrays -> optimizer, e.g. ``lambda ps: Adam(ps, lr=1e-3)`` or
                        ``functools.partial(Adam, lr=1e-3)``. It is called once, on the trainable arrays only.
    params            : every parameter of the model (``model.params``), so that `course_lib.train.fit` accepts it.
    frozen            : positions in `params` of the arrays to keep fixed (e.g. from `transfer_hidden_layers`).

    ``step(grads)`` takes one gradient per parameter, as `fit` passes them, and hands the trainable ones to the inner
    optimizer; the frozen gradients are ignored. The inner optimizer's state (velocities, moment estimates) exists
    for the trainable parameters only. `lr` reads and sets the inner optimizer's rate (so schedules work),
    `state_dict`/`load_state_dict`/`reset` are the inner optimizer's (so Babysitter's redo works).

    Attributes: params, frozen and trainable (tuples of positions), optimizer (the inner one).
    """

    def __init__(self, optimizer_factory, params, frozen):
        if not callable(optimizer_factory):
            raise TypeError(f"optimizer_factory must be a function that builds an optimizer from a list of arrays, "
                            f"e.g. lambda ps: Adam(ps, lr=1e-3); got {type(optimizer_factory).__name__}")
        self.params = check_params(params)
        self.frozen = self._check_frozen(frozen, len(self.params))
        self.trainable = tuple(k for k in range(len(self.params)) if k not in set(self.frozen))
        if not self.trainable:
            raise ValueError(f"all {len(self.params)} parameters are frozen: there is nothing left to train")
        trainable_params = [self.params[k] for k in self.trainable]
        inner = optimizer_factory(trainable_params)
        if not (hasattr(inner, "step") and hasattr(inner, "lr")):
            raise TypeError(f"optimizer_factory must return an optimizer (with step() and lr), got "
                            f"{type(inner).__name__}")
        inner_params = getattr(inner, "params", None)
        if inner_params is not None and (len(inner_params) != len(trainable_params)
                                         or any(p is not q for p, q in zip(inner_params, trainable_params))):
            raise ValueError("optimizer_factory must build the optimizer on the list of arrays it is given "
                             "(the trainable parameters), not on other arrays")
        self.optimizer = inner

    @staticmethod
    def _check_frozen(frozen, n):
        if isinstance(frozen, (str, bytes)) or not hasattr(frozen, "__iter__"):
            raise TypeError(f"frozen must be a list of positions in params, got {type(frozen).__name__}")
        positions = []
        for i, k in enumerate(frozen):
            if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
                raise TypeError(f"frozen[{i}] must be an integer position in params, got {k!r}")
            k = int(k)
            if not 0 <= k < n:
                raise ValueError(f"frozen[{i}] = {k} is not a position in params (0..{n - 1})")
            if k in positions:
                raise ValueError(f"frozen lists position {k} twice")
            positions.append(k)
        return tuple(sorted(positions))

    @property
    def lr(self):
        """The inner optimizer's learning rate (a schedule may set it between steps)."""
        return self.optimizer.lr

    @lr.setter
    def lr(self, value):
        self.optimizer.lr = value

    @property
    def step_count(self):
        """Steps taken by the inner optimizer."""
        return getattr(self.optimizer, "step_count", None)

    def step(self, grads):
        """Update the trainable parameters in place from their gradients; `grads` has one array per parameter (the
        frozen ones' are not used)."""
        if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)):
            raise TypeError(f"grads must be a list of arrays, one per parameter, got {type(grads).__name__}")
        if len(grads) != len(self.params):
            raise ValueError(f"expected {len(self.params)} gradients (one per parameter, frozen ones included), "
                             f"got {len(grads)}")
        self.optimizer.step([grads[k] for k in self.trainable])

    def state_dict(self):
        """The inner optimizer's snapshot."""
        return self.optimizer.state_dict()

    def load_state_dict(self, state):
        """Restore the inner optimizer from `state_dict()`."""
        self.optimizer.load_state_dict(state)

    def reset(self):
        """Reset the inner optimizer's state."""
        self.optimizer.reset()

    def __repr__(self):
        return f"FrozenOptimizer({self.optimizer!r}, frozen={list(self.frozen)}, trainable={list(self.trainable)})"


def few_shot_split(X, y, classes, per_class, seed=0):
    """The target task's few labelled examples: `per_class` random examples of each class in `classes`, and the
    rest of those classes' examples (to test on). Returns (X_few, y_few, X_rest, y_rest).

    X : (N, ...) inputs.   y : (N,) integer labels.   classes : the target's classes, e.g. [5, 6, 7, 8, 9].
    The returned labels are positions in `classes` (5..9 become 0..4), as a new output layer needs them. Examples
    of other classes are left out. Each class's examples are drawn without replacement with
    ``np.random.default_rng(seed)``, class by class in the order of `classes`; both parts keep the order of X.
    """
    X = _validate.float_array(X, "X")
    if X.ndim < 1 or X.shape[0] == 0:
        raise ValueError(f"X must have at least one row, got shape {X.shape}")
    labels = _validate.labels_array(y, "y", length=X.shape[0])
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise TypeError(f"classes must be a list of class labels, got {type(classes).__name__}")
    classes = [_validate.scalar(c, f"classes[{i}]", integer=True) for i, c in enumerate(classes)]
    if not classes:
        raise ValueError("classes is empty: name at least one class")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes lists a class twice: {classes}")
    per_class = _validate.scalar(per_class, "per_class", low=1, integer=True)
    rng = np.random.default_rng(_validate.scalar(seed, "seed", low=0, integer=True))
    few, rest = [], []
    new_labels = np.full(labels.shape, -1, dtype=np.int64)
    for position, c in enumerate(classes):
        members = np.flatnonzero(labels == c)
        if members.size < per_class:
            raise ValueError(f"class {c} has only {members.size} examples, fewer than per_class={per_class}")
        chosen = rng.choice(members, size=per_class, replace=False)
        few.append(chosen)
        rest.append(np.setdiff1d(members, chosen))
        new_labels[members] = position
    few = np.sort(np.concatenate(few))
    rest = np.sort(np.concatenate(rest))
    return X[few], new_labels[few], X[rest], new_labels[rest]
