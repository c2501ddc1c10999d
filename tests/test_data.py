"""course_lib.data: toy sets, the bundled digits, preprocessing, mini-batches, augmentation and mixup."""
import gzip
import math

import numpy as np
import pytest
import scipy.ndimage
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from course_lib import data
from course_lib.data import (
    PCA,
    Standardizer,
    Whitening,
    augment_digits,
    iterate_minibatches,
    load_digits,
    make_circles,
    make_correlated_cloud,
    make_linear_with_spoiler,
    make_moons,
    make_spiral,
    make_xor,
    mixup,
    n_batches,
    one_hot,
    plot_preprocessing,
    rotate_shift,
    train_val_split,
)

GENERATORS = [make_spiral, make_moons, make_circles, make_xor]
DIGITS_FILE = ROOT / "course_lib" / "data" / "digits.csv.gz"


def offdiag(M):
    return M - np.diag(np.diag(M))


def covariance(Z):
    Zc = Z - Z.mean(axis=0)
    return Zc.T @ Zc / Z.shape[0]


# ----------------------------------------------------------------------------------------------- toy data sets

@pytest.mark.parametrize("make", GENERATORS)
def test_toy_sets_return_float64_points_and_int64_labels_with_balanced_classes(make):
    X, y = make(n_samples=101, seed=3)
    n_classes = 3 if make is make_spiral else 2
    assert X.shape == (101, 2) and X.dtype == np.float64 and X.flags.c_contiguous
    assert y.shape == (101,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=n_classes)
    assert set(np.unique(y)) == set(range(n_classes))
    assert counts.sum() == 101 and counts.max() - counts.min() <= 1
    assert np.isfinite(X).all()


@pytest.mark.parametrize("make", GENERATORS)
def test_toy_sets_same_seed_same_data_different_seed_different_data(make):
    X1, y1 = make(seed=7)
    X2, y2 = make(seed=7)
    X3, _ = make(seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)
    X4, y4 = make(seed=np.random.default_rng(7))
    np.testing.assert_array_equal(X1, X4)
    np.testing.assert_array_equal(y1, y4)


@pytest.mark.parametrize("make", GENERATORS)
def test_toy_sets_rows_are_shuffled_so_the_first_rows_hold_every_class(make):
    _, y = make(seed=0)
    n_classes = y.max() + 1
    assert len(np.unique(y[:30])) == n_classes


def test_spiral_arms_run_from_the_centre_to_radius_one_with_the_given_class_counts():
    X, y = make_spiral(n_samples=301, n_classes=3, noise=0.0, seed=0)
    np.testing.assert_array_equal(np.bincount(y), [101, 100, 100])
    radius = np.hypot(X[:, 0], X[:, 1])
    for k in range(3):
        r = np.sort(radius[y == k])
        np.testing.assert_allclose(r, np.linspace(0, 1, r.size), atol=1e-12)
    # Without noise the angle of class k is 2 pi k / 3 + 4 r (mod 2 pi).
    expected = 2 * np.pi * y / 3 + 4 * radius
    delta = np.angle(np.exp(1j * (np.arctan2(X[:, 1], X[:, 0]) - expected)))
    assert np.abs(delta[radius > 1e-9]).max() < 1e-9


def _least_squares_accuracy(features, y):
    """Fit one-hot targets by least squares on [features, 1] and report training accuracy."""
    A = np.column_stack([features, np.ones(len(y))])
    W, *_ = np.linalg.lstsq(A, one_hot(y), rcond=None)
    return np.mean(np.argmax(A @ W, axis=1) == y)


def test_spiral_defeats_a_linear_classifier_but_random_tanh_features_fit_it():
    X, y = make_spiral(seed=0)
    linear = _least_squares_accuracy(X, y)
    rng = np.random.default_rng(0)
    W, b = 3.0 * rng.standard_normal((2, 300)), rng.uniform(-3, 3, 300)
    nonlinear = _least_squares_accuracy(np.tanh(X @ W + b), y)
    assert linear < 0.65
    assert nonlinear > 0.95


def test_moons_without_noise_lie_on_two_interlocking_half_circles():
    X, y = make_moons(n_samples=50, noise=0.0, seed=1)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-12)
    assert upper[:, 1].min() >= -1e-12
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert lower[:, 1].max() <= 0.5 + 1e-12


def test_circles_without_noise_have_radius_one_and_factor():
    X, y = make_circles(n_samples=40, noise=0.0, factor=0.3, seed=2)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-12)


def test_xor_label_is_one_exactly_when_the_coordinates_have_opposite_signs():
    X, y = make_xor(n_samples=400, noise=0.0, seed=4)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    quadrant = (X[:, 0] > 0).astype(int) * 2 + (X[:, 1] > 0)
    np.testing.assert_array_equal(np.bincount(quadrant), [100, 100, 100, 100])


@pytest.mark.parametrize("call, message", [
    (lambda: make_spiral(n_samples=2, n_classes=3), "n_samples must be at least the number of classes"),
    (lambda: make_spiral(n_classes=1), "n_classes must be >= 2"),
    (lambda: make_moons(noise=-0.1), "noise must be >= 0"),
    (lambda: make_circles(factor=1.0), "factor must be < 1"),
    (lambda: make_xor(n_samples=1), "n_samples must be at least the number of classes"),
    (lambda: make_linear_with_spoiler(spread=0.5), "spread must be < 0.5"),
    (lambda: make_linear_with_spoiler(n_samples=3), "n_samples must be >= 4"),
    (lambda: make_linear_with_spoiler(spoiler_distance=0), "spoiler_distance must be > 0"),
    (lambda: make_moons(seed=-1), "seed must be >= 0"),
])
def test_toy_sets_reject_bad_arguments_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("bad", [2.5, "3", None])
def test_toy_sets_reject_a_non_integer_sample_count(bad):
    with pytest.raises(TypeError, match="n_samples"):
        make_spiral(n_samples=bad)


def test_toy_sets_reject_a_seed_that_is_not_an_integer_or_generator():
    with pytest.raises(TypeError, match="seed"):
        make_xor(seed=0.5)


# -------------------------------------------------------------------------- the spoiler: consistency vs perfection

def _sigmoid_squared_error_descent(X, t, w, b, steps, lr=0.02):
    """Gradient descent on the L2 error sum_n (sigmoid(w.x_n + b) - t_n)^2: 'backprop' on one sigmoid unit."""
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
        g = 2.0 * (p - t) * p * (1.0 - p)
        w, b = w - lr * (X.T @ g), b - lr * g.sum()
    return w, b


def _perceptron(X, y, w, b, max_epochs=100):
    """Rosenblatt's rule w <- w + t_n phi_n on each misclassified point (t_n = +-1); returns (w, b, epochs)."""
    t = 2 * y - 1
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for x_n, t_n in zip(X, t):
            if t_n * (x_n @ w + b) <= 0:
                w, b, mistakes = w + t_n * x_n, b + t_n, mistakes + 1
        if mistakes == 0:
            return w, b, epoch
    return w, b, None


def test_spoiler_set_is_linearly_separable_and_only_the_spoiler_breaks_the_consistent_line():
    X, y, s = make_linear_with_spoiler(n_samples=31, spoiler_distance=10.0, seed=0)
    assert X.shape == (31, 2) and y.dtype == np.int64
    np.testing.assert_array_equal(X[s], [0.0, -10.0])
    assert y[s] == 1
    # The vertical line x_1 = -1/2 separates every point, the spoiler included.
    np.testing.assert_array_equal((X[:, 0] > -0.5).astype(np.int64), y)
    # The lecture's consistent solution w = (u, u), b = 0 is right on every point but the spoiler.
    wrong = np.flatnonzero((X @ np.array([1.0, 1.0]) > 0).astype(np.int64) != y)
    np.testing.assert_array_equal(wrong, [s])


def test_spoiler_backprop_prefers_consistency_while_the_perceptron_finds_a_separator():
    X, y, s = make_linear_with_spoiler(seed=0)
    others = np.arange(len(y)) != s
    t = y.astype(float)
    # Fit the consistent points; then keep training with and without the spoiler. Deep in the sigmoid's flat
    # tail the spoiler adds almost nothing to the gradient, so both runs end at the same weights.
    w_fit, b_fit = _sigmoid_squared_error_descent(X[others], t[others], np.zeros(2), 0.0, 2000)
    w, b = _sigmoid_squared_error_descent(X, t, w_fit, b_fit, 2000)
    w_without, b_without = _sigmoid_squared_error_descent(X[others], t[others], w_fit, b_fit, 2000)
    assert np.abs(np.r_[w - w_fit, b - b_fit]).max() > 0.1           # training did go on ...
    assert np.abs(np.r_[w - w_without, b - b_without]).max() < 1e-6   # ... as if the spoiler were not there
    predicted = (X @ w + b > 0).astype(np.int64)
    np.testing.assert_array_equal(np.flatnonzero(predicted != y), [s])
    # A spoiler close by (t = 1) is not saturated: the same training does pull the line over it.
    Xn, yn, sn = make_linear_with_spoiler(spoiler_distance=1.0, seed=0)
    w_near, b_near = _sigmoid_squared_error_descent(Xn, yn.astype(float), w_fit, b_fit, 2000)
    assert Xn[sn] @ w_near + b_near > 0
    # The perceptron, started from the same weights, separates every point.
    w_p, b_p, epochs = _perceptron(X, y, w_fit, b_fit)
    assert epochs is not None
    np.testing.assert_array_equal((X @ w_p + b_p > 0).astype(np.int64), y)


def test_spoiler_set_is_repeatable_and_moves_the_spoiler_with_the_seed():
    a = make_linear_with_spoiler(seed=5)
    b = make_linear_with_spoiler(seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[2] == b[2]
    indices = {make_linear_with_spoiler(seed=k)[2] for k in range(8)}
    assert len(indices) > 1


def test_correlated_cloud_has_the_documented_mean_and_tilted_elongated_shape():
    X = make_correlated_cloud(n_samples=20000, seed=0)
    np.testing.assert_allclose(X.mean(axis=0), [3.0, 2.0], atol=0.05)
    eigvals, eigvecs = np.linalg.eigh(covariance(X))
    np.testing.assert_allclose(np.sqrt(eigvals), [0.5, 2.0], rtol=0.03)
    long_axis = eigvecs[:, 1] * np.sign(eigvecs[0, 1])
    assert abs(math.degrees(math.atan2(long_axis[1], long_axis[0])) - 30.0) < 1.5


# ------------------------------------------------------------------------------------------------------ digits

def test_digits_file_is_bundled_with_its_licence_note():
    assert DIGITS_FILE.is_file()
    note = (DIGITS_FILE.parent / "DIGITS_LICENSE.txt").read_text()
    for words in ("Alpaydin", "Kaynak", "CC BY 4.0", "scikit-learn", "BSD"):
        assert words in note


def test_load_digits_shapes_dtypes_pixel_range_and_class_histogram():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 16.0
    np.testing.assert_array_equal(X, np.round(X))
    # Independent reading of the same file.
    with gzip.open(DIGITS_FILE, "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    np.testing.assert_array_equal(X, table[:, :64])
    counts = np.bincount(y, minlength=10)
    np.testing.assert_array_equal(counts, np.bincount(table[:, 64].astype(int), minlength=10))
    assert counts.sum() == 1797 and len(counts) == 10 and counts.min() >= 170


def test_load_digits_scale_and_image_layout():
    X, y = load_digits()
    Xs, ys = load_digits(scale=True)
    np.testing.assert_allclose(Xs, X / 16.0, rtol=0, atol=0)
    assert Xs.min() == 0.0 and Xs.max() == 1.0
    images, _ = load_digits(as_images=True)
    assert images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(images[5, 2, 3], X[5, 8 * 2 + 3])
    np.testing.assert_array_equal(y, ys)


def test_load_digits_returns_fresh_arrays_each_call():
    X, y = load_digits()
    X[:] = -1.0
    y[:] = 99
    X2, y2 = load_digits()
    assert X2.min() == 0.0 and y2.max() == 9
    with pytest.raises(TypeError, match="scale"):
        load_digits(scale="yes")


def _scipy_rotate_shift(image, angle_deg, shift):
    """The same geometry through scipy.ndimage: output[o] = input[M o + offset] with bilinear interpolation."""
    a = math.radians(angle_deg)
    M = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    centre = (np.array(image.shape) - 1) / 2.0
    offset = centre - M @ (centre + np.asarray(shift, dtype=float))
    return scipy.ndimage.affine_transform(image, M, offset=offset, order=1, mode="grid-constant", cval=0.0)


def test_rotate_shift_matches_scipy_affine_transform_with_bilinear_interpolation():
    images, _ = load_digits(as_images=True)
    rng = np.random.default_rng(0)
    n = 40
    angles = rng.uniform(-40, 40, n)
    shifts = rng.uniform(-1.5, 1.5, (n, 2))
    out = rotate_shift(images[:n], angles, shifts)
    expected = np.stack([_scipy_rotate_shift(images[i], angles[i], shifts[i]) for i in range(n)])
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def test_rotate_shift_by_90_degrees_equals_rot90_and_integer_shifts_move_pixels_exactly():
    X, _ = load_digits()
    images = X.reshape(-1, 8, 8)[:20]
    np.testing.assert_allclose(rotate_shift(images, 90.0, (0, 0)), np.rot90(images, axes=(1, 2)), atol=1e-12)
    moved = rotate_shift(X[:20], 0.0, (1, -2)).reshape(-1, 8, 8)   # down 1, left 2; (N, 64) layout is kept
    expected = np.zeros_like(images)
    expected[:, 1:, :6] = images[:, :7, 2:]
    np.testing.assert_array_equal(moved, expected)


def test_rotate_shift_keeps_float32_and_agrees_with_float64():
    images, _ = load_digits(scale=True, as_images=True)
    out64 = rotate_shift(images[:30], 17.0, (0.5, 0.25))
    out32 = rotate_shift(images[:30].astype(np.float32), 17.0, (0.5, 0.25))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, out64, rtol=1e-5, atol=1e-6)


def test_augment_digits_without_any_change_returns_the_same_images():
    X, _ = load_digits()
    np.testing.assert_allclose(augment_digits(X[:50], 0, shift=0, rotate_deg=0.0), X[:50], atol=1e-12)


def test_augment_digits_is_deterministic_given_the_rng_and_varies_with_it():
    X, _ = load_digits()
    a = augment_digits(X[:100], np.random.default_rng(1), noise=0.3)
    b = augment_digits(X[:100], np.random.default_rng(1), noise=0.3)
    c = augment_digits(X[:100], np.random.default_rng(2), noise=0.3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert a.shape == (100, 64) and a.dtype == np.float64


def test_augment_digits_keeps_pixels_in_the_input_range_even_with_noise():
    X, _ = load_digits(scale=True)
    out = augment_digits(X[:200], 3, noise=0.5)
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not np.allclose(out, augment_digits(X[:200], 3, noise=0.0))


def _nearest_centroid_accuracy(X, y, centroids):
    distances = ((X[:, None, :] - centroids[None]) ** 2).sum(axis=-1)
    return np.mean(np.argmin(distances, axis=1) == y)


def test_small_rotations_keep_digits_recognizable_and_large_ones_do_not():
    X, y = load_digits()
    centroids = np.stack([X[y == k].mean(axis=0) for k in range(10)])
    original = _nearest_centroid_accuracy(X, y, centroids)
    small = _nearest_centroid_accuracy(augment_digits(X, 0, shift=0, rotate_deg=10.0), y, centroids)
    upside_down = _nearest_centroid_accuracy(rotate_shift(X, 180.0, (0, 0)), y, centroids)
    assert original > 0.88
    assert small > original - 0.02
    assert upside_down < original - 0.3


@pytest.mark.parametrize("call, error, message", [
    (lambda X: augment_digits(X[:, :63], 0), ValueError, r"X must have shape \(any, 64\)"),
    (lambda X: augment_digits(X.reshape(10, 4, 16), 0), ValueError, r"X must have shape \(any, 8, 8\)"),
    (lambda X: augment_digits(X.reshape(10, 1, 8, 8), 0), ValueError, r"\(N, 64\) or \(N, 8, 8\)"),
    (lambda X: augment_digits(X, 0, shift=-1), ValueError, "shift must be >= 0"),
    (lambda X: augment_digits(X, 0, shift=1.5), TypeError, "shift must be an integer"),
    (lambda X: augment_digits(X, 0, rotate_deg=200), ValueError, "rotate_deg must be <= 180"),
    (lambda X: augment_digits(X, 0, noise=-1), ValueError, "noise must be >= 0"),
    (lambda X: augment_digits(X, "seed"), TypeError, "rng must be an integer seed"),
    (lambda X: rotate_shift(X, np.zeros(3), (0, 0)), ValueError, r"angle_deg must have shape \(10,\)"),
    (lambda X: rotate_shift(X, 0.0, (0, 0, 0)), ValueError, r"shift must have shape \(2,\)"),
    (lambda X: rotate_shift(np.where(X > 8, np.nan, X), 0.0, (0, 0)), ValueError, "X contains a non-finite"),
])
def test_augmentation_rejects_bad_input_with_a_clear_message(call, error, message):
    X, _ = load_digits()
    with pytest.raises(error, match=message):
        call(X[:10])


# ----------------------------------------------------------------------------------- one-hot, splits, batches

def test_one_hot_rows_are_rows_of_the_identity():
    Y = one_hot([2, 0, 1, 2])
    np.testing.assert_array_equal(Y, np.eye(3)[[2, 0, 1, 2]])
    assert Y.dtype == np.float64
    assert one_hot(np.array([1]), n_classes=4).shape == (1, 4)
    assert one_hot([0, 1], dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda: one_hot([0, 3], n_classes=3), ValueError, r"\[0, 3\)"),
    (lambda: one_hot(np.array([], dtype=np.int64)), ValueError, "pass n_classes"),
    (lambda: one_hot([-1, 0]), ValueError, ">= 0"),
    (lambda: one_hot([0.5, 1.0]), TypeError, "integer class labels"),
    (lambda: one_hot([[0, 1]]), ValueError, r"shape \(N,\)"),
    (lambda: one_hot([0, 1], dtype=np.int64), TypeError, "dtype must be float32 or float64"),
])
def test_one_hot_rejects_bad_labels(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("n, m, steps", [(10, 3, 4), (9, 3, 3), (1, 5, 1), (1797, 64, 29), (5, None, 1)])
def test_n_batches_is_ceil_of_samples_over_batch_size(n, m, steps):
    assert n_batches(n, m) == steps


def test_n_batches_rejects_empty_sets_and_zero_batches():
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        n_batches(0, 3)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        n_batches(10, 0)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.one_of(st.none(), st.integers(1, 70)), shuffle=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_minibatches_cover_every_sample_exactly_once_per_epoch(n, batch_size, shuffle, seed):
    X = np.arange(n, dtype=np.float64)[:, None] * np.ones((1, 3))     # row i holds the value i
    y = np.arange(n) * 10
    batches = list(iterate_minibatches(X, y, batch_size, shuffle=shuffle, rng=seed))
    m = n if batch_size is None else batch_size
    assert len(batches) == n_batches(n, batch_size) == math.ceil(n / m)
    sizes = [len(yb) for _, yb in batches]
    assert all(s == m for s in sizes[:-1]) and 1 <= sizes[-1] <= m
    seen = np.concatenate([Xb[:, 0] for Xb, _ in batches]).astype(int)
    np.testing.assert_array_equal(np.sort(seen), np.arange(n))
    for Xb, yb in batches:
        np.testing.assert_array_equal(Xb[:, 0] * 10, yb)      # inputs and labels stay paired
    if not shuffle:
        np.testing.assert_array_equal(seen, np.arange(n))


def test_minibatches_without_shuffle_are_views_and_with_shuffle_follow_the_rng():
    X, y = make_moons(n_samples=50, seed=0)
    for Xb, _ in iterate_minibatches(X, y, 16, shuffle=False):
        assert np.shares_memory(Xb, X)
    order = lambda rng: np.concatenate([yb for _, yb in iterate_minibatches(X, np.arange(50), 16, rng=rng)])
    np.testing.assert_array_equal(order(3), order(3))
    shared = np.random.default_rng(3)
    first, second = order(shared), order(shared)
    assert not np.array_equal(first, second)       # one Generator: a new order every epoch
    np.testing.assert_array_equal(first, order(3))


def test_minibatches_accept_one_hot_targets():
    X, y = make_spiral(n_samples=30, seed=0)
    Y = one_hot(y)
    for Xb, Yb in iterate_minibatches(X, Y, 8, rng=0):
        assert Xb.shape[1] == 2 and Yb.shape[1] == 3 and len(Xb) == len(Yb)


@pytest.mark.parametrize("args, error, message", [
    ((np.zeros((5, 2)), np.zeros(4), 2), ValueError, r"y must have one row per sample of X \(5\), got 4 rows"),
    ((np.zeros((5, 2)), np.zeros(5), 0), ValueError, "batch_size must be >= 1"),
    ((np.zeros((5, 2)), np.zeros(5), 2.5), TypeError, "batch_size must be an integer"),
    ((np.zeros((0, 2)), np.zeros(0), 2), ValueError, "X has no rows"),
    ((np.array(["a", "b"]), np.zeros(2), 1), TypeError, "X must hold real floating-point numbers"),
    ((np.zeros((2, 2)), np.array(["a", "b"]), 1), TypeError, "y must hold numbers"),
])
def test_minibatches_check_their_arguments_before_the_first_batch(args, error, message):
    with pytest.raises(error, match=message):
        iterate_minibatches(*args)          # no next(): the call itself raises


def test_train_val_split_holds_out_the_fraction_and_uses_every_sample_once():
    X, y = make_spiral(n_samples=300, seed=0)
    X_tr, y_tr, X_val, y_val = train_val_split(X, y, val_fraction=0.2, seed=1)
    assert X_val.shape == (60, 2) and X_tr.shape == (240, 2)
    assert y_tr.dtype == np.int64
    rows = np.concatenate([X_tr, X_val])
    order = np.lexsort(rows.T)
    np.testing.assert_array_equal(rows[order], X[np.lexsort(X.T)])
    np.testing.assert_array_equal(np.bincount(y_val), [20, 20, 20])
    # Inputs and labels stay paired: give each row its index as a third column and look its label up.
    X_id = np.column_stack([X, np.arange(300)])
    X_tr, y_tr, X_val, y_val = train_val_split(X_id, y, val_fraction=0.2, seed=1)
    np.testing.assert_array_equal(y[X_tr[:, 2].astype(int)], y_tr)
    np.testing.assert_array_equal(y[X_val[:, 2].astype(int)], y_val)


def test_train_val_split_is_repeatable_and_changes_with_the_seed():
    X, y = load_digits()
    a = train_val_split(X, y, seed=4)
    b = train_val_split(X, y, seed=4)
    c = train_val_split(X, y, seed=5)
    for u, w in zip(a, b):
        np.testing.assert_array_equal(u, w)
    assert not np.array_equal(a[3], c[3])


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(1, 30), min_size=1, max_size=5), fraction=st.floats(0.05, 0.95),
       seed=st.integers(0, 1000))
def test_stratified_split_gives_every_class_its_share_within_one_sample(counts, fraction, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    n = y.size
    n_val = math.floor(fraction * n + 0.5)
    X = np.arange(n, dtype=float)[:, None]
    if not 1 <= n_val <= n - 1:
        with pytest.raises(ValueError, match="at least one"):
            train_val_split(X, y, val_fraction=fraction, seed=seed)
        return
    X_tr, y_tr, X_val, y_val = train_val_split(X, y, val_fraction=fraction, seed=seed)
    assert len(y_val) == n_val
    np.testing.assert_array_equal(np.sort(np.concatenate([X_tr[:, 0], X_val[:, 0]])), np.arange(n))
    np.testing.assert_array_equal(y[X_val[:, 0].astype(int)], y_val)
    per_class = np.bincount(y_val, minlength=len(counts))
    assert np.all(np.abs(per_class - np.array(counts) * n_val / n) < 1)     # each class's share, within one


def test_unstratified_split_accepts_any_targets():
    X = np.arange(20, dtype=float).reshape(10, 2)
    Y = one_hot(np.arange(10) % 3)
    X_tr, Y_tr, X_val, Y_val = train_val_split(X, Y, val_fraction=0.3, seed=0, stratify=False)
    assert X_val.shape == (3, 2) and Y_val.shape == (3, 3) and Y_tr.shape == (7, 3)
    np.testing.assert_array_equal(Y_val, Y[(X_val[:, 0] // 2).astype(int)])


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(val_fraction=0.0), ValueError, "val_fraction must be > 0"),
    (dict(val_fraction=1.0), ValueError, "val_fraction must be < 1"),
    (dict(val_fraction=0.01), ValueError, "both the training and the validation set need at least one"),
    (dict(stratify="no"), TypeError, "stratify must be True or False"),
])
def test_train_val_split_rejects_bad_fractions(kwargs, error, message):
    X, y = make_moons(n_samples=20)
    with pytest.raises(error, match=message):
        train_val_split(X, y, **kwargs)


def test_train_val_split_rejects_labels_that_do_not_match_the_inputs():
    X, y = make_moons(n_samples=20)
    with pytest.raises(ValueError, match="y has 19 labels but there are 20 rows"):
        train_val_split(X, y[:19])
    with pytest.raises(TypeError, match="integer class labels"):
        train_val_split(X, y + 0.5)


# --------------------------------------------------------------------------------------------- preprocessing

def test_standardizer_centres_and_scales_each_column_with_training_statistics():
    X = make_correlated_cloud(n_samples=400, seed=0)
    Z = Standardizer().fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-12)
    centred = Standardizer(with_std=False).fit_transform(X)
    np.testing.assert_allclose(centred.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(centred.std(axis=0), X.std(axis=0), rtol=1e-12)


def test_standardizer_applies_the_training_mean_and_std_to_new_data():
    X_train = make_correlated_cloud(n_samples=300, seed=0)
    X_val = make_correlated_cloud(n_samples=50, seed=1) + 5.0
    s = Standardizer().fit(X_train)
    expected = (X_val - X_train.mean(axis=0)) / X_train.std(axis=0)
    np.testing.assert_allclose(s.transform(X_val), expected, rtol=1e-12)
    assert abs(s.transform(X_val).mean()) > 1.0      # the shift in the new data stays visible, as it should
    np.testing.assert_allclose(s.inverse_transform(s.transform(X_val)), X_val, rtol=1e-12)


def test_standardizer_leaves_a_constant_column_at_zero_instead_of_nan():
    X, _ = load_digits()
    assert X[:, 0].std() == 0.0                      # the top-left pixel is always empty
    s = Standardizer().fit(X)
    Z = s.transform(X)
    assert np.isfinite(Z).all()
    np.testing.assert_array_equal(Z[:, 0], 0.0)
    assert s.scale_[0] == 1.0
    varying = X.std(axis=0) > 0
    np.testing.assert_allclose(Z[:, varying].std(axis=0), 1.0, rtol=1e-9)
    np.testing.assert_allclose(s.inverse_transform(Z), X, atol=1e-12)


def test_standardizer_keeps_float32():
    X = make_correlated_cloud(seed=0).astype(np.float32)
    Z = Standardizer().fit_transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z, Standardizer().fit_transform(X.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_pca_output_has_diagonal_covariance_equal_to_the_sorted_eigenvalues():
    X, _ = load_digits()
    pca = PCA().fit(X)
    Z = pca.transform(X)
    C = covariance(Z)
    assert np.abs(offdiag(C)).max() < 1e-10
    np.testing.assert_allclose(np.diag(C), pca.explained_variance_, rtol=1e-9, atol=1e-10)
    assert np.all(np.diff(pca.explained_variance_) <= 0)
    # Independent reference: the squared singular values of the centred data divided by N.
    singular = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    np.testing.assert_allclose(pca.explained_variance_, singular**2 / X.shape[0], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(pca.explained_variance_ratio_.sum(), 1.0, rtol=1e-12)


def test_pca_components_are_orthonormal_and_the_full_rotation_inverts_exactly():
    X = make_correlated_cloud(seed=2)
    pca = PCA().fit(X)
    np.testing.assert_allclose(pca.components_ @ pca.components_.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(X)), X, rtol=1e-12, atol=1e-12)
    # The first component is the cloud's long axis, tilted 30 degrees, with the documented sign.
    angle = math.degrees(math.atan2(pca.components_[0, 1], pca.components_[0, 0]))
    assert abs(angle - 30.0) < 3.0


def test_pca_with_fewer_components_keeps_the_largest_variance_directions():
    X, _ = load_digits()
    full = PCA().fit(X)
    pca = PCA(n_components=10).fit(X)
    assert pca.transform(X).shape == (1797, 10)
    np.testing.assert_allclose(pca.explained_variance_, full.explained_variance_[:10], rtol=1e-12)
    residual = X - pca.inverse_transform(pca.transform(X))
    np.testing.assert_allclose((residual**2).sum() / X.shape[0], full.explained_variance_[10:].sum(), rtol=1e-9)


def test_whitening_with_eps_zero_gives_identity_covariance():
    X = make_correlated_cloud(n_samples=1000, seed=3)
    Z = Whitening(eps=0.0).fit_transform(X)
    np.testing.assert_allclose(covariance(Z), np.eye(2), atol=1e-9)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)


def test_whitening_eps_shrinks_each_variance_to_lambda_over_lambda_plus_eps():
    X, _ = load_digits(scale=True)
    w = Whitening(eps=1e-5).fit(X)
    C = covariance(w.transform(X))
    lam = w.explained_variance_
    assert np.abs(offdiag(C)).max() < 1e-8
    np.testing.assert_allclose(np.diag(C), lam / (lam + 1e-5), rtol=1e-8, atol=1e-10)
    big = lam > 1e-2
    np.testing.assert_allclose(np.diag(C)[big], 1.0, atol=1e-3)
    np.testing.assert_allclose(w.inverse_transform(w.transform(X)), X, atol=1e-9)


def test_whitening_without_eps_refuses_a_direction_with_no_variance():
    X, _ = load_digits()
    with pytest.raises(ValueError, match="zero variance"):
        Whitening(eps=0.0).fit(X)


def test_transforms_must_be_fitted_and_get_the_same_number_of_columns():
    for transform in (Standardizer(), PCA(), Whitening()):
        with pytest.raises(ValueError, match="not fitted yet"):
            transform.transform(np.zeros((3, 2)))
        transform.fit(make_correlated_cloud(seed=0))
        with pytest.raises(ValueError, match="has 3 columns"):
            transform.transform(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="n_components=3 is more than the 2 columns"):
        PCA(n_components=3).fit(make_correlated_cloud(seed=0))
    with pytest.raises(ValueError, match="X must have 2 dimension"):
        PCA().fit(np.zeros(5))
    with pytest.raises(ValueError, match="X contains a non-finite value"):
        Standardizer().fit(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match="eps must be >= 0"):
        Whitening(eps=-1e-5)


def test_plot_preprocessing_draws_the_five_lecture_panels():
    import matplotlib.pyplot as plt

    fig, axes = plot_preprocessing()
    assert [a.get_title() for a in axes] == ["original data", "zero-centred", "normalized", "decorrelated (PCA)",
                                            "whitened"]
    X = make_correlated_cloud()
    whitened = axes[4].collections[0].get_offsets()
    np.testing.assert_allclose(covariance(np.asarray(whitened)), np.eye(2), atol=1e-4)
    np.testing.assert_allclose(np.asarray(axes[0].collections[0].get_offsets()), X)
    plt.close(fig)
    X2, y2 = make_moons(seed=0)
    fig2, own = plt.subplots(1, 5)
    fig_back, axes2 = plot_preprocessing(X2, ax=own, y=y2)
    assert fig_back is fig2 and len(axes2) == 5
    plt.close(fig2)
    with pytest.raises(ValueError, match="5 matplotlib axes"):
        plot_preprocessing(X2, ax=own[:2])


# ------------------------------------------------------------------------------------------------------- mixup

def test_mixup_blends_each_example_and_its_target_with_the_same_lambda():
    X, y = load_digits(scale=True)
    Y = one_hot(y)
    X_mix, Y_mix, lam, partner = mixup(X[:200], Y[:200], alpha=0.4, rng=0, return_params=True)
    np.testing.assert_array_equal(np.sort(partner), np.arange(200))
    assert lam.min() >= 0.0 and lam.max() <= 1.0
    np.testing.assert_allclose(X_mix, lam[:, None] * X[:200] + (1 - lam[:, None]) * X[:200][partner], rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(Y_mix, lam[:, None] * Y[:200] + (1 - lam[:, None]) * Y[:200][partner], rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(Y_mix.sum(axis=1), 1.0, rtol=1e-12)
    # Two-hot targets: the example's own class weighs lambda (plus 1 - lambda if the partner has the same class).
    own = Y_mix[np.arange(200), y[:200]]
    same = y[:200] == y[:200][partner]
    np.testing.assert_allclose(own, np.where(same, 1.0, lam), rtol=1e-12)


def test_mixup_keeps_image_shapes_and_float32():
    images, y = load_digits(scale=True, as_images=True)
    X_mix, Y_mix = mixup(images[:20].astype(np.float32), one_hot(y[:20], dtype=np.float32), rng=1)
    assert X_mix.shape == (20, 8, 8) and X_mix.dtype == np.float32 and Y_mix.dtype == np.float32
    np.testing.assert_allclose(Y_mix.sum(axis=1), 1.0, rtol=1e-6)


def test_mixup_with_alpha_zero_is_plain_training():
    X, y = make_spiral(n_samples=30, seed=0)
    X_mix, Y_mix = mixup(X, one_hot(y), alpha=0.0, rng=0)
    np.testing.assert_array_equal(X_mix, X)
    np.testing.assert_array_equal(Y_mix, one_hot(y))


def test_mixup_lambda_follows_beta_alpha_alpha():
    X = np.zeros((20000, 1))
    Y = np.ones((20000, 1))
    for alpha in (0.2, 1.0, 8.0):
        *_, lam, _ = mixup(X, Y, alpha=alpha, rng=0, return_params=True)
        assert abs(lam.mean() - 0.5) < 0.01
        np.testing.assert_allclose(lam.var(), 1.0 / (4.0 * (2.0 * alpha + 1.0)), rtol=0.05)


def test_mixup_is_repeatable_given_the_rng():
    X, y = make_moons(seed=0)
    a = mixup(X, one_hot(y), rng=9)
    b = mixup(X, one_hot(y), rng=9)
    c = mixup(X, one_hot(y), rng=10)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[0], c[0])


@pytest.mark.parametrize("call, error, message", [
    (lambda X, y: mixup(X, one_hot(y), alpha=-0.1), ValueError, "alpha must be >= 0"),
    (lambda X, y: mixup(X, one_hot(y), alpha=float("nan")), ValueError, "alpha must be finite"),
    (lambda X, y: mixup(X, y), ValueError, r"turn labels into targets with one_hot\(y\)"),
    (lambda X, y: mixup(X[:5], one_hot(y)), ValueError, "Y_onehot has 10 rows but X has 5"),
    (lambda X, y: mixup(X, one_hot(y), rng="a"), TypeError, "rng must be an integer seed"),
])
def test_mixup_rejects_bad_arguments(call, error, message):
    X, y = make_moons(n_samples=10)
    with pytest.raises(error, match=message):
        call(X, y)


def test_package_exports_the_documented_api():
    for name in data.__all__:
        assert hasattr(data, name), name
    import course_lib

    assert course_lib.data is data
