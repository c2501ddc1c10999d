"""Axis limits that move in coarse steps, so that a slider move almost never redraws the whole figure.

An explorer's artists are drawn over a cached picture of the rest of its figure (`_explorer.Explorer.draw`); a
changed axis limit invalidates that picture and costs a whole-figure draw (several times a blit). The limits here
are a function of the data alone (the same settings always give the same picture) and take few values: most
explorers fix them over their sliders' whole ranges (`set_limits` then only guards against a needless redraw); a
log axis that must follow the data moves by whole groups of decades (`decades`).
"""
import math

import numpy as np

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
