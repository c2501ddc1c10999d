"""The NumPy baselines: Adam, SGD with momentum and RMSProp as fast as plain NumPy makes them.

Every operation writes into a preallocated array (`out=` or an in-place operator), so no temporary is allocated
per step. What NumPy cannot avoid is that each operation is a separate sweep over all N numbers: Adam below
makes about ten passes over memory where a fused kernel makes one. The update rules are PyTorch's (eps outside
the square root, SGD's first step copies the gradient into the buffer), the same as course_lib's defaults, so
all implementations compute the same numbers.

Each class updates ONE parameter array in place: ``opt = NumpyAdam(theta); opt.step(grad)``. Scalars are Python
floats, which NumPy applies in the array's dtype (float32 stays float32).
"""
import numpy as np

__all__ = ["NumpyAdam", "NumpySGDMomentum", "NumpyRMSprop", "NUMPY_OPTIMIZERS"]


class NumpyAdam:
    """Adam: m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2; theta -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)."""

    def __init__(self, param, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.param, self.lr, self.betas, self.eps = param, lr, betas, eps
        self.m = np.zeros_like(param)
        self.v = np.zeros_like(param)
        self.scratch = np.empty_like(param)
        self.t = 0

    def step(self, grad):
        beta1, beta2 = self.betas
        self.t += 1
        step_size = self.lr / (1 - beta1**self.t)
        bias_correction2_sqrt = (1 - beta2**self.t) ** 0.5
        m, v, s = self.m, self.v, self.scratch
        m *= beta1                                  # m = beta1 m + (1 - beta1) g
        np.multiply(grad, 1 - beta1, out=s)
        m += s
        v *= beta2                                  # v = beta2 v + (1 - beta2) g^2
        np.multiply(grad, grad, out=s)
        s *= 1 - beta2
        v += s
        np.sqrt(v, out=s)                           # denominator sqrt(v) / sqrt(1 - beta2^t) + eps
        s /= bias_correction2_sqrt
        s += self.eps
        np.divide(m, s, out=s)                      # theta -= lr / (1 - beta1^t) * m / denominator
        s *= step_size
        self.param -= s


class NumpySGDMomentum:
    """SGD with momentum (PyTorch's form): b <- g on step 1, else b <- mu b + g; theta -= lr b."""

    def __init__(self, param, lr=1e-2, momentum=0.9):
        self.param, self.lr, self.momentum = param, lr, momentum
        self.buf = np.zeros_like(param)
        self.scratch = np.empty_like(param)
        self.t = 0

    def step(self, grad):
        self.t += 1
        if self.t == 1:
            self.buf[...] = grad
        else:
            self.buf *= self.momentum
            self.buf += grad
        np.multiply(self.buf, self.lr, out=self.scratch)
        self.param -= self.scratch


class NumpyRMSprop:
    """RMSProp (PyTorch's form): S <- alpha S + (1-alpha) g^2; theta -= lr g / (sqrt(S) + eps)."""

    def __init__(self, param, lr=1e-3, alpha=0.99, eps=1e-8):
        self.param, self.lr, self.alpha, self.eps = param, lr, alpha, eps
        self.square_avg = np.zeros_like(param)
        self.scratch = np.empty_like(param)

    def step(self, grad):
        s, sq = self.scratch, self.square_avg
        sq *= self.alpha
        np.multiply(grad, grad, out=s)
        s *= 1 - self.alpha
        sq += s
        np.sqrt(sq, out=s)
        s += self.eps
        np.divide(grad, s, out=s)
        s *= self.lr
        self.param -= s


NUMPY_OPTIMIZERS = {"adam": NumpyAdam, "sgd_momentum": NumpySGDMomentum, "rmsprop": NumpyRMSprop}
