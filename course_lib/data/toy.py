"""Small 2-D data sets to train on and draw: spiral, moons, circles, XOR, and the lecture's "spoiler" example.

Every generator returns `X` of shape (N, 2), float64, and `y` of shape (N,), int64 labels 0..C-1. The classes are
balanced: their sizes differ by at most one (when N is not a multiple of C the first classes get one more). The rows
come in random order, so the first rows are a fair sample of all classes. `seed` goes to
`np.random.default_rng(seed)`: the same seed gives the same data, and an existing Generator may be passed instead.
"""
import math

import numpy as np

from course_lib import _validate as v
from course_lib.data._common import as_rng, class_sizes


def _check_common(n_samples, n_classes, noise):
    n_samples = v.scalar(n_samples, "n_samples", integer=True)
    if n_samples < n_classes:
        raise ValueError(f"n_samples must be at least the number of classes ({n_classes}) so that every class "
                         f"gets a point, got {n_samples}")
    noise = v.scalar(noise, "noise", low=0.0)
    return n_samples, noise


def _labels(sizes):
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _shuffled(X, y, rng):
    order = rng.permutation(X.shape[0])
    return np.ascontiguousarray(X[order]), np.ascontiguousarray(y[order])


def make_spiral(n_samples=300, n_classes=3, noise=0.2, seed=0):
    """Interleaved spiral arms, one per class: the classic set that no straight line can split.

    Class k's n_k points sit at radius r_i = i / (n_k - 1) (from the centre out to 1) and angle
        theta_i = 2*pi*k / C + 4 * r_i + noise * z_i,        z_i ~ N(0, 1),
    so each arm turns through 4 radians and the C arms start evenly spaced around the circle. The point is
    x_i = r_i * (cos theta_i, sin theta_i). `noise` is the standard deviation of the angle jitter in radians.

    Returns (X (N, 2) float64, y (N,) int64 in 0..C-1).
    """
    n_classes = v.scalar(n_classes, "n_classes", low=2, integer=True)
    n_samples, noise = _check_common(n_samples, n_classes, noise)
    rng = as_rng(seed, "seed")
    sizes = class_sizes(n_samples, n_classes)
    X = np.empty((n_samples, 2))
    start = 0
    for k, n_k in enumerate(sizes):
        r = np.linspace(0.0, 1.0, n_k)
        theta = 2.0 * math.pi * k / n_classes + 4.0 * r + noise * rng.standard_normal(n_k)
        X[start:start + n_k, 0] = r * np.cos(theta)
        X[start:start + n_k, 1] = r * np.sin(theta)
        start += n_k
    return _shuffled(X, _labels(sizes), rng)


def make_moons(n_samples=200, noise=0.1, seed=0):
    """Two interleaving half circles.

    Class 0: (cos t, sin t) for t evenly spaced in [0, pi] (the upper arc, centred at the origin).
    Class 1: (1 - cos t, 1/2 - sin t) (the lower arc, shifted right and down so the arcs interlock).
    Then every point gets Gaussian noise of standard deviation `noise` in each coordinate.

    Returns (X (N, 2) float64, y (N,) int64 in {0, 1}).
    """
    n_samples, noise = _check_common(n_samples, 2, noise)
    rng = as_rng(seed, "seed")
    sizes = class_sizes(n_samples, 2)
    t0 = np.linspace(0.0, math.pi, sizes[0])
    t1 = np.linspace(0.0, math.pi, sizes[1])
    X = np.concatenate([
        np.column_stack([np.cos(t0), np.sin(t0)]),
        np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
    ])
    X += noise * rng.standard_normal(X.shape)
    return _shuffled(X, _labels(sizes), rng)


def make_circles(n_samples=200, noise=0.05, factor=0.5, seed=0):
    """A circle of radius `factor` (class 1) inside the unit circle (class 0), points evenly spaced in angle.

    Every point gets Gaussian noise of standard deviation `noise` in each coordinate; 0 < factor < 1.

    Returns (X (N, 2) float64, y (N,) int64 in {0, 1}).
    """
    n_samples, noise = _check_common(n_samples, 2, noise)
    factor = v.scalar(factor, "factor", low=0.0, high=1.0, low_open=True, high_open=True)
    rng = as_rng(seed, "seed")
    sizes = class_sizes(n_samples, 2)
    t0 = np.linspace(0.0, 2.0 * math.pi, sizes[0], endpoint=False)
    t1 = np.linspace(0.0, 2.0 * math.pi, sizes[1], endpoint=False)
    X = np.concatenate([
        np.column_stack([np.cos(t0), np.sin(t0)]),
        factor * np.column_stack([np.cos(t1), np.sin(t1)]),
    ])
    X += noise * rng.standard_normal(X.shape)
    return _shuffled(X, _labels(sizes), rng)


def make_xor(n_samples=200, noise=0.1, seed=0):
    """The XOR problem: the label is 1 exactly when the two coordinates have opposite signs.

    Class 0 fills the quadrants (+, +) and (-, -), class 1 the quadrants (+, -) and (-, +), each quadrant getting
    half of its class (up to one point). Within a quadrant the coordinates' sizes are uniform on [0, 1); then every
    point gets Gaussian noise of standard deviation `noise` in each coordinate, so with noise > 0 a few points
    near the axes cross into a neighbouring quadrant (their label stays: it is label noise, as in real data).

    Returns (X (N, 2) float64, y (N,) int64 in {0, 1}).
    """
    n_samples, noise = _check_common(n_samples, 2, noise)
    rng = as_rng(seed, "seed")
    sizes = class_sizes(n_samples, 2)
    y = _labels(sizes)
    # Within each class alternate between its two quadrants: sign of x1 flips with the point's parity.
    parity = np.concatenate([np.arange(n) % 2 for n in sizes])
    sign1 = np.where(parity == 0, 1.0, -1.0)
    sign2 = np.where(y == 0, sign1, -sign1)
    X = rng.random((n_samples, 2)) * np.column_stack([sign1, sign2])
    X += noise * rng.standard_normal(X.shape)
    return _shuffled(X, y, rng)


def make_linear_with_spoiler(n_samples=31, spoiler_distance=10.0, spread=0.2, seed=0):
    """The lecture's "will backprop do the right thing?" set: linearly separable, with one far-away spoiler.

    Three clusters of points, uniform in discs of radius `spread`, around the lecture's three points:
        (1, 0) and (0, 1) with label 1,   (-1, 0) with label 0,
    (the lecture writes the labels as +1 / -1), plus one spoiler at (0, -t), t = `spoiler_distance`, with label 1.

    The clusters alone are fitted by the "consistent" line x_1 + x_2 = 0 (w = (u, u), b = 0 in the lecture). That
    line puts the spoiler on the wrong side. The whole set is still linearly separable, by the vertical line
    x_1 = -1/2 (needs spread < 1/2), and the perceptron rule w <- w + eta * t_n * phi_n finds such a separator.
    A sigmoid unit trained by gradient descent on the squared error, from weights that fit the clusters, does
    not: the spoiler sits deep in the sigmoid's flat tail (w . x + b ~ -u t), its gradient is about zero, and the
    weights stay in that local optimum. Backprop prefers consistency (fitting the many) over perfection (fitting
    every point). (From all-zero weights, where the spoiler's gradient is large, gradient descent may still find
    a separator: the lecture's point is about the local optimum.)

    `n_samples` counts the spoiler too (at least 4); the N - 1 other points are split between the three
    clusters as evenly as possible. Returns (X (N, 2) float64, y (N,) int64 in {0, 1}, spoiler_index).
    """
    n_samples = v.scalar(n_samples, "n_samples", low=4, integer=True)
    t = v.scalar(spoiler_distance, "spoiler_distance", low=0.0, low_open=True)
    spread = v.scalar(spread, "spread", low=0.0, high=0.5, high_open=True)
    rng = as_rng(seed, "seed")
    centres = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    cluster_labels = np.array([1, 1, 0], dtype=np.int64)
    sizes = class_sizes(n_samples - 1, 3)
    cluster = np.repeat(np.arange(3), sizes)
    # Uniform in a disc: radius spread * sqrt(u) keeps the density even (no crowding at the centre).
    radius = spread * np.sqrt(rng.random(n_samples - 1))
    angle = 2.0 * math.pi * rng.random(n_samples - 1)
    X = centres[cluster] + radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    X = np.concatenate([X, [[0.0, -t]]])
    y = np.concatenate([cluster_labels[cluster], [1]]).astype(np.int64)
    order = rng.permutation(n_samples)
    spoiler_index = int(np.flatnonzero(order == n_samples - 1)[0])
    return np.ascontiguousarray(X[order]), np.ascontiguousarray(y[order]), spoiler_index


def make_correlated_cloud(n_samples=500, seed=0):
    """An unlabelled, off-centre, elongated and tilted Gaussian cloud: the raw data of the preprocessing lecture.

    Its mean is (3, 2); along its long axis (tilted 30 degrees) the standard deviation is 2, across it 0.5. Zero-
    centring, normalizing, decorrelating and whitening each visibly change it (see `plot_preprocessing`).

    Returns X (N, 2) float64.
    """
    n_samples = v.scalar(n_samples, "n_samples", low=2, integer=True)
    rng = as_rng(seed, "seed")
    angle = math.radians(30.0)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    Z = rng.standard_normal((n_samples, 2)) * np.array([2.0, 0.5])
    return np.ascontiguousarray(Z @ rotation.T + np.array([3.0, 2.0]))
