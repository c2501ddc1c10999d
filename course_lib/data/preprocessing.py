"""Preprocessing the inputs: zero-centring, normalizing, decorrelating (PCA) and whitening.

X is the (N, D) data matrix, one example per row (the lecture's convention). Each transform is a small object:
`fit(X_train)` stores statistics of the TRAINING data, and `transform` applies those same numbers to any data,
training, validation or test. (Computing a fresh mean on the test set would be using test data to train and would
make the test inputs look different from what the network learned on.)

    zero-centre:   X - mu                          mu = mean of the rows of X_train
    normalize:     (X - mu) / sigma                sigma_j = standard deviation of column j (1/N convention)
    decorrelate:   (X - mu) U                      U = eigenvectors of the covariance  C = (X - mu)^T (X - mu) / N
    whiten:        (X - mu) U / sqrt(lambda + eps) lambda = the matching eigenvalues

Statistics are computed in float64; `transform` returns the dtype it is given (float32 stays float32).
"""
import numpy as np

from course_lib import _validate as v
from course_lib.data._common import n_rows
from course_lib._style import PALETTE


def _data(X, name="X"):
    X = v.float_array(X, name, ndim=2, finite=True)
    n_rows(X, name)
    return X


class _Fitted:
    """Shared checks: a transform must be fitted, and later data must have as many columns as the training data."""

    def _checked(self, X, name="X"):
        if getattr(self, "mean_", None) is None:
            raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit(X_train) first")
        X = _data(X, name)
        if X.shape[1] != self.mean_.shape[0]:
            raise ValueError(f"{name} has {X.shape[1]} columns but the {type(self).__name__} was fitted on data "
                             f"with {self.mean_.shape[0]}")
        return X

    def fit_transform(self, X):
        """fit(X), then transform(X)."""
        return self.fit(X).transform(X)


class Standardizer(_Fitted):
    """Zero-centre each column and (with `with_std=True`) divide it by its standard deviation.

        x_hat_j = (x_j - mu_j) / sigma_j,    mu_j = (1/N) sum_i x_ij,    sigma_j^2 = (1/N) sum_i (x_ij - mu_j)^2

    (1/N, not 1/(N-1): the same convention as batch normalization and PyTorch's biased variance.)
    A constant column has sigma_j = 0; wherever sigma_j <= eps the column is only centred (divided by 1), so it
    becomes all zeros instead of NaN. with_std=False gives plain zero-centring.

    Attributes after fit: mean_ (D,), std_ (D,) the measured sigma, scale_ (D,) what is divided by.
    """

    def __init__(self, with_std=True, eps=1e-8):
        self.with_std = v.flag(with_std, "with_std")
        self.eps = v.scalar(eps, "eps", low=0.0)
        self.mean_ = self.std_ = self.scale_ = None

    def fit(self, X):
        """Store mean_ and std_ of the training data X (N, D); returns self."""
        X = _data(X).astype(np.float64, copy=False)
        self.mean_ = X.mean(axis=0)
        self.std_ = X.std(axis=0)
        if self.with_std:
            self.scale_ = np.where(self.std_ > self.eps, self.std_, 1.0)
        else:
            self.scale_ = np.ones_like(self.std_)
        return self

    def transform(self, X):
        """(X - mean_) / scale_ with the training statistics; X (M, D) -> (M, D), same dtype."""
        X = self._checked(X)
        return ((X - self.mean_) / self.scale_).astype(X.dtype, copy=False)

    def inverse_transform(self, Z):
        """Z * scale_ + mean_: undoes transform exactly (up to rounding)."""
        Z = self._checked(Z, "Z")
        return (Z * self.scale_ + self.mean_).astype(Z.dtype, copy=False)


class PCA(_Fitted):
    """Decorrelate: rotate the centred data onto the eigenvectors of its covariance (principal components).

        C = (X - mu)^T (X - mu) / N = U diag(lambda) U^T,    lambda_1 >= lambda_2 >= ... >= 0
        z = (x - mu) U_K     (the first K columns of U: keep the K directions of largest variance)

    The covariance of z is diag(lambda_1..lambda_K): the new coordinates are uncorrelated. With K = D this is a pure
    rotation (and inverse_transform is exact); with K < D it is the best K-dimensional linear compression.
    Sign convention: each eigenvector is flipped so that its largest-magnitude entry is positive (eigenvectors are
    only defined up to sign; this makes the result repeatable).

    Attributes after fit: mean_ (D,), components_ (K, D) (rows are the directions U_K^T, as in scikit-learn),
    explained_variance_ (K,) the eigenvalues lambda, explained_variance_ratio_ (K,) their share of the total.
    """

    def __init__(self, n_components=None):
        if n_components is not None:
            n_components = v.scalar(n_components, "n_components", low=1, integer=True)
        self.n_components = n_components
        self.mean_ = self.components_ = self.explained_variance_ = self.explained_variance_ratio_ = None

    def fit(self, X):
        """Eigen-decompose the covariance of the training data X (N, D); returns self."""
        X = _data(X).astype(np.float64, copy=False)
        d = X.shape[1]
        k = d if self.n_components is None else self.n_components
        if k > d:
            raise ValueError(f"n_components={k} is more than the {d} columns of X")
        mean = X.mean(axis=0)
        centred = X - mean
        cov = centred.T @ centred / X.shape[0]
        eigvals, eigvecs = np.linalg.eigh(cov)          # ascending order
        order = np.argsort(eigvals)[::-1][:k]
        eigvals = np.clip(eigvals[order], 0.0, None)    # rounding can make a zero eigenvalue slightly negative
        U = eigvecs[:, order]
        biggest = np.argmax(np.abs(U), axis=0)
        U *= np.sign(U[biggest, np.arange(k)])
        total = np.trace(cov)
        self.mean_ = mean
        self.components_ = np.ascontiguousarray(U.T)
        self.explained_variance_ = eigvals
        self.explained_variance_ratio_ = eigvals / total if total > 0 else np.zeros_like(eigvals)
        return self

    def transform(self, X):
        """z = (X - mean_) @ components_.T; X (M, D) -> (M, K), same dtype."""
        X = self._checked(X)
        return ((X - self.mean_) @ self.components_.T).astype(X.dtype, copy=False)

    def inverse_transform(self, Z):
        """Z @ components_ + mean_: back to the original axes (exact when K = D, a projection when K < D)."""
        return self._back(Z, 1.0)

    def _back(self, Z, scale):
        if self.components_ is None:
            raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit(X_train) first")
        Z = _data(Z, "Z")
        k = self.components_.shape[0]
        if Z.shape[1] != k:
            raise ValueError(f"Z has {Z.shape[1]} columns but the {type(self).__name__} keeps {k} components")
        return ((Z * scale) @ self.components_ + self.mean_).astype(Z.dtype, copy=False)


class Whitening(PCA):
    """Whiten: decorrelate with PCA, then divide each new coordinate by its standard deviation.

        z = (x - mu) U_K / sqrt(lambda + eps)

    The covariance of z is diag(lambda / (lambda + eps)), which is the identity up to eps / lambda: every direction
    now has unit variance. `eps` (default 1e-5, as in the CS231n notes) keeps directions with (almost) no variance
    from being blown up into noise; eps=0 gives an exact identity covariance but then needs every kept lambda > 0.

    Attributes: those of PCA, plus scale_ (K,) = sqrt(explained_variance_ + eps).
    """

    def __init__(self, n_components=None, eps=1e-5):
        super().__init__(n_components)
        self.eps = v.scalar(eps, "eps", low=0.0)
        self.scale_ = None

    def fit(self, X):
        """PCA on the training data X (N, D), then store scale_; returns self."""
        super().fit(X)
        scale = np.sqrt(self.explained_variance_ + self.eps)
        if np.any(scale == 0.0):
            self.mean_ = self.components_ = None
            raise ValueError("X has a direction with zero variance, which cannot be scaled to unit variance: use "
                             "eps > 0 or fewer n_components")
        self.scale_ = scale
        return self

    def transform(self, X):
        """z = (X - mean_) @ components_.T / scale_; X (M, D) -> (M, K), same dtype."""
        X = self._checked(X)
        return (((X - self.mean_) @ self.components_.T) / self.scale_).astype(X.dtype, copy=False)

    def inverse_transform(self, Z):
        """(Z * scale_) @ components_ + mean_: undoes transform (exact when K = D)."""
        return self._back(Z, self.scale_ if self.scale_ is not None else 1.0)


def plot_preprocessing(X=None, ax=None, y=None):
    """The lecture's five pictures of the same point cloud: original, zero-centred, normalized, decorrelated,
    whitened. Each panel has equal axis scales and the axes through the origin, so the changes are visible.

    X: (N, D) with D >= 2 (the first two coordinates are drawn; PCA and whitening use all of them); defaults to
    `make_correlated_cloud()`. y: optional (N,) labels to colour the points. ax: None (a new figure) or a sequence
    of 5 matplotlib axes. Returns (fig, axes).
    """
    import matplotlib.pyplot as plt

    if X is None:
        from course_lib.data.toy import make_correlated_cloud

        X = make_correlated_cloud()
    X = _data(X).astype(np.float64, copy=False)
    if X.shape[1] < 2:
        raise ValueError(f"X must have at least 2 columns to draw, got shape {X.shape}")
    colours = PALETTE[0]
    if y is not None:
        y = v.labels_array(y, "y", length=X.shape[0])
        colours = [PALETTE[k % len(PALETTE)] for k in y]
    if ax is None:
        fig, axes = plt.subplots(1, 5, figsize=(17, 3.8))
    else:
        axes = np.asarray(ax, dtype=object).ravel()
        if axes.size != 5:
            raise ValueError(f"ax must be a sequence of 5 matplotlib axes, got {axes.size}")
        fig = axes[0].figure
    panels = [
        ("original data", X),
        ("zero-centred", Standardizer(with_std=False).fit_transform(X)),
        ("normalized", Standardizer().fit_transform(X)),
        ("decorrelated (PCA)", PCA().fit_transform(X)),
        ("whitened", Whitening().fit_transform(X)),
    ]
    for a, (title, Z) in zip(axes, panels):
        a.scatter(Z[:, 0], Z[:, 1], s=8, c=colours, alpha=0.7, linewidths=0)
        a.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
        a.axvline(0.0, color="0.6", linewidth=0.8, zorder=0)
        a.set_aspect("equal", adjustable="datalim")
        a.set_title(title)
        names = ("x_1", "x_2") if title in ("original data", "zero-centred", "normalized") else ("z_1", "z_2")
        a.set_xlabel(f"${names[0]}$")
        a.set_ylabel(f"${names[1]}$")
    if fig.get_layout_engine() is None:  # course figures already use constrained layout (course_lib.plots)
        fig.tight_layout()
    return fig, axes
