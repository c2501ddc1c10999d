"""Two-dimensional loss landscapes, and what optimizers do on them.

A neural network's loss lives in millions of dimensions, but every difficulty the lectures name already shows up in
two: a *poorly conditioned* valley (steep across, shallow along) where gradient descent zigzags, a *saddle point*
where the gradient vanishes without a minimum, a *cliff* where one gradient step throws the parameters far away, a
*plateau* where the gradient is too small to move. This module gives each of them as a small object

    landscape.f(x), landscape.grad(x), landscape.hessian(x)      (x: array of shape (2,))
    landscape.minimum   (points (k, 2), value f*),  landscape.bounds  ((x_min, x_max), (y_min, y_max)),
    landscape.start     (a start that shows the interesting behaviour),  landscape.name

with f, its gradient and its Hessian written out by hand as Numba kernels, next to each other, so that one landscape
reads like a worked example of the chain rule. `LANDSCAPES` maps a name to a constructor.

On top of them:

- `run(landscape, optimizer, x0, steps, **hyper)` follows any optimizer of `course_lib.optim` and returns a
  `Trajectory` (points, values, gradient norms, and `diverged`); `gradient_descent` is the plain rule on its own.
- Step sizes on a quadratic (deck 004): `eta_opt`, `eta_opt_directions`, `step_regime`, `gd_1d`.
- Second-order methods (deck 004): `newton`, `bfgs` (SciPy's quasi-Newton method), `newton_cost`.
- Convergence rate (deck 004): `convergence_rates`, `optimal_rate`, `quadratic_convergence`.

Notation: the point is x = (x, y) (the lectures' theta = (theta_1, theta_2) or w), the gradient g = grad f(x), the
Hessian H = grad^2 f(x), the learning rate eta (PyTorch: `lr`).
"""
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numba import njit

from course_lib import _validate

__all__ = [
    "Landscape", "Quadratic", "IllConditioned", "NarrowValley", "Rosenbrock", "Beale", "Saddle", "SixHumpCamel",
    "Cliff", "Plateau", "Minimum", "LANDSCAPES", "make_landscape", "values_on_grid",
    "Trajectory", "run", "gradient_descent",
    "eta_opt", "eta_opt_directions", "step_regime", "gd_1d",
    "newton", "bfgs", "newton_cost",
    "convergence_rates", "optimal_rate", "quadratic_convergence", "QuadraticConvergence",
]


class Minimum(NamedTuple):
    """The global minimum of a landscape: `points` (k, 2), one row per global minimiser, and the value f*."""

    points: np.ndarray
    value: float


# ---------------------------------------------------------------------------------------------------------------
# The kernels: for each landscape f, its gradient (gx, gy) and its Hessian (hxx, hxy, hyy) at one point (x, y).
# `p` holds the landscape's constants, already cast to the point's dtype.
# ---------------------------------------------------------------------------------------------------------------

# Quadratic bowl  f = 1/2 x^T A x,  A = [[a11, a12], [a12, a22]] symmetric;  p = (a11, a12, a22).
#   grad f = A x,   Hessian = A (the same everywhere).

@njit(cache=True, error_model="numpy")
def _quadratic_value_kernel(x, y, p):
    return 0.5 * (p[0] * x * x + 2.0 * p[1] * x * y + p[2] * y * y)


@njit(cache=True, error_model="numpy")
def _quadratic_grad_kernel(x, y, p):
    return p[0] * x + p[1] * y, p[1] * x + p[2] * y


@njit(cache=True, error_model="numpy")
def _quadratic_hessian_kernel(x, y, p):
    return p[0], p[1], p[2]


# Rosenbrock  f = (a - x)^2 + b (y - x^2)^2;  p = (a, b).
#   df/dx = -2 (a - x) - 4 b x (y - x^2),   df/dy = 2 b (y - x^2)
#   d2f/dx2 = 2 - 4 b (y - x^2) + 8 b x^2 = 2 - 4 b y + 12 b x^2,   d2f/dxdy = -4 b x,   d2f/dy2 = 2 b

@njit(cache=True, error_model="numpy")
def _rosenbrock_value_kernel(x, y, p):
    r = y - x * x
    return (p[0] - x) ** 2 + p[1] * r * r


@njit(cache=True, error_model="numpy")
def _rosenbrock_grad_kernel(x, y, p):
    r = y - x * x
    return -2.0 * (p[0] - x) - 4.0 * p[1] * x * r, 2.0 * p[1] * r


@njit(cache=True, error_model="numpy")
def _rosenbrock_hessian_kernel(x, y, p):
    return 2.0 - 4.0 * p[1] * y + 12.0 * p[1] * x * x, -4.0 * p[1] * x, 2.0 * p[1]


# Beale  f = sum_{i=1..3} t_i^2,  t_i = c_i - x + x y^i,  (c_1, c_2, c_3) = (1.5, 2.25, 2.625);  p unused.
#   dt_i/dx = y^i - 1,  dt_i/dy = i x y^(i-1);   grad f = sum 2 t_i grad t_i
#   Hessian = sum 2 (grad t_i grad t_i^T + t_i Hess t_i),  Hess t_i = [[0, i y^(i-1)], [i y^(i-1), i (i-1) x y^(i-2)]]

@njit(cache=True, error_model="numpy")
def _beale_value_kernel(x, y, p):
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y * y
    t3 = 2.625 - x + x * y * y * y
    return t1 * t1 + t2 * t2 + t3 * t3


@njit(cache=True, error_model="numpy")
def _beale_grad_kernel(x, y, p):
    y2 = y * y
    y3 = y2 * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y3
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    gy = 2.0 * (t1 * x + t2 * 2.0 * x * y + t3 * 3.0 * x * y2)
    return gx, gy


@njit(cache=True, error_model="numpy")
def _beale_hessian_kernel(x, y, p):
    y2 = y * y
    y3 = y2 * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y3
    # components of grad t_i
    a1, b1 = y - 1.0, x
    a2, b2 = y2 - 1.0, 2.0 * x * y
    a3, b3 = y3 - 1.0, 3.0 * x * y2
    hxx = 2.0 * (a1 * a1 + a2 * a2 + a3 * a3)
    hxy = 2.0 * (a1 * b1 + a2 * b2 + a3 * b3 + t1 + t2 * 2.0 * y + t3 * 3.0 * y2)
    hyy = 2.0 * (b1 * b1 + b2 * b2 + b3 * b3 + t2 * 2.0 * x + t3 * 6.0 * x * y)
    return hxx, hxy, hyy


# Saddle  f = x^2 - 1/2 y^2 + 1/4 y^4;  p unused.
#   df/dx = 2 x,  df/dy = y^3 - y;   Hessian = [[2, 0], [0, 3 y^2 - 1]]

@njit(cache=True, error_model="numpy")
def _saddle_value_kernel(x, y, p):
    y2 = y * y
    return x * x - 0.5 * y2 + 0.25 * y2 * y2


@njit(cache=True, error_model="numpy")
def _saddle_grad_kernel(x, y, p):
    return 2.0 * x, y * y * y - y


@njit(cache=True, error_model="numpy")
def _saddle_hessian_kernel(x, y, p):
    return 2.0, 0.0, 3.0 * y * y - 1.0


# Six-hump camel  f = (4 - 2.1 x^2 + x^4 / 3) x^2 + x y + (-4 + 4 y^2) y^2;  p unused.
#   df/dx = 8 x - 8.4 x^3 + 2 x^5 + y,   df/dy = x - 8 y + 16 y^3
#   d2f/dx2 = 8 - 25.2 x^2 + 10 x^4,   d2f/dxdy = 1,   d2f/dy2 = -8 + 48 y^2

@njit(cache=True, error_model="numpy")
def _camel_value_kernel(x, y, p):
    x2 = x * x
    y2 = y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2


@njit(cache=True, error_model="numpy")
def _camel_grad_kernel(x, y, p):
    x2 = x * x
    return 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y


@njit(cache=True, error_model="numpy")
def _camel_hessian_kernel(x, y, p):
    x2 = x * x
    return 8.0 - 25.2 * x2 + 10.0 * x2 * x2, 1.0, -8.0 + 48.0 * y * y


# Cliff  f = 1/2 ((x - c)^2 + y^2) + h sigma(s x),  sigma(z) = 1 / (1 + e^-z);  p = (h, s, c).
#   sigma' = sigma (1 - sigma),  sigma'' = sigma (1 - sigma)(1 - 2 sigma)
#   df/dx = (x - c) + h s sigma'(s x),  df/dy = y
#   d2f/dx2 = 1 + h s^2 sigma''(s x),  d2f/dxdy = 0,  d2f/dy2 = 1

@njit(cache=True, error_model="numpy")
def _sigmoid_kernel(z):
    # written so that exp never overflows: exp(-|z|) <= 1
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@njit(cache=True, error_model="numpy")
def _cliff_value_kernel(x, y, p):
    return 0.5 * ((x - p[2]) ** 2 + y * y) + p[0] * _sigmoid_kernel(p[1] * x)


@njit(cache=True, error_model="numpy")
def _cliff_grad_kernel(x, y, p):
    s = _sigmoid_kernel(p[1] * x)
    return (x - p[2]) + p[0] * p[1] * s * (1.0 - s), y


@njit(cache=True, error_model="numpy")
def _cliff_hessian_kernel(x, y, p):
    s = _sigmoid_kernel(p[1] * x)
    return 1.0 + p[0] * p[1] * p[1] * s * (1.0 - s) * (1.0 - 2.0 * s), 0.0, 1.0


# Plateau  f = 1 - e,  e = exp(-(x^2 + y^2) / (2 w^2));  p = (w,).
#   df/dx = x e / w^2,  df/dy = y e / w^2
#   d2f/dx2 = e (1 / w^2 - x^2 / w^4),  d2f/dxdy = -x y e / w^4,  d2f/dy2 = e (1 / w^2 - y^2 / w^4)

@njit(cache=True, error_model="numpy")
def _plateau_value_kernel(x, y, p):
    return 1.0 - math.exp(-(x * x + y * y) / (2.0 * p[0] * p[0]))


@njit(cache=True, error_model="numpy")
def _plateau_grad_kernel(x, y, p):
    w2 = p[0] * p[0]
    e = math.exp(-(x * x + y * y) / (2.0 * w2))
    return x * e / w2, y * e / w2


@njit(cache=True, error_model="numpy")
def _plateau_hessian_kernel(x, y, p):
    w2 = p[0] * p[0]
    e = math.exp(-(x * x + y * y) / (2.0 * w2))
    return e * (1.0 / w2 - x * x / (w2 * w2)), -x * y * e / (w2 * w2), e * (1.0 / w2 - y * y / (w2 * w2))


# One number per family, so that a single cached grid kernel can evaluate any landscape.
_QUADRATIC, _ROSENBROCK, _BEALE, _SADDLE, _CAMEL, _CLIFF, _PLATEAU = range(7)


@njit(cache=True, error_model="numpy")
def _value_kernel(kind, x, y, p):
    if kind == _QUADRATIC:
        return _quadratic_value_kernel(x, y, p)
    if kind == _ROSENBROCK:
        return _rosenbrock_value_kernel(x, y, p)
    if kind == _BEALE:
        return _beale_value_kernel(x, y, p)
    if kind == _SADDLE:
        return _saddle_value_kernel(x, y, p)
    if kind == _CAMEL:
        return _camel_value_kernel(x, y, p)
    if kind == _CLIFF:
        return _cliff_value_kernel(x, y, p)
    return _plateau_value_kernel(x, y, p)


@njit(cache=True, error_model="numpy")
def _grid_kernel(kind, xs, ys, p, out):
    for i in range(ys.shape[0]):
        for j in range(xs.shape[0]):
            out[i, j] = _value_kernel(kind, xs[j], ys[i], p)


# ---------------------------------------------------------------------------------------------------------------
# The landscape objects
# ---------------------------------------------------------------------------------------------------------------

def _point(x, name="x"):
    arr = _validate.float_array(x, name, ndim=1, finite=True)
    return _validate.check_shape(arr, (2,), name)


class Landscape:
    """A function f: R^2 -> R with its analytic gradient and Hessian (the shared plumbing of every landscape).

    Methods take a point x of shape (2,) (float32 or float64; lists become float64) and return results of the same
    dtype: `f(x)` a scalar, `grad(x)` shape (2,), `hessian(x)` shape (2, 2) (symmetric). Attributes: `name`,
    `minimum` (a `Minimum`: points (k, 2) and value f*), `bounds` ((x_min, x_max), (y_min, y_max)) for plots and
    `start`, a default start point, shape (2,).
    """

    name = "landscape"
    _kind = -1

    def __init__(self, params, minimum_points, minimum_value, bounds, start):
        self._params = {np.dtype(np.float64): np.asarray(params, dtype=np.float64)}
        self._params[np.dtype(np.float32)] = self._params[np.dtype(np.float64)].astype(np.float32)
        points = np.array(minimum_points, dtype=np.float64).reshape(-1, 2)
        self.minimum = Minimum(points, float(minimum_value))
        self.bounds = tuple((float(lo), float(hi)) for lo, hi in bounds)
        self.start = np.array(start, dtype=np.float64)

    def f(self, x):
        """f(x) for a point x of shape (2,)."""
        x = _point(x)
        return x.dtype.type(self._value(x[0], x[1], self._params[x.dtype]))

    def grad(self, x):
        """grad f(x) = (df/dx, df/dy), shape (2,)."""
        x = _point(x)
        return np.array(self._grad(x[0], x[1], self._params[x.dtype]), dtype=x.dtype)

    def hessian(self, x):
        """The Hessian [[d2f/dx2, d2f/dxdy], [d2f/dxdy, d2f/dy2]] at x, shape (2, 2)."""
        x = _point(x)
        hxx, hxy, hyy = self._hessian(x[0], x[1], self._params[x.dtype])
        return np.array([[hxx, hxy], [hxy, hyy]], dtype=x.dtype)

    def values_on_grid(self, xs, ys):
        """f on the grid xs x ys: Z[i, j] = f(xs[j], ys[i]), shape (len(ys), len(xs)), ready for
        `plt.contour(xs, ys, Z)`. See the module function `values_on_grid`."""
        return values_on_grid(self, xs, ys)

    def grid(self, resolution=200):
        """(xs, ys, Z) over `bounds` with `resolution` points per axis, for a contour plot."""
        resolution = _validate.scalar(resolution, "resolution", low=2, integer=True)
        xs = np.linspace(*self.bounds[0], resolution)
        ys = np.linspace(*self.bounds[1], resolution)
        return xs, ys, values_on_grid(self, xs, ys)

    def _polish(self, guess, iterations=20):
        """Newton's method from a published approximate minimiser, to get it to machine precision."""
        x, y = float(guess[0]), float(guess[1])
        p = self._params[np.dtype(np.float64)]
        for _ in range(iterations):
            gx, gy = self._grad(x, y, p)
            hxx, hxy, hyy = self._hessian(x, y, p)
            det = hxx * hyy - hxy * hxy
            x, y = x - (hyy * gx - hxy * gy) / det, y - (hxx * gy - hxy * gx) / det
        return x, y

    def __repr__(self):
        return f"{type(self).__name__}()  # f* = {self.minimum.value:g} at {self.minimum.points.tolist()}"


class Quadratic(Landscape):
    """The quadratic bowl f(x) = 1/2 x^T A x, the model problem of deck 004.

    A = R diag(1, condition) R^T has eigenvalues lambda_min = 1 and lambda_max = `condition` (the condition number
    kappa = lambda_max / lambda_min), with R the rotation by `angle` (radians): the shallow direction is
    (cos angle, sin angle), the steep one is perpendicular to it. With angle = 0, f = 1/2 (x^2 + kappa y^2).
    Gradient A x, Hessian A everywhere; minimum f* = 0 at the origin.

    Gradient descent with step eta multiplies the component along eigenvalue lambda by (1 - eta lambda) per step:
    see `eta_opt`, `step_regime` and `quadratic_convergence`.
    """

    name = "quadratic"
    _kind = _QUADRATIC
    _value = staticmethod(_quadratic_value_kernel)
    _grad = staticmethod(_quadratic_grad_kernel)
    _hessian = staticmethod(_quadratic_hessian_kernel)

    def __init__(self, condition=10.0, angle=0.0):
        condition = _validate.scalar(condition, "condition", low=1.0)
        angle = _validate.scalar(angle, "angle")
        self.condition, self.angle = condition, angle
        c, s = math.cos(angle), math.sin(angle)
        self.eigenvectors = np.array([[c, -s], [s, c]])  # columns: shallow (lambda = 1), steep (lambda = kappa)
        self._set_eigen(1.0, condition, start_along=-4.5, start_across=1.0, half_along=5.0, half_across=2.5)

    def _set_eigen(self, lam_along, lam_across, start_along, start_across, half_along, half_across):
        """A = V diag(lam_along, lam_across) V^T with V = self.eigenvectors; start and window in those axes."""
        V = self.eigenvectors
        self.eigenvalues = np.array([lam_along, lam_across])
        self.A = V @ np.diag(self.eigenvalues) @ V.T
        self.A[1, 0] = self.A[0, 1]  # exactly symmetric
        start = V @ np.array([start_along, start_across])
        # the window that holds the rotated rectangle [-half_along, half_along] x [-half_across, half_across]
        wx = abs(V[0, 0]) * half_along + abs(V[0, 1]) * half_across
        wy = abs(V[1, 0]) * half_along + abs(V[1, 1]) * half_across
        super().__init__((self.A[0, 0], self.A[0, 1], self.A[1, 1]), [0.0, 0.0], 0.0,
                         ((-wx, wx), (-wy, wy)), start)

    def __repr__(self):
        return f"{type(self).__name__}(condition={self.condition:g}, angle={self.angle:g})"


class IllConditioned(Quadratic):
    """A poorly conditioned quadratic (deck 004, "Problems with SGD"): condition number 50, rotated by 30 degrees.

    The loss changes 50 times faster across the valley than along it, so gradient descent must keep eta < 2/50
    and then crawls along the valley. The rotation means the valley does not line up with the coordinate axes (as
    in a real network), which takes away part of the advantage of per-coordinate methods (Adagrad, RMSProp, Adam).
    """

    name = "ill_conditioned"

    def __init__(self, condition=50.0, angle=math.pi / 6):
        super().__init__(condition, angle)


class NarrowValley(Quadratic):
    """The narrow valley of deck 000 where plain gradient descent zigzags across and momentum calms it.

    f(x, y) = 1/2 (along x^2 + across y^2), axis-aligned, minimum f* = 0 at the origin. The default curvatures are
    chosen for the lecture's learning rate alpha = .55: across the valley alpha * 3.5 = 1.925, just below the
    divergence limit 2, so each step overshoots and y flips sign, shrinking only by |1 - 1.925| = .925 per step;
    along the valley x shrinks by 1 - .55 * .2 = .89 per step. Momentum with beta = .75 averages the alternating
    gradients across the valley away (both directions then contract by sqrt(beta) = .866 per step).
    """

    name = "narrow_valley"

    def __init__(self, along=0.2, across=3.5):
        along = _validate.scalar(along, "along", low=0.0, low_open=True)
        across = _validate.scalar(across, "across", low=0.0, low_open=True)
        self.condition, self.angle = max(along, across) / min(along, across), 0.0
        self.along, self.across = along, across
        self.eigenvectors = np.eye(2)
        self._set_eigen(along, across, start_along=-4.5, start_across=1.0, half_along=5.0, half_across=2.0)

    def __repr__(self):
        return f"NarrowValley(along={self.along:g}, across={self.across:g})"


class Rosenbrock(Landscape):
    """Rosenbrock's banana f(x, y) = (a - x)^2 + b (y - x^2)^2: a curved, narrow valley along y = x^2.

    Minimum f* = 0 at (a, a^2). The valley floor is easy to find and slow to follow: the Hessian at the minimum
    (a = 1, b = 100) has condition number about 2500.
    """

    name = "rosenbrock"
    _kind = _ROSENBROCK
    _value = staticmethod(_rosenbrock_value_kernel)
    _grad = staticmethod(_rosenbrock_grad_kernel)
    _hessian = staticmethod(_rosenbrock_hessian_kernel)

    def __init__(self, a=1.0, b=100.0):
        self.a = _validate.scalar(a, "a")
        self.b = _validate.scalar(b, "b", low=0.0, low_open=True)
        super().__init__((self.a, self.b), [self.a, self.a * self.a], 0.0,
                         ((self.a - 3.0, self.a + 1.0), (self.a * self.a - 2.0, self.a * self.a + 2.0)),
                         [self.a - 2.2, self.a * self.a])

    def __repr__(self):
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"


class Beale(Landscape):
    """Beale's function f = (1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2.

    Minimum f* = 0 at (3, 0.5), at the end of a long flat valley; outside it the walls rise like x^2 y^6, so the
    gradient spans many orders of magnitude (a test for step-size adaptation).
    """

    name = "beale"
    _kind = _BEALE
    _value = staticmethod(_beale_value_kernel)
    _grad = staticmethod(_beale_grad_kernel)
    _hessian = staticmethod(_beale_hessian_kernel)

    def __init__(self):
        super().__init__((0.0,), [3.0, 0.5], 0.0, ((-4.5, 4.5), (-4.5, 4.5)), [0.7, 1.4])


class Saddle(Landscape):
    """A saddle point that gradient descent must escape: f(x, y) = x^2 - 1/2 y^2 + 1/4 y^4.

    Near the origin f ~ x^2 - 1/2 y^2, the textbook saddle: the gradient is zero there, the Hessian diag(2, -1) has
    one positive and one negative eigenvalue (deck 004). The quartic term bends the surface back up, so a trajectory
    that escapes along y ends in one of the two global minima (0, +1), (0, -1) with f* = -1/4 instead of running off
    to minus infinity (as it would on x^2 - y^2). `saddle_point` is (0, 0). The default start lies just off the
    saddle's stable line y = 0: gradient descent first slides towards the saddle, lingers, then escapes.
    Newton's method is attracted by the saddle (it looks for zero gradient, not for low f): see `newton`.
    """

    name = "saddle"
    _kind = _SADDLE
    _value = staticmethod(_saddle_value_kernel)
    _grad = staticmethod(_saddle_grad_kernel)
    _hessian = staticmethod(_saddle_hessian_kernel)

    def __init__(self):
        self.saddle_point = np.zeros(2)
        super().__init__((0.0,), [[0.0, 1.0], [0.0, -1.0]], -0.25, ((-2.0, 2.0), (-1.6, 1.6)), [-1.8, 0.01])


class SixHumpCamel(Landscape):
    """The six-hump camel f = (4 - 2.1 x^2 + x^4/3) x^2 + x y + (-4 + 4 y^2) y^2: six local minima.

    Two global minima, near (0.0898, -0.7126) and (-0.0898, 0.7126), f* = -1.0316...; the other four are local
    minima that trap plain gradient descent. The default start lies in the basin of the local minimum near
    (-1.70, 0.80) (f = -0.2155).
    """

    name = "six_hump_camel"
    _kind = _CAMEL
    _value = staticmethod(_camel_value_kernel)
    _grad = staticmethod(_camel_grad_kernel)
    _hessian = staticmethod(_camel_hessian_kernel)

    def __init__(self):
        super().__init__((0.0,), [[0.0, 0.0]], 0.0, ((-2.0, 2.0), (-1.1, 1.1)), [-1.9, 0.2])
        points = [self._polish(g) for g in ((0.0898, -0.7126), (-0.0898, 0.7126))]
        p = self._params[np.dtype(np.float64)]
        self.minimum = Minimum(np.array(points), float(_camel_value_kernel(points[0][0], points[0][1], p)))


class Cliff(Landscape):
    """A cliff (deck 001, "Cliffs and exploding gradients"): a bowl with a step of height h in it.

    f(x, y) = 1/2 ((x - c)^2 + y^2) + h sigma(s x),  sigma(z) = 1 / (1 + e^-z)  (defaults h = 100, s = 10, c = -2).

    For x > 0 the walker is on a high plateau (f ~ h) that slopes gently towards the edge; for x < 0 it is in the
    bowl around (c, 0). On the cliff face (|x| < 1/s or so) the slope is up to h s / 4 = 250, a hundred times the
    gradient elsewhere, so the one step taken there, x <- x - eta g, jumps up to eta h s / 4: 25 units for eta = 0.1,
    far out of the plotting window (from the default start, gradient descent with eta = 0.1 lands on the face and
    jumps 24 units). Gradient clipping (`run(..., clip_norm=1.0)`) caps every step at eta * clip_norm and walks
    down the face instead.
    The minimum is at (c, 0) to within the cliff's exponentially small tail; `minimum` is computed exactly.
    """

    name = "cliff"
    _kind = _CLIFF
    _value = staticmethod(_cliff_value_kernel)
    _grad = staticmethod(_cliff_grad_kernel)
    _hessian = staticmethod(_cliff_hessian_kernel)

    def __init__(self, height=100.0, steepness=10.0, center=-2.0):
        self.height = _validate.scalar(height, "height", low=0.0)
        self.steepness = _validate.scalar(steepness, "steepness", low=0.0, low_open=True)
        self.center = _validate.scalar(center, "center", high=-1.0)
        super().__init__((self.height, self.steepness, self.center), [[self.center, 0.0]], 0.0,
                         ((self.center - 2.0, 3.5), (-2.5, 2.5)), [2.4, 1.5])
        point = self._polish((self.center, 0.0))
        p = self._params[np.dtype(np.float64)]
        self.minimum = Minimum(np.array([point]), float(_cliff_value_kernel(point[0], point[1], p)))

    def __repr__(self):
        return f"Cliff(height={self.height:g}, steepness={self.steepness:g}, center={self.center:g})"


class Plateau(Landscape):
    """A plateau (deck 001, "functions that saturate"): f(x, y) = 1 - exp(-(x^2 + y^2) / (2 w^2)).

    A Gaussian well of width w (default 1) in a flat plain at height 1. Far from the well the gradient
    |grad f| = r e^(-r^2 / 2w^2) / w^2 is tiny (about 0.02 at the default start, r = 3.2), so plain gradient
    descent barely moves, while methods that divide by the gradient's size (RMSProp, Adam) take full-size steps.
    Minimum f* = 0 at the origin.
    """

    name = "plateau"
    _kind = _PLATEAU
    _value = staticmethod(_plateau_value_kernel)
    _grad = staticmethod(_plateau_grad_kernel)
    _hessian = staticmethod(_plateau_hessian_kernel)

    def __init__(self, width=1.0):
        self.width = _validate.scalar(width, "width", low=0.0, low_open=True)
        w = self.width
        super().__init__((w,), [0.0, 0.0], 0.0, ((-4.0 * w, 4.0 * w), (-4.0 * w, 4.0 * w)), [2.5 * w, 2.0 * w])

    def __repr__(self):
        return f"Plateau(width={self.width:g})"


LANDSCAPES = {
    "quadratic": Quadratic,
    "ill_conditioned": IllConditioned,
    "narrow_valley": NarrowValley,
    "rosenbrock": Rosenbrock,
    "beale": Beale,
    "saddle": Saddle,
    "six_hump_camel": SixHumpCamel,
    "cliff": Cliff,
    "plateau": Plateau,
}


def make_landscape(name, **params):
    """The landscape registered as `name` in `LANDSCAPES`, built with `params` (e.g. condition=100)."""
    if not isinstance(name, str):
        raise TypeError(f"landscape name must be a string, got {type(name).__name__}")
    _validate.one_of(name, "landscape", list(LANDSCAPES))
    return LANDSCAPES[name](**params)


def _landscape(landscape):
    if isinstance(landscape, str):
        return make_landscape(landscape)
    if not isinstance(landscape, Landscape):
        raise TypeError(
            f"landscape must be a Landscape or one of the names {', '.join(LANDSCAPES)}, got {type(landscape).__name__}"
        )
    return landscape


def values_on_grid(landscape, xs, ys):
    """f on every point of the grid xs x ys, for contour plots: Z[i, j] = f(xs[j], ys[i]).

    xs : shape (nx,), ys : shape (ny,) (finite, float32 or float64). Returns Z of shape (ny, nx) (rows follow y,
    as `plt.contour(xs, ys, Z)` and `np.meshgrid(xs, ys)` expect), float64 unless both inputs are float32.
    One compiled pass over the grid (a 200 x 200 grid takes well under a millisecond).
    """
    landscape = _landscape(landscape)
    xs = _validate.float_array(xs, "xs", ndim=1, finite=True)
    ys = _validate.float_array(ys, "ys", ndim=1, finite=True)
    dtype = np.result_type(xs, ys)
    xs, ys = xs.astype(dtype, copy=False), ys.astype(dtype, copy=False)
    out = np.empty((ys.shape[0], xs.shape[0]), dtype=dtype)
    p = landscape._params[dtype]
    if 0 <= landscape._kind <= _PLATEAU:
        _grid_kernel(landscape._kind, xs, ys, p, out)
    else:  # a landscape defined outside this module: one kernel call per point
        for i, y in enumerate(ys):
            for j, x in enumerate(xs):
                out[i, j] = landscape._value(x, y, p)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Trajectories
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Trajectory:
    """The path of an optimizer on a landscape.

    points     : (n, 2), points[0] = x0 and points[k] the parameters after k steps (n = steps + 1 unless the run
                 stopped early). Draw it with `plt.plot(t.points[:, 0], t.points[:, 1])`.
    values     : (n,), f(points[k]).
    grad_norms : (n,), |grad f(points[k])| (before any clipping).
    diverged   : True if the run stopped because the next point left the radius or became NaN/inf; that point is
                 not recorded, so `points` stays finite and drawable.
    f_star     : the landscape's minimum value, so that `values - f_star` is the optimality gap.
    label      : what produced it (for legends), `info`: extras (stop reason, SciPy's counters, ...).
    """

    points: np.ndarray
    values: np.ndarray
    grad_norms: np.ndarray
    diverged: bool = False
    f_star: float = 0.0
    label: str = ""
    info: dict = field(default_factory=dict)

    @property
    def steps(self):
        """Number of steps taken (len(points) - 1)."""
        return len(self.points) - 1

    @property
    def final_point(self):
        return self.points[-1]

    @property
    def final_value(self):
        return float(self.values[-1])

    def steps_to_reach(self, tol):
        """The first k with f(points[k]) - f* <= tol, or None if the trajectory never gets that close."""
        tol = _validate.scalar(tol, "tol", low=0.0)
        hits = np.flatnonzero(self.values - self.f_star <= tol)
        return int(hits[0]) if hits.size else None

    def __repr__(self):
        state = "diverged" if self.diverged else f"f = {self.final_value:.6g}"
        return f"Trajectory({self.label or 'run'}: {self.steps} steps, {state}, ends at {self.final_point.tolist()})"


@njit(cache=True, error_model="numpy")
def _escaped_kernel(x, radius):
    """True if a coordinate is NaN/inf or larger than radius in absolute value (checked before evaluating f)."""
    for i in range(x.shape[0]):
        if not abs(x[i]) <= radius:  # also true for NaN
            return True
    return False


def _clip(g, max_norm):
    """Gradient clipping by norm, in place: g <- g * min(1, max_norm / (|g| + 1e-6)) (`course_lib.clipping`)."""
    from course_lib.clipping import clip_grad_norm  # imported here: only runs with clip_norm need it

    clip_grad_norm([g], max_norm)


def _follow(landscape, x, steps, step, radius, label):
    """Record x, apply `step(x, g)` (which updates x in place, g = grad f(x)) `steps` times, record each point.

    `step` may return a string instead of None to stop the run early for that reason (x is then not recorded)."""
    p = landscape._params[x.dtype]
    points = np.empty((steps + 1, 2), dtype=x.dtype)
    values = np.empty(steps + 1, dtype=x.dtype)
    grad_norms = np.empty(steps + 1, dtype=x.dtype)
    g = np.empty(2, dtype=x.dtype)

    def record(k):
        g[0], g[1] = landscape._grad(x[0], x[1], p)
        points[k] = x
        values[k] = landscape._value(x[0], x[1], p)
        grad_norms[k] = math.hypot(float(g[0]), float(g[1]))
        return math.isfinite(values[k]) and math.isfinite(grad_norms[k])

    record(0)
    n, reason = steps, "steps"
    with np.errstate(all="ignore"):  # a diverging run is detected below and reported, never warned about
        for k in range(1, steps + 1):
            stop = step(x, g.copy())
            if stop is None and (_escaped_kernel(x, radius) or not record(k)):
                stop = "diverged"
            if stop is not None:
                n, reason = k - 1, stop
                break
    return Trajectory(points[:n + 1].copy(), values[:n + 1].copy(), grad_norms[:n + 1].copy(), reason == "diverged",
                      landscape.minimum.value, label, {"stop": reason})


def _start(landscape, x0):
    if x0 is None:
        return landscape.start.copy()
    return _point(x0, "x0").copy()


def _common(landscape, x0, steps, radius, clip_norm):
    landscape = _landscape(landscape)
    x = _start(landscape, x0)
    steps = _validate.scalar(steps, "steps", low=0, integer=True)
    radius = _validate.scalar(radius, "radius", low=0.0, low_open=True)
    if clip_norm is not None:
        clip_norm = _validate.scalar(clip_norm, "clip_norm", low=0.0, low_open=True)
    return landscape, x, steps, radius, clip_norm


def gradient_descent(landscape, x0=None, steps=100, lr=0.1, *, clip_norm=None, radius=1e6):
    """Plain gradient descent x_{k+1} = x_k - eta grad f(x_k) (eta = `lr`), without `course_lib.optim`.

    With `clip_norm`, the gradient is first rescaled to at most that length (`course_lib.clipping.clip_grad_norm`:
    g <- g min(1, clip_norm / (|g| + 1e-6))).
    Returns a `Trajectory`; see `run` for `x0` (default: the landscape's `start`), `radius` and divergence.
    """
    landscape, x, steps, radius, clip_norm = _common(landscape, x0, steps, radius, clip_norm)
    lr = x.dtype.type(_validate.scalar(lr, "lr", low=0.0))

    def step(x, g):
        if clip_norm is not None:
            _clip(g, clip_norm)
        x -= lr * g

    label = f"GD (eta={float(lr):g})" + (f", clip {clip_norm:g}" if clip_norm is not None else "")
    return _follow(landscape, x, steps, step, radius, label)


def _build_optimizer(optimizer, params, hyper):
    """An optimizer over `params` from a name in course_lib.optim.OPTIMIZERS, a class or a factory."""
    if isinstance(optimizer, str):
        from course_lib import optim  # imported here: optim is a separate module, needed only for run()

        return optim.make_optimizer(optimizer, params, **hyper), optimizer  # an unknown name lists the choices
    if isinstance(optimizer, type) or (callable(optimizer) and not hasattr(optimizer, "step")):
        label = getattr(optimizer, "__name__", None) or getattr(getattr(optimizer, "func", None), "__name__", "")
        return optimizer(params, **hyper), label
    raise TypeError(
        "optimizer must be a name (e.g. 'adam'), an optimizer class (e.g. optim.Adam) or a factory "
        f"params -> optimizer, not an already built optimizer ({type(optimizer).__name__}): run() builds it on "
        "its own copy of x0"
    )


def run(landscape, optimizer, x0=None, steps=100, *, clip_norm=None, radius=1e6, **hyper):
    """Follow an optimizer of `course_lib.optim` on a landscape for `steps` steps; returns a `Trajectory`.

    landscape : a `Landscape` or a name in `LANDSCAPES`.
    optimizer : a name in `course_lib.optim.OPTIMIZERS` ("sgd", "momentum", "nesterov", "adam", ...), an optimizer
                class (`optim.Adam`), or a factory `params -> optimizer` (e.g. `functools.partial(optim.Adam,
                lr=0.1)`); `hyper` (lr=..., betas=..., momentum=...) is passed to it.
    x0        : start, shape (2,) (default: `landscape.start`); float32 or float64, kept.
    clip_norm : if given, every gradient is rescaled to at most this length before the optimizer sees it (gradient
                clipping by norm, deck 001).
    radius    : the run stops with `diverged=True` as soon as a coordinate exceeds `radius` in absolute value or
                becomes NaN/inf; this is checked before f is evaluated there, so a divergent run warns about nothing.

    Each step: g = grad f(x), clipped if asked, then `opt.step([g])` updates x in place. An optimizer with a
    `lookahead_point()` method (`optim.NesterovLookahead`) gets the gradient at that point instead,
    g = grad f(theta + mu v), as in the lecture. The trajectory records the parameters theta in both cases.
    """
    landscape, x, steps, radius, clip_norm = _common(landscape, x0, steps, radius, clip_norm)
    opt, label = _build_optimizer(optimizer, [x], hyper)
    if not hasattr(opt, "step"):
        raise TypeError(f"optimizer built from {optimizer!r} has no step(grads) method")
    p = landscape._params[x.dtype]
    lookahead = getattr(opt, "lookahead_point", None)

    def step(x, g):
        if lookahead is not None:
            (point,) = lookahead()
            if _escaped_kernel(point, radius):
                return "diverged"
            g[0], g[1] = landscape._grad(point[0], point[1], p)
            if not (math.isfinite(g[0]) and math.isfinite(g[1])):
                return "diverged"
        if clip_norm is not None:
            _clip(g, clip_norm)
        opt.step([g])
        return None

    if hyper:
        label += " (" + ", ".join(f"{k}={v}" for k, v in hyper.items()) + ")"
    if clip_norm is not None:
        label += f", clip {clip_norm:g}"
    return _follow(landscape, x, steps, step, radius, label)


# ---------------------------------------------------------------------------------------------------------------
# Step size on a quadratic (deck 004: "With non-optimal step size", "Multivariate quadratic surface")
# ---------------------------------------------------------------------------------------------------------------

def _positive_lam(lam):
    return _validate.scalar(lam, "lam", low=0.0, low_open=True)


def eta_opt(landscape):
    """The optimal fixed step size of gradient descent on a quadratic: the best *single* step for the whole problem.

    This is the one meaning of eta_opt everywhere in the course (notebooks, assignments, explorers): 1/lambda in 1-D,
    2 / (lambda_min + lambda_max) in several dimensions, the same number when all eigenvalues are equal. The optimum
    of one eigen-direction alone, 1/lambda_i (deck 004's eta_{i,opt}), is `eta_opt_directions`.

    - For a 1-D quadratic f = 1/2 lambda x^2, pass the curvature lambda: eta_opt = 1 / lambda (one step lands
      exactly on the minimum: x_1 = (1 - eta lambda) x_0 = 0).
    - For a `Quadratic` (or `NarrowValley`) with eigenvalues lambda_min <= lambda_max:
      eta_opt = 2 / (lambda_min + lambda_max). No single step suits both directions; this one makes the two
      contraction factors equal in size, |1 - eta lambda_min| = |1 - eta lambda_max| = (kappa - 1) / (kappa + 1),
      the best achievable. Divergence starts at eta = 2 / lambda_max (deck 004: "lower than twice the smallest
      optimal learning rate").
    """
    if isinstance(landscape, Quadratic):
        lam = landscape.eigenvalues
        return 2.0 / (float(lam.min()) + float(lam.max()))
    if isinstance(landscape, Landscape):
        raise ValueError(
            f"eta_opt needs a quadratic (constant Hessian); {landscape.name} has a Hessian that changes from point "
            "to point. Pass a curvature instead, e.g. an eigenvalue of landscape.hessian(x)"
        )
    return 1.0 / _positive_lam(landscape)


def eta_opt_directions(landscape):
    """Deck 004's per-direction optima eta_{i,opt} = 1 / lambda_i of a quadratic, one per eigenvalue, sorted by
    increasing lambda (so the shallow direction's, the largest, comes first). Shape (2,), float64.

    A shared step must stay below 2 min_i eta_{i,opt} = 2 / lambda_max, and kappa = max_i eta_{i,opt} /
    min_i eta_{i,opt}. Not to be confused with `eta_opt`, the best single step for all directions at once.
    """
    if not isinstance(landscape, Quadratic):
        raise ValueError(
            f"eta_opt_directions needs a quadratic (constant Hessian with eigenvalues); got {landscape!r}. For a "
            "1-D curvature lambda, eta_opt(lambda) = 1 / lambda is already the direction's optimum"
        )
    return 1.0 / np.sort(np.asarray(landscape.eigenvalues, dtype=np.float64))


def step_regime(eta, lam):
    """How gradient descent with step eta behaves on f = 1/2 lambda x^2: x_{k+1} = (1 - eta lambda) x_k.

    - "monotone"    for 0 < eta <= 1/lambda: 0 <= 1 - eta lambda < 1, x shrinks towards 0 without changing sign.
                    At eta = 1/lambda exactly (eta_opt) the first step lands on the minimum.
    - "oscillating" for 1/lambda < eta <= 2/lambda: -1 <= 1 - eta lambda < 0, x flips sign every step. Below
                    2/lambda it still converges; at eta = 2/lambda exactly it bounces between x_0 and -x_0 forever
                    (neither converging nor growing), which is counted here as oscillating, not divergent.
    - "divergent"   for eta > 2/lambda: |1 - eta lambda| > 1, x flips sign and grows geometrically.

    (Deck 004 in terms of eta_opt = 1/lambda: monotone below eta_opt, oscillating between eta_opt and 2 eta_opt,
    divergent above 2 eta_opt.) eta and lambda must be positive.
    """
    eta = _validate.scalar(eta, "eta", low=0.0, low_open=True)
    lam = _positive_lam(lam)
    r = eta * lam
    if r <= 1.0:
        return "monotone"
    if r <= 2.0:
        return "oscillating"
    return "divergent"


@njit(cache=True, error_model="numpy")
def _gd_1d_kernel(lam, eta, x0, out):
    x = x0
    out[0] = x
    for k in range(1, out.shape[0]):
        x = x - eta * lam * x  # x <- x - eta f'(x),  f'(x) = lambda x
        out[k] = x


def gd_1d(lam, eta, x0=1.0, steps=10):
    """Gradient descent on f(x) = 1/2 lambda x^2: returns x_0, ..., x_steps (shape (steps + 1,), float64) with
    x_{k+1} = x_k - eta lambda x_k = (1 - eta lambda)^(k+1) x_0. Divergent step sizes grow geometrically and may
    reach inf after many steps (without warning); see `step_regime`."""
    lam = _positive_lam(lam)
    eta = _validate.scalar(eta, "eta", low=0.0)
    x0 = _validate.scalar(x0, "x0")
    steps = _validate.scalar(steps, "steps", low=0, integer=True)
    out = np.empty(steps + 1)
    _gd_1d_kernel(lam, eta, x0, out)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Second-order methods (deck 004, "Second-Order Optimization")
# ---------------------------------------------------------------------------------------------------------------

@njit(cache=True, error_model="numpy")
def _newton_step_kernel(gx, gy, hxx, hxy, hyy, damping):
    """The Newton step d = damping * H^-1 g for a 2 x 2 symmetric H, by Cramer's rule; ok = False if H is
    (numerically) singular."""
    det = hxx * hyy - hxy * hxy
    scale = hxx * hxx + 2.0 * hxy * hxy + hyy * hyy
    if not abs(det) > 1e-14 * scale:
        return 0.0, 0.0, False
    return damping * (hyy * gx - hxy * gy) / det, damping * (hxx * gy - hxy * gx) / det, True


def newton(landscape, x0=None, steps=10, damping=1.0, *, radius=1e6):
    """Newton's method x_{k+1} = x_k - damping * H(x_k)^-1 grad f(x_k); returns a `Trajectory`.

    Each step jumps to the stationary point of the second-order Taylor model
    f(x) ~ f(x_k) + (x - x_k)^T g + 1/2 (x - x_k)^T H (x - x_k)  (deck 004: theta* = theta_0 - H^-1 grad J).
    On a quadratic the model is exact, so one undamped step (damping = 1) lands on the minimum. Newton's method
    looks for grad f = 0, not for low f: near a saddle point it converges to the saddle (try `Saddle()`), near a
    maximum to the maximum. `damping` in (0, 1] shortens the step. The run stops early (info["stop"] =
    "singular Hessian") where H cannot be inverted.
    """
    landscape, x, steps, radius, _ = _common(landscape, x0, steps, radius, None)
    damping = _validate.scalar(damping, "damping", low=0.0, low_open=True)
    p = landscape._params[x.dtype]

    def step(x, g):
        hxx, hxy, hyy = landscape._hessian(x[0], x[1], p)
        dx, dy, ok = _newton_step_kernel(float(g[0]), float(g[1]), float(hxx), float(hxy), float(hyy), damping)
        if not ok:
            return "singular Hessian"
        x[0] -= dx
        x[1] -= dy
        return None

    label = "Newton" + (f" (damping {damping:g})" if damping != 1.0 else "")
    return _follow(landscape, x, steps, step, radius, label)


def bfgs(landscape, x0=None, max_steps=100, *, gtol=1e-10):
    """The quasi-Newton method BFGS (SciPy's `minimize(method="BFGS")`), recorded as a `Trajectory`.

    BFGS never forms or inverts the Hessian: it keeps an estimate B of H^-1, updated from the change in gradient
    after each step (O(N^2) memory and work per step, no O(N^3) inversion), and steps along -B g with a line search.
    It stops after `max_steps` iterations or when |g| < gtol. `info` holds SciPy's message and its counts of
    function (`nfev`) and gradient (`njev`) evaluations.
    """
    from scipy.optimize import minimize

    landscape = _landscape(landscape)
    x = _start(landscape, x0).astype(np.float64)
    max_steps = _validate.scalar(max_steps, "max_steps", low=0, integer=True)
    gtol = _validate.scalar(gtol, "gtol", low=0.0)
    points = [x.copy()]

    def callback(intermediate_result):
        points.append(np.array(intermediate_result.x, dtype=np.float64))

    with np.errstate(all="ignore"):
        result = minimize(landscape.f, x, jac=landscape.grad, method="BFGS", callback=callback,
                          options={"maxiter": max_steps, "gtol": gtol})
    points = np.array(points)
    values = np.array([landscape.f(q) for q in points])
    grad_norms = np.array([np.linalg.norm(landscape.grad(q)) for q in points])
    info = {"stop": result.message, "success": bool(result.success), "nfev": int(result.nfev),
            "njev": int(result.njev)}
    return Trajectory(points, values, grad_norms, False, landscape.minimum.value, "BFGS", info)


def newton_cost(n_params, bytes_per_float=4):
    """What one Newton step costs for a model with N = n_params parameters (deck 004: "Hessian has O(N^2)
    elements, inverting takes O(N^3)").

    Returns a dict of Python ints:
      hessian_entries = N^2,  hessian_bytes = N^2 * bytes_per_float  (default 4: float32, as networks are trained),
      inverse_flops ~ N^3  (solving H d = g by Gaussian elimination takes about 2/3 N^3 multiply-adds; the order of
      magnitude is what matters), and for comparison gradient_bytes = N * bytes_per_float (what a first-order
      method stores per state vector). For N = 10^8 the Hessian alone needs 4 * 10^16 bytes, 40 petabytes.
    """
    n = _validate.scalar(n_params, "n_params", low=1, integer=True)
    b = _validate.scalar(bytes_per_float, "bytes_per_float", low=1, integer=True)
    return {"n_params": n, "hessian_entries": n * n, "hessian_bytes": n * n * b, "inverse_flops": n ** 3,
            "gradient_bytes": n * b}


# ---------------------------------------------------------------------------------------------------------------
# Convergence rate (deck 004: R = |f(x^(k+1)) - f(x*)| / |f(x^(k)) - f(x*)|)
# ---------------------------------------------------------------------------------------------------------------

@njit(cache=True, error_model="numpy")
def _rates_kernel(values, f_star, out):
    for k in range(out.shape[0]):
        before = abs(values[k] - f_star)
        if before == 0.0:
            out[k] = np.nan  # undefined once the minimum has been reached exactly
        else:
            out[k] = abs(values[k + 1] - f_star) / before


def convergence_rates(values, f_star):
    """R_k = |f(x_{k+1}) - f*| / |f(x_k) - f*| for k = 0 .. n-2 (shape (n - 1,), float64).

    R_k < 1 means step k made progress. If R_k tends to a constant R < 1 the convergence is *linear* (the gap
    shrinks by R per step: about 1 / -log10(R) steps per decimal digit). Where f(x_k) = f* exactly, R_k is NaN.
    """
    values = _validate.float_array(values, "values", dtype=np.float64, ndim=1, finite=True)
    f_star = _validate.scalar(f_star, "f_star")
    out = np.empty(max(values.shape[0] - 1, 0))
    _rates_kernel(values, f_star, out)
    return out


def optimal_rate(condition):
    """The rate R = ((kappa - 1) / (kappa + 1))^2 of gradient descent with eta_opt on a quadratic with condition
    number kappa: both eigen-components shrink by (kappa - 1) / (kappa + 1) per step, so f - f* shrinks by its
    square. kappa = 1: R = 0 (one step); kappa = 10: R = 0.669; kappa = 100: R = 0.96 (about 57 steps a digit)."""
    kappa = _validate.scalar(condition, "condition", low=1.0)
    return ((kappa - 1.0) / (kappa + 1.0)) ** 2


class QuadraticConvergence(NamedTuple):
    """Result of `quadratic_convergence`: the GD `trajectory`, the measured `rates` R_k, the `predicted` R."""

    trajectory: Trajectory
    rates: np.ndarray
    predicted: float


def quadratic_convergence(condition=10.0, steps=30, x0=None, eta=None):
    """Gradient descent on `Quadratic(condition)` and its measured convergence rate, next to the prediction.

    eta defaults to eta_opt = 2 / (1 + kappa). Component i of x shrinks by |1 - eta lambda_i| per step, so once
    the slowest component dominates, R_k -> max_i (1 - eta lambda_i)^2; at eta_opt both factors equal
    (kappa - 1) / (kappa + 1) and R_k = ((kappa - 1) / (kappa + 1))^2 from the first step on. x0 defaults to
    (1, 0), the slowest direction.
    """
    landscape = Quadratic(condition)
    eta = eta_opt(landscape) if eta is None else _validate.scalar(eta, "eta", low=0.0, low_open=True)
    x0 = np.array([1.0, 0.0]) if x0 is None else x0
    trajectory = gradient_descent(landscape, x0, steps, lr=eta)
    factor = max(abs(1.0 - eta * lam) for lam in landscape.eigenvalues)
    return QuadraticConvergence(trajectory, convergence_rates(trajectory.values, 0.0), factor ** 2)
