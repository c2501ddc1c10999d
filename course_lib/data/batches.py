"""Labels as one-hot rows, a train/validation split, and mini-batches.

Mini-batch gradient descent (lecture): each step uses the gradient on m_b examples instead of all N; one epoch is
one pass through the training data, so an epoch has ceil(N / m_b) steps (the lecture's "about N / m_b": the last
batch holds the N mod m_b examples left over, when there are any). Batch GD is m_b = N (one step per epoch),
stochastic GD is m_b = 1.
"""
import math

import numpy as np

from course_lib import _validate as v
from course_lib.data._common import as_rng, n_rows


def one_hot(y, n_classes=None, dtype=np.float64):
    """Rows of the identity: Y[i, k] = 1 if y[i] == k else 0.

    y: (N,) integer labels in [0, n_classes). n_classes defaults to max(y) + 1.
    Returns Y: (N, n_classes) of `dtype` (float64 unless float32 is asked for), each row summing to one.
    """
    if n_classes is not None:
        n_classes = v.scalar(n_classes, "n_classes", low=1, integer=True)
    labels = v.labels_array(y, "y", n_classes=n_classes)
    if n_classes is None:
        if labels.size == 0:
            raise ValueError("y is empty, so the number of classes cannot be inferred; pass n_classes")
        if labels.min() < 0:
            raise ValueError(f"y must hold labels >= 0, got {labels.min()}")
        n_classes = int(labels.max()) + 1
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    Y = np.zeros((labels.size, n_classes), dtype=dtype)
    Y[np.arange(labels.size), labels] = 1.0
    return Y


def _targets(y, n, name="y"):
    """y as an array whose first axis has the n rows of X (labels (N,) or targets such as one-hot (N, C))."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers (labels or targets), got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.shape[0] != n:
        got = "a scalar" if arr.ndim == 0 else f"{arr.shape[0]} rows"
        raise ValueError(f"{name} must have one row per sample of X ({n}), got {got}")
    return arr


def _validation_counts(counts, n_val):
    """Split n_val between classes of sizes `counts` in proportion (largest remainder: each within one of exact)."""
    N = counts.sum()
    quota = counts * (n_val / N)
    base = np.floor(quota).astype(np.int64)
    left = n_val - int(base.sum())
    # Classes with the largest fractional parts get one more (ties: lower class index first).
    order = np.argsort(-(quota - base), kind="stable")
    base[order[:left]] += 1
    return base


def train_val_split(X, y, val_fraction=0.2, seed=0, stratify=True):
    """Hold out a random validation set: returns (X_tr, y_tr, X_val, y_val).

    The validation set has round(val_fraction * N) samples (at least one, and at least one is left to train on).
    With `stratify=True` (y must be class labels) every class is split in the same proportion, so class k gets
    round-ish(val_fraction * N_k) validation samples: each within one of the exact share. Both parts come in random
    order. `seed`: integer or numpy Generator; the same seed gives the same split.

    X: (N, ...) float; y: (N,) labels, or (N, ...) targets when stratify=False.
    """
    X = v.float_array(X, "X")
    n = n_rows(X, "X")
    val_fraction = v.scalar(val_fraction, "val_fraction", low=0.0, high=1.0, low_open=True, high_open=True)
    stratify = v.flag(stratify, "stratify")
    y = v.labels_array(y, "y", length=n) if stratify else _targets(y, n)
    n_val = math.floor(val_fraction * n + 0.5)
    if not 1 <= n_val <= n - 1:
        raise ValueError(f"val_fraction={val_fraction} of N={n} samples gives {n_val} validation samples; "
                         "both the training and the validation set need at least one")
    rng = as_rng(seed, "seed")
    if stratify:
        if y.min() < 0:
            raise ValueError(f"y must hold labels >= 0 for a stratified split, got {y.min()}")
        classes = np.unique(y)
        members = [np.flatnonzero(y == k) for k in classes]
        counts = np.array([m.size for m in members], dtype=np.int64)
        per_class = _validation_counts(counts, n_val)
        val_parts = [rng.permutation(m)[:c] for m, c in zip(members, per_class)]
        is_val = np.zeros(n, dtype=bool)
        is_val[np.concatenate(val_parts)] = True
        val_idx = rng.permutation(np.flatnonzero(is_val))
        train_idx = rng.permutation(np.flatnonzero(~is_val))
    else:
        order = rng.permutation(n)
        val_idx, train_idx = order[:n_val], order[n_val:]
    return X[train_idx], y[train_idx], X[val_idx], y[val_idx]


def n_batches(n_samples, batch_size):
    """Steps per epoch: ceil(n_samples / batch_size); batch_size=None means the whole set (one step)."""
    n_samples = v.scalar(n_samples, "n_samples", low=1, integer=True)
    if batch_size is None:
        return 1
    batch_size = v.scalar(batch_size, "batch_size", low=1, integer=True)
    return -(-n_samples // batch_size)


def iterate_minibatches(X, y, batch_size, shuffle=True, rng=None):
    """One epoch of mini-batches: yields (Xb, yb) pairs that together hold every sample exactly once.

    With `shuffle=True` the order is a fresh random permutation from `rng` (integer seed, numpy Generator, or None
    for an unseeded one); pass the same Generator every epoch to get a different, repeatable order each epoch.
    With `shuffle=False` the batches are consecutive slices (views, no copy) in the data's order.
    Every batch has `batch_size` rows except the last, which keeps the N mod batch_size left over, so an epoch
    has n_batches(N, batch_size) = ceil(N / m_b) steps. batch_size=None (or >= N) gives one batch: the whole set.

    X: (N, ...) float; y: (N,) labels or (N, ...) targets (e.g. one-hot). The arguments are checked when you call
    this function, before the first batch.
    """
    X = v.float_array(X, "X")
    n = n_rows(X, "X")
    y = _targets(y, n)
    size = n if batch_size is None else v.scalar(batch_size, "batch_size", low=1, integer=True)
    shuffle = v.flag(shuffle, "shuffle")
    order = as_rng(rng, "rng").permutation(n) if shuffle else None
    return _batches(X, y, size, order)


def _batches(X, y, size, order):
    for start in range(0, X.shape[0], size):
        if order is None:
            yield X[start:start + size], y[start:start + size]
        else:
            idx = order[start:start + size]
            yield X[idx], y[idx]
