"""Weight initialization: where gradient descent starts, and why it matters (the initialization lecture).

Every scheme draws a weight matrix W of shape (fan_in, fan_out) = (D_in, D_out), one column per unit of the layer;
biases start at 0, batch norm's gamma at 1 and beta at 0.

    scheme          W_ij                                       std of W_ij                 lecture / PyTorch
    zeros           0                                          0                           (all units identical)
    constant(c)     c                                          0                           (all units identical)
    normal(s)       s * randn                                  s  (lecture: s = 0.01)      "small random numbers"
    xavier          randn / sqrt(fan_in)                       sqrt(1 / fan_in)            lecture's "Xavier"
    xavier_normal   sqrt(2 / (fan_in + fan_out)) * randn       sqrt(2 / (fan_in + fan_out)) Glorot & Bengio 2010;
                                                                                            torch xavier_normal_
    xavier_uniform  U(-a, a), a = sqrt(6 / (fan_in + fan_out))  sqrt(2 / (fan_in + fan_out)) torch xavier_uniform_
    he              sqrt(2 / fan_in) * randn                   sqrt(2 / fan_in)            He et al. 2015; torch
                                                                                            kaiming_normal_ (relu)

Which "Xavier"? The lecture's slide writes ``W = np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)`` and calls it
Xavier initialization; that is `xavier` here (variance 1/fan_in, what PyTorch would call kaiming_normal_ with a
linear gain). Glorot and Bengio's paper averages fan_in and fan_out: variance 2 / (fan_in + fan_out), which is what
PyTorch's ``xavier_normal_`` and ``xavier_uniform_`` draw (`xavier_normal`, `xavier_uniform`). For a square layer
(fan_in = fan_out) the three have the same variance.

Why these numbers: a unit computes s = sum_i x_i W_i over fan_in inputs; with independent zero-mean inputs of
variance v, Var(s) = fan_in * Var(W) * v. Keeping Var(s) = v needs Var(W) = 1 / fan_in (Xavier, derived for linear or
tanh units near 0). ReLU zeroes half of its inputs, halving the variance, so He doubles it: Var(W) = 2 / fan_in.

What goes wrong otherwise (the lecture's table, reproduced by `layer_statistics`): in a 10-layer tanh net of width
500 with W = 0.01 * randn, each layer multiplies the activations' std by about 0.01 * sqrt(500) = 0.22, so it
collapses towards 0 layer by layer (and so do the gradients of W, which are proportional to the layer inputs).
With `xavier` the std shrinks only slowly (about 0.6, 0.5, ..., 0.2 over ten layers). With constant weights every
unit of a layer computes the same thing and gets the same gradient, so the units stay identical forever (the
symmetry is never broken).

Functions:

- `zeros`, `xavier`, `xavier_normal`, `xavier_uniform`, `he`: initializers, called as ``f(fan_in, fan_out, rng)``
  and returning a float64 array of shape (fan_in, fan_out).
- `constant(value)` and `normal(std)`: build such an initializer (``normal(0.01)`` is the lecture's
  ``0.01 * np.random.randn(D, H)``).
- `INITS`: name -> initializer, or for "constant"/"normal" the function that builds one.
- `initialize(model, scheme, scale=None, seed=None)`: (re)initialize every layer of a `course_lib.model.MLP`.
- `layer_activations(model, X)` and `layer_statistics(model, X)`: the hidden layers' activations and their
  (layer, mean, std), for the table and for histograms (`course_lib.plots.plot_layer_statistics`).
"""
import math

import numpy as np

from course_lib import _validate

__all__ = [
    "zeros", "constant", "normal", "xavier", "xavier_normal", "xavier_uniform", "he", "INITS", "initialize",
    "layer_activations", "layer_statistics",
]


def _fans(fan_in, fan_out):
    fan_in = _validate.scalar(fan_in, "fan_in", low=1, integer=True)
    fan_out = _validate.scalar(fan_out, "fan_out", low=1, integer=True)
    return fan_in, fan_out


def _generator(rng):
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator, an integer seed or None, got {type(rng).__name__}")


def zeros(fan_in, fan_out, rng=None):
    """W = 0: every unit of the layer computes the same output and gets the same gradient (do not use for W)."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    return np.zeros((fan_in, fan_out))


def constant(value):
    """Initializer filling W with `value` (the lecture's "W = constant init"): like zeros, the units stay identical.

    Returns a function f(fan_in, fan_out, rng=None) -> array of shape (fan_in, fan_out).
    """
    value = _validate.scalar(value, "value")

    def constant_init(fan_in, fan_out, rng=None):
        fan_in, fan_out = _fans(fan_in, fan_out)
        return np.full((fan_in, fan_out), value)

    constant_init.__name__ = f"constant({value:g})"
    return constant_init


def normal(std=0.01):
    """Initializer drawing W = std * randn(fan_in, fan_out): the lecture's small random numbers (std 0.01).

    Fine for small networks; in deep ones the activations shrink by about std * sqrt(fan_in) per layer.
    Returns a function f(fan_in, fan_out, rng=None).
    """
    std = _validate.scalar(std, "std", low=0.0)

    def normal_init(fan_in, fan_out, rng=None):
        fan_in, fan_out = _fans(fan_in, fan_out)
        return std * _generator(rng).standard_normal((fan_in, fan_out))

    normal_init.__name__ = f"normal({std:g})"
    return normal_init


def xavier(fan_in, fan_out, rng=None):
    """Lecture's Xavier: W = randn(fan_in, fan_out) / sqrt(fan_in), so Var(W) = 1 / fan_in.

    Keeps the variance of a linear (or tanh near 0) unit's output equal to that of its inputs.
    """
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _generator(rng).standard_normal((fan_in, fan_out)) / math.sqrt(fan_in)


def xavier_normal(fan_in, fan_out, rng=None):
    """Glorot & Bengio's normal form: W = sqrt(2 / (fan_in + fan_out)) * randn (PyTorch's xavier_normal_)."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    return math.sqrt(2.0 / (fan_in + fan_out)) * _generator(rng).standard_normal((fan_in, fan_out))


def xavier_uniform(fan_in, fan_out, rng=None):
    """Glorot & Bengio's uniform form: W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (PyTorch's xavier_uniform_).

    A uniform U(-a, a) has variance a^2 / 3, so Var(W) = 2 / (fan_in + fan_out), the same as `xavier_normal`.
    """
    fan_in, fan_out = _fans(fan_in, fan_out)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return _generator(rng).uniform(-limit, limit, size=(fan_in, fan_out))


def he(fan_in, fan_out, rng=None):
    """He (Kaiming) initialization for ReLU layers: W = randn(fan_in, fan_out) * sqrt(2 / fan_in).

    ReLU zeroes half of its inputs, so the variance doubles relative to Xavier (PyTorch: kaiming_normal_ with
    nonlinearity='relu', mode='fan_in').
    """
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _generator(rng).standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / fan_in)


INITS = {
    "zeros": zeros,
    "constant": constant,
    "normal": normal,
    "xavier": xavier,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "he": he,
}

# The schemes whose INITS entry builds the initializer from `scale` (the value, or the std), with its default.
_BUILT_FROM_SCALE = {"constant": None, "normal": 0.01}


def initializer(scheme, scale=None):
    """The function f(fan_in, fan_out, rng) for a scheme name (or a callable, returned as it is) and a scale.

    scale: the value for "constant" (required), the std for "normal" (default 0.01), and a gain multiplying W for
    every other scheme (default 1; e.g. ``scale=0.5`` halves the He weights).
    """
    if callable(scheme):
        if scale is not None:
            raise ValueError("scale only applies to a scheme given by name; build your own initializer instead")
        return scheme
    if not isinstance(scheme, str):
        raise TypeError(f"init scheme must be a name or a function f(fan_in, fan_out, rng), got {type(scheme).__name__}")
    _validate.one_of(scheme, "init scheme", tuple(INITS))
    if scheme in _BUILT_FROM_SCALE:
        if scale is None:
            scale = _BUILT_FROM_SCALE[scheme]
        if scale is None:
            raise ValueError("init scheme 'constant' needs the value: pass scale=<value> (e.g. scale=0.5)")
        return INITS[scheme](scale)
    base = INITS[scheme]
    if scale is None:
        return base
    gain = _validate.scalar(scale, "scale")

    def scaled(fan_in, fan_out, rng=None):
        return gain * base(fan_in, fan_out, rng)

    scaled.__name__ = f"{gain:g} * {scheme}"
    return scaled


def initialize(model, scheme, scale=None, seed=None):
    """(Re)initialize a model in place: every W from `scheme`, biases 0, gamma 1, beta 0, running stats reset.

    model  : a `course_lib.model.MLP` (anything with `sizes`, `params`, `param_names`, `rng`, `reset_buffers()`).
    scheme : a name in INITS ("zeros", "constant", "normal", "xavier", "xavier_normal", "xavier_uniform", "he") or
             a function f(fan_in, fan_out, rng) -> array (fan_in, fan_out).
    scale  : see `initializer` (value for constant, std for normal, a gain otherwise).
    seed   : an int for a fresh generator; None draws from the model's own generator (`model.rng`), so a model
             built with a seed is reproducible.

    The weights are drawn in float64 and then stored in the model's dtype, so a float32 and a float64 model with
    the same seed start from the same numbers (up to rounding). Returns the model.
    """
    make = initializer(scheme, scale)
    rng = model.rng if seed is None else np.random.default_rng(_validate.scalar(seed, "seed", low=0, integer=True))
    for name, p in zip(model.param_names, model.params):
        if name.startswith("W"):
            fan_in, fan_out = p.shape
            w = np.asarray(make(fan_in, fan_out, rng), dtype=np.float64)
            if w.shape != p.shape:
                raise ValueError(f"the initializer returned shape {w.shape} for {name}, expected {p.shape}")
            p[...] = w
        elif name.startswith("gamma"):
            p[...] = 1.0
        else:  # b, beta
            p[...] = 0.0
    model.reset_buffers()
    return model


def layer_activations(model, X):
    """The hidden layers' activations for inputs X (N, D), in evaluation mode: a list, entry l-1 = layer l, each of
    shape (N, width of layer l). Feed it to `course_lib.plots.plot_layer_statistics` for the lecture's histograms."""
    return model.hidden_activations(X)


def layer_statistics(model, X):
    """The lecture's table: [(layer, mean, std), ...] of each hidden layer's activations on X (layers 1, 2, ...).

    Mean and std are over all N * width entries of the layer, as Python floats (computed in float64).
    """
    stats = []
    for layer, a in enumerate(layer_activations(model, X), start=1):
        a = np.asarray(a, dtype=np.float64)
        stats.append((layer, float(a.mean()), float(a.std())))
    return stats
