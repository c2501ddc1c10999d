"""Against torch.optim itself: the same parameters step after step (skipped when PyTorch is not installed).

Each case runs course_lib's optimizer and torch's (CPU, single-tensor code path) on the same start and the same
gradient rule, both computing the gradient at their own current parameters, and compares after every step.
"""
import contextlib

import numpy as np
import pytest
from conftest import requires_torch
from test_optim_reference import CONFIGS, STEPS, TOL, make_problem, rel_error

from course_lib.optim import OPTIMIZERS

pytestmark = [requires_torch, pytest.mark.torch]

TORCH_NAMES = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adadelta": "Adadelta", "adam": "Adam",
               "adamw": "AdamW", "adamax": "Adamax", "nadam": "NAdam"}


def torch_optimizer(name, tensors, hyper):
    """The torch.optim optimizer for a registry name; "momentum" maps to SGD(lr * (1 - beta), momentum=beta)."""
    import torch

    hyper = dict(hyper)
    if name == "nesterov":
        return torch.optim.SGD(tensors, momentum=hyper.pop("momentum", 0.9), nesterov=True, **hyper)
    if name == "momentum":
        beta = hyper.get("beta", 0.9)
        return torch.optim.SGD(tensors, lr=hyper["lr"] * (1 - beta), momentum=beta)
    return getattr(torch.optim, TORCH_NAMES[name])(tensors, foreach=False, **hyper)


@contextlib.contextmanager
def torch_default_dtype(dtype):
    """torch keeps some per-step scalars (NAdam's mu_product) in the default dtype: match the params' one."""
    import torch

    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if dtype == np.float64 else torch.float32)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def torch_cases():
    for case in CONFIGS:
        name, hyper = case.values
        if not hyper.get("eps_inside_sqrt", False):  # the lecture's eps placement is not a torch option
            yield case


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name, hyper", list(torch_cases()))
def test_optimizer_matches_torch_optim_step_after_step(name, hyper, dtype):
    import torch

    params, grad_fn = make_problem("mixed-shapes", dtype, seed=3)
    tensors = [torch.tensor(np.array(p), requires_grad=True) for p in params]
    with torch_default_dtype(dtype):
        reference = torch_optimizer(name, tensors, hyper)
        opt = OPTIMIZERS[name](params, **hyper)
        for t in range(STEPS):
            opt.step(grad_fn(opt.params, t))
            with torch.no_grad():
                for tensor, g in zip(tensors, grad_fn([x.detach().numpy() for x in tensors], t)):
                    tensor.grad = torch.from_numpy(np.array(g))
            reference.step()
            expected = [tensor.detach().numpy() for tensor in tensors]
            assert rel_error(opt.params, expected) < TOL[dtype], f"after step {t + 1}"


@pytest.mark.parametrize("name", ["adam", "sgd", "nadam"])
def test_learning_rate_changed_between_steps_matches_torch_param_group_lr(name):
    import torch

    hyper = {"sgd": dict(lr=0.05, momentum=0.9), "adam": dict(lr=0.01), "nadam": dict(lr=0.01)}[name]
    params, grad_fn = make_problem("one-matrix", np.float64, seed=4)
    tensors = [torch.tensor(p, requires_grad=True) for p in params]
    with torch_default_dtype(np.float64):
        reference = torch_optimizer(name, tensors, hyper)
        opt = OPTIMIZERS[name](params, **hyper)
        for t in range(STEPS):
            lr = hyper["lr"] * 0.95**t
            opt.lr = lr
            reference.param_groups[0]["lr"] = lr
            opt.step(grad_fn(opt.params, t))
            for tensor, g in zip(tensors, grad_fn([x.detach().numpy() for x in tensors], t)):
                tensor.grad = torch.from_numpy(g)
            reference.step()
    assert rel_error(opt.params[0], tensors[0].detach().numpy()) < 1e-9
