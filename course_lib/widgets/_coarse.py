"""Axis limits that move in coarse steps, so that a slider move almost never redraws the whole figure.

An explorer's artists are drawn over a cached picture of the rest of its figure (`_explorer.Explorer.draw`); a
changed axis limit invalidates that picture and costs a whole-figure draw (several times a blit). The limits here
are a function of the data alone (the same settings always give the same picture) and take few values: the top of
an axis is the next "round" number above the data (1, 2, 3 or 5 times a power of ten) or the next of a few listed
rungs (e.g. epochs), a log axis moves by whole groups of decades. Sliding within a rung keeps the picture; crossing one redraws it once.
"""
import math

import numpy as np

ROUND = (1.0, 2.0, 3.0, 5.0)


def round_above(value, steps=ROUND):
    """The smallest s * 10**k >= `value` (s in `steps`, k an integer); 1 for a value that is not positive and
    finite."""
    value = float(value)
    if not value > 0.0 or not math.isfinite(value):
        return 1.0
    k = math.floor(math.log10(value))
    for power in (k, k + 1):
        for s in steps:
            top = s * 10.0 ** power
            if top >= value * (1 - 1e-12):
                return float(f"{top:.12g}")  # 0.3, not 0.30000000000000004
    return 10.0 ** (k + 2)


def first_at_least(value, rungs):
    """The first of the sorted `rungs` >= `value`, or the last one."""
    return next((r for r in rungs if r >= value), rungs[-1])


def decades(low, high, every=2, floor=None, every_low=None):
    """(bottom, top) of a log axis holding [low, high]: powers of ten whose exponents are multiples of `every`
    (`every_low` for the bottom, default `every`), the bottom not below `floor`."""
    low, high = float(low), float(high)
    every_low = every if every_low is None else every_low
    bottom = 10.0 ** (every_low * math.floor(math.log10(max(low, 1e-300)) / every_low))
    top = 10.0 ** (every * math.ceil(math.log10(max(high, low * 10, 1e-300)) / every))
    if floor is not None:
        bottom = max(bottom, floor)
    if top <= bottom:
        top = bottom * 10.0 ** every
    return bottom, top


def set_limits(ax, low, high, which="y"):
    """Set `ax`'s x or y limits to exactly (low, high) unless they are that already (matplotlib would mark the
    figure stale, i.e. make the next draw a whole-figure one, even for the same values). True if they changed."""
    get, set_ = (ax.get_ylim, ax.set_ylim) if which == "y" else (ax.get_xlim, ax.set_xlim)
    if np.allclose(get(), (low, high), rtol=1e-12, atol=0.0):
        return False
    set_(low, high)
    return True
