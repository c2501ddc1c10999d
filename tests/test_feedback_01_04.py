"""Assignments 01-04: typical wrong answers fail their part, and the feedback names the mistake.

Each entry of a MISTAKES table is one wrong answer a student really writes (from the decks, the notebook's own
warnings, and the usual slips: off-by-one, axis, transpose, sign, a missing factor, a list instead of an array, an
input changed in place): the test cell it belongs to, the code that replaces the student's, and the words the
failure must contain (by default "This matches a known mistake"; for a rule check, the rule's own words). Each one
runs against the released visible test (what the student sees in the notebook) and against the full test (visible
and hidden: what the autograder shows) with tests/feedback_harness.py. Pinned per assignment:

- every wrong answer fails its part, visibly and in the full test, and never with a raw error from the test's code;
- at least nine in ten of them are named, visibly and in the full test;
- the solution passes every test cell.
"""
import json
import textwrap

import numpy as np
import pytest

from conftest import ROOT
from feedback_harness import NAMED, Assignment

ASSIGNMENTS = ["01_computation_graphs", "02_jacobians", "03_activations", "04_descent_ema_momentum"]

# Cells that only draw or time things (widgets, big arrays, training runs): the tests do not need them.
SKIP = {
    "01_computation_graphs": {"cell-05", "cell-09", "cell-12", "cell-16", "cell-17"},
    "02_jacobians": {"cell-06", "cell-10", "cell-14", "cell-17", "cell-20"},
    "03_activations": {"cell-008", "cell-013", "cell-018", "cell-023", "cell-031", "cell-032", "cell-039",
                       "cell-041", "cell-043"},
    "04_descent_ema_momentum": {"cell-008", "cell-013", "cell-015", "cell-022", "cell-027", "cell-028", "cell-033",
                                "cell-034", "cell-039", "cell-049", "cell-051"},
}


def solution_cell(assignment, grade_id):
    cells = json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text())["cells"]
    for cell in cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return "".join(cell["source"])
    raise KeyError(grade_id)


def mutated(assignment, grade_id, *replacements):
    """The solution cell `grade_id` with each (old, new) replaced once: a wrong answer written as a small edit of
    a whole class or cell (the edit must apply, so a changed solution cannot silently make it right)."""
    source = solution_cell(assignment, grade_id)
    for old, new in replacements:
        assert source.count(old) == 1, f"{grade_id}: {old!r} occurs {source.count(old)} times"
        source = source.replace(old, new)
    return source


A01 = "01_computation_graphs"
A02 = "02_jacobians"
A03 = "03_activations"
A04 = "04_descent_ema_momentum"

# (test cell, wrong code, the words that name the mistake)
MISTAKES = {A01: {
    # Part 1: (x + y) z by hand
    "local gradients only": ("sum_times_test", """
        def sum_times_forward_backward(x, y, z):
            return (x + y) * z, 1.0, 1.0, x + y""", NAMED),
    "mul gate not swapped": ("sum_times_test", """
        def sum_times_forward_backward(x, y, z):
            q = x + y
            return q * z, q, q, z""", NAMED),
    "f is q": ("sum_times_test", """
        def sum_times_forward_backward(x, y, z):
            return x + y, z, z, x + y""", NAMED),
    "f left out": ("sum_times_test", """
        def sum_times_forward_backward(x, y, z):
            return z, z, x + y""", "return four numbers"),
    "dz is z": ("sum_times_test", """
        def sum_times_forward_backward(x, y, z):
            return (x + y) * z, z, z, z""", NAMED),
    "gradient sign flipped": ("sum_times_test", """
        def sum_times_forward_backward(x, y, z):
            return (x + y) * z, -z, -z, -(x + y)""", "opposite sign"),
    # Part 2: the gates
    "add halves": ("gates_test", """
        def add_backward(a, b, dout):
            return dout / 2, dout / 2""", NAMED),
    "add returns one value": ("gates_test", """
        def add_backward(a, b, dout):
            return dout""", "should return 2 values"),
    "mul swapped": ("gates_test", """
        def mul_backward(a, b, dout):
            return a * dout, b * dout""", NAMED),
    "mul without dout": ("gates_test", """
        def mul_backward(a, b, dout):
            return b, a""", NAMED),
    "max to smaller": ("gates_test", """
        def max_backward(a, b, dout):
            return (0.0, dout) if a > b else (dout, 0.0)""", NAMED),
    "max to both": ("gates_test", """
        def max_backward(a, b, dout):
            return dout, dout""", NAMED),
    "max routes the value": ("gates_test", """
        def max_backward(a, b, dout):
            return (a, 0.0) if a > b else (0.0, b)""", NAMED),
    "copy overwrites": ("gates_test", """
        def copy_backward(dout1, dout2):
            return dout2""", NAMED),
    "copy averages": ("gates_test", """
        def copy_backward(dout1, dout2):
            return (dout1 + dout2) / 2""", NAMED),
    # Part 3: the neuron, flat
    "sigmoid gradient L": ("neuron_flat_test", mutated(A01, "neuron_flat_solution", (
        "grad_L * (1.0 - L) * L", "grad_L * L")), NAMED),
    "sigmoid gradient 1 - L": ("neuron_flat_test", mutated(A01, "neuron_flat_solution", (
        "grad_L * (1.0 - L) * L", "grad_L * (1.0 - L)")), NAMED),
    "sigmoid gate skipped": ("neuron_flat_test", mutated(A01, "neuron_flat_solution", (
        "grad_L * (1.0 - L) * L", "grad_L")), NAMED),
    "neuron mul gates not swapped": ("neuron_flat_test", mutated(A01, "neuron_flat_solution",
        ("grad_w0 = grad_s0 * x0", "grad_w0 = grad_s0 * w0"), ("grad_x0 = grad_s0 * w0", "grad_x0 = grad_s0 * x0"),
        ("grad_w1 = grad_s1 * x1", "grad_w1 = grad_s1 * w1"), ("grad_x1 = grad_s1 * w1", "grad_x1 = grad_s1 * x1")),
        NAMED),
    "L is s3": ("neuron_flat_test", mutated(A01, "neuron_flat_solution", (
        "L = 1.0 / (1.0 + math.exp(-s3))", "L = s3")), NAMED),
    "sigmoid exponent sign": ("neuron_flat_test", mutated(A01, "neuron_flat_solution", (
        "math.exp(-s3)", "math.exp(s3)")), NAMED),
    "grads flat": ("neuron_flat_test", """
        def neuron_flat(w0, x0, w1, x1, w2):
            s = 1.0 / (1.0 + math.exp(-(w0 * x0 + w1 * x1 + w2)))
            d = s * (1 - s)
            return s, d * x0, d * w0, d * x1, d * w1, d""", "return two things"),
    # Part 4: Value's gates
    "Value mul swapped": ("value_gates_test", mutated(A01, "value_solution",
        ("self.grad += other.data * out.grad", "self.grad += self.data * out.grad"),
        ("other.grad += self.data * out.grad", "other.grad += other.data * out.grad")), NAMED),
    "Value mul assigns": ("value_gates_test", mutated(A01, "value_solution",
        ("self.grad += other.data * out.grad", "self.grad = other.data * out.grad"),
        ("other.grad += self.data * out.grad", "other.grad = self.data * out.grad")), NAMED),
    "Value mul without out.grad": ("value_gates_test", mutated(A01, "value_solution",
        ("self.grad += other.data * out.grad", "self.grad += other.data"),
        ("other.grad += self.data * out.grad", "other.grad += self.data")), NAMED),
    "Value add assigns": ("value_gates_test", mutated(A01, "value_solution",
        ("self.grad += out.grad\n            other.grad += out.grad", "self.grad = out.grad\n            other.grad = out.grad")),
        NAMED),
    "Value tanh 1 - x^2": ("value_gates_test", mutated(A01, "value_solution", (
        "(1.0 - out.data**2) * out.grad", "(1.0 - self.data**2) * out.grad")), NAMED),
    "Value tanh gradient tanh": ("value_gates_test", mutated(A01, "value_solution", (
        "(1.0 - out.data**2) * out.grad", "out.data * out.grad")), NAMED),
    "Value exp gradient x": ("value_gates_test", mutated(A01, "value_solution", (
        "self.grad += out.data * out.grad", "self.grad += self.data * out.grad")), NAMED),
    "Value exp without out.grad": ("value_gates_test", mutated(A01, "value_solution", (
        "self.grad += out.data * out.grad", "self.grad += out.data")), NAMED),
    "Value mul children": ("value_gates_test", mutated(A01, "value_solution", (
        'Value(self.data * other.data, (self, other), "*")', 'Value(self.data * other.data, (self,), "*")')),
        "must hold a and b"),
    # Part 5: backward()
    "no base case": ("value_backward_test", mutated(A01, "value_solution", (
        "self.grad = 1.0\n", "pass\n")), NAMED),
    "not reversed": ("value_backward_test", mutated(A01, "value_solution", (
        "for node in reversed(order):", "for node in order:")), NAMED),
    "no visited set": ("value_backward_test", mutated(A01, "value_solution", (
        "if node not in visited:", "if True:")), NAMED),
    "only the output's _backward": ("value_backward_test", mutated(A01, "value_solution", (
        "for node in reversed(order):\n            node._backward()", "self._backward()")), NAMED),
    "pre-order": ("value_backward_test", mutated(A01, "value_solution", (
        "visited.add(node)\n", "visited.add(node)\n                order.append(node)\n"),
        ("                order.append(node)\n\n", "\n")), NAMED),
    "children only, no recursion": ("value_backward_test", mutated(A01, "value_solution", (
        "                for child in node._children:\n                    visit(child)\n", "")), NAMED),
    # Part 6: numerical gradient
    "one-sided": ("numerical_gradient_test", """
        def numerical_gradient(f, x, h=1e-5):
            grad, fx = np.zeros(x.shape), f(x)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + h
                grad[i] = (f(x) - fx) / h
                x[i] = old
            return grad""", NAMED),
    "divided by h": ("numerical_gradient_test", mutated(A01, "numerical_gradient_solution", (
        "/ (2 * h)", "/ h")), NAMED),
    "not restored": ("numerical_gradient_test", mutated(A01, "numerical_gradient_solution", (
        "        x[i] = original\n", "")), NAMED),
    "x - h from x + h": ("numerical_gradient_test", mutated(A01, "numerical_gradient_solution", (
        "x[i] = original - h", "x[i] -= h")), NAMED),
    "1-D loop over rows": ("numerical_gradient_test", mutated(A01, "numerical_gradient_solution", (
        "for i in np.ndindex(x.shape):", "for i in range(len(x)):")), NAMED),
    "1-D loop over size": ("numerical_gradient_test", mutated(A01, "numerical_gradient_solution", (
        "for i in np.ndindex(x.shape):", "for i in range(x.size):")), "np.ndindex"),
    "h ignored": ("numerical_gradient_test", mutated(A01, "numerical_gradient_solution", (
        "    grad = np.zeros(x.shape)\n", "    grad = np.zeros(x.shape)\n    h = 1e-5\n")), NAMED),
    # Part 7: rel_error
    "max then ratio": ("rel_error_test", """
        def rel_error(a, b):
            return float(np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b))))""", NAMED),
    "absolute error": ("rel_error_test", """
        def rel_error(a, b):
            return float(np.max(np.abs(a - b)))""", NAMED),
    "divided by |b|": ("rel_error_test", """
        def rel_error(a, b):
            return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(b))))""", NAMED),
    "mean of ratios": ("rel_error_test", """
        def rel_error(a, b):
            return float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))""", NAMED),
    "no 1e-8 floor": ("rel_error_test", """
        def rel_error(a, b):
            return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))""", NAMED),
    "not reduced": ("rel_error_test", """
        def rel_error(a, b):
            return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))""", "should be a single number"),
    "python max on arrays": ("rel_error_test", """
        def rel_error(a, b):
            return float(np.max(np.abs(a - b) / max(1e-8, np.abs(a) + np.abs(b))))""", "np.maximum"),
}, A02: {
    # Part 1: a Jacobian by hand
    "jacobian transposed": ("example_jacobian_test", """
        def example_jacobian(x):
            x0, x1, x2 = x
            return np.array([[2 * x0 * x1, x2], [x0 ** 2, np.cos(x1)], [0.0, x0]])""", "did you transpose?"),
    "d(x0^2 x1)/dx0 without x1": ("example_jacobian_test", mutated(A02, "example_jacobian_solution", (
        "[[2 * x0 * x1, x0**2, 0.0]", "[[2 * x0, x0**2, 0.0]")), NAMED),
    "derivative of sin is -cos": ("example_jacobian_test", mutated(A02, "example_jacobian_solution", (
        "np.cos(x1)", "-np.cos(x1)")), NAMED),
    "x0 x2 partials swapped": ("example_jacobian_test", mutated(A02, "example_jacobian_solution", (
        "[x2, np.cos(x1), x0]", "[x0, np.cos(x1), x2]")), NAMED),
    "d(x0^2)/dx1 kept": ("example_jacobian_test", mutated(A02, "example_jacobian_solution", (
        "[[2 * x0 * x1, x0**2, 0.0]", "[[2 * x0 * x1, 2 * x0, 0.0]")), NAMED),
    "gradient of the sum": ("example_jacobian_test", """
        def example_jacobian(x):
            x0, x1, x2 = x
            return np.array([2 * x0 * x1 + x2, x0 ** 2 + np.cos(x1), x0])""", "expected shape (2, 3)"),
    # Part 2: the sigmoid's Jacobian
    "diag of sigma": ("sigmoid_jacobian_test", """
        def sigmoid_jacobian(z):
            return np.diag(1 / (1 + np.exp(-z)))""", NAMED),
    "every row the same": ("sigmoid_jacobian_test", """
        def sigmoid_jacobian(z):
            s = 1 / (1 + np.exp(-z))
            return np.tile(s * (1 - s), (z.size, 1))""", NAMED),
    "outer product": ("sigmoid_jacobian_test", """
        def sigmoid_jacobian(z):
            s = 1 / (1 + np.exp(-z))
            return np.outer(s, 1 - s)""", NAMED),
    "the diagonal only, as a vector": ("sigmoid_jacobian_test", """
        def sigmoid_jacobian(z):
            s = 1 / (1 + np.exp(-z))
            return s * (1 - s)""", "np.diag(v) builds a diagonal matrix"),
    "jacobian sigma' as z (1 - z)": ("sigmoid_jacobian_test", """
        def sigmoid_jacobian(z):
            return np.diag(z * (1 - z))""", NAMED),
    # Part 3: ReLU backward
    "relu times output": ("relu_backward_test", """
        def relu_backward(dout, x):
            return dout * np.maximum(x, 0)""", NAMED),
    "relu mask from dout": ("relu_backward_test", """
        def relu_backward(dout, x):
            return dout * (dout > 0)""", NAMED),
    "relu passes dout": ("relu_backward_test", """
        def relu_backward(dout, x):
            return dout.copy()""", NAMED),
    "relu mask only": ("relu_backward_test", """
        def relu_backward(dout, x):
            return (x > 0).astype(float)""", NAMED),
    "relu gradient at 0": ("relu_backward_test", """
        def relu_backward(dout, x):
            return dout * (x >= 0)""", NAMED),
    "relu returns x where closed": ("relu_backward_test", """
        def relu_backward(dout, x):
            return np.where(x > 0, dout, x)""", NAMED),
    # Part 4: the dense layer's backward
    "db averaged": ("affine_backward_test", """
        def affine_backward(dout, x, W):
            return dout @ W.T, x.T @ dout, dout.mean(axis=0)""", NAMED),
    "affine dx without transpose": ("affine_backward_test", """
        def affine_backward(dout, x, W):
            return dout @ W, x.T @ dout, dout.sum(axis=0)""", "dx = dout W^T"),
    "dW transposed": ("affine_backward_test", """
        def affine_backward(dout, x, W):
            return dout @ W.T, dout.T @ x, dout.sum(axis=0)""", "did you transpose?"),
    "db over the wrong axis": ("affine_backward_test", """
        def affine_backward(dout, x, W):
            return dout @ W.T, x.T @ dout, dout.sum(axis=1)""", "which axes you reduce"),
    "db summed over everything": ("affine_backward_test", """
        def affine_backward(dout, x, W):
            return dout @ W.T, x.T @ dout, dout.sum()""", "reduce (sum, mean, max) over every axis"),
    "dW averaged": ("affine_backward_test", """
        def affine_backward(dout, x, W):
            return dout @ W.T, x.T @ dout / x.shape[0], dout.sum(axis=0)""", NAMED),
    "db keepdims": ("affine_backward_test", """
        def affine_backward(dout, x, W):
            return dout @ W.T, x.T @ dout, dout.sum(axis=0, keepdims=True)""", "keepdims"),
    # Part 5: ||W x||^2
    "dW x q^T": ("norm_squared_test", """
        def norm_squared_grads(W, x):
            q = W @ x
            return 2 * np.outer(x, q), 2 * W.T @ q""", NAMED),
    "factor 2 missing": ("norm_squared_test", """
        def norm_squared_grads(W, x):
            q = W @ x
            return np.outer(q, x), W.T @ q""", NAMED),
    "dx without transpose": ("norm_squared_test", """
        def norm_squared_grads(W, x):
            q = W @ x
            return 2 * np.outer(q, x), 2 * W @ q""", NAMED),
    "dW elementwise": ("norm_squared_test", """
        def norm_squared_grads(W, x):
            q = W @ x
            return 2 * W * x, 2 * W.T @ q""", NAMED),
    "dW q x as a vector": ("norm_squared_test", """
        def norm_squared_grads(W, x):
            q = W @ x
            return 2 * q * x, 2 * W.T @ q""", "np.outer(u, v)"),
    "dx is 2 q": ("norm_squared_test", """
        def norm_squared_grads(W, x):
            q = W @ x
            return 2 * np.outer(q, x), 2 * q""", NAMED),
    # Part 6: the softmax's Jacobian
    "softmax diagonal only": ("softmax_jacobian_test", """
        def softmax_jacobian(z):
            p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            return np.diag(p * (1 - p))""", NAMED),
    "softmax outer term missing": ("softmax_jacobian_test", """
        def softmax_jacobian(z):
            p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            return np.diag(p)""", NAMED),
    "softmax diag term missing": ("softmax_jacobian_test", """
        def softmax_jacobian(z):
            p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            return -np.outer(p, p)""", NAMED),
    "softmax sign": ("softmax_jacobian_test", """
        def softmax_jacobian(z):
            p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            return np.outer(p, p) - np.diag(p)""", "opposite sign"),
    "softmax not shifted": ("softmax_jacobian_test", """
        def softmax_jacobian(z):
            p = np.exp(z) / np.exp(z).sum()
            return np.diag(p) - np.outer(p, p)""", "overflow"),
    "softmax over a scalar sum": ("softmax_jacobian_test", """
        def softmax_jacobian(z):
            p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            return np.diag(p) - p @ p""", NAMED),
    # Part 7: softmax cross-entropy
    "xent gradient without 1/N": ("softmax_xent_test", mutated(A02, "softmax_xent_solution", (
        "return float(loss), dlogits / N", "return float(loss), dlogits")), NAMED),
    "xent summed": ("softmax_xent_test", mutated(A02, "softmax_xent_solution", (
        "loss = -log_p[rows, labels].mean()", "loss = -log_p[rows, labels].sum()"),
        ("return float(loss), dlogits / N", "return float(loss), dlogits")), NAMED),
    "xent gradient sign": ("softmax_xent_test", mutated(A02, "softmax_xent_solution", (
        "return float(loss), dlogits / N", "return float(loss), -dlogits / N")), NAMED),
    "xent not shifted": ("softmax_xent_test", mutated(A02, "softmax_xent_solution", (
        "shifted = logits - logits.max(axis=1, keepdims=True)", "shifted = logits")), "overflow"),
    "xent onehot not subtracted": ("softmax_xent_test", mutated(A02, "softmax_xent_solution", (
        "dlogits[rows, labels] -= 1.0\n", "pass\n")), NAMED),
    "xent loss per example": ("softmax_xent_test", mutated(A02, "softmax_xent_solution", (
        "loss = -log_p[rows, labels].mean()", "loss = -log_p[rows, labels]"), ("float(loss)", "loss")),
        "single number"),
    "xent picks columns": ("softmax_xent_test", mutated(A02, "softmax_xent_solution", (
        "loss = -log_p[rows, labels].mean()", "loss = -log_p[:, labels].mean()")), NAMED),
    # Part 8: three output gradients
    "bce with sigma'": ("output_gradients_test", mutated(A02, "output_gradients_solution", (
        "g_sigmoid_bce = s - t", "g_sigmoid_bce = (s - t) * s * (1.0 - s)")), NAMED),
    "mse without sigma'": ("output_gradients_test", mutated(A02, "output_gradients_solution", (
        "g_sigmoid_mse = 2.0 * (s - t) * s * (1.0 - s)", "g_sigmoid_mse = 2.0 * (s - t)")), NAMED),
    "no factor 2": ("output_gradients_test", mutated(A02, "output_gradients_solution", (
        "g_sigmoid_mse = 2.0 * (s - t) * s * (1.0 - s)", "g_sigmoid_mse = (s - t) * s * (1.0 - s)"),
        ("g_linear_mse = 2.0 * (z - t)", "g_linear_mse = z - t")), NAMED),
    "bce sign": ("output_gradients_test", mutated(A02, "output_gradients_solution", (
        "g_sigmoid_bce = s - t", "g_sigmoid_bce = t - s")), "opposite sign"),
    "linear through the sigmoid": ("output_gradients_test", mutated(A02, "output_gradients_solution", (
        "g_linear_mse = 2.0 * (z - t)", "g_linear_mse = 2.0 * (s - t)")), NAMED),
    "sigma' as z (1 - z)": ("output_gradients_test", mutated(A02, "output_gradients_solution", (
        "g_sigmoid_mse = 2.0 * (s - t) * s * (1.0 - s)", "g_sigmoid_mse = 2.0 * (s - t) * z * (1.0 - z)")), NAMED),
}, A03: {
    # Part A: sigmoid, sigmoid_grad, tanh_grad
    "sigmoid of -x": ("sigmoid_tanh_test", """
        def sigmoid(x):
            z = np.exp(-np.abs(x))
            return np.where(x >= 0, z / (1 + z), 1 / (1 + z))""", NAMED),
    "naive sigmoid": ("sigmoid_tanh_test", """
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))""", "naive 1 / (1 + np.exp(-x))"),
    "both branches overflow": ("sigmoid_tanh_test", """
        def sigmoid(x):
            return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))""", "np.where"),
    "float64 for float32": ("sigmoid_tanh_test", """
        _right = sigmoid
        def sigmoid(x):
            return _right(np.asarray(x, dtype=np.float64))""", "float32"),
    "sigma (1 - x)": ("sigmoid_tanh_test", """
        def sigmoid_grad(x):
            return sigmoid(x) * (1 - x)""", NAMED),
    "sigmoid_grad is sigma": ("sigmoid_tanh_test", """
        def sigmoid_grad(x):
            return sigmoid(x)""", NAMED),
    "sigmoid_grad overflows": ("sigmoid_tanh_test", """
        def sigmoid_grad(x):
            return np.exp(-x) / (1 + np.exp(-x)) ** 2""", "overflow"),
    "tanh not squared": ("sigmoid_tanh_test", """
        def tanh_grad(x):
            return 1 - np.tanh(x)""", NAMED),
    "tanh squared only": ("sigmoid_tanh_test", """
        def tanh_grad(x):
            return np.tanh(x) ** 2""", NAMED),
    "tanh' from the sigmoid deck": ("sigmoid_tanh_test", """
        def tanh_grad(x):
            t = 2 * sigmoid(x) - 1
            return 1 - t * t""", NAMED),
    # Part B: the ReLU family
    "leaky slope on the positive side": ("relu_family_test", """
        def leaky_relu(x, slope=0.01):
            return np.where(x > 0, slope * x, x)""", NAMED),
    "leaky ignores slope": ("relu_family_test", """
        def leaky_relu(x, slope=0.01):
            return np.where(x > 0, x, 0.01 * x)""", NAMED),
    "leaky grad is leaky": ("relu_family_test", """
        def leaky_relu_grad(x, slope=0.01):
            return np.where(x > 0, x, slope * x)""", NAMED),
    "leaky grad 0 on the negative side": ("relu_family_test", """
        def leaky_relu_grad(x, slope=0.01):
            return np.where(x > 0, 1.0, 0.0)""", NAMED),
    "elu without - 1": ("relu_family_test", """
        def elu(x, alpha=1.0):
            return np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)))""", NAMED),
    "elu without alpha": ("relu_family_test", """
        def elu(x, alpha=1.0):
            return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))""", NAMED),
    "elu overflows": ("relu_family_test", """
        def elu(x, alpha=1.0):
            return np.where(x > 0, x, alpha * (np.exp(x) - 1))""", "np.where evaluates both branches"),
    "elu_grad is elu": ("relu_family_test", """
        def elu_grad(x, alpha=1.0):
            return np.where(x > 0, 1.0, alpha * np.expm1(np.minimum(x, 0)))""", NAMED),
    "elu_grad without alpha": ("relu_family_test", """
        def elu_grad(x, alpha=1.0):
            return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))""", NAMED),
    "selu constants swapped": ("relu_family_test", """
        def selu(x):
            return SELU_ALPHA * elu(x, SELU_SCALE)""", NAMED),
    "selu without scale": ("relu_family_test", """
        def selu(x):
            return elu(x, SELU_ALPHA)""", NAMED),
    # Part C: softplus, swish, GELU
    "softplus is sigma": ("smooth_activations_test", """
        def softplus(x):
            return sigmoid(x)""", NAMED),
    "naive softplus": ("smooth_activations_test", """
        def softplus(x):
            return np.log(1 + np.exp(x))""", "overflows"),
    "log1p softplus": ("smooth_activations_test", """
        def softplus(x):
            return np.log1p(np.exp(x))""", "overflows"),
    "softplus without max(x, 0)": ("smooth_activations_test", """
        def softplus(x):
            return np.log1p(np.exp(-np.abs(x)))""", NAMED),
    "swish without beta": ("smooth_activations_test", """
        def swish(x, beta=1.0):
            return x * sigmoid(x)""", NAMED),
    "swish_grad without beta": ("smooth_activations_test", """
        def swish_grad(x, beta=1.0):
            return sigmoid(beta * x) + x * sigmoid_grad(beta * x)""", NAMED),
    "swish_grad of x sigma(x)": ("smooth_activations_test", """
        def swish_grad(x, beta=1.0):
            s = sigmoid(x)
            return s + x * s * (1 - s)""", NAMED),
    "exact gelu": ("smooth_activations_test", """
        def gelu(x):
            from math import erf
            return np.array([0.5 * v * (1 + erf(v / np.sqrt(2))) for v in np.ravel(x)]).reshape(np.shape(x))""", NAMED),
    "gelu x^2": ("smooth_activations_test", """
        def gelu(x):
            return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 2)))""", NAMED),
    "gelu without 0.5": ("smooth_activations_test", """
        def gelu(x):
            return x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))""", "2 times the expected"),
    "gelu sqrt(2 pi)": ("smooth_activations_test", """
        def gelu(x):
            return 0.5 * x * (1 + np.tanh(np.sqrt(2 * np.pi) * (x + 0.044715 * x ** 3)))""", NAMED),
    # Part D: PReLU
    "prelu alpha on the positive side": ("prelu_test", """
        def prelu(x, alpha):
            return np.where(x > 0, alpha * x, x)""", NAMED),
    "prelu is relu": ("prelu_test", """
        def prelu(x, alpha):
            return np.maximum(x, 0)""", NAMED),
    "dalpha over every element": ("prelu_test", """
        def prelu_backward(dout, x, alpha):
            return dout * np.where(x > 0, 1.0, alpha), np.sum(dout * x, axis=0)""", NAMED),
    "dalpha without dout": ("prelu_test", """
        def prelu_backward(dout, x, alpha):
            return dout * np.where(x > 0, 1.0, alpha), np.sum(np.where(x > 0, 0.0, x), axis=0)""", NAMED),
    "dx without dout": ("prelu_test", """
        def prelu_backward(dout, x, alpha):
            return np.where(x > 0, 1.0, alpha), np.sum(dout * np.where(x > 0, 0.0, x), axis=0)""", NAMED),
    "dalpha not summed": ("prelu_test", """
        def prelu_backward(dout, x, alpha):
            return dout * np.where(x > 0, 1.0, alpha), dout * np.where(x > 0, 0.0, x)""", "sum it over the batch"),
    "dalpha averaged": ("prelu_test", """
        def prelu_backward(dout, x, alpha):
            return dout * np.where(x > 0, 1.0, alpha), np.mean(dout * np.where(x > 0, 0.0, x), axis=0)""", NAMED),
    "dalpha summed over the units": ("prelu_test", """
        def prelu_backward(dout, x, alpha):
            return dout * np.where(x > 0, 1.0, alpha), np.sum(dout * np.where(x > 0, 0.0, x), axis=1)""",
        "sum it over the batch"),
    # Part E: maxout
    "maxout without biases": ("maxout_test", """
        def maxout(x, W, b):
            return (x @ W).max(axis=0)""", NAMED),
    "maxout min": ("maxout_test", """
        def maxout(x, W, b):
            return (x @ W + b[:, None, :]).min(axis=0)""", NAMED),
    "maxout sums the pieces": ("maxout_test", """
        def maxout(x, W, b):
            return (x @ W + b[:, None, :]).sum(axis=0)""", NAMED),
    "maxout over the examples": ("maxout_test", """
        def maxout(x, W, b):
            return (x @ W + b[:, None, :]).max(axis=1)""", "the max runs over the K pieces"),
    "maxout bias not broadcast": ("maxout_test", """
        def maxout(x, W, b):
            return (x @ W + b).max(axis=0)""", "must reach every row"),
    "maxout keeps the last piece": ("maxout_test", """
        def maxout(x, W, b):
            out = x @ W[0] + b[0]
            for k in range(1, W.shape[0]):
                out = x @ W[k] + b[k]
            return out""", NAMED),
    # Part F: backprop through a deep stack
    "f' at a": ("deep_backward_test", mutated(A03, "deep_backward", (
        "dz = da * f_grad(z[l])", "dz = da * f_grad(a[l])")), NAMED),
    "cost not averaged": ("deep_backward_test", mutated(A03, "deep_backward", (
        "np.full_like(a[L], 1.0 / N)", "np.ones_like(a[L])")), NAMED),
    "f' left out": ("deep_backward_test", mutated(A03, "deep_backward", (
        "dz = da * f_grad(z[l])", "dz = da")), NAMED),
    "grads last layer first": ("deep_backward_test", mutated(A03, "deep_backward", (
        "grads = [None] * L", "grads = []"), ("grads[l - 1] = a[l - 1].T @ dz", "grads.append(a[l - 1].T @ dz)")),
        "starts with the last layer"),
    "dW transposed": ("deep_backward_test", mutated(A03, "deep_backward", (
        "grads[l - 1] = a[l - 1].T @ dz", "grads[l - 1] = dz.T @ a[l - 1]")), "did you transpose?"),
    "da without W^T": ("deep_backward_test", mutated(A03, "deep_backward", (
        "da = dz @ weights[l - 1].T", "da = dz @ weights[l - 1]")), "da = dz W^T"),
    "da from the wrong layer": ("deep_backward_test", mutated(A03, "deep_backward", (
        "da = dz @ weights[l - 1].T", "da = dz @ weights[l - 2].T if l > 1 else None")), "W[l] is (D_{l-1}, D_l)"),
    # Part G: dead units
    "dead entries": ("dead_fraction_test", """
        def dead_fraction(Z):
            return float(np.mean(Z <= 0))""", NAMED),
    "dead with z < 0": ("dead_fraction_test", """
        def dead_fraction(Z):
            return float(np.mean(np.all(Z < 0, axis=0)))""", NAMED),
    "dead count": ("dead_fraction_test", """
        def dead_fraction(Z):
            return float(np.sum(np.all(Z <= 0, axis=0)))""", NAMED),
    "dead along the wrong axis": ("dead_fraction_test", """
        def dead_fraction(Z):
            return float(np.mean(np.all(Z <= 0, axis=1)))""", NAMED),
    "alive fraction": ("dead_fraction_test", """
        def dead_fraction(Z):
            return float(np.mean(np.any(Z > 0, axis=0)))""", NAMED),
    "dead per unit": ("dead_fraction_test", """
        def dead_fraction(Z):
            return np.all(Z <= 0, axis=0).astype(float)""", "single number"),
    "dead any": ("dead_fraction_test", """
        def dead_fraction(Z):
            return float(np.mean(np.any(Z <= 0, axis=0)))""", NAMED),
}, A04: {
    # Part A: mini-batches
    "no shuffle": ("minibatches_test", mutated(A04, "minibatches", (
        "order = rng.permutation(m)\n", "order = np.arange(m)\n")), "shuffle first"),
    "last short batch dropped": ("minibatches_test", mutated(A04, "minibatches", (
        "range(0, m, batch_size)", "range(0, m - batch_size + 1, batch_size)")), "ceil(10/4)"),
    "an empty batch at the end": ("minibatches_test", """
        def iterate_minibatches(X, y, batch_size, rng):
            order = rng.permutation(X.shape[0])
            for k in range(X.shape[0] // batch_size + 1):
                idx = order[k * batch_size:(k + 1) * batch_size]
                yield X[idx], y[idx]""", "empty"),
    "X and y shuffled apart": ("minibatches_test", """
        def iterate_minibatches(X, y, batch_size, rng):
            ox, oy = rng.permutation(X.shape[0]), rng.permutation(X.shape[0])
            for start in range(0, X.shape[0], batch_size):
                yield X[ox[start:start + batch_size]], y[oy[start:start + batch_size]]""", "pairs the wrong rows"),
    "drawn with replacement": ("minibatches_test", """
        def iterate_minibatches(X, y, batch_size, rng):
            m = X.shape[0]
            for start in range(0, m, batch_size):
                idx = rng.integers(0, m, size=min(batch_size, m - start))
                yield X[idx], y[idx]""", "exactly once"),
    "a new permutation per batch": ("minibatches_test", """
        def iterate_minibatches(X, y, batch_size, rng):
            m = X.shape[0]
            for start in range(0, m, batch_size):
                idx = rng.permutation(m)[:min(batch_size, m - start)]
                yield X[idx], y[idx]""", "exactly once"),
    "global numpy random": ("minibatches_test", mutated(A04, "minibatches", (
        "order = rng.permutation(m)\n", "order = np.random.permutation(m)\n")), "rng.permutation(m)"),
    "yields X only": ("minibatches_test", mutated(A04, "minibatches", (
        "yield X[idx], y[idx]", "yield X[idx]")), "pairs (X_batch, y_batch)"),
    # Part B: one epoch of mini-batch gradient descent
    "cost without 1/2": ("minibatch_epoch_test", mutated(A04, "minibatch_epoch", (
        "costs.append(0.5 * np.mean(residual ** 2))", "costs.append(np.mean(residual ** 2))")), NAMED),
    "cost after the step": ("minibatch_epoch_test", mutated(A04, "minibatch_epoch", (
        "        costs.append(0.5 * np.mean(residual ** 2))\n", ""),
        ("theta = theta - lr * (Xb.T @ residual) / len(tb)\n",
         "theta = theta - lr * (Xb.T @ residual) / len(tb)\n        costs.append(0.5 * np.mean((Xb @ theta - tb) ** 2))\n")),
        NAMED),
    "gradient summed": ("minibatch_epoch_test", mutated(A04, "minibatch_epoch", (
        "(Xb.T @ residual) / len(tb)", "(Xb.T @ residual)")), NAMED),
    "uphill": ("minibatch_epoch_test", mutated(A04, "minibatch_epoch", (
        "theta = theta - lr", "theta = theta + lr")), NAMED),
    "divided by m": ("minibatch_epoch_test", mutated(A04, "minibatch_epoch", (
        "(Xb.T @ residual) / len(tb)", "(Xb.T @ residual) / len(t)")), NAMED),
    "divided by batch_size": ("minibatch_epoch_test", mutated(A04, "minibatch_epoch", (
        "(Xb.T @ residual) / len(tb)", "(Xb.T @ residual) / batch_size")), NAMED),
    "theta changed in place": ("minibatch_epoch_test", mutated(A04, "minibatch_epoch", (
        "theta = np.array(theta, dtype=float)\n", "pass\n"),
        ("theta = theta - lr * (Xb.T @ residual) / len(tb)", "theta -= lr * (Xb.T @ residual) / len(tb)")),
        "changed the theta it was given"),
    "no shuffling in the epoch": ("minibatch_epoch_test", mutated(A04, "minibatch_epoch", (
        "for Xb, tb in iterate_minibatches(X, t, batch_size, rng):",
        "for Xb, tb in ((X[s:s + batch_size], t[s:s + batch_size]) for s in range(0, len(t), batch_size)):")), NAMED),
    "returns theta only": ("minibatch_epoch_test", mutated(A04, "minibatch_epoch", (
        "return theta, costs", "return theta")), "should return (theta, costs)"),
    # Part C: gradient descent on a quadratic
    "gd uphill": ("gd_quadratic_test", mutated(A04, "gd_quadratic", (
        "path[k] - eta", "path[k] + eta")), NAMED),
    "gd returns a list": ("gd_quadratic_test", """
        def gd_quadratic(A, theta0, eta, steps):
            path = [np.array(theta0, dtype=float)]
            for k in range(steps):
                path.append(path[-1] - eta * A @ path[-1])
            return path""", "return a NumPy array"),
    "gd without theta0": ("gd_quadratic_test", """
        def gd_quadratic(A, theta0, eta, steps):
            theta, path = np.array(theta0, dtype=float), []
            for k in range(steps):
                theta = theta - eta * A @ theta
                path.append(theta)
            return np.array(path)""", "off by one"),
    "gd one step too many": ("gd_quadratic_test", mutated(A04, "gd_quadratic", (
        "path = np.empty((steps + 1, A.shape[0]))", "path = np.empty((steps + 2, A.shape[0]))"),
        ("for k in range(steps):", "for k in range(steps + 1):")), "off by one"),
    "gd path[0] never set": ("gd_quadratic_test", mutated(A04, "gd_quadratic", (
        "path = np.empty((steps + 1, A.shape[0]))", "path = np.zeros((steps + 1, A.shape[0]))"),
        ("    path[0] = theta0\n", "")), NAMED),
    "gd every row the same theta": ("gd_quadratic_test", """
        def gd_quadratic(A, theta0, eta, steps):
            theta = np.array(theta0, dtype=float)
            path = [theta]
            for k in range(steps):
                theta -= eta * A @ theta
                path.append(theta)
            return np.array(path)""", NAMED),
    "gd elementwise A * theta": ("gd_quadratic_test", mutated(A04, "gd_quadratic", (
        "eta * (A @ path[k])", "eta * A * path[k]")), "A @ theta"),
    # Part D: step-size limits
    "eta_opt = 1 / lambda_max": ("step_size_limits_test", mutated(A04, "step_size_limits", (
        "return 2.0 / (lam_min + lam_max)", "return 1.0 / lam_max")), NAMED),
    "eta_opt = 1 / lambda_min": ("step_size_limits_test", mutated(A04, "step_size_limits", (
        "return 2.0 / (lam_min + lam_max)", "return 1.0 / lam_min")), NAMED),
    "diagonal of A": ("step_size_limits_test", mutated(A04, "step_size_limits", (
        "lam = np.linalg.eigvalsh(A)", "lam = np.sort(np.diag(A))")), NAMED),
    "kappa upside down": ("step_size_limits_test", mutated(A04, "step_size_limits", (
        "lam_max / lam_min\n", "lam_min / lam_max\n")), NAMED),
    "eta_max = 2 / lambda_min": ("step_size_limits_test", mutated(A04, "step_size_limits", (
        "2.0 / lam_max, lam_max", "2.0 / lam_min, lam_max")), NAMED),
    "returns an array": ("step_size_limits_test", mutated(A04, "step_size_limits", (
        "return 2.0 / (lam_min + lam_max), 2.0 / lam_max, lam_max / lam_min",
        "return np.array([2.0 / (lam_min + lam_max), 2.0 / lam_max, lam_max / lam_min])")), "should return 3 values"),
    "eig unsorted": ("step_size_limits_test", mutated(A04, "step_size_limits", (
        "lam = np.linalg.eigvalsh(A)", "lam = np.linalg.eigvals(A)[::-1]")), NAMED),
    # Part E: the exponential moving average
    "ema beta swapped": ("ema_test", mutated(A04, "ema", (
        "v = beta * v + (1 - beta) * thetas[t - 1]", "v = (1 - beta) * v + beta * thetas[t - 1]")), NAMED),
    "ema v0 = theta1": ("ema_test", mutated(A04, "ema", (
        "v = np.zeros_like(thetas[0])", "v = thetas[0].copy()")), NAMED),
    "ema always corrected": ("ema_test", mutated(A04, "ema", (
        "v / (1 - beta ** t) if bias_correction else v", "v / (1 - beta ** t)")), NAMED),
    "ema never corrected": ("ema_test", mutated(A04, "ema", (
        "v / (1 - beta ** t) if bias_correction else v", "v")), NAMED),
    "ema beta^(t+1)": ("ema_test", mutated(A04, "ema", (
        "1 - beta ** t)", "1 - beta ** (t + 1))")), NAMED),
    "ema beta^(t-1)": ("ema_test", mutated(A04, "ema", (
        "1 - beta ** t)", "1 - beta ** (t - 1))")), NAMED),
    "ema correction fed back": ("ema_test", mutated(A04, "ema", (
        "out[t - 1] = v / (1 - beta ** t) if bias_correction else v",
        "v = v / (1 - beta ** t) if bias_correction else v\n        out[t - 1] = v")), NAMED),
    "ema 1-D buffer": ("ema_test", mutated(A04, "ema", (
        "out = np.empty_like(thetas)", "out = np.empty(len(thetas))")), "(T, d)"),
    # Part F: the EMA's weights
    "weights newest first": ("ema_weights_test", mutated(A04, "ema_weights", (
        "beta ** (t - i)", "beta ** (i - 1)")), NAMED),
    "weights without 1 - beta": ("ema_weights_test", mutated(A04, "ema_weights", (
        "(1 - beta) * beta ** (t - i)", "beta ** (t - i)")), NAMED),
    "weights exponent off by one": ("ema_weights_test", mutated(A04, "ema_weights", (
        "beta ** (t - i)", "beta ** (t - i + 1)")), NAMED),
    "weights normalized": ("ema_weights_test", mutated(A04, "ema_weights", (
        "return (1 - beta) * beta ** (t - i)", "c = (1 - beta) * beta ** (t - i)\n    return c / c.sum()")), NAMED),
    "window 1 / beta": ("ema_weights_test", mutated(A04, "ema_weights", (
        "return 1.0 / (1.0 - beta)", "return 1.0 / beta")), NAMED),
    "window beta / (1 - beta)": ("ema_weights_test", mutated(A04, "ema_weights", (
        "return 1.0 / (1.0 - beta)", "return beta / (1.0 - beta)")), NAMED),
    "weights from 0": ("ema_weights_test", mutated(A04, "ema_weights", (
        "i = np.arange(1, t + 1)", "i = np.arange(t)")), NAMED),
    # Part G: momentum in two notations
    "momentum without 1 - beta": ("momentum_test", mutated(A04, "momentum", (
        "v = beta * v + (1 - beta) * g", "v = beta * v + g")), NAMED),
    "momentum velocity unused": ("momentum_test", mutated(A04, "momentum", (
        "return theta - lr * v, v\n", "return theta - lr * g, v\n")), NAMED),
    "momentum with the old v": ("momentum_test", mutated(A04, "momentum", (
        "v = beta * v + (1 - beta) * g\n    return theta - lr * v, v",
        "theta = theta - lr * v\n    v = beta * v + (1 - beta) * g\n    return theta, v")), NAMED),
    "momentum returns theta only": ("momentum_test", mutated(A04, "momentum", (
        "return theta - lr * v, v\n", "return theta - lr * v\n")), "should return the pair"),
    "velocity theta - u": ("momentum_test", mutated(A04, "momentum", (
        "return theta + u, u", "return theta - u, u")), "u already points downhill"),
    "eps = alpha": ("momentum_test", mutated(A04, "momentum", (
        "return lr * (1 - beta), beta", "return lr, beta")), NAMED),
    "eps = alpha / (1 - beta)": ("momentum_test", mutated(A04, "momentum", (
        "return lr * (1 - beta), beta", "return lr / (1 - beta), beta")), NAMED),
    "mu = 1 - beta": ("momentum_test", mutated(A04, "momentum", (
        "return lr * (1 - beta), beta", "return lr * (1 - beta), 1 - beta")), NAMED),
    "momentum sign of g": ("momentum_test", mutated(A04, "momentum", (
        "v = beta * v + (1 - beta) * g", "v = beta * v - (1 - beta) * g")), "sign error"),
    # Part H: Nesterov
    "nesterov is momentum": ("nesterov_test", mutated(A04, "nesterov", (
        "grad_fn(lookahead)", "grad_fn(theta)")), NAMED),
    "nesterov deck 000": ("nesterov_test", mutated(A04, "nesterov", (
        "lookahead = theta - lr * beta * v", "lookahead = theta - lr * v")), NAMED),
    "nesterov look-ahead sign": ("nesterov_test", mutated(A04, "nesterov", (
        "lookahead = theta - lr * beta * v", "lookahead = theta + lr * beta * v")), NAMED),
    "nesterov in PyTorch's form": ("nesterov_test", """
        def nesterov_step(theta, v, grad_fn, lr, beta):
            g = grad_fn(theta)
            v = beta * v + (1 - beta) * g
            return theta - lr * ((1 - beta) * g + beta * v), v""", NAMED),
    "nesterov grad_fn not called": ("nesterov_test", mutated(A04, "nesterov", (
        "(1 - beta) * grad_fn(lookahead)", "(1 - beta) * grad_fn")), "call it"),
    "nesterov step from the look-ahead": ("nesterov_test", mutated(A04, "nesterov", (
        "return theta - lr * v, v", "return lookahead - lr * v, v")), NAMED),
}}


@pytest.fixture(scope="module")
def solved():
    return {}


def assignment(cache, name):
    if name not in cache:
        cache[name] = Assignment(name, skip=SKIP[name])
    return cache[name]


def outcomes(a, mistakes, hidden):
    return {key: a.run(test_id, code, hidden=hidden) for key, (test_id, code, _) in mistakes.items()}


def is_named(outcome, words):
    return outcome.failed and outcome.raw is None and words in outcome.message


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_typical_wrong_answers_fail_with_a_message_naming_the_mistake(solved, name):
    if name not in MISTAKES:
        pytest.skip(f"no wrong answers written for {name} yet")
    a = assignment(solved, name)
    mistakes = MISTAKES[name]
    for hidden in (False, True):
        got = outcomes(a, mistakes, hidden)
        where = "full" if hidden else "visible"
        passed = [k for k, o in got.items() if not o.failed]
        assert not passed, f"{name} ({where}): these wrong answers pass: {passed}"
        raw = {k: o.raw for k, o in got.items() if o.raw}
        assert not raw, f"{name} ({where}): the test cell raised a raw error: {raw}"
        named = [k for k, o in got.items() if is_named(o, mistakes[k][2])]
        share = len(named) / len(got)
        unnamed = {k: got[k].message[:300] for k in got if k not in named}
        assert share >= 0.9, f"{name} ({where}): {share:.2f} named; unnamed: {unnamed}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_solution_passes_every_test_cell(solved, name):
    a = assignment(solved, name)
    for test_id in a.full:
        for hidden in (False, True):
            outcome = a.run(test_id, "", hidden=hidden)
            assert not outcome.failed, f"{name} {test_id} (hidden={hidden}): {outcome.message[:300]}"


# ---------------------------------------------------------------------------------------------------------------
# The grading fixes these assignments rely on: no hint whose premise is false, no raw error from a test's own code

def _message(check):
    with pytest.raises(AssertionError) as failure:
        check()
    return str(failure.value)


def test_a_zero_number_gets_no_hint_about_a_loop_that_never_ran():
    from course_lib.grading import check_close, check_scalar
    assert "loop" not in _message(lambda: check_scalar(0.0, 0.19661193324148185, name="sigma'(s3)"))
    assert "loop" not in _message(lambda: check_close((0.0, 0.0), [0.5, 0.25], name="(da, db)"))
    assert "loop that never executes" in _message(lambda: check_close(np.zeros(3), [1.0, 2.0, 3.0]))


def test_a_row_count_off_by_one_is_called_that_not_an_axis_to_sum_over():
    from course_lib.grading import check_close
    text = _message(lambda: check_close(np.ones((12, 2)), np.ones((13, 2)), name="path"))
    assert "off by one" in text and "sum" not in text


def test_values_equal_within_rounding_are_not_called_a_factor_of_one():
    from course_lib.grading import check_close
    expected = np.array([1.0, 2.0, 3.0])
    assert "times the expected" not in _message(lambda: check_close(expected * (1 + 1e-7), expected, rtol=1e-9))


def test_result_of_turns_the_students_exception_into_a_failure_with_a_hint():
    from course_lib.grading import result_of

    def rel_error(a, b):
        return max(1e-8, np.abs(a) + np.abs(b))

    text = _message(lambda: result_of(rel_error, np.ones(2), np.ones(2), hint="use np.maximum"))
    assert text.startswith("rel_error raised ValueError") and "np.maximum" in text
    assert result_of(np.add, 1.0, 2.0) == 3.0


def test_check_array_names_a_list_where_an_array_was_expected():
    from course_lib.grading import check_array
    assert "list of 3 items, not a NumPy array" in _message(lambda: check_array([1, 2, 3], name="path"))
    assert "expected 4 rows" in _message(lambda: check_array(np.ones((3, 2)), name="path", length=4))
    assert check_array(np.ones((4, 2)), length=4)


def test_follow_reports_an_exception_in_the_step_as_a_failure():
    from course_lib import landscapes
    from course_lib.grading import follow

    def step(theta, v, grad_fn, lr, beta):
        return theta - lr * grad_fn, v  # grad_fn is a function here: calling it was forgotten

    text = _message(lambda: follow(step, landscapes.NarrowValley(), 3, pass_grad_fn=True, lr=0.1, beta=0.5))
    assert text.startswith("step raised TypeError") and "on step 1" in text
