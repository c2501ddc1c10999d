"""Data for the course: toy sets, the digits, preprocessing, mini-batches, augmentation and mixup.

One small module per job, all importable from here (``from course_lib.data import make_spiral``):

- `toy`: 2-D classification sets, `make_spiral`, `make_moons`, `make_circles`, `make_xor`, the lecture's
  `make_linear_with_spoiler` ("backprop prefers consistency over perfection") and `make_correlated_cloud`.
- `digits`: `load_digits()` (the UCI 8x8 digits, bundled in this folder) and `augment_digits` / `rotate_shift`.
- `batches`: `one_hot`, `train_val_split`, `n_batches`, `iterate_minibatches`.
- `preprocessing`: `Standardizer`, `PCA`, `Whitening` (fit on training data, apply everywhere) and
  `plot_preprocessing`.
- `mixup`: `mixup`, blends of example pairs and of their targets.

Conventions: X has one example per row; labels y are int64 in 0..C-1; randomness comes from
`np.random.default_rng(seed)` (or a Generator you pass), never from global state.
"""
from course_lib.data.batches import iterate_minibatches, n_batches, one_hot, train_val_split
from course_lib.data.digits import CLASS_NAMES, augment_digits, load_digits, rotate_shift
from course_lib.data.mixup import mixup
from course_lib.data.preprocessing import PCA, Standardizer, Whitening, plot_preprocessing
from course_lib.data.toy import (
    make_circles,
    make_correlated_cloud,
    make_linear_with_spoiler,
    make_moons,
    make_spiral,
    make_xor,
)

__all__ = [
    "make_spiral", "make_moons", "make_circles", "make_xor", "make_linear_with_spoiler", "make_correlated_cloud",
    "load_digits", "CLASS_NAMES", "augment_digits", "rotate_shift",
    "one_hot", "train_val_split", "n_batches", "iterate_minibatches",
    "Standardizer", "PCA", "Whitening", "plot_preprocessing",
    "mixup",
]
