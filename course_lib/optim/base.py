"""What every optimizer shares: checking params and grads, the step counter, the learning rate, saving the state.

An optimizer here owns a list of parameter arrays and updates them IN PLACE:

    opt = Adam([W, b], lr=1e-3)
    for batch in batches:
        dW, db = gradients(W, b, batch)
        opt.step([dW, db])          # W and b change; nothing is returned

Each method's update rule lives in its own module, as a kernel that makes one pass over a parameter array and
its gradient, updating the state arrays (moment estimates, accumulators) in the same pass. It takes the lecture's
quantities by name (theta, g, m, v, t, lr, beta1, ...) and computes the per-step constants (bias corrections and
the like) itself, as written in the formula. The class around the kernel checks the input; `step` reads

    check the gradients  ->  count the step (t <- t + 1)  ->  apply the rule to every parameter

Compiling, threads for large arrays and the one-call-per-buffer fast path live in `engine.py` and `flat.py`.

State is explicit: each optimizer lists its per-parameter state arrays in `state_names`, and each name is an
attribute holding one array per parameter, shaped like it (e.g. `Adam.exp_avg[0]` is the first moment of
`params[0]`). `step_count` is t, the number of steps taken.
"""
import numpy as np

from course_lib import _validate
from course_lib.optim.engine import all_finite, apply_rule
from course_lib.optim.flat import covering_buffer, flat_parameters

__all__ = ["Optimizer"]


def memory_order(arr):
    """'C' or 'F': the order in which `arr` can be viewed as 1-D without copying."""
    return "C" if arr.flags.c_contiguous else "F"


check_flag = _validate.flag  # (the old name; the rule is written once, in _validate)


def check_betas(betas, name="betas"):
    """(beta1, beta2), each in [0, 1)."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise TypeError(f"{name} must be a pair (beta1, beta2), got {betas!r}")
    return tuple(_validate.scalar(b, f"{name}[{k}]", low=0.0, high=1.0, high_open=True) for k, b in enumerate(betas))


def check_params(params):
    """The parameter list: writable, contiguous float32/float64 arrays, each given once."""
    if isinstance(params, np.ndarray) or not hasattr(params, "__iter__"):
        raise TypeError(f"params must be a list of arrays (wrap a single array as [w]), got {type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError("params is empty: an optimizer needs at least one array to update")
    _validate.in_place_arrays(params, "params", "the optimizer")
    seen = set()
    for i, p in enumerate(params):
        if id(p) in seen:
            raise ValueError(f"params[{i}] appears more than once in params")
        seen.add(id(p))
    return params


class Optimizer:
    """Base class: params, `lr`, `step_count`, `step(grads)`, `state_dict()`, `load_state_dict()`, `reset()`.

    A subclass sets `state_names` (its per-parameter state arrays, in the order its kernel takes them after theta
    and g) and `_kernel` (an `engine.update_rule`, called as ``_kernel(theta, g, *states, *scalars)`` on 1-D
    arrays). The scalars are found by the names in the kernel's signature among `rule_arguments()`: t, lr and
    the hyperparameters (``betas`` also as beta1, beta2). A new hyperparameter is a name in `hyperparameters()`
    and a parameter of the kernel.
    """

    state_names = ()
    scalar_state_names = ()  # per-optimizer scalars that are state too (NAdam's mu_product)

    def __init__(self, params, lr):
        self.params = check_params(params)
        self.lr = lr
        # One kernel call for the whole model when the params tile one buffer (see `flat_parameters`).
        self._flat = covering_buffer(self.params)
        self._last_grad_buffer = ((), None)
        self._allocate_state()
        self.reset()
        self._rule_names = type(self)._kernel.scalar_names(len(self.state_names))

    # ---- learning rate ---------------------------------------------------------------------------------------
    @property
    def lr(self):
        """The learning rate; a schedule may set it between steps (``opt.lr = schedule(epoch)``)."""
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = _validate.scalar(value, "lr", low=0.0)

    # ---- state -----------------------------------------------------------------------------------------------
    def _uses_state(self, name):
        """Whether the state array `name` exists for these hyperparameters (e.g. amsgrad's maximum)."""
        return True

    def _initial_value(self, name):
        """The value a state array starts from (Adagrad's accumulator may start above zero)."""
        return 0.0

    def hyperparameters(self):
        """The hyperparameters other than lr, as a dict (used by `state_dict` and repr)."""
        return {}

    def _allocate_state(self):
        shapes = [p.shape for p in self.params]
        for name in self.state_names:
            if not self._uses_state(name):
                setattr(self, name, None)
            elif self._flat is not None:
                setattr(self, name, flat_parameters(shapes, self._flat.dtype)[1])
            else:
                setattr(self, name, [np.zeros_like(p) for p in self.params])
        # 1-D views that the kernels see: one tuple per parameter, and one for the whole buffer if flat.
        self._units = []
        for i, p in enumerate(self.params):
            order = memory_order(p)
            empty = np.empty(0, dtype=p.dtype)
            states = tuple(empty if getattr(self, n) is None else getattr(self, n)[i].reshape(-1, order=order)
                           for n in self.state_names)
            self._units.append((p.reshape(-1, order=order), states))
        if self._flat is not None:
            empty = np.empty(0, dtype=self._flat.dtype)
            states = tuple(empty if getattr(self, n) is None else getattr(self, n)[0].base
                           for n in self.state_names)
            self._flat_unit = (self._flat, states)

    def reset(self):
        """Forget everything learned about the gradients: state back to its start, step_count = 0 (lr is kept)."""
        self.step_count = 0
        for name in self.state_names:
            arrays = getattr(self, name)
            if arrays is not None:
                for a in arrays:
                    a.fill(self._initial_value(name))
        self._reset_scalars()

    def _reset_scalars(self):
        pass

    def state_dict(self):
        """A snapshot: copies of the state arrays, the step count, lr and the hyperparameters (a plain dict)."""
        snapshot = {
            "optimizer": type(self).__name__,
            "step_count": self.step_count,
            "lr": self.lr,
            "hyperparameters": self.hyperparameters(),
        }
        for name in self.scalar_state_names:
            snapshot[name] = getattr(self, name)
        for name in self.state_names:
            arrays = getattr(self, name)
            if arrays is not None:
                snapshot[name] = [a.copy() for a in arrays]
        return snapshot

    def load_state_dict(self, state):
        """Restore a snapshot from `state_dict()` of the same kind of optimizer over params of the same shapes.

        Everything is checked before anything is written. Stepping afterwards continues the saved run exactly.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        kind = type(self).__name__
        if state.get("optimizer") != kind:
            raise ValueError(f"state was saved by {state.get('optimizer')!r}, cannot load it into {kind}")
        saved = state.get("hyperparameters")
        if saved != self.hyperparameters():
            raise ValueError(f"state was saved with hyperparameters {saved}, this {kind} has {self.hyperparameters()}")
        step_count = _validate.scalar(state.get("step_count"), "state['step_count']", low=0, integer=True)
        lr = _validate.scalar(state.get("lr"), "state['lr']", low=0.0)
        scalars = {n: _validate.scalar(state.get(n), f"state[{n!r}]") for n in self.scalar_state_names}
        arrays = {}
        for name in self.state_names:
            if getattr(self, name) is None:
                continue
            saved_arrays = state.get(name)
            if not isinstance(saved_arrays, (list, tuple)) or len(saved_arrays) != len(self.params):
                raise ValueError(f"state[{name!r}] must be a list of {len(self.params)} arrays")
            checked = []
            for i, (a, p) in enumerate(zip(saved_arrays, self.params)):
                a = _validate.float_array(a, f"state[{name!r}][{i}]")
                _validate.same_shape(a, p, f"state[{name!r}][{i}]", f"params[{i}]")
                checked.append(a)
            arrays[name] = checked
        for name, saved_arrays in arrays.items():
            for target, a in zip(getattr(self, name), saved_arrays):
                np.copyto(target, a, casting="unsafe")
        for name, value in scalars.items():
            setattr(self, name, value)
        self.step_count = step_count
        self.lr = lr

    # ---- the step --------------------------------------------------------------------------------------------
    def _check_grads(self, grads):
        """Validate every gradient before any parameter changes; return the 1-D arrays the kernels will read.

        Returns a list with one 1-D gradient per parameter, or a list with the single flat gradient buffer when
        both the params and the grads tile one buffer each.
        """
        if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)):
            raise TypeError(f"grads must be a list of arrays, one per parameter, got {type(grads).__name__}")
        if len(grads) != len(self.params):
            raise ValueError(f"expected {len(self.params)} gradients (one per parameter), got {len(grads)}")
        if self._flat is not None:
            flat_grad = self._covering_grad_buffer(grads)
            if flat_grad is not None:
                for i, (g, p) in enumerate(zip(grads, self.params)):
                    _validate.same_shape(g, p, f"grads[{i}]", f"params[{i}]")
                if flat_grad.dtype.kind != "f":
                    raise TypeError(f"grads must hold floating-point numbers, got dtype {flat_grad.dtype}")
                flat_grad = flat_grad.astype(self._flat.dtype, copy=False)
                if not all_finite(flat_grad):
                    for i, g in enumerate(grads):
                        _validate.check_finite(g, f"grads[{i}]")
                return [flat_grad]
        checked = []
        for i, (g, p) in enumerate(zip(grads, self.params)):
            if not isinstance(g, np.ndarray):
                try:
                    g = np.asarray(g)
                except Exception:
                    raise TypeError(f"grads[{i}] must be an array of numbers, got {type(g).__name__}") from None
            if g.dtype.kind != "f":
                raise TypeError(f"grads[{i}] must hold floating-point numbers, got dtype {g.dtype}")
            _validate.same_shape(g, p, f"grads[{i}]", f"params[{i}]")
            g1 = np.asarray(g, dtype=p.dtype).reshape(-1, order=memory_order(p))
            if not all_finite(g1):
                _validate.check_finite(g, f"grads[{i}]")
            checked.append(g1)
        return checked

    def _covering_grad_buffer(self, grads):
        """`covering_buffer(grads)`, remembered for the last list of gradient arrays seen.

        A training loop passes the same arrays every step (``model.grads``), and finding their buffer afresh
        costs more than an Adam step on a small net. An array object keeps its memory for life, so the same
        objects in the same order tile the same buffer (the arrays are held, so their ids cannot be reused)."""
        last_grads, last_buffer = self._last_grad_buffer
        if len(grads) == len(last_grads) and all(g is h for g, h in zip(grads, last_grads)):
            return last_buffer
        buffer = covering_buffer(grads)
        self._last_grad_buffer = (tuple(grads), buffer)
        return buffer

    def rule_arguments(self):
        """The scalars the update rule is called with this step, by name: t (a float, so that beta**t is computed
        like Python's and PyTorch's), lr, and the hyperparameters."""
        values = {"t": float(self.step_count), "lr": self.lr, **self.hyperparameters()}
        if "betas" in values:
            values["beta1"], values["beta2"] = values["betas"]
        return values

    def step(self, grads):
        """One update of every parameter, in place, from `grads` (same order and shapes as params).

        A gradient of another float dtype is cast to its parameter's dtype. A wrong number of gradients, a wrong
        shape, a non-float dtype or a NaN/inf raises before ANY parameter changes.
        """
        grads = self._check_grads(grads)
        self.step_count += 1
        units = [self._flat_unit] if len(grads) == 1 and self._flat is not None else self._units
        apply_rule(self._kernel, units, grads, self._rule_names, self.rule_arguments())

    def __repr__(self):
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}(lr={self.lr!r}{', ' if hyper else ''}{hyper})"
