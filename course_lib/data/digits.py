"""The 8x8 handwritten digits (bundled, never downloaded) and label-preserving augmentation for them.

`load_digits()` reads `digits.csv.gz`, shipped in this folder (UCI "Optical Recognition of Handwritten Digits",
Alpaydin & Kaynak 1998, CC BY 4.0, as redistributed by scikit-learn; see DIGITS_LICENSE.txt).

Data augmentation (lecture: "get creative for your problem": translation, rotation, ...) makes new training images
from old ones by changes that keep the label: a "3" shifted one pixel left or turned by 10 degrees is still a "3".
`rotate_shift` applies a given rotation and shift to every image; `augment_digits` draws them at random.
"""
import functools
import gzip
import math
from importlib import resources

import numpy as np
from numba import njit

from course_lib import _validate as v
from course_lib.data._common import as_rng, n_rows

N_DIGITS = 1797
IMAGE_SHAPE = (8, 8)
MAX_PIXEL = 16.0
CLASS_NAMES = tuple(str(d) for d in range(10))


@functools.lru_cache(maxsize=1)
def _read_digits():
    with resources.files("course_lib.data").joinpath("digits.csv.gz").open("rb") as raw:
        with gzip.open(raw, "rt") as text:
            table = np.loadtxt(text, delimiter=",", dtype=np.float64)
    table.setflags(write=False)
    return table


def load_digits(scale=False, as_images=False):
    """The 1797 handwritten digits: returns (X, y).

    X: (1797, 64) float64, pixel counts 0..16 in row-major order (pixel (r, c) is column 8 r + c); with
       `scale=True` divided by 16, so in [0, 1]; with `as_images=True` shaped (1797, 8, 8) instead.
    y: (1797,) int64, the digit 0..9 (about 180 of each).
    Every call returns fresh arrays, so changing them does not change the next call's result.
    """
    v.flag(scale, "scale")
    v.flag(as_images, "as_images")
    table = _read_digits()
    X = np.array(table[:, :64], dtype=np.float64, order="C")
    y = table[:, 64].astype(np.int64)
    if scale:
        X /= MAX_PIXEL
    if as_images:
        X = X.reshape(-1, *IMAGE_SHAPE)
    return X, y


@njit(cache=True, error_model="numpy")
def _rotate_shift_kernel(images, cos_a, sin_a, shift_r, shift_c, out):
    """out[i] = images[i] turned by angle a_i about the image centre, then moved by (shift_r, shift_c) pixels.

    Each output pixel (r, c) looks up where it came from (inverse mapping) and interpolates bilinearly between the
    four nearest input pixels; pixels that come from outside the image read 0 (background).
    """
    n, h, w = images.shape
    centre_r = 0.5 * (h - 1)
    centre_c = 0.5 * (w - 1)
    for i in range(n):
        ca = cos_a[i]
        sa = sin_a[i]
        for r in range(h):
            for c in range(w):
                dr = r - centre_r - shift_r[i]
                dc = c - centre_c - shift_c[i]
                src_r = ca * dr + sa * dc + centre_r
                src_c = -sa * dr + ca * dc + centre_c
                r0 = math.floor(src_r)
                c0 = math.floor(src_c)
                fr = src_r - r0
                fc = src_c - c0
                acc = 0.0
                for a in range(2):
                    rr = int(r0) + a
                    if rr < 0 or rr >= h:
                        continue
                    wr = fr if a == 1 else 1.0 - fr
                    for b in range(2):
                        cc = int(c0) + b
                        if cc < 0 or cc >= w:
                            continue
                        wc = fc if b == 1 else 1.0 - fc
                        acc += wr * wc * images[i, rr, cc]
                out[i, r, c] = acc


def _images_view(X, image_shape):
    """X as (N, H, W), and a function that puts a result back in X's own layout."""
    h, w = image_shape
    if X.ndim == 3:
        v.check_shape(X, (None, h, w), "X")
        return X, lambda out: out
    if X.ndim == 2:
        v.check_shape(X, (None, h * w), "X")
        return X.reshape(-1, h, w), lambda out: out.reshape(-1, h * w)
    raise ValueError(f"X must have shape (N, {h * w}) or (N, {h}, {w}), got {X.shape}")


def _check_image_shape(image_shape):
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2:
        raise TypeError(f"image_shape must be a pair (height, width), got {image_shape!r}")
    return tuple(v.scalar(s, "image_shape", low=1, integer=True) for s in image_shape)


def rotate_shift(X, angle_deg, shift, image_shape=IMAGE_SHAPE):
    """Turn each image by its angle (degrees, counter-clockwise as `plt.imshow` shows it) about the image centre,
    then move it by its (down, right) shift in pixels.

    For output pixel p = (r, c) and centre m = ((H-1)/2, (W-1)/2) the value is read, with bilinear interpolation,
    at the source position
        s = R(-a) (p - m - shift) + m,     R(-a) = [[cos a, sin a], [-sin a, cos a]]  in (row, column) coordinates,
    and is 0 where s falls outside the image. (scipy.ndimage.affine_transform with order=1 and
    mode="grid-constant" computes the same.) Turning by 90 degrees equals `np.rot90`; integer shifts move pixels
    exactly and fill the uncovered border with 0.

    X: (N, H*W) or (N, H, W), float32 or float64 (kept); angle_deg: scalar or (N,); shift: (2,) or (N, 2).
    Returns an array of X's shape and dtype.
    """
    image_shape = _check_image_shape(image_shape)
    X = v.float_array(X, "X", finite=True)
    n_rows(X, "X")
    images, restore = _images_view(X, image_shape)
    n = images.shape[0]
    if np.ndim(angle_deg) == 0:
        angle = np.full(n, v.scalar(angle_deg, "angle_deg"))
    else:
        angle = v.float_array(angle_deg, "angle_deg", dtype=np.float64, ndim=1, finite=True)
        v.check_shape(angle, (n,), "angle_deg")
    shift = v.float_array(shift, "shift", dtype=np.float64, ndim=(1, 2), finite=True)
    if shift.ndim == 1:
        v.check_shape(shift, (2,), "shift")
        shift = np.broadcast_to(shift, (n, 2))
    else:
        v.check_shape(shift, (n, 2), "shift")
    radians = np.deg2rad(angle)
    dtype = X.dtype
    out = np.empty_like(images)
    _rotate_shift_kernel(images, np.cos(radians).astype(dtype), np.sin(radians).astype(dtype),
                         np.ascontiguousarray(shift[:, 0], dtype=dtype), np.ascontiguousarray(shift[:, 1], dtype=dtype),
                         out)
    return restore(out)


def augment_digits(X, rng, shift=1, rotate_deg=10.0, noise=0.0, image_shape=IMAGE_SHAPE):
    """A randomly shifted, slightly rotated (and optionally noisy) copy of every image; the labels stay the same.

    For each image independently:
      angle ~ Uniform[-rotate_deg, rotate_deg] degrees, shift_row and shift_col ~ uniform integers in
      [-shift, shift], then `rotate_shift` (bilinear, background 0); then, if noise > 0, Gaussian noise of standard
      deviation `noise` is added and the result clipped to the range [min X, max X] of the input (0..16 for raw
      digits, 0..1 for scaled ones), so pixels stay valid.
    The draws come from `rng` (an integer seed or a numpy Generator) in that order, so the same rng state gives
    the same images. Apply it to training data only: validation and test images stay as they are.

    X: (N, 64) or (N, 8, 8) float32/float64 (kept). Returns an array of X's shape and dtype.
    """
    image_shape = _check_image_shape(image_shape)
    X = v.float_array(X, "X", finite=True)
    n = n_rows(X, "X")
    _images_view(X, image_shape)
    rng = as_rng(rng, "rng")
    shift = v.scalar(shift, "shift", low=0, integer=True)
    rotate_deg = v.scalar(rotate_deg, "rotate_deg", low=0.0, high=180.0)
    noise = v.scalar(noise, "noise", low=0.0)
    angles = rng.uniform(-rotate_deg, rotate_deg, size=n)
    shifts = rng.integers(-shift, shift + 1, size=(n, 2))
    out = rotate_shift(X, angles, shifts, image_shape)
    if noise > 0.0:
        low, high = X.min(), X.max()
        out += (noise * rng.standard_normal(out.shape)).astype(out.dtype)
        np.clip(out, low, high, out=out)
    return out
