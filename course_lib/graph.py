"""A computation graph of scalars that computes its own gradients: the lecture's backpropagation, one gate at a time.

Every arithmetic operation on a `Value` builds a new node that remembers its inputs (`children`) and the operation
(`op`). Calling `backward()` on the final node applies the chain rule backwards through the graph:

    downstream gradient = upstream gradient x local gradient,          e.g. df/dx = df/dq * dq/dx,

and a node used more than once (the "copy gate") *adds* the gradients coming back along each use. Each operation
below defines its forward value and, right beside it, its local gradient, so reading one operation teaches its rule:

    add gate   a + b      distributes:   d/da = 1,            d/db = 1
    mul gate   a * b      swaps:         d/da = b,            d/db = a
    max gate   max(a, b)  routes:        1 to the larger input, 0 to the other (a tie splits it, as PyTorch does)
    copy gate  x used twice: gradients add up (that is why every rule below uses `+=`)

Convention: `backward()` *recomputes* gradients. It first sets `.grad = 0` on every node of this graph, then seeds
the output with 1 and runs the local rules in reverse topological order. Calling it twice gives the same gradients
(PyTorch instead accumulates into `.grad` across calls until you zero them; a leaf shared with another graph has its
gradient reset too).

`draw(value)` pictures the graph with matplotlib alone: one box per value with its label, data and grad, a circle for
each operation, arrows in the direction of the forward pass.
"""
import math
import numbers
from collections import namedtuple

__all__ = ["Value", "topological_order", "draw", "box_text", "GraphDrawing"]


def _lift(other):
    """A plain number becomes a constant leaf, so `2 * x` and `x + 1` work; anything else is an error."""
    if isinstance(other, Value):
        return other
    if isinstance(other, numbers.Real) and not isinstance(other, bool):
        return Value(other)
    raise TypeError(f"a Value combines only with another Value or a real number, got {type(other).__name__}")


class Value:
    """One scalar in a computation graph.

    Attributes
    ----------
    data : float, the value computed by the forward pass.
    grad : float, d(output)/d(this value) after `output.backward()` (0.0 before).
    label : str, a name for pictures and printing (e.g. "x", "w0"); free to set.
    op : str, the operation that produced this node ("" for a leaf: an input or parameter).
    children : tuple of the input Values of that operation (empty for a leaf).
    """

    __array_ufunc__ = None  # `np.float64(2) * x` defers to Value.__rmul__ instead of making an object array

    def __init__(self, data, label=""):
        if isinstance(data, Value):
            raise TypeError("Value(data) needs a number; a Value is already a node (use it directly)")
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"Value(data) needs a real number, got {type(data).__name__}")
        if not math.isfinite(data):
            raise ValueError(f"Value(data) needs a finite number, got {data}")
        if not isinstance(label, str):
            raise TypeError(f"label must be a string, got {type(label).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.children = ()
        self._backward = _leaf_backward  # how to pass this node's grad on to its children

    @classmethod
    def _from_op(cls, data, children, op):
        """The node an operation creates; its `_backward` is set by the operation right after."""
        node = cls.__new__(cls)
        node.data, node.grad, node.label, node.op, node.children = float(data), 0.0, "", op, tuple(children)
        node._backward = _leaf_backward
        return node

    def __repr__(self):
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{name})"

    # --- the gates: forward value, then the local gradient rule ----------------------------------------------------

    def __add__(self, other):
        other = _lift(other)
        out = Value._from_op(self.data + other.data, (self, other), "+")

        def _backward():  # add gate: d(a+b)/da = d(a+b)/db = 1, the upstream gradient is copied to both
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __radd__(self, other):  # 2 + x
        return _lift(other) + self

    def __sub__(self, other):
        other = _lift(other)
        out = Value._from_op(self.data - other.data, (self, other), "-")

        def _backward():  # d(a-b)/da = 1, d(a-b)/db = -1
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __rsub__(self, other):  # 2 - x
        return _lift(other) - self

    def __mul__(self, other):
        other = _lift(other)
        out = Value._from_op(self.data * other.data, (self, other), "*")

        def _backward():  # mul gate swaps: d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __rmul__(self, other):  # 2 * x
        return _lift(other) * self

    def __truediv__(self, other):
        other = _lift(other)
        if other.data == 0.0:
            raise ValueError("division by zero: the divisor's data is 0")
        out = Value._from_op(self.data / other.data, (self, other), "/")

        def _backward():  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 (the lecture's 1/x -> -1/x^2)
            self.grad += out.grad / other.data
            other.grad += -self.data / other.data**2 * out.grad

        out._backward = _backward
        return out

    def __rtruediv__(self, other):  # 1 / x
        return _lift(other) / self

    def __neg__(self):
        out = Value._from_op(-self.data, (self,), "neg")

        def _backward():  # d(-a)/da = -1
            self.grad -= out.grad

        out._backward = _backward
        return out

    def __pow__(self, k):
        if isinstance(k, Value) or isinstance(k, bool) or not isinstance(k, numbers.Real) or not math.isfinite(k):
            raise TypeError(f"x ** k needs a constant finite real exponent k (like x ** 2), got {k!r}")
        k = float(k)
        if self.data < 0 and not k.is_integer():
            raise ValueError(f"{self.data} ** {k:g} is not a real number (negative base, fractional exponent)")
        if self.data == 0 and k < 0:
            raise ValueError(f"0 ** {k:g} divides by zero")
        try:
            value = self.data**k
        except OverflowError:
            raise ValueError(f"{self.data} ** {k:g} overflows a float") from None
        out = Value._from_op(value, (self,), f"**{k:g}")

        def _backward():  # d(x^k)/dx = k x^(k-1)  (k = 0: 0; at x = 0 with 0 < k < 1: +inf, as in PyTorch)
            if k == 0.0:
                local = 0.0
            elif self.data == 0.0 and k < 1.0:
                local = math.inf
            else:
                local = k * self.data ** (k - 1.0)
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def exp(self):
        try:
            value = math.exp(self.data)
        except OverflowError:
            raise ValueError(f"exp({self.data}) overflows a float") from None
        out = Value._from_op(value, (self,), "exp")

        def _backward():  # d(e^x)/dx = e^x, which is the output itself
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        if self.data <= 0:
            raise ValueError(f"log needs a positive input, got {self.data}")
        out = Value._from_op(math.log(self.data), (self,), "log")

        def _backward():  # d(ln x)/dx = 1/x
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self):
        out = Value._from_op(math.tanh(self.data), (self,), "tanh")

        def _backward():  # d(tanh x)/dx = 1 - tanh(x)^2
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self):
        x = self.data  # sigma(x) = 1 / (1 + e^-x), evaluated without overflowing e^-x for very negative x
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value._from_op(s, (self,), "sigmoid")

        def _backward():  # d(sigma)/dx = (1 - sigma(x)) sigma(x): the lecture's one-gate shortcut
            self.grad += (1.0 - out.data) * out.data * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = Value._from_op(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward():  # d(max(0, x))/dx = 1 for x > 0, else 0 (at the kink x = 0 we use 0, as PyTorch does)
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out

    def max(self, other):
        """max(self, other) as one gate: `a.max(b)` (also `a.max(0.0)`)."""
        other = _lift(other)
        out = Value._from_op(max(self.data, other.data), (self, other), "max")

        def _backward():  # max gate routes: the larger input gets all of the gradient, the other none
            if self.data > other.data:
                self.grad += out.grad
            elif other.data > self.data:
                other.grad += out.grad
            else:  # a tie: split it evenly, as torch.maximum does
                self.grad += 0.5 * out.grad
                other.grad += 0.5 * out.grad

        out._backward = _backward
        return out

    # --- the backward pass ----------------------------------------------------------------------------------------

    def backward(self, grad=1.0):
        """Fill `.grad` of every node in this graph with d(self)/d(node) (times `grad`, the seed, default 1).

        Recomputes rather than accumulates: all gradients of the graph are reset to 0 first, so calling it again
        gives the same result. Then the chain rule runs from the output back to the leaves in reverse topological
        order, so each node's gradient is complete before it is passed on to its inputs.
        """
        if isinstance(grad, bool) or not isinstance(grad, numbers.Real) or not math.isfinite(grad):
            raise TypeError(f"backward(grad) needs a finite real seed gradient, got {grad!r}")
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = float(grad)
        for node in reversed(order):
            node._backward()


def _leaf_backward():
    """A leaf has no inputs to pass its gradient to."""


def topological_order(value):
    """All nodes that `value` depends on, each listed after all of its inputs; `value` itself comes last.

    Iterative depth-first search (no recursion limit for long chains); each node appears once even if it is used
    many times.
    """
    if not isinstance(value, Value):
        raise TypeError(f"topological_order needs a Value, got {type(value).__name__}")
    order, seen = [], set()
    stack = [(value, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))  # comes back after every input below has been listed
        stack.extend((child, False) for child in reversed(node.children) if child not in seen)
    return order


# --- drawing --------------------------------------------------------------------------------------------------------

GraphDrawing = namedtuple("GraphDrawing", "fig ax boxes ops arrows")
GraphDrawing.__doc__ = """What `draw` returns: the figure and axes, `boxes` {Value: Text} (one box per node),
`ops` {Value: Text} (the circle of the operation that produced that Value) and `arrows` (FancyArrowPatch list)."""

_OP_SYMBOLS = {"neg": "−x", "sigmoid": "σ", "*": "×", "/": "÷"}
_COLUMN = 3.0  # horizontal distance between depth levels, in data units
_OP_OFFSET = 1.25  # an operation's circle sits this far left of the box of its result


def _depths(order):
    """Depth of each node: 0 for a leaf, else 1 + the largest depth of its inputs (the longest path from a leaf)."""
    depth = {}
    for node in order:
        depth[node] = 1 + max(depth[c] for c in node.children) if node.children else 0
    return depth


def _rows(order, depth):
    """Vertical position of each node: leaves in topological order; deeper nodes near the mean height of their
    inputs (then pushed apart to one unit spacing), so arrows stay short and rarely cross."""
    y = {}
    for level in range(max(depth.values()) + 1):
        column = [n for n in order if depth[n] == level]
        if level == 0:
            for k, node in enumerate(column):
                y[node] = -float(k)
            continue
        wanted = {n: sum(y[c] for c in n.children) / len(n.children) for n in column}
        column.sort(key=lambda n: -wanted[n])  # top to bottom
        placed = []
        for node in column:
            pos = wanted[node] if not placed else min(wanted[node], placed[-1] - 1.0)
            placed.append(pos)
        shift = (sum(wanted[n] for n in column) - sum(placed)) / len(column)  # recentre the pushed-apart column
        for node, pos in zip(column, placed):
            y[node] = pos + shift
    return y


def box_text(node):
    """The text of a node's box in `draw`: its label (if any), then data and grad."""
    head = f"{node.label}\n" if node.label else ""
    return f"{head}data {node.data:.4g}\ngrad {node.grad:.4g}"


def draw(value, ax=None):
    """Draw the graph that produced `value`, left (inputs) to right (output), with every node's data and grad.

    Layered layout: a node's column is its depth (0 for leaves); each operation is a circle between its inputs'
    boxes and its result's box; arrows follow the forward pass. Uses matplotlib only (no Graphviz). Call it after
    `value.backward()` to see the gradients; before, they show 0.

    Returns GraphDrawing(fig, ax, boxes, ops, arrows). With `ax=None` a new figure sized to the graph is made.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    order = topological_order(value)
    depth = _depths(order)
    y = _rows(order, depth)
    max_depth = max(depth.values())
    if ax is None:
        n_rows = max(sum(1 for n in order if depth[n] == d) for d in range(max_depth + 1))
        fig, ax = plt.subplots(figsize=(1.0 + 2.4 * (max_depth + 1), 0.6 + 0.95 * n_rows))
    else:
        fig = ax.figure

    boxes, ops, arrows = {}, {}, []
    for node in order:
        x = _COLUMN * depth[node]
        color = "#cfe8cf" if node is value else ("#dce9f7" if not node.children else "#eeeeee")
        boxes[node] = ax.text(
            x, y[node], box_text(node), ha="center", va="center", fontsize=8, family="monospace", zorder=3,
            bbox=dict(boxstyle="round,pad=0.35", facecolor=color, edgecolor="#555555"),
        )
        if node.children:
            symbol = _OP_SYMBOLS.get(node.op, node.op)
            ops[node] = ax.text(
                x - _OP_OFFSET, y[node], symbol, ha="center", va="center", fontsize=9, zorder=3,
                bbox=dict(boxstyle="circle,pad=0.3", facecolor="#fff6d5", edgecolor="#aa8800"),
            )

    def arrow(a, b, rad=0.0):
        # Drawn above the boxes (zorder 4) so that the boxes are placed before the arrow is clipped to their edges.
        patch = FancyArrowPatch(
            a.get_position(), b.get_position(), patchA=a.get_bbox_patch(), patchB=b.get_bbox_patch(),
            arrowstyle="-|>", mutation_scale=10, color="#444444", lw=0.9, zorder=4,
            connectionstyle=f"arc3,rad={rad}",
        )
        ax.add_artist(patch)  # not add_patch: the limits are set below, and updating them per arrow is slow
        arrows.append(patch)

    for node in order:
        if not node.children:
            continue
        for k, child in enumerate(node.children):
            repeat = node.children[:k].count(child)  # x * x: bend the second arrow so both are visible
            arrow(boxes[child], ops[node], rad=0.35 * repeat)
        arrow(ops[node], boxes[node])

    ax.set_xlim(-1.3, _COLUMN * max_depth + 1.3)
    low, high = min(y.values()), max(y.values())
    ax.set_ylim(low - 0.7, high + 0.7)
    ax.set_axis_off()
    return GraphDrawing(fig, ax, boxes, ops, arrows)
