"""The scalar autodiff graph (course_lib.graph): the lecture's worked examples, every gate's rule against numeric
derivatives and PyTorch, the backward-pass conventions, and the matplotlib drawing."""
import io
import math
import sys
import warnings

import numpy as np
import pytest

from conftest import requires_torch
from course_lib.graph import GraphDrawing, Value, draw, topological_order
from course_lib.jacobian import numerical_gradient, rel_error


# --- the lecture's worked examples ----------------------------------------------------------------------------------

def test_lecture_example_x_plus_y_times_z():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    assert f.data == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)  # df/dx = df/dq * dq/dx = z * 1; df/dz = q
    assert q.grad == -4.0


def _sigmoid_neuron_exact():
    """Independent closed form: s = w0 x0 + w1 x1 + w2 = 2 - (-3)(-2)... = 1, f = sigma(1), df/ds = f (1 - f)."""
    w0, x0, w1, x1, w2 = 2.0, -1.0, -3.0, -2.0, -3.0
    s = w0 * x0 + w1 * x1 + w2
    f = 1.0 / (1.0 + math.exp(-s))
    ds = f * (1.0 - f)
    return f, {"w0": x0 * ds, "x0": w0 * ds, "w1": x1 * ds, "x1": w1 * ds, "w2": ds}


def _neuron_leaves():
    return {name: Value(v, name) for name, v in [("w0", 2.0), ("x0", -1.0), ("w1", -3.0), ("x1", -2.0), ("w2", -3.0)]}


def test_lecture_sigmoid_neuron_with_one_sigmoid_gate():
    v = _neuron_leaves()
    f = (v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]).sigmoid()
    f.backward()
    f_exact, grads = _sigmoid_neuron_exact()
    assert f.data == pytest.approx(f_exact, rel=1e-15)
    for name, g in grads.items():
        assert v[name].grad == pytest.approx(g, rel=1e-14), name
    # the rounded numbers on the lecture's slide
    assert round(f.data, 2) == 0.73
    assert [round(v[n].grad, 2) for n in ("w0", "x0", "w1", "x1", "w2")] == [-0.20, 0.39, -0.39, -0.59, 0.20]


def test_lecture_sigmoid_neuron_gate_by_gate_gives_the_same_gradients():
    # the slide's long form: *-1, exp, +1, 1/x instead of one sigmoid gate
    v = _neuron_leaves()
    s = v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]
    f = 1.0 / ((s * -1.0).exp() + 1.0)
    f.backward()
    f_exact, grads = _sigmoid_neuron_exact()
    assert f.data == pytest.approx(f_exact, rel=1e-15)
    for name, g in grads.items():
        assert v[name].grad == pytest.approx(g, rel=1e-14), name


# --- the gate patterns ------------------------------------------------------------------------------------------------

def test_add_gate_distributes_the_upstream_gradient():
    a, b = Value(3.0), Value(-7.0)
    (5.0 * (a + b)).backward()
    assert (a.grad, b.grad) == (5.0, 5.0)


def test_mul_gate_swaps_the_inputs():
    a, b = Value(3.0), Value(-7.0)
    (2.0 * (a * b)).backward()
    assert (a.grad, b.grad) == (2.0 * -7.0, 2.0 * 3.0)


def test_copy_gate_adds_gradients_of_every_use():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    (x + x + x).backward()
    assert x.grad == 3.0


def test_max_gate_routes_the_gradient_to_the_larger_input():
    a, b = Value(4.0), Value(1.0)
    (3.0 * a.max(b)).backward()
    assert (a.grad, b.grad) == (3.0, 0.0)
    (3.0 * b.max(a)).backward()
    assert (a.grad, b.grad) == (3.0, 0.0)


def test_max_gate_splits_a_tie_evenly_like_torch_maximum():
    a, b = Value(2.0), Value(2.0)
    a.max(b).backward()
    assert (a.grad, b.grad) == (0.5, 0.5)


def test_relu_gradient_is_zero_at_the_kink():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


# --- every operation against the numeric derivative -------------------------------------------------------------------

UNARY = {
    "neg": lambda a: -a,
    "pow2": lambda a: a**2,
    "pow3": lambda a: a**3,
    "pow-1.5": lambda a: a**-1.5,
    "pow0.5": lambda a: a**0.5,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "const_plus": lambda a: 2.5 + a,
    "plus_const": lambda a: a + 2.5,
    "const_minus": lambda a: 2.5 - a,
    "minus_const": lambda a: a - 2.5,
    "const_times": lambda a: 2.5 * a,
    "times_const": lambda a: a * 2.5,
    "const_over": lambda a: 2.5 / a,
    "over_const": lambda a: a / 2.5,
    "max_const": lambda a: a.max(0.3),
}
NUMPY_UNARY = {
    "neg": lambda a: -a, "pow2": lambda a: a**2, "pow3": lambda a: a**3, "pow-1.5": lambda a: a**-1.5,
    "pow0.5": np.sqrt, "exp": np.exp, "log": np.log, "tanh": np.tanh,
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "relu": lambda a: np.maximum(a, 0.0),
    "const_plus": lambda a: 2.5 + a, "plus_const": lambda a: a + 2.5, "const_minus": lambda a: 2.5 - a,
    "minus_const": lambda a: a - 2.5, "const_times": lambda a: 2.5 * a, "times_const": lambda a: a * 2.5,
    "const_over": lambda a: 2.5 / a, "over_const": lambda a: a / 2.5, "max_const": lambda a: np.maximum(a, 0.3),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("point", [0.37, 1.9, -0.8])
def test_each_unary_operation_matches_the_numeric_derivative(name, point):
    if name in ("log", "pow-1.5", "pow0.5") and point <= 0:
        point = -point  # defined for positive inputs only
    x = Value(point)
    out = UNARY[name](x)
    out.backward()
    assert out.data == pytest.approx(float(NUMPY_UNARY[name](np.float64(point))), rel=1e-14)
    numeric = numerical_gradient(lambda v: NUMPY_UNARY[name](v[0]), np.array([point]))
    assert rel_error(np.array([x.grad]), numeric) < 1e-7


BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


@pytest.mark.parametrize("op", sorted(BINARY))
def test_each_binary_operation_matches_numeric_partial_derivatives(op):
    a, b = Value(1.3), Value(-0.6)
    out = BINARY[op](a, b)
    out.backward()
    numeric = numerical_gradient(lambda v: BINARY[op](v[0], v[1]), np.array([1.3, -0.6]))
    assert rel_error(np.array([a.grad, b.grad]), numeric) < 1e-9


def test_max_matches_numeric_partial_derivatives_away_from_a_tie():
    a, b = Value(1.3), Value(-0.6)
    a.max(b).backward()
    numeric = numerical_gradient(lambda v: max(v[0], v[1]), np.array([1.3, -0.6]))
    assert rel_error(np.array([a.grad, b.grad]), numeric) < 1e-9


def test_a_numpy_scalar_on_the_left_builds_a_graph_node():
    x = Value(2.0)
    y = np.float64(3.0) * x
    assert isinstance(y, Value)
    y.backward()
    assert x.grad == 3.0


# --- backward-pass conventions ----------------------------------------------------------------------------------------

def test_backward_twice_gives_the_same_gradients_not_double():
    x, y = Value(0.5), Value(-1.5)
    f = (x * y + x.tanh()) * y
    f.backward()
    first = (x.grad, y.grad)
    f.backward()
    assert (x.grad, y.grad) == first


def test_backward_of_a_second_output_resets_shared_leaves():
    x = Value(2.0)
    (x * 3.0).backward()
    (x * x).backward()
    assert x.grad == 4.0  # not 3 + 4: gradients are recomputed for the graph being differentiated


def test_backward_seed_scales_every_gradient():
    x = Value(0.4)
    f = x.exp() * x
    f.backward(2.0)
    assert x.grad == pytest.approx(2.0 * (math.exp(0.4) * 1.4), rel=1e-15)


def test_topological_order_lists_every_node_once_after_its_inputs():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order[-1] is e
    assert len(order) == len(set(map(id, order))) == 5
    position = {id(n): k for k, n in enumerate(order)}
    for node in order:
        for child in node.children:
            assert position[id(child)] < position[id(node)]


def test_topological_order_handles_a_chain_deeper_than_the_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(sys.getrecursionlimit() + 500):
        y = y + 0.001
    y.backward()
    assert x.grad == 1.0
    assert len(topological_order(y)) == 2 * (sys.getrecursionlimit() + 500) + 1


# --- errors a student will meet ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: Value("3"), TypeError, "real number"),
        (lambda: Value(float("nan")), ValueError, "finite"),
        (lambda: Value(True), TypeError, "real number"),
        (lambda: Value(1.0) + "a", TypeError, "another Value or a real number"),
        (lambda: Value(-1.0).log(), ValueError, "log needs a positive input"),
        (lambda: Value(1.0) / Value(0.0), ValueError, "division by zero"),
        (lambda: Value(2.0) ** Value(2.0), TypeError, "constant"),
        (lambda: Value(-2.0) ** 0.5, ValueError, "negative base"),
        (lambda: Value(0.0) ** -1, ValueError, "divides by zero"),
        (lambda: Value(1000.0).exp(), ValueError, "overflows"),
        (lambda: Value(1.0).backward(float("inf")), TypeError, "seed"),
        (lambda: topological_order(3.0), TypeError, "needs a Value"),
    ],
)
def test_bad_operations_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_sigmoid_saturates_without_overflow_for_large_inputs():
    low, high = Value(-1000.0), Value(1000.0)
    s_low, s_high = low.sigmoid(), high.sigmoid()
    assert (s_low.data, s_high.data) == (0.0, 1.0)
    (s_low + s_high).backward()
    assert (low.grad, high.grad) == (0.0, 0.0)


# --- against PyTorch autograd ------------------------------------------------------------------------------------------

def _random_expression(rng, leaves, lib_max, n_ops=25):
    """Apply the same random sequence of operations to `leaves` (Values or torch tensors, which share the method
    names exp/log/tanh/sigmoid/relu). Inputs of log, division and powers are kept away from 0 and from negatives."""
    pool = list(leaves)
    for _ in range(n_ops):
        a = pool[rng.integers(len(pool))]
        b = pool[rng.integers(len(pool))]
        kind = rng.integers(12)
        if kind == 0:
            out = a + b
        elif kind == 1:
            out = a - b
        elif kind == 2:
            out = a * b
        elif kind == 3:
            out = a / (b * b + 1.0)
        elif kind == 4:
            out = (a * a + 0.5).log()
        elif kind == 5:
            out = a.tanh().exp()
        elif kind == 6:
            out = a.tanh()
        elif kind == 7:
            out = a.sigmoid()
        elif kind == 8:
            out = (a + 0.123).relu()
        elif kind == 9:
            out = lib_max(a, b + 0.0371)
        elif kind == 10:
            out = (a * a + 1.0) ** -0.75
        else:
            out = 1.5 - (-a) * 0.5
        pool.append(out)
    total = pool[len(leaves)]
    for node in pool[len(leaves) + 1:]:
        total = total + node
    return total


@requires_torch
@pytest.mark.parametrize("seed", range(15))
def test_random_expression_matches_torch_autograd(seed):
    import torch

    rng = np.random.default_rng(seed)
    start = rng.normal(size=4)
    values = [Value(float(v)) for v in start]
    tensors = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in start]
    ours = _random_expression(np.random.default_rng(seed + 100), values, lambda a, b: a.max(b))
    theirs = _random_expression(np.random.default_rng(seed + 100), tensors, torch.maximum)
    ours.backward()
    theirs.backward()
    assert ours.data == pytest.approx(theirs.item(), rel=1e-12)
    ours_grad = np.array([v.grad for v in values])
    torch_grad = np.array([t.grad.item() if t.grad is not None else 0.0 for t in tensors])
    assert rel_error(ours_grad, torch_grad) < 1e-12


# --- the drawing --------------------------------------------------------------------------------------------------------

def _neuron():
    v = _neuron_leaves()
    f = (v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]).sigmoid()
    f.label = "f"
    f.backward()
    return v, f


def test_draw_makes_one_box_per_node_one_circle_per_operation_and_arrows_for_every_edge():
    import matplotlib.pyplot as plt

    v, f = _neuron()
    drawing = draw(f)
    try:
        assert isinstance(drawing, GraphDrawing)
        order = topological_order(f)
        assert set(map(id, drawing.boxes)) == set(map(id, order))
        assert set(map(id, drawing.ops)) == {id(n) for n in order if n.children}
        n_edges = sum(len(n.children) for n in order)
        assert len(drawing.arrows) == n_edges + len(drawing.ops)  # input -> op, and op -> result
        assert drawing.ops[f].get_text() == "σ"
        w0_text = drawing.boxes[v["w0"]].get_text()
        assert w0_text == f"w0\ndata 2\ngrad {v['w0'].grad:.4g}"
        assert "grad -0.1966" in w0_text
        assert "f\ndata 0.7311\ngrad 1" == drawing.boxes[f].get_text()
    finally:
        plt.close(drawing.fig)


def test_draw_lays_out_inputs_left_and_the_output_rightmost_with_ops_in_between():
    import matplotlib.pyplot as plt

    v, f = _neuron()
    drawing = draw(f)
    try:
        xs = {id(n): box.get_position()[0] for n, box in drawing.boxes.items()}
        assert all(xs[id(leaf)] == min(xs.values()) for leaf in v.values())
        assert xs[id(f)] == max(xs.values())
        for node, circle in drawing.ops.items():
            cx = circle.get_position()[0]
            assert all(xs[id(c)] < cx for c in node.children)
            assert cx < xs[id(node)]
    finally:
        plt.close(drawing.fig)


def test_draw_renders_silently_into_a_given_axes():
    import matplotlib.pyplot as plt

    x = Value(3.0, "x")
    g = (x * x + 2 * x).tanh() / (1 + x.exp()) - (-x).relu().max(0.5) + x**2
    g.backward()
    fig, ax = plt.subplots()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            drawing = draw(g, ax=ax)
            fig.savefig(io.BytesIO(), format="png")
        assert drawing.ax is ax and drawing.fig is fig
        # x * x uses x twice: two separate (bent) arrows into the same circle
        square = next(n for n in drawing.ops if n.op == "*" and n.children[0] is n.children[1])
        into_square = [a for a in drawing.arrows if a.patchB is drawing.ops[square].get_bbox_patch()]
        assert len(into_square) == 2
    finally:
        plt.close(fig)


def test_draw_arrows_stop_at_the_box_edges():
    import matplotlib.pyplot as plt

    _, f = _neuron()
    drawing = draw(f)
    try:
        renderer = drawing.fig.canvas.get_renderer()
        drawing.fig.draw(renderer)
        for arrow in drawing.arrows:
            # the clipped path comes back in data coordinates; the boxes live in display coordinates
            vertices = arrow.get_transform().transform(arrow.get_path().vertices)
            start, end = vertices[0], vertices[-1]
            assert not arrow.patchA.contains_point(start, radius=-1.0)
            assert not arrow.patchB.contains_point(end, radius=-1.0)
            assert np.linalg.norm(end - start) > 5.0  # a visible arrow remains
    finally:
        plt.close(drawing.fig)
