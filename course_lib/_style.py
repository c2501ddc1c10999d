"""The course's figure style: the colour palette and a new figure sized for a notebook cell.

A core module (it imports nothing of the course), so that models that draw themselves (`History.plot`, the
schedules' and preprocessing's pictures) use the same look as `course_lib.plots` without importing the
presentation layer; `plots` re-exports these names.
"""

# Okabe & Ito (2008), "Color Universal Design": distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
COLORS = dict(zip(["blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black"], PALETTE))


def color(i):
    """The i-th colour of the palette (cycling)."""
    return PALETTE[i % len(PALETTE)]


def new_axes(nrows=1, ncols=1, figsize=None, **kwargs):
    """A new figure and its axes, sized for a notebook cell (4.8 x 3.6 inches a panel), with constrained layout;
    returns (fig, axes)."""
    import matplotlib.pyplot as plt

    if figsize is None:
        figsize = (4.8 * ncols, 3.6 * nrows)
    kwargs.setdefault("layout", "constrained")
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=True, **kwargs)
    return fig, axes
